"""Shared test fixtures: the corpus, the reference tools, generated JPEGs, and an independent
checker for JPEG → DICOM conversions (expected stream, pixels, dciodvfy, dcmdump, gdcminfo)."""
from __future__ import annotations

import io
import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

CORPUS_DIR = Path(os.environ.get("DICOMCONV_CORPUS")
                  or Path(__file__).resolve().parents[1].parent / "shared" / "corpus")

# Transfer syntaxes pydicom can decode through pylibjpeg (not .55, the retired progressive one).
PYDICOM_LIBJPEG_SYNTAXES = {"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51",
                            "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70"}
LOSSY_JPEG_SYNTAXES = {"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.55"}

# dciodvfy (2022) does not list YBR_FULL among the values it accepts for JPEG lossy streams,
# although PS3.5 8.2.1 requires YBR_FULL for non-subsampled (4:4:4) YCbCr JPEG. This message is
# allowed for exactly that case and nothing else.
DCIODVFY_YBR_FULL = ("Error - Unrecognized enumerated value <YBR_FULL> for value 1 of attribute "
                     "<Photometric Interpretation>")


# ----------------------------------------------------------------------------------- corpus

@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    if not CORPUS_DIR.is_dir():
        pytest.skip(f"test corpus not found at {CORPUS_DIR} (set DICOMCONV_CORPUS or put "
                    f"shared/corpus beside the checkout)")
    return CORPUS_DIR


# ---------------------------------------------------------------------------- reference tools

def reference_tool(name: str) -> str | None:
    """Path of a reference tool from the system packages (DCMTK, GDCM, dicom3tools). The system
    folders come first: pip packages such as python-gdcm put same-named wrapper scripts on PATH
    that behave differently."""
    return shutil.which(name, path="/usr/bin:/usr/local/bin") or shutil.which(name)


def _tool(name: str):
    exe = reference_tool(name)
    if exe is None:
        pytest.skip(f"{name} is not installed (reference tool)")

    def run(*args) -> subprocess.CompletedProcess:
        return subprocess.run([exe, *map(str, args)], capture_output=True, text=True,
                              errors="replace", timeout=120)
    return run


@pytest.fixture(scope="session")
def dciodvfy_errors():
    """``f(path, photometric, ts)`` → the dciodvfy "Error" lines, minus the one allowed
    dciodvfy limitation (YBR_FULL in a lossy JPEG transfer syntax)."""
    run = _tool("dciodvfy")

    def errors(path, photometric: str, transfer_syntax: str) -> list[str]:
        proc = run(path)
        lines = [ln.strip() for ln in (proc.stdout + proc.stderr).splitlines()
                 if ln.startswith("Error")]
        if photometric == "YBR_FULL" and transfer_syntax in LOSSY_JPEG_SYNTAXES:
            lines = [ln for ln in lines if ln != DCIODVFY_YBR_FULL]
        return lines
    return errors


@pytest.fixture(scope="session")
def dcmdump():
    return _tool("dcmdump")


@pytest.fixture(scope="session")
def gdcminfo():
    return _tool("gdcminfo")


# ------------------------------------------------------------------------- generated JPEGs

def sample_image(width: int, height: int, mode: str = "RGB", seed: int = 0):
    """A deterministic Pillow image: gradients plus noise, so every channel carries detail."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack([x * 255 // max(width - 1, 1), y * 255 // max(height - 1, 1),
                    (x * 5 + y * 11) % 256], axis=-1)
    rgb = np.clip(rgb + rng.integers(-20, 21, rgb.shape), 0, 255).astype(np.uint8)
    return Image.fromarray(rgb, "RGB").convert(mode)


@pytest.fixture(scope="session")
def make_jpeg(tmp_path_factory):
    """``make_jpeg(name, size=(w, h), mode="RGB", **save_kwargs)`` → path of a JPEG written by
    Pillow into a session temp dir (cached by name)."""
    folder = tmp_path_factory.mktemp("generated-jpeg")
    cache: dict[str, Path] = {}

    def make(name: str, size=(64, 48), mode: str = "RGB", **save_kwargs) -> Path:
        if name not in cache:
            buf = io.BytesIO()
            sample_image(*size, mode=mode).save(buf, "JPEG", **save_kwargs)
            path = folder / f"{name}.jpg"
            path.write_bytes(buf.getvalue())
            cache[name] = path
        return cache[name]
    return make


# ------------------------------------------------- independent JPEG oracle (pure Python)

RST = range(0xD0, 0xD8)


def jpeg_segments(data: bytes) -> tuple[list[tuple[int, int, int]], int]:
    """Walk the marker segments of a JPEG stream (ISO 10918-1 B.1).

    Returns ``([(marker, start, end), ...], first_eoi_offset)``; entropy-coded data after SOS is
    skipped up to the next 0xFF followed by a code 0xC0-0xFE other than RSTn (0xFF00 is a stuffed
    zero, 0xFFFF fill, and codes below 0xC0 cannot end a scan).
    """
    assert data[:2] == b"\xff\xd8", "no SOI"
    pos, segments = 2, []
    while True:
        assert data[pos] == 0xFF, f"expected a marker at {pos}"
        start = pos
        while data[pos] == 0xFF:
            pos += 1
        marker = data[pos]
        pos += 1
        if marker == 0xD9:
            return segments, start
        if marker in RST or marker == 0x01:
            segments.append((marker, start, pos))
            continue
        end = pos + struct.unpack(">H", data[pos:pos + 2])[0]
        segments.append((marker, start, end))
        pos = end
        if marker == 0xDA:
            while True:
                i = data.index(b"\xff", pos)
                code = data[i + 1]
                if code == 0xFF:
                    pos = i + 1
                elif code < 0xC0 or code in RST:
                    pos = i + 2
                else:
                    pos = i
                    break


def segment_payload(data: bytes, start: int, end: int) -> bytes:
    """The bytes after the length field of the segment at ``start`` (after any fill bytes)."""
    while data[start] == 0xFF:
        start += 1
    return data[start + 3:end]


def is_jfif_app0(data: bytes, marker: int, start: int, end: int) -> bool:
    return marker == 0xE0 and segment_payload(data, start, end)[:5] in (b"JFIF\0", b"JFXX\0")


def expected_stream(data: bytes, keep_appn: bool = False) -> bytes:
    """The stream img2dcm should store: the input without its APPn segments (all of them, or only
    JFIF/JFXX APP0 with ``keep_appn``) and without anything after the file's final EOI."""
    segments, first_eoi = jpeg_segments(data)
    final_eoi = data.rfind(b"\xff\xd9")
    assert final_eoi >= first_eoi
    out, keep_from = bytearray(), 0
    for marker, start, end in segments:
        if 0xE0 <= marker <= 0xEF and (not keep_appn or is_jfif_app0(data, marker, start, end)):
            out += data[keep_from:start]
            keep_from = end
    out += data[keep_from:final_eoi + 2]
    return bytes(out)


