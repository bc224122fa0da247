"""The DICOM dataset for an image: SOP classes, their required attributes, type 1/2 handling and
``--key`` values. The per-SOP-class requirements live in the tables below, one place, so that
adding a class is adding a table.

Elements are ``{tag: (vr, value)}`` (see :mod:`dicomconv.writer`).
"""
from __future__ import annotations

import struct
import time
from . import dictionary, writer
from .errors import AttributeValueError, UnsupportedInputError
from .options import Options
from .source import ImageSource
from .uids import new_uid, new_uids

SC = "1.2.840.10008.5.1.4.1.1.7"                       # Secondary Capture Image Storage
MF_SINGLE_BIT_SC = "1.2.840.10008.5.1.4.1.1.7.1"       # Multi-frame Single Bit SC
MF_GRAYSCALE_BYTE_SC = "1.2.840.10008.5.1.4.1.1.7.2"   # Multi-frame Grayscale Byte SC
MF_GRAYSCALE_WORD_SC = "1.2.840.10008.5.1.4.1.1.7.3"   # Multi-frame Grayscale Word SC
MF_TRUE_COLOR_SC = "1.2.840.10008.5.1.4.1.1.7.4"       # Multi-frame True Color SC
VL_PHOTOGRAPHIC = "1.2.840.10008.5.1.4.1.1.77.1.4"     # VL Photographic Image Storage

SOP_CLASS_NAMES = {
    SC: "Secondary Capture Image",
    MF_SINGLE_BIT_SC: "Multi-frame Single Bit Secondary Capture Image",
    MF_GRAYSCALE_BYTE_SC: "Multi-frame Grayscale Byte Secondary Capture Image",
    MF_GRAYSCALE_WORD_SC: "Multi-frame Grayscale Word Secondary Capture Image",
    MF_TRUE_COLOR_SC: "Multi-frame True Color Secondary Capture Image",
    VL_PHOTOGRAPHIC: "VL Photographic Image",
}

# Attributes every one of our IODs needs, as (keyword, type, fixed value or None).
# Type 1 without a value is invented (UIDs); type 2 without a value is inserted empty.
_PATIENT_STUDY_SERIES = (
    # Patient Module, PS3.3 C.7.1.1
    ("PatientName", "2", None), ("PatientID", "2", None),
    ("PatientBirthDate", "2", None), ("PatientSex", "2", None),
    # General Study Module, PS3.3 C.7.2.1
    ("StudyInstanceUID", "1", None), ("StudyDate", "2", None), ("StudyTime", "2", None),
    ("ReferringPhysicianName", "2", None), ("StudyID", "2", None), ("AccessionNumber", "2", None),
    # General Series Module, PS3.3 C.7.3.1
    ("SeriesInstanceUID", "1", None), ("SeriesNumber", "2", None),
    # Laterality is 2C (required for paired body parts without Image Laterality); the body part
    # of a converted image is unknown, so it is sent empty, which a type 2C element allows.
    ("Laterality", "2", None),
    # General Image Module, PS3.3 C.7.6.1 (Patient Orientation is 2C: required when there is
    # no Image Orientation (Patient), which a captured or photographed image never has)
    ("InstanceNumber", "2", None), ("PatientOrientation", "2", None),
    # SOP Common Module, PS3.3 C.12.1
    ("SOPInstanceUID", "1", None),
)

_SC_EQUIPMENT = (
    # SC Equipment Module, PS3.3 C.8.6.1: WSD = workstation
    ("ConversionType", "1", "WSD"),
)

_MULTIFRAME_SC = _SC_EQUIPMENT + (
    # Multi-frame Module, PS3.3 C.7.6.6, specialised by the SC Multi-frame Image Module C.8.6.3
    ("NumberOfFrames", "1", None),
    # SC Multi-frame Image Module, PS3.3 C.8.6.3
    ("BurnedInAnnotation", "1", "NO"),
)

_MULTIFRAME_SC_GRAY = _MULTIFRAME_SC + (
    # PS3.3 C.8.6.3: required for MONOCHROME2 grey classes
    ("PresentationLUTShape", "1", "IDENTITY"),
    ("RescaleIntercept", "1", "0"), ("RescaleSlope", "1", "1"), ("RescaleType", "1", "US"),
)

