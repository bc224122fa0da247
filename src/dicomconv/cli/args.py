"""Shared error reporting for the commands: one readable line on stderr, the error's exit code."""
from __future__ import annotations

import sys


def report(prog: str, exc, quiet: bool = False) -> int:
    """Print ``prog: error: message`` (one line) unless quiet; return ``exc.exit_code``."""
    if not quiet:
        message = " ".join(str(exc).split())
        print(f"{prog}: error: {message}", file=sys.stderr)
    return exc.exit_code
