"""The pictures a client receives: legible legends, AOI labels not hidden by gaze-plot circles,
and files small enough to send without visible loss (pixel and size checks on real encodings).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from gazemap.errors import InputError
from gazemap.heatmap import fixation_heatmap
from gazemap.protocol import AOI
from gazemap.render import (
    ROLE_COLOURS,
    add_heatmap_legend,
    fog_overlay,
    gaze_plot,
    heatmap_overlay,
    load_screenshot,
    write_jpeg,
    write_png,
)

REPO = Path(__file__).resolve().parents[2]
SEARCH = REPO / "protocols" / "online-store" / "search.png"  # 1440 x 3200 px
W, H = 1440, 3200


def _runs(mask_rows: np.ndarray) -> list[tuple[int, int]]:
    """Consecutive runs of True rows: (first, last)."""
    rows = np.flatnonzero(mask_rows)
    out: list[tuple[int, int]] = []
    for r in rows:
        if out and r == out[-1][1] + 1:
            out[-1] = (out[-1][0], int(r))
        else:
            out.append((int(r), int(r)))
    return out


def _fixations(n: int = 120, seed: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(300, 1300, n)
    y = rng.uniform(300, 1500, n)
    d = rng.uniform(0.1, 0.6, n)
    return x, y, d


def test_heatmap_legend_text_is_readable_where_the_report_shows_it() -> None:
    # the legend was drawn 15 px high on a 1440 px page (cap height 12 px): 7 px on screen
    # where the report shows the picture 842 px wide. Now it is the AOI labels' size, w / 65
    img = np.full((1200, W, 3), 255, np.uint8)
    hm = fixation_heatmap(
        np.array([300.0]), np.array([300.0]), np.array([1.0]),
        page_width_px=W, page_height_px=1200, px_per_deg=38.0,
    )  # fmt: skip
    out = add_heatmap_legend(img, hm, title="Search results")
    dark = (out[:, W // 2 :].max(axis=2) < 100).any(axis=1)
    lines = _runs(dark)
    assert len(lines) >= 4  # title, unit, kernel, tick labels
    title_h = lines[0][1] - lines[0][0] + 1
    assert title_h >= 16, lines  # cap height of a 22 px font; was 12
    # shown 842 px wide in a 1920 px window: >= 9 px cap height, about 13 px text
    assert title_h * 842 / W >= 9


def test_gaze_plot_circles_do_not_cover_aoi_labels() -> None:
    page = load_screenshot(SEARCH, W, H)
    aoi = AOI("card", "Trail Runner 2 card", "target", "rect", (600, 800, 300, 400))
    # fixations right on the label (top-left corner of the AOI), long ones: big circles
    x = np.array([610.0, 660, 720, 790])
    y = np.array([808.0, 812, 806, 815])
    d = np.array([0.6, 0.8, 0.7, 0.9])
    out = gaze_plot(page, x, y, d, page_width_px=W, page_height_px=H, label="P01", aois=(aoi,))
    # the label box is the role's colour (draw_aois: white text on it); before, the circles
    # were drawn over it and it showed the participant's colour blended with it
    box = out[803:826, 602:900]
    role = np.array(ROLE_COLOURS["target"])
    on_role = (np.abs(box.astype(int) - role).max(axis=2) <= 2).mean()
    assert on_role > 0.5, on_role
    # the circles are still drawn (under the label, and below it)
    assert np.abs(out[835, 640].astype(int) - page[835, 640]).sum() > 60
    # the outline is there too, under the circles
    assert np.abs(out[1100, 600].astype(int) - page[1100, 600]).sum() > 60


def test_gaze_plot_legend_is_in_the_bottom_left_not_over_the_header() -> None:
    page = load_screenshot(SEARCH, W, H)
    x, y, d = _fixations()
    out = gaze_plot(page, x, y, d, page_width_px=W, page_height_px=H, label="P01")
    changed = np.abs(out.astype(int) - page).sum(axis=2) > 0
    assert not changed[:200].any()  # the header is left as it is (no fixation there)
    assert changed[H - 40 :, :100].mean() > 0.3  # the legend


def test_indexed_png_of_a_gaze_plot_is_small_and_looks_the_same(tmp_path: Path) -> None:
    page = load_screenshot(SEARCH, W, H)
    x, y, d = _fixations()
    aoi = AOI("card", "Trail Runner 2 card", "target", "rect", (600, 800, 300, 400))
    img = gaze_plot(page, x, y, d, page_width_px=W, page_height_px=H, label="P01", aois=(aoi,))
    full = write_png(tmp_path / "full.png", img)
    small = write_png(tmp_path / "small.png", img, colours=256)
    with Image.open(small) as im:
        assert im.mode == "P"  # an indexed PNG
    # at least 3x smaller than the lossless picture
    assert small.stat().st_size * 3 < full.stat().st_size, (
        small.stat().st_size,
        full.stat().st_size,
    )
    back = load_screenshot(small, W, H).astype(int)
    diff = np.abs(back - img.astype(int))
    assert diff.mean() < 2.5  # of 255
    mse = float((diff.astype(float) ** 2).mean())
    assert 10 * np.log10(255**2 / mse) > 36  # PSNR, dB
    # the lossless one is exact
    np.testing.assert_array_equal(load_screenshot(full, W, H), img)


def test_opacity_map_as_jpeg_is_small_and_looks_the_same(tmp_path: Path) -> None:
    page = load_screenshot(SEARCH, W, H)
    x, y, d = _fixations()
    hm = fixation_heatmap(x, y, d, page_width_px=W, page_height_px=H, px_per_deg=38.0)
    fog = fog_overlay(page, hm, title="Search results")
    png = write_png(tmp_path / "fog.png", fog)
    jpg = write_jpeg(tmp_path / "fog.jpg", fog)
    assert jpg.read_bytes()[:3] == b"\xff\xd8\xff"
    assert jpg.stat().st_size * 3 < png.stat().st_size, (jpg.stat().st_size, png.stat().st_size)
    back = load_screenshot(jpg, W, H).astype(float)
    mse = float(((back - fog.astype(float)) ** 2).mean())
    assert 10 * np.log10(255**2 / mse) > 40  # PSNR, dB


def test_heatmap_png_stays_lossless(tmp_path: Path) -> None:
    # heatmaps keep every colour: in 256 colours their smooth gradients band
    page = load_screenshot(SEARCH, W, H)
    x, y, d = _fixations()
    hm = fixation_heatmap(x, y, d, page_width_px=W, page_height_px=H, px_per_deg=38.0)
    img = heatmap_overlay(page, hm)
    path = write_png(tmp_path / "h.png", img)
    np.testing.assert_array_equal(load_screenshot(path, W, H), img)
    ok, default = cv2.imencode(".png", cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
    assert ok and path.stat().st_size < 0.9 * len(default)  # smaller than OpenCV's default


def test_bad_colour_count_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="colours must be 2-256"):
        write_png(tmp_path / "x.png", np.zeros((4, 4, 3), np.uint8), colours=1000)
    with pytest.raises(InputError, match="could not write"):
        (tmp_path / "file").write_text("")
        write_jpeg(tmp_path / "file" / "x.jpg", np.zeros((4, 4, 3), np.uint8))
