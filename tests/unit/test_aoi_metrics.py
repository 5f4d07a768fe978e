"""AOI and touchpoint metrics on small hand-computed fixation sequences."""

from __future__ import annotations

import numpy as np
import pytest

from gazemap.aoi import aoi_metrics, hit_matrix, outside_column, touchpoint_metrics
from gazemap.errors import InputError
from gazemap.geometry import angle_between_deg
from gazemap.protocol import AOI
from gazemap.types import ScreenGeometry

AOIS = [
    AOI("A", "A", "content", "rect", (0, 0, 100, 100)),
    AOI("B", "B", "target", "ellipse", (300, 50, 50, 50)),
    AOI("C", "C", "cta", "polygon", (0, 200, 100, 200, 50, 300)),
]
# touchpoint starts at t0 = 10 s
START = np.array([10.1, 10.4, 10.6, 11.0, 11.3, 11.5])
END = np.array([10.3, 10.5, 10.9, 11.2, 11.4, 11.9])
X = np.array([50.0, 300.0, 60.0, 70.0, 500.0, 50.0])
Y = np.array([50.0, 50.0, 60.0, 70.0, 500.0, 250.0])


def test_hand_computed_metrics() -> None:
    h = hit_matrix(X, Y, AOIS)
    out = outside_column(h)
    assert out.tolist() == [False, False, False, False, True, False]
    m = aoi_metrics(START, END, np.column_stack([h, out]), 10.0)
    # columns: A, B, C, outside
    np.testing.assert_allclose(m.ttff_s, [0.1, 0.4, 1.5, 1.3], atol=1e-12)
    np.testing.assert_allclose(m.first_fixation_duration_s, [0.2, 0.1, 0.4, 0.1], atol=1e-12)
    assert m.fixations_before_first.tolist() == [0, 1, 5, 4]
    np.testing.assert_allclose(m.dwell_s, [0.7, 0.1, 0.4, 0.1], atol=1e-12)
    assert m.fixation_count.tolist() == [3, 1, 1, 1]
    # A: fixation 0, then 2-3 -> two visits, one revisit
    assert m.visit_count.tolist() == [2, 1, 1, 1]
    assert m.revisits.tolist() == [1, 0, 0, 0]
    assert m.fixated.tolist() == [True, True, True, True]
    assert m.first_index.tolist() == [0, 1, 5, 4]
    assert m.revisit_index.tolist() == [2, -1, -1, -1]
    assert m.longest_index.tolist() == [2, 1, 5, 4]
    np.testing.assert_allclose(m.mean_fixation_duration_s, [0.7 / 3, 0.1, 0.4, 0.1])


def test_never_fixated_aoi_is_undefined_not_zero() -> None:
    h = np.zeros((3, 1), dtype=bool)
    m = aoi_metrics(np.array([0.0, 1, 2]), np.array([0.5, 1.5, 2.5]), h, 0.0)
    assert np.isnan(m.ttff_s[0]) and np.isnan(m.first_fixation_duration_s[0])
    assert m.fixations_before_first[0] == -1
    assert m.dwell_s[0] == 0 and m.fixation_count[0] == 0 and m.visit_count[0] == 0
    assert m.revisits[0] == 0 and not m.fixated[0]
    assert np.isnan(m.mean_fixation_duration_s[0])


def test_no_fixations() -> None:
    m = aoi_metrics(np.empty(0), np.empty(0), np.zeros((0, 2), dtype=bool), 0.0)
    assert m.fixation_count.tolist() == [0, 0] and not m.fixated.any()


def test_three_visits() -> None:
    h = np.array([[1], [0], [1], [1], [0], [0], [1]], dtype=bool)
    t = np.arange(7.0)
    m = aoi_metrics(t, t + 0.5, h, 0.0)
    assert m.visit_count[0] == 3 and m.revisits[0] == 2 and m.revisit_index[0] == 2


def test_metric_errors() -> None:
    with pytest.raises(InputError, match=r"\(N, M\)"):
        aoi_metrics(np.zeros(2), np.zeros(2), np.zeros((3, 1), dtype=bool), 0.0)
    with pytest.raises(InputError, match="sorted"):
        aoi_metrics(np.array([1.0, 0.0]), np.array([1.5, 0.5]), np.zeros((2, 1), dtype=bool), 0.0)


def test_touchpoint_metrics_hand_computed() -> None:
    screen = ScreenGeometry(1920, 1080, 531.0, 299.0, 650.0)
    tm = touchpoint_metrics(10.0, 12.5, START, END, X, Y, screen)
    assert tm.time_on_touchpoint_s == pytest.approx(2.5)
    assert tm.fixation_count == 6
    assert tm.mean_fixation_duration_ms == pytest.approx(
        (0.2 + 0.1 + 0.3 + 0.2 + 0.1 + 0.4) / 6 * 1000
    )
    expected = float(np.sum(angle_between_deg(X[:-1], Y[:-1], X[1:], Y[1:], screen)))
    assert tm.scanpath_length_deg == pytest.approx(expected)
    # 250 px horizontally at the left edge: about 250 / 1920 * 531 mm = 69 mm at 650 mm -> ~6 deg
    assert (
        5.0
        < float(
            angle_between_deg(
                np.array([50.0]), np.array([50.0]), np.array([300.0]), np.array([50.0]), screen
            )[0]
        )
        < 7.0
    )
    empty = touchpoint_metrics(0.0, 1.0, np.empty(0), np.empty(0), np.empty(0), np.empty(0), screen)
    assert empty.fixation_count == 0 and np.isnan(empty.mean_fixation_duration_ms)
    assert empty.scanpath_length_deg == 0.0
