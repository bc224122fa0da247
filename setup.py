"""Builds the Cython modules in native/ into dicomconv._native.*; metadata is in pyproject.toml."""
from pathlib import Path

from Cython.Build import cythonize
from setuptools import Extension, setup

HERE = Path(__file__).parent
extensions = [
    Extension(f"dicomconv._native.{pyx.stem}", [str(pyx.relative_to(HERE))], extra_compile_args=["-O3"])
    for pyx in sorted((HERE / "native").glob("*.pyx"))
]

setup(ext_modules=cythonize(extensions, language_level=3, compiler_directives={"embedsignature": True}))
