"""DICOM → DICOM transcoding of the pixel data (``dicomconv transcode``, gdcmconv's image options).

- ``encoding="rle"``: RLE Lossless with our codec (native/rle.pyx). Inputs must be lossless
  (native, RLE, lossless JPEG / JPEG-LS / JPEG 2000 / HTJ2K); lossy ones are refused unless
  ``force``. An RLE input is copied, not re-encoded.
- ``encoding="raw"``: decoded (:mod:`dicomconv.codecs.decode`) to Explicit VR Little Endian
  (``vr="implicit"``: Implicit VR Little Endian).
- ``encoding="keep"``: the pixel data stays as it is encoded; native data is rewritten little
  endian (VR as in the input unless ``vr`` says), encapsulated data is re-itemized (see below).
- ``split=N``: every frame of an encapsulated output in fragments of at most N bytes (N rounded
  down to even); the Basic Offset Table points at each frame's first item. RLE Lossless needs
  one fragment per frame (PS3.5 A.4.2): RLE frames longer than N are refused unless ``force``.
- ``extended_offset_table``: Extended Offset Table (7FE0,0001) and its Lengths (7FE0,0002), 64
  bit, with an empty Basic Offset Table and one fragment per frame (PS3.5 A.4, PS3.3 C.7.6.3).
  Otherwise encapsulated outputs get a Basic Offset Table (an empty one, with a note, if an
  offset does not fit 32 bits) and input Extended Offset Tables are removed.
- ``planar_configuration``: Planar Configuration of native (and RLE) outputs.

The dataset is kept as it is otherwise: SOP Class and Instance UIDs unchanged; Photometric
Interpretation set to what the decoder returns (e.g. YBR_FULL_422 JPEG → YBR_FULL, YBR_RCT /
YBR_ICT JPEG 2000 → RGB); Planar Configuration set for outputs with 3 samples; Lossy Image
Compression kept, or set to "01" with the ratio and method appended when lossy-compressed
pixel data are decoded; Encapsulated Pixel Data Value Total Length (7FE0,0003) removed. The file
meta information is rewritten (our implementation UID). The output is written through a
temporary file renamed at the end: a failure never leaves a partial file. The Pixel Data is
written by us, zero-copy where possible (input fragments and native frames as memoryviews);
everything else by pydicom.
"""
from __future__ import annotations

import itertools
import os
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import (EXIT_USAGE, DicomconvError, InputError, OutputError,
                     UnsupportedInputError)

if TYPE_CHECKING:  # pragma: no cover
    from pydicom.dataset import Dataset

__all__ = ["TranscodeOptions", "TranscodeResult", "OptionError", "transcode_file",
           "transcode_bytes"]

EXPLICIT_LE = "1.2.840.10008.1.2.1"
IMPLICIT_LE = "1.2.840.10008.1.2"
RLE_LOSSLESS = "1.2.840.10008.1.2.5"
_PIXEL_TAG = b"\xe0\x7f\x10\x00"
_TOTAL_LENGTH_TAG = 0x7FE00003          # Encapsulated Pixel Data Value Total Length (UV)
_MAX_NATIVE = 0xFFFFFFFE
# Compressed inputs whose decoded samples are written as decode_frame() gives them (pydicom's
# values: JPEG 2000 signedness fixed, JPEG-LS sign-extended, bits above Bits Stored cleaned);
# native and RLE samples are copied bit for bit.
_DECODED_KINDS = ("jpeg", "jpegls", "j2k")


class OptionError(DicomconvError):
    """The options contradict each other (exit code 1, like a command-line syntax error)."""

    exit_code = EXIT_USAGE


