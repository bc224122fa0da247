"""``dicomconv dcm2img [options] dcmfile-in bitmap-out``: render DICOM frames into PNG, JPEG, BMP,
PNM or TIFF files, with DCMTK ``dcmj2pnm``'s option names.

Frames count from 1 as in ``dcmj2pnm +F``; ``+Fa`` writes every frame into numbered files
``out_0001.png``, ``out_0002.png``, ... (the frame number, at least 4 digits; DCMTK numbers from
0 unless ``+Fn``). VOI options follow DCMTK's spelling and meaning -- ``+Wn`` is DCMTK's min-max
window ignoring the extreme values, ``-W`` is no VOI at all -- and the rightmost one wins. The
default (no VOI option) is not DCMTK's (no windowing) but the file's own: its first VOI LUT,
else its first window, else a min-max window.

Exit codes: 0 ok, 1 usage (also a frame or window the file does not have, or an output format
that cannot hold the result), 21 invalid input (unreadable file, no pixel data, truncated frames,
an invalid window), 22 unsupported input, 40 cannot write the output. No output file is left
behind on error.
"""
from __future__ import annotations

import sys

from .args import report
from .options import Command, Opt, UsageError, fail_usage, log_options

PROG = "dicomconv dcm2img"

_G_FRAME = "frame selection"
_G_VOI = "VOI LUT transformation (the rightmost wins)"
_G_OUT = "output"

COMMAND = Command(
    PROG,
    "Render DICOM frames (any transfer syntax we decode) into displayable images: Modality LUT, "
    "VOI window / LUT, MONOCHROME1 and Presentation LUT Shape, YBR and palette colour to RGB. "
    "The output format comes from the file name's extension (.png .jpg .bmp .pgm .ppm .pnm "
    ".tif) or --format.",
    params=[("dcmfile-in", "DICOM input file"), ("bitmap-out", "image output file")],
    options=[
        *log_options(),
        Opt("+F --frame", "frame", "value", metavar="n",
            help="select frame n (1 = the first, default)", group=_G_FRAME),
        Opt("+Fa --all-frames", "all_frames",
            help="all frames, into out_0001.png, out_0002.png, ...", group=_G_FRAME),
        Opt("+M --use-modality", "modality", const=True,
            help="use the Modality LUT / rescale (default)", group="modality LUT transformation"),
        Opt("-M --no-modality", "modality", const=False,
            help="ignore the Modality LUT / rescale", group="modality LUT transformation"),
        Opt("--auto-voi", "voi", const="auto",
            help="the file's first VOI LUT, else its first window, else +Wm (default)",
            group=_G_VOI),
        Opt("-W --no-windowing", "voi", const="none",
            help="no VOI: the full range of modality values mapped linearly", group=_G_VOI),
        Opt("+Wi --use-window", "window_index", "value", metavar="n",
            help="use the n-th window of the file (1 = the first)", group=_G_VOI),
        Opt("+Wl --use-voi-lut", "voi_lut_index", "value", metavar="n",
            help="use the n-th VOI LUT of the file (1 = the first)", group=_G_VOI),
        Opt("+Wm --min-max-window", "voi", const="minmax",
            help="window from the frame's min and max values", group=_G_VOI),
        Opt("+Wn --min-max-window-n", "voi", const="minmax-n",
            help="min-max window ignoring the extreme values", group=_G_VOI),
        Opt("+Wh --histogram-window", "histogram", "value", metavar="n",
            help="histogram window ignoring n percent at each end", group=_G_VOI),
        Opt("+Ww --set-window", "set_window", "value", metavar="c w",
            help="window of center c and width w", group=_G_VOI),
        Opt("+Wfl --linear-function", "voi_function", const="linear",
            help="VOI LUT function LINEAR for windows", group=_G_VOI),
        Opt("+Wfs --sigmoid-function", "voi_function", const="sigmoid",
            help="VOI LUT function SIGMOID for windows", group=_G_VOI),
        Opt("--voi-function", "voi_function", "value", metavar="f",
            help="linear, linear-exact or sigmoid (default: the file's VOI LUT Function)",
            group=_G_VOI),
        Opt("+Pid --identity-shape", "shape", const="identity",
            help="presentation LUT shape IDENTITY (never invert)",
            group="presentation LUT transformation"),
        Opt("+Piv --inverse-shape", "shape", const="inverse",
            help="presentation LUT shape INVERSE (invert)", group="presentation LUT transformation"),
        Opt("--format", "format", "value", metavar="fmt",
            help="png, jpeg, bmp, pnm or tiff (default: from the extension)", group=_G_OUT),
        Opt("+on --write-png", "format", const="png", help="write PNG", group=_G_OUT),
        Opt("+oj --write-jpeg", "format", const="jpeg", help="write JPEG (8 bits)", group=_G_OUT),
        Opt("+ob --write-bmp", "format", const="bmp", help="write BMP (8 bits)", group=_G_OUT),
        Opt("+op --write-raw-pnm", "format", const="pnm", help="write binary PGM / PPM",
            group=_G_OUT),
        Opt("+ot --write-tiff", "format", const="tiff", help="write TIFF", group=_G_OUT),
        Opt("--bits", "bits", "value", metavar="8|16",
            help="bits per output sample (16: PNG, PNM, TIFF)", group=_G_OUT),
        Opt("+Jq --compr-quality --quality", "quality", "value", metavar="q",
            help="JPEG quality 0..100 (default: 90)", group=_G_OUT),
        Opt("--png-compress-level", "png_level", "value", metavar="n",
            help="0 stored, 1 fast run-length deflate (default), 2..9 zlib levels",
            group=_G_OUT),
    ],
    defaults={"log": "warn", "frame": None, "all_frames": False, "modality": True, "voi": "auto",
              "window_index": None, "voi_lut_index": None, "histogram": None, "set_window": None,
              "voi_function": None, "shape": None, "format": None, "bits": None, "quality": None,
              "png_level": None},
)

