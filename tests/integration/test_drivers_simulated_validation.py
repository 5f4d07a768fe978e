"""``gazemap stream simulated --validation-points``: a live simulated session with validation.

The real ``gazemap stream simulated`` (a tracker without a protocol, free viewing) first looks
at 9 validation targets and publishes their ``validation/<x>,<y>/start|end`` markers on a
Markers stream; the real ``gazemap record`` records it over loopback LSL and the real
``gazemap analyze`` must measure back the simulator's ``--accuracy-deg`` (within 0.15 deg).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import REPO, gazemap_cmd
from integration.gazemap_procs import Proc, stop_leftovers  # noqa: F401 (autouse fixture)

from gazemap.store import open_session

pytestmark = pytest.mark.integration

STORE = REPO / "protocols" / "online-store.yaml"


def test_live_validation_measures_the_simulated_accuracy(tmp_path: Path, unique_id: str) -> None:
    study = tmp_path / "study"
    study.mkdir()
    sim = Proc(
        ["stream", "simulated", "--source-id", unique_id, "--participant", "P03",
         "--rate-hz", "250", "--duration-s", "17", "--validation-points", "9",
         "--accuracy-deg", "1.0", "--screen-width-px", "1440", "--screen-height-px", "900",
         "--wait-s", "60"],
        tmp_path, "sim",
    )  # fmt: skip
    rec = Proc(
        ["record", "--out", str(study / "P03.h5"), "--participant", "P03", "--protocol",
         "online-store", "--stream", f"{unique_id}*", "--stop-when-lost-s", "1",
         "--wait-s", "30"],
        tmp_path, "record",
    )  # fmt: skip
    assert rec.wait(timeout=90) == 0, rec.stderr()
    assert sim.wait(timeout=30) == 0, sim.stderr()
    said = sim.stderr()
    assert "publishing Gaze/Markers (free viewing), 9 validation targets first" in said
    assert "18 markers" in said

    with open_session(study / "P03.h5") as s:
        values = [str(v) for v in s.markers().value]
    assert len(values) == 18 and all(v.startswith("validation/") for v in values)
    assert values[:2] == ["validation/144,90/start", "validation/144,90/end"]

    out = tmp_path / "out"
    r = subprocess.run(
        [*gazemap_cmd(), "analyze", str(study), "--protocol", str(STORE), "--out", str(out),
         "--no-report"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    (session,) = json.loads((out / "sessions.json").read_text())
    assert session["validation_points"] == 9
    assert session["accuracy_deg"] == pytest.approx(1.0, abs=0.15)
