"""img2dcm's attribute options: templates (-df/-stf/-sef/-ii), --key paths, type 1/2 checks;
the img2dcm man page's seven examples, reproduced with the same meaning."""
from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

pydicom = pytest.importorskip("pydicom")
pytest.importorskip("PIL.Image")

from pydicom.dataset import Dataset, FileMetaDataset  # noqa: E402
from pydicom.uid import ExplicitVRLittleEndian, generate_uid  # noqa: E402

from conftest import CORPUS_DIR  # noqa: E402
from dicomconv import DatasetOptions, Img2DcmOptions, jpeg_to_dicom  # noqa: E402
from dicomconv.errors import AttributeValueError, InputError  # noqa: E402


def run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "dicomconv", *map(str, args)], capture_output=True, text=True,
                          env=env)


@pytest.fixture
def jpeg(tmp_path):
    from PIL import Image

    path = tmp_path / "image.jpg"
    Image.new("RGB", (24, 16), (90, 120, 200)).save(path, quality=90)
    return path


def make_template(path: Path, charset="ISO_IR 192", name="Müller^Jürgen=山田^太郎", **extra) -> Dataset:
    ds = Dataset()
    ds.SpecificCharacterSet = charset
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPInstanceUID = generate_uid()
    ds.PatientName = name
    ds.PatientID = "PID-7"
    ds.PatientSex = "F"
    ds.PatientBirthDate = "19700102"
    ds.StudyInstanceUID = generate_uid()
    ds.StudyDate, ds.StudyTime, ds.StudyID, ds.AccessionNumber = "20240101", "101010", "S1", "ACC9"
    ds.ReferringPhysicianName = "Doc^Who"
    ds.SeriesInstanceUID = generate_uid()
    ds.SeriesNumber = "4"
    ds.Manufacturer = "ACME"
    ds.InstanceNumber = "7"
    ds.StudyDescription = "template study"
    ds.Rows, ds.Columns, ds.BitsAllocated = 512, 512, 16    # image attributes: never taken over
    ds.WindowCenter, ds.WindowWidth = "40", "400"
    for key, value in extra.items():
        setattr(ds, key, value)
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.save_as(path, enforce_file_format=True)
    return ds


def test_dataset_from_takes_all_but_instance_uid_and_image(jpeg, tmp_path):
    tpl = make_template(tmp_path / "t.dcm")
    out = tmp_path / "o.dcm"
    assert run("img2dcm", "-df", tmp_path / "t.dcm", jpeg, out).returncode == 0
    ds = pydicom.dcmread(out)
    assert ds.SpecificCharacterSet == "ISO_IR 192"          # the template's set, values carried in it
    assert str(ds.PatientName) == "Müller^Jürgen=山田^太郎"
    assert ds.StudyDescription == "template study" and ds.Manufacturer == "ACME"
    assert ds.StudyInstanceUID == tpl.StudyInstanceUID and ds.SeriesInstanceUID == tpl.SeriesInstanceUID
    assert ds.SOPInstanceUID != tpl.SOPInstanceUID          # never copied (img2dcm)
    assert (ds.Rows, ds.Columns, ds.BitsAllocated) == (16, 24, 8)
    assert "WindowCenter" not in ds                         # image attributes are replaced


def test_study_and_series_from(jpeg, tmp_path):
    tpl = make_template(tmp_path / "t.dcm", StudyDescription="not taken")
    out = tmp_path / "o.dcm"
    assert run("img2dcm", "-stf", tmp_path / "t.dcm", jpeg, out).returncode == 0
    ds = pydicom.dcmread(out)
    assert ds.StudyInstanceUID == tpl.StudyInstanceUID and ds.AccessionNumber == "ACC9"
    assert ds.SeriesInstanceUID != tpl.SeriesInstanceUID    # a new series in the template's study
    assert "StudyDescription" not in ds and "Manufacturer" not in ds
    assert run("img2dcm", "-sef", tmp_path / "t.dcm", jpeg, out).returncode == 0
    ds = pydicom.dcmread(out)
    assert ds.SeriesInstanceUID == tpl.SeriesInstanceUID and ds.SeriesNumber == 4 and ds.Manufacturer == "ACME"
    assert run("img2dcm", "-sef", tmp_path / "t.dcm", "-ii", jpeg, out).returncode == 0
    assert pydicom.dcmread(out).InstanceNumber == 8
    res = run("img2dcm", "-stf", tmp_path / "t.dcm", "-sef", tmp_path / "t.dcm", jpeg, tmp_path / "x.dcm")
    assert res.returncode == 1 and "exclude each other" in res.stderr and not (tmp_path / "x.dcm").exists()


