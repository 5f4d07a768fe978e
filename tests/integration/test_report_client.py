"""The sample study's report as a client receives it: small enough to send, readable on a
phone, printable, usable with a keyboard and a screen reader, and saying at a glance which
touchpoint hurts most and why.

The real ``gazemap analyze`` of a copy of recordings/sample, opened in Debian's headless
Chromium (tests/integration/conftest.py: report_browser; never a downloaded browser).
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import cv2
import pytest
from conftest import gazemap_cmd
from integration.browser_pages import open_page
from PIL import Image

from gazemap.report import fmt_num
from gazemap.report.html import fmt_value

pytestmark = pytest.mark.integration

SAMPLE = Path(__file__).resolve().parents[2] / "recordings" / "sample"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "report"

if not any(SAMPLE.glob("*.h5")):
    pytest.skip("recordings/sample has no sessions", allow_module_level=True)


@pytest.fixture(scope="module")
def out(sample_report: Path) -> Path:
    return sample_report


def _evidence(out: Path) -> dict[str, Any]:
    return json.loads((out / "evidence.json").read_text(encoding="utf-8"))


def _load_all(page: Any) -> None:
    """Scroll through the page so lazy images load, then wait until all are complete."""
    page.evaluate(
        "async () => { for (let y = 0; y < document.body.scrollHeight; y += 600) {"
        " window.scrollTo(0, y); await new Promise(r => requestAnimationFrame(r)); }"
        " for (let k = 0; k < 300; k++) {"
        " if (Array.from(document.images).every(i => i.complete)) return;"
        " await new Promise(r => setTimeout(r, 50)); } }"
    )


def test_report_folder_is_small_enough_to_send(out: Path) -> None:
    # 54 MB for 8 participants before: every picture a full-colour PNG, OpenCV's fast default
    total = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    assert total < 25e6, total / 1e6
    tp = out / "touchpoints"
    fogs = sorted(tp.glob("*/*_fog.*"))
    assert fogs and all(f.suffix == ".jpg" for f in fogs)  # photographic: JPEG
    plots = sorted(p for p in tp.glob("*/*_gazeplot_*.png"))
    assert len(plots) >= 8 * 7
    for p in plots:
        with Image.open(p) as im:
            assert im.mode == "P", p  # 256-colour PNG
        small = p.parent / "thumbs" / p.name
        with Image.open(small) as im:
            assert im.mode == "P" and im.width <= 600, (small, im.size)
    for h in tp.glob("*/*_heatmap.png"):
        with Image.open(h) as im:
            assert im.mode == "RGB", h  # heatmaps stay lossless: gradients would band


def test_gaze_plot_grid_shows_small_copies_and_links_the_full_picture(
    out: Path, report_browser: Any
) -> None:
    context, page = open_page(report_browser, out / "touchpoints" / "search" / "index.html", 1920)
    try:
        _load_all(page)
        imgs = page.locator("img.gazeplot")
        assert imgs.count() == 8
        for i in range(imgs.count()):
            img = imgs.nth(i)
            natural, shown = img.evaluate("i => [i.naturalWidth, i.clientWidth]")
            # shown ~225 CSS px: the copy is at most 600 px, not the 1440 px picture
            assert 0 < natural <= 600 and natural >= shown, (natural, shown)
            href = img.locator("xpath=..").get_attribute("href")
            full = cv2.imread(str((page_dir := out / "touchpoints" / "search") / href))
            assert full is not None and full.shape[1] == 1440, (href, page_dir)
            alt = img.get_attribute("alt") or ""
            assert re.search(r"\d+ fixations", alt), alt
    finally:
        context.close()


@pytest.mark.parametrize("name", ["index.html", "touchpoints/search/index.html", "overview.html"])
def test_a_phone_does_not_scroll_the_page_sideways(
    out: Path, report_browser: Any, name: str
) -> None:
    # at 390 px the sessions table (and the header) made the whole page 551 px wide
    context, page = open_page(report_browser, out / name, 390)
    try:
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, width
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"phone-{name.replace('/', '-')}.png"))
    finally:
        context.close()


def _weight(f: dict[str, Any]) -> int:
    """A finding's weight in the friction score (docs/report.md), from evidence.json."""
    if f["rule_id"] == "low-data-quality":
        return 0
    if f["rule_id"] == "low-task-success":
        return 4
    return {"high": 3, "medium": 2, "low": 1}[f["severity"]]


