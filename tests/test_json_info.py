"""``dicomconv dcm2json`` / ``json2dcm`` (src/dicomconv/jsonmodel.py) and ``info`` / ``raw``
(src/dicomconv/inspect.py).

Oracles: DCMTK ``dcm2json`` (3.6.7 here) on every native file of the shared corpus and on
generated edge cases, compared as parsed data; GDCM ``gdcminfo --md5sum / --check-compression``
and ``gdcmraw -S``; pydicom's reading of the files and of our round-tripped files; an
independent pure-Python reading of the encapsulated item structure; SHA-256 of bulk files.

Differences from DCMTK 3.6.7 the standard allows (and why they are allowed in the comparison):

- FD numbers: DCMTK prints 17 significant digits with its own ``ftoa``, which is not correctly
  rounded (1e300 comes out as 1.0000000000000007e300); we print Python's shortest round-trip
  form. Compared within 1e-15 relative (a few units in the last place: DCMTK's rounding error).
- FL numbers: DCMTK prints 9 significant digits of the float widened to double
  (0.100000001), we print the shortest decimal giving the same 32-bit float (0.1). Compared as
  32-bit floats. PS3.18 F.2.3 only asks for a JSON number.
- DS text normalisation: a DS like ``5.`` is written by DCMTK 3.6.7 as ``5.`` (invalid JSON);
  we write ``5.0``. Not in the corpus; the generated edge cases avoid it for the comparison.
- Group lengths are not written (PS3.18 F.2: they are not part of the JSON model), so
  round-tripped files have none.
"""
from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import shutil
import struct
import subprocess
import warnings
from pathlib import Path

import pytest

import pydicom

from dicomconv.cli import main

CORPUS = Path(os.environ.get("DICOMCONV_CORPUS")
              or Path(__file__).resolve().parents[2] / "shared" / "corpus")
DICOM_CORPUS = CORPUS / "dicom"
FILES = sorted(DICOM_CORPUS.glob("*/*.dcm")) if DICOM_CORPUS.is_dir() else []
NATIVE = [p for p in FILES if p.parent.name.startswith("LittleEndian")]
ENCAPSULATED = [p for p in FILES if not p.parent.name.startswith("LittleEndian")]


def ids(paths):
    return [f"{p.parent.name}/{p.name}" for p in paths]


needs_corpus = pytest.mark.skipif(not FILES, reason=f"test corpus not found at {DICOM_CORPUS} "
                                  "(set DICOMCONV_CORPUS or put shared/corpus beside the checkout)")

# JPEG2KLossless_1s_1f_u_16_16.dcm has Cyrillic text but no Specific Character Set: refused
# (exit 80, as DCMTK) unless a character set is assumed.
NO_CHARSET = {"JPEG2KLossless_1s_1f_u_16_16.dcm"}
# NM_Kakadu44_SOTmarkerincons.dcm has a fragment of odd length (PS3.5 A.4 wants even item
# lengths): re-encapsulated frames get the 0x00 pad byte.
ODD_FRAGMENT = {"NM_Kakadu44_SOTmarkerincons.dcm"}


def tool(name: str) -> str:
    exe = shutil.which(name, path="/usr/bin:/usr/local/bin") or shutil.which(name)
    if exe is None:
        pytest.skip(f"{name} is not installed (reference tool)")
    return exe


def read(path) -> pydicom.Dataset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(path)


# ------------------------------------------------------------------- raw DICOM writer

_LONG = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "UC", "UN", "UR", "UT", "SV", "UV"}


def el(tag: int, vr: str, value=b"") -> bytes:
    """One explicit VR little endian element, value as given (str: latin-1), padded to even."""
    if isinstance(value, str):
        value = value.encode("latin-1")
    if len(value) % 2:
        value += b"\0" if vr in ("UI", "OB", "UN") else b" "
    g, e = tag >> 16, tag & 0xFFFF
    if vr in _LONG:
        return struct.pack("<HH2s2xI", g, e, vr.encode(), len(value)) + value
    return struct.pack("<HH2sH", g, e, vr.encode(), len(value)) + value


def sq(tag: int, items: list[bytes]) -> bytes:
    body = b"".join(struct.pack("<HHI", 0xFFFE, 0xE000, 0xFFFFFFFF) + it
                    + struct.pack("<HHI", 0xFFFE, 0xE00D, 0) for it in items)
    return (struct.pack("<HH2s2xI", tag >> 16, tag & 0xFFFF, b"SQ", 0xFFFFFFFF) + body
            + struct.pack("<HHI", 0xFFFE, 0xE0DD, 0))


def part10(elements: list[bytes], ts: str = "1.2.840.10008.1.2.1") -> bytes:
    elements = sorted(elements, key=lambda b: struct.unpack("<HH", b[:4]))
    meta = (el(0x00020001, "OB", b"\0\1") + el(0x00020002, "UI", "1.2.840.10008.5.1.4.1.1.7")
            + el(0x00020003, "UI", "1.2.3.4") + el(0x00020010, "UI", ts))
    return b"\0" * 128 + b"DICM" + el(0x00020000, "UL", struct.pack("<I", len(meta))) + meta \
        + b"".join(elements)


