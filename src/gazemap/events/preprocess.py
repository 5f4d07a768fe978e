"""Preprocessing shared by every detector: checks, eye selection, gap fill, blinks, smoothing,
and per-sample angular velocity and acceleration.

The steps follow the Tobii I-VT filter (Olsen, A. 2012. *The Tobii I-VT fixation filter:
algorithm description*. Tobii Technology): gap fill-in by linear interpolation of losses up to
75 ms, eye selection ("average"), optional noise reduction, and a velocity computed over a
window of 20 ms as the visual angle between the gaze directions at the window's first and last
sample divided by the time between them. Visual angles are exact per sample (the 3-D angle
between the two gaze vectors from an eye on the perpendicular through the screen centre), not
one px-per-degree constant.

Handling of awkward input (documented in docs/detection.md):

- empty input: an empty result, no error;
- non-finite, decreasing or duplicated timestamps: :class:`~gazemap.errors.InputError`;
- a sample rate that changes part-way (median interval of the first and second half differ by
  more than 20 %): ``InputError``;
- timestamps that scatter around their rate (more than 1 % of the intervals shorter than half
  the median: a driver stamping samples on arrival, two eye cameras merged): ``detect``
  resamples the gaze to a regular grid (:func:`resample_gaze`) and maps the labels back;
  :func:`check_times` alone refuses them;
- pauses in the timestamps longer than 1.5 sample intervals: a break; no event spans a break
  and no velocity is computed across it (the samples either side are kept);
- coordinates more than ``offscreen_margin`` screen sizes outside the screen: treated as lost;
- NaN runs: filled if no longer than ``max_gap_s``, otherwise labelled blink/loss.
"""

from __future__ import annotations

import dataclasses
import functools
import warnings
from dataclasses import dataclass

import numpy as np

from gazemap.errors import InputError
from gazemap.types import GazeSamples, ScreenGeometry

#: preprocessing parameters every detector accepts, with their defaults (Tobii I-VT preset)
PREPROCESS_DEFAULTS: dict[str, float | int | str | bool] = {
    "eye": "average",
    "max_gap_s": 0.075,
    "noise": "none",
    "noise_window": 3,
    "offscreen_margin": 0.5,
    "blink_pupil_speed_mm_s": 20.0,
    "blink_extend_s": 0.05,
}

_EYES = ("average", "left", "right", "binocular")
_NOISE = ("none", "median", "savgol")


@dataclass(frozen=True)
class Prepared:
    """Preprocessed gaze, one entry per input sample (arrays of shape (n,)).

    Attributes
    ----------
    time_s : sample times relative to the first sample, s (add ``t0_s`` for the clock).
    x_px, y_px : gaze after eye selection, gap fill and smoothing; NaN where lost.
    x_deg, y_deg : the same in degrees from the screen centre (computed on first use).
    valid : bool, the sample has a usable position.
    lost : bool, the sample was invalid in the input (before gap fill).
    filled : bool, the sample was interpolated by gap fill.
    blink : bool, the sample belongs to a blink / loss period (label 5).
    seg_start, seg_end : int, first and last index of the sample's run of valid samples
        without a time break (for windows that must not cross losses or pauses).
    velocity_deg_s : angular speed over the velocity window, deg/s; NaN where not defined
        (all NaN when preprocess was called without a window: the detector has its own).
    dt_s : nominal sample interval (median), s.
    t0_s : time of the first sample on the input clock, s.
    screen : the screen geometry used.
    """

    time_s: np.ndarray
    x_px: np.ndarray
    y_px: np.ndarray
    valid: np.ndarray
    lost: np.ndarray
    filled: np.ndarray
    blink: np.ndarray
    seg_start: np.ndarray
    seg_end: np.ndarray
    velocity_deg_s: np.ndarray
    dt_s: float
    t0_s: float
    screen: ScreenGeometry

    @functools.cached_property
    def x_deg(self) -> np.ndarray:
        return px_to_deg_x(self.x_px, self.screen)

    @functools.cached_property
    def y_deg(self) -> np.ndarray:
        return px_to_deg_y(self.y_px, self.screen)

    @property
    def rate_hz(self) -> float:
        return 1.0 / self.dt_s

    def __len__(self) -> int:
        return len(self.time_s)


