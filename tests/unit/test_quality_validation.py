"""Accuracy from validation targets: the marker contract (validation/<x>,<y>/start|end), the
per-target error against hand-computed angles, every unusable marker, the simulator's
validation (its known tracker offset measured back) and the tracker's /calibration result."""

from __future__ import annotations

import math
from pathlib import Path

import h5py
import numpy as np
import pytest

from gazemap.errors import InputError, SessionFileError
from gazemap.quality import (
    VALIDATION_PATTERNS,
    VALIDATION_SETTLE_S,
    Validation,
    assess,
    tracker_validation_from_markers,
    validation_errors,
    validation_from_markers,
    validation_marker,
)
from gazemap.simulation import simulate_session
from gazemap.store import open_session
from gazemap.store.writer import SessionWriter
from gazemap.types import GazeSamples, ScreenGeometry

# 1 px = 0.5 mm, eye 500 mm away
SCREEN = ScreenGeometry(
    width_px=1000, height_px=500, width_mm=500.0, height_mm=250.0, distance_mm=500.0
)


def _markers(*pairs: tuple[float, str]) -> tuple[np.ndarray, np.ndarray]:
    t = np.array([p[0] for p in pairs], dtype=np.float64)
    v = np.empty(len(pairs), dtype=object)
    v[:] = [p[1] for p in pairs]
    return t, v


def test_marker_text_round_trips() -> None:
    assert validation_marker(500, 250, "start") == "validation/500,250/start"
    assert validation_marker(100.5, 50, "end") == "validation/100.5,50/end"
    with pytest.raises(ValueError, match="edge"):
        validation_marker(1, 2, "middle")
    t, v = _markers(
        (1.0, validation_marker(100.5, 50, "start")),
        (2.5, validation_marker(100.5, 50, "end")),
    )
    val, notes = validation_from_markers(t, v, SCREEN)
    assert notes == []
    assert val is not None
    assert val.points_px.tolist() == [[100.5, 50.0]]
    # the window starts after the settle time (the eye is still on its way before)
    assert val.start_s is not None and val.end_s is not None
    assert val.start_s.tolist() == [1.0 + VALIDATION_SETTLE_S] and val.end_s.tolist() == [2.5]


def test_other_markers_are_ignored_and_no_targets_is_none() -> None:
    t, v = _markers((0.0, "touchpoint/home/start"), (1.0, "screen/home"), (2.0, "validated"))
    assert validation_from_markers(t, v, SCREEN) == (None, [])


@pytest.mark.parametrize(
    ("pairs", "expect"),
    [
        ([(1.0, "validation/abc/start")], "is not validation/<x_px>,<y_px>/start"),
        ([(1.0, "validation/1,2/middle")], "is not validation/<x_px>,<y_px>/start"),
        ([(1.0, "validation/nan,2/start")], "is not validation/<x_px>,<y_px>/start"),
        ([(1.0, "validation/10,20/end")], "validation/10,20/end at 1.000 s has no start"),
        ([(1.0, "validation/10,20/start")], "started at 1.000 s has no end"),
        (
            [(1.0, "validation/5000,20/start"), (3.0, "validation/5000,20/end")],
            "lies outside the 1000x500 px screen",
        ),
        (
            [(1.0, "validation/10,20/start"), (1.3, "validation/10,20/end")],
            "was shown 0.30 s",
        ),
    ],
)
def test_unusable_markers_are_named_and_left_out(
    pairs: list[tuple[float, str]], expect: str
) -> None:
    t, v = _markers(*pairs)
    val, notes = validation_from_markers(t, v, SCREEN)
    assert val is None
    assert len(notes) == 1 and expect in notes[0], notes


def test_a_target_started_twice_uses_the_second_start() -> None:
    t, v = _markers(
        (1.0, "validation/10,20/start"),
        (2.0, "validation/10,20/start"),
        (4.0, "validation/10,20/end"),
    )
    val, notes = validation_from_markers(t, v, SCREEN)
    assert val is not None and val.start_s is not None
    assert val.start_s.tolist() == [2.0 + VALIDATION_SETTLE_S]
    assert len(notes) == 1 and "again at 2.000 s" in notes[0]


def test_errors_are_the_angle_to_the_median_gaze_in_each_window() -> None:
    # 3 s at 100 Hz: 0-1 s at (500, 250) + 10 px right, 1-2 s lost, 2-3 s at (700, 250) exact
    t = np.arange(300) / 100.0
    x = np.where(t < 1.0, 510.0, 700.0)
    x[(t >= 1.0) & (t < 2.0)] = np.nan
    # an outlier sample (a blink edge) does not move the median
    x[5] = 900.0
    y = np.full(300, 250.0)
    g = GazeSamples(t, x, y)
    val = Validation(
        np.array([[500.0, 250.0], [600.0, 250.0], [700.0, 250.0]]),
        start_s=np.array([0.0, 1.0, 2.0]),
        end_s=np.array([1.0, 2.0, 3.0]),
    )
    errs = validation_errors(g, SCREEN, val)
    # 10 px = 5 mm at the centre, 500 mm away
    assert errs[0] == pytest.approx(math.degrees(math.atan(5.0 / 500.0)), rel=1e-9)
    assert math.isnan(errs[1])  # no gaze while the target was shown
    assert errs[2] == pytest.approx(0.0, abs=1e-9)
    q = assess(g, SCREEN, labels=np.ones(300, dtype=np.int8), validation=val)
    assert q.accuracy_deg == pytest.approx(np.nanmean(errs))


