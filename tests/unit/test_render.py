"""Tests of gazemap.render: image sizes, colours, legend, and a golden image with tolerance."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from gazemap.errors import InputError
from gazemap.heatmap import fixation_heatmap
from gazemap.protocol import AOI
from gazemap.render import (
    add_heatmap_legend,
    blank_page,
    colormap_lut,
    draw_aois,
    fog_overlay,
    gaze_plot,
    heatmap_overlay,
    load_screenshot,
    thumbnail,
    write_png,
)

REF = Path(__file__).resolve().parents[1] / "reference" / "heatmap"
W, H = 640, 900


def _page() -> np.ndarray:
    img = np.full((H, W, 3), 255, np.uint8)
    cv2.rectangle(img, (0, 0), (W, 60), (30, 60, 110), -1)
    cv2.rectangle(img, (40, 100), (380, 320), (200, 210, 225), -1)
    cv2.rectangle(img, (430, 110), (600, 160), (230, 120, 40), -1)
    for i in range(8):
        cv2.rectangle(img, (40, 380 + i * 40), (600, 396 + i * 40), (215, 215, 215), -1)
    return img


def _fixations() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = np.array([200.0, 230, 180, 515, 520, 250, 505, 210, 300, 515])
    y = np.array([200.0, 220, 260, 135, 140, 420, 130, 230, 500, 138])
    d = np.array([0.25, 0.4, 0.2, 0.5, 0.3, 0.15, 0.35, 0.3, 0.2, 0.6])
    return x, y, d


AOIS = (
    AOI("hero", "Hero image", "content", "rect", (40, 100, 340, 220)),
    AOI("buy", "Buy now", "cta", "rect", (430, 110, 170, 50)),
    AOI("logo", "Logo", "navigation", "ellipse", (70, 30, 40, 20)),
    AOI("txt", "Body text", "distractor", "polygon", (40, 380, 600, 380, 600, 700, 40, 700)),
)


def _golden_image() -> np.ndarray:
    x, y, d = _fixations()
    hm = fixation_heatmap(x, y, d, page_width_px=W, page_height_px=H, px_per_deg=30.0)
    # as the report draws it: the AOI outlines and labels over the heat, then the legend
    img = heatmap_overlay(_page(), hm, legend=False)
    img = draw_aois(img, AOIS, page_width_px=W, page_height_px=H)
    return add_heatmap_legend(img, hm, title="Product page")


def test_golden_heatmap_image(tmp_path: Path) -> None:
    got = _golden_image()
    ref_path = REF / "product_page_heatmap.png"
    if os.environ.get("GAZEMAP_UPDATE_GOLDEN") or not ref_path.exists():
        write_png(ref_path, got)
        pytest.skip(f"golden image written to {ref_path}; re-run to compare")
    ref = load_screenshot(ref_path, W, H)
    assert ref.shape == got.shape
    diff = np.abs(ref.astype(np.int16) - got.astype(np.int16))
    # font rasterisers differ slightly between FreeType builds: allow small, local differences
    assert diff.mean() < 0.5
    assert np.mean(diff.max(axis=2) > 40) < 0.002


def test_heatmap_overlay_is_sized_to_screenshot_and_colours_hot_spot() -> None:
    x, y, d = _fixations()
    hm = fixation_heatmap(x, y, d, page_width_px=W, page_height_px=H, px_per_deg=30.0)
    page = _page()
    out = heatmap_overlay(page, hm, legend=False, colormap="viridis")
    assert out.shape == page.shape and out.dtype == np.uint8
    # far from every fixation the page is untouched
    np.testing.assert_array_equal(out[850:, :], page[850:, :])
    # the densest point is tinted towards the top colour of viridis (yellow)
    iy, ix = np.unravel_index(hm.values.argmax(), hm.values.shape)
    cy, cx = int((iy + 0.5) * hm.cell_px), int((ix + 0.5) * hm.cell_px)
    top = colormap_lut("viridis")[-1].astype(int)
    before = np.abs(page[cy, cx].astype(int) - top).sum()
    after = np.abs(out[cy, cx].astype(int) - top).sum()
    assert after < before * 0.5


def test_screenshot_of_other_size_is_scaled() -> None:
    x, y, d = _fixations()
    hm = fixation_heatmap(x, y, d, page_width_px=W, page_height_px=H, px_per_deg=30.0)
    half = cv2.resize(_page(), (W // 2, H // 2))
    out = heatmap_overlay(half, hm, legend=False)
    assert out.shape == half.shape
    diff = np.abs(out.astype(int) - half.astype(int)).sum(axis=2)
    yy, xx = np.nonzero(diff > 30)
    # the tinted area is where the fixations are, at half scale
    assert 80 < np.median(xx) < 280 and 40 < np.median(yy) < 160


def test_fog_hides_unseen_areas() -> None:
    x, y, d = _fixations()
    hm = fixation_heatmap(x, y, d, page_width_px=W, page_height_px=H, px_per_deg=30.0)
    page = _page()
    out = fog_overlay(page, hm, legend=False)
    assert out.shape == page.shape
    assert out[880, 600].mean() < 60  # dark where nobody looked
    np.testing.assert_allclose(out[138, 515], page[138, 515], atol=25)  # clear at the hot spot


def test_gaze_plot_draws_circles_at_fixations() -> None:
    x, y, d = _fixations()
    page = _page()
    out = gaze_plot(page, x, y, d, page_width_px=W, page_height_px=H, label="P01")
    assert out.shape == page.shape
    assert np.abs(out[500, 300].astype(int) - page[500, 300]).sum() > 60  # fixation 9
    # nothing below the last one but the legend, in the bottom-left corner
    np.testing.assert_array_equal(out[850:870, :], page[850:870, :])
    changed = np.abs(out[870:].astype(int) - page[870:]).sum(axis=2) > 0
    assert changed[:, :60].mean() > 0.3 and not changed[:, W - 200 :].any()


def test_aois_are_outlined() -> None:
    page = _page()
    out = draw_aois(page, AOIS, page_width_px=W, page_height_px=H, names=False)
    # right edge of the "Buy now" rect is drawn in the CTA colour
    assert np.abs(out[140, 600].astype(int) - np.array([213, 94, 0])).sum() < 60
    assert not np.array_equal(out[600, 40], page[600, 40])  # polygon edge
    np.testing.assert_array_equal(out[850:, 200:500], page[850:, 200:500])


def test_thumbnail_crops_around_focus() -> None:
    img = blank_page(400, 4000)
    img[3000:3100] = (255, 0, 0)
    th = thumbnail(img, 200, focus_y=3050)
    assert th.shape == (250, 200, 3)
    assert (th[:, :, 0] > 200).any() and (th[:, :, 1] < 50).any()


def test_png_roundtrip(tmp_path: Path) -> None:
    img = _page()
    p = write_png(tmp_path / "a" / "b.png", img)
    np.testing.assert_array_equal(load_screenshot(p, W, H), img)
    assert load_screenshot(None, 30, 20).shape == (20, 30, 3)


def test_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        load_screenshot(tmp_path / "nope.png", 10, 10)
    bad = tmp_path / "bad.png"
    bad.write_text("not a png")
    with pytest.raises(InputError, match="not a readable image"):
        load_screenshot(bad, 10, 10)
    with pytest.raises(InputError, match="colormap must be one of"):
        colormap_lut("jet")
    hm = fixation_heatmap(
        np.array([1.0]), np.array([1.0]), np.array([1.0]),
        page_width_px=10, page_height_px=10, px_per_deg=5.0,
    )  # fmt: skip
    with pytest.raises(InputError, match="max_alpha must be in"):
        heatmap_overlay(blank_page(10, 10), hm, max_alpha=0)
    with pytest.raises(InputError, match="vmax must be > 0"):
        heatmap_overlay(blank_page(10, 10), hm, vmax=-1.0)
    with pytest.raises(InputError, match="same length"):
        gaze_plot(blank_page(10, 10), np.zeros(2), np.zeros(3), np.zeros(2),
                  page_width_px=10, page_height_px=10)  # fmt: skip
    with pytest.raises(InputError, match="could not write"):
        (tmp_path / "file").write_text("")
        write_png(tmp_path / "file" / "x.png", blank_page(5, 5))
