"""BMP input: the native unpacker (``dicomconv._native.bmp``) and ``read_bmp``.

- the BMP Suite (``shared/corpus/bmp``): every file of ``g/`` decodes as Pillow decodes it, every
  file of ``q/`` and ``b/`` has an expected outcome in a table below (decoded as Pillow / as an
  independent numpy reference where Pillow refuses / refused with a reason); ``b/`` is also run
  in a subprocess so that a crash or hang would show as a failure rather than kill the run;
- BMPs made here (Pillow-written, and hand-built for what Pillow cannot write: 2/4-bit, 16-bit
  and arbitrary masks, every header size, top-down, RLE4/RLE8 with deltas, end-of-line and early
  end-of-bitmap) of odd widths, compared with the pixels they were made from;
- header and RLE fuzzing: never anything but our exception;
- DICOM files through ``img2dcm.encode``: dciodvfy finds no errors, pydicom reads the pixels.
"""
from __future__ import annotations

import io
import json
import os
import random
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from dicomconv._native import bmp as nb
from dicomconv.errors import InputError, UnsupportedInputError
from dicomconv.inputs.bmp import read_bmp

CORPUS = Path(os.environ.get("DICOMCONV_CORPUS") or Path(__file__).resolve().parents[2] / "shared" / "corpus")
BMP_SUITE = CORPUS / "bmp"
EXPLICIT_VR_LE = "1.2.840.10008.1.2.1"

needs_suite = pytest.mark.skipif(not (BMP_SUITE / "g").is_dir(),
                                 reason=f"BMP Suite not found at {BMP_SUITE} (set DICOMCONV_CORPUS)")


# ------------------------------------------------------------------------------ helpers

def ours(data: bytes) -> tuple[np.ndarray, int, dict]:
    """(pixels as (rows, cols, 3) RGB — grey repeated — , samples per pixel, header)."""
    header, pixels, samples, _ = nb.decode(data)
    assert len(pixels) == header["width"] * header["height"] * samples
    arr = np.frombuffer(pixels, np.uint8).reshape(header["height"], header["width"], samples)
    return (np.repeat(arr, 3, axis=2) if samples == 1 else arr), samples, header


def pillow(data: bytes, mode: str = "RGB") -> np.ndarray:
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert(mode))


def ours_like_pillow(data: bytes) -> None:
    """Ours equals Pillow's decode, compared like with like: grey with convert("L"), RGB with
    convert("RGB")."""
    header, pixels, samples, _ = nb.decode(data)
    arr = np.frombuffer(pixels, np.uint8).reshape(header["height"], header["width"], samples)
    if samples == 1:
        np.testing.assert_array_equal(arr[..., 0], pillow(data, "L"))
    else:
        np.testing.assert_array_equal(arr, pillow(data, "RGB"))


def _u32(data: bytes, offset: int) -> int:
    return struct.unpack_from("<I", data, offset)[0]