#: SOP class → (modality, attributes, allowed photometric interpretations as
#: (for uncompressed or lossless pixel data, for lossy compressed pixel data), or None for any).
REQUIREMENTS: dict[str, tuple[str, tuple, tuple[frozenset, frozenset] | None]] = {
    # Secondary Capture Image IOD, PS3.3 A.8.1
    SC: ("OT", _SC_EQUIPMENT, None),
    # Multi-frame Grayscale Byte / Word SC Image IODs, PS3.3 A.8.3, A.8.4
    MF_GRAYSCALE_BYTE_SC: ("OT", _MULTIFRAME_SC_GRAY, (frozenset({"MONOCHROME2"}), frozenset({"MONOCHROME2"}))),
    MF_GRAYSCALE_WORD_SC: ("OT", _MULTIFRAME_SC_GRAY, (frozenset({"MONOCHROME2"}), frozenset({"MONOCHROME2"}))),
    # Multi-frame True Color SC Image IOD, PS3.3 A.8.5, C.8.6.3: RGB uncompressed or lossless,
    # YBR_FULL_422 (JPEG), YBR_ICT/YBR_RCT (JPEG 2000) or YBR_PARTIAL_420 (MPEG) when compressed
    MF_TRUE_COLOR_SC: ("OT", _MULTIFRAME_SC, (frozenset({"RGB", "YBR_RCT"}),
                                              frozenset({"YBR_FULL_422", "YBR_PARTIAL_420", "YBR_ICT"}))),
    # VL Photographic Image IOD, PS3.3 A.32.4; VL Image Module C.8.12.1, C.8.12.1.1.1
    VL_PHOTOGRAPHIC: ("XC", (
        ("ImageType", "1", "DERIVED\\PRIMARY"),
        ("Manufacturer", "2", None),                  # General Equipment Module C.7.5.1
        ("AcquisitionContextSequence", "2", None),    # Acquisition Context Module C.7.6.14
        ("ContentDate", "2", None), ("ContentTime", "2", None),
    ), (frozenset({"MONOCHROME2", "RGB", "YBR_RCT"}),
        frozenset({"MONOCHROME2", "YBR_FULL_422", "YBR_PARTIAL_420", "YBR_ICT"}))),
}

# Attributes that describe the pixel data: set from the image, never from --key.
_PIXEL_TAGS = frozenset({
    0x00280002, 0x00280004, 0x00280006, 0x00280008, 0x00280010, 0x00280011, 0x00280100,
    0x00280101, 0x00280102, 0x00280103, 0x7FE00010, 0x00080016, 0x00020010,
})


class DatasetOptions(Options):
    """How the dataset around the pixels is built (img2dcm's attribute options).

    ``sop_class``: "sc" (-sc, default), "nsc" (-nsc), "vlp" (-vlp) or a SOP Class UID;
    ``keys``: tuple of -k values, "Keyword=value" or "gggg,eeee=value";
    ``do_checks`` (--do-checks/--no-checks), ``insert_type2`` (+i2/-i2), ``invent_type1``
    (+i1/-i1), ``latin1`` (+l1/-l1): all default True; ``uid_root``: root for invented UIDs
    (None: 2.25 UUID-derived); templates (paths): ``dataset_from`` (-df), ``study_from`` (-stf),
    ``series_from`` (-sef); ``instance_inc`` (-ii): Instance Number = the template's + 1.
    """

    _fields = {"sop_class": "sc", "keys": (), "do_checks": True, "insert_type2": True,
               "invent_type1": True, "latin1": True, "uid_root": None, "dataset_from": None,
               "study_from": None, "series_from": None, "instance_inc": False}
    __slots__ = tuple(_fields)


