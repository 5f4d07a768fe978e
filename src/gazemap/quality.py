"""Data quality of gaze recordings: data loss, precision and accuracy, with flags.

Definitions (Holmqvist, Nyström & Mulvey 2012, "Eye tracker data quality: what it is and how
to measure it", ETRA '12):

- data loss: share of expected samples without a valid position. Expected samples are those
  the nominal rate would give over the window, so samples the tracker never sent (time
  gaps) count as lost, like NaN samples.
- precision RMS-S2S (deg): root mean square of the visual angles between consecutive samples,
  pooled over all consecutive pairs inside fixations.
- precision SD (deg): sqrt(mean squared angular distance of fixation samples from their own
  fixation's centroid), pooled over fixations (= sqrt(sd_x^2 + sd_y^2) for one fixation).
- accuracy (deg): mean angular offset between validation targets and the gaze measured on
  them (or the tracker's own per-point errors when only those are known).

The core does no I/O: pass arrays; :mod:`gazemap.store` reads validation data from files.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

import numpy as np

from gazemap.errors import InputError
from gazemap.geometry import px_to_deg
from gazemap.types import GazeSamples, Label, ScreenGeometry


@dataclass(frozen=True, slots=True)
class QualityThresholds:
    """Limits above which a window is flagged. Defaults follow common practice: at most 20 %
    loss (Tobii Pro Lab's gaze-sample percentage of 80 %), RMS-S2S 0.3 deg and SD 0.5 deg
    (remote trackers at their spec limit; Holmqvist et al. 2012), accuracy 1.0 deg."""

    max_data_loss: float = 0.20
    max_precision_rms_deg: float = 0.30
    max_precision_sd_deg: float = 0.50
    max_accuracy_deg: float = 1.0

    def __post_init__(self) -> None:
        for name in (
            "max_data_loss",
            "max_precision_rms_deg",
            "max_precision_sd_deg",
            "max_accuracy_deg",
        ):
            v = getattr(self, name)
            if not np.isfinite(v) or v < 0:
                raise InputError(
                    f"QualityThresholds.{name} must be a finite number >= 0, got {v!r}."
                )
        if self.max_data_loss > 1:
            raise InputError(
                f"QualityThresholds.max_data_loss is a fraction 0..1, got {self.max_data_loss!r} "
                "(write 0.2 for 20 %)."
            )


@dataclass(frozen=True, slots=True)
class Validation:
    """Validation targets shown after calibration.

    Either give per-point windows (``start_s``/``end_s``, gaze within them is compared to the
    target) or the tracker's own per-point errors ``error_deg``.

    Attributes
    ----------
    points_px : (k, 2) target positions, screen px.
    start_s, end_s : (k,) when each target was shown, s (optional).
    error_deg : (k,) the tracker's accuracy per point, deg (optional).
    """

    points_px: np.ndarray
    start_s: np.ndarray | None = None
    end_s: np.ndarray | None = None
    error_deg: np.ndarray | None = None

    def __post_init__(self) -> None:
        pts = (
            np.asarray(self.points_px, dtype=np.float64).reshape(-1, 2)
            if np.size(self.points_px)
            else np.empty((0, 2))
        )
        object.__setattr__(self, "points_px", pts)
        k = len(pts)
        for name in ("start_s", "end_s", "error_deg"):
            v = getattr(self, name)
            if v is not None:
                arr = np.asarray(v, dtype=np.float64).reshape(-1)
                if len(arr) != k:
                    raise InputError(
                        f"Validation.{name} must have one value per point ({k}), got {len(arr)}."
                    )
                object.__setattr__(self, name, arr)
        if (self.start_s is None) != (self.end_s is None):
            raise InputError("Validation needs both start_s and end_s (or neither).")
        if self.start_s is None and self.error_deg is None and k:
            raise InputError(
                "Validation needs per-point windows (start_s, end_s) or the tracker's error_deg."
            )


@dataclass(frozen=True, slots=True)
class QualityReport:
    """Quality of one window of gaze (a session or a touchpoint)."""

    n_samples: int
    duration_s: float
    data_loss: float
    precision_rms_deg: float
    precision_sd_deg: float
    accuracy_deg: float
    n_fixation_samples: int
    flags: tuple[str, ...]
    thresholds: QualityThresholds = field(default_factory=QualityThresholds)

    @property
    def ok(self) -> bool:
        """True when no threshold is exceeded."""
        return not self.flags

    @property
    def data_loss_pct(self) -> float:
        return 100.0 * self.data_loss

    def to_dict(self) -> dict[str, object]:
        """Plain types for JSON (NaN -> None)."""
        out: dict[str, object] = {}
        for k, v in asdict(self).items():
            if isinstance(v, float) and not np.isfinite(v):
                v = None
            out[k] = list(v) if isinstance(v, tuple) else v
        out["ok"] = self.ok
        out["data_loss_pct"] = None if not np.isfinite(self.data_loss) else self.data_loss_pct
        return out


def _window(time_s: np.ndarray, start_s: float | None, end_s: float | None) -> slice:
    a = 0 if start_s is None else int(np.searchsorted(time_s, start_s, side="left"))
    b = len(time_s) if end_s is None else int(np.searchsorted(time_s, end_s, side="left"))
    return slice(a, max(a, b))


def _unit(x: np.ndarray, y: np.ndarray, screen: ScreenGeometry) -> np.ndarray:
    ux = (x - screen.width_px / 2.0) * (screen.width_mm / screen.width_px)
    uy = (y - screen.height_px / 2.0) * (screen.height_mm / screen.height_px)
    d = np.full_like(ux, float(screen.distance_mm))
    v = np.stack([ux, uy, d], axis=-1)
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _angle(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # atan2 of cross and dot: accurate for the tiny angles of precision
    cross = np.linalg.norm(np.cross(a, b), axis=-1)
    dot = np.sum(a * b, axis=-1)
    return np.degrees(np.arctan2(cross, dot))


def assess(
    gaze: GazeSamples,
    screen: ScreenGeometry,
    labels: np.ndarray | None = None,
    validation: Validation | None = None,
    thresholds: QualityThresholds | dict[str, float] | None = None,
    start_s: float | None = None,
    end_s: float | None = None,
) -> QualityReport:
    """Data quality of ``gaze`` (whole, or the window ``start_s <= t < end_s``).

    Parameters
    ----------
    gaze : (n,) gaze samples, px; NaN = lost.
    screen : screen geometry for px -> deg.
    labels : (n,) per-sample labels (gazemap.types.Label) aligned with ``gaze``; precision
        uses the FIXATION samples. None: labels from gazemap.events.detect with I-VT defaults.
    validation : validation targets for accuracy; None: accuracy is NaN (not flagged).
    thresholds : QualityThresholds or a dict of its fields; None: the defaults.
    start_s, end_s : the window (e.g. a touchpoint); None = from the start / to the end.

    Returns
    -------
    QualityReport; metrics that cannot be computed (no fixations, no validation) are NaN
    and not flagged, except an empty window which is flagged ``no samples``.
    """
    if thresholds is None:
        th = QualityThresholds()
    elif isinstance(thresholds, QualityThresholds):
        th = thresholds
    elif isinstance(thresholds, dict):
        try:
            th = QualityThresholds(**thresholds)
        except TypeError as exc:
            raise InputError(
                f"unknown quality threshold in {sorted(thresholds)}; valid: max_data_loss, "
                "max_precision_rms_deg, max_precision_sd_deg, max_accuracy_deg."
            ) from exc
    else:
        raise InputError(
            f"thresholds must be QualityThresholds or a dict, got {type(thresholds).__name__}."
        )
    t_all = np.asarray(gaze.time_s, dtype=np.float64)
    if labels is not None:
        labels = np.asarray(labels)
        if labels.shape != t_all.shape:
            raise InputError(
                f"labels must have one entry per gaze sample ({len(t_all)}), got shape {labels.shape}."
            )
    elif len(t_all):
        from gazemap.events import detect

        labels = detect(gaze, screen, "ivt").labels
    else:
        labels = np.empty(0, dtype=np.int8)
    w = _window(t_all, start_s, end_s)
    t = t_all[w]
    x = np.asarray(gaze.x_px, dtype=np.float64)[w]
    y = np.asarray(gaze.y_px, dtype=np.float64)[w]
    lab = labels[w]
    n = len(t)
    flags: list[str] = []
    if n == 0:
        return QualityReport(
            0, 0.0, 1.0, np.nan, np.nan, _accuracy(gaze, screen, validation), 0, ("no samples",), th
        )
    valid = np.isfinite(x) & np.isfinite(y)
    if n > 1:
        dt = float(np.median(np.diff(t)))
        duration = float(t[-1] - t[0]) + dt
        expected = max(n, int(round(duration / dt))) if dt > 0 else n
    else:
        duration, expected = 0.0, 1
    loss = 1.0 - valid.sum() / expected
    fix = (lab == Label.FIXATION) & valid
    rms = sd = np.nan
    if fix.sum() >= 2:
        u = _unit(np.where(valid, x, 0.0), np.where(valid, y, 0.0), screen)
        pair = fix[1:] & fix[:-1]
        if n > 1:
            pair &= np.diff(t) <= 1.5 * dt
        if pair.any():
            s2s = _angle(u[:-1][pair], u[1:][pair])
            rms = float(np.sqrt(np.mean(s2s**2)))
        # fixation ids: a new id wherever a fixation run starts
        start = fix & ~np.concatenate(([False], fix[:-1]))
        ids = np.cumsum(start)[fix] - 1
        uf = u[fix]
        sums = np.zeros((ids.max() + 1, 3))
        np.add.at(sums, ids, uf)
        centre = sums / np.linalg.norm(sums, axis=1, keepdims=True)
        d = _angle(uf, centre[ids])
        sd = float(np.sqrt(np.mean(d**2)))
    acc = _accuracy(gaze, screen, validation)
    if loss > th.max_data_loss:
        flags.append(f"data loss {100 * loss:.1f} % > {100 * th.max_data_loss:.1f} %")
    if np.isfinite(rms) and rms > th.max_precision_rms_deg:
        flags.append(f"precision RMS-S2S {rms:.3f} deg > {th.max_precision_rms_deg} deg")
    if np.isfinite(sd) and sd > th.max_precision_sd_deg:
        flags.append(f"precision SD {sd:.3f} deg > {th.max_precision_sd_deg} deg")
    if np.isfinite(acc) and acc > th.max_accuracy_deg:
        flags.append(f"accuracy {acc:.2f} deg > {th.max_accuracy_deg} deg")
    return QualityReport(
        n_samples=n,
        duration_s=duration,
        data_loss=float(loss),
        precision_rms_deg=rms,
        precision_sd_deg=sd,
        accuracy_deg=acc,
        n_fixation_samples=int(fix.sum()),
        flags=tuple(flags),
        thresholds=th,
    )


def _accuracy(gaze: GazeSamples, screen: ScreenGeometry, validation: Validation | None) -> float:
    """Mean angular offset between validation targets and the median gaze on each, deg."""
    if validation is None or len(validation.points_px) == 0:
        return float("nan")
    errs = validation_errors(gaze, screen, validation)
    errs = errs[np.isfinite(errs)]
    return float(np.mean(errs)) if len(errs) else float("nan")


def validation_errors(
    gaze: GazeSamples, screen: ScreenGeometry, validation: Validation
) -> np.ndarray:
    """Accuracy at each validation target, deg.

    Parameters
    ----------
    gaze : (n,) gaze samples, px; NaN = lost.
    screen : screen geometry for px -> deg (the per-point visual angle, not one constant).
    validation : the targets, with per-point windows or the tracker's own errors.

    Returns
    -------
    (k,) angle between each target and the median of the valid gaze inside its window,
    deg; NaN for a target without valid gaze in its window. Without windows: the tracker's
    ``error_deg`` (or NaN).
    """
    k = len(validation.points_px)
    if validation.start_s is None:
        if validation.error_deg is not None:
            return np.asarray(validation.error_deg, dtype=np.float64).copy()
        return np.full(k, np.nan)
    t = np.asarray(gaze.time_s, dtype=np.float64)
    x = np.asarray(gaze.x_px, dtype=np.float64)
    y = np.asarray(gaze.y_px, dtype=np.float64)
    ends = validation.end_s if validation.end_s is not None else validation.start_s
    out = np.full(k, np.nan)
    for i, ((px, py), a, b) in enumerate(
        zip(validation.points_px, validation.start_s, ends, strict=True)
    ):
        w = _window(t, float(a), float(b))
        gx, gy = x[w], y[w]
        ok = np.isfinite(gx) & np.isfinite(gy)
        if not ok.any():
            continue
        g = _unit(np.array([np.median(gx[ok])]), np.array([np.median(gy[ok])]), screen)
        p = _unit(np.array([px]), np.array([py]), screen)
        out[i] = float(_angle(g, p)[0])
    return out


#: marker values of a validation target: ``validation/<x_px>,<y_px>/start`` when the target
#: appears, ``validation/<x_px>,<y_px>/end`` when it goes (screen px)
VALIDATION_MARKER_PREFIX = "validation/"

#: the first part of each target's window left out: the eye is still on its way (saccade
#: latency ~0.2 s, then the saccade and its landing), so only the settled gaze counts
VALIDATION_SETTLE_S = 0.4


#: validation patterns: targets as fractions of the screen in showing order (5 points: the
#: centre and the four corners; 9 points: a 3 x 3 grid), 10 % from the edges
VALIDATION_PATTERNS: dict[int, tuple[tuple[float, float], ...]] = {
    5: ((0.5, 0.5), (0.1, 0.1), (0.9, 0.1), (0.1, 0.9), (0.9, 0.9)),
    9: tuple((fx, fy) for fy in (0.1, 0.5, 0.9) for fx in (0.1, 0.5, 0.9)),
}


def validation_targets_px(
    n_points: int, width_px: float, height_px: float
) -> list[tuple[int, int]]:
    """The ``n_points`` pattern's targets on a ``width_px`` x ``height_px`` screen, px (rounded),
    in showing order: where ``gazemap simulate``, ``gazemap stream simulated`` and
    ``gazemap present`` show them.

    Raises
    ------
    InputError
        ``n_points`` is not 5 or 9.
    """
    if n_points not in VALIDATION_PATTERNS:
        raise InputError(
            f"--validation-points must be 0, 5 or 9, got {n_points!r}. Fix --validation-points."
        )
    return [
        (round(fx * width_px), round(fy * height_px)) for fx, fy in VALIDATION_PATTERNS[n_points]
    ]


def validation_marker(x_px: float, y_px: float, edge: str) -> str:
    """The marker text for a validation target's ``edge`` ("start" or "end")."""
    if edge not in ("start", "end"):
        raise ValueError(f"edge must be 'start' or 'end', got {edge!r}")
    return f"{VALIDATION_MARKER_PREFIX}{x_px:g},{y_px:g}/{edge}"


def validation_from_markers(
    time_s: np.ndarray,
    values: np.ndarray,
    screen: ScreenGeometry | None = None,
    settle_s: float = VALIDATION_SETTLE_S,
) -> tuple[Validation | None, list[str]]:
    """Validation targets shown during the session, from its markers.

    A target is a ``validation/<x_px>,<y_px>/start`` marker followed by the matching
    ``.../end``; its gaze window is ``start + settle_s`` to ``end``.

    Parameters
    ----------
    time_s : (m,) marker times, s.
    values : (m,) marker texts; markers not starting with ``validation/`` are ignored.
    screen : when given, targets outside it are left out (with a note).
    settle_s : the start of each window left out, s (see :data:`VALIDATION_SETTLE_S`).

    Returns
    -------
    (validation or None when the session has no complete target, notes): one note per
    marker that could not be used, saying why.
    """
    notes: list[str] = []
    points: list[tuple[float, float]] = []
    starts: list[float] = []
    ends: list[float] = []
    open_: dict[str, float] = {}
    for t, v in zip(np.asarray(time_s, dtype=np.float64), values, strict=True):
        text = str(v)
        if not text.startswith(VALIDATION_MARKER_PREFIX):
            continue
        parts = text[len(VALIDATION_MARKER_PREFIX) :].split("/")
        xy = parts[0].split(",")
        edge = parts[1] if len(parts) == 2 else ""
        try:
            px, py = (float(xy[0]), float(xy[1])) if len(xy) == 2 else (np.nan, np.nan)
        except ValueError:
            px, py = np.nan, np.nan
        if edge not in ("start", "end") or not (np.isfinite(px) and np.isfinite(py)):
            notes.append(
                f"validation marker {text!r} at {t:.3f} s is not "
                "validation/<x_px>,<y_px>/start or .../end; it is not used for accuracy"
            )
            continue
        key = parts[0]
        if edge == "start":
            if key in open_:
                notes.append(
                    f"validation target {key} started at {open_[key]:.3f} s and again at "
                    f"{t:.3f} s without an end; the first start is not used"
                )
            open_[key] = float(t)
            continue
        if key not in open_:
            notes.append(f"validation/{key}/end at {t:.3f} s has no start; that target is not used")
            continue
        t0 = open_.pop(key)
        if screen is not None and not (0 <= px < screen.width_px and 0 <= py < screen.height_px):
            notes.append(
                f"validation target {key} lies outside the {screen.width_px:g}x"
                f"{screen.height_px:g} px screen; it is not used for accuracy"
            )
            continue
        if t - t0 <= settle_s:
            notes.append(
                f"validation target {key} was shown {t - t0:.2f} s, not more than the "
                f"{settle_s:g} s the eye needs to reach it; it is not used for accuracy"
            )
            continue
        points.append((px, py))
        starts.append(t0 + settle_s)
        ends.append(float(t))
    for key, t0 in open_.items():
        notes.append(f"validation target {key} started at {t0:.3f} s has no end; it is not used")
    if not points:
        return None, notes
    return Validation(np.array(points), np.array(starts), np.array(ends)), notes


_EYELINK_ERROR = re.compile(r"\bERROR\s+([0-9.]+)\s+avg\.", re.IGNORECASE)
_EYELINK_POINTS = re.compile(r"\bHV(\d+)\b")
_KEY_VALUE = re.compile(r"\b([a-z_]+)=([^\s]+)")


def tracker_validation_from_markers(
    values: np.ndarray, screen: ScreenGeometry
) -> tuple[Validation | None, list[str]]:
    """The tracker's own validation result, from the ``calibration/<driver> ...`` markers the
    live drivers publish (gazemap.drivers).

    Understood: EyeLink's ``!CAL VALIDATION HV9 ... ERROR 0.41 avg. ...`` (published by the
    driver, or an imported ASC's message when it has no per-point VALIDATE lines), Gazepoint's
    ``avg_error_px=21.5`` (converted to deg at the screen centre) and any
    ``avg_error_deg=0.5``; ``points=``/``valid_points=``/``HVn`` give the number of targets.
    Several results (a recalibration) are averaged, each counted once per target.

    Parameters
    ----------
    values : (m,) marker texts; others are ignored.
    screen : screen geometry for px -> deg.

    Returns
    -------
    (a Validation holding the tracker's per-target error (positions unknown: NaN) or None,
    notes on calibration markers that carry no usable error).
    """
    errors: list[float] = []
    notes: list[str] = []
    for v in values:
        text = str(v)
        # the drivers' calibration/<driver> markers, or an imported EyeLink message
        if not text.startswith(("calibration/", "!CAL VALIDATION")):
            continue
        kv = dict(_KEY_VALUE.findall(text))
        err, n = float("nan"), 1
        m = _EYELINK_ERROR.search(text)
        try:
            if m:
                err = float(m.group(1))
            elif "avg_error_deg" in kv:
                err = float(kv["avg_error_deg"])
            elif "avg_error_px" in kv:
                # the angle of that many px right of the screen centre
                x_deg, _ = px_to_deg(
                    np.array([screen.width_px / 2.0 + float(kv["avg_error_px"])]),
                    np.array([screen.height_px / 2.0]),
                    screen,
                )
                err = float(x_deg[0])
            for key in ("valid_points", "points"):
                if key in kv:
                    n = int(float(kv[key]))
                    break
            else:
                if hv := _EYELINK_POINTS.search(text):
                    n = int(hv.group(1))
        except ValueError:
            err = float("nan")
        if not np.isfinite(err) or err < 0:
            notes.append(
                f"tracker calibration marker {text[:80]!r} carries no accuracy error; "
                "it is not used for accuracy"
            )
            continue
        errors.extend([err] * max(1, n))
    if not errors:
        return None, notes
    k = len(errors)
    return Validation(np.full((k, 2), np.nan), error_deg=np.array(errors)), notes


def session_validation(
    marker_time_s: np.ndarray,
    marker_values: np.ndarray,
    screen: ScreenGeometry,
    tracker_result: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[Validation | None, list[str]]:
    """The validation a session's accuracy is measured on, from the first source it has.

    1. targets shown during the session (:func:`validation_from_markers`);
    2. the tracker's result stored in the file (``tracker_result``: points px (k, 2) and
       error deg (k,), the session file's ``/calibration``);
    3. the tracker's result published live by its driver
       (:func:`tracker_validation_from_markers`).

    Returns
    -------
    (validation or None, notes on markers that could not be used).
    """
    validation, notes = validation_from_markers(marker_time_s, marker_values, screen)
    if validation is None and tracker_result is not None:
        points, errors = tracker_result
        validation = Validation(points, error_deg=errors)
    if validation is None:
        validation, more = tracker_validation_from_markers(marker_values, screen)
        notes.extend(more)
    return validation, notes
