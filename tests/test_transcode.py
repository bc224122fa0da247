"""``dicomconv transcode`` (src/dicomconv/transcode.py), frame decoding (codecs/decode.py) and
the encapsulated Pixel Data parser/builder (native/fragments.pyx).

Oracles: pydicom's own decoding (``pixel_array``, pylibjpeg plugin for compressed data) of every
file of the shared corpus; byte-exact native → RLE → native round trips; DCMTK ``dcmdrle`` /
``dcmcrle`` / ``dcmdjpeg`` / ``dcmdjpls`` / ``dcmconv`` and GDCM ``gdcmconv`` (the system one,
/usr/bin, not python-gdcm's wrapper); an independent pure-Python reading of the item structure;
hypothesis-generated malformed data; dciodvfy (no new errors on outputs of clean inputs).
Reference-tool tests skip with the reason when a tool is missing.
"""
from __future__ import annotations

import os
import shutil
import struct
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pydicom
from pydicom.encaps import encapsulate, generate_frames
from pydicom.pixels import pixel_array

from dicomconv._native.fragments import Encapsulated, FragmentError, build
from dicomconv.cli import main
from dicomconv.codecs.decode import (DecodeError, FrameSource, decode_frame, iter_frames,
                                     transfer_syntax_kind)
from dicomconv.errors import InputError
from dicomconv.transcode import TranscodeOptions, transcode_bytes, transcode_file

CORPUS = Path(os.environ.get("DICOMCONV_CORPUS")
              or Path(__file__).resolve().parents[2] / "shared" / "corpus")
DICOM_CORPUS = CORPUS / "dicom"
FILES = sorted(DICOM_CORPUS.glob("*/*.dcm")) if DICOM_CORPUS.is_dir() else []
IDS = [f"{p.parent.name}/{p.name}" for p in FILES]

EXPLICIT_LE = "1.2.840.10008.1.2.1"
IMPLICIT_LE = "1.2.840.10008.1.2"
RLE = "1.2.840.10008.1.2.5"

# Files no decoder here can decode (openjpeg: "failed to decode image"; pydicom fails too).
REFUSED_RAW = {"966.dcm"}
# Files pydicom cannot decode but we can (invalid Se in sequential scans), and their fixed twins.
FIXED_TWIN = {"JPEG-lossy.dcm": "JPEGExtended_1s_1f_u_16_12.dcm", "RG2_JPLY.dcm": "RG2_JPLY_fixed.dcm"}

needs_corpus = pytest.mark.skipif(not FILES, reason=f"test corpus not found at {DICOM_CORPUS} "
                                  "(set DICOMCONV_CORPUS)")


def tool(name: str) -> str:
    """A reference tool from the system packages (/usr/bin first: pip's python-gdcm puts a
    different gdcmconv first on PATH)."""
    exe = shutil.which(name, path="/usr/bin:/usr/local/bin") or shutil.which(name)
    if exe is None:
        pytest.skip(f"{name} is not installed (reference tool)")
    return exe


def run_tool(name: str, *args) -> subprocess.CompletedProcess:
    return subprocess.run([tool(name), *map(str, args)], capture_output=True, text=True,
                          errors="replace", timeout=120)


def read(path) -> pydicom.Dataset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(path)


def ts_of(path) -> str:
    return str(read(path).file_meta.TransferSyntaxUID)


def reference_pixels(path) -> np.ndarray:
    """pydicom's own decoding: pylibjpeg for JPEG-family / JPEG 2000, its defaults otherwise."""
    kind = transfer_syntax_kind(ts_of(path))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind in ("jpeg", "jpegls", "j2k"):
            return pixel_array(str(path), decoding_plugin="pylibjpeg")
        return pixel_array(str(path))


def values(path, as_rgb: bool = True) -> np.ndarray:
    """All frames as pydicom would show them (our decoder, corrected, YBR → RGB), int64."""
    src = FrameSource(read(path))
    return np.stack([src.decode(i, as_rgb=as_rgb).astype(np.int64)
                     for i in range(src.number_of_frames)])


def cli(capsys, *args) -> tuple[int, str]:
    code = main(["transcode", *map(str, args)])
    err = capsys.readouterr().err
    return code, err


# Outputs shared by several tests (one transcode per file and mode).
_CACHE: dict = {}


@pytest.fixture(scope="module")
def outdir(tmp_path_factory):
    return tmp_path_factory.mktemp("transcode")


def transcoded(outdir, path: Path, *options: str) -> tuple[int, Path]:
    key = (path, options)
    if key not in _CACHE:
        out = outdir / f"{path.parent.name}-{path.stem}{''.join(options).replace('-', '_')}.dcm"
        code = main(["transcode", *options, str(path), str(out)])
        _CACHE[key] = (code, out)
    return _CACHE[key]


# ============================================================ 1. every file through --raw

