"""Sessions recorded on different screens: each gets the heatmap kernel of its own screen.

QA: the kernel (sigma in px = sigma_deg x px per degree) came from the first session's screen
for every session, silently; a session on a 384 mm panel was spread by the kernel of a
432 mm one. Real commands: two simulated participants on different screens, `gazemap analyze`.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO, gazemap_cmd

from gazemap.geometry import px_per_deg
from gazemap.protocol import load_protocol
from gazemap.report.data import FIXATIONS_COLUMNS, read_csv
from gazemap.report.images import screen_heatmap, session_px_per_deg
from gazemap.types import ScreenGeometry

PROTOCOL = REPO / "protocols" / "online-store.yaml"


def run(*args: str) -> None:
    proc = subprocess.run([*gazemap_cmd(), *args], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("screens")
    study = root / "study"
    study.mkdir()
    common = ["simulate", "--protocol", str(PROTOCOL), "--rate-hz", "250"]
    run(*common, "--participant", "P01", "--seed", "1", "--out", str(study / "P01.h5"))
    run(
        *common, "--participant", "P02", "--seed", "2", "--out", str(study / "P02.h5"),
        "--screen-width-mm", "384", "--screen-height-mm", "240",
    )  # fmt: skip
    out = root / "out"
    run("analyze", str(study), "--protocol", str(PROTOCOL), "--out", str(out), "--quiet")
    return out


def _ppd(screen: dict) -> float:
    keys = ("width_px", "height_px", "width_mm", "height_mm", "distance_mm")
    return px_per_deg(ScreenGeometry(*(screen[k] for k in keys)))


def test_each_session_is_spread_by_its_own_screens_kernel(analysed: Path) -> None:
    sessions = json.loads((analysed / "sessions.json").read_text(encoding="utf-8"))
    by_p = {s["participant"]: s for s in sessions}
    p1, p2 = _ppd(by_p["P01"]["screen"]), _ppd(by_p["P02"]["screen"])
    assert p2 > p1 * 1.05  # a narrower panel at the same distance: more px per degree
    ppd = session_px_per_deg(sessions)
    assert ppd == {by_p["P01"]["session_id"]: p1, by_p["P02"]["session_id"]: p2}
    protocol = load_protocol(PROTOCOL)
    screen = protocol.touchpoint("search").screens[0]
    rows = [
        r
        for r in read_csv(analysed / "fixations.csv", FIXATIONS_COLUMNS)
        if r["screen_id"] == "search" and r["mapped"] is not False
    ]
    hm = screen_heatmap(rows, screen, px_per_deg=p1, sigma_deg=1.0, session_ppd=ppd)
    assert hm.sigma_px_range == pytest.approx((p1, p2))
    # P02 alone: P02's kernel, whichever session comes first in the study
    only2 = [r for r in rows if r["participant"] == "P02"]
    hm2 = screen_heatmap(only2, screen, px_per_deg=p1, sigma_deg=1.0, session_ppd=ppd)
    assert hm2.sigma_px == pytest.approx(p2) and hm2.px_per_deg_range is None
    np.testing.assert_allclose(hm.total, sum(r["duration_s"] for r in rows), rtol=1e-9)


def test_the_report_says_which_kernel_each_screen_got(analysed: Path) -> None:
    sessions = json.loads((analysed / "sessions.json").read_text(encoding="utf-8"))
    p1, p2 = (_ppd(s["screen"]) for s in sorted(sessions, key=lambda s: s["participant"]))
    overview = re.sub(r"\s+", " ", (analysed / "overview.html").read_text(encoding="utf-8"))
    assert 'id="kernel-per-screen"' in overview
    assert f"{p1:.3g} px for P01" in overview and f"{p2:.3g} px for P02" in overview
    page = re.sub(
        r"\s+", " ", (analysed / "touchpoints" / "search" / "index.html").read_text("utf-8")
    )
    assert f"({p1:.3g}–{p2:.3g} px: each participant's own screen)" in page


def test_journey_map_thumbnails_are_drawn_at_2x(analysed: Path) -> None:
    import cv2

    # 7 touchpoints: shown about 203 CSS px wide in a 1920 px window (Chromium), 406 at 2x
    pngs = sorted((analysed / "touchpoints").glob("*/*_heatmap_thumb.png"))
    assert len(pngs) == 7
    for png in pngs:
        img = cv2.imread(str(png))
        assert img.shape[1] >= 2 * 203, png
        assert png.stat().st_size < 400_000, png  # the report stays about as large
