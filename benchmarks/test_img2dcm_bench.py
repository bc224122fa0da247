"""pytest-benchmark suites for img2dcm: ours next to a reference, same inputs, same kind of
output directory, in one benchmark group each so the table shows them side by side.

    python -m pytest benchmarks -q --benchmark-only
    python -m pytest benchmarks -q --benchmark-only --benchmark-group-by=group --benchmark-columns=min,median,max,rounds

The CI gate (ratios against ``floors.json``) is ``python benchmarks/gate.py``.
"""
from __future__ import annotations

import os

import pytest

import bench_support as bs


def _check_files(who, file_pairs):
    for src, dst in (file_pairs[0], file_pairs[-1]):
        bs.check_dicom(dst, src) if who == "ours" else bs.check_copy(src, dst)


def _run_files(benchmark, file_rounds, out_dirs, sources, fn, who, rounds):
    setup, teardown = file_rounds(sources)
    benchmark.pedantic(lambda out, file_pairs: fn(file_pairs), setup=setup, teardown=teardown,
                       rounds=rounds, warmup_rounds=1)
    # one more, untimed, to check what was written
    out = out_dirs.fresh()
    try:
        file_pairs = bs.pairs(sources, out)
        fn(file_pairs)
        _check_files(who, file_pairs)
        assert len(os.listdir(out)) == len(file_pairs)  # no temporary files left behind
    finally:
        out_dirs.remove(out)


# (a) 1000 ~90 KB JPEGs: convert_file vs plain read+write -------------------------------------

@pytest.mark.benchmark(group="batch_1000")
def test_batch_1000_convert_file(benchmark, bench_inputs, file_rounds, out_dirs):
    benchmark.extra_info["files"] = len(bench_inputs.batch)
    benchmark.extra_info["mean_input_bytes"] = bench_inputs.manifest["batch_bytes_mean"]
    _run_files(benchmark, file_rounds, out_dirs, bench_inputs.batch, bs.ours_files, "ours", rounds=7)


@pytest.mark.benchmark(group="batch_1000")
def test_batch_1000_read_write(benchmark, bench_inputs, file_rounds, out_dirs):
    benchmark.extra_info["files"] = len(bench_inputs.batch)
    _run_files(benchmark, file_rounds, out_dirs, bench_inputs.batch, bs.copy_files, "ref", rounds=7)


# (b) one ~25 MB JPEG: convert_file in-process vs plain read+write ---------------------------

@pytest.mark.benchmark(group="large_25mb")
def test_large_25mb_convert_file(benchmark, bench_inputs, file_rounds, out_dirs):
    benchmark.extra_info["input_bytes"] = bench_inputs.manifest["large_bytes"]
    _run_files(benchmark, file_rounds, out_dirs, [bench_inputs.large], bs.ours_files, "ours", rounds=15)


@pytest.mark.benchmark(group="large_25mb")
def test_large_25mb_read_write(benchmark, bench_inputs, file_rounds, out_dirs):
    benchmark.extra_info["input_bytes"] = bench_inputs.manifest["large_bytes"]
    _run_files(benchmark, file_rounds, out_dirs, [bench_inputs.large], bs.copy_files, "ref", rounds=15)


# (c) the CLI as a subprocess: dicomconv img2dcm vs DCMTK img2dcm ----------------------------

def _run_cli(benchmark, out_dirs, cmd, src, check_src):
    def setup():
        out = out_dirs.fresh()
        return (out, os.path.join(out, "out.dcm")), {}

    def teardown(out, dst):
        out_dirs.remove(out)

    benchmark.pedantic(lambda out, dst: bs.run_cli(cmd, src, dst), setup=setup, teardown=teardown,
                       rounds=15, warmup_rounds=1)
    out = out_dirs.fresh()
    try:
        bs.run_cli(cmd, src, os.path.join(out, "out.dcm"))
        bs.check_dicom(os.path.join(out, "out.dcm"), check_src)
    finally:
        out_dirs.remove(out)


@pytest.mark.benchmark(group="cli_small")
def test_cli_dicomconv_img2dcm(benchmark, bench_inputs, out_dirs):
    cmd = [*bs.dicomconv_cli(), "img2dcm"]
    benchmark.extra_info["command"] = " ".join(cmd)
    src = os.fspath(bench_inputs.small)
    _run_cli(benchmark, out_dirs, cmd, src, src)


@pytest.mark.benchmark(group="cli_small")
def test_cli_dcmtk_img2dcm(benchmark, bench_inputs, out_dirs, img2dcm_path):
    benchmark.extra_info["command"] = img2dcm_path
    _run_cli(benchmark, out_dirs, [img2dcm_path], os.fspath(bench_inputs.small), None)
