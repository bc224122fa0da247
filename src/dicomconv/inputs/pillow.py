"""PNG and TIFF → ImageSource with native pixel data, decoded by Pillow (an optional dependency,
imported only when such a file is read).

What each Pillow mode becomes (PS3.3 C.7.6.3; little-endian samples, Planar Configuration 0):

- ``L`` → MONOCHROME2 8-bit; ``1`` (1-bit) → MONOCHROME2 8-bit, 0 / 255; 2- and 4-bit grey
  PNGs come out of Pillow scaled to 8 bits;
- ``I;16``, ``I;16B`` (and the other 16-bit grey modes) → MONOCHROME2 16-bit; a TIFF's
  BitsPerSample of 9-15 (e.g. 12) gives Bits Stored; a WhiteIsZero 16-bit TIFF (which Pillow
  does not invert) → MONOCHROME1; ``I`` (32-bit in Pillow) → 16-bit signed (Pixel Representation
  1) for TIFF SampleFormat 2, else 16-bit if the values fit, else refused;
- ``LA`` → grey, alpha dropped; ``RGBA`` / ``RGBX`` → RGB, alpha dropped (noted);
- ``P`` → MONOCHROME2 8-bit if every palette entry is grey, else RGB (as the BMP reader);
  palette transparency is noted and ignored;
- ``RGB`` → RGB 8-bit;
- 16-bit colour (PNG colour types 2 and 6 at 16 bits, PNG grey + alpha at 16 bits, 48/64-bit
  TIFF): Pillow decodes these to 8 bits per sample (high bytes only), so they are decoded twice
  by Pillow's own decoder with the opposite-endian unpacker, which yields the low bytes, and
  recombined: RGB (or grey) 16-bit, full precision. Only the Secondary Capture class takes 16-bit
  RGB;
- float and 32-bit integer TIFFs, CMYK, YCbCr, LAB are refused clearly.

Multi-page TIFFs become multi-frame images when every page has the same size and pixel format
(reduced-resolution and mask pages, NewSubfileType bits 0 and 2, are skipped); otherwise they
are refused (no page is dropped silently). An animated PNG stores its default image, noted.
"""
from __future__ import annotations

import io
import sys
import warnings

from ..errors import DicomconvError, InputError, UnsupportedInputError
from ..source import ImageSource

EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1"
MAX_DIMENSION = 0xFFFF

# TIFF tags
_NEW_SUBFILE_TYPE, _PHOTOMETRIC, _BITS_PER_SAMPLE, _SAMPLE_FORMAT, _ORIENTATION = 254, 262, 258, 339, 274


def read_png(data: bytes | bytearray | memoryview) -> ImageSource:
    """Decode a PNG file (see the module documentation for what each kind becomes)."""
    return read_with_pillow(data, "PNG")


def read_tiff(data: bytes | bytearray | memoryview) -> ImageSource:
    """Decode a TIFF file, every page (see the module documentation)."""
    return read_with_pillow(data, "TIFF")


def _pillow(fmt: str):
    try:
        from PIL import Image
    except ImportError:
        raise UnsupportedInputError(f"{fmt} input needs Pillow: pip install Pillow") from None
    return Image


def read_with_pillow(data: bytes | bytearray | memoryview, fmt: str) -> ImageSource:
    """Decode ``data`` as ``fmt`` ("PNG" or "TIFF") with Pillow.

    Raises :class:`InputError` for files Pillow cannot decode (truncated, corrupt) and
    :class:`UnsupportedInputError` for images we do not store or without Pillow.
    """
    Image = _pillow(fmt)
    data = bytes(data) if not isinstance(data, bytes) else data
    # Pillow warns (UserWarning) about corrupt metadata it skips: those become notes rather than
    # stray warnings on stderr
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        source = _read(Image, data, fmt)
    seen = set()
    for warning in caught:
        message = " ".join(str(warning.message).split())
        if message not in seen:
            seen.add(message)
            source.notes.append(f"Pillow: {message}")
    return source


