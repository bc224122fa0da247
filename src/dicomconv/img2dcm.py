"""Image → DICOM: the API behind ``dicomconv img2dcm``.

``jpeg_to_dicom`` turns JPEG bytes into DICOM Part 10 bytes; ``convert_file`` does path → path,
writing atomically. The JPEG path imports neither pydicom nor numpy.
"""
from __future__ import annotations

import os

from . import writer
from .errors import DicomconvError, InputError, OutputError, UnsupportedInputError
from .inputs.jpeg import JpegOptions, read_jpeg
from .inputs.raw import RawOptions
from .iod import DatasetOptions, dataset_template
from .options import Options
from .source import ImageSource
from .uids import IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME

#: Native transfer syntaxes the writer can produce (PS3.5 A.2): Explicit VR Little Endian.
NATIVE_TRANSFER_SYNTAXES = frozenset({"1.2.840.10008.1.2.1"})


class Img2DcmOptions(Options):
    """Everything ``img2dcm`` can be told; the defaults are img2dcm's, except that the input format
    comes from the file's magic bytes: ``input_format`` (-i: "auto" (default), "JPEG", "BMP", "PNG",
    "TIFF", "PNM" or "RAW"; raw input is never detected), ``jpeg`` (:class:`JpegOptions`),
    ``dataset`` (:class:`DatasetOptions`), ``raw`` (:class:`~dicomconv.inputs.raw.RawOptions`: what
    ``-i RAW`` input is)."""

    _fields = {"input_format": "auto", "jpeg": JpegOptions(), "dataset": DatasetOptions(), "raw": RawOptions()}
    __slots__ = tuple(_fields)


_DEFAULT_OPTIONS = Img2DcmOptions()


class Conversion:
    """What a conversion produced: the chunks of the output file and what was decided."""

    __slots__ = ("chunks", "sop_class_uid", "transfer_syntax", "photometric", "notes")

    def __init__(self, chunks: list, sop_class_uid: str, transfer_syntax: str, photometric: str,
                 notes: list[str]) -> None:
        self.chunks = chunks
        self.sop_class_uid = sop_class_uid
        self.transfer_syntax = transfer_syntax
        self.photometric = photometric
        self.notes = notes


JP2_SIGNATURE = b"\x00\x00\x00\x0cjP  \r\n\x87\n"   # ISO 15444-1 I.5.1 signature box


def detect_format(data: bytes | bytearray | memoryview) -> str | None:
    """The input format from the file's magic bytes: "JPEG" (which may turn out to be JPEG-LS,
    see :func:`read_image`), "J2K", "JP2", "BMP", "PNG", "TIFF", "PNM", or None."""
    head = bytes(data[:12])
    if head[:2] == b"\xff\xd8":
        return "JPEG"
    if head[:4] == b"\xff\x4f\xff\x51":       # SOC then SIZ: a JPEG 2000 codestream
        return "J2K"
    if head == JP2_SIGNATURE:
        return "JP2"
    if head[:2] == b"BM":
        return "BMP"
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if head[:4] in (b"II*\0", b"MM\0*", b"II+\0", b"MM\0+"):   # classic TIFF and BigTIFF
        return "TIFF"
    if head[:1] == b"P":
        from .inputs.pnm import is_pnm

        if is_pnm(head):        # P4/P5/P6 are read; P1-P3 (plain) and P7 (PAM) are refused by the reader
            return "PNM"
    return None


