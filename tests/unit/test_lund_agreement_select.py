"""The tuning benchmark's selection rules: the neighbourhood mean on the parameter grid and
the leave-one-recording-out choice, on hand-made score tables."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from lund_agreement import loro_choice, neighbourhood_mean  # noqa: E402


def test_neighbourhood_mean_of_a_2x3_grid_by_hand() -> None:
    # grid a in {0, 1} x b in {0, 1, 2}, product order: (0,0) (0,1) (0,2) (1,0) (1,1) (1,2)
    score = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    got = neighbourhood_mean(score, (2, 3))
    want = [
        (1 + 2 + 4) / 3,  # (0,0): itself, (0,1), (1,0)
        (2 + 1 + 3 + 5) / 4,  # (0,1)
        (3 + 2 + 6) / 3,  # (0,2)
        (4 + 5 + 1) / 3,  # (1,0)
        (5 + 4 + 6 + 2) / 4,  # (1,1)
        (6 + 5 + 3) / 3,  # (1,2)
    ]
    np.testing.assert_allclose(got, want)


def test_neighbourhood_mean_keeps_trailing_axes_apart() -> None:
    score = np.stack([np.arange(6.0), 10 * np.arange(6.0)], axis=1)  # 2 recordings
    got = neighbourhood_mean(score, (2, 3))
    np.testing.assert_allclose(got[:, 1], 10 * got[:, 0])
    assert got.shape == (6, 2)


def test_neighbourhood_mean_of_a_single_value_axis_is_the_value() -> None:
    score = np.array([3.0, 7.0])
    np.testing.assert_allclose(neighbourhood_mean(score, (1, 2)), [5.0, 5.0])


def test_loro_choice_prefers_a_plateau_to_a_lone_peak() -> None:
    # one parameter with 7 values; on the training recordings a lone peak at index 1 is
    # higher than a plateau at 4-6; the held-out recording falls off the lone peak
    grid = {"p": list(range(7))}
    configs = [dict(zip(grid, v, strict=True)) for v in itertools.product(*grid.values())]
    train_row = np.array([0.5, 0.95, 0.5, 0.6, 0.9, 0.92, 0.85])
    held_row = np.array([0.5, 0.6, 0.5, 0.6, 0.9, 0.9, 0.9])
    n_rec = 4
    sc = np.zeros((7, n_rec, 2))
    for j in range(n_rec - 1):
        sc[:, j, :] = train_row[:, None]
    sc[:, n_rec - 1, :] = held_row[:, None]
    out = loro_choice(sc, configs, (7,), [f"r{j}" for j in range(n_rec)])
    plain = out["argmax"]["folds"]["r3"]  # type: ignore[index]
    flat = out["neighbourhood"]["folds"]["r3"]  # type: ignore[index]
    assert plain["chosen"] == {"p": 1}
    assert plain["kappa_fixation"] == 0.6
    assert flat["chosen"] == {"p": 5}
    assert flat["kappa_fixation"] == 0.9
    held = out["neighbourhood"]["held_out_kappa_fixation"]  # type: ignore[index]
    assert held > out["argmax"]["held_out_kappa_fixation"]  # type: ignore[index]


def test_with_noise_gives_the_asked_rms_sample_to_sample() -> None:
    from lund_agreement import with_noise

    from gazemap.importers.lund_csv import LundRecording
    from gazemap.types import GazeSamples, ScreenGeometry

    n = 20000
    screen = ScreenGeometry(1024, 768, 380.0, 300.0, 670.0)
    gaze = GazeSamples(time_s=np.arange(n) / 500.0, x_px=np.full(n, 512.0), y_px=np.full(n, 384.0))
    rec = LundRecording(
        name="r",
        stimulus="img",
        sample_rate_hz=500.0,
        gaze=gaze,
        screen=screen,
        labels={},
        path=Path("r.csv"),
        repaired=np.empty(0, dtype=np.int64),
    )
    noisy = with_noise(rec, 0.6, seed=1)
    deg_per_px = np.degrees(np.arctan(380.0 / 1024 / 670.0))
    s2s = np.hypot(np.diff(noisy.gaze.x_px), np.diff(noisy.gaze.y_px)) * deg_per_px
    assert float(np.sqrt(np.mean(s2s**2))) == pytest.approx(0.6, rel=0.03)
    assert noisy.labels is rec.labels and noisy.name == "r"
    np.testing.assert_array_equal(noisy.gaze.time_s, gaze.time_s)
