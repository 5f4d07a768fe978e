"""Touchpoint segmentation from markers: the clean case and every marker problem."""

from __future__ import annotations

import numpy as np
import pytest

from gazemap.journey import ScreenVisit, segment_touchpoints
from gazemap.protocol import AOI, FrictionThresholds, Protocol, Screen, Stage, Touchpoint
from gazemap.types import Markers


def make_protocol() -> Protocol:
    def sc(i: str, aois: tuple[AOI, ...] = ()) -> Screen:
        return Screen(i, i, None, 1000, 3000, 1000, 800, aois)

    home = Touchpoint(
        "home",
        "Home",
        "site",
        "find search",
        (sc("home", (AOI("search", "Search", "target", "rect", (0, 0, 10, 10)),)),),
    )
    checkout = Touchpoint("checkout", "Checkout", "site", "pay", (sc("cart"), sc("form")))
    mail = Touchpoint("mail", "Mail", "e-mail", "read", (sc("mail"),))
    return Protocol(
        "p",
        "P",
        (Stage("s1", "S1", (home,)), Stage("s2", "S2", (checkout, mail))),
        FrictionThresholds(),
    )


P = make_protocol()


def seg(pairs: list[tuple[float, str]]):  # type: ignore[no-untyped-def]
    t = np.array([p[0] for p in pairs], dtype=float)
    v = np.array([p[1] for p in pairs], dtype=object)
    return segment_touchpoints(Markers(t, v), P)


def test_clean_session() -> None:
    s = seg(
        [
            (1.0, "touchpoint/home/start"),
            (2.0, "click/search"),
            (3.0, "touchpoint/home/end"),
            (3.5, "some free text"),
            (4.0, "screen/cart"),
            (4.0, "touchpoint/checkout/start"),
            (5.0, "screen/form"),
            (6.0, "touchpoint/checkout/end"),
            (7.0, "touchpoint/mail/start"),
            (8.0, "touchpoint/mail/end"),
        ]
    )
    assert s.problems == ()
    assert [v.touchpoint_id for v in s.visits] == ["home", "checkout", "mail"]
    home, co, mail = s.visits
    assert (home.start_s, home.end_s, home.duration_s) == (1.0, 3.0, 2.0)
    assert home.screens == (ScreenVisit("home", 1.0, 3.0),)
    assert home.clicks == ((2.0, "search"),)
    assert co.screens == (ScreenVisit("cart", 4.0, 5.0), ScreenVisit("form", 5.0, 6.0))
    assert mail.screens == (ScreenVisit("mail", 7.0, 8.0),)


@pytest.mark.parametrize(
    ("markers", "problem", "visits"),
    [
        ([(1, "touchpoint/home/start")], "'home' started at t=1.000 s but never ended", []),
        (
            [(1, "touchpoint/home/end")],
            "end of touchpoint 'home' at t=1.000 s without a matching start",
            [],
        ),
        (
            [
                (1, "touchpoint/home/start"),
                (2, "touchpoint/home/start"),
                (3, "touchpoint/home/end"),
            ],
            "duplicate start of touchpoint 'home' at t=2.000 s",
            [("home", 1, 3)],
        ),
        (
            [
                (1, "touchpoint/home/start"),
                (2, "touchpoint/mail/start"),
                (3, "touchpoint/home/end"),
                (4, "touchpoint/mail/end"),
            ],
            "'mail' started at t=2.000 s while 'home'",
            [("home", 1, 3)],
        ),
        (
            [
                (1, "touchpoint/home/start"),
                (2, "touchpoint/home/end"),
                (2, "touchpoint/home/end"),
            ],
            "end of touchpoint 'home' at t=2.000 s without a matching start",
            [("home", 1, 2)],
        ),
        ([(1, "touchpoint/nope/start")], "unknown touchpoint 'nope'", []),
        ([(1, "touchpoint/home/begin")], "malformed marker 'touchpoint/home/begin'", []),
        ([(1, "touchpoint//start")], "malformed marker", []),
        ([(1, "screen/")], "malformed marker 'screen/'", []),
        (
            [(1, "touchpoint/home/start"), (1.5, "screen/zzz"), (2, "touchpoint/home/end")],
            "unknown screen 'zzz'",
            [("home", 1, 2)],
        ),
        (
            [(1, "touchpoint/home/start"), (1.5, "screen/cart"), (2, "touchpoint/home/end")],
            "screen 'cart' at t=1.500 s belongs to touchpoint 'checkout', not to the open touchpoint 'home'",
            [("home", 1, 2)],
        ),
        (
            [(2, "touchpoint/home/end"), (1, "touchpoint/home/start")],
            "markers are not in time order",
            [("home", 1, 2)],
        ),
        ([(1, "click/search")], "click 'search' at t=1.000 s outside any touchpoint", []),
        (
            [(1, "touchpoint/home/start"), (1.5, "click/banner"), (2, "touchpoint/home/end")],
            "click on 'banner' at t=1.500 s names no AOI of touchpoint 'home'; counted",
            [("home", 1, 2)],
        ),
        (
            [(1, "touchpoint/home/start"), (1, "touchpoint/home/end")],
            "zero duration",
            [],
        ),
        (
            [(4, "touchpoint/checkout/start"), (5, "screen/form"), (6, "touchpoint/checkout/end")],
            "touchpoint 'checkout' has several screens but no screen/<id> marker for t=4.000 s-5.000 s",
            [("checkout", 4, 6)],
        ),
    ],
)
def test_marker_problems_are_reported(markers, problem, visits) -> None:  # type: ignore[no-untyped-def]
    s = seg([(float(t), v) for t, v in markers])
    assert any(problem in p for p in s.problems), s.problems
    assert [(v.touchpoint_id, v.start_s, v.end_s) for v in s.visits] == [
        (i, float(a), float(b)) for i, a, b in visits
    ]


def test_unvisited_touchpoints_are_reported_and_clicks_counted_even_for_unknown_aois() -> None:
    s = seg([(1, "touchpoint/home/start"), (1.5, "click/banner"), (2, "touchpoint/home/end")])
    assert "no visit of touchpoint 'checkout' in this session" in s.problems
    assert "no visit of touchpoint 'mail' in this session" in s.problems
    assert s.visits[0].clicks == ((1.5, "banner"),)


def test_multi_screen_touchpoint_without_screen_marker_keeps_an_unknown_screen() -> None:
    s = seg([(4, "touchpoint/checkout/start"), (5, "screen/form"), (6, "touchpoint/checkout/end")])
    assert s.visits[0].screens == (ScreenVisit(None, 4.0, 5.0), ScreenVisit("form", 5.0, 6.0))


def test_empty_markers() -> None:
    s = segment_touchpoints(Markers(np.empty(0), np.empty(0, dtype=object)), P)
    assert s.visits == ()
    assert len(s.problems) == 3  # one "no visit" per touchpoint


@pytest.mark.parametrize(
    ("marker", "target"),
    [
        ("click/search 700.0 36.0", "search"),  # the presenter appends page px
        ("click/search", "search"),
        ("click/#main .buy 12 40", "#main .buy"),  # a selector with a space
        ("click/free text here", "free text here"),  # no trailing numbers: all of it
    ],
)
def test_click_target_drops_the_page_position(marker: str, target: str) -> None:
    s = seg([(1, "touchpoint/home/start"), (1.5, marker), (2, "touchpoint/home/end")])
    assert s.visits[0].clicks == ((1.5, target),)
