"""The ``dicomconv img2dcm`` command line: options, exit codes, one-line errors, no partial output."""
from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

pytest.importorskip("PIL.Image")


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "dicomconv", *args], capture_output=True, text=True, cwd=cwd)


@pytest.fixture
def jpeg(tmp_path):
    from PIL import Image

    path = tmp_path / "in.jpg"
    Image.new("RGB", (16, 8), (200, 30, 40)).save(path, quality=90)
    return path


def test_converts_and_reads_back(jpeg, tmp_path):
    import pydicom

    out = tmp_path / "out.dcm"
    res = run("img2dcm", "-k", "PatientName=Bond^James", "-k", "0010,0020=ID42", str(jpeg), str(out))
    assert res.returncode == 0, res.stderr
    ds = pydicom.dcmread(out)
    assert ds.PatientName == "Bond^James" and ds.PatientID == "ID42"
    assert ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.50"
    assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.7"
    assert ds.SOPInstanceUID == ds.file_meta.MediaStorageSOPInstanceUID
    assert (ds.Rows, ds.Columns, ds.SamplesPerPixel) == (8, 16, 3)


@pytest.mark.parametrize("flag,uid", [("-sc", "1.2.840.10008.5.1.4.1.1.7"), ("-nsc", "1.2.840.10008.5.1.4.1.1.7.4"),
                                      ("-vlp", "1.2.840.10008.5.1.4.1.1.77.1.4")])
def test_sop_class_flags(jpeg, tmp_path, flag, uid):
    import pydicom

    out = tmp_path / "o.dcm"
    assert run("img2dcm", flag, str(jpeg), str(out)).returncode == 0
    assert pydicom.dcmread(out).SOPClassUID == uid


def _assert_one_line_error(res, code, text):
    assert res.returncode == code, (res.returncode, res.stderr)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert "Traceback" not in res.stderr
    assert text in lines[0]


@pytest.mark.parametrize("content,code,text", [
    (b"", 21, "empty file"),
    (b"not a jpeg at all", 21, "not JPEG, JPEG-LS, JPEG 2000, BMP, PNG, TIFF or PNM"),
    (b"BM" + b"\0" * 30, 21, "BMP"),
    (b"\xff\xd8\xff\xdb\x00\x43" + b"\x00" * 20, 21, "truncated"),
])
def test_bad_input_one_line_and_no_output(tmp_path, content, code, text):
    src = tmp_path / "bad.jpg"
    src.write_bytes(content)
    out = tmp_path / "out.dcm"
    res = run("img2dcm", str(src), str(out))
    _assert_one_line_error(res, code, text)
    assert str(src) in res.stderr
    assert os.listdir(tmp_path) == ["bad.jpg"]


def test_missing_input_and_directory_input(tmp_path):
    res = run("img2dcm", str(tmp_path / "nope.jpg"), str(tmp_path / "o.dcm"))
    _assert_one_line_error(res, 21, "cannot read")
    res = run("img2dcm", str(tmp_path), str(tmp_path / "o.dcm"))
    _assert_one_line_error(res, 21, "directory")
    assert not (tmp_path / "o.dcm").exists()


def test_failure_leaves_existing_output_untouched(tmp_path):
    src = tmp_path / "bad.jpg"
    src.write_bytes(b"\xff\xd8garbage")
    out = tmp_path / "out.dcm"
    out.write_bytes(b"previous")
    res = run("img2dcm", str(src), str(out))
    assert res.returncode != 0
    assert out.read_bytes() == b"previous"
    assert sorted(os.listdir(tmp_path)) == ["bad.jpg", "out.dcm"]


def test_unwritable_output(jpeg, tmp_path):
    res = run("img2dcm", str(jpeg), str(tmp_path / "no" / "such" / "dir" / "o.dcm"))
    _assert_one_line_error(res, 40, "cannot write")


def test_usage_errors_exit_1(jpeg, tmp_path):
    assert run("img2dcm").returncode == 1
    assert run("img2dcm", "--no-such-option", str(jpeg), str(tmp_path / "o.dcm")).returncode == 1
    assert run("nosuchcommand").returncode == 1
    assert not (tmp_path / "o.dcm").exists()


@pytest.mark.parametrize("key,text", [
    ("NoSuchKeyword=1", "not a known keyword"),
    ("PatientSex=" + "A" * 20, "longer than"),
    ("StudyInstanceUID=1.2.abc", "not a valid UI"),
    ("Rows=5", "set from the image"),
    ("SeriesNumber=x", "not a valid IS"),
    ("PatientName[0].PatientID=1", "must be a sequence"),
    ("ReferencedSeriesSequence.SeriesInstanceUID=1.2", "must be a sequence with an item number"),
    ("ReferencedSeriesSequence[0].SeriesInstanceUID=1.2.x", "not a valid UI"),
    ("ReferencedSeriesSequence[0]=x", "takes no value"),
])
def test_bad_keys(jpeg, tmp_path, key, text):
    res = run("img2dcm", "-k", key, str(jpeg), str(tmp_path / "o.dcm"))
    _assert_one_line_error(res, 23, text)
    assert not (tmp_path / "o.dcm").exists()


