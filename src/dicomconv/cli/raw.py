"""``dicomconv raw -i in.dcm -o out [options]``: GDCM gdcmraw's options.

Writes the value of an element (default (7FE0,0010) Pixel Data) to a file: native values as
stored; encapsulated Pixel Data as one file per fragment (``-S``: ``out`` + ``--pattern`` %
index, default pattern ``%d``, as gdcmraw) or, without ``-S``, each frame's fragments
concatenated (a playable .jpg/.j2k/.jls stream): the file ``out`` for one frame, ``out`` +
pattern % frame index for several (gdcmraw concatenates all fragments into one file instead);
``-P``: the decoded pixel data (interleaved, little endian).

Exit codes: 0 ok, 1 usage, 20 cannot read input, 21 invalid input (not DICOM, truncated, no
such element, malformed Pixel Data), 22 unsupported, 40 cannot write output.
"""
from __future__ import annotations

import sys

from .args import report
from .options import Command, Opt, UsageError, fail_usage

PROG = "dicomconv raw"

COMMAND = Command(
    PROG,
    "Extract a data element value field (default Pixel Data) to a file: fragments, frames or "
    "decoded pixels.",
    params=[("file-in", "DICOM filename (or -i)"), ("file-out", "output filename (or -o)")],
    optional_params=2,
    options=[
        Opt("-i --input", "input", "value", metavar="FILE", help="DICOM filename",
            group="parameter"),
        Opt("-o --output", "output", "value", metavar="FILE", help="output filename",
            group="parameter"),
        Opt("-t --tag", "tag", "value", metavar="GGGG,EEEE",
            help="tag to extract the value of (default 7fe0,0010; a keyword works too)",
            group="parameter"),
        Opt("-S --split-frags", "split", help="split fragments into multiple files",
            group="options"),
        Opt("-p --pattern", "pattern", "value", metavar="PATTERN",
            help="trailing file pattern of split files, printf style (default %%d)",
            group="options"),
        Opt("-P --pixel-data", "pixel_data",
            help="write the decoded pixel data (every frame; interleaved, little endian)",
            group="options"),
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
    defaults={"version": False, "input": None, "output": None, "tag": None, "split": False, "pattern": None,
              "pixel_data": False, "log": "error", "file_in": None, "file_out": None},
)


def main(argv: list[str] | None = None) -> int:
    try:
        args = COMMAND.parse(sys.argv[1:] if argv is None else argv)
        if args["version"]:
            from .. import __version__

            print(f"{PROG} (dicomconv {__version__})")
            return 0
        src = args["input"] or args["file_in"]
        dst = args["output"] or (args["file_out"] if args["input"] is None or args["file_in"] is None
                                 else args["file_in"])
        if args["input"] and args["output"] and (args["file_in"] or args["file_out"]):
            raise UsageError("too many parameters: the input and output are given with -i and -o")
        if not src:
            raise UsageError("need an input file (-i)")
        if not dst:
            raise UsageError("need an output file (-o)")
        if args["pattern"] is not None:
            try:
                args["pattern"] % 0
            except (TypeError, ValueError):
                raise UsageError(f"--pattern needs one integer conversion (e.g. %02d.jpg), "
                                 f"not {args['pattern']!r}") from None
        if args["pixel_data"] and args["split"]:
            raise UsageError("--pixel-data cannot go with --split-frags")
    except UsageError as exc:
        return fail_usage(COMMAND, str(exc))
    quiet = args["log"] == "quiet"

    from .args import import_pydicom_lean

    import_pydicom_lean()
    from ..errors import DicomconvError
    from ..inspect import PIXEL_DATA, extract, parse_tag

    tag = PIXEL_DATA
    if args["tag"] is not None:
        try:
            tag = parse_tag(args["tag"])
        except ValueError as exc:
            return fail_usage(COMMAND, str(exc))
    try:
        written = extract(src, dst, tag=tag, split_fragments=args["split"],
                          pattern=args["pattern"], pixel_data=args["pixel_data"])
    except DicomconvError as exc:
        return report(PROG, exc, quiet)
    if args["log"] in ("verbose", "debug"):
        for path in written:
            print(f"{PROG}: wrote {path}", file=sys.stderr)
    return 0
