"""Findings in plain language (gazemap.report.plain) and the ranking of touchpoints by how much
they hurt: every sentence has the finding's numbers with units and its n/N."""

from __future__ import annotations

import re
from typing import Any

import pytest

from gazemap.journey import RULES
from gazemap.report.html import rank_touchpoints, strongest_finding
from gazemap.report.plain import finding_weight, plain_finding, touchpoint_pain

RECORDS: dict[str, dict[str, Any]] = {
    "target-late": {"metric": "ttff_s", "value": 8.337, "threshold": 5.0, "unit": "s"},
    "target-late-vs-study": {"metric": "ttff_s", "value": 17.22, "threshold": 8.116, "unit": "s"},
    "target-not-seen": {"metric": "fixated", "value": 0.125, "threshold": 0.25, "unit": "share"},
    "search-before-target": {
        "metric": "fixations_before_first", "value": 41.0, "threshold": 20.0, "unit": "fixations",
    },
    "revisits": {"metric": "revisits", "value": 4.0, "threshold": 3.0, "unit": "revisits"},
    "long-fixations": {
        "metric": "mean_fixation_duration_ms", "value": 355.0, "threshold": 350.0, "unit": "ms",
    },
    "distractor": {"metric": "dwell_share", "value": 0.5443, "threshold": 0.5, "unit": "share"},
    "low-task-success": {
        "metric": "success_rate", "value": 0.75, "threshold": 0.78, "unit": "share",
    },
    "low-data-quality": {"metric": "data_loss", "value": 0.2009, "threshold": 0.2, "unit": "share"},
}  # fmt: skip

EXPECTED = {
    "target-late": ["3 of 8 participants", "“Search button”", "8.34 s", "5 s"],
    "target-late-vs-study": ["17.2 s", "8.12 s", "twice"],
    "target-not-seen": ["3 of 8 participants", "never looked at “Search button”"],
    "search-before-target": ["41 other places", "more than 20"],
    "revisits": ["went back to “Search button” 4 times", "3 or more"],
    "long-fixations": ["355 ms", "350 ms"],
    "distractor": ["For 3 of 8 participants", "54 %", "50 %"],
    "low-task-success": ["75 %", "3 of 8 participants did not", "78 %"],
    "low-data-quality": ["data loss 20 %", "20 %", "less reliable"],
}


def _rec(rule_id: str, **kw: Any) -> dict[str, Any]:
    aoi = None if rule_id in ("low-task-success", "low-data-quality") else "Search button"
    return {
        "rule_id": rule_id, "aoi_name": aoi, "aoi_id": aoi and "search",
        "n_participants": 3, "n_total": 8, **RECORDS[rule_id], **kw,
    }  # fmt: skip


@pytest.mark.parametrize("rule_id", sorted(RECORDS))
def test_each_rule_reads_as_a_sentence_with_its_numbers(rule_id: str) -> None:
    text = plain_finding(_rec(rule_id))
    for part in EXPECTED[rule_id]:
        assert part in text, (part, text)
    # a sentence a client reads: no code names, no arrows, no raw shares
    assert (text[0].isupper() or text[0].isdigit()) and text.endswith(".")
    assert "_" not in text and "->" not in text
    assert not re.search(r"\b0\.\d+\b", text), text


def test_every_rule_of_the_analysis_has_its_own_sentence() -> None:
    assert {r.id for r in RULES} == set(RECORDS)


def test_all_participants_and_an_unknown_rule() -> None:
    text = plain_finding(_rec("revisits", n_participants=8))
    assert text.startswith("All 8 participants went back")
    other = plain_finding(
        {"rule_id": "new-rule", "rule_name": "New rule", "metric": "dwell_s", "value": 2.5,
         "threshold": 1.0, "unit": "s", "n_participants": 2, "n_total": 8, "aoi_name": "Logo"}
    )  # fmt: skip
    assert other == "New rule on “Logo”: 2 of 8 participants, dwell_s 2.5 s against 1 s."


def _f(rule: str, sev: str, who: list[str], n_total: int = 8, **kw: Any) -> dict[str, Any]:
    return {"rule_id": rule, "severity": sev, "participants": who,
            "n_participants": len(who), "n_total": n_total, **kw}  # fmt: skip


