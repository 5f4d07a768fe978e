"""``gazemap heatmap`` (one picture) and ``gazemap report`` (rebuild the HTML report).

Both read an analysis folder written by ``gazemap analyze`` (docs/outputs.md); nothing is
re-detected. ``gazemap heatmap`` uses the page coordinates of fixations.csv, so its picture
matches the report's numbers exactly.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gazemap.errors import InputError

if TYPE_CHECKING:
    from gazemap.protocol import AOI, Screen

KINDS = ("heatmap", "fog", "gazeplot")


def register(sub: argparse._SubParsersAction) -> None:
    from gazemap.render import COLORMAPS

    p = sub.add_parser(
        "heatmap",
        help="draw one heatmap, opacity map or gaze plot of a touchpoint screen as a PNG",
        description="Draw the gaze of one touchpoint screen over its screenshot, from the "
        "fixations.csv of an analysis folder (run `gazemap analyze STUDY_DIR --out report` "
        "first). The protocol is --protocol, else the 'protocol:' entry of "
        "STUDY_DIR/study.yaml, else the one named in the analysis's evidence.json.",
    )
    p.add_argument("study", metavar="STUDY_DIR", help="study folder (session files, study.yaml)")
    p.add_argument("--touchpoint", required=True, metavar="ID", help="touchpoint id")
    p.add_argument(
        "--screen", default=None, metavar="ID", help="screen id (default: the touchpoint's first)"
    )
    p.add_argument(
        "--participants", nargs="+", default=None, metavar="P", help="only these participants"
    )
    p.add_argument("--out", default=None, metavar="FILE.png", help="output PNG")
    p.add_argument("--protocol", default=None, metavar="FILE", help="study protocol YAML")
    p.add_argument(
        "--analysis",
        default="report",
        metavar="DIR",
        help="analysis folder with fixations.csv (default: report, as in the README)",
    )
    p.add_argument("--kind", choices=KINDS, default="heatmap", help="picture (default: heatmap)")
    p.add_argument("--sigma-deg", type=float, default=1.0, help="kernel sigma, degrees (1)")
    p.add_argument(
        "--weighting", choices=("duration", "count"), default="duration", help="(duration)"
    )
    p.add_argument(
        "--normalization",
        choices=("absolute", "relative"),
        default="absolute",
        help="absolute: summed seconds; relative: every participant counts equally",
    )
    p.add_argument("--colormap", choices=COLORMAPS, default="viridis", help="(viridis)")
    p.add_argument("--no-aois", action="store_true", help="do not outline the AOIs")
    p.set_defaults(func=_heatmap)

    r = sub.add_parser(
        "report",
        help="(re)build the HTML report of an analysis folder",
        description="Write index.html (journey map), overview.html and a page per touchpoint "
        "with heatmaps and gaze plots into ANALYSIS_DIR, from the files `gazemap analyze` "
        "wrote there. The protocol is --protocol, else the one named in evidence.json.",
    )
    r.add_argument("analysis", metavar="ANALYSIS_DIR", help="folder written by gazemap analyze")
    r.add_argument("--protocol", default=None, metavar="FILE", help="study protocol YAML")
    r.add_argument("--sigma-deg", type=float, default=1.0, help="heatmap kernel sigma (1 deg)")
    r.add_argument("--colormap", choices=COLORMAPS, default="viridis", help="(viridis)")
    r.add_argument("--no-gaze-plots", action="store_true", help="skip the per-participant plots")
    r.add_argument("--quiet", action="store_true", help="no progress output")
    r.set_defaults(func=_report)


def _protocol_from_evidence(analysis: Path, explicit: str | None) -> Path:
    from gazemap.report.data import read_json

    if explicit is not None:
        p = Path(explicit)
        if not p.is_file():
            raise InputError(f"protocol file {p} does not exist. Check --protocol.")
        return p
    doc = read_json(analysis / "evidence.json", ("protocol",))
    named = (doc.get("protocol") or {}).get("path")
    if not named:
        raise InputError(
            f"{analysis / 'evidence.json'} does not name its protocol file; pass --protocol FILE."
        )
    # relative to the analysis folder (docs/outputs.md); older folders hold absolute paths
    p = analysis / named
    if not p.is_file():
        raise InputError(
            f"the protocol named in {analysis / 'evidence.json'} ({named}, relative to that "
            f"folder) does not exist from here: {p}; pass --protocol FILE."
        )
    return p


#: widest heatmap kernel, deg: a few times the usual 0.5-2 deg, and wider than this the map
#: is one blob over the screen (and a huge one made the image resampling fail)
MAX_SIGMA_DEG = 20.0


def _check_sigma(sigma_deg: float) -> None:
    if not (math.isfinite(sigma_deg) and 0 < sigma_deg <= MAX_SIGMA_DEG):
        raise InputError(
            f"--sigma-deg must be > 0 and <= {MAX_SIGMA_DEG:g} degrees, got {sigma_deg!r}; "
            "heatmaps use 0.5-2 deg (default 1)."
        )


def _report(args: argparse.Namespace) -> int:
    from gazemap.protocol import load_protocol
    from gazemap.report import write_report

    _check_sigma(args.sigma_deg)
    analysis = Path(args.analysis)
    if not analysis.is_dir():
        raise InputError(
            f"analysis folder {analysis} does not exist. Run `gazemap analyze STUDY_DIR --out "
            f"{analysis}` first."
        )
    protocol = load_protocol(_protocol_from_evidence(analysis, args.protocol))
    from tqdm import tqdm

    bar = tqdm(
        total=len(protocol.touchpoints), desc="drawing", unit="touchpoint", disable=args.quiet
    )

    def step(tp_id: str) -> None:
        bar.set_postfix_str(tp_id)
        bar.update(1)

    try:
        index = write_report(
            analysis,
            protocol,
            sigma_deg=args.sigma_deg,
            colormap=args.colormap,
            gaze_plots=not args.no_gaze_plots,
            progress=step,
        )
    finally:
        bar.close()
    print(index)
    return 0


def _aois_used(
    screen: Screen, rows: list[dict[str, Any]] | None, participants: list[str]
) -> tuple[tuple[AOI, ...], str | None]:
    """The AOI outlines for a picture of ``participants``, as the report draws them.

    From the screen's aois.csv ``rows`` (the boxes each participant was analysed with,
    live-page boxes included); the protocol's AOIs when the analysis folder has no aois.csv
    (``rows`` None).
    """
    from gazemap.report.images import heatmap_aois, participant_aois

    if rows is None:
        return screen.aois, None
    per_p = {
        p: participant_aois(screen, [r for r in rows if r["participant"] == p])
        for p in participants
    }
    live = [
        p
        for p in participants
        if any(r["source"] == "live" and r["participant"] == p for r in rows)
    ]
    return heatmap_aois(screen, per_p, live)


def _aoi_rows(analysis: Path, tp_id: str, screen_id: str) -> list[dict[str, Any]] | None:
    """aois.csv rows of one touchpoint screen; None when the folder has no aois.csv."""
    from gazemap.report.data import AOIS_COLUMNS, AOIS_FILE, read_csv

    path = analysis / AOIS_FILE
    if not path.is_file():
        return None
    return [
        r
        for r in read_csv(path, AOIS_COLUMNS)
        if r["touchpoint_id"] == tp_id and r["screen_id"] == screen_id
    ]


def _heatmap(args: argparse.Namespace) -> int:
    import numpy as np

    from gazemap import render
    from gazemap.geometry import px_per_deg
    from gazemap.heatmap import fixation_heatmap
    from gazemap.protocol import load_protocol
    from gazemap.report.data import FIXATIONS_COLUMNS, read_csv, read_json, screen_geometry
    from gazemap.report.images import (
        fixed_aoi_ids,
        no_view_note,
        plot_positions,
        point_px_per_deg,
        session_px_per_deg,
    )

    _check_sigma(args.sigma_deg)
    if args.out is not None and Path(args.out).suffix.lower() != ".png":
        # the image is PNG whatever the name says: a .jpg name held PNG data
        raise InputError(
            f"--out {args.out}: gazemap heatmap writes PNG images; give a name ending in .png "
            f"(e.g. {Path(args.out).with_suffix('.png')})."
        )
    if args.out is not None and Path(args.out).is_dir():
        raise InputError(
            f"--out {args.out} is a folder; give a file name, e.g. {Path(args.out) / 'heatmap.png'}."
        )
    analysis = Path(args.analysis)
    fix_path = analysis / "fixations.csv"
    if not fix_path.is_file():
        raise InputError(
            f"{fix_path} does not exist. Run `gazemap analyze {args.study} --out {analysis}` "
            "first, or pass --analysis DIR."
        )
    if args.protocol is not None:
        proto_path = _protocol_from_evidence(analysis, args.protocol)
    else:
        from gazemap.batch import find_protocol

        try:
            proto_path = find_protocol(args.study, None)
        except InputError:
            proto_path = _protocol_from_evidence(analysis, None)
    protocol = load_protocol(proto_path)
    try:
        tp = protocol.touchpoint(args.touchpoint)
    except KeyError:
        raise InputError(
            f"--touchpoint {args.touchpoint!r} is not in protocol {protocol.id!r}; its "
            f"touchpoints are {', '.join(t.id for t in protocol.touchpoints)}."
        ) from None
    screen = tp.screens[0]  # the protocol validator guarantees at least one
    if args.screen is not None:
        match = [s for s in tp.screens if s.id == args.screen]
        if not match:
            raise InputError(
                f"--screen {args.screen!r} is not a screen of touchpoint {tp.id!r}; its screens "
                f"are {', '.join(s.id for s in tp.screens)}."
            )
        screen = match[0]
    rows = [
        r
        for r in read_csv(fix_path, FIXATIONS_COLUMNS)
        if r["touchpoint_id"] == tp.id and r["screen_id"] == screen.id
    ]
    present = sorted({r["participant"] for r in rows})
    if args.participants:
        unknown = [p for p in args.participants if p not in present]
        if unknown:
            raise InputError(
                f"--participants {' '.join(unknown)}: no fixations on {tp.id}/{screen.id}; "
                f"participants with fixations there: {', '.join(present) or 'none'}."
            )
        rows = [r for r in rows if r["participant"] in args.participants]
    sessions_path = analysis / "sessions.json"
    sessions = read_json(sessions_path, (), kind=list) if sessions_path.is_file() else []
    evidence_path = analysis / "evidence.json"
    evidence = read_json(evidence_path, ()) if evidence_path.is_file() else {}
    geometry, _ = screen_geometry(evidence, sessions, protocol)
    session_ppd = session_px_per_deg(sessions)

    def col(key: str) -> np.ndarray:
        return np.array([np.nan if r[key] is None else r[key] for r in rows], dtype=np.float64)

    # fixations on a sticky AOI are drawn where the sticky element is on the screenshot
    aoi_rows = _aoi_rows(analysis, tp.id, screen.id)  # read once: sticky ids and outlines
    fixed_ids = fixed_aoi_ids(screen, aoi_rows or ())
    _, _, n_no_view = plot_positions(rows, fixed_ids)
    if n_no_view:
        print(f"gazemap heatmap: note: {no_view_note(n_no_view, fix_path)}", file=sys.stderr)

    base = render.load_screenshot(
        protocol.screenshot_path(screen), screen.page_width_px, screen.page_height_px
    )
    aois: tuple[AOI, ...] = ()
    if not args.no_aois:
        aois, note = _aois_used(screen, aoi_rows, sorted({r["participant"] for r in rows}))
        if note:
            print(f"gazemap heatmap: note: {note}", file=sys.stderr)
    plain = base
    if aois and args.kind == "fog":  # a heatmap gets them over the heat, a gaze plot over
        base = render.draw_aois(
            base, aois, page_width_px=screen.page_width_px, page_height_px=screen.page_height_px,
        )  # fmt: skip
    title = f"{tp.name} — {screen.name}"
    if args.kind == "gazeplot":
        img = base
        order = sorted({r["participant"] for r in rows})
        if aois and len(order) > 1:  # the outlines under every participant's circles
            img = render.draw_aois(
                img, aois, page_width_px=screen.page_width_px,
                page_height_px=screen.page_height_px, names=False,
            )  # fmt: skip
        everyone = [str(p) for p in evidence.get("participants") or present]
        for p in order:
            sel = [i for i, r in enumerate(rows) if r["participant"] == p]
            idx = everyone.index(p) if p in everyone else len(everyone)
            gx, gy, _ = plot_positions([rows[i] for i in sel], fixed_ids)
            img = render.gaze_plot(
                img, gx, gy, col("duration_s")[sel],
                page_width_px=screen.page_width_px, page_height_px=screen.page_height_px,
                colour=render.participant_colour(idx),
                label=p if len(order) == 1 else None,
                # one participant: outlines under the circles, AOI labels over them
                aois=aois if len(order) == 1 else (),
            )  # fmt: skip
        if aois and len(order) > 1:
            img = render.draw_aois(
                img, aois, page_width_px=screen.page_width_px,
                page_height_px=screen.page_height_px, outlines=False,
            )  # fmt: skip
        if len(order) > 1:  # a colour key in the bottom-left corner, like one's legend
            x = 8
            fs = render.legend_text_px(img.shape[1])
            y = max(0, img.shape[0] - render.text_box_size(order[0], fs)[1] - 8)
            for p in order:
                idx = everyone.index(p) if p in everyone else len(everyone)
                colour = tuple(int(c * 0.8) for c in render.participant_colour(idx))
                w, _ = render.draw_text(img, p, x, y, fs, rgb=(255, 255, 255), box_rgb=colour)
                x += w + 4
    else:
        # as in the report: fixations during which the page scrolled have no one position
        rows = [r for r in rows if r.get("mapped") is not False]
        hx, hy, _ = plot_positions(rows, fixed_ids)
        hm = fixation_heatmap(
            hx,
            hy,
            np.nan_to_num(col("duration_s")),
            np.array([r["participant"] for r in rows], dtype=object),
            page_width_px=screen.page_width_px,
            page_height_px=screen.page_height_px,
            px_per_deg=px_per_deg(geometry),
            sigma_deg=args.sigma_deg,
            weighting=args.weighting,
            normalization=args.normalization,
            # each session's fixations get the kernel of its own screen (sessions.json)
            point_px_per_deg=point_px_per_deg(rows, session_ppd, px_per_deg(geometry)),
        )
        if args.kind == "fog":
            # the legend in a strip above the page, as in the report (over the page it hid
            # the navigation)
            img = render.fog_overlay(base, hm, title=title, margin=True)
        else:
            # the AOI outlines and labels over the heat, so the heat does not cover them
            img = render.draw_aois(
                render.heatmap_overlay(plain, hm, colormap=args.colormap, legend=False), aois,
                page_width_px=screen.page_width_px, page_height_px=screen.page_height_px,
            )  # fmt: skip
            img = render.add_heatmap_legend(
                img, hm, colormap=args.colormap, title=title, margin=True
            )
    out = Path(args.out) if args.out else Path(f"{args.kind}_{tp.id}_{screen.id}.png")
    render.write_png(out, img)
    print(out)
    return 0