@dataclass(frozen=True)
class TranscodeOptions:
    """What to do; see the module docstring. ``encoding``: "keep", "raw" or "rle"; ``vr``:
    None, "explicit" or "implicit"; ``split``: None or the largest fragment in bytes (>= 2)."""

    encoding: str = "keep"
    vr: str | None = None
    split: int | None = None
    extended_offset_table: bool = False
    planar_configuration: int | None = None
    force: bool = False

    def validate(self) -> None:
        """Raise :class:`OptionError` for options that can never go together."""
        if self.encoding not in ("keep", "raw", "rle"):
            raise OptionError(f"unknown encoding {self.encoding!r}")
        if self.vr not in (None, "explicit", "implicit"):
            raise OptionError(f"unknown VR encoding {self.vr!r}")
        if self.split is not None and self.split < 2:
            raise OptionError(f"--split needs a fragment size of at least 2 bytes, not {self.split}")
        if self.planar_configuration not in (None, 0, 1):
            raise OptionError(f"Planar Configuration must be 0 or 1, not {self.planar_configuration}")
        if self.encoding == "raw" and self.split is not None:
            raise OptionError("--split needs an encapsulated output, not --raw")
        if self.encoding == "raw" and self.extended_offset_table:
            raise OptionError("--extended-offset-table needs an encapsulated output, not --raw")
        if self.encoding == "rle" and self.vr == "implicit":
            raise OptionError("RLE Lossless is encoded with explicit VR: --implicit goes with "
                              "--raw or native data")
        if self.split is not None and self.extended_offset_table:
            raise OptionError("--split and --extended-offset-table exclude each other: the "
                              "Extended Offset Table needs each frame in one fragment")


@dataclass
class TranscodeResult:
    """What was written."""

    input_transfer_syntax: str
    transfer_syntax: str
    photometric: str
    planar_configuration: int | None
    frames: int
    fragments: int | None               # encapsulated outputs
    lossy_source: bool
    notes: list[str] = field(default_factory=list)


# ----------------------------------------------------------------------------------- API

def transcode_file(src: str | os.PathLike, dst: str | os.PathLike,
                   options: TranscodeOptions | None = None) -> TranscodeResult:
    """Transcode the DICOM file ``src`` into ``dst``, atomically.

    Errors are :class:`~dicomconv.errors.DicomconvError` subclasses whose message starts with
    the file name (:class:`OptionError` excepted); no output file is left on failure and an
    existing ``dst`` is untouched.
    """
    import warnings

    from .fileio import is_same_file, write_atomic

    options = options or TranscodeOptions()
    options.validate()
    name = os.fspath(src)
    with warnings.catch_warnings(record=True) as caught:   # pydicom's warnings become notes
        warnings.simplefilter("always")
        try:
            try:
                st = os.stat(src)
            except OSError as exc:
                raise InputError(f"cannot read: {exc.strerror or exc}") from None
            if is_same_file(st, dst):
                raise OutputError(f"{os.fspath(dst)}: is the input file; refusing to overwrite it")
            ds, pixel_data = _read_mapped(src)
            result, parts = _transcode(ds, options, pixel_data)
            write_atomic(dst, parts)
        except (OutputError, OptionError):
            raise
        except DicomconvError as exc:
            message = str(exc)
            if message.startswith(name):
                raise
            raise type(exc)(f"{name}: {message}") from None
    for warning in caught:
        text = " ".join(str(warning.message).split())
        if text not in result.notes:
            result.notes.append(text)
    return result


def transcode_bytes(data: bytes, options: TranscodeOptions | None = None) -> tuple[bytes, TranscodeResult]:
    """Transcode a DICOM file held in memory; returns ``(output bytes, result)``."""
    from io import BytesIO

    options = options or TranscodeOptions()
    options.validate()
    ds = _read(BytesIO(data))
    result, parts = _transcode(ds, options)
    return b"".join(bytes(p) if not isinstance(p, bytes) else p for p in parts), result


# ------------------------------------------------------------------------------ reading

_DEFER = 1 << 16        # values larger than this are not read by pydicom but mapped
_DEFLATED = "1.2.840.10008.1.2.1.99"