def rle_reference(data: bytes, start: int, width: int, height: int, rle4: bool) -> np.ndarray:
    """Pillow's BmpRleDecoder loop in plain Python, except that pixels an early end-of-bitmap
    leaves unwritten are index 0 (Pillow refuses such files). Rows in file order."""
    out = bytearray()
    total = width * height
    p, x = start, 0
    while len(out) < total:
        if p + 2 > len(data):
            raise ValueError("truncated")
        n, b = data[p], data[p + 1]
        p += 2
        if n:
            n = max(0, min(n, width - x))
            out += bytes((b >> 4) if i % 2 == 0 else (b & 15) for i in range(n)) if rle4 else bytes([b]) * n
            x += n
        elif b == 0:
            while len(out) % width:
                out.append(0)
            x = 0
        elif b == 1:
            break
        elif b == 2:
            right, up = data[p], data[p + 1]
            p += 2
            out += bytes(min(total - len(out), right + up * width))
            x = len(out) % width
        else:
            count = min(total - len(out), b)
            if rle4:
                chunk = data[p:p + (count + 1) // 2]
                for i, v in enumerate(chunk):
                    out.append(v >> 4)
                    if 2 * i + 1 < count:
                        out.append(v & 15)
            else:
                chunk = data[p:p + count]
                out += chunk
            p += len(chunk)
            if len(out) == total:
                break
            x += b
            if p % 2:
                p += 1
    out += bytes(total - len(out))
    return np.frombuffer(bytes(out), np.uint8).reshape(height, width)


def reference_decode(data: bytes) -> np.ndarray:
    """An independent numpy decoder (no code shared with native/bmp.pyx) for the layouts Pillow
    refuses: 2-bit palettes, any contiguous masks (``v * 255 // (2**n - 1)``, Pillow's formula),
    16-byte OS/2 headers, early end-of-bitmap. Returns (rows, cols, 3) RGB."""
    off, hs = _u32(data, 10), _u32(data, 14)
    if hs == 12:
        w, h, _, bits = struct.unpack_from("<HHHH", data, 18)
        comp = colors = 0
    else:
        w, h, _, bits = struct.unpack_from("<iiHH", data, 18)
        comp, colors = (_u32(data, 30), _u32(data, 46)) if hs >= 40 else (0, 0)
    top_down, h = h < 0, abs(h)
    if bits <= 8:
        entry = 3 if hs == 12 else 4
        n = min(colors or 1 << bits, 1 << bits, (off - 14 - hs) // entry)
        pal = np.zeros((256, 3), np.uint8)
        pal[:n] = np.frombuffer(data, np.uint8, n * entry, 14 + hs).reshape(n, entry)[:, 2::-1]
        if comp in (1, 2):
            idx = rle_reference(data, off, w, h, comp == 2)
        else:
            stride = (w * bits + 31) // 32 * 4
            rows = np.frombuffer(data, np.uint8, stride * h, off).reshape(h, stride)
            bitplanes = np.unpackbits(rows, axis=1)[:, :w * bits].reshape(h, w, bits).astype(np.int64)
            idx = (bitplanes << np.arange(bits - 1, -1, -1)).sum(axis=2)
        rgb = pal[idx]
    else:
        if comp in (3, 6):
            masks = struct.unpack_from("<3I", data, 54)   # in a V2+ header or after a 40-byte one
        else:
            masks = (0x7C00, 0x3E0, 0x1F) if bits == 16 else (0xFF0000, 0xFF00, 0xFF)
        bpp, stride = bits // 8, (w * bits + 31) // 32 * 4
        rows = np.frombuffer(data, np.uint8, stride * h, off).reshape(h, stride)[:, :w * bpp]
        px = (rows.reshape(h, w, bpp).astype(np.uint64) << (8 * np.arange(bpp, dtype=np.uint64))).sum(axis=2)
        channels = []
        for m in masks:
            if m == 0:
                channels.append(np.zeros((h, w), np.uint8))
                continue
            shift = (m & -m).bit_length() - 1
            width = bin(m).count("1")
            v = (px & np.uint64(m)) >> np.uint64(shift)
            channels.append((v * 255 // ((1 << width) - 1)).astype(np.uint8))
        rgb = np.stack(channels, axis=2)
    return rgb if top_down else rgb[::-1]


# ------------------------------------------------------------------------ BMP builders

def pack_rows(pixels: np.ndarray, bits: int) -> list[bytes]:
    """Top-down rows of indices (bits <= 8) or pixel values (16/24/32) → padded stored rows."""
    h, w = pixels.shape
    stride = (w * bits + 31) // 32 * 4
    rows = []
    for r in pixels:
        if bits <= 8:
            bitstr = np.unpackbits(r.astype(np.uint8)[:, None], axis=1)[:, 8 - bits:].ravel()
            packed = np.packbits(bitstr).tobytes()
        else:
            packed = b"".join(int(v).to_bytes(bits // 8, "little") for v in r)
        rows.append(packed.ljust(stride, b"\0"))
    return rows


def build_bmp(w: int, h: int, bits: int, pixel_data: bytes, *, palette=(), header_size: int = 40,
              compression: int = 0, masks=None, top_down: bool = False, colors: int | None = None,
              off_bits: int | None = None, planes: int = 1) -> bytes:
    """A BMP file around ready-made pixel data (rows already in file order)."""
    hs = header_size
    extra = b""
    if hs == 12:
        info = struct.pack("<IHHHH", 12, w, h, planes, bits)
    else:
        info = struct.pack("<IiiHHIIiiII", hs, w, -h if top_down else h, planes, bits, compression,
                           len(pixel_data), 2835, 2835, len(palette) if colors is None else colors, 0)[:hs]
        if masks is not None and hs >= 52:
            info += struct.pack("<3I", *masks[:3])
            if hs >= 56:
                info += struct.pack("<I", masks[3] if len(masks) > 3 else 0)
        elif masks is not None:
            extra = struct.pack(f"<{len(masks)}I", *masks)
        info = info.ljust(hs, b"\0")
    entry = 3 if hs == 12 else 4
    pal = b"".join(bytes((b, g, r)) + b"\0" * (entry - 3) for r, g, b in palette)
    off = 14 + hs + len(extra) + len(pal) if off_bits is None else off_bits
    return (b"BM" + struct.pack("<IHHI", 14 + hs + len(extra) + len(pal) + len(pixel_data), 0, 0, off)
            + info + extra + pal + pixel_data)


def uncompressed_bmp(pixels: np.ndarray, bits: int, top_down: bool = False, **kw) -> bytes:
    rows = pack_rows(pixels, bits)
    h, w = pixels.shape
    return build_bmp(w, h, bits, b"".join(rows if top_down else rows[::-1]), top_down=top_down, **kw)


def scaled(values: np.ndarray, mask: int) -> np.ndarray:
    """What a mask channel becomes: v * 255 // (2**n - 1)."""
    if mask == 0:
        return np.zeros(values.shape, np.uint8)
    width = bin(mask).count("1")
    shift = (mask & -mask).bit_length() - 1
    v = (values.astype(np.int64) & mask) >> shift
    return (v * 255 // ((1 << width) - 1)).astype(np.uint8)


# RLE stream pieces
def run(n: int, value: int) -> bytes:
    return bytes([n, value])


def absolute(values: list[int], rle4: bool = False) -> bytes:
    if rle4:
        nibbles = list(values) + [0] * (len(values) % 2)
        body = bytes((nibbles[i] << 4) | nibbles[i + 1] for i in range(0, len(nibbles), 2))
    else:
        body = bytes(values)
    return bytes([0, len(values)]) + body + b"\0" * (len(body) % 2)


EOL, EOB = b"\0\0", b"\0\1"


def delta(right: int, up: int) -> bytes:
    return bytes([0, 2, right, up])


def rle_encode(idx: np.ndarray, rle4: bool) -> bytes:
    """A plain RLE8/RLE4 encoder (runs of equal indices, absolute runs for the rest), rows
    bottom-up, each ending with end-of-line, then end-of-bitmap."""
    out = bytearray()
    for row in idx[::-1]:
        row, x, w = [int(v) for v in row], 0, len(row)
        while x < w:
            n = 1
            while x + n < w and n < 255 and row[x + n] == row[x]:
                n += 1
            if n >= 3 or w - x < 3:
                out += run(n, row[x] * 17 if rle4 else row[x])
                x += n
                continue
            end = x
            while end < w and end - x < 255 and not (end + 2 < w and row[end] == row[end + 1] == row[end + 2]):
                end += 1
            if end - x < 3:
                out += run(1, row[x] * 17 if rle4 else row[x])
                x += 1
            else:
                out += absolute(row[x:end], rle4)
                x = end
        out += EOL
    return bytes(out + EOB)


def rle_bmp(stream: bytes, w: int, h: int, rle4: bool, palette, top_down: bool = False) -> bytes:
    return build_bmp(w, h, 4 if rle4 else 8, stream, palette=palette, compression=2 if rle4 else 1,
                     top_down=top_down)


def cursor_decode(stream: bytes, w: int, h: int, rle4: bool) -> np.ndarray:
    """The RLE semantics of the format documentation (a cursor; delta moves it), for well-formed
    streams. Rows in file order."""
    grid = np.zeros((h, w), np.uint8)
    p = x = y = 0
    while p < len(stream):
        n, b = stream[p], stream[p + 1]
        p += 2
        if n:
            for i in range(n):
                grid[y, x + i] = ((b >> 4) if i % 2 == 0 else (b & 15)) if rle4 else b
            x += n
        elif b == 0:
            x, y = 0, y + 1
        elif b == 1:
            break
        elif b == 2:
            x, y = x + stream[p], y + stream[p + 1]
            p += 2
        else:
            nbytes = (b + 1) // 2 if rle4 else b
            body = stream[p:p + nbytes]
            for i in range(b):
                grid[y, x + i] = ((body[i // 2] >> 4) if i % 2 == 0 else (body[i // 2] & 15)) if rle4 else body[i]
            x += b
            p += nbytes + (nbytes % 2)
    return grid


PALETTE16 = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (0, 255, 255), (255, 0, 255),
             (10, 20, 30), (200, 100, 50), (1, 2, 3), (90, 90, 91), (128, 0, 128), (0, 128, 128),
             (50, 60, 70), (70, 60, 50), (33, 66, 99), (250, 240, 230)]


def random_palette(rng: np.random.Generator, n: int) -> list[tuple[int, int, int]]:
    return [tuple(int(v) for v in rng.integers(0, 256, 3)) for _ in range(n)]


# ---------------------------------------------------------------------- the BMP Suite

# (kind, detail): "pillow" — decoded exactly as Pillow decodes it; ("same", file) — Pillow refuses
# this file, decoded exactly as Pillow decodes the same picture stored another way; "reference"
# — Pillow refuses, decoded as the numpy reference (Pillow's v * 255 // max scaling, Pillow's RLE
# loop); ("refused", error class, message part).
PILLOW = ("pillow", None)


def SAME(path: str, why: str):
    return ("same", path, why)


def REF(why: str):
    return ("reference", why)


def REFUSED(error, part: str, why: str):
    return ("refused", error, part, why)


G_GREY = {"pal1.bmp", "pal1wb.bmp", "pal4gs.bmp", "pal8gs.bmp"}
#: g/ files Pillow 13 cannot read, and where the same picture is that it can.
G_STAND_IN = {"rgb32bf.bmp": "g/rgb24.bmp"}   # masks R 0xFF000000, G 0x00000FF0, B 0x00FF0000

Q_EXPECTED = {
    "pal1huffmsb.bmp": REFUSED(UnsupportedInputError, "OS/2 Huffman 1D", "OS/2 2.x modified Huffman 1D compression"),
    "pal1p1.bmp": PILLOW,
    "pal2.bmp": REF("2-bit palette (grey): Pillow refuses 2-bit BMPs"),
    "pal2color.bmp": REF("2-bit palette (colour): Pillow refuses 2-bit BMPs"),
    "pal4rlecut.bmp": REF("RLE4 ending early with end-of-bitmap: Pillow refuses ('not enough image data'); "
                          "the pixels not written are palette index 0"),
    "pal4rletrns.bmp": PILLOW,
    "pal8offs.bmp": PILLOW,
    "pal8os2-hs.bmp": PILLOW,
    "pal8os2-sz.bmp": PILLOW,
    "pal8os2sp.bmp": PILLOW,
    "pal8os2v2-16.bmp": SAME("q/pal8os2v2.bmp", "16-byte OS/2 2.x header: Pillow refuses the header size"),
    "pal8os2v2-40sz.bmp": PILLOW,
    "pal8os2v2-sz.bmp": PILLOW,
    "pal8os2v2.bmp": PILLOW,
    "pal8oversizepal.bmp": SAME("g/pal8.bmp", "300 palette entries: Pillow refuses the palette size; "
                                "only the first 256 can be indexed"),
    "pal8rlecut.bmp": REF("RLE8 ending early with end-of-bitmap: Pillow refuses; unwritten pixels are index 0"),
    "pal8rletrns.bmp": PILLOW,
    "rgb16-231.bmp": REF("2-3-1 bitfields: Pillow reads only 5-5-5 and 5-6-5 16-bit masks"),
    "rgb16-3103.bmp": REF("3-10-3 bitfields: Pillow reads only 5-5-5 and 5-6-5"),
    "rgb16faketrns.bmp": PILLOW,
    "rgb24jpeg.bmp": REFUSED(UnsupportedInputError, "embedded JPEG", "BI_JPEG: a JPEG stream inside"),
    "rgb24largepal.bmp": PILLOW,
    "rgb24lprof.bmp": PILLOW,
    "rgb24png.bmp": REFUSED(UnsupportedInputError, "embedded PNG", "BI_PNG: a PNG stream inside"),
    "rgb24prof.bmp": PILLOW,
    "rgb24prof2.bmp": PILLOW,
    "rgb24rle24.bmp": REFUSED(UnsupportedInputError, "OS/2 RLE24", "OS/2 2.x RLE24 compression"),
    "rgb32-111110.bmp": REF("11-11-10 bitfields: Pillow refuses the layout"),
    "rgb32-7187.bmp": REF("7-18-7 bitfields: Pillow refuses the layout"),
    "rgb32-xbgr.bmp": PILLOW,
    "rgb32fakealpha.bmp": PILLOW,
    "rgb32h52.bmp": PILLOW,
    "rgba16-1924.bmp": REF("1-9-2-4 bitfields with alpha: Pillow refuses the layout; alpha dropped"),
    "rgba16-4444.bmp": REF("4-4-4-4 bitfields with alpha: Pillow refuses the layout; alpha dropped"),
    "rgba16-5551.bmp": PILLOW,
    "rgba32-1.bmp": PILLOW,
    "rgba32-1010102.bmp": REF("10-10-10-2 bitfields: Pillow refuses the layout; alpha dropped"),
    "rgba32-2.bmp": PILLOW,
    "rgba32-61754.bmp": REF("6-17-5-4 bitfields: Pillow refuses the layout; alpha dropped"),
    "rgba32-81284.bmp": REF("8-12-8-4 bitfields: Pillow refuses the layout; alpha dropped"),
    "rgba32abf.bmp": SAME("q/rgba32h56.bmp", "BI_ALPHABITFIELDS (6): Pillow refuses the compression"),
    "rgba32h56.bmp": PILLOW,
    "rgba64.bmp": REFUSED(UnsupportedInputError, "64-bit pixels", "64-bit scRGB pixels"),
}

B_EXPECTED = {
    "badbitcount.bmp": REFUSED(InputError, "30000 bits per pixel", "bit count 30000"),
    "badbitssize.bmp": PILLOW,        # biSizeImage is not used
    "baddens1.bmp": PILLOW,           # densities are not used
    "baddens2.bmp": PILLOW,
    "badfilesize.bmp": PILLOW,        # bfSize is not used
    "badheadersize.bmp": REFUSED(InputError, "unknown information header size 66", "header size 66"),
    "badpalettesize.bmp": SAME("g/pal8.bmp", "biClrUsed 305402420: the palette is what fits before the pixel data"),
    "badplanes.bmp": PILLOW,          # planes is not used (noted)
    "badrle.bmp": PILLOW,             # runs past the row end are clipped, as Pillow does
    "badrle4.bmp": PILLOW,
    "badrle4bis.bmp": PILLOW,
    "badrle4ter.bmp": PILLOW,
    "badrlebis.bmp": PILLOW,
    "badrleter.bmp": PILLOW,
    "badwidth.bmp": REFUSED(InputError, "width -127", "negative width"),
    "pal8badindex.bmp": PILLOW,       # indices beyond the palette are black
    "reallybig.bmp": REFUSED(UnsupportedInputError, "too large", "3000000 x 2000000 pixels"),
    "rgb16-880.bmp": REF("8-8-0 bitfields (blue mask 0: blue is 0); Pillow refuses the layout"),
    "rletopdown.bmp": PILLOW,         # a top-down RLE image, read top-down as Pillow does
    "shortfile.bmp": REFUSED(InputError, "truncated BMP", "the file ends inside the pixel data"),
}


def _check_expected(folder: str, name: str, expected: tuple) -> None:
    data = (BMP_SUITE / folder / name).read_bytes()
    kind = expected[0]
    if kind == "refused":
        _, error, part, _ = expected
        with pytest.raises(error) as info:
            read_bmp(data)
        assert type(info.value) is error and part in str(info.value)
        with pytest.raises(nb.BmpError):
            nb.unpack(data)
        return
    source = read_bmp(data)
    assert source.transfer_syntax == EXPLICIT_VR_LE
    rgb, samples, header = ours(data)
    assert source.samples_per_pixel == samples
    assert source.photometric == ("MONOCHROME2" if samples == 1 else "RGB")
    assert bytes(source.frames[0][0]) == bytes(nb.unpack(data)[0])
    if kind == "pillow":
        ours_like_pillow(data)
    elif kind == "same":
        np.testing.assert_array_equal(rgb, pillow((BMP_SUITE / expected[1]).read_bytes()))
        with pytest.raises(Exception):       # the reason this file needs a stand-in still holds
            pillow(data)
    if kind in ("reference", "same"):
        np.testing.assert_array_equal(rgb, reference_decode(data))
    if kind == "reference":
        with pytest.raises(Exception):
            pillow(data)


@needs_suite
def test_suite_is_complete():
    """The tables cover exactly the files of the suite."""
    assert sorted(p.name for p in (BMP_SUITE / "g").glob("*.bmp")) == sorted(
        ["pal1.bmp", "pal1bg.bmp", "pal1wb.bmp", "pal4.bmp", "pal4gs.bmp", "pal4rle.bmp", "pal8-0.bmp",
         "pal8.bmp", "pal8gs.bmp", "pal8nonsquare.bmp", "pal8os2.bmp", "pal8rle.bmp", "pal8topdown.bmp",
         "pal8v4.bmp", "pal8v5.bmp", "pal8w124.bmp", "pal8w125.bmp", "pal8w126.bmp", "rgb16-565.bmp",
         "rgb16-565pal.bmp", "rgb16.bmp", "rgb16bfdef.bmp", "rgb24.bmp", "rgb24pal.bmp", "rgb32.bmp",
         "rgb32bf.bmp", "rgb32bfdef.bmp"])
    assert sorted(p.name for p in (BMP_SUITE / "q").glob("*.bmp")) == sorted(Q_EXPECTED)
    assert sorted(p.name for p in (BMP_SUITE / "b").glob("*.bmp")) == sorted(B_EXPECTED)


@needs_suite
@pytest.mark.parametrize("name", sorted(p.name for p in (BMP_SUITE / "g").glob("*.bmp")) or ["none"])
def test_good_suite_matches_pillow(name):
    data = (BMP_SUITE / "g" / name).read_bytes()
    source = read_bmp(data)
    assert source.photometric == ("MONOCHROME2" if name in G_GREY else "RGB")
    if name in G_STAND_IN:
        try:
            reference = pillow(data)            # a later Pillow may read it
        except OSError:
            reference = pillow((BMP_SUITE / G_STAND_IN[name]).read_bytes())
        np.testing.assert_array_equal(ours(data)[0], reference)
        np.testing.assert_array_equal(ours(data)[0], reference_decode(data))
    else:
        ours_like_pillow(data)


@needs_suite
@pytest.mark.parametrize("name", sorted(Q_EXPECTED))
def test_questionable_suite(name):
    _check_expected("q", name, Q_EXPECTED[name])


@needs_suite
@pytest.mark.parametrize("name", sorted(B_EXPECTED))
def test_bad_suite(name):
    _check_expected("b", name, B_EXPECTED[name])


_SUBPROCESS = r"""
import json, sys
from pathlib import Path
from dicomconv.inputs.bmp import read_bmp
from dicomconv.errors import InputError
out = {}
for path in sorted(Path(sys.argv[1]).glob("*.bmp")):
    try:
        s = read_bmp(path.read_bytes())
        out[path.name] = ["ok", s.samples_per_pixel, len(s.frames[0][0])]
    except InputError as exc:
        out[path.name] = [type(exc).__name__, str(exc)]
print(json.dumps(out))
"""


@needs_suite
@pytest.mark.parametrize("folder", ["b", "q"])
def test_suite_in_subprocess_never_crashes(folder):
    """Every bad and questionable file in a child process (a crash or a hang would be a failure
    here, not the end of the test run): each is decoded or refused with our exception."""
    proc = subprocess.run([sys.executable, "-c", _SUBPROCESS, str(BMP_SUITE / folder)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    outcomes = json.loads(proc.stdout)
    table = B_EXPECTED if folder == "b" else Q_EXPECTED
    for name, expected in table.items():
        got = outcomes[name]
        if expected[0] == "refused":
            assert got[0] == expected[1].__name__ and expected[2] in got[1], (name, got)
        else:
            assert got[0] == "ok", (name, got)


@needs_suite
def test_reference_decoder_agrees_with_pillow():
    """The numpy reference used where Pillow refuses is itself right where Pillow reads the file."""
    checked = 0
    for folder in "gqb":
        for path in sorted((BMP_SUITE / folder).glob("*.bmp")):
            data = path.read_bytes()
            try:
                expected = pillow(data)
            except Exception:
                continue
            if _u32(data, 14) not in (12, 16, 40, 52, 56, 64, 108, 124):
                continue
            np.testing.assert_array_equal(reference_decode(data), expected, err_msg=str(path))
            checked += 1
    assert checked >= 50


@needs_suite
def test_suite_notes_and_icc():
    prof = read_bmp((BMP_SUITE / "q" / "rgb24prof.bmp").read_bytes())
    assert prof.icc_profile is not None and prof.icc_profile[36:40] == b"acsp"
    assert struct.unpack(">I", prof.icc_profile[:4])[0] == len(prof.icc_profile)
    linked = read_bmp((BMP_SUITE / "q" / "rgb24lprof.bmp").read_bytes())
    assert linked.icc_profile is None and any("links to an external ICC profile" in n for n in linked.notes)
    alpha = read_bmp((BMP_SUITE / "q" / "rgba32-1.bmp").read_bytes())
    assert any("alpha channel" in n for n in alpha.notes)
    cut = read_bmp((BMP_SUITE / "q" / "pal8rlecut.bmp").read_bytes())
    assert any("palette index 0" in n for n in cut.notes)
    assert nb.unpack((BMP_SUITE / "q" / "pal8rlecut.bmp").read_bytes())[2] > 0
    assert nb.unpack((BMP_SUITE / "g" / "pal8rle.bmp").read_bytes())[2] == 0


# ------------------------------------------------------------------- generated BMPs

WIDTHS = [1, 2, 3, 5, 7, 9, 13, 31, 33]


def _sample_rgb(w: int, h: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)


@pytest.mark.parametrize("w", WIDTHS)
@pytest.mark.parametrize("mode", ["1", "L", "P", "RGB", "RGBA"])
def test_pillow_written(mode, w):
    """Pillow's BMP writer: 1-bit, 8-bit grey (identity palette), 8-bit palette, 24-bit and 32-bit
    (BI_RGB; the fourth byte is not alpha), odd widths."""
    h = 5
    rgb = _sample_rgb(w, h, seed=w)
    if mode == "RGBA":
        im = Image.fromarray(np.dstack([rgb, rgb[..., 0]]), "RGBA")
    else:
        im = Image.fromarray(rgb, "RGB").convert(mode) if mode != "P" else \
            Image.fromarray(rgb, "RGB").quantize(colors=37)
    buf = io.BytesIO()
    im.save(buf, "BMP")
    data = buf.getvalue()
    arr, samples, header = ours(data)
    assert samples == (1 if mode in ("1", "L") else 3)
    truth = np.asarray(im.convert("RGB"))
    np.testing.assert_array_equal(arr, truth)
    ours_like_pillow(data)
    assert header["bits"] == {"1": 1, "L": 8, "P": 8, "RGB": 24, "RGBA": 32}[mode]


@pytest.mark.parametrize("header_size,top_down", [(hs, td) for hs in (12, 16, 40, 52, 56, 64, 108, 124)
                                                  for td in (False, True) if not (hs == 12 and td)])
@pytest.mark.parametrize("bits", [1, 2, 4, 8])
@pytest.mark.parametrize("grey", [False, True])
def test_palette_images(header_size, bits, top_down, grey):
    """Every header size (OS/2 1.x heights are unsigned: no top-down there), every depth."""
    rng = np.random.default_rng(bits * 1000 + header_size)
    n = 1 << bits if bits < 8 else 200
    palette = [(v, v, v) for v in rng.integers(0, 256, n)] if grey else random_palette(rng, n)
    for w in (1, 3, 7, 9, 17):
        h = 4
        idx = rng.integers(0, n, (h, w))
        data = uncompressed_bmp(idx, bits, top_down=top_down, palette=palette, header_size=header_size)
        arr, samples, header = ours(data)
        assert samples == (1 if grey else 3)
        assert header["top_down"] == top_down and header["header_size"] == header_size
        np.testing.assert_array_equal(arr, np.array(palette, np.uint8)[idx])
        np.testing.assert_array_equal(arr, reference_decode(data))
        if bits != 2 and header_size != 16:       # Pillow reads neither 2-bit nor 16-byte headers
            ours_like_pillow(data)


def test_index_beyond_palette_is_black_and_short_palette_grey():
    idx = np.array([[0, 1, 2, 3, 255]])
    data = uncompressed_bmp(idx, 8, palette=[(9, 9, 9), (200, 200, 200)])
    arr, samples, _ = ours(data)
    assert samples == 1
    assert arr[0, :, 0].tolist() == [9, 200, 0, 0, 0]
    ours_like_pillow(data)


def test_one_bit_black_white_is_monochrome2():
    idx = np.array([[0, 1, 1, 0, 1, 0, 0, 1, 1]])
    source = read_bmp(uncompressed_bmp(idx, 1, palette=[(0, 0, 0), (255, 255, 255)]))
    assert source.photometric == "MONOCHROME2" and source.samples_per_pixel == 1
    assert bytes(source.frames[0][0]) == bytes(255 * v for v in idx[0])
    inverted = read_bmp(uncompressed_bmp(idx, 1, palette=[(255, 255, 255), (0, 0, 0)]))
    assert bytes(inverted.frames[0][0]) == bytes(255 * (1 - v) for v in idx[0])
    colour = read_bmp(uncompressed_bmp(idx, 1, palette=[(0, 0, 0), (255, 255, 254)]))
    assert colour.photometric == "RGB"


MASK_LAYOUTS = [
    (16, (0x7C00, 0x03E0, 0x001F, 0)),            # 5-5-5 (the BI_RGB default)
    (16, (0xF800, 0x07E0, 0x001F, 0)),            # 5-6-5
    (16, (0x0F00, 0x00F0, 0x000F, 0xF000)),       # 4-4-4-4
    (16, (0x001F, 0x07E0, 0xF800, 0)),            # B and R swapped
    (16, (0x0030, 0x000E, 0x0001, 0)),            # 2-3-1
    (24, (0xFF0000, 0x00FF00, 0x0000FF, 0)),
    (24, (0x0000FF, 0x00FF00, 0xFF0000, 0)),
    (32, (0x00FF0000, 0x0000FF00, 0x000000FF, 0)),
    (32, (0xFF000000, 0x00FF0000, 0x0000FF00, 0x000000FF)),
    (32, (0x3FF00000, 0x000FFC00, 0x000003FF, 0xC0000000)),   # 10-10-10-2
    (32, (0xFFE00000, 0x001FFC00, 0x000003FF, 0)),            # 11-11-10
    (32, (0xFE000000, 0x01FFFF80, 0x0000007F, 0)),            # 7-18-7
    (32, (0xFFFFFFFF, 0, 0, 0)),                              # a 32-bit channel
    (32, (0x000000FF, 0x0000FF00, 0x00FF0000, 0xFF000000)),   # RGBA
]


@pytest.mark.parametrize("bits,masks", MASK_LAYOUTS)
@pytest.mark.parametrize("header_size", [40, 52, 56, 108, 124])
def test_bitfields(bits, masks, header_size):
    rng = np.random.default_rng(bits + header_size)
    for w, top_down in ((1, False), (3, True), (7, False), (10, True)):
        h = 3
        px = rng.integers(0, 1 << bits, (h, w), dtype=np.uint64)
        data = uncompressed_bmp(px, bits, top_down=top_down, header_size=header_size, compression=3,
                                masks=masks if header_size != 40 else masks[:3])
        arr, samples, header = ours(data)
        truth = np.stack([scaled(px, m) for m in masks[:3]], axis=2)
        np.testing.assert_array_equal(arr, truth)
        assert header["has_alpha"] == (header_size >= 56 and masks[3] != 0)
        np.testing.assert_array_equal(arr, reference_decode(data))
        try:
            expected = pillow(data)
        except OSError:
            continue                        # a layout Pillow refuses
        np.testing.assert_array_equal(arr, expected)


def test_alphabitfields_after_a_40_byte_header_and_defaults():
    px = np.array([[0x11223344, 0xAABBCCDD, 0x00000000]], dtype=np.uint64)
    masks = (0x0000FF00, 0x00FF0000, 0xFF000000, 0x000000FF)
    data = uncompressed_bmp(px, 32, compression=6, masks=masks)
    arr, _, header = ours(data)
    assert header["has_alpha"] and header["masks"] == masks
    assert arr[0].tolist() == [[0x33, 0x22, 0x11], [0xCC, 0xBB, 0xAA], [0, 0, 0]]
    # all-zero masks mean the default layout (as Pillow reads them)
    zero = uncompressed_bmp(px, 32, compression=3, masks=(0, 0, 0))
    arr, _, header = ours(zero)
    assert header["masks_defaulted"]
    assert arr[0].tolist() == [[0x22, 0x33, 0x44], [0xBB, 0xCC, 0xDD], [0, 0, 0]]


@pytest.mark.parametrize("bits", [16, 24, 32])
def test_uncompressed_rgb_defaults(bits):
    rng = np.random.default_rng(bits)
    for w in WIDTHS:
        px = rng.integers(0, 1 << bits, (3, w), dtype=np.uint64)
        data = uncompressed_bmp(px, bits)
        arr, _, _ = ours(data)
        masks = (0x7C00, 0x3E0, 0x1F) if bits == 16 else (0xFF0000, 0xFF00, 0xFF)
        np.testing.assert_array_equal(arr, np.stack([scaled(px, m) for m in masks], axis=2))
        ours_like_pillow(data)


def test_pillow_scaling_formula_not_bit_shift():
    """A 5-bit value 1 is 255 // 31 = 8 (v * 255 // 31), not 1 << 3 = 8... and 30 is 246, not
    240 (a shift) or 247 (rounding)."""
    px = np.array([[1 << 10, 30 << 10, 31 << 10, 16 << 10]], dtype=np.uint64)
    arr, _, _ = ours(uncompressed_bmp(px, 16))
    assert arr[0, :, 0].tolist() == [8, 246, 255, 131]
    ours_like_pillow(uncompressed_bmp(px, 16))


@pytest.mark.parametrize("rle4", [False, True])
@pytest.mark.parametrize("w", [1, 2, 3, 5, 8, 13, 31, 64])
def test_rle_random_images(rle4, w):
    rng = np.random.default_rng(w + 100 * rle4)
    h = 6
    # runs and noise
    idx = np.repeat(rng.integers(0, 16 if rle4 else 256, (h, w // 3 + 1)), 3, axis=1)[:, :w]
    idx[rng.random((h, w)) < 0.3] = rng.integers(0, 16 if rle4 else 256)
    palette = random_palette(rng, 16 if rle4 else 256)
    for top_down in (False, True):
        stream = rle_encode(idx if not top_down else idx[::-1], rle4)
        data = rle_bmp(stream, w, h, rle4, palette, top_down=top_down)
        arr, samples, _ = ours(data)
        np.testing.assert_array_equal(arr, np.array(palette, np.uint8)[idx])
        assert nb.unpack(data)[2] == 0
        ours_like_pillow(data)


@pytest.mark.parametrize("rle4", [False, True])
def test_rle_delta_eol_and_early_end(rle4):
    w, h = 11, 6
    a = lambda vals: absolute(vals, rle4)   # noqa: E731
    v = (lambda x: x * 17) if rle4 else (lambda x: x)
    stream = (run(4, v(3)) + a([1, 2, 3]) + EOL                 # row 0: 4 pixels, an odd absolute run
              + delta(2, 1) + run(3, v(5)) + delta(1, 0) + a([7, 8, 9, 10, 11]) + EOL   # row 2
              + run(11, v(1))                                  # row 3 full, no EOL needed
              + EOL + delta(0, 1) + run(2, v(6)) + EOB)        # row 4 empty, row 5 two pixels, stop
    palette = [(i * 15, 255 - i * 15, i) for i in range(16)]
    data = rle_bmp(stream, w, h, rle4, palette)
    idx = cursor_decode(stream, w, h, rle4)
    arr, _, _ = ours(data)
    np.testing.assert_array_equal(arr, np.array(palette, np.uint8)[idx[::-1]])
    np.testing.assert_array_equal(arr, reference_decode(data))
    assert nb.unpack(data)[2] == w * h - (4 + 3 + 3 + 5 + 11 + 2)
    with pytest.raises(ValueError):       # Pillow refuses the early end-of-bitmap
        pillow(data)
    # The same picture ended with an EOL on the last row instead: Pillow reads it.
    full = rle_bmp(stream[:-2] + EOL, w, h, rle4, palette)
    ours_like_pillow(full)
    np.testing.assert_array_equal(ours(full)[0], arr)


def test_rle_runs_past_the_row_are_clipped_like_pillow():
    w, h = 5, 3
    stream = run(9, 4) + EOL + absolute([1, 2, 3, 4, 5, 6, 7]) + run(2, 9) + EOL + run(5, 8) + EOB
    data = rle_bmp(stream, w, h, False, random_palette(np.random.default_rng(1), 256))
    ours_like_pillow(data)


def test_rle_grey_palette_is_monochrome2():
    palette = [(i, i, i) for i in range(256)]
    data = rle_bmp(run(3, 200) + EOL + run(3, 100) + EOL + EOB, 3, 2, False, palette)
    source = read_bmp(data)
    assert source.photometric == "MONOCHROME2"
    assert bytes(source.frames[0][0]) == bytes([100] * 3 + [200] * 3)


# ------------------------------------------------------------------------- refusals

def _small(**kw) -> bytes:
    return uncompressed_bmp(np.zeros((2, 3), np.int64), 8, palette=[(1, 2, 3)] * 4, **kw)


def _patch(data: bytes, offset: int, fmt: str, value) -> bytes:
    out = bytearray(data)
    struct.pack_into(fmt, out, offset, value)
    return bytes(out)


REFUSALS = [
    (b"", InputError, "only 0 bytes"),
    (b"GIF89a" + bytes(40), InputError, "does not start with 'BM'"),
    (b"BA" + bytes(60), UnsupportedInputError, "bitmap array"),
    (_patch(_small(), 14, "<I", 44), InputError, "header size 44"),
    (_small()[:40], InputError, "truncated BMP"),
    (_patch(_small(), 18, "<i", 0), InputError, "width 0"),
    (_patch(_small(), 18, "<i", -5), InputError, "width -5"),
    (_patch(_small(), 22, "<i", 0), InputError, "height 0"),
    (_patch(_small(), 18, "<i", 65536), UnsupportedInputError, "at most 65535"),
    (_patch(_small(), 22, "<i", -70000), UnsupportedInputError, "at most 65535"),
    (_patch(_small(), 28, "<H", 7), InputError, "7 bits per pixel"),
    (_patch(_small(), 28, "<H", 0), InputError, "0 bits per pixel"),
    (_patch(_small(), 30, "<I", 4), UnsupportedInputError, "embedded JPEG"),
    (_patch(_small(), 30, "<I", 5), UnsupportedInputError, "embedded PNG"),
    (_patch(_small(), 30, "<I", 11), UnsupportedInputError, "CMYK"),
    (_patch(_small(), 30, "<I", 99), InputError, "unknown compression 99"),
    (_patch(_small(), 30, "<I", 2), InputError, "BI_RLE4 compression with 8 bits"),
    (_patch(_small(), 30, "<I", 3), InputError, "BI_BITFIELDS with 8 bits"),
    (_patch(_small(), 10, "<I", 20), InputError, "inside the 40-byte header"),
    (_patch(_small(), 10, "<I", 10 ** 6), InputError, "beyond the end of the file"),
    (_patch(_small(), 22, "<i", 3), InputError, "truncated BMP"),
    (_small()[:-2], InputError, "truncated BMP"),     # [:-1] only cuts the last row's padding
    (uncompressed_bmp(np.zeros((2, 2), np.uint64), 16, compression=3, masks=(0xF0F0, 0x0F00, 0xF)),
     InputError, "not one contiguous run"),
    (uncompressed_bmp(np.zeros((2, 2), np.uint64), 16, compression=3, masks=(0x1F0000, 0x3E0, 0x1F)),
     InputError, "outside the 16-bit pixel"),
    (rle_bmp(run(3, 1) + EOL, 3, 2, False, [(0, 0, 0)]), InputError, "before its end-of-bitmap"),
    (rle_bmp(run(3, 1) + absolute([1, 2, 3])[:-2], 3, 3, False, [(0, 0, 0)]), InputError, "before its end-of-bitmap"),
    (rle_bmp(delta(1, 0)[:3], 3, 2, True, [(0, 0, 0)]), InputError, "before its end-of-bitmap"),
    (rle_bmp(EOB, 65535, 65535, False, [(0, 0, 0)]), UnsupportedInputError, "too large"),
]


@pytest.mark.parametrize("data,error,part", REFUSALS, ids=[f"{i}-{case[2]}" for i, case in enumerate(REFUSALS)])
def test_refusals(data, error, part):
    with pytest.raises(error) as info:
        read_bmp(data)
    assert type(info.value) is error
    assert part in str(info.value)


def test_a_palette_that_does_not_fit_and_the_last_row_padding():
    data = _patch(_small(), 10, "<I", 54)                           # no gap: palette must follow
    data = _patch(data, 46, "<I", 10 ** 6)
    with pytest.raises(InputError, match="does not fit"):
        read_bmp(data)
    # the last row's padding may be missing (Pillow tolerates it too)
    pixels = np.arange(6).reshape(2, 3)
    full = uncompressed_bmp(pixels, 8, palette=random_palette(np.random.default_rng(2), 6))
    np.testing.assert_array_equal(ours(full[:-1])[0], ours(full)[0])


def test_buffer_types_and_type_error(tmp_path):
    import mmap

    data = _small()
    expected = bytes(nb.unpack(data)[0])
    for obj in (bytearray(data), memoryview(data), memoryview(b"xx" + data)[2:]):
        assert bytes(nb.unpack(obj)[0]) == expected
        assert nb.read_header(obj)["width"] == 3
    path = tmp_path / "a.bmp"
    path.write_bytes(data)
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        assert bytes(read_bmp(mm).frames[0][0]) == expected
    with pytest.raises(TypeError):
        nb.unpack("not bytes")
    with pytest.raises(TypeError):
        read_bmp(12)


def test_native_errors_are_value_errors():
    assert issubclass(nb.BmpError, ValueError)
    assert issubclass(nb.BmpUnsupportedError, nb.BmpError)


# ---------------------------------------------------------------------------- fuzzing

def _seeds() -> list[bytes]:
    rng = np.random.default_rng(7)
    idx = rng.integers(0, 16, (5, 7))
    pal16 = random_palette(rng, 16)
    seeds = [
        uncompressed_bmp(idx, 4, palette=pal16),
        uncompressed_bmp(idx, 8, palette=pal16, header_size=124, top_down=True),
        uncompressed_bmp(idx % 2, 1, palette=[(0, 0, 0), (255, 255, 255)], header_size=12),
        uncompressed_bmp(idx % 4, 2, palette=pal16[:4], header_size=16),
        uncompressed_bmp(rng.integers(0, 1 << 16, (5, 7), dtype=np.uint64), 16, compression=3,
                         masks=(0xF800, 0x7E0, 0x1F)),
        uncompressed_bmp(rng.integers(0, 1 << 32, (5, 7), dtype=np.uint64), 32, compression=3,
                         header_size=108, masks=(0x3FF00000, 0xFFC00, 0x3FF, 0xC0000000)),
        uncompressed_bmp(rng.integers(0, 1 << 24, (5, 7), dtype=np.uint64), 24),
        rle_bmp(rle_encode(idx, False), 7, 5, False, pal16),
        rle_bmp(rle_encode(idx, True), 7, 5, True, pal16),
        rle_bmp(run(2, 1) + delta(3, 1) + absolute([1, 2, 3, 4, 5], True) + EOB, 7, 5, True, pal16),
    ]
    return seeds


SEEDS = _seeds()
# offsets of header fields worth hitting with boundary values
FIELD_OFFSETS = [2, 10, 14, 18, 22, 26, 28, 30, 34, 46, 54, 58, 62, 66, 70, 126, 130]
INTERESTING = [0, 1, 2, 3, 4, 7, 8, 12, 15, 16, 24, 32, 40, 64, 124, 255, 256, 0x7FFF, 0x8000, 0xFFFF,
               0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFF0000, 0x00FF00FF]


def _exercise(data: bytes) -> None:
    """read_header and unpack either succeed consistently or raise BmpError, nothing else."""
    try:
        header = nb.read_header(data)
    except nb.BmpError:
        with pytest.raises(nb.BmpError):
            nb.unpack(data)
        return
    if header["width"] * header["height"] > 1 << 22:   # big RLE canvases: same code, just slow
        return
    try:
        pixels, samples, unwritten = nb.unpack(data)
    except nb.BmpError as exc:
        assert header["compression"] in (1, 2), exc    # only an RLE stream can fail after the header
        return
    assert samples == header["samples_per_pixel"]
    assert len(pixels) == header["width"] * header["height"] * samples
    assert 0 <= unwritten <= header["width"] * header["height"]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.sampled_from(range(len(SEEDS))),
       fields=st.lists(st.tuples(st.sampled_from(FIELD_OFFSETS), st.sampled_from(INTERESTING),
                                 st.sampled_from(["<I", "<H", "<B"])), max_size=4),
       flips=st.lists(st.tuples(st.integers(0, 10 ** 6), st.integers(0, 255)), max_size=6),
       cut=st.one_of(st.none(), st.integers(0, 10 ** 6)))
def test_fuzz_headers(seed, fields, flips, cut):
    data = bytearray(SEEDS[seed])
    for offset, value, fmt in fields:
        if offset + struct.calcsize(fmt) <= len(data):
            struct.pack_into(fmt, data, offset, value & ((1 << (8 * struct.calcsize(fmt))) - 1))
    for position, value in flips:
        data[position % len(data)] = value
    if cut is not None:
        data = data[:cut % (len(data) + 1)]
    _exercise(bytes(data))


def test_random_mutation_many():
    """Thousands of random byte mutations of every seed, quickly (the Hypothesis test above
    explores structure, this one volume)."""
    rnd = random.Random(1234)
    for i in range(6000):
        data = bytearray(rnd.choice(SEEDS))
        for _ in range(rnd.randint(1, 8)):
            pos = rnd.randrange(len(data)) if rnd.random() < 0.5 else rnd.randrange(min(len(data), 140))
            data[pos] = rnd.randrange(256)
        if rnd.random() < 0.2:
            data = data[:rnd.randrange(len(data) + 1)]
        _exercise(bytes(data))


# ------------------------------------------------------------------ through to DICOM

def _dicom_cases() -> list[tuple[str, bytes]]:
    rng = np.random.default_rng(11)
    grey_palette = [(i, i, i) for i in range(256)]
    return [
        ("grey8-odd", uncompressed_bmp(rng.integers(0, 256, (5, 7)), 8, palette=grey_palette)),
        ("grey1-odd", uncompressed_bmp(rng.integers(0, 2, (3, 3)), 1, palette=[(0, 0, 0), (255, 255, 255)])),
        ("rgb24", uncompressed_bmp(rng.integers(0, 1 << 24, (6, 9), dtype=np.uint64), 24)),
        ("pal4-rgb-topdown", uncompressed_bmp(rng.integers(0, 16, (4, 5)), 4, palette=PALETTE16, top_down=True)),
        ("rle8", rle_bmp(rle_encode(rng.integers(0, 4, (4, 13)), False), 13, 4, False, PALETTE16 * 16)),
        ("rgb16-565", uncompressed_bmp(rng.integers(0, 1 << 16, (3, 5), dtype=np.uint64), 16, compression=3,
                                       masks=(0xF800, 0x7E0, 0x1F))),
    ]


@pytest.mark.parametrize("name,data", _dicom_cases())
def test_through_img2dcm_to_dicom(tmp_path, name, data, dciodvfy_errors):
    import pydicom

    from dicomconv.fileio import write_atomic
    from dicomconv.img2dcm import Img2DcmOptions, encode

    source = read_bmp(data)
    result = encode(source, Img2DcmOptions())
    path = tmp_path / f"{name}.dcm"
    write_atomic(path, result.chunks)
    assert dciodvfy_errors(path, source.photometric, EXPLICIT_VR_LE) == []
    ds = pydicom.dcmread(path)
    assert str(ds.file_meta.TransferSyntaxUID) == EXPLICIT_VR_LE
    assert ds.PhotometricInterpretation == source.photometric
    assert (ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.BitsAllocated, ds.BitsStored) == (
        source.rows, source.columns, source.samples_per_pixel, 8, 8)
    if ds.SamplesPerPixel == 3:
        assert ds.PlanarConfiguration == 0
    expected = pillow(data, "L" if source.samples_per_pixel == 1 else "RGB")
    np.testing.assert_array_equal(ds.pixel_array, expected)


@needs_suite
@pytest.mark.parametrize("name", ["g/pal8gs.bmp", "g/rgb16-565.bmp", "g/pal4rle.bmp", "q/rgb24prof.bmp"])
def test_suite_through_img2dcm(tmp_path, name, dciodvfy_errors):
    import pydicom

    from dicomconv.fileio import write_atomic
    from dicomconv.img2dcm import Img2DcmOptions, encode

    data = (BMP_SUITE / name).read_bytes()
    source = read_bmp(data)
    path = tmp_path / "out.dcm"
    write_atomic(path, encode(source, Img2DcmOptions()).chunks)
    assert dciodvfy_errors(path, source.photometric, EXPLICIT_VR_LE) == []
    ds = pydicom.dcmread(path)
    np.testing.assert_array_equal(ds.pixel_array, pillow(data, "L" if source.samples_per_pixel == 1 else "RGB"))
    if source.icc_profile:
        assert bytes(ds.ICCProfile) == source.icc_profile


def test_read_bmp_file(tmp_path):
    from dicomconv.inputs.bmp import read_bmp_file

    data = uncompressed_bmp(np.arange(12).reshape(3, 4) % 4, 8, palette=PALETTE16[:4])
    path = tmp_path / "a.bmp"
    path.write_bytes(data)
    assert bytes(read_bmp_file(path).frames[0][0]) == bytes(read_bmp(data).frames[0][0])
    (tmp_path / "empty.bmp").write_bytes(b"")
    with pytest.raises(InputError, match="only 0 bytes"):
        read_bmp_file(tmp_path / "empty.bmp")
    with pytest.raises(InputError, match="cannot read"):
        read_bmp_file(tmp_path / "missing.bmp")
    with pytest.raises(InputError, match="is a directory"):
        read_bmp_file(tmp_path)
    (tmp_path / "bad.bmp").write_bytes(data[:60])
    with pytest.raises(InputError, match="truncated"):
        read_bmp_file(tmp_path / "bad.bmp")
