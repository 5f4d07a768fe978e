"""Tests of the typed containers and their validation."""

from __future__ import annotations

import numpy as np
import pytest

from gazemap.errors import InputError
from gazemap.types import (
    Fixations,
    GazeSamples,
    Label,
    Markers,
    Saccades,
    ScreenGeometry,
    ScrollSamples,
)


def test_gaze_samples_coerces_columns_to_float_arrays() -> None:
    g = GazeSamples(time_s=[0, 1, 2], x_px=[1, 2, 3], y_px=[4, 5, 6], validity=[0, 1, 0])
    assert g.time_s.dtype == np.float64
    assert g.validity is not None and g.validity.dtype == np.int64
    assert len(g) == 3
    assert g.left_x_px is None


def test_unequal_lengths_are_refused_with_both_names() -> None:
    with pytest.raises(InputError, match=r"time_s has 3, x_px has 2"):
        GazeSamples(time_s=[0, 1, 2], x_px=[1, 2], y_px=[4, 5, 6])


def test_two_dimensional_column_is_refused() -> None:
    with pytest.raises(InputError, match=r"1-D array, got shape \(2, 2\)"):
        GazeSamples(time_s=np.zeros((2, 2)), x_px=[1, 2], y_px=[1, 2])


def test_fixation_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(InputError, match="fixation 1"):
        Fixations([0, 2], [1, 1.5], [0, 0], [0, 0], [0, 0], [0, 0], [0, 0])


def test_fixation_duration_and_empty() -> None:
    f = Fixations([0, 2], [1, 2.5], [0, 0], [0, 0], [0, 0], [0, 0], [0, 0])
    assert np.allclose(f.duration_s, [1, 0.5])
    assert len(Fixations.empty()) == 0
    assert len(Saccades.empty()) == 0


@pytest.mark.parametrize("field", ["width_px", "height_px", "width_mm", "height_mm", "distance_mm"])
@pytest.mark.parametrize("bad", [0, -5, float("nan")])
def test_screen_geometry_must_be_positive(field: str, bad: float) -> None:
    kw = dict(width_px=1920, height_px=1080, width_mm=531.0, height_mm=299.0, distance_mm=650.0)
    kw[field] = bad
    with pytest.raises(InputError, match=field):
        ScreenGeometry(**kw)  # type: ignore[arg-type]


def test_markers_values_are_strings() -> None:
    m = Markers([0.5, 1.0], ["screen/home", 3])
    assert list(m.value) == ["screen/home", "3"]


def test_scroll_samples_length() -> None:
    s = ScrollSamples([0, 1], [0, 0], [0, 100], [0, 0], [0, 0])
    assert len(s) == 2


def test_label_numbers_match_label_files() -> None:
    assert [int(v) for v in Label] == [1, 2, 3, 4, 5, 6]
