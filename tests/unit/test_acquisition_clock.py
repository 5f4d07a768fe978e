"""Clock correction of raw LSL timestamps from measured offsets."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from gazemap.acquisition.clock import corrected_times


def test_no_offsets_returns_raw_copy() -> None:
    raw = np.array([1.0, 2.0])
    out = corrected_times(raw, np.empty((0, 2)))
    np.testing.assert_array_equal(out, raw)
    out[0] = 5
    assert raw[0] == 1.0


def test_constant_offset() -> None:
    raw = np.linspace(0, 10, 11)
    np.testing.assert_allclose(corrected_times(raw, [[5.0, 100.0]]), raw + 100.0)


def test_interpolates_in_sender_time_and_holds_ends() -> None:
    # sender clock is ~1000 s behind; offset drifts from 1000.0 to 1000.1 over 10 s
    offsets = np.array([[1010.0, 1000.1], [1000.0, 1000.0]])  # unsorted on purpose
    raw = np.array([-5.0, 0.0, 5.0, 10.0 - 0.1, 20.0])
    expected = raw + np.array([1000.0, 1000.0, 1000.0 + 0.1 * 5 / 9.9, 1000.1, 1000.1])
    np.testing.assert_allclose(corrected_times(raw, offsets), expected, atol=1e-9)


def test_ignores_non_finite_measurements() -> None:
    out = corrected_times(np.array([1.0]), np.array([[np.nan, 3.0], [1.0, 2.0]]))
    np.testing.assert_allclose(out, [3.0])


@given(st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=20), st.floats(-1e4, 1e4))
def test_constant_offset_property(raw: list[float], off: float) -> None:
    arr = np.array(sorted(raw))
    out = corrected_times(arr, [[0.0, off], [50.0, off]])
    np.testing.assert_allclose(out, arr + off, atol=1e-6)
    assert np.all(np.diff(out) >= -1e-9)
