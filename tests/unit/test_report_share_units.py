"""The evidence table prints a share (unit "share") as a percentage, as docs/report.md says."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from unit.test_report_fixture import build_analysis

from gazemap.report import fmt_value, write_report


@pytest.fixture(scope="module")
def home_page(tmp_path_factory: pytest.TempPathFactory) -> str:
    out, protocol = build_analysis(tmp_path_factory.mktemp("rep_units"))
    ev_path = out / "evidence.json"
    ev = json.loads(ev_path.read_text())
    for st in ev["stages"]:
        for tp in st["touchpoints"]:
            for f in tp["findings"]:
                if f["rule_id"] == "distractor":  # a dwell share, as journey.py writes it
                    f["unit"], f["metric"] = "share", "dwell_share"
    ev_path.write_text(json.dumps(ev))
    write_report(out, protocol)
    return (Path(out) / "touchpoints/home/index.html").read_text()


def _row(html: str, finding_id: str) -> str:
    m = re.search(rf'<tr id="{finding_id}".*?</tr>', html, re.S)
    assert m, finding_id
    return m.group(0)


def test_share_value_and_threshold_print_as_percent(home_page: str) -> None:
    row = _row(home_page, "F002")  # distractor: value 0.61234, threshold 0.5
    assert '<span class="cell-value">61 %</span>' in row
    assert '<span class="cell-threshold">50 %</span>' in row
    # "0.612 share" / "1 share" read as a count of something; the percent sign is the unit
    assert 'unit">share<' not in row and "0.612" not in row


def test_other_units_keep_number_and_unit(home_page: str) -> None:
    row = _row(home_page, "F001")  # target-late: 7.125 s
    assert '<span class="cell-value">7.12</span> <span class="muted unit">s</span>' in row


def test_fmt_value() -> None:
    assert fmt_value(0.1666, "share") == "17 %"
    assert fmt_value(1.0, "share") == "100 %"
    assert fmt_value(5.382, "s") == "5.38"
    assert fmt_value(None, "share") == "—"
