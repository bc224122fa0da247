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


def new_uid(root: str | None = None) -> str:
    """A new, globally unique UID.

    Parameters
    ----------
    root : str, optional
        An organisation root (e.g. ``"1.2.826.0.1.3680043.10.999"``); at most 56 characters so
        that a suffix of at least 7 digits fits. ``None`` uses ``2.25.<uuid4 as integer>``.
    """
    rand = bytearray(os.urandom(16))
    if root is None:
        rand[6] = (rand[6] & 0x0F) | 0x40  # UUID version 4 (RFC 4122 4.4)
        rand[8] = (rand[8] & 0x3F) | 0x80  # RFC 4122 variant
        return "2.25." + str(int.from_bytes(rand, "big"))
    root = root.rstrip(".")
    if not is_valid_uid(root) or len(root) > 56:
        raise ValueError(f"invalid UID root {root!r}: digits and dots, at most 56 characters")
    room = 64 - len(root) - 1
    suffix = str(int.from_bytes(rand, "big"))[:room].lstrip("0") or "1"
    return f"{root}.{suffix}"
