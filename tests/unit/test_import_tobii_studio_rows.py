"""Tobii Studio writes events from other software (ExternalEvent / ExternalEventValue: E-Prime,
a web test's script sending touchpoint markers), mouse clicks (MouseEvent) and key presses
(KeyPressEvent) as rows of their own, without gaze. The external events were dropped (the
touchpoints of the study lost) and the click/key rows were read as invalid gaze samples
(data loss, samples at the same time as real ones)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gazemap.importers.tobii_tsv import read_tsv

HEADER = [
    "StudioVersionRec",
    "ParticipantName",
    "RecordingName",
    "RecordingResolution",
    "RecordingTimestamp",
    "MouseEventIndex",
    "MouseEvent",
    "MouseEventX (ADCSpx)",
    "MouseEventY (ADCSpx)",
    "KeyPressEventIndex",
    "KeyPressEvent",
    "StudioEventIndex",
    "StudioEvent",
    "StudioEventData",
    "ExternalEventIndex",
    "ExternalEvent",
    "ExternalEventValue",
    "GazePointX (ADCSpx)",
    "GazePointY (ADCSpx)",
    "ValidityLeft",
    "ValidityRight",
]


def _studio(tmp_path: Path) -> Path:
    rows: list[list[str]] = []

    def row(**kw: str) -> None:
        r = {h: "" for h in HEADER}
        r.update(
            {
                "StudioVersionRec": "3.4.8",
                "ParticipantName": "P09",
                "RecordingName": "Rec 01",
                "RecordingResolution": "1920 x 1080",
            }
        )
        r.update({k.replace("_", " "): v for k, v in kw.items()})
        rows.append([r[h] for h in HEADER])

    row(RecordingTimestamp="0", StudioEventIndex="1", StudioEvent="ScreenRecStarted")
    row(RecordingTimestamp="0", ExternalEventIndex="1", ExternalEvent="touchpoint/landing/start")
    for k in range(12):
        t = str(round(k * 1000 / 60))
        gaze = {"GazePointX (ADCSpx)": "500", "GazePointY (ADCSpx)": "400"}
        row(RecordingTimestamp=t, ValidityLeft="0", ValidityRight="0", **gaze)
        if k == 5:
            row(RecordingTimestamp=t, MouseEventIndex="1", MouseEvent="Left")
            row(RecordingTimestamp=t, KeyPressEventIndex="1", KeyPressEvent="Return")
        if k == 8:  # both eyes lost: still a gaze sample (validity 4), not a dropped row
            row(RecordingTimestamp=str(round(8.5 * 1000 / 60)), ValidityLeft="4", ValidityRight="4")
    row(
        RecordingTimestamp="183",
        ExternalEventIndex="2",
        ExternalEvent="touchpoint/landing/end",
        ExternalEventValue="",
    )
    f = tmp_path / "studio.tsv"
    f.write_text(
        "\n".join(["\t".join(HEADER), *("\t".join(r) for r in rows)]) + "\n", encoding="utf-8"
    )
    return f


def test_external_events_are_markers_and_click_rows_are_not_gaze(tmp_path: Path) -> None:
    (rec,) = read_tsv(_studio(tmp_path))
    assert list(rec.markers.value) == [
        "ScreenRecStarted",
        "touchpoint/landing/start",
        "touchpoint/landing/end",
    ]
    np.testing.assert_allclose(rec.markers.time_s, [0.0, 0.0, 0.183])
    # 12 valid samples + the one with both eyes invalid; the click and key rows are not gaze
    assert len(rec.time_s) == 13
    assert np.all(np.diff(rec.time_s) > 0)
    assert int(np.isnan(rec.gaze["x_px"]).sum()) == 1


def test_participant_option_on_several_recordings_warns(tmp_path: Path) -> None:
    from gazemap.importers import import_file

    # a Pro Lab export of two participants imported with --participant: both sessions got
    # the same id and gazemap analyze kept only the first, with no word at import time
    lines = [
        "Recording timestamp [μs]\tParticipant name\tRecording name\tGaze point X\tGaze point Y"
    ]
    for who, rec in (("P01", "Recording1"), ("P02", "Recording2")):
        lines += [f"{k * 8333}\t{who}\t{rec}\t500\t400" for k in range(6)]
    f = tmp_path / "two.tsv"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    warnings: list[str] = []
    written = import_file(
        "tobii_tsv", f, tmp_path / "s.h5", participant="P01", warn=warnings.append
    )
    assert len(written) == 2
    assert any(
        "gave all 2 recordings the same participant id" in w and "P01, P02" in w for w in warnings
    )
    quiet: list[str] = []
    import_file("tobii_tsv", f, tmp_path / "t.h5", warn=quiet.append)
    assert not any("same participant id" in w for w in quiet)
