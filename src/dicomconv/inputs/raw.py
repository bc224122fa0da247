"""Raw (headerless) pixel data → ImageSource, as gdcmimg reads it: the caller says what the bytes
are (``--size W,H --depth 8|16 --spp 1|3 --endian LSB|MSB --sign --offset N``).

Samples are interleaved (R G B R G B ...; PS3.3 C.7.6.3.1.3 Planar Configuration 0), rows top
down. 8-bit and little-endian 16-bit frames are views of the input (no copy); big-endian 16-bit
samples are byte-swapped to little endian (PS3.5 A.2). After ``offset`` the data must hold a
whole number of frames: one frame, or several, which become a multi-frame image.

Only the standard library is used (no numpy import on this path).
"""
from __future__ import annotations

from array import array

from ..errors import InputError, UnsupportedInputError
from ..options import Options
from ..source import ImageSource

EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1"
MAX_DIMENSION = 0xFFFF  # Rows and Columns are US (PS3.3 C.7.6.3)


class RawOptions(Options):
    """What raw input is (``-i RAW``): ``width`` and ``height`` (``--size W,H``; required),
    ``depth`` (``--depth``: 8 or 16 bits per sample), ``samples`` (``--spp``: 1 grey, 3 RGB),
    ``endian`` (``--endian``: "LSB" little or "MSB" big endian 16-bit samples), ``signed``
    (``--sign``: two's complement samples), ``offset`` (``--offset``: bytes to skip, e.g. a
    header), ``frames`` (None: as many whole frames as the data holds; a number: exactly that
    many)."""

    _fields = {"width": None, "height": None, "depth": 8, "samples": 1, "endian": "LSB", "signed": False,
               "offset": 0, "frames": None}
    __slots__ = tuple(_fields)


def read_raw(data: bytes | bytearray | memoryview, width: int, height: int, depth: int = 8, samples: int = 1,
             endian: str = "LSB", signed: bool = False, offset: int = 0, frames: int | None = None) -> ImageSource:
    """Describe raw pixel bytes for DICOM.

    ``data[offset:]`` must hold exactly ``frames`` frames of ``width * height * samples`` samples
    of ``depth`` bits, or, with ``frames=None``, a whole number (at least one) of them.

    Raises :class:`InputError` for a size that does not match (naming the sizes) and
    :class:`UnsupportedInputError` for parameters DICOM or this reader cannot take.
    """
    width, height, depth, samples, offset = (_int(width, "width"), _int(height, "height"), _int(depth, "depth"),
                                             _int(samples, "samples per pixel"), _int(offset, "offset"))
    if width < 1 or height < 1:
        raise InputError(f"raw input: the size must be at least 1 x 1, not {width} x {height}")
    if width > MAX_DIMENSION or height > MAX_DIMENSION:
        raise UnsupportedInputError(f"raw input: {width} x {height} is larger than DICOM allows "
                                    f"({MAX_DIMENSION} rows or columns)")
    if depth not in (8, 16):
        raise UnsupportedInputError(f"raw input: depth must be 8 or 16 bits per sample, not {depth}")
    if samples not in (1, 3):
        raise UnsupportedInputError(f"raw input: samples per pixel must be 1 (grey) or 3 (RGB), not {samples}")
    order = str(endian).upper()
    if order in ("LSB", "LITTLE", "LE"):
        big = False
    elif order in ("MSB", "BIG", "BE"):
        big = True
    else:
        raise UnsupportedInputError(f"raw input: endian must be LSB or MSB, not {endian!r}")
    if signed and samples != 1:
        # RGB samples are intensities of the display primaries: a signed RGB image has no
        # defined meaning, and viewers reject or misrender it.
        raise UnsupportedInputError("raw input: signed samples are only supported for grey images (--spp 1)")
    if offset < 0:
        raise InputError(f"raw input: the offset must not be negative ({offset})")

    view = memoryview(data).cast("B")
    total = len(view)
    if offset > total:
        raise InputError(f"raw input: the offset ({offset}) is past the end of the data ({total} bytes)")
    size = total - offset
    frame_size = width * height * samples * (depth // 8)
    what = f"{width} x {height} x {samples} sample(s) of {depth} bits = {frame_size} bytes per frame"
    if frames is not None:
        frames = _int(frames, "frames")
        if frames < 1:
            raise InputError(f"raw input: the number of frames must be at least 1, not {frames}")
        if size != frames * frame_size:
            raise InputError(f"raw input: {size} bytes after offset {offset}, but {frames} frame(s) of {what} "
                             f"need {frames * frame_size}")
        count = frames
    else:
        count, rest = divmod(size, frame_size)
        if count == 0 or rest:
            if count == 0:
                detail = "less than one frame"
            else:
                detail = f"{count} whole frame(s) and {rest} bytes more"
            raise InputError(f"raw input: {size} bytes after offset {offset} is {detail} ({what})")

    notes = [f"raw input, {what}, {count} frame(s)"
             + (f", {'MSB' if big else 'LSB'} first" if depth == 16 else "")
             + (", signed" if signed else "") + (f", {offset} bytes skipped" if offset else "")]
    pixels = view[offset:]
    if depth == 16 and big:
        pixels = swap16(pixels)
        notes.append("big-endian samples byte-swapped to little endian")
    out = [[pixels[i * frame_size:(i + 1) * frame_size]] for i in range(count)]
    return ImageSource(
        frames=out,
        transfer_syntax=EXPLICIT_VR_LITTLE_ENDIAN,
        rows=height,
        columns=width,
        samples_per_pixel=samples,
        photometric="MONOCHROME2" if samples == 1 else "RGB",
        bits_allocated=depth,
        bits_stored=depth,
        pixel_representation=1 if signed else 0,
        notes=notes,
    )


def read_raw_options(data: bytes | bytearray | memoryview, options: RawOptions) -> ImageSource:
    """:func:`read_raw` with the parameters of a :class:`RawOptions` (``-i RAW``)."""
    if options.width is None or options.height is None:
        raise InputError("raw input needs its size (--size W,H)")
    return read_raw(data, options.width, options.height, depth=options.depth, samples=options.samples,
                    endian=options.endian, signed=options.signed, offset=options.offset, frames=options.frames)


def swap16(data: bytes | bytearray | memoryview) -> memoryview:
    """The bytes of ``data`` with every pair swapped (big ↔ little endian 16-bit samples), as a
    new buffer; ``len(data)`` must be even."""
    words = array("H")
    words.frombytes(data)
    words.byteswap()
    return memoryview(words).cast("B")


def _int(value, name: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        return int(value)
    raise InputError(f"raw input: {name} must be a whole number, not {value!r}")
