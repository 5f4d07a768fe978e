"""Post-processing shared by the detectors: merging and discarding fixations (Olsen 2012),
and turning per-sample labels into event tables.

Event times: an event starts at its first sample's time and ends where the next sample
starts (its last sample's time plus one interval at a break or the recording's end), so
durations are sample counts times the interval and consecutive events never overlap.
"""

from __future__ import annotations

import numpy as np

from gazemap.events.preprocess import (
    Prepared,
    chord_angle_deg,
    label_runs,
    px_to_deg_x,
    px_to_deg_y,
    unit_vectors,
)
from gazemap.types import Fixations, Label, Saccades

FIX = np.int8(Label.FIXATION)
SAC = np.int8(Label.SACCADE)
PSO = np.int8(Label.PSO)
PUR = np.int8(Label.PURSUIT)
BLINK = np.int8(Label.BLINK)
UNDEF = np.int8(Label.UNDEFINED)


def end_times(prep: Prepared, last: np.ndarray) -> np.ndarray:
    """Exclusive end time (relative clock) of events whose last sample index is ``last``."""
    t = prep.time_s
    n = len(t)
    nxt = np.minimum(last + 1, n - 1)
    gap = t[nxt] - t[last]
    use_next = (last + 1 < n) & (gap <= 1.5 * prep.dt_s) & (gap > 0)
    return np.where(use_next, t[nxt], t[last] + prep.dt_s)