def _read_mapped(path) -> tuple[Dataset, Any]:
    """The dataset read by pydicom without its Pixel Data value, and that value as a
    memoryview into the memory-mapped file (no copy; the page cache is read as frames are
    used). Deflated files, and files whose Pixel Data pydicom did not defer, are read whole:
    ``(ds, None)``."""
    import mmap

    import pydicom

    try:
        meta = pydicom.filereader.read_file_meta_info(path)
        deflated = str(meta.get("TransferSyntaxUID", "")) == _DEFLATED
    except Exception:
        deflated = True                 # let _read report what is wrong
    if deflated:
        return _read(path), None
    ds = _read(path, defer_size=_DEFER)
    elem = ds.get_item(0x7FE00010, keep_deferred=True) if 0x7FE00010 in ds else None
    if elem is None or getattr(elem, "value", b"") is not None or not hasattr(elem, "value_tell"):
        return ds, None
    try:
        with open(path, "rb") as f:
            mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    start = elem.value_tell
    end = len(mapped) if elem.length == 0xFFFFFFFF else start + elem.length
    if start > len(mapped) or end > len(mapped):
        raise InputError(f"truncated file: Pixel Data needs {end} bytes, the file has "
                         f"{len(mapped)}")
    return ds, memoryview(mapped)[start:end]


def _read(src, defer_size: int | None = None) -> Dataset:
    import warnings

    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ds = pydicom.dcmread(src, defer_size=defer_size)
        for warning in caught:
            if "before delimiter" in str(warning.message):
                raise InputError("truncated file: it ends inside an element of undefined length "
                                 "(no Sequence Delimitation Item (FFFE,E0DD))")
            warnings.warn(warning.message, stacklevel=2)
    except DicomconvError:
        raise
    except InvalidDicomError as exc:
        raise InputError(f"not a DICOM file: {' '.join(str(exc).split())}") from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}") from None
    except Exception as exc:  # pydicom raises many kinds of errors for corrupt files
        raise InputError(f"cannot parse the DICOM file: {type(exc).__name__}: "
                         f"{' '.join(str(exc).split())}") from None
    if "TransferSyntaxUID" not in getattr(ds, "file_meta", {}):
        raise InputError("no Transfer Syntax UID (0002,0010) in the file meta information")
    return ds


# ------------------------------------------------------------------------------- planning

