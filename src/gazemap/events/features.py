"""Per-sample features for the learned detector, after Zemblys, Niehorster, Komogortsev &
Holmqvist (2018), "Using machine learning to detect events in eye-tracking data", *Behavior
Research Methods* 50(1), 160-181 (doi:10.3758/s13428-017-0860-3): speeds and accelerations at
several scales, dispersion, standard deviation and RMS sample-to-sample distance in windows,
position differences between the windows before and after the sample, direction consistency,
the fastest speed just before and after (which tells a PSO from a fixation), and the distance
in time to the nearest loss (blink edges).

All windows are in seconds so the same model serves any sample rate. Lost samples are
linearly bridged for the features only; their labels come from the blink rule.
"""

from __future__ import annotations

import numpy as np

from gazemap.events.preprocess import Prepared

#: window lengths (s) of the windowed features
WINDOWS_S: tuple[float, ...] = (0.012, 0.024, 0.05, 0.1, 0.2, 0.4)


def _fill(v: np.ndarray) -> np.ndarray:
    ok = np.isfinite(v)
    if ok.all() or not ok.any():
        return np.nan_to_num(v)
    idx = np.arange(len(v))
    return np.interp(idx, idx[ok], v[ok])


def _csum(v: np.ndarray) -> np.ndarray:
    return np.concatenate(([0.0], np.cumsum(v)))