@needs_corpus
@pytest.mark.corpus
@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_raw_equals_pydicom(outdir, path):
    code, out = transcoded(outdir, path, "--raw")
    try:
        expected = reference_pixels(path)
    except Exception:
        expected = None
    if path.name in REFUSED_RAW:
        assert expected is None
        assert code == 21 and not out.exists()
        return
    assert code == 0, f"--raw refused {path.name}"
    ds_in, ds_out = read(path), read(out)
    assert ds_out.file_meta.TransferSyntaxUID == EXPLICIT_LE
    assert ds_out.SOPClassUID == ds_in.SOPClassUID
    assert ds_out.get("SOPInstanceUID") == ds_in.get("SOPInstanceUID")
    assert ds_out.file_meta.MediaStorageSOPInstanceUID == ds_in.get("SOPInstanceUID")
    if expected is None:        # pydicom refuses the invalid stream; compare with the fixed twin
        assert path.name in FIXED_TWIN
        expected = reference_pixels(path.parent / FIXED_TWIN[path.name])
    got = reference_pixels(out)
    assert got.shape == expected.shape
    assert np.array_equal(got.astype(np.int64), expected.astype(np.int64))
    # our decoder on the input gives the same values as pydicom on our output
    assert np.array_equal(values(path).reshape(got.shape), got.astype(np.int64))

    src = FrameSource(ds_in)
    assert ds_out.PhotometricInterpretation == src.photometric
    if src.samples_per_pixel == 3:
        assert ds_out.PlanarConfiguration == (src.stored_planar_configuration
                                              if src.kind in ("native", "rle") else 0)
    if src.lossy:
        assert ds_out.LossyImageCompression == "01"
        if ds_in.get("LossyImageCompression") != "01":   # this compression recorded
            methods = ds_out["LossyImageCompressionMethod"]
            ratios = ds_out["LossyImageCompressionRatio"]
            assert list(methods.value if methods.VM > 1 else [methods.value])[-1] == \
                src.compression_method
            assert float(list(ratios.value if ratios.VM > 1 else [ratios.value])[-1]) > 1
        else:                                              # already recorded: kept
            assert ds_out.get("LossyImageCompressionMethod") == ds_in.get(
                "LossyImageCompressionMethod")
    elif "LossyImageCompression" in ds_in:
        assert ds_out.LossyImageCompression == ds_in.LossyImageCompression


def test_photometric_of_decoders():
    """What each decoder returns (documented in codecs/decode.py)."""
    if not FILES:
        pytest.skip("test corpus not found")
    cases = {"JPEGBaseline/SC_rgb_dcmtk_+eb+cy+np.dcm": ("YBR_FULL_422", "YBR_FULL"),
             "JPEGBaseline/SC_rgb_dcmtk_+eb+cr.dcm": ("RGB", "RGB"),
             "JPEGExtended/JPEGExtended_3s_1f_u_08_08.dcm": ("YBR_FULL", "YBR_FULL"),
             "JPEG2000Lossless/US1_J2KR.dcm": ("YBR_RCT", "RGB"),
             "JPEG2000/US1_J2KI.dcm": ("YBR_ICT", "RGB"),
             "JPEGLosslessSV1/JPEGLosslessP14SV1_3s_2f_u_08_08.dcm": ("RGB", "RGB"),
             "RLELossless/SC_rgb_rle.dcm": ("RGB", "RGB")}
    for rel, (stored, decoded) in cases.items():
        src = FrameSource(read(DICOM_CORPUS / rel))
        assert (src.stored_photometric, src.photometric) == (stored, decoded), rel


# ============================================== 2. RLE round trips (native: byte-exact)

NATIVE_FILES = [p for p in FILES if p.parent.name.startswith("LittleEndian")]
LOSSLESS_ENCAPSULATED = [p for p in FILES if p.parent.name in (
    "JPEG2000Lossless", "JPEGLSLossless", "JPEGLossless", "JPEGLosslessSV1", "RLELossless")
    and p.name not in REFUSED_RAW]


@needs_corpus
@pytest.mark.corpus
@pytest.mark.parametrize("path", NATIVE_FILES, ids=[p.name for p in NATIVE_FILES])
def test_native_rle_round_trip_is_exact(outdir, path):
    code, rle = transcoded(outdir, path, "--rle")
    assert code == 0
    assert ts_of(rle) == RLE
    code, back = transcoded(outdir, rle, "--raw")
    assert code == 0
    ds_in, ds_back = read(path), read(back)
    n = len(FrameSource(ds_in).encoded(0)) * FrameSource(ds_in).number_of_frames
    assert ds_back.PixelData[:n] == ds_in.PixelData[:n]       # bit for bit
    # pydicom's own RLE decoder reads our output
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = pixel_array(str(rle), decoding_plugin="pydicom")
    assert np.array_equal(theirs, pixel_array(str(path)))


@needs_corpus
@pytest.mark.corpus
@pytest.mark.parametrize("path", LOSSLESS_ENCAPSULATED, ids=[p.name for p in LOSSLESS_ENCAPSULATED])
def test_lossless_rle_round_trip(outdir, path):
    code, rle = transcoded(outdir, path, "--rle")
    assert code == 0
    code, back = transcoded(outdir, rle, "--raw")
    _, raw = transcoded(outdir, path, "--raw")
    assert code == 0
    assert read(back).PixelData == read(raw).PixelData


@needs_corpus
def test_rle_refuses_lossy_unless_forced(outdir, capsys, tmp_path):
    lossy = DICOM_CORPUS / "JPEGBaseline" / "SC_rgb_jpeg_dcmtk.dcm"
    code, err = cli(capsys, "--rle", lossy, tmp_path / "x.dcm")
    assert code == 22 and "lossy" in err and "--force" in err and err.count("\n") == 1
    assert not (tmp_path / "x.dcm").exists()
    code, _ = cli(capsys, "--rle", "--force", lossy, tmp_path / "x.dcm")
    assert code == 0
    ds = read(tmp_path / "x.dcm")
    assert ds.LossyImageCompression == "01" and ds.PhotometricInterpretation == "YBR_FULL"
    assert np.array_equal(values(tmp_path / "x.dcm"), values(lossy))


