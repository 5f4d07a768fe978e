"""Revisits before the action on a touchpoint of two screens (address form, then payment).

The action of the revisits rule for an AOI is the participant's first click after the AOI's
screen was first shown: the click that leaves the first screen (Continue) cannot end the
search on the second, whose Pay button is only shown after it. All times are multiples of
0.25 s (exact in binary floating point).
"""

from __future__ import annotations

import numpy as np

from gazemap.journey import friction_evidence, segment_touchpoints, session_tables
from gazemap.protocol import AOI, FrictionThresholds, Protocol, Screen, Stage, Touchpoint
from gazemap.types import Fixations, Markers, ScreenGeometry

SCREEN = ScreenGeometry(1000, 800, 400.0, 320.0, 600.0)
ADDRESS = Screen(
    "address", "Address", None, 1000, 800, 1000, 800,
    (AOI("next", "Continue", "cta", "rect", (0, 0, 100, 100)),),
)  # fmt: skip
PAYMENT = Screen(
    "payment", "Payment", None, 1000, 800, 1000, 800,
    (AOI("pay", "Pay", "cta", "rect", (0, 0, 100, 100)),),
)  # fmt: skip
PROTO = Protocol(
    "p", "P",
    (Stage("buy", "Buy", (Touchpoint("checkout", "Checkout", "site", "pay", (ADDRESS, PAYMENT)),)),),
    FrictionThresholds(),
)  # fmt: skip

PAIRS = [
    (10.0, "touchpoint/checkout/start"),
    (10.0, "screen/address"),
    (12.0, "click/next"),
    (12.5, "screen/payment"),
    (16.0, "click/pay"),
    (16.5, "touchpoint/checkout/end"),
]
ON, OFF = (50.0, 50.0), (500.0, 500.0)
FIX = [
    (10.25, 10.5, *ON),  # address: Continue
    (10.5, 11.0, *OFF),
    (11.25, 11.75, *ON),  # address: Continue again (1 revisit before its click at 12 s)
    (12.75, 13.0, *ON),  # payment: Pay, visit 1
    (13.0, 13.25, *OFF),
    (13.25, 13.5, *ON),  # visit 2
    (13.5, 13.75, *OFF),
    (13.75, 14.0, *ON),  # visit 3
    (14.0, 14.25, *OFF),
    (14.25, 14.5, *ON),  # visit 4: 3 returns to Pay before clicking it at 16 s
    (14.5, 15.5, *OFF),
    (16.0, 16.25, *ON),  # after the click: checking what happened, not counted
]


def _tables() -> list[dict]:  # type: ignore[type-arg]
    markers = Markers(
        np.array([t for t, _ in PAIRS]), np.array([v for _, v in PAIRS], dtype=object)
    )
    a = np.array(FIX, dtype=float)
    z = np.zeros(len(a))
    fixations = Fixations(a[:, 0], a[:, 1], a[:, 2], a[:, 3], z, z, z)
    seg = segment_touchpoints(markers, PROTO)
    assert seg.problems == ()
    t = session_tables(
        fixations, seg, None, SCREEN, PROTO, participant="P1", session_id="s1", detector="ivt"
    )
    return t.metrics, t.touchpoints


def test_revisits_on_the_second_screen_count_until_its_own_click() -> None:
    metrics, _ = _tables()
    pay = next(r for r in metrics if r["aoi_id"] == "pay")
    assert (pay["visit_count"], pay["revisits"]) == (5, 4)
    # before the fix the action was click/next at 12 s, before Pay could be seen: always 0
    assert pay["_action_s"] == 16.0
    assert pay["_revisits_before_action"] == 3
    nxt = next(r for r in metrics if r["aoi_id"] == "next")
    assert nxt["_action_s"] == 12.0 and nxt["_revisits_before_action"] == 1


def test_revisits_rule_fires_for_the_second_screens_cta() -> None:
    metrics, touchpoints = _tables()
    for r in touchpoints:
        r["quality_ok"] = True
    recs = [r for r in friction_evidence(metrics, touchpoints, PROTO) if r["rule_id"] == "revisits"]
    assert [(r["aoi_id"], r["screen_id"], r["value"]) for r in recs] == [("pay", "payment", 3.0)]
    assert recs[0]["examples"][0]["note"].startswith("returned 3 times before acting (>= 3)")


def test_findability_records_say_where_their_value_counts_from() -> None:
    import dataclasses

    metrics, touchpoints = _tables()
    for r in touchpoints:
        r["quality_ok"] = True
    # every CTA is "late" at 0.1 s: Continue (first screen) 0.25 s after the touchpoint
    # start, Pay 0.25 s after its screen was shown (2.75 s after the touchpoint start)
    proto = dataclasses.replace(PROTO, thresholds=FrictionThresholds(ttff_late_s=0.1))
    recs = friction_evidence(metrics, touchpoints, proto)
    late = {r["aoi_id"]: r for r in recs if r["rule_id"] == "target-late"}
    assert late["pay"]["value"] == 0.25 and late["pay"]["counted_from"] == "screen shown"
    assert late["next"]["value"] == 0.25 and late["next"]["counted_from"] == "touchpoint start"
    pay = next(r for r in metrics if r["aoi_id"] == "pay")
    assert pay["ttff_s"] == 2.75  # metrics.csv counts from the touchpoint start
    assert all(r["counted_from"] is None for r in recs if r["rule_id"] == "revisits")
