"""JPEGs made in the test (Pillow, plus a tiny lossless encoder) through img2dcm: stored stream,
pixels, reference tools, APPn handling, ICC profile, SOP classes and pixel description."""
from __future__ import annotations

import os
import struct

import numpy as np
import pytest
from PIL import Image, ImageCms

from conftest import (check_pixels, check_stream, check_tools, expected_stream, icc_from_jpeg,
                      jpeg_segments, segment_payload)
from dicomconv.errors import DicomconvError, UnsupportedInputError
from dicomconv.img2dcm import Img2DcmOptions, JpegOptions, convert_file, jpeg_to_dicom
from dicomconv.iod import DatasetOptions

BASELINE = "1.2.840.10008.1.2.4.50"
PROGRESSIVE = "1.2.840.10008.1.2.4.55"
LOSSLESS = "1.2.840.10008.1.2.4.57"
LOSSLESS_SV1 = "1.2.840.10008.1.2.4.70"
SC = "1.2.840.10008.5.1.4.1.1.7"
NSC_BYTE = "1.2.840.10008.5.1.4.1.1.7.2"
NSC_WORD = "1.2.840.10008.5.1.4.1.1.7.3"
NSC_COLOUR = "1.2.840.10008.5.1.4.1.1.7.4"
VLP = "1.2.840.10008.5.1.4.1.1.77.1.4"


# --------------------------------------------------------------------------- inputs

def _exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "dicomconv tests"      # Make
    exif[0x0110] = "Pillow"               # Model
    return exif


def _big_icc() -> bytes:
    """An sRGB profile padded past 65519 bytes (so it needs several APP2 chunks), with its
    header size field fixed up."""
    icc = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    icc += bytes(150_000 - len(icc))
    icc[0:4] = struct.pack(">I", len(icc))
    return bytes(icc)


BIG_ICC = _big_icc()   # once: the profile carries its creation time


def _lossless_grey(arr: np.ndarray, precision: int, predictor: int = 1) -> bytes:
    """A minimal ISO 10918-1 process 14 encoder (SOF3, one component, Huffman, Pt = 0):
    enough to make 12-bit and non-SV1 lossless streams, which Pillow cannot write."""
    rows, cols = arr.shape
    seg = lambda m, payload: struct.pack(">BBH", 0xFF, m, len(payload) + 2) + payload  # noqa: E731
    bits = [0] * 16
    bits[4] = 17                          # 17 categories (SSSS 0-16), 5-bit codes 0..16
    dht = bytes([0x00, *bits, *range(17)])
    sof = struct.pack(">BHHB", precision, rows, cols, 1) + bytes([1, 0x11, 0])
    sos = bytes([1, 1, 0x00, predictor, 0, 0])
    out, acc, nbits = bytearray(), 0, 0

    def put(value, n):
        nonlocal acc, nbits
        acc, nbits = (acc << n) | (value & ((1 << n) - 1)), nbits + n
        while nbits >= 8:
            nbits -= 8
            out.append((acc >> nbits) & 0xFF)
            if out[-1] == 0xFF:
                out.append(0)             # byte stuffing
        acc &= (1 << nbits) - 1

    a = arr.astype(np.int64)
    for y in range(rows):
        for x in range(cols):
            if x == 0 and y == 0:
                pred = 1 << (precision - 1)
            elif y == 0:
                pred = a[y, x - 1]
            elif x == 0:
                pred = a[y - 1, x]
            else:
                ra, rb, rc = a[y, x - 1], a[y - 1, x], a[y - 1, x - 1]
                pred = {1: ra, 2: rb, 3: rc, 4: ra + rb - rc, 5: ra + ((rb - rc) >> 1),
                        6: rb + ((ra - rc) >> 1), 7: (ra + rb) >> 1}[predictor]
            diff = (int(a[y, x]) - int(pred)) & 0xFFFF
            diff = diff - 0x10000 if diff > 0x8000 else diff
            ssss = abs(diff).bit_length()
            put(ssss, 5)
            if 0 < ssss < 16:
                put(diff if diff > 0 else diff - 1, ssss)
    if nbits:
        put(0xFF, 8 - nbits)              # pad with 1-bits
    return b"\xff\xd8" + seg(0xC3, sof) + seg(0xC4, dht) + seg(0xDA, sos) + bytes(out) + b"\xff\xd9"


