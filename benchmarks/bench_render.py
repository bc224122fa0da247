#!/usr/bin/env python
"""DICOM → image benchmark (issue 6): ``python benchmarks/bench_render.py [--quick] [--no-cli]``.

Everything is generated here (deterministic): a 2048 x 2048 CT phantom (``bench_rle.phantom``,
stored as int16 0 .. 4095 with Rescale Intercept -1024 and a 40 / 400 window in the file).

1. Kernel: Modality LUT (rescale) + VOI (LINEAR window) of the 2048^2 int16 frame into uint8 --
   our kernel as ``Renderer.render`` uses it (``apply_affine``, one thread; for context the
   ``parallel=True`` wrapper, which is off by default -- see ``dicomconv.kernels`` -- and the
   table gather of a SIGMOID window) vs ``arr.copy()`` of the same array (issue 6 target: at most
   1.5x the copy). Reference row: pydicom ``apply_modality_lut`` + ``apply_voi_lut`` + scaling
   to uint8.
2. PNG deflate cost of the rendered frame: our writer (Up filter, deflate on all cores) at levels
   0 / 1 (Z_RLE, the default) / 6, and Pillow's PNG encoder at levels 1 / 6, with the sizes.
3. Batch: ``render_file`` of 50 generated 2048^2 CT files into PNG, in process, one after the
   other, vs ``dcmj2pnm +on +Wi 1 -O`` per file (target: at least 3x faster; skipped without
   DCMTK). Both write into fresh directories on the same disk.
4. ``dicomconv dcm2img`` single-file times: cold (empty NUMBA_CACHE_DIR: numba compiles what
   the file needs) and warm (second process: numba's import and cache load), and
   ``dcmj2pnm`` on the same file.

Timed pairs run alternately (ours then reference, then reference then ours, ...); the ratio
reported is the median of the per-round paired ratios, as in ``gate.py`` (robust to this shared
machine's noise), with min / median times for information.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
try:
    import dicomconv  # noqa: F401
except ImportError:  # a checkout that is not installed
    sys.path.insert(0, str(HERE.parent / "src"))

import bench_rle as br  # noqa: E402

CT_SIZE = 2048
BATCH_FILES = 50


# ------------------------------------------------------------------------------ inputs

def ct_dataset(n: int = CT_SIZE, seed: int = 2026, offset: int = 0):
    """A CT Image-like dataset: the phantom as int16 stored values 0..4095, rescale -1024,
    window 40/400 in the file."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

    image = (br.phantom(n, np.random.default_rng(seed)).astype(np.int16) + offset)
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = CTImageStorage
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, ds.file_meta.MediaStorageSOPInstanceUID
    ds.Modality = "CT"
    ds.Rows, ds.Columns = image.shape
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
    ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType = -1024, 1, "HU"
    ds.WindowCenter, ds.WindowWidth = 40, 400
    ds.PixelData = image.tobytes()
    ds["PixelData"].VR = "OW"
    return ds, image


def write_ct_series(folder: Path, count: int = BATCH_FILES) -> list[Path]:
    """``count`` CT files (the phantom shifted by a few values per file) in ``folder``."""
    ds, image = ct_dataset()
    paths = []
    for i in range(count):
        ds.PixelData = (image + (i % 7)).astype(np.int16).tobytes()
        path = folder / f"ct{i:03d}.dcm"
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths


def dcmj2pnm_exe() -> str | None:
    return shutil.which("dcmj2pnm", path="/usr/bin:/usr/local/bin") or shutil.which("dcmj2pnm")


# --------------------------------------------------------------------------- contenders

class KernelBench:
    """The kernel contenders on one frame (prepared untimed)."""

    def __init__(self, n: int = CT_SIZE):
        from dicomconv.render import Renderer, RenderOptions

        self.ds, self.image = ct_dataset(n)
        self.renderer = Renderer(self.ds)
        self.expected = self.renderer.render(0)               # compiles, builds the table
        self.flat, self.mask, self.sign, _ = self.renderer._stored(0)
        affine = self.renderer._table_cache[2]
        if affine is None:
            raise AssertionError("the CT window did not take the float32 path")
        self.x0, self.a, self.b, self.inv = affine
        self.ymax = np.float32(255)
        self.sigmoid = Renderer(self.ds, RenderOptions(voi="window", voi_function="sigmoid"))
        self.sigmoid.render(0)
        self.check()

    def kernel(self):
        from dicomconv import kernels
        from dicomconv.kernels import render as kr

        out = np.empty(self.flat.shape[0], np.uint8)
        kr.apply_affine_parallel(self.flat, self.mask, self.sign, self.x0, self.a, self.b,
                                 self.ymax, self.inv, out, 2 * kernels_threads())
        return out

    def kernel_serial(self):
        from dicomconv.kernels import render as kr

        out = np.empty(self.flat.shape[0], np.uint8)
        kr.apply_affine(self.flat, self.mask, self.sign, self.x0, self.a, self.b, self.ymax,
                        self.inv, out)
        return out

    def copy(self):
        return self.image.copy()

    def pydicom(self):
        from pydicom.pixels import apply_modality_lut, apply_voi_lut

        v = apply_voi_lut(apply_modality_lut(self.image, self.ds), self.ds)
        lo, hi = v.min(), v.max()
        return ((v - lo) * (255.0 / max(hi - lo, 1)) + 0.5).astype(np.uint8)

    def kernel_times(self, count: int) -> None:
        """``count`` serial kernel runs, each output dropped before the next (as a renderer
        does frame after frame)."""
        for _ in range(count):
            self.kernel_serial()

    def copy_times(self, count: int) -> None:
        for _ in range(count):
            self.copy()

    def check(self):
        for out in (self.kernel(), self.kernel_serial()):
            if not np.array_equal(out.reshape(self.expected.shape), self.expected):
                raise AssertionError("kernel output differs from Renderer.render")


