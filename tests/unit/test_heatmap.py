"""Numeric tests of gazemap.heatmap: mass, kernel width in degrees, symmetry, weighting."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gazemap.errors import InputError
from gazemap.geometry import px_per_deg
from gazemap.heatmap import (
    Heatmap,
    density_grid,
    fixation_heatmap,
    naive_splat,
    page_density,
    sample_heatmap,
)
from gazemap.types import ScreenGeometry

SCREEN = ScreenGeometry(1920, 1080, 531.0, 299.0, 650.0)  # 24" at 65 cm


def _moments(a: np.ndarray, cell: float = 1.0) -> tuple[float, float, float, float]:
    """Centroid and standard deviation (px) of a 2-D mass on pixel/cell centres."""
    yy, xx = np.indices(a.shape, dtype=np.float64)
    xx = (xx + 0.5) * cell
    yy = (yy + 0.5) * cell
    m = a.sum()
    cx, cy = (a * xx).sum() / m, (a * yy).sum() / m
    sx = np.sqrt((a * (xx - cx) ** 2).sum() / m)
    sy = np.sqrt((a * (yy - cy) ** 2).sum() / m)
    return cx, cy, sx, sy


def test_mass_equals_total_duration_on_page() -> None:
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 800, 500)
    y = rng.uniform(0, 3000, 500)
    d = rng.uniform(0.08, 0.6, 500)
    hm = fixation_heatmap(x, y, d, page_width_px=800, page_height_px=3000, px_per_deg=40.0)
    assert hm.total == pytest.approx(d.sum(), rel=1e-9)
    assert hm.n_points == 500 and hm.n_outside == 0
    assert page_density(hm).sum() == pytest.approx(d.sum(), rel=2e-3)


def test_points_off_page_are_dropped_and_counted() -> None:
    x = np.array([10.0, -5.0, 50.0, np.nan, 99.999])
    y = np.array([10.0, 10.0, 200.0, 5.0, 99.0])
    hm = fixation_heatmap(x, y, np.ones(5), page_width_px=100, page_height_px=100, px_per_deg=10.0)
    assert hm.n_points == 2 and hm.n_outside == 3
    assert hm.total == pytest.approx(2.0)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, 399.9), st.floats(0, 299.9), st.floats(0.01, 2.0)),
        min_size=1,
        max_size=40,
    ),
    st.integers(1, 12),
)
def test_mass_conserved_for_any_points_and_cell(pts, cell) -> None:
    x, y, w = (np.array(c) for c in zip(*pts, strict=True))
    grid, kept = density_grid(
        x, y, w, page_width_px=400, page_height_px=300, sigma_px=12.0, cell_px=cell
    )
    assert kept.all()
    assert grid.shape == (-(-300 // cell), -(-400 // cell))
    assert grid.min() >= -1e-12
    assert grid.sum() == pytest.approx(w.sum(), rel=1e-9)


@pytest.mark.parametrize("sigma_deg", [0.5, 1.0, 2.0])
@pytest.mark.parametrize("cell", [1, None])
def test_kernel_width_in_degrees(sigma_deg: float, cell: int | None) -> None:
    ppd = px_per_deg(SCREEN)
    hm = fixation_heatmap(
        np.array([600.3]), np.array([700.7]), np.array([0.3]),
        page_width_px=1200, page_height_px=1400, px_per_deg=ppd, sigma_deg=sigma_deg,
        cell_px=cell,
    )  # fmt: skip
    cx, cy, sx, sy = _moments(hm.values, hm.cell_px)
    sigma_px = sigma_deg * ppd
    assert cx == pytest.approx(600.3, abs=0.05 * hm.cell_px)
    assert cy == pytest.approx(700.7, abs=0.05 * hm.cell_px)
    assert sx == pytest.approx(sigma_px, rel=0.01)
    assert sy == pytest.approx(sigma_px, rel=0.01)
    # FWHM of the central row, measured on the full-page map, is 2.3548 sigma
    full = page_density(hm)
    row = full[700]
    above = np.flatnonzero(row >= row.max() / 2)
    fwhm = above[-1] - above[0] + 1
    assert fwhm == pytest.approx(2 * np.sqrt(2 * np.log(2)) * sigma_px, abs=max(2, hm.cell_px))


def test_single_splat_is_symmetric() -> None:
    # page 201 x 161 px: pixel (100, 80) has its centre at (100.5, 80.5)
    hm = fixation_heatmap(
        np.array([100.5]), np.array([80.5]), np.array([1.0]),
        page_width_px=201, page_height_px=161, px_per_deg=8.0, sigma_deg=1.5, cell_px=1,
    )  # fmt: skip
    v = hm.values
    np.testing.assert_allclose(v, v[::-1, :], rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(v, v[:, ::-1], rtol=1e-10, atol=1e-15)
    # isotropic: the same profile along both axes through the centre
    np.testing.assert_allclose(v[80, 100 - 30 : 100 + 31], v[80 - 30 : 80 + 31, 100], rtol=1e-10)
    assert np.unravel_index(v.argmax(), v.shape) == (80, 100)


def test_matches_naive_per_fixation_splat() -> None:
    rng = np.random.default_rng(7)
    x = rng.uniform(150, 650, 80)
    y = rng.uniform(150, 1350, 80)
    d = rng.uniform(0.1, 0.5, 80)
    hm = fixation_heatmap(x, y, d, page_width_px=800, page_height_px=1500, px_per_deg=30.0)
    fast = page_density(hm)
    slow = naive_splat(x, y, d, page_width_px=800, page_height_px=1500, sigma_px=30.0)
    assert np.abs(fast - slow).max() < 0.01 * slow.max()


def test_duration_vs_count_weighting() -> None:
    x = np.array([100.0, 300.0])
    y = np.array([100.0, 100.0])
    d = np.array([0.9, 0.1])
    kw = dict(page_width_px=400, page_height_px=200, px_per_deg=20.0, cell_px=2)
    by_dur = fixation_heatmap(x, y, d, weighting="duration", **kw)
    by_cnt = fixation_heatmap(x, y, d, weighting="count", **kw)
    assert by_dur.total == pytest.approx(1.0)
    assert by_cnt.total == pytest.approx(2.0)
    assert by_dur.unit == "s" and by_cnt.unit == "fixations"
    left, right = by_dur.values[:, :100].sum(), by_dur.values[:, 100:].sum()
    assert left / right == pytest.approx(9.0, rel=1e-3)
    assert by_cnt.values[:, :100].sum() == pytest.approx(by_cnt.values[:, 100:].sum(), rel=1e-6)


def test_relative_weights_every_participant_equally() -> None:
    # P1 looks left 10 times, P2 looks right once: relative map splits 50/50
    x = np.r_[np.full(10, 100.0), 300.0]
    y = np.full(11, 100.0)
    d = np.r_[np.full(10, 0.3), 0.2]
    p = np.array(["P1"] * 10 + ["P2"])
    kw = dict(page_width_px=400, page_height_px=200, px_per_deg=20.0, cell_px=2)
    rel = fixation_heatmap(x, y, d, p, normalization="relative", **kw)
    ab = fixation_heatmap(x, y, d, p, normalization="absolute", **kw)
    assert rel.total == pytest.approx(1.0)
    assert rel.n_participants == 2
    assert rel.values[:, :100].sum() == pytest.approx(0.5, rel=1e-6)
    assert ab.total == pytest.approx(3.2)
    assert ab.values[:, :100].sum() == pytest.approx(3.0, rel=1e-6)
    assert rel.unit == "share of attention"


def test_relative_ignores_participant_without_fixation_time() -> None:
    x = np.array([100.0, 300.0, 200.0])
    d = np.array([0.4, 0.2, 0.0])
    p = np.array(["P1", "P2", "P3"])  # P3 has one zero-duration fixation
    rel = fixation_heatmap(
        x, np.full(3, 100.0), d, p, normalization="relative",
        page_width_px=400, page_height_px=200, px_per_deg=20.0,
    )  # fmt: skip
    assert rel.n_participants == 2
    assert rel.total == pytest.approx(1.0)


def test_per_deg2_units() -> None:
    hm = fixation_heatmap(
        np.array([50.0]), np.array([50.0]), np.array([2.0]),
        page_width_px=100, page_height_px=100, px_per_deg=10.0, cell_px=5, sigma_deg=1.0,
    )  # fmt: skip
    # a cell is 0.5 x 0.5 deg; the integral over degrees is the total weight
    assert hm.per_deg2().sum() * 0.25 == pytest.approx(2.0)


def test_sample_heatmap_weights_by_sample_interval() -> None:
    t = np.arange(0, 1.0, 0.01)  # 100 Hz, 1 s
    x = np.where(t < 0.5, 100.0, 300.0)
    x[10] = np.nan  # one invalid sample
    y = np.full_like(t, 100.0)
    hm = sample_heatmap(t, x, y, page_width_px=400, page_height_px=200, px_per_deg=20.0)
    assert hm.total == pytest.approx(0.99, abs=1e-9)
    assert hm.n_outside == 1
    cnt = sample_heatmap(
        t, x, y, page_width_px=400, page_height_px=200, px_per_deg=20.0, weighting="count"
    )
    assert cnt.total == pytest.approx(99)


def test_sample_gaps_are_capped() -> None:
    t = np.array([0.0, 0.01, 0.02, 5.0, 5.01])
    x = np.full(5, 50.0)
    hm = sample_heatmap(t, x, x, page_width_px=100, page_height_px=100, px_per_deg=10.0)
    # the 4.98 s gap counts as 3 x the median interval (0.01 s)
    assert hm.total == pytest.approx(0.01 * 4 + 0.03, rel=1e-6)


def test_empty_input_gives_zero_map() -> None:
    e = np.empty(0)
    hm = fixation_heatmap(e, e, e, page_width_px=50, page_height_px=40, px_per_deg=10.0)
    assert (
        hm.total == 0.0 and hm.n_participants == 0 and hm.values.shape == (20, 25)
    )  # auto cell = 10 px / 4 -> 2 px


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(px_per_deg=0.0), "px_per_deg must be a finite number > 0"),
        (dict(sigma_deg=-1.0), "sigma_deg must be a finite number > 0"),
        (dict(weighting="area"), "weighting must be 'duration' or 'count'"),
        (dict(normalization="z"), "normalization must be 'absolute' or 'relative'"),
        (dict(page_width_px=0), "page_width_px must be a finite number > 0"),
        (dict(page_height_px=float("nan")), "page_height_px must be a finite number > 0"),
        (dict(cell_px=0), "cell_px must be an integer >= 1"),
        (dict(duration_s=None), "needs duration_s"),
        (dict(duration_s=np.ones(3)), "duration_s must have one value per fixation"),
        (dict(duration_s=np.array([0.1, -0.2])), "weights must be finite and >= 0"),
        (dict(participant=np.array(["a"])), "participant must have one label"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs: dict, match: str) -> None:
    args = dict(
        duration_s=np.array([0.2, 0.3]),
        page_width_px=100,
        page_height_px=100,
        px_per_deg=10.0,
    )
    args.update(kwargs)
    with pytest.raises(InputError, match=match):
        fixation_heatmap(np.array([1.0, 2.0]), np.array([1.0, 2.0]), **args)


def test_density_grid_shape_error() -> None:
    with pytest.raises(InputError, match="1-D arrays of equal length"):
        density_grid(
            np.zeros(2), np.zeros(3), np.zeros(2), page_width_px=10, page_height_px=10, sigma_px=1
        )


def test_sample_heatmap_errors() -> None:
    with pytest.raises(InputError, match="time_s must have one value per sample"):
        sample_heatmap(
            np.zeros(2), np.zeros(3), np.zeros(3),
            page_width_px=10, page_height_px=10, px_per_deg=1.0,
        )  # fmt: skip
    with pytest.raises(InputError, match="non-decreasing per participant"):
        sample_heatmap(
            np.array([0.0, 0.02, 0.01]), np.zeros(3), np.zeros(3),
            page_width_px=10, page_height_px=10, px_per_deg=1.0,
        )  # fmt: skip


# ---------------------------------------------------------------- sessions on different screens


def _blob_sigma_px(hm: Heatmap, x0: float, y0: float, half_px: float) -> float:
    """Second moment (px) along x of the map around (x0, y0), within +-half_px."""
    dens = page_density(hm)
    ys = slice(int(y0 - half_px), int(y0 + half_px))
    xs = np.arange(int(x0 - half_px), int(x0 + half_px))
    patch = dens[ys, xs[0] : xs[-1] + 1].sum(axis=0)
    centres = xs + 0.5
    mean = (patch * centres).sum() / patch.sum()
    return float(np.sqrt((patch * (centres - mean) ** 2).sum() / patch.sum()))


def test_each_fixation_gets_the_kernel_of_its_own_screen() -> None:
    # P1 on a 531 mm panel (say 40 px/deg), P2 on a 384 mm one (about 55 px/deg)
    x = np.array([300.0, 900.0])
    y = np.array([400.0, 400.0])
    d = np.array([1.0, 1.0])
    ppd = np.array([40.0, 55.0])
    hm = fixation_heatmap(
        x, y, d, np.array(["P1", "P2"]), page_width_px=1200, page_height_px=800,
        px_per_deg=40.0, sigma_deg=1.0, point_px_per_deg=ppd,
    )  # fmt: skip
    assert hm.px_per_deg_range == (40.0, 55.0)
    assert hm.sigma_px_range == (40.0, 55.0)
    assert abs(_blob_sigma_px(hm, 300, 400, 250) - 40.0) < 1.0
    assert abs(_blob_sigma_px(hm, 900, 400, 280) - 55.0) < 1.0
    assert abs(hm.total - 2.0) < 1e-9
    # the same as the two single-screen maps on the same grid, added
    one = [
        fixation_heatmap(
            x[i : i + 1],
            y[i : i + 1],
            d[i : i + 1],
            page_width_px=1200,
            page_height_px=800,
            px_per_deg=float(ppd[i]),
            sigma_deg=1.0,
            cell_px=hm.cell_px,
        )  # fmt: skip
        for i in range(2)
    ]
    np.testing.assert_allclose(hm.values, one[0].values + one[1].values, atol=1e-12)
    # density per deg²: each point's cells converted with its own px/deg
    np.testing.assert_allclose(hm.per_deg2(), one[0].per_deg2() + one[1].per_deg2(), atol=1e-12)


def test_one_screen_for_all_points_is_the_plain_map() -> None:
    x, y, d = np.array([300.0]), np.array([400.0]), np.array([0.5])
    kw = dict(page_width_px=1200, page_height_px=800, sigma_deg=1.0)
    a = fixation_heatmap(x, y, d, px_per_deg=30.0, point_px_per_deg=np.array([45.0]), **kw)
    b = fixation_heatmap(x, y, d, px_per_deg=45.0, **kw)
    np.testing.assert_array_equal(a.values, b.values)
    assert a.px_per_deg == 45.0 and a.px_per_deg_range is None


@pytest.mark.parametrize("bad", [np.array([40.0]), np.array([40.0, np.nan]), np.array([40.0, 0])])
def test_bad_point_px_per_deg_is_refused(bad: np.ndarray) -> None:
    with pytest.raises(InputError, match="point_px_per_deg"):
        fixation_heatmap(
            np.array([1.0, 2.0]), np.array([1.0, 2.0]), np.array([0.1, 0.1]),
            page_width_px=100, page_height_px=100, px_per_deg=40.0, point_px_per_deg=bad,
        )  # fmt: skip
