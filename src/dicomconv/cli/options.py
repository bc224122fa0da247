"""A small table-driven command-line parser with DCMTK's conventions.

Why not argparse: importing argparse (with ``re``, ``gettext`` and ``shutil`` behind it) costs
more start-up time than converting a small JPEG, and DCMTK's option style differs from argparse's
anyway: options start with ``-`` or ``+`` (``+i2`` / ``-i2``), are matched exactly (no
abbreviations), may appear anywhere, and for mutually exclusive options the rightmost wins.
"""
from __future__ import annotations

import sys


class UsageError(Exception):
    """A command-line syntax error (exit code 1)."""


class Opt:
    """One option. ``kind``: "flag" (sets ``const``, default True), "value" (takes an argument),
    "append" (takes an argument, repeatable)."""

    __slots__ = ("names", "dest", "kind", "const", "metavar", "help", "group")

    def __init__(self, names: str, dest: str, kind: str = "flag", const=True, metavar: str = "",
                 help: str = "", group: str = "options") -> None:
        self.names = names.split()
        self.dest, self.kind, self.const = dest, kind, const
        self.metavar, self.help, self.group = metavar, help, group


class Command:
    """A sub-command: options, positional parameters and defaults."""

    def __init__(self, prog: str, description: str, params: list[tuple[str, str]], options: list[Opt],
                 defaults: dict, optional_params: int = 0) -> None:
        self.prog, self.description = prog, description
        self.params, self.options, self.defaults = params, options, defaults
        self.optional_params = optional_params
        self.by_name = {name: opt for opt in options for name in opt.names}
        self.by_name["-h"] = self.by_name["--help"] = Opt("-h --help", "help", help="print this help text and exit")

    def usage(self) -> str:
        return f"usage: {self.prog} [options] " + " ".join(name for name, _ in self.params)

    def help(self) -> str:
        lines = [self.usage(), "", self.description, "", "parameters:"]
        lines += [f"  {name:22s}{text}" for name, text in self.params]
        group = None
        for opt in [self.by_name["-h"], *self.options]:
            if opt.group != group:
                group = opt.group
                lines += ["", f"{group}:"]
            names = "  ".join(opt.names)
            if opt.metavar:
                names += f" {opt.metavar}"
            lines.append(f"  {names:30s}{opt.help}" if len(names) < 30 else f"  {names}\n  {'':30s}{opt.help}")
        return "\n".join(lines)

    def parse(self, argv: list[str]) -> dict:
        """Parse ``argv``; returns a dict of values (params by their name with '-' → '_').

        Raises :class:`UsageError`; prints help and raises ``SystemExit(0)`` for -h/--help.
        """
        values = dict(self.defaults)
        for opt in self.options:
            if opt.kind == "append":
                values[opt.dest] = list(values.get(opt.dest, []))
        positional: list[str] = []
        i, only_params = 0, False
        while i < len(argv):
            arg = argv[i]
            i += 1
            if only_params or arg in ("-", "+") or arg[:1] not in ("-", "+"):
                positional.append(arg)
                continue
            if arg == "--":
                only_params = True
                continue
            name, eq, inline = arg.partition("=") if arg.startswith("--") else (arg, "", "")
            opt = self.by_name.get(name)
            if opt is None:
                raise UsageError(f"unknown option {arg}")
            if opt.dest == "help":
                print(self.help())
                raise SystemExit(0)
            if opt.kind == "flag":
                if eq:
                    raise UsageError(f"option {name} takes no value")
                values[opt.dest] = opt.const
                continue
            if eq:
                value = inline
            elif i < len(argv):
                value = argv[i]
                i += 1
            else:
                raise UsageError(f"missing value for option {name}")
            if opt.kind == "append":
                values[opt.dest].append(value)
            else:
                values[opt.dest] = value
        required = len(self.params) - self.optional_params
        if len(positional) < required:
            missing = " ".join(name for name, _ in self.params[len(positional):required])
            raise UsageError(f"missing parameter(s): {missing}")
        if len(positional) > len(self.params):
            raise UsageError(f"too many parameters: {' '.join(positional[len(self.params):])}")
        for (name, _), value in zip(self.params, positional):
            values[name.replace("-", "_")] = value
        return values


def fail_usage(command: Command, message: str) -> int:
    """Print the usage line and one error line; return exit code 1."""
    print(command.usage(), file=sys.stderr)
    print(f"{command.prog}: error: {message}", file=sys.stderr)
    return 1


def log_options(group: str = "general") -> list[Opt]:
    """DCMTK's -q/-v/-d (dest "log": "quiet", "verbose", "debug"; the rightmost wins)."""
    return [
        Opt("-q --quiet", "log", const="quiet", help="quiet mode, print no warnings and errors", group=group),
        Opt("-v --verbose", "log", const="verbose", help="verbose mode, print processing details", group=group),
        Opt("-d --debug", "log", const="debug", help="debug mode, print debug information", group=group),
    ]
