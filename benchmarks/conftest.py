"""Fixtures of the pytest-benchmark suites (``python -m pytest benchmarks -q --benchmark-only``).

The inputs are generated with Pillow on first use and cached under ``benchmarks/.cache/``
(see ``bench_support.py``); the outputs go to fresh directories removed after each round.
The pass/fail floors are not checked here: that is ``benchmarks/gate.py``'s job (it measures
the ratios side by side); these suites are for looking at the numbers and comparing runs
(``--benchmark-autosave``, ``--benchmark-compare``).
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_support as bs  # noqa: E402


@pytest.fixture(scope="session")
def bench_inputs() -> bs.Inputs:
    return bs.get_inputs(log=lambda m: print(f"\n{m}", file=sys.stderr))


@pytest.fixture(scope="session")
def out_dirs():
    dirs = bs.OutDirs()
    yield dirs
    dirs.close()


@pytest.fixture
def file_rounds(out_dirs):
    """``setup``/``teardown`` for ``benchmark.pedantic``: each round gets a fresh empty output
    directory (untimed) and the (src, dst) pairs into it; the directory is removed afterwards."""

    def make(sources):
        def setup():
            out = out_dirs.fresh()
            return (out, bs.pairs(sources, out)), {}

        def teardown(out, file_pairs):
            out_dirs.remove(out)

        return setup, teardown

    return make


@pytest.fixture(scope="session")
def img2dcm_path() -> str:
    path = bs.reference_img2dcm()
    if path is None:
        pytest.skip("DCMTK img2dcm is not on PATH: install dcmtk (apt-get install dcmtk) to "
                    "benchmark the reference CLI")
    return path
