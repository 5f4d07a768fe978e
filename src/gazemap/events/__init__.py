"""Event detection: per-sample labels (fixation, saccade, PSO, pursuit, blink, undefined) and
fixation / saccade tables from gaze in screen pixels.

Use :func:`detect`; ``DETECTORS`` maps names to detector functions with the signature
``f(gaze, screen, **params) -> DetectionResult``. The core does no I/O; caching results in
session files is :mod:`gazemap.store.derived`.
"""

from __future__ import annotations

from collections.abc import Callable

from gazemap.errors import InputError
from gazemap.events.adaptive import detect_adaptive
from gazemap.events.idt import detect_idt
from gazemap.events.ivt import detect_ivt
from gazemap.events.ivt_pso import detect_ivt_pso
from gazemap.events.learned import detect_rf
from gazemap.types import DetectionResult, GazeSamples, ScreenGeometry

DetectorFn = Callable[..., DetectionResult]

#: detector name -> function(gaze, screen, **params) -> DetectionResult
DETECTORS: dict[str, DetectorFn] = {
    "ivt": detect_ivt,
    "idt": detect_idt,
    "adaptive": detect_adaptive,
    "ivt_pso": detect_ivt_pso,
    "rf": detect_rf,
}

#: the detector used when none is named (chosen by the Lund 2013 agreement; docs/detection.md)
DEFAULT_DETECTOR = "ivt_pso"


def detector_defaults(name: str) -> dict[str, float | int | str | bool]:
    """All parameters of detector ``name`` with their defaults (preprocessing included)."""
    from importlib import import_module

    from gazemap.events.preprocess import PREPROCESS_DEFAULTS

    _check_name(name)
    module = import_module(DETECTORS[name].__module__)
    return {**PREPROCESS_DEFAULTS, **module.DEFAULTS}


def _check_name(name: str) -> None:
    if name not in DETECTORS:
        raise InputError(f"unknown detector {name!r}; available: {', '.join(sorted(DETECTORS))}.")


def detect(
    gaze: GazeSamples, screen: ScreenGeometry, detector: str = DEFAULT_DETECTOR, **params: object
) -> DetectionResult:
    """Detect eye-movement events in ``gaze``.

    Parameters
    ----------
    gaze : GazeSamples, (n,) samples in screen px; NaN = lost.
    screen : ScreenGeometry of the recording (px -> deg per sample).
    detector : a name in DETECTORS (default DEFAULT_DETECTOR).
    **params : detector parameters overriding its defaults (see docs/detection.md); strings
        are converted to the default's type (so CLI ``k=v`` pairs pass straight through).

    Returns
    -------
    DetectionResult
        ``labels`` (n,) int8 of :class:`gazemap.types.Label`, the fixation and saccade tables,
        the detector name and the full parameter dict including defaults.

    Raises
    ------
    InputError
        Unknown detector or parameter, bad timestamps (see gazemap.events.preprocess).
    """
    _check_name(detector)
    return DETECTORS[detector](gaze, screen, **params)


__all__ = ["DEFAULT_DETECTOR", "DETECTORS", "detect", "detector_defaults"]
