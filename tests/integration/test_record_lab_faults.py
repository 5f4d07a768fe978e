"""A recording day going wrong, one thing at a time: real `gazemap` processes, real LSL on
loopback (unique source ids), real HDF5. Each test counts what was sent against what the
file holds and checks what the user is told.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
from collections.abc import Iterator
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
        assert "a running recorder (another `gazemap record`) is recording" in line
        assert "another --out" in line
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


def test_mark_to_a_recorder_that_names_its_streams(tmp_path: Path, unique_id: str) -> None:
    """The web study records with --stream; a moderator's `gazemap mark` was then refused
    with "Is `gazemap record` running?" while it was. The message now names the --stream the
    recorder needs, and with it the mark is recorded."""
    out = tmp_path / "P02.h5"
    tracker = Proc(
        ["stream", "simulated", "--source-id", f"{unique_id}-gaze", "--rate-hz", "200",
         "--no-wait"],
        tmp_path, "tracker",
    )  # fmt: skip
    rec = Proc(["record", "--out", str(out), "--stream", f"{unique_id}-gaze"], tmp_path, "rec")
    wait_for(lambda: gaze_count(rec) > 0, 30, "gaze in the recorder")
    mark = [*gazemap_cmd(), "mark", "task/1/fail", "--source-id", f"{unique_id}-mark"]
    r = subprocess.run([*mark, "--wait-s", "1"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2
    assert "'task/1/fail' was not recorded" in r.stderr
    assert f"--stream '{unique_id}-mark'" in r.stderr, r.stderr
    assert rec.stop(signal.SIGTERM, 30) == 0, rec.stderr()
    # the next recording, with the pattern the message named
    out2 = tmp_path / "P02b.h5"
    rec = Proc(
        ["record", "--out", str(out2), "--stream", f"{unique_id}-gaze", "--stream",
         f"{unique_id}-mark"],
        tmp_path, "rec2",
    )  # fmt: skip
    wait_for(lambda: gaze_count(rec) > 0, 30, "gaze in the second recorder")
    r = subprocess.run([*mark, "--wait-s", "20"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    wait_for(lambda: "mark received" in rec.stderr(), 20, "the mark in the recorder")
    assert rec.stop(signal.SIGTERM, 30) == 0, rec.stderr()
    tracker.stop(signal.SIGTERM)
    with open_session(out2) as s:
        assert "task/1/fail" in [str(v) for v in s.markers().value]


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder nobody may write in: chmod 555 (not root), or a read-only tmpfs (root)."""
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(folder)],
                       capture_output=True, text=True)  # fmt: skip
    if r.returncode != 0:
        pytest.skip(f"cannot mount a read-only tmpfs here: {r.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def test_read_only_folder_is_refused_before_waiting_for_streams(
    read_only_folder: Path, unique_id: str
) -> None:
    """It was refused only once a stream was found (after up to --wait-s, with the tracker
    and participant started); with none yet, the user waited and was told to start one."""
    r = subprocess.run(
        [*gazemap_cmd(), "record", "--out", str(read_only_folder / "P03.h5"), "--stream",
         unique_id, "--wait-s", "20"],
        capture_output=True, text=True, timeout=15,
    )  # fmt: skip
    assert r.returncode == 2, r.stderr
    line = r.stderr.strip()
    assert line.count("\n") == 0 and "no LSL stream" not in line, line
    assert f"cannot create {read_only_folder / 'P03.h5.journal'}" in line
    assert "choose another --out" in line and "Nothing was recorded" in line
    assert os.listdir(read_only_folder) == []


def test_terminal_closed_stops_the_recorder_cleanly(tmp_path: Path, unique_id: str) -> None:
    """The recorder's terminal window is closed (SIGHUP): it used to die there, leaving a
    journal to recover; it now stops like Ctrl-C and the file is complete."""
    out = tmp_path / "P05.h5"
    tracker = Proc(
        ["stream", "simulated", "--source-id", unique_id, "--rate-hz", "500", "--no-wait"],
        tmp_path, "tracker",
    )  # fmt: skip
    rec = Proc(["record", "--out", str(out), "--stream", unique_id], tmp_path, "rec")
    wait_for(lambda: gaze_count(rec) > 500, 30, "a second of gaze")
    assert rec.stop(signal.SIGHUP, 30) == 0, rec.stderr()
    tracker.stop(signal.SIGTERM)
    assert not journal_path(out).exists()
    with open_session(out) as s:
        assert s.attrs["stop_reason"] == "SIGHUP"
        assert len(s.gaze().time_s) >= gaze_count(rec)


def test_a_tracker_that_stalls_is_reported_and_nothing_is_lost(
    tmp_path: Path, unique_id: str
) -> None:
    """The driver freezes for ~3 s (SIGSTOP: its outlet stays, so LSL sees no loss) and
    goes on: the recorder showed only '0 Hz'; it now says the stream is silent and when
    samples come again, and every sample the driver sent is in the file."""
    out = tmp_path / "P06.h5"
    tracker = Proc(
        ["stream", "simulated", "--source-id", unique_id, "--rate-hz", "500", "--wait-s", "30"],
        tmp_path, "tracker",
    )  # fmt: skip
    rec = Proc(["record", "--out", str(out), "--stream", unique_id], tmp_path, "rec")
    wait_for(lambda: gaze_count(rec) > 250, 30, "gaze in the recorder")
    tracker.signal(signal.SIGSTOP)
    try:
        wait_for(lambda: "no samples for 2 s" in rec.stderr(), 10, "the recorder's silence line")
        assert re.search(r"gaze \d+ 0 Hz, dropped 0 SILENT", rec.stderr()), rec.stderr()
    finally:
        tracker.signal(signal.SIGCONT)
    wait_for(lambda: "gaze: samples again" in rec.stderr(), 10, "samples again")
    n = gaze_count(rec)
    wait_for(lambda: gaze_count(rec) > n + 250, 15, "gaze after the stall")
    assert tracker.stop(signal.SIGTERM) == 0
    wait_for(lambda: "lost" in rec.stderr(), 15, "the tracker's stream gone")
    assert rec.stop(signal.SIGTERM, 30) == 0, rec.stderr()
    with open_session(out) as s:
        stored = len(s.gaze().time_s)
    # the simulator waits for the recorder before its first sample: all it sent is stored
    assert stored == _sent_gaze(tracker)
