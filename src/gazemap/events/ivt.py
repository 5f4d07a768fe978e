"""I-VT: velocity-threshold identification exactly as the Tobii I-VT fixation filter.

Reference: Olsen, A. (2012). *The Tobii I-VT Fixation Filter: Algorithm description.* Tobii
Technology. Also Salvucci, D. D., & Goldberg, J. H. (2000). Identifying fixations and saccades
in eye-tracking protocols. ETRA '00, 71-78.

Steps and defaults (Tobii Pro Lab "I-VT (Fixation)" preset): gap fill-in up to 75 ms, eye
selection "average", no noise reduction, velocity over a 20 ms window, samples below
30 deg/s are fixation and above are saccade, adjacent fixations closer than 75 ms and 0.5 deg
merged, fixations shorter than 60 ms discarded (unclassified, label 6). Lost samples that
are not filled are blink/loss (label 5).
"""

from __future__ import annotations

import numpy as np

from gazemap.events._common import Params, run_detector
from gazemap.events.postprocess import FIX, SAC, UNDEF, discard_short, merge_fixations
from gazemap.events.preprocess import Prepared
from gazemap.types import DetectionResult, GazeSamples, ScreenGeometry

DEFAULTS: Params = {
    "velocity_window_s": 0.020,
    "velocity_threshold_deg_s": 30.0,
    "merge_max_time_s": 0.075,
    "merge_max_angle_deg": 0.5,
    "min_fixation_s": 0.060,
}


def classify(prep: Prepared, p: Params) -> np.ndarray:
    """Per-sample labels of I-VT from preprocessed gaze (see the module docstring)."""
    v = prep.velocity_deg_s
    labels = np.full(len(v), UNDEF, dtype=np.int8)
    with np.errstate(invalid="ignore"):
        labels[v < float(p["velocity_threshold_deg_s"])] = FIX
        labels[v >= float(p["velocity_threshold_deg_s"])] = SAC
    labels = merge_fixations(
        labels, prep, float(p["merge_max_time_s"]), float(p["merge_max_angle_deg"])
    )
    return discard_short(labels, prep, FIX, float(p["min_fixation_s"]))


def detect_ivt(gaze: GazeSamples, screen: ScreenGeometry, **params: object) -> DetectionResult:
    """Label ``gaze`` with the Tobii I-VT filter.

    Parameters
    ----------
    gaze : (n,) samples in screen px.
    screen : screen geometry (px -> deg per sample).
    **params : override DEFAULTS and gazemap.events.preprocess.PREPROCESS_DEFAULTS.

    Returns
    -------
    DetectionResult with (n,) int8 labels, fixations, saccades and the full parameters.
    """
    return run_detector("ivt", gaze, screen, DEFAULTS, params, classify)
