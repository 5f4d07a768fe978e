"""The frame every detector runs in: parameters, preprocessing, event tables."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from gazemap.events.postprocess import BLINK, fixation_table, saccade_table
from gazemap.events.preprocess import PREPROCESS_DEFAULTS, Prepared, preprocess, resolve_params
from gazemap.types import DetectionResult, Fixations, GazeSamples, Saccades, ScreenGeometry

Params = dict[str, float | int | str | bool]


def run_detector(
    name: str,
    gaze: GazeSamples,
    screen: ScreenGeometry,
    defaults: Params,
    params: dict[str, object],
    classify: Callable[[Prepared, Params], np.ndarray],
    velocity_window_key: str = "velocity_window_s",
) -> DetectionResult:
    """Resolve ``params`` over ``defaults`` (which include PREPROCESS_DEFAULTS), preprocess,
    call ``classify(prep, params) -> labels`` (labels only for valid samples matter: blink/loss
    samples are forced to BLINK afterwards) and build the event tables."""
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
    prep = preprocess(gaze, screen, full, float(full.get(velocity_window_key, 0.02)))
    labels = np.asarray(classify(prep, full), dtype=np.int8)
    labels[prep.blink | ~prep.valid & prep.lost] = BLINK
    return DetectionResult(
        labels=labels,
        fixations=fixation_table(labels, prep),
        saccades=saccade_table(labels, prep),
        detector=name,
        params=full,
    )
