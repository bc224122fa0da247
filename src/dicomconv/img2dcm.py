"""Image → DICOM: the API behind ``dicomconv img2dcm``.

``jpeg_to_dicom`` turns JPEG bytes into DICOM Part 10 bytes; ``convert_file`` does path → path,
writing atomically. The JPEG path imports neither pydicom nor numpy.
"""
from __future__ import annotations

import os
from . import writer
from .errors import AttributeValueError, DicomconvError, InputError, OutputError, UnsupportedInputError
from .inputs.jpeg import JpegOptions, read_jpeg
from .iod import DatasetOptions, build_elements
from .options import Options
from .source import ImageSource
from .uids import IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME

#: Native transfer syntaxes the writer can produce (PS3.5 A.2): Explicit VR Little Endian.
NATIVE_TRANSFER_SYNTAXES = frozenset({"1.2.840.10008.1.2.1"})

# Python codec for a Specific Character Set value (PS3.3 C.12.1.1.2); single-byte sets only here.
_CHARSETS = {"": "ascii", "ISO_IR 6": "ascii", "ISO_IR 100": "iso8859-1", "ISO_IR 101": "iso8859-2",
             "ISO_IR 109": "iso8859-3", "ISO_IR 110": "iso8859-4", "ISO_IR 144": "iso8859-5",
             "ISO_IR 127": "iso8859-6", "ISO_IR 126": "iso8859-7", "ISO_IR 138": "iso8859-8",
             "ISO_IR 148": "iso8859-9", "ISO_IR 203": "iso8859-15", "ISO_IR 166": "tis-620",
             "ISO_IR 192": "utf-8"}


class Img2DcmOptions(Options):
    """Everything ``img2dcm`` can be told; the defaults are img2dcm's: ``input_format`` (-i, only
    "JPEG" so far), ``jpeg`` (:class:`JpegOptions`), ``dataset`` (:class:`DatasetOptions`)."""

    _fields = {"input_format": "JPEG", "jpeg": JpegOptions(), "dataset": DatasetOptions()}
    __slots__ = tuple(_fields)


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


def read_image(data: bytes | bytearray | memoryview, options: Img2DcmOptions) -> ImageSource:
    """Read an input image (only JPEG so far) into an :class:`ImageSource`."""
    fmt = options.input_format.upper()
    if fmt in ("JPEG", "JPG"):
        return read_jpeg(data, options.jpeg)
    raise UnsupportedInputError(f"input format {options.input_format!r} is not supported (JPEG is)")


def encode(source: ImageSource, options: Img2DcmOptions) -> Conversion:
    """The DICOM Part 10 file for ``source`` as a list of chunks (the pixel chunks are views of
    the input, not copies)."""
    sop_class, elements = build_elements(source, options.dataset)
    charset = elements.get(0x00080005, ("CS", ""))[1]
    charset = charset.split("\\")[0] if isinstance(charset, str) else ""
    encoding = _CHARSETS.get(charset)
    if encoding is None:
        raise AttributeValueError(f"Specific Character Set {charset!r} is not supported yet")
    sop_instance = elements[0x00080018][1]
    try:
        body = writer.encode_dataset(elements, encoding)
    except UnicodeEncodeError:
        bad = _first_unencodable(elements, encoding)
        raise AttributeValueError(
            f"{bad}: value cannot be encoded in the character set {charset or 'ISO_IR 6 (ASCII)'}") from None
    meta = writer.file_meta(sop_class, sop_instance, source.transfer_syntax,
                            IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME)
    if source.transfer_syntax in NATIVE_TRANSFER_SYNTAXES:
        pixels = writer.native_pixel_data(source.frames, source.bits_allocated)
    else:
        pixels = writer.encapsulated_pixel_data(source.frames)
    chunks = [meta, body, *pixels]
    return Conversion(chunks, sop_class, source.transfer_syntax, source.photometric, source.notes)


def _first_unencodable(elements: dict, encoding: str) -> str:
    from .dictionary import keyword_of

    for tag, (vr, value) in sorted(elements.items()):
        if isinstance(value, str):
            try:
                value.encode(encoding)
            except UnicodeEncodeError:
                return keyword_of(tag)
    return "an attribute"


def jpeg_to_dicom(data: bytes | bytearray | memoryview, options: Img2DcmOptions | None = None) -> bytes:
    """JPEG file bytes → DICOM Part 10 file bytes (the JPEG stream is stored, not re-encoded).

    Raises :class:`~dicomconv.errors.DicomconvError` (``InputError``, ``UnsupportedInputError``,
    ``AttributeValueError``) with a one-line message.
    """
    options = options or Img2DcmOptions()
    return b"".join(encode(read_image(data, options), options).chunks)


def convert_file(src: str | os.PathLike, dst: str | os.PathLike,
                 options: Img2DcmOptions | None = None) -> Conversion:
    """Convert the image file ``src`` into the DICOM file ``dst``, atomically.

    Errors are raised as :class:`~dicomconv.errors.DicomconvError` whose message starts with
    the file name; no output file is left behind on failure.
    """
    from .fileio import read_input, write_atomic

    options = options or Img2DcmOptions()
    if os.path.exists(dst) and os.path.exists(src) and os.path.samefile(src, dst):
        raise OutputError(f"{os.fspath(dst)}: is the input file; refusing to overwrite it")
    data = read_input(src)
    try:
        result = encode(read_image(data, options), options)
    except DicomconvError as exc:
        raise type(exc)(f"{os.fspath(src)}: {exc}") from None
    write_atomic(dst, result.chunks)
    return result
