"""A portrait phone's screens in the report, in Debian's headless Chromium at 1280 x 800: the
heatmap and the opacity map of a screen that does not scroll are drawn whole within the
window's height (the tab bar and the Confirm/Done buttons at the phone's bottom are visible
without scrolling inside the picture); long pages (the app's statements list, the web sample's
pages) keep the box capped at 1100 px that scrolls inside.

The real `gazemap simulate` (one participant of protocols/bank-app.yaml on a 65 x 140 mm phone
at 40 cm) and the real `gazemap analyze`."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import gazemap_cmd

from gazemap.protocol import load_protocol

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
BANK = ROOT / "protocols" / "bank-app.yaml"
WEB = ROOT / "protocols" / "online-store.yaml"
WINDOW = {"width": 1280, "height": 800}

#: per figure: its box's class, computed max-height and overflow-y, the box's client and
#: scroll heights, the picture's drawn and natural sizes, and the picture's top and bottom
#: (window px) once the figure is scrolled to the window's top
_MEASURE = """async (box) => {
  const img = box.querySelector('img');
  img.loading = 'eager';
  if (!img.complete || img.naturalWidth === 0) {
    await new Promise(r => { img.onload = r; img.onerror = r; });
  }
  box.scrollIntoView({block: 'start'});
  const r = img.getBoundingClientRect();
  const cs = getComputedStyle(box);
  return {cls: box.className, maxHeight: cs.maxHeight, overflowY: cs.overflowY,
          client: box.clientHeight, scroll: box.scrollHeight, boxw: box.clientWidth,
          w: r.width, h: r.height, nw: img.naturalWidth, nh: img.naturalHeight,
          top: r.top, bottom: r.bottom, win: window.innerHeight,
          kind: img.classList.contains('heatmap') ? 'heatmap' : 'fog'};
}"""


@pytest.fixture(scope="module")
def phone_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    study = tmp_path_factory.mktemp("phone")
    r = subprocess.run(
        [*gazemap_cmd(), "simulate", "--protocol", str(BANK), "--participant", "P01"]
        + ["--seed", "1", "--screen-width-mm", "65", "--screen-height-mm", "140"]
        + ["--distance-mm", "400", "--out", str(study / "P01.h5")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    out = study / "out"
    r = subprocess.run(
        [*gazemap_cmd(), "analyze", str(study), "--protocol", str(BANK)]
        + ["--out", str(out), "--quiet"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr
    return out


def _figures(browser: Any, page_path: Path) -> dict[str, list[dict[str, Any]]]:
    """Per screen id, the measurements of its two figures (heatmap, opacity map)."""
    context = browser.new_context(viewport=WINDOW)
    try:
        page = context.new_page()
        page.goto(page_path.as_uri())
        page.wait_for_load_state("load")
        got: dict[str, list[dict[str, Any]]] = {}
        for section in page.locator("section.screen").all():
            sid = section.get_attribute("id").removeprefix("screen-")
            got[sid] = [box.evaluate(_MEASURE) for box in section.locator(".imgbox").all()]
        return got
    finally:
        context.close()


def test_a_phone_screen_is_drawn_whole_within_the_window(
    phone_report: Path, report_browser: Any
) -> None:
    protocol = load_protocol(BANK)
    seen_fit = seen_long = 0
    for tp in protocol.touchpoints:
        figures = _figures(report_browser, phone_report / "touchpoints" / tp.id / "index.html")
        for screen in tp.screens:
            figs = figures[screen.id]
            assert sorted(f["kind"] for f in figs) == ["fog", "heatmap"], (screen.id, figs)
            for f in figs:
                # the picture keeps its aspect ratio (1170 x 2649: the 3x capture and its legend)
                assert f["nw"] > 0 and f["nh"] > 0, f
                assert f["w"] / f["h"] == pytest.approx(f["nw"] / f["nh"], rel=0.01), f
                if not screen.scrolls:
                    seen_fit += 1
                    # whole in the window: nothing to scroll inside the box, top to bottom
                    # (the phone's tab bar, Confirm and Done buttons) on screen at once
                    assert f["scroll"] <= f["client"] + 1, (screen.id, f)
                    assert "fit" in f["cls"].split(), (screen.id, f)
                    assert f["h"] <= f["win"], (screen.id, f)
                    assert f["top"] >= -1 and f["bottom"] <= f["win"] + 1, (screen.id, f)
                    # drawn large enough to read: most of the window's height
                    assert f["h"] >= 0.8 * f["win"], (screen.id, f)
                else:
                    seen_long += 1
                    # the 1600 px statements list: as before, a box that scrolls inside
                    assert "fit" not in f["cls"].split(), (screen.id, f)
                    assert (f["maxHeight"], f["overflowY"]) == ("1100px", "auto"), f
                    assert f["scroll"] > f["client"], (screen.id, f)
    # login, accounts, transfer, transfer-done; statements: two figures each
    assert (seen_fit, seen_long) == (8, 2)


def test_the_web_samples_long_pages_still_scroll_inside_their_box(
    sample_report: Path, report_browser: Any
) -> None:
    protocol = load_protocol(WEB)
    n_scrolling_inside = 0
    for tp in protocol.touchpoints:
        figures = _figures(report_browser, sample_report / "touchpoints" / tp.id / "index.html")
        for screen in tp.screens:
            for f in figures.get(screen.id, []):
                if not screen.scrolls:
                    # 1440 x 900: drawn the column's width, far below the window's height
                    assert "fit" in f["cls"].split() and f["h"] <= f["win"], f
                    continue
                assert "fit" not in f["cls"].split(), (screen.id, f)
                assert (f["maxHeight"], f["overflowY"]) == ("1100px", "auto"), f
                # the picture the column's width, the box at most 1100 px tall
                assert f["client"] <= 1100 and f["w"] >= f["boxw"] - 1, f
                if f["h"] > 1100:
                    assert f["scroll"] > f["client"], (screen.id, f)
                    n_scrolling_inside += 1
    # the 3200 px product page and the other long pages: taller than the box at 1280 px
    assert n_scrolling_inside >= 2