def _grey12(width=37, height=29) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width]
    rng = np.random.default_rng(12)
    return ((x * 97 + y * 131) % 4096 ^ rng.integers(0, 64, (height, width))).astype(np.uint16)


# name → (Pillow mode, size, save kwargs, transfer syntax, photometric)
PILLOW_CASES = {
    "grey": ("L", (64, 48), {}, BASELINE, "MONOCHROME2"),
    "444": ("RGB", (64, 48), {"subsampling": 0}, BASELINE, "YBR_FULL"),
    "422": ("RGB", (64, 48), {"subsampling": 1}, BASELINE, "YBR_FULL_422"),
    "420": ("RGB", (64, 48), {"subsampling": 2}, BASELINE, "YBR_FULL_422"),
    "progressive": ("RGB", (64, 48), {"progressive": True}, PROGRESSIVE, "YBR_FULL_422"),
    "progressive_grey": ("L", (64, 48), {"progressive": True}, PROGRESSIVE, "MONOCHROME2"),
    "exif": ("RGB", (64, 48), {"exif": _exif()}, BASELINE, "YBR_FULL_422"),
    "icc_multichunk": ("RGB", (64, 48), {"icc_profile": BIG_ICC}, BASELINE, "YBR_FULL_422"),
    "exif_icc_comment": ("RGB", (64, 48), {"exif": _exif(), "icc_profile": BIG_ICC,
                                           "comment": b"made by the dicomconv tests"},
                         BASELINE, "YBR_FULL_422"),
    "comment": ("RGB", (64, 48), {"comment": b"a COM segment stays in the stream"}, BASELINE, "YBR_FULL_422"),
    "restart_blocks": ("RGB", (64, 48), {"restart_marker_blocks": 1}, BASELINE, "YBR_FULL_422"),
    "restart_rows": ("L", (64, 48), {"restart_marker_rows": 1}, BASELINE, "MONOCHROME2"),
    "adobe_rgb": ("RGB", (64, 48), {"keep_rgb": True}, BASELINE, "RGB"),
    "1x1_grey": ("L", (1, 1), {}, BASELINE, "MONOCHROME2"),
    "1x1_colour": ("RGB", (1, 1), {}, BASELINE, "YBR_FULL_422"),
    "17x13_420": ("RGB", (17, 13), {"subsampling": 2}, BASELINE, "YBR_FULL_422"),
    "17x13_444": ("RGB", (17, 13), {"subsampling": 0}, BASELINE, "YBR_FULL"),
    "17x13_grey": ("L", (17, 13), {}, BASELINE, "MONOCHROME2"),
}
# name → (precision, predictor, transfer syntax) for the lossless encoder below
LOSSLESS_CASES = {
    "lossless12_sv1": (12, 1, LOSSLESS_SV1),
    "lossless12_sv6": (12, 6, LOSSLESS),
    "lossless8_sv4": (8, 4, LOSSLESS),
}


def _markers(data: bytes) -> list[int]:
    return [m for m, _, _ in jpeg_segments(data)[0]]


