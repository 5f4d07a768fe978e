"""A stream whose source finished before the recording stopped has ended: it is no gap.

Found by QA on the README's web-study block: when `gazemap present` finished, its Markers and
Scroll outlets closed, the recorder (stopped later with SIGTERM) stored that as a gap, and
`gazemap info` said "markers ... gaps 1 (4.07 s)", which reads as lost data. The presenter's
outlets are stood in for by the same pylsl outlets `gazemap present` makes
(``make_marker_outlet`` / ``make_scroll_outlet``, its stream names and ids), beside a real
`gazemap stream simulated` tracker and a real `gazemap record`, over loopback LSL. (A tracker
lost and back stays a gap: test_record_crash.py::test_stream_lost_and_reattached.)
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
from pathlib import Path

import pytest
from conftest import gazemap_cmd, wait_for
from integration.gazemap_procs import (  # noqa: F401 (stop_leftovers: autouse fixture)
    Proc,
    lab_recorder,
    lab_tracker,
    recorded,
    stop_leftovers,
)

from gazemap.acquisition.lsl import make_marker_outlet, make_scroll_outlet
from gazemap.store import open_session
from gazemap.store.schema import ENDED

pytestmark = pytest.mark.integration

MARKERS = ["screen/home", "touchpoint/home/start", "touchpoint/home/end"]


def _both_gone(rec: Proc) -> bool:
    """A progress line showing the page streams gone (so they ended before the stop)."""
    return any(
        f"| markers {len(MARKERS)} LOST |" in ln and "| scroll 2 LOST |" in ln
        for ln in rec.stderr().splitlines()
    )


def test_presenter_streams_that_end_are_no_gap(tmp_path: Path, unique_id: str) -> None:
    out = tmp_path / "P01.h5"
    tracker = lab_tracker(tmp_path, unique_id, "P01", 200)
    rec = None
    try:
        rec = lab_recorder(tmp_path, unique_id, "P01", out)
        wait_for(lambda: recorded(rec, "gaze") > 0, 30, "the recorder to record gaze")
        # the presenter's outlets, as `gazemap present --source-id <unique_id>-present` opens them
        m_out = make_marker_outlet("gazemap-present-markers", f"{unique_id}-present-markers")
        s_out = make_scroll_outlet("gazemap-present-scroll", f"{unique_id}-present-scroll")
        assert m_out.wait_for_consumers(30) and s_out.wait_for_consumers(30)
        for value in MARKERS:
            m_out.push_sample([value])
        s_out.push_sample([0.0, 0.0, 0.0, 0.0])
        s_out.push_sample([0.0, 400.0, 0.0, 0.0])
        wait_for(
            lambda: recorded(rec, "markers") == len(MARKERS) and recorded(rec, "scroll") == 2,
            20,
            "the recorder to receive the markers and scroll samples",
        )
        del m_out, s_out  # the presenter finished: its outlets close
        wait_for(lambda: _both_gone(rec), 20, "a progress line with markers and scroll gone")
        assert rec.stop(signal.SIGTERM, timeout_s=30) == 0, rec.stderr()  # as `kill %2`
    finally:
        if rec is not None:
            rec.stop()
        tracker.stop()

    err = rec.stderr()
    stopped = next(ln for ln in err.splitlines() if "stopped (SIGTERM)" in ln)
    assert re.search(r"markers 3 samples \(ended \d+\.\d\d s before the stop\)", stopped), err
    assert "gaps)" not in stopped, stopped
    # the progress line never counted them as gaps either
    progress = [ln for ln in err.splitlines() if re.search(r"\] .*\| gaps \d+$", ln)]
    assert progress and all(ln.endswith("| gaps 0") for ln in progress), err
    with open_session(out) as s:
        stop_s = float(s.attrs["recording_stop_s"])
        assert s.stream_names == ["gaze", "markers", "scroll"]
        for g in ("markers", "scroll"):
            assert len(s.gaps(g)) == 0, (g, s.gaps(g))
            ended = float(s.stream_attrs(g)[ENDED])  # type: ignore[arg-type]
            # after its last sample, before the stop (a progress line came in between)
            assert s.times(g)[-1] <= ended < stop_s, (g, ended, stop_s)
        assert list(s.markers().value) == MARKERS
        # the tracker ran until the stop: it did not end
        assert ENDED not in s.stream_attrs("gaze") and len(s.gaps("gaze")) == 0
    text = subprocess.run(
        [*gazemap_cmd(), "info", str(out)], capture_output=True, text=True, timeout=60
    )
    assert text.returncode == 0, text.stderr
    for g in ("markers", "scroll"):
        line = next(ln for ln in text.stdout.splitlines() if ln.startswith(f"  {g} "))
        assert re.search(r"gaps 0  ended \d+\.\d\d s before the recording stopped", line), line
    assert "gaps 1" not in text.stdout and "note:" not in text.stdout, text.stdout
    js = subprocess.run(
        [*gazemap_cmd(), "info", str(out), "--json"], capture_output=True, text=True, timeout=60
    )
    assert js.returncode == 0, js.stderr
    info = json.loads(js.stdout)
    m = info["streams"]["markers"]
    assert m["gaps"] == 0 and m["gap_s"] == 0.0
    assert m["ended_before_stop_s"] == pytest.approx(stop_s - m["ended_s"])
    assert m["ended_before_stop_s"] > 0
    assert info["streams"]["gaze"]["ended_s"] is None
