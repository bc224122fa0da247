"""What ``dicomconv info`` (GDCM's gdcminfo) and ``dicomconv raw`` (gdcmraw) do.

:func:`describe` reads a DICOM file and says what it is: SOP class, transfer syntax, image
dimensions and frames, the pixel description, for encapsulated pixel data the fragments;
optionally the MD5 of the decoded pixel data (``md5``) and whether the encapsulated streams are
lossless or lossy by their own headers (``check_compression``). Without either, the file is
read without its Pixel Data (``stop_before_pixels``).

- MD5 (``md5sum``): of every frame decoded (:class:`dicomconv.codecs.decode.FrameSource`:
  native and RLE samples bit for bit, JPEG / JPEG-LS / JPEG 2000 samples with the values
  pydicom gives, as ``transcode --raw`` writes them), interleaved
  (colour-by-pixel whatever the Planar Configuration), samples little endian in the Bits
  Allocated container, Bits Allocated 1 as one byte per sample, frames in order. A lossless
  transcode (RLE, native, another fragmentation or planar configuration) does not change it.
- Compression (``compression``): "lossless" or "lossy", from the streams: JPEG by coding
  process (DCT → lossy; lossless process with point transform 0 → lossless), JPEG-LS by NEAR,
  JPEG 2000 / HTJ2K by wavelet (5-3 reversible without quantisation → lossless), RLE and native
  → lossless, video → lossy. Every frame is looked at; one lossy frame makes the file lossy.

:func:`extract` writes an element's value to files, as gdcmraw does: native values as stored;
encapsulated Pixel Data one file per fragment (``split_fragments``, names ``out`` + pattern %
index, gdcmraw's naming) or one file per frame (its fragments concatenated, a playable stream;
one frame → ``out`` itself); ``pixel_data``: the decoded frames (as for the MD5).
"""
from __future__ import annotations

import hashlib
import os

from .errors import DicomconvError, InputError, OutputError, UnsupportedInputError

PIXEL_DATA = 0x7FE00010
# Decoded by libjpeg / openjpeg: hashed with the values pydicom gives (JPEG 2000 signedness as
# Pixel Representation says, JPEG-LS signed samples sign-extended, bits above Bits Stored
# cleaned), which is what ``transcode --raw`` / ``--rle`` write; native and RLE samples are
# hashed bit for bit.
_DECODED_KINDS = ("jpeg", "jpegls", "j2k")

_SCALAR = {(8, 0): "UINT8", (8, 1): "INT8", (16, 0): "UINT16", (16, 1): "INT16",
           (32, 0): "UINT32", (32, 1): "INT32", (64, 0): "UINT64", (64, 1): "INT64"}


def _uid_name(uid: str) -> str:
    try:
        from pydicom.uid import UID

        name = UID(uid).name
    except Exception:  # pragma: no cover
        return ""
    return "" if name == uid else name


def _first(ds, keyword: str, default=None):
    try:
        value = ds.get(keyword, default)
    except Exception:
        return default
    if value is None or value == "":
        return default
    if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
        value = value[0] if len(value) else default
    return value


def _int(ds, keyword: str, default=None):
    value = _first(ds, keyword, default)
    try:
        return int(value) if value is not None else default
    except (TypeError, ValueError):
        return default


def read(path, *, pixels: bool):
    """``(dataset, mapped)`` with errors naming the file; ``pixels`` False: without Pixel Data."""
    from .jsonmodel import check_truncation, read_dicom

    try:
        ds, mapped = read_dicom(path, stop_before_pixels=not pixels)
        size = len(mapped) if mapped is not None else _size(path)
        check_truncation(ds, size if pixels else None)
    except DicomconvError as exc:
        name = os.fspath(path)
        message = str(exc)
        raise type(exc)(message if message.startswith(name) else f"{name}: {message}") from None
    return ds, mapped


def _size(path) -> int | None:
    try:
        return os.stat(path).st_size
    except OSError:
        return None


