"""Returns to a touchpoint (product -> cart -> product -> cart): every visit counts.

All times are multiples of 0.25 s (exact in binary floating point), so the hand-computed
numbers are compared exactly.
"""

from __future__ import annotations

import numpy as np
import pytest

from gazemap.aoi import OUTSIDE_ID
from gazemap.geometry import angle_between_deg
from gazemap.journey import ScreenVisit, TouchpointQuality, segment_touchpoints, session_tables
from gazemap.protocol import AOI, FrictionThresholds, Protocol, Screen, Stage, Touchpoint
from gazemap.types import Fixations, Markers, ScreenGeometry

SCREEN = ScreenGeometry(1000, 800, 400.0, 320.0, 600.0)


def make_protocol() -> Protocol:
    product = Screen(
        "product", "Product", None, 1000, 800, 1000, 800,
        (
            AOI("buy", "Buy", "cta", "rect", (0, 0, 100, 100)),
            AOI("img", "Image", "content", "rect", (200, 0, 100, 100)),
            AOI("reviews", "Reviews", "content", "rect", (0, 200, 100, 100)),
        ),
    )  # fmt: skip
    cart = Screen(
        "cart", "Cart", None, 1000, 800, 1000, 800,
        (AOI("pay", "Pay", "cta", "rect", (0, 0, 100, 100)),),
    )  # fmt: skip
    return Protocol(
        "p", "P",
        (
            Stage("consider", "Consider", (Touchpoint("product", "Product", "site", "look", (product,)),)),
            Stage("buy", "Buy", (Touchpoint("cart", "Cart", "site", "pay", (cart,)),)),
        ),
        FrictionThresholds(),
    )  # fmt: skip


P = make_protocol()


def markers(pairs: list[tuple[float, str]]) -> Markers:
    return Markers(
        np.array([p[0] for p in pairs], dtype=float), np.array([p[1] for p in pairs], dtype=object)
    )


# product [10, 12) -> cart [12, 14) -> product again [14, 15) -> cart again [15, 16)
RETURN_MARKERS = markers(
    [
        (10.0, "touchpoint/product/start"),
        (12.0, "touchpoint/product/end"),
        (12.0, "touchpoint/cart/start"),
        (14.0, "touchpoint/cart/end"),
        (14.0, "touchpoint/product/start"),
        (14.5, "click/buy"),
        (15.0, "touchpoint/product/end"),
        (15.0, "touchpoint/cart/start"),
        (16.0, "touchpoint/cart/end"),
    ]
)
FIX_ROWS = [
    (10.25, 10.5, 250.0, 50.0),  # product: img
    (10.5, 11.0, 50.0, 50.0),  # product: buy
    (11.5, 12.0, 50.0, 50.0),  # product: buy (same AOI visit)
    (12.25, 12.5, 50.0, 50.0),  # cart: pay
    (13.5, 14.0, 500.0, 500.0),  # cart: outside
    (14.0, 14.25, 50.0, 50.0),  # product again: buy (a new AOI visit: the page was left)
    (14.25, 14.5, 50.0, 250.0),  # product again: reviews, first fixated in the 2nd visit
    (14.5, 15.0, 250.0, 50.0),  # product again: img
    (15.25, 15.75, 50.0, 50.0),  # cart again: pay
]


def fixations(rows: list[tuple[float, float, float, float]]) -> Fixations:
    a = np.array(rows, dtype=float)
    z = np.zeros(len(a))
    return Fixations(a[:, 0], a[:, 1], a[:, 2], a[:, 3], z, z, z)


def row(rows: list[dict], **kw: object) -> dict:  # type: ignore[type-arg]
    found = [r for r in rows if all(r[k] == v for k, v in kw.items())]
    assert len(found) == 1, (kw, found)
    return found[0]


def test_a_return_is_a_note_and_every_visit_is_kept() -> None:
    s = segment_touchpoints(RETURN_MARKERS, P)
    assert s.problems == ()
    assert [(v.touchpoint_id, v.start_s, v.end_s) for v in s.visits] == [
        ("product", 10.0, 12.0),
        ("cart", 12.0, 14.0),
        ("product", 14.0, 15.0),
        ("cart", 15.0, 16.0),
    ]
    assert s.visits[2].screens == (ScreenVisit("product", 14.0, 15.0),)
    assert s.visits[0].clicks == () and s.visits[2].clicks == ((14.5, "buy"),)
    assert s.notes == (
        "touchpoint 'product' visited again: visit 2 t=14.000 s-15.000 s (earlier: "
        "10.000-12.000 s); its metrics use all visits",
        "touchpoint 'cart' visited again: visit 2 t=15.000 s-16.000 s (earlier: "
        "12.000-14.000 s); its metrics use all visits",
    )