def test_journey_map_says_which_touchpoint_hurts_most_and_why(
    out: Path, report_browser: Any
) -> None:
    doc = _evidence(out)
    by_tp = {tp["id"]: tp for st in doc["stages"] for tp in st["touchpoints"]}
    context, page = open_page(report_browser, out / "index.html", 1920)
    try:
        items = page.locator("#hurts-most ol.hurts > li")
        assert items.count() == 3
        scores = []
        tops: list[tuple[int, int]] = []
        for i in range(3):
            li = items.nth(i)
            assert li.get_attribute("data-rank") == str(i + 1)
            tp = by_tp[li.get_attribute("data-touchpoint-id")]
            text = li.inner_text()
            m = re.search(r"friction score ([\d.]+) of 4", text)
            assert m, text
            scores.append(float(m.group(1)))
            # its strongest finding by the friction score's weights (a failed task 4, high 3,
            # medium 2, low 1, data quality 0), with the rule, n/N, the participants, the value
            sev = {"high": 0, "medium": 1, "low": 2}
            top = min(
                tp["findings"],
                key=lambda f: (-_weight(f), -f["n_participants"], sev[f["severity"]]),
            )
            assert li.get_attribute("data-top-finding") == top["id"]
            tops.append((_weight(top), top["n_participants"]))
            assert top["rule_name"] in text
            assert f"{top['n_participants']}/{top['n_total']}" in text
            assert all(p in text for p in top["participants"])
            assert fmt_value(top["value"], top["unit"]) in text
            assert li.locator(".facts .sev").inner_text().lower() == top["severity"]
            # the plain sentence says how many, of how many
            what = li.locator(".what").inner_text()
            assert f"{top['n_participants']} of {top['n_total']}" in what or (
                top["n_participants"] == top["n_total"] and f"All {top['n_total']}" in what
            ), what
            link = li.locator(".facts a").get_attribute("href")
            assert link == f"touchpoints/{tp['id']}/index.html#{top['id']}"
        assert scores == sorted(scores, reverse=True)
        # equal scores: the touchpoint whose strongest finding counts more comes first (a
        # failed task before a high finding), then the one affecting more participants
        for i in range(2):
            if scores[i] == scores[i + 1]:
                assert tops[i] >= tops[i + 1], (scores, tops)
        # the journey map's friction row: a rank for every touchpoint with findings, the
        # first marked "hurts most" and outlined in its column
        cells = page.locator("#journey-map td.friction")
        ranks = [cells.nth(i).get_attribute("data-rank") for i in range(cells.count())]
        with_findings = [tid for tid, tp in by_tp.items() if tp["findings"]]
        assert sorted(int(r) for r in ranks if r) == list(range(1, len(with_findings) + 1))
        first = page.locator('#journey-map td.friction[data-rank="1"]')
        assert "hurts most" in first.inner_text()
        assert "worst" in (first.get_attribute("class") or "")
        assert items.nth(0).get_attribute("data-touchpoint-id") == first.get_attribute(
            "data-touchpoint-id"
        )
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "hurts-most-1920.png"))
    finally:
        context.close()


def _contrast(fg: list[float], bg: list[float]) -> float:
    def lum(c: list[float]) -> float:
        v = [x / 255 for x in c[:3]]
        v = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in v]
        return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]

    hi, lo = sorted([lum(fg), lum(bg)], reverse=True)
    return (hi + 0.05) / (lo + 0.05)


