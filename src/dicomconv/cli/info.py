"""``dicomconv info [options] FILE|DIR``: GDCM gdcminfo's options.

Prints, per file, the SOP class, transfer syntax, dimensions, frames and pixel description in
gdcminfo's layout (``filename: ...`` before each file of a folder), or one JSON document with
``--json`` (an object for a file, an array for a folder).

Exit codes: 0 ok, 1 usage, 20 cannot read, 21 invalid input (not DICOM, truncated, pixel data
that cannot be decoded for --md5sum), 22 unsupported pixel data; for a folder 3 when some file
failed (each failure is reported, the others are described).
"""
from __future__ import annotations

import os
import sys

from .args import report
from .options import Command, Opt, UsageError, fail_usage

PROG = "dicomconv info"
EXIT_SOME_FAILED = 3

COMMAND = Command(
    PROG,
    "Display meta information about DICOM files: SOP class, transfer syntax, dimensions, "
    "frames, pixel description; the MD5 of the decoded pixel data (the same before and after a "
    "lossless transcode) and whether the encapsulated streams are lossless or lossy.",
    params=[("file-in", "DICOM file or folder")],
    options=[
        Opt("-i --input", "input", "value", metavar="FILE",
            help="DICOM filename or directory (instead of the parameter)", group="parameter"),
        Opt("-r --recursive", "recursive", help="recursive (folders)", group="options"),
        Opt("--md5sum", "md5", help="compute the MD5 of the decoded pixel data (interleaved, "
            "little-endian samples)", group="options"),
        Opt("--check-compression", "check",
            help="check the encapsulated stream compression (lossless/lossy)", group="options"),
        Opt("--json", "json", help="machine-readable output (JSON)", group="options"),
        Opt("-v --version", "version", help="print version information and exit",
            group="general options"),
        Opt("-V --verbose", "log", const="verbose", help="more verbose (warning+error)",
            group="general options"),
        Opt("-W --warning", "log", const="warning", help="print warning info",
            group="general options"),
        Opt("-D --debug", "log", const="debug", help="print debug info", group="general options"),
        Opt("-E --error", "log", const="error", help="print error info", group="general options"),
        Opt("-q --quiet", "log", const="quiet", help="print no errors", group="general options"),
    ],
    defaults={"version": False, "input": None, "recursive": False, "md5": False, "check": False, "json": False,
              "log": "error", "file_in": None},
    optional_params=1,
)


def main(argv: list[str] | None = None) -> int:
    try:
        args = COMMAND.parse(sys.argv[1:] if argv is None else argv)
        if args["version"]:
            from .. import __version__

            print(f"{PROG} (dicomconv {__version__})")
            return 0
        target = args["input"] or args["file_in"]
        if args["input"] and args["file_in"]:
            raise UsageError("give the input once (-i or the parameter)")
        if not target:
            raise UsageError("missing parameter(s): file-in")
    except UsageError as exc:
        return fail_usage(COMMAND, str(exc))
    quiet = args["log"] == "quiet"

    from .args import import_pydicom_lean

    import_pydicom_lean()
    from ..errors import DicomconvError
    from ..inspect import describe, format_text, iter_files

    folder = os.path.isdir(target)
    if not folder and not os.path.exists(target):
        from ..jsonmodel import CannotReadError

        return report(PROG, CannotReadError(f"{target}: cannot read: No such file or directory"),
                      quiet)
    results: list[dict] = []
    status = 0
    for path in iter_files(target, args["recursive"]):
        try:
            info = describe(path, md5=args["md5"], check_compression=args["check"])
        except DicomconvError as exc:
            code = report(PROG, exc, quiet)
            status = EXIT_SOME_FAILED if folder else code
            results.append({"file": path, "error": " ".join(str(exc).split()), "exit_code": code})
            continue
        if "error" in info:
            if not quiet:
                print(f"{PROG}: error: {info['error']}", file=sys.stderr)
            status = EXIT_SOME_FAILED if folder else info["exit_code"]
        results.append(info)
        if not args["json"]:
            text = format_text(info)
            print(f"filename: {path}\n{text}" if folder else text)
        if args["log"] in ("verbose", "debug", "warning"):
            for note in info.get("notes", []):
                print(f"{PROG}: {path}: {note}", file=sys.stderr)
    if args["json"]:
        import json

        print(json.dumps(results if folder else results[0], indent=2, ensure_ascii=False))
    return status
