"""The journey map groups a touchpoint's findings by AOI (presentation only).

``group_findings`` on hand-built findings (exact order), and the rendered journey-map cell of
the hand-built analysis with extra findings: at most 3 AOI groups, the strongest first, the
rules as sub-lines, "+N more" linking to the touchpoint page that lists every finding.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from unit.test_report_fixture import build_analysis, write_protocol

from gazemap.protocol import load_protocol
from gazemap.report import write_report
from gazemap.report.html import JOURNEY_MAX_GROUPS, group_findings


def f(fid: str, aoi: str | None, sev: str, n: int, rule: str = "revisits") -> dict[str, Any]:
    return {
        "id": fid,
        "screen_id": "s",
        "aoi_id": aoi,
        "aoi_name": aoi.upper() if aoi else None,
        "rule_id": rule,
        "severity": sev,
        "n_participants": n,
    }


def test_group_findings_orders_groups_and_rules() -> None:
    findings = [
        f("F1", "a", "low", 1),
        f("F2", "b", "medium", 3),
        f("F3", "a", "high", 2),
        f("F4", None, "low", 1, "low-data-quality"),
        f("F5", "c", "medium", 5),
        f("F6", "a", "medium", 4),
        f("F7", None, "low", 2, "low-task-success"),
        f("F8", "d", "low", 1),
    ]
    groups = group_findings(findings)
    # the touchpoint as a whole first: 2 participants failed its task, which counts 4 in the
    # friction score, more than a high finding (it was 4th, behind "+N more" on the map,
    # because the record's severity, from 2 of N, is low); then a (high); then the medium
    # groups, more participants first (c 5 > b 3); then d (low)
    assert [(g["aoi_id"], g["severity"], g["n_participants"]) for g in groups] == [
        (None, "low", 2),
        ("a", "high", 4),
        ("c", "medium", 5),
        ("b", "medium", 3),
        ("d", "low", 1),
    ]
    assert [[x["id"] for x in g["findings"]] for g in groups] == [
        ["F7", "F4"],
        ["F3", "F6", "F1"],
        ["F5"],
        ["F2"],
        ["F8"],
    ]
    assert groups[1]["aoi_name"] == "A" and groups[0]["aoi_name"] is None
    assert [g["weight"] for g in groups] == [4, 3, 2, 2, 1]
    # without a failed task the data-quality flag does not count: its group comes last
    rest = group_findings([x for x in findings if x["id"] != "F7"])
    assert [g["aoi_id"] for g in rest] == ["a", "c", "b", "d", None]
    # presentation only: every finding once, none changed
    assert sorted(x["id"] for g in groups for x in g["findings"]) == [f"F{i}" for i in range(1, 9)]
    assert findings[0] == f("F1", "a", "low", 1)


def test_same_aoi_id_on_two_screens_is_two_groups() -> None:
    a = f("F1", "header", "low", 1)
    b = {**f("F2", "header", "low", 1), "screen_id": "t"}
    assert [len(g["findings"]) for g in group_findings([a, b])] == [1, 1]
    assert group_findings([]) == []


def _cell(html: str, tp_id: str) -> str:
    m = re.search(rf'<td data-touchpoint-id="{tp_id}" class="evidence-cell">(.*?)</td>', html, re.S)
    assert m, tp_id
    return m.group(1)


def test_journey_map_cell_shows_top_groups_and_links_the_rest(tmp_path: Path) -> None:
    out, protocol = build_analysis(tmp_path)
    doc = json.loads((out / "evidence.json").read_text())
    tp = next(t for st in doc["stages"] for t in st["touchpoints"] if t["id"] == "home")
    base = tp["findings"][0]
    before = [x["id"] for x in tp["findings"]]
    extra = []
    for i, (aoi, sev, n) in enumerate(
        [("x1", "low", 1), ("x2", "low", 1), ("x3", "medium", 2), ("x3", "high", 3)]
    ):
        extra.append(
            {**base, "id": f"X{i}", "aoi_id": aoi, "aoi_name": f"AOI {aoi}", "severity": sev,
             "n_participants": n}
        )  # fmt: skip
    tp["findings"] = tp["findings"] + extra
    (out / "evidence.json").write_text(json.dumps(doc))
    html = write_report(out, protocol, gaze_plots=False).read_text(encoding="utf-8")
    cell = _cell(html, "home")
    all_groups = group_findings(tp["findings"])
    shown_groups = re.findall(r'<li class="finding-group" data-aoi-id="([^"]*)"', cell)
    assert len(shown_groups) == min(JOURNEY_MAX_GROUPS, len(all_groups))
    assert shown_groups == [g["aoi_id"] or "" for g in all_groups[:JOURNEY_MAX_GROUPS]]
    # x3 has a high finding: it is shown, its rules high before medium
    x3 = re.search(r'data-aoi-id="x3"[^>]*>(.*?)</ul>', cell, re.S)
    assert x3 and re.findall(r'<li data-finding-id="([^"]+)"', x3.group(1)) == ["X3", "X2"]
    assert "sev-high" in x3.group(1).split("<ul")[0]
    shown = re.findall(r'<li data-finding-id="([^"]+)"', cell)
    hidden = [x["id"] for g in all_groups[JOURNEY_MAX_GROUPS:] for x in g["findings"]]
    assert sorted(shown + hidden) == sorted(before + [x["id"] for x in extra])
    more = re.search(
        r'<a class="more-findings" data-hidden="(\d+)" href="([^"]+)">([^<]*)</a>', cell
    )
    assert more and int(more.group(1)) == len(hidden) > 0
    assert more.group(2) == "touchpoints/home/index.html#evidence"
    n_hidden_groups = len(all_groups) - JOURNEY_MAX_GROUPS
    assert more.group(3) == (
        f"+{len(hidden)} more ({n_hidden_groups} more "
        f"{'AOI' if n_hidden_groups == 1 else 'AOIs'}; all {len(tp['findings'])} on the "
        "touchpoint page)"
    )
    # each sub-line links to its row on the touchpoint page, which lists every finding
    page = (out / "touchpoints" / "home" / "index.html").read_text(encoding="utf-8")
    for fid in shown:
        assert f'href="touchpoints/home/index.html#{fid}"' in cell
    rows = re.findall(r'<tr id="([^"]+)" data-finding-id="\1"', page)
    assert sorted(rows) == sorted(before + [x["id"] for x in extra])


def test_finding_screens_labels_and_old_evidence(tmp_path: Path) -> None:
    """The report's screen text: the record's ``screens``; an evidence.json written before
    that field falls back to ``screen_id`` (AOI records) or every screen (touchpoint-level)."""
    from dataclasses import replace

    from gazemap.protocol import Screen
    from gazemap.report.html import finding_screens

    protocol = load_protocol(write_protocol(tmp_path / "study"))
    tp = protocol.touchpoints[0]
    one = tp.screens[0]
    two = replace(tp, screens=(one, replace(one, id="second", name="Second step")))
    assert isinstance(two.screens[1], Screen)
    new = {"aoi_id": "x", "screen_id": "second", "screens": ["second"]}
    assert finding_screens(new, two) == {
        "ids": ["second"], "label": "Second step", "short": "Second step",
    }  # fmt: skip
    whole = {"aoi_id": None, "screen_id": one.id, "screens": [one.id, "second"]}
    assert finding_screens(whole, two)["label"] == f"all 2 screens: {one.name}, Second step"
    assert finding_screens(whole, two)["short"] == "all 2 screens"
    # written before 'screens' existed
    assert finding_screens({"aoi_id": "x", "screen_id": "second"}, two)["ids"] == ["second"]
    assert finding_screens({"aoi_id": None, "screen_id": one.id}, two)["ids"] == [one.id, "second"]
    # a screen the protocol no longer has is shown by its id; no screen at all is said
    assert finding_screens({"aoi_id": "x", "screens": ["gone"]}, two)["label"] == "gone"
    assert finding_screens({"aoi_id": None}, replace(tp, screens=()))["label"] == "no screen"