# -- checks --------------------------------------------------------------------------------


def check_times(time_s: np.ndarray, name: str = "time_s") -> float:
    """Validate timestamps and return the nominal sample interval (median), s.

    Raises
    ------
    InputError
        Non-finite, decreasing or duplicated timestamps, or a sample rate that changes, or
        timestamps that scatter around their rate (which :func:`gazemap.events.detect`
        resamples instead: :func:`time_check`).
    """
    dt, short = time_check(time_s, name)
    if short > 0.01:
        raise InputError(
            f"{name}: {short:.1%} of the sample intervals are shorter than half the median "
            f"({dt * 1000:.3f} ms): the sample rate is not constant. "
            "Resample the recording to one rate before detection."
        )
    return dt


def time_check(time_s: np.ndarray, name: str = "time_s") -> tuple[float, float]:
    """Validate timestamps as :func:`check_times`, except their scatter around the rate.

    Returns
    -------
    (the nominal sample interval (median), s; the share of intervals shorter than half of
    it: above 0.01 the timestamps are irregular, see :func:`irregular_interval`)
    """
    t = np.asarray(time_s, dtype=np.float64)
    if len(t) < 2:
        if len(t) == 1 and not np.isfinite(t[0]):
            raise InputError(
                f"{name} must be finite, got {t[0]} at sample 0. Drop samples without a time."
            )
        return 0.0, 0.0
    bad = ~np.isfinite(t)
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(
            f"{name} must be finite, got {t[i]} at sample {i}. Drop samples without a timestamp."
        )
    d = np.diff(t)
    if (d < 0).any():
        i = int(np.argmax(d < 0))
        raise InputError(
            f"{name} must increase, but sample {i + 1} ({t[i + 1]:.6f} s) is earlier than sample {i} "
            f"({t[i]:.6f} s). Sort the samples by time before detection."
        )
    if (d == 0).any():
        i = int(np.argmax(d == 0))
        raise InputError(
            f"{name} has duplicated timestamps: samples {i} and {i + 1} are both at {t[i]:.6f} s. "
            "Remove the duplicated samples before detection."
        )
    if len(d) >= 20:
        half = len(d) // 2
        a, b = float(np.median(d[:half])), float(np.median(d[half:]))
        # the median of all lies between the halves' medians: equal halves give it for free
        med = a if a == b else float(np.median(d))
        if abs(a - b) > 0.2 * min(a, b):
            raise InputError(
                f"{name}: the sample rate changes from {1 / a:.1f} Hz to {1 / b:.1f} Hz within one "
                "recording. Split the recording where the rate changes, or resample it to one rate."
            )
    else:
        med = float(np.median(d))
    # rounded to 1 ns so that a shifted clock (rounding in t + offset) gives the same interval
    dt = round(med, 9) or med
    return dt, float(np.count_nonzero(d < 0.5 * dt)) / len(d)


#: samples per window over which an irregular stream's rate is measured
_RATE_WINDOW = 20


def irregular_interval(time_s: np.ndarray) -> float:
    """The interval to resample irregular timestamps to, s (more than 1 % of their intervals
    shorter than half the median, :func:`time_check`): the median over windows of 20 samples of
    the window's span / 20. Scatter averages out over a window, and a loss of samples
    lengthens only the windows it falls in."""
    t = np.asarray(time_s, dtype=np.float64)
    k = min(_RATE_WINDOW, len(t) - 1)
    return float(np.median((t[k:] - t[:-k]) / k))


