"""The heatmap's legend hides no page content: it is a strip above the page, not a panel over
its top-right corner (the walkthrough: the legend covered the home page's navigation and its
Search button), and it stays readable; the opacity map has a strip of the same height, so the
two pictures the touchpoint page shows side by side stay aligned."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from gazemap.heatmap import fixation_heatmap
from gazemap.protocol import load_protocol
from gazemap.render import (
    add_heatmap_legend,
    colormap_lut,
    fog_overlay,
    heatmap_overlay,
    legend_label,
    legend_strip,
    load_screenshot,
)
from gazemap.report.images import image_paths, render_touchpoint

REPO = Path(__file__).resolve().parents[2]
HOME = REPO / "protocols" / "online-store" / "home.png"  # 1440 x 2600 px
W, H = 1440, 2600


def _hm():  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(5)
    x, y = rng.uniform(200, 1200, 60), rng.uniform(400, 1400, 60)
    return fixation_heatmap(
        x, y, rng.uniform(0.1, 0.5, 60), page_width_px=W, page_height_px=H, px_per_deg=38.0
    )


def _read(path: Path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


def test_legend_strip_leaves_the_page_untouched_and_is_readable() -> None:
    page = load_screenshot(HOME, W, H)
    hm = _hm()
    plain = heatmap_overlay(page, hm, legend=False)
    out = add_heatmap_legend(plain, hm, title="Home page", margin=True)
    strip_h = out.shape[0] - H
    assert out.shape[1] == W and 60 <= strip_h <= 140, out.shape
    # below the strip, the picture is the page with its heat, pixel for pixel
    np.testing.assert_array_equal(out[strip_h:], plain)
    strip = out[:strip_h].astype(int)
    # the colour bar: the colormap's ends are in the strip
    lut = colormap_lut("viridis").astype(int)
    for end in (lut[0], lut[-1]):
        assert (np.abs(strip - end).sum(axis=2) <= 6).sum() >= 15  # a column of the bar
    # three lines of dark text (title, unit, kernel), each at the AOI labels' size: a 22 px
    # font, cap height >= 16 px on a 1440 px page
    dark = (strip[:, : W // 2].max(axis=2) < 100).any(axis=1)
    rows = np.flatnonzero(dark)
    runs = np.split(rows, np.flatnonzero(np.diff(rows) > 1) + 1)
    assert len(runs) == 3, [(r[0], r[-1]) for r in runs]
    assert runs[0][-1] - runs[0][0] + 1 >= 16


def test_the_corner_legend_is_still_there_for_callers_that_want_it() -> None:
    page = load_screenshot(HOME, W, H)
    hm = _hm()
    plain = heatmap_overlay(page, hm, legend=False)
    out = add_heatmap_legend(plain, hm, title="Home page")
    assert out.shape == plain.shape
    assert np.abs(out[:150, W - 400 :].astype(int) - plain[:150, W - 400 :]).mean() > 40


def test_report_heatmap_does_not_cover_the_navigation(tmp_path: Path) -> None:
    protocol = load_protocol(REPO / "protocols" / "online-store.yaml")
    tp = protocol.touchpoint("home")
    screen = tp.screens[0]
    # attention on the hero, none on the header
    fixations = [
        {
            "participant": f"P{i}", "session_id": f"s{i}", "touchpoint_id": tp.id,
            "screen_id": screen.id, "start_s": float(i), "duration_s": 0.4,
            "page_x_px": 300.0 + 40 * i, "page_y_px": 600.0, "aoi_ids": "", "mapped": True,
        }
        for i in range(6)
    ]  # fmt: skip
    render_touchpoint(
        tmp_path, protocol, tp, fixations, [f"P{i}" for i in range(6)], px_per_deg=38.0,
        gaze_plots=False,
    )  # fmt: skip
    heat_path, fog_path, _ = image_paths(tp.id, screen.id)
    heat = _read(tmp_path / heat_path)
    shot = load_screenshot(HOME, W, H)
    strip_h = heat.shape[0] - H
    assert 60 <= strip_h <= 140
    # the header's navigation links (right of the Search button, inside the header's outline):
    # as on the screenshot. The legend panel (88 % white) used to cover them
    nav = np.s_[20:55, 1230:1420]
    diff = np.abs(heat[strip_h:][nav].astype(int) - shot[nav].astype(int))
    assert diff.mean() < 4, diff.mean()
    # the Search button (an AOI: its label is drawn at its top-left, the rest of it shows)
    button = np.s_[40:56, 1000:1100]
    assert np.abs(heat[strip_h:][button].astype(int) - shot[button]).mean() < 25
    # the strip says what the picture is
    assert (heat[:strip_h].max(axis=2) < 100).mean() > 0.005
    # the opacity map beside it: the same height, its page part starts at the same row
    fog = _read(tmp_path / fog_path)
    assert fog.shape == heat.shape
    assert fog[:strip_h].mean() > 200  # the strip is light, the fog below it dark
    assert fog[strip_h + 300 : strip_h + 400, :200].mean() < 120


def test_opacity_map_strip_matches_the_heatmap_strip() -> None:
    page = load_screenshot(HOME, W, H)
    hm = _hm()
    fog = fog_overlay(page, hm, title="Home page", margin=True)
    bare = fog_overlay(page, hm, legend=False)
    strip_h = fog.shape[0] - H
    np.testing.assert_array_equal(fog[strip_h:], bare)
    heat_strip = legend_strip(W, colormap_lut("viridis"), 1.0, legend_label(hm), hm, "Home page")
    assert heat_strip.shape[0] == strip_h
    # its bar runs from the fog (dark) to clear (white)
    bar = fog[:strip_h].astype(int)
    assert (bar.max(axis=2) < 80).sum() > 50 and (bar.min(axis=2) > 240).sum() > 1000


def test_a_narrow_picture_stacks_the_bar_under_the_text() -> None:
    hm = fixation_heatmap(
        np.array([100.0]), np.array([100.0]), np.array([1.0]),
        page_width_px=400, page_height_px=600, px_per_deg=38.0,
    )  # fmt: skip
    strip = legend_strip(400, colormap_lut("viridis"), 1.0, legend_label(hm), hm, "Search")
    lut = colormap_lut("viridis").astype(int)
    bar_rows = np.flatnonzero((np.abs(strip.astype(int) - lut[-1]).sum(axis=2) <= 6).any(axis=1))
    text_rows = np.flatnonzero((strip[:, :60].max(axis=2) < 100).any(axis=1))
    assert bar_rows.size and text_rows.size
    assert bar_rows.min() > text_rows[text_rows < bar_rows.min()].max()  # below the text


def test_scale_ticks_read_like_the_pages_numbers() -> None:
    # the scale's top said "1" beside the page's "peak 1.02 (fixation time, s per deg²)"
    from gazemap.render import _fmt
    from gazemap.report import fmt_num

    for v in (1.0234, 0.5117, 2.113, 0.04567, 12.34, 2.0, 153.7, 0.0):
        assert _fmt(v) == fmt_num(v), v
