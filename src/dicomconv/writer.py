"""A small DICOM Part 10 writer for Explicit VR Little Endian datasets with encapsulated pixel
data (PS3.5 7.1.2, A.4; PS3.10 7.1).

It needs neither pydicom nor numpy: elements are ``{tag: (vr, value)}`` dicts, and the pixel data
is a list of frames, each a list of bytes-like chunks that are written as they are (never joined
into a new buffer), so a large JPEG stream is not copied on its way to the file.
"""
from __future__ import annotations

import struct
TYPE_CHECKING = False
if TYPE_CHECKING:  # typing only: importing collections.abc costs the CLI start-up time
    from collections.abc import Iterable, Sequence

# VRs with a 4-byte length field in explicit VR (PS3.5 Table 7.1-1).
_LONG_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"})
_INT_FORMATS = {"US": "H", "SS": "h", "UL": "I", "SL": "i", "FL": "f", "FD": "d", "SV": "q", "UV": "Q"}
_ITEM = 0xFFFEE000
_ITEM_DELIMITER = 0xFFFEE00D
_SEQUENCE_DELIMITER = 0xFFFEE0DD
_pack_tag_item = struct.Struct("<HHI").pack

Elements = dict  # {tag: (vr, value)}


def encode_value(vr: str, value, encoding: str = "iso8859-1") -> bytes:
    """The bytes of one element value, padded to even length (PS3.5 6.2, 7.1.1)."""
    if value is None:
        return b""
    if vr in _INT_FORMATS:
        values = value if isinstance(value, (list, tuple)) else [value]
        return struct.pack(f"<{len(values)}{_INT_FORMATS[vr]}", *values)
    if vr == "AT":
        values = value if isinstance(value, (list, tuple)) else [value]
        return b"".join(struct.pack("<HH", v >> 16, v & 0xFFFF) for v in values)
    if vr in ("OB", "OW", "OD", "OF", "OL", "OV", "UN"):
        data = bytes(value)
        return data + b"\0" if len(data) % 2 else data
    if isinstance(value, (list, tuple)):
        value = "\\".join(str(v) for v in value)
    if vr in ("UI",):
        data = value.encode("ascii")
        return data + b"\0" if len(data) % 2 else data
    if vr in ("AE", "AS", "CS", "DA", "DS", "DT", "IS", "TM", "UR"):  # default repertoire
        data = str(value).encode("ascii")
    else:
        data = str(value).encode(encoding)
    return data + b" " if len(data) % 2 else data


def encode_element(tag: int, vr: str, value, encoding: str = "iso8859-1") -> bytes:
    """One explicit VR little endian data element (PS3.5 7.1.2)."""
    if vr == "SQ":
        return encode_sequence(tag, value or [], encoding)
    data = encode_value(vr, value, encoding)
    group, elem = tag >> 16, tag & 0xFFFF
    if vr in _LONG_VRS:
        return struct.pack("<HH2sHI", group, elem, vr.encode(), 0, len(data)) + data
    if len(data) > 0xFFFF:
        raise ValueError(f"value of ({group:04X},{elem:04X}) is too long for VR {vr}")
    return struct.pack("<HH2sH", group, elem, vr.encode(), len(data)) + data


def encode_sequence(tag: int, items: Sequence[Elements], encoding: str) -> bytes:
    """A sequence with explicit lengths; ``items`` is a list of element dicts."""
    body = b"".join(_pack_tag_item(0xFFFE, 0xE000, len(item_bytes)) + item_bytes
                    for item_bytes in (encode_dataset(item, encoding) for item in items))
    return struct.pack("<HH2sHI", tag >> 16, tag & 0xFFFF, b"SQ", 0, len(body)) + body


def encode_dataset(elements: Elements, encoding: str = "iso8859-1") -> bytes:
    """Elements in ascending tag order (PS3.5 7.1)."""
    return b"".join(encode_element(tag, vr, value, encoding) for tag, (vr, value) in sorted(elements.items()))