def icc_from_jpeg(data: bytes) -> bytes | None:
    """The ICC profile reassembled from the APP2 ICC_PROFILE chunks, in sequence order."""
    chunks = {}
    for marker, start, end in jpeg_segments(data)[0]:
        payload = segment_payload(data, start, end)
        if marker == 0xE2 and payload[:12] == b"ICC_PROFILE\0":
            chunks[payload[12]] = payload[14:]
    return b"".join(chunks[k] for k in sorted(chunks)) if chunks else None


# ------------------------------------------------------------------ conversion checker

def read_single_fragment(path) -> tuple[object, bytes]:
    """(dataset, the one fragment of Pixel Data) of a DICOM file; asserts there is one frame."""
    import pydicom
    from pydicom.encaps import generate_fragments

    ds = pydicom.dcmread(path)
    items = list(generate_fragments(ds.PixelData))
    assert len(items) == 2, f"expected a Basic Offset Table and one fragment, got {len(items)} items"
    assert items[0] in (b"", b"\0\0\0\0")
    return ds, items[1]


def check_stream(src: bytes, path, keep_appn: bool = False):
    """(a): the fragment is the expected stream, padded with one 0x00 to even length."""
    ds, fragment = read_single_fragment(path)
    expected = expected_stream(src, keep_appn)
    if len(expected) % 2:
        expected += b"\0"
    assert len(fragment) == len(expected), (len(fragment), len(expected))
    assert fragment == expected
    return ds, fragment


def check_pixels(src: bytes, path, ds, fragment: bytes, colour_check: bool = True):
    """(b): pixels from the DICOM equal the input's, decoded by the same decoder (libjpeg via
    pylibjpeg) without colour conversion; then, for 8-bit images Pillow can read, a colour
    sanity check that the Photometric Interpretation describes the stream: the DICOM pixels in
    RGB (or grey) are within JPEG decoder rounding of Pillow's decoding of the input."""
    import libjpeg
    import numpy as np

    ts = str(ds.file_meta.TransferSyntaxUID)
    reference = libjpeg.decode(src)
    if ts in PYDICOM_LIBJPEG_SYNTAXES:
        from pydicom.pixels import pixel_array
        raw = pixel_array(str(path), raw=True, decoding_plugin="pylibjpeg")
    else:  # pydicom cannot decode .55: decode the stored frame with the same decoder
        raw = libjpeg.decode(fragment)
    shape = (ds.Rows, ds.Columns) + ((ds.SamplesPerPixel,) if ds.SamplesPerPixel > 1 else ())
    assert raw.shape == shape == reference.shape
    assert raw.dtype == reference.dtype == (np.uint8 if ds.BitsAllocated == 8 else np.uint16)
    assert np.array_equal(raw, reference)

    if not colour_check or ds.BitsAllocated != 8:
        return
    from PIL import Image
    from pydicom.pixels import convert_color_space

    pi = ds.PhotometricInterpretation
    shown = convert_color_space(raw, "YBR_FULL", "RGB") if pi.startswith("YBR_FULL") else raw
    pil = np.asarray(Image.open(io.BytesIO(src)).convert("L" if pi == "MONOCHROME2" else "RGB"))
    diff = np.abs(shown.astype(int) - pil.astype(int))
    assert diff.mean() < 1.0 and np.percentile(diff, 99) <= 4, (
        f"{pi}: decoded colours differ from Pillow's (mean {diff.mean():.2f}, max {diff.max()})")


def check_tools(path, ts: str, photometric: str, dciodvfy_errors, dcmdump, gdcminfo):
    """(c) and (d): dciodvfy finds no errors; dcmdump and gdcminfo read the file and see ``ts``."""
    assert dciodvfy_errors(path, photometric, ts) == []
    proc = dcmdump("-M", "-Un", path)
    assert proc.returncode == 0, proc.stderr
    assert f"(0002,0010) UI [{ts}]" in proc.stdout
    proc = gdcminfo(path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"TransferSyntax is {ts} " in proc.stdout