def _transcode(ds: Dataset, options: TranscodeOptions,
               pixel_data=None) -> tuple[TranscodeResult, Iterator]:
    """Check, update ``ds`` in place and return (result, the output as an iterator of
    buffers). Frames are decoded lazily for native outputs, while the iterator is consumed.
    ``pixel_data``: the Pixel Data value, when not in ``ds`` (memory-mapped)."""
    from .codecs.decode import FrameSource, UnsupportedPixelDataError

    in_ts = str(ds.file_meta.TransferSyntaxUID)
    src = FrameSource(ds, in_ts, pixel_data=pixel_data)
    notes = src.notes          # shared: decoding notes arrive while the output is written
    encoding = options.encoding
    spp = src.samples_per_pixel

    # ---- output transfer syntax
    if encoding == "rle":
        out_ts = RLE_LOSSLESS
    elif encoding == "raw" or not src.is_encapsulated:
        implicit = options.vr == "implicit" or (options.vr is None and encoding == "keep"
                                                and in_ts == IMPLICIT_LE)
        out_ts = IMPLICIT_LE if implicit else EXPLICIT_LE
    else:
        out_ts = in_ts
    native_out = out_ts in (EXPLICIT_LE, IMPLICIT_LE)
    decoding = encoding == "raw" or (encoding == "rle" and src.kind != "rle") or (
        encoding == "keep" and not src.is_encapsulated)

    # ---- checks that depend on the input
    if native_out and (options.split is not None or options.extended_offset_table):
        raise UnsupportedInputError(f"--split / --extended-offset-table need an encapsulated "
                                    f"output, but the input is native ({_ts_name(in_ts)}): add "
                                    "--rle")
    if not native_out and options.vr == "implicit":
        raise UnsupportedInputError(f"{_ts_name(out_ts)} is encoded with explicit VR: "
                                    "--implicit needs --raw")
    if encoding == "rle" and src.lossy and not options.force:
        raise UnsupportedInputError(f"the input is lossy-compressed ({_ts_name(in_ts)}): RLE "
                                    "Lossless would keep the losses; --force converts anyway")
    if (options.planar_configuration is not None and not native_out and out_ts != RLE_LOSSLESS):
        raise UnsupportedInputError(f"--planar-configuration applies to native and RLE outputs, "
                                    f"not {_ts_name(out_ts)} (always colour-by-pixel)")
    if src.bits_allocated == 1 and out_ts == RLE_LOSSLESS:
        raise UnsupportedPixelDataError("RLE Lossless needs Bits Allocated 8, 16, 32 or 64, "
                                        "not 1")
    if encoding == "rle" and src.lossy:
        notes.append(f"lossy input ({_ts_name(in_ts)}) converted because of --force")

    # ---- photometric and planar configuration of the output
    photometric = src.photometric if decoding else src.stored_photometric
    if options.planar_configuration is not None:
        planar = options.planar_configuration
    elif src.kind in ("native", "rle", "uncompressed") and not src._ybr422:
        planar = src.stored_planar_configuration
    else:
        planar = 0
    if spp == 1 or src.bits_allocated == 1:
        planar = 0

    # ---- the pixel data value
    fragments = None
    if native_out:
        header, parts = _native_parts(src, planar, out_ts == IMPLICIT_LE, notes)
    else:
        if out_ts == RLE_LOSSLESS and src.kind != "rle":
            frames = _encode_rle(src, planar)
        else:
            frames = [src.fragments(i) for i in range(src.number_of_frames)]
        if out_ts == RLE_LOSSLESS and options.split is not None and not options.force:
            longest = max(sum(len(p) for p in f) if isinstance(f, list) else len(f)
                          for f in frames)
            if longest > options.split & ~1:
                raise UnsupportedInputError(f"RLE Lossless needs each frame in one fragment "
                                            f"(PS3.5 A.4.2) but frames of up to {longest} bytes "
                                            f"do not fit {options.split & ~1}: --force splits "
                                            "them anyway")
        # kept encodings keep their fragments; RLE (new, or copied) gets one fragment a frame
        value, fragments, eot = _encapsulate(frames, options, notes,
                                             copy_structure=encoding == "keep")
        header = _PIXEL_TAG + b"OB\0\0\xff\xff\xff\xff"
        parts = iter(value)

    # ---- the dataset
    _update_dataset(ds, src, out_ts, decoding, photometric, planar, notes)
    if not native_out and options.extended_offset_table:
        ds.ExtendedOffsetTable, ds.ExtendedOffsetTableLengths = eot
    head, tail = _encode_dataset(ds, out_ts, in_ts)
    result = TranscodeResult(in_ts, out_ts, photometric, planar if spp > 1 else None,
                             src.number_of_frames, fragments, src.lossy, notes)
    return result, itertools.chain((head, header), parts, (tail,) if tail else ())


def _ts_name(uid: str) -> str:
    from pydicom.uid import UID

    name = UID(uid).name
    return name if name != uid else uid


def _as_bytes_view(buf) -> memoryview:
    """A flat unsigned-byte memoryview of a buffer (numpy arrays included)."""
    view = memoryview(buf)
    if view.ndim != 1 or view.format not in ("B", "b", "c"):
        view = view.cast("B") if view.c_contiguous else memoryview(bytes(view))
    return view


def _native_parts(src, planar: int, implicit: bool, notes: list[str]) -> tuple[bytes, Iterator]:
    """Element header and lazily decoded frames of native Pixel Data."""
    if src.bits_allocated == 1:
        count = src.rows * src.columns * src.samples_per_pixel * src.number_of_frames
        length = (count + 7) // 8
        data = src._pixel_data
        if src.transfer_syntax == "1.2.840.10008.1.2.2" and src._pixel_vr == "OW":
            data = src._little_endian_words(data)
        frames: Iterable = [memoryview(data)[:length]]
    else:
        length = src.frame_length * src.number_of_frames
        correct = src.kind in _DECODED_KINDS
        frames = (_as_bytes_view(src.native(i, planar, correct))
                  for i in range(src.number_of_frames))
    if length + (length & 1) > _MAX_NATIVE:
        raise UnsupportedInputError(f"{length} bytes of pixel data are too many for native "
                                    "(uncompressed) encoding; keep it encapsulated")
    padded = length + (length & 1)
    if implicit:
        header = _PIXEL_TAG + struct.pack("<I", padded)
    else:
        vr = b"OB" if src.bits_allocated <= 8 else b"OW"
        header = _PIXEL_TAG + vr + b"\0\0" + struct.pack("<I", padded)
    pad = (b"\0",) if length & 1 else ()
    return header, itertools.chain(frames, pad)


