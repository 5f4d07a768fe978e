"""The ``gazemap`` command: a thin layer that parses arguments and calls the library.

Each module in COMMAND_MODULES defines ``register(subparsers)``, adding its subcommands;
each subcommand sets ``func(args) -> int`` with ``parser.set_defaults(func=...)``.
Errors a user can fix (GazemapError) print one line and exit with code 2.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from collections.abc import Sequence

from gazemap import __version__
from gazemap.errors import GazemapError

#: modules under gazemap.cli, each owning a group of subcommands
COMMAND_MODULES: tuple[str, ...] = (
    "record",  # stream, record, recover, mark, devices, info
    "simulate",  # simulate, protocol
    "detect",  # detect, label
    "analyze",  # protocol, analyze
    "show",  # heatmap, report
    "connect",  # import
    "present",  # present
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gazemap",
        description="Eye-tracking pipeline for usability tests: record, detect, analyse, report.",
    )
    parser.add_argument("--version", action="version", version=f"gazemap {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"gazemap.cli.{name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # before the command modules' imports (~0.5 s): `gazemap mark` dates its marker back here
    started_monotonic_s = time.monotonic()
    try:
        return _run(argv, started_monotonic_s)
    except BrokenPipeError:
        # the reader of the output went away (`gazemap info S.h5 | head -3`, `--help | head`):
        # not an error. Output still buffered would raise again when Python flushes stdout at
        # exit, so stdout goes to /dev/null from here (as the Python docs advise for SIGPIPE)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


def _run(argv: Sequence[str] | None, started_monotonic_s: float) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.started_monotonic_s = started_monotonic_s
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except GazemapError as exc:
        print(f"gazemap {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"gazemap {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