def pixel_value(ds, mapped):
    """The top-level Pixel Data value as stored (a memoryview into the mapped file when pydicom
    deferred it), or None."""
    from pydicom.dataelem import RawDataElement

    elem = ds._dict.get(PIXEL_DATA)
    if elem is None:
        return None
    if isinstance(elem, RawDataElement):
        if elem.value is not None:
            return elem.value
        if not elem.length:
            return b""
        if mapped is not None and elem.value_tell is not None:
            start = elem.value_tell
            end = len(mapped) if elem.length == 0xFFFFFFFF else start + elem.length
            if end > len(mapped):
                raise InputError(f"truncated file: Pixel Data needs {end} bytes, the file has "
                                 f"{len(mapped)}")
            return mapped[start:end]
    return ds.PixelData


def frame_source(ds, mapped):
    """A :class:`~dicomconv.codecs.decode.FrameSource` over the file's Pixel Data."""
    from .codecs.decode import FrameSource

    return FrameSource(ds, pixel_data=pixel_value(ds, mapped))


def describe(path, *, md5: bool = False, check_compression: bool = False) -> dict:
    """A dict describing the DICOM file at ``path`` (see the module docstring). Raises
    :class:`~dicomconv.errors.DicomconvError` (message starting with the file name) for files
    that cannot be read; problems with the pixel data alone are reported under ``"error"``
    with the exit code under ``"exit_code"``."""
    ds, mapped = read(path, pixels=md5 or check_compression)
    meta = ds.file_meta
    ts = str(meta.get("TransferSyntaxUID", "") or "")
    sop_class = str(_first(ds, "SOPClassUID", None) or meta.get("MediaStorageSOPClassUID", "") or "")
    info: dict = {"file": os.fspath(path), "sop_class_uid": sop_class,
                  "sop_class_name": _uid_name(sop_class),
                  "sop_instance_uid": str(_first(ds, "SOPInstanceUID", "") or ""),
                  "transfer_syntax_uid": ts, "transfer_syntax_name": _uid_name(ts)}
    if md5 or check_compression:          # read without the Pixel Data otherwise: unknown
        info["pixel_data"] = PIXEL_DATA in ds
    rows, columns = _int(ds, "Rows"), _int(ds, "Columns")
    if rows is not None and columns is not None:
        frames = _int(ds, "NumberOfFrames", 1) or 1
        bits_allocated = _int(ds, "BitsAllocated")
        bits_stored = _int(ds, "BitsStored", bits_allocated)
        representation = _int(ds, "PixelRepresentation", 0)
        info.update({
            "dimensions": [columns, rows, frames], "number_of_dimensions": 3 if frames > 1 else 2,
            "rows": rows, "columns": columns, "frames": frames,
            "samples_per_pixel": _int(ds, "SamplesPerPixel", 1),
            "bits_allocated": bits_allocated, "bits_stored": bits_stored,
            "high_bit": _int(ds, "HighBit", (bits_stored or 1) - 1),
            "pixel_representation": representation,
            "scalar_type": ("SINGLEBIT" if bits_allocated == 1 else
                            _SCALAR.get((bits_allocated, representation), "UNKNOWN")),
            "photometric_interpretation": str(_first(ds, "PhotometricInterpretation", "") or "").strip(),
            "planar_configuration": _int(ds, "PlanarConfiguration", 0),
        })
    lossy_attr = _first(ds, "LossyImageCompression")
    if lossy_attr is not None:
        info["lossy_image_compression"] = str(lossy_attr).strip()
    from .codecs.decode import transfer_syntax_kind

    kind = transfer_syntax_kind(ts)
    info["encapsulated"] = kind not in ("native", "unknown")
    if not (md5 or check_compression) or PIXEL_DATA not in ds:
        if (md5 or check_compression) and PIXEL_DATA not in ds:
            info["error"] = f"{os.fspath(path)}: the dataset has no Pixel Data (7FE0,0010)"
            info["exit_code"] = 21
        return info
    try:
        source = frame_source(ds, mapped)
        if source.encapsulated is not None:
            info["fragments"] = source.encapsulated.fragment_count
        info["stored_bytes"] = source.stored_length
        info["decoded_photometric_interpretation"] = source.photometric
        if check_compression:
            stream = stream_compression(source)
            info["stream_compression"] = stream
            # Lossy Image Compression "01": the pixel data have been through lossy compression
            # at some point (an earlier step, or a truncated reversible JPEG 2000 codestream,
            # which its headers cannot show): lossy, as gdcminfo says
            info["compression"] = ("lossy" if stream == "lossy"
                                   or info.get("lossy_image_compression") == "01" else "lossless")
        if md5:
            info["md5sum"] = pixel_md5(source)
        if source.notes:
            info["notes"] = list(source.notes)
    except DicomconvError as exc:
        message = " ".join(str(exc).split())
        info["error"] = f"{os.fspath(path)}: {message}"
        info["exit_code"] = exc.exit_code
    return info


