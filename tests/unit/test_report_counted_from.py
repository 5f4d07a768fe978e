"""The evidence table says when a finding's value counts from its screen being shown (a later
screen of a touchpoint) rather than from the touchpoint start, as metrics.csv's ttff_s does."""

from __future__ import annotations

import json
import re
from pathlib import Path

from unit.test_report_fixture import build_analysis

from gazemap.report import write_report


def test_metric_cell_says_from_its_screen_shown(tmp_path: Path) -> None:
    out, protocol = build_analysis(tmp_path / "rep")
    ev_path = Path(out) / "evidence.json"
    ev = json.loads(ev_path.read_text(encoding="utf-8"))
    home = next(tp for st in ev["stages"] for tp in st["touchpoints"] if tp["id"] == "home")
    home["findings"][0]["counted_from"] = "screen shown"  # F001
    ev_path.write_text(json.dumps(ev), encoding="utf-8")
    write_report(out, protocol)
    html = (Path(out) / "touchpoints/home/index.html").read_text(encoding="utf-8")
    rows = dict(re.findall(r'<tr id="(F\d+)"(.*?)</tr>', html, re.S))
    cell = re.search(r'<td class="c-metric">(.*?)</td>', rows["F001"], re.S)
    assert cell and "from its screen shown" in cell.group(1)
    assert "from its screen shown" not in rows["F002"]
