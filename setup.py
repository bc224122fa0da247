"""Builds the Cython modules in native/ into dicomconv._native.* and the ``dicomconv`` launcher;
metadata is in pyproject.toml."""
import os
import sys
from pathlib import Path

from Cython.Build import cythonize
from setuptools import Extension, setup

HERE = Path(__file__).parent
# DICOMCONV_NATIVE_ONLY=rle,bmp builds only those modules (handy while developing one of them).
ONLY = {name for name in os.environ.get("DICOMCONV_NATIVE_ONLY", "").split(",") if name}
extensions = [
    Extension(f"dicomconv._native.{pyx.stem}", [str(pyx.relative_to(HERE))], extra_compile_args=["-O3"])
    for pyx in sorted((HERE / "native").glob("*.pyx"))
    if not ONLY or pyx.stem in ONLY
]

# The launcher is a small sh/Python script (scripts/dicomconv.in) with the interpreter that
# builds the package filled in; it falls back to the python3 beside it or on PATH.
launcher_dir = HERE / "build" / "launcher"
launcher_dir.mkdir(parents=True, exist_ok=True)
launcher = launcher_dir / "dicomconv"
launcher.write_text((HERE / "scripts" / "dicomconv.in").read_text().replace("@PYTHON@", sys.executable))
os.chmod(launcher, 0o755)

setup(
    ext_modules=cythonize(extensions, language_level=3, compiler_directives={"embedsignature": True}),
    scripts=[str(launcher.relative_to(HERE))],
)
