"""Our RLE Lossless codec (native/rle.pyx, PS3.5 Annex G) and its pydicom 3 plugins.

Checked against: pydicom's own RLE encoder/decoder, pylibjpeg-rle and python-gdcm (when
installed), the RLE files of the shared corpus, DCMTK ``dcmdrle`` and GDCM ``gdcmconv --raw``
on files we encode, a pure-Python reading of the segment structure (even lengths, no run across
a row, no -128 headers), and hypothesis-generated images and malformed frames.
"""
from __future__ import annotations

import copy
import os
import shutil
import struct
import subprocess
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import generate_frames
from pydicom.pixels import pixel_array
from pydicom.pixels.decoders import RLELosslessDecoder
from pydicom.pixels.decoders.rle import _rle_decode_frame
from pydicom.pixels.encoders import RLELosslessEncoder
from pydicom.uid import ExplicitVRLittleEndian, RLELossless, SecondaryCaptureImageStorage

from dicomconv._native import rle as native
from dicomconv.codecs import rle as codec
from dicomconv.codecs.rle import RLEError, decode_frame, encode_frame

CORPUS = Path(os.environ.get("DICOMCONV_CORPUS")
              or Path(__file__).resolve().parents[2] / "shared" / "corpus")
RLE_CORPUS = CORPUS / "dicom" / "RLELossless"

try:
    import rle as pylibjpeg_rle_pkg  # noqa: F401
    from rle.rle import decode_frame as plr_decode, encode_frame as plr_encode
except ImportError:
    plr_decode = plr_encode = None

try:
    import gdcm
except ImportError:
    gdcm = None


@pytest.fixture(scope="module", autouse=True)
def plugins():
    """Register our plugins with pydicom for this module (and remove them afterwards)."""
    added = []
    for coder, func in ((RLELosslessDecoder, "_decode_frame"),
                        (RLELosslessEncoder, "_encode_frame")):
        if "dicomconv" not in coder.available_plugins:
            coder.add_plugin("dicomconv", ("dicomconv.codecs.rle", func))
            added.append(coder)
    yield
    for coder in added:
        coder.remove_plugin("dicomconv")


# ------------------------------------------------------------------------------- helpers