def test_third_visit_note_lists_every_earlier_visit() -> None:
    s = segment_touchpoints(
        markers(
            [
                (1.0, "touchpoint/product/start"),
                (2.0, "touchpoint/product/end"),
                (3.0, "touchpoint/product/start"),
                (4.0, "touchpoint/product/end"),
                (5.0, "touchpoint/product/start"),
                (6.0, "touchpoint/product/end"),
                (7.0, "touchpoint/cart/start"),
                (8.0, "touchpoint/cart/end"),
            ]
        ),
        P,
    )
    assert s.problems == ()
    assert [v.start_s for v in s.visits if v.touchpoint_id == "product"] == [1.0, 3.0, 5.0]
    assert s.notes[-1] == (
        "touchpoint 'product' visited again: visit 3 t=5.000 s-6.000 s (earlier: "
        "1.000-2.000 s, 3.000-4.000 s); its metrics use all visits"
    )


@pytest.mark.parametrize(
    ("pairs", "problem", "kept"),
    [
        # a return that never ends: a problem; the first visit stays, no return note
        (
            [
                (1.0, "touchpoint/product/start"),
                (2.0, "touchpoint/product/end"),
                (3.0, "touchpoint/product/start"),
            ],
            "touchpoint 'product' started at t=3.000 s but never ended",
            [("product", 1.0, 2.0)],
        ),
        # going back while the cart is still open (no cart end): overlap, still a problem
        (
            [
                (1.0, "touchpoint/product/start"),
                (2.0, "touchpoint/product/end"),
                (2.0, "touchpoint/cart/start"),
                (3.0, "touchpoint/product/start"),
                (4.0, "touchpoint/cart/end"),
            ],
            "'product' started at t=3.000 s while 'cart'",
            [("product", 1.0, 2.0), ("cart", 2.0, 4.0)],
        ),
        # the same start twice at the same time
        (
            [
                (1.0, "touchpoint/product/start"),
                (1.0, "touchpoint/product/start"),
                (2.0, "touchpoint/product/end"),
            ],
            "duplicate start of touchpoint 'product' at t=1.000 s",
            [("product", 1.0, 2.0)],
        ),
        # the same end twice at the same time
        (
            [
                (1.0, "touchpoint/product/start"),
                (2.0, "touchpoint/product/end"),
                (2.0, "touchpoint/product/end"),
            ],
            "end of touchpoint 'product' at t=2.000 s without a matching start",
            [("product", 1.0, 2.0)],
        ),
    ],
)
def test_broken_returns_stay_problems(pairs, problem, kept) -> None:  # type: ignore[no-untyped-def]
    s = segment_touchpoints(markers(pairs), P)
    assert any(problem in p for p in s.problems), s.problems
    assert [(v.touchpoint_id, v.start_s, v.end_s) for v in s.visits] == kept
    assert not any("visited again" in n for n in s.notes)


def tables():  # type: ignore[no-untyped-def]
    seg = segment_touchpoints(RETURN_MARKERS, P)
    q = {"product": TouchpointQuality(0.1, 0.3), "cart": TouchpointQuality(0.1, 0.3)}
    return session_tables(
        fixations(FIX_ROWS), seg, None, SCREEN, P, participant="P1", session_id="s1",
        detector="ivt", quality=q,
    )  # fmt: skip


