"""Timestamps that scatter around their rate (a driver that stamps samples when they arrive, a
tracker that merges two eye cameras) are resampled to a regular grid for detection instead of
being refused ("the sample rate is not constant"); every input sample keeps one label."""

from __future__ import annotations

import dataclasses
import math
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from gazemap.errors import InputError
from gazemap.events import DETECTORS, detect
from gazemap.events.preprocess import check_times, irregular_interval, resample_gaze
from gazemap.simulation import simulate_session
from gazemap.types import GazeSamples, Label, ScreenGeometry

SCREEN = ScreenGeometry(1920, 1080, 531.0, 299.0, 650.0)
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from lund_agreement import event_f1  # noqa: E402


def _jittered(g: GazeSamples, rate_hz: float, seed: int = 1) -> GazeSamples:
    """Arrival stamping: each sample a little late (exponential, < 0.8 interval)."""
    rng = np.random.default_rng(seed)
    dt = 1.0 / rate_hz
    t = g.time_s + np.minimum(rng.exponential(0.25 * dt, len(g)), 0.8 * dt)
    t = np.maximum.accumulate(t)
    t[1:] = np.maximum(t[1:], t[:-1] + 1e-6)
    return dataclasses.replace(g, time_s=t)


@pytest.mark.parametrize("rate_hz", [60.0, 200.0])
def test_jittered_timestamps_are_detected_like_regular_ones(rate_hz: float) -> None:
    sim = simulate_session(
        None, participant="J", seed=3, screen=SCREEN, rate_hz=rate_hz, duration_s=40.0
    )
    g = _jittered(sim.gaze, rate_hz)
    assert np.mean(np.diff(g.time_s) < 0.5 / rate_hz) > 0.01  # check_times refused this
    with pytest.raises(InputError, match="not constant"):
        check_times(g.time_s)
    tf = sim.truth_fixations
    regular = detect(sim.gaze, SCREEN)
    jittered = detect(g, SCREEN)
    assert len(jittered.labels) == len(g)
    f1 = [
        event_f1(tf.start_s, tf.end_s, r.fixations.start_s, r.fixations.end_s)["f1"]
        for r in (regular, jittered)
    ]
    assert f1[1] > 0.9 and f1[1] >= f1[0] - 0.05
    # the labels of the samples agree with the regular run's on most samples
    assert np.mean(jittered.labels == regular.labels) > 0.9


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_every_detector_takes_an_extra_sample_between_regular_ones(name: str) -> None:
    # 250 Hz with a second camera's sample 0.3 ms after every 3rd one
    t0 = np.arange(2500) / 250.0
    x0 = np.where(t0 < 5.0, 700.0, 1100.0)
    extra = t0[::3] + 0.0003
    t = np.concatenate([t0, extra])
    order = np.argsort(t, kind="stable")
    x = np.concatenate([x0, x0[::3]])[order]
    g = GazeSamples(t[order], x, np.full(len(t), 500.0))
    r = detect(g, SCREEN, name)
    assert len(r.labels) == len(g)
    assert np.mean(r.labels == Label.FIXATION) > 0.9
    # one saccade between the two fixations, at 5 s
    assert 1 <= len(r.fixations) <= 3 and r.fixations.start_s[0] == pytest.approx(0.0, abs=0.01)


def test_resample_gaze_hand_computed() -> None:
    # 100 Hz grid; input at 0, 12, 20, 25, 31, 80 ms (a loss between 31 and 80 ms)
    t = np.array([0.0, 0.012, 0.020, 0.025, 0.031, 0.080])
    x = np.array([0.0, 12.0, np.nan, 25.0, 31.0, 80.0])
    v = np.array([0, 0, 1, 0, 0, 0])
    g = GazeSamples(t, x, x * 2, validity=v)
    r, back = resample_gaze(g, 0.01)
    np.testing.assert_allclose(r.time_s, np.arange(9) * 0.01)
    # 10 ms lies between 0 and 12 ms: x 10; 20 ms is the NaN sample; 30 ms between 25 and 31
    assert r.x_px[0] == 0.0 and r.x_px[1] == pytest.approx(10.0)
    assert math.isnan(r.x_px[2]) and r.x_px[3] == pytest.approx(30.0)
    assert r.y_px[3] == pytest.approx(60.0)
    # 40-70 ms lie in the 49 ms loss (> 3 intervals): lost, not invented
    assert np.isnan(r.x_px[4:8]).all() and r.x_px[8] == pytest.approx(80.0)
    assert r.validity is not None and r.validity[2] == 1
    assert back.tolist() == [0, 1, 2, 2, 3, 8]
    assert irregular_interval(np.arange(100) * 0.004) == pytest.approx(0.004)


def test_gazemap_detect_reads_a_session_with_jittered_timestamps(tmp_path: Path) -> None:
    from conftest import gazemap_cmd

    path = tmp_path / "s.h5"
    r = subprocess.run(
        [*gazemap_cmd(), "simulate", "--participant", "J1", "--rate-hz", "150"]
        + ["--duration-s", "20", "--out", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    with h5py.File(path, "a") as f:
        t = f["streams/gaze/time_s"][()]
        rng = np.random.default_rng(2)
        tj = t + np.minimum(rng.exponential(0.25 / 150, len(t)), 0.8 / 150)
        tj = np.maximum.accumulate(tj)
        tj[1:] = np.maximum(tj[1:], tj[:-1] + 1e-6)
        f["streams/gaze/time_s"][...] = tj
    r = subprocess.run(
        [*gazemap_cmd(), "detect", str(path)], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stderr
    n_fix = int(r.stdout.split(" fixations")[0].rsplit("\n", 1)[-1].strip())
    assert n_fix > 30