def _run_means(values: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    if len(starts) == 0:
        return np.empty(0)
    c = np.concatenate(([0.0], np.cumsum(np.where(np.isnan(values), 0.0, values))))
    k = np.concatenate(([0], np.cumsum(~np.isnan(values))))
    with np.errstate(invalid="ignore", divide="ignore"):
        return (c[ends] - c[starts]) / (k[ends] - k[starts])


def merge_fixations(
    labels: np.ndarray, prep: Prepared, max_time_s: float, max_angle_deg: float
) -> np.ndarray:
    """Merge adjacent fixations (Olsen 2012, "merge adjacent fixations").

    Two consecutive fixations are merged when the time between the end of the first and the
    start of the second is at most ``max_time_s`` and the visual angle between their centroids
    is at most ``max_angle_deg``; the samples between them become fixation. Never merges
    across blink/loss samples or a time break. Returns a new label array.
    """
    labels = labels.copy()
    if max_time_s <= 0 or len(labels) == 0:
        return labels
    starts, ends, vals = label_runs(labels)
    is_fix = vals == FIX
    fs, fe = starts[is_fix], ends[is_fix]
    if len(fs) < 2:
        return labels
    # Olsen (2012): the angle between the fixations' average gaze positions
    ux, uy, uz = unit_vectors(
        _run_means(prep.x_px, fs, fe), _run_means(prep.y_px, fs, fe), prep.screen
    )
    angle = chord_angle_deg(ux[:-1] - ux[1:], uy[:-1] - uy[1:], uz[:-1] - uz[1:])
    gap_s = prep.time_s[fs[1:]] - end_times(prep, fe[:-1] - 1)
    # a blink/loss or time break between the two fixations forbids a merge
    bad = np.concatenate(([0], np.cumsum(~prep.valid)))
    brk = np.zeros(len(labels), dtype=bool)
    brk[1:] = np.diff(prep.time_s) > 1.5 * prep.dt_s
    cb = np.concatenate(([0], np.cumsum(brk)))
    clean = (bad[fs[1:]] - bad[fe[:-1]] == 0) & (cb[fs[1:] + 1] - cb[fe[:-1]] == 0)
    ok = (gap_s <= max_time_s + 1e-9) & (angle <= max_angle_deg) & clean
    for a, b in zip(fe[:-1][ok], fs[1:][ok], strict=True):
        labels[a:b] = FIX
    return labels


def discard_short(
    labels: np.ndarray, prep: Prepared, label: np.int8, min_s: float, to: np.int8 = UNDEF
) -> np.ndarray:
    """Relabel runs of ``label`` shorter than ``min_s`` as ``to`` (Olsen 2012: discard short
    fixations, which become unclassified). Returns a new array."""
    labels = labels.copy()
    if min_s <= 0 or len(labels) == 0:
        return labels
    starts, ends, vals = label_runs(labels)
    sel = vals == label
    s, e = starts[sel], ends[sel]
    dur = end_times(prep, e - 1) - prep.time_s[s]
    for a, b in zip(s[dur < min_s - 1e-9], e[dur < min_s - 1e-9], strict=True):
        labels[a:b] = to
    return labels


def split_at_breaks(
    labels: np.ndarray, prep: Prepared
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs of equal labels, also split where the timestamps pause (a break)."""
    starts, ends, vals = label_runs(labels)
    if len(labels) < 2:
        return starts, ends, vals
    brk = np.flatnonzero(np.diff(prep.time_s) > 1.5 * prep.dt_s) + 1
    if len(brk) == 0:
        return starts, ends, vals
    cuts = np.union1d(np.concatenate((starts, [len(labels)])), brk)
    starts2 = cuts[:-1]
    ends2 = cuts[1:]
    return starts2, ends2, labels[starts2]


def fixation_table(labels: np.ndarray, prep: Prepared) -> Fixations:
    """Fixations from per-sample labels: start/end s, centroid px and deg, dispersion deg.

    Dispersion is Salvucci & Goldberg's (max x - min x) + (max y - min y), in degrees.
    """
    starts, ends, vals = split_at_breaks(labels, prep)
    sel = vals == FIX
    s, e = starts[sel], ends[sel]
    if len(s) == 0:
        return Fixations.empty()
    from gazemap.geometry import px_to_deg

    # fixation samples are always valid (NaN-free): plain per-run reductions suffice
    xp = prep.x_px
    yp = prep.y_px
    count = e - s
    x = run_reduce(np.add, xp, s, e) / count
    y = run_reduce(np.add, yp, s, e) / count
    # px -> deg is monotonic per axis: the extremes in deg are those of px, converted
    xmax = run_reduce(np.maximum, xp, s, e)
    xmin = run_reduce(np.minimum, xp, s, e)
    ymax = run_reduce(np.maximum, yp, s, e)
    ymin = run_reduce(np.minimum, yp, s, e)
    sc = prep.screen
    disp = (
        px_to_deg_x(xmax, sc)
        - px_to_deg_x(xmin, sc)
        + px_to_deg_y(ymax, sc)
        - px_to_deg_y(ymin, sc)
    )
    x_deg, y_deg = px_to_deg(x, y, prep.screen)
    return Fixations(
        start_s=prep.time_s[s] + prep.t0_s,
        end_s=end_times(prep, e - 1) + prep.t0_s,
        x_px=x,
        y_px=y,
        x_deg=x_deg,
        y_deg=y_deg,
        dispersion_deg=disp,
    )


def saccade_table(labels: np.ndarray, prep: Prepared) -> Saccades:
    """Saccades from per-sample labels: start/end points px, amplitude deg, peak velocity."""
    starts, ends, vals = split_at_breaks(labels, prep)
    sel = vals == SAC
    s, e = starts[sel], ends[sel]
    if len(s) == 0:
        return Saccades.empty()
    a, b = s, e - 1
    ax, ay, az = unit_vectors(prep.x_px[a], prep.y_px[a], prep.screen)
    bx, by, bz = unit_vectors(prep.x_px[b], prep.y_px[b], prep.screen)
    amp = chord_angle_deg(ax - bx, ay - by, az - bz)
    v = np.where(np.isnan(prep.velocity_deg_s), -np.inf, prep.velocity_deg_s)
    peak = run_reduce(np.maximum, v, s, e)
    peak = np.where(np.isinf(peak), np.nan, peak)
    return Saccades(
        start_s=prep.time_s[s] + prep.t0_s,
        end_s=end_times(prep, b) + prep.t0_s,
        start_x_px=prep.x_px[a],
        start_y_px=prep.y_px[a],
        end_x_px=prep.x_px[b],
        end_y_px=prep.y_px[b],
        amplitude_deg=amp,
        peak_velocity_deg_s=peak,
    )


def run_reduce(
    ufunc: np.ufunc, values: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> np.ndarray:
    """``ufunc.reduce`` of ``values[starts[k]:ends[k]]`` for every (non-empty) run k, vectorised."""
    if len(starts) == 0:
        return np.empty(0, dtype=values.dtype)
    padded = np.concatenate((values, values[:1]))
    idx = np.empty(2 * len(starts), dtype=np.int64)
    idx[0::2] = starts
    idx[1::2] = ends
    return ufunc.reduceat(padded, idx)[0::2]
