#!/usr/bin/env python
"""Batch throughput: ``python benchmarks/bench_batch.py`` (about 1.5 minutes; ``--rounds`` to change).

Prints files/s of ``dicomconv.batch.run_batch`` with 1 and 2 workers (and of the ``dicomconv
batch`` command) over the 1000 generated ~90 KB JPEGs of ``bench_support`` (the gate's batch
inputs), beside what the same files cost to copy: a plain Python read+write loop and ``cp -r``;
and a shell loop of DCMTK's ``img2dcm`` over the first 200 of them (if it is on PATH) — one
process per file, as such batches are usually run.

Two ratios are the issue's targets (issue 8):

- ``batch -j 1 / read+write loop`` should be <= 1.3: the in-process path is a loop over
  ``convert_file``, so this is the gate's ``batch_1000_vs_copy`` plus discovery, planning and
  result records.
- ``-j 1 / -j 2`` (speed-up of 2 workers): >= 1.8 is expected only for a CPU-bound conversion.
  JPEG pass-through is I/O-bound (read, scan the markers, write), so the speed-up there is
  what it is; it is measured, and so is a CPU-bound stand-in (zlib level 9 of every file, ~10
  ms each, on 200 files) through the same pool, which shows what the pool itself can give on
  this machine; and so is plain copying (read+write, no conversion) through the same pool with
  1 and 2 workers: what 2 processes can get out of this file system, the ceiling for any
  I/O-bound conversion.

Method as in ``gate.py``: every contender writes into a fresh directory on the project disk
made after ``os.sync()`` (untimed); the contenders compared with each other form a group and run
back to back in rounds whose order flips every round, after an untimed warm-up round; times are
medians over rounds and each ratio is the median of the per-round paired ratios. On a shared
2-core machine the -j 2 numbers depend on what else runs: the load average is printed before
and after. ``DICOMCONV_BENCH_OUT=/dev/shm`` measures into RAM instead of the disk.
"""
from __future__ import annotations

import argparse
import gc
import os
import statistics
import subprocess
import sys
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_support as bs  # noqa: E402

from dicomconv.batch import Converter, run_batch  # noqa: E402
from dicomconv.fileio import read_input, write_atomic  # noqa: E402

IMG2DCM_FILES = 200
SLOW_ROUNDS = 2  # runs of the img2dcm shell loop
CPU_FILES = 200


def cpu_convert(src, dst, options) -> None:
    """A CPU-bound stand-in conversion: zlib level 9, three times over, of the input."""
    data = read_input(src)
    for level in (9, 8, 9):
        out = zlib.compress(data, level)
    write_atomic(dst, [out])


CPU = Converter("cpu-bound", ("*.jpg",), ".z", cpu_convert)


def copy_convert(src, dst, options) -> None:
    """No conversion: read + write, as the read+write loop does, through the same pool."""
    with open(src, "rb") as fh:
        data = fh.read()
    with open(dst, "wb") as fh:
        fh.write(data)


