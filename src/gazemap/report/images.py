"""The report's pictures: per touchpoint screen a heatmap, an opacity map, a thumbnail and a
gaze plot per participant, all from fixations.csv rows, written as image files next to the HTML.

Formats (docs/report.md, "Pictures and their size"): heatmaps and their thumbnails are lossless
PNG (their smooth gradients band in fewer colours); the opacity map, which is photographic
(blurred, dark), is JPEG; gaze plots, flat colours over a screenshot, are 256-colour PNG, with
a small copy for the page's grid of gaze plots.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from gazemap import render
from gazemap.errors import InputError
from gazemap.geometry import px_per_deg as _px_per_deg
from gazemap.heatmap import Heatmap, fixation_heatmap
from gazemap.protocol import AOI, Protocol, Screen, Touchpoint
from gazemap.report.data import aoi_from_row
from gazemap.types import ScreenGeometry

#: narrowest journey-map thumbnail, px (the journey map's columns are at least 200 CSS px)
THUMB_WIDTH_PX = 360
#: the thumbnails stay sharp in a window this wide (CSS px) at this device pixel ratio
THUMB_WINDOW_PX = 1920
THUMB_DPR = 2
#: the journey map's row-header column, CSS px (_style.css: table.cjm th.rowhead)
JOURNEY_ROWHEAD_PX = 150
#: width of the gaze-plot copies in the touchpoint page's grid, px: the grid shows them
#: 220-300 CSS px wide (one column on a phone), so this is sharp at 2x; the full picture is
#: one click away
GAZEPLOT_THUMB_WIDTH_PX = 600
#: colours of the indexed PNG of a gaze plot (render.write_png)
GAZEPLOT_COLOURS = 256
#: two participants' live boxes of an AOI closer than this (every coordinate) are the same, px
SAME_BOX_PX = 2.0


@dataclass(slots=True)
class ScreenImages:
    """Relative paths (from the analysis folder) and the numbers shown beside the images."""

    screen: Screen
    heatmap: str
    fog: str
    thumb: str
    gazeplots: list[tuple[str, str]] = field(default_factory=list)  # (participant, path)
    #: per participant, the small copy of the gaze plot shown in the page's grid
    gazeplot_thumbs: dict[str, str] = field(default_factory=dict)
    #: per participant, the fixations drawn in the gaze plot (with a position)
    gazeplot_n: dict[str, int] = field(default_factory=dict)
    n_fixations: int = 0
    n_off_page: int = 0
    n_scrolling: int = 0  # fixations during which the page scrolled (mapped = 0): not drawn
    n_participants: int = 0
    #: (min, max) heatmap kernel sigma in page px (differs when sessions' screens differ)
    sigma_px_range: tuple[float, float] = (0.0, 0.0)
    total_s: float = 0.0
    peak_per_deg2: float = 0.0
    unit: str = ""
    warning: str | None = None
    #: the AOI outlines drawn on the heatmap and thumbnail (:func:`heatmap_aois`)
    heatmap_aois: tuple[AOI, ...] = ()
    #: caption of the heatmap's outlines when they are not simply the protocol's
    aoi_note: str | None = None
    #: per participant, the AOI outlines drawn on that participant's gaze plot
    gazeplot_aois: dict[str, tuple[AOI, ...]] = field(default_factory=dict)
    #: participants whose AOIs on this screen include boxes measured in the live page
    live_participants: set[str] = field(default_factory=set)
    #: what the heatmap shows, for the pictures' ``alt`` text (set once by the report,
    #: gazemap.report.html.picture_alt, and used by the touchpoint page and the journey map)
    alt: str = ""


def thumb_width_px(n_columns: int, image_width_px: int) -> int:
    """Width of the journey-map thumbnails, px: sharp at ``THUMB_WINDOW_PX`` and 2x.

    The journey map shares the window between its ``n_columns`` touchpoint columns, so a
    thumbnail is shown about ``(1920 - 150) / n_columns`` CSS px wide (a fixed 360 px image
    was scaled up: 590 CSS px = 1180 device px on a 2x screen with 3 touchpoints). It is drawn
    ``THUMB_DPR`` times that, at least ``THUMB_WIDTH_PX`` and at most the image's own width
    (never scaled up): 506 px for 7 touchpoints, 1180 px for 3.
    """
    css = (THUMB_WINDOW_PX - JOURNEY_ROWHEAD_PX) / max(1, int(n_columns))
    want = int(np.ceil(css * THUMB_DPR))
    return int(max(min(want, int(image_width_px)), min(THUMB_WIDTH_PX, int(image_width_px))))


def attention_focus_row(row_mass: np.ndarray, window_rows: float) -> float:
    """Centre (in rows) of the window of ``window_rows`` consecutive rows holding the most
    attention; among equal windows, the one whose centre is nearest the attention centroid.

    The thumbnail of a long page is cropped there: the centroid of two separate areas of
    attention (filters at the top, the target card far below) lies on the empty page between
    them, and a crop centred on it cut the most looked-at area in half.

    Parameters
    ----------
    row_mass : (rows,) attention per heatmap row (any unit), >= 0, not all 0.
    window_rows : height of the crop in rows.
    """
    m = np.asarray(row_mass, dtype=float)
    n = len(m)
    centroid = float((m * (np.arange(n) + 0.5)).sum() / m.sum())
    w = int(round(window_rows))
    if w >= n:
        return n / 2.0
    w = max(w, 1)
    c = np.concatenate([[0.0], np.cumsum(m)])
    sums = c[w:] - c[:-w]  # window starting at row i
    best = np.flatnonzero(sums >= sums.max() * (1.0 - 1e-9))
    centres = best + w / 2.0
    return float(centres[np.argmin(np.abs(centres - centroid))])


def image_paths(tp_id: str, screen_id: str) -> tuple[str, str, str]:
    """(heatmap, fog, thumbnail) paths relative to the analysis folder (docs/outputs.md)."""
    base = f"touchpoints/{tp_id}/{screen_id}"
    return f"{base}_heatmap.png", f"{base}_fog.jpg", f"{base}_heatmap_thumb.png"


def gazeplot_path(tp_id: str, screen_id: str, participant: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in participant)
    return f"touchpoints/{tp_id}/{screen_id}_gazeplot_{safe}.png"


def gazeplot_thumb_path(tp_id: str, screen_id: str, participant: str) -> str:
    """The grid copy of :func:`gazeplot_path`, in the touchpoint's ``thumbs/`` folder."""
    full = gazeplot_path(tp_id, screen_id, participant)
    folder, name = full.rsplit("/", 1)
    return f"{folder}/thumbs/{name}"


