#!/usr/bin/env python
"""DICOM → JSON benchmark: ``dicomconv`` (jsonmodel.convert_file) vs DCMTK ``dcm2json``.

    python benchmarks/bench_json.py [--count 500] [--rounds 5]

Inputs (generated here, deterministic, cached under ``benchmarks/.cache/json-inputs-v1``):
``count`` small CT-like Explicit VR Little Endian files of about 3 KB (about 40 attributes,
ISO_IR 100 names, a nested sequence, IS/DS/FD/FL/US values, 32 x 32 16-bit pixels).

Contenders, each writing one JSON file per input into a fresh empty folder:

- ours, in one process: ``convert_file(src, dst)`` in a loop in this (warmed-up) process --
  the gated number (issue 7: at least 10x the shell loop);
- ours, fresh process: the same loop in a new ``python`` process (interpreter start-up and
  imports included), for context;
- reference: a shell loop running ``dcm2json in.dcm out.json`` once per file.

Rounds alternate the order of the contenders; the ratio is the median of the per-round
paired ratios (see gate.py for why). The outputs are checked untimed: every file parses, and
the first and last equal DCMTK's as data (FL as 32-bit floats, FD within 1e-15).
Exit status 0 (also when dcm2json is missing: SKIP), 1 if the 10x target is missed.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import struct
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
try:
    import dicomconv  # noqa: F401
except ImportError:  # running from a checkout that is not installed
    sys.path.insert(0, str(HERE.parent / "src"))

GENERATOR_VERSION = 1
TARGET = 10.0


def cache_dir() -> Path:
    return Path(os.environ.get("DICOMCONV_BENCH_CACHE") or HERE / ".cache")


# ------------------------------------------------------------------------------ inputs

def _el(tag: int, vr: str, value) -> bytes:
    if isinstance(value, str):
        value = value.encode("latin-1")
    if len(value) % 2:
        value += b"\0" if vr in ("UI", "OB") else b" "
    if vr in ("OB", "OW", "SQ", "UN", "UT", "UC", "UR", "OF", "OD", "OL", "OV", "SV", "UV"):
        return struct.pack("<HH2s2xI", tag >> 16, tag & 0xFFFF, vr.encode(), len(value)) + value
    return struct.pack("<HH2sH", tag >> 16, tag & 0xFFFF, vr.encode(), len(value)) + value


def _file(i: int) -> bytes:
    """One small CT-like file (Explicit VR Little Endian), written without pydicom."""
    import random

    rnd = random.Random(i)
    uid = f"1.2.826.0.1.3680043.10.999.7.{i}"
    item = (_el(0x00081150, "UI", "1.2.840.10008.5.1.4.1.1.2")
            + _el(0x00081155, "UI", f"1.2.826.0.1.3680043.10.999.8.{i}"))
    sequence = (struct.pack("<HH2s2xI", 0x0008, 0x1140, b"SQ", len(item) + 8)
                + struct.pack("<HHI", 0xFFFE, 0xE000, len(item)) + item)
    pixels = bytes(rnd.getrandbits(8) for _ in range(2048))
    elements = [
        _el(0x00080005, "CS", "ISO_IR 100"),
        _el(0x00080008, "CS", "ORIGINAL\\PRIMARY\\AXIAL"),
        _el(0x00080016, "UI", "1.2.840.10008.5.1.4.1.1.2"), _el(0x00080018, "UI", uid),
        _el(0x00080020, "DA", "20240101"), _el(0x00080030, "TM", f"1010{i % 60:02d}.123"),
        _el(0x00080060, "CS", "CT"), _el(0x00080070, "LO", "Generated"),
        _el(0x00080080, "LO", "Krankenhaus M\xfcller"), _el(0x00080090, "PN", "Dr\xe9^Ana"),
        sequence,
        _el(0x00100010, "PN", f"Doe^John^{i}"), _el(0x00100020, "LO", f"ID{i:05d}"),
        _el(0x00100030, "DA", "19700101"), _el(0x00100040, "CS", "O"),
        _el(0x00180050, "DS", "1.25"), _el(0x00180060, "DS", "120"),
        _el(0x00189087, "FD", struct.pack("<d", 1000.0 + i)),
        _el(0x00189089, "FL", struct.pack("<3f", 0.1, 0.2, 0.97)),
        _el(0x0020000D, "UI", "1.2.826.0.1.3680043.10.999.1"),
        _el(0x0020000E, "UI", "1.2.826.0.1.3680043.10.999.2"),
        _el(0x00200010, "SH", "1"), _el(0x00200011, "IS", "1"), _el(0x00200013, "IS", str(i + 1)),
        _el(0x00200032, "DS", f"-125\\-125\\{i * 1.25:.2f}"), _el(0x00200037, "DS", "1\\0\\0\\0\\1\\0"),
        _el(0x00280002, "US", struct.pack("<H", 1)), _el(0x00280004, "CS", "MONOCHROME2"),
        _el(0x00280010, "US", struct.pack("<H", 32)), _el(0x00280011, "US", struct.pack("<H", 32)),
        _el(0x00280030, "DS", "0.488281\\0.488281"),
        _el(0x00280100, "US", struct.pack("<H", 16)), _el(0x00280101, "US", struct.pack("<H", 12)),
        _el(0x00280102, "US", struct.pack("<H", 11)), _el(0x00280103, "US", struct.pack("<H", 0)),
        _el(0x00281050, "DS", "40"), _el(0x00281051, "DS", "400"),
        _el(0x00281052, "DS", "-1024"), _el(0x00281053, "DS", "1"),
        _el(0x7FE00010, "OW", pixels),
    ]
    meta = (_el(0x00020001, "OB", b"\0\1") + _el(0x00020002, "UI", "1.2.840.10008.5.1.4.1.1.2")
            + _el(0x00020003, "UI", uid) + _el(0x00020010, "UI", "1.2.840.10008.1.2.1"))
    return (b"\0" * 128 + b"DICM" + _el(0x00020000, "UL", struct.pack("<I", len(meta))) + meta
            + b"".join(elements))


def make_inputs(count: int) -> list[Path]:
    folder = cache_dir() / f"json-inputs-v{GENERATOR_VERSION}-{count}"
    done = folder / ".complete"
    if not done.exists():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for i in range(count):
            (folder / f"{i:05d}.dcm").write_bytes(_file(i))
        done.write_text("ok\n")
    return sorted(folder.glob("*.dcm"))


# --------------------------------------------------------------------------- contenders

def reference_dcm2json() -> str | None:
    return shutil.which("dcm2json", path="/usr/bin:/usr/local/bin") or shutil.which("dcm2json")


def ours_loop(files: list[Path], out: Path) -> None:
    from dicomconv.jsonmodel import JsonOptions, convert_file

    options = JsonOptions(bulk_dir=str(out))
    for src in files:
        convert_file(src, out / (src.name + ".json"), options)


def ours_process(files: list[Path], out: Path) -> None:
    """The loop in a fresh interpreter (start-up and imports included)."""
    code = ("import sys\nfrom pathlib import Path\n"
            "from dicomconv.cli.args import import_pydicom_lean\nimport_pydicom_lean()\n"
            "from dicomconv.jsonmodel import JsonOptions, convert_file\n"
            "out = Path(sys.argv[1]); options = JsonOptions(bulk_dir=str(out))\n"
            "for src in sys.argv[2:]:\n"
            "    convert_file(src, out / (Path(src).name + '.json'), options)\n")
    subprocess.run([sys.executable, "-c", code, str(out), *map(str, files)], check=True)


def dcm2json_loop(exe: str, files: list[Path], out: Path) -> None:
    script = 'out="$1"; exe="$2"; shift 2; for f in "$@"; do "$exe" "$f" "$out/${f##*/}.json" || exit 1; done'
    subprocess.run(["bash", "-c", script, "bash", str(out), exe, *map(str, files)], check=True)


# ------------------------------------------------------------------------------ checks

def _same(a, b, vr=None) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k], a.get("vr", vr)) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y, vr) for x, y in zip(a, b))
    if vr == "FL" and isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return struct.pack("<f", a) == struct.pack("<f", b)
    if vr == "FD" and isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b or math.isclose(a, b, rel_tol=1e-15)
    return a == b


def check(files: list[Path], ours: Path, ref: Path | None = None) -> None:
    names = sorted(p.name for p in ours.glob("*.json"))
    if len(names) != len(files):
        raise AssertionError(f"{len(names)} JSON files in {ours}, expected {len(files)}")
    for src in (files[0], files[-1]):
        doc = json.loads((ours / (src.name + ".json")).read_text(encoding="utf-8"))
        if ref is not None:
            theirs = json.loads((ref / (src.name + ".json")).read_text(encoding="utf-8"))
            if not _same(doc, theirs):
                raise AssertionError(f"{src.name}: our JSON differs from dcm2json's")


# -------------------------------------------------------------------------------- main

def fresh(root: Path, name: str) -> Path:
    path = root / name
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=500, help="number of input files (default 500)")
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    args = ap.parse_args(argv)

    from dicomconv.cli.args import import_pydicom_lean

    import_pydicom_lean()
    files = make_inputs(args.count)
    exe = reference_dcm2json()
    root = cache_dir() / "json-out"
    if exe is None:
        print("bench_json: SKIP: DCMTK dcm2json is not installed")
        return 0
    # untimed warm-up and output check
    ours_loop(files, fresh(root, "ours"))
    dcm2json_loop(exe, files, fresh(root, "ref"))
    check(files, root / "ours", root / "ref")
    ours_process(files, fresh(root, "proc"))
    check(files, root / "proc")

    contenders = {"ours (one process)": lambda out: ours_loop(files, out),
                  "ours (fresh process)": lambda out: ours_process(files, out),
                  "dcm2json loop": lambda out: dcm2json_loop(exe, files, out)}
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for r in range(args.rounds):
        order = list(contenders) if r % 2 == 0 else list(reversed(contenders))
        for name in order:
            out = fresh(root, "run")
            os.sync()
            start = time.perf_counter()
            contenders[name](out)
            times[name].append(time.perf_counter() - start)
    shutil.rmtree(root, ignore_errors=True)

    ref = times["dcm2json loop"]
    print(f"{args.count} files of {files[0].stat().st_size} bytes, {args.rounds} rounds "
          f"(median; speed-up = median of per-round paired ratios)")
    print(f"{'contender':24s} {'total':>9s} {'per file':>10s} {'speed-up':>9s}")
    speedups = {}
    for name, ts in times.items():
        paired = [b / a for a, b in zip(ts, ref)]
        speedups[name] = statistics.median(paired)
        print(f"{name:24s} {statistics.median(ts):8.2f}s {statistics.median(ts) / args.count * 1e3:8.2f}ms "
              f"{speedups[name]:8.1f}x")
    gated = speedups["ours (one process)"]
    status = "PASS" if gated >= TARGET else "FAIL"
    print(f"target: ours (one process) >= {TARGET:.0f}x the dcm2json loop: {status} ({gated:.1f}x)")
    return 0 if status == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
