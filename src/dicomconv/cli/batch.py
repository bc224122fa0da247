"""``dicomconv batch <sub-command> SRC_DIR DST_DIR [options]``: a whole folder tree, on a worker pool.

Every input found under SRC_DIR (recursively, by ``--glob``) is converted by the sub-command
into the same relative path under DST_DIR with the output extension (``a/b.jpg`` →
``a/b.dcm``). The sub-command's own options apply to every file. One bad file never stops the
batch: each input gives a record (``--report``), failures are printed one line each and counted.
Outputs are written atomically and existing ones skipped, so a re-run after a crash or kill
does only what is left.

Exit codes: 0 every file converted or skipped; 1 usage; 2 the Dask backend cannot be used (not
installed, scheduler unreachable, cluster does not start); 3 some file failed (see the report);
20 SRC_DIR cannot be read; 40 the report cannot be written; 130 interrupted. (An output folder
that cannot be created fails the files meant for it, like any other per-file failure.)
"""
from __future__ import annotations

import sys

from .args import report as report_error
from .options import Command, Opt, UsageError, fail_usage

PROG = "dicomconv batch"
EXIT_DASK = 2  # the Dask backend cannot be used

BATCH_OPTIONS = [
    Opt("-q --quiet", "log", const="quiet", help="quiet mode: no progress bar, no error lines, no summary",
        group="general"),
    Opt("-v --verbose", "log", const="verbose", help="verbose mode: also print a line per converted file",
        group="general"),
    Opt("-j --jobs", "jobs", "value", metavar="N",
        help="worker processes (default: the number of cores; 1: in-process, no pool)", group="batch"),
    Opt("--glob", "glob", "append", metavar="PATTERNS",
        help="comma-separated file-name patterns, case-insensitive (default by sub-command, "
             "img2dcm: every image format it reads); repeatable", group="batch"),
    Opt("-r --recursive", "recursive", const=True, help="descend into sub-folders (default)", group="batch"),
    Opt("--no-recursive", "recursive", const=False, help="only the files directly in SRC_DIR", group="batch"),
    Opt("--skip-existing", "overwrite", const=False,
        help="skip inputs whose output exists (default): a re-run does only what is left", group="batch"),
    Opt("--overwrite", "overwrite", const=True, help="convert every input, replacing existing outputs",
        group="batch"),
    Opt("--report", "report", "value", metavar="FILE",
        help="write one record per input (source, destination, status, ok, error, seconds, bytes): "
             "CSV if FILE ends in .csv, else JSON Lines", group="batch"),
    Opt("--progress", "progress", const=True, help="draw the progress bar even if stderr is not a terminal",
        group="batch"),
    Opt("--no-progress", "progress", const=False, help="no progress bar", group="batch"),
    Opt("--scheduler", "scheduler", "value", metavar="ADDRESS",
        help="run on this Dask scheduler (tcp://host:port; needs dicomconv[dask] and workers that see "
             "the same paths)", group="Dask"),
    Opt("--dask-local", "dask_local", "value", metavar="N",
        help="run on a local Dask cluster of N worker processes (needs dicomconv[dask])", group="Dask"),
]
BATCH_DEFAULTS = {"log": "warn", "jobs": None, "glob": [], "recursive": True, "overwrite": False,
                  "report": None, "progress": None, "scheduler": None, "dask_local": None}


def _usage() -> str:
    from ..batch import CONVERTERS

    lines = [f"usage: {PROG} <sub-command> [options] src-dir dst-dir", "",
             "Convert every matching file under src-dir into the same tree under dst-dir, on a worker pool;",
             "resumable (existing outputs are skipped) and safe (outputs are written atomically).", "",
             "sub-commands:"]
    lines += [f"  {name:10s} {' '.join(c.patterns)} -> *{c.extension}" for name, c in CONVERTERS.items()]
    lines += ["", f"{PROG} <sub-command> --help shows the batch options and the sub-command's.", "",
              "exit codes: 0 all converted or skipped, 1 usage, 2 Dask unavailable, 3 some file failed,",
              "20 src-dir unreadable, 40 report not writable, 130 interrupted"]
    return "\n".join(lines)


def _img2dcm_command() -> tuple[Command, object]:
    from . import img2dcm

    sub_options = [opt for opt in img2dcm.COMMAND.options if opt.dest != "log"]
    options = BATCH_OPTIONS + sub_options
    options.sort(key=lambda opt: opt.group != "general")  # one "general" group in the help
    command = Command(
        f"{PROG} img2dcm",
        "Convert every input image under src-dir (--glob; default: every image format img2dcm "
        "reads) into DICOM under dst-dir (the same tree, .dcm), on a worker pool; the img2dcm options "
        "apply to every file, the input format of each comes from its magic bytes unless -i says. "
        "Exit codes: 0 all converted or skipped, 1 usage, 2 Dask unavailable, 3 some file failed, 20 src-dir unreadable, 40 report not "
        "writable, 130 interrupted.",
        params=[("src-dir", "folder of the input images"), ("dst-dir", "folder of the DICOM outputs")],
        options=options,
        defaults={**img2dcm.COMMAND.defaults, **BATCH_DEFAULTS},
    )
    return command, _img2dcm_options