# ================================================ 3. reference tools on our RLE output

RLE_SOURCES = NATIVE_FILES + LOSSLESS_ENCAPSULATED


@needs_corpus
@pytest.mark.reference
@pytest.mark.parametrize("path", RLE_SOURCES, ids=[p.name for p in RLE_SOURCES])
def test_dcmdrle_and_gdcm_decode_our_rle(outdir, path):
    code, rle = transcoded(outdir, path, "--rle")
    _, raw = transcoded(outdir, path, "--raw")
    assert code == 0
    ours = read(raw)
    out = outdir / f"dcmdrle-{path.stem}.dcm"
    proc = run_tool("dcmdrle", rle, out)
    assert proc.returncode == 0, proc.stderr
    assert read(out).PixelData[:len(ours.PixelData)] == ours.PixelData
    if ours.BitsAllocated == 8 or ours.SamplesPerPixel == 1:   # GDCM fails on 16/32-bit RGB
        out = outdir / f"gdcm-{path.stem}.dcm"
        proc = run_tool("gdcmconv", "--raw", rle, out)
        assert proc.returncode == 0, proc.stderr
        assert np.array_equal(values(out), values(raw))


@needs_corpus
@pytest.mark.reference
@pytest.mark.parametrize("path", NATIVE_FILES, ids=[p.name for p in NATIVE_FILES])
def test_we_decode_dcmcrle_output(outdir, path):
    rle = outdir / f"dcmcrle-{path.stem}.dcm"
    proc = run_tool("dcmcrle", path, rle)
    assert proc.returncode == 0, proc.stderr
    code, back = transcoded(outdir, rle, "--raw")
    assert code == 0
    ds_in = read(path)
    n = FrameSource(ds_in).frame_length * FrameSource(ds_in).number_of_frames
    assert read(back).PixelData[:n] == ds_in.PixelData[:n]


@needs_corpus
@pytest.mark.reference
@pytest.mark.parametrize("path", [p for p in NATIVE_FILES if "16bit" not in p.name
                                  and "32bit" not in p.name],
                         ids=lambda p: p.name)
def test_we_decode_gdcm_rle_output(outdir, path):
    rle = outdir / f"gdcmrle-{path.stem}.dcm"
    proc = run_tool("gdcmconv", "--rle", path, rle)
    assert proc.returncode == 0, proc.stderr
    assert np.array_equal(values(rle), values(path))


# ============================= 4. GDCM and DCMTK decoders agree with our --raw (JPEG family)

JPEG_FAMILY = [p for p in FILES if p.parent.name.startswith("JPEG") and p.name not in REFUSED_RAW]


@needs_corpus
@pytest.mark.reference
@pytest.mark.parametrize("path", JPEG_FAMILY, ids=[f"{p.parent.name}/{p.name}" for p in JPEG_FAMILY])
def test_reference_decoders_agree(outdir, path):
    code, raw = transcoded(outdir, path, "--raw")
    assert code == 0
    ours = values(raw)
    src = FrameSource(read(path))
    tools = [("gdcmconv", "--raw")]
    if src.kind == "jpeg":
        tools.append(("dcmdjpeg",))
    elif src.kind == "jpegls":
        tools.append(("dcmdjpls",))
    for name, *args in tools:
        out = outdir / f"{name}-{path.parent.name}-{path.stem}.dcm"
        proc = run_tool(name, *args, path, out)
        assert proc.returncode == 0, proc.stderr
        theirs = values(out)        # YBR_FULL → RGB on both sides (dcmdjpeg writes RGB)
        assert theirs.shape == ours.shape
        diff = np.abs(theirs - ours)
        if not src.lossy:
            assert diff.max() == 0, f"{name}: lossless decode differs"
        elif src.kind == "jpeg":
            # IDCT rounding: ±1; colour: chroma upsampling filters differ too
            assert diff.max() <= (1 if src.samples_per_pixel == 1 else 3), (name, diff.max())
            assert diff.mean() < 0.2
        else:
            assert diff.max() == 0, f"{name}: {src.kind} decode differs"


# =========================================================== 5. --split and offset tables

def items(value: bytes) -> tuple[list[int], list[tuple[int, bytes]]]:
    """Independent reading of an encapsulated value: (BOT entries, [(offset of the item tag
    from the first fragment's, fragment value)]) -- the sequence delimiter ends it."""
    assert value[:4] == b"\xfe\xff\x00\xe0"
    bot_len = struct.unpack("<I", value[4:8])[0]
    bot = list(struct.unpack(f"<{bot_len // 4}I", value[8:8 + bot_len]))
    pos = first = 8 + bot_len
    out = []
    while pos < len(value):
        tag, length = value[pos:pos + 4], struct.unpack("<I", value[pos + 4:pos + 8])[0]
        if tag == b"\xfe\xff\xdd\xe0":
            break
        assert tag == b"\xfe\xff\x00\xe0" and length % 2 == 0
        out.append((pos - first, value[pos + 8:pos + 8 + length]))
        pos += 8 + length
    return bot, out


