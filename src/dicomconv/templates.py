"""Templates for img2dcm (``-df/--dataset-from``, ``-stf/--study-from``, ``-sef/--series-from``):
attributes read from an existing DICOM file with pydicom, as ``{tag: (vr, value)}`` elements.

As DCMTK's img2dcm does: ``--dataset-from`` imports the whole dataset except the SOP Instance UID
and what describes the image (group 0028, Pixel Data, the icon image); ``--study-from`` imports the
patient and study attributes the img2dcm manual lists, ``--series-from`` those and the series'.
"""
from __future__ import annotations

import os

from .errors import InputError

PATIENT = ("PatientName", "PatientID", "PatientSex", "PatientBirthDate", "SpecificCharacterSet")
STUDY = ("StudyInstanceUID", "StudyDate", "StudyTime", "ReferringPhysicianName", "StudyID", "AccessionNumber")
SERIES = ("SeriesInstanceUID", "SeriesNumber", "Manufacturer")

_NOT_FROM_TEMPLATE = {0x00080016, 0x00080018, 0x00880200}  # SOP Class/Instance UID, Icon Image Sequence


def read_template(path: str | os.PathLike):
    """The pydicom Dataset of a template file (without pixel data); InputError naming the file."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        with open(path, "rb") as fh:
            data = fh.read()
    except (InvalidDicomError, EOFError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise InputError(f"template {os.fspath(path)}: not a readable DICOM file ({exc})") from None
    except OSError as exc:
        raise InputError(f"template {os.fspath(path)}: cannot read: {exc.strerror or exc}") from None
    if len(ds) == 0:
        raise InputError(f"template {os.fspath(path)}: holds no data set (truncated?)")
    problem = _truncation(data, ds)
    if problem:
        raise InputError(f"template {os.fspath(path)}: truncated: {problem}")
    return ds


def _truncation(data: bytes, ds) -> str | None:
    """pydicom reads a file cut inside an element value without a word: walk the top-level
    elements of a little-endian data set (PS3.5 7.1) and check that every defined length fits.
    Elements of undefined length end the check (their items would need a full parse)."""
    import struct

    meta = getattr(ds, "file_meta", None)
    ts = str(meta.get("TransferSyntaxUID", "")) if meta is not None else ""
    if ts not in ("1.2.840.10008.1.2", "1.2.840.10008.1.2.1"):
        return None
    implicit = ts == "1.2.840.10008.1.2"
    pos = 132 if data[128:132] == b"DICM" else 0
    n = len(data)
    while pos + 8 <= n:
        group, element = struct.unpack_from("<HH", data, pos)
        if group == 0x0002 or implicit:
            explicit = group == 0x0002 or not implicit
        else:
            explicit = True
        if not explicit:
            length = struct.unpack_from("<I", data, pos + 4)[0]
            header = 8
        else:
            vr = data[pos + 4:pos + 6]
            if vr in (b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"):
                if pos + 12 > n:
                    return f"element ({group:04X},{element:04X}) at byte {pos} has no length"
                length = struct.unpack_from("<I", data, pos + 8)[0]
                header = 12
            else:
                length = struct.unpack_from("<H", data, pos + 6)[0]
                header = 8
        if length == 0xFFFFFFFF:
            return None
        if pos + header + length > n:
            return f"element ({group:04X},{element:04X}) at byte {pos} needs {length} bytes, {n - pos - header} remain"
        pos += header + length
    return None if pos == n else f"{n - pos} stray bytes at the end"


def dataset_elements(path: str | os.PathLike) -> dict:
    """Everything of the template but its SOP Instance UID and its image description."""
    ds = read_template(path)
    return {tag: entry for tag, entry in _convert(ds, path).items()
            if tag >> 16 not in (0x0002, 0x0028, 0x7FE0) and tag not in _NOT_FROM_TEMPLATE}


def study_elements(path: str | os.PathLike, with_series: bool) -> dict:
    """The patient and study (and with ``with_series`` the series) attributes of the template."""
    from . import dictionary

    wanted = {dictionary.tag_of(k) for k in PATIENT + STUDY + (SERIES if with_series else ())}
    return {tag: entry for tag, entry in _convert(read_template(path), path).items() if tag in wanted}


def instance_number(path: str | os.PathLike) -> int | None:
    """The template's Instance Number, or None."""
    value = read_template(path).get("InstanceNumber")
    return int(value) if value not in (None, "") else None


def _convert(ds, path) -> dict:
    """pydicom Dataset → ``{tag: (vr, value)}`` as :mod:`dicomconv.writer` encodes them; text is
    decoded from the template's character set (pydicom) and re-encoded by us in the same set."""
    out = {}
    for elem in ds:
        if elem.tag.is_private and elem.VR in ("UN", None):
            continue
        try:
            out[int(elem.tag)] = (elem.VR, _value(elem, path))
        except (TypeError, ValueError) as exc:
            raise InputError(f"template {os.fspath(path)}: cannot take over {elem.keyword or elem.tag}: {exc}") \
                from None
    return out


_BYTES_VRS = {"OB", "OW", "OD", "OF", "OL", "OV", "UN"}
_NUMBER_VRS = {"US", "SS", "UL", "SL", "FL", "FD", "SV", "UV", "AT"}


def _value(elem, path):
    value = elem.value
    if elem.VR == "SQ":
        return [_convert(item, path) for item in value]
    if value is None or value == "":
        return [] if elem.VR in _NUMBER_VRS else ("" if elem.VR not in _BYTES_VRS else b"")
    if elem.VR in _BYTES_VRS:
        return bytes(value)
    if elem.VR in _NUMBER_VRS:
        return [int(v) if elem.VR not in ("FL", "FD") else float(v) for v in value] \
            if elem.VM > 1 else (int(value) if elem.VR not in ("FL", "FD") else float(value))
    values = value if elem.VM > 1 else [value]
    return "\\".join(_text(v) for v in values)


def _text(v) -> str:
    original = getattr(v, "original_string", None)  # IS/DS as they were written
    return original if isinstance(original, str) else str(v)