@pytest.fixture(scope="module")
def generated(make_jpeg, tmp_path_factory):
    """name → (path of the JPEG, its bytes, transfer syntax, photometric, precision)."""
    folder = tmp_path_factory.mktemp("generated-lossless")

    def get(name):
        if name in PILLOW_CASES:
            mode, size, kwargs, ts, pi = PILLOW_CASES[name]
            path = make_jpeg(name, size=size, mode=mode, **kwargs)
            data = path.read_bytes()
            if ("restart_marker_blocks" in kwargs or "restart_marker_rows" in kwargs) \
                    and 0xDD not in _markers(data):
                pytest.skip("this Pillow cannot write restart markers")
            if "keep_rgb" in kwargs and 0xEE not in _markers(data):
                pytest.skip("this Pillow cannot write Adobe RGB JPEGs (keep_rgb)")
            return path, data, ts, pi, 8
        precision, predictor, ts = LOSSLESS_CASES[name]
        arr = _grey12() if precision == 12 else (_grey12() >> 4).astype(np.uint8)
        data = _lossless_grey(arr, precision, predictor)
        path = folder / f"{name}.jpg"
        path.write_bytes(data)
        return path, data, ts, "MONOCHROME2", precision
    return get


ALL_CASES = sorted(PILLOW_CASES) + sorted(LOSSLESS_CASES)


def _convert(generated, tmp_path, name, **dataset):
    src, data, ts, pi, precision = generated(name)
    out = tmp_path / f"{name}.dcm"
    options = Img2DcmOptions(dataset=DatasetOptions(**dataset)) if dataset else None
    conversion = convert_file(src, out, options)
    return data, conversion, out, ts, pi, precision


# ------------------------------------------------------------------------------ tests

def test_inputs_are_what_they_claim(generated):
    """The Pillow options did what the cases rely on (markers, sampling, chunks)."""
    def sof_components(data):
        for m, a, b in jpeg_segments(data)[0]:
            if m in (0xC0, 0xC2, 0xC3):
                p = segment_payload(data, a, b)
                return [(p[6 + 3 * i], p[7 + 3 * i]) for i in range(p[5])]
    assert [s for _, s in sof_components(generated("444")[1])] == [0x11, 0x11, 0x11]
    assert [s for _, s in sof_components(generated("422")[1])] == [0x21, 0x11, 0x11]
    assert [s for _, s in sof_components(generated("420")[1])] == [0x22, 0x11, 0x11]
    icc_chunks = [m for m in _markers(generated("icc_multichunk")[1]) if m == 0xE2]
    assert len(icc_chunks) >= 3
    assert icc_from_jpeg(generated("icc_multichunk")[1]) == BIG_ICC
    assert 0xE1 in _markers(generated("exif")[1]) and 0xE0 in _markers(generated("exif")[1])
    assert 0xFE in _markers(generated("comment")[1])
    assert 0xC2 in _markers(generated("progressive")[1])


@pytest.mark.parametrize("name", ALL_CASES)
def test_generated(generated, tmp_path, name):
    data, conversion, out, ts, pi, precision = _convert(generated, tmp_path, name)
    assert (conversion.transfer_syntax, conversion.photometric) == (ts, pi)
    ds, fragment = check_stream(data, out)                                           # (a)
    check_pixels(data, out, ds, fragment)                                            # (b)
    assert ds.file_meta.TransferSyntaxUID == ts
    assert ds.SOPClassUID == SC
    assert ds.PhotometricInterpretation == pi
    assert ds.BitsStored == precision
    assert ds.BitsAllocated == (8 if precision <= 8 else 16)
    assert ds.HighBit == precision - 1
    assert ds.PixelRepresentation == 0
    assert ds.SamplesPerPixel == (1 if pi == "MONOCHROME2" else 3)
    if ts in (LOSSLESS, LOSSLESS_SV1):
        assert ds.LossyImageCompression == "00"
        assert "LossyImageCompressionRatio" not in ds and "LossyImageCompressionMethod" not in ds
    else:
        assert ds.LossyImageCompression == "01"
        assert ds.LossyImageCompressionMethod == "ISO_10918_1"
        raw_size = ds.Rows * ds.Columns * ds.SamplesPerPixel * ds.BitsAllocated // 8
        assert float(ds.LossyImageCompressionRatio) == pytest.approx(
            raw_size / len(expected_stream(data)), rel=1e-4)
    icc = icc_from_jpeg(data)
    if icc is None:
        assert "ICCProfile" not in ds
    else:
        assert ds.ICCProfile == icc                                 # reassembled from the chunks
    if name.startswith("lossless"):                                  # exact, and known values
        arr = _grey12() if precision == 12 else (_grey12() >> 4).astype(np.uint8)
        from pydicom.pixels import pixel_array
        assert np.array_equal(pixel_array(str(out), decoding_plugin="pylibjpeg"), arr)