def choose_sop_class(source: ImageSource, which: str) -> str:
    """The SOP Class UID for ``which`` ("sc", "nsc", "vlp" or a UID) and this image.

    For "nsc" the multi-frame SC class follows bit depth and colour (PS3.3 A.8.2-A.8.5). Several
    frames with "sc" also get a multi-frame SC class: the Secondary Capture Image IOD (A.8.1) has
    no Multi-frame Module.
    """
    multi = source.number_of_frames > 1
    if which == "sc":
        if not multi:
            return SC
        which = "nsc"
        if source.pixel_representation == 0:
            source.notes.append(f"{source.number_of_frames} frames: stored as a multi-frame Secondary Capture "
                                "class (the Secondary Capture Image IOD holds one frame)")
    if which == "vlp":
        if multi:
            raise UnsupportedInputError("the VL Photographic Image IOD holds one frame (PS3.3 A.32.4); "
                                        "use -nsc for several frames")
        if source.bits_stored != 8 or source.pixel_representation != 0:
            raise UnsupportedInputError(
                f"VL Photographic images must have unsigned 8-bit samples (PS3.3 C.8.12.1), "
                f"this image has {'signed ' if source.pixel_representation else ''}{source.bits_stored}-bit samples")
        return VL_PHOTOGRAPHIC
    if which == "nsc":
        if source.pixel_representation != 0:
            raise UnsupportedInputError(
                "the multi-frame Secondary Capture classes need unsigned pixel data (PS3.3 C.8.6.3); "
                + ("signed images can only be stored one frame per file (-sc)" if multi else "use -sc"))
        if source.samples_per_pixel == 1:
            if source.bits_allocated == 8:
                if source.bits_stored != 8:  # C.8.6.3: Grayscale Byte has Bits Stored 8
                    raise UnsupportedInputError(
                        f"Multi-frame Grayscale Byte SC needs Bits Stored 8 (PS3.3 C.8.6.3), this image has "
                        f"{source.bits_stored}; use -sc")
                return MF_GRAYSCALE_BYTE_SC
            return MF_GRAYSCALE_WORD_SC
        if source.bits_allocated != 8:
            raise UnsupportedInputError(
                f"Multi-frame True Color SC needs 8 bits per sample (PS3.3 C.8.6.3), "
                f"this image has {source.bits_stored}")
        return MF_TRUE_COLOR_SC
    if which in REQUIREMENTS:
        return which
    raise UnsupportedInputError(f"unknown or unsupported SOP class {which!r}")


_SECOND = [-1, "", ""]


def _now() -> tuple[str, str]:
    """Local date (DA) and time with microseconds (TM) now; the formatting is done once a second."""
    t = time.time()
    second = int(t)
    if second != _SECOND[0]:
        lt = time.localtime(second)
        _SECOND[:] = [second, time.strftime("%Y%m%d", lt), time.strftime("%H%M%S", lt)]
    return _SECOND[1], f"{_SECOND[2]}.{int((t - second) * 1e6):06d}"


class _PerFile:
    """Placeholder for a value that differs from file to file (see :class:`DatasetTemplate`)."""

    __slots__ = ("kind",)

    def __init__(self, kind: str) -> None:
        self.kind = kind  # "uid", "date", "time", "rows", "columns", "ratio", "icc", "frames"


_UID, _DATE, _TIME = _PerFile("uid"), _PerFile("date"), _PerFile("time")


def _check_photometric(source: ImageSource, sop_class: str) -> None:
    photometrics = REQUIREMENTS[sop_class][2]
    if photometrics is not None:
        allowed = photometrics[1] if source.lossy else photometrics[0]
        if source.photometric not in allowed:
            kind = "lossy compressed" if source.lossy else "uncompressed or lossless"
            raise UnsupportedInputError(
                f"the {SOP_CLASS_NAMES[sop_class]} class allows only {'/'.join(sorted(allowed))} for "
                f"{kind} pixel data, but this image's stream holds {source.photometric}; "
                f"Secondary Capture (-sc) stores it as it is")


