"""Friction rules on hand-made metric rows: which participants, value, severity and reason."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from gazemap.aoi import OUTSIDE_ID
from gazemap.journey import (
    RULES,
    evidence_document,
    friction_evidence,
    journey_summary,
    severity,
    summarize,
)
from gazemap.protocol import AOI, FrictionThresholds, Protocol, Screen, Stage, Touchpoint

AOIS = (
    AOI("cta", "Buy", "cta", "rect", (0, 0, 10, 10)),
    AOI("nav", "Menu", "navigation", "rect", (0, 20, 10, 10)),
    AOI("text", "Text", "content", "rect", (0, 40, 10, 10)),
    AOI("ad", "Ad", "distractor", "rect", (0, 60, 10, 10)),
)
PROTO = Protocol(
    "p",
    "P",
    (
        Stage(
            "st",
            "Stage",
            (
                Touchpoint(
                    "tp", "TP", "site", "buy", (Screen("sc", "Sc", None, 100, 100, 100, 100, AOIS),)
                ),
            ),
        ),
    ),
    FrictionThresholds(),
)
PARTICIPANTS = [f"P{i}" for i in range(1, 7)]


def tp_row(p: str, quality_ok: bool = True, data_loss: float = 0.01) -> dict[str, Any]:
    return {
        "participant": p,
        "touchpoint_id": "tp",
        "start_s": 100.0,
        "end_s": 130.0,
        "time_on_touchpoint_s": 30.0,
        "fixation_count": 50,
        "mean_fixation_duration_ms": 250.0,
        "scanpath_length_deg": 100.0,
        "data_loss": data_loss,
        "quality_ok": quality_ok,
        "_fixation_dwell_s": 12.0,
    }


def m_row(p: str, aoi: str, role: str, **kw: Any) -> dict[str, Any]:
    r = {
        "participant": p,
        "touchpoint_id": "tp",
        "screen_id": "sc",
        "aoi_id": aoi,
        "aoi_role": role,
        "ttff_s": 1.0,
        "fixations_before_first": 3,
        "dwell_s": 1.0,
        "fixation_count": 4,
        "visit_count": 1,
        "revisits": 0,
        "fixated": True,
        "_touchpoint_start_s": 100.0,
        "_first_time_s": 101.0,
        "_longest_time_s": 102.0,
        "_revisit_time_s": None,
        "_revisits_before_action": 0,
        "_mean_fixation_duration_ms": 250.0,
    }
    r.update(kw)
    return r


def baseline(p: str) -> list[dict[str, Any]]:
    return [
        m_row(p, "cta", "cta"),
        m_row(p, "nav", "navigation"),
        m_row(p, "text", "content"),
        m_row(p, "ad", "distractor", dwell_s=0.2),
        m_row(p, OUTSIDE_ID, ""),
    ]


def rows(changes: dict[tuple[str, str], dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for p in PARTICIPANTS:
        for r in baseline(p):
            r.update(changes.get((p, r["aoi_id"]), {}))
            out.append(r)
    return out


def only(records: list[dict[str, Any]], rule: str) -> dict[str, Any]:
    found = [r for r in records if r["rule_id"] == rule]
    assert len(found) == 1, [r["rule_id"] for r in records]
    return found[0]


def test_no_findings_when_everything_is_fine() -> None:
    assert friction_evidence(rows({}), [tp_row(p) for p in PARTICIPANTS], PROTO) == []


def test_target_late_two_of_six_with_large_effect_is_high() -> None:
    ch = {
        ("P1", "cta"): {"ttff_s": 12.0, "_first_time_s": 112.0},
        ("P2", "cta"): {"ttff_s": 11.0, "_first_time_s": 111.0},
    }
    rec = only(friction_evidence(rows(ch), [tp_row(p) for p in PARTICIPANTS], PROTO), "target-late")
    assert (
        rec["participants"] == ["P1", "P2"] and rec["n_participants"] == 2 and rec["n_total"] == 6
    )
    assert rec["value"] == pytest.approx(11.5) and rec["threshold"] == 5.0
    # 2/6 = 33 % >= 33 % -> medium; 11.5 / 5 = 2.3x >= 2x -> high
    assert rec["severity"] == "high"
    assert (
        "2 of 6 participants (33%)" in rec["severity_reason"]
        and "raises it to high" in rec["severity_reason"]
    )
    assert rec["examples"] == [
        {
            "participant": "P1",
            "t_rel_s": 12.0,
            "time_s": 112.0,
            "note": "first fixation on it at 12.0 s (> 5 s)",
        },
        {
            "participant": "P2",
            "t_rel_s": 11.0,
            "time_s": 111.0,
            "note": "first fixation on it at 11.0 s (> 5 s)",
        },
    ]
    assert rec["aoi_id"] == "cta" and rec["aoi_name"] == "Buy" and rec["reliable"] is True
    assert "ttff_late_s = 5 s" in rec["comparison"] and "Jacob" in rec["source"]
    assert rec["heatmap"] == "touchpoints/tp/sc_heatmap.png"


def test_target_late_vs_study_median() -> None:
    # study median TTFF of target/CTA AOIs is 1.0 s; 2x -> 2.0 s; P1 at 3 s is late vs study
    ch = {("P1", "cta"): {"ttff_s": 3.0, "_first_time_s": 103.0}}
    recs = friction_evidence(rows(ch), [tp_row(p) for p in PARTICIPANTS], PROTO)
    rec = only(recs, "target-late-vs-study")
    assert rec["participants"] == ["P1"] and rec["threshold"] == pytest.approx(2.0)
    assert "study median TTFF" in rec["comparison"] and rec["severity"] == "low"
    assert not [r for r in recs if r["rule_id"] == "target-late"]


def test_target_not_seen_and_missing_rows_count_as_not_seen() -> None:
    ch = {
        (p, "cta"): {"fixated": False, "ttff_s": None, "fixations_before_first": None}
        for p in ("P1", "P2", "P3", "P4")
    }
    rec = only(
        friction_evidence(rows(ch), [tp_row(p) for p in PARTICIPANTS], PROTO), "target-not-seen"
    )
    assert rec["n_participants"] == 4 and rec["value"] == pytest.approx(4 / 6)
    assert rec["threshold"] == 0.25 and rec["severity"] == "high"
    # no moment to point at: the example says how long the participant was there without it
    assert rec["examples"][0] == {
        "participant": "P1",
        "t_rel_s": 0.0,
        "time_s": 100.0,
        "note": "never fixated it in 30.0 s on the touchpoint",
    }


def test_search_revisits_long_fixations_distractor() -> None:
    ch = {
        ("P1", "cta"): {"fixations_before_first": 30},
        ("P2", "cta"): {"fixations_before_first": 50},
        ("P3", "cta"): {
            "revisits": 4,
            "visit_count": 5,
            "_revisit_time_s": 105.0,
            "_revisits_before_action": 4,
        },
        # many revisits, but after the action (the click): not search/confusion
        ("P4", "cta"): {
            "revisits": 6,
            "visit_count": 7,
            "_revisit_time_s": 125.0,
            "_revisits_before_action": 1,
        },
        ("P4", "text"): {"_mean_fixation_duration_ms": 500.0, "_longest_time_s": 120.0},
        ("P5", "ad"): {"dwell_s": 3.0, "_first_time_s": 104.0},
    }
    recs = friction_evidence(rows(ch), [tp_row(p) for p in PARTICIPANTS], PROTO)
    s = only(recs, "search-before-target")
    assert s["participants"] == ["P1", "P2"] and s["value"] == 40.0 and s["threshold"] == 20
    assert s["severity"] == "high"  # 33 % -> medium, 40/20 = 2x -> high
    assert [e["note"] for e in s["examples"]] == [
        "30 fixations before the first on it (> 20), found at 1.0 s",
        "50 fixations before the first on it (> 20), found at 1.0 s",
    ]
    r = only(recs, "revisits")
    assert r["aoi_id"] == "cta" and r["participants"] == ["P3"] and r["value"] == 4.0
    assert r["examples"] == [
        {
            "participant": "P3",
            "t_rel_s": 5.0,
            "time_s": 105.0,
            "note": "returned 4 times before acting (>= 3); first return at 5.0 s",
        }
    ]
    assert r["severity"] == "low"
    lf = only(recs, "long-fixations")
    assert lf["aoi_id"] == "text" and lf["value"] == 500.0 and lf["threshold"] == 350.0
    assert "study median over content AOIs 250 ms" in lf["comparison"]
    assert lf["examples"][0]["note"] == "mean fixation 500 ms (> 350 ms); longest at 20.0 s"
    d = only(recs, "distractor")
    # 3.0 / (3.0 + 1.0 on the CTA) = 0.75 >= 0.5; others 0.2 / 1.2 = 0.17
    assert d["participants"] == ["P5"] and d["value"] == pytest.approx(0.75)
    assert d["examples"][0]["note"] == "75% of the dwell (>= 50%); first look at 4.0 s"
    assert [r["id"] for r in recs] == [f"F{i:03d}" for i in range(1, len(recs) + 1)]


def test_low_quality_flags_and_reliability() -> None:
    ch = {(p, "cta"): {"ttff_s": 9.0} for p in ("P1", "P2", "P3")}
    tps = [
        tp_row(
            p,
            quality_ok=p not in ("P1", "P2", "P3"),
            data_loss=0.4 if p in ("P1", "P2", "P3") else 0.01,
        )
        for p in PARTICIPANTS
    ]
    recs = friction_evidence(rows(ch), tps, PROTO)
    q = only(recs, "low-data-quality")
    assert q["aoi_id"] is None and q["participants"] == ["P1", "P2", "P3"]
    assert q["value"] == pytest.approx(0.4) and q["reliable"] is False
    # 3 of 6 -> medium; data loss 0.4 is 2x data_loss_max 0.2 -> high
    assert q["severity"] == "high" and "effect size 2.0x" in q["severity_reason"]
    late = only(recs, "target-late")
    # all three late participants have bad data: 0 of the 3 with good data show it
    assert late["reliable"] is False and "unreliable" in late["severity_reason"]


def test_severity_function() -> None:
    assert severity(1, 10, None, share_cut=0.33) == (
        "low",
        "1 of 10 participants (10%), below 33%: low",
    )
    assert severity(1, 2, 3.0, share_cut=0.33)[0] == "medium"  # one participant never raised
    assert severity(5, 6, 1.1, share_cut=0.33)[0] == "high"
    assert severity(3, 6, 2.0, share_cut=0.33)[0] == "high"
    assert severity(0, 0, None, share_cut=0.33)[0] == "low"


def test_rules_all_cite_sources() -> None:
    assert len({r.id for r in RULES}) == len(RULES)
    assert all(r.source and "(" in r.source for r in RULES)


def test_summarize_t_interval() -> None:
    s = summarize([1.0, 2.0, 3.0, None, float("nan")])
    assert s["n"] == 3 and s["mean"] == 2.0 and s["median"] == 2.0
    # t(0.975, 2) = 4.3027; sd = 1; sem = 1/sqrt(3)
    assert s["ci95"] == pytest.approx([2 - 4.302653 / 3**0.5, 2 + 4.302653 / 3**0.5], rel=1e-5)
    assert summarize([5.0]) == {"n": 1, "mean": 5.0, "median": 5.0, "ci95": None}
    assert summarize([]) == {"n": 0, "mean": None, "median": None, "ci95": None}


def test_documents() -> None:
    ch = {("P1", "cta"): {"ttff_s": 12.0}}
    tps = [tp_row(p) for p in PARTICIPANTS]
    recs = friction_evidence(rows(ch), tps, PROTO)
    doc = evidence_document(
        recs, PROTO, study="s", detector="ivt", params={"a": 1}, participants=PARTICIPANTS
    )
    assert doc["stages"][0]["touchpoints"][0]["findings"] == recs
    assert doc["detector"] == {"name": "ivt", "params": {"a": 1}}
    j = journey_summary(tps, recs, PROTO)
    tp = j["stages"][0]["touchpoints"][0]
    assert tp["n_participants"] == 6 and tp["findings_count"] == len(recs)
    assert tp["max_severity"] == max(
        (r["severity"] for r in recs), key=["low", "medium", "high"].index
    )
    assert tp["time_on_touchpoint_s"]["mean"] == 30.0 and tp["time_on_touchpoint_s"]["ci95"] == [
        30.0,
        30.0,
    ]
    assert tp["heatmap"] == "touchpoints/tp/sc_heatmap.png"


@pytest.mark.parametrize(
    ("bad", "reliable"), [({"P1", "P2"}, False), ({"P1"}, True), (set(), True)]
)
def test_reliable_when_at_least_half_of_the_affected_have_good_data(
    bad: set[str], reliable: bool
) -> None:
    ch = {(p, "cta"): {"ttff_s": 9.0} for p in ("P1", "P2", "P3")}
    tps = [tp_row(p, quality_ok=p not in bad) for p in PARTICIPANTS]
    late = only(
        [r for r in friction_evidence(rows(ch), tps, PROTO) if r["rule_id"] != "low-data-quality"],
        "target-late",
    )
    assert late["reliable"] is reliable
    assert ("unreliable: only 1 of the 3 affected" in late["severity_reason"]) is (not reliable)


def test_behaviour_is_paired_with_the_finding() -> None:
    ch = {(p, "cta"): {"ttff_s": 9.0} for p in ("P1", "P2")}
    tps = [
        tp_row(p)
        | {
            "time_on_touchpoint_s": 60.0 if p in ("P1", "P2") else 30.0,
            "clicks": 3 if p == "P1" else 1,
            # P1 failed the task, P2 and the others achieved it; one outcome is unknown
            "success": {"P1": 0, "P3": None}.get(p, 1),
        }
        for p in PARTICIPANTS
    ]
    late = only(friction_evidence(rows(ch), tps, PROTO), "target-late")
    assert late["behaviour"] == {
        "time_on_touchpoint_s": {"affected": 60.0, "others": 30.0},
        "clicks": {"affected": 2.0, "others": 1.0},
        "supports": True,
        # affected: P1 0, P2 1 -> 1/2; others: P4-P6 succeeded (P3 unknown) -> 3/3
        "task_success": {"affected": 0.5, "others": 1.0},
    }
    assert late["severity_reason"].endswith(
        "; task success agrees: 50% of the affected achieved the task, 100% of the others"
    )
    assert (
        "behaviour agrees: the affected took a median 60.0 s on the touchpoint, the others 30.0 s"
        in late["severity_reason"]
    )
    same = [tp_row(p) for p in PARTICIPANTS]
    late = only(friction_evidence(rows(ch), same, PROTO), "target-late")
    assert late["behaviour"]["supports"] is False and "does not show it" in late["severity_reason"]
    everyone = {(p, "cta"): {"ttff_s": 9.0} for p in PARTICIPANTS}
    late = only(friction_evidence(rows(everyone), same, PROTO), "target-late")
    assert late["behaviour"]["supports"] is None and "behaviour" not in late["severity_reason"]


def test_revisits_of_a_fixed_sticky_element_are_not_confusion() -> None:
    sticky = AOI("nav", "Sticky header", "navigation", "rect", (0, 0, 10, 10), fixed=True)
    tp = PROTO.touchpoints[0]
    sc = tp.screens[0]
    screen = dataclasses.replace(sc, aois=tuple(sticky if a.id == "nav" else a for a in sc.aois))
    proto = dataclasses.replace(
        PROTO,
        stages=(
            dataclasses.replace(
                PROTO.stages[0], touchpoints=(dataclasses.replace(tp, screens=(screen,)),)
            ),
        ),
    )
    ch = {
        (p, "nav"): {
            "revisits": 6,
            "visit_count": 7,
            "_revisit_time_s": 105.0,
            "_revisits_before_action": 6,
        }
        for p in PARTICIPANTS
    }
    recs = friction_evidence(rows(ch), [tp_row(p) for p in PARTICIPANTS], proto)
    assert [r for r in recs if r["rule_id"] == "revisits"] == []
    # nor on the non-fixed menu: navigation is consulted again and again by design
    recs = friction_evidence(rows(ch), [tp_row(p) for p in PARTICIPANTS], PROTO)
    assert [r for r in recs if r["rule_id"] == "revisits"] == []
    # the same revisits on a fixed CTA are orientation too; on the non-fixed CTA they are
    # returns to the element the task needs before acting: 6 of 6, 6/3 = 2x -> high
    ch_cta = {(p, "cta"): v for (p, _), v in ch.items()}
    fixed_cta = dataclasses.replace(AOIS[0], fixed=True)
    screen = dataclasses.replace(sc, aois=(fixed_cta, *AOIS[1:]))
    proto_fixed_cta = dataclasses.replace(
        PROTO,
        stages=(
            dataclasses.replace(
                PROTO.stages[0], touchpoints=(dataclasses.replace(tp, screens=(screen,)),)
            ),
        ),
    )
    tps = [tp_row(p) for p in PARTICIPANTS]
    recs = friction_evidence(rows(ch_cta), tps, proto_fixed_cta)
    assert [r for r in recs if r["rule_id"] == "revisits"] == []
    r = only(friction_evidence(rows(ch_cta), tps, PROTO), "revisits")
    assert r["aoi_id"] == "cta" and r["participants"] == PARTICIPANTS
    assert r["value"] == 6.0 and r["severity"] == "high"


def test_low_data_quality_example_says_which_measure_failed() -> None:
    """P1 fails on precision alone (data loss below its threshold), P2 on data loss alone: the
    examples give each participant's numbers against the thresholds (not "at 0 s"), and the
    comparison counts who failed on which."""
    tps = [tp_row(p) for p in PARTICIPANTS]
    tps[0].update(quality_ok=False, data_loss=0.19, precision_rms_deg=0.92)
    tps[1].update(quality_ok=False, data_loss=0.30, precision_rms_deg=0.2)
    q = only(friction_evidence(rows({}), tps, PROTO), "low-data-quality")
    assert [e["note"] for e in q["examples"]] == [
        "data loss 19.0% (<= 20%); precision 0.92 deg RMS-S2S (> 0.5 deg)",
        "data loss 30.0% (> 20%); precision 0.20 deg RMS-S2S (<= 0.5 deg)",
    ]
    assert q["comparison"].startswith(
        "1 of 2 with data loss above the protocol threshold data_loss_max = 0.2, 1 of 2 with "
        "precision (RMS-S2S) above precision_rms_max_deg = 0.5 deg (median 0.92 deg)"
    )
    # effect size per participant is the larger ratio: P1 0.92/0.5 = 1.84, P2 0.3/0.2 = 1.5;
    # median 1.67 -> not raised; 2 of 6 (33 %) -> medium
    assert q["value"] == pytest.approx(0.245) and q["severity"] == "medium"
    assert "effect size 1.7x the threshold" in q["severity_reason"]


def test_late_target_on_a_later_screen_counts_from_when_its_screen_was_shown() -> None:
    """A CTA first fixated 9 s into the touchpoint but 1 s after its screen (the second step)
    was shown is not late; one fixated 7 s after its screen was shown is."""
    ch = {
        (p, "cta"): {
            "ttff_s": 9.0,
            "_ttff_screen_s": 1.0,
            "fixations_before_first": 30,
            "_fixations_before_first_screen": 2,
            "_first_time_s": 109.0,
        }
        for p in PARTICIPANTS
    }
    ch[("P1", "cta")].update(
        ttff_s=15.0, _ttff_screen_s=7.0, _first_time_s=115.0, _fixations_before_first_screen=25
    )
    recs = friction_evidence(rows(ch), [tp_row(p) for p in PARTICIPANTS], PROTO)
    late = only(recs, "target-late")
    assert late["participants"] == ["P1"] and late["value"] == 7.0
    assert late["examples"][0]["note"] == (
        "first fixation on it 7.0 s after its screen was shown (> 5 s), at 15.0 s"
    )
    assert "from when the AOI's screen was first shown" in late["comparison"]
    search = only(recs, "search-before-target")
    assert search["participants"] == ["P1"] and search["value"] == 25.0
