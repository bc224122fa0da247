"""``dicomconv demo [DIR]``: copy the bundled example JPEG into DIR (default ./dicomconv-demo),
convert it to DICOM and print what was written."""
from __future__ import annotations

import os
import sys

from .args import report
from .options import Command, UsageError, fail_usage

COMMAND = Command("dicomconv demo", "Convert a bundled example JPEG into DICOM.",
                  params=[("directory", "output folder (default: dicomconv-demo)")], options=[],
                  defaults={"directory": "dicomconv-demo"}, optional_params=1)


def main(argv: list[str] | None = None) -> int:
    try:
        args = COMMAND.parse(sys.argv[1:] if argv is None else argv)
    except UsageError as exc:
        return fail_usage(COMMAND, str(exc))

    import shutil
    from importlib import resources

    from ..errors import DicomconvError
    from ..img2dcm import convert_file

    folder = args["directory"]
    os.makedirs(folder, exist_ok=True)
    src = os.path.join(folder, "example.jpg")
    dst = os.path.join(folder, "example.dcm")
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
    print(f"  next: dicomconv img2dcm -vlp -k PatientName=Doe^Jane {src} {dst}")
    return 0
