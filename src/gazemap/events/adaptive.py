"""Adaptive velocity threshold with saccade and post-saccadic oscillation (PSO, "glissade")
detection.

Reference: Nyström, M., & Holmqvist, K. (2010). An adaptive algorithm for fixation, saccade,
and glissade detection in eyetracking data. *Behavior Research Methods*, 42(1), 188-204.
doi:10.3758/BRM.42.1.188

Steps: angular speed and acceleration from a Savitzky-Golay filter (2nd order, 20 ms); samples
faster than 1000 deg/s or accelerating more than 100 000 deg/s^2 are noise (undefined); the
peak threshold PT starts at 100 deg/s and is iterated to mean + 6 SD of the speeds below it
until it changes by less than 1 deg/s; the onset threshold is mean + 3 SD. Each run above PT
is a saccade peak: its onset is found going back until the speed is below the onset
threshold and no longer falling, its offset going forward until the speed is below the
offset threshold (0.7 x onset + 0.3 x the local noise, mean + 3 SD of the 40 ms before the
onset) and no longer falling. A PSO follows when, within the next ``min_fixation_s``, the
speed rises above the offset threshold again; it ends where it falls below it. Saccades
shorter than 10 ms are dropped, fixations shorter than ``min_fixation_s`` are undefined.
"""

from __future__ import annotations

import numpy as np

from gazemap.events._common import Params, run_detector
from gazemap.events.postprocess import FIX, PSO, SAC, UNDEF, discard_short
from gazemap.events.preprocess import Prepared, runs
from gazemap.types import DetectionResult, GazeSamples, ScreenGeometry

DEFAULTS: Params = {
    "velocity_window_s": 0.020,
    "initial_threshold_deg_s": 100.0,
    "max_velocity_deg_s": 1000.0,
    "max_acceleration_deg_s2": 100000.0,
    "min_saccade_s": 0.010,
    "min_fixation_s": 0.040,
    "noise_window_s": 0.040,
    "detect_pso": True,
}


def sg_speed(prep: Prepared, window_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Angular speed (deg/s) and acceleration (deg/s^2) from Savitzky-Golay derivatives of the
    position in degrees, per valid run (NaN elsewhere)."""
    from scipy.signal import savgol_filter

    n = len(prep)
    w = max(3, int(round(window_s / prep.dt_s)) | 1)
    vx = np.full(n, np.nan)
    vy = np.full(n, np.nan)
    ax = np.full(n, np.nan)
    ay = np.full(n, np.nan)
    starts, ends = runs(prep.valid)
    for s, e in zip(starts, ends, strict=True):
        m = e - s
        if m < 3:
            continue
        ww = min(w, m if m % 2 else m - 1)
        if ww < 3:
            continue
        xs, ys = prep.x_deg[s:e], prep.y_deg[s:e]
        vx[s:e] = savgol_filter(xs, ww, 2, deriv=1, delta=prep.dt_s)
        vy[s:e] = savgol_filter(ys, ww, 2, deriv=1, delta=prep.dt_s)
        ax[s:e] = savgol_filter(xs, ww, 2, deriv=2, delta=prep.dt_s)
        ay[s:e] = savgol_filter(ys, ww, 2, deriv=2, delta=prep.dt_s)
    return np.hypot(vx, vy), np.hypot(ax, ay)


def adaptive_threshold(v: np.ndarray, start: float) -> tuple[float, float]:
    """Iterate PT = mean + 6 SD of the speeds below PT; return (PT, onset = mean + 3 SD)."""
    pt = start
    good = v[np.isfinite(v)]
    mean = sd = 0.0
    for _ in range(100):
        below = good[good < pt]
        if len(below) < 2:
            break
        mean, sd = float(below.mean()), float(below.std())
        new = mean + 6 * sd
        if abs(new - pt) < 1.0:
            pt = new
            break
        pt = new
    return pt, mean + 3 * sd


def classify(prep: Prepared, p: Params) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample labels of the adaptive detector and its speed, deg/s (see the module
    docstring)."""
    n = len(prep)
    v, a = sg_speed(prep, float(p["velocity_window_s"]))
    noise = (v > float(p["max_velocity_deg_s"])) | (a > float(p["max_acceleration_deg_s2"]))
    vv = np.where(noise, np.nan, v)
    pt, onset_thr = adaptive_threshold(vv, float(p["initial_threshold_deg_s"]))
    labels = np.full(n, UNDEF, dtype=np.int8)
    labels[prep.valid & ~noise] = FIX
    vz = np.where(np.isfinite(vv), vv, np.inf)  # lost / noise samples stop every search
    nw = max(1, int(round(float(p["noise_window_s"]) / prep.dt_s)))
    min_sac = float(p["min_saccade_s"])
    pso_win = max(1, int(round(float(p["min_fixation_s"]) / prep.dt_s)))
    with np.errstate(invalid="ignore"):
        ps, pe = runs(vv > pt)
    last_end = 0
    for s, e in zip(ps, pe, strict=True):
        if s < last_end:
            continue
        k = s
        while (
            k > last_end
            and vz[k - 1] < vz[k]
            or (k > last_end and vz[k - 1] >= onset_thr and np.isfinite(vz[k - 1]))
        ):
            k -= 1
        on = k
        pre = vv[max(0, on - nw) : on]
        pre = pre[np.isfinite(pre)]
        local = float(pre.mean() + 3 * pre.std()) if len(pre) > 1 else onset_thr
        off_thr = 0.7 * onset_thr + 0.3 * local
        k = e - 1
        while k + 1 < n and np.isfinite(vz[k + 1]) and (vz[k + 1] < vz[k] or vz[k + 1] >= off_thr):
            k += 1
        off = k + 1  # exclusive
        if (off - on) * prep.dt_s < min_sac - 1e-9:
            continue
        labels[on:off] = SAC
        last_end = off
        if not p["detect_pso"]:
            continue
        win = vv[off : min(n, off + pso_win)]
        with np.errstate(invalid="ignore"):
            above = np.flatnonzero(win > off_thr)
        if len(above) and not np.isnan(win[: above[-1] + 1]).any():
            k = off + int(above[-1])
            while (
                k + 1 < n
                and np.isfinite(vz[k + 1])
                and (vz[k + 1] < vz[k] or vz[k + 1] >= off_thr)
                and k + 1 - off < 2 * pso_win
            ):
                k += 1
            labels[off : k + 1] = PSO
            last_end = k + 1
    return discard_short(labels, prep, FIX, float(p["min_fixation_s"])), v


def detect_adaptive(gaze: GazeSamples, screen: ScreenGeometry, **params: object) -> DetectionResult:
    """Label ``gaze`` with the adaptive detector of Nyström & Holmqvist (2010).

    Parameters
    ----------
    gaze : (n,) samples in screen px.
    screen : screen geometry.
    **params : override DEFAULTS and the preprocessing defaults.
    """
    return run_detector("adaptive", gaze, screen, DEFAULTS, params, classify, window_velocity=False)
