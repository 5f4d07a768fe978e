"""The report's pictures: per touchpoint screen a heatmap, an opacity map, a thumbnail and a
gaze plot per participant, all from fixations.csv rows, written as PNG files next to the HTML.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gazemap import render
from gazemap.errors import InputError
from gazemap.heatmap import Heatmap, fixation_heatmap
from gazemap.protocol import Protocol, Screen, Touchpoint

THUMB_WIDTH_PX = 360


@dataclass(slots=True)
class ScreenImages:
    """Relative paths (from the analysis folder) and the numbers shown beside the images."""

    screen: Screen
    heatmap: str
    fog: str
    thumb: str
    gazeplots: list[tuple[str, str]] = field(default_factory=list)  # (participant, path)
    n_fixations: int = 0
    n_off_page: int = 0
    n_scrolling: int = 0  # fixations during which the page scrolled (mapped = 0): not drawn
    n_participants: int = 0
    total_s: float = 0.0
    peak_per_deg2: float = 0.0
    unit: str = ""
    warning: str | None = None


def image_paths(tp_id: str, screen_id: str) -> tuple[str, str, str]:
    """(heatmap, fog, thumbnail) paths relative to the analysis folder (docs/outputs.md)."""
    base = f"touchpoints/{tp_id}/{screen_id}"
    return f"{base}_heatmap.png", f"{base}_fog.png", f"{base}_heatmap_thumb.png"


def gazeplot_path(tp_id: str, screen_id: str, participant: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in participant)
    return f"touchpoints/{tp_id}/{screen_id}_gazeplot_{safe}.png"


def _column(rows: Sequence[dict[str, Any]], key: str) -> np.ndarray:
    return np.array([np.nan if r[key] is None else float(r[key]) for r in rows], dtype=np.float64)


def screen_heatmap(
    rows: Sequence[dict[str, Any]],
    screen: Screen,
    *,
    px_per_deg: float,
    sigma_deg: float,
) -> Heatmap:
    """Duration-weighted, absolute heatmap of fixations.csv rows on one screen."""
    return fixation_heatmap(
        _column(rows, "page_x_px"),
        _column(rows, "page_y_px"),
        np.nan_to_num(_column(rows, "duration_s"), nan=0.0),
        np.array([r["participant"] for r in rows], dtype=object),
        page_width_px=screen.page_width_px,
        page_height_px=screen.page_height_px,
        px_per_deg=px_per_deg,
        sigma_deg=sigma_deg,
    )


def _base_image(path: Path | None, screen: Screen) -> tuple[np.ndarray, str | None]:
    """The screenshot as RGB, or a blank page and the reason when it cannot be read."""
    try:
        return render.load_screenshot(path, screen.page_width_px, screen.page_height_px), None
    except InputError as exc:
        blank = render.blank_page(screen.page_width_px, screen.page_height_px)
        return blank, f"{exc} A blank page stands in for it."


def _with_aois(base: np.ndarray, screen: Screen) -> np.ndarray:
    return render.draw_aois(
        base, screen.aois, page_width_px=screen.page_width_px,
        page_height_px=screen.page_height_px,
    )  # fmt: skip


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
) -> list[ScreenImages]:
    """Write the images of every screen of ``tp``; returns what the pages show.

    ``participants`` fixes each participant's colour across the whole report.
    ``screenshots`` is evidence.json's ``screenshots`` (per screen id, the study's own
    capture, docs/outputs.md): heatmaps and fog maps are drawn on its ``file`` when its
    ``source`` is ``"study"``, a participant's gaze plot on that participant's capture;
    otherwise on the protocol's screenshot.
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
            image_path = Path(shot["file"])
            if shot.get("note"):
                notes.append(str(shot["note"]))
        base, problem = _base_image(image_path, screen)
        notes.extend([problem] if problem else [])
        warning = " ".join(notes) or None
        with_aois = _with_aois(base, screen)
        # a fixation during which the page scrolled has no single page position
        steady = [r for r in rows if r.get("mapped") is not False]
        hm = screen_heatmap(steady, screen, px_per_deg=px_per_deg, sigma_deg=sigma_deg)
        title = f"{tp.name} — {screen.name}"
        plain = render.heatmap_overlay(with_aois, hm, colormap=colormap, legend=False)
        heat = render.add_heatmap_legend(plain, hm, colormap=colormap, title=title)
        render.write_png(out_dir / hm_path, heat)
        fog = render.fog_overlay(base, hm, title=title)
        render.write_png(out_dir / fog_path, fog)
        dens = hm.values.sum(axis=1)
        focus = None
        if dens.sum() > 0:
            centre_row = float((dens * (np.arange(len(dens)) + 0.5)).sum() / dens.sum())
            focus = centre_row * hm.cell_px * heat.shape[0] / screen.page_height_px
        render.write_png(
            out_dir / thumb_path, render.thumbnail(plain, THUMB_WIDTH_PX, focus_y=focus)
        )
        info = ScreenImages(
            screen=screen,
            heatmap=hm_path,
            fog=fog_path,
            thumb=thumb_path,
            n_fixations=len(rows),
            n_off_page=hm.n_outside,
            n_scrolling=len(rows) - len(steady),
            n_participants=hm.n_participants,
            total_s=hm.total,
            peak_per_deg2=float(hm.per_deg2().max()) if hm.values.size else 0.0,
            unit=render.legend_label(hm),
            warning=warning,
        )
        if gaze_plots:
            by_p: dict[str, list[dict[str, Any]]] = {}
            for r in rows:
                by_p.setdefault(r["participant"], []).append(r)
            for p in sorted(by_p, key=lambda p: (colour_index.get(p, len(colour_index)), p)):
                pr = by_p[p]
                backdrop = with_aois
                own = (shot.get("participants") or {}).get(p)
                if own and own.get("file"):
                    p_base, p_problem = _base_image(Path(own["file"]), screen)
                    if p_problem is None:
                        backdrop = _with_aois(p_base, screen)
                img = render.gaze_plot(
                    backdrop,
                    _column(pr, "page_x_px"),
                    _column(pr, "page_y_px"),
                    _column(pr, "duration_s"),
                    page_width_px=screen.page_width_px,
                    page_height_px=screen.page_height_px,
                    colour=render.participant_colour(colour_index.get(p, len(colour_index))),
                    label=p,
                )
                path = gazeplot_path(tp.id, screen.id, p)
                render.write_png(out_dir / path, img)
                info.gazeplots.append((p, path))
        result.append(info)
    return result
