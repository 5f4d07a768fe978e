"""A recording day going wrong, one thing at a time: real `gazemap` processes, real LSL on
loopback (unique source ids), real HDF5. Each test counts what was sent against what the
file holds and checks what the user is told.
"""

from __future__ import annotations

import re
import signal
import subprocess
from pathlib import Path

import pytest
from conftest import gazemap_cmd, wait_for
from integration.gazemap_procs import Proc, gaze_count, stop_leftovers  # noqa: F401 (autouse fixture)

from gazemap.store import open_session
from gazemap.store.journal import journal_path

pytestmark = pytest.mark.integration


def _sent_gaze(tracker: Proc) -> int:
    """Gaze samples the simulator says it sent (its last line, after a stop)."""
    m = re.search(r"sent (\d+) gaze samples", tracker.stderr())
    assert m, tracker.stderr()
    return int(m.group(1))


def test_second_recorder_on_the_same_file_is_refused_at_once(
    tmp_path: Path, unique_id: str
) -> None:
    """Two recorders started on one --out: the second used to call the live journal 'an
    interrupted recording' and tell the user to run `gazemap recover` or --force."""
    out = tmp_path / "P01.h5"
    tracker = Proc(
        ["stream", "simulated", "--source-id", unique_id, "--rate-hz", "500", "--no-wait"],
        tmp_path, "tracker",
    )  # fmt: skip
    first = Proc(["record", "--out", str(out), "--stream", unique_id], tmp_path, "first")
    wait_for(lambda: gaze_count(first) > 0, 30, "the first recorder's gaze samples")
    for extra in ([], ["--force"]):
        r = subprocess.run(
            [*gazemap_cmd(), "record", "--out", str(out), "--stream", unique_id, *extra],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        assert r.returncode == 2, r.stderr
        line = r.stderr.strip()
        assert line.count("\n") == 0, line
        assert "another `gazemap record` is recording" in line and "another --out" in line
        assert "interrupted" not in line and "recover" not in line, line
    assert first.stop(signal.SIGTERM, 30) == 0, first.stderr()
    tracker.stop(signal.SIGTERM)
    assert not journal_path(out).exists()
    with open_session(out) as s:
        stored = len(s.gaze().time_s)
        assert s.attrs["stop_reason"] == "SIGTERM"
    # the first recording is whole: everything it showed is in the file
    assert stored >= gaze_count(first) > 0
    assert stored <= _sent_gaze(tracker)
