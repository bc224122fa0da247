"""UID generation (PS3.5 9 and Annex B).

Without a root, UIDs are derived from a random (version 4) UUID under the ``2.25`` arc
(PS3.5 B.2), which needs no registered root. With a root, a random decimal suffix is appended so
that the UID is at most 64 characters.
"""
from __future__ import annotations

import os

#: Implementation Class UID of dicomconv (PS3.7 D.3.3.2): a fixed 2.25 UUID-derived UID.
IMPLEMENTATION_CLASS_UID = "2.25.196282310948237465096745431285764409233"
IMPLEMENTATION_VERSION_NAME = "DICOMCONV_010"


def is_valid_uid(uid: str) -> bool:
    """True if ``uid`` is a syntactically valid UID (PS3.5 9.1): digits and dots, no leading
    zeros in a component, at most 64 characters."""
    if not 0 < len(uid) <= 64:
        return False
    return all(part.isdigit() and part.isascii() and (part == "0" or part[0] != "0") for part in uid.split("."))


_MIN_39_DIGITS = 10 ** 38


def new_uids(count: int, root: str | None = None) -> list[str]:
    """``count`` new UIDs as :func:`new_uid` makes them, from one call for random bytes."""
    if root is not None or count == 0:
        return [new_uid(root) for _ in range(count)]
    pool = os.urandom(16 * count)
    out = []
    for i in range(count):
        rand = bytearray(pool[16 * i:16 * i + 16])
        rand[6] = (rand[6] & 0x0F) | 0x40  # UUID version 4 (RFC 4122 4.4)
        rand[8] = (rand[8] & 0x3F) | 0x80  # RFC 4122 variant
        number = int.from_bytes(rand, "big")
        out.append("2.25." + str(number) if number >= _MIN_39_DIGITS else new_uid())
    return out


def new_uid(root: str | None = None) -> str:
    """A new, globally unique UID, always of the same length for a given root (so that datasets
    can be patched in place, see :class:`dicomconv.iod.DatasetTemplate`).

    Parameters
    ----------
    root : str, optional
        An organisation root (e.g. ``"1.2.826.0.1.3680043.10.999"``) of at most 40 characters,
        which leaves a random suffix of at least 23 digits (about 76 bits). ``None`` uses
        ``2.25.<uuid4 as integer>`` (PS3.5 B.2), always 44 characters: UUIDs whose integer has
        fewer than 39 digits are drawn again.
    """
    if root is None:
        while True:
            rand = bytearray(os.urandom(16))
            rand[6] = (rand[6] & 0x0F) | 0x40  # UUID version 4 (RFC 4122 4.4)
            rand[8] = (rand[8] & 0x3F) | 0x80  # RFC 4122 variant
            number = int.from_bytes(rand, "big")
            if number >= _MIN_39_DIGITS:
                return "2.25." + str(number)
    root = root.rstrip(".")
    if not is_valid_uid(root) or len(root) > 40:
        raise ValueError(f"invalid UID root {root!r}: digits and dots, at most 40 characters")
    room = 64 - len(root) - 1
    while True:
        digits = str(int.from_bytes(os.urandom(32), "big"))  # no leading zero
        if len(digits) >= room:
            return f"{root}.{digits[:room]}"
