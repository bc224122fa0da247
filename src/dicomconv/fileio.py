"""Reading inputs and writing outputs atomically: a temporary file in the destination folder,
renamed over the destination only once it is complete, so no partial output is ever left."""
from __future__ import annotations

import itertools
import os
import stat
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

from .errors import InputError, OutputError


def read_input(path: str | os.PathLike) -> bytes:
    """The whole file as bytes; an :class:`InputError` naming the file if it cannot be read."""
    data, _ = read_input_stat(path)
    return data


def read_input_stat(path: str | os.PathLike) -> tuple[bytes, os.stat_result]:
    """The whole file as bytes, and its ``os.stat_result`` (one open, one fstat, one read)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise InputError(f"{os.fspath(path)}: cannot read: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise InputError(f"{os.fspath(path)}: is a directory, not a file")
        size = st.st_size
        data = os.read(fd, size + 1) if size > 0 else b""
        if len(data) != size:  # grown, shrunk, or not a regular file: read the rest the slow way
            rest = [data]
            while chunk := os.read(fd, 1 << 20):
                rest.append(chunk)
            data = b"".join(rest)
        return data, st
    except OSError as exc:
        raise InputError(f"{os.fspath(path)}: cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def is_same_file(st: os.stat_result, path: str | os.PathLike) -> bool:
    """True if ``path`` exists and is the file ``st`` describes."""
    if not os.access(path, os.F_OK):  # no exception to raise and catch in the usual case
        return False
    try:
        other = os.stat(path)
    except OSError:
        return False
    return other.st_ino == st.st_ino and other.st_dev == st.st_dev


_temp_counter = itertools.count()
_IOV_MAX = 1024  # os.writev takes at most IOV_MAX buffers per call (POSIX minimum 16; Linux 1024)


def write_atomic(path: str | os.PathLike, chunks: Iterable[bytes | memoryview]) -> None:
    """Write ``chunks`` to ``path`` via a temporary file in the same folder and ``os.replace``.

    The chunks are written with ``os.writev`` (no joining, no buffered file object). On any
    failure the temporary file is removed and an :class:`OutputError` naming ``path`` is raised;
    an existing file at ``path`` is left untouched.
    """
    path = os.fspath(path)
    folder, name = os.path.split(path)
    tmp = os.path.join(folder, f".{name}.{os.getpid()}.{next(_temp_counter)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from None
    try:
        try:
            chunks = [c for c in chunks if len(c)]
            total = sum(map(len, chunks))
            written = os.writev(fd, chunks[:_IOV_MAX]) if chunks else 0
            if written != total:  # a partial write (or more than IOV_MAX chunks): finish plainly
                rest = memoryview(b"".join(bytes(c) for c in chunks))[written:]
                while rest:
                    rest = rest[os.write(fd, rest):]
        finally:
            os.close(fd)
        os.replace(tmp, path)  # fails with IsADirectoryError onto a folder
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from None
        raise
