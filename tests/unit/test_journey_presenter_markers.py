"""Segmentation of the markers ``gazemap present`` sends besides touchpoint/screen/click.

``task/<n>/start|end`` and ``aoi-boxes <json>`` are expected and not problems;
``screen/unknown <url>`` is a note and an unmapped stretch of the open touchpoint;
``error/<kind> ...`` is a problem (the presenter found one), never swallowed.
"""

from __future__ import annotations

import numpy as np
import pytest

from gazemap.journey import ScreenVisit, segment_touchpoints, session_tables
from gazemap.protocol import AOI, FrictionThresholds, Protocol, Screen, Stage, Touchpoint
from gazemap.types import Fixations, Markers, ScreenGeometry


def make_protocol(unknown_screen_id: bool = False) -> Protocol:
    def sc(i: str, aois: tuple[AOI, ...] = ()) -> Screen:
        return Screen(i, i, None, 1000, 3000, 1000, 800, aois)

    box = (AOI("box", "Box", "target", "rect", (0, 0, 500, 500)),)
    home = Touchpoint("home", "Home", "site", "find", (sc("home", box),))
    extra = (sc("unknown"),) if unknown_screen_id else ()
    cart = Touchpoint("cart", "Cart", "site", "pay", (sc("cart", box), *extra))
    return Protocol(
        "p", "P", (Stage("s1", "S1", (home,)), Stage("s2", "S2", (cart,))), FrictionThresholds()
    )


P = make_protocol()


def seg(pairs: list[tuple[float, str]], protocol: Protocol = P):  # type: ignore[no-untyped-def]
    t = np.array([p[0] for p in pairs], dtype=float)
    v = np.array([p[1] for p in pairs], dtype=object)
    return segment_touchpoints(Markers(t, v), protocol)


#: what the presenter sends for a clean two-touchpoint walk (docs/presenter.md)
CLEAN = [
    (0.9, "screen/home"),
    (
        0.95,
        'aoi-boxes {"screen":"home","aois":{"box":{"x_px":0,"y_px":0,"width_px":9,"height_px":9}}}',
    ),
    (1.0, "task/1/start"),
    (1.0, "touchpoint/home/start"),
    (1.5, "click/box 10.0 20.0"),
    (2.0, "touchpoint/home/end"),
    (2.0, "task/1/end"),
    (2.0, "screen/cart"),
    (2.1, "task/2/start"),
    (2.1, "touchpoint/cart/start"),
    (3.0, "touchpoint/cart/end"),
    (3.0, "task/2/end"),
]


def test_presenter_session_has_no_problems_and_no_notes() -> None:
    s = seg(CLEAN)
    assert s.problems == ()
    assert s.notes == ()
    assert [(v.touchpoint_id, v.start_s, v.end_s) for v in s.visits] == [
        ("home", 1.0, 2.0),
        ("cart", 2.1, 3.0),
    ]
    assert s.visits[0].clicks == ((1.5, "box"),)


def test_unknown_page_inside_a_touchpoint_is_a_note_and_an_unmapped_stretch() -> None:
    s = seg(
        [
            *CLEAN[:10],
            (2.5, "screen/unknown http://127.0.0.1:8000/track.html"),
            (2.7, "screen/cart"),
            *CLEAN[10:],
        ]
    )
    assert s.problems == ()
    assert len(s.notes) == 1
    assert "http://127.0.0.1:8000/track.html" in s.notes[0] and "'cart'" in s.notes[0]
    assert s.visits[1].screens == (
        ScreenVisit("cart", 2.1, 2.5),
        ScreenVisit(None, 2.5, 2.7, "http://127.0.0.1:8000/track.html"),
        ScreenVisit("cart", 2.7, 3.0),
    )


def test_fixations_on_an_unknown_page_are_not_mapped_to_aois() -> None:
    s = seg(
        [
            *CLEAN[:10],
            (2.5, "screen/unknown http://x/track.html"),
            (2.7, "screen/cart"),
            *CLEAN[10:],
        ]
    )
    # one fixation on the cart page, one on the unknown page, both inside the AOI's box
    fx = Fixations(
        start_s=np.array([2.2, 2.55]),
        end_s=np.array([2.4, 2.65]),
        x_px=np.array([100.0, 100.0]),
        y_px=np.array([100.0, 100.0]),
        x_deg=np.zeros(2),
        y_deg=np.zeros(2),
        dispersion_deg=np.zeros(2),
    )
    screen = ScreenGeometry(1000, 800, 400.0, 300.0, 650.0)
    tables = session_tables(fx, s, None, screen, P, participant="P1", session_id="s", detector="d")
    rows = [r for r in tables.fixations if r["touchpoint_id"] == "cart"]
    assert [(r["screen_id"], r["aoi_ids"]) for r in rows] == [("cart", ["box"]), ("", [])]


def test_unknown_page_outside_a_touchpoint_is_a_note() -> None:
    s = seg([(0.5, "screen/unknown http://x/elsewhere"), *CLEAN])
    assert s.problems == ()
    assert s.notes == (
        "page http://x/elsewhere at t=0.500 s matches no protocol screen (outside a touchpoint)",
    )


def test_a_screen_with_id_unknown_still_works() -> None:
    p = make_protocol(unknown_screen_id=True)
    s = seg([*CLEAN[:10], (2.5, "screen/unknown"), *CLEAN[10:]], p)
    assert s.problems == () and s.notes == ()
    assert [sv.screen_id for sv in s.visits[1].screens] == ["cart", "unknown"]


def test_presenter_errors_are_problems() -> None:
    msg = "error/selector AOI 'box' of screen 'cart': selector '#nope' matched no element"
    s = seg([*CLEAN, (3.5, msg)])
    assert s.problems == (f"the presenter reported a problem at t=3.500 s: {msg}",)


@pytest.mark.parametrize("bad", ["task/9/start", "task/x/start", "task/1/begin", "task/1"])
def test_malformed_task_markers_are_reported(bad: str) -> None:
    s = seg([*CLEAN, (3.5, bad)])
    assert len(s.problems) == 1
    assert s.problems[0].startswith(f"malformed marker {bad!r} at t=3.500 s")
    assert "n = 1..2" in s.problems[0]


@pytest.mark.parametrize("target", ["#promo", "div.card.wide", "p", "document", "main"])
def test_clicks_on_page_elements_outside_every_aoi_are_not_problems(target: str) -> None:
    s = seg([*CLEAN[:4], (1.2, f"click/{target} 12.0 34.0"), *CLEAN[4:]])
    assert s.problems == ()
    assert s.visits[0].clicks == ((1.2, target), (1.5, "box"))


@pytest.mark.parametrize("target", ["banner", "#main .buy"])
def test_clicks_naming_no_aoi_and_no_element_are_still_reported(target: str) -> None:
    s = seg([*CLEAN[:4], (1.2, f"click/{target} 12.0 34.0"), *CLEAN[4:]])
    assert s.problems == (
        f"click on {target!r} at t=1.200 s names no AOI of touchpoint 'home'; counted as a click",
    )