def pixel_md5(source) -> str:
    """MD5 of the decoded frames (see the module docstring)."""
    import numpy as np

    digest = hashlib.md5()
    correct = source.kind in _DECODED_KINDS
    for index in range(source.number_of_frames):
        frame = source.native(index, 0, correct)
        if isinstance(frame, np.ndarray):
            frame = np.ascontiguousarray(frame)
            if frame.dtype.byteorder == ">":
                frame = frame.astype(frame.dtype.newbyteorder("<"))
            digest.update(memoryview(frame).cast("B"))
        else:
            digest.update(frame)
    return digest.hexdigest()


def stream_compression(source) -> str:
    """"lossless" or "lossy" from the encapsulated streams' headers (native: "lossless")."""
    kind = source.kind
    if kind in ("native", "rle", "uncompressed"):
        return "lossless"
    if kind == "other":
        return "lossy"
    lossy = False
    for index in range(source.number_of_frames):
        data = source.encoded(index)
        if kind == "jpeg":
            lossy = _jpeg_lossy(data)
        elif kind == "jpegls":
            lossy = _jpegls_lossy(data)
        else:
            lossy = _j2k_lossy(data)
        if lossy:
            break
    return "lossy" if lossy else "lossless"


def _jpeg_lossy(data) -> bool:
    from .jsonmodel import _first_sof

    head = bytes(data[:65536])
    sof = _first_sof(head)
    if sof is None:
        raise InputError("the JPEG stream has no frame header (SOF)")
    if sof == 0xF7:
        return _jpegls_lossy(data)
    if sof not in (0xC3, 0xC7, 0xCB, 0xCF):
        return True                          # DCT processes
    from ._native.jpeg_markers import scan

    try:
        info = scan(data)
    except ValueError as exc:
        if sof != 0xC3:
            return True
        raise InputError(f"corrupt JPEG stream: {exc}") from None
    return bool(info.get("point_transform"))


def _jpegls_lossy(data) -> bool:
    from ._native.codestreams import scan_jpegls

    try:
        return scan_jpegls(data)["near"] != 0
    except ValueError as exc:
        raise InputError(f"corrupt JPEG-LS stream: {exc}") from None


def _j2k_lossy(data) -> bool:
    from ._native.codestreams import scan_j2k

    head = bytes(data[:16])
    start = 0
    if head[4:8] == b"jP  ":
        start = bytes(data).find(b"\xff\x4f\xff\x51")
        if start < 0:
            raise InputError("the JP2 file has no codestream")
    try:
        info = scan_j2k(data, start)
    except ValueError as exc:
        main = _j2k_main_header(bytes(data[start:start + 65536]))
        if main is None:
            raise InputError(f"corrupt JPEG 2000 codestream: {' '.join(str(exc).split())}") from None
        transform, quantisation = main           # the tile data are corrupt, the header is not
        return not (transform == 1 and quantisation == 0)
    return not (info["transforms"] == {1} and not (info["quantisations"] - {0}))


