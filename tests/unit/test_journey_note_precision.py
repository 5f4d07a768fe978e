"""An example note never reads as if the value equalled its threshold: a TTFF of 5.02 s
against 5 s is "5.02 s (> 5 s)", not "5.0 s (> 5 s)"; a mean fixation of 350.4 ms against
350 ms is "350.4 ms (> 350 ms)", not "350 ms (> 350 ms)"."""

from __future__ import annotations

from unit.test_journey_friction import PARTICIPANTS, PROTO, only, rows, tp_row

from gazemap.journey import friction_evidence


def _records(changes: dict) -> list[dict]:  # type: ignore[type-arg]
    return friction_evidence(rows(changes), [tp_row(p) for p in PARTICIPANTS], PROTO)


def test_late_note_just_past_the_threshold_shows_the_difference() -> None:
    recs = _records({("P1", "cta"): {"ttff_s": 5.0229, "_first_time_s": 105.0229}})
    note = only(recs, "target-late")["examples"][0]["note"]
    assert note == "first fixation on it at 5.02 s (> 5 s)"


def test_late_note_keeps_one_decimal_when_it_is_clear() -> None:
    recs = _records({("P1", "cta"): {"ttff_s": 17.24, "_first_time_s": 117.24}})
    assert only(recs, "target-late")["examples"][0]["note"] == (
        "first fixation on it at 17.2 s (> 5 s)"
    )


def test_long_fixation_note_just_past_the_threshold() -> None:
    recs = _records({("P1", "text"): {"_mean_fixation_duration_ms": 350.4}})
    note = only(recs, "long-fixations")["examples"][0]["note"]
    assert note.startswith("mean fixation 350.4 ms (> 350 ms)")
    recs = _records({("P1", "text"): {"_mean_fixation_duration_ms": 505.2}})
    assert only(recs, "long-fixations")["examples"][0]["note"].startswith(
        "mean fixation 505 ms (> 350 ms)"
    )
