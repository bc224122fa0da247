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
_IOV_MAX = 1024           # os.writev takes at most IOV_MAX buffers per call (POSIX minimum 16; Linux 1024)
_BATCH_BYTES = 64 << 20   # a lazily produced stream is written in batches of about this size


def write_atomic(path: str | os.PathLike, chunks: Iterable[bytes | bytearray | memoryview]) -> None:
    """Write ``chunks`` to ``path`` via a temporary file in the same folder and ``os.replace``.

    The chunks are written with ``os.writev`` (no joining, no buffered file object); an iterator
    may produce them lazily (they are written in batches, not all held). On any failure — also an
    exception raised while producing the chunks — the temporary file (``.NAME.PID.N.tmp``) is
    removed and an OSError becomes an :class:`OutputError` naming ``path``; an existing file at
    ``path`` is left untouched.
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
            batch: list = []
            size = 0
            for chunk in chunks:
                n = len(chunk) if isinstance(chunk, bytes) else memoryview(chunk).nbytes
                if not n:
                    continue
                batch.append(chunk)
                size += n
                if len(batch) >= _IOV_MAX or size >= _BATCH_BYTES:
                    _writev_all(fd, batch, size)
                    batch, size = [], 0
            if batch:
                _writev_all(fd, batch, size)
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


def _writev_all(fd: int, chunks: list, total: int) -> None:
    """``os.writev`` until all of ``chunks`` (``total`` bytes) is written."""
    written = os.writev(fd, chunks)
    if written == total:  # the usual case: one call
        return
    views = [memoryview(c).cast("B") for c in chunks]
    while views:
        while views and written >= len(views[0]):
            written -= len(views[0])
            views.pop(0)
        if views and written:
            views[0] = views[0][written:]
        if views:
            written = os.writev(fd, views)