def kernels_threads() -> int:
    import numba

    return numba.get_num_threads()


def render_batch(pairs) -> None:
    from dicomconv.render import render_file

    for src, dst in pairs:
        render_file(src, dst)


def dcmtk_batch(pairs, exe: str) -> None:
    for src, dst in pairs:
        proc = subprocess.run([exe, "+on", "+Wi", "1", "-O", str(src), str(dst)],
                              capture_output=True)
        if proc.returncode:
            raise RuntimeError(f"dcmj2pnm failed on {src}: {proc.stderr.decode(errors='replace')}")


def ours_render(src) -> np.ndarray:
    """Our rendering of frame 1 as int (for output checks)."""
    from dicomconv.render import render_frame

    return render_frame(src).astype(int)


def dcmtk_render(src, exe: str) -> np.ndarray:
    """DCMTK's rendering (+Wi 1) of frame 1 as int, through a PGM file."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "d.pgm"
        proc = subprocess.run([exe, "+Wi", "1", "-O", str(src), str(out)], capture_output=True)
        if proc.returncode:
            raise RuntimeError(f"dcmj2pnm failed on {src}")
        data = out.read_bytes()
    header = data.split(maxsplit=4)       # P5 width height maxval data (no comments: DCMTK)
    w, h = int(header[1]), int(header[2])
    return np.frombuffer(data[-w * h:], np.uint8).reshape(h, w).astype(int)


# --------------------------------------------------------------------------- measuring

def paired(ours, ref, rounds: int, prepare=None, cleanup=None, repeat: int = 1) -> dict:
    """Alternating rounds; ``repeat`` calls per timed run. Returns the median paired ratio and
    the times."""
    import gc

    times = {"ours": [], "ref": []}
    fns = {"ours": ours, "ref": ref}
    for r in range(rounds):
        for who in (("ours", "ref") if r % 2 == 0 else ("ref", "ours")):
            ctx = prepare() if prepare else None
            gc.collect()
            start = time.perf_counter()
            for _ in range(repeat):
                fns[who](ctx) if prepare else fns[who]()
            times[who].append((time.perf_counter() - start) / repeat)
            if cleanup:
                cleanup(ctx)
    ratios = [o / f for o, f in zip(times["ours"], times["ref"])]
    return {"ratio": statistics.median(ratios), "ours_med": statistics.median(times["ours"]),
            "ref_med": statistics.median(times["ref"]), "ours_min": min(times["ours"]),
            "ref_min": min(times["ref"]), "ratios": ratios}


def best(fn, repeat: int = 5) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:8.2f} ms"


# ------------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer rounds and files")
    ap.add_argument("--no-cli", action="store_true", help="skip the command-line timings")
    ap.add_argument("--files", type=int, default=None, help=f"batch size (default {BATCH_FILES})")
    args = ap.parse_args(argv)
    rounds = 15 if args.quick else 31
    t_start = time.perf_counter()

    # ---- 1. kernel
    kb = KernelBench()
    res = paired(lambda: kb.kernel_serial(), lambda: kb.copy(), rounds, repeat=5)
    print(f"1. kernel: rescale + window 40/400 on {CT_SIZE}x{CT_SIZE} int16 → uint8")
    print(f"   ours (apply_affine)           {ms(res['ours_med'])} (min {ms(res['ours_min'])})")
    print(f"   numpy copy of the frame       {ms(res['ref_med'])} (min {ms(res['ref_min'])})")
    print(f"   ratio ours / copy (median of {rounds} paired rounds): {res['ratio']:.2f}  "
          f"(target <= 1.5)  [IQR {np.percentile(res['ratios'], 25):.2f} - "
          f"{np.percentile(res['ratios'], 75):.2f}]")
    par = paired(lambda: kb.kernel(), lambda: kb.copy(), rounds, repeat=5)
    print(f"   for context: parallel=True kernel ({kernels_threads()} threads, off by default) "
          f"{ms(par['ours_med'])} (min {ms(par['ours_min'])}), ratio {par['ratio']:.2f}; "
          f"Renderer.render (chain cached) {ms(best(lambda: kb.renderer.render(0), 21)[1])}; "
          f"SIGMOID (table gather) {ms(best(lambda: kb.sigmoid.render(0), 21)[1])}")
    pyd = best(kb.pydicom, 3)
    print(f"   reference row: pydicom apply_modality_lut + apply_voi_lut + uint8 {ms(pyd[1])} "
          f"({pyd[1] / res['ref_med']:.0f}x the copy)")

    # ---- 2. PNG deflate cost
    from io import BytesIO

    from PIL import Image

    from dicomconv.render import encode_png

    frame = kb.expected
    print(f"2. PNG of the rendered {CT_SIZE}x{CT_SIZE} 8-bit frame:")
    for level in (0, 1, 6):
        t = best(lambda: encode_png(frame, level), 5)
        size = sum(len(c) for c in encode_png(frame, level))
        note = "  (default: Z_RLE)" if level == 1 else ""
        print(f"   ours level {level}      {ms(t[1])}  {size / 1e6:6.2f} MB{note}")
    t = best(lambda: encode_png(frame, 1, threads=1), 5)
    print(f"   ours level 1, 1 thread {ms(t[1])}")
    image = Image.fromarray(frame)
    for level in (1, 6):
        def pillow(level=level):
            buf = BytesIO()
            image.save(buf, "PNG", compress_level=level)
            return buf
        t = best(pillow, 3)
        print(f"   Pillow level {level}    {ms(t[1])}  {len(pillow().getvalue()) / 1e6:6.2f} MB")

    # ---- 3. batch vs dcmj2pnm
    exe = dcmj2pnm_exe()
    count = args.files or (20 if args.quick else BATCH_FILES)
    work = Path(tempfile.mkdtemp(prefix="bench-render-", dir=HERE / ".cache"
                                 if (HERE / ".cache").is_dir() else None))
    try:
        srcs = write_ct_series(work, count)
        if exe is None:
            print("3. batch: SKIP (DCMTK dcmj2pnm is not installed)")
        else:
            counter = iter(range(10**6))

            def prepare():
                out = work / f"out{next(counter)}"
                out.mkdir()
                return [(s, out / (s.stem + ".png")) for s in srcs]

            def cleanup(pairs):
                shutil.rmtree(pairs[0][1].parent)

            render_batch(prepare()[:1])                    # warm: compile / load kernels
            dcmtk_batch(prepare()[:1], exe)
            res = paired(lambda p: render_batch(p), lambda p: dcmtk_batch(p, exe),
                         2 if args.quick else 3, prepare, cleanup)
            print(f"3. batch: {count} CT files {CT_SIZE}x{CT_SIZE} → PNG, one after the other")
            print(f"   ours (render_file in process) {res['ours_med'] * 1e3 / count:7.1f} ms/file")
            print(f"   dcmj2pnm +on +Wi 1 per file   {res['ref_med'] * 1e3 / count:7.1f} ms/file")
            print(f"   ours is {1 / res['ratio']:.1f}x faster (ratio {res['ratio']:.3f}; target "
                  f"<= 0.333)")

        # ---- 4. CLI single file
        if not args.no_cli:
            cli = [sys.executable, "-m", "dicomconv", "dcm2img"]
            src = srcs[0]
            cache = Path(tempfile.mkdtemp(prefix="numba-cache-", dir=work))
            env = dict(os.environ, NUMBA_CACHE_DIR=str(cache))

            def run(cmd, env=None):
                start = time.perf_counter()
                subprocess.run(cmd, check=True, capture_output=True, env=env)
                return time.perf_counter() - start

            cold = run([*cli, str(src), str(work / "cold.png")], env)
            warm = [run([*cli, str(src), str(work / "warm.png")], env) for _ in range(4)]
            print("4. dicomconv dcm2img ct.dcm out.png (one 2048^2 CT file):")
            print(f"   cold (first process, empty numba cache: compiling) {cold:6.2f} s")
            print(f"   warm (numba import + cache load)                   "
                  f"{statistics.median(warm):6.2f} s (min {min(warm):.2f})")
            bare = [run([sys.executable, "-c", "import numba"]) for _ in range(3)]
            print(f"   for context: python -c 'import numba'              {min(bare):6.2f} s")
            if exe:
                ref = [run([exe, "+on", "+Wi", "1", "-O", str(src), str(work / "d.png")])
                       for _ in range(4)]
                print(f"   dcmj2pnm +on +Wi 1                                 "
                      f"{statistics.median(ref):6.2f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"({time.perf_counter() - t_start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