def fit_width(image_rgb: np.ndarray, width_px: int) -> np.ndarray:
    """The whole picture scaled to ``width_px`` wide (never up), aspect kept."""
    h, w = image_rgb.shape[:2]
    if w <= width_px:
        return image_rgb
    size = (int(width_px), max(1, int(round(h * width_px / w))))
    return np.asarray(cv2.resize(image_rgb, size, interpolation=cv2.INTER_AREA))


def _column(rows: Sequence[dict[str, Any]], key: str) -> np.ndarray:
    return np.array([np.nan if r[key] is None else float(r[key]) for r in rows], dtype=np.float64)


def fixed_aoi_ids(screen: Screen, aoi_rows: Sequence[dict[str, Any]] = ()) -> frozenset[str]:
    """Ids of the screen's ``fixed`` (sticky) AOIs: the protocol's, and any aois.csv row of
    the screen marked ``fixed`` (the boxes the analysis used)."""
    ids = {a.id for a in screen.aois if a.fixed}
    ids.update(str(r["aoi_id"]) for r in aoi_rows if r.get("fixed") is True)
    return frozenset(ids)


def plot_positions(
    rows: Sequence[dict[str, Any]], fixed_ids: frozenset[str] | set[str]
) -> tuple[np.ndarray, np.ndarray, int]:
    """Where to draw fixations.csv rows on the full-page screenshot, page px.

    A fixation the analysis assigned to a ``fixed`` AOI (a sticky header: its ``aoi_ids``
    name one of ``fixed_ids``) is drawn at its viewport position (``view_x_px``,
    ``view_y_px``), which is where the sticky element is on the full-page screenshot (taken
    at scroll 0); its page position is the content scrolled under the header, which the
    participant did not see. Every other fixation is drawn at its page position. So the
    pictures agree with the AOI metrics (docs/report.md, "Sticky elements").

    Parameters
    ----------
    rows : fixations.csv rows (``page_x_px``, ``page_y_px``, ``aoi_ids``, optional
        ``view_x_px``, ``view_y_px``).
    fixed_ids : ids of the screen's fixed AOIs (:func:`fixed_aoi_ids`).

    Returns
    -------
    x_px, y_px : (n,) float64 page px (NaN without a position).
    n_no_view : fixations on a fixed AOI drawn at their page position because the rows have
        no viewport position (an analysis folder written before fixations.csv had
        ``view_x_px``; re-run ``gazemap analyze``).
    """
    x = _column(rows, "page_x_px")
    y = _column(rows, "page_y_px")
    n_no_view = 0
    if not fixed_ids:
        return x, y, 0
    for i, r in enumerate(rows):
        ids = r.get("aoi_ids") or ()
        if isinstance(ids, str):
            ids = [a for a in ids.split(";") if a]
        if not any(a in fixed_ids for a in ids):
            continue
        vx, vy = r.get("view_x_px"), r.get("view_y_px")
        if vx is None or vy is None:
            n_no_view += 1
            continue
        x[i], y[i] = float(vx), float(vy)
    return x, y, n_no_view


