"""I-DT on noisy signals: the dispersion is measured on a 20 ms moving median when the signal
is noisier than smooth_noise_deg (gazemap.events.idt); quiet signals keep the paper's I-DT."""

from __future__ import annotations

import numpy as np
import pytest

from gazemap.events import detect
from gazemap.events.preprocess import sample_noise_deg
from gazemap.simulation import simulate_session
from gazemap.types import GazeSamples, Label, ScreenGeometry

SCREEN = ScreenGeometry(1920, 1080, 531.0, 299.0, 650.0)


def _f1(true_s: np.ndarray, true_e: np.ndarray, s: np.ndarray, e: np.ndarray) -> float:
    """Fixation event F1 with one-to-one matching at intersection-over-union >= 0.5."""
    i = j = tp = 0
    while i < len(true_s) and j < len(s):
        inter = min(true_e[i], e[j]) - max(true_s[i], s[j])
        union = max(true_e[i], e[j]) - min(true_s[i], s[j])
        if inter > 0 and inter / union >= 0.5:
            tp, i, j = tp + 1, i + 1, j + 1
        elif true_e[i] <= e[j]:
            i += 1
        else:
            j += 1
    p, r = tp / max(len(s), 1), tp / max(len(true_s), 1)
    return 2 * p * r / (p + r) if p + r else 0.0


@pytest.mark.parametrize("rate_hz", [250.0, 1000.0])
def test_noisy_high_rate_signal_gets_its_fixations(rate_hz: float) -> None:
    sim = simulate_session(
        None, participant="N1", seed=7, screen=SCREEN, rate_hz=rate_hz, duration_s=20.0
    )
    tf = sim.truth_fixations
    raw = detect(sim.gaze, SCREEN, "idt", smooth_s=0.0)
    filt = detect(sim.gaze, SCREEN, "idt")
    # the paper's I-DT: 0.3 deg sample noise alone exceeds 1 deg within 100 ms
    assert _f1(tf.start_s, tf.end_s, raw.fixations.start_s, raw.fixations.end_s) < 0.3
    assert _f1(tf.start_s, tf.end_s, filt.fixations.start_s, filt.fixations.end_s) > 0.9
    # the filter only decides which samples are fixation: centroids are of the raw positions
    assert len(filt.fixations) and np.all(np.isfinite(filt.fixations.x_px))


def test_quiet_signal_is_not_filtered() -> None:
    # 500 Hz, 0.01 deg-level noise (an SMI/EyeLink tower): labels identical with and without
    rng = np.random.default_rng(3)
    t = np.arange(5000) / 500.0
    x = np.where(t < 5.0, 700.0, 1100.0) + rng.normal(0, 0.3, len(t))
    y = np.full(len(t), 500.0) + rng.normal(0, 0.3, len(t))
    g = GazeSamples(t, x, y)
    from gazemap.events.preprocess import PREPROCESS_DEFAULTS, preprocess

    assert sample_noise_deg(preprocess(g, SCREEN, dict(PREPROCESS_DEFAULTS), None)) < 0.1
    a = detect(g, SCREEN, "idt").labels
    b = detect(g, SCREEN, "idt", smooth_s=0.0).labels
    np.testing.assert_array_equal(a, b)
    assert (a == Label.FIXATION).mean() > 0.95
