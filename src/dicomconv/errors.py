"""Exceptions raised by dicomconv, each carrying the CLI exit code it maps to.

Exit codes follow DCMTK's convention: 0 ok, 1 command-line syntax error, 2x problems with the
input, 4x problems with the output.
"""
from __future__ import annotations

EXIT_OK = 0
EXIT_USAGE = 1
EXIT_CANNOT_READ_INPUT = 20
EXIT_INVALID_INPUT = 21
EXIT_UNSUPPORTED_INPUT = 22
EXIT_INVALID_ATTRIBUTE = 23
EXIT_CANNOT_WRITE_OUTPUT = 40


class DicomconvError(Exception):
    """Base class: a conversion failed for a reason the message states in one line."""

    exit_code = EXIT_INVALID_INPUT


class InputError(DicomconvError):
    """The input cannot be read or is not valid for the requested conversion."""

    exit_code = EXIT_INVALID_INPUT


class UnsupportedInputError(InputError):
    """The input is well formed but uses something we refuse (e.g. arithmetic-coded JPEG)."""

    exit_code = EXIT_UNSUPPORTED_INPUT


class AttributeValueError(DicomconvError):
    """A DICOM attribute given by the user (``--key``) is unknown or invalid for its VR,
    or a type 1 attribute is missing and may not be invented."""

    exit_code = EXIT_INVALID_ATTRIBUTE


class OutputError(DicomconvError):
    """The output file cannot be written."""

    exit_code = EXIT_CANNOT_WRITE_OUTPUT