def handled_img2dcm_dests() -> frozenset:
    """img2dcm option destinations that :func:`_img2dcm_options` turns into options (a test checks
    that every img2dcm option is handled, so a new one cannot be silently ignored by batch)."""
    from . import img2dcm

    return img2dcm.OPTION_DESTS


def _img2dcm_options(args: dict):
    """The Img2DcmOptions for parsed img2dcm arguments (as ``dicomconv img2dcm`` builds them)."""
    from .img2dcm import build_options

    try:
        return build_options(args)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


COMMANDS = {"img2dcm": _img2dcm_command}


def _positive_int(args: dict, dest: str, name: str, allow_zero: bool = False) -> int | None:
    value = args[dest]
    if value is None:
        return None
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < (0 if allow_zero else 1):
        raise UsageError(f"{name} needs a whole number {'>= 0' if allow_zero else '>= 1'}, not {value!r}")
    return number


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(_usage(), file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 1
    make = COMMANDS.get(argv[0])
    if make is None:
        print(f"{PROG}: error: unknown sub-command {argv[0]!r}\n\n{_usage()}", file=sys.stderr)
        return 1
    command, build_options = make()
    # -j4 as make takes it, besides DCMTK's separate "-j 4"
    rest = [a for arg in argv[1:] for a in (("-j", arg[2:]) if arg[:2] == "-j" and arg[2:].isdigit() else (arg,))]
    try:
        args = command.parse(rest)
        jobs = _positive_int(args, "jobs", "-j/--jobs", allow_zero=True) or None  # 0: the default
        dask_local = _positive_int(args, "dask_local", "--dask-local")
        if dask_local is not None and args["scheduler"] is not None:
            raise UsageError("--scheduler and --dask-local exclude each other")
        options = build_options(args)
    except UsageError as exc:
        return fail_usage(command, str(exc))

    from ..batch import CONVERTERS, EXIT_INTERRUPTED, run_batch
    from ..errors import DicomconvError

    quiet = args["log"] == "quiet"
    progress = args["progress"] if args["progress"] is not None else (not quiet and sys.stderr.isatty())
    prog = command.prog

    def log(result) -> None:  # a failure is an "error:" line; -v adds a line for every other file
        if result.status == "failed":
            print(f"{prog}: error: {result.error}", file=sys.stderr)
        else:
            print(f"{prog}: {result.source} -> {result.destination}: {result.status} "
                  f"({result.seconds * 1e3:.1f} ms)", file=sys.stderr)

    executor, closer = None, None
    try:
        if args["scheduler"] is not None or dask_local is not None:
            if sys.flags.no_site:  # the launcher skipped site; Dask lives in site-packages
                import site

                site.main()
            try:
                from ..dask import client_executor
            except ImportError as exc:
                print(f"{prog}: error: the Dask backend needs dask and distributed "
                      f"(pip install 'dicomconv[dask]'): {exc}", file=sys.stderr)
                return EXIT_DASK
            try:
                executor, closer = client_executor(args["scheduler"], dask_local)
            except Exception as exc:  # cannot reach the scheduler, cannot start the cluster
                print(f"{prog}: error: cannot start Dask ({args['scheduler'] or 'local cluster'}): "
                      f"{type(exc).__name__}: {exc}", file=sys.stderr)
                return EXIT_DASK
        summary = run_batch(args["src_dir"], args["dst_dir"], options, converter=CONVERTERS[argv[0]],
                            jobs=jobs, patterns=args["glob"] or None, recursive=args["recursive"],
                            overwrite=args["overwrite"], report=args["report"], progress=progress,
                            log=None if quiet else log, log_all=args["log"] == "verbose", executor=executor)
    except DicomconvError as exc:
        return report_error(prog, exc, quiet)
    except KeyboardInterrupt as exc:
        summary = getattr(exc, "summary", None)
        if not quiet and summary is not None:
            print(f"{prog}: {summary.line()}", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        if closer is not None:
            closer()
    if not quiet:
        if summary.total == 0:
            print(f"{prog}: warning: no input files matched in {args['src_dir']}", file=sys.stderr)
        print(f"{prog}: {summary.line()}" + (f"; report: {args['report']}" if args["report"] else ""),
              file=sys.stderr)
    return summary.exit_code
