"""``dicomconv img2dcm [options] imgfile-in dcmfile-out``: DCMTK img2dcm's options and exit codes.

Exit codes: 0 ok, 1 usage, 20 cannot read input, 21 invalid input, 22 unsupported input,
23 invalid or missing attribute, 40 cannot write output.
"""
from __future__ import annotations

import os
import sys

from .args import report
from .options import Command, Opt, UsageError, fail_usage, log_options

PROG = "dicomconv img2dcm"

COMMAND = Command(
    PROG,
    "Convert an image file (JPEG, JPEG-LS, JPEG 2000, BMP, PNG, TIFF, PNM, raw) into DICOM; JPEG, "
    "JPEG-LS and JPEG 2000 streams are stored as they are, never decoded and re-encoded; BMP and "
    "PNM pixels are unpacked natively, PNG and TIFF through Pillow; raw pixels (-i RAW) are described with --size, --depth, --spp, --endian, --sign and "
    "--offset.",
    params=[("imgfile-in", "image file to be imported"), ("dcmfile-out", "DICOM output file")],
    options=[
        *log_options(),
        Opt("-i --input-format", "input_format", "value", metavar="FORMAT",
            help="input file format: auto (default: from the magic bytes), JPEG, JPEG-LS, J2K, JP2, BMP, "
                 "PNG, TIFF, PNM, RAW",
            group="general"),
        Opt("-df --dataset-from", "dataset_from", "value", metavar="FILE",
            help="use dataset from DICOM file (all but SOP Instance UID and image attributes)", group="general"),
        Opt("-stf --study-from", "study_from", "value", metavar="FILE",
            help="read patient/study from DICOM file", group="general"),
        Opt("-sef --series-from", "series_from", "value", metavar="FILE",
            help="read patient/study/series from DICOM file", group="general"),
        Opt("-ii --instance-inc", "instance_inc", help="increase instance number read from DICOM file",
            group="general"),
        Opt("-dp --disable-progr", "disable_progr", help="disable support for progressive JPEG", group="JPEG format"),
        Opt("-de --disable-ext", "disable_ext", help="disable support for extended sequential JPEG",
            group="JPEG format"),
        Opt("-jf --insist-on-jfif", "insist_on_jfif", help="insist on JFIF header existence", group="JPEG format"),
        Opt("-ka --keep-appn", "keep_appn", help="keep APPn sections (except JFIF)", group="JPEG format"),
        Opt("--size", "raw_size", "value", metavar="W,H", help="raw input: width and height in pixels (required)",
            group="raw input (-i RAW)"),
        Opt("--depth", "raw_depth", "value", metavar="8|16", help="raw input: bits per sample (default: 8)",
            group="raw input (-i RAW)"),
        Opt("--spp", "raw_spp", "value", metavar="1|3", help="raw input: samples per pixel, 1 grey or 3 RGB "
            "(default: 1)", group="raw input (-i RAW)"),
        Opt("--endian", "raw_endian", "value", metavar="LSB|MSB",
            help="raw input: byte order of 16-bit samples (default: LSB)", group="raw input (-i RAW)"),
        Opt("--sign", "raw_sign", help="raw input: samples are signed (two's complement; grey only)",
            group="raw input (-i RAW)"),
        Opt("--offset", "raw_offset", "value", metavar="N", help="raw input: bytes to skip first (default: 0)",
            group="raw input (-i RAW)"),
        Opt("--do-checks", "checks", const=True, help="enable attribute validity checking (default)",
            group="attribute checking"),
        Opt("--no-checks", "checks", const=False, help="disable attribute validity checking",
            group="attribute checking"),
        Opt("+i2 --insert-type2", "type2", const=True, help="insert missing type 2 attributes (default)",
            group="attribute checking"),
        Opt("-i2 --no-type2-insert", "type2", const=False, help="do not insert missing type 2 attributes",
            group="attribute checking"),
        Opt("+i1 --invent-type1", "type1", const=True, help="invent missing type 1 attributes (default)",
            group="attribute checking"),
        Opt("-i1 --no-type1-invent", "type1", const=False, help="do not invent missing type 1 attributes",
            group="attribute checking"),
        Opt("+l1 --latin1", "latin1", const=True, help="set latin-1 as standard character set (default)",
            group="character set"),
        Opt("-l1 --no-latin1", "latin1", const=False, help="keep 7-bit ASCII as standard character set",
            group="character set"),
        Opt("-k --key", "key", "append", metavar="KEY=VALUE",
            help='add further attribute: gggg,eeee="str" or Keyword="str"', group="other processing options"),
        Opt("--uid-root", "uid_root", "value", metavar="ROOT",
            help="root for generated UIDs (default: $DICOMCONV_UID_ROOT, else 2.25 UUID-derived UIDs)",
            group="other processing options"),
        Opt("-sc --sec-capture", "sop_class", const="sc", help="write Secondary Capture SOP class (default)",
            group="target SOP class"),
        Opt("-nsc --new-sc", "sop_class", const="nsc",
            help="write the multi-frame Secondary Capture SOP class that fits the image", group="target SOP class"),
        Opt("-vlp --vl-photo", "sop_class", const="vlp", help="write Visible Light Photographic SOP class",
            group="target SOP class"),
    ],
    defaults={"log": "warn", "input_format": "auto", "disable_progr": False, "disable_ext": False,
              "insist_on_jfif": False, "keep_appn": False, "checks": True, "type2": True, "type1": True,
              "latin1": True, "key": [], "uid_root": None,
              "dataset_from": None, "study_from": None, "series_from": None, "instance_inc": False, "sop_class": "sc", "raw_size": None, "raw_depth": None,
              "raw_spp": None, "raw_endian": None, "raw_sign": False, "raw_offset": None},
)


