"""A web study run as a UX researcher runs it, end to end, with the real commands.

A tracker driver publishes free-viewing Gaze (``gazemap stream simulated`` without a
protocol: a tracker, no page), ``gazemap present --headless --autoplay`` shows the demo shop
and publishes Markers and Scroll, ``gazemap record`` records all three into the study
folder, and ``gazemap analyze`` turns the study into touchpoints, page-mapped fixations,
AOI metrics and the HTML report.

The protocol is the shipped online-store protocol with every AOI given as a CSS selector,
and one (the home page's hero banner) at deliberately wrong coords, so the test also shows
that the analysis uses the boxes the presenter resolved in the live page (``aoi-boxes``
markers), as issue 8 asks.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import REPO, gazemap_cmd, wait_for
from integration.gazemap_procs import (  # noqa: F401 (stop_leftovers: autouse fixture)
    Proc,
    lab_recorder,
    lab_tracker,
    recorded,
    stop_leftovers,
)

from gazemap.presenter.matching import aoi_boxes_from_markers
from gazemap.protocol import load_protocol
from gazemap.store import open_session

pytestmark = pytest.mark.integration

CHROMIUM = Path(os.environ.get("GAZEMAP_CHROMIUM", "/usr/bin/chromium"))
ONLINE_STORE = REPO / "protocols" / "online-store.yaml"
#: the AOI at wrong coords in the protocol, and where the protocol says it is
SEL_SCREEN, SEL_AOI, WRONG_COORDS = "home", "hero-banner", [0, 1200, 1440, 400]


def selector_protocol(folder: Path) -> Path:
    """The online-store protocol with every AOI as a selector, one at wrong coords."""
    doc = yaml.safe_load(ONLINE_STORE.read_text(encoding="utf-8"))
    for stage in doc["stages"]:
        for tp in stage["touchpoints"]:
            for sc in tp["screens"]:
                if sc.get("screenshot"):
                    sc["screenshot"] = str((ONLINE_STORE.parent / sc["screenshot"]).resolve())
                for a in sc.get("aois", []):
                    a["selector"] = f"#{a['id']}"
                    if (sc["id"], a["id"]) == (SEL_SCREEN, SEL_AOI):
                        a["coords"] = list(WRONG_COORDS)
    out = folder / "online-store-selector.yaml"
    out.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return out


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"needs Debian's chromium at {CHROMIUM}")
def test_record_a_web_study_and_analyse_it(tmp_path: Path, unique_id: str) -> None:
    protocol_file = selector_protocol(tmp_path)
    protocol = load_protocol(protocol_file)
    study = tmp_path / "study"
    study.mkdir()
    session = study / "P01.h5"
    gaze_id, present_id = f"{unique_id}-tracker", f"{unique_id}-present"

    # the tracker: free-viewing gaze on the lab's screen (the protocol's 1440 x 900)
    tracker = lab_tracker(tmp_path, unique_id, "P01", 500)
    rec = None
    try:
        rec = lab_recorder(tmp_path, unique_id, "P01", session)
        wait_for(lambda: recorded(rec, "gaze") > 0, 30, "the recorder to record gaze")
        present = subprocess.run(
            [*gazemap_cmd(), "present", str(protocol_file), "--participant", "P01",
             "--headless", "--autoplay", "--source-id", present_id, "--wait-recorder-s", "30"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert present.returncode == 0, present.stderr
        m = re.search(r"(\d+) markers, (\d+) scroll samples", present.stdout)
        assert m, present.stdout
        n_markers, n_scroll = int(m.group(1)), int(m.group(2))
        # every marker and scroll sample the presenter sent is in the file before we stop
        wait_for(
            lambda: recorded(rec, "markers") >= n_markers and recorded(rec, "scroll") >= n_scroll,
            20,
            f"the recorder to receive {n_markers} markers and {n_scroll} scroll samples",
        )
        assert rec.stop(timeout_s=20.0) == 0, rec.stderr()
    finally:
        if rec is not None:
            rec.stop()
        tracker.stop()

    # the recorder filed the presenter's page streams as the session's markers and scroll
    with open_session(session) as s:
        assert s.stream_names == ["gaze", "markers", "scroll"], s.stream_names
        assert s.stream_attrs("scroll")["source_id"] == f"{present_id}-scroll"
        assert s.stream_attrs("gaze")["source_id"] == gaze_id
        assert (s.screen.width_px, s.screen.height_px) == (1440, 900)
        markers = s.markers()
        scroll = s.scroll()
    assert scroll is not None and len(scroll) == n_scroll
    assert float(np.max(scroll.scroll_y_px)) > 500.0  # autoplay scrolled each long page
    values = [str(v) for v in markers.value]
    assert len(values) == n_markers
    live = {sc: rec["aois"] for sc, rec in aoi_boxes_from_markers(values).items()}
    assert set(live) == {sc.id for sc in protocol.screens.values() if sc.aois}
    assert live[SEL_SCREEN][SEL_AOI]["y_px"] != WRONG_COORDS[1]  # not where the protocol says

    out = tmp_path / "out"
    analyze = subprocess.run(
        [*gazemap_cmd(), "analyze", str(study), "--protocol", str(protocol_file), "--out",
         str(out)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert analyze.returncode == 0, analyze.stderr
    assert "0 marker problems" in analyze.stderr, analyze.stderr
    assert analyze.stdout.strip().endswith("index.html")

    sessions = json.loads((out / "sessions.json").read_text(encoding="utf-8"))
    assert len(sessions) == 1
    sess = sessions[0]
    assert sess["ok"] and sess["participant"] == "P01", sess
    assert sess["marker_problems"] == []
    # the only notes: each screen's AOIs were taken from the live page (one Scroll stream,
    # screens of the same size, no page outside the protocol, every selector found), and the
    # screens whose AOIs are closer together than 1 deg (no validation: accuracy_max_deg)
    spacing = [n for n in sess["notes"] if "AOIs closer together than the protocol's" in n]
    assert all("accuracy_max_deg (no accuracy measured in the session), 1.00 deg" in n
               for n in spacing), spacing  # fmt: skip
    notes = [n for n in sess["notes"] if n not in spacing]
    assert len(notes) == len(live), sess["notes"]
    for note in notes:
        assert re.fullmatch(
            r"screen '[\w.-]+': \d+ selector AOI\(s\) at the boxes resolved from the live page "
            r"\(aoi-boxes marker\); .+",
            note,
        ), note
    # the demo shop is built from the protocol: only the AOI moved on purpose differs
    moved = [n for n in sess["notes"] if "differ from the protocol's coords" in n]
    assert len(moved) == 1 and moved[0].startswith(f"screen {SEL_SCREEN!r}:"), moved
    assert re.search(rf"differ from the protocol's coords: {SEL_AOI} \(by \d+ px\)$", moved[0])

    # every touchpoint of the protocol, in journey order, inside the recording
    tps = read_csv(out / "touchpoints.csv")
    assert [r["touchpoint_id"] for r in tps] == [tp.id for tp in protocol.touchpoints]
    assert all(r["participant"] == "P01" for r in tps)
    t0, t1 = float(markers.time_s[0]), float(markers.time_s[-1])
    for r in tps:
        assert t0 <= float(r["start_s"]) < float(r["end_s"]) <= t1 + 1e-6, r
    # autoplay spends ~0.4-1 s per touchpoint: not every one need hold a whole fixation
    assert sum(int(r["fixation_count"]) for r in tps) >= len(tps)

    # fixations mapped to page px with the Scroll stream's offset at their midpoint
    fix = read_csv(out / "fixations.csv")
    assert fix
    st = np.asarray(scroll.time_s)
    scrolled = 0
    for r in fix:
        mid = float(r["start_s"]) + float(r["duration_s"]) / 2.0
        i = max(int(np.searchsorted(st, mid, side="right")) - 1, 0)
        ex = float(r["x_px"]) - scroll.viewport_x_px[i] + scroll.scroll_x_px[i]
        ey = float(r["y_px"]) - scroll.viewport_y_px[i] + scroll.scroll_y_px[i]
        assert float(r["page_x_px"]) == pytest.approx(ex, abs=0.01), r
        assert float(r["page_y_px"]) == pytest.approx(ey, abs=0.01), r
        scrolled += scroll.scroll_y_px[i] > 0
    assert scrolled >= 1, "no fixation while a page was scrolled: the mapping went untested"

    # AOI hits follow the boxes of the live page, not the protocol's coords: every mapped
    # fixation is in exactly the AOIs whose live box holds it (page px; viewport px for
    # fixed elements such as the sticky header, which cover the page under them)
    mapped = [r for r in fix if r["mapped"] in ("1", "True", "true") and r["screen_id"]]
    assert mapped, "no fixation was mapped to a page"

    def where(px: float, py: float, box: dict[str, float]) -> bool | None:
        """Inside the box, outside, or None within 1 px of an edge (either is right)."""
        x, y, w, h = box["x_px"], box["y_px"], box["width_px"], box["height_px"]
        if min(abs(px - x), abs(px - x - w), abs(py - y), abs(py - y - h)) < 1.0:
            return None
        return x < px < x + w and y < py < y + h

    for r in mapped:
        mid = float(r["start_s"]) + float(r["duration_s"]) / 2.0
        i = max(int(np.searchsorted(st, mid, side="right")) - 1, 0)
        vx = float(r["x_px"]) - scroll.viewport_x_px[i]
        vy = float(r["y_px"]) - scroll.viewport_y_px[i]
        hits = set(filter(None, re.split(r"[;|, ]+", r["aoi_ids"])))
        boxes = {k: b for k, b in live[r["screen_id"]].items() if b}
        on_fixed = [where(vx, vy, b) for b in boxes.values() if b.get("fixed")]
        for aoi_id, box in boxes.items():
            if box.get("fixed"):
                inside = where(vx, vy, box)
            elif None in on_fixed:
                continue  # on a sticky element's edge: covered or not is not the point
            else:
                inside = where(float(r["page_x_px"]), float(r["page_y_px"]), box)
                inside = None if inside is None else inside and not any(on_fixed)
            if inside is not None:
                assert (aoi_id in hits) == inside, (aoi_id, box, r)

    metrics = read_csv(out / "metrics.csv")
    assert {(r["touchpoint_id"], r["aoi_id"]) for r in metrics} >= {
        (tp.id, a.id) for tp in protocol.touchpoints for sc in tp.screens for a in sc.aois
    }
    assert (out / "index.html").is_file()
    assert (out / "evidence.json").is_file() and (out / "journey.json").is_file()

    # aois.csv holds the geometry those hits used: every selector AOI at its live box
    aoi_rows = read_csv(out / "aois.csv")
    assert {(r["touchpoint_id"], r["screen_id"], r["aoi_id"]) for r in aoi_rows} == {
        (tp.id, sc.id, a.id) for tp in protocol.touchpoints for sc in tp.screens for a in sc.aois
    }
    for r in aoi_rows:
        box = live.get(r["screen_id"], {}).get(r["aoi_id"])
        assert r["participant"] == "P01" and r["source"] == ("live" if box else "protocol"), r
        if box:
            xywh = [float(box[k]) for k in ("x_px", "y_px", "width_px", "height_px")]
            assert [float(c) for c in r["coords_px"].split(";")] == xywh, r
            assert r["fixed"] == ("true" if box.get("fixed") else "false"), r
    hero = next(r for r in aoi_rows if (r["screen_id"], r["aoi_id"]) == (SEL_SCREEN, SEL_AOI))
    assert float(hero["y_min_px"]) == float(live[SEL_SCREEN][SEL_AOI]["y_px"])
    # the report draws P01's live boxes and says so under the heatmap
    home_tp = next(tp for tp in protocol.touchpoints if SEL_SCREEN in [s.id for s in tp.screens])
    page = (out / "touchpoints" / home_tp.id / "index.html").read_text(encoding="utf-8")
    assert "AOI outlines as measured in the live page (aois.csv) for P01." in page
