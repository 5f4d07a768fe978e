"""Which screen each finding's measure comes from, end to end: the real `gazemap simulate`
(one participant failing, one with poor data) on a protocol whose checkout has two screens
with an AOI id on both, the real `gazemap analyze`, and the report in Debian's headless
Chromium (the journey map and the touchpoint page), evidence.json and evidence.csv."""

from __future__ import annotations

import csv
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import gazemap_cmd
from integration.test_report_browser import Watched, _shot

pytestmark = pytest.mark.integration

STEP1, STEP2 = "Checkout step 1: address", "Checkout step 2: payment"


def _protocol(path: Path) -> Path:
    def page(h: int) -> dict[str, Any]:
        return {
            "page": {"width_px": 1440, "height_px": h},
            "viewport": {"width_px": 1440, "height_px": 900},
        }

    header = {"id": "header", "name": "Header", "role": "navigation", "shape": "rect",
              "coords": [0, 0, 1440, 72], "fixed": True}  # fmt: skip
    doc = {
        "protocol": {"id": "two-step", "name": "Two-step checkout",
                     "screen": {"width_px": 1440, "height_px": 900}},
        # low thresholds: rules fire on both screens of the checkout
        "thresholds": {"ttff_late_s": 0.5, "task_success_min": 0.9, "min_participants_share": 0.2},
        "stages": [{"id": "buy", "name": "Buy", "touchpoints": [
            {"id": "checkout", "name": "Checkout", "channel": "site",
             "task": "Enter your address, then pay.", "success": {"click": "pay"},
             "screens": [
                 {"id": "step1", "name": STEP1, **page(1800), "aois": [
                     header,
                     {"id": "address", "name": "Address form", "role": "target", "shape": "rect",
                      "coords": [200, 1100, 700, 300]},
                     {"id": "next", "name": "Next", "role": "cta", "shape": "rect",
                      "coords": [200, 1500, 300, 60]},
                     {"id": "promo", "name": "Promo banner", "role": "distractor", "shape": "rect",
                      "coords": [0, 100, 1440, 400]}]},
                 {"id": "step2", "name": STEP2, **page(900), "aois": [
                     header,
                     {"id": "card", "name": "Card form", "role": "target", "shape": "rect",
                      "coords": [200, 300, 600, 260]},
                     {"id": "pay", "name": "Pay", "role": "cta", "shape": "rect",
                      "coords": [200, 620, 300, 60]}]},
             ]},
            {"id": "thanks", "name": "Thank you", "channel": "e-mail",
             "task": "Find the order number.", "success": {"marker": "task/thanks/done"},
             "screens": [{"id": "thanks", "name": "Thank-you e-mail", **page(900), "aois": [
                 {"id": "number", "name": "Order number", "role": "target", "shape": "rect",
                  "coords": [300, 200, 800, 100]}]}]},
        ]}],
    }  # fmt: skip
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*gazemap_cmd(), *args], capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    d = tmp_path_factory.mktemp("screens")
    proto = _protocol(d / "two-step.yaml")
    study = d / "study"
    study.mkdir()
    extra = {"P3": ["--fail", "checkout"], "P4": ["--data-loss", "0.35", "--precision-deg", "0.9"]}
    for i, p in enumerate(("P1", "P2", "P3", "P4", "P5"), start=1):
        r = run(
            "simulate", "--protocol", str(proto), "--participant", p, "--seed", str(i),
            "--rate-hz", "250", "--out", str(study / f"{p}.h5"), *extra.get(p, []),
        )  # fmt: skip
        assert r.returncode == 0, r.stderr
    out = d / "out"
    r = run("analyze", str(study), "--protocol", str(proto), "--out", str(out), "--quiet")
    assert r.returncode == 0, r.stderr
    return out, json.loads((out / "evidence.json").read_text(encoding="utf-8"))


def _findings(doc: dict[str, Any], tp_id: str) -> list[dict[str, Any]]:
    return [
        f for st in doc["stages"] for tp in st["touchpoints"] if tp["id"] == tp_id
        for f in tp["findings"]
    ]  # fmt: skip


def test_evidence_files_name_the_screen(analysed: tuple[Path, dict[str, Any]]) -> None:
    out, doc = analysed
    checkout = _findings(doc, "checkout")
    by_screen = {
        sc: [f for f in checkout if f["aoi_id"] and f["screen_id"] == sc]
        for sc in ("step1", "step2")
    }
    # the rules fired on both screens of the checkout, and on the touchpoint as a whole
    assert by_screen["step1"] and by_screen["step2"]
    whole = [f for f in checkout if f["aoi_id"] is None]
    assert {f["rule_id"] for f in whole} >= {"low-task-success", "low-data-quality"}
    for f in checkout:
        if f["aoi_id"]:
            assert f["screens"] == [f["screen_id"]]
            assert f["screen_name"] == {"step1": STEP1, "step2": STEP2}[f["screen_id"]]
        else:  # measured over the whole touchpoint
            assert f["screens"] == ["step1", "step2"]
    for f in _findings(doc, "thanks"):
        assert f["screens"] == ["thanks"] and f["screen_name"] == "Thank-you e-mail"
    with (out / "evidence.csv").open(newline="", encoding="utf-8") as fh:
        rows = {r["id"]: r for r in csv.DictReader(fh)}
    assert list(rows[checkout[0]["id"]])[:5] == [
        "id", "touchpoint_id", "screen_id", "screen_name", "screens",
    ]  # fmt: skip
    for f in checkout:
        assert rows[f["id"]]["screen_name"] == (f["screen_name"] or "")
        assert rows[f["id"]]["screens"] == ";".join(f["screens"])