def session_px_per_deg(sessions: Sequence[Any]) -> dict[str, float]:
    """Page px per degree of each session's own screen, from sessions.json entries.

    Sessions without a complete ``screen`` object (size in px and mm, distance) are left
    out; their fixations use the study's screen (``gazemap.report.data.screen_geometry``).
    """
    out: dict[str, float] = {}
    for s in sessions:
        c = s.get("screen") if isinstance(s, dict) else None
        if not isinstance(c, dict) or s.get("session_id") is None:
            continue
        try:
            geo = ScreenGeometry(
                int(c["width_px"]), int(c["height_px"]), float(c["width_mm"]),
                float(c["height_mm"]), float(c["distance_mm"]),
            )  # fmt: skip
            ppd = _px_per_deg(geo)
        except (KeyError, TypeError, ValueError, InputError):
            continue
        if np.isfinite(ppd) and ppd > 0:
            out[str(s["session_id"])] = float(ppd)
    return out


def point_px_per_deg(
    rows: Sequence[dict[str, Any]], session_ppd: Mapping[str, float], default: float
) -> np.ndarray:
    """(n,) px per degree of each fixations.csv row's session screen (``session_ppd``,
    :func:`session_px_per_deg`); ``default`` for sessions not in it."""
    return np.array(
        [session_ppd.get(str(r.get("session_id")), default) for r in rows], dtype=np.float64
    )


def no_view_note(n_no_view: int, fixations_file: object) -> str:
    """Why ``n_no_view`` fixations on sticky AOIs are drawn at their page position
    (:func:`plot_positions`): ``fixations_file`` predates view_x_px/view_y_px."""
    return (
        f"{n_no_view} fixations on sticky AOIs are drawn at their page position (under the "
        f"sticky element): {fixations_file} has no view_x_px/view_y_px (written by an older "
        "gazemap); re-run gazemap analyze."
    )