def _win_mean(c: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    return (c[hi] - c[lo]) / np.maximum(hi - lo, 1)


def feature_names() -> list[str]:
    names = ["speed_s2s", "speed_sg_small", "speed_sg_large", "accel", "speed_ratio"]
    for w in WINDOWS_S:
        ms = int(round(w * 1000))
        names += [
            f"disp_{ms}",
            f"std_{ms}",
            f"rms_{ms}",
            f"meandiff_{ms}",
            f"mediandiff_{ms}",
            f"dircons_{ms}",
        ]
    names += [
        "vmax_before_40",
        "vmax_after_40",
        "vmax_before_100",
        "speed_over_vmax_before",
        "t_to_loss",
        "frac_filled_50",
    ]
    return names


def compute_features(prep: Prepared) -> np.ndarray:
    """Feature matrix (n, len(feature_names())) float32 for the preprocessed gaze."""
    from scipy import ndimage
    from scipy.signal import savgol_filter

    n = len(prep)
    dt = prep.dt_s
    x = _fill(prep.x_deg)
    y = _fill(prep.y_deg)
    lost = ~prep.valid
    cols: list[np.ndarray] = []
    dx = np.gradient(x) / dt if n > 1 else np.zeros(n)
    dy = np.gradient(y) / dt if n > 1 else np.zeros(n)
    s2s = np.hypot(dx, dy)
    cols.append(s2s)
    sg = []
    for w_s in (0.006, 0.02):
        w = max(3, int(round(w_s / dt)) | 1)
        if n >= w:
            vx = savgol_filter(x, w, 2, deriv=1, delta=dt)
            vy = savgol_filter(y, w, 2, deriv=1, delta=dt)
        else:
            vx, vy = dx, dy
        sg.append(np.hypot(vx, vy))
    cols += sg
    w = max(5, int(round(0.02 / dt)) | 1)
    if n >= w:
        ax = savgol_filter(x, w, 2, deriv=2, delta=dt)
        ay = savgol_filter(y, w, 2, deriv=2, delta=dt)
        cols.append(np.hypot(ax, ay))
    else:
        cols.append(np.zeros(n))
    med = ndimage.median_filter(sg[0], size=max(3, int(round(1.0 / dt)) | 1), mode="nearest")
    cols.append(sg[0] / (med + 1.0))

    idx = np.arange(n)
    cx, cy = _csum(x), _csum(y)
    cx2, cy2 = _csum(x * x), _csum(y * y)
    ddx = np.concatenate(([0.0], np.diff(x)))
    ddy = np.concatenate(([0.0], np.diff(y)))
    cs2 = _csum(ddx * ddx + ddy * ddy)
    cux, cuy = _csum(ddx), _csum(ddy)
    cstep = _csum(np.hypot(ddx, ddy))
    for w_s in WINDOWS_S:
        h = max(1, int(round(w_s / dt / 2)))
        size = 2 * h + 1
        lo = np.maximum(idx - h, 0)
        hi = np.minimum(idx + h + 1, n)
        disp = (
            ndimage.maximum_filter1d(x, size, mode="nearest")
            - ndimage.minimum_filter1d(x, size, mode="nearest")
            + ndimage.maximum_filter1d(y, size, mode="nearest")
            - ndimage.minimum_filter1d(y, size, mode="nearest")
        )
        mx, my = _win_mean(cx, lo, hi), _win_mean(cy, lo, hi)
        var = _win_mean(cx2, lo, hi) - mx * mx + _win_mean(cy2, lo, hi) - my * my
        std = np.sqrt(np.maximum(var, 0.0))
        rms = np.sqrt(np.maximum(_win_mean(cs2, lo, hi), 0.0))
        # windows before [i-h, i) and after (i, i+h]
        b_lo, b_hi = np.maximum(idx - h, 0), np.maximum(idx, 1)
        a_lo, a_hi = np.minimum(idx + 1, n - 1), np.minimum(idx + h + 1, n)
        meandiff = np.hypot(
            _win_mean(cx, a_lo, a_hi) - _win_mean(cx, b_lo, b_hi),
            _win_mean(cy, a_lo, a_hi) - _win_mean(cy, b_lo, b_hi),
        )
        mdx = ndimage.median_filter(x, size=h, origin=-(h // 2) if h > 1 else 0, mode="nearest")
        mdy = ndimage.median_filter(y, size=h, origin=-(h // 2) if h > 1 else 0, mode="nearest")
        # median of the h samples after minus the median of the h samples before
        after_i = np.minimum(idx + 1, n - 1)
        before_i = np.maximum(idx - h, 0)
        mediandiff = np.hypot(mdx[after_i] - mdx[before_i], mdy[after_i] - mdy[before_i])
        net = np.hypot(_win_mean(cux, lo, hi), _win_mean(cuy, lo, hi))
        path = _win_mean(cstep, lo, hi)
        dircons = net / (path + 1e-9)
        cols += [disp, std, rms, meandiff, mediandiff, dircons]

    v = sg[0]
    for span_s, before in ((0.04, True), (0.04, False), (0.1, True)):
        k = max(1, int(round(span_s / dt)))
        m = ndimage.maximum_filter1d(
            v, k, origin=(k - 1) // 2 if before else -(k // 2), mode="nearest"
        )
        # shift so the window excludes the sample itself
        if before:
            m = np.concatenate(([v[0]], m[:-1])) if n > 1 else m
        else:
            m = np.concatenate((m[1:], [v[-1]])) if n > 1 else m
        cols.append(m)
    cols.append(v / (cols[-3] + 1.0))
    # time to the nearest lost sample (s), capped at 0.2 s
    if lost.any():
        li = np.flatnonzero(lost)
        pos = np.searchsorted(li, idx)
        prev_d = np.where(pos > 0, idx - li[np.maximum(pos - 1, 0)], n)
        next_d = np.where(pos < len(li), li[np.minimum(pos, len(li) - 1)] - idx, n)
        tl = np.minimum(np.minimum(prev_d, next_d) * dt, 0.2)
    else:
        tl = np.full(n, 0.2)
    cols.append(tl)
    k = max(1, int(round(0.05 / dt)))
    cols.append(ndimage.uniform_filter1d(prep.filled.astype(np.float64), k, mode="nearest"))
    out = np.column_stack(cols).astype(np.float32)
    out[~np.isfinite(out)] = 0.0
    return out
