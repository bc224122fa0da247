"""Binary Netpbm images (PGM ``P5``, PPM ``P6``, PBM ``P4``) → ImageSource with native pixel data.

The header is parsed here (magic, whitespace- and comment-separated width, height and, except for
PBM, maxval, then exactly one whitespace byte; netpbm's pgm(5), ppm(5), pbm(5)):

- P5 / P6 with maxval ≤ 255: 8-bit samples, stored as they are (Bits Stored 8);
- P5 / P6 with maxval 256..65535: 16-bit big-endian samples, byte-swapped to little endian
  (PS3.5 A.2), Bits Allocated 16, Bits Stored = the bit length of maxval;
- P4: 1-bit, rows padded to whole bytes, 1 = black: stored as MONOCHROME2 8-bit, black 0,
  white 255.

Samples are never rescaled: a maxval that is not 255 / 2^n - 1 is noted. A sample larger than
maxval is an error. A file may hold several images of the same size, kind and maxval (netpbm
allows a stream of images): they become the frames of a multi-frame image. The plain (ASCII)
formats P1-P3 and PAM (P7) are refused clearly.

8-bit frames are views of the input (no copy). Only the standard library is used.
"""
from __future__ import annotations

from array import array
import sys

from ..errors import InputError, UnsupportedInputError
from ..source import ImageSource

EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1"
MAX_DIMENSION = 0xFFFF

WHITESPACE = b" \t\n\r\v\f"
_DIGITS = b"0123456789"
_KINDS = {b"P4": "PBM", b"P5": "PGM", b"P6": "PPM"}
_PLAIN = {b"P1": "plain (ASCII) PBM", b"P2": "plain (ASCII) PGM", b"P3": "plain (ASCII) PPM", b"P7": "PAM"}

# P4: byte → the 8 MONOCHROME2 pixels it packs (most significant bit first; bit 1 = black = 0)
_PBM_EXPAND = [bytes(0 if (b >> (7 - i)) & 1 else 255 for i in range(8)) for b in range(256)]


def is_pnm(data: bytes | bytearray | memoryview) -> bool:
    """True if ``data`` starts like a Netpbm file: "P1".."P7" and a whitespace or comment byte."""
    head = bytes(data[:3])
    return (len(head) == 3 and head[0] == 0x50 and 0x31 <= head[1] <= 0x37
            and (head[2] in WHITESPACE or head[2] == 0x23))