SPLIT_FILES = ["JPEGLosslessSV1/JPEGLosslessP14SV1_3s_2f_u_08_08.dcm",
               "JPEG2000Lossless/emri_small_jpeg_2k_lossless.dcm",
               "JPEGLSLossless/emri_small_jpeg_ls_lossless.dcm",
               "JPEGBaseline/SC_rgb_small_odd_jpeg.dcm",
               "JPEGBaseline/SC_rgb_jpeg_dcmtk.dcm",
               "JPEG2000/MR2_J2KI.dcm",
               "RLELossless/OBXXXX1A_rle_2frame.dcm"]


@needs_corpus
@pytest.mark.parametrize("rel", SPLIT_FILES)
@pytest.mark.parametrize("size", [64, 1001, 65536])
def test_split(outdir, rel, size):
    path = DICOM_CORPUS / rel
    options = ("--split", str(size)) + (("--force",) if "RLE" in rel else ())
    code, out = transcoded(outdir, path, *options)
    assert code == 0
    ds_in, ds_out = read(path), read(out)
    assert ds_out.file_meta.TransferSyntaxUID == ds_in.file_meta.TransferSyntaxUID
    nframes = int(ds_in.get("NumberOfFrames", 1) or 1)
    originals = list(generate_frames(ds_in.PixelData, number_of_frames=nframes))
    bot, frags = items(ds_out.PixelData)
    limit = size & ~1
    assert all(len(f) <= limit for _, f in frags)
    assert len(bot) == nframes
    offsets = [o for o, _ in frags]
    starts = [offsets.index(b) for b in bot]           # every entry points at an item tag
    assert starts[0] == 0 and starts == sorted(starts)
    for k, first in enumerate(starts):
        stop = starts[k + 1] if k + 1 < nframes else len(frags)
        frame = b"".join(f for _, f in frags[first:stop])
        original = bytes(originals[k])
        assert frame[:len(original)] == original and not frame[len(original):].strip(b"\0")
    # our decoder finds the frames through the BOT, and the pixels are unchanged
    if FrameSource(ds_in).photometric and path.name not in REFUSED_RAW:
        assert np.array_equal(values(out), values(path))


@needs_corpus
@pytest.mark.reference
def test_split_output_read_by_dcmtk_and_gdcm(outdir):
    path = DICOM_CORPUS / "JPEGLosslessSV1" / "JPEGLosslessP14SV1_3s_2f_u_08_08.dcm"
    code, out = transcoded(outdir, path, "--split", "4096")
    assert code == 0
    for name, args in (("dcmdjpeg", ()), ("gdcmconv", ("--raw",))):
        dec = outdir / f"split-{name}.dcm"
        proc = run_tool(name, *args, out, dec)
        assert proc.returncode == 0, proc.stderr
        assert np.array_equal(values(dec), values(path))


@needs_corpus
@pytest.mark.parametrize("rel", SPLIT_FILES[:3] + ["RLELossless/SC_rgb_rle_32bit_2frame.dcm"])
def test_extended_offset_table(outdir, rel):
    path = DICOM_CORPUS / rel
    code, out = transcoded(outdir, path, "--extended-offset-table")
    assert code == 0
    ds = read(out)
    nframes = int(ds.get("NumberOfFrames", 1) or 1)
    bot, frags = items(ds.PixelData)
    assert bot == [] and len(frags) == nframes                # empty BOT, one fragment a frame
    eot = struct.unpack(f"<{nframes}Q", ds.ExtendedOffsetTable)
    lengths = struct.unpack(f"<{nframes}Q", ds.ExtendedOffsetTableLengths)
    assert list(eot) == [o for o, _ in frags]
    assert list(lengths) == [len(f) for _, f in frags]
    assert ds["ExtendedOffsetTable"].VR == "OV"
    # pydicom reads the frames through the EOT; so do we
    frames = list(generate_frames(ds.PixelData, number_of_frames=nframes,
                                  extended_offsets=(ds.ExtendedOffsetTable,
                                                    ds.ExtendedOffsetTableLengths)))
    assert len(frames) == nframes
    assert np.array_equal(values(out), values(path))
    # and re-encoding without the option drops it again
    code, plain = transcoded(outdir, out, "--split", "100000")
    assert code == 0 and "ExtendedOffsetTable" not in read(plain)


# ======================================================================= 6. dciodvfy

def dciodvfy_errors(path) -> list[str] | None:
    """Error lines, or None when dciodvfy cannot check the file (it asserts on 32-bit data)."""
    proc = run_tool("dciodvfy", path)
    text = proc.stdout + proc.stderr
    if proc.returncode < 0 or "Assertion" in text:
        return None
    return [ln.strip() for ln in text.splitlines() if ln.startswith("Error")]


@needs_corpus
@pytest.mark.reference
@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_dciodvfy_clean_in_clean_out(outdir, path):
    before = dciodvfy_errors(path)
    if before is None:
        pytest.skip("dciodvfy cannot check the input (it asserts on 32-bit native data)")
    if before:
        pytest.skip(f"dciodvfy finds {len(before)} error(s) in the input")
    checked = 0
    encapsulated = FrameSource(read(path)).is_encapsulated
    for options in (("--raw",), ("--rle",), ("--extended-offset-table",), ("--split", "1001")):
        if options[0] in ("--extended-offset-table", "--split") and not encapsulated:
            continue
        code, out = transcoded(outdir, path, *options)
        if code != 0:
            continue
        errors = dciodvfy_errors(out)
        if errors is None:          # dciodvfy asserts on 32-bit native data
            continue
        assert errors == [], options
        checked += 1
    if not checked:
        pytest.skip("dciodvfy cannot check the outputs")


