"""gazemap.quality: data loss, precision (RMS-S2S, SD), accuracy and flags vs hand-computed
values, windows (touchpoints), and every error path."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gazemap.errors import InputError
from gazemap.quality import QualityThresholds, Validation, assess
from gazemap.types import GazeSamples, Label, ScreenGeometry

# 1 px = 0.5 mm, eye 500 mm away
SCREEN = ScreenGeometry(
    width_px=1000, height_px=500, width_mm=500.0, height_mm=250.0, distance_mm=500.0
)
FIX = int(Label.FIXATION)


def _deg(px: float) -> float:
    """Angle of a px offset at the screen centre."""
    return math.degrees(math.atan(px * 0.5 / 500.0))


def test_rms_s2s_and_sd_hand_computed() -> None:
    # alternating 500, 502, 500, 502 ... px at the centre: every step is 2 px
    n = 100
    x = 500.0 + 2.0 * (np.arange(n) % 2)
    y = np.full(n, 250.0)
    g = GazeSamples(np.arange(n) / 100.0, x, y)
    q = assess(g, SCREEN, labels=np.full(n, FIX))
    # angle between (0,0,500) and (1 mm, 0, 500)
    assert q.precision_rms_deg == pytest.approx(math.degrees(math.atan(1.0 / 500.0)), rel=1e-6)
    # centroid at 501 px; each sample 1 px (0.5 mm) away
    assert q.precision_sd_deg == pytest.approx(math.degrees(math.atan(0.5 / 500.0)), rel=1e-3)
    assert q.data_loss == 0.0 and q.n_fixation_samples == n and q.ok
    assert math.isnan(q.accuracy_deg)


def test_data_loss_counts_nan_and_missing_samples() -> None:
    t = np.arange(100) / 100.0
    t[50:] += 0.5  # 50 samples never arrived
    x = np.full(100, 500.0)
    x[:10] = np.nan
    g = GazeSamples(t, x, np.full(100, 250.0))
    q = assess(g, SCREEN, labels=np.full(100, FIX))
    # expected 150 samples, 90 valid
    assert q.data_loss == pytest.approx(60 / 150)
    assert q.data_loss_pct == pytest.approx(40.0)
    assert not q.ok and any("data loss" in f for f in q.flags)


def test_window_and_empty_window() -> None:
    t = np.arange(200) / 100.0
    x = np.full(200, 500.0)
    x[150:] = np.nan
    g = GazeSamples(t, x, np.full(200, 250.0))
    labels = np.full(200, FIX)
    assert assess(g, SCREEN, labels, start_s=0.0, end_s=1.0).data_loss == 0.0
    assert assess(g, SCREEN, labels, start_s=1.0, end_s=2.0).data_loss == pytest.approx(0.5)
    e = assess(g, SCREEN, labels, start_s=5.0, end_s=6.0)
    assert e.n_samples == 0 and e.flags == ("no samples",) and e.data_loss == 1.0
    d = e.to_dict()
    assert d["ok"] is False and d["precision_rms_deg"] is None


def test_labels_default_to_ivt_and_saccades_are_excluded() -> None:
    n = 200
    x = np.where(np.arange(n) < 100, 300.0, 700.0)
    g = GazeSamples(np.arange(n) / 100.0, x, np.full(n, 250.0))
    q = assess(g, SCREEN)
    assert q.precision_rms_deg == pytest.approx(0.0, abs=1e-9)  # the jump is no fixation
    assert q.n_fixation_samples < n


def test_accuracy_from_validation_windows_and_errors() -> None:
    n = 100
    t = np.arange(n) / 100.0
    x = np.where(t < 0.5, 510.0, 500.0)  # target 1 at 500 seen at 510; target 2 exact
    g = GazeSamples(t, x, np.full(n, 250.0))
    v = Validation(points_px=[[500, 250], [500, 250]], start_s=[0.0, 0.5], end_s=[0.5, 1.0])
    q = assess(g, SCREEN, np.full(n, FIX), validation=v)
    assert q.accuracy_deg == pytest.approx((_deg(10) + 0.0) / 2, rel=1e-6)
    q2 = assess(g, SCREEN, np.full(n, FIX), validation=Validation([[1, 2]], error_deg=[1.5]))
    assert q2.accuracy_deg == 1.5 and any("accuracy" in f for f in q2.flags)
    # a window without valid gaze is skipped
    v3 = Validation(points_px=[[500, 250]], start_s=[5.0], end_s=[6.0])
    assert math.isnan(assess(g, SCREEN, np.full(n, FIX), validation=v3).accuracy_deg)


def test_thresholds_flags() -> None:
    n = 100
    rng = np.random.default_rng(0)
    x = 500 + rng.normal(0, 20, n)
    g = GazeSamples(np.arange(n) / 100.0, x, np.full(n, 250.0))
    q = assess(g, SCREEN, np.full(n, FIX))
    assert any("RMS-S2S" in f for f in q.flags) and any("SD" in f for f in q.flags)
    loose = assess(
        g,
        SCREEN,
        np.full(n, FIX),
        thresholds={"max_precision_rms_deg": 10, "max_precision_sd_deg": 10},
    )
    assert loose.ok


@pytest.mark.parametrize(
    ("kwargs", "msg"),
    [
        ({"thresholds": {"max_loss": 1}}, "unknown quality threshold"),
        ({"thresholds": {"max_data_loss": 20}}, "fraction 0..1"),
        ({"thresholds": {"max_accuracy_deg": -1}}, ">= 0"),
        ({"thresholds": 3}, "QualityThresholds or a dict"),
        ({"labels": np.ones(3)}, "one entry per gaze sample"),
    ],
)
def test_assess_errors(kwargs: dict, msg: str) -> None:
    g = GazeSamples(np.arange(10) / 100.0, np.full(10, 500.0), np.full(10, 250.0))
    with pytest.raises(InputError, match=msg):
        assess(g, SCREEN, **kwargs)


def test_validation_errors() -> None:
    with pytest.raises(InputError, match="one value per point"):
        Validation([[1, 2], [3, 4]], error_deg=[1.0])
    with pytest.raises(InputError, match="both start_s and end_s"):
        Validation([[1, 2]], start_s=[0.0])
    with pytest.raises(InputError, match="per-point windows"):
        Validation([[1, 2]])
    assert QualityThresholds().max_data_loss == 0.2