SOP = [el(0x00080016, "UI", "1.2.840.10008.5.1.4.1.1.7"), el(0x00080018, "UI", "1.2.3.4")]


# ----------------------------------------------------------------------- helpers

def dcm2json(*args) -> int:
    return main(["dcm2json", *map(str, args)])


def json2dcm(*args) -> int:
    return main(["json2dcm", *map(str, args)])


def load(path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def same_data(ours, ref, path="", vr=None) -> list:
    """Differences between two parsed JSON documents, FL/FD compared as described above."""
    diffs = []
    if isinstance(ours, dict) and isinstance(ref, dict):
        if set(ours) != set(ref):
            diffs.append((path, "keys", sorted(set(ours) ^ set(ref))))
        for key in set(ours) & set(ref):
            diffs += same_data(ours[key], ref[key], f"{path}/{key}",
                               ours.get("vr") if isinstance(ours.get("vr"), str) else vr)
        return diffs
    if isinstance(ours, list) and isinstance(ref, list):
        if len(ours) != len(ref):
            return [(path, "length", len(ours), len(ref))]
        for i, (a, b) in enumerate(zip(ours, ref)):
            diffs += same_data(a, b, f"{path}[{i}]", vr)
        return diffs
    if vr in ("FL", "FD") and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                  for v in (ours, ref)):
        if vr == "FL" and struct.pack("<f", ours) == struct.pack("<f", ref):
            return []
        if vr == "FD" and (ours == ref or math.isclose(ours, ref, rel_tol=1e-15)):
            return []
    if ours != ref or type(ours) is not type(ref) and not isinstance(ours, (int, float)):
        diffs.append((path, ours, ref))
    return diffs


