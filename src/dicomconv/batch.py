"""Batch conversion: a folder tree of inputs → the same tree of DICOM files, on a worker pool.

The API behind ``dicomconv batch <sub-command> SRC_DIR DST_DIR``::

    from dicomconv.batch import run_batch
    summary = run_batch("photos", "dicom", Img2DcmOptions(), jobs=4, report="report.jsonl")
    summary.exit_code        # 0 all ok, 3 some failed

How a run goes:

1. **Plan** (:func:`plan`, in the calling process, read-only): the source tree is listed
   (``patterns`` matched case-insensitively against file names, hidden files and folders
   skipped, symlinked folders not followed, a destination inside the source pruned; a
   matching dangling symlink is an input, which fails with the reason); each input
   is given its output, the same relative path with the converter's extension (``a/b.jpg`` →
   ``a/b.dcm``); each destination folder is listed once, to skip outputs that exist (unless
   ``overwrite``), to catch two inputs with the same output (``x.jpg`` and ``x.jpeg``: the
   second one fails, the first is converted) and to find temporary files of killed runs.
2. **Stale temporary files**: outputs are written through ``.NAME.PID.N.tmp`` and renamed
   (:func:`dicomconv.fileio.write_atomic`), so a run killed even with SIGKILL never leaves a
   partial file at a final name, only such a temporary file. A later run removes those in the
   destination folders it lists whose NAME ends in the output extension and whose PID is not a
   running process (a zombie, as killed workers stay until init reaps them, counts as dead); a
   temporary file of a live process (a concurrent run, or a reused PID) is left alone and is
   harmless: hidden, never an input, never at a final name.
3. **Convert**: ``jobs == 1`` runs a plain loop over ``convert_file`` in this process;
   otherwise a ``ProcessPoolExecutor`` gets chunks of (index, source, destination) paths —
   never file data — and sends back small (index, status, error, seconds) tuples. A worker
   that dies (a crash in native code) breaks only the pool, not the batch: the chunks that
   were in flight are re-run one file at a time to find the file that kills a worker, which
   is then reported as failed; the rest continue. The pool forks (Linux, when no other thread
   runs) or uses the platform's start method.
4. **Results are data**: every input gives one :class:`Result` (converted / skipped / failed
   with the one-line error and the seconds it took), streamed to an optional report
   (``.csv`` → CSV, anything else → JSON Lines) and to ``on_result``; the returned
   :class:`Summary` has the counts and the failures. Nothing but a missing source folder or
   an unwritable report stops a batch. Ctrl-C stops it: the files being converted are
   finished (complete outputs, maybe missing from the report: a re-run reports them as
   skipped), the report is closed, the summary says INTERRUPTED.

Workers keep no state besides the converter and options set by the pool initializer (the
per-process caches of JPEG descriptions and dataset templates are safe in forked workers;
UIDs come from ``os.urandom``, which never repeats across forked processes).
"""
from __future__ import annotations

import os
import sys
import time

from .errors import EXIT_CANNOT_READ_INPUT, DicomconvError, InputError, OutputError

# the in-memory conversion of img2dcm, under the name every converter module uses
from .img2dcm import convert_bytes  # noqa: F401

#: Exit code of a batch in which some file failed (the batch itself ran to the end; see the
#: report). 0: every file converted or skipped; 1: usage; 2: the Dask backend cannot be used;
#: 20: SRC_DIR cannot be read; 40: the report cannot be written; 130: interrupted.
EXIT_SOME_FAILED = 3
EXIT_INTERRUPTED = 130

CONVERTED, SKIPPED, FAILED = "converted", "skipped", "failed"


class SourceFolderError(InputError):
    """The source folder does not exist, is not a folder or cannot be listed (exit code 20)."""

    exit_code = EXIT_CANNOT_READ_INPUT


class Converter:
    """What ``batch`` needs to know about a sub-command: the default file-name ``patterns``, the
    output ``extension`` and ``target``, ``"module:function"`` (a function ``f(src, dst,
    options)`` writing ``dst`` atomically and raising :class:`DicomconvError`) or a module-level
    function (picklable by reference); ``options``: ``"module:Class"`` of its options, whose
    defaults are made once per run when no options are given (not once per file)."""

    __slots__ = ("name", "patterns", "extension", "target", "options")

    def __init__(self, name: str, patterns: tuple[str, ...], extension: str, target, options=None) -> None:
        self.name, self.patterns, self.extension, self.target = name, tuple(patterns), extension, target
        self.options = options

    def resolve(self):
        return resolve_target(self.target)

    def default_options(self, options=None):
        """``options``, or the converter's default options if None."""
        if options is None and self.options is not None:
            return resolve_target(self.options)()
        return options

    def __repr__(self) -> str:
        return f"Converter({self.name!r}, {self.patterns!r}, {self.extension!r}, {self.target!r})"