def resample_gaze(gaze: GazeSamples, dt: float) -> tuple[GazeSamples, np.ndarray]:
    """``gaze`` on a regular grid of interval ``dt`` from its first sample, for detection.

    Positions and pupils are interpolated linearly between the two input samples around each
    grid time when both are valid and at most 3 intervals apart (else NaN: a loss stays a
    loss); validity flags are the nearest sample's.

    Returns
    -------
    (the resampled samples, (n,) index of the grid sample nearest to each input sample): a
    grid sample's label is that of the input samples mapped to it.
    """
    t = np.asarray(gaze.time_s, dtype=np.float64)
    n_grid = int(np.floor((t[-1] - t[0]) / dt + 1e-9)) + 1
    grid = t[0] + dt * np.arange(n_grid)
    hi = np.clip(np.searchsorted(t, grid, side="left"), 1, len(t) - 1)
    lo = hi - 1
    span = t[hi] - t[lo]
    w = np.where(span > 0, (grid - t[lo]) / np.where(span > 0, span, 1.0), 0.0)
    near = np.where(w < 0.5, lo, hi)
    # inside a loss of more than 3 intervals nothing is invented, except on an input sample
    on = np.abs(grid - t[near]) <= 1e-3 * dt
    close = (span <= 3.0 * dt) | on
    cols: dict[str, np.ndarray | None] = {}
    for f in dataclasses.fields(gaze):
        v = getattr(gaze, f.name)
        if f.name == "time_s" or v is None:
            continue
        v = np.asarray(v)
        if f.name == "validity":
            cols[f.name] = v[near]
            continue
        a, b = v[lo].astype(np.float64), v[hi].astype(np.float64)
        out = a + w * (b - a)
        out[on] = v[near[on]]
        out[~close] = np.nan
        cols[f.name] = out
    back = np.clip(np.rint((t - t[0]) / dt).astype(np.int64), 0, n_grid - 1)
    return GazeSamples(time_s=grid, **cols), back  # type: ignore[arg-type]


# upper bounds by name ending (first match): a value past them is a typo or a unit mistake
# (milliseconds given as seconds), never a setting that means something
_LIMITS: tuple[tuple[str, float, str], ...] = (
    ("_deg_s2", 1e7, " deg/s^2"),
    ("_deg_s", 1e5, " deg/s"),
    ("_mm_s", 1e4, " mm/s"),
    ("_s", 10.0, " s (seconds: 60 ms is 0.06)"),
    ("_hz", 1e5, " Hz"),
    ("_deg", 180.0, " deg"),
    ("_frac", 1.0, " (a fraction of the peak)"),
    ("_cos", 1.0, " (a cosine)"),
    ("_k", 1e3, " (a factor)"),
    ("noise_window", 1001, " samples"),
    ("offscreen_margin", 100.0, " screen sizes"),
)


def param_limit(key: str) -> tuple[float, str] | None:
    """The largest sensible value of parameter ``key`` and its unit text, or None."""
    for end, limit, unit in _LIMITS:
        if key.endswith(end):
            return limit, unit
    return None


def resolve_params(
    defaults: dict[str, float | int | str | bool], params: dict[str, object], detector: str
) -> dict[str, float | int | str | bool]:
    """Merge user ``params`` over ``defaults``, coercing strings (from the CLI) to the default's
    type. Unknown names raise InputError listing the valid ones."""
    out = dict(defaults)
    for key, value in params.items():
        if key not in defaults:
            raise InputError(
                f"detector {detector!r} has no parameter {key!r}; valid parameters: "
                f"{', '.join(sorted(defaults))}."
            )
        default = defaults[key]
        try:
            if isinstance(default, bool):
                if isinstance(value, str):
                    low = value.strip().lower()
                    if low not in ("true", "false", "1", "0", "yes", "no"):
                        raise ValueError(value)
                    out[key] = low in ("true", "1", "yes")
                else:
                    out[key] = bool(value)
            elif isinstance(default, int):
                f = float(value)  # type: ignore[arg-type]
                if f != int(f):
                    raise ValueError(value)
                out[key] = int(f)
            elif isinstance(default, float):
                out[key] = float(value)  # type: ignore[arg-type]
                if not np.isfinite(out[key]):
                    raise ValueError(value)
            else:
                out[key] = str(value)
        except (TypeError, ValueError) as exc:
            raise InputError(
                f"parameter {key!r} of detector {detector!r} must be a {type(default).__name__} "
                f"(default {default!r}), got {value!r}."
            ) from exc
    for key, value in out.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if value < 0:
                raise InputError(
                    f"parameter {key!r} of detector {detector!r} must be >= 0, got {value!r}."
                )
            limit = param_limit(key)
            if limit is not None and value > limit[0]:
                raise InputError(
                    f"parameter {key!r} of detector {detector!r} must be <= {limit[0]:g}"
                    f"{limit[1]}, got {value!r}."
                )
    if out.get("eye", "average") not in _EYES:
        raise InputError(f"parameter 'eye' must be one of {', '.join(_EYES)}, got {out['eye']!r}.")
    if out.get("noise", "none") not in _NOISE:
        raise InputError(
            f"parameter 'noise' must be one of {', '.join(_NOISE)}, got {out['noise']!r}."
        )
    return out


