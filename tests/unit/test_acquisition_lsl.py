"""Reading LSL stream infos into what a session file keeps (labels, units, screen)."""

from __future__ import annotations

import pylsl

from gazemap.acquisition import lsl
from gazemap.acquisition.recorder import Recorder, RecorderConfig, stream_key
from gazemap.types import GAZE_CHANNEL_LABELS, SCROLL_CHANNEL_LABELS, ScreenGeometry

SCREEN = ScreenGeometry(1440, 900, 477.0, 298.0, 600.0)


def test_gaze_info_round_trips_labels_units_eyes_screen() -> None:
    info = lsl.gaze_stream_info("g", "sid-1", 500.0, SCREEN, manufacturer="ACME", model="X1")
    d = lsl.stream_description(info)
    assert d.channel_labels == GAZE_CHANNEL_LABELS
    assert d.channel_units[0] == "pixels" and d.channel_units[6] == "mm"
    assert d.channel_format == "float32" and d.nominal_srate == 500.0
    assert d.source_id == "sid-1" and d.type == "Gaze"
    assert d.extra["manufacturer"] == "ACME" and d.extra["model"] == "X1"
    assert d.extra["channel_eyes"].split(",")[2] == "left"
    assert lsl.screen_from_xml(d.xml) == SCREEN


def test_scroll_and_marker_infos() -> None:
    sc = lsl.stream_description(pylsl.StreamInfo("s", "Scroll", 4, 0, pylsl.cf_float32, "s-1"))
    assert sc.channel_labels == ("ch1", "ch2", "ch3", "ch4")  # no desc: generic names
    out = lsl.make_scroll_outlet("s", "s-2")
    d = lsl.stream_description(out.get_info())
    assert d.channel_labels == SCROLL_CHANNEL_LABELS
    m = lsl.stream_description(lsl.make_marker_outlet("m", "m-1").get_info())
    assert m.is_string and m.channel_labels == ("marker",)


def test_unlabelled_9_channel_gaze_gets_canonical_labels() -> None:
    info = pylsl.StreamInfo("vendor", "gaze", 9, 60, pylsl.cf_double64, "v-1")
    d = lsl.stream_description(info)
    assert d.channel_labels == GAZE_CHANNEL_LABELS
    assert d.channel_format == "float64"


def test_labels_made_safe_and_unique() -> None:
    info = pylsl.StreamInfo("eeg", "EEG", 4, 100, pylsl.cf_int16, "e-1")
    chns = info.desc().append_child("channels")
    for label in ("Fp1/A", "time_s", "Fp1/A", ""):
        chns.append_child("channel").append_child_value("label", label)
    d = lsl.stream_description(info)
    assert d.channel_labels == ("Fp1_A", "time_s_2", "Fp1_A_2", "ch4")
    assert d.channel_format == "float32"


def test_screen_from_bad_xml() -> None:
    assert lsl.screen_from_xml("<info><desc/></info>") is None
    assert lsl.screen_from_xml("not xml") is None
    bad = "<info><desc><screen><width_px>0</width_px><height_px>1</height_px>"
    bad += "<width_mm>1</width_mm><height_mm>1</height_mm><distance_mm>1</distance_mm>"
    bad += "</screen></desc></info>"
    assert lsl.screen_from_xml(bad) is None  # width 0 is not a screen
    assert lsl.channel_meta("broken <") == []


def test_stream_key_and_matching() -> None:
    a = pylsl.StreamInfo("Tobii", "Gaze", 9, 60, pylsl.cf_float32, "tobii-123")
    b = pylsl.StreamInfo("Tobii", "Gaze", 9, 60, pylsl.cf_float32, "")
    assert stream_key(a) == "sid:tobii-123"
    assert stream_key(b).startswith("nth:Tobii|Gaze|")
    rec = Recorder(RecorderConfig(out=__import__("pathlib").Path("x.h5")))
    assert rec.matches(a)
    assert not rec.matches(pylsl.StreamInfo("e", "EEG", 1, 1, pylsl.cf_float32, "e"))
    named = Recorder(RecorderConfig(out=__import__("pathlib").Path("x.h5"), streams=("tob*",)))
    assert named.matches(a)  # by source_id
    assert not named.matches(b)
    assert "tob*" in named.looking_for()
    assert "Gaze, Markers, Scroll" in rec.looking_for()


def test_group_names() -> None:
    from gazemap.acquisition.recorder import _Slot

    rec = Recorder(RecorderConfig(out=__import__("pathlib").Path("x.h5")))
    g1 = lsl.stream_description(lsl.gaze_stream_info("Tracker A", "a", 60))
    assert rec._group_for(g1) == "gaze"
    rec.slots["gaze"] = _Slot(group="gaze", info=g1, key="sid:a")
    g2 = lsl.stream_description(lsl.gaze_stream_info("Tracker B!", "b", 60))
    assert rec._group_for(g2) == "tracker_b"
    rec.slots["tracker_b"] = _Slot(group="tracker_b", info=g2, key="sid:b")
    assert rec._group_for(g2) == "tracker_b_2"
