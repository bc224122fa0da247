"""The Python API: bytes → bytes and path → path."""
from __future__ import annotations

import io
import os

import pydicom
import pytest

from dicomconv import DatasetOptions, Img2DcmOptions, JpegOptions, convert_file, jpeg_to_dicom
from dicomconv.errors import InputError, UnsupportedInputError

pytest.importorskip("PIL.Image")


def make(mode="RGB", size=(24, 16), **kw):
    from PIL import Image

    buf = io.BytesIO()
    Image.new(mode, size, (10, 200, 30) if mode == "RGB" else 77).save(buf, "JPEG", **kw)
    return buf.getvalue()


def test_bytes_to_bytes_roundtrip_pixels():
    np = pytest.importorskip("numpy")
    pytest.importorskip("libjpeg")
    data = make("L")
    ds = pydicom.dcmread(io.BytesIO(jpeg_to_dicom(data)))
    assert ds.PhotometricInterpretation == "MONOCHROME2"
    assert ds.LossyImageCompression == "01" and ds.LossyImageCompressionMethod == "ISO_10918_1"
    ratio = float(ds.LossyImageCompressionRatio)
    assert ratio == pytest.approx(24 * 16 / (len(data) - 18), rel=0.01)  # JFIF APP0 is 18 bytes
    from PIL import Image

    assert np.array_equal(ds.pixel_array, np.asarray(Image.open(io.BytesIO(data))))


def test_path_to_path_and_options(tmp_path):
    src = tmp_path / "a.jpg"
    src.write_bytes(make())
    opts = Img2DcmOptions(dataset=DatasetOptions(sop_class="vlp", keys=("PatientID=P1",),
                                                 uid_root="1.2.826.0.1.3680043.10.999"))
    result = convert_file(src, tmp_path / "a.dcm", opts)
    ds = pydicom.dcmread(tmp_path / "a.dcm")
    assert ds.SOPClassUID == result.sop_class_uid == "1.2.840.10008.5.1.4.1.1.77.1.4"
    assert ds.Modality == "XC" and ds.PatientID == "P1"
    for uid in (ds.SOPInstanceUID, ds.StudyInstanceUID, ds.SeriesInstanceUID):
        assert uid.startswith("1.2.826.0.1.3680043.10.999.")
    assert len({ds.SOPInstanceUID, ds.StudyInstanceUID, ds.SeriesInstanceUID}) == 3


def test_errors_name_the_file_and_leave_nothing(tmp_path):
    src = tmp_path / "x.jpg"
    src.write_bytes(b"\xff\xd8\xff\xc0\x00\x05abc")
    with pytest.raises(InputError, match="x.jpg"):
        convert_file(src, tmp_path / "x.dcm")
    assert os.listdir(tmp_path) == ["x.jpg"]


def test_jpeg_options():
    with pytest.raises(UnsupportedInputError, match="progressive"):
        jpeg_to_dicom(make(progressive=True), Img2DcmOptions(jpeg=JpegOptions(disable_progressive=True)))
    ds = pydicom.dcmread(io.BytesIO(jpeg_to_dicom(make(progressive=True))))
    assert ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.55"


def test_twelve_bit_refused_for_vlp_and_true_color_rules():
    # 12-bit is not possible with Pillow; build the check on the source description instead
    from dicomconv.iod import choose_sop_class
    from dicomconv.source import ImageSource

    src = ImageSource(frames=[[b""]], transfer_syntax="1.2.840.10008.1.2.4.51", rows=1, columns=1,
                      samples_per_pixel=3, photometric="YBR_FULL_422", bits_allocated=16, bits_stored=12)
    with pytest.raises(UnsupportedInputError, match="8-bit samples"):
        choose_sop_class(src, "vlp")
    with pytest.raises(UnsupportedInputError, match="True Color"):
        choose_sop_class(src, "nsc")
    assert choose_sop_class(src, "sc") == "1.2.840.10008.5.1.4.1.1.7"