def _encode_rle(src, planar: int) -> list[bytes]:
    """Every frame encoded as RLE Lossless (frames in parallel threads when it pays)."""
    from .codecs.decode import UnsupportedPixelDataError
    from .codecs.rle import encode_frame

    args = (src.rows, src.columns, src.samples_per_pixel, src.bits_allocated, planar)
    if src.samples_per_pixel * src.bits_allocated // 8 > 15:
        raise UnsupportedPixelDataError(f"RLE Lossless holds at most 15 byte planes: "
                                        f"{src.samples_per_pixel} sample(s) of "
                                        f"{src.bits_allocated} bits need "
                                        f"{src.samples_per_pixel * src.bits_allocated // 8}")

    correct = src.kind in _DECODED_KINDS

    def one(index: int) -> bytes:
        return encode_frame(src.native(index, planar, correct), *args)

    return _map_frames(one, src.number_of_frames, src.frame_length)


def _map_frames(fn, count: int, frame_length: int) -> list:
    """``[fn(i) for i in range(count)]``, on two or more threads for big multi-frame inputs:
    our RLE encoder releases the GIL (pylibjpeg-libjpeg's and -openjpeg's decoders do not, so
    for compressed inputs only the encoding half runs in parallel)."""
    workers = min(os.cpu_count() or 1, 4)
    if count < 2 or workers < 2 or frame_length * count < (4 << 20):
        return [fn(i) for i in range(count)]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(fn, range(count)))