# ===================================================== 7. other transfer syntaxes / layouts

@needs_corpus
@pytest.mark.reference
@pytest.mark.parametrize("rel", ["LittleEndianExplicit/OBXXXX1A_2frame.dcm",
                                 "LittleEndianExplicit/SC_rgb_16bit_2frame.dcm",
                                 "LittleEndianExplicit/CT_small.dcm"])
def test_big_endian_input(outdir, rel):
    path = DICOM_CORPUS / rel
    be = outdir / f"be-{path.name}"
    proc = run_tool("dcmconv", "+tb", path, be)
    assert proc.returncode == 0, proc.stderr
    assert ts_of(be) == "1.2.840.10008.1.2.2"
    ds_in = read(path)
    for options in (("--raw",), ("--rle",), ()):
        code, out = transcoded(outdir, be, *options)
        assert code == 0, options
        ds = read(out)
        assert np.array_equal(values(out), values(path))
        if not options or options[0] == "--raw":
            assert ds.PixelData == ds_in.PixelData
        for keyword in ("RedPaletteColorLookupTableData", "RescaleSlope", "PixelSpacing"):
            if keyword in ds_in:      # OW data byte-swapped, numbers re-encoded
                assert ds[keyword].value == ds_in[keyword].value, keyword


@needs_corpus
def test_implicit_and_planar_outputs(outdir, capsys, tmp_path):
    path = DICOM_CORPUS / "JPEGLosslessSV1" / "JPEGLosslessP14SV1_3s_2f_u_08_08.dcm"
    out = tmp_path / "implicit.dcm"
    code, _ = cli(capsys, "--raw", "--implicit", "--planar-configuration", "1", path, out)
    assert code == 0
    ds = read(out)
    assert ds.file_meta.TransferSyntaxUID == IMPLICIT_LE and ds.PlanarConfiguration == 1
    assert np.array_equal(values(out), values(path))
    raw = np.frombuffer(ds.PixelData, np.uint8).reshape(2, 3, ds.Rows, ds.Columns)
    assert np.array_equal(raw.transpose(0, 2, 3, 1), values(path).astype(np.uint8))
    # planar 1 → RLE → planar 0 native, and implicit native stays implicit without options
    code, _ = cli(capsys, "--rle", out, tmp_path / "rle.dcm")
    assert code == 0 and read(tmp_path / "rle.dcm").PlanarConfiguration == 1
    code, _ = cli(capsys, "--raw", "--planar-configuration", "0", tmp_path / "rle.dcm",
                  tmp_path / "pc0.dcm")
    assert code == 0 and read(tmp_path / "pc0.dcm").PlanarConfiguration == 0
    assert np.array_equal(values(tmp_path / "pc0.dcm"), values(path))
    code, _ = cli(capsys, out, tmp_path / "keep.dcm")
    assert code == 0 and ts_of(tmp_path / "keep.dcm") == IMPLICIT_LE


