"""Sticky AOIs in heatmaps and gaze plots, with the real commands.

A simulated participant of protocols/online-store.yaml scrolls the home page and looks at its
sticky header (a ``fixed: true`` AOI). The AOI mapping counts those fixations on the header;
the pictures must show them on the header too, not on the page content that was scrolled
under it (QA: the heat of the header landed on the newsletter box 1700 px down the page).
"""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import REPO, gazemap_cmd

PROTOCOL = REPO / "protocols" / "online-store.yaml"
HEADER_H_PX = 72  # the header AOI: rect 0, 0, 1440, 72 (viewport px)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([*gazemap_cmd(), *args], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("sticky")
    study = root / "study"
    study.mkdir()
    run(
        "simulate", "--protocol", str(PROTOCOL), "--participant", "P01", "--seed", "1",
        "--rate-hz", "250", "--out", str(study / "P01.h5"),
    )  # fmt: skip
    out = root / "out"
    run("analyze", str(study), "--protocol", str(PROTOCOL), "--out", str(out), "--no-report",
        "--quiet")  # fmt: skip
    return study, out


def _home_rows(out: Path) -> list[dict[str, str]]:
    with (out / "fixations.csv").open(encoding="utf-8") as f:
        return [r for r in csv.DictReader(f) if r["screen_id"] == "home"]


def test_fixations_csv_has_the_viewport_position_of_sticky_fixations(
    analysed: tuple[Path, Path],
) -> None:
    _, out = analysed
    header = [r for r in _home_rows(out) if "header" in r["aoi_ids"].split(";")]
    assert header, "the simulated participant never looked at the sticky header"
    for r in header:
        assert 0 <= float(r["view_y_px"]) <= HEADER_H_PX
    # the case the QA found: fixations on the header while the page was scrolled far down
    assert max(float(r["page_y_px"]) for r in header) > 1000


def test_heatmap_shows_sticky_fixations_on_the_header(
    analysed: tuple[Path, Path], tmp_path: Path
) -> None:
    study, out = analysed
    header = [r for r in _home_rows(out) if "header" in r["aoi_ids"].split(";")]
    under_y = int(np.median([float(r["page_y_px"]) for r in header]))
    png = tmp_path / "heat.png"
    run("heatmap", str(study), "--protocol", str(PROTOCOL), "--analysis", str(out),
        "--touchpoint", "home", "--no-aois", "--out", str(png))  # fmt: skip
    img = cv2.imread(str(png)).astype(np.int32)
    shot = cv2.imread(str(REPO / "protocols" / "online-store" / "home.png")).astype(np.int32)
    # the legend is in a strip above the page: the page is the bottom of the picture
    assert img.shape[1:] == shot.shape[1:] and img.shape[0] > shot.shape[0]
    img = img[img.shape[0] - shot.shape[0] :]
    change = np.abs(img - shot).sum(axis=2)
    # the header band's left part, where its links are (and where it was measured when the
    # legend box sat in the top-right corner)
    on_header = float(change[: HEADER_H_PX + 20, :900].mean())
    # the page content scrolled under the header when the participant looked at it
    under = float(change[under_y - 40 : under_y + 40, :].mean())
    assert on_header > 3 * under, (on_header, under)


def test_gaze_plot_draws_sticky_fixations_on_the_header(
    analysed: tuple[Path, Path], tmp_path: Path
) -> None:
    study, out = analysed
    rows = _home_rows(out)
    header = [r for r in rows if "header" in r["aoi_ids"].split(";")]
    png = tmp_path / "gaze.png"
    run("heatmap", str(study), "--protocol", str(PROTOCOL), "--analysis", str(out),
        "--touchpoint", "home", "--no-aois", "--kind", "gazeplot", "--out", str(png))  # fmt: skip
    img = cv2.imread(str(png)).astype(np.int32)
    shot = cv2.imread(str(REPO / "protocols" / "online-store" / "home.png")).astype(np.int32)
    change = np.abs(img - shot).sum(axis=2) > 60
    w = img.shape[1]
    # where every fixation is drawn: header ones on the header, the others at page px
    drawn = np.array(
        [
            (float(r["view_x_px"]), float(r["view_y_px"]))
            if r in header
            else (float(r["page_x_px"]), float(r["page_y_px"]))
            for r in rows
        ]
    )
    checked_under = 0
    for r in header:
        if float(r["page_y_px"]) <= 1000:
            continue
        # the fixation circle: radius w / 80 at 250 ms, area ~ duration (render.gaze_plot)
        rad = max(3.0, w / 80.0 * np.sqrt(float(r["duration_s"]) / 0.25))
        k = np.arange(8) * np.pi / 4
        ring_x = (0.6 * rad * np.cos(k)).astype(int)
        ring_y = (0.6 * rad * np.sin(k)).astype(int)
        x, y = float(r["view_x_px"]), float(r["view_y_px"])
        assert change[np.clip(int(y) + ring_y, 0, None), int(x) + ring_x].mean() >= 0.75
        px, py = float(r["page_x_px"]), float(r["page_y_px"])
        if np.hypot(drawn[:, 0] - px, drawn[:, 1] - py).min() < 4 * rad:
            continue  # another fixation is drawn there
        checked_under += 1
        # at most saccade lines cross the page position under the header (a circle: 1.0)
        assert change[int(py) + ring_y, int(px) + ring_x].mean() <= 0.5, r["index"]
    assert checked_under >= 1
