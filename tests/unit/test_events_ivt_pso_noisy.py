"""ivt_pso and rf on noisy and slow trackers: the moving median chosen from the signal's noise and
the onset threshold below 45 Hz (hand-computed values), and what they do to simulated gaze
with known fixations."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from gazemap.events import detect
from gazemap.events.ivt_pso import DEFAULTS, onset_threshold
from gazemap.events.preprocess import median_window
from gazemap.simulation import simulate_session
from gazemap.types import ScreenGeometry

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from lund_agreement import event_f1  # noqa: E402

SCREEN = ScreenGeometry(1920, 1080, 531.0, 299.0, 650.0)
OFF = {"median_noise_deg": 0.0, "onset_low_rate_hz": 0.0}


@pytest.mark.parametrize(
    ("noise_deg", "rate_hz", "want"),
    [
        (0.045, 500.0, 1),  # Lund-quality EyeLink: untouched
        (0.30, 250.0, 1),  # at the threshold: untouched
        (0.44, 250.0, 5),  # (0.44 / 0.22)^2 = 4 -> odd 5
        (0.88, 250.0, 17),  # 16 -> 17; cap 0.08 s x 250 Hz = 20 -> 21
        (0.88, 1000.0, 17),
        (0.88, 60.0, 5),  # cap: 0.08 s x 60 Hz = 4.8 -> 4 -> odd 5
        (0.88, 30.0, 3),  # cap 2.4 -> 2 -> odd 3 (and at least 3)
    ],
)
def test_median_window_by_hand(noise_deg: float, rate_hz: float, want: int) -> None:
    assert median_window(noise_deg, 1.0 / rate_hz, 0.3, 0.22, 0.08) == want
    assert DEFAULTS["median_noise_deg"] == 0.3
    assert DEFAULTS["median_target_deg"] == 0.22
    assert DEFAULTS["median_max_s"] == 0.08


def test_median_window_off_at_zero() -> None:
    assert median_window(5.0, 0.004, 0.0, 0.22, 0.08) == 1


@pytest.mark.parametrize(
    ("rate_hz", "median_speed", "want"),
    [
        (30.0, 5.0, 15.0),  # 3 x 5
        (30.0, 2.0, 12.0),  # floor
        (30.0, 20.0, 35.0),  # never above the normal onset
        (60.0, 2.0, 35.0),  # 45 Hz and faster: the normal onset
        (250.0, 2.0, 35.0),
    ],
)
def test_onset_threshold_by_hand(rate_hz: float, median_speed: float, want: float) -> None:
    v = np.array([median_speed] * 9 + [np.nan, 500.0, median_speed])
    v[-2] = median_speed  # keep the median exact
    assert onset_threshold(DEFAULTS, 1.0 / rate_hz, v) == pytest.approx(want)


def test_onset_threshold_of_an_all_lost_signal_is_the_normal_one() -> None:
    assert onset_threshold(DEFAULTS, 1.0 / 30.0, np.full(5, np.nan)) == 35.0


def _f1(
    rate_hz: float, precision_deg: float, seed: int, detector: str = "ivt_pso", **params: object
) -> float:
    s = simulate_session(
        None,
        participant="N",
        seed=seed,
        screen=SCREEN,
        rate_hz=rate_hz,
        duration_s=30.0,
        precision_deg=precision_deg,
    )
    r = detect(s.gaze, SCREEN, detector, **params)
    tf = s.truth_fixations
    return event_f1(tf.start_s, tf.end_s, r.fixations.start_s, r.fixations.end_s)["f1"]


@pytest.mark.parametrize(
    ("rate_hz", "precision_deg"),
    [(250.0, 0.6), (60.0, 1.0), (30.0, 0.3)],
)
def test_noisy_and_slow_trackers_find_the_true_fixations(
    rate_hz: float, precision_deg: float
) -> None:
    """Without the two rules the detector finds 38-91 % of these fixations (F1); with them
    at least 85 %."""
    on = [_f1(rate_hz, precision_deg, seed) for seed in (7, 8)]
    off = [_f1(rate_hz, precision_deg, seed, **OFF) for seed in (7, 8)]
    assert min(on) >= 0.85, on
    assert np.mean(on) > np.mean(off) + 0.05, (on, off)


def test_quiet_fast_tracker_is_unchanged() -> None:
    s = simulate_session(
        None, participant="Q", seed=3, screen=SCREEN, rate_hz=500.0, duration_s=20.0
    )
    a = detect(s.gaze, SCREEN, "ivt_pso").labels
    b = detect(s.gaze, SCREEN, "ivt_pso", **OFF).labels
    np.testing.assert_array_equal(a, b)


def test_event_table_keeps_the_raw_positions() -> None:
    """The median only decides the labels: a fixation's centroid is the mean of the gaze
    samples it spans, not of the filtered ones."""
    s = simulate_session(
        None,
        participant="C",
        seed=5,
        screen=SCREEN,
        rate_hz=250.0,
        duration_s=20.0,
        precision_deg=0.8,
        data_loss_rate=0.0,
    )
    r = detect(s.gaze, SCREEN, "ivt_pso")
    fx = r.fixations
    assert len(fx.start_s) > 10
    t = s.gaze.time_s
    left, right = s.gaze.left_x_px, s.gaze.right_x_px
    assert left is not None and right is not None
    x = np.where(np.isnan(left), right, np.where(np.isnan(right), left, (left + right) / 2))
    for k in range(0, len(fx.start_s), max(1, len(fx.start_s) // 10)):
        sel = (t >= fx.start_s[k] - 1e-9) & (t <= fx.end_s[k] + 1e-9)
        in_fix = sel & (r.labels == 1)
        assert fx.x_px[k] == pytest.approx(np.nanmean(x[in_fix]), abs=1e-6)


@pytest.mark.parametrize("rate_hz", [60.0, 250.0])
def test_rf_on_a_noisy_tracker_finds_the_true_fixations(rate_hz: float) -> None:
    on = [_f1(rate_hz, 0.6, seed, "rf") for seed in (7, 8)]
    off = [_f1(rate_hz, 0.6, seed, "rf", median_noise_deg=0.0) for seed in (7, 8)]
    assert np.mean(on) > np.mean(off) + 0.05, (on, off)
    assert min(on) >= 0.75, on


def test_noise_level_of_a_long_recording_from_evenly_spread_steps(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An hour is measured on NOISE_STEPS steps: the same level as from every step (1 %)."""
    from gazemap.events import preprocess as pp
    from gazemap.events._common import PREPROCESS_DEFAULTS

    s = simulate_session(
        None, participant="L", seed=4, screen=SCREEN, rate_hz=1000.0, duration_s=200.0
    )
    prep = pp.preprocess(s.gaze, SCREEN, {**PREPROCESS_DEFAULTS, **DEFAULTS}, None)
    assert len(prep) > 3 * pp.NOISE_STEPS
    spread = pp.sample_noise_deg(prep)
    monkeypatch.setattr(pp, "NOISE_STEPS", 10**9)
    every = pp.sample_noise_deg(prep)
    assert spread == pytest.approx(every, rel=0.01)
    x = prep.x_deg
    y = prep.y_deg
    d = np.hypot(np.diff(x), np.diff(y))
    assert every == pytest.approx(float(np.median(d[np.isfinite(d)])), rel=1e-9)
