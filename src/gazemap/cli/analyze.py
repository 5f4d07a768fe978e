"""``gazemap analyze STUDY_DIR``: every session -> metrics, friction evidence, exports, report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gazemap.cli._common import add_detector_arguments, detector_choice
from gazemap.errors import InputError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "analyze",
        help="analyse a study folder: touchpoints, AOI metrics, friction evidence, exports",
        description="Analyse every session file (*.h5) under STUDY_DIR against the study "
        "protocol: detect events (cached in each file under /derived), cut touchpoints from the "
        "markers, map fixations to AOIs on scrolling pages, compute AOI and touchpoint metrics, "
        "apply the friction rules, and write metrics.csv, touchpoints.csv, fixations.csv, "
        "evidence.json, evidence.csv, journey.json, sessions.json and aois.csv (docs/outputs.md; "
        "paths in them relative to --out) into "
        "--out, then the HTML report. The protocol is --protocol, or the 'protocol:' entry of "
        "STUDY_DIR/study.yaml.",
    )
    p.add_argument("study", metavar="STUDY_DIR", help="folder of session files (*.h5)")
    p.add_argument("--protocol", metavar="FILE", default=None, help="study protocol YAML")
    p.add_argument("--out", metavar="DIR", default="report", help="output folder (default: report)")
    add_detector_arguments(p, imported=True)
    p.add_argument("--jobs", type=int, default=1, metavar="N", help="local worker processes")
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run on a Dask distributed scheduler, e.g. tcp://127.0.0.1:8786",
    )
    p.add_argument(
        "--max-scroll-px",
        type=float,
        default=None,
        metavar="PX",
        help="fixations during which the page scrolled more than this are not mapped to AOIs "
        "(default 20)",
    )
    p.add_argument(
        "--no-cache",
        action="store_true",
        help="do not store detections under /derived in the session files (read-only studies)",
    )
    p.add_argument("--no-report", action="store_true", help="write the data files only")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_analyze)


def _analyze(args: argparse.Namespace) -> int:
    from gazemap import report
    from gazemap.batch import analyze_study
    from gazemap.journey import MAX_SCROLL_PX
    from gazemap.report.export import write_outputs

    _, params = detector_choice(args, imported=True)  # one-line error before any work
    if args.jobs < 1:
        raise InputError(f"--jobs must be >= 1, got {args.jobs}.")
    if args.max_scroll_px is not None and not args.max_scroll_px >= 0:
        raise InputError(f"--max-scroll-px must be >= 0, got {args.max_scroll_px}.")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        # checked before the analysis, which can take long, rather than when writing
        raise InputError(
            f"--out {out} is a file; the analysis writes a folder of files. Give a folder "
            "path (it is created), e.g. --out report."
        )
    result = analyze_study(
        args.study,
        args.protocol,
        args.detector,
        params,
        jobs=args.jobs,
        scheduler=args.scheduler,
        progress=not args.quiet,
        exclude=[out],
        max_scroll_px=MAX_SCROLL_PX if args.max_scroll_px is None else args.max_scroll_px,
        write_cache=not args.no_cache,
    )
    write_outputs(out, result)
    n_ok = sum(1 for r in result.sessions if r.ok)
    for r in result.sessions:
        if not r.ok:
            print(f"gazemap analyze: skipped {r.file}: {r.error}", file=sys.stderr)
        elif r.protocol_warning:
            print(f"gazemap analyze: warning: {r.file}: {r.protocol_warning}", file=sys.stderr)
        if r.ok and r.screen_warning:
            print(f"gazemap analyze: warning: {r.file}: {r.screen_warning}", file=sys.stderr)
    # the same no-scroll warning of many imported sessions: once, naming the files
    unscrolled: dict[str, list[str]] = {}
    for r in result.sessions:
        if r.ok and r.scroll_warning:
            unscrolled.setdefault(r.scroll_warning, []).append(r.file)
    for text, files in unscrolled.items():
        print(f"gazemap analyze: warning: {', '.join(files)}: {text}", file=sys.stderr)
    from gazemap.batch import aoi_spacing_lines, protocol_screenshot_notes

    # AOIs closer together than the accuracy: one line per screen, naming the sessions
    for line in aoi_spacing_lines(result.sessions):
        print(f"gazemap analyze: warning: {line}", file=sys.stderr)

    for note in protocol_screenshot_notes(result.protocol):  # drawn stretched in the report
        print(f"gazemap analyze: warning: {note}", file=sys.stderr)
    for shot in (result.screenshots or {}).values():  # the study's own captures (issue 8)
        for rec in (shot, *shot["participants"].values()):
            if rec.get("note"):
                print(f"gazemap analyze: note: {rec['note']}", file=sys.stderr)
    n_problems = sum(len(r.marker_problems) for r in result.sessions)
    print(
        f"{n_ok} of {len(result.sessions)} sessions analysed, {len(result.evidence)} findings, "
        f"{n_problems} marker problems (see {out / 'sessions.json'})",
        file=sys.stderr,
    )
    shown = out
    writer = getattr(report, "write_report", None)
    if not args.no_report and writer is not None and n_ok:
        from tqdm import tqdm

        n_tp = len(result.protocol.touchpoints)
        with tqdm(
            total=n_tp, desc="report", unit="touchpoint", file=sys.stderr, disable=args.quiet
        ) as bar:

            def step(text: str) -> None:
                # called before each touchpoint is drawn
                bar.set_postfix_str(text, refresh=False)
                bar.update(1)

            writer(out, result.protocol, progress=step)
        if (out / "index.html").exists():
            shown = out / "index.html"
    print(shown)
    return 0 if n_ok else 1