@pytest.fixture(scope="module")
def browser(report_browser: Any) -> Any:
    """Chromium with the default switches (tests/integration/conftest.py)."""
    return report_browser


@pytest.fixture
def watched(browser: Any) -> Iterator[Watched]:
    w = Watched(browser)
    yield w
    w.close()


def test_report_says_which_screen(analysed: tuple[Path, dict[str, Any]], watched: Watched) -> None:
    out, doc = analysed
    page = watched.open(out / "index.html")
    _shot(page, "screens_index.png")
    # journey map: on the two-screen checkout each group says its screen; the AOI id
    # 'header' is on both screens, so two groups could otherwise read the same
    cell = page.locator('#journey-map td.evidence-cell[data-touchpoint-id="checkout"]')
    groups = cell.locator("li.finding-group")
    assert groups.count() >= 1
    expected = {"step1": f"on {STEP1}", "step2": f"on {STEP2}", "step1 step2": "all 2 screens"}
    for i in range(groups.count()):
        g = groups.nth(i)
        ids = g.get_attribute("data-screen-ids")
        assert g.locator(".group-screen").inner_text() == expected[ids]
        assert g.get_attribute("title", timeout=1000).startswith("screen: ")
    # 4 of 5 achieved the checkout: below the protocol's task_success_min 0.9, marked
    ts = page.locator('#journey-map td.task-success[data-touchpoint-id="checkout"]')
    assert (
        "4/5 (80 %)" in ts.inner_text() and ts.locator(".task-below").inner_text() == "below 90 %"
    )
    done = page.locator('#journey-map td.task-success[data-touchpoint-id="thanks"]')
    assert "5/5" in done.inner_text() and done.locator(".task-below").count() == 0
    # a one-screen touchpoint: the screen is in the tooltip, not repeated in the cell
    thanks = page.locator('#journey-map td.evidence-cell[data-touchpoint-id="thanks"]')
    assert thanks.locator(".group-screen").count() == 0
    for i in range(thanks.locator("li.finding-group").count()):
        g = thanks.locator("li.finding-group").nth(i)
        assert g.get_attribute("title") == "screen: Thank-you e-mail"
    assert "says the screen its measure comes from" in page.locator("#severity-legend").inner_text()

    # the touchpoint page: a Screen column for every finding, linking to that screen's section
    page = watched.open(out / "touchpoints" / "checkout" / "index.html")
    _shot(page, "screens_checkout.png")
    rows = page.locator("#evidence-table tbody tr")
    findings = {f["id"]: f for f in _findings(doc, "checkout")}
    assert rows.count() == len(findings)
    assert "Screen" in page.locator("#evidence-table thead").inner_text()
    for i in range(rows.count()):
        row = rows.nth(i)
        f = findings[row.get_attribute("data-finding-id")]
        assert row.get_attribute("data-screen-ids") == " ".join(f["screens"])
        cell = row.locator("td.c-screen")
        if f["aoi_id"]:
            assert cell.inner_text() == f["screen_name"]
            link = cell.locator("a")
            assert link.get_attribute("href") == f"#screen-{f['screen_id']}"
            assert page.locator(f"section#screen-{f['screen_id']}").count() == 1
        else:
            assert cell.inner_text() == f"all 2 screens: {STEP1}, {STEP2}"
    # the failure is shown: the task-success key number and the participant's row
    assert page.locator("#kpi-task-success b").inner_text() == "4/5"
    assert page.locator("#kpi-task-success .task-below").inner_text() == "below 90 %"
    low = _findings(doc, "checkout")
    low = [f for f in low if f["rule_id"] == "low-task-success"]
    assert [e["participant"] for e in low[0]["examples"]] == ["P3"]
    note = page.locator(f'tr[data-finding-id="{low[0]["id"]}"] .c-ex .example').inner_text()
    assert note.startswith("P3: gave up at ") and note.endswith(
        "(task/1/fail); did not achieve the task"
    )
    achieved = page.locator("#quality-table td.task-achieved").all_inner_texts()
    assert achieved == ["yes", "yes", "no", "yes", "yes"]
    assert watched.problems == []
