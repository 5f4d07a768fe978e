"""Tobii Pro Lab / Studio TSV importer against fixtures in each tool's export layout."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gazemap.errors import ImportFormatError
from gazemap.importers import import_file
from gazemap.importers.tobii_tsv import read_tsv
from gazemap.store import open_session
from gazemap.types import Label, Validity

REF = Path(__file__).resolve().parents[1] / "reference" / "importers"
PROLAB = REF / "tobii_prolab_2rec.tsv"
STUDIO = REF / "tobii_studio.tsv"


def test_prolab_export() -> None:
    recs = read_tsv(PROLAB)
    assert [r.recording for r in recs] == ["Recording1", "Recording2"]
    r = recs[0]
    assert r.participant == "P03" and r.screen_px == (1920, 1080) and r.nominal_srate == 120.0
    assert len(r.time_s) == 60  # the mouse row and the event rows are not gaze samples
    assert r.time_s[1] - r.time_s[0] == pytest.approx(0.008333)
    assert r.gaze["x_px"][0] == 500.0 and r.gaze["left_x_px"][0] == 497.0
    assert r.gaze["left_pupil_mm"][0] == pytest.approx(3.21)  # decimal comma
    v = r.gaze["validity"].astype(int)
    assert (v[50:55] == Validity.LEFT_INVALID | Validity.RIGHT_INVALID).all()
    assert (v[55:] == Validity.RIGHT_INVALID).all() and (v[:50] == 0).all()
    assert np.isnan(r.gaze["right_pupil_mm"][55:]).all()
    assert list(r.markers.value) == [
        "RecordingStart",
        "ImageStimulusStart: landing.png",
        "MouseEvent: Left, Down",
        "RecordingEnd",
    ]
    assert len(r.fixations) == 2 and len(r.saccades) == 1
    assert r.fixations.end_s[0] == pytest.approx(0.158)  # start + Gaze event duration
    assert (r.fixations.x_px[1], r.fixations.y_px[1]) == (1400.0, 700.0)
    assert r.saccades.start_x_px[0] == 500.0 and r.saccades.end_x_px[0] == 1400.0
    assert r.source_attrs["tool"] == "Tobii Pro Lab"


def test_studio_export() -> None:
    (r,) = read_tsv(STUDIO)
    assert r.recording == "Rec 01" and r.participant == "P09" and r.screen_px == (1280, 1024)
    assert r.time_s[1] == pytest.approx(0.016)  # ms timestamps
    assert r.gaze["x_px"][0] == 640.0 and r.gaze["right_x_px"][0] == 642.0
    assert r.gaze["right_pupil_mm"][0] == pytest.approx(3.05)
    v = r.gaze["validity"].astype(int)
    assert (
        v[30] == Validity.LEFT_INVALID | Validity.RIGHT_INVALID and v[31] == Validity.RIGHT_INVALID
    )
    assert np.isnan(r.gaze["left_pupil_mm"][30])  # -1 with validity 4 is not a pupil
    assert list(r.markers.value) == ["ScreenRecStarted", "URLStart: https://bank.example/loan"]
    assert len(r.fixations) == 2 and r.fixations.x_px.tolist() == [640.0, 800.0]
    assert r.source_attrs == {"tool": "Tobii Studio", "tool_version": "3.4.8"}


def test_time_unit_override() -> None:
    (r,) = read_tsv(STUDIO, time_unit="us")
    assert r.time_s[1] == pytest.approx(16e-6)


def test_written_session(tmp_path: Path) -> None:
    (out,) = import_file("tobii_tsv", PROLAB, tmp_path / "s.h5", recording=2, participant="X1")
    with open_session(out) as s:
        assert s.participant == "X1"
        assert (
            s.attrs["import_tool"] == "Tobii Pro Lab"
            and s.attrs["import_recording"] == "Recording2"
        )
        assert len(s.gaze()) == 60
        labels = s.h5["derived/tobii_tsv/labels"][()]
        # events last their exported duration: fixation 1 158 ms = 19 of its 20 rows, the saccade
        # 33 ms = 4 of its 5 rows
        assert (labels == Label.FIXATION).sum() == 19 + 25 and (labels == Label.SACCADE).sum() == 4


def _tsv(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "bad.tsv"
    p.write_text(text)
    return p


H = "Recording timestamp\tGaze point X\tGaze point Y\tEvent\n"


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ("", r"bad\.tsv:1: empty file"),
        ("a\tb\n1\t2\n", r"bad\.tsv:1: no 'Recording timestamp'"),
        ("Recording timestamp\tPupil diameter left\n1\t2\n", r"no gaze point column"),
        (H, r"no data rows"),
        (H + "0\t1\t2\t\n10\t1\n", r"bad\.tsv:3: row has 2 tab-separated fields, the header has 4"),
        (H + "0\t1\t2\t\n10\tx\t2\t\n", r"bad\.tsv:3: x is 'x'"),
        (H + "0\t1\t2\t\n\t1\t2\t\n", r"bad\.tsv:3: the recording timestamp is empty"),
        (H + "10\t1\t2\t\n0\t1\t2\t\n", r"bad\.tsv:3: timestamp goes backwards"),
        (H + "0\t1e999\t2\t\n", r"bad\.tsv:2: x is '1e999'; expected a finite number"),
        (
            "Recording timestamp [ns]\tGaze point X\tGaze point Y\n1\t2\t3\n",
            r"unknown timestamp unit 'ns'",
        ),
    ],
)
def test_malformed_files_name_the_line(tmp_path: Path, body: str, match: str) -> None:
    with pytest.raises(ImportFormatError, match=match):
        read_tsv(_tsv(tmp_path, body))


def test_recording_out_of_range() -> None:
    with pytest.raises(ImportFormatError, match="--recording 5 does not exist; the export has 2"):
        read_tsv(PROLAB, recording=5)


def test_utf16_export_is_read(tmp_path: Path) -> None:
    p = tmp_path / "u16.tsv"
    p.write_bytes(STUDIO.read_text(encoding="utf-8").encode("utf-16"))
    (r,) = read_tsv(p)
    assert len(r.time_s) == 40


def test_parsing_pauses_gc_and_restores_it() -> None:
    import gc

    from gazemap.importers._common import no_gc

    assert gc.isenabled()
    with no_gc():
        assert not gc.isenabled()
    assert gc.isenabled()
    read_tsv(STUDIO)
    assert gc.isenabled()
    with pytest.raises(ImportFormatError):
        read_tsv(REF / "eyelink_monocular_vel_res.asc")
    assert gc.isenabled()