def read_pnm(data: bytes | bytearray | memoryview) -> ImageSource:
    """Read a binary PGM/PPM/PBM file (one image, or several alike as frames).

    Raises :class:`InputError` for a malformed header, zero size, truncated raster or samples
    above maxval, and :class:`UnsupportedInputError` for the plain formats, PAM, or images larger
    than DICOM allows.
    """
    view = memoryview(data).cast("B")
    magic, width, height, maxval, pos = _header(view, 0, 1)
    kind = _KINDS[magic]
    samples = 3 if magic == b"P6" else 1
    if magic == b"P4":
        row_bytes = (width + 7) // 8
        size = row_bytes * height
        bits = 1
    else:
        bits = 8 if maxval <= 255 else 16
        size = width * height * samples * (bits // 8)

    frames: list[list] = []
    notes = [f"{kind} ({magic.decode()}), {width} x {height}"
             + (f", maxval {maxval}" if magic != b"P4" else "")]
    index = 1
    while True:
        raster = view[pos:pos + size]
        if len(raster) < size:
            where = f"image {index}: " if index > 1 else ""
            raise InputError(f"{kind}: {where}raster truncated: {len(raster)} of {size} bytes")
        frames.append([_frame(raster, magic, width, height, maxval, bits, kind, index)])
        pos += size
        following = pos
        while following < len(view) and view[following] in WHITESPACE:
            following += 1
        if following == len(view):      # nothing, or only whitespace, after the image
            break
        if not is_pnm(view[following:]):
            notes.append(f"{len(view) - pos} bytes after the image were ignored")
            break
        pos = following
        index += 1
        magic2, width2, height2, maxval2, start = _header(view, pos, index)
        if (magic2, width2, height2, maxval2) != (magic, width, height, maxval):
            raise UnsupportedInputError(
                f"{kind}: image {index} of the file ({magic2.decode()}, {width2} x {height2}, maxval {maxval2}) "
                f"differs from image 1 ({magic.decode()}, {width} x {height}, maxval {maxval}); only images "
                f"alike can be stored as the frames of one DICOM image")
        pos = start
    if len(frames) > 1:
        notes.append(f"{len(frames)} images in the file: stored as {len(frames)} frames")

    if magic == b"P4":
        notes.append("1-bit PBM: stored as MONOCHROME2 8-bit (black 0, white 255)")
        bits_stored = 8
    elif bits == 8:
        bits_stored = 8
        if maxval != 255:
            notes.append(f"maxval {maxval}: samples stored as they are (not scaled to 255), Bits Stored 8")
    else:
        bits_stored = maxval.bit_length()
        notes.append("big-endian 16-bit samples byte-swapped to little endian")
        if maxval != (1 << bits_stored) - 1:
            notes.append(f"maxval {maxval}: samples stored as they are, Bits Stored {bits_stored}")
    return ImageSource(
        frames=frames,
        transfer_syntax=EXPLICIT_VR_LITTLE_ENDIAN,
        rows=height,
        columns=width,
        samples_per_pixel=samples,
        photometric="RGB" if samples == 3 else "MONOCHROME2",
        bits_allocated=16 if bits == 16 else 8,
        bits_stored=bits_stored,
        notes=notes,
    )


def _frame(raster: memoryview, magic: bytes, width: int, height: int, maxval: int, bits: int, kind: str,
           index: int):
    """One frame's pixel bytes (little endian, MONOCHROME2 8-bit for PBM)."""
    if magic == b"P4":
        row_bytes = (width + 7) // 8
        expanded = b"".join(map(_PBM_EXPAND.__getitem__, raster))
        if width == row_bytes * 8:
            return expanded
        stride = row_bytes * 8
        return b"".join(expanded[r * stride:r * stride + width] for r in range(height))
    if bits == 8:
        if maxval < 255:
            _check_max(max(raster), maxval, kind, index)
        return raster
    words = array("H")
    words.frombytes(raster)
    if sys.byteorder == "big" and maxval < 0xFFFF:
        _check_max(max(words), maxval, kind, index)
    words.byteswap()
    if sys.byteorder == "little" and maxval < 0xFFFF:
        _check_max(max(words), maxval, kind, index)
    return memoryview(words).cast("B")


def _check_max(largest: int, maxval: int, kind: str, index: int) -> None:
    if largest > maxval:
        where = f"image {index}: " if index > 1 else ""
        raise InputError(f"{kind}: {where}sample value {largest} exceeds maxval {maxval}")


def _header(view: memoryview, pos: int, index: int) -> tuple[bytes, int, int, int, int]:
    """(magic, width, height, maxval (1 for PBM), offset of the raster) of the image at ``pos``."""
    end = len(view)
    where = f"image {index}: " if index > 1 else ""
    magic = bytes(view[pos:pos + 2])
    if magic in _PLAIN:
        raise UnsupportedInputError(f"{_PLAIN[magic]} ({magic.decode()}) files are not supported; "
                                    f"only binary PBM (P4), PGM (P5) and PPM (P6)")
    if magic not in _KINDS:
        raise InputError(f"not a binary PNM file: {where}starts with {magic!r} instead of P4, P5 or P6")
    kind = _KINDS[magic]
    names = ("width", "height") if magic == b"P4" else ("width", "height", "maxval")
    pos += 2
    values = []
    for name in names:
        # whitespace and comments before every value (a comment runs to the end of its line)
        separated = False
        while pos < end:
            c = view[pos]
            if c in WHITESPACE:
                pos += 1
                separated = True
            elif c == 0x23:  # '#'
                while pos < end and view[pos] not in b"\n\r":
                    pos += 1
                separated = True
            else:
                break
        if pos >= end:
            raise InputError(f"{kind}: {where}header truncated before the {name}")
        if not separated:
            raise InputError(f"{kind}: {where}bad header: no whitespace before the {name} (byte {pos})")
        start = pos
        while pos < end and view[pos] in _DIGITS and pos - start <= 10:
            pos += 1
        if pos == start:
            raise InputError(f"{kind}: {where}bad header: the {name} is not a number "
                             f"(found {bytes(view[pos:pos + 1])!r} at byte {pos})")
        if pos - start > 10:
            raise InputError(f"{kind}: {where}bad header: the {name} is too large")
        values.append(int(bytes(view[start:pos])))
        if pos < end and view[pos] not in WHITESPACE and view[pos] != 0x23:
            raise InputError(f"{kind}: {where}bad header: unexpected {bytes(view[pos:pos + 1])!r} after the "
                             f"{name} (byte {pos})")
    # exactly one whitespace byte ends the header
    if pos >= end:
        raise InputError(f"{kind}: {where}no raster after the header")
    if view[pos] not in WHITESPACE:
        raise InputError(f"{kind}: {where}bad header: the {names[-1]} must be followed by one whitespace byte")
    pos += 1
    width, height = values[0], values[1]
    maxval = values[2] if len(values) > 2 else 1
    if width < 1 or height < 1:
        raise InputError(f"{kind}: {where}zero size ({width} x {height})")
    if width > MAX_DIMENSION or height > MAX_DIMENSION:
        raise UnsupportedInputError(f"{kind}: {width} x {height} is larger than DICOM allows "
                                    f"({MAX_DIMENSION} rows or columns)")
    if not 1 <= maxval <= 0xFFFF:
        raise InputError(f"{kind}: {where}maxval {maxval} is outside 1..65535")
    return magic, width, height, maxval, pos