def test_pain_counts_each_participant_once_at_their_strongest_finding() -> None:
    # seen late and long search are about the same 3 people: they count once, at high
    fs = [
        _f("target-late", "medium", ["P1", "P2", "P3", "P4"]),
        _f("search-before-target", "high", ["P1", "P2", "P3"]),
        _f("target-late-vs-study", "high", ["P1", "P2", "P3"]),
    ]
    assert touchpoint_pain(fs) == pytest.approx((3 * 3 + 2) / 8)
    # the data-quality flag is not friction
    assert touchpoint_pain([_f("low-data-quality", "high", ["P1"])]) == 0.0
    # a task not achieved counts 4 (Nielsen's catastrophe) whatever the record's severity
    assert touchpoint_pain([_f("low-task-success", "low", ["P5", "P6"])]) == pytest.approx(8 / 8)
    assert touchpoint_pain([]) == 0.0


def test_touchpoints_are_ranked_by_pain_then_strongest_finding() -> None:
    def col(tp: str, findings: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "tp": tp, "findings": findings, "pain": touchpoint_pain(findings),
            "severity_counts": {s: sum(f["severity"] == s for f in findings)
                                for s in ("high", "medium", "low")},
        }  # fmt: skip

    everyone = [f"P{i}" for i in range(1, 9)]
    cols = [
        col("home", [_f("distractor", "low", ["P1"])]),
        col(
            "search",
            [_f("low-task-success", "low", ["P1", "P2"]), _f("revisits", "medium", everyone[:4])],
        ),  # fmt: skip
        col("cart", []),
        col("product", [_f("revisits", "high", everyone)]),
        col("email", [_f("revisits", "high", everyone[:7]), _f("target-late", "high", ["P8"])]),
    ]
    rank_touchpoints(cols)
    ranks = {c["tp"]: c["rank"] for c in cols}
    # product and email both 3.0: product's strongest finding affects 8 of 8, email's 7 of 8
    assert ranks == {"product": 1, "email": 2, "search": 3, "home": 4, "cart": None}
    assert cols[3]["top"]["rule_id"] == "revisits"


def test_a_failed_task_is_the_strongest_evidence_in_ties_and_in_the_summary() -> None:
    # both touchpoints score 2.5: on search 2 of 8 failed the task (4 each) and 4 revisited an
    # element (high, 3 each); on email 6 revisited (high) and 1 was late (medium). The tie
    # went to email (its high finding affects more participants) although a failed task
    # counts more than a high finding in the score; and search's "strongest finding" shown
    # was the revisits, not the failed task
    def col(tp: str, findings: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "tp": tp, "findings": findings, "pain": touchpoint_pain(findings),
            "severity_counts": {s: sum(f["severity"] == s for f in findings)
                                for s in ("high", "medium", "low")},
        }  # fmt: skip

    p = [f"P{i}" for i in range(1, 9)]
    search = col(
        "search",
        [_f("revisits", "high", p[2:6]), _f("low-task-success", "low", p[:2]),
         _f("low-data-quality", "high", p)],
    )  # fmt: skip
    email = col("email", [_f("revisits", "high", p[:6]), _f("target-late", "medium", [p[6]])])
    assert search["pain"] == email["pain"] == pytest.approx(2.5)
    cols = [email, search]
    rank_touchpoints(cols)
    assert (search["rank"], email["rank"]) == (1, 2)
    assert search["top"]["rule_id"] == "low-task-success"
    # the strongest severity on the touchpoint is still its own (the friction row's badge)
    assert search["top_severity"] == "high" and email["top_severity"] == "high"
    assert email["top"]["rule_id"] == "revisits"


def test_finding_weight_is_the_friction_scores() -> None:
    assert finding_weight(_f("low-task-success", "low", ["P1"])) == 4
    assert finding_weight(_f("revisits", "high", ["P1"])) == 3
    assert finding_weight(_f("target-late", "medium", ["P1"])) == 2
    assert finding_weight(_f("distractor", "low", ["P1"])) == 1
    # the data-quality flag is not friction: never the "strongest finding" over real ones
    assert finding_weight(_f("low-data-quality", "high", ["P1"])) == 0
    assert strongest_finding(
        [_f("low-data-quality", "high", ["P1", "P2"]), _f("distractor", "low", ["P3"])]
    )["rule_id"] == "distractor"  # fmt: skip
    assert strongest_finding([]) is None