def test_tracker_errors_without_windows_are_used_as_reported() -> None:
    val = Validation(np.array([[1.0, 2.0], [3.0, 4.0]]), error_deg=np.array([0.4, 0.6]))
    g = GazeSamples(np.arange(10) / 100.0, np.full(10, 500.0), np.full(10, 250.0))
    assert validation_errors(g, SCREEN, val).tolist() == [0.4, 0.6]
    assert assess(g, SCREEN, validation=val).accuracy_deg == pytest.approx(0.5)


@pytest.mark.parametrize("n_points", [5, 9])
@pytest.mark.parametrize("offset_deg", [0.0, 0.5, 1.5])
def test_simulated_validation_measures_the_simulated_tracker_offset(
    n_points: int, offset_deg: float
) -> None:
    screen = ScreenGeometry(1920, 1080, 531.0, 299.0, 650.0)
    sim = simulate_session(
        None,
        participant="V01",
        seed=4,
        screen=screen,
        rate_hz=250.0,
        duration_s=40.0,
        accuracy_offset_deg=offset_deg,
        validation_points=n_points,
    )
    val, notes = validation_from_markers(sim.markers.time_s, sim.markers.value, screen)
    assert notes == [] and val is not None
    assert len(val.points_px) == n_points
    expected = [
        [round(fx * screen.width_px), round(fy * screen.height_px)]
        for fx, fy in VALIDATION_PATTERNS[n_points]
    ]
    assert val.points_px.tolist() == expected
    acc = assess(sim.gaze, screen, validation=val).accuracy_deg
    # the noise (0.3 deg RMS-S2S, 1/f) moves the median by < 0.15 deg
    assert acc == pytest.approx(offset_deg, abs=0.15)
    assert sim.params["validation_points"] == n_points


def test_simulate_refuses_other_validation_patterns() -> None:
    with pytest.raises(
        InputError, match="validation_points must be 0, 5 or 9.*--validation-points"
    ):
        simulate_session(None, participant="V", seed=0, screen=SCREEN, validation_points=3)


def test_session_calibration_reads_the_tracker_result_and_names_damage(tmp_path: Path) -> None:
    path = tmp_path / "s.h5"
    with SessionWriter(path, participant="P1", screen=SCREEN) as w:
        w.write_calibration(np.array([[10.0, 20.0], [30.0, 40.0]]), np.array([0.3, 0.5]))
    with open_session(path) as s:
        cal = s.calibration()
    assert cal is not None
    assert cal[0].tolist() == [[10.0, 20.0], [30.0, 40.0]] and cal[1].tolist() == [0.3, 0.5]
    with h5py.File(path, "a") as f:
        del f["calibration/error_deg"]
        f["calibration/error_deg"] = np.array([0.3, 0.5, 0.7])
    with open_session(path) as s, pytest.raises(SessionFileError, match="/calibration/points_px"):
        s.calibration()
    with h5py.File(path, "a") as f:
        del f["calibration/error_deg"]
        f["calibration/error_deg"] = np.array([b"x", b"y"])
    with open_session(path) as s, pytest.raises(SessionFileError, match="/calibration/error_deg"):
        s.calibration()
    with h5py.File(path, "a") as f:
        del f["calibration"]
    with open_session(path) as s:
        assert s.calibration() is None


@pytest.mark.parametrize(
    ("marker", "n", "err"),
    [
        # the EyeLink driver publishes getCalibrationMessage() (tests/fakes/pylink.py)
        (
            "calibration/eyelink !CAL VALIDATION HV9 LR LEFT  GOOD ERROR 0.41 avg. 0.93 max",
            9,
            0.41,
        ),
        # the Gazepoint driver: the mean error in screen px; 21.5 px = 10.75 mm at 500 mm
        (
            "calibration/gazepoint avg_error_px=21.5 valid_points=5",
            5,
            math.degrees(math.atan(10.75 / 500.0)),
        ),
        ("calibration/relay avg_error_deg=0.6", 1, 0.6),
        # an imported ASC keeps EyeLink's messages as markers (without per-point VALIDATE lines
        # there is no /calibration)
        ("!CAL VALIDATION HV5 LR LEFT  GOOD ERROR 0.52 avg. 0.93 max  OFFSET 0.22 deg.", 5, 0.52),
    ],
)
def test_tracker_calibration_markers_give_its_accuracy(marker: str, n: int, err: float) -> None:
    values = np.array(["touchpoint/a/start", marker], dtype=object)
    val, notes = tracker_validation_from_markers(values, SCREEN)
    assert notes == [] and val is not None and val.error_deg is not None
    assert len(val.error_deg) == n and np.isnan(val.points_px).all()
    g = GazeSamples(np.arange(10) / 100.0, np.full(10, 500.0), np.full(10, 250.0))
    assert assess(g, SCREEN, validation=val).accuracy_deg == pytest.approx(err)


