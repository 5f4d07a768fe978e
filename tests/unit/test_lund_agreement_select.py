"""The tuning benchmark's selection rules: the neighbourhood mean on the parameter grid and
the leave-one-recording-out choice, on hand-made score tables."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np

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
