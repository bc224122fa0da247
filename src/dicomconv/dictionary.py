"""The DICOM data dictionary entries dicomconv writes itself (PS3.6), so that the JPEG → DICOM
path needs neither pydicom nor numpy. Any other keyword or tag is looked up in pydicom's
dictionary, imported only then.
"""
from __future__ import annotations

# keyword: (tag, VR)
_ENTRIES: dict[str, tuple[int, str]] = {
    "FileMetaInformationGroupLength": (0x00020000, "UL"),
    "FileMetaInformationVersion": (0x00020001, "OB"),
    "MediaStorageSOPClassUID": (0x00020002, "UI"),
    "MediaStorageSOPInstanceUID": (0x00020003, "UI"),
    "TransferSyntaxUID": (0x00020010, "UI"),
    "ImplementationClassUID": (0x00020012, "UI"),
    "ImplementationVersionName": (0x00020013, "SH"),
    "SpecificCharacterSet": (0x00080005, "CS"),
    "ImageType": (0x00080008, "CS"),
    "InstanceCreationDate": (0x00080012, "DA"),
    "InstanceCreationTime": (0x00080013, "TM"),
    "SOPClassUID": (0x00080016, "UI"),
    "SOPInstanceUID": (0x00080018, "UI"),
    "StudyDate": (0x00080020, "DA"),
    "SeriesDate": (0x00080021, "DA"),
    "AcquisitionDate": (0x00080022, "DA"),
    "ContentDate": (0x00080023, "DA"),
    "AcquisitionDateTime": (0x0008002A, "DT"),
    "StudyTime": (0x00080030, "TM"),
    "SeriesTime": (0x00080031, "TM"),
    "AcquisitionTime": (0x00080032, "TM"),
    "ContentTime": (0x00080033, "TM"),
    "AccessionNumber": (0x00080050, "SH"),
    "Modality": (0x00080060, "CS"),
    "ConversionType": (0x00080064, "CS"),
    "Manufacturer": (0x00080070, "LO"),
    "InstitutionName": (0x00080080, "LO"),
    "ReferringPhysicianName": (0x00080090, "PN"),
    "StationName": (0x00081010, "SH"),
    "StudyDescription": (0x00081030, "LO"),
    "SeriesDescription": (0x0008103E, "LO"),
    "ManufacturerModelName": (0x00081090, "LO"),
    "DerivationDescription": (0x00082111, "ST"),
    "PatientName": (0x00100010, "PN"),
    "PatientID": (0x00100020, "LO"),
    "PatientBirthDate": (0x00100030, "DA"),
    "PatientSex": (0x00100040, "CS"),
    "PatientAge": (0x00101010, "AS"),
    "BodyPartExamined": (0x00180015, "CS"),
    "DeviceSerialNumber": (0x00181000, "LO"),
    "SoftwareVersions": (0x00181020, "LO"),
    "DateOfSecondaryCapture": (0x00181012, "DA"),
    "TimeOfSecondaryCapture": (0x00181014, "TM"),
    "SecondaryCaptureDeviceManufacturer": (0x00181016, "LO"),
    "SecondaryCaptureDeviceManufacturerModelName": (0x00181018, "LO"),
    "SecondaryCaptureDeviceSoftwareVersions": (0x00181019, "LO"),
    "PageNumberVector": (0x00182001, "IS"),
    "StudyInstanceUID": (0x0020000D, "UI"),
    "SeriesInstanceUID": (0x0020000E, "UI"),
    "StudyID": (0x00200010, "SH"),
    "SeriesNumber": (0x00200011, "IS"),
    "AcquisitionNumber": (0x00200012, "IS"),
    "InstanceNumber": (0x00200013, "IS"),
    "PatientOrientation": (0x00200020, "CS"),
    "Laterality": (0x00200060, "CS"),
    "ImageLaterality": (0x00200062, "CS"),
    "ImageComments": (0x00204000, "LT"),
    "SamplesPerPixel": (0x00280002, "US"),
    "PhotometricInterpretation": (0x00280004, "CS"),
    "PlanarConfiguration": (0x00280006, "US"),
    "NumberOfFrames": (0x00280008, "IS"),
    "FrameIncrementPointer": (0x00280009, "AT"),
    "Rows": (0x00280010, "US"),
    "Columns": (0x00280011, "US"),
    "BitsAllocated": (0x00280100, "US"),
    "BitsStored": (0x00280101, "US"),
    "HighBit": (0x00280102, "US"),
    "PixelRepresentation": (0x00280103, "US"),
    "BurnedInAnnotation": (0x00280301, "CS"),
    "RescaleIntercept": (0x00281052, "DS"),
    "RescaleSlope": (0x00281053, "DS"),
    "RescaleType": (0x00281054, "LO"),
    "ICCProfile": (0x00282000, "OB"),
    "LossyImageCompression": (0x00282110, "CS"),
    "LossyImageCompressionRatio": (0x00282112, "DS"),
    "LossyImageCompressionMethod": (0x00282114, "CS"),
    "AcquisitionContextSequence": (0x00400555, "SQ"),
    "PresentationLUTShape": (0x20500020, "CS"),
    "PixelData": (0x7FE00010, "OB"),
}

_BY_TAG: dict[int, tuple[str, str]] = {tag: (kw, vr) for kw, (tag, vr) in _ENTRIES.items()}


def tag_of(keyword: str) -> int:
    """The tag (as ``0xGGGGEEEE``) for a keyword; raises KeyError if there is no such keyword."""
    entry = _ENTRIES.get(keyword)
    if entry is not None:
        return entry[0]
    from pydicom.datadict import tag_for_keyword  # only for keywords we do not write ourselves

    tag = tag_for_keyword(keyword)
    if tag is None:
        raise KeyError(keyword)
    return int(tag)


def vr_of(tag: int) -> str:
    """The VR of a tag; raises KeyError for tags without a dictionary entry."""
    entry = _BY_TAG.get(tag)
    if entry is not None:
        return entry[1]
    from pydicom.datadict import dictionary_VR

    vr = dictionary_VR(tag)  # raises KeyError for unknown tags
    if " or " in vr:  # e.g. "US or SS": the first is the usual choice for pixel descriptions
        vr = vr.split(" or ")[0]
    return vr


def keyword_of(tag: int) -> str:
    """The keyword of a tag, or ``(gggg,eeee)`` if it has none."""
    entry = _BY_TAG.get(tag)
    if entry is not None:
        return entry[0]
    try:
        from pydicom.datadict import keyword_for_tag

        return keyword_for_tag(tag) or f"({tag >> 16:04X},{tag & 0xFFFF:04X})"
    except ImportError:  # pragma: no cover
        return f"({tag >> 16:04X},{tag & 0xFFFF:04X})"