def dcmtk_json(path) -> dict:
    proc = subprocess.run([tool("dcm2json"), str(path)], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def items_of(value: bytes) -> list[bytes]:
    """Independent reading of an encapsulated value: the fragments (BOT excluded)."""
    out, pos = [], 0
    while pos + 8 <= len(value):
        group, elem, length = struct.unpack_from("<HHI", value, pos)
        if (group, elem) == (0xFFFE, 0xE0DD):
            break
        assert (group, elem) == (0xFFFE, 0xE000)
        out.append(value[pos + 8:pos + 8 + length])
        pos += 8 + length
    return out[1:]


def without_meta(doc: dict) -> dict:
    """The dataset part of a JSON document; ``"Value": [null]`` (DCMTK's form of a value of
    only spaces, which json2dcm writes as an empty value) is the same as no value (PS3.18
    F.2.5: an empty single value)."""
    def norm(attr):
        if isinstance(attr, dict) and attr.get("Value") == [None]:
            return {k: v for k, v in attr.items() if k != "Value"}
        return attr
    return {k: norm(v) for k, v in doc.items() if not k.startswith("0002")}


# ====================================================================== dcm2json vs DCMTK

@needs_corpus
@pytest.mark.parametrize("path", NATIVE, ids=ids(NATIVE))
def test_native_corpus_equals_dcmtk(path, tmp_path):
    ref = dcmtk_json(path)
    out = tmp_path / "out.json"
    assert dcm2json(path, out) == 0
    assert same_data(load(out), ref) == []
    assert dcm2json("-fc", path, tmp_path / "compact.json") == 0
    compact = (tmp_path / "compact.json").read_text()
    assert "\n" not in compact.rstrip("\n") and load(tmp_path / "compact.json") == load(out)


EDGE = [
    el(0x00080005, "CS", "ISO_IR 100"),
    el(0x00080008, "CS", "A\\\\ C "),
    el(0x00080090, "PN", "Doe^John\\\\A^B^C^D^E=F^G=H^I\\ OB^^^^ "),
    el(0x00080201, "SH", "+0100"),
    el(0x00081030, "LO", "  lead and trail  "),
    el(0x00081060, "PN", "=ideo"),
    el(0x00081070, "PN", ""),
    el(0x00081080, "LO", "    "),
    sq(0x00081140, [el(0x00081150, "UI", "1.2"), b""]),
    el(0x00081155, "UI", "1.2.3"),
    el(0x00081190, "UR", "http://x/ y "),
    el(0x00100010, "PN", "Müller^Hans"),
    el(0x00100020, "LO", ""),
    el(0x00100030, "DA", " 20200101"),
    el(0x00101010, "AS", "030Y"),
    el(0x00101020, "DS", "+1.50\\007\\.5\\-0.0\\1e3\\1E+02\\ 2.5 \\"),
    el(0x00102000, "LO", "a\\\\"),
    el(0x00181000, "LO", "x\x01y"),
    el(0x00181030, "LO", "Ünïcödé"),
    el(0x00181150, "IS", ""),
    el(0x00189087, "FD", struct.pack("<4d", 0.1, 1e300, -2.5, 5e-324)),
    el(0x00189089, "FL", struct.pack("<3f", 0.1, 3.4e38, 1 / 3)),
    el(0x00189088, "UT", "  ut lead "),
    el(0x00200013, "IS", "+007\\-0012\\ 3 "),
    el(0x00201041, "DS", "abc"),
    el(0x00209165, "AT", struct.pack("<4H", 0x0010, 0x0010, 0x7FE0, 0x0010)),
    el(0x00209161, "UL", struct.pack("<I", 4294967295)),
    el(0x00280010, "US", struct.pack("<H", 5)),
    el(0x00280106, "SS", struct.pack("<h", -3)),
    el(0x00290010, "LO", "PRIVCREATOR"),
    el(0x00291001, "OB", b"\x01\x02\x03"),
    el(0x00291002, "UN", b"\x01\x02\x03\x04"),
    el(0x00291003, "SL", struct.pack("<2i", -5, 6)),
    el(0x00321033, "LO", "trail \\ lead "),
    el(0x00324000, "LT", "line1\r\nline2\ttab \"q\" \\ back  "),
    sq(0x00400275, []),
    el(0x00540081, "US", struct.pack("<2H", 1, 2)),
    el(0x00660023, "OF", b"\x00\x00\x80\x3f"),
    el(0x00660024, "OW", b"\x01\x02"),
    el(0x00660025, "OD", b"\x00" * 8),
    el(0x00660040, "OL", b"\x01\x00\x00\x00"),
    *SOP,
]


@pytest.fixture
def edge_file(tmp_path) -> Path:
    path = tmp_path / "edge.dcm"
    path.write_bytes(part10(EDGE))
    return path


def test_edge_values_equal_dcmtk(edge_file, tmp_path):
    """Empty values, null entries, space stripping per VR, PN groups and trailing '^', IS/DS
    normalisation, FL/FD, AT, odd-length binary, empty SQ / items, UI padding, charset."""
    ref = dcmtk_json(edge_file)
    assert dcm2json(edge_file, tmp_path / "o.json") == 0
    ours = load(tmp_path / "o.json")
    assert same_data(ours, ref) == []
    assert ours["00080005"]["Value"] == ["ISO_IR 192"]
    assert ours["00100010"]["Value"] == [{"Alphabetic": "Müller^Hans"}]
    assert ours["00080090"]["Value"][1] is None and ours["00080090"]["Value"][3] == {"Alphabetic": "OB"}
    text = (tmp_path / "o.json").read_text()
    # valid DS text normalised to JSON numbers, not re-formatted through floats
    assert "1.50," in text and "1E+02" in text and "0.5," in text


def test_number_policies(edge_file, tmp_path):
    assert dcm2json("-is", "-fc", edge_file, tmp_path / "s.json") == 0
    doc = load(tmp_path / "s.json")
    assert doc["00101020"]["Value"][:2] == ["+1.50", "007"]
    assert doc["00200013"]["Value"] == ["+007", "-0012", "3"]
    assert dcm2json("-ia", edge_file, tmp_path / "a.json") == 0
    doc = load(tmp_path / "a.json")
    assert doc["00201041"]["Value"] == ["abc"] and doc["00200013"]["Value"] == [7, -12, 3]
    out = tmp_path / "n.json"
    assert dcm2json("-in", edge_file, out) == 81
    assert not out.exists()
    valid = tmp_path / "valid.dcm"
    valid.write_bytes(part10([*SOP, el(0x00101020, "DS", "5.\\.25")]))
    assert dcm2json("-in", "-fc", valid, out) == 0
    assert '"Value":[5.0,0.25]' in out.read_text()


def test_inf_nan(tmp_path, capsys):
    path = tmp_path / "nan.dcm"
    values = (float("nan"), float("-inf"), float("inf"), 1.5)
    path.write_bytes(part10([*SOP, el(0x00189087, "FD", struct.pack("<4d", *values)),
                             el(0x00189089, "FL", struct.pack("<f", float("inf")))]))
    out = tmp_path / "o.json"
    assert dcm2json(path, out) == 81
    assert "(0018,9087)" in capsys.readouterr().err and not out.exists()
    assert dcm2json("-ee", "-fc", path, out) == 0
    assert '"Value":[nan,-inf,inf,1.5]' in out.read_text()
    back = tmp_path / "back.dcm"
    assert json2dcm(out, back) == 0
    ds = read(back)
    got = ds[0x00189087].value
    assert math.isnan(got[0]) and list(got[1:]) == [float("-inf"), float("inf"), 1.5]
    assert ds[0x00189089].value == float("inf")


def test_write_meta(tmp_path):
    path = DICOM_CORPUS / "LittleEndianExplicit" / "CT_small.dcm"
    if not path.exists():
        pytest.skip("corpus not found")
    assert dcm2json("+m", path, tmp_path / "m.json") == 0
    doc = load(tmp_path / "m.json")
    assert doc["00020010"]["Value"] == ["1.2.840.10008.1.2.1"] and "00020000" not in doc
    assert list(doc) == sorted(doc)
    assert same_data(doc, json.loads(subprocess.run([tool("dcm2json"), "+m", str(path)],
                                                   capture_output=True, text=True).stdout)) == []


# ============================================================================ bulk data

def test_bulk_data_options(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    big = bytes(range(256)) * 8                      # 2048 bytes
    ds_text = "\\".join(["1.25"] * 300)                 # 1499 bytes
    path = tmp_path / "b.dcm"
    path.write_bytes(part10([*SOP, el(0x00291001, "OB", big), el(0x00291002, "OB", b"\1\2"),
                             el(0x00290010, "LO", "X"), el(0x00189087, "FD", struct.pack("<200d", *range(200))),
                             el(0x00101020, "DS", ds_text)]))
    # default: everything inline
    assert dcm2json(path, "inline.json") == 0
    doc = load("inline.json")
    assert base64.b64decode(doc["00291001"]["InlineBinary"]) == big
    # +b: values of at least 1 kB (OB, FD, DS) become bulk data, named by their SHA-256
    assert dcm2json("+b", "+bd", "bulk", path, "bulk.json") == 0
    doc = load("bulk.json")
    prefix = "file://localhost" + os.path.realpath("bulk") + "/"
    for tag, data in (("00291001", big), ("00189087", struct.pack("<200d", *range(200))),
                      ("00101020", ds_text.encode() + b" ")):     # values as stored (padded)
        uri = doc[tag]["BulkDataURI"]
        name = hashlib.sha256(data).hexdigest() + ".bin"
        assert uri == prefix + name
        assert (tmp_path / "bulk" / name).read_bytes() == data
    assert "InlineBinary" in doc["00291002"]
    assert json2dcm("bulk.json", "from_file_uris.dcm") == 0        # file://localhost/... URIs
    assert read("from_file_uris.dcm")[0x00291001].value == big
    # +bz 0: every binary value; +bp: the URI prefix; +bs: a folder per SOP instance
    assert dcm2json("+b", "+bz", "0", "+bp", "https://wado/x/", "+bd", "b2", "+bs", path,
                    "b2.json") == 0
    doc = load("b2.json")
    name = hashlib.sha256(b"\1\2").hexdigest() + ".bin"
    assert doc["00291002"]["BulkDataURI"] == "https://wado/x/1.2.3.4/" + name
    assert (tmp_path / "b2" / "1.2.3.4" / name).read_bytes() == b"\1\2"
    # json2dcm resolves relative references against the JSON file's folder
    assert dcm2json("+b", "+bp", "bulk/", "+bd", "bulk", path, "rel.json") == 0
    assert json2dcm("rel.json", "back.dcm") == 0
    back = read("back.dcm")
    assert back[0x00291001].value == big and back[0x00101020].value[0] == 1.25
    assert back[0x00189087].value[199] == 199.0
    # usage errors
    assert dcm2json("+bz", "2", path, "x.json") == 1


@needs_corpus
@pytest.mark.parametrize("path", ENCAPSULATED, ids=ids(ENCAPSULATED))
def test_encapsulated_round_trip(path, tmp_path, monkeypatch, capsys):
    """Every encapsulated file: frames to bulk files (playable streams, MIME extension),
    json2dcm rebuilds the same frames in the same transfer syntax; with +bw the Pixel Data
    value is byte-identical."""
    monkeypatch.chdir(tmp_path)
    extra = []
    if path.name in NO_CHARSET:
        assert dcm2json(path, "refused.json") == 80
        assert "no Specific Character Set" in capsys.readouterr().err
        assert not Path("refused.json").exists() and not any(Path(".").glob("*.j*"))
        extra = ["+Ca", "ISO_IR 100"]
    original = read(path)
    ts = str(original.file_meta.TransferSyntaxUID)
    assert dcm2json(*extra, "+m", "+bd", "bulk", "+bp", "bulk/", path, "x.json") == 0
    doc = load("x.json")
    uri = doc["7FE00010"]["BulkDataURI"]
    from dicomconv.codecs.decode import FrameSource
    from dicomconv.jsonmodel import MIME_EXTENSIONS

    frames = original.get("NumberOfFrames", 1) or 1
    if int(frames) > 1:
        assert uri.endswith(".uri-list")
        listed = [ln for ln in Path(uri).read_text().splitlines() if ln and not ln.startswith("#")]
        assert len(listed) == int(frames)
        assert all(name.endswith(MIME_EXTENSIONS[ts]) for name in listed)
    else:
        assert uri.endswith(MIME_EXTENSIONS[ts])
    assert json2dcm("x.json", "back.dcm") == 0
    back = read("back.dcm")
    assert str(back.file_meta.TransferSyntaxUID) == ts
    source, rebuilt = FrameSource(original), FrameSource(back)
    assert rebuilt.number_of_frames == source.number_of_frames
    for i in range(source.number_of_frames):
        a, b = bytes(source.encoded(i)), bytes(rebuilt.encoded(i))
        if path.name in ODD_FRAGMENT:
            assert len(a) % 2 and b == a + b"\0"
        else:
            assert a == b
        name = hashlib.sha256(a).hexdigest()
        assert (Path("bulk") / (name + MIME_EXTENSIONS[ts])).read_bytes() == a
    # every other attribute the same: the JSON of the round-tripped file is the same
    assert dcm2json(*extra, "+bd", "bulk2", "+bp", "bulk/", "back.dcm", "y.json") == 0
    again = load("y.json")
    if path.name not in ODD_FRAGMENT:
        assert without_meta(again) == without_meta(doc)
    # the whole encapsulated value, byte-exact
    assert dcm2json(*extra, "+m", "+bw", "+bd", "w", "+bp", "w/", path, "w.json") == 0
    assert json2dcm("w.json", "whole.dcm") == 0
    whole = read("whole.dcm")
    stored = original.PixelData
    assert whole.PixelData == stored[:len(whole.PixelData)]
    assert items_of(whole.PixelData) == items_of(stored)
    # without the meta information the transfer syntax comes from the stream headers
    assert dcm2json(*extra, "+bd", "bulk", "+bp", "bulk/", path, "nometa.json") == 0
    assert json2dcm("nometa.json", "inferred.dcm") == 0
    inferred = str(read("inferred.dcm").file_meta.TransferSyntaxUID)
    family = {".jpeg": "jpeg", ".jls": "jls", ".jp2": "j2k", ".jphc": "j2k", ".dicom-rle": "rle"}
    assert MIME_EXTENSIONS[inferred] == MIME_EXTENSIONS[ts], (family, inferred, ts)


@needs_corpus
@pytest.mark.parametrize("path", NATIVE, ids=ids(NATIVE))
def test_native_round_trip(path, tmp_path):
    assert dcm2json("+m", path, tmp_path / "x.json") == 0
    assert json2dcm(tmp_path / "x.json", tmp_path / "back.dcm") == 0
    original, back = read(path), read(tmp_path / "back.dcm")
    assert back.file_meta.TransferSyntaxUID == original.file_meta.TransferSyntaxUID
    assert back.PixelData[:len(original.PixelData)] == original.PixelData
    assert dcm2json(tmp_path / "back.dcm", tmp_path / "y.json") == 0
    assert without_meta(load(tmp_path / "y.json")) == without_meta(load(tmp_path / "x.json"))
    keep = {t for t in original.keys() if t.element}           # group lengths are not kept
    assert keep == set(back.keys())


# ========================================================================== charsets

CHARSETS = [
    ("ISO_IR 100", "Müller^Jürgen", "Größe über Maß", True),
    ("ISO_IR 192", "Wang^XiaoDong=王^小東", "Ωμέγα ✓ 日本", True),
    (["", "ISO 2022 IR 87"], "Yamada^Tarou=山田^太郎=やまだ^たろう", "山田の検査", False),
    (["", "ISO 2022 IR 149"], "Hong^Gildong=洪^吉洞=홍^길동", "검사", True),
    ("GB18030", "Wang^XiaoDong=王^小东", "中文描述", True),
]


@pytest.mark.parametrize("charset, name, text, dcmtk", CHARSETS,
                         ids=["latin1", "utf8", "jis", "korean", "gb18030"])
def test_character_sets(charset, name, text, dcmtk, tmp_path):
    from pydicom.dataset import Dataset, FileMetaDataset

    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.1"
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID = "1.2.3"
    ds.SpecificCharacterSet = charset
    ds.PatientName = name
    ds.StudyDescription = text
    ds.ImageComments = text + "\r\nsecond line"
    path = tmp_path / "cs.dcm"
    ds.save_as(path, enforce_file_format=True)
    raw = path.read_bytes()
    assert text.encode("utf-8") not in raw or charset == "ISO_IR 192"   # really encoded
    assert dcm2json(path, tmp_path / "o.json") == 0
    data = (tmp_path / "o.json").read_bytes()
    doc = json.loads(data.decode("utf-8"))
    assert doc["00080005"]["Value"] == ["ISO_IR 192"]
    groups = dict(zip(("Alphabetic", "Ideographic", "Phonetic"), name.split("=")))
    assert doc["00100010"]["Value"] == [groups]
    assert doc["00081030"]["Value"] == [text]
    assert doc["00204000"]["Value"] == [text + "\r\nsecond line"]
    if dcmtk:
        assert same_data(doc, dcmtk_json(path)) == []
    assert json2dcm(tmp_path / "o.json", tmp_path / "back.dcm") == 0
    back = read(tmp_path / "back.dcm")
    assert back.SpecificCharacterSet == "ISO_IR 192"
    assert str(back.PatientName) == name and back.StudyDescription == text


def test_charset_errors(tmp_path, capsys):
    bad = tmp_path / "bad.dcm"
    bad.write_bytes(part10([*SOP, el(0x00080005, "CS", "ISO_IR 192"),
                            el(0x00100010, "PN", b"Bad\xff\xfeName")]))
    out = tmp_path / "o.json"
    assert dcm2json(bad, out) == 80
    assert "(0010,0010) PatientName" in capsys.readouterr().err and not out.exists()
    unknown = tmp_path / "unknown.dcm"
    unknown.write_bytes(part10([*SOP, el(0x00080005, "CS", "ISO_IR 999"), el(0x00100010, "PN", "A")]))
    assert dcm2json(unknown, out) == 80
    none = tmp_path / "none.dcm"
    none.write_bytes(part10([*SOP, el(0x00100010, "PN", "M\xfcller")]))
    assert dcm2json(none, out) == 80
    assert "no Specific Character Set" in capsys.readouterr().err and not out.exists()
    assert dcm2json("+Ca", "ISO_IR 100", "-fc", none, out) == 0
    doc = load(out)
    assert doc["00100010"]["Value"] == [{"Alphabetic": "Müller"}]
    assert doc["00080005"]["Value"] == ["ISO_IR 192"]
    ascii_only = tmp_path / "ascii.dcm"
    ascii_only.write_bytes(part10([*SOP, el(0x00100010, "PN", "Doe")]))
    assert dcm2json("+Ca", "ISO_IR 100", ascii_only, out) == 0
    assert "00080005" not in load(out)


def test_json2dcm_charset_of_the_json(tmp_path):
    """A JSON whose Specific Character Set is not UTF-8 (pydicom's and Google's keep the
    original): values are encoded in it; -c writes UTF-8 instead."""
    doc = {"00080005": {"vr": "CS", "Value": ["ISO_IR 100"]},
           "00080016": {"vr": "UI", "Value": ["1.2.840.10008.5.1.4.1.1.7"]},
           "00080018": {"vr": "UI", "Value": ["1.2.3"]},
           "00100010": {"vr": "PN", "Value": [{"Alphabetic": "Müller"}]}}
    src = tmp_path / "l1.json"
    src.write_text(json.dumps(doc), encoding="utf-8")
    assert json2dcm(src, tmp_path / "l1.dcm") == 0
    assert b"M\xfcller" in (tmp_path / "l1.dcm").read_bytes()
    assert json2dcm("-c", src, tmp_path / "u8.dcm") == 0
    ds = read(tmp_path / "u8.dcm")
    assert ds.SpecificCharacterSet == "ISO_IR 192" and str(ds.PatientName) == "Müller"
    doc["00100010"]["Value"] = [{"Alphabetic": "王"}]
    src.write_text(json.dumps(doc), encoding="utf-8")
    assert json2dcm(src, tmp_path / "bad.dcm") == 65
    assert not (tmp_path / "bad.dcm").exists()


# ========================================================================== json2dcm

def test_json2dcm_errors(tmp_path, capsys):
    out = tmp_path / "o.dcm"
    cases = {
        "notjson.json": ("{not json", 65),
        "array.json": ("[1, 2]", 65),
        "badvr.json": ('{"00100010": {"vr": "XX", "Value": ["a"]}}', 65),
        "badtag.json": ('{"0010001": {"vr": "PN"}}', 65),
        "http.json": ('{"7FE00010": {"vr": "OB", "BulkDataURI": "http://x/y"}}', 66),
        "missing.json": ('{"7FE00010": {"vr": "OB", "BulkDataURI": "nothere.bin"}}', 66),
        "badnumber.json": ('{"00280010": {"vr": "US", "Value": ["x"]}}', 65),
        "range.json": ('{"00280010": {"vr": "US", "Value": [70000]}}', 65),
        "base64.json": ('{"00291001": {"vr": "OB", "InlineBinary": "###"}}', 65),
    }
    for name, (text, code) in cases.items():
        (tmp_path / name).write_text(text)
        assert json2dcm(tmp_path / name, out) == code, name
        assert not out.exists()
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and name in err
    assert json2dcm(tmp_path / "absent.json", out) == 20
    assert json2dcm("--transfer-syntax", "x.y", tmp_path / "array.json", out) == 1


def test_json2dcm_single_element_array_and_stdio(tmp_path):
    doc = [{"00080016": {"vr": "UI", "Value": ["1.2.840.10008.5.1.4.1.1.7"]},
            "00080018": {"vr": "UI", "Value": ["1.2.3"]},
            "00200013": {"vr": "IS", "Value": [7]}}]
    src = tmp_path / "a.json"
    src.write_text(json.dumps(doc))
    exe = shutil.which("dicomconv")
    if exe is None:
        pytest.skip("dicomconv console script not on PATH")
    proc = subprocess.run([exe, "json2dcm", "-", "-"], input=src.read_bytes(),
                          capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    (tmp_path / "o.dcm").write_bytes(proc.stdout)
    ds = read(tmp_path / "o.dcm")
    assert ds.InstanceNumber == 7 and ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1"
    proc = subprocess.run([exe, "dcm2json", "-fc", "-"], input=proc.stdout, capture_output=True,
                          timeout=60)
    assert proc.returncode == 0 and json.loads(proc.stdout) == {k: v for k, v in doc[0].items()}
    assert json2dcm("+ti", src, tmp_path / "i.dcm") == 0
    assert read(tmp_path / "i.dcm").file_meta.TransferSyntaxUID == "1.2.840.10008.1.2"


# ============================================================================= info

LOSSLESS_FOR_MD5 = [p for p in FILES if p.parent.name in (
    "LittleEndianExplicit", "LittleEndianImplicit", "RLELossless", "JPEGLossless",
    "JPEGLosslessSV1", "JPEGLSLossless", "JPEG2000Lossless")
    and p.name not in ("966.dcm", "JPEGLossless_1s_1f_i_16_16_bad.dcm")]


def info_json(*args) -> dict:
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["info", "--json", *map(str, args)])
    return code, json.loads(buf.getvalue())


@needs_corpus
@pytest.mark.parametrize("path", LOSSLESS_FOR_MD5, ids=ids(LOSSLESS_FOR_MD5))
def test_md5_unchanged_by_lossless_transcode(path, tmp_path):
    from dicomconv.transcode import TranscodeOptions, transcode_file

    code, before = info_json("--md5sum", path)
    assert code == 0 and len(before["md5sum"]) == 32
    for encoding in ("rle", "raw"):
        out = tmp_path / f"{encoding}.dcm"
        transcode_file(path, out, TranscodeOptions(encoding=encoding))
        code, after = info_json("--md5sum", out)
        assert code == 0 and after["md5sum"] == before["md5sum"], encoding


GDCM_SAME_MD5 = ["LittleEndianExplicit/CT_small.dcm", "LittleEndianExplicit/SC_rgb_2frame.dcm",
                 "RLELossless/SC_rgb_rle.dcm", "RLELossless/MR_small_RLE.dcm",
                 "JPEGLosslessSV1/JPEGLosslessP14SV1_3s_2f_u_08_08.dcm",
                 "JPEGLSLossless/MR_small_jpeg_ls_lossless.dcm", "JPEG2000Lossless/MR2_J2KR.dcm",
                 "JPEG2000/MAROTECH_CT_JP2Lossy.dcm"]


@needs_corpus
def test_md5_equals_gdcminfo():
    """gdcminfo --md5sum hashes GDCM's decoded buffer; where that buffer is interleaved and
    decoded by a lossless (or the same) decoder it is our MD5. (GDCM's RLE buffer of 16/32-bit
    colour keeps the planes apart, and lossy JPEG decoders differ: not compared.)"""
    gdcminfo = tool("gdcminfo")
    for rel in GDCM_SAME_MD5:
        path = DICOM_CORPUS / rel
        proc = subprocess.run([gdcminfo, "--md5sum", str(path)], capture_output=True, text=True,
                              timeout=60)
        theirs = [ln.split(": ")[1] for ln in proc.stdout.splitlines() if ln.startswith("md5sum")]
        assert [info_json("--md5sum", path)[1]["md5sum"]] == theirs, rel


@needs_corpus
def test_check_compression_equals_gdcminfo():
    gdcminfo = tool("gdcminfo")
    code, results = info_json("--check-compression", "-r", DICOM_CORPUS)
    assert code == 3                                    # INDEX.py etc. are not DICOM
    ours = {r["file"]: r for r in results}
    compared = 0
    for path in FILES:
        proc = subprocess.run([gdcminfo, "--check-compression", str(path)], capture_output=True,
                              text=True, timeout=60)
        theirs = [ln.rsplit(": ", 1)[1] for ln in proc.stdout.splitlines()
                  if ln.startswith("Encapsulated Stream")]
        if not theirs:                                  # gdcminfo could not read the image
            continue
        assert ours[str(path)]["compression"] == theirs[0], path.name
        compared += 1
    assert compared >= len(FILES) - 3


@needs_corpus
def test_info_text_and_folders(tmp_path, capsys):
    path = DICOM_CORPUS / "JPEG2000" / "MAROTECH_CT_JP2Lossy.dcm"
    assert main(["info", "--check-compression", str(path)]) == 0
    text = capsys.readouterr().out
    assert "MediaStorage is 1.2.840.10008.5.1.4.1.1.2 [CT Image Storage]" in text
    assert "Dimensions: (512,716,1)" in text and "BitsStored         :12" in text
    assert text.rstrip().endswith("Encapsulated Stream was found to be: lossy")
    folder = tmp_path / "f"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(DICOM_CORPUS / "LittleEndianExplicit" / "CT_small.dcm", folder / "a.dcm")
    shutil.copy(DICOM_CORPUS / "RLELossless" / "SC_rgb_rle_2frame.dcm", folder / "sub" / "b.dcm")
    (folder / "junk.txt").write_text("not dicom")
    code, results = info_json(folder)
    assert code == 3 and [Path(r["file"]).name for r in results] == ["a.dcm", "junk.txt"]
    assert "not a DICOM file" in results[1]["error"]
    code, results = info_json("-r", "--md5sum", folder)
    assert [Path(r["file"]).name for r in results] == ["a.dcm", "junk.txt", "b.dcm"]
    assert results[2]["frames"] == 2 and results[2]["fragments"] == 2
    code, one = info_json(folder / "a.dcm")
    assert code == 0 and one["rows"] == 128 and "md5sum" not in one


# ============================================================================== raw

@needs_corpus
@pytest.mark.parametrize("path", ENCAPSULATED, ids=ids(ENCAPSULATED))
def test_raw_fragments_and_frames(path, tmp_path):
    from dicomconv.codecs.decode import FrameSource

    ds = read(path)
    fragments = items_of(ds.PixelData)
    assert main(["raw", "-i", str(path), "-o", str(tmp_path / "f"), "-S", "-p", "%03d.bin"]) == 0
    written = sorted(tmp_path.glob("f*.bin"))
    assert [p.read_bytes() for p in written] == fragments
    assert main(["raw", "-i", str(path), "-o", str(tmp_path / "frame"), "-p", "_%d.x"]) == 0
    source = FrameSource(ds)
    if source.number_of_frames == 1:
        assert (tmp_path / "frame").read_bytes() == b"".join(fragments)
    else:
        for i in range(source.number_of_frames):
            assert (tmp_path / f"frame_{i}.x").read_bytes() == bytes(source.encoded(i))


@needs_corpus
def test_raw_equals_gdcmraw(tmp_path):
    gdcmraw = tool("gdcmraw")
    for rel in ("JPEGLosslessSV1/JPEGLosslessP14SV1_3s_2f_u_08_08.dcm",
                "RLELossless/emri_small_RLE.dcm", "LittleEndianExplicit/CT_small.dcm"):
        path = DICOM_CORPUS / rel
        subprocess.run([gdcmraw, "-i", str(path), "-o", str(tmp_path / "g"), "-S"],
                       capture_output=True, timeout=60, check=True)
        assert main(["raw", "-i", str(path), "-o", str(tmp_path / "o"), "-S"]) == 0
        theirs = sorted(p.name[1:] for p in tmp_path.glob("g*"))
        assert theirs == sorted(p.name[1:] for p in tmp_path.glob("o*"))
        for suffix in theirs:
            assert (tmp_path / f"g{suffix}").read_bytes() == (tmp_path / f"o{suffix}").read_bytes()
            (tmp_path / f"g{suffix}").unlink()
            (tmp_path / f"o{suffix}").unlink()
    path = DICOM_CORPUS / "LittleEndianExplicit" / "CT_small.dcm"
    subprocess.run([gdcmraw, "-i", str(path), "-o", str(tmp_path / "pn.g"), "-t", "10,10"],
                   capture_output=True, timeout=60, check=True)
    assert main(["raw", "-i", str(path), "-o", str(tmp_path / "pn.o"), "-t", "10,10"]) == 0
    assert (tmp_path / "pn.o").read_bytes() == (tmp_path / "pn.g").read_bytes()
    assert main(["raw", "-i", str(path), "-o", str(tmp_path / "px"), "-P"]) == 0
    digest = hashlib.md5((tmp_path / "px").read_bytes()).hexdigest()
    assert digest == info_json("--md5sum", path)[1]["md5sum"]
    assert main(["raw", "-i", str(path), "-o", str(tmp_path / "none"), "-t", "9999,0010"]) == 21
    assert not (tmp_path / "none").exists()


# ======================================================================== bad inputs

@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("bad")
    good = part10([*SOP, el(0x00100010, "PN", "Doe^John"), el(0x00280010, "US", b"\1\0"),
                   el(0x7FE00010, "OW", bytes(4000))])
    encapsulated = part10([*SOP, el(0x00280008, "IS", "1"),
                           struct.pack("<HH2s2xI", 0x7FE0, 0x0010, b"OB", 0xFFFFFFFF)
                           + struct.pack("<HHI", 0xFFFE, 0xE000, 0)
                           + struct.pack("<HHI", 0xFFFE, 0xE000, 4000) + b"\xff\xd8" + bytes(3996)
                           + struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)], "1.2.840.10008.1.2.4.50")
    files = {
        "not_dicom": b"hello, I am not DICOM\n" * 20,
        "empty": b"",
        "preamble_only": b"\0" * 128 + b"DICM",
        "cut_in_pixels": good[:len(good) - 1000],
        "cut_in_header": good[:len(good) - 4003],
        "cut_in_meta": good[:150],
        "cut_in_fragment": encapsulated[:len(encapsulated) - 300],
    }
    paths = {}
    for name, data in files.items():
        paths[name] = folder / f"{name}.dcm"
        paths[name].write_bytes(data)
    return paths


@pytest.mark.parametrize("name", ["not_dicom", "empty", "preamble_only", "cut_in_pixels",
                                  "cut_in_header", "cut_in_meta", "cut_in_fragment", "missing"])
def test_bad_inputs_clear_error_no_output(name, bad_inputs, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    src = bad_inputs.get(name, tmp_path / "missing.dcm")
    invalid = 20 if name == "missing" else 21      # dcm2json says 20 for both, as DCMTK
    runs = [(["dcm2json", "+b", "+bd", "bulk", str(src), "out.json"], {20}),
            (["info", "--md5sum", str(src)], {invalid}),
            (["raw", "-i", str(src), "-o", "out.raw"], {invalid})]
    for argv, codes in runs:
        code = main(argv)
        err = capsys.readouterr().err
        assert code in codes, (argv, code, err)
        assert err.count("\n") == 1 and err.startswith(f"dicomconv {argv[0]}: error: {src}"), err
    assert sorted(os.listdir(tmp_path)) in ([], ["bulk"])
    assert not any((tmp_path / "bulk").glob("*")) if (tmp_path / "bulk").exists() else True


def test_existing_output_untouched_on_failure(bad_inputs, tmp_path):
    out = tmp_path / "out.json"
    out.write_text("keep me")
    assert dcm2json(bad_inputs["cut_in_pixels"], out) == 20
    assert out.read_text() == "keep me"
