"""DICOM → image: ``dicomconv.render`` (the pipeline and API), the numba kernels of
``dicomconv.kernels`` and ``dicomconv dcm2img``.

Oracles, all independent of the code under test:

- the VOI functions of PS3.3 C.11.2.1.2.1 / C.11.2.1.3 evaluated here in exact rational
  arithmetic (``fractions.Fraction``; Python floats as a cross-check) and rounded half up, at the
  edges: x at c - 0.5 - (w - 1) / 2 and just above, width 1, fractional centres, negative values;
- DCMTK ``dcmj2pnm`` (``+Ww c w`` on generated files, ``+Wm`` on every greyscale file of the
  corpus it can read; it truncates where we round, so we are 0 or 1 above it);
- the decoded samples themselves (RGB), the YBR → RGB equations applied here with numpy (and the
  forward equations of PS3.3 C.7.6.3.1.2 to check they invert them), pydicom's
  ``apply_color_lut`` (palettes, also segmented), Pillow reading our PNG / JPEG / BMP / TIFF files.

Reference-tool tests skip with the reason when DCMTK is not installed; corpus tests when
``../shared/corpus`` (or $DICOMCONV_CORPUS) is absent.
"""
from __future__ import annotations

import io
import math
import os
import shutil
import struct
import subprocess
import sys
import warnings
import zlib
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian,
                         RLELossless, generate_uid)

from dicomconv.cli import main
from dicomconv.codecs.decode import FrameSource
from dicomconv.errors import InputError, UnsupportedInputError
from dicomconv.kernels import render as kr
from dicomconv.render import (OptionError, RenderOptions, Renderer, encode_image, render_file,
                              render_frame)

CORPUS = Path(os.environ.get("DICOMCONV_CORPUS")
              or Path(__file__).resolve().parents[2] / "shared" / "corpus")
DICOM_CORPUS = CORPUS / "dicom"
FILES = sorted(DICOM_CORPUS.glob("*/*.dcm")) if DICOM_CORPUS.is_dir() else []
IDS = [f"{p.parent.name}/{p.name}" for p in FILES]
needs_corpus = pytest.mark.skipif(not FILES, reason=f"test corpus not found at {DICOM_CORPUS} "
                                  "(set DICOMCONV_CORPUS)")

UNDECODABLE = {"966.dcm"}      # openjpeg: "failed to decode image" (also pydicom, transcode)
HALF = Fraction(1, 2)
EMPTY = np.zeros(1, np.uint16)


def dcmtk(name: str) -> str:
    exe = shutil.which(name, path="/usr/bin:/usr/local/bin") or shutil.which(name)
    if exe is None:
        pytest.skip(f"DCMTK {name} is not installed (reference tool)")
    return exe


def read_pnm(path) -> np.ndarray:
    """A binary PGM / PPM (P5 / P6) file: (rows, columns[, 3]) uint8 or uint16."""
    data = Path(path).read_bytes()
    fields, pos = [], 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos)
            continue
        start = pos
        while not data[pos:pos + 1].isspace():
            pos += 1
        fields.append(data[start:pos])
    pos += 1
    magic, w, h, maxval = fields[0], int(fields[1]), int(fields[2]), int(fields[3])
    spp = 3 if magic == b"P6" else 1
    dtype = np.uint8 if maxval < 256 else np.dtype(">u2")
    arr = np.frombuffer(data, dtype, w * h * spp, pos).reshape((h, w) + ((3,) if spp == 3 else ()))
    return arr.astype(np.uint8 if maxval < 256 else np.uint16)


def dcmj2pnm(path, *options) -> np.ndarray:
    out = Path(str(path) + ".dcmtk.pnm")
    proc = subprocess.run([dcmtk("dcmj2pnm"), *map(str, options), "-O", str(path), str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    try:
        return read_pnm(out)
    finally:
        out.unlink()


def read_png(path) -> np.ndarray:
    """PNG decoded here (zlib + the row filters None / Sub / Up; ours writes Up)."""
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, ihdr = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        payload = data[pos + 8:pos + 8 + length]
        crc = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0]
        assert zlib.crc32(payload, zlib.crc32(kind)) == crc
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", payload)
        elif kind == b"IDAT":
            idat.append(payload)
        pos += 12 + length
    w, h, depth, colour, _, _, interlace = ihdr
    assert interlace == 0
    spp = {0: 1, 2: 3}[colour]
    bpp = spp * depth // 8
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), np.uint8).reshape(h, 1 + w * bpp)
    rows = np.zeros((h, w * bpp), np.uint8)
    prev = np.zeros(w * bpp, np.uint8)
    for r in range(h):
        f, line = raw[r, 0], raw[r, 1:].copy()
        if f == 1:
            for i in range(bpp, len(line)):
                line[i] = (int(line[i]) + int(line[i - bpp])) & 0xFF
        elif f == 2:
            line = (line + prev).astype(np.uint8)
        else:
            assert f == 0, f"filter {f}"
        rows[r] = prev = line
    arr = rows.view(">u2").astype(np.uint16) if depth == 16 else rows
    return arr.reshape((h, w) + ((3,) if spp == 3 else ()))


# ------------------------------------------------------------------------ generated files

