"""XDF (LabRecorder), Pupil Player export and Lund CSV importers on reference fixtures."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import LUND

from gazemap.errors import ImportFormatError
from gazemap.importers import import_file
from gazemap.importers.lund import read_lund
from gazemap.importers.pupil_csv import read_pupil_export
from gazemap.importers.xdf import read_xdf
from gazemap.store import open_session
from gazemap.types import Label, Validity

REF = Path(__file__).resolve().parents[1] / "reference" / "importers"
XDF = REF / "labrecorder_gaze_markers_eeg.xdf"
PUPIL = REF / "pupil_export"
DEVICES = Path(__file__).resolve().parents[2] / "devices"


# -- XDF --------------------------------------------------------------------------------
def test_xdf_every_stream_and_clock_offsets(tmp_path: Path) -> None:
    (out,) = import_file("xdf", XDF, tmp_path / "x.h5")
    with open_session(out) as s:
        assert s.stream_names == ["eeg_amp", "gaze", "markers", "tobii"]
        g = s.gaze()
        assert len(g) == 300
        # pyxdf applied the +0.25 s clock offset of the gaze stream
        assert g.time_s[0] == pytest.approx(1000.25)
        assert np.isnan(g.x_px[50:60]).all() and (g.validity[50:60] == 3).all()
        assert g.left_pupil_mm[0] == pytest.approx(3.3)
        assert s.screen.width_px == 1280 and s.screen.distance_mm == 600
        assert s.clock_offsets("gaze").tolist() == [[1000.0, 0.25], [1001.5, 0.25], [1003.0, 0.25]]
        assert s.clock_offsets("eeg_amp")[:, 1].tolist() == [-0.5, -0.5]
        assert list(s.markers().value) == [
            "touchpoint/landing/start",
            "screen/landing",
            "touchpoint/landing/end",
        ]
        assert s.times("eeg_amp")[0] == pytest.approx(999.5)
        assert s.stream_attrs("eeg_amp")["channel_labels"] == ["Fz", "Cz"]
        assert s.channel("eeg_amp", "Cz")[0] == pytest.approx(1.0)
        assert (
            s.attrs["import_tool"] == "XDF (LabRecorder)"
            and s.attrs["import_gaze_stream"] == "gazemap-sim gaze"
        )


def _xdf_without_canonical_gaze(tmp_path: Path) -> Path:
    from fakes.xdfwrite import write_xdf

    p = tmp_path / "tobii_only.xdf"
    write_xdf(
        p,
        [
            {
                "id": 1,
                "name": "Tobii",
                "type": "Eyetracker",
                "labels": ["left_x", "left_y", "left_pupil", "right_x", "right_y", "right_pupil"],
                "units": [""] * 6,
                "srate": 60,
                "fmt": "float32",
                "source_id": "t",
                "times": 10.0 + np.arange(30) / 60.0,
                "values": np.tile([0.25, 0.5, 3.0, 0.27, 0.5, 3.1], (30, 1)),
            },
        ],
    )
    return p


def test_xdf_foreign_gaze_needs_a_profile_and_maps_with_one(tmp_path: Path) -> None:
    p = _xdf_without_canonical_gaze(tmp_path)
    with pytest.raises(
        ImportFormatError,
        match=r"no gaze stream with canonical channels.*Tobii \(Eyetracker\).*--profile",
    ):
        read_xdf(p)
    (r,) = read_xdf(p, profile=str(DEVICES / "app_tobiipro_lsl.yaml"))
    assert r.gaze["left_x_px"][0] == pytest.approx(480.0) and r.gaze["x_px"][0] == pytest.approx(
        (480 + 0.27 * 1920) / 2
    )
    assert r.extra_streams[0].name == "Tobii"  # the raw stream is kept too


def test_xdf_errors(tmp_path: Path) -> None:
    bad = tmp_path / "a.xdf"
    bad.write_bytes(b"PK\x03\x04 not xdf")
    with pytest.raises(ImportFormatError, match="not 'XDF:'"):
        read_xdf(bad)
    with pytest.raises(ImportFormatError, match="one recording"):
        read_xdf(XDF, recording=2)


# -- Pupil Player ---------------------------------------------------------------------------
def test_pupil_export() -> None:
    (r,) = read_pupil_export(PUPIL)
    assert len(r.time_s) == 200  # the repeated row is dropped
    assert np.all(np.diff(r.time_s) > 0) and r.nominal_srate == 200.0
    v = r.gaze["validity"].astype(int)
    assert (v == 3).sum() == 10 and (v == Validity.OFF_SCREEN).sum() == 9
    ok = v == 0
    assert r.gaze["x_px"][0] == 480.0 and r.gaze["y_px"][0] == pytest.approx(0.25 * 1080)
    assert np.allclose(r.gaze["left_pupil_mm"][ok], 3.2) and np.allclose(
        r.gaze["right_pupil_mm"][ok], 3.0
    )
    assert len(r.fixations) == 2 and r.fixations.end_s[0] - r.fixations.start_s[0] == pytest.approx(
        0.495
    )
    assert r.fixations.dispersion_deg.tolist() == [0.82, 0.64]
    assert list(r.markers.value) == ["touchpoint/landing/start", "touchpoint/landing/end"]
    assert r.source_attrs["tool_version"] == "3.5.1" and r.source_attrs["surface"] == "Screen"


def test_pupil_export_screen_option_and_session(tmp_path: Path) -> None:
    (out,) = import_file("pupil_csv", PUPIL, tmp_path / "p.h5", screen_px=(1280, 1024))
    with open_session(out) as s:
        assert s.gaze().x_px[0] == 320.0 and s.screen.width_px == 1280
        assert len(s.h5["derived/pupil_csv/fixations"]) == 2
        assert (s.h5["derived/pupil_csv/labels"][()] == Label.FIXATION).sum() > 150
        assert len(s.attrs["import_source_sha256"]) == 64


def test_pupil_export_errors(tmp_path: Path) -> None:
    with pytest.raises(ImportFormatError, match="not a folder"):
        read_pupil_export(PUPIL / "annotations.csv")
    empty = tmp_path / "exp"
    empty.mkdir()
    with pytest.raises(ImportFormatError, match="Surface Tracker"):
        read_pupil_export(empty)
    two = tmp_path / "two"
    shutil.copytree(PUPIL, two)
    shutil.copy(
        two / "surfaces" / "gaze_positions_on_surface_Screen.csv",
        two / "surfaces" / "gaze_positions_on_surface_Phone.csv",
    )
    with pytest.raises(ImportFormatError, match="several surfaces \\(Phone, Screen\\)"):
        read_pupil_export(two)
    with pytest.raises(ImportFormatError, match="no surface 'TV'"):
        read_pupil_export(two, surface="TV")
    g = two / "surfaces" / "gaze_positions_on_surface_Phone.csv"
    lines = g.read_text().splitlines()
    lines[3] = lines[3].replace("0.97", "high")
    g.write_text("\n".join(lines) + "\n")
    with pytest.raises(
        ImportFormatError, match=r"gaze_positions_on_surface_Phone.csv:4: confidence is 'high0'"
    ):
        read_pupil_export(two, surface="Phone")
    g.write_text("world_timestamp,x_norm\n1,2\n")
    with pytest.raises(
        ImportFormatError,
        match=r":1: missing column\(s\) \['gaze_timestamp', 'y_norm', 'confidence'\]",
    ):
        read_pupil_export(two, surface="Phone")
    with pytest.raises(ImportFormatError, match="one recording"):
        read_pupil_export(PUPIL, recording=3)


# -- Lund -----------------------------------------------------------------------------------
needs_lund = pytest.mark.skipif(
    not (LUND / "recordings.json").is_file(), reason="shared Lund data not present"
)


@needs_lund
def test_lund_csv_with_coder_labels(tmp_path: Path) -> None:
    (r,) = read_lund(LUND / "UH21_img_Rome.csv")
    assert r.screen_px == (1024, 768) and r.screen_mm == (380.0, 300.0, 670.0)
    assert set(r.label_sets) == {"mn", "ra"}
    (out,) = import_file("lund", LUND / "UH21_img_Rome.csv", tmp_path / "l.h5")
    with open_session(out) as s:
        assert s.screen.distance_mm == 670
        for coder in ("mn", "ra"):
            d = s.h5[f"derived/lund_{coder}"]
            labels = d["labels"][()]
            assert len(labels) == len(s.gaze())
            assert d["fixations"].shape[0] == np.count_nonzero(
                np.diff(np.r_[0, labels == Label.FIXATION].astype(int)) == 1
            )
            assert d.attrs["detector"] == f"lund_{coder}"


@needs_lund
def test_lund_folder_recording_option(tmp_path: Path) -> None:
    recs = read_lund(LUND)
    assert len(recs) >= 2
    (one,) = read_lund(LUND, recording=2)
    assert one.recording == recs[1].recording
    with pytest.raises(ImportFormatError, match="does not exist"):
        read_lund(LUND, recording=999)


def test_lund_errors(tmp_path: Path) -> None:
    p = tmp_path / "x.csv"
    p.write_text("time_s,x_px,y_px\n0,1,2\n")
    with pytest.raises(ImportFormatError, match="one recording"):
        read_lund(p, recording=2)
    p.write_text("time,x\n0,1\n")
    with pytest.raises(ImportFormatError):
        read_lund(p)


def test_lund_layout_csv_without_recordings_json(tmp_path: Path) -> None:
    (out,) = import_file("lund", REF / "lund_small.csv", tmp_path / "s.h5")
    with open_session(out) as s:
        g = s.gaze()
        assert len(g) == 442 and np.isnan(g.x_px[-10:]).all() and (g.validity[-10:] == 3).all()
        assert s.attrs["import_format"] == "lund"
        mn = s.h5["derived/lund_mn"]
        assert len(mn["fixations"]) == 6 and len(mn["saccades"]) == 6
        ra = s.h5["derived/lund_ra"]
        assert len(ra["saccades"]) == 6  # RA marks the last saccade sample as PSO
        assert (ra["labels"][()] == Label.PSO).sum() == 6
        # the first fixation's last sample is at 0.118 s (500 Hz): it lasts to 0.120 s
        assert mn["fixations"]["end_s"][0] == pytest.approx(0.120)
