"""``dicomconv <sub-command>``: the command-line entry point.

Sub-command modules are imported only when used, so a call pays only for what it runs.
"""
from __future__ import annotations

import sys

#: Sub-commands that need nothing outside the standard library and dicomconv itself.
LIGHT = frozenset({"img2dcm", "demo", "batch"})  # batch: site is loaded only for its Dask backend

SUBCOMMANDS = {
    "img2dcm": ("dicomconv.cli.img2dcm", "convert an image (JPEG, JPEG-LS, JPEG 2000, BMP, PNG, TIFF, PNM, raw) into DICOM"),
    "demo": ("dicomconv.cli.demo", "generate an example JPEG and convert it"),
    "batch": ("dicomconv.cli.batch", "convert a folder tree on a worker pool (resumable, with a report)"),
    "transcode": ("dicomconv.cli.transcode", "re-encode the pixel data of a DICOM file (RLE, native, fragments)"),
    "dcm2img": ("dicomconv.cli.dcm2img", "render DICOM frames to PNG/JPEG/BMP/PNM/TIFF"),
    "dcm2json": ("dicomconv.cli.dcm2json", "convert a DICOM file to JSON (PS3.18 Annex F), bulk data to files"),
    "json2dcm": ("dicomconv.cli.json2dcm", "convert a DICOM JSON file (and its bulk data) back to DICOM"),
    "info": ("dicomconv.cli.info", "describe DICOM files: classes, pixels, md5 of decoded pixels, lossy?"),
    "raw": ("dicomconv.cli.raw", "extract an element's value: Pixel Data fragments, frames, pixels"),
}


def _usage() -> str:
    lines = ["usage: dicomconv <sub-command> [options] ...", "", "sub-commands:"]
    lines += [f"  {name:10s} {help_}" for name, (_, help_) in SUBCOMMANDS.items()]
    lines += ["", "dicomconv <sub-command> --help shows the options of each."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(_usage(), file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 1
    if argv[0] == "--version":
        from .. import __version__

        print(f"dicomconv {__version__}")
        return 0
    entry = SUBCOMMANDS.get(argv[0])
    if entry is None:
        print(f"dicomconv: unknown sub-command {argv[0]!r}\n\n{_usage()}", file=sys.stderr)
        return 1
    if sys.flags.no_site and argv[0] not in LIGHT:
        import site  # the launcher skipped site's start-up work; heavier commands need it

        site.main()
    return __import__(entry[0], fromlist=["main"]).main(argv[1:])