def _build(source: ImageSource, options: DatasetOptions, sop_class: str) -> dict:
    """The dataset elements (without Pixel Data), with :class:`_PerFile` placeholders for the
    values that differ from file to file."""
    modality, required, _ = REQUIREMENTS[sop_class]
    T = dictionary.tag_of
    el: dict[int, tuple[str, object]] = _template_elements(options)

    def put(keyword, value):
        tag = T(keyword)
        el[tag] = (dictionary.vr_of(tag), value)

    if options.latin1 and 0x00080005 not in el:  # a template's character set stays: its values are in it
        put("SpecificCharacterSet", "ISO_IR 100")
    put("SOPClassUID", sop_class)
    put("SOPInstanceUID", _UID)
    put("Modality", modality)
    put("InstanceCreationDate", _DATE)
    put("InstanceCreationTime", _TIME)
    put("ContentDate", _DATE)
    put("ContentTime", _TIME)
    if sop_class in (SC, MF_GRAYSCALE_BYTE_SC, MF_GRAYSCALE_WORD_SC, MF_TRUE_COLOR_SC, MF_SINGLE_BIT_SC):
        put("DateOfSecondaryCapture", _DATE)       # SC Image Module, PS3.3 C.8.6.2
        put("TimeOfSecondaryCapture", _TIME)
        put("SecondaryCaptureDeviceManufacturer", "dicomconv")
    if sop_class in (MF_SINGLE_BIT_SC, MF_GRAYSCALE_BYTE_SC, MF_GRAYSCALE_WORD_SC, MF_TRUE_COLOR_SC):
        put("NumberOfFrames", _PerFile("frames"))   # Multi-frame Module C.7.6.6
        if source.number_of_frames > 1:
            # SC Multi-frame Image Module C.8.6.3: Frame Increment Pointer is 1C (several frames);
            # frames of converted images are pages: Page Number Vector 1..N
            put("FrameIncrementPointer", 0x00182001)
            put("PageNumberVector", _PerFile("pages"))

    # Image Pixel Module, PS3.3 C.7.6.3
    put("SamplesPerPixel", source.samples_per_pixel)
    put("PhotometricInterpretation", source.photometric)
    put("Rows", _PerFile("rows"))
    put("Columns", _PerFile("columns"))
    put("BitsAllocated", source.bits_allocated)
    put("BitsStored", source.bits_stored)
    put("HighBit", source.bits_stored - 1)
    put("PixelRepresentation", source.pixel_representation)
    if source.samples_per_pixel > 1:
        put("PlanarConfiguration", source.planar_configuration)   # 1C
    # Lossy Image Compression, PS3.3 C.7.6.1.1.5: "00" lossless, "01" lossy with ratio and method
    put("LossyImageCompression", "01" if source.lossy else "00")
    if source.lossy:
        put("LossyImageCompressionRatio", _PerFile("ratio"))
        put("LossyImageCompressionMethod", source.lossy_method)
    if source.icc_profile:
        put("ICCProfile", _PerFile("icc"))                          # ICC Profile Module C.11.15

    for keyword, type_, value in required:
        if value is not None:
            put(keyword, value)

    if options.do_checks:
        for keyword, type_, value in _PATIENT_STUDY_SERIES + required:
            tag = T(keyword)
            if tag in el:
                continue
            if type_ == "1" and options.invent_type1 and keyword.endswith("InstanceUID"):
                put(keyword, _UID)
            elif type_ == "2" and options.insert_type2:
                put(keyword, [] if dictionary.vr_of(tag) == "SQ" else "")

    # --key last, after everything else (img2dcm man page, example 4: -k overrides the template)
    if options.keys:
        from .keys import apply_key  # (imports re: only when --key is used)
    for key in options.keys:
        tag = apply_key(el, key)
        if tag in _PIXEL_TAGS:
            raise AttributeValueError(
                f"--key {key!r}: {dictionary.keyword_of(tag)} is set from the image and cannot be given")

    if options.do_checks:
        for keyword, type_, _ in _PATIENT_STUDY_SERIES + required:
            if type_ != "1":
                continue
            entry = el.get(T(keyword))
            if entry is None or entry[1] in ("", None, []):
                raise AttributeValueError(
                    f"type 1 attribute {keyword} is missing or empty (give it with --key or allow "
                    f"--invent-type1)")
    if el.get(T("SOPInstanceUID"), (None, ""))[1] in ("", None):
        raise AttributeValueError("SOPInstanceUID must not be empty")
    return el


