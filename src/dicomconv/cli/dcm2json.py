"""``dicomconv dcm2json [options] dcmfile-in [jsonfile-out]``: DCMTK dcm2json's options.

Exit codes (dcm2json's): 0 ok, 1 usage, 20 cannot read the input file (also: not DICOM,
truncated, malformed), 21 no input file (empty name), 40 cannot write the output (JSON or bulk
data), 80 a value cannot be converted to Unicode, 81 a value cannot be written as valid JSON
(inf/NaN without -ee, an invalid IS/DS with -in).
"""
from __future__ import annotations

import sys

from .args import report
from .options import Command, Opt, UsageError, fail_usage, log_options

PROG = "dicomconv dcm2json"

EXIT_CANNOT_READ_INPUT_FILE = 20
EXIT_NO_INPUT_FILES = 21

COMMAND = Command(
    PROG,
    "Convert a DICOM file to JSON (the DICOM JSON Model, PS3.18 Annex F), UTF-8. Large binary "
    "values can be written as bulk data files named by their SHA-256 with an extension giving "
    "the MIME type; encapsulated Pixel Data is always written as bulk data (one file per frame, "
    "or the whole value).",
    params=[("dcmfile-in", "DICOM input filename to be converted (\"-\" for stdin)"),
            ("jsonfile-out", "JSON output filename (default: stdout)")],
    optional_params=1,
    options=[
        Opt("--version", "version", help="print version information and exit",
            group="general options"),
        *log_options("general options"),
        Opt("+fo --read-file-only", "read_file_only",
            help="read file format only (the only mode: files without meta information are "
                 "refused)", group="input options"),
        Opt("-es --encode-strict", "extended", const=False,
            help="report error for 'inf' and 'nan' (default)", group="processing options"),
        Opt("-ee --encode-extended", "extended", const=True,
            help="permit 'inf' and 'nan' in JSON numbers", group="processing options"),
        Opt("-ia --is-ds-auto", "numbers", const="auto",
            help="encode IS/DS as number if valid, as string otherwise (default)",
            group="processing options"),
        Opt("-in --is-ds-num", "numbers", const="number",
            help="always encode IS/DS as number, fail if invalid", group="processing options"),
        Opt("-is --is-ds-string", "numbers", const="string", help="always encode IS/DS as string",
            group="processing options"),
        Opt("+Ca --charset-assume", "charset_assume", "value", metavar="CHARSET",
            help="assume CHARSET (a Specific Character Set term, e.g. \"ISO_IR 100\") for a "
                 "dataset without Specific Character Set", group="processing options"),
        Opt("-b --bulk-disabled", "bulk", const=False,
            help="write everything as inline binary (default; encapsulated Pixel Data is "
                 "always bulk data)", group="bulk data URI options"),
        Opt("+b --bulk-enabled", "bulk", const=True, help="write large attributes as bulk data",
            group="bulk data URI options"),
        Opt("+bz --bulk-size", "bulk_size", "value", metavar="SIZE",
            help="use bulk data for attributes >= SIZE kBytes (default: 1)",
            group="bulk data URI options"),
        Opt("+bp --bulk-uri-prefix", "bulk_uri_prefix", "value", metavar="URI",
            help="use prefix URI when generating bulk data URIs (default: file URI)",
            group="bulk data URI options"),
        Opt("+bd --bulk-dir", "bulk_dir", "value", metavar="DIR",
            help="write bulk data files to DIR (default: '.'); also without +b for "
                 "encapsulated Pixel Data, as +bp and +bs", group="bulk data URI options"),
        Opt("+bs --bulk-subdir", "bulk_subdir",
            help="create subdirectory for each SOP instance (default: no subdirectory)",
            group="bulk data URI options"),
        Opt("+bf --bulk-frames", "pixel_bulk", const="frames",
            help="encapsulated Pixel Data: one file per frame, a text/uri-list for several "
                 "(default)", group="bulk data URI options"),
        Opt("+bw --bulk-whole", "pixel_bulk", const="whole",
            help="encapsulated Pixel Data: one file with the whole encapsulated value",
            group="bulk data URI options"),
        Opt("+fc --formatted-code", "formatted", const=True,
            help="enable whitespace formatting (default)", group="output options"),
        Opt("-fc --compact-code", "formatted", const=False, help="print only required characters",
            group="output options"),
        Opt("+m --write-meta", "write_meta",
            help="write data set with meta information (not conforming to the DICOM standard)",
            group="output options"),
    ],
    defaults={"version": False, "log": "warn", "read_file_only": False, "extended": False, "numbers": "auto",
              "charset_assume": None, "bulk": False, "bulk_size": None, "bulk_uri_prefix": None,
              "bulk_dir": None, "bulk_subdir": False, "pixel_bulk": "frames", "formatted": True,
              "write_meta": False, "jsonfile_out": None},
)