def _j2k_main_header(data: bytes):
    """``(wavelet transform, quantisation style)`` from the COD and QCD segments of a JPEG 2000
    main header (None if they are not there): the fallback when the codestream is corrupt
    further on."""
    if data[:4] != b"\xff\x4f\xff\x51":
        return None
    pos, transform, quantisation = 2, None, None
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker, length = data[pos + 1], int.from_bytes(data[pos + 2:pos + 4], "big")
        if marker == 0x90 or length < 2:          # SOT: end of the main header
            break
        if marker == 0x52 and pos + 14 <= len(data):
            transform = data[pos + 13]
        elif marker == 0x5C and pos + 5 <= len(data):
            quantisation = data[pos + 4] & 0x1F
        pos += 2 + length
    return None if transform is None or quantisation is None else (transform, quantisation)


def format_text(info: dict) -> str:
    """gdcminfo's layout of :func:`describe`'s result (plus Frames and Fragments)."""
    lines = [f"MediaStorage is {info['sop_class_uid']} [{info['sop_class_name']}]",
             f"TransferSyntax is {info['transfer_syntax_uid']} [{info['transfer_syntax_name']}]"]
    if "rows" in info:
        cols, rows, frames = info["dimensions"]
        lines += [f"NumberOfDimensions: {info['number_of_dimensions']}",
                  f"Dimensions: ({cols},{rows},{frames})",
                  f"SamplesPerPixel    :{info['samples_per_pixel']}",
                  f"BitsAllocated      :{info['bits_allocated']}",
                  f"BitsStored         :{info['bits_stored']}",
                  f"HighBit            :{info['high_bit']}",
                  f"PixelRepresentation:{info['pixel_representation']}",
                  f"ScalarType found   :{info['scalar_type']}",
                  f"PhotometricInterpretation: {info['photometric_interpretation']}",
                  f"PlanarConfiguration: {info['planar_configuration']}",
                  f"TransferSyntax: {info['transfer_syntax_uid']}",
                  f"NumberOfFrames: {frames}"]
    if "fragments" in info:
        lines.append(f"Fragments: {info['fragments']}")
    if "md5sum" in info:
        lines.append(f"md5sum: {info['md5sum']}")
    if "compression" in info:
        lines.append(f"Encapsulated Stream was found to be: {info['compression']}")
    return "\n".join(lines)


def iter_files(path, recursive: bool):
    """The files to describe: ``path`` itself, or the files of a folder (sorted; sub-folders
    with ``recursive``; hidden names skipped)."""
    if not os.path.isdir(path):
        yield os.fspath(path)
        return
    if not recursive:
        for name in sorted(os.listdir(path)):
            full = os.path.join(path, name)
            if not name.startswith(".") and os.path.isfile(full):
                yield full
        return
    for folder, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                yield os.path.join(folder, name)


# ------------------------------------------------------------------------------- raw

def parse_tag(text: str) -> int:
    """``gggg,eeee`` (hex, as gdcmraw's -t; leading zeros optional), ``(gggg,eeee)``,
    ``ggggeeee`` or a keyword."""
    text = text.strip()
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1]
    if "," in text:
        group, _, element = text.partition(",")
        try:
            g, e = int(group, 16), int(element, 16)
        except ValueError:
            raise ValueError(f"{text!r} is not a tag (gggg,eeee in hexadecimal)") from None
        if not (0 <= g <= 0xFFFF and 0 <= e <= 0xFFFF):
            raise ValueError(f"{text!r} is not a tag (gggg,eeee in hexadecimal)")
        return g << 16 | e
    if len(text) == 8:
        try:
            return int(text, 16)
        except ValueError:
            pass
    from pydicom.datadict import tag_for_keyword

    tag = tag_for_keyword(text)
    if tag is None:
        raise ValueError(f"{text!r} is not a tag (gggg,eeee) or a keyword")
    return tag