@pytest.mark.reference
@pytest.mark.parametrize("name", ALL_CASES)
def test_generated_reference_tools(generated, tmp_path, name, dciodvfy_errors, dcmdump, gdcminfo):
    _, _, out, ts, pi, _ = _convert(generated, tmp_path, name)
    check_tools(out, ts, pi, dciodvfy_errors, dcmdump, gdcminfo)                    # (c), (d)


@pytest.mark.parametrize("name", ["exif", "icc_multichunk", "exif_icc_comment"])
def test_appn_default_removes_all(generated, tmp_path, name):
    data, _, out, _, _, _ = _convert(generated, tmp_path, name)
    _, fragment = check_stream(data, out)
    assert not any(0xE0 <= m <= 0xEF for m in _markers(fragment))
    assert b"Exif\0" not in fragment[:200] and b"JFIF\0" not in fragment[:200]


@pytest.mark.parametrize("name", ["exif", "exif_icc_comment"])
def test_keep_appn_keeps_exif_removes_jfif(generated, tmp_path, name):
    src, data, _, _, _ = generated(name)
    out = tmp_path / "keep.dcm"
    conversion = convert_file(src, out, Img2DcmOptions(jpeg=JpegOptions(keep_appn=True)))
    ds, stream = check_stream(data, out, keep_appn=True)
    markers = _markers(stream)
    assert 0xE0 not in markers                                   # JFIF APP0 removed
    assert 0xE1 in markers                                       # EXIF APP1 kept
    app1 = [segment_payload(stream, a, b) for m, a, b in jpeg_segments(stream)[0] if m == 0xE1]
    assert app1[0].startswith(b"Exif\0\0")
    assert app1 == [segment_payload(data, a, b) for m, a, b in jpeg_segments(data)[0] if m == 0xE1]
    if name == "exif_icc_comment":
        assert markers.count(0xE2) >= 3 and 0xFE in markers     # ICC chunks and COM kept
        assert ds.ICCProfile == BIG_ICC
    assert conversion.transfer_syntax == BASELINE


# (case, -sc/-nsc/-vlp) → SOP Class UID, or the error message for a refusal
SOP_CASES = {
    ("grey", "sc"): SC, ("grey", "nsc"): NSC_BYTE, ("grey", "vlp"): VLP,
    ("420", "sc"): SC, ("420", "nsc"): NSC_COLOUR, ("420", "vlp"): VLP,
    ("adobe_rgb", "sc"): SC,
    # PS3.3 A.8.5.4 (MF True Color SC) and C.8.12.1.1.1 (VL Image): a JPEG lossy transfer syntax
    # requires YBR_FULL_422, so an RGB-coded (Adobe transform 0) lossy JPEG must be refused
    # for -nsc and -vlp, as YBR_FULL is.
    ("adobe_rgb", "nsc"): "stream holds RGB",
    ("adobe_rgb", "vlp"): "stream holds RGB",
    ("lossless12_sv1", "sc"): SC, ("lossless12_sv1", "nsc"): NSC_WORD,
    ("lossless12_sv1", "vlp"): "unsigned 8-bit samples",
    ("444", "sc"): SC,
    ("444", "nsc"): "stream holds YBR_FULL",
    ("444", "vlp"): "stream holds YBR_FULL",
}


