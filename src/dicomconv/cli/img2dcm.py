"""``dicomconv img2dcm [options] imgfile-in dcmfile-out``: DCMTK img2dcm's options and exit codes.

Exit codes: 0 ok, 1 usage, 20 cannot read input, 21 invalid input, 22 unsupported input,
23 invalid or missing attribute, 40 cannot write output.
"""
from __future__ import annotations

import sys

from .args import Parser, report

PROG = "dicomconv img2dcm"


def build_parser() -> Parser:
    p = Parser(prog=PROG, description="Convert an image file (JPEG) into DICOM; the JPEG stream is "
               "stored as it is, never decoded and re-encoded.")
    p.add_argument("imgfile_in", metavar="imgfile-in", help="image file to be imported")
    p.add_argument("dcmfile_out", metavar="dcmfile-out", help="DICOM output file")

    g = p.add_argument_group("general")
    log = g.add_mutually_exclusive_group()
    log.add_argument("-q", "--quiet", action="store_true", help="quiet mode, print no warnings and errors")
    log.add_argument("-v", "--verbose", action="store_true", help="verbose mode, print processing details")
    log.add_argument("-d", "--debug", action="store_true", help="debug mode, print debug information")
    g.add_argument("-i", "--input-format", default="JPEG", metavar="FORMAT",
                   help="input file format: JPEG (default)")

    j = p.add_argument_group("JPEG format")
    j.add_argument("-dp", "--disable-progr", action="store_true", help="disable support for progressive JPEG")
    j.add_argument("-de", "--disable-ext", action="store_true", help="disable support for extended sequential JPEG")
    j.add_argument("-jf", "--insist-on-jfif", action="store_true", help="insist on JFIF header existence")
    j.add_argument("-ka", "--keep-appn", action="store_true", help="keep APPn sections (except JFIF)")

    a = p.add_argument_group("attribute checking")
    a.add_argument("--do-checks", dest="checks", action="store_true", default=True,
                   help="enable attribute validity checking (default)")
    a.add_argument("--no-checks", dest="checks", action="store_false", help="disable attribute validity checking")
    a.add_argument("+i2", "--insert-type2", dest="type2", action="store_true", default=True,
                   help="insert missing type 2 attributes (default)")
    a.add_argument("-i2", "--no-type2-insert", dest="type2", action="store_false",
                   help="do not insert missing type 2 attributes")
    a.add_argument("+i1", "--invent-type1", dest="type1", action="store_true", default=True,
                   help="invent missing type 1 attributes (default)")
    a.add_argument("-i1", "--no-type1-invent", dest="type1", action="store_false",
                   help="do not invent missing type 1 attributes")

    c = p.add_argument_group("character set")
    c.add_argument("+l1", "--latin1", dest="latin1", action="store_true", default=True,
                   help="set latin-1 as standard character set (default)")
    c.add_argument("-l1", "--no-latin1", dest="latin1", action="store_false",
                   help="keep 7-bit ASCII as standard character set")

    o = p.add_argument_group("other processing options")
    o.add_argument("-k", "--key", action="append", default=[], metavar="KEY=VALUE",
                   help='add further attribute: gggg,eeee="str" or Keyword="str"')
    o.add_argument("--uid-root", metavar="ROOT", default=None,
                   help="root for generated UIDs (default: 2.25 UUID-derived UIDs)")

    s = p.add_argument_group("target SOP class")
    s.add_argument("-sc", "--sec-capture", dest="sop_class", action="store_const", const="sc", default="sc",
                   help="write Secondary Capture SOP class (default)")
    s.add_argument("-nsc", "--new-sc", dest="sop_class", action="store_const", const="nsc",
                   help="write the multi-frame Secondary Capture SOP class that fits the image")
    s.add_argument("-vlp", "--vl-photo", dest="sop_class", action="store_const", const="vlp",
                   help="write Visible Light Photographic SOP class")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    from ..errors import DicomconvError
    from ..img2dcm import Img2DcmOptions, convert_file
    from ..inputs.jpeg import JpegOptions
    from ..iod import DatasetOptions

    options = Img2DcmOptions(
        input_format=args.input_format,
        jpeg=JpegOptions(disable_progressive=args.disable_progr, disable_extended=args.disable_ext,
                         insist_on_jfif=args.insist_on_jfif, keep_appn=args.keep_appn),
        dataset=DatasetOptions(sop_class=args.sop_class, keys=tuple(args.key), do_checks=args.checks,
                               insert_type2=args.type2, invent_type1=args.type1, latin1=args.latin1,
                               uid_root=args.uid_root),
    )
    try:
        if args.uid_root is not None:
            from ..uids import new_uid

            new_uid(args.uid_root)  # validates the root before any work
    except ValueError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    try:
        result = convert_file(args.imgfile_in, args.dcmfile_out, options)
    except DicomconvError as exc:
        return report(PROG, exc, args.quiet)
    if args.verbose or args.debug:
        print(f"{PROG}: {args.imgfile_in} -> {args.dcmfile_out}: SOP class {result.sop_class_uid}, "
              f"transfer syntax {result.transfer_syntax}, {result.photometric}", file=sys.stderr)
        for note in result.notes:
            print(f"{PROG}: {note}", file=sys.stderr)
    return 0