def test_bad_templates(jpeg, tmp_path):
    bad = tmp_path / "bad.dcm"
    bad.write_bytes(b"this is not DICOM at all" * 10)
    res = run("img2dcm", "-df", bad, jpeg, tmp_path / "o.dcm")
    assert res.returncode == 21 and "template" in res.stderr and len(res.stderr.strip().splitlines()) == 1
    make_template(tmp_path / "t.dcm")
    (tmp_path / "cut.dcm").write_bytes((tmp_path / "t.dcm").read_bytes()[:300])
    res = run("img2dcm", "-df", tmp_path / "cut.dcm", jpeg, tmp_path / "o.dcm")
    assert res.returncode == 21 and "template" in res.stderr and "Traceback" not in res.stderr
    for cut in (200, 500, 860):
        (tmp_path / "cut.dcm").write_bytes((tmp_path / "t.dcm").read_bytes()[:cut])
        assert run("img2dcm", "-df", tmp_path / "cut.dcm", jpeg, tmp_path / "o.dcm").returncode == 21
    assert run("img2dcm", "-df", tmp_path / "missing.dcm", jpeg, tmp_path / "o.dcm").returncode == 21
    assert run("img2dcm", "-ii", jpeg, tmp_path / "o.dcm").returncode == 23   # -ii without a template
    assert not (tmp_path / "o.dcm").exists()


def test_key_paths_nested_and_created(jpeg):
    keys = ("ReferencedSeriesSequence[0].SeriesInstanceUID=1.2.3",
            "ReferencedSeriesSequence[1].ReferencedInstanceSequence[0].ReferencedSOPInstanceUID=1.2.3.4",
            "(0008,1115)[1].(0020,000E)=1.2.5",
            "ReferencedSeriesSequence[*].StudyInstanceUID=9.8.7",
            "AcquisitionContextSequence")
    data = jpeg_to_dicom(jpeg.read_bytes(), Img2DcmOptions(dataset=DatasetOptions(keys=keys)))
    ds = pydicom.dcmread(io.BytesIO(data))
    seq = ds.ReferencedSeriesSequence
    assert len(seq) == 2 and seq[0].SeriesInstanceUID == "1.2.3" and seq[1].SeriesInstanceUID == "1.2.5"
    assert seq[1].ReferencedInstanceSequence[0].ReferencedSOPInstanceUID == "1.2.3.4"
    assert all(item.StudyInstanceUID == "9.8.7" for item in seq)
    assert len(ds.AcquisitionContextSequence) == 0


def test_key_into_template_sequence_keeps_template_untouched(jpeg, tmp_path):
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = "T-D1100", "SRT", "Head"
    make_template(tmp_path / "t.dcm", AnatomicRegionSequence=[item])
    opts = Img2DcmOptions(dataset=DatasetOptions(dataset_from=str(tmp_path / "t.dcm"),
                                                 keys=("AnatomicRegionSequence[0].CodeMeaning=Skull",)))
    ds = pydicom.dcmread(io.BytesIO(jpeg_to_dicom(jpeg.read_bytes(), opts)))
    assert ds.AnatomicRegionSequence[0].CodeMeaning == "Skull"
    assert ds.AnatomicRegionSequence[0].CodeValue == "T-D1100"
    plain = Img2DcmOptions(dataset=DatasetOptions(dataset_from=str(tmp_path / "t.dcm")))
    ds = pydicom.dcmread(io.BytesIO(jpeg_to_dicom(jpeg.read_bytes(), plain)))
    assert ds.AnatomicRegionSequence[0].CodeMeaning == "Head"


def test_uid_root_from_environment(jpeg, tmp_path):
    env = dict(os.environ, DICOMCONV_UID_ROOT="1.2.826.0.1.3680043.10.999")
    assert run("img2dcm", jpeg, tmp_path / "o.dcm", env=env).returncode == 0
    ds = pydicom.dcmread(tmp_path / "o.dcm")
    assert ds.SOPInstanceUID.startswith("1.2.826.0.1.3680043.10.999.")
    env["DICOMCONV_UID_ROOT"] = "not.a.root"
    assert run("img2dcm", jpeg, tmp_path / "x.dcm", env=env).returncode == 1


# ---------------------------------------------------------------- the man page's examples

