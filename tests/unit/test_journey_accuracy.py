"""Accuracy (deg on validation targets) in the journey: a touchpoint's quality_ok includes
the session's accuracy against the protocol's accuracy_max_deg, and the low-data-quality
finding says who failed on accuracy with their numbers."""

from __future__ import annotations

from pathlib import Path

import pytest
from unit.test_journey_friction import PARTICIPANTS, PROTO, only, rows, tp_row

from gazemap.batch import analyze_session
from gazemap.cli.simulate import write_session
from gazemap.journey import friction_evidence
from gazemap.protocol import load_protocol
from gazemap.simulation import simulate_session
from gazemap.types import ScreenGeometry

ROOT = Path(__file__).resolve().parents[2]


def test_low_data_quality_names_the_participants_with_poor_accuracy() -> None:
    tps = [tp_row(p) for p in PARTICIPANTS]
    for r in tps:
        r.update(precision_rms_deg=0.2, accuracy_deg=0.6)
    tps[0].update(quality_ok=False, accuracy_deg=1.8)
    tps[1].update(quality_ok=False, accuracy_deg=2.2, data_loss=0.25)
    q = only(friction_evidence(rows({}), tps, PROTO), "low-data-quality")
    assert [e["note"] for e in q["examples"]] == [
        "data loss 1.0% (<= 20%); precision 0.20 deg RMS-S2S (<= 0.5 deg); "
        "accuracy 1.80 deg on validation targets (> 1 deg)",
        "data loss 25.0% (> 20%); precision 0.20 deg RMS-S2S (<= 0.5 deg); "
        "accuracy 2.20 deg on validation targets (> 1 deg)",
    ]
    assert (
        "2 of 2 with accuracy above accuracy_max_deg = 1 deg (median 2.00 deg)" in q["comparison"]
    )
    # effect size: the largest ratio per participant: P1 1.8/1 = 1.8, P2 2.2/1 = 2.2
    assert "effect size 2.0x the threshold" in q["severity_reason"]


def test_without_accuracy_the_finding_reads_as_before() -> None:
    tps = [tp_row(p) for p in PARTICIPANTS]
    tps[0].update(quality_ok=False, data_loss=0.3)
    q = only(friction_evidence(rows({}), tps, PROTO), "low-data-quality")
    assert "accuracy" not in q["comparison"] and "accuracy" not in q["examples"][0]["note"]


@pytest.mark.parametrize(("offset_deg", "ok"), [(0.4, True), (1.6, False)])
def test_a_sessions_accuracy_decides_its_touchpoints_quality_ok(
    tmp_path: Path, offset_deg: float, ok: bool
) -> None:
    protocol = load_protocol(ROOT / "protocols" / "online-store.yaml")
    screen = ScreenGeometry(1440, 900, 432.0, 270.0, 650.0)
    sim = simulate_session(
        protocol,
        participant="A1",
        seed=3,
        screen=screen,
        rate_hz=250.0,
        duration_s=40.0,
        accuracy_offset_deg=offset_deg,
        validation_points=5,
    )
    path = tmp_path / "a1.h5"
    write_session(sim, path)
    res = analyze_session(path, protocol, write_cache=False)
    assert res.ok and res.tables is not None and res.tables.touchpoints
    for row in res.tables.touchpoints:
        assert row["accuracy_deg"] == pytest.approx(res.accuracy_deg)
        # data loss and precision of the simulator pass; accuracy alone decides
        assert row["quality_ok"] is ok