def _read(Image, data: bytes, fmt: str) -> ImageSource:
    """:func:`read_with_pillow` without the warning capture."""
    def open_image():
        return Image.open(io.BytesIO(data), formats=[fmt])

    im = _call(fmt, open_image)
    try:
        notes: list[str] = []
        n_frames = _call(fmt, getattr, im, "n_frames", 1)   # a TIFF's IFD chain is read here
        count = n_frames if fmt == "TIFF" else 1
        if fmt == "PNG" and n_frames > 1:
            notes.append(f"animated PNG of {n_frames} frames: only the default image was stored")
        pages = _pages_to_store(im, fmt, count)
        skipped = [i + 1 for i in range(count) if i not in pages]
        frames, first = [], None
        icc = None
        for index in pages:
            if im.tell() != index:
                _call(fmt, im.seek, index)
            pixels, desc, page_notes = _page(im, fmt, open_image, index)
            if first is None:
                first = (index, desc)
                notes += page_notes
                icc = im.info.get("icc_profile") or None
            elif desc != first[1]:
                raise UnsupportedInputError(
                    f"TIFF page {index + 1} is {_describe(desc)} but page {first[0] + 1} is "
                    f"{_describe(first[1])}: a multi-page TIFF is converted only when every page has the "
                    f"same size and pixel format")
            frames.append([pixels])
    finally:
        im.close()

    if skipped:
        notes.append(f"TIFF page(s) {', '.join(map(str, skipped))} skipped: reduced-resolution or mask "
                     f"images (NewSubfileType)")
    if len(frames) > 1:
        notes.append(f"{len(frames)} TIFF pages stored as {len(frames)} frames")
    (columns, rows), samples, photometric, bits_allocated, bits_stored, signed = first[1]
    if icc is not None and samples != 3:
        notes.append(f"the embedded ICC profile was not stored: the image is stored as {photometric}")
        icc = None
    elif icc is not None:
        notes.append(f"embedded ICC profile of {len(icc)} bytes")
    return ImageSource(
        frames=frames,
        transfer_syntax=EXPLICIT_VR_LITTLE_ENDIAN,
        rows=rows,
        columns=columns,
        samples_per_pixel=samples,
        photometric=photometric,
        bits_allocated=bits_allocated,
        bits_stored=bits_stored,
        pixel_representation=signed,
        icc_profile=icc,
        notes=notes,
    )


def _pages_to_store(im, fmt: str, count: int) -> list[int]:
    """The pages of a TIFF to store: all but reduced-resolution and mask images (NewSubfileType
    bits 0 and 2; e.g. the thumbnail that TIFF/EP puts first), unless every page is one."""
    if count == 1:
        return [0]
    full = []
    for index in range(count):
        _call(fmt, im.seek, index)
        subfile = im.tag_v2.get(_NEW_SUBFILE_TYPE, 0) if hasattr(im, "tag_v2") else 0
        if not (isinstance(subfile, int) and subfile & 5):
            full.append(index)
    return full or list(range(count))


def _call(fmt: str, fn, *args):
    """``fn(*args)`` with Pillow's exceptions turned into ours."""
    try:
        return fn(*args)
    except DicomconvError:
        raise
    except MemoryError:
        raise UnsupportedInputError(f"{fmt}: the image is too large to decode in memory") from None
    except Exception as exc:  # Pillow raises OSError, SyntaxError, ValueError, EOFError, struct.error...
        from PIL import Image

        if isinstance(exc, Image.DecompressionBombError):
            raise UnsupportedInputError(f"{fmt}: {exc}") from None
        if isinstance(exc, Image.UnidentifiedImageError):
            raise InputError(f"{fmt}: Pillow cannot read this file (corrupt, or a variant of {fmt} it does "
                             f"not support)") from None
        message = " ".join(str(exc).split()) or type(exc).__name__
        raise InputError(f"{fmt}: cannot decode: {message}") from None


def _describe(desc) -> str:
    (w, h), samples, photometric, bits_allocated, bits_stored, signed = desc
    return (f"{w} x {h} {photometric} {bits_stored}/{bits_allocated}-bit"
            f"{' signed' if signed else ''}")


def _rawmode(im) -> str:
    """The rawmode of the image's first tile (how Pillow unpacks the file's samples), or ""."""
    tile = getattr(im, "tile", None)
    if not tile:
        return ""
    args = tile[0][3]
    return args if isinstance(args, str) else args[0] if isinstance(args, tuple) and args else ""


