"""``dicomconv transcode [options] dcmfile-in dcmfile-out``: gdcmconv's image options.

Exit codes: 0 ok, 1 usage (also options that cannot go together), 20 cannot read input,
21 invalid input (malformed pixel data, undecodable frames), 22 unsupported input (transfer
syntax, lossy input for --rle without --force, option that does not apply to this input),
40 cannot write output.
"""
from __future__ import annotations

import sys

from .args import import_pydicom_lean, report
from .options import Command, Opt, UsageError, fail_usage, log_options

PROG = "dicomconv transcode"

COMMAND = Command(
    PROG,
    "Re-encode the pixel data of a DICOM file: RLE Lossless (our codec), native (decompressed), "
    "or re-fragmented with a Basic or Extended Offset Table. Everything else is kept; SOP Class "
    "and Instance UIDs are unchanged.",
    params=[("dcmfile-in", "DICOM input file"), ("dcmfile-out", "DICOM output file")],
    options=[
        *log_options(),
        Opt("-R --rle", "encoding", const="rle",
            help="compress to RLE Lossless (lossless inputs only unless --force)",
            group="pixel data encoding"),
        Opt("-w --raw", "encoding", const="raw",
            help="decompress to Explicit VR Little Endian (JPEG, JPEG-LS, JPEG 2000, HTJ2K, RLE)",
            group="pixel data encoding"),
        Opt("--keep", "encoding", const="keep",
            help="keep the pixel data encoding (default)", group="pixel data encoding"),
        Opt("-X --explicit", "vr", const="explicit", help="explicit VR (default for --raw)",
            group="dataset encoding"),
        Opt("-M --implicit", "vr", const="implicit",
            help="implicit VR Little Endian (native outputs)", group="dataset encoding"),
        Opt("-S --split", "split", "value", metavar="N",
            help="split every frame into fragments of at most N bytes (N rounded down to even)",
            group="encapsulated outputs"),
        Opt("--extended-offset-table", "eot",
            help="write an Extended Offset Table (64-bit), empty Basic Offset Table, one "
                 "fragment per frame", group="encapsulated outputs"),
        Opt("--planar-configuration", "planar", "value", metavar="0|1",
            help="planar configuration of native (and RLE) outputs", group="other"),
        Opt("-F --force", "force",
            help="convert lossy inputs with --rle; split RLE frames (not standard)", group="other"),
    ],
    defaults={"log": "warn", "encoding": "keep", "vr": None, "split": None, "eot": False,
              "planar": None, "force": False},
)


def main(argv: list[str] | None = None) -> int:
    try:
        args = COMMAND.parse(sys.argv[1:] if argv is None else argv)
        split = planar = None
        if args["split"] is not None:
            try:
                split = int(args["split"], 10)
            except ValueError:
                raise UsageError(f"--split needs a number of bytes, not {args['split']!r}") from None
            if split < 2:
                raise UsageError(f"--split needs at least 2 bytes, not {split}")
        if args["planar"] is not None:
            if args["planar"] not in ("0", "1"):
                raise UsageError(f"--planar-configuration must be 0 or 1, not {args['planar']!r}")
            planar = int(args["planar"])
    except UsageError as exc:
        return fail_usage(COMMAND, str(exc))

    import_pydicom_lean()
    from ..errors import DicomconvError
    from ..transcode import OptionError, TranscodeOptions, transcode_file

    options = TranscodeOptions(encoding=args["encoding"], vr=args["vr"], split=split,
                               extended_offset_table=args["eot"], planar_configuration=planar,
                               force=args["force"])
    try:
        options.validate()
    except OptionError as exc:
        return fail_usage(COMMAND, str(exc))
    try:
        result = transcode_file(args["dcmfile_in"], args["dcmfile_out"], options)
    except OptionError as exc:
        return fail_usage(COMMAND, str(exc))
    except DicomconvError as exc:
        return report(PROG, exc, args["log"] == "quiet")
    if args["log"] in ("verbose", "debug"):
        planar_text = "" if result.planar_configuration is None else \
            f", planar configuration {result.planar_configuration}"
        fragments = "" if result.fragments is None else f", {result.fragments} fragment(s)"
        print(f"{PROG}: {args['dcmfile_in']} -> {args['dcmfile_out']}: {result.transfer_syntax}, "
              f"{result.photometric}{planar_text}, {result.frames} frame(s){fragments}",
              file=sys.stderr)
        for note in result.notes:
            print(f"{PROG}: {note}", file=sys.stderr)
    return 0
