"""Every JPEG of the real corpus through img2dcm: the decision (transfer syntax, photometric
interpretation, or refusal) and, for accepted files, the stored stream, the pixels and what the
reference tools say about the DICOM file."""
from __future__ import annotations

import os

import pytest

from conftest import (check_pixels, check_stream, check_tools, expected_stream, jpeg_segments,
                      read_single_fragment, segment_payload)
from dicomconv.errors import DicomconvError, InputError, UnsupportedInputError
from dicomconv.img2dcm import convert_file

pytestmark = pytest.mark.corpus

BASELINE = "1.2.840.10008.1.2.4.50"
EXTENDED = "1.2.840.10008.1.2.4.51"
PROGRESSIVE = "1.2.840.10008.1.2.4.55"
LOSSLESS = "1.2.840.10008.1.2.4.57"
LOSSLESS_SV1 = "1.2.840.10008.1.2.4.70"


def ok(ts, photometric):
    return ("ok", ts, photometric)


def refused(error_type, message):
    return ("refused", error_type, message)


FOUR = refused(UnsupportedInputError, "has 4 components")

#: relative path under corpus/jpeg → expected outcome. Checked against the rules by
#: test_table_follows_the_rules (ISO 10918-1 marker codes, DICOM PS3.5 8.2.1).
EXPECTED = {
    # ISO/IEC 10918-2 conformance streams: all but B1/B2 are 4-component (refused); B1 holds only
    # tables (abbreviated format), B2 has 255 components. C1/C2/E1/E2 are SOF1, O1/O2 SOF3.
    "iso10918/A1.jpg": FOUR,
    "iso10918/B1.jpg": refused(InputError, "only tables"),
    "iso10918/B2.jpg": refused(UnsupportedInputError, "has 255 components"),
    "iso10918/C1.jpg": FOUR,
    "iso10918/C2.jpg": FOUR,
    "iso10918/E1.jpg": FOUR,
    "iso10918/E2.jpg": FOUR,
    "iso10918/O1.jpg": FOUR,
    "iso10918/O2.jpg": FOUR,
    # libjpeg-turbo test images (testimgint is baseline, integer DCT, not progressive)
    "libjpeg-turbo/monkey12.jpg": ok(EXTENDED, "YBR_FULL_422"),
    "libjpeg-turbo/testimgari.jpg": refused(UnsupportedInputError, "arithmetic coding (SOF9)"),
    "libjpeg-turbo/testimgint.jpg": ok(BASELINE, "YBR_FULL_422"),
    "libjpeg-turbo/testorig.jpg": ok(BASELINE, "YBR_FULL_422"),
    # camera JPEGs (JFIF or EXIF; 4:4:4 ones are YBR_FULL)
    "camera/Canon_40D.jpg": ok(BASELINE, "YBR_FULL"),
    "camera/Fujifilm_FinePix_E500.jpg": ok(BASELINE, "YBR_FULL_422"),
    "camera/Nikon_D70.jpg": ok(BASELINE, "YBR_FULL"),
    "camera/corrupted.jpg": ok(BASELINE, "YBR_FULL_422"),
    "camera/invalid_image00971.jpg": ok(BASELINE, "YBR_FULL"),
    "camera/landscape_3.jpg": ok(BASELINE, "YBR_FULL_422"),
    "camera/no_exif.jpg": ok(BASELINE, "YBR_FULL_422"),
    # synthetic streams
    "synthetic/syn_422.jpg": ok(BASELINE, "YBR_FULL_422"),
    "synthetic/syn_444.jpg": ok(BASELINE, "YBR_FULL"),
    "synthetic/syn_cmyk_adobe.jpg": FOUR,
    "synthetic/syn_exif_no_jfif.jpg": ok(BASELINE, "YBR_FULL_422"),
    "synthetic/syn_gray_baseline.jpg": ok(BASELINE, "MONOCHROME2"),
    "synthetic/syn_no_jfif.jpg": ok(BASELINE, "YBR_FULL_422"),
    "synthetic/syn_progressive.jpg": ok(PROGRESSIVE, "YBR_FULL_422"),
    "synthetic/syn_progressive_arith.jpg": refused(UnsupportedInputError, "arithmetic coding (SOF10)"),
    "synthetic/syn_progressive_gray.jpg": ok(PROGRESSIVE, "MONOCHROME2"),
    "synthetic/syn_restart.jpg": ok(BASELINE, "YBR_FULL_422"),
    "synthetic/syn_rgb_adobe.jpg": ok(BASELINE, "RGB"),
    "synthetic/syn_sof1_12bit_gray.jpg": ok(EXTENDED, "MONOCHROME2"),
    "synthetic/syn_sof1_8bit_q1.jpg": ok(EXTENDED, "YBR_FULL_422"),
    "synthetic/syn_sof2_12bit_gray.jpg": ok(PROGRESSIVE, "MONOCHROME2"),
    "synthetic/syn_sof3_8bit_rgb_sv1.jpg": ok(LOSSLESS_SV1, "RGB"),
    "synthetic/syn_sof3_p16_gray_sel6_from12bit.jpg": ok(LOSSLESS, "MONOCHROME2"),
    "synthetic/syn_sof3_p16_gray_sv1.jpg": ok(LOSSLESS_SV1, "MONOCHROME2"),
    "synthetic/syn_trailing_garbage.jpg": ok(BASELINE, "YBR_FULL_422"),
}
ACCEPTED = sorted(k for k, v in EXPECTED.items() if v[0] == "ok")
REFUSED = sorted(k for k, v in EXPECTED.items() if v[0] == "refused")