def _page(im, fmt: str, open_image, index: int):
    """(pixel bytes, description, notes) of the current page. The description is
    ``((width, height), samples, photometric, bits_allocated, bits_stored, pixel_representation)``."""
    import numpy as np

    notes: list[str] = []
    mode = im.mode
    width, height = im.size
    if width < 1 or height < 1:
        raise InputError(f"{fmt}: zero size ({width} x {height})")
    if width > MAX_DIMENSION or height > MAX_DIMENSION:
        raise UnsupportedInputError(f"{fmt}: {width} x {height} is larger than DICOM allows "
                                    f"({MAX_DIMENSION} rows or columns)")
    tags = im.tag_v2 if fmt == "TIFF" and hasattr(im, "tag_v2") else {}
    bits_tag = tags.get(_BITS_PER_SAMPLE, 0)
    bits_tag = max(bits_tag) if isinstance(bits_tag, tuple) and bits_tag else bits_tag
    bits_tag = bits_tag if isinstance(bits_tag, int) else 0
    sample_format = tags.get(_SAMPLE_FORMAT, 1)
    sample_format = sample_format[0] if isinstance(sample_format, tuple) and sample_format else sample_format
    if mode == "F" or sample_format == 3:
        raise UnsupportedInputError(f"{fmt}: floating-point samples are not supported (DICOM integer pixel "
                                    f"data would need rescaling)")
    if bits_tag > 16 or mode in ("I;32", "I;32B", "I;32L"):
        raise UnsupportedInputError(f"{fmt}: {bits_tag or 32}-bit samples are not supported (at most 16 bits)")
    if mode in ("CMYK", "YCbCr", "LAB", "HSV"):
        raise UnsupportedInputError(f"{fmt}: {mode} images are not supported (convert them to RGB first)")

    rawmode = _rawmode(im)
    wide = ";16" in rawmode and mode in ("RGB", "RGBA")
    _call(fmt, im.load)
    if "transparency" in im.info:
        notes.append("transparency (tRNS or colour key) ignored")
    if fmt == "PNG" and im.info.get("interlace"):
        notes.append("interlaced (Adam7) PNG")

    samples, photometric, bits_allocated, bits_stored, signed = 1, "MONOCHROME2", 8, 8, 0
    if wide:
        grey = rawmode.startswith("LA;")
        arr = _full_depth(im, fmt, open_image, index, rawmode, grey)
        samples, bits_allocated, bits_stored = (1 if grey else 3), 16, 16
        photometric = "MONOCHROME2" if grey else "RGB"
        if mode == "RGBA":
            notes.append("the alpha channel was dropped")
        notes.append("16-bit " + ("grey + alpha" if grey else "colour") + " samples decoded at full depth")
        pixels = arr.astype("<u2", copy=False).tobytes()
    elif mode == "1":
        pixels = im.convert("L").tobytes()
        notes.append("1-bit image stored as MONOCHROME2 8-bit (0 / 255)")
    elif mode == "L":
        pixels = im.tobytes()
        if sample_format == 2:        # Pillow passes signed 8-bit TIFF samples through as bytes
            signed = 1
            notes.append("signed 8-bit samples")
    elif mode in ("LA", "La"):
        source = im.convert("LA") if mode == "La" else im
        pixels = np.asarray(source)[..., 0].tobytes()
        notes.append("the alpha channel was dropped")
    elif mode in ("P", "PA"):
        samples, photometric, pixels, palette_notes = _palette(im, np)
        notes += palette_notes
    elif mode == "RGB":
        samples, photometric, pixels = 3, "RGB", im.tobytes()
    elif mode in ("RGBA", "RGBX", "RGBa"):
        source = im.convert("RGBA") if mode == "RGBa" else im
        samples, photometric = 3, "RGB"
        pixels = np.asarray(source)[..., :3].tobytes()
        if mode != "RGBX":
            notes.append("the alpha channel was dropped")
    elif mode.startswith("I;16") and not mode.endswith("S"):
        arr = np.asarray(im)
        if arr.dtype.kind != "u" or arr.dtype.itemsize != 2:
            raise UnsupportedInputError(f"{fmt}: Pillow mode {mode} is not supported")
        bits_allocated = bits_stored = 16
        if 8 < bits_tag < 16 and int(arr.max(initial=0)) < (1 << bits_tag):
            bits_stored = bits_tag
        pixels = arr.astype("<u2", copy=False).tobytes()
        if mode != "I;16":
            notes.append(f"16-bit samples ({mode}) stored little endian")
    elif mode in ("I", "I;16S", "I;16BS", "I;16LS", "I;16NS"):
        arr = np.asarray(im)
        low, high = (int(arr.min()), int(arr.max())) if arr.size else (0, 0)
        bits_allocated = bits_stored = 16
        if sample_format == 2 or mode.endswith("S"):
            signed = 1
        elif 0 <= low and high <= 0xFFFF:
            signed = 0
        elif -0x8000 <= low and high <= 0x7FFF:
            signed = 1
        else:
            raise UnsupportedInputError(f"{fmt}: 32-bit integer samples ({low}..{high}) do not fit 16 bits")
        if signed:
            if not -0x8000 <= low <= high <= 0x7FFF:
                raise UnsupportedInputError(f"{fmt}: signed samples ({low}..{high}) do not fit 16 bits")
            pixels = arr.astype("<i2").tobytes()
        else:
            pixels = arr.astype("<u2").tobytes()
        if 8 < bits_tag < 16:
            limit = 1 << (bits_tag - 1) if signed else 1 << bits_tag
            if (-limit if signed else 0) <= low and high < limit:
                bits_stored = bits_tag
        notes.append(f"{'signed' if signed else 'unsigned'} {bits_stored}-bit samples")
    else:
        raise UnsupportedInputError(f"{fmt}: Pillow mode {mode} is not supported")

    if samples == 1 and bits_allocated == 16 and tags.get(_PHOTOMETRIC) == 0:
        # Pillow inverts 1- and 8-bit WhiteIsZero TIFFs, not 16-bit ones: say what the values mean
        photometric = "MONOCHROME1"
        notes.append("WhiteIsZero TIFF: stored as MONOCHROME1")
    if fmt == "TIFF" and tags.get(_ORIENTATION, 1) not in (1, None):
        notes.append(f"TIFF Orientation {tags.get(_ORIENTATION)} was not applied: rows stored in file order")
    return pixels, ((width, height), samples, photometric, bits_allocated, bits_stored, signed), notes


