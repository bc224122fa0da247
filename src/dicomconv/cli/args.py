"""What the commands share: one-line error reporting with the error's exit code, and importing
pydicom without the optional packages it probes at import time."""
from __future__ import annotations

import sys


def report(prog: str, exc, quiet: bool = False) -> int:
    """Print ``prog: error: message`` (one line) unless quiet; return ``exc.exit_code``."""
    if not quiet:
        message = " ".join(str(exc).split())
        print(f"{prog}: error: {message}", file=sys.stderr)
    return exc.exit_code


# Optional packages pydicom imports when it is imported, none of which our commands use:
# requests (pydicom's test-data downloader), python-gdcm and pylibjpeg (probed for pydicom's
# own decoding plugins; we call pylibjpeg-libjpeg / -openjpeg directly). Hiding them while
# pydicom is imported saves about 0.2 s per call.
_UNUSED_BY_PYDICOM = ("requests", "gdcm", "pylibjpeg")


def import_pydicom_lean() -> None:
    """Import pydicom with the packages above hidden (pydicom then records its gdcm and
    pylibjpeg plugins as unavailable in this process). Afterwards the packages can be imported
    normally again. No-op when pydicom is already imported."""
    if "pydicom" in sys.modules:
        return
    hidden = [name for name in _UNUSED_BY_PYDICOM if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # makes `import name` fail
    try:
        import pydicom  # noqa: F401
    finally:
        for name in hidden:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]