def _name(out: str, pattern: str | None, index: int) -> str:
    if pattern is None:
        return f"{out}{index}"
    try:
        return out + (pattern % index)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"bad --pattern {pattern!r}: {exc}") from None


def extract(path, out: str, *, tag: int = PIXEL_DATA, split_fragments: bool = False,
            pattern: str | None = None, pixel_data: bool = False) -> list[str]:
    """Write the value of ``tag`` (top level) of the DICOM file ``path`` (see the module
    docstring); returns the files written. Everything is read and checked before the first file
    is written; each file is written atomically; a failure removes the files already written."""
    from .fileio import write_atomic

    name = os.fspath(path)
    if os.path.abspath(out) == os.path.abspath(name):
        raise OutputError(f"{out}: is the input file; refusing to overwrite it")
    ds, mapped = read(path, pixels=True)
    outputs: list[tuple[str, list]] = []
    try:
        if pixel_data:
            if tag != PIXEL_DATA:
                raise UnsupportedInputError("--pixel-data works on (7FE0,0010) Pixel Data only")
            if PIXEL_DATA not in ds:
                raise InputError("the dataset has no Pixel Data (7FE0,0010)")
            source = frame_source(ds, mapped)
            outputs.append((out, [_frame_bytes(source.native(i, 0))
                                  for i in range(source.number_of_frames)]))
        else:
            if tag not in ds:
                raise InputError(f"no element ({tag >> 16:04X},{tag & 0xFFFF:04X}) in the dataset")
            elem = ds._dict[tag]
            encapsulated = tag == PIXEL_DATA and getattr(elem, "length", 0) == 0xFFFFFFFF
            if encapsulated:
                source = frame_source(ds, mapped)
                enc = source.encapsulated
                if enc is None:   # pragma: no cover - undefined length means encapsulated
                    raise InputError("Pixel Data of undefined length in a native transfer syntax")
                if split_fragments:
                    for i in range(enc.fragment_count):
                        outputs.append((_name(out, pattern, i), [enc.fragment(i)]))
                elif source.number_of_frames == 1:
                    outputs.append((out, enc.fragments()))
                else:
                    for i, (first, stop) in enumerate(source.frame_ranges):
                        outputs.append((_name(out, pattern, i), enc.chunks(first, stop)))
            else:
                outputs.append((out, [_element_bytes(ds, tag, elem, mapped)]))
    except DicomconvError as exc:
        message = str(exc)
        raise type(exc)(message if message.startswith(name) else f"{name}: {message}") from None
    written: list[str] = []
    try:
        for target, chunks in outputs:
            write_atomic(target, chunks)
            written.append(target)
    except BaseException:
        for target in written:
            try:
                os.unlink(target)
            except OSError:
                pass
        raise
    return written


def _frame_bytes(frame):
    import numpy as np

    if isinstance(frame, np.ndarray):
        return memoryview(np.ascontiguousarray(frame)).cast("B")
    return frame


def _element_bytes(ds, tag: int, elem, mapped):
    """An element's value as stored in the file (gdcmraw's ByteValue)."""
    from pydicom.dataelem import RawDataElement

    if isinstance(elem, RawDataElement):
        if elem.value is not None:
            return elem.value
        if not elem.length:
            return b""
        if mapped is not None and elem.value_tell is not None:
            return mapped[elem.value_tell:elem.value_tell + elem.length]
    from .jsonmodel import _encode_converted

    vr = elem.VR
    if vr == "SQ":
        raise UnsupportedInputError(f"({tag >> 16:04X},{tag & 0xFFFF:04X}) is a sequence: it has "
                                    "no value of its own to extract")
    return _encode_converted(vr, ds[tag].value)


__all__ = ["describe", "format_text", "iter_files", "extract", "parse_tag", "pixel_md5",
           "stream_compression"]