def _palette(im, np):
    """(samples, photometric, pixel bytes, notes) of a palette image."""
    notes = []
    index = np.asarray(im)
    if index.ndim == 3:           # PA: index and alpha
        index = index[..., 0]
        notes.append("the alpha channel was dropped")
    palette = im.getpalette() or []
    entries = len(palette) // 3
    lut = np.zeros((256, 3), np.uint8)
    lut[:entries] = np.asarray(palette[:entries * 3], np.uint8).reshape(-1, 3)
    if index.size and int(index.max()) >= entries:
        notes.append(f"pixel indices beyond the {entries}-entry palette were given black")
    used = lut[:max(entries, 1)]
    if entries and (used[:, 0] == used[:, 1]).all() and (used[:, 1] == used[:, 2]).all():
        notes.append(f"palette of {entries} entries, grey: stored as MONOCHROME2")
        return 1, "MONOCHROME2", lut[:, 0][index].tobytes(), notes
    notes.append(f"palette of {entries} entries, expanded to RGB")
    return 3, "RGB", lut[index].tobytes(), notes


def _full_depth(im, fmt: str, open_image, index: int, rawmode: str, grey: bool):
    """The samples of a 16-bit colour (or 16-bit grey + alpha) image at full depth, as a uint16
    array (rows, columns[, 3]).

    Pillow unpacks these to 8 bits, keeping the high byte of each sample. The file is decoded a
    second time by the same decoder (same decompression, unfiltering and interlacing) with only
    the unpacker changed: for colour, the opposite-endian 16-bit unpacker, which keeps the low
    byte; for PNG grey + alpha, the 8-bit "RGBA" unpacker, which keeps both bytes of grey and
    alpha. ``im`` has been loaded (the high bytes)."""
    import numpy as np

    if grey:
        replacement = "RGBA"
    else:
        base, _, order = rawmode.partition(";16")
        order = order[:1]
        if order == "N":
            order = "L" if sys.byteorder == "little" else "B"
        if order not in ("L", "B"):
            raise UnsupportedInputError(f"{fmt}: 16-bit colour samples ({rawmode}) are not supported")
        replacement = f"{base};16{'B' if order == 'L' else 'L'}"

    def decode_again():
        other = open_image()
        try:
            if index:
                other.seek(index)
            tiles = []
            for tile in other.tile:
                args = tile[3]
                args = replacement if isinstance(args, str) else (replacement, *args[1:])
                tiles.append(tile._replace(args=args) if hasattr(tile, "_replace") else (*tile[:3], args))
            other.tile = tiles
            other.load()
            return np.asarray(other)
        finally:
            other.close()

    try:
        second = decode_again()
    except DicomconvError:
        raise
    except Exception as exc:
        raise UnsupportedInputError(f"{fmt}: 16-bit colour samples cannot be decoded at full depth with this "
                                    f"Pillow ({' '.join(str(exc).split())}); convert the image to 8 bits per "
                                    f"sample, or to 16-bit grey") from None
    if grey:
        return (second[..., 0].astype(np.uint16) << 8) | second[..., 1]
    high = np.asarray(im)[..., :3].astype(np.uint16)
    return (high << 8) | second[..., :3]
