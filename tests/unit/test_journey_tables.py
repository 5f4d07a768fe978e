"""Scroll mapping and per-session metric rows on hand-constructed sessions, plus properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gazemap.aoi import OUTSIDE_ID
from gazemap.errors import InputError
from gazemap.journey import (
    ScreenVisit,
    Segmentation,
    TouchpointQuality,
    TouchpointVisit,
    map_to_page,
    segment_touchpoints,
    session_tables,
)
from gazemap.protocol import AOI, FrictionThresholds, Protocol, Screen, Stage, Touchpoint
from gazemap.types import Fixations, Markers, ScreenGeometry, ScrollSamples

SCREEN = ScreenGeometry(1000, 800, 400.0, 320.0, 600.0)


def scroll_of(
    rows: list[tuple[float, float, float]], vx: float = 0.0, vy: float = 0.0
) -> ScrollSamples:
    t = np.array([r[0] for r in rows])
    return ScrollSamples(
        t,
        np.array([r[1] for r in rows]),
        np.array([r[2] for r in rows]),
        np.full(len(t), vx),
        np.full(len(t), vy),
    )


def fixations(rows: list[tuple[float, float, float, float]]) -> Fixations:
    a = np.array(rows, dtype=float).reshape(-1, 4)
    z = np.zeros(len(a))
    return Fixations(a[:, 0], a[:, 1], a[:, 2], a[:, 3], z, z, z)


# ---------------------------------------------------------------------------- map_to_page
def test_map_by_offset_at_midpoint_and_flag_fixations_during_scroll() -> None:
    sc = scroll_of([(0.0, 0, 0), (2.0, 0, 500), (2.1, 0, 505), (2.2, 0, 900), (5.0, 0, 900)])
    start = np.array([1.0, 1.9, 2.15, 3.0, 1.5])
    end = np.array([1.5, 2.05, 2.3, 3.5, 1.99])
    x = np.full(5, 100.0)
    y = np.full(5, 200.0)
    pm = map_to_page(start, end, x, y, sc, max_scroll_px=20)
    # midpoints 1.25 (offset 0), 1.975 (0), 2.225 (900), 3.25 (900), 1.745 (0)
    assert pm.page_y_px.tolist() == [200.0, 200.0, 1100.0, 1100.0, 200.0]
    # offsets in effect: [0] ; [0, 500] ; [505, 900] ; [900] ; [0]
    assert pm.scroll_moved_px.tolist() == [0.0, 500.0, 395.0, 0.0, 0.0]
    assert pm.mapped.tolist() == [True, False, False, True, True]
    assert pm.view_y_px.tolist() == [200.0] * 5
    # small moves are tolerated
    pm2 = map_to_page(
        np.array([2.05]), np.array([2.15]), np.array([1.0]), np.array([1.0]), sc, max_scroll_px=20
    )
    assert pm2.mapped.tolist() == [True] and pm2.scroll_moved_px.tolist() == [5.0]


def test_map_viewport_offset_and_no_scroll_stream() -> None:
    sc = scroll_of([(0.0, 10, 300)], vx=0, vy=100)  # browser chrome of 100 px above the page
    pm = map_to_page(np.array([1.0]), np.array([1.2]), np.array([50.0]), np.array([150.0]), sc)
    assert (pm.page_x_px[0], pm.page_y_px[0]) == (60.0, 350.0)
    assert (pm.view_x_px[0], pm.view_y_px[0]) == (50.0, 50.0)
    pm = map_to_page(
        np.array([1.0]),
        np.array([1.2]),
        np.array([50.0]),
        np.array([150.0]),
        None,
        viewport_y_px=100,
    )
    assert (pm.page_y_px[0], pm.view_y_px[0], bool(pm.mapped[0])) == (50.0, 50.0, True)


def test_map_before_first_scroll_sample_and_empty() -> None:
    sc = scroll_of([(5.0, 0, 100)])
    pm = map_to_page(np.array([1.0]), np.array([1.2]), np.array([0.0]), np.array([0.0]), sc)
    assert pm.page_y_px[0] == 100.0 and pm.mapped[0]
    pm = map_to_page(np.empty(0), np.empty(0), np.empty(0), np.empty(0), sc)
    assert len(pm.mapped) == 0


def test_unsorted_scroll_stream_raises() -> None:
    sc = scroll_of([(2.0, 0, 0), (1.0, 0, 10)])
    with pytest.raises(InputError, match="non-decreasing"):
        map_to_page(np.array([1.0]), np.array([1.2]), np.array([0.0]), np.array([0.0]), sc)


# ---------------------------------------------------------------------------- session_tables
def protocol() -> Protocol:
    home = Screen(
        "home", "Home", None, 1000, 3000, 1000, 800,
        (
            AOI("header", "Header", "navigation", "rect", (0, 0, 1000, 80), fixed=True),
            AOI("search", "Search", "target", "rect", (300, 20, 400, 40), fixed=True),
            AOI("banner", "Banner", "distractor", "rect", (0, 80, 1000, 400)),
            AOI("content", "Content", "content", "rect", (100, 600, 800, 600)),
        ),
    )  # fmt: skip
    cart = Screen(
        "cart",
        "Cart",
        None,
        1000,
        800,
        1000,
        800,
        (AOI("pay", "Pay", "cta", "ellipse", (500, 500, 100, 40)),),
    )
    form = Screen(
        "form",
        "Form",
        None,
        1000,
        800,
        1000,
        800,
        (AOI("card", "Card", "content", "polygon", (100, 100, 400, 100, 250, 400)),),
    )
    return Protocol(
        "p", "P",
        (
            Stage("discover", "Discover", (Touchpoint("home", "Home", "site", "search", (home,)),)),
            Stage("buy", "Buy", (Touchpoint("checkout", "Checkout", "site", "pay", (cart, form)),)),
        ),
        FrictionThresholds(),
    )  # fmt: skip


MARKERS = Markers(
    np.array([10.0, 13.8, 14.0, 15.0, 15.0, 16.5, 18.0]),
    np.array(
        [
            "touchpoint/home/start", "click/search", "touchpoint/home/end",
            "touchpoint/checkout/start", "screen/cart", "screen/form", "touchpoint/checkout/end",
        ],
        dtype=object,
    ),
)  # fmt: skip
# the page scrolls by 1000 px at 12.0-12.1 s; the checkout pages start at the top
SCROLL = scroll_of([(9.0, 0, 0), (12.0, 0, 500), (12.1, 0, 1000), (15.0, 0, 0), (20.0, 0, 0)])
FIX = fixations(
    [
        # starts before the touchpoint: 200 ms inside -> clipped to 10.0
        (9.9, 10.2, 500, 300),
        (10.3, 10.6, 480, 40),  # header + search (fixed)
        (10.7, 10.9, 500, 700),  # page y 700: content
        (11.0, 11.2, 20, 750),  # page (20, 750): outside every AOI
        (11.95, 12.2, 500, 400),  # during scroll: not mapped
        (12.3, 12.6, 500, 150),  # page y 1150: content
        (12.7, 13.0, 480, 40),  # header + search again (fixed, after scroll)
        (13.97, 14.2, 10, 10),  # 30 ms of 230 in the touchpoint: not counted
        (15.2, 15.6, 500, 500),  # cart: pay
        (15.7, 16.0, 900, 100),  # cart: outside
        (16.6, 17.1, 250, 150),  # form: card
    ]
)


def rows_by(rows: list[dict], **kw: object) -> dict:  # type: ignore[type-arg]
    found = [r for r in rows if all(r[k] == v for k, v in kw.items())]
    assert len(found) == 1, (kw, found)
    return found[0]


def test_session_tables_hand_computed() -> None:
    p = protocol()
    seg = segment_touchpoints(MARKERS, p)
    assert seg.problems == ()
    q = {"home": TouchpointQuality(0.05, 0.2), "checkout": TouchpointQuality(0.5, 0.2)}
    t = session_tables(
        FIX, seg, SCROLL, SCREEN, p, participant="P01", session_id="s1", detector="ivt", quality=q
    )
    m = t.metrics
    # 4 AOIs + outside on home, 1 + 1 + 2 outside on checkout
    assert len(m) == 5 + 4
    search = rows_by(m, touchpoint_id="home", aoi_id="search")
    assert search["ttff_s"] == pytest.approx(0.3)
    assert search["first_fixation_duration_s"] == pytest.approx(0.3)
    assert search["fixations_before_first"] == 1
    assert search["dwell_s"] == pytest.approx(0.6)
    assert (
        search["fixation_count"],
        search["visit_count"],
        search["revisits"],
        search["fixated"],
    ) == (2, 2, 1, True)
    assert search["_revisit_time_s"] == pytest.approx(12.7)
    # the click on the search box at 13.8 s is the action: both visits come before it
    assert search["_action_s"] == 13.8 and search["_revisits_before_action"] == 1
    header = rows_by(m, touchpoint_id="home", aoi_id="header")
    assert header["dwell_s"] == pytest.approx(0.6) and header["aoi_role"] == "navigation"
    banner = rows_by(m, touchpoint_id="home", aoi_id="banner")
    # first fixation clipped to [10.0, 10.2]
    assert banner["ttff_s"] == pytest.approx(0.0) and banner["dwell_s"] == pytest.approx(0.2)
    content = rows_by(m, touchpoint_id="home", aoi_id="content")
    assert content["fixation_count"] == 2 and content["dwell_s"] == pytest.approx(0.5)
    assert content["ttff_s"] == pytest.approx(0.7) and content["fixations_before_first"] == 2
    # the fixation during the scroll is in neither content nor outside; it breaks no rule
    assert content["visit_count"] == 2
    out = rows_by(m, touchpoint_id="home", aoi_id=OUTSIDE_ID)
    assert out["fixation_count"] == 1 and out["dwell_s"] == pytest.approx(0.2)
    assert out["ttff_s"] == pytest.approx(1.0) and out["screen_id"] == "home"
    pay = rows_by(m, touchpoint_id="checkout", aoi_id="pay")
    assert pay["ttff_s"] == pytest.approx(0.2) and pay["dwell_s"] == pytest.approx(0.4)
    card = rows_by(m, touchpoint_id="checkout", aoi_id="card")
    assert card["ttff_s"] == pytest.approx(1.6) and card["fixations_before_first"] == 2
    assert (
        rows_by(m, touchpoint_id="checkout", screen_id="cart", aoi_id=OUTSIDE_ID)["fixation_count"]
        == 1
    )
    form_out = rows_by(m, touchpoint_id="checkout", screen_id="form", aoi_id=OUTSIDE_ID)
    assert (
        form_out["fixation_count"] == 0 and form_out["ttff_s"] is None and not form_out["fixated"]
    )
    assert all(r["participant"] == "P01" and r["detector"] == "ivt" for r in m)

    home = rows_by(t.touchpoints, touchpoint_id="home")
    assert home["time_on_touchpoint_s"] == pytest.approx(4.0)
    assert home["fixation_count"] == 7
    assert home["mean_fixation_duration_ms"] == pytest.approx(
        (0.2 + 0.3 + 0.2 + 0.2 + 0.25 + 0.3 + 0.3) / 7 * 1000
    )
    assert home["clicks"] == 1 and home["quality_ok"] is True and home["data_loss"] == 0.05
    assert home["scanpath_length_deg"] > 0 and home["stage_id"] == "discover"
    co = rows_by(t.touchpoints, touchpoint_id="checkout")
    assert co["quality_ok"] is False and co["clicks"] == 0 and co["fixation_count"] == 3

    f = [r for r in t.fixations if r["touchpoint_id"] == "home"]
    assert [r["aoi_ids"] for r in f] == [
        ["banner"],
        ["header", "search"],
        ["content"],
        [],
        [],
        ["content"],
        ["header", "search"],
    ]
    assert [r["mapped"] for r in f] == [True, True, True, True, False, True, True]
    assert (
        f[5]["page_y_px"] == 1150.0
        and f[0]["t_rel_s"] == 0.0
        and f[0]["duration_s"] == pytest.approx(0.2)
    )
    assert [r["screen_id"] for r in t.fixations if r["touchpoint_id"] == "checkout"] == [
        "cart",
        "cart",
        "form",
    ]


def test_missing_quality_means_not_ok_and_nan_is_none() -> None:
    p = protocol()
    seg = segment_touchpoints(MARKERS, p)
    t = session_tables(FIX, seg, SCROLL, SCREEN, p, participant="P", session_id="s", detector="d")
    assert all(r["quality_ok"] is False and r["data_loss"] is None for r in t.touchpoints)


def test_unknown_screen_period_is_not_mapped() -> None:
    p = protocol()
    visit = TouchpointVisit(
        "checkout", 15.0, 18.0, (ScreenVisit(None, 15.0, 16.5), ScreenVisit("form", 16.5, 18.0))
    )
    t = session_tables(
        FIX,
        Segmentation((visit,), ()),
        None,
        SCREEN,
        p,
        participant="P",
        session_id="s",
        detector="d",
    )
    f = t.fixations
    assert [r["screen_id"] for r in f] == ["", "", "form"]
    assert [r["aoi_ids"] for r in f] == [[], [], ["card"]]
    assert rows_by(t.metrics, aoi_id="pay")["fixated"] is False
    assert rows_by(t.metrics, screen_id="cart", aoi_id=OUTSIDE_ID)["fixation_count"] == 0


# ---------------------------------------------------------------------------- properties
@st.composite
def sessions(draw):  # type: ignore[no-untyped-def]
    n = draw(st.integers(0, 40))
    gaps = draw(st.lists(st.floats(0.0, 0.5), min_size=n, max_size=n))
    durs = draw(st.lists(st.floats(0.05, 0.8), min_size=n, max_size=n))
    xs = draw(st.lists(st.floats(0, 1000), min_size=n, max_size=n))
    ys = draw(st.lists(st.floats(0, 800), min_size=n, max_size=n))
    t = 9.0
    rows = []
    for g, d, x, y in zip(gaps, durs, xs, ys, strict=True):
        t += g
        rows.append((t, t + d, x, y))
        t += d
    scroll_y = draw(st.lists(st.floats(0, 2200), min_size=1, max_size=5))
    sc = scroll_of([(9.0 + 2 * i, 0, s) for i, s in enumerate(scroll_y)])
    return fixations(rows), sc


@settings(max_examples=60, deadline=None)
@given(data=sessions(), perm_seed=st.integers(0, 1000))
def test_properties_dwell_ttff_and_aoi_order(data, perm_seed) -> None:  # type: ignore[no-untyped-def]
    fix, sc = data
    p = protocol()
    seg = segment_touchpoints(MARKERS, p)
    t = session_tables(fix, seg, sc, SCREEN, p, participant="P", session_id="s", detector="d")
    dur = {r["touchpoint_id"]: r["time_on_touchpoint_s"] for r in t.touchpoints}
    for r in t.metrics:
        assert r["dwell_s"] <= dur[r["touchpoint_id"]] + 1e-9
        if r["ttff_s"] is not None:
            assert 0.0 <= r["ttff_s"] <= dur[r["touchpoint_id"]] + 1e-9
            assert r["first_fixation_duration_s"] <= r["dwell_s"] + 1e-12
        assert r["revisits"] == max(r["visit_count"] - 1, 0)
        assert r["fixation_count"] >= r["visit_count"]
    # dwell of all AOIs + outside never exceeds the total fixation time on a screen ... per fixation
    # each mapped fixation is either outside or in >= 1 AOI
    for r in t.fixations:
        if not r["mapped"]:
            assert r["aoi_ids"] == []
    # invariant to AOI order: permute every screen's AOIs
    rng = np.random.default_rng(perm_seed)
    stages = []
    for stg in p.stages:
        tps = []
        for tp in stg.touchpoints:
            screens = []
            for s in tp.screens:
                a = list(s.aois)
                a = [a[i] for i in rng.permutation(len(a))]
                screens.append(
                    Screen(
                        s.id,
                        s.name,
                        None,
                        s.page_width_px,
                        s.page_height_px,
                        s.viewport_width_px,
                        s.viewport_height_px,
                        tuple(a),
                    )
                )
            tps.append(Touchpoint(tp.id, tp.name, tp.channel, tp.task, tuple(screens)))
        stages.append(Stage(stg.id, stg.name, tuple(tps)))
    p2 = Protocol(p.id, p.name, tuple(stages), p.thresholds)
    t2 = session_tables(
        fix,
        segment_touchpoints(MARKERS, p2),
        sc,
        SCREEN,
        p2,
        participant="P",
        session_id="s",
        detector="d",
    )

    def key(rows):  # type: ignore[no-untyped-def]
        return {
            (r["touchpoint_id"], r["screen_id"], r["aoi_id"]): {k: v for k, v in r.items()}
            for r in rows
        }

    assert key(t.metrics) == key(t2.metrics)
    assert [sorted(r["aoi_ids"]) for r in t.fixations] == [
        sorted(r["aoi_ids"]) for r in t2.fixations
    ]


def test_fixation_running_past_the_end_counts_for_its_part_inside() -> None:
    p = protocol()
    visit = TouchpointVisit("home", 10.0, 14.0, (ScreenVisit("home", 10.0, 14.0),))
    # 100 ms of 400 inside (>= 60 ms): counted, clipped; 40 ms of 70 inside (> half): counted
    fix = fixations([(13.5, 13.54, 480, 40), (13.9, 14.3, 480, 40)])
    fix2 = fixations([(13.96, 14.03, 480, 40)])
    t = session_tables(
        fix,
        Segmentation((visit,), ()),
        None,
        SCREEN,
        p,
        participant="P",
        session_id="s",
        detector="d",
    )
    search = rows_by(t.metrics, aoi_id="search")
    assert search["fixation_count"] == 2 and search["dwell_s"] == pytest.approx(0.04 + 0.1)
    t2 = session_tables(
        fix2,
        Segmentation((visit,), ()),
        None,
        SCREEN,
        p,
        participant="P",
        session_id="s",
        detector="d",
    )
    assert rows_by(t2.metrics, aoi_id="search")["dwell_s"] == pytest.approx(0.04)


def test_revisits_before_the_first_click() -> None:
    p = protocol()
    visit = TouchpointVisit(
        "home", 10.0, 14.0, (ScreenVisit("home", 10.0, 14.0),), ((11.0, "search"), (13.0, "x"))
    )
    t = session_tables(
        FIX,
        Segmentation((visit,), ()),
        SCROLL,
        SCREEN,
        p,
        participant="P",
        session_id="s",
        detector="d",
    )
    search = rows_by(t.metrics, aoi_id="search")
    assert search["revisits"] == 1 and search["_revisits_before_action"] == 0
    assert search["_action_s"] == 11.0
    assert rows_by(t.touchpoints, touchpoint_id="home")["clicks"] == 2


def test_findability_is_measured_from_when_the_screen_was_shown() -> None:
    """The checkout touchpoint shows the cart from 15.0 s, then the form from 16.5 s: the card
    AOI of the form could not be seen before 16.5 s, so the friction rules measure its TTFF and
    the fixations before it from then (ttff_s in metrics.csv stays from the touchpoint start)."""
    p = protocol()
    t = session_tables(
        FIX, segment_touchpoints(MARKERS, p), SCROLL, SCREEN, p,
        participant="P01", session_id="s1", detector="ivt",
    )  # fmt: skip
    card = rows_by(t.metrics, touchpoint_id="checkout", aoi_id="card")
    assert card["ttff_s"] == pytest.approx(1.6) and card["fixations_before_first"] == 2
    assert card["_screen_shown_s"] == pytest.approx(1.5)
    assert card["_ttff_screen_s"] == pytest.approx(0.1)
    # the 2 fixations before it were on the cart screen
    assert card["_fixations_before_first_screen"] == 0
    pay = rows_by(t.metrics, touchpoint_id="checkout", aoi_id="pay")
    assert pay["_screen_shown_s"] == 0.0 and pay["_ttff_screen_s"] == pytest.approx(0.2)
    assert pay["_fixations_before_first_screen"] == 0
    # a screen never fixated in: no value
    form_out = rows_by(t.metrics, touchpoint_id="checkout", screen_id="form", aoi_id=OUTSIDE_ID)
    assert form_out["_ttff_screen_s"] is None and form_out["_fixations_before_first_screen"] is None