def screen_heatmap(
    rows: Sequence[dict[str, Any]],
    screen: Screen,
    *,
    px_per_deg: float,
    sigma_deg: float,
    fixed_ids: frozenset[str] | set[str] = frozenset(),
    session_ppd: Mapping[str, float] | None = None,
) -> Heatmap:
    """Duration-weighted, absolute heatmap of fixations.csv rows on one screen.

    Fixations on ``fixed_ids`` AOIs are placed as :func:`plot_positions` says. With
    ``session_ppd`` (:func:`session_px_per_deg`) each fixation is spread by the kernel of
    its own session's screen (``px_per_deg`` for sessions not in it), so sessions recorded
    on different screens each get ``sigma_deg`` of visual angle.
    """
    x, y, _ = plot_positions(rows, fixed_ids)
    point_ppd = point_px_per_deg(rows, session_ppd, px_per_deg) if session_ppd else None
    return fixation_heatmap(
        x,
        y,
        np.nan_to_num(_column(rows, "duration_s"), nan=0.0),
        np.array([r["participant"] for r in rows], dtype=object),
        page_width_px=screen.page_width_px,
        page_height_px=screen.page_height_px,
        px_per_deg=px_per_deg,
        sigma_deg=sigma_deg,
        point_px_per_deg=point_ppd,
    )


def _base_image(path: Path | None, screen: Screen) -> tuple[np.ndarray, str | None]:
    """The screenshot as RGB, or a blank page and the reason when it cannot be read."""
    try:
        return render.load_screenshot(path, screen.page_width_px, screen.page_height_px), None
    except InputError as exc:
        blank = render.blank_page(screen.page_width_px, screen.page_height_px)
        # the page is sent to clients: the file's name, not this machine's path
        text = str(exc) if path is None else str(exc).replace(str(path), Path(path).name)
        return blank, f"{text} A blank page stands in for it."


def _with_aois(base: np.ndarray, screen: Screen, aois: Sequence[AOI]) -> np.ndarray:
    return render.draw_aois(
        base, aois, page_width_px=screen.page_width_px, page_height_px=screen.page_height_px,
    )  # fmt: skip


def participant_aois(screen: Screen, rows: Sequence[dict[str, Any]]) -> tuple[AOI, ...]:
    """The AOIs one participant was analysed with on ``screen``: their aois.csv rows of it.

    Parameters
    ----------
    screen : the protocol's screen (its AOIs stand in when ``rows`` is empty, e.g. an
        analysis folder written before aois.csv existed).
    rows : aois.csv rows of this participant, touchpoint and screen, in file order.
    """
    return tuple(aoi_from_row(r) for r in rows) if rows else screen.aois


def _same(a: AOI, b: AOI) -> bool:
    return (
        a.shape == b.shape
        and a.fixed == b.fixed
        and len(a.coords) == len(b.coords)
        and all(abs(x - y) <= SAME_BOX_PX for x, y in zip(a.coords, b.coords, strict=True))
    )


def _spread_px(boxes: Sequence[AOI]) -> float:
    """Largest distance between two participants' bounding-box edges of one AOI, px."""
    edges = np.array([b.bbox for b in boxes], dtype=np.float64)
    return float((edges.max(axis=0) - edges.min(axis=0)).max())


def heatmap_aois(
    screen: Screen, per_participant: Mapping[str, Sequence[AOI]], live: Sequence[str]
) -> tuple[tuple[AOI, ...], str | None]:
    """The AOI outlines to draw on a heatmap summed over participants, and a caption.

    Parameters
    ----------
    screen : the protocol's screen.
    per_participant : each participant's AOIs on the screen (:func:`participant_aois`), of
        the participants whose fixations are in the heatmap.
    live : the participants among them whose AOIs include live-page boxes.

    Returns
    -------
    (aois, caption): without live boxes, the protocol's AOIs and None. Otherwise an AOI whose
    boxes agree (within ``SAME_BOX_PX``) for every participant is drawn at that box, one
    whose boxes differ at the protocol's coords; the caption says which and by how much.
    """
    if not live or not per_participant:
        return screen.aois, None
    out: list[AOI] = []
    differ: list[str] = []
    for proto in screen.aois:
        boxes = [
            next((a for a in aois if a.id == proto.id), proto) for aois in per_participant.values()
        ]
        if all(_same(boxes[0], b) for b in boxes[1:]):
            out.append(boxes[0])
        else:
            out.append(proto)
            differ.append(f"{proto.name} (up to {_spread_px(boxes):.0f} px apart)")
    n = len(per_participant)
    if n == 1:
        return tuple(out), (
            f"AOI outlines as measured in the live page (aois.csv) for {next(iter(live))}."
        )
    who = f"{len(live)} of {n} participants" if len(live) < n else f"all {n} participants"
    text = f"AOI outlines as measured in the live page (aois.csv) for {who}"
    if not differ:
        return tuple(out), text + "; every box is the same for all of them."
    them = "this AOI" if len(differ) == 1 else "these AOIs"
    return tuple(out), (
        text + f". The live page put {them} at different places for different participants: "
        f"{', '.join(differ)}; the protocol's coords are drawn for "
        f"{'it' if len(differ) == 1 else 'them'} here, and each participant's own gaze plot "
        "shows that participant's boxes."
    )


