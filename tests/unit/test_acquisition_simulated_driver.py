"""Pieces of the simulated tracker driver that need no LSL: rows, options, ground truth."""

from __future__ import annotations

import argparse
from pathlib import Path

import h5py
import numpy as np
import pytest

from gazemap.drivers import simulated
from gazemap.errors import InputError
from gazemap.types import GAZE_CHANNEL_LABELS, GazeSamples


def _args(*argv: str) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    simulated.add_arguments(p)
    return p.parse_args(list(argv))


def test_gaze_matrix_fills_absent_channels_with_nan() -> None:
    g = GazeSamples(time_s=[0.0, 0.001], x_px=[1, 2], y_px=[3, 4], validity=[0, 4])
    m = simulated.gaze_matrix(g)
    assert m.shape == (2, len(GAZE_CHANNEL_LABELS)) and m.dtype == np.float32
    np.testing.assert_array_equal(m[:, 0], [1, 2])
    np.testing.assert_array_equal(m[:, -1], [0, 4])
    assert np.isnan(m[:, 2:8]).all()


def test_screen_options_and_defaults() -> None:
    assert simulated._screen(_args(), None) == simulated.DEFAULT_SCREEN
    s = simulated._screen(_args("--screen-width-px", "1280", "--distance-mm", "700"), None)
    # px given without mm: px x 0.3 mm (square pixels), as `gazemap simulate`
    assert (s.width_px, s.height_px, s.distance_mm) == (1280, 1080, 700.0)
    assert (s.width_mm, s.height_mm) == (pytest.approx(384.0), pytest.approx(324.0))


def test_option_errors() -> None:
    with pytest.raises(InputError, match="--rate-hz must be > 0"):
        simulated.run(_args("--rate-hz", "0"))
    with pytest.raises(InputError, match="--duration-s must be > 0"):
        simulated.run(_args("--duration-s", "-1"))
    with pytest.raises(InputError, match="--duration-s or --protocol"):
        simulated.run(_args("--truth", "t.h5"))


def test_write_truth(tmp_path: Path) -> None:
    from gazemap.simulation import simulate_session

    sess = simulate_session(
        None, participant="P1", seed=2, screen=simulated.DEFAULT_SCREEN, rate_hz=250, duration_s=3
    )
    p = tmp_path / "truth.h5"
    simulated.write_truth(sess, p, time_origin_s=100.0)
    with h5py.File(p, "r") as f:
        assert f.attrs["format"] == simulated.TRUTH_FORMAT
        assert f.attrs["time_origin_s"] == 100.0
        np.testing.assert_allclose(f["samples/time_s"][()], sess.gaze.time_s + 100.0)
        assert len(f["samples/label"]) == len(sess.gaze)
        n_fix = len(sess.truth_fixations)
        assert n_fix > 0 and len(f["fixations/start_s"]) == n_fix
        assert len(f["fixations/aoi"]) == n_fix and len(f["saccades/amplitude_deg"]) > 0
    with pytest.raises(InputError, match="does not exist"):
        simulated.write_truth(sess, tmp_path / "no" / "t.h5", 0.0)


def test_write_truth_to_a_folder_fails_clearly(tmp_path: Path) -> None:
    from gazemap.simulation import simulate_session

    sess = simulate_session(
        None, participant="P1", seed=2, screen=simulated.DEFAULT_SCREEN, rate_hz=100, duration_s=1
    )
    (tmp_path / "t.h5").mkdir()
    with pytest.raises(InputError, match="cannot create it"):
        simulated.write_truth(sess, tmp_path / "t.h5", 0.0)
