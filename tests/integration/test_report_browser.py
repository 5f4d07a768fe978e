"""The report as a person sees it: Debian's Chromium, headless, opening index.html from disk.

Playwright drives /usr/bin/chromium through ``executable_path`` (no browser download). Every
page is checked for console errors and failed requests; screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from integration.browser_pages import open_page, scroll_box
from unit.test_report_fixture import XSS, build_analysis

from gazemap.report import fmt_num, write_report

pytestmark = pytest.mark.integration

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "report"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any, Path]:
    out, protocol = build_analysis(tmp_path_factory.mktemp("browser"))
    return out, protocol, write_report(out, protocol)


@pytest.fixture(scope="module")
def browser(report_browser: Any) -> Any:
    """Chromium with the default switches (tests/integration/conftest.py)."""
    return report_browser


class Watched:
    """A page that records console errors, page errors, failed requests and dialogs."""

    def __init__(self, browser: Any) -> None:
        self.context = browser.new_context(viewport={"width": 1400, "height": 900})
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        self.page.on(
            "console",
            lambda m: (
                self.problems.append(f"console {m.type}: {m.text}")
                if m.type in ("error", "warning")
                else None
            ),
        )
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("requestfailed", lambda r: self.problems.append(f"request failed: {r.url}"))
        self.page.on("request", lambda r: self.requests.append(r.url))

        def on_dialog(d: Any) -> None:
            self.dialogs.append(d.message)
            d.dismiss()

        self.page.on("dialog", on_dialog)

    def open(self, path: Path) -> Any:
        self.page.goto(path.as_uri())
        self.page.wait_for_load_state("load")
        return self.page

    def load_all_images(self) -> None:
        """Scroll through the page so lazy images load, then wait until all are complete."""
        self.page.evaluate(
            "async () => { for (let y = 0; y < document.body.scrollHeight; y += 600) {"
            " window.scrollTo(0, y); await new Promise(r => requestAnimationFrame(r)); } }"
        )
        self.page.wait_for_function(
            "Array.from(document.images).every(i => i.complete)", timeout=15_000
        )

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def watched(browser: Any) -> Iterator[Watched]:
    w = Watched(browser)
    yield w
    w.close()


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


SEV_RANK = {"high": 0, "medium": 1, "low": 2}


def _check_grouped_map(page: Any, doc: dict[str, Any]) -> int:
    """Check the journey map's friction cells against evidence.json; return the number of
    findings behind "+N more" links.

    Per touchpoint: each group is one AOI (or the touchpoint as a whole), its header shows the
    strongest severity of its findings, its sub-lines are those findings in severity order
    with evidence.json's severity and n/N; no AOI is in two groups; at most 3 groups; the
    shown findings plus "+N more" are exactly the touchpoint's findings in evidence.json, and
    no hidden finding is stronger than the weakest shown group.
    """
    n_hidden_total = 0
    for st in doc["stages"]:
        for tp in st["touchpoints"]:
            by_id = {f["id"]: f for f in tp["findings"]}
            cell = page.locator(f'#journey-map td.evidence-cell[data-touchpoint-id="{tp["id"]}"]')
            groups = cell.locator("li.finding-group")
            assert groups.count() <= 3
            shown: list[str] = []
            keys = []
            group_sev = []
            for gi in range(groups.count()):
                g = groups.nth(gi)
                ids = [
                    g.locator("li[data-finding-id]").nth(i).get_attribute("data-finding-id")
                    for i in range(g.locator("li[data-finding-id]").count())
                ]
                fs = [by_id[i] for i in ids]
                aoi = g.get_attribute("data-aoi-id") or None
                assert {(f["aoi_id"], f.get("screen_id") if f["aoi_id"] else None) for f in fs} == {
                    (aoi, fs[0].get("screen_id") if aoi else None)
                }
                # strongest first by the friction score's weights (a failed task 4, high 3,
                # medium 2, low 1, data quality 0), then severity, then participants
                order = [(-_weight(f), SEV_RANK[f["severity"]], -f["n_participants"]) for f in fs]
                assert order == sorted(order)
                ranks = [SEV_RANK[f["severity"]] for f in fs]
                head = g.locator(".sev").first.inner_text().lower()
                assert SEV_RANK[head] == min(ranks)  # the item's badge: its strongest severity
                group_sev.append((-_weight(fs[0]), min(ranks)))
                for i, f in zip(ids, fs, strict=True):
                    line = g.locator(f'li[data-finding-id="{i}"]')
                    assert line.get_attribute("data-severity") == f["severity"]
                    text = line.inner_text()
                    assert f["rule_name"] in text
                    assert f"{f['n_participants']}/{f['n_total']}" in text
                    # "slower too" is behaviour backing an eye-movement finding: not for the
                    # data-quality flag (P07 of the sample is slower but that backs nothing)
                    supports = (f.get("behaviour") or {}).get("supports")
                    assert ("slower too" in text) == bool(
                        supports and f["rule_id"] != "low-data-quality"
                    )
                    assert line.locator("a").get_attribute("href") == (
                        f"touchpoints/{tp['id']}/index.html#{i}"
                    )
                keys.append((aoi, fs[0].get("screen_id") if aoi else None))
                shown += ids
            assert group_sev == sorted(group_sev)
            assert len(set(keys)) == len(keys)
            assert len(set(shown)) == len(shown)
            hidden = set(by_id) - set(shown)
            more = cell.locator("a.more-findings")
            if hidden:
                assert more.count() == 1
                assert int(more.get_attribute("data-hidden")) == len(hidden)
                assert more.inner_text().startswith(f"+{len(hidden)} more")
                assert more.get_attribute("href") == f"touchpoints/{tp['id']}/index.html#evidence"
                # hidden findings are about other AOIs, and none is stronger than the shown
                for h in hidden:
                    f = by_id[h]
                    assert (f["aoi_id"], f.get("screen_id") if f["aoi_id"] else None) not in keys
                    assert (-_weight(f), SEV_RANK[f["severity"]]) >= max(group_sev)
            else:
                assert more.count() == 0
            n_hidden_total += len(hidden)
    return n_hidden_total


def test_journey_view_lists_every_stage_and_touchpoint(report, watched: Watched) -> None:
    out, protocol, index = report
    page = watched.open(index)
    watched.load_all_images()
    _shot(page, "index.png")
    stages = page.locator("#journey-map thead th.stage")
    assert stages.count() == len(protocol.stages)
    for i, st in enumerate(protocol.stages):
        th = stages.nth(i)
        assert th.get_attribute("data-stage-id") == st.id
        assert st.name in th.inner_text()
        assert int(th.get_attribute("colspan")) == len(st.touchpoints)
    names = page.locator("#journey-map td.tpname a")
    assert names.all_inner_texts() == [tp.name for tp in protocol.touchpoints]
    # every heatmap thumbnail of the map loaded
    thumbs = page.locator("#journey-map img.thumb")
    assert thumbs.count() == len(protocol.touchpoints)
    for i in range(thumbs.count()):
        assert thumbs.nth(i).evaluate("i => i.naturalWidth") > 0
    # the grouped findings shown in the map match evidence.json
    _check_grouped_map(page, json.loads((out / "evidence.json").read_text()))
    assert watched.problems == []
    assert all(u.startswith("file://") for u in watched.requests), watched.requests


def test_follow_touchpoint_link_heatmap_loads_and_evidence_matches(
    report, watched: Watched
) -> None:
    out, protocol, index = report
    page = watched.open(index)
    page.locator("#journey-map td.tpname a", has_text="Home page").click()
    page.wait_for_load_state("load")
    assert page.url.endswith("/touchpoints/home/index.html")
    assert page.locator("#tp-title").inner_text() == "Home page"
    watched.load_all_images()
    _shot(page, "touchpoint_home.png")
    heat = page.locator("img.heatmap").first
    assert heat.evaluate("i => i.naturalWidth") == protocol.screens["home"].page_width_px
    assert page.locator("img.gazeplot").count() == 3
    for i in range(page.locator("img").count()):
        assert page.locator("img").nth(i).evaluate("i => i.naturalWidth") > 0

    findings = [
        f
        for st in json.loads((out / "evidence.json").read_text())["stages"]
        for tp in st["touchpoints"]
        if tp["id"] == "home"
        for f in tp["findings"]
    ]
    rows = page.locator("#evidence-table tbody tr")
    assert rows.count() == len(findings)
    by_id = {f["id"]: f for f in findings}
    for i in range(rows.count()):
        row = rows.nth(i)
        f = by_id[row.get_attribute("data-finding-id")]
        assert row.get_attribute("data-rule-id") == f["rule_id"]
        assert row.locator(".cell-value").inner_text() == fmt_num(f["value"])
        assert row.locator(".cell-threshold").inner_text() == fmt_num(f["threshold"])
        assert row.locator(".sev").inner_text().lower() == f["severity"]
        assert f"{f['n_participants']}/{f['n_total']}" in row.locator(".cell-n").inner_text()
        # the row cites its sources by author and year, each linking to its full reference
        # in the list under the table
        links = row.locator(".c-src a")
        refs = [r for r in f["source"].split(" / ") if r.strip()]
        assert links.count() == len(refs)
        for k, ref in enumerate(refs):
            target = links.nth(k).get_attribute("href")
            assert target and target.startswith("#source-")
            assert page.locator(target).inner_text() == ref.strip()
    assert watched.problems == []


def test_xss_in_aoi_name_shows_as_text(report, watched: Watched) -> None:
    out, _, _ = report
    page = watched.open(out / "touchpoints" / "home" / "index.html")
    # the AOI named <script>alert(1)</script> is a text cell, not an element, and never runs
    assert page.locator("table.aoi-table").get_by_text(XSS, exact=True).count() == 1
    assert page.locator("#evidence-table").get_by_text(XSS, exact=True).count() == 1
    assert page.locator("script").count() == 0
    assert watched.dialogs == []
    page = watched.open(out / "index.html")
    assert page.get_by_text("touchpoint/x/end " + XSS).count() == 1  # marker problem text
    assert page.locator("h1").inner_text() == "Mini store <b>test</b>"
    assert page.locator("script, b:text('test')").count() == 0
    assert watched.dialogs == [] and watched.problems == []


def test_overview_and_every_page_without_console_errors(report, watched: Watched) -> None:
    out, protocol, index = report
    page = watched.open(index)
    page.locator("#nav-overview").click()
    page.wait_for_load_state("load")
    _shot(page, "overview.png")
    assert page.locator("#participants-list").inner_text() == "P01, P02, P03"
    assert page.locator("#sessions-table tbody tr").count() == 4
    # the detector's parameters are behind a click (the sample's 42 were most of the page)
    assert "velocity_threshold_deg_s" in (page.locator("#detector-params").text_content() or "")
    page.locator("#detector-details summary").click()
    assert "velocity_threshold_deg_s" in page.locator("#detector-params").inner_text()
    for tp in protocol.touchpoints:
        watched.open(out / "touchpoints" / tp.id / "index.html")
        watched.load_all_images()
        assert page.locator("#nav-journey").get_attribute("href") == "../../index.html"
    assert watched.problems == []


SAMPLE = Path(__file__).resolve().parents[2] / "recordings" / "sample"
SAMPLE_PROTOCOL = SAMPLE.parents[1] / "protocols" / "online-store.yaml"


@pytest.mark.skipif(not any(SAMPLE.glob("*.h5")), reason="recordings/sample has no sessions yet")
def _weight(f: dict[str, Any]) -> int:
    """A finding's weight in the friction score (docs/report.md), from evidence.json."""
    if f["rule_id"] == "low-data-quality":
        return 0
    if f["rule_id"] == "low-task-success":
        return 4
    return {"high": 3, "medium": 2, "low": 1}[f["severity"]]