def render_touchpoint(
    out_dir: Path,
    protocol: Protocol,
    tp: Touchpoint,
    fixations: Sequence[dict[str, Any]],
    participants: Sequence[str],
    *,
    px_per_deg: float,
    sigma_deg: float = 1.0,
    colormap: str = "viridis",
    gaze_plots: bool = True,
    screenshots: Mapping[str, Any] | None = None,
    aoi_rows: Mapping[str, Mapping[str, Sequence[dict[str, Any]]]] | None = None,
    session_ppd: Mapping[str, float] | None = None,
) -> list[ScreenImages]:
    """Write the images of every screen of ``tp``; returns what the pages show.

    ``participants`` fixes each participant's colour across the whole report.
    ``screenshots`` is evidence.json's ``screenshots`` (per screen id, the study's own
    capture, docs/outputs.md): heatmaps and fog maps are drawn on its ``file`` when its
    ``source`` is ``"study"``, a participant's gaze plot on that participant's capture;
    otherwise on the protocol's screenshot. ``aoi_rows`` (screen id -> participant ->
    aois.csv rows of this touchpoint) gives the AOIs each participant was analysed with: a
    gaze plot shows that participant's, the heatmap those of :func:`heatmap_aois`.
    ``session_ppd`` (session id -> px per degree of its screen, :func:`session_px_per_deg`)
    gives each session's fixations the kernel of its own screen; ``px_per_deg`` is used for
    sessions not in it.
    """
    colour_index = {p: i for i, p in enumerate(participants)}
    result = []
    for screen in tp.screens:
        rows = [r for r in fixations if r["touchpoint_id"] == tp.id and r["screen_id"] == screen.id]
        rows.sort(key=lambda r: (r["participant"], r["start_s"] or 0.0))
        hm_path, fog_path, thumb_path = image_paths(tp.id, screen.id)
        shot = (screenshots or {}).get(screen.id) or {}
        image_path = protocol.screenshot_path(screen)
        notes = []
        if shot.get("source") == "study" and shot.get("file"):
            # relative to the analysis folder (docs/outputs.md); an absolute path stays one
            image_path = out_dir / shot["file"]
            if shot.get("note"):
                notes.append(str(shot["note"]))
        base, problem = _base_image(image_path, screen)
        notes.extend([problem] if problem else [])
        warning = " ".join(notes) or None
        # a fixation during which the page scrolled has no single page position
        steady = [r for r in rows if r.get("mapped") is not False]
        own_rows = (aoi_rows or {}).get(screen.id) or {}
        seen = sorted({r["participant"] for r in steady}) or sorted(own_rows)
        p_aois = {p: participant_aois(screen, own_rows.get(p) or ()) for p in seen}
        for p in {r["participant"] for r in rows} - set(p_aois):
            p_aois[p] = participant_aois(screen, own_rows.get(p) or ())
        live = {p for p, rr in own_rows.items() if any(r["source"] == "live" for r in rr)}
        hm_aois, aoi_note = heatmap_aois(
            screen, {p: p_aois[p] for p in seen}, [p for p in seen if p in live]
        )
        fixed_ids = fixed_aoi_ids(screen, [r for rr in own_rows.values() for r in rr])
        _, _, n_no_view = plot_positions(rows, fixed_ids)
        if n_no_view:
            notes.append(no_view_note(n_no_view, "fixations.csv"))
            warning = " ".join(notes)
        hm = screen_heatmap(
            steady, screen, px_per_deg=px_per_deg, sigma_deg=sigma_deg, fixed_ids=fixed_ids,
            session_ppd=session_ppd,
        )  # fmt: skip
        # a one-screen touchpoint often names its screen like itself: "Home page", once
        title = tp.name if screen.name == tp.name else f"{tp.name} — {screen.name}"
        # the AOI outlines and labels over the heat, so the heat does not cover them
        plain = _with_aois(
            render.heatmap_overlay(base, hm, colormap=colormap, legend=False), screen, hm_aois
        )
        # the legend in a strip above the page, not over its header (docs/report.md)
        heat = render.add_heatmap_legend(plain, hm, colormap=colormap, title=title, margin=True)
        render.write_png(out_dir / hm_path, heat)
        fog = render.fog_overlay(base, hm, title=title, margin=True)
        render.write_jpeg(out_dir / fog_path, fog)
        # an analysis folder reported before 2026-11-26 has the opacity map as PNG
        (out_dir / fog_path).with_suffix(".png").unlink(missing_ok=True)
        dens = hm.values.sum(axis=1)
        focus = None
        if dens.sum() > 0:
            # image rows per heatmap row; the thumbnail's crop is at most 1.25 x the width
            rows_px = hm.cell_px * plain.shape[0] / screen.page_height_px
            crop_rows = min(plain.shape[0], plain.shape[1] * 1.25) / rows_px
            focus = attention_focus_row(dens, crop_rows) * rows_px
        n_columns = sum(len(st.touchpoints) for st in protocol.stages)
        thumb_w = thumb_width_px(n_columns, plain.shape[1])
        thumb = render.thumbnail(plain, thumb_w, focus_y=focus)
        render.write_png(out_dir / thumb_path, thumb)
        info = ScreenImages(
            screen=screen,
            heatmap=hm_path,
            fog=fog_path,
            thumb=thumb_path,
            n_fixations=len(rows),
            n_off_page=hm.n_outside,
            n_scrolling=len(rows) - len(steady),
            n_participants=hm.n_participants,
            sigma_px_range=hm.sigma_px_range,
            total_s=hm.total,
            peak_per_deg2=float(hm.per_deg2().max()) if hm.values.size else 0.0,
            unit=render.legend_label(hm),
            warning=warning,
            heatmap_aois=hm_aois,
            aoi_note=aoi_note,
            live_participants=live & set(p_aois),
        )
        if gaze_plots:
            by_p: dict[str, list[dict[str, Any]]] = {}
            for r in rows:
                by_p.setdefault(r["participant"], []).append(r)
            for p in sorted(by_p, key=lambda p: (colour_index.get(p, len(colour_index)), p)):
                pr = by_p[p]
                aois_p = p_aois[p]
                backdrop = base
                own = (shot.get("participants") or {}).get(p)
                if own and own.get("file"):
                    p_base, p_problem = _base_image(out_dir / own["file"], screen)
                    if p_problem is None:
                        backdrop = p_base
                info.gazeplot_aois[p] = aois_p
                gx, gy, _ = plot_positions(pr, fixed_ids)
                # outlines under the circles, AOI labels over them (render.gaze_plot)
                img = render.gaze_plot(
                    backdrop,
                    gx,
                    gy,
                    _column(pr, "duration_s"),
                    page_width_px=screen.page_width_px,
                    page_height_px=screen.page_height_px,
                    colour=render.participant_colour(colour_index.get(p, len(colour_index))),
                    label=p,
                    aois=aois_p,
                )
                path = gazeplot_path(tp.id, screen.id, p)
                render.write_png(out_dir / path, img, colours=GAZEPLOT_COLOURS)
                small = gazeplot_thumb_path(tp.id, screen.id, p)
                render.write_png(
                    out_dir / small, fit_width(img, GAZEPLOT_THUMB_WIDTH_PX),
                    colours=GAZEPLOT_COLOURS,
                )  # fmt: skip
                info.gazeplots.append((p, path))
                info.gazeplot_thumbs[p] = small
                info.gazeplot_n[p] = int(np.sum(np.isfinite(gx) & np.isfinite(gy)))
        result.append(info)
    return result