_META_PARTS: dict = {}
_PREAMBLE = b"\0" * 128 + b"DICM"


def file_meta(sop_class_uid: str, sop_instance_uid: str, transfer_syntax_uid: str,
              implementation_class_uid: str, implementation_version_name: str) -> bytes:
    """Preamble, ``DICM`` prefix and File Meta Information group (PS3.10 7.1)."""
    key = (sop_class_uid, transfer_syntax_uid, implementation_class_uid, implementation_version_name)
    parts = _META_PARTS.get(key)
    if parts is None:  # everything but the SOP Instance UID is the same for every file
        if len(_META_PARTS) > 256:
            _META_PARTS.clear()
        parts = _META_PARTS[key] = (
            encode_dataset({0x00020001: ("OB", b"\x00\x01"), 0x00020002: ("UI", sop_class_uid)}, "ascii"),
            encode_dataset({0x00020010: ("UI", transfer_syntax_uid), 0x00020012: ("UI", implementation_class_uid),
                            0x00020013: ("SH", implementation_version_name)}, "ascii"),
        )
    head, tail = parts
    instance = encode_element(0x00020003, "UI", sop_instance_uid, "ascii")
    length = encode_element(0x00020000, "UL", len(head) + len(instance) + len(tail))
    return b"".join((_PREAMBLE, length, head, instance, tail))


def encapsulated_pixel_data(frames: Sequence[Sequence[bytes | memoryview]]) -> list[bytes | memoryview]:
    """Chunks of an encapsulated Pixel Data element (PS3.5 A.4): undefined length, a Basic Offset
    Table item with one offset per frame, one fragment per frame padded to even length with a
    trailing 0x00, and the sequence delimiter. The frames' own chunks are passed through."""
    lengths = [sum(len(c) for c in chunks) for chunks in frames]
    offsets, position = [], 0
    for length in lengths:
        offsets.append(position)
        position += 8 + length + (length & 1)
    if position > 0xFFFFFFFF:
        raise ValueError("encapsulated pixel data longer than 4 GiB needs the Extended Offset Table")
    out: list[bytes | memoryview] = [
        struct.pack("<HH2sHI", 0x7FE0, 0x0010, b"OB", 0, 0xFFFFFFFF),
        _pack_tag_item(0xFFFE, 0xE000, 4 * len(frames)) + struct.pack(f"<{len(frames)}I", *offsets),
    ]
    for chunks, length in zip(frames, lengths):
        out.append(_pack_tag_item(0xFFFE, 0xE000, length + (length & 1)))
        out.extend(chunks)
        if length & 1:
            out.append(b"\0")
    out.append(_pack_tag_item(0xFFFE, 0xE0DD, 0))
    return out


def native_pixel_data(frames: Sequence[Sequence[bytes | memoryview]], bits_allocated: int) -> list[bytes | memoryview]:
    """Chunks of a native (uncompressed) Pixel Data element in explicit VR little endian
    (PS3.5 8.1.1, A.2): OB for 8 bits allocated or fewer, OW otherwise; frames concatenated,
    padded to even length. The frames' own chunks are passed through."""
    length = sum(len(c) for chunks in frames for c in chunks)
    padded = length + (length & 1)
    if padded > 0xFFFFFFFE:
        raise ValueError("native pixel data longer than 4 GiB cannot be encoded")
    vr = b"OB" if bits_allocated <= 8 else b"OW"
    out: list[bytes | memoryview] = [struct.pack("<HH2sHI", 0x7FE0, 0x0010, vr, 0, padded)]
    for chunks in frames:
        out.extend(chunks)
    if length & 1:
        out.append(b"\0")
    return out


def write_chunks(path_or_file, chunks: Iterable[bytes | memoryview]) -> None:
    """Write chunks to an open binary file (or a path) without joining them."""
    if hasattr(path_or_file, "write"):
        for chunk in chunks:
            path_or_file.write(chunk)
        return
    with open(path_or_file, "wb") as fh:
        for chunk in chunks:
            fh.write(chunk)