def resolve_target(target):
    """The conversion function for a ``"module:function"`` string (or the callable itself)."""
    if callable(target):
        return target
    module, _, function = target.partition(":")
    return getattr(__import__(module, fromlist=[function]), function)


#: Sub-commands ``batch`` can run.
CONVERTERS = {
    # every image format img2dcm detects by its magic bytes (raw input has no extension of its own)
    "img2dcm": Converter("img2dcm", ("*.jpg", "*.jpeg", "*.jls", "*.j2k", "*.j2c", "*.jp2", "*.jph", "*.bmp",
                                     "*.png", "*.tif", "*.tiff", "*.pgm", "*.ppm", "*.pbm", "*.pnm"),
                         ".dcm", "dicomconv.img2dcm:convert_file",
                         "dicomconv.img2dcm:Img2DcmOptions"),
}


def get_converter(converter: str | Converter) -> Converter:
    if isinstance(converter, Converter):
        return converter
    try:
        return CONVERTERS[converter]
    except KeyError:
        raise ValueError(f"batch cannot run {converter!r} (it can run {', '.join(CONVERTERS)})") from None


def default_jobs() -> int:
    """The number of cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


# ------------------------------------------------------------------------------------ results

class Result:
    """One input's outcome: ``source``, ``destination``, ``status`` ("converted", "skipped",
    "failed"), ``error`` (one line, or None), ``seconds`` (time spent on it) and ``size`` (input
    bytes). ``ok`` is True unless it failed."""

    __slots__ = ("source", "destination", "status", "error", "seconds", "size")

    FIELDS = ("source", "destination", "status", "ok", "error", "seconds", "bytes")

    def __init__(self, source: str, destination: str | None, status: str, error: str | None = None,
                 seconds: float = 0.0, size: int = 0) -> None:
        self.source, self.destination, self.status = source, destination, status
        self.error, self.seconds, self.size = error, seconds, size

    @property
    def ok(self) -> bool:
        return self.status != FAILED

    def as_dict(self) -> dict:
        """The report record: {source, destination, status, ok, error, seconds, bytes}."""
        return {"source": self.source, "destination": self.destination, "status": self.status,
                "ok": self.status != FAILED, "error": self.error, "seconds": round(self.seconds, 6),
                "bytes": self.size}

    @classmethod
    def from_dict(cls, record: dict) -> Result:
        return cls(record["source"], record["destination"], record["status"], record["error"],
                   record["seconds"], record["bytes"])

    def __repr__(self) -> str:
        error = f": {self.error}" if self.error else ""
        return f"Result({self.source!r} -> {self.destination!r}: {self.status}{error})"


class Summary:
    """Counts of a finished (or interrupted) batch and its failures (:class:`Result` list)."""

    def __init__(self) -> None:
        self.converted = self.skipped = self.failed = 0
        self.bytes = 0                 # input bytes of the converted files
        self.seconds = 0.0             # wall time of the whole run
        self.failures: list[Result] = []
        self.removed_temp: list[str] = []
        self.interrupted = False

    @property
    def total(self) -> int:
        return self.converted + self.skipped + self.failed

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return EXIT_INTERRUPTED
        return EXIT_SOME_FAILED if self.failed else 0

    def add(self, result: Result) -> None:
        status = result.status
        if status == CONVERTED:
            self.converted += 1
            self.bytes += result.size
        elif status == SKIPPED:
            self.skipped += 1
        else:
            self.failed += 1
            self.failures.append(result)

    def line(self) -> str:
        """``N files: a converted, b skipped, c failed; X MB in T s (R files/s)``."""
        rate = self.converted / self.seconds if self.seconds > 0 else 0.0
        text = (f"{self.total} file{'s' if self.total != 1 else ''}: {self.converted} converted, "
                f"{self.skipped} skipped, {self.failed} failed; {self.bytes / 1e6:.1f} MB in "
                f"{self.seconds:.2f} s ({rate:.0f} files/s)")
        if self.removed_temp:
            text += f"; removed {len(self.removed_temp)} stale temporary file(s)"
        return text + ("; INTERRUPTED" if self.interrupted else "")


# ---------------------------------------------------------------------------------- discovery

def _matcher(patterns):
    """A predicate on (name, relative path) for comma-separable fnmatch ``patterns``, matched
    case-insensitively; a pattern with a ``/`` is matched against the relative path."""
    import fnmatch
    import re

    names, paths = [], []
    for item in patterns:
        for pattern in item.split(","):
            pattern = pattern.strip()
            if pattern:
                (paths if "/" in pattern else names).append(fnmatch.translate(pattern))
    name_re = re.compile("|".join(names), re.IGNORECASE).match if names else None
    path_re = re.compile("|".join(paths), re.IGNORECASE).match if paths else None
    if path_re is None:
        return lambda name, rel: name_re(name) is not None
    return lambda name, rel: (name_re is not None and name_re(name) is not None) or path_re(rel) is not None


def discover(src_dir: str | os.PathLike, patterns=None, recursive: bool = True, exclude=(),
             errors: list | None = None) -> list[tuple[str, list[tuple[str, int]]]]:
    """The input files under ``src_dir``: ``[(relative folder, [(file name, size), ...]), ...]``,
    folders depth-first and names sorted (a stable order for the same tree).

    Hidden entries (name starting with ".") are skipped, symlinked folders are not followed
    (symlinked files are read), folders in ``exclude`` (e.g. a destination inside the source)
    are pruned. A sub-folder that cannot be listed is appended to ``errors`` as a failed
    :class:`Result` (raises :class:`InputError` for ``src_dir`` itself).
    """
    src_dir = os.fspath(src_dir)
    match = _matcher(patterns or CONVERTERS["img2dcm"].patterns)
    pruned = set()
    for folder in exclude:
        try:
            st = os.stat(folder)
            pruned.add((st.st_dev, st.st_ino))
        except OSError:
            pass
    out: list = []

    def walk(folder: str, rel: str) -> None:
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            if not rel:
                raise SourceFolderError(f"{src_dir}: cannot list the source folder: {exc.strerror or exc}") from None
            if errors is not None:
                errors.append(Result(folder, None, FAILED, f"{folder}: cannot list folder: {exc.strerror or exc}"))
            return
        files, subdirs = [], []
        for entry in entries:
            name = entry.name
            if name[0] == ".":
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    if recursive:
                        subdirs.append(entry)
                elif entry.is_file():
                    relpath = f"{rel}/{name}" if rel else name
                    if match(name, relpath):
                        files.append((name, entry.stat().st_size))
                elif entry.is_symlink() and match(name, f"{rel}/{name}" if rel else name):
                    files.append((name, 0))  # dangling: an input that fails, with the reason
            except OSError:  # vanished, or a dangling symlink that matches: let conversion say why
                relpath = f"{rel}/{name}" if rel else name
                if match(name, relpath) and not entry.is_dir(follow_symlinks=False):
                    files.append((name, 0))
        if files:
            out.append((rel, files))
        for entry in subdirs:
            if pruned:
                st = entry.stat(follow_symlinks=False)
                if (st.st_dev, st.st_ino) in pruned:
                    continue
            walk(entry.path, f"{rel}/{entry.name}" if rel else entry.name)

    if not os.path.isdir(src_dir):
        raise SourceFolderError(f"{src_dir}: the source is not a folder" if os.path.exists(src_dir)
                         else f"{src_dir}: the source folder does not exist")
    walk(src_dir, "")
    return out


# -------------------------------------------------------------------------------------- plan

class Plan:
    """What a batch will do. ``tasks``: ``[(source, destination), ...]`` to convert, with
    ``sizes`` (input bytes); ``decided``: :class:`Result` s known without converting (skipped
    because the output exists, two inputs for one output, unlistable folders); ``stale_temp``:
    temporary files of killed runs to remove; ``found``: number of inputs discovered."""

    def __init__(self) -> None:
        self.tasks: list[tuple[str, str]] = []
        self.sizes: list[int] = []
        self.decided: list[Result] = []
        self.stale_temp: list[str] = []
        self.found = 0

    def remove_stale_temp(self) -> list[str]:
        """Remove the stale temporary files (those still there); returns the ones removed."""
        removed = []
        for path in self.stale_temp:
            try:
                os.unlink(path)
                removed.append(path)
            except FileNotFoundError:
                pass
            except OSError:
                pass  # cannot remove: it stays hidden and ignored
        return removed


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: exists, someone else's
        pass
    # A killed process stays a zombie until its parent (for orphaned workers: init, which in a
    # container may be slow to reap) collects it; it writes nothing any more.
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            state = fh.read().rpartition(b")")[2].split()[0]
        return state not in (b"Z", b"X")
    except (OSError, IndexError):
        return True


def plan(src_dir: str | os.PathLike, dst_dir: str | os.PathLike, converter: str | Converter = "img2dcm",
         patterns=None, recursive: bool = True, overwrite: bool = False) -> Plan:
    """List the source tree and decide every input's fate (see the module docstring, step 1).
    Nothing is written."""
    conv = get_converter(converter)
    src_dir, dst_dir = os.fspath(src_dir), os.fspath(dst_dir)
    errors: list[Result] = []
    groups = discover(src_dir, patterns or conv.patterns, recursive, exclude=(dst_dir,), errors=errors)
    result = _plan_groups(groups, src_dir, dst_dir, conv, overwrite)
    result.decided[:0] = errors
    return result


def plan_paths(paths, dst_dir: str | os.PathLike, converter: str | Converter = "img2dcm",
               src_root: str | os.PathLike | None = None, overwrite: bool = False) -> Plan:
    """Like :func:`plan` for a given list of input files: each is mirrored under ``dst_dir`` by
    its path relative to ``src_root`` (default: the inputs' common folder). An input outside
    ``src_root`` is a failed :class:`Result`."""
    conv = get_converter(converter)
    paths = [os.fspath(p) for p in paths]
    dst_dir = os.fspath(dst_dir)
    if src_root is None:
        src_root = os.path.commonpath([os.path.dirname(os.path.abspath(p)) for p in paths]) if paths else "."
    root = os.path.abspath(src_root)
    groups: dict[str, list] = {}
    outside: list[Result] = []
    for path in paths:
        folder, name = os.path.split(os.path.abspath(path))
        rel = os.path.relpath(folder, root)
        if rel == os.pardir or rel.startswith(os.pardir + os.sep):
            outside.append(Result(path, None, FAILED, f"{path}: is not under the source folder {src_root}"))
            continue
        try:
            size = os.stat(path).st_size
        except OSError:
            size = 0  # the conversion will say why
        groups.setdefault("" if rel == os.curdir else rel, []).append((name, size))
    result = _plan_groups(list(groups.items()), root, dst_dir, conv, overwrite)
    result.decided[:0] = outside
    return result


def _plan_groups(groups, src_dir: str, dst_dir: str, conv: Converter, overwrite: bool) -> Plan:
    import re

    result = Plan()
    ext = conv.extension
    temp_re = re.compile(r"\.(.+)\.(\d+)\.\d+\.tmp\Z", re.DOTALL)
    alive: dict[int, bool] = {}
    tasks, sizes, decided = result.tasks, result.sizes, result.decided
    join = os.path.join
    for rel, files in groups:
        src_folder = join(src_dir, rel) if rel else src_dir
        dst_folder = join(dst_dir, rel) if rel else dst_dir
        src_prefix, dst_prefix = join(src_folder, ""), join(dst_folder, "")
        existing: set[str] = set()
        try:
            with os.scandir(dst_folder) as it:
                for entry in it:
                    name = entry.name
                    if name[0] == "." and name.endswith(".tmp"):
                        m = temp_re.match(name)
                        if m and m.group(1).endswith(ext):
                            pid = int(m.group(2))
                            if pid not in alive:
                                alive[pid] = _pid_alive(pid)
                            if not alive[pid]:
                                result.stale_temp.append(entry.path)
                        continue
                    existing.add(name)
        except OSError:
            pass  # does not exist yet (or cannot be listed: conversion will say why)
        first: dict[str, str] = {}
        for name, size in files:
            result.found += 1
            src = src_prefix + name
            dot = name.rfind(".")
            out_name = (name[:dot] if dot > 0 else name) + ext
            dst = dst_prefix + out_name
            other = first.get(out_name)
            if other is not None:
                decided.append(Result(src, dst, FAILED, f"{src}: its output {dst} is also the output of {other}; "
                                                        "rename one of them", 0.0, size))
                continue
            first[out_name] = src
            if not overwrite and out_name in existing:
                decided.append(Result(src, dst, SKIPPED, None, 0.0, size))
                continue
            tasks.append((src, dst))
            sizes.append(size)
    return result


# --------------------------------------------------------------------------------- execution

def _run_tasks(tasks, convert, options, overwrite: bool):
    """Convert ``(index, src, dst)`` tasks, yielding ``(index, status, error, seconds)`` for each.
    The same loop runs in-process (-j 1), in pool workers and in Dask workers."""
    perf = time.perf_counter
    made: set[str] = set()
    for index, src, dst in tasks:
        t0 = perf()
        try:
            folder = os.path.dirname(dst)
            if folder not in made:
                if folder:
                    try:
                        os.makedirs(folder, exist_ok=True)
                    except OSError as exc:
                        raise OutputError(f"{dst}: cannot create the folder: {exc.strerror or exc}") from None
                made.add(folder)
            if not overwrite and os.path.lexists(dst):  # appeared since the plan (or a lazy Dask bag)
                yield index, SKIPPED, None, perf() - t0
                continue
            convert(src, dst, options)
        except DicomconvError as exc:
            yield index, FAILED, " ".join(str(exc).split()), perf() - t0
            continue
        except Exception as exc:  # a bug must not stop the batch: it is reported with the file
            yield index, FAILED, f"{src}: internal error: {type(exc).__name__}: {exc}", perf() - t0
            continue
        yield index, CONVERTED, None, perf() - t0


_WORKER: dict = {}


def _init_worker(target, options, overwrite: bool) -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _WORKER["args"] = (resolve_target(target), options, overwrite)


def _work_chunk(chunk) -> list[tuple]:
    convert, options, overwrite = _WORKER["args"]
    return list(_run_tasks(chunk, convert, options, overwrite))


def _mp_context():
    """fork where it is safe (Linux, no other thread running: a forked child starts at once
    and inherits the imported modules), else the platform's default."""
    import multiprocessing
    import threading

    if sys.platform.startswith("linux") and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def _pool_results(indexed, target, options, overwrite: bool, jobs: int, chunksize: int | None):
    """Yield (index, status, error, seconds) for ``indexed`` tasks from a process pool; see the
    module docstring (step 3) for what happens when a worker dies."""
    from collections import deque
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    if chunksize is None:
        chunksize = max(1, min(32, len(indexed) // (jobs * 12)))
    chunks = deque(indexed[i:i + chunksize] for i in range(0, len(indexed), chunksize))
    window = 3 * jobs  # chunks in flight: enough to keep every worker busy, few to re-run on a crash
    ctx = _mp_context()

    def new_pool(workers):
        return ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker,
                                   initargs=(target, options, overwrite))

    while chunks:
        suspects: list = []
        pool = new_pool(min(jobs, len(chunks)))
        pending: dict = {}
        try:
            while chunks or pending:
                while chunks and len(pending) < window:
                    chunk = chunks.popleft()
                    pending[pool.submit(_work_chunk, chunk)] = chunk
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    chunk = pending.pop(future)
                    try:
                        results = future.result()
                    except BrokenProcessPool:
                        suspects.extend(chunk)
                        continue
                    except Exception as exc:  # e.g. an option that does not pickle
                        results = [(i, FAILED, f"{src}: internal error: {type(exc).__name__}: {exc}", 0.0)
                                   for i, src, _ in chunk]
                    yield from results
                if suspects:
                    for chunk in pending.values():
                        suspects.extend(chunk)
                    pending.clear()
                    break
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        if suspects:  # one at a time, each in a fresh worker after a crash, to find the culprit(s)
            pool = new_pool(1)
            try:
                for task in suspects:
                    try:
                        yield from pool.submit(_work_chunk, [task]).result()
                    except BrokenProcessPool:
                        yield (task[0], FAILED, f"{task[1]}: the worker process converting it died "
                                                "(crashed or was killed)", 0.0)
                        pool.shutdown(wait=True)
                        pool = new_pool(1)
            finally:
                pool.shutdown(wait=True, cancel_futures=True)


def iter_results(tasks, options=None, converter: str | Converter = "img2dcm", jobs: int = 1,
                 overwrite: bool = False, sizes=None, chunksize: int | None = None):
    """Convert ``[(source, destination), ...]`` and yield a :class:`Result` for each, in
    completion order: in this process for ``jobs == 1``, else on a pool of ``jobs`` processes."""
    conv = get_converter(converter)
    options = conv.default_options(options)
    sizes = sizes if sizes is not None else [0] * len(tasks)
    if jobs <= 1 or len(tasks) <= 1:
        # in-process: the plain loop, one file at a time (results stream, Ctrl-C stops at once)
        indexed = ((i, src, dst) for i, (src, dst) in enumerate(tasks))
        for i, status, error, seconds in _run_tasks(indexed, conv.resolve(), options, overwrite):
            src, dst = tasks[i]
            yield Result(src, dst, status, error, seconds, sizes[i])
        return
    indexed = [(i, src, dst) for i, (src, dst) in enumerate(tasks)]
    for i, status, error, seconds in _pool_results(indexed, conv.target, options, overwrite,
                                                    min(jobs, len(tasks)), chunksize):
        src, dst = tasks[i]
        yield Result(src, dst, status, error, seconds, sizes[i])


# ------------------------------------------------------------------------ report and progress

class ReportWriter:
    """Streams results to ``path``: CSV if it ends in ``.csv`` (header row; ``ok`` as
    true/false, an empty error for none), else JSON Lines (one object per line)."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = os.fspath(path)
        self.csv = self.path.lower().endswith(".csv")
        try:
            folder = os.path.dirname(os.path.abspath(self.path))
            os.makedirs(folder, exist_ok=True)
            self.fh = open(self.path, "w", encoding="utf-8", newline="" if self.csv else None)
        except OSError as exc:
            raise OutputError(f"{self.path}: cannot write the report: {exc.strerror or exc}") from None
        self._last_flush = time.monotonic()
        if self.csv:
            import csv

            self._writer = csv.writer(self.fh)
            self._writer.writerow(Result.FIELDS)
        else:
            import json

            self._dumps = json.JSONEncoder(ensure_ascii=False).encode

    def write(self, result: Result) -> None:
        if self.csv:
            self._writer.writerow((result.source, result.destination or "", result.status,
                                   "true" if result.ok else "false", result.error or "",
                                   f"{result.seconds:.6f}", result.size))
        else:
            self.fh.write(self._dumps(result.as_dict()))
            self.fh.write("\n")
        now = time.monotonic()
        if now - self._last_flush > 1.0:  # a killed run keeps (almost) all of its report
            self.fh.flush()
            self._last_flush = now

    def close(self) -> None:
        self.fh.close()


def read_report(path: str | os.PathLike) -> list[dict]:
    """The records of a report written by :class:`ReportWriter` (``ok`` as bool, ``seconds`` as
    float, ``bytes`` as int, ``error`` None when empty, for CSV as for JSON Lines)."""
    path = os.fspath(path)
    with open(path, encoding="utf-8", newline="") as fh:
        if path.lower().endswith(".csv"):
            import csv

            rows = list(csv.DictReader(fh))
            return [{**row, "ok": row["ok"] == "true", "error": row["error"] or None,
                     "destination": row["destination"] or None,
                     "seconds": float(row["seconds"]), "bytes": int(row["bytes"])} for row in rows]
        import json

        return [json.loads(line) for line in fh if line.strip()]


class Progress:
    """A one-line progress bar on ``stream``: files, MB, files/s, ETA; redrawn at most 10 times
    a second; :meth:`clear` makes room for a message line."""

    def __init__(self, total_files: int, total_bytes: int, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.total_files, self.total_bytes = total_files, total_bytes
        self.files = self.bytes = 0
        self.start = self._drawn = time.monotonic()
        self._width = self._drawn_files = 0

    def update(self, result: Result) -> None:
        self.files += 1
        self.bytes += result.size
        now = time.monotonic()
        if now - self._drawn >= 0.1 or self.files == self.total_files:
            self._drawn = now
            self.draw(now)

    def draw(self, now: float | None = None) -> None:
        now = now or time.monotonic()
        elapsed = max(now - self.start, 1e-9)
        rate = self.files / elapsed
        left = self.total_files - self.files
        eta = left / rate if rate > 0 else 0.0
        eta_text = f"{int(eta // 3600)}:{int(eta % 3600 // 60):02d}:{int(eta % 60):02d}" if rate > 0 else "-:--:--"
        text = (f"{self.files}/{self.total_files} files  {self.bytes / 1e6:.1f}/{self.total_bytes / 1e6:.1f} MB  "
                f"{rate:.0f} files/s  ETA {eta_text}")
        try:
            columns = os.get_terminal_size(self.stream.fileno()).columns
        except (OSError, ValueError, AttributeError):
            columns = 100
        bar_width = max(0, min(40, columns - len(text) - 4))
        if bar_width >= 10:
            fill = int(bar_width * self.files / self.total_files) if self.total_files else bar_width
            text = f"[{'#' * fill}{'.' * (bar_width - fill)}] {text}"
        text = text[:max(columns - 1, 1)]
        self.stream.write("\r" + text + " " * max(0, self._width - len(text)))
        self.stream.flush()
        self._width = len(text)
        self._drawn_files = self.files

    def clear(self) -> None:
        """Blank the bar's line so that a message can be printed there; the next update (at
        most 0.1 s later) draws the bar again below it."""
        if self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0
            self._drawn = 0.0  # redraw at the next update

    def close(self) -> None:
        if self._width == 0 or self._drawn_files != self.files:
            self.draw()
        self.stream.write("\n")
        self.stream.flush()


# ------------------------------------------------------------------------------------ the run

def run_batch(src_dir: str | os.PathLike, dst_dir: str | os.PathLike, options=None, *,
              converter: str | Converter = "img2dcm", jobs: int | None = None, patterns=None,
              recursive: bool = True, overwrite: bool = False, report: str | os.PathLike | None = None,
              progress: bool = False, on_result=None, log=None, log_all: bool = False, executor=None,
              chunksize: int | None = None) -> Summary:
    """Convert every input under ``src_dir`` into the mirrored tree under ``dst_dir``.

    ``options``: the converter's options (``Img2DcmOptions``; None: defaults); ``jobs``: worker
    processes (None: :func:`default_jobs`; 1: in this process, no pool); ``patterns``: file-name
    patterns (default: the converter's; for img2dcm every image format it reads); ``overwrite``: convert
    even if the output exists (default: skip it, so a re-run does only what is left);
    ``report``: path of a ``.jsonl``/``.csv`` report; ``progress``: draw a progress bar on
    stderr; ``on_result(result)``: called for every :class:`Result`; ``log(result)``: called for
    each failure, with ``log_all`` for every result, when the progress bar's line has been
    cleared for a message; ``executor``: ``f(tasks, options,
    converter, overwrite, sizes)`` yielding :class:`Result` s, to run the conversions elsewhere
    (see :mod:`dicomconv.dask`).

    Raises :class:`InputError` (``src_dir`` is not a readable folder) or :class:`OutputError`
    (the report cannot be written); everything else is in the returned :class:`Summary`.
    KeyboardInterrupt stops the run (finished outputs stay; the report is closed) and is
    re-raised with the summary so far as ``exc.summary``.
    """
    start = time.perf_counter()
    conv = get_converter(converter)
    summary = Summary()
    the_plan = plan(src_dir, dst_dir, conv, patterns, recursive, overwrite)
    writer = ReportWriter(report) if report is not None else None
    bar = None
    try:
        summary.removed_temp = the_plan.remove_stale_temp()
        total = len(the_plan.tasks) + len(the_plan.decided)
        if progress and total:
            bar = Progress(total, sum(the_plan.sizes) + sum(r.size for r in the_plan.decided))

        def emit(result: Result) -> None:
            summary.add(result)
            if writer is not None:
                writer.write(result)
            if on_result is not None:
                on_result(result)
            if log is not None and (result.status == FAILED or log_all):
                if bar is not None:
                    bar.clear()
                log(result)
            if bar is not None:
                bar.update(result)

        for result in the_plan.decided:
            emit(result)
        if the_plan.tasks:
            if executor is not None:
                results = executor(the_plan.tasks, options, conv, overwrite, the_plan.sizes)
            else:
                results = iter_results(the_plan.tasks, options, conv, jobs or default_jobs(), overwrite,
                                       the_plan.sizes, chunksize)
            try:
                for result in results:
                    emit(result)
            finally:
                close = getattr(results, "close", None)
                if close is not None:
                    close()  # a generator's pool is shut down now, not when the traceback goes
    except KeyboardInterrupt as exc:
        summary.interrupted = True
        exc.summary = summary
        raise
    finally:
        summary.seconds = time.perf_counter() - start
        if bar is not None:
            bar.close()
        if writer is not None:
            writer.close()
    return summary
