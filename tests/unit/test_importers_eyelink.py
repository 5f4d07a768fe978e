"""EyeLink ASC importer: fixtures in tests/reference/importers, written sessions read back."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gazemap.errors import ImportFormatError, InputError
from gazemap.importers import import_file
from gazemap.importers.eyelink_asc import read_asc
from gazemap.store import open_session
from gazemap.types import Label, Validity

REF = Path(__file__).resolve().parents[1] / "reference" / "importers"
BINO = REF / "eyelink_binocular_2rec.asc"
MONO = REF / "eyelink_monocular_vel_res.asc"


def test_binocular_two_recordings() -> None:
    recs = read_asc(BINO)
    assert [r.recording for r in recs] == ["1", "2"]
    r = recs[0]
    assert len(r.time_s) == 111 and r.nominal_srate == 500.0 and r.screen_px == (1280, 1024)
    assert r.time_s[0] == pytest.approx(1000.010)
    assert np.all(np.diff(r.time_s) > 0)
    # first fixation: left (400..401, 300), right (404, 301); binocular mean between
    assert r.gaze["left_x_px"][0] == 400.0 and r.gaze["right_x_px"][0] == 404.0
    assert r.gaze["x_px"][0] == pytest.approx(402.0)
    v = r.gaze["validity"].astype(int)
    blink = (v & Validity.BLINK) != 0
    assert blink.sum() == 10
    assert np.isnan(r.gaze["x_px"][blink]).all()
    right_only_lost = v == Validity.RIGHT_INVALID
    assert right_only_lost.sum() == 10
    assert np.allclose(r.gaze["x_px"][right_only_lost], 700.0)
    assert np.isnan(r.gaze["left_pupil_raw"][blink]).all()
    assert r.gaze["left_pupil_raw"][0] == 1200.0
    # messages: those before START belong to the block; the offset form shifts the time
    assert sum(v.startswith(("VALIDATE", "!CAL")) for v in r.markers.value) == 9
    assert [v for v in r.markers.value if not v.startswith(("VALIDATE", "!CAL"))] == [
        "DISPLAY_COORDS 0 0 1279 1023",
        "RECCFG CR 500 2 1 LR",
        "TRIALID 1",
        "touchpoint/landing/start",
        "touchpoint/landing/end",
    ]
    k = list(r.markers.value).index("touchpoint/landing/start")
    assert r.markers.time_s[k] == pytest.approx((1000010 + 2 * 20 + 4) / 1000)
    # source events of the left eye
    assert len(r.fixations) == 2 and len(r.saccades) == 1
    # EFIX L 1000010 1000100 92 at 500 Hz: the last sample is at 1000100 and lasts to
    # start + duration = 1000102 (EyeLink's duration, not end - start = 90 ms)
    assert r.fixations.start_s[0] == pytest.approx(1000.010, abs=1e-9)
    assert r.fixations.end_s[0] == pytest.approx(1000.102, abs=1e-9)
    assert r.fixations.duration_s[0] == pytest.approx(0.092, abs=1e-9)
    assert r.saccades.end_s[0] - r.saccades.start_s[0] == pytest.approx(0.030, abs=1e-9)
    assert r.fixations.x_px[1] == 900.0
    assert r.saccades.amplitude_deg[0] == pytest.approx(12.43)
    assert r.saccades.peak_velocity_deg_s[0] == 512
    assert r.blinks.tolist() == [[1000.192, 1000.210]]
    assert list(recs[1].markers.value) == ["TRIALID 2", "screen/checkout"]
    assert len(recs[1].time_s) == 25
    assert recs[0].source_attrs["tool_version"].startswith("edfapi 4.2.1")
    assert "1000 Plus" in recs[0].source_attrs["tracker"]


def test_right_eye_events_on_request() -> None:
    r = read_asc(BINO, recording=1, event_eye="R")[0]
    assert r.fixations.x_px[0] == 404.0 and r.event_eye == "R"
    assert r.calibration is not None and r.calibration[1].tolist() == [0.40, 0.45, 0.33]


def test_monocular_with_velocity_and_resolution_columns() -> None:
    (r,) = read_asc(MONO)
    assert r.nominal_srate == 1000.0 and r.screen_px == (1920, 1080)
    assert len(r.time_s) == 40
    assert np.isnan(r.gaze.get("left_x_px", np.full(40, np.nan))).all()
    assert r.gaze["right_x_px"][0] == 960.0 and r.gaze["x_px"][30] == 1500.0
    assert np.isnan(r.gaze["x_px"][25])
    assert int(r.gaze["validity"][25]) == Validity.RIGHT_INVALID
    assert int(r.gaze["validity"][0]) == 0
    assert r.gaze["right_pupil_raw"][0] == 850.0
    assert r.event_eye == "R" and len(r.fixations) == 1


def test_session_file_has_streams_derived_and_provenance(tmp_path: Path) -> None:
    out = tmp_path / "p07.h5"
    written = import_file("eyelink_asc", BINO, out)
    assert [p.name for p in written] == ["p07_rec1.h5", "p07_rec2.h5"]
    assert not out.exists()
    with open_session(written[0]) as s:
        a = s.attrs
        assert a["import_format"] == "eyelink_asc"
        assert a["import_source_file"] == BINO.name
        import hashlib

        assert a["import_source_sha256"] == hashlib.sha256(BINO.read_bytes()).hexdigest()
        assert a["import_tool_version"].startswith("edfapi")
        assert s.screen.width_px == 1280 and s.screen.height_px == 1024
        g = s.gaze()
        assert len(g) == 111 and g.left_pupil_mm is not None and np.isnan(g.left_pupil_mm).all()
        assert "left_pupil_raw" in s.stream_attrs("gaze")["channel_labels"]
        m = s.markers()
        assert "touchpoint/landing/start" in list(m.value)
        d = s.h5["derived/eyelink_asc"]
        assert d.attrs["detector"] == "eyelink_asc" and bool(d.attrs["imported"])
        assert len(d["fixations"]) == 2 and len(d["saccades"]) == 1 and d["blinks"].shape == (1, 2)
        labels = d["labels"][()]
        assert len(labels) == 111
        assert labels[0] == Label.FIXATION and (labels == Label.SACCADE).sum() == 15
        assert (labels == Label.BLINK).sum() == 10
        assert d["fixations"]["x_deg"][0] < 0  # left of the screen centre
        cal = s.h5["calibration"]
        assert cal["points_px"][()].tolist() == [[640, 512], [640, 100], [1180, 512]]
        assert cal["error_deg"][()].tolist() == [0.31, 0.52, 0.27]
        assert cal.attrs["mean_error_deg"] == 0.37 and cal.attrs["eye"] == "left"
    with open_session(written[1]) as s:
        assert "calibration" not in s.h5  # no validation before the second recording


def test_recording_option_writes_one_file(tmp_path: Path) -> None:
    out = tmp_path / "r2.h5"
    assert import_file("eyelink_asc", BINO, out, recording=2) == [out]
    with open_session(out) as s:
        assert s.attrs["import_recording"] == "2" and len(s.gaze()) == 25


def test_existing_output_is_refused_without_force(tmp_path: Path) -> None:
    out = tmp_path / "m.h5"
    import_file("eyelink_asc", MONO, out)
    with pytest.raises(InputError, match="--force"):
        import_file("eyelink_asc", MONO, out)
    assert import_file("eyelink_asc", MONO, out, force=True) == [out]


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "bad.asc"
    p.write_text(text)
    return p


HEAD = "MSG\t10 DISPLAY_COORDS 0 0 1919 1079\nSTART\t10 \tLEFT\tSAMPLES\tEVENTS\nSAMPLES\tGAZE\tLEFT\tRATE\t1000.00\n"


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (
            HEAD + "10\t100.0\t200.0\t900.0\t...\n11\t100.0\n12\t1\t2\t3\nEND\t13\n",
            r"bad\.asc:5: sample line has 2 fields, expected at least 4",
        ),
        (HEAD + "10\t100.0\tabc\t900.0\t...\nEND\t13\n", r"bad\.asc:4: sample field 3 is 'abc'"),
        (HEAD + "10\t100.0\t200.0\t900.0\t...\n", r"no END \(file truncated\?\)"),
        (HEAD + "EFIX L 10 12\nEND\t13\n", r"bad\.asc:4: EFIX line has 4 fields, expected 8"),
        (
            HEAD + "EFIX L 10 x 3 1 2 3\nEND\t13\n",
            r"bad\.asc:4: expected a number for EFIX field 3",
        ),
        (HEAD + "EFIX Q 10 12 3 1 2 3\nEND\t13\n", r"bad\.asc:4: expected eye L or R"),
        (HEAD + "EFIX L 20 12 3 1 2 3\nEND\t13\n", r"bad\.asc:4: EFIX end time must be"),
        ("10\t1\t2\t3\n", r"bad\.asc:1: sample line outside a START"),
        ("MSG 10 hello\n", r"no recording"),
        (HEAD + "START\t11 LEFT\n", r"bad\.asc:4: START inside the block"),
        ("END\t13\n", r"bad\.asc:1: END without START"),
        ("START\t10 SAMPLES\n", r"START names no eye"),
        (HEAD + "12\t1\t2\t3\n11\t1\t2\t3\nEND\t13\n", r"sample times go backwards"),
        (HEAD + "12\tinf\t2\t3\nEND\t13\n", r"expected a finite number"),
        ("MSG\t10 DISPLAY_COORDS 0 0 -5 1079\n", r"DISPLAY_COORDS gives a screen"),
        ("MSG\tabc hello\n", r"bad\.asc:1: expected a number for the message time"),
    ],
)
def test_malformed_files_name_the_line(tmp_path: Path, body: str, match: str) -> None:
    with pytest.raises(ImportFormatError, match=match):
        read_asc(_write(tmp_path, body))


def test_recording_out_of_range(tmp_path: Path) -> None:
    with pytest.raises(ImportFormatError, match="--recording 3 does not exist; the file has 2"):
        read_asc(BINO, recording=3)


def test_wrong_encoding_is_a_format_error(tmp_path: Path) -> None:
    p = tmp_path / "latin.asc"
    p.write_bytes(HEAD.encode() + "MSG\t11 caf\xe9\n".encode("latin-1") + b"END\t13\n")
    with pytest.raises(ImportFormatError, match=r"latin\.asc:4: .* is not UTF-8"):
        read_asc(p)


def test_failed_import_leaves_no_file(tmp_path: Path) -> None:
    bad = _write(tmp_path, HEAD + "10\t100.0\tabc\t900.0\n")
    out = tmp_path / "out.h5"
    with pytest.raises(ImportFormatError):
        import_file("eyelink_asc", bad, out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.asc"]


def test_write_failure_mid_file_leaves_no_partial(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gazemap.importers import _common

    def boom(*a: object, **k: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(_common, "_write_derived", boom)
    with pytest.raises(OSError, match="disk full"):
        import_file("eyelink_asc", MONO, tmp_path / "x.h5")
    assert list(tmp_path.iterdir()) == []
