"""A stream that ended before the recording stopped (``ended_s``): stored, recovered, shown.

A presenter that finishes closes its Markers and Scroll outlets; the recorder stores that
as the stream's ``ended_s`` attribute, not as a gap, and `gazemap info` says "ended N s
before the recording stopped" instead of "gaps 1 (N s)" (which read as lost data).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gazemap.errors import InputError
from gazemap.store import SessionWriter, StreamInfo, open_session
from gazemap.store.info import format_summary, summarize
from gazemap.store.journal import JournaledWriter, journal_path
from gazemap.store.recover import recover_session
from gazemap.store.schema import ENDED
from gazemap.types import GAZE_CHANNEL_LABELS, ScreenGeometry

SCREEN = ScreenGeometry(1920, 1080, 531.0, 299.0, 650.0)
GAZE = StreamInfo("g", "Gaze", GAZE_CHANNEL_LABELS, nominal_srate=100.0, source_id="g-1")
MARK = StreamInfo("m", "Markers", ("marker",), channel_format="string", source_id="m-1")


def _journaled(path: Path, close: bool) -> None:
    """What the recorder writes when the markers stream ended at 12.5 s, stop at 16.5 s."""
    w = JournaledWriter(path, participant="P1", screen=SCREEN)
    w.add_stream("gaze", GAZE)
    w.add_stream("markers", MARK)
    t = 10.0 + np.arange(600) / 100.0
    w.append("gaze", t, np.ones((600, len(GAZE_CHANNEL_LABELS)), np.float32))
    w.append("markers", np.array([10.5, 12.0]), ["screen/home", "touchpoint/home/end"])
    w.set_stream_attr("markers", ENDED, 12.5)
    w.set_attr("recording_stop_s", 16.5)
    if close:
        w.close()
    else:
        w.abort()  # killed after writing it: the journal is what is left


def test_ended_is_a_stream_attribute_not_a_gap(tmp_path: Path) -> None:
    p = tmp_path / "s.h5"
    _journaled(p, close=True)
    with open_session(p) as s:
        assert s.stream_attrs("markers")[ENDED] == 12.5
        assert ENDED not in s.stream_attrs("gaze") and ENDED not in s.attrs
        assert len(s.gaps("markers")) == 0
        info = summarize(s)
    m, g = info["streams"]["markers"], info["streams"]["gaze"]
    assert m["gaps"] == 0 and m["ended_s"] == 12.5 and m["ended_before_stop_s"] == 4.0
    assert g["ended_s"] is None and g["ended_before_stop_s"] is None
    assert info["notes"] == []  # the tracker ran until the stop: nothing to say
    line = next(ln for ln in format_summary(info).splitlines() if ln.startswith("  markers"))
    assert "gaps 0  ended 4.00 s before the recording stopped" in line


def test_recover_keeps_ended(tmp_path: Path) -> None:
    p = tmp_path / "s.h5"
    _journaled(p, close=False)
    assert journal_path(p).exists() and not p.exists()
    recover_session(p)
    with open_session(p) as s:
        assert s.stream_attrs("markers")[ENDED] == 12.5
        assert ENDED not in s.attrs  # a stream's attribute, not the root's


def test_older_file_without_ended_reads_as_before(tmp_path: Path) -> None:
    # files written before ended_s existed stored such an end as a last gap to the stop
    p = tmp_path / "old.h5"
    with SessionWriter(p, participant="P1", screen=SCREEN) as w:
        w.add_stream("markers", MARK)
        w.append("markers", np.array([10.5, 12.0]), ["a", "b"])
        w.add_gap("markers", 12.5, 16.5)
        w.set_attr("recording_stop_s", 16.5)
    with open_session(p) as s:
        info = summarize(s)
    m = info["streams"]["markers"]
    assert m["gaps"] == 1 and m["gap_s"] == 4.0
    assert m["ended_s"] is None and m["ended_before_stop_s"] is None
    text = format_summary(info)
    assert "gaps 1 (4.00 s)" in text and "  ended" not in text


def test_tracker_that_ended_while_others_went_on_is_noted(tmp_path: Path) -> None:
    # the same end is seen when a tracker is unplugged for good: the rest has no gaze
    p = tmp_path / "unplugged.h5"
    with SessionWriter(p, participant="P1", screen=SCREEN) as w:
        w.add_stream("gaze", GAZE)
        w.add_stream("markers", MARK)
        t = 10.0 + np.arange(200) / 100.0  # gaze until 11.99 s
        w.append("gaze", t, np.ones((200, len(GAZE_CHANNEL_LABELS)), np.float32))
        w.append("markers", np.array([10.5, 20.0]), ["a", "b"])  # markers until 20 s
        w.h5["streams"]["gaze"].attrs[ENDED] = 12.0
        w.set_attr("recording_stop_s", 21.0)
    with open_session(p) as s:
        info = summarize(s)
    assert info["streams"]["gaze"]["ended_before_stop_s"] == 9.0
    notes = [n for n in info["notes"] if n.startswith("/streams/gaze ended")]
    assert len(notes) == 1, info["notes"]
    assert "/streams/markers went on for 8.00 s after it: no gaze was recorded then" in notes[0]
    assert "  note: /streams/gaze ended at 12.000 s" in format_summary(info)


def test_ended_attribute_that_is_not_a_number_is_ignored(tmp_path: Path) -> None:
    p = tmp_path / "odd.h5"
    with SessionWriter(p, participant="P1", screen=SCREEN) as w:
        w.add_stream("markers", MARK)
        w.append("markers", np.array([10.5]), ["a"])
        w.h5["streams"]["markers"].attrs[ENDED] = "soon"
    with open_session(p) as s:
        info = summarize(s)
    assert info["streams"]["markers"]["ended_s"] is None
    assert "  ended" not in format_summary(info)


def test_stream_attribute_of_an_unknown_stream_is_refused(tmp_path: Path) -> None:
    w = JournaledWriter(tmp_path / "s.h5", participant="P1", screen=SCREEN)
    try:
        with pytest.raises(InputError, match="no stream 'markers' in .*add_stream it first"):
            w.set_stream_attr("markers", ENDED, 1.0)
    finally:
        w.close()
