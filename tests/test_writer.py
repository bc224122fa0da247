"""The small Part 10 writer, checked by reading its output back with pydicom."""
from __future__ import annotations

import io

import pydicom
import pytest
from pydicom.encaps import generate_frames, generate_fragments

from dicomconv import writer
from dicomconv.uids import IMPLEMENTATION_CLASS_UID, is_valid_uid, new_uid


def build(elements, frames, ts="1.2.840.10008.1.2.4.50"):
    meta = writer.file_meta("1.2.840.10008.5.1.4.1.1.7", "1.2.3.4", ts, IMPLEMENTATION_CLASS_UID, "X")
    chunks = [meta, writer.encode_dataset(elements), *writer.encapsulated_pixel_data(frames)]
    return b"".join(chunks)


def test_elements_read_back_with_vr_and_padding():
    el = {
        0x00100010: ("PN", "Odd^Len"),          # 7 chars → padded with a space
        0x00080018: ("UI", "1.2.3.4.5"),        # 9 chars → padded with NUL
        0x00080008: ("CS", ["DERIVED", "PRIMARY"]),
        0x00280010: ("US", 3),
        0x00280009: ("AT", 0x00181063),
        0x00400555: ("SQ", [{0x00100010: ("PN", "In^Item")}]),
        0x00282000: ("OB", b"\x01\x02\x03"),
    }
    ds = pydicom.dcmread(io.BytesIO(build(el, [[b"\xff\xd8\xff\xd9"]])))
    assert ds.PatientName == "Odd^Len"
    assert ds.SOPInstanceUID == "1.2.3.4.5"
    assert list(ds.ImageType) == ["DERIVED", "PRIMARY"]
    assert ds.Rows == 3
    assert ds.FrameIncrementPointer == 0x00181063
    assert ds.AcquisitionContextSequence[0].PatientName == "In^Item"
    assert ds.ICCProfile == b"\x01\x02\x03\x00"


def test_group_length_matches_meta_bytes():
    meta = writer.file_meta("1.2", "1.2.3", "1.2.840.10008.1.2.4.50", IMPLEMENTATION_CLASS_UID, "X")
    assert meta[128:132] == b"DICM"
    group_length = int.from_bytes(meta[140:144], "little")
    assert len(meta) - 144 == group_length


@pytest.mark.parametrize("lengths", [[5], [4], [3, 6, 1], [10, 11, 12, 13]])
def test_encapsulation_even_fragments_and_offset_table(lengths):
    frames = [[bytes([i + 1]) * n] for i, n in enumerate(lengths)]
    data = build({}, frames)
    ds = pydicom.dcmread(io.BytesIO(data))
    fragments = list(generate_fragments(ds.PixelData))
    assert len(fragments) == len(lengths) + 1  # BOT + one fragment per frame
    bot = fragments[0]
    offsets = [int.from_bytes(bot[i:i + 4], "little") for i in range(0, len(bot), 4)]
    expected, pos = [], 0
    for n in lengths:
        expected.append(pos)
        pos += 8 + n + (n & 1)
    assert offsets == expected
    for frag, n, (i, _) in zip(fragments[1:], lengths, enumerate(lengths)):
        assert len(frag) % 2 == 0
        assert frag[:n] == bytes([i + 1]) * n
        assert frag[n:] == b"\0" * (len(frag) - n)
    got = list(generate_frames(ds.PixelData, number_of_frames=len(lengths)))
    assert [g[:n] for g, n in zip(got, lengths)] == [f[0] for f in frames]


def test_frames_given_as_several_chunks_are_concatenated():
    data = build({}, [[b"\xff\xd8", memoryview(b"abc"), b"\xff\xd9"]])
    ds = pydicom.dcmread(io.BytesIO(data))
    frag = list(generate_fragments(ds.PixelData))[1]
    assert frag == b"\xff\xd8abc\xff\xd9\x00"


def test_uids():
    for _ in range(200):
        uid = new_uid()
        assert uid.startswith("2.25.") and is_valid_uid(uid)
    rooted = new_uid("1.2.826.0.1.3680043.10.999")
    assert rooted.startswith("1.2.826.0.1.3680043.10.999.") and is_valid_uid(rooted) and len(rooted) <= 64
    assert new_uid() != new_uid()
    with pytest.raises(ValueError):
        new_uid("1.2.abc")
    assert is_valid_uid(IMPLEMENTATION_CLASS_UID)
    assert not is_valid_uid("1.02.3") and not is_valid_uid("1." + "1" * 70)


@pytest.mark.parametrize("bits,spp,shape", [(8, 1, (3, 5)), (16, 1, (4, 3)), (8, 3, (3, 3))])
def test_native_pixel_data_read_back(bits, spp, shape):
    np = pytest.importorskip("numpy")
    from dicomconv.img2dcm import Img2DcmOptions, encode
    from dicomconv.source import ImageSource

    rows, cols = shape
    dtype = np.uint8 if bits == 8 else np.uint16
    arr = (np.arange(rows * cols * spp) * 37 % (2 ** bits)).astype(dtype).reshape(rows, cols, spp).squeeze()
    src = ImageSource(frames=[[arr.astype("<" + arr.dtype.str[1:]).tobytes()]], transfer_syntax="1.2.840.10008.1.2.1",
                      rows=rows, columns=cols, samples_per_pixel=spp,
                      photometric="MONOCHROME2" if spp == 1 else "RGB", bits_allocated=bits, bits_stored=bits)
    data = b"".join(encode(src, Img2DcmOptions()).chunks)
    ds = pydicom.dcmread(io.BytesIO(data))
    assert ds["PixelData"].VR == ("OB" if bits == 8 else "OW")
    assert len(ds.PixelData) % 2 == 0
    assert ds.LossyImageCompression == "00"
    assert np.array_equal(ds.pixel_array, arr)
