"""The sample study's touchpoint page in laptop-sized and narrow windows, as a researcher reads it.

Debian's Chromium, headless, through Playwright's ``executable_path`` (no browser download), on
the report of the real ``gazemap analyze`` of a copy of recordings/sample (its search page has
long metric names, task failures and a participant with a long scanpath).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import gazemap_cmd
from integration.browser_pages import open_page, scroll_box

pytestmark = pytest.mark.integration

#: launched with just these switches (tests/integration/conftest.py: report_browser)
BROWSER_ARGS = ["--headless", "--no-sandbox"]
SAMPLE = Path(__file__).resolve().parents[2] / "recordings" / "sample"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "report"

if not any(SAMPLE.glob("*.h5")):
    pytest.skip("recordings/sample has no sessions", allow_module_level=True)


@pytest.fixture(scope="module")
def search_page(sample_report: Path) -> Path:
    return sample_report / "touchpoints" / "search" / "index.html"


@pytest.fixture(scope="module")
def browser(report_browser: Any) -> Any:
    return report_browser


@pytest.mark.parametrize("width_px", [1280, 1366])
def test_evidence_table_fits_a_1280_px_laptop(
    search_page: Path, browser: Any, width_px: int
) -> None:
    # at 1280 px the participants and examples columns were cut off behind a sideways
    # scroll whose bar sits at the end of a table several screens tall
    context, page = open_page(browser, search_page, width_px)
    try:
        box = scroll_box(page)
        assert box[0] <= box[1], box
        assert not page.locator("#evidence-scroll-hint").is_visible()
        assert (
            page.locator("#evidence-table .example").evaluate_all(
                "els => els.filter(e => e.scrollWidth > e.clientWidth + 1).length"
            )
            == 0
        )
    finally:
        context.close()


def test_narrow_window_says_the_evidence_table_scrolls_sideways(
    search_page: Path, browser: Any
) -> None:
    context, page = open_page(browser, search_page, 1000)
    try:
        box = scroll_box(page)
        assert box[0] > box[1], box  # it does scroll at 1000 px ...
        hint = page.locator("#evidence-scroll-hint")
        assert hint.is_visible()  # ... and the page says so above it
        assert "scroll" in hint.inner_text() and "examples" in hint.inner_text()
        hint_box = hint.bounding_box()
        table_box = page.locator("#evidence-table").bounding_box()
        assert hint_box is not None and table_box is not None
        assert hint_box["y"] + hint_box["height"] <= table_box["y"]
    finally:
        context.close()


def test_metric_names_break_only_at_underscores(search_page: Path, browser: Any) -> None:
    # 'fixations_before_first' was shown as 'fixations_b' / 'efore_first'
    context, page = open_page(browser, search_page, 1400)
    try:
        breaks = page.locator("#evidence-table td.c-metric code").evaluate_all(
            """codes => codes.map(code => {
                 const text = code.textContent, out = [];
                 let top = null, i = 0;
                 const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
                 for (let n = walker.nextNode(); n; n = walker.nextNode()) {
                   for (let k = 0; k < n.length; k++, i++) {
                     const r = document.createRange(); r.setStart(n, k); r.setEnd(n, k + 1);
                     const t = Math.round(r.getBoundingClientRect().top);
                     if (top !== null && t > top) out.push(text.slice(0, i));
                     top = t;
                   }
                 }
                 return [text, out];
               })"""
        )
        assert breaks, "no metric cells"
        wrapped = [(text, before) for text, before in breaks if before]
        assert wrapped, "no metric name is long enough to wrap: the test checks nothing"
        for text, before in wrapped:
            assert all(b.endswith("_") for b in before), (text, before)
        # the cell's text is still the metric name (evidence.json's), nothing added
        assert "fixations_before_first" in [text for text, _ in breaks]
    finally:
        context.close()


def test_no_number_in_exponent_notation(search_page: Path, browser: Any) -> None:
    # P04's 1118 deg scanpath read '1.12e+03' in the participants table
    context, page = open_page(browser, search_page, 1400)
    try:
        body = page.locator("main").inner_text() if page.locator("main").count() else ""
        body = body or page.locator("body").inner_text()
        assert not re.search(r"\d[eE][+-]\d", body), re.findall(r"\S*\d[eE][+-]\d\S*", body)
        cells = page.locator("table td.n").all_inner_texts()
        assert any(re.fullmatch(r"\d{4,}", c.strip()) for c in cells), "no 4-digit cell seen"
    finally:
        context.close()


def test_one_stage_one_participant_read_in_the_singular(tmp_path: Path, browser: Any) -> None:
    # a one-stage protocol and one participant: the map said "touchpoints in 1 stages",
    # "1 participants", "1 session files"
    from integration.test_report_browser_screens import _protocol

    proto = _protocol(tmp_path / "two-step.yaml")
    study = tmp_path / "study"
    study.mkdir()
    run = [*gazemap_cmd(), "simulate", "--protocol", str(proto), "--participant", "P1"]
    run += ["--seed", "1", "--rate-hz", "120", "--out", str(study / "P1.h5")]
    r = subprocess.run(run, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "out"
    r = subprocess.run(
        [*gazemap_cmd(), "analyze", str(study), "--protocol", str(proto), "--out", str(out)]
        + ["--quiet"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    context, page = open_page(browser, out / "index.html", 1400)
    try:
        lead = page.locator("p.lead").inner_text()
        kpis = page.locator(".kpis").inner_text()
        assert "1 stage," in lead and "2 touchpoints" in lead and "1 participant," in lead
        assert "touchpoints in 1 stage" in kpis and "session file (" in kpis
        assert (
            re.search(r"\b1 stages\b|\b1 participants\b|\b1 session files\b", lead + kpis) is None
        )
        # the touchpoint page too: "1 participant", "N fixations of 1 participant"
        page.goto((out / "touchpoints" / "thanks" / "index.html").as_uri())
        page.wait_for_load_state("load")
        first = page.locator(".kpis .kpi").first.inner_text()
        assert first.split() == ["1", "participant"], first
        screen = page.locator("section.screen p.muted").first.inner_text()
        assert re.match(r"\d+ fixations? of 1 participant \(", screen), screen
    finally:
        context.close()


def test_sample_readme_says_what_the_report_shows_of_p06(search_page: Path, browser: Any) -> None:
    # recordings/sample/README.md once said P06 only glances at the card late in the search,
    # while the report listed P06's first fixation on it much earlier (a fixation the
    # simulator aimed at no AOI lies on the card): the README must say what the report shows
    readme = " ".join((SAMPLE / "README.md").read_text(encoding="utf-8").split())
    context, page = open_page(browser, search_page, 1400)
    try:
        late = page.locator('#evidence-table tr[data-rule-id="target-late"] .c-ex').inner_text()
        m = re.search(r"P06: first fixation on it at ([\d.]+) s", late)
        assert m is not None, late
        found = m.group(1)
        assert f"found at {found} s" in readme
        search = page.locator(
            '#evidence-table tr[data-rule-id="search-before-target"] .c-ex'
        ).inner_text()
        assert "P06:" in search and f"found at {found} s" in search
        gave_up = page.locator(
            '#evidence-table tr[data-rule-id="low-task-success"] .c-ex'
        ).all_inner_texts()
        assert re.search(r"P04: gave up at [\d.]+ s \(task/2/fail\)", gave_up[0])
        assert re.search(r"P06: gave up at [\d.]+ s \(task/2/fail\)", gave_up[0])
    finally:
        context.close()


def _map_layout(page: Any) -> dict[str, Any]:
    return dict(
        page.evaluate(
            """() => {
              const t = document.querySelector('#journey-map'), box = t.parentElement;
              const cells = [...t.querySelectorAll('td, th')];
              const last = t.querySelector('tbody tr td:last-child').getBoundingClientRect();
              return {
                page: [document.documentElement.scrollWidth, document.documentElement.clientWidth],
                box: [box.scrollWidth, box.clientWidth],
                boxRight: box.getBoundingClientRect().right,
                lastRight: last.right,
                overflowing: cells.filter(c => c.scrollWidth > c.clientWidth + 1).length,
                cols: [...t.querySelectorAll('tbody tr:first-child td')]
                  .map(c => c.getBoundingClientRect().width),
              };
            }"""
        )
    )


@pytest.mark.parametrize("width_px", [1280, 1366, 1920])
def test_journey_map_fits_laptop_and_desktop_windows(
    sample_report: Path, browser: Any, width_px: int
) -> None:
    # at 1280 px the 7-touchpoint map was 1270 px wide in a 1186 px card: the last touchpoint
    # (Order confirmation e-mail) was behind a sideways scroll whose bar sits at the end of a
    # map two screens tall
    context, page = open_page(browser, sample_report / "index.html", width_px)
    try:
        m = _map_layout(page)
        assert m["page"][0] <= m["page"][1], m  # the page does not scroll sideways
        assert m["box"][0] <= m["box"][1], m  # nor does the map inside its card
        assert m["lastRight"] <= m["boxRight"] + 1 <= width_px + 1, m
        assert m["overflowing"] == 0, m  # no cell's text runs out of it
        assert len(m["cols"]) == 7 and min(m["cols"]) >= 140, m  # readable columns
        assert not page.locator("#journey-scroll-hint").is_visible()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.locator("#journey-map").screenshot(path=str(ARTIFACTS / f"map-{width_px}.png"))
    finally:
        context.close()


@pytest.mark.parametrize("width_px", [390, 1000])
def test_journey_map_scrolls_in_its_box_in_narrow_windows_and_says_so(
    sample_report: Path, browser: Any, width_px: int
) -> None:
    context, page = open_page(browser, sample_report / "index.html", width_px)
    try:
        m = _map_layout(page)
        assert m["page"][0] <= m["page"][1], m  # never the page
        assert m["box"][0] > m["box"][1], m  # the map scrolls inside its box ...
        assert m["overflowing"] == 0, m
        hint = page.locator("#journey-scroll-hint")
        assert hint.is_visible()  # ... and the page says so above it
        assert "7 touchpoints" in hint.inner_text()
        hint_box = hint.bounding_box()
        map_box = page.locator("#journey-map").bounding_box()
        assert hint_box is not None and map_box is not None
        assert hint_box["y"] + hint_box["height"] <= map_box["y"]
        # scrolled to its end, the row names are still in view at the box's left edge
        box = page.locator("#journey-map").evaluate_handle("t => t.parentElement")
        box.evaluate("b => { b.scrollLeft = b.scrollWidth; }")
        head = page.locator("#journey-map tbody th.rowhead").first.bounding_box()
        left = box.evaluate("b => b.getBoundingClientRect().left")
        assert head is not None and abs(head["x"] - left) <= 2, (head, left)
    finally:
        context.close()