def test_native_ybr_full_422_expanded(tmp_path):
    """Native YBR_FULL_422 (two luminance samples share Cb Cr) is expanded to YBR_FULL."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    rng = np.random.default_rng(3)
    rows, cols = 4, 6
    stored = rng.integers(0, 256, rows * cols * 2, dtype=np.uint8)
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.Rows, ds.Columns, ds.SamplesPerPixel = rows, cols, 3
    ds.PhotometricInterpretation = "YBR_FULL_422"
    ds.PlanarConfiguration = 0
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit, ds.PixelRepresentation = 7, 0
    ds.PixelData = stored.tobytes()
    src_path = tmp_path / "ybr422.dcm"
    ds.save_as(src_path, enforce_file_format=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = pixel_array(str(src_path), raw=True)
    assert np.array_equal(decode_frame(read(src_path), 0), expected)
    transcode_file(src_path, tmp_path / "out.dcm", TranscodeOptions(encoding="rle"))
    out = read(tmp_path / "out.dcm")
    assert out.PhotometricInterpretation == "YBR_FULL"
    assert np.array_equal(decode_frame(out, 0), expected)


# ======================================================== 8. frame-by-frame decoding API

@needs_corpus
def test_one_frame_decoded_without_the_others():
    """Frame 1 of a 2-frame RLE file decodes although frame 0 is corrupt."""
    path = DICOM_CORPUS / "RLELossless" / "SC_rgb_rle_2frame.dcm"
    ds = read(path)
    frames = [bytes(f) for f in generate_frames(ds.PixelData, number_of_frames=2)]
    broken = frames[0][:64] + b"\x80" * (len(frames[0]) - 64)      # no-ops only: too short
    ds.PixelData = encapsulate([broken, frames[1]])
    good = decode_frame(read(path), 1)
    assert np.array_equal(decode_frame(ds, 1), good)
    with pytest.raises(DecodeError, match="segment 1"):
        decode_frame(ds, 0)
    assert [a.shape for a in iter_frames(read(path))] == [(100, 100, 3)] * 2
    rgb = decode_frame(read(DICOM_CORPUS / "JPEGBaseline" / "SC_rgb_jpeg_dcmtk.dcm"), 0,
                       as_rgb=True)
    assert rgb.shape == (100, 100, 3)


# ====================================================== 9. errors, exit codes, no output

def test_usage_errors(capsys, tmp_path):
    src = DICOM_CORPUS / "LittleEndianExplicit" / "SC_rgb.dcm"
    for args in (["--split", "1"], ["--split", "x"], ["--raw", "--split", "100"],
                 ["--rle", "--implicit"], ["--split", "10", "--extended-offset-table"],
                 ["--planar-configuration", "2"], ["--bogus"],
                 ["--raw", "--extended-offset-table"]):
        code, err = cli(capsys, *args, src, tmp_path / "x.dcm")
        assert code == 1, args
        assert err.splitlines()[0].startswith("usage: dicomconv transcode")
        assert err.splitlines()[1].startswith("dicomconv transcode: error: ")
    code, err = cli(capsys, src)
    assert code == 1 and "missing parameter" in err
    assert not (tmp_path / "x.dcm").exists()


@needs_corpus
def test_input_and_output_errors(capsys, tmp_path):
    native = DICOM_CORPUS / "LittleEndianExplicit" / "SC_rgb.dcm"
    jpeg = DICOM_CORPUS / "JPEGBaseline" / "SC_rgb_jpeg_dcmtk.dcm"
    out = tmp_path / "out.dcm"
    cases = [((tmp_path / "missing.dcm", out), 21, "cannot read"),
             ((Path(__file__), out), 21, "not a DICOM file"),
             (("--split", "100", native, out), 22, "encapsulated output"),
             (("--rle", "--split", "100", native, out), 22, "one fragment"),
             (("--implicit", jpeg, out), 22, "--implicit needs --raw"),
             (("--planar-configuration", "1", jpeg, out), 22, "planar"),
             ((DICOM_CORPUS / "JPEG2000Lossless" / "966.dcm", out), 0, ""),   # kept encoded: fine
             (("--raw", DICOM_CORPUS / "JPEG2000Lossless" / "966.dcm", out), 21, "frame 1"),
             (("--raw", native, tmp_path / "no" / "such" / "dir.dcm"), 40, "cannot write"),
             (("--raw", native, native), 40, "refusing to overwrite")]
    for args, expected, text in cases:
        if out.exists():
            out.unlink()
        code, err = cli(capsys, *args)
        assert code == expected, (args, err)
        if expected:
            assert err.count("\n") == 1 and text in err, err
            assert not out.exists()
    assert sorted(os.listdir(tmp_path)) == []        # no temporary files left behind


def itemize(frames: list[bytes], bot: bool = True) -> bytes:
    """Encapsulate (independently of our builder): BOT with offsets (or empty), one item per
    frame."""
    offsets, pos, body = [], 0, b""
    for f in frames:
        f = f + b"\0" * (len(f) % 2)
        offsets.append(pos)
        body += b"\xfe\xff\x00\xe0" + struct.pack("<I", len(f)) + f
        pos += 8 + len(f)
    offsets = offsets if bot else []
    return (b"\xfe\xff\x00\xe0" + struct.pack(f"<I{len(offsets)}I", 4 * len(offsets), *offsets)
            + body)


def _rle_file(tmp_path, frames: list[bytes], rows=8, cols=16, spp=1, bits=8) -> Path:
    from pydicom.dataset import Dataset, FileMetaDataset

    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = RLE
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPInstanceUID = "1.2.3.4.5"          # the same bytes every time: hypothesis replays
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.Rows, ds.Columns, ds.SamplesPerPixel = rows, cols, spp
    ds.PhotometricInterpretation = "MONOCHROME2" if spp == 1 else "RGB"
    if spp > 1:
        ds.PlanarConfiguration = 0
    ds.BitsAllocated = ds.BitsStored = bits
    ds.HighBit, ds.PixelRepresentation = bits - 1, 0
    ds.NumberOfFrames = len(frames)
    ds.PixelData = itemize(frames)
    ds["PixelData"].VR = "OB"
    path = tmp_path / "in.dcm"
    ds.save_as(path, enforce_file_format=True)
    return path


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_malformed_rle_frames(tmp_path_factory, data):
    """Random corruptions of valid RLE frames: either decoded to the right size or refused
    with exit code 21, one line naming the input, and no output file (an existing one kept)."""
    from dicomconv.codecs.rle import encode_frame

    tmp_path = tmp_path_factory.mktemp("rle-bad")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    image = rng.integers(0, 4, (8, 16), dtype=np.uint8)
    frame = bytearray(encode_frame(image.tobytes(), 8, 16, 1, 8, 0))
    how = data.draw(st.sampled_from(["truncate", "header", "bytes", "segments"]))
    if how == "truncate":
        frame = frame[:data.draw(st.integers(0, len(frame) - 1))]
    elif how == "header":
        at = data.draw(st.integers(0, 63))
        frame[at] = data.draw(st.integers(0, 255))
    elif how == "bytes":
        for _ in range(data.draw(st.integers(1, 8))):
            frame[data.draw(st.integers(64, len(frame) - 1))] = data.draw(st.integers(0, 255))
    else:
        frame[0:4] = struct.pack("<I", data.draw(st.sampled_from([0, 2, 16, 2**31])))
    if len(frame) % 2:
        frame += b"\0"
    path = _rle_file(tmp_path, [bytes(frame)])
    out = tmp_path / "out.dcm"
    out.write_bytes(b"previous")
    code = main(["transcode", "-q", "--raw", str(path), str(out)])
    if code == 0:
        assert len(read(out).PixelData) == 8 * 16
    else:
        assert code == 21
        assert out.read_bytes() == b"previous"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["in.dcm", "out.dcm"]
        with pytest.raises(DecodeError, match=f"^{path}: frame 1: RLE"):   # the API's type
            transcode_file(path, out, TranscodeOptions(encoding="raw"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_truncated_or_corrupt_fragments(tmp_path_factory, capsys, data):
    """Pixel Data whose items are cut short, grown or overwritten inside the file (the
    sequence delimiter kept): a one-line error, exit 21, no output -- or, when the damage hits
    only entropy-coded bytes, a decodable file."""
    from dicomconv.codecs.rle import encode_frame

    tmp_path = tmp_path_factory.mktemp("frag-bad")
    images = [np.full((8, 16), k, np.uint8) for k in range(3)]
    frames = [encode_frame(im.tobytes(), 8, 16, 1, 8, 0) for im in images]
    path = _rle_file(tmp_path, frames)
    blob = bytearray(path.read_bytes())
    start = blob.index(b"\xe0\x7f\x10\x00OB") + 12          # the BOT item
    end = len(blob) - 8                                     # before the sequence delimiter
    how = data.draw(st.sampled_from(["cut", "length", "tag"]))
    if how == "cut":           # remove bytes from inside the items
        a = data.draw(st.integers(start, end - 1))
        b = data.draw(st.integers(a + 1, min(end, a + 200)))
        del blob[a:b]
    else:                      # overwrite an item's tag or length
        fragment_items = [m for m in range(start, end - 8) if blob[m:m + 4] == b"\xfe\xff\x00\xe0"]
        at = data.draw(st.sampled_from(fragment_items))
        if how == "length":
            blob[at + 4:at + 8] = struct.pack("<I", data.draw(st.integers(0, 2**32 - 1)))
        else:
            blob[at:at + 4] = data.draw(st.binary(min_size=4, max_size=4))
    path.write_bytes(bytes(blob))
    out = tmp_path / "out.dcm"
    code = main(["transcode", "--raw", str(path), str(out)])
    err = capsys.readouterr().err
    if code == 0:
        assert len(read(out).PixelData) == 3 * 8 * 16
    else:
        assert code in (20, 21), err
        assert err.count("\n") == 1 and err.startswith(f"dicomconv transcode: error: {path}")
        assert not out.exists()
        assert sorted(p.name for p in tmp_path.iterdir()) == ["in.dcm"]


# ============================================ 10. native/fragments.pyx against a reference

def reference_parse(value: bytes):
    """Pure-Python reading of an encapsulated value: (bot, fragments) or an exception."""
    if len(value) < 8 or value[:4] != b"\xfe\xff\x00\xe0":
        raise ValueError("no BOT item")
    bot_len = struct.unpack("<I", value[4:8])[0]
    if bot_len == 0xFFFFFFFF or bot_len % 4 or bot_len > len(value) - 8:
        raise ValueError("bad BOT")
    bot = list(struct.unpack(f"<{bot_len // 4}I", value[8:8 + bot_len]))
    pos, frags = 8 + bot_len, []
    while pos < len(value):
        if len(value) - pos < 8:
            raise ValueError("truncated header")
        tag, length = value[pos:pos + 4], struct.unpack("<I", value[pos + 4:pos + 8])[0]
        if tag == b"\xfe\xff\xdd\xe0":
            if length:
                raise ValueError("delimiter length")
            break
        if tag != b"\xfe\xff\x00\xe0" or length == 0xFFFFFFFF or length > len(value) - pos - 8:
            raise ValueError("bad item")
        frags.append(value[pos + 8:pos + 8 + length])
        pos += 8 + length
    return bot, frags


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=40), max_size=6), st.booleans(), st.data())
def test_encapsulated_parser_matches_reference(fragments, with_bot, data):
    value = bytearray(itemize(fragments, with_bot))
    for _ in range(data.draw(st.integers(0, 3))):          # random damage
        if not value:
            break
        op = data.draw(st.sampled_from(["flip", "cut", "add"]))
        at = data.draw(st.integers(0, len(value) - 1))
        if op == "flip":
            value[at] = data.draw(st.integers(0, 255))
        elif op == "cut":
            del value[at:]
        else:
            value[at:at] = data.draw(st.binary(min_size=1, max_size=8))
    value = bytes(value)
    try:
        expected = reference_parse(value)
    except ValueError:
        expected = None
    try:
        enc = Encapsulated(value)
    except FragmentError:
        assert expected is None
        return
    assert expected is not None
    bot, frags = expected
    assert enc.basic_offsets == bot
    assert [bytes(f) for f in enc.fragments()] == frags


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.binary(max_size=50), min_size=1, max_size=3), min_size=1, max_size=5),
       st.sampled_from([0, -1, 2, 6, 33, 1000]), st.booleans(), st.booleans())
def test_build_round_trip(frames, mode, contiguous, eot):
    if eot and mode != -1:
        mode = -1
    pieces = [[p for p in f] for f in frames]
    value, offsets, lengths, eot_value, eot_lengths = build(pieces, mode, True, eot, contiguous)
    blob = value if isinstance(value, bytes) else b"".join(bytes(c) for c in value)
    bot, frags = items(blob)
    if mode == 0:
        expected = [b"".join(p + b"\0" * (len(p) % 2) for p in f) for f in frames]
    else:
        expected = [b"".join(f) for f in frames]
    starts = [[o for o, _ in frags].index(x) for x in offsets]
    assert (bot == [] if eot else bot == offsets)
    for k, first in enumerate(starts):
        stop = starts[k + 1] if k + 1 < len(starts) else len(frags)
        got = b"".join(f for _, f in frags[first:stop])
        assert got[:len(expected[k])] == expected[k] and not got[len(expected[k]):].strip(b"\0")
        assert len(got) == lengths[k]
        if mode > 0:
            assert all(len(f) <= mode - mode % 2 for _, f in frags[first:stop])
        if mode == -1:
            assert stop - first == 1
    if eot:
        assert list(struct.unpack(f"<{len(frames)}Q", eot_value)) == offsets
        assert list(struct.unpack(f"<{len(frames)}Q", eot_lengths)) == lengths
    # and the parser finds the same frames again
    enc = Encapsulated(blob)
    found = enc.frames(len(frames), offsets if eot else None, lengths if eot else None)
    assert found == [(s, (starts[k + 1] if k + 1 < len(starts) else len(frags)))
                     for k, s in enumerate(starts)]


def test_frames_without_offset_table_by_signature():
    jpeg = [b"\xff\xd8" + bytes(range(40)) + b"\xff\xd9", b"\xff\xd8" + b"\x11" * 30 + b"\xff\xd9"]
    value = encapsulate(jpeg, fragments_per_frame=2, has_bot=False)
    enc = Encapsulated(value)
    assert enc.fragment_count == 4
    from dicomconv._native.fragments import KIND_JPEG, KIND_UNKNOWN
    assert enc.frames(2, kind=KIND_JPEG) == [(0, 2), (2, 4)]
    with pytest.raises(FragmentError, match="cannot tell"):
        enc.frames(2, kind=KIND_UNKNOWN)
    with pytest.raises(FragmentError, match="cannot hold"):
        enc.frames(5, kind=KIND_JPEG)
    bad_bot = b"\xfe\xff\x00\xe0\x08\x00\x00\x00" + struct.pack("<2I", 0, 7) + value[8:]
    enc = Encapsulated(bad_bot)
    assert enc.frames(2, kind=KIND_JPEG) == [(0, 2), (2, 4)]
    assert "does not point at the item tag" in enc.notes[0]


@pytest.mark.parametrize("encoding", ["native", "rle"])
def test_truncated_large_file(tmp_path, capsys, encoding):
    """Pixel Data big enough to be memory-mapped rather than read (> 64 KiB), file cut short:
    a clear error, no output."""
    rng = np.random.default_rng(7)
    arr = rng.integers(0, 4, (4, 128, 256), dtype=np.uint8)
    from pydicom.dataset import Dataset, FileMetaDataset

    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = EXPLICIT_LE
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7.2"
    ds.SOPInstanceUID = "1.2.3.4.6"
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.NumberOfFrames = 128, 256, 1, 4
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit, ds.PixelRepresentation = 7, 0
    ds.PixelData = arr.tobytes()
    path = tmp_path / "big.dcm"
    ds.save_as(path, enforce_file_format=True)
    if encoding == "rle":
        transcode_file(path, tmp_path / "rle.dcm", TranscodeOptions(encoding="rle"))
        path.unlink()
        path = tmp_path / "rle.dcm"
    whole = path.read_bytes()
    code, _ = cli(capsys, "--raw", path, tmp_path / "ok.dcm")      # the whole file is fine
    assert code == 0 and read(tmp_path / "ok.dcm").PixelData == arr.tobytes()
    path.write_bytes(whole[:len(whole) - 100])
    code, err = cli(capsys, "--raw", path, tmp_path / "out.dcm")
    assert code == 21 and "truncated" in err and err.count("\n") == 1
    assert not (tmp_path / "out.dcm").exists()


@needs_corpus
def test_keep_rebuilds_the_basic_offset_table(tmp_path, capsys):
    path = DICOM_CORPUS / "JPEGLosslessSV1" / "JPEGLosslessP14SV1_3s_2f_u_08_08.dcm"
    ds = read(path)
    frames = [bytes(f) for f in generate_frames(ds.PixelData, number_of_frames=2)]
    ds.PixelData = encapsulate(frames, fragments_per_frame=3, has_bot=False)
    ds.save_as(tmp_path / "nobot.dcm")
    code, _ = cli(capsys, tmp_path / "nobot.dcm", tmp_path / "out.dcm")
    assert code == 0
    bot, frags = items(read(tmp_path / "out.dcm").PixelData)
    assert len(frags) == 6 and bot == [0, frags[3][0]]      # fragments kept, BOT filled in
    assert np.array_equal(values(tmp_path / "out.dcm"), values(path))


def test_transcode_bytes_api():
    path = DICOM_CORPUS / "LittleEndianExplicit" / "SC_rgb_2frame.dcm"
    if not path.exists():
        pytest.skip("test corpus not found")
    data, result = transcode_bytes(path.read_bytes(), TranscodeOptions(encoding="rle"))
    assert result.transfer_syntax == RLE and result.frames == 2 and result.fragments == 2
    back, _ = transcode_bytes(data, TranscodeOptions(encoding="raw"))
    from io import BytesIO
    assert pydicom.dcmread(BytesIO(back)).PixelData == read(path).PixelData
    with pytest.raises(InputError):
        transcode_bytes(b"not dicom", TranscodeOptions(encoding="raw"))
