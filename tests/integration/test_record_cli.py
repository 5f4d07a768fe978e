"""`gazemap stream simulated` + `gazemap record` and friends, over real LSL on loopback.

Every test uses its own source ids and records only streams matching them (``--stream``),
so tests running at the same time never see each other's streams. Waits are on
conditions (a line on stderr, a process ending) with timeouts, never fixed sleeps.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from pathlib import Path

import h5py
import numpy as np
import pytest
from conftest import REPO, gazemap_cmd, wait_for
from integration.gazemap_procs import Proc, gaze_count, stop_leftovers  # noqa: F401 (autouse fixture)

from gazemap.store import open_session
from gazemap.store.journal import journal_path

pytestmark = pytest.mark.integration

PROTOCOL = REPO / "protocols" / "online-store.yaml"


def sim(folder: Path, sid: str, *extra: str, tag: str = "sim") -> Proc:
    return Proc(["stream", "simulated", "--source-id", sid, *extra], folder, tag)


def test_stream_and_record_end_to_end(tmp_path: Path, unique_id: str) -> None:
    truth = tmp_path / "truth.h5"
    out = tmp_path / "s.h5"
    s = sim(
        tmp_path,
        unique_id,
        "--rate-hz", "500", "--duration-s", "8", "--truth", str(truth),
        "--protocol", str(PROTOCOL), "--participant", "P03", "--seed", "3",
    )  # fmt: skip
    try:
        rec = Proc(
            ["record", "--out", str(out), "--stream", f"{unique_id}*", "--duration-s", "3",
             "--participant", "P03", "--protocol", "online-store"],
            tmp_path, "rec",
        )  # fmt: skip
        assert rec.wait(30) == 0, rec.stderr()
    finally:
        s.stop()
    assert out.exists() and not journal_path(out).exists()
    err = rec.stderr()
    assert (
        "as /streams/gaze" in err and "as /streams/markers" in err and "as /streams/scroll" in err
    )
    assert re.search(r"\[00:00:0\d\] .*gaze \d+ \d+ Hz, dropped 0", err), err
    with h5py.File(truth, "r") as f:
        t_truth = f["samples/time_s"][()]
        m_truth_t = f["markers/time_s"][()]
        m_truth = [v.decode() if isinstance(v, bytes) else v for v in f["markers/value"][()]]
    with open_session(out) as sess:
        assert sess.participant == "P03" and sess.protocol == "online-store"
        assert sess.stream_names == ["gaze", "markers", "scroll"]
        raw = sess.raw_times("gaze")
        # the simulator waited for the recorder: every sample from the first one on is there
        assert 0.9 * 1500 <= len(raw) <= 1.1 * 1500
        np.testing.assert_array_equal(raw, t_truth[: len(raw)])
        for name in sess.stream_names:
            assert len(sess.clock_offsets(name)) >= 1, name
        # loopback: the measured offset is tiny and time_s = raw + offset
        assert np.all(np.abs(sess.times("gaze") - raw) < 0.005)
        gz = sess.gaze()
        assert gz.left_pupil_mm is not None and np.nanmean(gz.left_pupil_mm) > 1.0
        n_m = int(np.sum(m_truth_t <= raw[-1]))
        assert n_m >= 1
        assert list(sess.markers().value[:n_m]) == m_truth[:n_m]
        assert sess.screen.width_px == 1440 and sess.screen.height_px == 900  # protocol's
        attrs = sess.stream_attrs("gaze")
        assert attrs["channel_labels"][:2] == ["x_px", "y_px"]
        assert attrs["channel_units"][-1] == "flags"
        assert attrs["source_id"] == unique_id
        assert sess.attrs["stop_reason"] == "duration reached"
    info = subprocess.run(
        [*gazemap_cmd(), "info", str(out), "--json"], capture_output=True, text=True, timeout=60
    )
    assert info.returncode == 0, info.stderr
    summary = json.loads(info.stdout)
    g = summary["streams"]["gaze"]
    assert g["samples"] == len(raw)
    assert abs(g["effective_rate_hz"] - 500) < 5
    assert g["missing_samples"] == 0 and g["gaps"] == 0
    assert summary["markers"] == len(m_truth[:n_m]) or summary["markers"] >= n_m
    text = subprocess.run(
        [*gazemap_cmd(), "info", str(out)], capture_output=True, text=True, timeout=60
    )
    assert text.returncode == 0 and "gaze" in text.stdout and "loss" in text.stdout


def test_no_stream_is_a_one_line_error(tmp_path: Path, unique_id: str) -> None:
    out = tmp_path / "none.h5"
    r = subprocess.run(
        [*gazemap_cmd(), "record", "--out", str(out), "--stream", unique_id, "--wait-s", "1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("gazemap record: error: no LSL stream found within 1 s")
    assert unique_id in lines[0]
    assert not out.exists() and not journal_path(out).exists()


def test_default_types_named_in_the_error(tmp_path: Path) -> None:
    # an impossible type list via a pattern keeps the test independent of other streams
    r = subprocess.run(
        [*gazemap_cmd(), "record", "--out", str(tmp_path / "x.h5"), "--wait-s", "0",
         "--stream", "no-such-stream-*"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert r.returncode == 2 and "no-such-stream-*" in r.stderr


def test_existing_output_and_missing_folder(tmp_path: Path, unique_id: str) -> None:
    out = tmp_path / "exists.h5"
    out.write_bytes(b"precious")
    r = subprocess.run(
        [*gazemap_cmd(), "record", "--out", str(out), "--stream", unique_id, "--wait-s", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "--force" in r.stderr
    assert out.read_bytes() == b"precious"
    r = subprocess.run(
        [*gazemap_cmd(), "record", "--out", str(tmp_path / "no" / "x.h5"), "--wait-s", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2 and "does not exist" in r.stderr


def test_ctrl_c_closes_the_file_cleanly(tmp_path: Path, unique_id: str) -> None:
    out = tmp_path / "c.h5"
    s = sim(tmp_path, unique_id, "--rate-hz", "500", "--screen-width-mm", "600")
    try:
        rec = Proc(
            ["record", "--out", str(out), "--stream", f"{unique_id}*", "--distance-mm", "700"],
            tmp_path,
            "rec",
        )
        wait_for(lambda: gaze_count(rec) > 0, 30, "progress with gaze samples")
        rec.signal(signal.SIGINT)
        assert rec.wait(30) == 0, rec.stderr()
    finally:
        s.stop()
    assert not journal_path(out).exists()
    with open_session(out) as sess:
        assert sess.attrs["stop_reason"] == "SIGINT"
        # screen: the tracker's (its desc), with the option given on the command line
        scr = sess.screen
        assert (scr.width_px, scr.width_mm, scr.distance_mm) == (1920, 600.0, 700.0)
        t = sess.raw_times("gaze")
        assert len(t) >= gaze_count(rec)
        np.testing.assert_allclose(np.diff(t), 1 / 500, atol=1e-6)  # nothing dropped
        assert "stopped (SIGINT)" in rec.stderr()


def test_sigterm_also_closes_cleanly(tmp_path: Path, unique_id: str) -> None:
    out = tmp_path / "t.h5"
    s = sim(tmp_path, unique_id, "--rate-hz", "200")
    try:
        rec = Proc(["record", "--out", str(out), "--stream", f"{unique_id}*"], tmp_path, "rec")
        wait_for(lambda: gaze_count(rec) > 0, 30, "progress with gaze samples")
        rec.signal(signal.SIGTERM)
        assert rec.wait(30) == 0, rec.stderr()
    finally:
        s.stop()
    with open_session(out) as sess:
        assert sess.attrs["stop_reason"] == "SIGTERM"
        assert len(sess.times("gaze")) > 0


def test_mark_reaches_the_recorder(tmp_path: Path, unique_id: str) -> None:
    out = tmp_path / "m.h5"
    mark_id = f"{unique_id}-mark"
    rec = Proc(
        ["record", "--out", str(out), "--stream", mark_id, "--wait-s", "20"], tmp_path, "rec"
    )
    try:
        t_before = time.monotonic()
        r = subprocess.run(
            [*gazemap_cmd(), "mark", "touchpoint/checkout/start", "--source-id", mark_id,
             "--wait-s", "15"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert r.returncode == 0, r.stderr
        assert "marked 'touchpoint/checkout/start'" in r.stdout
        wait_for(
            lambda: "markers: mark received (1 from gazemap mark" in rec.stderr(),
            20,
            "the recorder to see the mark stream end",
        )
        assert "LOST" not in rec.stderr() and "lost" not in rec.stderr()
        assert time.monotonic() - t_before < 60
    finally:
        rec.stop()
    with open_session(out) as sess:
        m = sess.markers()
        assert list(m.value) == ["touchpoint/checkout/start"]
        assert sess.stream_attrs("markers")["source_id"] == mark_id


def test_mark_without_recorder_fails_clearly(unique_id: str) -> None:
    r = subprocess.run(
        [*gazemap_cmd(), "mark", "hello", "--source-id", unique_id, "--wait-s", "0.5"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2
    assert "no recorder picked up" in r.stderr and "'hello' was not recorded" in r.stderr
    r = subprocess.run(
        [*gazemap_cmd(), "mark", "  ", "--wait-s", "0"], capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 2 and "empty" in r.stderr


def test_devices_lists_streams_and_drivers(tmp_path: Path, unique_id: str) -> None:
    s = sim(tmp_path, unique_id, "--no-wait", "--rate-hz", "100")
    try:
        wait_for(lambda: "session started" in s.stderr(), 30, "the simulator to start")
        r = subprocess.run(
            [*gazemap_cmd(), "devices", "--json", "--wait-s", "1.5"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        s.stop()
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    mine = {x["type"]: x for x in d["streams"] if x["source_id"].startswith(unique_id)}
    # free viewing (no --protocol): a tracker only; it has no page, so no Markers/Scroll
    assert set(mine) == {"Gaze"}
    assert mine["Gaze"]["channels"] == 9 and mine["Gaze"]["nominal_srate_hz"] == 100
    assert "simulated" in {x["name"] for x in d["drivers"]}
    txt = subprocess.run(
        [*gazemap_cmd(), "devices", "--wait-s", "0.2"], capture_output=True, text=True, timeout=60
    )
    assert txt.returncode == 0 and "drivers" in txt.stdout and "simulated" in txt.stdout


def test_stream_driver_options(tmp_path: Path) -> None:
    r = subprocess.run(
        [*gazemap_cmd(), "stream", "simulated", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0 and "--rate-hz" in r.stdout and "--truth" in r.stdout
    r = subprocess.run(
        [*gazemap_cmd(), "stream", "simulated", "--truth", str(tmp_path / "t.h5")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2 and "--duration-s or --protocol" in r.stderr
    r = subprocess.run(
        [*gazemap_cmd(), "stream", "simulated", "--rate-hz", "-5"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2 and "--rate-hz must be > 0" in r.stderr
    r = subprocess.run(
        [*gazemap_cmd(), "stream", "nosuch"], capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 2 and "simulated" in r.stderr


def test_late_stream_is_added_and_marks_merge(tmp_path: Path, unique_id: str) -> None:
    """A marker stream that starts mid-recording gets its own group; markers() merges."""
    out = tmp_path / "late.h5"
    s = sim(tmp_path, unique_id, "--rate-hz", "200", "--protocol", str(PROTOCOL))
    try:
        rec = Proc(["record", "--out", str(out), "--stream", f"{unique_id}*"], tmp_path, "rec")
        wait_for(lambda: gaze_count(rec) > 0, 30, "the recorder to record gaze")
        r = subprocess.run(
            [*gazemap_cmd(), "mark", "moderator: participant hesitates",
             "--source-id", f"{unique_id}-mod", "--name", "moderator", "--wait-s", "15"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert r.returncode == 0, r.stderr
        rec.stop()
        assert rec.p.returncode == 0, rec.stderr()
    finally:
        s.stop()
    assert "as /streams/moderator" in rec.stderr()
    with open_session(out) as sess:
        assert set(sess.stream_names) == {"gaze", "markers", "scroll", "moderator"}
        assert list(sess.markers("moderator").value) == ["moderator: participant hesitates"]
        merged = sess.markers()
        assert "moderator: participant hesitates" in list(merged.value)
        assert "touchpoint/home/start" in list(merged.value)
        assert np.all(np.diff(merged.time_s) >= 0)