def _template_elements(options: DatasetOptions) -> dict:
    """Elements taken over from template files (-df, then -stf/-sef, then -ii), PS3.3 as img2dcm."""
    if not (options.dataset_from or options.study_from or options.series_from):
        if options.instance_inc:
            raise AttributeValueError("--instance-inc needs a template (-df, -stf or -sef)")
        return {}
    from . import templates

    el: dict = {}
    if options.dataset_from:
        el.update(templates.dataset_elements(options.dataset_from))
    if options.study_from and options.series_from:
        raise AttributeValueError("--study-from and --series-from exclude each other")
    if options.study_from or options.series_from:
        el.update(templates.study_elements(options.series_from or options.study_from,
                                           with_series=bool(options.series_from)))
    if options.instance_inc:
        number = templates.instance_number(options.series_from or options.study_from or options.dataset_from)
        el[0x00200013] = ("IS", str(number + 1 if number is not None else 1))
    return el


class DatasetTemplate:
    """The dataset for one combination of options, SOP class and pixel description, encoded once;
    per file only the values that differ (UIDs, dates and times, rows, columns, compression
    ratio, ICC profile, number of frames) are filled in. Values of fixed length (UIDs, which
    :func:`~dicomconv.uids.new_uid` makes of constant length, dates, times, rows, columns) are
    patched into a copy of the encoded bytes; the others are encoded per file. This keeps the
    per-file cost of a large batch small.
    """

    __slots__ = ("sop_class", "static", "slots", "pieces", "uid_root", "encoding", "uid_count")

    _FIXED = {"date": 8, "time": 14, "rows": 2, "columns": 2}

    def __init__(self, source: ImageSource, options: DatasetOptions, sop_class: str) -> None:
        el = _build(source, options, sop_class)
        self.sop_class = sop_class
        self.uid_root = options.uid_root
        self.static = {tag: entry for tag, entry in el.items() if not isinstance(entry[1], _PerFile)}
        self.slots = sorted((tag, vr, value.kind) for tag, (vr, value) in el.items() if isinstance(value, _PerFile))
        self.encoding = _python_codec(self.static)
        fixed = dict(self._FIXED, uid=len(new_uid(self.uid_root)))
        # pieces: (bytes, [(offset, length, kind, tag)]) to copy and patch, or (tag, vr, kind) to encode
        pieces: list = []
        buf, patches = bytearray(), []
        for tag in sorted(el):
            vr, value = el[tag]
            if not isinstance(value, _PerFile):
                try:
                    buf += writer.encode_element(tag, vr, value, self.encoding)
                except UnicodeEncodeError:
                    raise AttributeValueError(
                        f"{dictionary.keyword_of(tag)}: value cannot be encoded in the character set "
                        f"{el.get(0x00080005, ('', 'ISO_IR 6 (ASCII)'))[1]}") from None
            elif value.kind in fixed:
                length = fixed[value.kind]
                buf += _SHORT_HEADER.pack(tag >> 16, tag & 0xFFFF, vr.encode(), length)
                patches.append((len(buf), length, value.kind, tag))
                buf += b" " * length
            else:
                pieces.append((bytes(buf), patches))
                pieces.append((tag, vr, value.kind))
                buf, patches = bytearray(), []
        pieces.append((bytes(buf), patches))
        self.pieces = pieces
        self.uid_count = sum(1 for _, _, kind in self.slots if kind == "uid")

    def encode(self, source: ImageSource) -> tuple[str, list]:
        """The SOP Instance UID and the encoded dataset (without Pixel Data) for ``source``, as a
        list of bytes-like parts. The hot path of a batch."""
        date, tm = _now()
        date_b = date.encode()
        tm_b = tm.encode().ljust(14)
        sop_instance = self.static[0x00080018][1] if 0x00080018 in self.static else None
        uids = new_uids(self.uid_count, self.uid_root)
        parts = []
        for piece in self.pieces:
            if len(piece) == 3:
                tag, vr, kind = piece
                parts.append(writer.encode_element(tag, vr, self._value(kind, source)))
                continue
            template, patches = piece
            if not patches:
                parts.append(template)
                continue
            out = bytearray(template)
            for offset, length, kind, tag in patches:
                if kind == "uid":
                    uid = uids.pop()
                    if tag == 0x00080018:
                        sop_instance = uid
                    data = uid.encode()
                elif kind == "date":
                    data = date_b
                elif kind == "time":
                    data = tm_b
                elif kind == "rows":
                    data = _US.pack(source.rows)
                else:
                    data = _US.pack(source.columns)
                out[offset:offset + length] = data
            parts.append(out)
        return sop_instance, parts

    def values(self, source: ImageSource) -> dict:
        """The per-file elements for ``source``: ``{tag: (vr, value)}``."""
        date, tm = _now()
        out = {}
        for tag, vr, kind in self.slots:
            if kind == "uid":
                value = new_uid(self.uid_root)
            elif kind == "date":
                value = date
            elif kind == "time":
                value = tm
            else:
                value = self._value(kind, source)
            out[tag] = (vr, value)
        return out

    @staticmethod
    def _value(kind: str, source: ImageSource):
        if kind == "rows":
            return source.rows
        if kind == "columns":
            return source.columns
        if kind == "ratio":
            return _ds(source.lossy_ratio)
        if kind == "icc":
            return source.icc_profile
        if kind == "pages":
            return "\\".join(str(i) for i in range(1, source.number_of_frames + 1))
        return str(source.number_of_frames)  # frames


