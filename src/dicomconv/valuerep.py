"""Checks of attribute values against their Value Representation (PS3.5 6.2).

Used for values the user gives (``--key``), so that a bad value is an error naming the attribute
instead of an invalid file.
"""
from __future__ import annotations

import re

# VR: (maximum length per value in characters or None, regular expression per value or None)
_TEXT_RULES: dict[str, tuple[int | None, re.Pattern[str] | None]] = {
    "AE": (16, None),
    "AS": (4, re.compile(r"^[0-9]{3}[DWMY]$")),
    "CS": (16, re.compile(r"^[A-Z0-9_ ]*$")),
    "DA": (8, re.compile(r"^[0-9]{8}$")),
    "DS": (16, re.compile(r"^ *[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)? *$")),
    "DT": (26, re.compile(r"^[0-9]{4}([0-9]{2}([0-9]{2}([0-9]{2}([0-9]{2}([0-9]{2}(\.[0-9]{1,6})?)?)?)?)?)?([+-][0-9]{4})?$")),
    "IS": (12, re.compile(r"^ *[+-]?[0-9]+ *$")),
    "LO": (64, None),
    "LT": (10240, None),
    "PN": (None, None),
    "SH": (16, None),
    "ST": (1024, None),
    "TM": (14, re.compile(r"^[0-9]{2}([0-9]{2}([0-9]{2}(\.[0-9]{1,6})?)?)?$")),
    "UC": (None, None),
    "UI": (64, re.compile(r"^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$")),
    "UR": (None, None),
    "UT": (None, None),
}
_SINGLE_VALUED = {"LT", "ST", "UT", "UR"}
_INT_RANGES = {"US": (0, 0xFFFF), "SS": (-0x8000, 0x7FFF), "UL": (0, 0xFFFFFFFF), "SL": (-0x80000000, 0x7FFFFFFF)}


def check_value(name: str, vr: str, value: str) -> str | list[int] | int:
    """Validate a textual value for ``vr``; return the value to store.

    Text VRs return the string (multiple values separated by backslash); US/SS/UL/SL return an
    int or a list of ints. Raises ``ValueError`` with a message naming ``name``.
    """
    if vr in _INT_RANGES:
        lo, hi = _INT_RANGES[vr]
        out = []
        for part in value.split("\\") if value else []:
            try:
                number = int(part)
            except ValueError:
                raise ValueError(f"{name}: {part!r} is not an integer ({vr})") from None
            if not lo <= number <= hi:
                raise ValueError(f"{name}: {number} is out of range for {vr} ({lo}..{hi})")
            out.append(number)
        return out[0] if len(out) == 1 else out
    rule = _TEXT_RULES.get(vr)
    if rule is None:
        raise ValueError(f"{name}: values of VR {vr} cannot be given as text")
    max_len, pattern = rule
    if "\n" in value and vr not in ("LT", "ST", "UT"):
        raise ValueError(f"{name}: control characters are not allowed in {vr}")
    values = [value] if vr in _SINGLE_VALUED else value.split("\\")
    for item in values:
        if not item:
            continue
        if max_len is not None and len(item) > max_len:
            raise ValueError(f"{name}: {item!r} is longer than the {max_len} characters {vr} allows")
        if vr == "PN":
            for group in item.split("="):
                if len(group) > 64:
                    raise ValueError(f"{name}: a PN component group is longer than 64 characters")
        if pattern is not None and not pattern.match(item):
            raise ValueError(f"{name}: {item!r} is not a valid {vr} value")
    return value
