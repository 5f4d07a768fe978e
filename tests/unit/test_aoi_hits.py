"""AOI hit testing: shapes, overlaps, boundaries, fixed AOIs, errors, agreement with matplotlib."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.path import Path as MplPath

from gazemap.aoi import compile_aois, hit_matrix, hit_pairs
from gazemap.errors import InputError
from gazemap.protocol import AOI


def rect(i: str, x: float, y: float, w: float, h: float, fixed: bool = False) -> AOI:
    return AOI(i, i, "content", "rect", (x, y, w, h), fixed=fixed)


def test_rect_ellipse_polygon_and_outside() -> None:
    aois = [
        rect("A", 0, 0, 100, 100),
        AOI("B", "B", "target", "ellipse", (300, 50, 50, 25)),
        # concave L shape
        AOI("C", "C", "cta", "polygon", (0, 200, 100, 200, 100, 220, 20, 220, 20, 300, 0, 300)),
    ]
    x = np.array([50, 300, 340, 300, 10, 60, 500, np.nan])
    y = np.array([50, 50, 50, 70, 250, 250, 500, 10])
    h = hit_matrix(x, y, aois)
    expected = np.array(
        [
            [1, 0, 0],  # in A
            [0, 1, 0],  # ellipse centre
            [0, 1, 0],  # ellipse: (40/50)^2 = 0.64 <= 1
            [0, 1, 0],  # ellipse: (0/50)^2 + (20/25)^2 = 0.64 <= 1
            [0, 0, 1],  # in the L's vertical bar
            [0, 0, 0],  # in the L's notch (concave part)
            [0, 0, 0],
            [0, 0, 0],  # NaN never hits
        ],
        dtype=bool,
    )
    np.testing.assert_array_equal(h, expected)


def test_overlapping_aois_both_hit_and_boundaries_inclusive() -> None:
    aois = [
        rect("big", 0, 0, 200, 200),
        rect("small", 50, 50, 20, 20),
        rect("right", 200, 0, 10, 10),
    ]
    rows, cols = hit_pairs(np.array([60.0, 200.0, 10.0]), np.array([60.0, 5.0, 10.0]), aois)
    assert list(zip(rows.tolist(), cols.tolist(), strict=True)) == [
        (0, 0),
        (0, 1),
        (1, 0),
        (1, 2),
        (2, 0),
    ]


def test_polygon_boundary_is_inclusive_like_rects() -> None:
    tri = AOI("T", "T", "content", "polygon", (0, 0, 10, 0, 0, 10))
    h = hit_matrix(np.array([5.0, 5.0, 0.0, 6.0]), np.array([0.0, 5.0, 5.0, 6.0]), [tri])
    assert h[:, 0].tolist() == [True, True, True, False]


def test_fixed_aois_use_viewport_coordinates() -> None:
    header = rect("header", 0, 0, 1000, 80, fixed=True)
    banner = rect("banner", 0, 0, 1000, 400)
    # page y 1050 after scrolling by 1000: the header is on screen (viewport y 50)
    h = hit_matrix(
        np.array([500.0]), np.array([1050.0]), [header, banner], np.array([500.0]), np.array([50.0])
    )
    assert h.tolist() == [[True, False]]
    # without viewport coordinates, page coordinates are used for fixed AOIs too (and the
    # fixed header covers the banner beneath it)
    assert hit_matrix(np.array([500.0]), np.array([50.0]), [header, banner]).tolist() == [
        [True, False]
    ]


def test_empty_inputs() -> None:
    assert hit_matrix(np.empty(0), np.empty(0), [rect("A", 0, 0, 1, 1)]).shape == (0, 1)
    assert hit_matrix(np.array([1.0]), np.array([1.0]), []).shape == (1, 0)
    r, c = hit_pairs(np.array([np.nan]), np.array([np.nan]), [rect("A", 0, 0, 1, 1)])
    assert len(r) == 0 and len(c) == 0


@pytest.mark.parametrize(
    ("aoi", "match"),
    [
        (AOI("a", "a", "x", "circle", (0, 0, 1, 1)), "shape must be one of"),
        (AOI("a", "a", "x", "rect", (0, 0, 1)), "needs 4 coords"),
        (AOI("a", "a", "x", "ellipse", (0, 0, 1, 1, 1)), "needs 4 coords"),
        (AOI("a", "a", "x", "rect", (0, 0, 0, 5)), "size must be > 0"),
        (AOI("a", "a", "x", "polygon", (0, 0, 1, 1)), "at least 3"),
        (AOI("a", "a", "x", "polygon", (0, 0, 1, 1, 2)), "at least 3"),
        (AOI("a", "a", "x", "rect", (0, float("nan"), 1, 1)), "finite"),
    ],
)
def test_bad_aois_raise(aoi: AOI, match: str) -> None:
    with pytest.raises(InputError, match=match):
        compile_aois([aoi])


def test_shape_mismatch_raises() -> None:
    aois = [rect("A", 0, 0, 1, 1)]
    with pytest.raises(InputError, match="equal length"):
        hit_pairs(np.zeros(3), np.zeros(2), aois)
    with pytest.raises(InputError, match="fixed_x_px"):
        hit_pairs(np.zeros(3), np.zeros(3), aois, np.zeros(2), np.zeros(3))


def test_compiled_geometry_is_reusable() -> None:
    geom = compile_aois([rect("A", 0, 0, 10, 10), rect("B", 5, 5, 10, 10)])
    assert len(geom) == 2 and geom.ids == ("A", "B")
    assert hit_matrix(np.array([7.0]), np.array([7.0]), geom).tolist() == [[True, True]]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(0, 300), m=st.integers(1, 12))
def test_matches_matplotlib_path_on_random_polygons_and_rects(seed: int, n: int, m: int) -> None:
    rng = np.random.default_rng(seed)
    aois = []
    for j in range(m):
        cx, cy = rng.uniform(0, 1000, 2)
        if j % 2:
            k = int(rng.integers(3, 9))
            t = np.sort(rng.uniform(0, 2 * np.pi, k))
            r = rng.uniform(10, 200, k)
            pts = np.column_stack([cx + r * np.cos(t), cy + r * np.sin(t)])
            aois.append(AOI(f"p{j}", "p", "content", "polygon", tuple(pts.ravel().tolist())))
        else:
            aois.append(rect(f"r{j}", cx, cy, *rng.uniform(1, 300, 2)))
    x = rng.uniform(-100, 1300, n)
    y = rng.uniform(-100, 1300, n)
    ours = hit_matrix(x, y, aois)
    ref = (
        np.column_stack([MplPath(a.points).contains_points(np.column_stack([x, y])) for a in aois])
        if n
        else np.zeros((0, m), dtype=bool)
    )
    np.testing.assert_array_equal(ours, ref)


def test_matrix_invariant_to_aoi_order() -> None:
    rng = np.random.default_rng(3)
    aois = [rect(f"r{j}", *rng.uniform(0, 500, 2), *rng.uniform(10, 200, 2)) for j in range(15)]
    aois += [
        AOI(f"e{j}", "e", "content", "ellipse", (*rng.uniform(0, 500, 2), 40, 30)) for j in range(5)
    ]
    x, y = rng.uniform(0, 700, 2000), rng.uniform(0, 700, 2000)
    perm = rng.permutation(len(aois))
    h = hit_matrix(x, y, aois)
    hp = hit_matrix(x, y, [aois[k] for k in perm])
    np.testing.assert_array_equal(h[:, perm], hp)


def test_fixed_aoi_occludes_scrolling_aois_beneath() -> None:
    header = rect("header", 0, 0, 1000, 80, fixed=True)
    logo = rect("logo", 0, 0, 100, 80, fixed=True)
    content = rect("content", 0, 900, 1000, 400)
    # page y 1040 (scrolled by 1000), viewport y 40: under the sticky header
    args = (np.array([50.0, 500.0]), np.array([1040.0, 1100.0]), [header, logo, content])
    view = (np.array([50.0, 500.0]), np.array([40.0, 100.0]))
    assert hit_matrix(*args, *view).tolist() == [[True, True, False], [False, False, True]]
    assert hit_matrix(*args, *view, fixed_occludes=False).tolist() == [
        [True, True, True],
        [False, False, True],
    ]
