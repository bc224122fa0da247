"""``dicomconv json2dcm [options] jsonfile-in dcmfile-out``: a DICOM JSON Model document (and
its bulk data) back to a DICOM file; DCMTK json2dcm's option names where they apply.

Exit codes (json2dcm's): 0 ok, 1 usage, 20 cannot read the input file, 40 cannot write the
output, 65 invalid JSON content (not JSON, not the DICOM JSON Model, values that cannot be
encoded), 66 a BulkDataURI that cannot be used (not a file URI or relative reference, missing
file).
"""
from __future__ import annotations

import sys

from .args import report
from .options import Command, Opt, UsageError, fail_usage, log_options

PROG = "dicomconv json2dcm"

_XFER = {"little": "1.2.840.10008.1.2.1", "implicit": "1.2.840.10008.1.2",
         "deflated": "1.2.840.10008.1.2.1.99"}

COMMAND = Command(
    PROG,
    "Convert a DICOM JSON Model document (PS3.18 Annex F) to a DICOM file. BulkDataURIs are "
    "file URIs or references relative to the JSON file; encapsulated Pixel Data given as frame "
    "files (or a text/uri-list of them) is encapsulated again, one fragment per frame with a "
    "Basic Offset Table. The transfer syntax is the one given, else the JSON's (0002,0010), "
    "else the one the Pixel Data's stream headers say, else Explicit VR Little Endian.",
    params=[("jsonfile-in", "JSON input filename (\"-\" for stdin)"),
            ("dcmfile-out", "DICOM output filename (\"-\" for stdout)")],
    options=[
        Opt("--version", "version", help="print version information and exit",
            group="general options"),
        *log_options("general options"),
        Opt("+f --read-meta-info", "read_meta", const=True,
            help="read meta information if present (default)", group="input options"),
        Opt("-f --ignore-meta-info", "read_meta", const=False, help="ignore file meta information",
            group="input options"),
        Opt("+Bu --parse-bulkdata-uri", "bulk", const=True, help="parse BulkDataURIs (default)",
            group="processing options"),
        Opt("-Bu --ignore-bulkdata-uri", "bulk", const=False,
            help="ignore BulkDataURIs (the attributes are written empty)",
            group="processing options"),
        Opt("+F --write-file", "write_dataset", const=False, help="write file format (default)",
            group="output options"),
        Opt("-F --write-dataset", "write_dataset", const=True,
            help="write data set without file meta information (native transfer syntaxes)",
            group="output options"),
        Opt("+t= --write-xfer-same", "xfer", const=None,
            help="write with the transfer syntax of the JSON / its Pixel Data (default)",
            group="output options"),
        Opt("+te --write-xfer-little", "xfer", const="little",
            help="write with explicit VR little endian TS", group="output options"),
        Opt("+ti --write-xfer-implicit", "xfer", const="implicit",
            help="write with implicit VR little endian TS", group="output options"),
        Opt("+td --write-xfer-deflated", "xfer", const="deflated",
            help="write with deflated explicit VR little endian TS", group="output options"),
        Opt("--transfer-syntax", "xfer_uid", "value", metavar="UID",
            help="write with transfer syntax UID (e.g. the one of encapsulated Pixel Data)",
            group="output options"),
        Opt("+c --charset-accept", "charset_replace", const=False,
            help="write with the character set given in the JSON (default)",
            group="output options"),
        Opt("-c --charset-replace", "charset_replace", const=True,
            help="replace the character set given in the JSON with UTF-8", group="output options"),
    ],
    defaults={"version": False, "log": "warn", "read_meta": True, "bulk": True, "write_dataset": False,
              "xfer": None, "xfer_uid": None, "charset_replace": False},
)


def main(argv: list[str] | None = None) -> int:
    try:
        argv = sys.argv[1:] if argv is None else argv
        args = {"version": True} if "--version" in argv else COMMAND.parse(argv)
        if args["version"]:
            from .. import __version__

            print(f"{PROG} (dicomconv {__version__})")
            return 0
        if args["xfer"] and args["xfer_uid"]:
            raise UsageError("--transfer-syntax cannot go with +te/+ti/+td")
        if not args["jsonfile_in"] or not args["dcmfile_out"]:
            raise UsageError("invalid filename: <empty string>")
        uid = args["xfer_uid"]
        if uid is not None:
            from ..uids import is_valid_uid

            if not is_valid_uid(uid):
                raise UsageError(f"--transfer-syntax needs a UID, not {uid!r}")
    except UsageError as exc:
        return fail_usage(COMMAND, str(exc))
    quiet = args["log"] == "quiet"

    from ..errors import DicomconvError
    from ..jsonmodel import DicomOptions, json_file_to_dicom

    ts = _XFER.get(args["xfer"]) if args["xfer"] else args["xfer_uid"]
    options = DicomOptions(transfer_syntax=ts, read_meta=args["read_meta"], bulk=args["bulk"],
                           charset_replace=args["charset_replace"],
                           write_dataset=args["write_dataset"])
    try:
        result = json_file_to_dicom(args["jsonfile_in"], args["dcmfile_out"], options)
    except DicomconvError as exc:
        if exc.exit_code == 21:                  # our "invalid input": the JSON's content
            exc.exit_code = 65
        return report(PROG, exc, quiet)
    if args["log"] in ("verbose", "debug"):
        frames = "" if result.frames is None else f", {result.frames} frame(s)"
        print(f"{PROG}: {args['jsonfile_in']} -> {args['dcmfile_out']}: "
              f"{result.transfer_syntax}{frames}", file=sys.stderr)
        for note in result.notes:
            print(f"{PROG}: {note}", file=sys.stderr)
    return 0
