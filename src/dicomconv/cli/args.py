"""argparse helpers for DCMTK-style options (``+x`` and ``-x`` both as option prefixes) and the
shared error reporting: one readable line on stderr, the exit code of the error."""
from __future__ import annotations

import argparse
import sys

from ..errors import EXIT_USAGE, DicomconvError


class Parser(argparse.ArgumentParser):
    """An ArgumentParser accepting DCMTK's ``+opt`` options, exiting 1 on usage errors."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix_chars", "-+")
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str):  # argparse's default exits 2; DCMTK uses 1
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def report(prog: str, exc: DicomconvError, quiet: bool = False) -> int:
    """Print ``prog: error: message`` (one line) unless quiet; return the exit code."""
    if not quiet:
        message = " ".join(str(exc).split())
        print(f"{prog}: error: {message}", file=sys.stderr)
    return exc.exit_code
