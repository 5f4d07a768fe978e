"""`gazemap mark task/<n>/fail` as README.md's "Record a session" block shows it: the real command."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pylsl
import pytest
from conftest import gazemap_cmd, wait_for

ONLINE_STORE = Path(__file__).resolve().parents[2] / "protocols" / "online-store.yaml"


def _visible(source_id: str) -> bool:
    return bool(pylsl.resolve_byprop("source_id", source_id, minimum=1, timeout=0.5))


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
