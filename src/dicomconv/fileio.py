"""Reading inputs and writing outputs atomically: a temporary file in the destination folder,
renamed over the destination only once it is complete, so no partial output is ever left."""
from __future__ import annotations

import os
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

from .errors import InputError, OutputError


def read_input(path: str | os.PathLike) -> bytes:
    """The whole file as bytes; an :class:`InputError` naming the file if it cannot be read."""
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except IsADirectoryError:
        raise InputError(f"{os.fspath(path)}: is a directory, not a file") from None
    except OSError as exc:
        raise InputError(f"{os.fspath(path)}: cannot read: {exc.strerror or exc}") from None


def write_atomic(path: str | os.PathLike, chunks: Iterable[bytes | memoryview]) -> None:
    """Write ``chunks`` to ``path`` via a temporary file and ``os.replace``.

    On any failure the temporary file is removed and an :class:`OutputError` naming ``path`` is
    raised; an existing file at ``path`` is left untouched.
    """
    path = os.fspath(path)
    folder, name = os.path.split(path)
    tmp = os.path.join(folder, f".{name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
        if os.path.isdir(path):
            raise IsADirectoryError(21, "Is a directory")
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from None
        raise
