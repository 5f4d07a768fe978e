"""Tests of px <-> degree and screen <-> page conversions against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gazemap.errors import InputError
from gazemap.geometry import (
    angle_between_deg,
    deg_to_px,
    px_per_deg,
    px_to_deg,
    screen_to_page,
)
from gazemap.types import ScreenGeometry, ScrollSamples

SCREEN = ScreenGeometry(
    width_px=1000, height_px=500, width_mm=500.0, height_mm=250.0, distance_mm=500.0
)


def test_centre_is_zero_degrees() -> None:
    x, y = px_to_deg(np.array([500.0]), np.array([250.0]), SCREEN)
    assert x[0] == 0 and y[0] == 0


def test_edge_angle_is_atan_of_half_width_over_distance() -> None:
    # 500 px right of centre = 250 mm at 500 mm distance -> atan(0.5)
    x, _ = px_to_deg(np.array([1000.0]), np.array([250.0]), SCREEN)
    assert x[0] == pytest.approx(math.degrees(math.atan(0.5)))


def test_visual_angle_per_px_shrinks_towards_the_edge() -> None:
    centre = angle_between_deg(
        np.array([500.0]), np.array([250.0]), np.array([510.0]), np.array([250.0]), SCREEN
    )
    edge = angle_between_deg(
        np.array([980.0]), np.array([250.0]), np.array([990.0]), np.array([250.0]), SCREEN
    )
    assert edge[0] < centre[0]


def test_px_per_deg_at_centre() -> None:
    assert px_per_deg(SCREEN) == pytest.approx(math.tan(math.radians(1)) * 500.0 * 2.0)


@given(st.floats(-400, 1400), st.floats(-200, 700))
def test_deg_px_round_trip(x: float, y: float) -> None:
    xd, yd = px_to_deg(np.array([x]), np.array([y]), SCREEN)
    xp, yp = deg_to_px(xd, yd, SCREEN)
    assert xp[0] == pytest.approx(x, abs=1e-6)
    assert yp[0] == pytest.approx(y, abs=1e-6)


def test_screen_to_page_uses_last_scroll_sample() -> None:
    scroll = ScrollSamples(
        time_s=[1.0, 2.0],
        scroll_x_px=[0.0, 0.0],
        scroll_y_px=[0.0, 300.0],
        viewport_x_px=[10.0, 10.0],
        viewport_y_px=[20.0, 20.0],
    )
    px, py = screen_to_page(
        np.array([0.5, 1.5, 2.0, 5.0]), np.full(4, 110.0), np.full(4, 120.0), scroll
    )
    assert list(px) == [100.0] * 4
    assert list(py) == [100.0, 100.0, 400.0, 400.0]


def test_screen_to_page_without_scroll_is_identity() -> None:
    px, py = screen_to_page(np.array([0.0]), np.array([3.0]), np.array([4.0]), None)
    assert (px[0], py[0]) == (3.0, 4.0)


def test_unsorted_scroll_is_an_error() -> None:
    scroll = ScrollSamples([2.0, 1.0], [0, 0], [0, 0], [0, 0], [0, 0])
    with pytest.raises(InputError, match="non-decreasing"):
        screen_to_page(np.array([0.0]), np.array([0.0]), np.array([0.0]), scroll)
