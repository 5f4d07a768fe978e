"""The frame every detector runs in: parameters, preprocessing, event tables."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from gazemap.events.postprocess import BLINK, UNDEF, fixation_table, saccade_table
from gazemap.events.preprocess import (
    PREPROCESS_DEFAULTS,
    Prepared,
    irregular_interval,
    preprocess,
    resample_gaze,
    resolve_params,
    select_eye,
    time_check,
)
from gazemap.types import DetectionResult, Fixations, GazeSamples, Saccades, ScreenGeometry

Params = dict[str, float | int | str | bool]


def run_detector(
    name: str,
    gaze: GazeSamples,
    screen: ScreenGeometry,
    defaults: Params,
    params: dict[str, object],
    classify: Callable[[Prepared, Params], np.ndarray | tuple[np.ndarray, np.ndarray]],
    window_velocity: bool = True,
) -> DetectionResult:
    """Resolve ``params`` over ``defaults`` (which include PREPROCESS_DEFAULTS), preprocess,
    call ``classify(prep, params)`` and build the event tables.

    ``classify`` returns labels, or (labels, speed deg/s) when it computes its own speed
    (then pass ``window_velocity=False`` to skip the Tobii windowed velocity); that speed
    gives the saccades' peak velocities. Blink/loss samples are forced to BLINK."""
    if not isinstance(gaze, GazeSamples):
        from gazemap.errors import InputError

        raise InputError(f"detect needs a GazeSamples, got {type(gaze).__name__}.")
    if not isinstance(screen, ScreenGeometry):
        from gazemap.errors import InputError

        raise InputError(
            f"detect needs a ScreenGeometry for px -> deg, got {type(screen).__name__}."
        )
    full = resolve_params({**PREPROCESS_DEFAULTS, **defaults}, params, name)
    if len(gaze) == 0:
        return DetectionResult(
            labels=np.empty(0, dtype=np.int8),
            fixations=Fixations.empty(),
            saccades=Saccades.empty(),
            detector=name,
            params=full,
        )
    if len(gaze) == 1:
        # one sample has no sample rate, so no duration: no event (it was a 1 s fixation);
        # undefined, or loss when it has no position
        x, y = select_eye(gaze, str(full["eye"]))
        lost = not (np.isfinite(x[0]) and np.isfinite(y[0]))
        return DetectionResult(
            labels=np.full(1, BLINK if lost else UNDEF, dtype=np.int8),
            fixations=Fixations.empty(),
            saccades=Saccades.empty(),
            detector=name,
            params=full,
        )
    window = float(full.get("velocity_window_s", 0.02)) if window_velocity else None
    # timestamps that scatter around their rate (a driver stamping samples on arrival, a
    # tracker merging two eye cameras) are resampled to a regular grid for detection, and
    # every input sample takes the label of its nearest grid sample
    dt, short = time_check(gaze.time_s)
    back = None
    if short > 0.01:
        dt = irregular_interval(gaze.time_s)
        gaze, back = resample_gaze(gaze, dt)
    prep = preprocess(gaze, screen, full, window, dt_s=dt)
    out = classify(prep, full)
    if isinstance(out, tuple):
        labels = np.asarray(out[0], dtype=np.int8)
        prep = dataclasses.replace(prep, velocity_deg_s=np.asarray(out[1], dtype=np.float64))
    else:
        labels = np.asarray(out, dtype=np.int8)
    labels[prep.blink | ~prep.valid & prep.lost] = BLINK
    return DetectionResult(
        labels=labels if back is None else labels[back],
        fixations=fixation_table(labels, prep),
        saccades=saccade_table(labels, prep),
        detector=name,
        params=full,
    )