def rule_decision(data: bytes):
    """What the rules say about a stream, from a pure-Python reading of its markers:
    ("ok", ts, photometric) or ("refused", reason)."""
    segments, _ = jpeg_segments(data)
    sof = precision = None
    components, ss, jfif, adobe = [], None, False, None
    for marker, start, end in segments:
        p = segment_payload(data, start, end)
        if marker in (0xDE, 0xCC):
            return ("refused", "hierarchical" if marker == 0xDE else "arithmetic")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC) and sof is None:
            sof, precision = marker, p[0]
            components = [(p[6 + 3 * i], p[7 + 3 * i] >> 4, p[7 + 3 * i] & 15) for i in range(p[5])]
        elif marker == 0xDA and ss is None:
            ss = p[1 + 2 * p[0]]
        elif marker == 0xE0 and p[:5] == b"JFIF\0":
            jfif = True
        elif marker == 0xEE and p[:5] == b"Adobe":
            adobe = p[11]
    if sof is None:
        return ("refused", "tables only")
    if sof in (0xC5, 0xC6, 0xC7, 0xCD, 0xCE, 0xCF):
        return ("refused", "hierarchical")
    if sof in (0xC9, 0xCA, 0xCB):
        return ("refused", "arithmetic")
    if len(components) not in (1, 3):
        return ("refused", f"{len(components)} components")
    ts = {0xC0: BASELINE, 0xC1: EXTENDED, 0xC2: PROGRESSIVE}.get(sof)
    if sof == 0xC3:
        ts = LOSSLESS_SV1 if ss == 1 else LOSSLESS
    assert ts is not None and precision in ((8,) if sof == 0xC0 else (8, 12) if sof < 0xC3 else range(2, 17))
    if len(components) == 1:
        return ("ok", ts, "MONOCHROME2")
    ids = tuple(c[0] for c in components)
    if adobe == 0 or ids == (ord("R"), ord("G"), ord("B")) or (sof == 0xC3 and not jfif and adobe is None):
        return ("ok", ts, "RGB")
    luma = components[0][1:]
    subsampled = any(c[1:] != luma for c in components[1:])
    return ("ok", ts, "YBR_FULL_422" if subsampled else "YBR_FULL")


@pytest.fixture(scope="module")
def converted(corpus_dir, tmp_path_factory):
    """rel path → (input bytes, Conversion, output path), converted once per module."""
    out_dir = tmp_path_factory.mktemp("corpus-dcm")
    cache = {}

    def get(rel):
        if rel not in cache:
            src = corpus_dir / "jpeg" / rel
            dst = out_dir / (rel.replace("/", "__") + ".dcm")
            cache[rel] = (src.read_bytes(), convert_file(src, dst), dst)
        return cache[rel]
    return get