def make_ds(pixels: np.ndarray | bytes, *, rows=None, columns=None, photometric="MONOCHROME2",
            bits_allocated=None, bits_stored=None, signed=None, spp=None, frames=None,
            ts=ExplicitVRLittleEndian, planar=None, **attrs) -> Dataset:
    """A Secondary Capture-like dataset holding ``pixels`` (rows, columns[, samples]) or
    (frames, rows, columns[, samples]), or raw bytes with the geometry given."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ts
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.Modality = "OT"
    if isinstance(pixels, np.ndarray):
        arr = pixels
        spp = spp or (arr.shape[-1] if photometric not in ("MONOCHROME1", "MONOCHROME2",
                                                           "PALETTE COLOR") else 1)
        geometry = arr.shape[:-1] if spp > 1 else arr.shape
        if len(geometry) == 3:
            frames = geometry[0]
        rows, columns = geometry[-2:]
        bits_allocated = bits_allocated or arr.dtype.itemsize * 8
        signed = arr.dtype.kind == "i" if signed is None else signed
        if spp > 1 and planar == 1:
            arr = np.moveaxis(arr, -1, -3)
        data = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder(
            ">" if ts == ExplicitVRBigEndian else "<")).tobytes()
    else:
        data, spp = pixels, spp or 1
        signed = bool(signed)
    ds.Rows, ds.Columns = rows, columns
    ds.SamplesPerPixel = spp
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated = bits_allocated
    ds.BitsStored = bits_stored or bits_allocated
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = int(bool(signed))
    if spp > 1:
        ds.PlanarConfiguration = planar or 0
    if frames:
        ds.NumberOfFrames = frames
    for key, value in attrs.items():
        setattr(ds, key, value)
    ds.PixelData = data + (b"\0" if len(data) % 2 else b"")
    ds["PixelData"].VR = "OW" if bits_allocated > 8 else "OB"
    return ds


def save(ds: Dataset, path) -> Path:
    ds.save_as(path, enforce_file_format=True)
    return Path(path)


def all_values(lo: int, hi: int, dtype, width: int = 64) -> np.ndarray:
    """Every integer lo .. hi once (padded with lo to whole rows) as a 2-D image."""
    values = np.arange(lo, hi + 1)
    rows = -(-len(values) // width)
    values = np.concatenate([values, np.full(rows * width - len(values), lo)])
    return values.reshape(rows, width).astype(dtype)


# ------------------------------------------------------------ reference VOI functions

def exact_linear(v: Fraction, c: Fraction, w: Fraction, ymax: int) -> Fraction:
    """PS3.3 C.11.2.1.2.1."""
    if v <= c - HALF - (w - 1) / 2:
        return Fraction(0)
    if v > c - HALF + (w - 1) / 2:
        return Fraction(ymax)
    return ((v - (c - HALF)) / (w - 1) + HALF) * ymax


def exact_linear_exact(v: Fraction, c: Fraction, w: Fraction, ymax: int) -> Fraction:
    """PS3.3 C.11.2.1.3.2."""
    if v <= c - w / 2:
        return Fraction(0)
    if v > c + w / 2:
        return Fraction(ymax)
    return ((v - c) / w + HALF) * ymax


def float_sigmoid(v: float, c: float, w: float, ymax: int) -> float:
    """PS3.3 C.11.2.1.3.1."""
    return ymax / (1 + math.exp(-4 * (v - c) / w))


def round_half_up(y) -> int:
    return math.floor(y + HALF) if isinstance(y, Fraction) else math.floor(y + 0.5)


def expected_grey(x: int, *, c, w, function="linear", slope="1", intercept="0", ymax=255,
                  invert=False) -> int:
    v = Fraction(x) * Fraction(slope) + Fraction(intercept)
    if function == "sigmoid":
        y = float_sigmoid(float(v), float(c), float(w), ymax)
    else:
        f = exact_linear if function == "linear" else exact_linear_exact
        y = f(v, Fraction(str(c)), Fraction(str(w)), ymax)
    q = min(max(round_half_up(y), 0), ymax)
    return ymax - q if invert else q


FUNC = {"linear": kr.VOI_LINEAR, "linear-exact": kr.VOI_LINEAR_EXACT, "sigmoid": kr.VOI_SIGMOID}


# ===================================================== 1. the VOI functions at the edges

@pytest.mark.parametrize("c,w", [(40, 400), (40.5, 401), (0, 2), (-600.25, 1500.5), (100, 1),
                                 (100.5, 1), (-0.5, 1), (2048, 4096), (1553, 527)])
def test_linear_edges_match_the_standard(c, w):
    """voi_value at the borders of PS3.3 C.11.2.1.2.1: v = c - 0.5 - (w-1)/2 → 0, just above
    → the formula, v = c - 0.5 + (w-1)/2 → ymax, above → ymax; width 1 is a threshold at
    c - 0.5."""
    left = c - 0.5 - (w - 1) / 2
    right = c - 0.5 + (w - 1) / 2
    for ymax in (255, 65535):
        assert kr.voi_value(left, kr.VOI_LINEAR, c, w, ymax, EMPTY, 0, 1.0) == 0.0
        assert kr.voi_value(left - 1e-7, kr.VOI_LINEAR, c, w, ymax, EMPTY, 0, 1.0) == 0.0
        assert kr.voi_value(right + 1e-7, kr.VOI_LINEAR, c, w, ymax, EMPTY, 0, 1.0) == ymax
        if w == 1:      # threshold: anything above c - 0.5 is ymax
            assert left == right == c - 0.5
            assert kr.voi_value(left + 1e-9, kr.VOI_LINEAR, c, w, ymax, EMPTY, 0, 1.0) == ymax
            continue
        just_above = left + 1e-6
        y = kr.voi_value(just_above, kr.VOI_LINEAR, c, w, ymax, EMPTY, 0, 1.0)
        python = ((just_above - (c - 0.5)) / (w - 1) + 0.5) * ymax      # Python floats
        assert 0 < y == pytest.approx(python, rel=1e-12, abs=1e-12)
        assert kr.voi_value(right, kr.VOI_LINEAR, c, w, ymax, EMPTY, 0, 1.0) == pytest.approx(ymax)
        mid = kr.voi_value(c - 0.5, kr.VOI_LINEAR, c, w, ymax, EMPTY, 0, 1.0)
        assert mid == pytest.approx(ymax / 2)


@pytest.mark.parametrize("c,w", [(40, 400), (40.5, 0.5), (-600.25, 1500.5), (10, 1)])
def test_linear_exact_and_sigmoid_edges(c, w):
    for ymax in (255, 65535):
        lo, hi = c - w / 2, c + w / 2
        assert kr.voi_value(lo, kr.VOI_LINEAR_EXACT, c, w, ymax, EMPTY, 0, 1.0) == 0.0
        assert kr.voi_value(hi + 1e-9, kr.VOI_LINEAR_EXACT, c, w, ymax, EMPTY, 0, 1.0) == ymax
        assert kr.voi_value(hi, kr.VOI_LINEAR_EXACT, c, w, ymax, EMPTY, 0, 1.0) == pytest.approx(ymax)
        v = lo + 1e-6
        assert kr.voi_value(v, kr.VOI_LINEAR_EXACT, c, w, ymax, EMPTY, 0, 1.0) == pytest.approx(
            ((v - c) / w + 0.5) * ymax, rel=1e-12, abs=1e-12)
        for v in (c - 3 * w, c - w / 3, c, c + w / 7, c + 5 * w):
            assert kr.voi_value(v, kr.VOI_SIGMOID, c, w, ymax, EMPTY, 0, 1.0) == pytest.approx(
                float_sigmoid(v, c, w, ymax), rel=1e-13)


def test_quantize_rounds_half_up_and_inverts_after():
    assert kr.quantize(127.5, 255.0, False) == 128
    assert kr.quantize(127.49999999999999, 255.0, False) == 128   # an exact half computed low
    assert kr.quantize(127.4999, 255.0, False) == 127
    assert kr.quantize(-3.0, 255.0, False) == 0 and kr.quantize(300.0, 255.0, False) == 255
    assert kr.quantize(127.5, 255.0, True) == 255 - 128           # rounded, then inverted
    assert kr.quantize(0.4, 255.0, True) == 255


CHAIN_CASES = [
    # (bits stored, signed, slope, intercept, function, center, width)
    (16, True, "1", "-1024", "linear", 40, 400),
    (16, True, "1", "-1024", "linear", -600.5, 1501),
    (12, False, "1", "0", "linear", 2048, 4096),
    (12, False, "1", "0", "linear", 1000.5, 1),          # threshold at 1000
    (12, True, "2.5", "-3.25", "linear", 10.75, 333.5),  # fractional everything, negative values
    (12, False, "1", "-1024", "linear-exact", 1553, 527),  # has exact halves (37.5)
    (10, False, "0.5", "0", "linear-exact", 100.25, 0.5),
    (12, True, "1", "0", "sigmoid", 50, 300),
    (8, False, "1", "0", "linear", 127.5, 256),
    (16, False, "-1", "65535", "linear", 1000, 2000),    # negative slope
]


@pytest.mark.parametrize("bits,signed,slope,intercept,function,c,w", CHAIN_CASES)
@pytest.mark.parametrize("out_bits", [8, 16])
def test_whole_chain_for_every_stored_value(bits, signed, slope, intercept, function, c, w,
                                            out_bits):
    """Every possible stored value (16 bits: the window's range, 2000 values either side and
    the extremes) through rescale + window, against the exact reference -- both kernel paths:
    the float32 affine one (8-bit output) and the table gather (mostly 16-bit output)."""
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    dtype = (np.int16 if signed else np.uint16) if bits > 8 else np.uint8
    if bits == 16:   # the window's stored range with 2000 values either side, and the extremes
        centre = (Fraction(str(c)) - Fraction(intercept)) / Fraction(slope)
        span = abs(Fraction(str(w)) / Fraction(slope)) / 2 + 2000
        lo, hi = max(lo, math.floor(centre - span)), min(hi, math.ceil(centre + span))
        extremes = [v for v in ((-32768, 32767) if signed else (0, 65535)) if not lo <= v <= hi]
    else:
        extremes = []
    img = all_values(lo, hi, dtype, width=256)
    if extremes:
        img[-1, -len(extremes):] = extremes
    if bits <= 12 and img.dtype.itemsize == 2:    # garbage above Bits Stored is ignored
        raw = (img.astype(np.int64) & ((1 << bits) - 1)) | 0xA000
        img = raw.astype(np.uint16).view(img.dtype)
    ds = make_ds(img, bits_stored=bits, signed=signed, RescaleSlope=slope,
                 RescaleIntercept=intercept)
    got = render_frame(ds, voi="set", center=c, width=w, voi_function=function, bits=out_bits)
    ymax = (1 << out_bits) - 1
    stored = all_values(lo, hi, np.int64, width=256)
    if extremes:
        stored[-1, -len(extremes):] = extremes
    table = {x: expected_grey(x, c=c, w=w, function=function, slope=slope, intercept=intercept,
                              ymax=ymax) for x in [*range(lo, hi + 1), *extremes]}
    expected = np.vectorize(table.__getitem__)(stored)
    assert got.dtype == (np.uint8 if out_bits == 8 else np.uint16)
    bad = np.flatnonzero(got != expected)
    assert bad.size == 0, [(int(stored.flat[i]), int(got.flat[i]), int(expected.flat[i]))
                           for i in bad[:5]]


def test_affine_path_is_used_and_parallel_path_agrees(monkeypatch):
    """A 1024x1024 CT frame, also through the parallel kernels (DICOMCONV_PARALLEL=1), gives
    the table's values."""
    monkeypatch.setenv("DICOMCONV_PARALLEL", "1")
    rng = np.random.default_rng(3)
    img = rng.integers(-2048, 4096, (1024, 1024)).astype(np.int16)
    ds = make_ds(img, bits_stored=16, RescaleSlope=1, RescaleIntercept=-1024, WindowCenter=40,
                 WindowWidth=400)
    renderer = Renderer(ds)
    got = renderer.render(0)
    assert renderer._table_cache[2] is not None             # the float32 path was proven exact
    table = {x: expected_grey(x, c=40, w=400, intercept="-1024") for x in range(-2048, 4096)}
    lut = np.array([table[x] for x in range(-2048, 4096)], np.uint8)
    assert np.array_equal(got, lut[img.astype(np.int64) + 2048])
    inverted = render_frame(ds, presentation_shape="inverse")
    assert np.array_equal(inverted, 255 - got)
    sigmoid = render_frame(ds, voi_function="sigmoid")               # the table, in parallel
    monkeypatch.delenv("DICOMCONV_PARALLEL")
    assert np.array_equal(sigmoid, render_frame(ds, voi_function="sigmoid"))


