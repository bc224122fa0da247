"""Unit tests of the Cython JPEG marker scanner on streams generated here."""
from __future__ import annotations

import io
import random
import struct

import pytest

from dicomconv._native import jpeg_markers as jm

PIL = pytest.importorskip("PIL.Image")


def make_jpeg(mode="RGB", size=(33, 21), **save) -> bytes:
    from PIL import Image

    img = Image.new(mode, size)
    px = img.load()
    for y in range(size[1]):
        for x in range(size[0]):
            px[x, y] = (x * 7 % 256, y * 11 % 256, (x + y) * 5 % 256) if mode == "RGB" else (x * y) % 256
    buf = io.BytesIO()
    img.save(buf, "JPEG", **save)
    return buf.getvalue()


def segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def joined(data: bytes, info: dict) -> bytes:
    return b"".join(data[a:b] for a, b in info["kept"])


def test_baseline_header_fields():
    data = make_jpeg("RGB", (33, 21), quality=90, subsampling=2)
    info = jm.scan(data)
    assert info["sof"] == 0xC0
    assert (info["precision"], info["rows"], info["columns"]) == (8, 21, 33)
    assert [c[0] for c in info["components"]] == [1, 2, 3]
    assert info["components"][0][1:] == (2, 2)          # 4:2:0 luma sampling
    assert info["jfif"] is not None
    assert info["eoi"] == len(data) - 2
    out = joined(data, info)
    assert out.startswith(b"\xff\xd8") and out.endswith(b"\xff\xd9")
    assert b"JFIF\0" not in out                           # APP0 JFIF stripped by default
    assert info["length"] == len(out)


def test_appn_policies_exif_kept_only_with_keep_appn():
    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "maker"
    data = make_jpeg(exif=exif.tobytes())
    stripped = joined(data, jm.scan(data, jm.APPN_STRIP_ALL))
    keep = joined(data, jm.scan(data, jm.APPN_STRIP_JFIF))
    everything = joined(data, jm.scan(data, jm.APPN_KEEP_ALL))
    assert b"Exif\0" not in stripped and b"JFIF" not in stripped
    assert b"Exif\0" in keep and b"JFIF\0" not in keep
    assert everything == data
    assert jm.scan(data)["exif"] is True


def test_fill_bytes_before_markers_are_legal():
    data = make_jpeg()
    # insert 0xFF fill bytes before the first DQT marker (B.1.1.2)
    pos = data.index(b"\xff\xdb")
    filled = data[:pos] + b"\xff\xff\xff" + data[pos:]
    info = jm.scan(filled)
    assert (info["rows"], info["columns"]) == (21, 33)


def test_comment_dri_and_icc_chunks_reassembled():
    data = make_jpeg()
    profile = bytes(range(256)) * 10
    chunks = [profile[:1000], profile[1000:2000], profile[2000:]]
    app2 = b"".join(segment(0xE2, b"ICC_PROFILE\0" + bytes([i + 1, 3]) + c) for i, c in enumerate(chunks))
    extra = app2 + segment(0xFE, b"hello") + segment(0xDD, b"\x00\x04")
    # put them right after SOI; DRI before the scan is legal (B.2.4.4)
    stream = data[:2] + extra + data[2:]
    info = jm.scan(stream)
    assert info["icc"] == profile
    assert info["comments"] == [b"hello"]
    assert info["restart_interval"] == 4
    out = joined(stream, info)
    assert b"ICC_PROFILE" not in out and b"hello" in out


def test_incomplete_icc_profile_is_an_error():
    data = make_jpeg()
    app2 = segment(0xE2, b"ICC_PROFILE\0" + bytes([1, 2]) + b"abc")
    with pytest.raises(jm.JpegError, match="ICC"):
        jm.scan(data[:2] + app2 + data[2:])


def test_adobe_transform_reported():
    data = make_jpeg()
    adobe = segment(0xEE, b"Adobe" + b"\x00\x64" + b"\x00\x00" + b"\x00\x00" + b"\x00")
    info = jm.scan(data[:2] + adobe + data[2:])
    assert info["adobe_transform"] == 0


def test_trailing_bytes_after_eoi_dropped():
    data = make_jpeg()
    info = jm.scan(data + b"TRAILER\x00\x01garbage")
    assert joined(data + b"TRAILER", info) == joined(data, jm.scan(data))