def main(argv: list[str] | None = None) -> int:
    try:
        args = COMMAND.parse(sys.argv[1:] if argv is None else argv)
    except UsageError as exc:
        return fail_usage(COMMAND, str(exc))

    from ..errors import DicomconvError
    from ..img2dcm import convert_file

    try:
        options = build_options(args)
    except ValueError as exc:
        return fail_usage(COMMAND, str(exc))
    try:
        result = convert_file(args["imgfile_in"], args["dcmfile_out"], options)
    except DicomconvError as exc:
        return report(PROG, exc, args["log"] == "quiet")
    if args["log"] in ("verbose", "debug"):
        print(f"{PROG}: {args['imgfile_in']} -> {args['dcmfile_out']}: SOP class {result.sop_class_uid}, "
              f"transfer syntax {result.transfer_syntax}, {result.photometric}", file=sys.stderr)
        for note in result.notes:
            print(f"{PROG}: {note}", file=sys.stderr)
    return 0


#: every option destination of COMMAND that build_options turns into Img2DcmOptions (a test
#: checks that none is forgotten, here or in ``dicomconv batch img2dcm``)
OPTION_DESTS = frozenset({"input_format", "disable_progr", "disable_ext", "insist_on_jfif", "keep_appn", "checks",
                          "type2", "type1", "latin1", "key", "uid_root", "sop_class", "raw_size", "raw_depth",
                          "raw_spp", "raw_endian", "raw_sign", "raw_offset", "dataset_from", "study_from",
                          "series_from", "instance_inc"})


def build_options(args: dict):
    """The :class:`~dicomconv.img2dcm.Img2DcmOptions` for parsed arguments; ``ValueError`` (a
    usage error) for an invalid UID root or raw-input option."""
    from ..img2dcm import Img2DcmOptions
    from ..inputs.jpeg import JpegOptions
    from ..iod import DatasetOptions

    uid_root = args["uid_root"] or os.environ.get("DICOMCONV_UID_ROOT") or None  # cf. GDCM_ROOT_UID
    if uid_root is not None:
        from ..uids import new_uid

        new_uid(uid_root)  # validates the root before any work
    if args["study_from"] and args["series_from"]:
        raise ValueError("--study-from and --series-from exclude each other")
    return Img2DcmOptions(
        input_format=args["input_format"],
        raw=raw_options(args),
        jpeg=JpegOptions(disable_progressive=args["disable_progr"], disable_extended=args["disable_ext"],
                         insist_on_jfif=args["insist_on_jfif"], keep_appn=args["keep_appn"]),
        dataset=DatasetOptions(sop_class=args["sop_class"], keys=tuple(args["key"]), do_checks=args["checks"],
                               insert_type2=args["type2"], invent_type1=args["type1"], latin1=args["latin1"],
                               uid_root=uid_root, dataset_from=args["dataset_from"],
                               study_from=args["study_from"], series_from=args["series_from"],
                               instance_inc=args["instance_inc"]),
    )


_RAW_OPTIONS = ("raw_size", "raw_depth", "raw_spp", "raw_endian", "raw_sign", "raw_offset")


def raw_options(args: dict):
    """The :class:`~dicomconv.inputs.raw.RawOptions` of ``-i RAW`` from the parsed arguments.

    Raises ``ValueError`` (a usage error) for a missing or malformed value, or for raw options
    given without ``-i RAW``.
    """
    from ..inputs.raw import RawOptions

    if str(args["input_format"]).upper() != "RAW":
        given = [name for name in _RAW_OPTIONS if args[name] not in (None, False)]
        if given:
            names = ", ".join("--" + name[4:] for name in given)
            raise ValueError(f"{names}: only for raw input (-i RAW)")
        return RawOptions()
    if args["raw_size"] is None:
        raise ValueError("raw input (-i RAW) needs --size W,H")
    width, _, height = args["raw_size"].replace("x", ",").partition(",")
    values = {"width": _number("--size", width, 1, 0xFFFF), "height": _number("--size", height, 1, 0xFFFF),
              "signed": args["raw_sign"]}
    if args["raw_depth"] is not None:
        values["depth"] = _number("--depth", args["raw_depth"], 8, 16, (8, 16))
    if args["raw_spp"] is not None:
        values["samples"] = _number("--spp", args["raw_spp"], 1, 3, (1, 3))
    if args["raw_endian"] is not None:
        endian = args["raw_endian"].upper()
        if endian not in ("LSB", "MSB"):
            raise ValueError(f"--endian: LSB or MSB, not {args['raw_endian']!r}")
        values["endian"] = endian
    if args["raw_offset"] is not None:
        values["offset"] = _number("--offset", args["raw_offset"], 0, None)
    return RawOptions(**values)


def _number(option: str, text: str, low: int, high: int | None, allowed: tuple = ()) -> int:
    text = text.strip()
    if not text.isdigit():
        raise ValueError(f"{option}: {text!r} is not a whole number")
    value = int(text)
    if allowed and value not in allowed:
        raise ValueError(f"{option}: {' or '.join(map(str, allowed))}, not {value}")
    if value < low or (high is not None and value > high):
        raise ValueError(f"{option}: {value} is out of range ({low}..{high if high is not None else ''})")
    return value