def test_parallel_kernels_equal_serial():
    from dicomconv.kernels import color as kc

    rng = np.random.default_rng(8)
    src = rng.integers(0, 4096, 10007).astype(np.uint16)
    src.flags.writeable = False
    lut = rng.integers(0, 256, (300, 3)).astype(np.uint8)
    a, b = np.empty((len(src), 3), np.uint8), np.empty((len(src), 3), np.uint8)
    kc.apply_palette(src, 0xFFF, 0, 5, lut, a)
    kc.apply_palette_parallel(src, 0xFFF, 0, 5, lut, b, 7)
    assert np.array_equal(a, b)
    wide = rng.integers(0, 2**32, 10007, dtype=np.uint64).astype(np.uint32)
    wide.flags.writeable = False
    args = (kr.MOD_RESCALE, 0.5, -10.0, EMPTY, 0, kr.VOI_LINEAR, 1e9, 2e9, EMPTY, 0, 1.0, 255.0,
            False)
    a, b = np.empty(len(wide), np.uint8), np.empty(len(wide), np.uint8)
    kr.render_direct(wide, 0xFFFFFFFF, 0, a, *args)
    kr.render_direct_parallel(wide, 0xFFFFFFFF, 0, b, *args, 5)
    assert np.array_equal(a, b)


# ============================================================ 2. DCMTK dcmj2pnm +Ww c w

DCMTK_WINDOWS = [(40, 400), (-600, 1500), (40.5, 401), (300, 1), (1000.5, 1), (-1, 7), (2047.5, 4096)]


@pytest.mark.reference
@pytest.mark.parametrize("c,w", DCMTK_WINDOWS)
@pytest.mark.parametrize("photometric", ["MONOCHROME2", "MONOCHROME1"])
def test_set_window_matches_dcmtk(tmp_path, c, w, photometric):
    """dcmj2pnm +Ww c w on a generated CT (16-bit signed, rescale): DCMTK casts the formula's
    value to an integer (truncation) where we round half up, so ours is DCMTK's or one above it.
    Inverted (MONOCHROME1) DCMTK runs the ramp from low = 255 to high = 0 and truncates
    255 - y, which is 255 - ceil(y): again ours is DCMTK's or one above. Width 1 is a threshold
    in both: equal."""
    rng = np.random.default_rng(7)
    img = np.concatenate([all_values(-1100, 3100, np.int16, 128),
                          rng.integers(-2048, 3072, (40, 128)).astype(np.int16)])
    path = save(make_ds(img, photometric=photometric, RescaleSlope=1, RescaleIntercept=-1024),
                tmp_path / "ct.dcm")
    ref = dcmj2pnm(path, "+Ww", c, w).astype(int)
    ours = render_frame(path, voi="set", center=c, width=w).astype(int)
    diff = ours - ref
    if w == 1:
        assert diff.max() == diff.min() == 0
    else:
        assert diff.min() >= 0 and diff.max() <= 1, (diff.min(), diff.max())
    # and ours is the exact reference
    table = {x: expected_grey(x, c=c, w=w, intercept="-1024", invert=photometric == "MONOCHROME1")
             for x in range(-2048, 3101)}
    assert np.array_equal(ours, np.vectorize(table.__getitem__)(img.astype(int)))


