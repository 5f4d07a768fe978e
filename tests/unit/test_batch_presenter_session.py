"""A session recorded with ``gazemap present`` beside a tracker driver, analysed.

Real HDF5 files laid out as ``gazemap record`` writes them when a driver and the presenter
both publish Scroll (the first attached gets ``/streams/scroll``): the page's Scroll stream
is chosen, never the driver's; the presenter's ``aoi-boxes`` markers move selector AOIs to
their live boxes; ``screen/unknown`` and ``error/`` markers reach sessions.json.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from gazemap.batch import analyze_session, combine_visit_quality
from gazemap.journey import TouchpointQuality
from gazemap.protocol import AOI, FrictionThresholds, Protocol, Screen, Stage, Touchpoint
from gazemap.store import SessionWriter, open_session
from gazemap.store.schema import StreamInfo
from gazemap.types import GAZE_CHANNEL_LABELS, SCROLL_CHANNEL_LABELS, ScreenGeometry

SCREEN = ScreenGeometry(1000, 800, 400.0, 320.0, 650.0)
RATE_HZ = 250.0


def make_protocol() -> Protocol:
    """One touchpoint on a 3000 px long page with two AOIs far apart."""
    aois = (
        AOI("top", "Top", "content", "rect", (0, 0, 1000, 600)),
        # selector AOI: the protocol's guess is at the top; the live page has it at y=2000
        AOI("buy", "Buy", "target", "rect", (0, 650, 400, 100), selector="#buy"),
    )
    page = Screen("page", "Page", None, 1000, 3000, 1000, 800, aois)
    tp = Touchpoint("page", "Page", "site", "buy it", (page,))
    return Protocol(
        "p", "P", (Stage("s", "S", (tp,)),), FrictionThresholds(), screen_width_px=1000,
        screen_height_px=800,
    )  # fmt: skip


def boxes_marker(y_px: float) -> str:
    rec = {
        "screen": "page",
        "url": "http://127.0.0.1/page.html",
        "page_width_px": 1000,
        "page_height_px": 3000,
        "aois": {
            "top": {"x_px": 0, "y_px": 0, "width_px": 1000, "height_px": 600, "fixed": False},
            "buy": {"x_px": 300, "y_px": y_px, "width_px": 400, "height_px": 100, "fixed": False},
        },
    }
    return "aoi-boxes " + json.dumps(rec)


def write_session(
    path: Path,
    markers: list[tuple[float, str]],
    *,
    driver_scroll: bool = True,
    screen: ScreenGeometry = SCREEN,
) -> None:
    """10 s: the eye holds still at screen (500, 400) for 4 s, the page scrolled by 1650 px.

    The presenter's Scroll stream (source id ``pres-scroll``, companion ``pres-markers``
    names screens) scrolls to y=1650 at t=3 s, so the eye rests on page y=2050 (the live
    "buy" box at y=2000..2100) from t=5 to t=9 s. The driver's Scroll stream (``sim-scroll``)
    has a single sample at 0, as a free-viewing simulator published it.
    """
    t = np.arange(0.0, 10.0, 1.0 / RATE_HZ)
    x = 500.0 + np.random.default_rng(0).normal(0, 1.0, len(t))
    y = 400.0 + np.random.default_rng(1).normal(0, 1.0, len(t))
    moving = (t < 5.0) | (t >= 9.0)
    x[moving] = 100.0 + 80.0 * (np.floor(t[moving] * 4) % 8)  # fixations elsewhere, 250 ms
    cols = {"x_px": x, "y_px": y, "validity": np.zeros(len(t))}
    data = np.column_stack([cols.get(c, np.full(len(t), np.nan)) for c in GAZE_CHANNEL_LABELS])
    with SessionWriter(path, participant="P1", protocol="p", session_id="s1", screen=screen) as w:
        w.add_stream("gaze", StreamInfo("sim Gaze", "Gaze", GAZE_CHANNEL_LABELS, source_id="sim"))
        w.append("gaze", t, data)
        if driver_scroll:
            w.add_stream(
                "scroll",
                StreamInfo("sim Scroll", "Scroll", SCROLL_CHANNEL_LABELS, source_id="sim-scroll"),
            )
            w.append("scroll", np.array([0.0]), np.zeros((1, 4)))
        w.add_stream(
            "markers",
            StreamInfo("sim Markers", "Markers", ("marker",), channel_format="string",
                       source_id="sim-markers"),
        )  # fmt: skip
        pres_scroll = "scroll" if not driver_scroll else "gazemap_present_scroll"
        w.add_stream(
            pres_scroll,
            StreamInfo(
                "gazemap-present-scroll", "Scroll", SCROLL_CHANNEL_LABELS, source_id="pres-scroll"
            ),
        )
        st = np.array([0.5, 3.0, 3.1])
        sy = np.array([0.0, 1650.0, 1650.0])
        w.append(pres_scroll, st, np.column_stack([np.zeros(3), sy, np.zeros(3), np.zeros(3)]))
        w.add_stream(
            "gazemap_present_markers",
            StreamInfo("gazemap-present-markers", "Markers", ("marker",),
                       channel_format="string", source_id="pres-markers"),
        )  # fmt: skip
        w.append(
            "gazemap_present_markers", np.array([m[0] for m in markers]), [m[1] for m in markers]
        )


BASE = [
    (0.5, "screen/page"),
    (0.6, boxes_marker(2000.0)),
    (1.0, "task/1/start"),
    (1.0, "touchpoint/page/start"),
    (9.5, "touchpoint/page/end"),
    (9.5, "task/1/end"),
]


def test_reader_picks_the_presenters_scroll_not_the_drivers(tmp_path: Path) -> None:
    f = tmp_path / "s.h5"
    write_session(f, BASE)
    with open_session(f) as s:
        assert s.scroll_streams() == ["gazemap_present_scroll", "scroll"]
        name, why = s.page_scroll_stream()
        assert name == "gazemap_present_scroll"
        assert "its Markers stream names the screens" in why and "scroll (1 samples)" in why
        sc = s.scroll()
        assert sc is not None and list(sc.scroll_y_px) == [0.0, 1650.0, 1650.0]
        # a name still reads that stream
        only = s.scroll("scroll")
        assert only is not None and len(only) == 1
        assert s.scroll("no-such-stream") is None


def test_reader_without_a_companion_takes_the_stream_with_most_samples(tmp_path: Path) -> None:
    f = tmp_path / "s.h5"
    write_session(f, BASE)
    with open_session(f, "r+") as s:  # a stimulus program that is not paired by source id
        s.h5["streams/gazemap_present_scroll"].attrs["source_id"] = "other-program"
    with open_session(f) as s:
        name, why = s.page_scroll_stream()
        assert name == "gazemap_present_scroll" and "the most samples" in why


def test_single_scroll_stream_needs_no_choice(tmp_path: Path) -> None:
    f = tmp_path / "s.h5"
    write_session(f, BASE, driver_scroll=False)
    with open_session(f) as s:
        assert s.page_scroll_stream() == ("scroll", "")


def test_analysis_uses_the_page_scroll_and_the_live_aoi_boxes(tmp_path: Path) -> None:
    f = tmp_path / "s.h5"
    write_session(f, BASE)
    r = analyze_session(f, make_protocol(), write_cache=False)
    assert r.ok, r.error
    assert r.marker_problems == []
    assert any("used 'gazemap_present_scroll'" in n for n in r.notes)
    assert (
        "screen 'page': 1 selector AOI(s) at the boxes resolved from the live page (aoi-boxes "
        "marker); differ from the protocol's coords: buy (by 1350 px)"
    ) in r.notes
    assert r.tables is not None
    long_fix = [row for row in r.tables.fixations if row["duration_s"] > 1.0]
    assert long_fix, "the 4 s still period should be one long fixation"
    for row in long_fix:
        # page y = screen y + the presenter's scroll offset (1650), not the driver's 0
        assert row["page_y_px"] == pytest.approx(row["y_px"] + 1650.0, abs=1e-6)
        assert row["aoi_ids"] == ["buy"]
    buy = next(m for m in r.tables.metrics if m["aoi_id"] == "buy")
    assert buy["dwell_s"] > 3.0


def test_a_return_to_the_page_counts_both_visits(tmp_path: Path) -> None:
    # the participant leaves the page at 4.0 s and comes back at 5.0 s, when the eye
    # settles on the live "buy" box for 4 s
    f = tmp_path / "s.h5"
    markers = [*BASE[:4], (4.0, "touchpoint/page/end"), (5.0, "touchpoint/page/start"), *BASE[4:]]
    write_session(f, markers)
    r = analyze_session(f, make_protocol(), write_cache=False)
    assert r.ok, r.error
    assert r.marker_problems == []
    assert (
        "touchpoint 'page' visited again: visit 2 t=5.000 s-9.500 s (earlier: 1.000-4.000 s); "
        "its metrics use all visits"
    ) in r.summary()["notes"]
    assert r.tables is not None
    [tp] = r.tables.touchpoints
    assert (tp["start_s"], tp["end_s"], tp["visits"]) == (1.0, 9.5, 2)
    assert tp["time_on_touchpoint_s"] == 3.0 + 4.5
    assert tp["fixation_count"] == len(r.tables.fixations)
    # no fixation lies wholly in the 4.0-5.0 s away from the page
    assert not [
        x
        for x in r.tables.fixations
        if 4.0 <= x["start_s"] and x["start_s"] + x["duration_s"] <= 5.0
    ]
    buy = next(m for m in r.tables.metrics if m["aoi_id"] == "buy")
    # after the scroll at 3 s the passing glances already land on the live box (visit 1)
    assert 3.0 <= buy["_first_time_s"] < 4.0
    assert buy["ttff_s"] == pytest.approx(buy["_first_time_s"] - 1.0, abs=1e-9)
    # touchpoint time: in the second visit, 3 s of the first visit + the time into the second
    second = [x for x in r.tables.fixations if x["start_s"] >= 5.0]
    assert second and all(
        x["t_rel_s"] == pytest.approx(3.0 + x["start_s"] - 5.0, abs=1e-9) for x in second
    )
    assert max(x["duration_s"] for x in second) > 3.0  # the 4 s still period, on "buy"
    assert tp["data_loss"] == 0.0


def test_quality_of_several_visits_is_duration_weighted() -> None:
    # visits of 2 s (loss 0.1, RMS 0.3 deg) and 1 s (loss 0.4, RMS 0.6 deg):
    # loss (2*0.1 + 1*0.4)/3 = 0.2; RMS sqrt((2*0.09 + 1*0.36)/3) = sqrt(0.18)
    q = combine_visit_quality([(2.0, 0.1, 0.3), (1.0, 0.4, 0.6)])
    assert q.data_loss == pytest.approx(0.2, rel=1e-12)
    assert q.precision_rms_deg == pytest.approx(0.18**0.5, rel=1e-12)
    # a visit without fixations has no precision: the others' stands; one visit: unchanged
    q = combine_visit_quality([(2.0, 0.1, float("nan")), (1.0, 0.4, 0.6)])
    assert q.precision_rms_deg == 0.6 and q.data_loss == pytest.approx(0.2, rel=1e-12)
    assert combine_visit_quality([(3.0, 0.25, 0.5)]) == TouchpointQuality(0.25, 0.5)


def test_without_aoi_boxes_the_protocol_coords_stand(tmp_path: Path) -> None:
    f = tmp_path / "s.h5"
    write_session(f, [m for m in BASE if not m[1].startswith("aoi-boxes")])
    r = analyze_session(f, make_protocol(), write_cache=False)
    assert r.ok, r.error
    assert not any("aoi-boxes" in n or "live page" in n for n in r.notes)
    buy = next(m for m in r.tables.metrics if m["aoi_id"] == "buy")  # type: ignore[union-attr]
    assert not buy["dwell_s"]  # the protocol's box (y 650..750) is not looked at


def test_presenter_problems_and_unknown_pages_reach_sessions_json(tmp_path: Path) -> None:
    f = tmp_path / "s.h5"
    markers = [
        *BASE[:4],
        (6.0, "screen/unknown http://127.0.0.1/track.html"),
        (6.1, "error/screen-timeout screen 'page' was not shown within 2 s"),
        (6.2, "aoi-boxes {not json"),
        (7.0, "screen/page"),
        *BASE[4:],
    ]
    write_session(f, markers, screen=replace(SCREEN, width_px=1920, height_px=1080))
    r = analyze_session(f, make_protocol(), write_cache=False)
    assert r.ok, r.error
    summary = r.summary()
    probs = summary["marker_problems"]
    assert any("presenter reported a problem" in p and "screen-timeout" in p for p in probs)
    assert any(p.startswith("aoi-boxes marker at t=6.200 s is not a valid record") for p in probs)
    notes = summary["notes"]
    assert any("http://127.0.0.1/track.html" in n and "not mapped to AOIs" in n for n in notes)
    assert any("1920x1080 px but protocol 'p' is for 1000x800 px" in n for n in notes)
    json.dumps(summary)  # sessions.json entry stays JSON


def test_two_sources_of_touchpoint_markers_are_explained(tmp_path: Path) -> None:
    """A simulator run with --protocol beside the presenter: both send touchpoints."""
    f = tmp_path / "s.h5"
    write_session(f, BASE)
    with open_session(f, "r+") as s:
        g = s.h5["streams/markers"]  # the driver's Markers stream, empty so far
        for ds, data in (("time_s", [1.2, 9.0]), ("time_raw_s", [1.2, 9.0])):
            g[ds].resize((2,))
            g[ds][:] = data
        g["value"].resize((2,))
        g["value"][:] = ["touchpoint/page/start", "touchpoint/page/end"]
    r = analyze_session(f, make_protocol(), write_cache=False)
    assert r.ok, r.error
    assert any(p.startswith("duplicate start of touchpoint 'page'") for p in r.marker_problems)
    assert any(
        n.startswith("2 Markers streams send touchpoint markers (gazemap_present_markers, markers)")
        for n in r.notes
    ), r.notes