COLOURS_JS = """els => els.map(e => {
  const s = getComputedStyle(e);
  const rgb = t => t.match(/[\\d.]+/g).map(Number);
  return [e.innerText, rgb(s.color), rgb(s.backgroundColor), parseFloat(s.fontSize)];
})"""


@pytest.mark.parametrize("name", ["index.html", "touchpoints/search/index.html"])
def test_severity_is_a_word_with_enough_contrast(out: Path, report_browser: Any, name: str) -> None:
    # white on the HIGH badge's #d55e00 was 3.9:1; WCAG AA asks 4.5:1 for text this size
    context, page = open_page(report_browser, out / name, 1280)
    try:
        badges = page.locator(".sev").evaluate_all(COLOURS_JS)
        assert badges
        words = set()
        for text, fg, bg, size_px in badges:
            words.add(text)
            assert text in ("HIGH", "MEDIUM", "LOW", "NONE"), text  # not colour alone
            assert _contrast(fg, bg) >= 4.5, (text, fg, bg)
            assert size_px >= 11.5, (text, size_px)
        assert "HIGH" in words or "MEDIUM" in words
    finally:
        context.close()


@pytest.mark.parametrize("name", ["index.html", "touchpoints/search/index.html", "overview.html"])
def test_keyboard_and_screen_reader(out: Path, report_browser: Any, name: str) -> None:
    context, page = open_page(report_browser, out / name, 1280)
    try:
        # the first Tab reaches "skip to the content", which leads past the navigation
        page.keyboard.press("Tab")
        focused = page.evaluate("() => [document.activeElement.className, "
                                "document.activeElement.getAttribute('href')]")  # fmt: skip
        assert focused == ["skip", "#content"], focused
        assert page.locator("main#content").count() == 1
        # headings in order: one h1, never a level skipped
        levels = page.locator("h1, h2, h3, h4").evaluate_all(
            "els => els.map(e => Number(e.tagName[1]))"
        )
        assert levels[0] == 1 and levels.count(1) == 1, levels
        assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), levels
        # every picture says what it shows, with its numbers
        for alt in page.locator("img").evaluate_all("els => els.map(e => e.alt)"):
            assert re.search(r"\d+ fixations", alt), alt
        if name == "index.html":
            heads = page.locator("#journey-map tbody th.rowhead")
            assert heads.count() >= 8
            assert all(heads.nth(i).get_attribute("scope") == "row" for i in range(heads.count()))
    finally:
        context.close()


#: the printable width of A4 landscape with the report's 10 mm margins, CSS px at 96 dpi
PRINT_PX = round((297 - 20) / 25.4 * 96)


def test_print_puts_everything_on_the_paper(out: Path, report_browser: Any) -> None:
    # printed (A4 landscape: 1047 CSS px inside 10 mm margins) the journey map kept its
    # 1270 px width and was cut off at the page edge, and long heatmaps printed only the
    # first 1100 px of their scroll box
    for name in ("index.html", "touchpoints/search/index.html"):
        context = report_browser.new_context(viewport={"width": PRINT_PX, "height": 740})
        page = context.new_page()
        try:
            page.goto((out / name).as_uri())
            page.wait_for_load_state("load")
            page.emulate_media(media="print")
            assert not page.locator("header.top").is_visible()
            if name == "index.html":
                box = page.locator("#journey-map").evaluate(
                    "t => [t.parentElement.scrollWidth, t.parentElement.clientWidth,"
                    " t.getBoundingClientRect().right, document.documentElement.clientWidth]"
                )
                assert box[0] <= box[1] and box[2] <= box[3], box
                assert page.locator("#hurts-most").is_visible()
            else:
                for ov in page.locator(".imgbox").evaluate_all(
                    "els => els.map(e => getComputedStyle(e).overflowY)"
                ):
                    assert ov == "visible"
                wide = page.evaluate("() => document.documentElement.scrollWidth")
                assert wide <= PRINT_PX, wide
            # printing loads the lazy pictures too: none is left out of the PDF
            pdf = page.pdf(prefer_css_page_size=True)
            assert pdf[:5] == b"%PDF-" and len(pdf) > 10_000
            loaded = page.evaluate(
                "() => Array.from(document.images).map(i => i.complete && i.naturalWidth > 0)"
            )
            assert loaded and all(loaded), loaded
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            (ARTIFACTS / f"print-{name.replace('/', '-')}.pdf").write_bytes(pdf)
        finally:
            context.close()