def test_no_type1_invent_requires_uids(jpeg, tmp_path):
    res = run("img2dcm", "-i1", str(jpeg), str(tmp_path / "o.dcm"))
    _assert_one_line_error(res, 23, "StudyInstanceUID")
    res = run("img2dcm", "-i1", "-k", "StudyInstanceUID=1.2.3", "-k", "SeriesInstanceUID=1.2.3.4",
              str(jpeg), str(tmp_path / "o.dcm"))
    assert res.returncode == 0, res.stderr


def test_no_latin1_rejects_non_ascii_value(jpeg, tmp_path):
    res = run("img2dcm", "-l1", "-k", "PatientName=Müller", str(jpeg), str(tmp_path / "o.dcm"))
    _assert_one_line_error(res, 23, "PatientName")
    res = run("img2dcm", "-k", "PatientName=Müller", str(jpeg), str(tmp_path / "o.dcm"))
    assert res.returncode == 0
    import pydicom

    assert pydicom.dcmread(tmp_path / "o.dcm").PatientName == "Müller"


def test_forced_input_format(tmp_path):
    src = tmp_path / "x.img"
    src.write_bytes(b"not a jpeg at all")
    _assert_one_line_error(run("img2dcm", "-i", "JPEG", str(src), str(tmp_path / "o.dcm")), 21, "SOI")
    _assert_one_line_error(run("img2dcm", "-i", "GIF", str(src), str(tmp_path / "o.dcm")), 22, "not supported")


def test_bmp_input_detected_and_converted(tmp_path):
    import numpy as np
    import pydicom
    from PIL import Image

    rgb = (np.arange(7 * 5 * 3) * 11 % 256).astype(np.uint8).reshape(5, 7, 3)
    for name, img, photometric in (("c.bmp", Image.fromarray(rgb), "RGB"),
                                   ("g.dat", Image.fromarray(rgb[..., 0]).convert("P"), "MONOCHROME2")):
        src = tmp_path / name
        img.save(src, "BMP")
        out = tmp_path / (name + ".dcm")
        res = run("img2dcm", str(src), str(out))
        assert res.returncode == 0, res.stderr
        ds = pydicom.dcmread(out)
        assert ds.PhotometricInterpretation == photometric
        assert ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1"
        expected = rgb if photometric == "RGB" else rgb[..., 0]
        assert np.array_equal(ds.pixel_array, expected)


def test_disable_options_and_insist_on_jfif(tmp_path):
    from PIL import Image

    prog = tmp_path / "p.jpg"
    Image.new("L", (8, 8), 9).save(prog, progressive=True)
    _assert_one_line_error(run("img2dcm", "-dp", str(prog), str(tmp_path / "o.dcm")), 22, "progressive")
    nojfif = tmp_path / "n.jpg"
    data = (tmp_path / "p.jpg").read_bytes()
    # drop the JFIF APP0 segment (right after SOI)
    length = int.from_bytes(data[4:6], "big")
    nojfif.write_bytes(data[:2] + data[4 + length:])
    _assert_one_line_error(run("img2dcm", "-jf", str(nojfif), str(tmp_path / "o.dcm")), 22, "JFIF")
    assert run("img2dcm", str(nojfif), str(tmp_path / "o.dcm")).returncode == 0


def test_quiet_suppresses_error_line(tmp_path):
    src = tmp_path / "bad.jpg"
    src.write_bytes(b"xx")
    res = run("img2dcm", "-q", str(src), str(tmp_path / "o.dcm"))
    assert res.returncode == 21 and res.stderr == ""


def test_jpeg_path_imports_neither_pydicom_nor_numpy(jpeg, tmp_path):
    code = ("import sys; from dicomconv.cli import main; "
            f"rc = main(['img2dcm', '-k', 'PatientName=A^B', {str(jpeg)!r}, {str(tmp_path / 'o.dcm')!r}]); "
            "bad = [m for m in ('pydicom', 'numpy', 'PIL') if m in sys.modules]; "
            "print(rc, bad); sys.exit(1 if rc or bad else 0)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


def test_demo(tmp_path):
    res = run("demo", str(tmp_path / "d"))
    assert res.returncode == 0, res.stderr
    import pydicom

    ds = pydicom.dcmread(tmp_path / "d" / "example.dcm")
    assert ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.50"


def test_refuses_to_overwrite_its_input(jpeg):
    before = jpeg.read_bytes()
    res = run("img2dcm", str(jpeg), str(jpeg))
    _assert_one_line_error(res, 40, "is the input file")
    assert jpeg.read_bytes() == before
