"""AOIs closer together than the accuracy, end to end: the real `gazemap simulate` (one
participant of protocols/bank-app.yaml on its phone, 5 validation targets, so the session has
a measured accuracy of about 0.5 deg) and the real `gazemap analyze`: one warning line per
screen on stderr and a note in sessions.json, each naming the screen, the AOI pairs with their
gaps in px and deg, and the accuracy. A form holding its fields (added to the transfer screen)
is never warned about. Checked against shapely's distances between the AOIs."""

from __future__ import annotations

import json
import math
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import gazemap_cmd
from shapely.geometry import box

pytestmark = pytest.mark.integration

BANK = Path(__file__).resolve().parents[2] / "protocols" / "bank-app.yaml"
PHONE_MM = ["--screen-width-mm", "65", "--screen-height-mm", "140", "--distance-mm", "400"]


def _protocol(tmp: Path) -> Path:
    doc = yaml.safe_load(BANK.read_text(encoding="utf-8"))
    for st in doc["stages"]:
        for tp in st["touchpoints"]:
            for sc in tp["screens"]:
                sc["screenshot"] = str((BANK.parent / sc["screenshot"]).resolve())
                if sc["id"] == "transfer":
                    # the form around recipient, amount and reference (112-376 px down)
                    sc["aois"].insert(0, {"id": "transfer-form", "name": "Transfer form",
                                          "role": "content", "shape": "rect",
                                          "coords": [8, 100, 374, 290]})  # fmt: skip
    path = tmp / "bank-app.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def _rect_gaps(protocol: dict[str, Any], screen_id: str) -> dict[tuple[str, str], float]:
    """shapely's distance (px) between each pair of non-overlapping rect AOIs of a screen (on
    a scrolling page, a fixed AOI and a scrolling one have no one distance: left out)."""
    (sc,) = [
        sc
        for st in protocol["stages"]
        for tp in st["touchpoints"]
        for sc in tp["screens"]
        if sc["id"] == screen_id
    ]
    scrolls = sc["page"]["height_px"] > sc["viewport"]["height_px"]
    rects = [
        (a["id"], a.get("fixed", False), box(a["coords"][0], a["coords"][1], a["coords"][0] + a["coords"][2],
                      a["coords"][1] + a["coords"][3]))
        for a in sc["aois"] if a["shape"] == "rect"
    ]  # fmt: skip
    out = {}
    for i, (ia, fa, ra) in enumerate(rects):
        for ib, fb, rb in rects[i + 1 :]:
            if ra.intersection(rb).area == 0 and not (scrolls and fa != fb):
                out[ia, ib] = ra.distance(rb)
    return out


def test_analyze_warns_about_aois_closer_than_the_sessions_accuracy(tmp_path: Path) -> None:
    protocol = _protocol(tmp_path)
    doc = yaml.safe_load(protocol.read_text(encoding="utf-8"))
    study = tmp_path / "study"
    study.mkdir()
    sim = subprocess.run(
        [*gazemap_cmd(), "simulate", "--protocol", str(protocol), "--participant", "P01",
         "--seed", "1", *PHONE_MM, "--validation-points", "5", "--out", str(study / "P01.h5")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert sim.returncode == 0, sim.stderr
    out = tmp_path / "out"
    res = subprocess.run(
        [*gazemap_cmd(), "analyze", str(study), "--protocol", str(protocol), "--out", str(out),
         "--no-report", "--quiet"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    (sess,) = json.loads((out / "sessions.json").read_text(encoding="utf-8"))
    acc = sess["accuracy_deg"]
    assert sess["validation_points"] == 5 and 0.4 < acc < 0.6, sess
    warnings = [ln for ln in res.stderr.splitlines() if "AOIs closer together" in ln]
    notes = [n for n in sess["notes"] if "AOIs closer together" in n]
    # statements: the rows 16 px apart; 1 deg is 41.9 px at the phone's centre
    (line,) = [ln for ln in warnings if "screen 'statements' (Statements list)" in ln]
    assert line.startswith(f"gazemap analyze: warning: {study / 'P01.h5'}: screen 'statements'")
    assert f"than the accuracy ({acc:.2f} deg measured)" in line
    assert "statement-nov | statement-oct 16 px = 0.38 deg" in line
    (note,) = [n for n in notes if n.startswith("screen 'statements' (Statements list): ")]
    px_per_deg = math.tan(math.radians(1.0)) * 400.0 * 390 / 65.0  # 41.9
    assert f"than the session's accuracy, {acc:.2f} deg ({acc * px_per_deg:.0f} px)" in note
    assert "statement-oct | statement-sep 16 px = 0.38 deg" in note
    assert len(notes) == len(warnings) >= 2
    # every rect pair listed is closer than the accuracy, and every such pair is listed
    d_mm = 400.0
    mm_per_px = 140.0 / 844  # = 65 / 390 within 0.2 %: square pixels (deg within 0.01 once rounded)
    for n in notes:
        sid = re.match(r"screen '([\w-]+)'", n)
        assert sid is not None, n
        gaps = _rect_gaps(doc, sid.group(1))
        rect_ids = {i for pair in gaps for i in pair}
        listed = {
            (a, b): (float(px), float(deg))
            for a, b, px, deg in re.findall(r"([\w-]+) \| ([\w-]+) (\d+) px = ([\d.]+) deg", n)
            if a in rect_ids and b in rect_ids
        }
        want = {}
        for pair, gap_px in gaps.items():
            deg = math.degrees(2 * math.atan(gap_px * mm_per_px / (2 * d_mm)))
            if deg < acc:
                want[pair] = (round(gap_px), round(deg, 2))
        assert listed.keys() == want.keys(), n
        for k, (px, deg) in listed.items():
            assert px == want[k][0] and deg == pytest.approx(want[k][1], abs=0.011), (k, n)
    # the form holding its fields is no neighbour of them
    assert not any("transfer-form" in w for w in warnings + notes), warnings
    # (the fields themselves are 24 px = 0.57 deg apart: further than this session's accuracy)
    assert not any("screen 'transfer'" in w for w in warnings) or acc > 0.57
