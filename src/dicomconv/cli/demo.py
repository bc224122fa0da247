"""``dicomconv demo [DIR]``: copy the bundled example JPEG into DIR (default ./dicomconv-demo),
convert it to DICOM and print what was written."""
from __future__ import annotations

import os
import shutil
import sys
from importlib import resources

from .args import Parser, report


def main(argv: list[str] | None = None) -> int:
    p = Parser(prog="dicomconv demo", description="Convert a bundled example JPEG into DICOM.")
    p.add_argument("directory", nargs="?", default="dicomconv-demo", help="output folder (default: %(default)s)")
    args = p.parse_args(argv)

    from ..errors import DicomconvError
    from ..img2dcm import convert_file

    os.makedirs(args.directory, exist_ok=True)
    src = os.path.join(args.directory, "example.jpg")
    dst = os.path.join(args.directory, "example.dcm")
    with resources.files("dicomconv.data").joinpath("example.jpg").open("rb") as fh, open(src, "wb") as out:
        shutil.copyfileobj(fh, out)
    try:
        result = convert_file(src, dst)
    except DicomconvError as exc:
        return report("dicomconv demo", exc)
    print(f"{src} ({os.path.getsize(src)} bytes) -> {dst} ({os.path.getsize(dst)} bytes)")
    print(f"  SOP class {result.sop_class_uid}, transfer syntax {result.transfer_syntax}, {result.photometric}")
    for note in result.notes:
        print(f"  {note}")
    print(f"try: dicomconv img2dcm -vlp -k PatientName=Doe^Jane {src} {dst}", file=sys.stderr)
    return 0