def test_aoi_metrics_over_all_visits_in_touchpoint_time() -> None:
    m = tables().metrics
    # one set of rows per touchpoint: 3 AOIs + outside, 1 AOI + outside
    assert len(m) == 4 + 2
    buy = row(m, touchpoint_id="product", aoi_id="buy")
    # fixations 10.5-11.0, 11.5-12.0 (visit 1) and 14.0-14.25 (visit 2)
    assert buy["ttff_s"] == 0.5 and buy["first_fixation_duration_s"] == 0.5
    assert buy["fixations_before_first"] == 1
    assert buy["dwell_s"] == 0.5 + 0.5 + 0.25 and buy["fixation_count"] == 3
    # the run 11.5-12.0 | 14.0-14.25 is broken by leaving the touchpoint: 2 AOI visits
    assert (buy["visit_count"], buy["revisits"]) == (2, 1)
    assert buy["_revisit_time_s"] == 14.0
    # the first click (14.5 s, in the 2nd visit) is the action: both AOI visits come before it
    assert buy["_action_s"] == 14.5 and buy["_revisits_before_action"] == 1
    reviews = row(m, touchpoint_id="product", aoi_id="reviews")
    # first fixated at 14.25 s = 0.25 s into the 2nd visit, after the 2 s first visit:
    # 2.25 s of touchpoint time (not 4.25 s since the first start: the cart time is left out)
    assert reviews["ttff_s"] == 2.25 and reviews["fixations_before_first"] == 4
    assert reviews["_first_time_s"] == 14.25 and reviews["_touchpoint_start_s"] == 10.0
    img = row(m, touchpoint_id="product", aoi_id="img")
    assert img["ttff_s"] == 0.25 and img["dwell_s"] == 0.25 + 0.5
    assert (img["fixation_count"], img["visit_count"], img["revisits"]) == (2, 2, 1)
    out = row(m, touchpoint_id="product", aoi_id=OUTSIDE_ID)
    assert out["fixation_count"] == 0 and out["ttff_s"] is None
    pay = row(m, touchpoint_id="cart", aoi_id="pay")
    # 12.25-12.5 (visit 1), 15.25-15.75 (visit 2)
    assert pay["ttff_s"] == 0.25 and pay["dwell_s"] == 0.25 + 0.5
    assert (pay["fixation_count"], pay["visit_count"], pay["revisits"]) == (2, 2, 1)
    cart_out = row(m, touchpoint_id="cart", aoi_id=OUTSIDE_ID)
    assert cart_out["ttff_s"] == 1.5 and cart_out["dwell_s"] == 0.5


def test_touchpoint_rows_sum_the_visits() -> None:
    t = tables()
    assert len(t.touchpoints) == 2
    prod = row(t.touchpoints, touchpoint_id="product")
    assert (prod["start_s"], prod["end_s"], prod["visits"]) == (10.0, 15.0, 2)
    assert prod["time_on_touchpoint_s"] == 2.0 + 1.0
    assert prod["fixation_count"] == 6 and prod["clicks"] == 1
    # (0.25 + 0.5 + 0.5 + 0.25 + 0.25 + 0.5) / 6 s
    assert prod["mean_fixation_duration_ms"] == 375.0
    # the scanpath of each visit, summed: the jump from the last fixation of visit 1 to the
    # first of visit 2 is not part of it (here both are at (50, 50), so take visit 1's
    # (250,50)->(50,50)->(50,50) and visit 2's (50,50)->(50,250)->(250,50))
    xs1, ys1 = np.array([250.0, 50.0, 50.0]), np.array([50.0, 50.0, 50.0])
    xs2, ys2 = np.array([50.0, 50.0, 250.0]), np.array([50.0, 250.0, 50.0])
    expected = float(
        np.sum(angle_between_deg(xs1[:-1], ys1[:-1], xs1[1:], ys1[1:], SCREEN))
        + np.sum(angle_between_deg(xs2[:-1], ys2[:-1], xs2[1:], ys2[1:], SCREEN))
    )
    assert prod["scanpath_length_deg"] == pytest.approx(expected, rel=1e-12)
    cart = row(t.touchpoints, touchpoint_id="cart")
    assert (cart["start_s"], cart["end_s"], cart["visits"]) == (12.0, 16.0, 2)
    assert cart["time_on_touchpoint_s"] == 3.0 and cart["fixation_count"] == 3
    assert cart["clicks"] == 0


def test_fixation_rows_in_touchpoint_time() -> None:
    f = [r for r in tables().fixations if r["touchpoint_id"] == "product"]
    assert [r["start_s"] for r in f] == [10.25, 10.5, 11.5, 14.0, 14.25, 14.5]
    assert [r["t_rel_s"] for r in f] == [0.25, 0.5, 1.5, 2.0, 2.25, 2.5]
    assert [r["index"] for r in f] == [0, 1, 2, 3, 4, 5]
    assert [r["aoi_ids"] for r in f] == [["img"], ["buy"], ["buy"], ["buy"], ["reviews"], ["img"]]


def test_single_visit_row_has_one_visit() -> None:
    seg = segment_touchpoints(
        markers([(10.0, "touchpoint/product/start"), (12.0, "touchpoint/product/end")]), P
    )
    t = session_tables(
        fixations(FIX_ROWS[:3]), seg, None, SCREEN, P, participant="P1", session_id="s1",
        detector="ivt",
    )  # fmt: skip
    prod = row(t.touchpoints, touchpoint_id="product")
    assert (prod["visits"], prod["time_on_touchpoint_s"], prod["fixation_count"]) == (1, 2.0, 3)
    assert row(t.metrics, touchpoint_id="product", aoi_id="buy")["visit_count"] == 1