_US = struct.Struct("<H")
_SHORT_HEADER = struct.Struct("<HH2sH")


_TEMPLATES: dict = {}


def dataset_template(source: ImageSource, options: DatasetOptions) -> DatasetTemplate:
    """The cached :class:`DatasetTemplate` for this image's pixel description and ``options``."""
    sop_class = choose_sop_class(source, options.sop_class)
    _check_photometric(source, sop_class)
    key = (options, sop_class, source.photometric, source.samples_per_pixel, source.bits_allocated,
           source.bits_stored, source.pixel_representation, source.planar_configuration, source.lossy,
           source.lossy_method, bool(source.icc_profile), source.number_of_frames > 1)
    template = _TEMPLATES.get(key)
    if template is None:
        if len(_TEMPLATES) > 256:
            _TEMPLATES.clear()
        template = _TEMPLATES[key] = DatasetTemplate(source, options, sop_class)
    return template


def build_elements(source: ImageSource, options: DatasetOptions) -> tuple[str, dict]:
    """The SOP Class UID and the dataset elements (without Pixel Data) for ``source``."""
    sop_class = choose_sop_class(source, options.sop_class)
    _check_photometric(source, sop_class)
    template = DatasetTemplate(source, options, sop_class)
    return sop_class, {**template.static, **template.values(source)}


# Python codec for a Specific Character Set value (PS3.3 C.12.1.1.2); single-byte sets and UTF-8.
_CHARSETS = {"": "ascii", "ISO_IR 6": "ascii", "ISO_IR 100": "iso8859-1", "ISO_IR 101": "iso8859-2",
             "ISO_IR 109": "iso8859-3", "ISO_IR 110": "iso8859-4", "ISO_IR 144": "iso8859-5",
             "ISO_IR 127": "iso8859-6", "ISO_IR 126": "iso8859-7", "ISO_IR 138": "iso8859-8",
             "ISO_IR 148": "iso8859-9", "ISO_IR 203": "iso8859-15", "ISO_IR 166": "tis-620",
             "ISO_IR 192": "utf-8"}


def _python_codec(elements: dict) -> str:
    charset = elements.get(0x00080005, ("CS", ""))[1]
    charset = charset.split("\\")[0].strip() if isinstance(charset, str) else ""
    encoding = _CHARSETS.get(charset)
    if encoding is None:
        raise AttributeValueError(f"Specific Character Set {charset!r} is not supported yet")
    return encoding


def _first_unencodable(elements: dict, encoding: str) -> str:
    for tag, (vr, value) in sorted(elements.items()):
        if isinstance(value, str):
            try:
                value.encode(encoding)
            except UnicodeEncodeError:
                return dictionary.keyword_of(tag)
    return "an attribute"


def _ds(number: float) -> str:
    """A decimal string of at most 16 characters (PS3.5 6.2 DS)."""
    text = f"{number:.6g}"
    return text if len(text) <= 16 else f"{number:.6e}"
