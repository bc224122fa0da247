"""dicomconv: fast, standard-correct conversion of pixels into and out of DICOM.

Public API (imports are lazy so that ``import dicomconv`` stays cheap):

- :func:`jpeg_to_dicom` — JPEG bytes → DICOM Part 10 bytes, the JPEG stream stored as is.
- :func:`convert_file` — image file → DICOM file, written atomically.
- :class:`Img2DcmOptions`, :class:`JpegOptions`, :class:`DatasetOptions` — their options.
- :class:`DicomconvError` and subclasses — one-line errors with a CLI exit code.
"""
from __future__ import annotations

__version__ = "0.1.0"

_LAZY = {
    "jpeg_to_dicom": "dicomconv.img2dcm",
    "convert_file": "dicomconv.img2dcm",
    "Img2DcmOptions": "dicomconv.img2dcm",
    "JpegOptions": "dicomconv.inputs.jpeg",
    "DatasetOptions": "dicomconv.iod",
    "DicomconvError": "dicomconv.errors",
    "InputError": "dicomconv.errors",
    "UnsupportedInputError": "dicomconv.errors",
    "AttributeValueError": "dicomconv.errors",
    "OutputError": "dicomconv.errors",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'dicomconv' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