_VOI_OPTIONS = {"voi", "window_index", "voi_lut_index", "histogram", "set_window"}
_TWO_VALUES = {"+Ww", "--set-window"}


def _merge_two_values(argv: list[str]) -> list[str]:
    """``+Ww c w`` → ``+Ww "c w"`` (the parser takes one value per option)."""
    out, i = [], 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            out.extend(argv[i:])
            break
        if arg in _TWO_VALUES and i + 2 < len(argv):
            out += [arg, f"{argv[i + 1]} {argv[i + 2]}"]
            i += 3
            continue
        out.append(arg)
        opt = COMMAND.by_name.get(arg.partition("=")[0] if arg.startswith("--") else arg)
        if opt is not None and opt.kind != "flag" and "=" not in arg and i + 1 < len(argv):
            out.append(argv[i + 1])      # an option's value is never an option
            i += 2
            continue
        i += 1
    return out


def _last_voi(argv: list[str]) -> str | None:
    """The destination of the rightmost VOI option in ``argv`` (already merged)."""
    last, i = None, 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            break
        opt = COMMAND.by_name.get(arg.partition("=")[0] if arg.startswith("--") else arg)
        i += 1
        if opt is None:
            continue
        if opt.dest in _VOI_OPTIONS:
            last = opt.dest
        if opt.kind != "flag" and "=" not in arg:
            i += 1
    return last


def _int(value: str, what: str, low: int, high: int | None = None) -> int:
    try:
        number = int(value, 10)
    except (TypeError, ValueError):
        raise UsageError(f"{what} must be a whole number, not {value!r}") from None
    if number < low or (high is not None and number > high):
        raise UsageError(f"{what} must be {low} to {high}, not {number}" if high is not None
                         else f"{what} must be at least {low}, not {number}")
    return number


def _float(value: str, what: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"{what} must be a number, not {value!r}") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise UsageError(f"{what} must be a finite number, not {value!r}")
    return number