def read_image(data: bytes | bytearray | memoryview, options: Img2DcmOptions) -> ImageSource:
    """Read an input image into an :class:`ImageSource`: the format comes from the magic bytes,
    or from ``options.input_format`` when that is not "auto" (img2dcm's ``-i``)."""
    fmt = options.input_format.upper()
    if fmt == "AUTO":
        fmt = detect_format(data) or ""
        if not fmt:
            raise InputError(f"not a supported image file (not JPEG, JPEG-LS, JPEG 2000, BMP, PNG, TIFF or PNM; "
                             f"first bytes "
                             f"{bytes(data[:4]).hex(' ')})" if len(data) else "empty file")
    if fmt in ("JPEG", "JPG"):
        try:
            return read_jpeg(data, options.jpeg)
        except InputError:
            # JPEG-LS (ISO 14495-1) starts with SOI too; the JPEG scanner refuses it (SOF55 is no
            # JPEG frame header), so only then is the stream sniffed
            from ._native.codestreams import sniff

            if sniff(data) != "JPEG-LS":
                raise
        fmt = "JPEG-LS"
    if fmt in ("JPEG-LS", "JLS"):
        from .inputs.jpegls import read_jpegls

        return read_jpegls(data, keep_appn=options.jpeg.keep_appn)
    if fmt in ("J2K", "J2C", "JP2", "JPH", "JPEG2000", "HTJ2K"):
        from .inputs.j2k import read_j2k

        return read_j2k(data)
    if fmt == "BMP":
        from .inputs.bmp import read_bmp

        return read_bmp(data)
    if fmt == "PNG":
        from .inputs.pillow import read_png

        return read_png(data)
    if fmt in ("TIFF", "TIF"):
        from .inputs.pillow import read_tiff

        return read_tiff(data)
    if fmt in ("PNM", "PGM", "PPM", "PBM"):
        from .inputs.pnm import read_pnm

        return read_pnm(data)
    if fmt == "RAW":
        from .inputs.raw import read_raw_options

        return read_raw_options(data, options.raw)
    raise UnsupportedInputError(f"input format {options.input_format!r} is not supported "
                                f"(JPEG, JPEG-LS, J2K, JP2, BMP, PNG, TIFF, PNM, RAW)")


def encode(source: ImageSource, options: Img2DcmOptions) -> Conversion:
    """The DICOM Part 10 file for ``source`` as a list of chunks (the pixel chunks are views of
    the input, not copies)."""
    template = dataset_template(source, options.dataset)
    sop_instance, body = template.encode(source)
    meta = writer.file_meta(template.sop_class, sop_instance, source.transfer_syntax,
                            IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME)
    if source.transfer_syntax in NATIVE_TRANSFER_SYNTAXES:
        pixels = writer.native_pixel_data(source.frames, source.bits_allocated)
    else:
        pixels = writer.encapsulated_pixel_data(source.frames)
    return Conversion([meta, *body, *pixels], template.sop_class, source.transfer_syntax, source.photometric,
                      source.notes)


def jpeg_to_dicom(data: bytes | bytearray | memoryview, options: Img2DcmOptions | None = None) -> bytes:
    """JPEG file bytes → DICOM Part 10 file bytes (the JPEG stream is stored, not re-encoded).

    Raises :class:`~dicomconv.errors.DicomconvError` (``InputError``, ``UnsupportedInputError``,
    ``AttributeValueError``) with a one-line message.
    """
    options = options or _DEFAULT_OPTIONS
    return b"".join(encode(read_image(data, options), options).chunks)


def convert_bytes(data: bytes | bytearray | memoryview, options: Img2DcmOptions | None = None) -> bytes:
    """Image file bytes → DICOM Part 10 file bytes: the in-memory counterpart of
    :func:`convert_file` (the same as :func:`jpeg_to_dicom`, under the name every converter's
    module uses; see :mod:`dicomconv.batch`)."""
    return jpeg_to_dicom(data, options)


def convert_file(src: str | os.PathLike, dst: str | os.PathLike,
                 options: Img2DcmOptions | None = None) -> Conversion:
    """Convert the image file ``src`` into the DICOM file ``dst``, atomically.

    Errors are raised as :class:`~dicomconv.errors.DicomconvError` whose message starts with
    the file name; no output file is left behind on failure.
    """
    from .fileio import is_same_file, read_input_stat, write_atomic

    options = options or _DEFAULT_OPTIONS
    fmt = options.input_format.upper()
    try:
        if fmt == "BMP" or (fmt == "AUTO" and os.fspath(src)[-4:].lower() == ".bmp"):
            # BMP files are memory-mapped: the unpacker reads the pixels from the page cache
            from .inputs.bmp import read_bmp_file

            st = os.stat(src)
            if is_same_file(st, dst):
                raise OutputError(f"{os.fspath(dst)}: is the input file; refusing to overwrite it")
            source = read_bmp_file(src)
        else:
            data, st = read_input_stat(src)
            if is_same_file(st, dst):
                raise OutputError(f"{os.fspath(dst)}: is the input file; refusing to overwrite it")
            source = read_image(data, options)
        result = encode(source, options)
    except OutputError:
        raise
    except OSError as exc:
        raise InputError(f"{os.fspath(src)}: cannot read: {exc.strerror or exc}") from None
    except DicomconvError as exc:
        message = str(exc)
        if message.startswith(os.fspath(src)):
            raise
        raise type(exc)(f"{os.fspath(src)}: {message}") from None
    write_atomic(dst, result.chunks)
    return result