COPY_POOL = Converter("copy", ("*.jpg",), ".dcm", copy_convert)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    ap.add_argument("--no-cli", action="store_true", help="skip the dicomconv batch command")
    args = ap.parse_args(argv)

    inputs = bs.get_inputs(log=lambda m: print(f"bench_batch: {m}", flush=True))
    src_dir = inputs.root / "batch"
    sources = list(inputs.batch)
    n, mb = len(sources), sum(p.stat().st_size for p in sources) / 1e6
    subsets = bs.cache_root() / f"bench-batch-v{bs.GENERATOR_VERSION}"
    subsets.mkdir(parents=True, exist_ok=True)
    cpu_src = subsets / f"first-{CPU_FILES}"
    small_src = subsets / f"first-{IMG2DCM_FILES}"
    for folder, count in {cpu_src: CPU_FILES, small_src: IMG2DCM_FILES}.items():
        if not folder.is_dir():  # a subset as its own tree (hard links: no extra space)
            tmp = folder.with_name(folder.name + f".tmp{os.getpid()}")
            tmp.mkdir()
            for p in sources[:count]:
                os.link(p, tmp / p.name)
            os.rename(tmp, folder)
    dirs = bs.OutDirs()
    cli = bs.dicomconv_cli()
    img2dcm = bs.reference_img2dcm()

    def copy_loop(out):
        bs.copy_files(bs.pairs(sources, out))

    def convert_file_loop(out):  # what the in-process batch path adds to: the bare API loop
        bs.ours_files(bs.pairs(sources, out))

    def cp_r(out):
        subprocess.run(["cp", "-r", str(src_dir), str(out / "tree")], check=True)

    def batch(jobs, src=src_dir, converter="img2dcm"):
        def run(out):
            summary = run_batch(src, out, jobs=jobs, converter=converter)
            assert summary.failed == 0 and summary.converted == summary.total, summary.line()
        return run

    def batch_cli(jobs):
        def run(out):
            subprocess.run([*cli, "batch", "img2dcm", "-q", "-j", str(jobs), str(src_dir), str(out)], check=True)
        return run

    def img2dcm_loop(out):
        script = 'for f in "$1"/*.jpg; do b=${f##*/}; "$2" "$f" "$3/${b%.jpg}.dcm" || exit 1; done'
        subprocess.run(["sh", "-c", script, "sh", str(small_src), img2dcm, str(out)], check=True)

    cpu_mb = sum(p.stat().st_size for p in sources[:CPU_FILES]) / 1e6
    small_mb = sum(p.stat().st_size for p in sources[:IMG2DCM_FILES]) / 1e6
    J1, J2, COPY, LOOP = "batch -j 1 (API)", "batch -j 2 (API)", "read+write loop (Python)", "convert_file loop (API)"
    C1, C2 = f"CPU-bound -j 1 ({CPU_FILES} files)", f"CPU-bound -j 2 ({CPU_FILES} files)"
    L1, L2 = "dicomconv batch -j 1", "dicomconv batch -j 2"
    P1, P2 = "read+write via batch -j 1", "read+write via batch -j 2"
    IMG = f"img2dcm shell loop ({IMG2DCM_FILES} files)"
    # Groups of contenders measured together: within a group the contenders run back to back,
    # in an order that flips every round, so a group's paired ratios compare neighbours.
    # group -> (rounds, {name: (run(out_dir), files, MB)})
    rounds = args.rounds
    groups = {
        "in-process vs copying": (rounds, {COPY: (copy_loop, n, mb), J1: (batch(1), n, mb),
                                           LOOP: (convert_file_loop, n, mb)}),
        # the same pool copying the files without converting them: what 2 processes give on this
        # file system, the ceiling for an I/O-bound conversion
        "1 vs 2 workers, JPEG": (rounds, {J1: (batch(1), n, mb), J2: (batch(2), n, mb),
                                          P1: (batch(1, converter=COPY_POOL), n, mb),
                                          P2: (batch(2, converter=COPY_POOL), n, mb)}),
        "1 vs 2 workers, CPU-bound": (max(3, rounds - 1), {C1: (batch(1, cpu_src, CPU), CPU_FILES, cpu_mb),
                                                           C2: (batch(2, cpu_src, CPU), CPU_FILES, cpu_mb)}),
        "context": (max(3, rounds - 2), {"cp -r": (cp_r, n, mb)}),
    }
    if not args.no_cli:
        groups["context"][1].update({L1: (batch_cli(1), n, mb), L2: (batch_cli(2), n, mb)})
    if img2dcm:  # ~5 s a run: 2 runs, no warm-up (37 files/s: precision is not the point there)
        groups["DCMTK"] = (SLOW_ROUNDS, {IMG: (img2dcm_loop, IMG2DCM_FILES, small_mb)})
    else:
        print("bench_batch: DCMTK img2dcm is not on PATH: no shell-loop comparison", flush=True)

    load_before = os.getloadavg()
    print(f"bench_batch: {n} files, {mb:.1f} MB; cores {len(os.sched_getaffinity(0))}; load average "
          f"{load_before[0]:.2f}", flush=True)
    times: dict[tuple[str, str], list[float]] = {}
    t_start = time.perf_counter()
    try:
        for group, (group_rounds, contenders) in groups.items():
            print(f"bench_batch: {group}: {group_rounds} rounds ...", flush=True)
            names = list(contenders)
            warmup = group != "DCMTK"
            for r in range(group_rounds + warmup):
                for name in (names if r % 2 == 0 else names[::-1]):
                    out = dirs.fresh()
                    gc.collect()
                    t0 = time.perf_counter()
                    contenders[name][0](out)
                    elapsed = time.perf_counter() - t0
                    dirs.remove(out)
                    if r or not warmup:
                        times.setdefault((group, name), []).append(elapsed)
    finally:
        dirs.close()
    total = time.perf_counter() - t_start
    load_after = os.getloadavg()

    print()
    header = f"{'contender':34s} {'median':>9s} {'files/s':>8s} {'MB/s':>7s}  {'min':>9s}  group"
    print(header)
    print("-" * len(header))
    for (group, name), ts in times.items():
        _, files, size = groups[group][1][name]
        med, low = statistics.median(ts), min(ts)
        print(f"{name:34s} {med * 1e3:7.0f}ms {files / med:8.0f} {size / med:7.1f}  {low * 1e3:7.0f}ms  {group}")

    def paired(group: str, a: str, b: str) -> tuple[float, float, float]:
        ratios = [x / y for x, y in zip(times[group, a], times[group, b])]
        return statistics.median(ratios), min(ratios), max(ratios)

    print()
    rows = [("batch -j 1 / read+write loop", "in-process vs copying", J1, COPY, "target <= 1.3"),
            ("batch -j 1 / convert_file loop", "in-process vs copying", J1, LOOP, "batch's own cost"),
            ("convert_file loop / read+write loop", "in-process vs copying", LOOP, COPY, "cf. gate batch_1000_vs_copy"),
            ("JPEG: speed-up of 2 workers (j1/j2)", "1 vs 2 workers, JPEG", J1, J2, "I/O-bound"),
            ("plain copying: speed-up of 2 workers", "1 vs 2 workers, JPEG", P1, P2, "the I/O ceiling"),
            ("CPU-bound: speed-up of 2 workers", "1 vs 2 workers, CPU-bound", C1, C2, "target >= 1.8")]
    if not args.no_cli:
        rows.append(("CLI: speed-up of 2 workers", "context", L1, L2, "incl. start-up"))
    for label, group, a, b, note in rows:
        med, lo, hi = paired(group, a, b)
        print(f"{label:38s} {med:5.2f}  (paired ratios {lo:.2f} - {hi:.2f})  {note}")
    if img2dcm:
        rate = IMG2DCM_FILES / statistics.median(times["DCMTK", IMG])
        print(f"{'files/s: batch -j 2 / img2dcm loop':38s} "
              f"{n / statistics.median(times['1 vs 2 workers, JPEG', J2]) / rate:5.1f}x")
    print(f"\nload average {load_before[0]:.2f} before, {load_after[0]:.2f} after; {total:.0f} s; outputs on "
          f"{bs.output_root()} (DICOMCONV_BENCH_OUT overrides)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
