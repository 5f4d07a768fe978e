"""The distractor rule on a touchpoint of two screens compares a distractor with the targets it
competes with: those of its own screen, which are in view with it.

Two-step checkout: address form (CTA Continue), then payment (CTA Pay, an insurance upsell).
The upsell was compared with Pay *and* Continue, a button of a screen that is no longer shown:
1 of 6 participants of a real study was affected, 4 of 6 against Pay alone.
"""

from __future__ import annotations

from typing import Any

from gazemap.journey import friction_evidence
from gazemap.protocol import AOI, FrictionThresholds, Protocol, Screen, Stage, Touchpoint

ADDRESS = Screen(
    "address", "Address", None, 1000, 800, 1000, 800,
    (AOI("next", "Continue", "cta", "rect", (0, 0, 100, 100)),),
)  # fmt: skip
PAYMENT = Screen(
    "payment", "Payment", None, 1000, 800, 1000, 800,
    (
        AOI("pay", "Pay", "cta", "rect", (0, 0, 100, 100)),
        AOI("upsell", "Upsell", "distractor", "rect", (0, 200, 100, 100)),
    ),
)  # fmt: skip
NOTES = Screen(
    "notes", "Notes", None, 1000, 800, 1000, 800,
    (AOI("ad", "Ad", "distractor", "rect", (0, 200, 100, 100)),),
)  # fmt: skip
PROTO = Protocol(
    "p", "P",
    (Stage("buy", "Buy", (
        Touchpoint("checkout", "Checkout", "site", "pay", (ADDRESS, PAYMENT, NOTES)),)),),
    FrictionThresholds(),
)  # fmt: skip
PARTICIPANTS = ["P1", "P2", "P3"]


def _m(p: str, screen: str, aoi: str, role: str, dwell_s: float) -> dict[str, Any]:
    return {
        "participant": p, "touchpoint_id": "checkout", "screen_id": screen, "aoi_id": aoi,
        "aoi_role": role, "ttff_s": 1.0, "fixations_before_first": 1, "dwell_s": dwell_s,
        "fixation_count": 2, "visit_count": 1, "revisits": 0, "fixated": dwell_s > 0,
        "_touchpoint_start_s": 100.0, "_first_time_s": 101.0, "_longest_time_s": 101.0,
        "_revisit_time_s": None, "_revisits_before_action": 0,
        "_mean_fixation_duration_ms": 250.0, "_ttff_screen_s": 1.0,
        "_fixations_before_first_screen": 1,
    }  # fmt: skip


def _records() -> list[dict[str, Any]]:
    metrics = []
    for p in PARTICIPANTS:
        upsell = {"P1": 1.2, "P2": 0.5, "P3": 0.2}[p]
        metrics += [
            _m(p, "address", "next", "cta", 2.0),  # long on Continue (the address step)
            _m(p, "payment", "pay", "cta", 1.0),
            _m(p, "payment", "upsell", "distractor", upsell),
            _m(p, "notes", "ad", "distractor", 0.5),
        ]
    touchpoints = [
        {"participant": p, "touchpoint_id": "checkout", "start_s": 100.0, "end_s": 130.0,
         "time_on_touchpoint_s": 30.0, "fixation_count": 40, "quality_ok": True,
         "data_loss": 0.01, "clicks": 2, "_fixation_dwell_s": 10.0}
        for p in PARTICIPANTS
    ]  # fmt: skip
    return [
        r for r in friction_evidence(metrics, touchpoints, PROTO) if r["rule_id"] == "distractor"
    ]


def test_distractor_is_compared_with_the_targets_of_its_own_screen() -> None:
    recs = {r["aoi_id"]: r for r in _records()}
    up = recs["upsell"]
    # 1.2 / (1.2 + 1.0) = 55 % and 0.5 / 1.5 = 33 %: P1 affected; against Pay + Continue
    # (1.2 / 4.2 = 29 %) nobody was
    assert up["participants"] == ["P1"]
    assert abs(up["value"] - 1.2 / 2.2) < 1e-12
    assert "on its screen" in up["comparison"]


def test_a_screen_without_targets_falls_back_to_the_touchpoints() -> None:
    # the notes screen has no target or CTA: its ad is compared with those of the touchpoint
    recs = {r["aoi_id"]: r for r in _records()}
    assert "ad" not in recs  # 0.5 / (0.5 + 2.0 + 1.0) = 14 %
