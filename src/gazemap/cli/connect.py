"""``gazemap import FORMAT PATH --out FILE.h5``: files from other tools into session files."""

from __future__ import annotations

import argparse
import sys

from gazemap.cli._common import DEFAULT_SCREEN, add_screen_arguments, screen_options
from gazemap.errors import InputError
from gazemap.importers import IMPORTERS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import",
        help="import a file from another tool (EyeLink ASC, Tobii TSV, XDF, Pupil Player, Lund CSV)",
        description="Import a recording made by another tool into a gazemap session file. "
        "Formats: " + "; ".join(f"{k}: {v[2]}" for k, v in IMPORTERS.items()) + ".",
    )
    p.add_argument("format", choices=sorted(IMPORTERS), help="the source format")
    p.add_argument("path", help="the file (or Pupil Player export folder) to import")
    p.add_argument(
        "--out",
        required=True,
        help="session file to write (FILE.h5); several recordings give FILE_rec<k>.h5",
    )
    p.add_argument("--force", action="store_true", help="replace an existing output file")
    p.add_argument(
        "--recording",
        type=int,
        default=None,
        help="import only recording N (1-based) of a file with several",
    )
    p.add_argument(
        "--participant",
        default=None,
        help="participant id stored in the session (default: from the file)",
    )
    p.add_argument(
        "--eye",
        choices=("L", "R"),
        default=None,
        help="eyelink_asc: whose events go to /derived (default left)",
    )
    p.add_argument(
        "--merge-blocks",
        action="store_true",
        help="eyelink_asc: all START…END blocks (e.g. one per trial) as one session",
    )
    p.add_argument(
        "--surface",
        default=None,
        help="pupil_csv: the surface that is the screen (default: the only one)",
    )
    p.add_argument(
        "--profile",
        default=None,
        help="xdf: device profile mapping a foreign gaze stream (devices/*.yaml)",
    )
    p.add_argument(
        "--time-unit",
        choices=("us", "ms", "s"),
        default=None,
        help="tobii_tsv: unit of the recording timestamps (default: from the header)",
    )
    add_screen_arguments(p, DEFAULT_SCREEN, source="from the file")
    p.set_defaults(func=_import)


def _import(args: argparse.Namespace) -> int:
    from gazemap.importers import import_file

    options: dict[str, object] = {}
    if args.recording is not None:
        options["recording"] = args.recording
    if args.format == "eyelink_asc" and args.eye:
        options["event_eye"] = args.eye
    if args.format == "pupil_csv" and args.surface:
        options["surface"] = args.surface
    if args.format == "eyelink_asc" and args.merge_blocks:
        options["merge_blocks"] = True
    elif args.merge_blocks:
        raise InputError(
            f"--merge-blocks is for eyelink_asc files (START … END blocks); {args.format} "
            "has none. Leave it out."
        )
    if args.format == "pupil_csv" and (args.screen_width_px or args.screen_height_px):
        if not (args.screen_width_px and args.screen_height_px):
            raise InputError(
                "pupil_csv: give both --screen-width-px and --screen-height-px (the screen the "
                "surface is), or neither to use the surface's own size from Pupil Player."
            )
        options["screen_px"] = (args.screen_width_px, args.screen_height_px)
    if args.format == "xdf" and args.profile:
        options["profile"] = args.profile
    if args.format == "tobii_tsv" and args.time_unit:
        options["time_unit"] = args.time_unit
    screen = screen_options(args)
    written = import_file(
        args.format,
        args.path,
        args.out,
        force=args.force,
        screen_options=screen,
        participant=args.participant,
        warn=lambda m: print(f"gazemap import: warning: {m}", file=sys.stderr, flush=True),
        **options,
    )
    for path in written:
        print(f"wrote {path}")
    return 0
