"""``dicomconv batch`` and :mod:`dicomconv.batch` / :mod:`dicomconv.dask`: a tree of good and bad
inputs, reports, exit codes, kill -9 and resume, -j 1 vs -j 2, worker crashes, the Dask backend.

Outputs of two runs differ only in their UIDs and dates/times (random and time-based); they are
compared with those masked (:func:`assert_same_dicom`): every other element, the file meta and
the pixel data fragments must be equal, and so must the file sizes (UIDs and dates are of fixed
length).
"""
from __future__ import annotations

import csv
import io
import json
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import expected_stream, read_single_fragment, sample_image

pytest.importorskip("PIL.Image")
pydicom = pytest.importorskip("pydicom")

from dicomconv import batch  # noqa: E402
from dicomconv.batch import Converter, Result, read_report, run_batch  # noqa: E402
from dicomconv.img2dcm import Img2DcmOptions  # noqa: E402
from dicomconv.iod import DatasetOptions  # noqa: E402


def jpeg_bytes(size=(48, 32), mode="RGB", seed=0, **kw) -> bytes:
    buf = io.BytesIO()
    sample_image(*size, mode=mode, seed=seed).save(buf, "JPEG", **kw)
    return buf.getvalue()


def run_cli(*args, timeout=120, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dicomconv", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, **kw)


GOOD = {  # relative path -> JPEG parameters
    "top.jpg": dict(size=(64, 48)),
    "UPPER.JPG": dict(size=(40, 30), mode="L"),
    "a/one.jpeg": dict(size=(33, 17), quality=70),
    "a/two.jpg": dict(size=(64, 64), subsampling=0),
    "a/b/c/deep.jpg": dict(size=(16, 16), progressive=True),
    "a/b/c/deeper.jpg": dict(size=(50, 20), mode="L", quality=95),
    "z/last.jpg": dict(size=(20, 20)),
}
BAD = {  # relative path -> content
    "bad_truncated.jpg": None,             # filled in: a good JPEG cut in the middle of its scan
    "a/not_a_jpeg.jpg": b"GIF89a this is not a JPEG at all",
    "a/b/empty.jpeg": b"",
    "z/only_soi.jpg": b"\xff\xd8",
}
IGNORED = {  # present in the tree, not inputs
    "notes.txt": b"hello",
    "a/picture.gif": b"GIF89a",
    ".hidden.jpg": b"not looked at",
    ".git/objects/x.jpg": b"not looked at",
}


def out_rel(rel: str) -> str:
    return os.path.splitext(rel)[0] + ".dcm"


@pytest.fixture
def tree(tmp_path) -> Path:
    src = tmp_path / "src"
    for i, (rel, params) in enumerate(GOOD.items()):
        path = src / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(jpeg_bytes(seed=i, **params))
    for rel, content in {**BAD, **IGNORED}.items():
        path = src / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if content is None:
            good = jpeg_bytes((64, 64), seed=99)
            content = good[:len(good) // 2]
        path.write_bytes(content)
    return src


def tree_files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


# ------------------------------------------------------------------------ masked comparison

INSTANCE_UIDS = {"SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID", "MediaStorageSOPInstanceUID",
                 "FrameOfReferenceUID"}


def _masked(ds) -> dict:
    out = {}
    for elem in ds.iterall():
        if elem.keyword in INSTANCE_UIDS or elem.VR in ("DA", "TM", "DT"):
            out[elem.tag] = (elem.VR, "<masked>")
        elif elem.tag == 0x7FE00010:
            continue
        else:
            out[elem.tag] = (elem.VR, elem.value)
    return out


def assert_same_dicom(a: Path, b: Path) -> None:
    """Equal but for instance UIDs and dates/times; pixel data fragments byte-equal."""
    assert a.stat().st_size == b.stat().st_size, (a, b)
    da, fa = read_single_fragment(a)
    db_, fb = read_single_fragment(b)
    assert fa == fb
    assert _masked(da.file_meta) == _masked(db_.file_meta)
    assert _masked(da) == _masked(db_)
    for ds in (da, db_):
        assert ds.SOPInstanceUID == ds.file_meta.MediaStorageSOPInstanceUID


def check_outputs(src: Path, dst: Path, rels=GOOD) -> None:
    """Every good input has its output, holding the input's JPEG stream (APPn removed)."""
    for rel in rels:
        path = dst / out_rel(rel)
        assert path.is_file(), path
        ds, fragment = read_single_fragment(path)
        expected = expected_stream((src / rel).read_bytes())
        assert fragment == expected + b"\0" * (len(expected) % 2)


# ----------------------------------------------------------------------------------- the tree

def test_tree_outputs_report_and_exit_code(tree, tmp_path):
    dst, report = tmp_path / "dst", tmp_path / "report.jsonl"
    res = run_cli("batch", "img2dcm", tree, dst, "-j", "2", "--report", report)
    assert res.returncode == batch.EXIT_SOME_FAILED == 3, res.stderr
    # the mirrored tree: the good inputs, nothing else (no temp files, no outputs of bad inputs)
    assert tree_files(dst) == {out_rel(rel) for rel in GOOD}
    check_outputs(tree, dst)

    records = read_report(report)
    by_source = {Path(r["source"]).relative_to(tree).as_posix(): r for r in records}
    assert set(by_source) == set(GOOD) | set(BAD)            # one record per input, no others
    for rel in GOOD:
        r = by_source[rel]
        assert (r["status"], r["ok"], r["error"]) == ("converted", True, None)
        assert r["destination"] == str(dst / out_rel(rel)) and r["seconds"] >= 0
        assert r["bytes"] == (tree / rel).stat().st_size
    for rel in BAD:
        r = by_source[rel]
        assert r["status"] == "failed" and r["ok"] is False
        assert str(tree / rel) in r["error"] and "\n" not in r["error"]
    # one error line per failure, then the summary line; no traceback, no progress bar (no TTY)
    lines = res.stderr.strip().splitlines()
    assert "Traceback" not in res.stderr and "files/s  ETA" not in res.stderr
    assert sum("error:" in ln for ln in lines) == len(BAD)
    assert f"{len(GOOD) + len(BAD)} files: {len(GOOD)} converted, 0 skipped, {len(BAD)} failed" in lines[-1]


def test_report_csv_and_jsonl_agree(tree, tmp_path):
    res = run_cli("batch", "img2dcm", tree, tmp_path / "d1", "-j", "1", "--report", tmp_path / "r.csv")
    assert res.returncode == 3, res.stderr
    with open(tmp_path / "r.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["source", "destination", "status", "ok", "error", "seconds", "bytes"]
    assert len(rows) == 1 + len(GOOD) + len(BAD)
    assert {row[3] for row in rows[1:]} == {"true", "false"}

    res = run_cli("batch", "img2dcm", tree, tmp_path / "d2", "-j", "1", "--report", tmp_path / "r.jsonl")
    lines = (tmp_path / "r.jsonl").read_text().splitlines()
    assert all(isinstance(json.loads(ln), dict) for ln in lines)

    def key(records, dst):
        return sorted((r["source"], os.path.relpath(r["destination"], dst), r["status"], r["ok"], r["error"],
                       r["bytes"]) for r in records)
    assert key(read_report(tmp_path / "r.csv"), tmp_path / "d1") == key(read_report(tmp_path / "r.jsonl"),
                                                                        tmp_path / "d2")


def test_j1_and_j2_same_outputs(tree, tmp_path):
    for jobs in (1, 2):
        res = run_cli("batch", "img2dcm", tree, tmp_path / f"j{jobs}", "-j", jobs, "-k", "PatientName=Doe^J")
        assert res.returncode == 3, res.stderr
    assert tree_files(tmp_path / "j1") == tree_files(tmp_path / "j2") == {out_rel(rel) for rel in GOOD}
    for rel in GOOD:
        assert_same_dicom(tmp_path / "j1" / out_rel(rel), tmp_path / "j2" / out_rel(rel))
    assert pydicom.dcmread(tmp_path / "j2" / "top.dcm").PatientName == "Doe^J"


def test_skip_existing_then_overwrite(tree, tmp_path):
    dst = tmp_path / "dst"
    assert run_cli("batch", "img2dcm", tree, dst, "-j", "2", "-q").returncode == 3
    before = {rel: (dst / rel).stat() for rel in tree_files(dst)}

    res = run_cli("batch", "img2dcm", tree, dst, "--report", tmp_path / "again.jsonl")
    assert res.returncode == 3  # the bad inputs still fail
    statuses = {r["status"] for r in read_report(tmp_path / "again.jsonl") if r["ok"]}
    assert statuses == {"skipped"}
    assert f"0 converted, {len(GOOD)} skipped, {len(BAD)} failed" in res.stderr
    for rel, st in before.items():
        now = (dst / rel).stat()
        assert (now.st_ino, now.st_mtime_ns) == (st.st_ino, st.st_mtime_ns)

    res = run_cli("batch", "img2dcm", tree, dst, "--overwrite", "-q")
    assert res.returncode == 3 and res.stderr == ""
    for rel, st in before.items():
        assert (dst / rel).stat().st_ino != st.st_ino  # replaced (atomically: a new file renamed in)
    check_outputs(tree, dst)


def test_all_good_exit_zero_and_glob_options(tree, tmp_path):
    # only the top folder, only *.JPG (case-insensitive): top.jpg, UPPER.JPG, bad_truncated.jpg
    res = run_cli("batch", "img2dcm", tree, tmp_path / "flat", "--no-recursive", "--glob", "*.JPG",
                  "--report", tmp_path / "r.jsonl")
    assert res.returncode == 3
    assert {Path(r["source"]).name for r in read_report(tmp_path / "r.jsonl")} == {
        "top.jpg", "UPPER.JPG", "bad_truncated.jpg"}
    # a pattern list that matches only good files: exit 0
    res = run_cli("batch", "img2dcm", tree, tmp_path / "good", "--glob", "top.jpg,one.*", "--glob", "*/c/*.jpg")
    assert res.returncode == 0, res.stderr
    assert tree_files(tmp_path / "good") == {"top.dcm", "a/one.dcm", "a/b/c/deep.dcm", "a/b/c/deeper.dcm"}
    # nothing matches: a warning, exit 0
    res = run_cli("batch", "img2dcm", tree, tmp_path / "none", "--glob", "*.nothing")
    assert res.returncode == 0 and "no input files" in res.stderr


def test_two_inputs_one_output_is_a_failure(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "x.jpeg").write_bytes(jpeg_bytes(seed=1))
    (src / "x.jpg").write_bytes(jpeg_bytes(seed=2))
    summary = run_batch(src, tmp_path / "dst", jobs=1)
    assert (summary.converted, summary.failed) == (1, 1)
    assert "also the output of" in summary.failures[0].error
    _, fragment = read_single_fragment(tmp_path / "dst" / "x.dcm")
    assert fragment.rstrip(b"\0") == expected_stream((src / "x.jpeg").read_bytes())  # sorted: x.jpeg first


def test_usage_and_setup_errors(tmp_path):
    for args, code, text in [
        (("batch",), 1, "usage: dicomconv batch"),
        (("batch", "nope", "a", "b"), 1, "unknown sub-command"),
        (("batch", "img2dcm", tmp_path), 1, "missing parameter"),
        (("batch", "img2dcm", "-j", "x", tmp_path, tmp_path / "o"), 1, "-j/--jobs"),
        (("batch", "img2dcm", "--dask-local", "2", "--scheduler", "tcp://h:1", tmp_path, tmp_path / "o"), 1,
         "exclude each other"),
        (("batch", "img2dcm", "--uid-root", "1.02.x", tmp_path, tmp_path / "o"), 1, "invalid UID root"),
        (("batch", "img2dcm", tmp_path / "missing", tmp_path / "o"), 20, "does not exist"),
        # a report that cannot be written: a file where its folder must be
        (("batch", "img2dcm", tmp_path, tmp_path / "o", "--report", tmp_path / "afile" / "r.jsonl"), 40,
         "cannot write the report"),
    ]:
        (tmp_path / "afile").write_text("a file, not a folder")
        res = run_cli(*args)
        assert res.returncode == code, (args, res.returncode, res.stderr)
        assert text in res.stderr and "Traceback" not in res.stderr
    res = run_cli("batch", "img2dcm", "--help")
    assert res.returncode == 0 and "--skip-existing" in res.stdout and "--keep-appn" in res.stdout


def test_progress_bar(tree, tmp_path):
    res = subprocess.run([sys.executable, "-m", "dicomconv", "batch", "img2dcm", str(tree), str(tmp_path / "d"),
                          "--progress", "-j", "1"], capture_output=True)  # bytes: keep the \r
    bar = res.stderr.split(b"\r")[-1]
    assert bar.startswith(b"[####") and b"11/11 files" in bar and b"files/s  ETA" in bar and b" MB " in bar
    res = run_cli("batch", "img2dcm", tree, tmp_path / "e", "--progress", "-q")
    assert "files/s" in res.stderr  # explicitly asked for, even with -q
    res = run_cli("batch", "img2dcm", tree, tmp_path / "f", "-q")
    assert res.stderr == ""


# ---------------------------------------------------------------------------- kill and resume

def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_kill_minus_9_then_resume(tmp_path):
    """SIGKILL the whole batch (parent and workers) mid-way: every file at a final name is a
    complete output; the re-run removes the stale temporary files, converts only what is left
    and does not touch what the first run wrote."""
    src, dst = tmp_path / "src", tmp_path / "dst"
    data = jpeg_bytes((32, 32), seed=5)
    folders, per_folder = 3, 800
    for f in range(folders):
        (src / f"f{f}").mkdir(parents=True)
        for i in range(per_folder):
            (src / f"f{f}" / f"{i:04d}.jpg").write_bytes(data)
    total = folders * per_folder

    proc = subprocess.Popen([sys.executable, "-m", "dicomconv", "batch", "img2dcm", str(src), str(dst), "-j", "2",
                             "-q"], start_new_session=True)
    trigger = dst / "f0" / "0050.dcm"
    deadline = time.monotonic() + 60
    while not trigger.exists():
        assert proc.poll() is None, "the batch ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.001)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()

    expected_size = len(batch.convert_bytes(data))
    fragment = expected_stream(data)
    fragment += b"\0" * (len(fragment) % 2)
    first: dict[str, os.stat_result] = {}
    temps = []
    for path in dst.rglob("*"):
        if path.is_dir():
            continue
        if path.name.endswith(".tmp"):
            temps.append(path)
            continue
        blob = path.read_bytes()  # no partial file at a final name: each output is whole
        assert len(blob) == expected_size, path
        assert blob[128:132] == b"DICM" and fragment in blob
        first[path.relative_to(dst).as_posix()] = path.stat()
    assert 0 < len(first) < total, f"killed after {len(first)} of {total}: not mid-way"
    read_single_fragment(dst / "f0" / "0000.dcm")
    # the killed run's temp files (if it was caught writing) are stale; add one more for sure,
    # and one of a live process (a concurrent run), which must be left alone
    (dst / "f2").mkdir(parents=True, exist_ok=True)
    stale = dst / "f2" / f".0799.dcm.{_dead_pid()}.0.tmp"
    live = dst / "f2" / f".0798.dcm.{os.getpid()}.7.tmp"
    stale.write_bytes(b"partial")
    live.write_bytes(b"being written")

    res = run_cli("batch", "img2dcm", src, dst, "-j", "2", "--report", tmp_path / "r.jsonl")
    assert res.returncode == 0, res.stderr
    assert "stale temporary" in res.stderr
    names = tree_files(dst)
    assert names == {f"f{f}/{i:04d}.dcm" for f in range(folders) for i in range(per_folder)} | {
        live.relative_to(dst).as_posix()}  # stale temp files removed; a live process's one left alone
    for rel, st in first.items():  # not rewritten
        now = (dst / rel).stat()
        assert (now.st_ino, now.st_mtime_ns) == (st.st_ino, st.st_mtime_ns), rel
    records = read_report(tmp_path / "r.jsonl")
    assert len(records) == total
    assert sum(r["status"] == "skipped" for r in records) == len(first)
    assert sum(r["status"] == "converted" for r in records) == total - len(first)
    for rel in ("f2/0799.dcm", "f1/0500.dcm", f"f{folders - 1}/{per_folder - 1:04d}.dcm"):
        assert (dst / rel).stat().st_size == expected_size


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_stops_with_130_and_whole_outputs(tmp_path):
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.mkdir()
    data = jpeg_bytes((32, 32), seed=6)
    for i in range(3000):
        (src / f"{i:04d}.jpg").write_bytes(data)
    proc = subprocess.Popen([sys.executable, "-m", "dicomconv", "batch", "img2dcm", str(src), str(dst), "-j", "2",
                             "--report", str(tmp_path / "r.jsonl")], start_new_session=True,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (dst / "0050.dcm").exists():
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.001)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "INTERRUPTED" in err and "Traceback" not in err
    size = len(batch.convert_bytes(data))
    outputs = [p for p in dst.iterdir() if not p.name.startswith(".")]
    assert 0 < len(outputs) < 3000 and all(p.stat().st_size == size for p in outputs)
    assert not [p for p in dst.iterdir() if p.name.startswith(".")]  # the workers finished their files
    assert all(r["status"] == "converted" for r in read_report(tmp_path / "r.jsonl"))


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_zombie_pid_counts_as_dead():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 30
    while Path(f"/proc/{proc.pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    try:
        assert batch._pid_alive(proc.pid) is False  # exited, not reaped yet: writes nothing any more
    finally:
        proc.wait()
    assert batch._pid_alive(proc.pid) is False
    assert batch._pid_alive(os.getpid()) is True


# --------------------------------------------------------------------------------- the API

def test_api_run_batch_summary_and_records(tree, tmp_path):
    seen: list[Result] = []
    summary = run_batch(tree, tmp_path / "dst", Img2DcmOptions(dataset=DatasetOptions(sop_class="vlp")),
                        jobs=2, on_result=seen.append, report=tmp_path / "r.jsonl")
    # VL Photographic allows no YBR_FULL (4:4:4) lossy JPEG: a/two.jpg fails like the bad inputs
    failed = {Path(r.source).relative_to(tree).as_posix(): r.error for r in summary.failures}
    assert set(failed) == set(BAD) | {"a/two.jpg"}
    assert "YBR_FULL" in failed["a/two.jpg"]
    assert (summary.converted, summary.skipped, summary.failed) == (len(GOOD) - 1, 0, len(BAD) + 1)
    assert summary.exit_code == 3 and len(seen) == summary.total == len(GOOD) + len(BAD)
    assert pydicom.dcmread(tmp_path / "dst" / "top.dcm").SOPClassUID == "1.2.840.10008.5.1.4.1.1.77.1.4"
    assert all(isinstance(r, Result) for r in seen)
    assert [Result.from_dict(r.as_dict()).as_dict() for r in seen] == [r.as_dict() for r in seen]


def test_in_process_uses_no_pool(tree, tmp_path, monkeypatch):
    import concurrent.futures

    def no_pool(*a, **kw):
        raise AssertionError("-j 1 must not start a pool")
    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", no_pool)
    summary = run_batch(tree, tmp_path / "dst", jobs=1)
    assert summary.converted == len(GOOD)


def test_convert_bytes_and_options_pickle(tmp_path):
    data = jpeg_bytes(seed=3)
    out = batch.convert_bytes(data)
    (tmp_path / "a.dcm").write_bytes(out)
    (tmp_path / "a.jpg").write_bytes(data)
    from dicomconv.img2dcm import convert_file

    convert_file(tmp_path / "a.jpg", tmp_path / "b.dcm")
    assert_same_dicom(tmp_path / "a.dcm", tmp_path / "b.dcm")

    from dicomconv.inputs.jpeg import JpegOptions

    opts = Img2DcmOptions(jpeg=JpegOptions(keep_appn=True),
                          dataset=DatasetOptions(sop_class="nsc", keys=("PatientName=A^B",), uid_root="1.2.3"))
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        back = pickle.loads(pickle.dumps(opts, protocol))
        assert back == opts and hash(back) == hash(opts) and back.dataset.keys == ("PatientName=A^B",)
    # in a process with another string-hash seed, the unpickled record hashes like a fresh one
    # (it is a cache key there: a hash carried over from this process would never match)
    code = ("import pickle, sys; from dicomconv.img2dcm import Img2DcmOptions; "
            "from dicomconv.inputs.jpeg import JpegOptions; from dicomconv.iod import DatasetOptions; "
            "o = pickle.loads(sys.stdin.buffer.read()); "
            "f = Img2DcmOptions(jpeg=JpegOptions(keep_appn=True), dataset=DatasetOptions(sop_class='nsc', "
            "keys=('PatientName=A^B',), uid_root='1.2.3')); "
            "print(o == f and hash(o) == hash(f))")
    res = subprocess.run([sys.executable, "-c", code], input=pickle.dumps(opts), capture_output=True,
                         env={**os.environ, "PYTHONHASHSEED": "12345"})
    assert res.stdout.strip() == b"True", res.stderr


def crash_on_name(src, dst, options):
    """A converter for the crash test: kills its worker process on files named crash*."""
    if os.path.basename(src).startswith("crash"):
        os._exit(70)
    from dicomconv.img2dcm import convert_file

    convert_file(src, dst, options)


def test_a_worker_that_dies_fails_only_its_file(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    data = jpeg_bytes(seed=4)
    for i in range(60):
        (src / f"{i:03d}.jpg").write_bytes(data)
    (src / "crash.jpg").write_bytes(data)
    (src / "crash2.jpg").write_bytes(data)
    conv = Converter("crashy", ("*.jpg",), ".dcm", crash_on_name)
    summary = run_batch(src, tmp_path / "dst", converter=conv, jobs=2, chunksize=4)
    assert summary.converted == 60 and summary.failed == 2, summary.failures
    assert all("worker process" in r.error and "died" in r.error for r in summary.failures)
    assert {Path(r.source).name for r in summary.failures} == {"crash.jpg", "crash2.jpg"}
    assert len(os.listdir(tmp_path / "dst")) == 60


def test_every_img2dcm_option_reaches_batch():
    from dicomconv.cli import batch as cli_batch
    from dicomconv.cli import img2dcm as cli_img2dcm

    dests = {opt.dest for opt in cli_img2dcm.COMMAND.options} - {"log"}
    handled = cli_batch.handled_img2dcm_dests()
    assert dests <= handled, f"img2dcm options batch does not pass on: {dests - handled}"
    # and build_options reads every one of them: a changed value changes the options
    base = cli_img2dcm.build_options(dict(cli_img2dcm.COMMAND.defaults))
    assert base == cli_batch._img2dcm_options(dict(cli_img2dcm.COMMAND.defaults))


def test_batch_is_registered():
    from dicomconv.cli import LIGHT, SUBCOMMANDS

    assert "batch" in SUBCOMMANDS and "batch" in LIGHT


# ---------------------------------------------------------------------------------- Dask

def _dask():
    pytest.importorskip("dask.bag", reason="dask is not installed (pip install 'dicomconv[dask]')")
    pytest.importorskip("distributed", reason="distributed is not installed (pip install 'dicomconv[dask]')")
    from dicomconv import dask as dicomconv_dask

    return dicomconv_dask


def test_dask_convert_bag_matches_local(tree, tmp_path):
    dd = _dask()
    run_batch(tree, tmp_path / "local", jobs=1)
    bag = dd.convert_bag(tree, tmp_path / "bag", Img2DcmOptions(), partition_size=3)
    assert not (tmp_path / "bag").exists()  # lazy: nothing converted before compute
    records = bag.compute(scheduler="processes", num_workers=2)
    assert len(records) == len(GOOD) + len(BAD)
    assert {Path(r["source"]).relative_to(tree).as_posix() for r in records if r["ok"]} == set(GOOD)
    assert all(r["status"] == "converted" for r in records if r["ok"])
    assert tree_files(tmp_path / "bag") == tree_files(tmp_path / "local")
    for rel in GOOD:
        assert_same_dicom(tmp_path / "local" / out_rel(rel), tmp_path / "bag" / out_rel(rel))
    # a list of paths, mirrored relative to their common folder; existing outputs skipped
    paths = [tree / rel for rel in GOOD]
    again = dd.convert_bag(paths, tmp_path / "bag").compute(scheduler="sync")
    assert sorted(r["status"] for r in again) == ["skipped"] * len(GOOD)
    failed = dd.convert_bag(tree, tmp_path / "bag2").filter(lambda r: not r["ok"]).compute(scheduler="sync")
    assert len(failed) == len(BAD)


def test_cli_dask_local_cluster(tree, tmp_path):
    _dask()
    res = run_cli("batch", "img2dcm", tree, tmp_path / "dask", "--dask-local", "2", "--report",
                  tmp_path / "dask.jsonl", timeout=180)
    assert res.returncode == 3, res.stderr
    assert "Traceback" not in res.stderr
    run_cli("batch", "img2dcm", tree, tmp_path / "local", "-j", "2", "--report", tmp_path / "local.jsonl")
    assert tree_files(tmp_path / "dask") == tree_files(tmp_path / "local")
    for rel in GOOD:
        assert_same_dicom(tmp_path / "local" / out_rel(rel), tmp_path / "dask" / out_rel(rel))

    def key(path, dst):
        return sorted((r["source"], os.path.relpath(r["destination"], dst) if r["destination"] else None,
                       r["status"], r["ok"], r["error"]) for r in read_report(path))
    assert key(tmp_path / "dask.jsonl", tmp_path / "dask") == key(tmp_path / "local.jsonl", tmp_path / "local")