def _options(args: dict, argv: list[str]) -> dict:
    """RenderOptions fields and render_file keywords from the parsed arguments."""
    fields: dict = {"modality": args["modality"]}
    voi = _last_voi(argv)
    if voi is None or voi == "voi":
        fields["voi"] = args["voi"]
    elif voi == "window_index":
        fields.update(voi="window", index=_int(args["window_index"], "+Wi", 1) - 1)
    elif voi == "voi_lut_index":
        fields.update(voi="lut", index=_int(args["voi_lut_index"], "+Wl", 1) - 1)
    elif voi == "histogram":
        fields.update(voi="histogram", percent=_float(args["histogram"], "+Wh"))
        if not 0 <= fields["percent"] < 50:
            raise UsageError(f"+Wh ignores 0 to <50 percent at each end, not {args['histogram']}")
    else:
        parts = args["set_window"].replace(",", " ").split()
        if len(parts) != 2:
            raise UsageError(f"+Ww needs a center and a width, not {args['set_window']!r}")
        fields.update(voi="set", center=_float(parts[0], "window center"),
                      width=_float(parts[1], "window width"))
    if args["voi_function"] is not None:
        function = args["voi_function"].lower().replace("_", "-")
        if function not in ("linear", "linear-exact", "sigmoid"):
            raise UsageError(f"--voi-function must be linear, linear-exact or sigmoid, not "
                             f"{args['voi_function']!r}")
        fields["voi_function"] = function
    if args["shape"] is not None:
        fields["presentation_shape"] = args["shape"]
    if args["bits"] is not None:
        if args["bits"] not in ("8", "16"):
            raise UsageError(f"--bits must be 8 or 16, not {args['bits']!r}")
        fields["bits"] = int(args["bits"])
    extra: dict = {}
    if args["all_frames"]:
        if args["frame"] is not None:
            raise UsageError("+F and +Fa exclude each other")
        extra["frames"] = "all"
    else:
        extra["frame"] = _int(args["frame"], "+F", 1) - 1 if args["frame"] is not None else 0
    if args["quality"] is not None:
        extra["quality"] = _int(args["quality"], "JPEG quality", 0, 100)
    if args["png_level"] is not None:
        extra["png_compress_level"] = _int(args["png_level"], "--png-compress-level", 0, 9)
    return {"fields": fields, "extra": extra}


def main(argv: list[str] | None = None) -> int:
    argv = _merge_two_values(sys.argv[1:] if argv is None else list(argv))
    try:
        args = COMMAND.parse(argv)
        opts = _options(args, argv)
    except UsageError as exc:
        return fail_usage(COMMAND, str(exc))

    from .args import import_pydicom_lean

    import_pydicom_lean()
    from ..errors import DicomconvError
    from ..kernels import init_numba
    from ..render import OptionError, RenderOptions, output_format, render_file

    try:
        init_numba(lean=True)  # this process is ours: numba without SciPy's 0.25 s import
    except DicomconvError as exc:
        return report(PROG, exc, args["log"] == "quiet")
    try:
        options = RenderOptions(**opts["fields"])
        options.validate()
        fmt = output_format(args["bitmap_out"], args["format"])
        if options.bits == 16 and fmt not in ("png", "pnm", "tiff"):
            raise OptionError(f"{fmt.upper()} holds 8-bit samples only: --bits 16 needs PNG, PNM "
                              "or TIFF")
    except OptionError as exc:
        return fail_usage(COMMAND, str(exc))
    try:
        result = render_file(args["dcmfile_in"], args["bitmap_out"], options, format=fmt,
                             **opts["extra"])
    except OptionError as exc:
        return fail_usage(COMMAND, str(exc))
    except DicomconvError as exc:
        return report(PROG, exc, args["log"] == "quiet")
    if args["log"] in ("verbose", "debug"):
        frames = (f"frame {result.frames[0] + 1}" if len(result.frames) == 1
                  else f"{len(result.frames)} frames")
        shape = "x".join(map(str, result.shape))
        what = f", {result.voi}" if result.voi else ""
        outputs = ", ".join(result.outputs) if len(result.outputs) < 4 else \
            f"{result.outputs[0]} ... {result.outputs[-1]}"
        print(f"{PROG}: {args['dcmfile_in']} -> {outputs}: {frames}, {result.photometric}, "
              f"{shape}, {result.bits} bits {result.format.upper()}{what}", file=sys.stderr)
        for note in result.notes:
            print(f"{PROG}: {note}", file=sys.stderr)
    return 0