@pytest.mark.reference
@pytest.mark.parametrize("name,sop", sorted(SOP_CASES))
def test_sop_classes(generated, tmp_path, name, sop, dciodvfy_errors, dcmdump, gdcminfo):
    expected = SOP_CASES[name, sop]
    if not expected.startswith("1.2."):
        src = generated(name)[0]
        with pytest.raises(UnsupportedInputError, match=expected):
            convert_file(src, tmp_path / "out.dcm", Img2DcmOptions(dataset=DatasetOptions(sop_class=sop)))
        assert os.listdir(tmp_path) == []
        return
    data, conversion, out, ts, pi, precision = _convert(generated, tmp_path, name, sop_class=sop)
    ds, _ = check_stream(data, out)
    assert conversion.sop_class_uid == ds.SOPClassUID == ds.file_meta.MediaStorageSOPClassUID == expected
    assert ds.BitsAllocated == (8 if precision <= 8 else 16) and ds.BitsStored == precision
    if expected in (NSC_BYTE, NSC_WORD, NSC_COLOUR):
        assert ds.NumberOfFrames == 1
    check_tools(out, ts, pi, dciodvfy_errors, dcmdump, gdcminfo)


def _patched(data: bytes, old_sof: int, new_marker: int) -> bytes:
    """``data`` with its frame marker code replaced (the rest is left as it is: the converter
    must refuse on the marker alone)."""
    for m, a, _ in jpeg_segments(data)[0]:
        if m == old_sof:
            while data[a] == 0xFF:
                a += 1
            return data[:a] + bytes([new_marker]) + data[a + 1:]
    raise AssertionError("no frame header")


@pytest.mark.parametrize("marker,message", [
    (0xC5, "hierarchical"), (0xC6, "hierarchical"), (0xC7, "hierarchical"),
    (0xC9, "arithmetic"), (0xCA, "arithmetic"), (0xCB, "arithmetic"),
    (0xCD, "hierarchical"), (0xCE, "hierarchical"), (0xCF, "hierarchical"),
])
def test_refused_coding_processes(generated, tmp_path, marker, message):
    data = _patched(generated("grey")[1], 0xC0, marker)
    src = tmp_path / "in.jpg"
    src.write_bytes(data)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(UnsupportedInputError, match=message) as info:
        convert_file(src, out_dir / "out.dcm")
    assert str(src) in str(info.value)
    assert os.listdir(out_dir) == []


def test_refused_dhp_marker(generated):
    """A hierarchical stream starts its frames with a DHP (FFDE) segment."""
    data = generated("grey")[1]
    dhp = b"\xff\xde" + struct.pack(">HBHHB", 11, 8, 48, 64, 1) + bytes([1, 0x11, 0])
    with pytest.raises(DicomconvError, match="hierarchical"):
        jpeg_to_dicom(data[:2] + dhp + data[2:])


def test_in_memory_api_matches_file_api(generated, tmp_path):
    """jpeg_to_dicom gives the same stream as convert_file (UIDs and times differ)."""
    data = generated("exif")[1]
    out = tmp_path / "mem.dcm"
    out.write_bytes(jpeg_to_dicom(data))
    check_stream(data, out)


def test_rgb_component_ids_mean_rgb_even_with_jfif(generated):
    """The rule: three components with ids 'R','G','B' are RGB. Made from Pillow's Adobe RGB
    stream by swapping its APP14 for a JFIF APP0 (a self-contradictory but real-world file:
    IJG libjpeg 9 decodes it as RGB from the ids, libjpeg-turbo as YCbCr from the JFIF)."""
    data = generated("adobe_rgb")[1]
    adobe = [(a, b) for m, a, b in jpeg_segments(data)[0] if m == 0xEE]
    assert len(adobe) == 1
    jfif = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    stream = data[:adobe[0][0]] + jfif + data[adobe[0][1]:]
    import pydicom
    from pydicom.filebase import DicomBytesIO
    ds = pydicom.dcmread(DicomBytesIO(jpeg_to_dicom(stream)))
    assert ds.PhotometricInterpretation == "RGB"