def test_findings_read_as_plain_language_with_numbers(out: Path, report_browser: Any) -> None:
    doc = _evidence(out)
    search = next(tp for st in doc["stages"] for tp in st["touchpoints"] if tp["id"] == "search")
    context, page = open_page(report_browser, out / "touchpoints" / "search" / "index.html", 1280)
    try:
        for f in search["findings"]:
            text = page.locator(f'tr[data-finding-id="{f["id"]}"] td.c-cmp .plain').inner_text()
            assert "_" not in text and "->" not in text, text
            assert re.search(r"\d", text), text
            n, total = f["n_participants"], f["n_total"]
            assert f"{n} of {total}" in text or (n == total and f"All {total}" in text), text
            if f["unit"] not in ("share",) and f["rule_id"] != "target-not-seen":
                assert fmt_num(f["value"]) in text, (fmt_num(f["value"]), text)
    finally:
        context.close()


def test_gazemap_heatmap_gaze_plot_keeps_the_aoi_labels_readable(out: Path, tmp_path: Path) -> None:
    # the colour key of several participants was drawn in the top-left corner, over the
    # label of the sticky header; and every participant's circles covered the AOI labels
    protocol = (SAMPLE / ".." / ".." / "protocols" / "online-store.yaml").resolve()
    png = tmp_path / "gaze.png"
    r = subprocess.run(
        [*gazemap_cmd(), "heatmap", str(out.parent / "sample"), "--analysis", str(out)]
        + ["--protocol", str(protocol), "--touchpoint", "search", "--kind", "gazeplot"]
        + ["--out", str(png)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    img = cv2.cvtColor(cv2.imread(str(png)), cv2.COLOR_BGR2RGB).astype(int)
    navigation = (0, 158, 115)  # render.ROLE_COLOURS: the label box of "Sticky header"
    label = img[4:30, 4:280]
    assert (abs(label - navigation).max(axis=2) <= 2).mean() > 0.5
    # the key is in the bottom-left corner: P01's box in P01's (darkened) colour
    p01 = tuple(int(c * 0.8) for c in (213, 94, 0))
    bottom = img[-60:, :120]
    assert (abs(bottom - p01).max(axis=2) <= 2).mean() > 0.1
    assert (abs(label - p01).max(axis=2) <= 2).mean() < 0.01


def test_every_participants_example_is_on_the_page(out: Path, report_browser: Any) -> None:
    # findings about more than 4 participants said "+3 more in evidence.json": a client does
    # not open JSON files; the other notes are now one click away in the cell
    doc = _evidence(out)
    n_checked = 0
    for st in doc["stages"]:
        for tp in st["touchpoints"]:
            long = [f for f in tp["findings"] if len(f.get("examples") or []) > 4]
            if not long:
                continue
            context, page = open_page(
                report_browser, out / "touchpoints" / tp["id"] / "index.html", 1280
            )
            try:
                for f in long:
                    cell = page.locator(f'#evidence-table tr[id="{f["id"]}"] .c-ex')
                    rest = f["examples"][4:]
                    summary = cell.locator("details.more-examples summary")
                    assert summary.inner_text() == (
                        f"+{len(rest)} more ({', '.join(e['participant'] for e in rest)})"
                    )
                    summary.click()
                    text = cell.inner_text()
                    for e in f["examples"]:
                        assert f"{e['participant']}: {e['note']}" in text
                    assert "evidence.json" not in text
                    n_checked += 1
            finally:
                context.close()
    assert n_checked > 0, "no finding of the sample has more than 4 examples"
