"""``--key`` values in DCMTK's dcmodify path notation, applied to ``{tag: (vr, value)}`` elements.

    Keyword=value                    PatientName=Bond^James
    gggg,eeee=value                  0010,0020=ID42   (or (0010,0020)=ID42)
    Seq[n].Keyword=value             ReferencedSeriesSequence[0].SeriesInstanceUID=1.2.3
    Seq[n].Seq[m].(gggg,eeee)=value  nested; items up to n are created when missing
    Seq[*].Keyword=value             every existing item
    Seq                              an empty sequence (no "=value")

Values are checked against their VR (:mod:`dicomconv.valuerep`); an unknown keyword, a tag
without a dictionary entry, a malformed path or an invalid value raises
:class:`~dicomconv.errors.AttributeValueError` naming the key.
"""
from __future__ import annotations

import re

from . import dictionary
from .errors import AttributeValueError

_SEGMENT = re.compile(
    r"^\s*(?:\(?(?P<group>[0-9A-Fa-f]{4}),(?P<element>[0-9A-Fa-f]{4})\)?|(?P<keyword>[A-Za-z][A-Za-z0-9]*))"
    r"(?:\[(?P<index>\d+|\*)\])?\s*$")


def parse_path(key: str, name: str) -> list[tuple[int, str, int | str | None]]:
    """``Seq[0].Keyword`` → ``[(tag, VR, 0), (tag, VR, None)]``; the index is an int, "*" or None."""
    path = []
    for part in name.split("."):
        m = _SEGMENT.match(part)
        if m is None:
            raise AttributeValueError(f"--key {key!r}: {part!r} is not a keyword, gggg,eeee tag or Seq[n]")
        try:
            if m["keyword"]:
                tag = dictionary.tag_of(m["keyword"])
            else:
                tag = (int(m["group"], 16) << 16) | int(m["element"], 16)
        except KeyError:
            raise AttributeValueError(f"--key {key!r}: {m['keyword']!r} is not a known keyword") from None
        try:
            vr = dictionary.vr_of(tag)
        except KeyError:
            raise AttributeValueError(
                f"--key {key!r}: tag ({tag >> 16:04X},{tag & 0xFFFF:04X}) is not in the data dictionary, "
                "its VR is unknown") from None
        index = m["index"]
        path.append((tag, vr, int(index) if index and index != "*" else index))
    for tag, vr, index in path[:-1]:
        if vr != "SQ" or index is None:
            raise AttributeValueError(
                f"--key {key!r}: {dictionary.keyword_of(tag)} must be a sequence with an item number, "
                "e.g. Seq[0].Keyword")
    if path[-1][2] is not None and path[-1][1] != "SQ":
        raise AttributeValueError(f"--key {key!r}: only a sequence takes an item number")
    return path


def parse_key(key: str) -> tuple[list[tuple[int, str, int | str | None]], object]:
    """``PATH=value`` → (path, value checked against the VR of the path's last element)."""
    name, sep, value = key.partition("=")
    if not name.strip():
        raise AttributeValueError(f"--key {key!r}: expected KEY=VALUE")
    path = parse_path(key, name.strip())
    tag, vr, index = path[-1]
    if vr == "SQ":
        if value:
            raise AttributeValueError(f"--key {key!r}: a sequence takes no value (give its items' elements)")
        return path, []
    from .valuerep import check_value

    try:
        return path, check_value(dictionary.keyword_of(tag), vr, value)
    except ValueError as exc:
        raise AttributeValueError(f"--key {key!r}: {exc}") from None


def apply_key(elements: dict, key: str) -> int:
    """Apply one ``--key`` to ``elements`` (changed in place); returns the top-level tag."""
    path, value = parse_key(key)
    _apply(elements, path, value, key)
    return path[0][0]


def _apply(container: dict, path: list, value, key: str) -> None:
    tag, vr, index = path[0]
    if len(path) == 1:
        if vr == "SQ" and index is not None:  # Seq[n] alone: make sure items 0..n exist
            items = _items(container, tag, key)
            if index == "*":
                return
            while len(items) <= index:
                items.append({})
            return
        container[tag] = (vr, value)
        return
    items = _items(container, tag, key)
    if index == "*":
        if not items:
            raise AttributeValueError(f"--key {key!r}: {dictionary.keyword_of(tag)} has no items for [*]")
        for item in items:
            _apply(item, path[1:], value, key)
        return
    while len(items) <= index:  # dcmodify creates missing items (and those before them)
        items.append({})
    _apply(items[index], path[1:], value, key)


def _items(container: dict, tag: int, key: str) -> list:
    entry = container.get(tag)
    if entry is None:
        container[tag] = ("SQ", [])
        return container[tag][1]
    vr, items = entry
    if vr != "SQ" or not isinstance(items, list):
        raise AttributeValueError(f"--key {key!r}: {dictionary.keyword_of(tag)} is not a sequence here")
    items = [dict(item) for item in items]  # copies: a template's items are shared between uses
    container[tag] = ("SQ", items)
    return items