def image(kind: str, rows: int, columns: int, spp: int, bits: int, seed: int = 0) -> np.ndarray:
    """(rows, columns[, spp]) little-endian unsigned array of the given kind."""
    rng = np.random.default_rng(seed)
    dtype = np.dtype(f"<u{bits // 8}")
    shape = (rows, columns, spp) if spp > 1 else (rows, columns)
    top = np.iinfo(dtype).max
    if kind == "noise":
        return rng.integers(0, top, size=shape, dtype=dtype, endpoint=True)
    if kind == "flat":        # every row all-equal (a different value per row)
        vals = rng.integers(0, top, size=(rows, 1) + ((spp,) if spp > 1 else ()), dtype=dtype,
                            endpoint=True)
        return np.ascontiguousarray(np.broadcast_to(vals, shape))
    if kind == "runs":        # runs of lengths 1..300 of a few values (128/129/130 boundaries)
        n = int(np.prod(shape))
        lengths = rng.choice([1, 2, 3, 127, 128, 129, 130, 255, 256, 257, 300, 5], size=n)
        vals = rng.integers(0, 4, size=n).astype(dtype) * (top // 3)
        return np.repeat(vals, lengths)[:n].reshape(shape)
    if kind == "smooth":      # a gradient plus a little noise
        y, x = np.mgrid[0:rows, 0:columns]
        base = (x * 3 + y * 5) * (top // max(1, 3 * columns + 5 * rows))
        base = base[..., None] + np.arange(spp) if spp > 1 else base
        return (base + rng.integers(0, 3, size=shape)).astype(dtype)
    raise ValueError(kind)


def to_planar(arr: np.ndarray, spp: int, planar: int) -> bytes:
    if spp > 1 and planar == 1:
        return np.ascontiguousarray(arr.transpose(2, 0, 1)).tobytes()
    return np.ascontiguousarray(arr).tobytes()


def header(frame: bytes) -> tuple[int, list[int]]:
    values = struct.unpack("<16I", frame[:64])
    return values[0], list(values[1:1 + values[0]])


def segments(frame: bytes) -> list[bytes]:
    n, offsets = header(frame)
    ends = offsets[1:] + [len(frame)]
    return [frame[a:b] for a, b in zip(offsets, ends)]


def payload_length(seg: bytes, rows: int, columns: int) -> int:
    """Bytes of ``seg`` used to fill a rows x columns byte plane (pure Python, G.4), checking
    that no run crosses a row and that -128 is not used."""
    pos = done = 0
    while done < rows * columns:
        h = seg[pos]
        assert h != 0x80, "-128 must not be used by an encoder"
        if h < 0x80:
            count, pos = h + 1, pos + 1 + h + 1
        else:
            count, pos = 257 - h, pos + 2
            assert count >= 2
        assert (done + count - 1) // columns == done // columns, "run crosses a row"
        done += count
    assert done == rows * columns and pos <= len(seg)
    return pos


def check_structure(frame: bytes, rows: int, columns: int, spp: int, bits: int):
    """Header and segments as PS3.5 G.3/G.5 want them, checked in pure Python."""
    nseg, offsets = header(frame)
    assert nseg == spp * bits // 8
    assert offsets[0] == 64
    assert struct.unpack("<16I", frame[:64])[1 + nseg:] == (0,) * (15 - nseg)
    for seg in segments(frame):
        assert len(seg) % 2 == 0
        used = payload_length(seg, rows, columns)
        assert seg[used:] in (b"", b"\0"), "only a single 0x00 pad may follow"


def reference_row(r: bytes) -> bytes:
    """The parse we promise, in plain Python (greedy PS3.5 G.3.1): runs of 3+ are replicate
    runs; a run of 2 joins the literal when a literal is pending and what follows is neither
    a run of 3+ nor the row end, else it is a replicate run; literals are cut every 128 bytes;
    a single byte left over from a run of 129, 257, ... starts the next literal."""
    n, out, i, lit = len(r), bytearray(), 0, 0

    def literal(a, b):
        for k in range(a, b, 128):
            chunk = r[k:min(b, k + 128)]
            out.append(len(chunk) - 1)
            out.extend(chunk)

    while i < n:
        p = next((k for k in range(i, n - 1) if r[k] == r[k + 1]), n)
        if p >= n:
            break
        j = p + 1
        while j < n and r[j] == r[p]:
            j += 1
        run = j - p
        if run == 2 and p > lit and j < n and not (j + 2 < n and r[j] == r[j + 1] == r[j + 2]):
            i = j
            continue
        literal(lit, p)
        while run >= 128:
            out += bytes([129, r[p]])
            run -= 128
        if run >= 2:
            out += bytes([257 - run, r[p]])
        lit = j - (run == 1)
        i = j
    literal(lit, n)
    return bytes(out)


def pydicom_decode_pc0(frame: bytes, rows, columns, spp, bits) -> bytes:
    """pydicom's pure-Python decoder (planar configuration 1 output), as planar 0 bytes."""
    out = _rle_decode_frame(frame, rows, columns, spp, bits)
    if spp == 1:
        return bytes(out)
    a = np.frombuffer(out, f"<u{bits // 8}").reshape(spp, rows, columns)
    return a.transpose(1, 2, 0).tobytes()


def pydicom_encode(src: bytes, rows, columns, spp, bits) -> bytes:
    """pydicom's pure-Python encoder (``encoding_plugin="pydicom"``) on one planar-0 frame."""
    from pydicom.pixels.encoders.base import EncodeRunner
    from pydicom.pixels.encoders.native import _encode_frame

    runner = EncodeRunner(RLELossless)
    runner.set_options(rows=rows, columns=columns, samples_per_pixel=spp, bits_allocated=bits,
                       bits_stored=bits, pixel_representation=0, number_of_frames=1,
                       photometric_interpretation="RGB" if spp == 3 else "MONOCHROME2",
                       planar_configuration=0)
    return _encode_frame(src, runner)


def make_dataset(arr: np.ndarray, spp: int, bits: int, frames: int = 1, bits_stored=None,
                 signed: bool = False) -> Dataset:
    """A native little-endian Secondary Capture dataset holding ``arr``."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    ds.file_meta.MediaStorageSOPInstanceUID = pydicom.uid.generate_uid()
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.Modality = "OT"
    ds.PatientName = "Test^RLE"
    ds.PatientID = "RLE"
    ds.StudyInstanceUID = pydicom.uid.generate_uid()
    ds.SeriesInstanceUID = pydicom.uid.generate_uid()
    shape = arr.shape[1:] if frames > 1 else arr.shape
    ds.Rows, ds.Columns = shape[0], shape[1]
    ds.SamplesPerPixel = spp
    ds.PhotometricInterpretation = "RGB" if spp == 3 else "MONOCHROME2"
    if spp == 3:
        ds.PlanarConfiguration = 0
    if frames > 1:
        ds.NumberOfFrames = frames
    ds.BitsAllocated = bits
    ds.BitsStored = bits_stored or bits
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = int(signed)
    raw = arr.tobytes()
    ds.PixelData = raw + b"\0" * (len(raw) % 2)
    ds["PixelData"].VR = "OB" if bits == 8 else "OW"
    return ds


def rle_dataset(arr: np.ndarray, spp: int, bits: int, frames: int = 1) -> Dataset:
    """The same, RLE Lossless, encapsulated with our :func:`codec.encode` (any bits)."""
    ds = make_dataset(arr, spp, bits, frames)
    ds.PixelData = codec.encode(arr.tobytes(), ds.Rows, ds.Columns, spp, bits,
                                number_of_frames=frames)
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    ds.file_meta.TransferSyntaxUID = RLELossless
    return ds


CONFIGS = [(bits, spp, planar) for bits in (8, 16, 32) for spp in (1, 3)
           for planar in ((0, 1) if spp == 3 else (0,))]
SHAPES = [(1, 1), (1, 2), (3, 5), (7, 13), (5, 129), (4, 300), (17, 1)]
KINDS = ["noise", "flat", "runs", "smooth"]


# ------------------------------------------------------------------------ round trips

@pytest.mark.parametrize("bits,spp,planar", CONFIGS)
@pytest.mark.parametrize("kind", KINDS)
def test_round_trip_and_structure(bits, spp, planar, kind):
    for shape in SHAPES:
        arr = image(kind, *shape, spp, bits, seed=bits + spp + planar)
        src = to_planar(arr, spp, planar)
        frame = encode_frame(src, *shape, spp, bits, planar)
        assert isinstance(frame, bytes)
        check_structure(frame, *shape, spp, bits)
        out = decode_frame(frame, *shape, spp, bits, planar_configuration=planar)
        assert isinstance(out, bytearray) and out == src
        # the other planar configuration gives the same samples
        other = decode_frame(frame, *shape, spp, bits, planar_configuration=1 - planar)
        assert other == to_planar(arr, spp, 1 - planar)
        # independent decoder
        assert pydicom_decode_pc0(frame, *shape, spp, bits) == to_planar(arr, spp, 0)


@pytest.mark.parametrize("bits,spp", [(8, 1), (16, 1), (32, 1), (8, 3), (16, 3), (32, 3)])
def test_against_pydicom_encoder(bits, spp):
    """pydicom's encoder output decodes to the source with ours, and ours is never larger."""
    for kind in KINDS:
        for shape in [(1, 1), (6, 7), (9, 140)]:
            src = image(kind, *shape, spp, bits, seed=3).tobytes()
            theirs = pydicom_encode(src, *shape, spp, bits)
            assert decode_frame(theirs, *shape, spp, bits) == src
            ours = encode_frame(src, *shape, spp, bits)
            assert len(ours) <= len(theirs)


def test_all_equal_and_worst_case_sizes():
    rows, columns = 8, 1000
    flat = encode_frame(bytes(rows * columns), rows, columns, 1, 8)
    # per row: 7 replicate runs of 128 + one of 104 -> 16 bytes
    assert len(flat) == 64 + rows * 16
    noise = image("noise", rows, columns, 1, 8).tobytes()
    worst = encode_frame(noise, rows, columns, 1, 8)
    assert len(worst) <= 64 + rows * (columns + -(-columns // 128)) + 1
    assert decode_frame(worst, rows, columns, 1, 8) == noise


def test_pack_bits_choices():
    """G.3.1: 3+ equal bytes replicate; 2 equal bytes replicate unless between literals."""
    def enc(row: bytes) -> bytes:
        return segments(encode_frame(row, 1, len(row), 1, 8))[0]

    assert enc(b"\x05\x05\x05") == b"\xfe\x05"                    # 3-run: replicate
    assert enc(b"\x05\x05") == b"\xff\x05"                         # 2-run alone: replicate
    assert enc(b"\x01\x05\x05\x02") == b"\x03\x01\x05\x05\x02" + b"\0"  # between literals: merged
    assert enc(b"\x01\x05\x05") == b"\x00\x01\xff\x05"             # at row end: replicate
    assert enc(b"\x01\x05\x05\x07\x07\x07") == b"\x00\x01\xff\x05\xfe\x07"  # before replicate
    assert enc(b"\x05\x05\x01\x02") == b"\xff\x05\x01\x01\x02" + b"\0"  # literal start: replicate
    assert enc(b"\x09" * 129) == b"\x81\x09\x00\x09"               # 128 + leftover literal
    assert enc(b"\x09" * 130) == b"\x81\x09\xff\x09"
    # two rows are coded separately
    frame = encode_frame(b"\x01\x01\x01\x01\x02\x02\x02\x02", 2, 4, 1, 8)
    assert segments(frame)[0] == b"\xfd\x01\xfd\x02"


@settings(max_examples=300, deadline=None)
@given(row=st.lists(st.tuples(st.integers(0, 3), st.integers(1, 140)), min_size=1, max_size=30)
       .map(lambda runs: b"".join(bytes([v]) * n for v, n in runs)[:700]))
def test_parse_matches_reference(row):
    seg = segments(encode_frame(row, 1, len(row), 1, 8))[0]
    want = reference_row(row)
    assert seg == want + b"\0" * (len(want) % 2)


def test_parse_matches_reference_on_images():
    for kind in KINDS:
        arr = image(kind, 6, 333, 1, 8, seed=2)
        seg = segments(encode_frame(arr.tobytes(), 6, 333, 1, 8))[0]
        want = b"".join(reference_row(row.tobytes()) for row in arr)
        assert seg == want + b"\0" * (len(want) % 2)


def test_multiframe_helpers():
    frames, rows, columns = 3, 10, 11
    arr = np.stack([image(k, rows, columns, 3, 16, seed=i) for i, k in
                    enumerate(["noise", "runs", "smooth"])])
    data = codec.encode(arr, rows, columns, 3, 16, number_of_frames=frames)
    assert data[:4] == b"\xfe\xff\x00\xe0"
    parts = list(generate_frames(data, number_of_frames=frames))
    assert len(parts) == frames
    assert codec.decode(data, rows, columns, 3, 16, number_of_frames=frames) == arr.tobytes()
    planar = codec.decode(data, rows, columns, 3, 16, number_of_frames=frames,
                          planar_configuration=1)
    assert planar == np.ascontiguousarray(arr.transpose(0, 3, 1, 2)).tobytes()
    listed = codec.encode(arr.tobytes(), rows, columns, 3, 16, number_of_frames=frames,
                          encapsulate=False)
    assert listed == parts
    # a bare frame
    assert codec.decode(parts[1], rows, columns, 3, 16) == arr[1].tobytes()
    # datasets
    ds = rle_dataset(arr, 3, 16, frames)
    assert codec.decode(ds) == arr.tobytes()
    native_ds = make_dataset(arr, 3, 16, frames)
    assert codec.encode(native_ds) == data
    with pytest.raises(ValueError):
        codec.decode(data, rows, columns, 3, 16, number_of_frames=frames + 1)


def test_out_buffer_and_argument_checks():
    src = image("smooth", 9, 10, 3, 16).tobytes()
    frame = encode_frame(src, 9, 10, 3, 16)
    out = bytearray(len(src))
    assert decode_frame(frame, 9, 10, 3, 16, out) is None and out == src
    arr = np.zeros((9, 10, 3), np.uint16)
    decode_frame(frame, 9, 10, 3, 16, out=arr)
    assert arr.tobytes() == src
    with pytest.raises(ValueError, match="out has"):
        decode_frame(frame, 9, 10, 3, 16, bytearray(len(src) - 1))
    with pytest.raises((BufferError, TypeError)):
        decode_frame(frame, 9, 10, 3, 16, bytes(len(src)))
    with pytest.raises(ValueError, match="src has"):
        encode_frame(src[:-2], 9, 10, 3, 16)
    for bad in [dict(samples_per_pixel=2), dict(bits_allocated=12), dict(rows=0),
                dict(planar_configuration=2), dict(samples_per_pixel=3, bits_allocated=64)]:
        kwargs = dict(rows=9, columns=10, samples_per_pixel=3, bits_allocated=16)
        kwargs.update(bad)
        with pytest.raises(ValueError):
            decode_frame(frame, **kwargs)
        with pytest.raises(ValueError):
            encode_frame(src, **kwargs)
    assert issubclass(RLEError, ValueError) and RLEError is native.RLEError


@pytest.mark.parametrize("bits,spp", [(8, 3), (16, 1), (16, 3), (32, 1), (32, 3)])
def test_frames_larger_than_a_decode_chunk(bits, spp):
    """Byte planes are interleaved in chunks of 16384 pixels: runs cross chunk boundaries."""
    for kind in ("runs", "noise", "flat"):
        arr = image(kind, 181, 191, spp, bits, seed=bits)
        for planar in ((0, 1) if spp == 3 else (0,)):
            src = to_planar(arr, spp, planar)
            frame = encode_frame(src, 181, 191, spp, bits, planar)
            assert decode_frame(frame, 181, 191, spp, bits, planar_configuration=planar) == src
            if plr_decode is not None:
                assert bytes(plr_decode(frame, 181 * 191, bits, "<")) == to_planar(arr, spp, 1)


def test_64_bit_single_sample():
    arr = image("runs", 5, 70, 1, 32).astype("<u8") * 0x1_0000_0001
    frame = encode_frame(arr.tobytes(), 5, 70, 1, 64)
    check_structure(frame, 5, 70, 1, 64)
    assert decode_frame(frame, 5, 70, 1, 64) == arr.tobytes()
    assert pydicom_decode_pc0(frame, 5, 70, 1, 64) == arr.tobytes()


def test_threads_release_the_gil():
    src = image("smooth", 256, 256, 3, 8).tobytes()
    frame = encode_frame(src, 256, 256, 3, 8)
    errors = []

    def work():
        try:
            for _ in range(20):
                assert decode_frame(encode_frame(src, 256, 256, 3, 8), 256, 256, 3, 8) == src
        except Exception as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(frame) > 64


# ------------------------------------------------------------------ decoder tolerance

def rebuild(segs: list[bytes], count: int | None = None, pad_header: bytes = b"") -> bytes:
    offsets, pos = [], 64 + len(pad_header)
    for s in segs:
        offsets.append(pos)
        pos += len(s)
    head = struct.pack("<I", len(segs) if count is None else count)
    head += struct.pack(f"<{len(offsets)}I", *offsets) + b"\0" * 4 * (15 - len(offsets))
    return head + pad_header + b"".join(segs)


def test_tolerated_variations():
    arr = image("noise", 5, 50, 3, 16, seed=5)     # 5 rows of 51-byte literals: odd
    src = arr.tobytes()
    frame = encode_frame(src, 5, 50, 3, 16)
    segs = segments(frame)
    # odd segment lengths (pydicom 2.4 wrote these): drop every pad byte
    unpadded = [s[:payload_length(s, 5, 50)] for s in segs]
    assert any(len(s) % 2 for s in unpadded)
    assert decode_frame(rebuild(unpadded), 5, 50, 3, 16) == src
    # extra padding after every segment and after the frame
    assert decode_frame(rebuild([s + b"\0\0\x80\0" for s in segs]) + b"\0" * 8, 5, 50, 3,
                        16) == src
    # -128 no-ops between runs
    noop = [b"\x80" + s for s in segs]
    assert decode_frame(rebuild(noop), 5, 50, 3, 16) == src
    # more segments than needed: the extra ones are ignored
    assert decode_frame(rebuild(segs + [b"\xff\x00", b"garbage!"]), 5, 50, 3, 16) == src
    # a segment count above the needed one, with a nonsense extra offset
    bogus = bytearray(rebuild(segs + [b"\0\0"]))
    bogus[4 + 4 * 6:8 + 4 * 6] = struct.pack("<I", 0xFFFFFFF0)
    assert decode_frame(bytes(bogus), 5, 50, 3, 16) == src
    # a first offset past 64 (bytes between header and first segment)
    assert decode_frame(rebuild(segs, pad_header=b"\0" * 6), 5, 50, 3, 16) == src
    # and pydicom's decoder agrees on the padded versions (warning about the padding)
    with pytest.warns(UserWarning, match="non-conformant padding"):
        assert pydicom_decode_pc0(rebuild([s + b"\0\0" for s in segs]), 5, 50, 3, 16) == src


@pytest.mark.parametrize("frame,message", [
    (b"\x01\0\0\0" + b"\0" * 50, "shorter than the 64-byte header"),
    (struct.pack("<16I", 16, *([64] * 15)) + b"\xff\0", "more than the 15"),
    (struct.pack("<16I", 0, *([0] * 15)), "0 segments but"),
    (struct.pack("<16I", 1, 60, *([0] * 14)) + b"\xff\0", "points into the header"),
    (struct.pack("<16I", 1, 67, *([0] * 14)) + b"\xff\0", "past the end"),
    (struct.pack("<16I", 1, 64, *([0] * 14)) + b"\xfe\0", "ends before its byte plane"),
    (struct.pack("<16I", 1, 64, *([0] * 14)) + b"\xfc\0", "overflows its byte plane"),
    (struct.pack("<16I", 1, 64, *([0] * 14)) + b"\x02\0\0", "literal run cut off"),
    (struct.pack("<16I", 1, 64, *([0] * 14)) + b"\x04\0\0\0\0\0", "overflows"),
    (struct.pack("<16I", 1, 64, *([0] * 14)) + b"\x80\x80", "ends before"),
    (struct.pack("<16I", 1, 64, *([0] * 14)) + b"\x01\0\x00", "ends before"),
    (struct.pack("<16I", 1, 64, *([0] * 14)) + b"\xff", "ends before"),
])
def test_refused_8bit_2x2(frame, message):
    with pytest.raises(RLEError, match=message):
        decode_frame(frame, 2, 2, 1, 8)


def test_refused_multi_segment():
    src = image("noise", 4, 4, 1, 16).tobytes()
    frame = encode_frame(src, 4, 4, 1, 16)
    n, (a, b) = header(frame)
    # decreasing offsets
    bad = bytearray(frame)
    bad[4:12] = struct.pack("<2I", b, a)
    with pytest.raises(RLEError, match="before the offset of segment 1"):
        decode_frame(bytes(bad), 4, 4, 1, 16)
    # too few segments for 16 bits
    bad = bytearray(frame)
    bad[0:4] = struct.pack("<I", 1)
    with pytest.raises(RLEError, match="need 2"):
        decode_frame(bytes(bad), 4, 4, 1, 16)
    # a first segment cut short by the second offset
    bad = bytearray(frame)
    bad[8:12] = struct.pack("<I", a + 4)
    with pytest.raises(RLEError, match="segment 1"):
        decode_frame(bytes(bad), 4, 4, 1, 16)
    # truncated frame: the last segment ends short
    with pytest.raises(RLEError, match="segment 2"):
        decode_frame(frame[:-6], 4, 4, 1, 16)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fuzz_malformed_frames(data):
    """Mutated valid frames and random headers: a correct-size result or RLEError, nothing
    else (and no crash)."""
    rows = data.draw(st.integers(1, 6))
    columns = data.draw(st.integers(1, 40))
    spp = data.draw(st.sampled_from([1, 3]))
    bits = data.draw(st.sampled_from([8, 16, 32]))
    planar = data.draw(st.sampled_from([0, 1]))
    size = rows * columns * spp * bits // 8
    src = bytes(data.draw(st.lists(st.sampled_from([0, 1, 2, 255]), min_size=size,
                                   max_size=size)))
    frame = bytearray(encode_frame(src, rows, columns, spp, bits, planar))
    how = data.draw(st.sampled_from(["flip", "header", "truncate", "extend", "random"]))
    if how == "flip":
        for _ in range(data.draw(st.integers(1, 8))):
            i = data.draw(st.integers(0, len(frame) - 1))
            frame[i] = data.draw(st.integers(0, 255))
    elif how == "header":
        i = data.draw(st.integers(0, 15))
        value = data.draw(st.one_of(st.integers(0, 20), st.integers(0, len(frame) + 10),
                                    st.integers(0, 2**32 - 1)))
        frame[4 * i:4 * i + 4] = struct.pack("<I", value)
    elif how == "truncate":
        del frame[data.draw(st.integers(0, len(frame) - 1)):]
    elif how == "extend":
        frame += data.draw(st.binary(min_size=1, max_size=50))
    else:
        count = data.draw(st.integers(0, 16))
        offs = data.draw(st.lists(st.integers(0, 300), min_size=15, max_size=15))
        frame = bytearray(struct.pack("<16I", count, *offs)
                          + data.draw(st.binary(max_size=300)))
    out = None
    if data.draw(st.booleans()):
        out = bytearray(size)
    try:
        result = decode_frame(bytes(frame), rows, columns, spp, bits, out, planar)
    except RLEError:
        return
    if out is None:
        assert isinstance(result, bytearray) and len(result) == size
    else:
        assert result is None
    if how in ("extend",):
        assert (result if out is None else out) == src


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_fuzz_round_trip(data):
    rows = data.draw(st.integers(1, 5))
    columns = data.draw(st.integers(1, 300))
    spp = data.draw(st.sampled_from([1, 3]))
    bits = data.draw(st.sampled_from([8, 16, 32]))
    planar = data.draw(st.sampled_from([0, 1]))
    size = rows * columns * spp * bits // 8
    runs = data.draw(st.lists(st.tuples(st.integers(0, 255), st.integers(1, 200)),
                              min_size=1, max_size=40))
    src = b"".join(bytes([v]) * n for v, n in runs)
    src = (src * (size // len(src) + 1))[:size]
    frame = encode_frame(src, rows, columns, spp, bits, planar)
    check_structure(frame, rows, columns, spp, bits)
    assert decode_frame(frame, rows, columns, spp, bits, planar_configuration=planar) == src
    if planar == 0:
        assert pydicom_decode_pc0(frame, rows, columns, spp, bits) == src


# ------------------------------------------------------------------- pydicom plugins

@pytest.mark.parametrize("name,bits,spp,frames", [
    ("mono8", 8, 1, 1), ("mono16", 16, 1, 1), ("rgb8", 8, 3, 1), ("rgb16", 16, 3, 1),
    ("mono16x3", 16, 1, 3), ("rgb8x2", 8, 3, 2), ("odd", 8, 1, 1),
])
def test_pydicom_plugins(name, bits, spp, frames):
    rows, columns = (7, 13) if name == "odd" else (24, 31)
    arr = np.stack([image(k, rows, columns, spp, bits, seed=f) for f, k in
                    zip(range(frames), ["smooth", "runs", "noise"])])
    arr = arr[0] if frames == 1 else arr
    ds = make_dataset(arr, spp, bits, frames)
    ours = copy.deepcopy(ds)
    ours.compress(RLELossless, encoding_plugin="dicomconv")
    assert ours.file_meta.TransferSyntaxUID == RLELossless
    theirs = copy.deepcopy(ds)
    theirs.compress(RLELossless, encoding_plugin="pydicom")
    assert len(ours.PixelData) <= len(theirs.PixelData)
    for compressed in (ours, theirs):
        expected = pixel_array(compressed, decoding_plugin="pydicom")
        got = pixel_array(compressed, decoding_plugin="dicomconv")
        assert np.array_equal(expected, arr) and np.array_equal(got, arr)
        assert got.dtype == expected.dtype and got.shape == expected.shape
    # ds.pixel_array through our plugin
    ours.pixel_array_options(decoding_plugin="dicomconv")
    assert np.array_equal(ours.pixel_array, arr)


def test_encoder_plugin_widens_to_bits_allocated():
    """pydicom hands encoders samples sized by Bits Stored; segments follow Bits Allocated."""
    arr = (image("smooth", 8, 9, 1, 16) & 0x7F).astype(np.uint16)
    ds = make_dataset(arr, 1, 16, bits_stored=8)
    ds.compress(RLELossless, encoding_plugin="dicomconv")
    frame = next(generate_frames(ds.PixelData, number_of_frames=1))
    assert header(frame)[0] == 2
    assert np.array_equal(pixel_array(ds, decoding_plugin="pydicom"), arr)
    signed = np.array([[-3, 5, -128, 127]], dtype=np.int16)
    ds = make_dataset(signed, 1, 16, bits_stored=8, signed=True)
    ds.compress(RLELossless, encoding_plugin="dicomconv")
    frame = next(generate_frames(ds.PixelData, number_of_frames=1))
    assert decode_frame(frame, 1, 4, 1, 16) == signed.tobytes()     # sign-extended


def test_plugin_module_interface():
    assert codec.is_available(RLELossless)
    assert not codec.is_available(ExplicitVRLittleEndian)
    assert RLELossless in codec.DECODER_DEPENDENCIES and RLELossless in codec.ENCODER_DEPENDENCIES
    codec.register()      # idempotent while the fixture's plugins are in place
    assert "dicomconv" in RLELosslessDecoder.available_plugins
    assert "dicomconv" in RLELosslessEncoder.available_plugins


# -------------------------------------------------------------------- third-party codecs

@pytest.mark.skipif(plr_decode is None, reason="pylibjpeg-rle is not installed")
@pytest.mark.parametrize("bits,spp", [(8, 1), (16, 1), (32, 1), (8, 3), (16, 3), (32, 3)])
def test_against_pylibjpeg_rle(bits, spp):
    for kind in KINDS:
        for shape in [(1, 1), (5, 7), (11, 260)]:
            arr = image(kind, *shape, spp, bits, seed=7)
            src = arr.tobytes()
            theirs = plr_encode(src, *shape, spp, bits, "<")
            assert decode_frame(theirs, *shape, spp, bits) == src
            ours = encode_frame(src, *shape, spp, bits)
            assert bytes(plr_decode(ours, shape[0] * shape[1], bits, "<")) == \
                to_planar(arr, spp, 1)
            assert len(ours) <= len(theirs)


def gdcm_encode(src: bytes, rows, columns, spp, bits) -> bytes:
    """python-gdcm's RLE encoder, in process (one frame)."""
    writer = gdcm.ImageWriter()
    img = writer.GetImage()
    img.SetNumberOfDimensions(2)
    img.SetDimensions((columns, rows, 1))
    pi = gdcm.PhotometricInterpretation.GetPIType("RGB" if spp == 3 else "MONOCHROME2")
    img.SetPhotometricInterpretation(gdcm.PhotometricInterpretation(pi))
    img.SetTransferSyntax(gdcm.TransferSyntax(gdcm.TransferSyntax.ImplicitVRLittleEndian))
    img.SetPixelFormat(gdcm.PixelFormat(spp, bits, bits, bits - 1, 0))
    if spp > 1:
        img.SetPlanarConfiguration(0)
    elem = gdcm.DataElement(gdcm.Tag(0x7FE0, 0x0010))
    elem.SetByteStringValue(src)
    img.SetDataElement(elem)
    change = gdcm.ImageChangeTransferSyntax()
    change.SetTransferSyntax(gdcm.TransferSyntax(gdcm.TransferSyntax.RLELossless))
    change.SetInput(img)
    assert change.Change()
    seq = change.GetOutput().GetDataElement().GetSequenceOfFragments()
    return seq.GetFragment(0).GetByteValue().GetBuffer().encode("utf-8", "surrogateescape")


@pytest.mark.skipif(gdcm is None, reason="python-gdcm is not installed")
@pytest.mark.parametrize("bits,spp", [(8, 1), (16, 1), (8, 3), (16, 3), (32, 1)])
def test_sizes_against_python_gdcm(bits, spp):
    """Segment payloads no larger than GDCM's. GDCM does not pad odd-length segments to even
    length (PS3.5 G.3.1 requires it), so ours may be one (pad) byte longer per segment."""
    for kind in KINDS:
        arr = image(kind, 20, 300, spp, bits, seed=11)     # even sizes: GDCM needs them
        src = arr.tobytes()
        theirs = gdcm_encode(src, 20, 300, spp, bits)
        assert decode_frame(theirs, 20, 300, spp, bits) == src
        ours = encode_frame(src, 20, 300, spp, bits)
        for a, b in zip(segments(ours), segments(theirs)):
            assert len(a) <= len(b) + (len(b) % 2)


# ------------------------------------------------------------------------------ corpus

def corpus_files():
    if not RLE_CORPUS.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(
            reason=f"corpus not found at {RLE_CORPUS} (set DICOMCONV_CORPUS)"))]
    return sorted(RLE_CORPUS.glob("*.dcm"))


@pytest.mark.corpus
@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name if p else "none")
def test_corpus_decodes_like_pydicom(path):
    ds = pydicom.dcmread(path)
    expected = pixel_array(ds, decoding_plugin="pydicom", raw=True)
    got = pixel_array(ds, decoding_plugin="dicomconv", raw=True)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    assert np.array_equal(got, expected)
    # the raw decoder output, frame by frame, against pydicom's pure-Python decoder
    desc = (ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.BitsAllocated)
    nframes = int(ds.get("NumberOfFrames", 1) or 1)
    mine = codec.decode(ds)
    size = len(mine) // nframes
    for i, frame in enumerate(generate_frames(ds.PixelData, number_of_frames=nframes)):
        assert mine[i * size:(i + 1) * size] == pydicom_decode_pc0(frame, *desc)
        # and our re-encoding round-trips
        again = encode_frame(mine[i * size:(i + 1) * size], *desc)
        assert decode_frame(again, *desc) == mine[i * size:(i + 1) * size]


# ------------------------------------------------------------------- reference tools

def tool(name: str) -> str:
    exe = shutil.which(name)
    if exe is None:
        pytest.skip(f"{name} is not installed (reference tool)")
    return exe


TOOL_CASES = [("mono8", 8, 1, 1, (33, 47)), ("mono16", 16, 1, 1, (40, 300)),
              ("rgb8", 8, 3, 1, (21, 130)), ("rgb16", 16, 3, 1, (12, 17)),
              ("mono32", 32, 1, 1, (10, 20)), ("mono16x3", 16, 1, 3, (16, 16)),
              ("rgb8x2", 8, 3, 2, (8, 9))]


def tool_case(tmp_path, bits, spp, frames, shape):
    arr = np.stack([image(k, *shape, spp, bits, seed=f) for f, k in
                    zip(range(frames), ["runs", "noise", "smooth"])])
    arr = arr[0] if frames == 1 else arr
    src = tmp_path / "rle.dcm"
    rle_dataset(arr, spp, bits, frames).save_as(src, enforce_file_format=True)
    return arr, src


@pytest.mark.reference
@pytest.mark.parametrize("name,bits,spp,frames,shape", TOOL_CASES, ids=[c[0] for c in TOOL_CASES])
def test_dcmtk_dcmdrle_decodes_ours(tmp_path, name, bits, spp, frames, shape):
    exe = tool("dcmdrle")
    arr, src = tool_case(tmp_path, bits, spp, frames, shape)
    out = tmp_path / "raw.dcm"
    proc = subprocess.run([exe, str(src), str(out)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ds = pydicom.dcmread(out)
    assert ds.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    raw = arr.tobytes()
    assert ds.PixelData[:len(raw)] == raw


GDCM_CASES = [c for c in TOOL_CASES if c[1] == 8 or c[2] == 1]


@pytest.mark.reference
@pytest.mark.parametrize("name,bits,spp,frames,shape", GDCM_CASES, ids=[c[0] for c in GDCM_CASES])
def test_gdcmconv_decodes_ours(tmp_path, name, bits, spp, frames, shape):
    exe = tool("gdcmconv")
    arr, src = tool_case(tmp_path, bits, spp, frames, shape)
    out = tmp_path / "raw.dcm"
    proc = subprocess.run([exe, "--raw", str(src), str(out)], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ds = pydicom.dcmread(out)
    assert not ds.file_meta.TransferSyntaxUID.is_compressed
    raw = arr.tobytes()
    assert ds.PixelData[:len(raw)] == raw