def test_tracker_calibration_without_an_error_is_named_and_a_recalibration_averages() -> None:
    values = np.array(
        [
            "calibration/gazepoint points=5 avg_error_px=nan",
            "calibration/x avg_error_deg=0.5 points=1",
            "calibration/x avg_error_deg=1.0 points=2",
        ],
        dtype=object,
    )
    val, notes = tracker_validation_from_markers(values, SCREEN)
    assert len(notes) == 1 and "avg_error_px=nan" in notes[0] and "not used" in notes[0]
    assert val is not None and val.error_deg is not None
    assert val.error_deg.mean() == pytest.approx((0.5 + 2 * 1.0) / 3)
    assert tracker_validation_from_markers(np.array(["screen/a"], dtype=object), SCREEN) == (
        None,
        [],
    )


def test_analyze_session_prefers_shown_targets_then_the_trackers_file_then_its_markers(
    tmp_path: Path,
) -> None:
    from dataclasses import replace

    from gazemap.batch import analyze_session
    from gazemap.cli.simulate import write_session
    from gazemap.protocol import load_protocol
    from gazemap.types import Markers

    protocol = load_protocol(Path(__file__).resolve().parents[2] / "protocols/online-store.yaml")
    screen = ScreenGeometry(1920, 1080, 531.0, 299.0, 650.0)
    sim = simulate_session(
        protocol,
        participant="V02",
        seed=1,
        screen=screen,
        rate_hz=250.0,
        duration_s=30.0,
        accuracy_offset_deg=0.9,
        validation_points=5,
    )
    tracker_marker = "calibration/eyelink !CAL VALIDATION HV9 LR LEFT GOOD ERROR 0.41 avg."
    t = np.append(sim.markers.time_s, sim.markers.time_s[-1] + 0.1)
    v = np.append(sim.markers.value, np.array([tracker_marker], dtype=object))
    with_both = replace(sim, markers=Markers(t, v))
    path = tmp_path / "both.h5"
    write_session(with_both, path)
    res = analyze_session(path, protocol, write_cache=False)
    assert res.ok and res.validation_points == 5
    assert res.accuracy_deg == pytest.approx(0.9, abs=0.15)
    # the targets' markers dropped: the tracker's file result (/calibration) comes next
    keep = np.array([not str(x).startswith("validation/") for x in v])
    only_tracker = replace(sim, markers=Markers(t[keep], v[keep]))
    path = tmp_path / "tracker.h5"
    write_session(only_tracker, path)
    res = analyze_session(path, protocol, write_cache=False)
    assert res.validation_points == 9 and res.accuracy_deg == pytest.approx(0.41)
    with h5py.File(path, "a") as f:
        f["calibration/points_px"] = np.array([[10.0, 10.0], [20.0, 20.0]])
        f["calibration/error_deg"] = np.array([0.2, 0.3])
    res = analyze_session(path, protocol, write_cache=False)
    assert res.validation_points == 2 and res.accuracy_deg == pytest.approx(0.25)


def test_analyze_session_says_when_the_targets_had_no_gaze(tmp_path: Path) -> None:
    import dataclasses

    from gazemap.batch import analyze_session
    from gazemap.cli.simulate import write_session
    from gazemap.protocol import load_protocol

    protocol = load_protocol(Path(__file__).resolve().parents[2] / "protocols/online-store.yaml")
    screen = ScreenGeometry(1920, 1080, 531.0, 299.0, 650.0)
    sim = simulate_session(
        protocol, participant="V03", seed=2, screen=screen, rate_hz=250.0, duration_s=30.0,
        validation_points=5,
    )  # fmt: skip
    val, _ = validation_from_markers(sim.markers.time_s, sim.markers.value, screen)
    assert val is not None and val.end_s is not None
    lost = sim.gaze.time_s <= val.end_s[-1]  # the tracker lost the eye during the validation
    gaze = dataclasses.replace(
        sim.gaze,
        x_px=np.where(lost, np.nan, sim.gaze.x_px),
        y_px=np.where(lost, np.nan, sim.gaze.y_px),
        **{
            k: np.where(lost, np.nan, getattr(sim.gaze, k))
            for k in ("left_x_px", "left_y_px", "right_x_px", "right_y_px")
            if getattr(sim.gaze, k) is not None
        },
    )
    path = tmp_path / "lost.h5"
    write_session(dataclasses.replace(sim, gaze=gaze), path)
    res = analyze_session(path, protocol, write_cache=False)
    assert res.ok and res.validation_points == 5 and res.accuracy_deg is None
    assert any("no valid gaze on any of them" in n for n in res.notes)