def build_options(args: dict):
    """:class:`~dicomconv.jsonmodel.JsonOptions` from parsed arguments (also for ``batch``);
    raises :class:`UsageError`. ``bulk_dir`` stays None unless given (the API's default: beside
    each JSON file); :func:`main` makes it "." (dcm2json's default)."""
    from ..jsonmodel import JsonOptions

    bulk_size = 1
    if args["bulk_size"] is not None:
        if not args["bulk"]:
            raise UsageError("--bulk-size needs --bulk-enabled")
        try:
            bulk_size = int(args["bulk_size"], 10)
        except ValueError:
            raise UsageError(f"--bulk-size needs a number of kBytes, not {args['bulk_size']!r}") from None
        if bulk_size < 0:
            raise UsageError(f"--bulk-size must be at least 0, not {bulk_size}")
    return JsonOptions(formatted=args["formatted"], write_meta=args["write_meta"],
                       extended_numbers=args["extended"], number_policy=args["numbers"],
                       bulk=args["bulk"], bulk_size=bulk_size,
                       bulk_uri_prefix=args["bulk_uri_prefix"], bulk_dir=args["bulk_dir"],
                       bulk_subdir=args["bulk_subdir"], pixel_bulk=args["pixel_bulk"],
                       charset_assume=args["charset_assume"])


def main(argv: list[str] | None = None) -> int:
    try:
        argv = sys.argv[1:] if argv is None else argv
        args = {"version": True} if "--version" in argv else COMMAND.parse(argv)
        if args["version"]:
            from .. import __version__

            print(f"{PROG} (dicomconv {__version__})")
            return 0
        options = build_options(args)
    except UsageError as exc:
        return fail_usage(COMMAND, str(exc))
    quiet = args["log"] == "quiet"
    src = args["dcmfile_in"]
    if not src:
        if not quiet:
            print(f"{PROG}: error: invalid filename: <empty string>", file=sys.stderr)
        return EXIT_NO_INPUT_FILES
    if options.bulk_dir is None:
        options.bulk_dir = "."                  # dcm2json's default: the current folder

    from .args import import_pydicom_lean

    import_pydicom_lean()
    from ..errors import DicomconvError, InputError
    from ..jsonmodel import convert_file

    dst = args["jsonfile_out"]
    try:
        result = convert_file(src, None if dst in (None, "-") else dst, options)
    except InputError as exc:
        if type(exc).exit_code < 30:            # unreadable, not DICOM, malformed: dcm2json's 20
            exc.exit_code = EXIT_CANNOT_READ_INPUT_FILE
        return report(PROG, exc, quiet)
    except DicomconvError as exc:
        return report(PROG, exc, quiet)
    if args["log"] in ("verbose", "debug"):
        for path in result.bulk_files:
            print(f"{PROG}: bulk data: {path}", file=sys.stderr)
        for note in result.notes:
            print(f"{PROG}: {note}", file=sys.stderr)
    return 0
