"""BMP (Windows / OS/2 bitmap) → ImageSource with native pixel data.

The native unpacker (``dicomconv._native.bmp``) reads every header variant (OS/2 1.x and 2.x,
BITMAPINFOHEADER and V2-V5), 1/2/4/8-bit palettes (uncompressed, RLE4, RLE8), 16/24/32-bit
pixels with default or explicit colour masks, and top-down or bottom-up rows; it produces 8-bit
samples, rows top-down, interleaved (PS3.5 8.1.1; Planar Configuration 0), exactly as Pillow
decodes the file. Palette images whose every entry is grey become MONOCHROME2 (one sample), the
rest RGB (PS3.3 C.7.6.3.1.2); alpha is dropped.
"""
from __future__ import annotations

import os

from .._native import bmp as _bmp
from ..errors import InputError, UnsupportedInputError
from ..source import ImageSource

EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1"


def read_bmp(data: bytes | bytearray | memoryview) -> ImageSource:
    """Unpack a BMP file into native 8-bit pixel data for DICOM.

    Raises :class:`InputError` for malformed or truncated files and
    :class:`UnsupportedInputError` for valid BMPs we do not read (embedded JPEG/PNG, OS/2
    Huffman/RLE24, CMYK, 64-bit) or that DICOM cannot hold (more than 65535 rows or columns).
    """
    try:
        header = _bmp.read_header(data)
        pixels, samples, unwritten = _bmp.unpack(data)
    except _bmp.BmpUnsupportedError as exc:
        raise UnsupportedInputError(str(exc)) from None
    except _bmp.BmpError as exc:
        raise InputError(str(exc)) from None

    notes = _notes(header, samples, unwritten)
    icc = header["icc_profile"]
    if icc is not None and samples != 3:
        notes.append("the embedded ICC profile was not stored: the image is stored as MONOCHROME2")
        icc = None
    return ImageSource(
        frames=[[pixels]],
        transfer_syntax=EXPLICIT_VR_LITTLE_ENDIAN,
        rows=header["height"],
        columns=header["width"],
        samples_per_pixel=samples,
        photometric="MONOCHROME2" if samples == 1 else "RGB",
        bits_allocated=8,
        bits_stored=8,
        icc_profile=icc,
        notes=notes,
    )


def read_bmp_file(path: str | os.PathLike) -> ImageSource:
    """:func:`read_bmp` on a file, memory-mapped rather than read: the unpacker reads the pixels
    straight from the page cache, which saves copying the file into a new buffer (about a fifth
    of the conversion time for a 144 MB BMP). The result holds no reference to the mapping.

    Raises :class:`InputError` naming the file if it cannot be opened or read; decoding errors
    are raised as :func:`read_bmp` raises them (without the file name).
    """
    import mmap

    try:
        with open(path, "rb") as fh:
            try:
                mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
            except (ValueError, OSError):       # empty file, or a file that cannot be mapped
                return read_bmp(fh.read())
    except IsADirectoryError:
        raise InputError(f"{os.fspath(path)}: is a directory, not a file") from None
    except OSError as exc:
        raise InputError(f"{os.fspath(path)}: cannot read: {exc.strerror or exc}") from None
    try:
        return read_bmp(mapped)
    finally:
        mapped.close()


def _notes(h: dict, samples: int, unwritten: int) -> list[str]:
    notes = [f"BMP {h['header_name']}, {h['width']} x {h['height']}, {h['bits']} bits per pixel, "
             f"{h['compression_name']}{', top-down' if h['top_down'] else ''}"]
    if h["palette"] is not None:
        what = "grey: stored as MONOCHROME2" if samples == 1 else "expanded to RGB"
        notes.append(f"palette of {h['palette_entries']} entries, {what}")
        declared = h["colors_declared"]
        if declared and declared != h["palette_entries"]:
            notes.append(f"the header declares {declared} palette entries; {h['palette_entries']} were used")
        if unwritten:
            notes.append(f"{unwritten} pixels skipped by the RLE stream (delta, end-of-line or "
                         "end-of-bitmap codes) were given palette index 0")
    else:
        mask_bits = h["mask_bits"]
        if h["masks_defaulted"]:
            notes.append("the bitfield masks are all zero: the default layout was used")
        if mask_bits[:3] != (8, 8, 8):
            notes.append("channels of {}-{}-{} bits scaled to 8 bits (v * 255 / max)".format(*mask_bits[:3]))
        if h["has_alpha"]:
            notes.append(f"the alpha channel (mask 0x{h['masks'][3]:08X}) was dropped")
    if h["planes"] != 1:
        notes.append(f"the header gives {h['planes']} colour planes instead of 1 (ignored)")
    if h["icc_note"]:
        notes.append(h["icc_note"])
    elif h["icc_profile"] is not None:
        notes.append(f"embedded ICC profile of {len(h['icc_profile'])} bytes")
    return notes
