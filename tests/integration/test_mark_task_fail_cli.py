"""`gazemap mark task/<n>/fail` as README.md's "Record a session" block shows it: the real command."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path

import pylsl
import pytest
from conftest import gazemap_cmd, wait_for

ONLINE_STORE = Path(__file__).resolve().parents[2] / "protocols" / "online-store.yaml"


def _visible(source_id: str) -> bool:
    return bool(pylsl.resolve_byprop("source_id", source_id, minimum=1, timeout=0.5))


def _mark_lines(err: str) -> list[str]:
    """The recorder's progress lines that show both marks of the test below."""
    return [
        ln
        for ln in err.splitlines()
        if "| gaps" in ln and re.search(r"(?:\] |\| )(?:markers|gazemap_mark) 2 ", ln)
    ]


def test_mark_help_names_the_give_up_marker() -> None:
    # README: `gazemap mark task/2/fail  # the participant gave up task 2`; the command's own
    # help listed only touchpoint/screen markers, so a moderator could not find it there
    r = subprocess.run(
        [*gazemap_cmd(), "mark", "--help"], capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0, r.stderr
    text = " ".join(r.stdout.split())
    assert "task/<n>/fail" in text
    assert "gave up task n" in text


@pytest.mark.integration
def test_moderator_mark_is_announced_as_merged_and_counts(tmp_path: Path, unique_id: str) -> None:
    # README's record block: a simulator (its own Markers stream), `gazemap record` and a
    # moderator's `gazemap mark task/2/fail`. The recorder warned "the analysis uses
    # /streams/markers" and `gazemap info` noted "..., not gazemap_mark", so the moderator
    # read that the give-up was lost - but the analysis merges every Markers stream
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    sim = subprocess.Popen(
        [*gazemap_cmd(), "stream", "simulated", "--source-id", unique_id, "--rate-hz", "100",
         "--protocol", str(ONLINE_STORE), "--participant", "P01", "--no-wait",
         "--duration-s", "60"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )  # fmt: skip
    out = tmp_path / "P01.h5"
    rec = None
    try:
        wait_for(lambda: _visible(f"{unique_id}-markers"), 30, "the simulator's markers")
        rec = subprocess.Popen(
            [*gazemap_cmd(), "record", "--out", str(out), "--stream", f"{unique_id}*",
             "--quiet"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        mark = subprocess.run(
            [*gazemap_cmd(), "mark", "task/2/fail", "--source-id", f"{unique_id}-mark",
             "--wait-s", "20"],
            capture_output=True, text=True, timeout=60, env=env,
        )  # fmt: skip
        assert mark.returncode == 0, mark.stderr
        assert "marked 'task/2/fail'" in mark.stdout + mark.stderr
    finally:
        if rec is not None:
            rec.send_signal(signal.SIGTERM)
            _, err = rec.communicate(timeout=60)
        sim.terminate()
        sim.wait(timeout=20)
    assert rec is not None and rec.returncode == 0, err
    warnings = [ln for ln in err.splitlines() if "warning: a second Markers stream" in ln]
    assert len(warnings) == 1, err
    assert "the analysis merges its markers with those of /streams/markers" in warnings[0]
    assert "the analysis uses" not in warnings[0]
    info = subprocess.run(
        [*gazemap_cmd(), "info", str(out)], capture_output=True, text=True, timeout=60
    )
    assert info.returncode == 0, info.stderr
    notes = [ln for ln in info.stdout.splitlines() if ln.startswith("  note: 2 Markers")]
    assert len(notes) == 1, info.stdout
    assert "merges the markers of all of them" in notes[0] and "not gazemap_mark" not in notes[0]
    # ... and it is true: what the analysis reads holds the moderator's marker
    from gazemap.store.reader import open_session

    with open_session(out) as s:
        assert "task/2/fail" in list(s.markers().value)
        assert s.has_stream("markers")


@pytest.mark.integration
def test_each_moderator_mark_is_no_lost_stream_or_gap(tmp_path: Path, unique_id: str) -> None:
    # (README's record block: the simulator's own Markers stream, so the marks are a second
    # Markers stream, /streams/gazemap_mark)
    # `gazemap mark` opens an outlet, sends one marker and exits: the recorder showed
    # "gazemap_mark 1 LOST | gaps 1" after every mark and wrote a gap, which reads as a fault
    from integration.gazemap_procs import Proc, stop_leftovers  # noqa: F401

    from gazemap.acquisition.lsl import MARK_STREAM_NAME
    from gazemap.store.reader import open_session

    env = dict(os.environ, PYTHONUNBUFFERED="1")
    sim = Proc(
        ["stream", "simulated", "--source-id", unique_id, "--rate-hz", "100", "--no-wait",
         "--protocol", str(ONLINE_STORE), "--participant", "P01", "--duration-s", "60"],
        tmp_path, "sim",
    )  # fmt: skip
    out = tmp_path / "P01.h5"
    rec = None
    try:
        wait_for(lambda: _visible(unique_id), 30, "the simulator's gaze")
        rec = Proc(["record", "--out", str(out), "--stream", f"{unique_id}*"], tmp_path, "rec")
        for text in ("task/1/fail", "touchpoint/search/start"):
            mark = subprocess.run(
                [*gazemap_cmd(), "mark", text, "--source-id", f"{unique_id}-mark",
                 "--wait-s", "20"],
                capture_output=True, text=True, timeout=60, env=env,
            )  # fmt: skip
            assert mark.returncode == 0, mark.stderr
        # a progress line after both marks were sent and their outlets closed (the marks'
        # group is `markers` or `gazemap_mark`, whichever stream the recorder found first)
        wait_for(lambda: _mark_lines(rec.stderr()), 30, "a progress line with both marks")
        assert rec.stop(timeout_s=30) == 0, rec.stderr()
    finally:
        if rec is not None:
            rec.stop()
        sim.stop()
    err = rec.stderr()
    lines = _mark_lines(err)
    assert lines and all("LOST" not in ln and ln.endswith("| gaps 0") for ln in lines), err
    assert "lost; waiting" not in err and "is back" not in err, err
    with open_session(out) as s:
        assert {"task/1/fail", "touchpoint/search/start"} <= set(s.markers().value)
        groups = [g for g in ("markers", "gazemap_mark") if s.has_stream(g)]
        assert groups and all(len(s.gaps(g)) == 0 for g in groups)
    # the command's default stream name is the one the recorder treats as one-shot
    help_text = subprocess.run(
        [*gazemap_cmd(), "mark", "--help"], capture_output=True, text=True, timeout=60
    ).stdout
    assert f"default {MARK_STREAM_NAME}" in " ".join(help_text.split())