@pytest.mark.reference
@pytest.mark.parametrize("options,kwargs", [
    (("+Wm",), dict(voi="minmax")), (("+Wn",), dict(voi="minmax-n")),
    (("+Wh", "5"), dict(voi="histogram", percent=5)), (("+Wh", "0"), dict(voi="histogram", percent=0)),
    (("-W",), dict(voi="none"))])
def test_computed_windows_match_dcmtk(tmp_path, options, kwargs):
    rng = np.random.default_rng(11)
    img = np.clip(rng.normal(900, 250, (96, 128)), 0, 4095).astype(np.uint16)
    img[0, :3] = (0, 4095, 4000)
    path = save(make_ds(img, bits_stored=12, RescaleSlope=1, RescaleIntercept=0), tmp_path / "mr.dcm")
    """+Wm, +Wn, +Wh: DCMTK truncates where we round (0 or 1 above). -W (no VOI) is not
    defined by the standard: DCMTK maps value bins, floor(x * 256 / 4096), we map the range's
    ends onto 0 and 255, round(x * 255 / 4095): within 1 either way."""
    diff = render_frame(path, **kwargs).astype(int) - dcmj2pnm(path, *options).astype(int)
    low = -1 if options == ("-W",) else 0
    assert diff.min() >= low and diff.max() <= 1, (diff.min(), diff.max())


# ========================================================================== 3. the corpus

def _read(path) -> Dataset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(path)


@needs_corpus
@pytest.mark.corpus
@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_every_corpus_file_renders(path, tmp_path):
    ds = _read(path)
    out = tmp_path / "x.png"
    if path.name in UNDECODABLE:       # a clean error (DecodeError, exit 21) and no output
        assert main(["dcm2img", "-q", str(path), str(out)]) == 21 and not out.exists()
        return
    result = render_file(path, out)
    assert out.exists() and result.outputs == [str(out)]
    from PIL import Image

    arr = render_frame(path)
    assert arr.dtype == np.uint8 and arr.shape[:2] == (ds.Rows, ds.Columns)
    assert np.array_equal(np.asarray(Image.open(out)), arr)
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    if frames > 1:
        assert render_frame(path, frames - 1).shape == arr.shape


def _dcmtk_readable(ds) -> str | None:
    ts = str(ds.file_meta.TransferSyntaxUID)
    if ts.startswith("1.2.840.10008.1.2.4.8") or ts.startswith("1.2.840.10008.1.2.4.9") \
            or ts.startswith("1.2.840.10008.1.2.4.20"):
        return "DCMTK (dcmj2pnm) cannot read JPEG-LS / JPEG 2000 / HTJ2K"
    if ds.BitsAllocated == 32 and ds.SamplesPerPixel == 3:
        return "DCMTK refuses 32-bit colour pixel data"
    return None


GREY = [p for p in FILES if p.name not in UNDECODABLE and "MONOCHROME" in
        str(_read(p).PhotometricInterpretation)] if FILES else []
# files DCMTK cannot read are compared with DCMTK through a native copy (see below), not here
GREY_DCMTK = [p for p in GREY if _dcmtk_readable(_read(p)) is None]


@needs_corpus
@pytest.mark.corpus
@pytest.mark.reference
@pytest.mark.parametrize("path", GREY_DCMTK, ids=[f"{p.parent.name}/{p.name}" for p in GREY_DCMTK])
def test_greyscale_corpus_matches_dcmtk_min_max(path, tmp_path):
    """+Wm on frame 1: ours - DCMTK in {0, 1} (DCMTK truncates, we round; with a fractional
    Rescale Slope DCMTK also truncates the modality values to integers). Lossy JPEG frames are
    compared on DCMTK's own decoding (dcmdjpeg): IJG 6b and libjpeg decode differently by 1."""
    ds = _read(path)
    ref = dcmj2pnm(path, "+Wm", "+F", "1").astype(int)
    source = path
    if FrameSource(ds).lossy:
        source = tmp_path / "dcmtk-decoded.dcm"
        proc = subprocess.run([dcmtk("dcmdjpeg"), str(path), str(source)], capture_output=True,
                              text=True)
        assert proc.returncode == 0, proc.stderr
    diff = render_frame(source, 0, voi="minmax").astype(int) - ref
    assert diff.min() >= 0 and diff.max() <= 1, (diff.min(), diff.max())


@needs_corpus
@pytest.mark.corpus
@pytest.mark.reference
@pytest.mark.parametrize("path", [p for p in GREY if p.parent.name.startswith(("JPEG2000", "JPEGLS"))],
                         ids=[f"{p.parent.name}/{p.name}" for p in GREY
                              if p.parent.name.startswith(("JPEG2000", "JPEGLS"))])
