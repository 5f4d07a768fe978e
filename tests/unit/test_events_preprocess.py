"""Preprocessing steps of gazemap.events against hand-computed values, and their errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gazemap.errors import InputError
from gazemap.events.preprocess import (
    PREPROCESS_DEFAULTS,
    check_times,
    detect_blinks,
    fill_gaps,
    label_runs,
    preprocess,
    resolve_params,
    runs,
    select_eye,
    smooth,
    unit_vectors,
    window_velocity,
)
from gazemap.geometry import angle_between_deg
from gazemap.types import GazeSamples, ScreenGeometry

# 1000 px over 500 mm at 500 mm: 1 px = 0.5 mm
SCREEN = ScreenGeometry(
    width_px=1000, height_px=500, width_mm=500.0, height_mm=250.0, distance_mm=500.0
)


def test_check_times_returns_median_interval() -> None:
    t = np.array([0.0, 0.002, 0.004, 0.006, 0.0081])
    assert check_times(t) == pytest.approx(0.002)
    assert check_times(np.array([1.0])) == 0.0


@pytest.mark.parametrize(
    ("t", "msg"),
    [
        (np.array([0.0, np.nan, 0.004]), "finite"),
        (np.array([np.inf]), "finite"),
        (np.array([0.0, 0.004, 0.002]), "must increase"),
        (np.array([0.0, 0.002, 0.002, 0.004]), "duplicated"),
        (
            np.concatenate([np.arange(50) * 0.002, 0.1 + np.arange(50) * 0.001]),
            "sample rate changes",
        ),
        (np.cumsum(np.tile([0.002, 0.002, 0.0002], 5)), "not constant"),
    ],
)
def test_check_times_errors(t: np.ndarray, msg: str) -> None:
    with pytest.raises(InputError, match=msg):
        check_times(t)


def test_runs_and_label_runs() -> None:
    s, e = runs(np.array([0, 1, 1, 0, 1], dtype=bool))
    assert s.tolist() == [1, 4] and e.tolist() == [3, 5]
    s, e, v = label_runs(np.array([1, 1, 2, 2, 2, 1], dtype=np.int8))
    assert s.tolist() == [0, 2, 5] and e.tolist() == [2, 5, 6] and v.tolist() == [1, 2, 1]
    s, e, v = label_runs(np.array([], dtype=np.int8))
    assert len(s) == len(e) == len(v) == 0


def test_fill_gaps_interpolates_short_gaps_only() -> None:
    t = np.arange(12) * 0.01
    x = np.array(
        [0, 1, np.nan, np.nan, 4, 5, np.nan, np.nan, np.nan, np.nan, 10, np.nan], dtype=float
    )
    y = x.copy()
    valid = ~np.isnan(x)
    # blind time of the first gap: t[4] - t[1] - 0.01 = 0.02 s; of the second: 0.04 s
    fx, fy, filled = fill_gaps(t, x, y, valid, max_gap_s=0.03, dt_s=0.01)
    assert fx[2] == pytest.approx(2.0) and fx[3] == pytest.approx(3.0)
    assert np.isnan(fx[6:10]).all()  # 40 ms > 30 ms: not filled
    assert np.isnan(fx[11])  # a loss at the end has nothing to interpolate towards
    assert filled.tolist() == [False, False, True, True] + [False] * 8
    _, _, none = fill_gaps(t, x, y, valid, max_gap_s=0.0, dt_s=0.01)
    assert not none.any()


def test_unit_vectors_and_velocity_match_geometry() -> None:
    t = np.arange(5) * 0.01
    x = np.array([500.0, 500.0, 600.0, 600.0, 600.0])
    y = np.full(5, 250.0)
    ux, uy, uz = unit_vectors(x, y, SCREEN)
    assert np.allclose(ux**2 + uy**2 + uz**2, 1.0)
    seg_s, seg_e = np.zeros(5, dtype=int), np.full(5, 4)
    v = window_velocity(t, ux, uy, uz, seg_s, seg_e, half=1)
    # sample 1: angle between px 500 and 600 = atan(50 mm / 500 mm) over 20 ms
    expect = math.degrees(math.atan(50 / 500)) / 0.02
    assert v[1] == pytest.approx(expect)
    assert v[2] == pytest.approx(expect)
    assert v[3] == pytest.approx(0.0, abs=1e-9)
    # first sample: window clipped to [0, 1], no motion
    assert v[0] == pytest.approx(0.0, abs=1e-9)
    ref = angle_between_deg(x[:-2], y[:-2], x[2:], y[2:], SCREEN) / 0.02
    assert np.allclose(v[1:-1], ref)


def test_velocity_is_nan_for_isolated_samples() -> None:
    t = np.arange(3) * 0.01
    ux, uy, uz = unit_vectors(np.array([1.0, 2.0, 3.0]), np.zeros(3), SCREEN)
    idx = np.arange(3)
    v = window_velocity(t, ux, uy, uz, idx, idx, half=1)
    assert np.isnan(v).all()


def test_smooth_median_keeps_edges() -> None:
    x = np.array([0.0, 10.0, 0.0, 0.0, 5.0, 0.0, 0.0])
    seg_s, seg_e = np.zeros(7, dtype=int), np.full(7, 6)
    out = smooth(x, seg_s, seg_e, "median", 3)
    assert out.tolist() == [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    # a window must not span a loss: sample 1 sits at a run edge and keeps its value
    out2 = smooth(x, np.array([0, 1, 1, 1, 1, 1, 1]), np.array([0, 6, 6, 6, 6, 6, 6]), "median", 3)
    assert out2[1] == 10.0 and out2[4] == 0.0
    assert smooth(x, seg_s, seg_e, "none", 3) is x
    sg = smooth(np.arange(7.0) ** 2, seg_s, seg_e, "savgol", 5)
    assert np.allclose(sg, np.arange(7.0) ** 2)  # a parabola passes a 2nd-order filter


def test_detect_blinks_extends_loss_with_pupil_artefact() -> None:
    t = np.arange(10) * 0.01
    lost = np.zeros(10, dtype=bool)
    lost[5:7] = True
    pupil = np.array([3.0, 3.0, 3.0, 3.0, 2.0, np.nan, np.nan, 2.5, 3.0, 3.0])
    blink = detect_blinks(t, lost, pupil, pupil_speed_mm_s=20.0, extend_s=0.05)
    # sample 4 shrinks at 100 mm/s, 7 grows at 50 mm/s; 3 and 8 change fast by gradient too
    assert blink[3:9].all() and not blink[:3].any() and not blink[9]
    assert detect_blinks(t, lost, None, 20.0, 0.05).tolist() == lost.tolist()


def test_select_eye_average_falls_back_to_one_eye() -> None:
    nan = np.nan
    g = GazeSamples(
        time_s=np.arange(3.0),
        x_px=np.array([1.0, nan, nan]),
        y_px=np.array([1.0, nan, nan]),
        left_x_px=np.array([0.0, 10.0, nan]),
        left_y_px=np.array([0.0, 20.0, nan]),
        right_x_px=np.array([2.0, 30.0, nan]),
        right_y_px=np.array([2.0, nan, nan]),
    )
    x, y = select_eye(g, "average")
    assert x[0] == 1.0 and x[1] == 20.0 and y[1] == 20.0 and np.isnan(x[2])
    lx, _ = select_eye(g, "left")
    assert lx[1] == 10.0
    with pytest.raises(InputError, match="left_x_px"):
        select_eye(GazeSamples(np.arange(2.0), np.zeros(2), np.zeros(2)), "left")


def test_resolve_params_converts_and_rejects() -> None:
    d = {"a_s": 0.1, "n": 3, "flag": True, "mode": "x", **PREPROCESS_DEFAULTS}
    out = resolve_params(d, {"a_s": "0.2", "n": "4", "flag": "no", "noise": "median"}, "det")
    assert out["a_s"] == 0.2 and out["n"] == 4 and out["flag"] is False and out["noise"] == "median"
    assert resolve_params(d, {"flag": 1}, "det")["flag"] is True
    for bad, msg in [
        ({"zzz": 1}, "no parameter 'zzz'"),
        ({"a_s": "fast"}, "must be a float"),
        ({"n": "2.5"}, "must be a int"),
        ({"flag": "maybe"}, "must be a bool"),
        ({"a_s": "nan"}, "must be a float"),
        ({"a_s": -1}, ">= 0"),
        ({"eye": "third"}, "'eye' must be one of"),
        ({"noise": "kalman"}, "'noise' must be one of"),
        # past any sensible value: a typo or milliseconds given as seconds
        ({"a_s": 60}, r"must be <= 10 s \(seconds: 60 ms is 0.06\), got 60"),
        ({"a_s": "1e300"}, "must be <= 10 s"),
        ({"noise_window": 10**6}, "must be <= 1001 samples"),
    ]:
        with pytest.raises(InputError, match=msg):
            resolve_params(d, bad, "det")
    # every detector's defaults are within the limits
    from gazemap.events import DETECTORS, detector_defaults
    from gazemap.events.preprocess import param_limit

    for name in DETECTORS:
        for key, value in detector_defaults(name).items():
            lim = param_limit(key)
            if lim is not None and not isinstance(value, (bool, str)):
                assert value <= lim[0], (name, key, value)
    assert param_limit("saccade_peak_deg_s") == (1e5, " deg/s")
    assert param_limit("max_acceleration_deg_s2")[0] == 1e7  # type: ignore[index]
    assert param_limit("blink_pupil_speed_mm_s")[0] == 1e4  # type: ignore[index]
    assert param_limit("eye") is None


def test_preprocess_offscreen_gaps_and_breaks() -> None:
    n = 40
    t = np.arange(n) * 0.002
    t[20:] += 0.1  # a 100 ms pause in the timestamps: a break
    x = np.full(n, 500.0)
    y = np.full(n, 250.0)
    x[5] = 5000.0  # far off-screen: lost, then filled (one sample)
    x[30:35] = np.nan
    p = preprocess(GazeSamples(t, x, y), SCREEN, dict(PREPROCESS_DEFAULTS), 0.02)
    assert p.lost[5] and p.filled[5] and p.valid[5] and p.x_px[5] == 500.0
    assert p.filled[30:35].all()  # 10 ms gap filled
    assert p.seg_end[19] == 19 and p.seg_start[20] == 20  # no window crosses the pause
    assert p.dt_s == pytest.approx(0.002) and p.t0_s == 0.0
    assert np.nanmax(p.velocity_deg_s) == pytest.approx(0.0, abs=1e-9)