def _encapsulate(frames: list, options: TranscodeOptions, notes: list[str],
                 copy_structure: bool) -> tuple[list, int, tuple[bytes, bytes] | None]:
    """The encapsulated Pixel Data value as chunks, the fragment count and the Extended Offset
    Table values (or None)."""
    from ._native.fragments import FragmentError, build

    if options.split is not None:
        mode = options.split & ~1
    elif options.extended_offset_table:
        mode = -1                       # one fragment per frame
    elif copy_structure:
        mode = 0                        # the input's fragments kept
    else:
        mode = -1
    eot = options.extended_offset_table
    try:
        value, offsets, _lengths, eot_value, eot_lengths = build(frames, mode, True, eot, None)
    except FragmentError as exc:
        if eot or "Basic Offset Table" not in str(exc):
            raise UnsupportedInputError(str(exc)) from None
        notes.append("frame offsets do not fit the 32-bit Basic Offset Table: written empty "
                     "(--extended-offset-table writes 64-bit offsets)")
        value, offsets, _lengths, eot_value, eot_lengths = build(frames, mode, False, False, None)
    if isinstance(value, bytes):
        value = [value]
    if mode == 0:
        count = sum(len(f) if isinstance(f, (list, tuple)) else 1 for f in frames)
    elif mode == -1:
        count = len(frames)
    else:
        count = sum(max(1, -(-sum(len(p) for p in (f if isinstance(f, (list, tuple)) else [f]))
                             // mode)) for f in frames)
    return value, count, (eot_value, eot_lengths) if eot else None


# ---------------------------------------------------------------------------- dataset

def _update_dataset(ds: Dataset, src, out_ts: str, decoding: bool, photometric: str,
                    planar: int, notes: list[str]) -> None:
    """Pixel-description and lossy-compression attributes for the output; ``ds`` loses its
    Pixel Data (written separately)."""
    if decoding and photometric != src.stored_photometric:
        notes.append(f"Photometric Interpretation {src.stored_photometric} -> {photometric}")
        ds.PhotometricInterpretation = photometric
    if src.samples_per_pixel > 1 and src.bits_allocated > 1:
        old = ds.get("PlanarConfiguration")
        if old is None or int(old) != planar:
            ds.PlanarConfiguration = planar
    for keyword in ("ExtendedOffsetTable", "ExtendedOffsetTableLengths"):
        if keyword in ds:
            del ds[keyword]
    if _TOTAL_LENGTH_TAG in ds:
        del ds[_TOTAL_LENGTH_TAG]
    if decoding and src.lossy:
        if str(ds.get("LossyImageCompression", "") or "").strip() != "01":
            ds.LossyImageCompression = "01"
            encoded = src.stored_length
            ratio = src.frame_length * src.number_of_frames / max(encoded, 1)
            ratios = list(_multi(ds.get("LossyImageCompressionRatio")))
            ds.LossyImageCompressionRatio = ratios + [f"{ratio:.6g}"[:16]]
            if src.compression_method:
                methods = list(_multi(ds.get("LossyImageCompressionMethod")))
                ds.LossyImageCompressionMethod = methods + [src.compression_method]
            notes.append("Lossy Image Compression set to 01")
    del ds[0x7FE00010]


def _multi(value) -> list:
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
        return list(value)
    return [value]


def _encode_dataset(ds: Dataset, out_ts: str, in_ts: str) -> tuple[bytes, bytes]:
    """The file (preamble, meta, the elements before Pixel Data) and the elements after it,
    encoded by pydicom for ``out_ts``. The meta information is rewritten with our
    implementation UID; Media Storage SOP Class / Instance UIDs follow the dataset (kept as they
    are, even empty)."""
    from pydicom.dataset import FileMetaDataset
    from pydicom.filebase import DicomBytesIO
    from pydicom.filewriter import write_dataset, write_file_meta_info

    from .uids import IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME

    implicit = out_ts == IMPLICIT_LE
    if in_ts == "1.2.840.10008.1.2.2":
        _swap_other_words(ds)
    old_meta = ds.file_meta
    meta = FileMetaDataset()
    meta.FileMetaInformationVersion = b"\x00\x01"
    for elem in old_meta:
        if elem.tag not in (0x00020000, 0x00020001, 0x00020010, 0x00020012, 0x00020013):
            meta.add(elem)
    if "SOPClassUID" in ds:
        meta.MediaStorageSOPClassUID = ds.SOPClassUID
    if "SOPInstanceUID" in ds:
        meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = out_ts
    meta.ImplementationClassUID = IMPLEMENTATION_CLASS_UID
    meta.ImplementationVersionName = IMPLEMENTATION_VERSION_NAME

    head = ds[:0x7FE00010]
    tail = ds[0x7FE00011:]
    try:
        fp = DicomBytesIO()
        fp.is_little_endian = True
        fp.is_implicit_VR = False
        write_file_meta_info(fp, meta, enforce_standard=False)
        meta_bytes = fp.getvalue()
        parts = [b"\0" * 128, b"DICM", b"\x02\x00\x00\x00UL\x04\x00",
                 struct.pack("<I", len(meta_bytes)), meta_bytes]
        encoded = []
        for part in (head, tail):
            fp = DicomBytesIO()
            fp.is_little_endian = True
            fp.is_implicit_VR = implicit
            if len(part):
                write_dataset(fp, part, ds._character_set)
            encoded.append(fp.getvalue())
    except Exception as exc:  # pydicom cannot encode an element of the input
        raise InputError(f"cannot encode the dataset for {_ts_name(out_ts)}: "
                         f"{type(exc).__name__}: {' '.join(str(exc).split())}") from None
    return b"".join(parts) + encoded[0], encoded[1]


_WORD_SIZE = {"OW": 2, "OF": 4, "OL": 4, "OD": 8, "OV": 8}


def _swap_other_words(ds: Dataset) -> None:
    """Byte-swap the values of OW/OF/OL/OD/OV elements read from a big-endian file (pydicom
    re-encodes numbers and strings, not the 'other' VRs' bytes)."""
    import numpy as np

    for elem in ds:
        if elem.tag == 0x7FE00010:
            continue
        if elem.VR == "SQ":
            for item in elem.value:
                _swap_other_words(item)
            continue
        size = _WORD_SIZE.get(elem.VR)
        value = elem.value
        if size and isinstance(value, (bytes, bytearray)) and len(value) >= size:
            whole = len(value) // size * size
            elem.value = np.frombuffer(value, f">u{size}", whole // size).astype(
                f"<u{size}").tobytes() + bytes(value[whole:])

