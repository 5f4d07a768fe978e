"""`gazemap record --stop-when-lost-s S`: the recording ends when the driver has finished.

Found running the README: `gazemap record --duration-s 120` cut the simulated P09 journey
(136 s) short, and without --duration-s the recorder waited for the finished simulator's
streams to come back until Ctrl-C, although docs/recording.md said "record until the
journey ends". Real `gazemap stream simulated` and `gazemap record` over loopback LSL.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import h5py
import pytest
from conftest import REPO, gazemap_cmd

pytestmark = pytest.mark.integration


def test_recording_ends_after_the_simulated_journey(tmp_path: Path, unique_id: str) -> None:
    sim = subprocess.Popen(
        [*gazemap_cmd(), "stream", "simulated", "--protocol",
         str(REPO / "protocols" / "online-store.yaml"), "--participant", "P02",
         "--source-id", unique_id, "--rate-hz", "250", "--duration-s", "4"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    out = tmp_path / "P02.h5"
    try:
        rec = subprocess.run(
            [*gazemap_cmd(), "record", "--out", str(out), "--stream", f"{unique_id}*",
             "--stop-when-lost-s", "2", "--wait-s", "30"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    finally:
        assert sim.wait(timeout=60) == 0
    assert rec.returncode == 0, rec.stderr
    assert "stopped (all streams gone)" in rec.stderr
    with h5py.File(out) as f:
        assert f.attrs["stop_reason"] == "all streams gone"
        assert set(f["streams"]) == {"gaze", "markers", "scroll"}
        t = f["streams/gaze/time_s"][()]
        assert len(t) == 1000  # 4 s at 250 Hz, every sample the simulator sent
        # the streams ended; that is not a gap in the data
        for g in ("gaze", "markers", "scroll"):
            assert f["streams"][g]["gaps"].shape[0] == 0
            # ... but an end, the stop_when_lost_s (2 s) before the stop
            lost_for = f.attrs["recording_stop_s"] - f["streams"][g].attrs["ended_s"]
            assert 2.0 <= lost_for < 4.0, (g, lost_for)
    # the progress line agrees with the file: while the finished simulator's streams are
    # gone (LOST for 2 s, so at least one line) it said "gaps 3", and the file held 0
    progress = [ln for ln in rec.stderr.splitlines() if re.search(r"\] .*\| gaps \d+$", ln)]
    assert any(ln.count("LOST") == 3 for ln in progress), rec.stderr
    assert all(ln.endswith("| gaps 0") for ln in progress), rec.stderr


def test_stop_when_lost_must_be_positive(tmp_path: Path) -> None:
    res = subprocess.run(
        [*gazemap_cmd(), "record", "--out", str(tmp_path / "x.h5"), "--stop-when-lost-s", "0"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert res.returncode == 2
    assert res.stderr.strip() == "gazemap record: error: --stop-when-lost-s must be > 0, got 0.0."