def test_table_lists_every_corpus_jpeg(corpus_dir):
    on_disk = {p.relative_to(corpus_dir / "jpeg").as_posix() for p in (corpus_dir / "jpeg").rglob("*.jpg")}
    assert on_disk == set(EXPECTED)


@pytest.mark.parametrize("rel", sorted(EXPECTED))
def test_table_follows_the_rules(corpus_dir, rel):
    rule = rule_decision((corpus_dir / "jpeg" / rel).read_bytes())
    expected = EXPECTED[rel]
    if expected[0] == "ok":
        assert rule == expected
    else:
        assert rule[0] == "refused"


@pytest.mark.parametrize("rel", ACCEPTED)
def test_accepted(converted, rel):
    _, ts, photometric = EXPECTED[rel]
    src, conversion, path = converted(rel)
    assert (conversion.transfer_syntax, conversion.photometric) == (ts, photometric)
    ds, fragment = check_stream(src, path)                                           # (a)
    assert ds.file_meta.TransferSyntaxUID == ts
    assert ds.PhotometricInterpretation == photometric
    assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.7"
    lossless = ts in (LOSSLESS, LOSSLESS_SV1)
    assert ds.LossyImageCompression == ("00" if lossless else "01")
    if not lossless:
        assert ds.LossyImageCompressionMethod == "ISO_10918_1"
        assert float(ds.LossyImageCompressionRatio) > 1
    # the decoders disagree about corrupt entropy-coded data, so no colour check for it
    check_pixels(src, path, ds, fragment, colour_check=rel != "camera/corrupted.jpg")  # (b)


@pytest.mark.reference
@pytest.mark.parametrize("rel", ACCEPTED)
def test_accepted_reference_tools(converted, rel, dciodvfy_errors, dcmdump, gdcminfo):
    _, ts, photometric = EXPECTED[rel]
    _, _, path = converted(rel)
    check_tools(path, ts, photometric, dciodvfy_errors, dcmdump, gdcminfo)           # (c), (d)


@pytest.mark.parametrize("rel", REFUSED)
def test_refused(corpus_dir, tmp_path, rel):
    _, error_type, message = EXPECTED[rel]
    src = corpus_dir / "jpeg" / rel
    with pytest.raises(DicomconvError) as info:
        convert_file(src, tmp_path / "out.dcm")
    assert isinstance(info.value, error_type)
    assert message in str(info.value)
    assert str(src) in str(info.value)
    assert os.listdir(tmp_path) == []          # neither the output nor a temporary file


def test_corrupted_keeps_data_after_a_stray_eoi(converted):
    """camera/corrupted.jpg has an EOI inside corrupt entropy-coded data, 59 KB before the real
    one: the stream must run to the final EOI, not stop at the first (as DCMTK img2dcm does)."""
    src, _, path = converted("camera/corrupted.jpg")
    _, first_eoi = jpeg_segments(src)
    final_eoi = src.rfind(b"\xff\xd9")
    assert final_eoi - first_eoi > 50_000
    _, fragment = read_single_fragment(path)
    stream = expected_stream(src)
    assert fragment.rstrip(b"\0").endswith(b"\xff\xd9")
    assert len(fragment) == len(stream) + len(stream) % 2
    assert src[first_eoi:final_eoi + 2] in fragment
    assert fragment[len(stream) - (final_eoi + 2 - first_eoi):len(stream)] == src[first_eoi:final_eoi + 2]


def test_trailing_garbage_is_dropped(converted):
    src, conversion, path = converted("synthetic/syn_trailing_garbage.jpg")
    final_eoi = src.rfind(b"\xff\xd9")
    assert final_eoi + 2 < len(src)
    _, fragment = read_single_fragment(path)
    assert src[final_eoi + 2:] not in fragment
    assert any("after the final EOI" in note for note in conversion.notes)