# -- run helpers ---------------------------------------------------------------------------


def runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and (exclusive) end indices of the runs of True in a bool array."""
    m = np.concatenate(([False], np.asarray(mask, dtype=bool), [False]))
    d = np.flatnonzero(m[1:] != m[:-1])
    return d[0::2], d[1::2]


def label_runs(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs of equal values: (start, exclusive end, value) arrays."""
    n = len(labels)
    if n == 0:
        e = np.empty(0, dtype=np.int64)
        return e, e, np.empty(0, dtype=labels.dtype)
    change = np.flatnonzero(labels[1:] != labels[:-1]) + 1
    starts = np.concatenate(([0], change))
    ends = np.concatenate((change, [n]))
    return starts, ends, labels[starts]


def _segments(ok: np.ndarray, brk: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample first/last index of its run of ``ok`` samples not split by a break.

    ``brk[i]`` True means a time break between samples i-1 and i."""
    n = len(ok)
    itype = np.int32 if n < 2**31 - 1 else np.int64  # half the memory of int64 for < 2 G samples
    idx = np.arange(n, dtype=itype)
    first = ok & (np.concatenate(([True], ~ok[:-1])) | brk)
    last = ok & (np.concatenate((~ok[1:], [True])) | np.concatenate((brk[1:], [True])))
    seg_start = np.where(first, idx, 0)
    np.maximum.accumulate(seg_start, out=seg_start)
    seg_end = np.where(last, idx, n - 1)[::-1]
    np.minimum.accumulate(seg_end, out=seg_end)
    return seg_start, seg_end[::-1]


# -- steps ---------------------------------------------------------------------------------


def select_eye(gaze: GazeSamples, eye: str) -> tuple[np.ndarray, np.ndarray]:
    """Gaze position used for detection, px.

    ``binocular``: the ``x_px``/``y_px`` channels as recorded. ``average`` (Tobii's default):
    the binocular channels, and where those are NaN the mean of the valid eyes, else the one
    valid eye. ``left``/``right``: that eye's channels (InputError if absent).
    """
    x = np.array(gaze.x_px, dtype=np.float64)
    y = np.array(gaze.y_px, dtype=np.float64)
    if eye in ("left", "right"):
        ex, ey = getattr(gaze, f"{eye}_x_px"), getattr(gaze, f"{eye}_y_px")
        if ex is None or ey is None:
            raise InputError(
                f"eye={eye!r} needs the {eye}_x_px and {eye}_y_px channels, which this gaze lacks. "
                "Use eye=average."
            )
        return np.array(ex, dtype=np.float64), np.array(ey, dtype=np.float64)
    if eye == "average" and gaze.left_x_px is not None and gaze.right_x_px is not None:
        miss = np.isnan(x) | np.isnan(y)
        if miss.any():
            lx, ly = gaze.left_x_px[miss], gaze.left_y_px[miss]  # type: ignore[index]
            rx, ry = gaze.right_x_px[miss], gaze.right_y_px[miss]  # type: ignore[index]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # both eyes lost: stays NaN
                x[miss] = np.nanmean(np.vstack([lx, rx]), axis=0)
                y[miss] = np.nanmean(np.vstack([ly, ry]), axis=0)
    return x, y


def fill_gaps(
    time_s: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    valid: np.ndarray,
    max_gap_s: float,
    dt_s: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Linearly interpolate runs of invalid samples lasting at most ``max_gap_s``.

    A run's length is (time of the next valid sample - time of the last valid one) - one
    nominal interval, i.e. the time the tracker was blind. Runs at the start or end of the
    recording are never filled (nothing to interpolate from).

    Returns
    -------
    x, y : (n,) ``x`` and ``y`` filled in place; filled : (n,) bool, interpolated samples.
    """
    filled = np.zeros(len(x), dtype=bool)
    starts, ends = runs(~valid)
    if len(starts) == 0 or max_gap_s <= 0:
        return x, y, filled
    inner = (starts > 0) & (ends < len(x))
    starts, ends = starts[inner], ends[inner]
    a, b = starts - 1, ends
    blind_s = time_s[b] - time_s[a] - dt_s
    ok = blind_s <= max_gap_s + 1e-9 * max(1.0, max_gap_s)
    for s, e in zip(starts[ok], ends[ok], strict=True):
        w = (time_s[s:e] - time_s[s - 1]) / (time_s[e] - time_s[s - 1])
        x[s:e] = x[s - 1] + w * (x[e] - x[s - 1])
        y[s:e] = y[s - 1] + w * (y[e] - y[s - 1])
        filled[s:e] = True
    return x, y, filled


def detect_blinks(
    time_s: np.ndarray,
    lost: np.ndarray,
    pupil_mm: np.ndarray | _LazyPupil | None,
    pupil_speed_mm_s: float,
    extend_s: float,
) -> np.ndarray:
    """Blink/loss samples: every remaining loss, widened by the pupil's eyelid artefact.

    Around a loss, the eyelid first covers part of the pupil: the measured pupil shrinks or
    grows fast and the gaze estimate jumps. Samples within ``extend_s`` of a loss whose pupil
    changes faster than ``pupil_speed_mm_s`` (or whose pupil is NaN) join the blink.
    Without a pupil channel the blink is the loss itself.
    """
    blink = lost.copy()
    if pupil_mm is None or not blink.any() or extend_s <= 0:
        return blink
    p = (
        pupil_mm
        if isinstance(pupil_mm, _LazyPupil)
        else _LazyPupil([np.asarray(pupil_mm, dtype=np.float64)])
    )
    n = len(p)
    dt = float(np.median(np.diff(time_s))) if n > 1 else 1.0
    k = max(1, int(np.ceil(extend_s / dt)) + 1)
    starts, ends = runs(lost)
    offs = np.arange(k)

    def odd(j: np.ndarray) -> np.ndarray:
        # central-difference pupil speed at j (one-sided at the ends); NaN counts as odd
        a = np.maximum(j - 1, 0)
        b = np.minimum(j + 1, n - 1)
        pa, pb, pj = p.take(a), p.take(b), p.take(j)
        with np.errstate(invalid="ignore", divide="ignore"):
            speed = np.abs(pb - pa) / (time_s[b] - time_s[a])
        return ~(np.isfinite(pj) & (b > a) & (speed <= pupil_speed_mm_s))

    mark = np.zeros(n + 1, dtype=np.int64)
    # before each loss: samples s-1, s-2, ... while odd and within extend_s
    left = starts[:, None] - 1 - offs[None, :]
    lc = np.clip(left, 0, n - 1)
    ok = (left >= 0) & (time_s[starts][:, None] - time_s[lc] <= extend_s) & odd(lc)
    m = np.cumprod(ok, axis=1).sum(axis=1)
    np.add.at(mark, starts - m, 1)
    np.add.at(mark, starts, -1)
    # after each loss: samples e, e+1, ...
    right = ends[:, None] + offs[None, :]
    rc = np.clip(right, 0, n - 1)
    ok = (right < n) & (time_s[rc] - time_s[ends - 1][:, None] <= extend_s) & odd(rc)
    m = np.cumprod(ok, axis=1).sum(axis=1)
    np.add.at(mark, ends, 1)
    np.add.at(mark, ends + m, -1)
    blink |= np.cumsum(mark)[:n] > 0
    return blink


#: at most this many sample-to-sample steps, evenly spread, estimate the noise level (the
#: median of 50,000 is within ~1 % of the whole recording's; 5 ms on an hour of 1 kHz gaze)
NOISE_STEPS = 50_000


def sample_noise_deg(prep: Prepared) -> float:
    """Median angle between consecutive valid samples, deg (a robust noise level: most
    samples are in fixations); 0 with fewer than two valid samples. Longer recordings are
    measured on ``NOISE_STEPS`` steps spread evenly over them (the same each time), which
    keeps the memory of a one-hour recording down."""
    n = len(prep.x_px)
    step = max(1, -(-(n - 1) // NOISE_STEPS))
    i = np.arange(0, n - 1, step)
    # degrees of just these samples (prep.x_deg would keep two more (n,) arrays alive)
    x0, x1 = (px_to_deg_x(prep.x_px[j], prep.screen) for j in (i, i + 1))
    y0, y1 = (px_to_deg_y(prep.y_px[j], prep.screen) for j in (i, i + 1))
    with np.errstate(invalid="ignore"):
        d = np.hypot(x1 - x0, y1 - y0)
    d = d[np.isfinite(d)]
    return float(np.median(d)) if len(d) else 0.0


def median_window(
    noise_deg: float, dt_s: float, threshold_deg: float, target_deg: float, max_s: float
) -> int:
    """Samples of the moving median a detector applies to a signal whose median
    sample-to-sample angle is ``noise_deg`` (1 = none): above ``threshold_deg`` (0 = never)
    the odd window ``(noise_deg / target_deg)**2`` (a median of n samples cuts white noise by
    about sqrt(n)), at most ``max_s`` long but at least 3 samples."""
    if threshold_deg <= 0 or noise_deg <= threshold_deg:
        return 1
    want = int(round((noise_deg / target_deg) ** 2)) | 1
    cap = max(3, int(max_s / dt_s) | 1)
    return min(want, cap)


def median_filtered(prep: Prepared, p: dict[str, float | int | str | bool]) -> Prepared:
    """``prep`` with its positions on the moving median of :func:`median_window` (parameters
    ``median_noise_deg``, ``median_target_deg``, ``median_max_s``), or ``prep`` itself when
    the signal is quiet enough. For the labels only: the event tables keep the raw positions."""
    thr = float(p["median_noise_deg"])
    if thr <= 0:
        return prep
    w = median_window(
        sample_noise_deg(prep),
        prep.dt_s,
        thr,
        float(p["median_target_deg"]),
        float(p["median_max_s"]),
    )
    if w <= 1:
        return prep
    return dataclasses.replace(
        prep,
        x_px=smooth(prep.x_px, prep.seg_start, prep.seg_end, "median", w),
        y_px=smooth(prep.y_px, prep.seg_start, prep.seg_end, "median", w),
    )


def smooth(
    x: np.ndarray, seg_start: np.ndarray, seg_end: np.ndarray, method: str, window: int
) -> np.ndarray:
    """Noise reduction within runs of valid samples.

    ``median``: moving median over ``window`` samples (Tobii's noise reduction, window 3).
    ``savgol``: Savitzky-Golay, 2nd order, ``window`` samples. Samples closer than half a window
    to a loss or the recording's ends keep their raw value (a window must not span a loss).
    """
    if method == "none" or window < 2 or len(x) == 0:
        return x
    from scipy import ndimage, signal

    w = int(window) | 1  # odd
    h = w // 2
    if method != "median" and w < 3:
        return x
    filled = np.where(np.isnan(x), 0.0, x)
    if method == "median":
        out = ndimage.median_filter(filled, size=w, mode="nearest")
    else:
        out = signal.savgol_filter(filled, w, polyorder=min(2, w - 1), mode="nearest")
    del filled
    idx = np.arange(len(x))
    keep = (idx - seg_start < h) | (seg_end - idx < h)
    del idx
    keep |= np.isnan(x)
    out[keep] = x[keep]  # in place: one (n,) array less at the peak
    return out


def px_to_deg_x(x_px: np.ndarray, screen: ScreenGeometry) -> np.ndarray:
    """Horizontal screen px -> degrees from the screen centre (same as gazemap.geometry)."""
    mm = (np.asarray(x_px, dtype=np.float64) - screen.width_px / 2.0) * (
        screen.width_mm / screen.width_px
    )
    return np.degrees(np.arctan2(mm, float(screen.distance_mm)))


def px_to_deg_y(y_px: np.ndarray, screen: ScreenGeometry) -> np.ndarray:
    """Vertical screen px -> degrees from the screen centre (same as gazemap.geometry)."""
    mm = (np.asarray(y_px, dtype=np.float64) - screen.height_px / 2.0) * (
        screen.height_mm / screen.height_px
    )
    return np.degrees(np.arctan2(mm, float(screen.distance_mm)))


def deg_per_px(x_px: np.ndarray, axis_px: int, axis_mm: float, distance_mm: float) -> np.ndarray:
    """Local derivative d(deg)/d(px) of :func:`px_to_deg_x` (or _y) at ``x_px``: turns a
    speed in px/s into deg/s exactly at that position (the per-sample visual angle)."""
    s = axis_mm / axis_px
    # in place on one new array (the plain expression made five: ~40 ms per call on an hour
    # of 1 kHz gaze, and the detectors call it up to six times); the same values
    u = np.subtract(x_px, axis_px / 2.0, dtype=np.float64)
    u *= s
    np.multiply(u, u, out=u)
    u += distance_mm * distance_mm
    np.divide((180.0 / np.pi) * s * distance_mm, u, out=u)
    return u


def unit_vectors(
    x_px: np.ndarray, y_px: np.ndarray, screen: ScreenGeometry
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit gaze direction vectors (eye at the perpendicular through the screen centre)."""
    ux = (x_px - screen.width_px / 2.0) * (screen.width_mm / screen.width_px)
    uy = (y_px - screen.height_px / 2.0) * (screen.height_mm / screen.height_px)
    d = float(screen.distance_mm)
    inv = 1.0 / np.sqrt(ux * ux + uy * uy + d * d)
    return ux * inv, uy * inv, d * inv


def chord_angle_deg(dx: np.ndarray, dy: np.ndarray, dz: np.ndarray) -> np.ndarray:
    """Angle (deg) between two unit vectors from their difference: 2 asin(|a - b| / 2).

    Exact for tiny angles, where arccos of the dot product loses precision."""
    c = np.sqrt(dx * dx + dy * dy + dz * dz)
    np.minimum(c, 2.0, out=c)
    return np.degrees(2.0 * np.arcsin(c / 2.0))


def window_velocity(
    time_s: np.ndarray,
    ux: np.ndarray,
    uy: np.ndarray,
    uz: np.ndarray,
    seg_start: np.ndarray,
    seg_end: np.ndarray,
    half: int,
) -> np.ndarray:
    """Angular speed, deg/s: angle between the gaze directions at samples i-half and i+half
    divided by the time between them (Olsen 2012), the window clipped to the sample's run of
    valid samples. NaN for isolated samples."""
    n = len(time_s)
    idx = np.arange(n)
    lo = np.maximum(idx - half, seg_start)
    hi = np.minimum(idx + half, seg_end)
    ang = chord_angle_deg(ux[lo] - ux[hi], uy[lo] - uy[hi], uz[lo] - uz[hi])
    span = time_s[hi] - time_s[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        v = ang / span
    v[hi <= lo] = np.nan
    return v


def acceleration(velocity_deg_s: np.ndarray, time_s: np.ndarray) -> np.ndarray:
    """Angular acceleration, deg/s^2: the time derivative of the speed (central differences,
    one-sided at the ends; NaN next to undefined speeds)."""
    v = np.asarray(velocity_deg_s, dtype=np.float64)
    if len(v) < 2:
        return np.full(len(v), np.nan)
    with np.errstate(invalid="ignore"):
        return np.gradient(v, np.asarray(time_s, dtype=np.float64))


def preprocess(
    gaze: GazeSamples,
    screen: ScreenGeometry,
    params: dict[str, float | int | str | bool],
    velocity_window_s: float | None,
    dt_s: float | None = None,
) -> Prepared:
    """Run the shared preprocessing steps (see the module docstring) on ``gaze``.

    Parameters
    ----------
    gaze : (n,) gaze samples in screen px.
    screen : screen geometry for px -> deg.
    params : resolved parameters containing the PREPROCESS_DEFAULTS keys.
    velocity_window_s : length of the velocity window, s (Tobii: 0.020); None skips the
        windowed velocity (for detectors that compute their own).
    dt_s : the sample interval when the caller has checked the timestamps already
        (:func:`time_check`); None checks them here (:func:`check_times`).
    """
    t = np.asarray(gaze.time_s, dtype=np.float64)
    dt = check_times(t) if dt_s is None else dt_s
    n = len(t)
    x, y = select_eye(gaze, str(params["eye"]))
    margin = float(params["offscreen_margin"])
    # |x - W/2| > (1/2 + margin) W is "far off-screen"; NaN compares False, caught by ~(<=)
    with np.errstate(invalid="ignore"):
        ok = np.abs(x - screen.width_px / 2.0) <= (0.5 + margin) * screen.width_px
        ok &= np.abs(y - screen.height_px / 2.0) <= (0.5 + margin) * screen.height_px
    lost = ~ok
    if lost.any():
        x[lost] = np.nan
        y[lost] = np.nan
    if n < 2:
        dt = dt or 1.0
    tr = t - t[0] if n else t  # relative times: results do not depend on the clock's origin
    brk = np.zeros(n, dtype=bool)
    if n > 1:
        brk[1:] = np.diff(tr) > 1.5 * dt
    x, y, filled = fill_gaps(tr, x, y, ok, float(params["max_gap_s"]), dt)
    valid = ok | filled
    blink = detect_blinks(
        tr,
        ~valid,
        _pupil(gaze),
        float(params["blink_pupil_speed_mm_s"]),
        float(params["blink_extend_s"]),
    )
    if blink.any():
        valid &= ~blink
        x[~valid] = np.nan
        y[~valid] = np.nan
    seg_start, seg_end = _segments(valid, brk)
    x = smooth(x, seg_start, seg_end, str(params["noise"]), int(params["noise_window"]))
    y = smooth(y, seg_start, seg_end, str(params["noise"]), int(params["noise_window"]))
    if velocity_window_s is None:
        vel = np.broadcast_to(np.float64(np.nan), (n,))  # read-only, no memory
    else:
        ux, uy, uz = unit_vectors(x, y, screen)
        half = max(1, int(round(velocity_window_s / dt / 2.0)))
        vel = window_velocity(tr, ux, uy, uz, seg_start, seg_end, half)
    return Prepared(
        time_s=tr,
        x_px=x,
        y_px=y,
        valid=valid,
        lost=lost,
        filled=filled,
        blink=blink,
        seg_start=seg_start,
        seg_end=seg_end,
        velocity_deg_s=vel,
        dt_s=dt,
        t0_s=float(t[0]) if n else 0.0,
        screen=screen,
    )


class _LazyPupil:
    """Mean of the eyes' pupil sizes, evaluated only at the indices asked for (blink edges)."""

    def __init__(self, cols: list[np.ndarray]) -> None:
        self.cols = cols

    def __len__(self) -> int:
        return len(self.cols[0])

    def take(self, idx: np.ndarray) -> np.ndarray:
        """Mean over the eyes with a valid pupil at ``idx`` (NaN where none)."""
        vals = np.stack([np.asarray(c, dtype=np.float64)[idx] for c in self.cols])
        ok = np.isfinite(vals)
        cnt = ok.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(ok, vals, 0.0).sum(axis=0) / cnt


def _pupil(gaze: GazeSamples) -> _LazyPupil | None:
    cols = [p for p in (gaze.left_pupil_mm, gaze.right_pupil_mm) if p is not None]
    return _LazyPupil(cols) if cols else None