def test_real_analyze_of_the_sample_study_in_the_browser(tmp_path: Path, watched: Watched) -> None:
    import shutil
    import subprocess

    from conftest import gazemap_cmd

    from gazemap.protocol import load_protocol

    # analyze caches detections inside the session files: work on a copy, not the repo's
    study = tmp_path / "sample"
    study.mkdir()
    for f in SAMPLE.glob("*.h5"):
        shutil.copy2(f, study / f.name)
    out = tmp_path / "report"
    cmd = [*gazemap_cmd(), "analyze", str(study), "--out", str(out), "--quiet"]
    if (SAMPLE / "study.yaml").exists():
        import yaml

        named = yaml.safe_load((SAMPLE / "study.yaml").read_text())["protocol"]
        cmd += ["--protocol", str((SAMPLE / named).resolve())]
    else:
        cmd += ["--protocol", str(SAMPLE_PROTOCOL)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    index = Path(r.stdout.strip().splitlines()[-1])
    assert index == out / "index.html"
    doc = json.loads((out / "evidence.json").read_text())
    # evidence.json names the protocol relative to the output folder
    protocol = load_protocol(out / doc["protocol"]["path"])

    page = watched.open(index)
    watched.load_all_images()
    _shot(page, "sample_index.png")
    stage_ids = [
        page.locator("#journey-map thead th.stage").nth(i).get_attribute("data-stage-id")
        for i in range(page.locator("#journey-map thead th.stage").count())
    ]
    assert stage_ids == [st.id for st in protocol.stages]
    assert page.locator("#journey-map td.tpname a").all_inner_texts() == [
        tp.name for tp in protocol.touchpoints
    ]
    # the grouped map shows what evidence.json holds; the sample has more than 3 AOIs with
    # findings on some touchpoints, so some are behind "+N more"
    assert _check_grouped_map(page, doc) > 0
    first = protocol.touchpoints[1]
    # "+N more" leads to the touchpoint page, which lists every finding of the touchpoint
    more = page.locator(
        f'#journey-map td.evidence-cell[data-touchpoint-id="{first.id}"] a.more-findings'
    )
    if more.count():
        more.click()
        page.wait_for_load_state("load")
        assert page.url.endswith(f"/touchpoints/{first.id}/index.html#evidence")
    else:
        page.locator("#journey-map td.tpname a", has_text=first.name).click()
    page.wait_for_load_state("load")
    watched.load_all_images()
    _shot(page, f"sample_touchpoint_{first.id}.png")
    assert page.locator("img.heatmap").first.evaluate("i => i.naturalWidth") > 0
    findings = [
        f for st in doc["stages"] for tp in st["touchpoints"] if tp["id"] == first.id
        for f in tp["findings"]
    ]  # fmt: skip
    rows = page.locator("#evidence-table tbody tr")
    assert rows.count() == len(findings)
    assert sorted(rows.nth(i).get_attribute("data-finding-id") for i in range(rows.count())) == (
        sorted(f["id"] for f in findings)
    )
    # each example says something true of the participant, from evidence.json
    for f in findings:
        # the first 4 in the cell (the rest behind "+N more", test_report_client)
        ex = page.locator(f'#evidence-table tr[data-finding-id="{f["id"]}"] .c-ex > .example')
        assert ex.all_inner_texts() == [
            f"{e['participant']}: {e['note']}" for e in f["examples"][:4]
        ]
        assert " at 0 s" not in " ".join(ex.all_inner_texts())
    assert watched.problems == []


def test_evidence_table_fits_a_laptop_window_with_every_example_readable(
    report, browser: Any
) -> None:
    # at 1400 px (a laptop with the browser maximised) the whole evidence table is visible:
    # no column (examples, sources) is cut off behind a sideways scroll, and each example
    # wraps inside its cell instead of running on under the next one
    out, _, _ = report
    context, page = open_page(browser, out / "touchpoints" / "home" / "index.html", 1400)
    try:
        box = scroll_box(page)
        assert box[0] <= box[1], box
        assert page.locator("#evidence-table .example").count() > 0
        assert (
            page.locator("#evidence-table .example").evaluate_all(
                "els => els.filter(e => e.scrollWidth > e.clientWidth + 1).length"
            )
            == 0
        )
        # the literature source is still in every finding's row
        assert (
            page.locator("#evidence-table tbody tr .c-src").count()
            == page.locator("#evidence-table tbody tr").count()
        )
    finally:
        context.close()


def test_narrow_window_scrolls_the_journey_map_instead_of_squeezing_it(
    report, browser: Any
) -> None:
    _, protocol, index = report
    context, page = open_page(browser, index, 700)
    try:
        _shot(page, "index_700px.png")
        widths = page.locator("#journey-map td.tpname").evaluate_all(
            "cells => cells.map(c => c.getBoundingClientRect().width)"
        )
        assert len(widths) == len(protocol.touchpoints)
        # 140 px per touchpoint at least in windows up to 1400 px (160 px above)
        assert min(widths) >= 139.5, widths
        # no touchpoint name is wider than its cell
        assert (
            page.locator("#journey-map td.tpname").evaluate_all(
                "cells => cells.filter(c => c.scrollWidth > c.clientWidth).length"
            )
            == 0
        )
        box = scroll_box(page, "#journey-map")
        assert box[0] > box[1], box  # the map's box scrolls sideways
    finally:
        context.close()
