"""``gazemap present --headless --autoplay`` on the demo shop while ``gazemap record`` records.

Real headless Chromium, real LSL over loopback, the real recorder and session file.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from integration.present_helpers import CHROMIUM, ONLINE_STORE, Run, run_present_recorded

from gazemap.presenter.browser import png_size
from gazemap.presenter.matching import journey_plan, target_aoi
from gazemap.protocol import load_protocol

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not CHROMIUM.is_file(), reason="needs Debian's chromium at /usr/bin/chromium"
    ),
]


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, Path]:
    import uuid

    tmp = tmp_path_factory.mktemp("present")
    shots = tmp / "screenshots"
    sid = f"gazemap-test-present-{uuid.uuid4().hex[:10]}"
    run = run_present_recorded(
        [
            str(ONLINE_STORE),
            "--participant",
            "P07",
            "--headless",
            "--autoplay",
            "--screenshots",
            str(shots),
            "--screen-timeout-s",
            "20",
        ],
        sid,
        tmp / "P07.h5",
        "P07",
    )
    return run, shots


def _windows(run: Run) -> dict[str, tuple[float, float]]:
    """screen id -> (time of its marker, time of the next screen marker or the last marker)."""
    scr = [(t, v.split("/", 1)[1]) for t, v in run.markers if v.startswith("screen/")]
    end = run.markers[-1][0]
    return {
        sid: (t, scr[i + 1][0] if i + 1 < len(scr) else end + 1e-3)
        for i, (t, sid) in enumerate(scr)
    }


def test_exit_code_and_summary(session: tuple[Run, Path]) -> None:
    run, _ = session
    assert run.returncode == 0, run.stderr
    assert (
        "P07:" in run.stdout
        and "screens shown: home, search, product, cart, checkout, confirmation, order-email"
        in run.stdout
    )


def test_every_screen_marker_in_protocol_order(session: tuple[Run, Path]) -> None:
    run, _ = session
    proto = load_protocol(ONLINE_STORE)
    assert run.values("screen/") == [f"screen/{p.screen.id}" for p in journey_plan(proto)]
    times = [t for t, _ in run.markers]
    assert np.all(np.diff(times) >= 0)


def test_touchpoints_and_tasks_are_paired_in_order(session: tuple[Run, Path]) -> None:
    run, _ = session
    proto = load_protocol(ONLINE_STORE)
    expected = []
    for n, tp in enumerate(proto.touchpoints, start=1):
        expected += [
            f"task/{n}/start",
            f"touchpoint/{tp.id}/start",
            f"touchpoint/{tp.id}/end",
            f"task/{n}/end",
        ]
    got = [v for v in run.values() if v.startswith(("task/", "touchpoint/"))]
    assert got == expected
    # each touchpoint starts after its first screen appears (instruction read in between)
    for tp in proto.touchpoints:
        assert run.time_of(f"touchpoint/{tp.id}/start") > run.time_of(f"screen/{tp.screens[0].id}")


def test_scroll_samples_cover_each_long_page(session: tuple[Run, Path]) -> None:
    run, _ = session
    proto = load_protocol(ONLINE_STORE)
    win = _windows(run)
    assert len(run.scroll_t) > 20 and np.all(np.diff(run.scroll_t) >= 0)
    # headless: the viewport is the screen
    assert np.all(run.scroll[:, 2:] == 0)
    for sc in proto.screens.values():
        t0, t1 = win[sc.id]
        inside = (run.scroll_t >= t0 - 0.05) & (run.scroll_t < t1)
        y = run.scroll[inside, 1]
        if sc.scrolls:
            bottom = sc.page_height_px - sc.viewport_height_px
            assert y.max() >= bottom - 1, (sc.id, y.max(), bottom)
            assert y[0] <= 1 and np.any(y[np.argmax(y) :] <= 1), (sc.id, "scrolled back to the top")
        else:
            assert np.all(y == 0), sc.id


def test_clicks_on_the_target_aois(session: tuple[Run, Path]) -> None:
    run, _ = session
    proto = load_protocol(ONLINE_STORE)
    win = _windows(run)
    for sc in proto.screens.values():
        tgt = target_aoi(sc)
        assert tgt is not None
        t0, t1 = win[sc.id]
        clicks = [v for t, v in run.markers if t0 <= t < t1 and v.startswith(f"click/{tgt.id} ")]
        assert clicks, (sc.id, tgt.id)
        x, y = map(float, clicks[0].split(" ")[1:])
        bx0, by0, bx1, by1 = tgt.bbox
        assert bx0 <= x <= bx1 and by0 <= y <= by1, (sc.id, x, y, tgt.bbox)


def test_aoi_boxes_resolved_from_the_live_page(session: tuple[Run, Path]) -> None:
    run, _ = session
    proto = load_protocol(ONLINE_STORE)
    recs = [json.loads(v.split(" ", 1)[1]) for v in run.values("aoi-boxes ")]
    by_screen = {r["screen"]: r for r in recs}
    assert set(by_screen) == set(proto.screens)
    for sc in proto.screens.values():
        rec = by_screen[sc.id]
        assert rec["page_height_px"] == sc.page_height_px
        for a in sc.aois:
            b = rec["aois"][a.id]
            assert b["fixed"] == a.fixed, (sc.id, a.id)
            got = (b["x_px"], b["y_px"], b["x_px"] + b["width_px"], b["y_px"] + b["height_px"])
            assert np.allclose(got, a.bbox, atol=1.0), (sc.id, a.id, got, a.bbox)


def test_screenshots_match_page_sizes(session: tuple[Run, Path]) -> None:
    _, shots = session
    proto = load_protocol(ONLINE_STORE)
    manifest = json.loads((shots / "screenshots.json").read_text())
    assert manifest["protocol"] == "online-store"
    assert set(manifest["screens"]) == set(proto.screens)
    for sid, e in manifest["screens"].items():
        w, h = png_size(shots / e["file"])
        assert (
            (w, h) == (e["width_px"], e["height_px"]) == (e["page_width_px"], e["page_height_px"])
        )
        sc = proto.screens[sid]
        assert (w, h) == (sc.page_width_px, sc.page_height_px)
    boxes = json.loads((shots / "aoi-boxes-P07.json").read_text())
    assert boxes["participant"] == "P07" and set(boxes["screens"]) == set(proto.screens)