def test_example_1_default_is_secondary_capture_with_type1_and_type2(jpeg, tmp_path, dciodvfy_errors):
    out = tmp_path / "out.dcm"
    assert run("img2dcm", jpeg, out).returncode == 0
    ds = pydicom.dcmread(out)
    assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.7"
    assert ds.StudyInstanceUID and ds.SeriesInstanceUID                # type 1 invented
    assert "PatientName" in ds and ds.PatientName == ""                  # type 2 inserted empty
    assert dciodvfy_errors(out, ds.PhotometricInterpretation, ds.file_meta.TransferSyntaxUID) == []


def test_example_2_bmp(tmp_path):
    from PIL import Image

    Image.new("RGB", (9, 5), (1, 2, 3)).save(tmp_path / "image.bmp")
    assert run("img2dcm", "-i", "BMP", tmp_path / "image.bmp", tmp_path / "out.dcm").returncode == 0
    assert pydicom.dcmread(tmp_path / "out.dcm").PhotometricInterpretation == "RGB"


def test_example_3_vlp_with_patient_name(jpeg, tmp_path, dciodvfy_errors):
    out = tmp_path / "out.dcm"
    assert run("img2dcm", jpeg, out, "-vlp", "-k", "PatientName=Bond^James").returncode == 0
    ds = pydicom.dcmread(out)
    assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.77.1.4" and ds.PatientName == "Bond^James"
    assert dciodvfy_errors(out, ds.PhotometricInterpretation, ds.file_meta.TransferSyntaxUID) == []


def test_example_4_key_overrides_series_template(jpeg, tmp_path, dciodvfy_errors):
    make_template(tmp_path / "template.dcm", charset="ISO_IR 100", name="Other^Name")
    out = tmp_path / "out.dcm"
    assert run("img2dcm", jpeg, out, "--series-from", tmp_path / "template.dcm",
               "-k", "PatientName=Bond^James").returncode == 0
    ds = pydicom.dcmread(out)
    assert ds.PatientName == "Bond^James" and ds.PatientID == "PID-7"
    assert dciodvfy_errors(out, ds.PhotometricInterpretation, ds.file_meta.TransferSyntaxUID) == []


def test_example_5_no_checks_inserts_nothing(jpeg, tmp_path):
    out = tmp_path / "out.dcm"
    assert run("img2dcm", jpeg, out, "--no-checks").returncode == 0
    ds = pydicom.dcmread(out)
    assert "PatientName" not in ds and "StudyInstanceUID" not in ds and "SeriesInstanceUID" not in ds


def test_example_6_no_type1_invent_needs_keys(jpeg, tmp_path):
    res = run("img2dcm", jpeg, tmp_path / "out.dcm", "--no-type1-invent")
    assert res.returncode == 23 and "StudyInstanceUID" in res.stderr and not (tmp_path / "out.dcm").exists()
    assert run("img2dcm", jpeg, tmp_path / "out.dcm", "--no-type1-invent", "-k", "StudyInstanceUID=1.2.3",
               "-k", "SeriesInstanceUID=1.2.3.4").returncode == 0
    assert pydicom.dcmread(tmp_path / "out.dcm").PatientName == ""          # type 2 still inserted


def test_example_7_keep_appn_insist_on_jfif(tmp_path):
    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "camera"
    Image.new("RGB", (8, 8)).save(tmp_path / "image.jpg", exif=exif.tobytes())
    out = tmp_path / "out.dcm"
    assert run("img2dcm", tmp_path / "image.jpg", out, "--keep-appn", "--insist-on-jfif").returncode == 0
    from pydicom.encaps import generate_fragments

    fragment = list(generate_fragments(pydicom.dcmread(out).PixelData))[1]
    assert b"Exif\0" in fragment and b"JFIF\0" not in fragment


@pytest.mark.parametrize("sop_class", ["sc", "nsc", "vlp"])
def test_corpus_templates_validate(jpeg, tmp_path, sop_class, dciodvfy_errors):
    """Templates from real files: the output has no dciodvfy errors for each class we write."""
    folder = CORPUS_DIR / "dicom" / "LittleEndianExplicit"
    if not folder.is_dir():
        pytest.skip(f"corpus not found at {folder}")
    template = sorted(folder.glob("*.dcm"))[0]
    out = tmp_path / "out.dcm"
    for option in ("-stf", "-sef"):
        res = run("img2dcm", f"-{sop_class}", option, template, jpeg, out)
        assert res.returncode == 0, res.stderr
        ds = pydicom.dcmread(out)
        assert dciodvfy_errors(out, ds.PhotometricInterpretation, ds.file_meta.TransferSyntaxUID) == []