def test_stray_eoi_inside_scan_does_not_truncate():
    data = make_jpeg()
    # An EOI, then more data ending with the real EOI: the stream ends at the last EOI.
    fake = data[:-2] + b"\xff\xd9" + b"\x12\x34\xff\x00\x56" + b"\xff\xd9"
    info = jm.scan(fake)
    assert info["eoi"] == len(fake) - 2


def test_reserved_codes_in_entropy_data_do_not_end_the_scan():
    data = make_jpeg()
    sos = data.index(b"\xff\xda")
    hdr_len = struct.unpack(">H", data[sos + 2:sos + 4])[0]
    start = sos + 2 + hdr_len
    corrupt = data[:start + 4] + b"\xff\x9f" + data[start + 4:]
    info = jm.scan(corrupt)
    assert info["eoi"] == len(corrupt) - 2


@pytest.mark.parametrize("sof,reason", [(0xC9, "arithmetic"), (0xCA, "arithmetic"), (0xC5, "hierarchical"),
                                        (0xCF, "hierarchical"), (0xCB, "arithmetic")])
def test_refused_processes(sof, reason):
    data = bytearray(make_jpeg())
    pos = data.index(b"\xff\xc0")
    data[pos + 1] = sof
    with pytest.raises(jm.JpegError, match=f"unsupported.*{reason}"):
        jm.scan(bytes(data))


@pytest.mark.parametrize("data,match", [
    (b"", "only 0 bytes"),
    (b"\xff\xd8", "only 2 bytes"),
    (b"GIF89a\x00\x00", "SOI"),
    (b"\xff\xd8\xff\xd9", "no image"),
    (b"\xff\xd8\xff\xe0\x00\x01", "length 1"),
    (b"\xff\xd8\xff\xe0\xff\xff\x00\x00", "needs 65535 bytes"),
    (b"\xff\xd8\x00\x00\x00\x00", "expected a marker"),
    (b"\xff\xd8\xff\xd8\x00\x00", "second SOI"),
])
def test_malformed_streams_raise_clear_errors(data, match):
    with pytest.raises(jm.JpegError, match=match):
        jm.scan(data)


def test_every_truncation_is_an_error_or_a_consistent_result():
    data = make_jpeg(size=(17, 13))
    for cut in range(len(data)):
        try:
            info = jm.scan(data[:cut])
        except jm.JpegError as exc:
            assert str(exc)
        else:  # a cut inside the scan may still end at an earlier FFD9 only if one exists
            assert info["eoi"] + 2 <= cut


def test_random_mutations_never_crash():
    rnd = random.Random(1234)
    base = make_jpeg(size=(40, 30))
    for _ in range(3000):
        data = bytearray(base)
        for _ in range(rnd.randint(1, 8)):
            data[rnd.randrange(len(data))] = rnd.randrange(256)
        if rnd.random() < 0.3:
            del data[rnd.randrange(len(data)):]
        try:
            info = jm.scan(bytes(data))
        except jm.JpegError:
            continue
        for a, b in info["kept"]:
            assert 0 <= a <= b <= len(data)


def test_accepts_memoryview_and_bytearray_rejects_str():
    data = make_jpeg()
    assert jm.scan(memoryview(data))["rows"] == jm.scan(bytearray(data))["rows"] == 21
    with pytest.raises(TypeError):
        jm.scan("not bytes")


def test_appended_second_image_is_not_stored():
    """An MPO (CIPA DC-007) file holds a second JPEG after the first EOI: only the first is kept."""
    from PIL import Image

    buf = io.BytesIO()
    first = Image.new("RGB", (16, 16), (255, 0, 0))
    first.save(buf, "MPO", save_all=True, append_images=[Image.new("RGB", (16, 16), (0, 0, 255))])
    data = buf.getvalue()
    info = jm.scan(data)
    first_eoi = data.index(b"\xff\xd9")
    assert info["eoi"] == first_eoi
    assert info["appended_image"] == first_eoi + 2
    assert data[info["appended_image"]:].startswith(b"\xff\xd8")
    # Without an MPF marker, an SOI straight after the EOI is still an appended image.
    single = make_jpeg()
    info = jm.scan(single + single)
    assert info["eoi"] == len(single) - 2 and info["appended_image"] == len(single)