def test_jpeg2000_and_jpegls_greyscale_against_dcmtk_on_a_native_copy(path, tmp_path):
    """DCMTK cannot read these: it renders a native copy made from pydicom's decoding
    (pylibjpeg), and ours renders the compressed original. Same tolerance as above."""
    from pydicom.pixels import pixel_array

    ds = _read(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pixels = pixel_array(str(path), index=0, decoding_plugin="pylibjpeg")
    native = ds.copy()
    native.file_meta = ds.file_meta.copy()
    native.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    native.NumberOfFrames = 1
    native.PixelData = pixels.astype(pixels.dtype.newbyteorder("<")).tobytes()
    native["PixelData"].VR = "OW"
    native.BitsAllocated = pixels.dtype.itemsize * 8
    copy = save(native, tmp_path / "native.dcm")
    ref = dcmj2pnm(copy, "+Wm").astype(int)
    diff = render_frame(path, 0, voi="minmax").astype(int) - ref
    assert diff.min() >= 0 and diff.max() <= 1, (diff.min(), diff.max())


COLOUR = [p for p in FILES if p.name not in UNDECODABLE and "MONOCHROME" not in
          str(_read(p).PhotometricInterpretation)] if FILES else []


def ybr_to_rgb(ybr: np.ndarray, bits: int = 8) -> np.ndarray:
    """YBR_FULL → RGB: the inverse of PS3.3 C.7.6.3.1.2's equations (JFIF's), rounded half up."""
    half, top = 1 << (bits - 1), (1 << bits) - 1
    y, cb, cr = (ybr[..., k].astype(np.float64) for k in range(3))
    r = y + 1.402 * (cr - half)
    g = y - (0.114 * 1.772 / 0.587) * (cb - half) - (0.299 * 1.402 / 0.587) * (cr - half)
    b = y + 1.772 * (cb - half)
    return np.clip(np.floor(np.stack([r, g, b], -1) + 0.5), 0, top).astype(ybr.dtype)


def rgb_to_ybr_standard(rgb: np.ndarray) -> np.ndarray:
    """PS3.3 C.7.6.3.1.2, the standard's (4-decimal) forward equations, not rounded."""
    r, g, b = (rgb[..., k].astype(np.float64) for k in range(3))
    return np.stack([.2990 * r + .5870 * g + .1140 * b,
                     -.1687 * r - .3313 * g + .5000 * b + 128,
                     .5000 * r - .4187 * g - .0813 * b + 128], -1)


def scaled(values: np.ndarray, bits_in: int, bits_out: int) -> np.ndarray:
    imax, omax = (1 << bits_in) - 1, (1 << bits_out) - 1
    return ((values.astype(object) * omax * 2 + imax) // (2 * imax)).astype(np.int64)


@needs_corpus
@pytest.mark.corpus
@pytest.mark.parametrize("path", COLOUR, ids=[f"{p.parent.name}/{p.name}" for p in COLOUR])
def test_colour_corpus_matches_decoded_samples(path):
    ds = _read(path)
    src = FrameSource(ds)
    for frame in range(src.number_of_frames):
        decoded = src.decode(frame)
        got8 = render_frame(path, frame)
        got16 = render_frame(path, frame, bits=16)
        bits = min(src.bits_stored, decoded.dtype.itemsize * 8)
        if src.photometric == "PALETTE COLOR":
            from pydicom.pixels import apply_color_lut

            lut = apply_color_lut(decoded, ds)
            lut_bits = 8 if lut.dtype == np.uint8 else 16
            assert np.array_equal(got8, scaled(lut, lut_bits, 8))
            assert np.array_equal(got16, scaled(lut, lut_bits, 16))
        elif src.photometric == "RGB":
            assert np.array_equal(got8, scaled(decoded, bits, 8))
            assert np.array_equal(got16, scaled(decoded, bits, 16))
            if bits == 8:
                assert np.array_equal(got8, decoded)      # exactly the decoded samples
        else:
            assert src.photometric == "YBR_FULL", src.photometric
            rgb = ybr_to_rgb(decoded)
            assert np.array_equal(got8, rgb)
            assert np.array_equal(got16, scaled(rgb, 8, 16))
            # it inverts the standard's forward equations where nothing was clipped
            inside = np.all((rgb > 0) & (rgb < 255), axis=-1)
            back = rgb_to_ybr_standard(rgb)[inside]
            assert np.abs(back - decoded[inside]).max() <= 1.0
            # and agrees with pydicom's conversion (float32) within rounding
            from pydicom.pixels import convert_color_space

            assert np.abs(convert_color_space(decoded, "YBR_FULL", "RGB").astype(int)
                          - got8.astype(int)).max() <= 1


# =================================================================== 4. generated cases

def test_monochrome1_is_inverted_after_the_voi(tmp_path):
    img = all_values(0, 4095, np.uint16)
    base = dict(bits_stored=12, WindowCenter=1000, WindowWidth=1001)
    mono2 = render_frame(make_ds(img, **base))
    mono1 = render_frame(make_ds(img, photometric="MONOCHROME1", **base))
    assert np.array_equal(mono1, 255 - mono2)
    # the window is applied to the stored values, not to inverted ones
    assert mono2[img < 500].max() == 0 and mono1[img < 500].min() == 255
    # Presentation LUT Shape: INVERSE inverts (once, with MONOCHROME1), IDENTITY does not
    shape = lambda pi, s: render_frame(make_ds(img, photometric=pi, PresentationLUTShape=s, **base))
    assert np.array_equal(shape("MONOCHROME1", "INVERSE"), mono1)
    assert np.array_equal(shape("MONOCHROME1", "IDENTITY"), mono2)
    assert np.array_equal(shape("MONOCHROME2", "INVERSE"), mono1)
    assert np.array_equal(render_frame(make_ds(img, photometric="MONOCHROME1", **base),
                                       presentation_shape="identity"), mono2)


@pytest.mark.reference
def test_monochrome1_and_presentation_shape_like_dcmtk(tmp_path):
    img = all_values(0, 4095, np.uint16)
    for pi, shape in (("MONOCHROME1", None), ("MONOCHROME1", "INVERSE"), ("MONOCHROME2", "INVERSE"),
                      ("MONOCHROME1", "IDENTITY")):
        extra = {"PresentationLUTShape": shape} if shape else {}
        path = save(make_ds(img, photometric=pi, bits_stored=12, **extra), tmp_path / "m.dcm")
        diff = render_frame(path, voi="set", center=2000, width=3000).astype(int) - \
            dcmj2pnm(path, "+Ww", 2000, 3000).astype(int)
        assert diff.min() >= -1 and diff.max() <= 1 and np.abs(diff).mean() < 0.6, (pi, shape)


def test_modality_lut_sequence_and_voi_lut_sequence():
    img = all_values(0, 1023, np.uint16)
    mlut = ((np.arange(1024) ** 2) // 256).astype(np.uint16)           # 0 .. 4088, 12 bits
    mitem = Dataset()
    mitem.LUTDescriptor = [1024, 0, 12]
    mitem.ModalityLUTType = "US"
    mitem.LUTData = mlut.tolist()
    vlut = (4095 - np.arange(2000) * 2).clip(0).astype(np.uint16)      # decreasing, 12 bits
    vitem = Dataset()
    vitem.LUTDescriptor = [2000, 100, 12]
    vitem.LUTData = vlut.tolist()
    ds = make_ds(img, bits_stored=10, ModalityLUTSequence=[mitem], VOILUTSequence=[vitem],
                 WindowCenter=1000, WindowWidth=2000)
    v = mlut[img.astype(np.int64)].astype(np.int64)
    # the VOI LUT (preferred by "auto"): first value mapped 100, clamped at both ends
    expected = np.floor(vlut[np.clip(v - 100, 0, 1999)].astype(np.float64) * 255 / 4095 + 0.5)
    assert np.array_equal(render_frame(ds), expected)
    assert np.array_equal(render_frame(ds, voi="lut", index=0), expected)
    # the window on the modality LUT's output
    table = {int(x): min(max(round_half_up(exact_linear(Fraction(int(x)), Fraction(1000),
                                                        Fraction(2000), 255)), 0), 255)
             for x in np.unique(v)}
    assert np.array_equal(render_frame(ds, voi="window"), np.vectorize(table.__getitem__)(v))
    # -M: the window on the stored values
    table = {x: expected_grey(x, c=1000, w=2000) for x in range(1024)}
    assert np.array_equal(render_frame(ds, voi="window", modality=False),
                          np.vectorize(table.__getitem__)(img.astype(int)))


def test_window_by_index_and_voi_lut_function():
    img = all_values(-512, 511, np.int16)
    ds = make_ds(img, WindowCenter=[0, 100], WindowWidth=[200, 50], VOILUTFunction="SIGMOID")
    for index, (c, w) in enumerate([(0, 200), (100, 50)]):
        got = render_frame(ds, voi="window", index=index)
        table = {x: expected_grey(x, c=c, w=w, function="sigmoid") for x in range(-512, 512)}
        assert np.array_equal(got, np.vectorize(table.__getitem__)(img.astype(int)))
    linear = render_frame(ds, voi="window", index=1, voi_function="linear")
    table = {x: expected_grey(x, c=100, w=50) for x in range(-512, 512)}
    assert np.array_equal(linear, np.vectorize(table.__getitem__)(img.astype(int)))
    with pytest.raises(OptionError, match="window 3 does not exist"):
        render_frame(ds, voi="window", index=2)


def test_enhanced_multiframe_functional_groups():
    frames = np.stack([all_values(0, 4095, np.uint16)] * 2)
    shared = Dataset()
    pvt = Dataset()
    pvt.RescaleSlope, pvt.RescaleIntercept, pvt.RescaleType = 1, -1000, "HU"
    shared.PixelValueTransformationSequence = [pvt]
    per_frame = []
    for c, w in ((0, 100), (1000, 3000)):
        item, voi = Dataset(), Dataset()
        voi.WindowCenter, voi.WindowWidth = c, w
        item.FrameVOILUTSequence = [voi]
        per_frame.append(item)
    ds = make_ds(frames, bits_stored=12, SharedFunctionalGroupsSequence=[shared],
                 PerFrameFunctionalGroupsSequence=per_frame)
    for index, (c, w) in enumerate(((0, 100), (1000, 3000))):
        table = {x: expected_grey(x, c=c, w=w, intercept="-1000") for x in range(4096)}
        assert np.array_equal(render_frame(ds, index),
                              np.vectorize(table.__getitem__)(frames[index].astype(int)))


@pytest.mark.parametrize("entry_bits", [8, 16])
@pytest.mark.parametrize("segmented", [False, True])
def test_palette_colour(entry_bits, segmented):
    from pydicom.pixels import apply_color_lut

    rng = np.random.default_rng(entry_bits)
    img = rng.integers(0, 300, (40, 60)).astype(np.uint16)     # some beyond the LUT: clamped
    img[0, :4] = (0, 9, 10, 299)
    n, first = 256, 10
    top = (1 << entry_bits) - 1
    attrs = {}
    ramp = np.linspace(0, top, n).round().astype(np.int64)
    channels = {"Red": ramp, "Green": ramp[::-1], "Blue": (ramp * 7) % (top + 1)}
    for colour, values in channels.items():
        attrs[f"{colour}PaletteColorLookupTableDescriptor"] = [n, first, entry_bits]
        dtype = np.uint8 if entry_bits == 8 else np.uint16
        if segmented:
            # a discrete segment (opcode 0) of the first 100 entries, a linear one (1) to the
            # entry 200, the rest discrete
            seg = [0, 100, *values[:100], 1, 100, values[199], 0, 56, *values[200:]]
            data = np.array(seg, dtype)
            attrs[f"Segmented{colour}PaletteColorLookupTableData"] = data.tobytes()
        else:
            attrs[f"{colour}PaletteColorLookupTableData"] = values.astype(dtype).tobytes()
    ds = make_ds(img, photometric="PALETTE COLOR", bits_stored=9, **attrs)
    # values beyond the last entry map to it (PS3.3 C.7.6.3.1.5); pydicom computes the LUT
    # index in the LUT's own type, which wraps for 8-bit LUTs, so it gets them clipped
    reference = apply_color_lut(np.clip(img, 0, first + n - 1), ds)
    got8, got16 = render_frame(ds), render_frame(ds, bits=16)
    assert np.array_equal(got8, scaled(reference, entry_bits, 8))
    assert np.array_equal(got16, scaled(reference, entry_bits, 16))


def _rgb_image(rows=30, columns=40, dtype=np.uint8):
    rng = np.random.default_rng(1)
    top = np.iinfo(dtype).max
    return rng.integers(0, top + 1, (rows, columns, 3), dtype=np.int64).astype(dtype)


def test_transfer_syntaxes_of_greyscale():
    img = all_values(-2048, 2047, np.int16)
    table = {x: expected_grey(x, c=-10, w=1000, intercept="-5") for x in range(-2048, 2048)}
    expected = np.vectorize(table.__getitem__)(img.astype(int))
    for ts in (ExplicitVRLittleEndian, ExplicitVRBigEndian, ImplicitVRLittleEndian):
        ds = make_ds(img, bits_stored=12, ts=ts, RescaleSlope=1, RescaleIntercept=-5)
        buf = io.BytesIO()
        ds.save_as(buf, enforce_file_format=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            again = pydicom.dcmread(io.BytesIO(buf.getvalue()))
        assert np.array_equal(render_frame(again, voi="set", center=-10, width=1000), expected), ts


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("ts", [ExplicitVRLittleEndian, ExplicitVRBigEndian])
def test_planar_configuration_1(dtype, ts):
    rgb = _rgb_image(dtype=dtype)
    for planar in (0, 1):
        ds = make_ds(rgb, photometric="RGB", planar=planar, ts=ts)
        bits = rgb.dtype.itemsize * 8
        assert np.array_equal(render_frame(ds, bits=bits), rgb)
        assert np.array_equal(render_frame(ds), scaled(rgb, bits, 8))


def test_ybr_full_native_planar_and_rle():
    ybr = _rgb_image()
    expected = ybr_to_rgb(ybr)
    for planar in (0, 1):
        assert np.array_equal(render_frame(make_ds(ybr, photometric="YBR_FULL", planar=planar)),
                              expected)
    ds = make_ds(ybr, photometric="YBR_FULL")
    ds.compress(RLELossless, encoding_plugin="pydicom")
    assert np.array_equal(render_frame(ds), expected)


def test_ybr_full_422_native():
    """Native 4:2:2: Y0 Y1 CB CR per pair of pixels, converted from the stored bytes."""
    rng = np.random.default_rng(5)
    rows, columns = 6, 10
    raw = rng.integers(0, 256, rows * columns * 2).astype(np.uint8)
    ds = make_ds(raw.tobytes(), rows=rows, columns=columns, photometric="YBR_FULL_422",
                 bits_allocated=8, spp=3)
    quads = raw.reshape(rows, columns // 2, 4)
    ybr = np.empty((rows, columns, 3), np.uint8)
    ybr[:, 0::2, 0], ybr[:, 1::2, 0] = quads[..., 0], quads[..., 1]
    ybr[:, :, 1] = np.repeat(quads[..., 2], 2, axis=1)
    ybr[:, :, 2] = np.repeat(quads[..., 3], 2, axis=1)
    assert np.array_equal(render_frame(ds), ybr_to_rgb(ybr))
    assert np.array_equal(render_frame(ds, bits=16), scaled(ybr_to_rgb(ybr), 8, 16))


def test_ybr_rct_and_ict_kernels():
    from dicomconv.kernels import color as kc

    rgb = _rgb_image().astype(np.int64)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    # ISO/IEC 15444-1 G.2.1 forward RCT on DC-shifted values, stored shifted back (+128)
    rs, gs, bs = r - 128, g - 128, b - 128
    y = (rs + 2 * gs + bs) // 4 + 128
    cb, cr = bs - gs + 128, rs - gs + 128
    out = np.empty(rgb.shape, np.uint8)
    kc.ybr_rct_to_rgb(y, cb, cr, 128, 255, 255, out)
    assert np.array_equal(out, rgb)
    ycc = np.stack([.299 * rs + .587 * gs + .114 * bs + 128,
                    -.16875 * rs - .33126 * gs + .5 * bs + 128,
                    .5 * rs - .41869 * gs - .08131 * bs + 128], -1)
    ycc = np.clip(np.floor(ycc + 0.5), 0, 255)
    kc.ybr_ict_to_rgb(ycc[..., 0], ycc[..., 1], ycc[..., 2], 128, 255, 255, out)
    assert np.abs(out.astype(int) - rgb).max() <= 2     # lossy by construction (rounding)


def test_multiframe_selection_and_all_frames(tmp_path):
    frames = np.stack([np.full((8, 12), v, np.uint16) + np.arange(12, dtype=np.uint16)
                       for v in (0, 100, 200)])
    path = save(make_ds(frames, bits_stored=12, WindowCenter=150, WindowWidth=301), tmp_path / "mf.dcm")
    rendered = [render_frame(path, i) for i in range(3)]
    for i in range(3):
        table = {x: expected_grey(x, c=150, w=301) for x in range(4096)}
        assert np.array_equal(rendered[i], np.vectorize(table.__getitem__)(frames[i].astype(int)))
    assert np.array_equal(render_frame(path, -1), rendered[2])
    out = tmp_path / "one.pgm"
    assert main(["dcm2img", "+F", "2", str(path), str(out)]) == 0
    assert np.array_equal(read_pnm(out), rendered[1])
    out = tmp_path / "all.png"
    assert main(["dcm2img", "+Fa", str(path), str(out)]) == 0
    assert not out.exists()
    for i in range(3):
        assert np.array_equal(read_png(tmp_path / f"all_{i + 1:04d}.png"), rendered[i])
    assert main(["dcm2img", "-q", "+F", "4", str(path), str(tmp_path / "x.png")]) == 1
    assert not (tmp_path / "x.png").exists()


def test_one_bit_pixels():
    bits = np.random.default_rng(2).integers(0, 2, (16, 24)).astype(np.uint8)
    packed = np.packbits(bits.reshape(-1), bitorder="little").tobytes()
    ds = make_ds(packed, rows=16, columns=24, bits_allocated=1)
    assert np.array_equal(render_frame(ds), bits * 255)
    assert np.array_equal(render_frame(make_ds(packed, rows=16, columns=24, bits_allocated=1,
                                               photometric="MONOCHROME1")), (1 - bits) * 255)


def test_wide_stored_values_direct_path():
    img = np.array([[0, 1, 2**31 - 1], [2**32 - 1, 2**20, 7]], np.uint32)
    got = render_frame(make_ds(img), voi="set", center=2**31, width=2**32)
    expected = [[expected_grey(int(x), c=2**31, w=2**32) for x in row] for row in img]
    assert np.array_equal(got, expected)
    assert np.array_equal(render_frame(make_ds(img)), render_frame(make_ds(img), voi="minmax"))


# ========================================================================== 5. outputs

@pytest.mark.parametrize("fmt,bits,colour", [("png", 8, False), ("png", 16, False), ("png", 8, True),
                                             ("png", 16, True), ("pnm", 16, True), ("pnm", 8, False),
                                             ("tiff", 16, False), ("tiff", 16, True), ("tiff", 8, True),
                                             ("bmp", 8, False), ("bmp", 8, True), ("jpeg", 8, True)])
def test_output_formats(tmp_path, fmt, bits, colour):
    from PIL import Image

    rng = np.random.default_rng(9)
    y, x = np.mgrid[0:24, 0:32]
    smooth = (x * 1500 + y * 700 + rng.integers(0, 400, x.shape)).astype(np.uint16)
    if colour:
        img = np.stack([smooth, 65535 - smooth, smooth // 2 + 9000], -1).astype(np.uint16)
        ds = make_ds(img, photometric="RGB")
    else:
        ds = make_ds(smooth >> 4, bits_stored=12)
    expected = render_frame(ds, bits=bits)
    out = tmp_path / f"o.{ {'jpeg': 'jpg', 'tiff': 'tif'}.get(fmt, fmt) }"
    render_file(ds, out, bits=bits)
    if fmt == "png":
        assert np.array_equal(read_png(out), expected)
        if not (bits == 16 and colour):
            assert np.array_equal(np.asarray(Image.open(out)), expected)
        else:   # Pillow reads 48-bit PNG as 8-bit RGB (the high bytes)
            assert np.array_equal(np.asarray(Image.open(out)), expected >> 8)
    elif fmt == "pnm":
        assert np.array_equal(read_pnm(out), expected)
    elif fmt == "tiff" and bits == 16 and colour:
        tif = Image.open(out)
        assert tif.tag_v2[258] == (16, 16, 16) and tif.tag_v2[277] == 3
        start = tif.tag_v2[273][0]
        data = np.frombuffer(out.read_bytes(), "<u2", expected.size, start).reshape(expected.shape)
        assert np.array_equal(data, expected)
    elif fmt == "jpeg":
        assert np.abs(np.asarray(Image.open(out)).astype(int) - expected.astype(int)).mean() < 4
    else:
        assert np.array_equal(np.asarray(Image.open(out)), expected)


def test_png_compress_levels_decode_the_same(tmp_path):
    rng = np.random.default_rng(4)
    img = np.clip(rng.normal(2000, 300, (700, 600)), 0, 4095).astype(np.uint16)
    ds = make_ds(img, bits_stored=12)
    expected = render_frame(ds)
    sizes = []
    for level in (0, 1, 6):
        out = tmp_path / f"l{level}.png"
        render_file(ds, out, png_compress_level=level)
        assert np.array_equal(read_png(out), expected)
        sizes.append(out.stat().st_size)
    assert sizes[0] > sizes[1] and sizes[0] > sizes[2]


# ================================================================ 6. errors, CLI, atomicity

def run_cli(*args) -> tuple[int, str]:
    proc = subprocess.run([sys.executable, "-m", "dicomconv", "dcm2img", *map(str, args)],
                          capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stderr


def assert_one_line(err: str, text: str) -> None:
    lines = err.strip().splitlines()
    assert "Traceback" not in err
    assert len(lines) == 1 or (len(lines) == 2 and lines[0].startswith("usage:")), err
    assert text in lines[-1], err


def test_bad_inputs_give_one_line_errors_and_no_output(tmp_path, capsys):
    img = all_values(0, 4095, np.uint16)
    cases = []
    nopix = make_ds(img, bits_stored=12)
    del nopix.PixelData
    cases.append(("nopix", nopix, 21, "no Pixel Data"))
    short = make_ds(img, bits_stored=12)
    short.PixelData = short.PixelData[:1000]
    cases.append(("short", short, 21, "Pixel Data has 1000 bytes"))
    cases.append(("w0", make_ds(img, bits_stored=12, WindowCenter=100, WindowWidth=0), 21,
                  "Window Width 0"))
    cases.append(("partial", make_ds(_rgb_image(), photometric="YBR_PARTIAL_420"), 22,
                  "YBR_PARTIAL_420"))
    for name, ds, code, text in cases:
        path = save(ds, tmp_path / f"{name}.dcm")
        out = tmp_path / f"{name}.png"
        assert main(["dcm2img", str(path), str(out)]) == code, name
        assert_one_line(capsys.readouterr().err, text)
        assert not out.exists()
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(f".{name}")]
    (tmp_path / "junk.dcm").write_bytes(b"not dicom at all" * 20)
    assert main(["dcm2img", str(tmp_path / "junk.dcm"), str(tmp_path / "junk.png")]) == 21
    assert_one_line(capsys.readouterr().err, "junk.dcm")
    # window width 0 given on the command line, and window/LUT the file does not have
    good = save(make_ds(img, bits_stored=12), tmp_path / "good.dcm")
    for args, text, code in ((["+Ww", "10", "0"], "Window Width 0", 1),
                             (["+Ww", "10", "0.5", "--voi-function", "sigmoid"], "", 0),
                             (["+Wi", "1"], "no window", 21), (["+Wl", "2"], "no VOI LUT", 21)):
        out = tmp_path / "g.png"
        assert main(["dcm2img", *args, str(good), str(out)]) == code, args
        if code:
            assert_one_line(capsys.readouterr().err, text)
            assert not out.exists()
        else:
            out.unlink()
    with pytest.raises(OptionError, match="Window Width 0"):
        render_frame(make_ds(img, bits_stored=12), voi="set", center=5, width=0.0)
    with pytest.raises(InputError, match="Window Width -3"):
        render_frame(make_ds(img, bits_stored=12, WindowCenter=1, WindowWidth=-3))
    with pytest.raises(UnsupportedInputError):
        render_frame(make_ds(_rgb_image(), photometric="YBR_PARTIAL_420"))


def test_all_frames_is_all_or_nothing(tmp_path, capsys):
    frames = np.stack([all_values(0, 255, np.uint8)] * 3)
    ds = make_ds(frames)
    ds.compress(RLELossless, encoding_plugin="pydicom")
    from pydicom.encaps import encapsulate, generate_frames

    parts = list(generate_frames(ds.PixelData, number_of_frames=3))
    parts[2] = parts[2][:64] + b"\xff" * 8          # corrupt the last frame
    ds.PixelData = encapsulate(parts)
    path = save(ds, tmp_path / "bad3.dcm")
    out = tmp_path / "f.png"
    assert main(["dcm2img", "+Fa", str(path), str(out)]) == 21
    assert_one_line(capsys.readouterr().err, "frame 3")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad3.dcm"]
    assert main(["dcm2img", str(path), str(out)]) == 0     # frame 1 is fine


def test_cli_usage_errors_and_options(tmp_path, capsys):
    path = save(make_ds(all_values(-1000, 1000, np.int16), RescaleSlope=1, RescaleIntercept=0),
                tmp_path / "ct.dcm")
    for args, text in ((["--bogus"], "unknown option"), (["--bits", "12"], "--bits"),
                       (["+F", "0"], "+F"), (["+F", "2", "+Fa"], "exclude"),
                       (["--format", "gif"], "unknown output format"),
                       (["--bits", "16"], "8-bit samples only"),
                       (["--set-window=40"], "center and a width"),
                       (["--voi-function", "cubic"], "linear")):
        out = tmp_path / "o.jpg"
        assert main(["dcm2img", *args, str(path), str(out)]) == 1, args
        assert_one_line(capsys.readouterr().err, text)
        assert not out.exists()
    assert main(["dcm2img", str(path), str(tmp_path / "o.xyz")]) == 1
    assert "extension" in capsys.readouterr().err
    # +Ww with a negative center; the rightmost VOI option wins
    out = tmp_path / "w.pgm"
    assert main(["dcm2img", "+Wm", "+Ww", "-100", "300", str(path), str(out)]) == 0
    table = {x: expected_grey(x, c=-100, w=300) for x in range(-1000, 1001)}
    stored = all_values(-1000, 1000, np.int64)
    assert np.array_equal(read_pnm(out), np.vectorize(table.__getitem__)(stored))
    assert main(["dcm2img", "+Ww", "-100", "300", "+Wm", str(path), str(out)]) == 0
    assert np.array_equal(read_pnm(out), render_frame(path, voi="minmax"))
    assert main(["dcm2img", "-v", "--bits", "16", "+Wh", "1", str(path), str(tmp_path / "h.png")]) == 0
    assert "histogram window (1 %)" in capsys.readouterr().err
    assert read_png(tmp_path / "h.png").dtype == np.uint16
    # output problems: exit 40, nothing written; the input is never overwritten
    assert main(["dcm2img", str(path), str(tmp_path / "missing" / "o.png")]) == 40
    assert_one_line(capsys.readouterr().err, "cannot write")
    copy = tmp_path / "ct.pnm"
    shutil.copy(path, copy)
    assert main(["dcm2img", "--format", "pnm", str(copy), str(copy)]) == 40
    assert copy.read_bytes() == path.read_bytes()


def test_subprocess_cli_and_exit_codes(tmp_path):
    path = save(make_ds(all_values(0, 4095, np.uint16), bits_stored=12, WindowCenter=2048,
                        WindowWidth=4096), tmp_path / "in.dcm")
    code, err = run_cli("-v", path, tmp_path / "o.png")
    assert code == 0, err
    assert "window 1 of the file: center 2048 width 4096 LINEAR" in err
    code, err = run_cli(tmp_path / "nothing.dcm", tmp_path / "o2.png")
    assert code == 21
    assert_one_line(err, "nothing.dcm")
    code, err = run_cli(path)
    assert code == 1 and "missing parameter" in err


def test_api_options_validation():
    with pytest.raises(OptionError):
        RenderOptions(voi="magic").validate()
    with pytest.raises(OptionError):
        RenderOptions(voi="set", center=1).validate()
    with pytest.raises(OptionError):
        RenderOptions(bits=12).validate()
    with pytest.raises(OptionError):
        encode_image(np.zeros((2, 2), np.uint16), "jpeg")
