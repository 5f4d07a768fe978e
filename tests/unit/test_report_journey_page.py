"""The journey-map page (index.html) of the hand-built analysis: what a researcher reads first.

Data quality names who is below the thresholds, the sessions table flags a session whose data
quality fails them, findings backed by behaviour say so, a legend explains severity, and the
map keeps a minimum column width (it scrolls instead of breaking words).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from unit.test_report_fixture import build_analysis

from gazemap.protocol import FrictionThresholds, Protocol
from gazemap.report import write_report
from gazemap.report.html import session_quality


@pytest.fixture(scope="module")
def index_html(tmp_path_factory: pytest.TempPathFactory) -> str:
    out, protocol = build_analysis(tmp_path_factory.mktemp("cjm"))
    return write_report(out, protocol, gaze_plots=False).read_text(encoding="utf-8")


def _row(html: str, head: str) -> str:
    m = re.search(rf'<th class="rowhead"[^>]*>{head}.*?</tr>', html, re.S)
    assert m, head
    return m.group(0)


def test_data_quality_row_names_the_participants_below_threshold(index_html: str) -> None:
    row = _row(index_html, "Data quality")
    # the fixture's P03 is below threshold on each of the 3 visited touchpoints
    assert row.count("1 of 3 below threshold") == 3
    assert re.findall(r'class="muted quality-who"[^>]*>([^<]*)<', row) == ["P03"] * 3
    assert '<a class="tag" href="touchpoints/home/index.html#quality">' in row


def test_sessions_table_flags_data_quality_below_the_thresholds(index_html: str) -> None:
    table = re.search(r'<table id="sessions-summary">.*?</table>', index_html, re.S)
    assert table
    rows = {
        re.search(r"<td>(P\d\d)</td>", r).group(1): r  # type: ignore[union-attr]
        for r in re.findall(r"<tr.*?</tr>", table.group(0), re.S)[1:]
    }
    assert 'class="below-threshold"' in rows["P03"]
    assert '<td class="n bad">31 %</td>' in rows["P03"]
    assert "data loss 31 % is above the 20 % threshold" in rows["P03"]
    for p in ("P01", "P02", "P04"):
        assert "below-threshold" not in rows[p] and "bad" not in rows[p]


def test_session_quality_sentences() -> None:
    th = FrictionThresholds()  # data loss 0.2, precision 0.5 deg
    proto = Protocol("p", "P", (), th)
    assert session_quality({"data_loss": 0.201, "precision_rms_deg": 0.915}, proto) == [
        "data loss 20.1 % is above the 20 % threshold",
        "precision 0.915° RMS is above the 0.5° threshold",
    ]
    assert session_quality({"data_loss": 0.2, "precision_rms_deg": 0.5}, proto) == []
    assert session_quality({"data_loss": None, "precision_rms_deg": None}, proto) == []


def test_findings_backed_by_behaviour_are_marked(index_html: str) -> None:
    lis = dict(re.findall(r'<li data-finding-id="(F\d+)"[^>]*>(.*?)</li>', index_html, re.S))
    assert "slower too" in lis["F001"]  # behaviour.supports true
    assert "slower too" not in lis["F002"] and "slower too" not in lis["F003"]  # false, absent


def test_severity_legend_and_minimum_column_width(index_html: str) -> None:
    legend = re.search(r'<p class="muted legend" id="severity-legend".*?</p>', index_html, re.S)
    assert legend
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", legend.group(0)))
    assert "below 33 % low, below 67 % medium, else high" in text
    assert "at least 2× its threshold raises it one level" in text
    assert "more than 1.25× as long on the touchpoint" in text
    assert "data loss ≤ 20 % and precision ≤ 0.5° RMS" in text
    # the map's minimum width is worked out by the page's CSS from the number of touchpoints
    # (_style.css: row names + touchpoints x column); the hint above it shows where that is
    # wider than the window: 4 touchpoints, 120 + 4 x 140 + 94 + 17 px = 791 px on laptops
    assert 'id="journey-map" style="--tps: 4"' in index_html
    assert "@media (min-width: 601px) and (max-width: 790px) { #journey-scroll-hint" in index_html


def test_findings_kpi_counts_each_severity(index_html: str) -> None:
    # the fixture's findings: high F001, medium F002 and F004, low F003
    assert '<span id="kpi-severities">1 high, 2 medium, 1 low</span>' in index_html


def test_task_success_row_from_journey_json(index_html: str) -> None:
    row = _row(index_html, "Task success")
    cells = re.findall(
        r'<td class="n task-success" data-touchpoint-id="([\w-]+)">(.*?)</td>', row, re.S
    )
    text = {tp: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", c)).strip() for tp, c in cells}
    assert text == {
        "home": "no criterion", "search": "no criterion", "email": "no criterion",
        # 67 % < the protocol's task_success_min 0.78: tagged
        "checkout": "2/3 (67 %) 21 %–94 % below 78 %",
    }  # fmt: skip
    assert "95 % Wilson interval" in index_html


def test_touchpoint_page_shows_each_participants_task_outcome(tmp_path: Path) -> None:
    out, protocol = build_analysis(tmp_path)
    write_report(out, protocol, gaze_plots=False)
    page = (out / "touchpoints" / "checkout" / "index.html").read_text(encoding="utf-8")
    kpi = re.search(r'<div class="kpi" id="kpi-task-success">(.*?)</div>', page, re.S)
    assert kpi
    assert re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", kpi.group(1))).strip() == (
        "2/3 task success (67 %, 95 % CI 21 %–94 %); criterion click: pay below 78 %"
    )
    cells = re.findall(r'<td class="task-achieved">(.*?)</td>', page, re.S)
    assert [re.sub(r"<[^>]+>", "", c) for c in cells] == ["yes", "yes", "no"]
    assert cells[2] == '<b class="task-no">no</b>'  # a failure stands out, in words
    # values past the protocol's data-quality thresholds are marked in the participants table
    rows = re.findall(r"<tr><td>(P\d+)</td>(.*?)</tr>", page, re.S)
    assert any("below threshold" in row for _, row in rows)  # P03 in the fixture
    for who, row in rows:
        flagged = "below threshold" in row
        assert flagged == ('class="n bad"' in row), (who, row)
    # a touchpoint without a criterion shows neither
    home = (out / "touchpoints" / "home" / "index.html").read_text(encoding="utf-8")
    assert "kpi-task-success" not in home and "task-achieved" not in home
