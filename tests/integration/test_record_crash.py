"""Crash safety of `gazemap record` with real processes and real LSL over loopback.

kill -9 at a random moment -> `gazemap recover` restores every sample up to <= 1 s before
the kill; a tracker stream that disappears and comes back is re-attached with a gap; a
file-size limit (a full disk, as the kernel reports it) ends the recording with a clear
error and keeps what was recorded.
"""

from __future__ import annotations

import random
import resource
import signal
import subprocess
import time
from pathlib import Path

import h5py
import numpy as np
import pylsl
import pytest
from conftest import gazemap_cmd, wait_for
from integration.gazemap_procs import Proc, gaze_count, stop_leftovers  # noqa: F401 (autouse fixture)

from gazemap.store import open_session
from gazemap.store.journal import journal_path

pytestmark = pytest.mark.integration


def truth_times(path: Path) -> np.ndarray:
    with h5py.File(path, "r") as f:
        return f["samples/time_s"][()]


def test_kill_9_then_recover(tmp_path: Path, unique_id: str) -> None:
    truth = tmp_path / "truth.h5"
    out = tmp_path / "k.h5"
    rate = 1000
    s = Proc(
        ["stream", "simulated", "--source-id", unique_id, "--rate-hz", str(rate),
         "--duration-s", "30", "--truth", str(truth)],
        tmp_path, "sim",
    )  # fmt: skip
    try:
        rec = Proc(["record", "--out", str(out), "--stream", f"{unique_id}*"], tmp_path, "rec")
        wait_for(lambda: gaze_count(rec) > 0, 30, "the recorder to record gaze")
        # a random moment within the next 2 s (this is the point of the test, not a wait)
        time.sleep(random.uniform(0.0, 2.0))
        t_kill = pylsl.local_clock()
        rec.p.send_signal(signal.SIGKILL)
        assert rec.p.wait(timeout=10) == -signal.SIGKILL
    finally:
        s.stop()
    assert journal_path(out).exists()
    r = subprocess.run(
        [*gazemap_cmd(), "recover", str(out)], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stderr
    assert "gaze:" in r.stdout and f"removed {journal_path(out)}" in r.stdout
    assert not journal_path(out).exists()
    sent = truth_times(truth)
    with open_session(out) as sess:
        raw = sess.raw_times("gaze")
        if raw[-1] - raw[0] > 2.0:  # the first offset is measured ~0.6 s after attaching
            assert len(sess.clock_offsets("gaze")) >= 1
        assert "recovered_utc" in sess.attrs
    # every sample from the first one, in order, none missing ...
    np.testing.assert_array_equal(raw, sent[: len(raw)])
    # ... up to at most 1 s before the kill
    assert raw[-1] >= t_kill - 1.0, f"lost {t_kill - raw[-1]:.3f} s before the kill"
    info = subprocess.run(
        [*gazemap_cmd(), "info", str(out)], capture_output=True, text=True, timeout=60
    )
    assert info.returncode == 0 and "recovered after a crash" in info.stdout


def test_stream_lost_and_reattached(tmp_path: Path, unique_id: str) -> None:
    out = tmp_path / "l.h5"
    sim_args = ["stream", "simulated", "--source-id", unique_id, "--rate-hz", "500"]
    s1 = Proc(sim_args, tmp_path, "sim1")
    s2: Proc | None = None
    try:
        rec = Proc(["record", "--out", str(out), "--stream", f"{unique_id}*"], tmp_path, "rec")
        wait_for(lambda: gaze_count(rec) > 0, 30, "the recorder to record gaze")
        s1.stop(signal.SIGTERM)  # the tracker goes away (outlets destroyed)
        wait_for(lambda: "gaze: stream" in rec.stderr() and "lost" in rec.stderr(), 20, "loss")
        n_before = gaze_count(rec)
        s2 = Proc([*sim_args, "--seed", "7"], tmp_path, "sim2")  # and comes back
        wait_for(lambda: "gaze: stream 'gazemap-sim Gaze' is back" in rec.stderr(), 30, "re-attach")
        wait_for(lambda: gaze_count(rec) > n_before + 300, 30, "samples after the re-attach")
        rec.stop()
        assert rec.p.returncode == 0, rec.stderr()
    finally:
        s1.stop()
        if s2 is not None:
            s2.stop()
    with open_session(out) as sess:
        gaps = sess.gaps("gaze")
        t = sess.times("gaze")
        assert gaps.shape == (1, 2), gaps
        start, end = gaps[0]
        assert end > start
        before, after = t[t <= start], t[t >= end]
        assert len(before) > 0 and len(after) >= 50  # recording went on
        # the gap is exactly the hole in the samples
        assert not np.any((t > start) & (t < end))
        assert np.all(np.diff(t) > 0)
        assert np.max(np.diff(before)) < 0.0021 and np.max(np.diff(after)) < 0.0021
        assert "ended_s" not in sess.stream_attrs("gaze")  # back: a gap, and no end
    info = subprocess.run(
        [*gazemap_cmd(), "info", str(out), "--json"], capture_output=True, text=True, timeout=60
    )
    assert info.returncode == 0 and '"gaps": 1' in info.stdout


def _limit_file_size() -> None:  # runs in the child before exec
    resource.setrlimit(resource.RLIMIT_FSIZE, (150_000, 150_000))


def test_disk_full_keeps_what_was_recorded(tmp_path: Path, unique_id: str) -> None:
    """RLIMIT_FSIZE makes the kernel refuse writes past 150 kB (EFBIG), like a full disk."""
    truth = tmp_path / "truth.h5"
    out = tmp_path / "full.h5"
    s = Proc(
        ["stream", "simulated", "--source-id", unique_id, "--rate-hz", "1000",
         "--duration-s", "30", "--truth", str(truth)],
        tmp_path, "sim",
    )  # fmt: skip
    try:
        rec = Proc(
            ["record", "--out", str(out), "--stream", f"{unique_id}*"],
            tmp_path,
            "rec",
            preexec_fn=_limit_file_size,
        )
        assert rec.p.wait(timeout=60) == 2, rec.stderr()
    finally:
        s.stop()
    err_lines = [ln for ln in rec.stderr().splitlines() if ln.startswith("gazemap record: error")]
    assert len(err_lines) == 1
    assert "disk is full" in err_lines[0] and f"gazemap recover {out}" in err_lines[0]
    r = subprocess.run(
        [*gazemap_cmd(), "recover", str(out), "--out", str(tmp_path / "rescued.h5")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    sent = truth_times(truth)
    with open_session(tmp_path / "rescued.h5") as sess:
        raw = sess.raw_times("gaze")
    assert len(raw) > 100
    np.testing.assert_array_equal(raw, sent[: len(raw)])
    assert journal_path(out).exists()  # kept, since the output went elsewhere


def test_recover_cli_errors(tmp_path: Path) -> None:
    r = subprocess.run(
        [*gazemap_cmd(), "recover", str(tmp_path / "nothing.h5")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2 and "no journal" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
