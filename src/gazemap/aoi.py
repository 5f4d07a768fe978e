"""AOI hit testing and AOI metrics (pure NumPy; no I/O).

Hit testing maps N fixation centroids onto M areas of interest (rect, polygon, ellipse) of
one screen. Coordinates are page px (origin top-left of the full page); AOIs marked
``fixed`` (sticky headers, cookie bars) are tested in viewport px instead, i.e. the position
in the visible window, which does not change when the page scrolls. Overlapping AOIs are all
hit, except that a fixed AOI covers the scrolling AOIs beneath it (the page content under a
sticky header cannot be seen). Boundaries are inclusive (a point on an edge is inside).

The test is built for large inputs (10^6 fixations x 200 AOIs in well under a second): the
points are sorted once along the axis on which the AOIs are narrowest relative to the point
spread, each AOI's bounding box then selects a contiguous slice of candidates with
``searchsorted``, and only those candidates get the exact shape test (a vectorised
crossing-number test over the polygon's edges, or the ellipse equation).

Metrics follow the definitions of Tobii Pro Lab and iMotions (docs/metrics.md): time to
first fixation, first-fixation duration, fixations before the first, total fixation duration
(dwell), fixation count, visit count, revisits and fixated, per AOI, plus the explicit
"outside every AOI" category and touchpoint-level measures.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gazemap.errors import InputError
from gazemap.geometry import angle_between_deg
from gazemap.protocol import AOI
from gazemap.types import ScreenGeometry

#: aoi_id of the pseudo-AOI "outside every AOI" in metrics tables (docs/outputs.md)
OUTSIDE_ID = "__outside__"

_RECT, _ELLIPSE, _POLYGON = 0, 1, 2
_KINDS = {"rect": _RECT, "ellipse": _ELLIPSE, "polygon": _POLYGON}


@dataclass(frozen=True, slots=True)
class AOIGeometry:
    """AOIs of one screen compiled into arrays for fast hit testing.

    Attributes
    ----------
    ids : (M,) AOI ids, in the order of the input.
    kind : (M,) int8, 0 rect, 1 ellipse, 2 polygon.
    bbox : (M, 4) float64, x_min, y_min, x_max, y_max in px.
    ellipse : (M, 4) float64, cx, cy, rx, ry (only meaningful for ellipses).
    polygons : tuple of M (k, 2) vertex arrays (empty arrays for non-polygons).
    fixed : (M,) bool, True for AOIs tested in viewport px.
    """

    ids: tuple[str, ...]
    kind: np.ndarray
    bbox: np.ndarray
    ellipse: np.ndarray
    polygons: tuple[np.ndarray, ...]
    fixed: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


def compile_aois(aois: Sequence[AOI]) -> AOIGeometry:
    """Compile AOIs to arrays once per screen (reuse the result for every session).

    Raises
    ------
    InputError
        For an unknown shape, wrong number of coordinates, a polygon with fewer than 3
        vertices, or a non-positive size.
    """
    m = len(aois)
    kind = np.zeros(m, dtype=np.int8)
    bbox = np.zeros((m, 4))
    ell = np.zeros((m, 4))
    polys: list[np.ndarray] = []
    fixed = np.zeros(m, dtype=bool)
    for j, a in enumerate(aois):
        if a.shape not in _KINDS:
            raise InputError(
                f"AOI {a.id!r}: shape must be one of {sorted(_KINDS)}, got {a.shape!r}. "
                "Fix the AOI's 'shape' in the protocol."
            )
        c = np.asarray(a.coords, dtype=np.float64)
        if not np.all(np.isfinite(c)):
            raise InputError(f"AOI {a.id!r}: coords must be finite numbers, got {a.coords!r}.")
        kind[j] = _KINDS[a.shape]
        fixed[j] = bool(a.fixed)
        poly = np.empty((0, 2))
        if a.shape in ("rect", "ellipse"):
            if len(c) != 4:
                raise InputError(
                    f"AOI {a.id!r}: a {a.shape} needs 4 coords "
                    f"({'x, y, width, height' if a.shape == 'rect' else 'cx, cy, rx, ry'}), "
                    f"got {len(c)}."
                )
            if c[2] <= 0 or c[3] <= 0:
                raise InputError(
                    f"AOI {a.id!r}: {a.shape} size must be > 0, got {c[2]} x {c[3]}. "
                    "Fix the AOI's coords in the protocol."
                )
            if a.shape == "rect":
                bbox[j] = (c[0], c[1], c[0] + c[2], c[1] + c[3])
            else:
                ell[j] = c
                bbox[j] = (c[0] - c[2], c[1] - c[3], c[0] + c[2], c[1] + c[3])
        else:
            if len(c) % 2 or len(c) < 6:
                raise InputError(
                    f"AOI {a.id!r}: a polygon needs at least 3 (x, y) points as a flat list, "
                    f"got {len(c)} numbers."
                )
            poly = c.reshape(-1, 2)
            bbox[j] = (poly[:, 0].min(), poly[:, 1].min(), poly[:, 0].max(), poly[:, 1].max())
        polys.append(poly)
    return AOIGeometry(tuple(a.id for a in aois), kind, bbox, ell, tuple(polys), fixed)


def _points_in_polygon(px: np.ndarray, py: np.ndarray, poly: np.ndarray) -> np.ndarray:
    """Crossing-number (even-odd) test of points against one polygon, vectorised over points."""
    inside = np.zeros(len(px), dtype=bool)
    xs, ys = poly[:, 0], poly[:, 1]
    x2s, y2s = np.roll(xs, -1), np.roll(ys, -1)
    for x1, y1, x2, y2 in zip(xs, ys, x2s, y2s, strict=True):
        if y1 == y2:
            continue  # horizontal edges never cross a horizontal ray
        crosses = (y1 > py) != (y2 > py)
        x_int = x1 + (py - y1) * ((x2 - x1) / (y2 - y1))
        inside ^= crosses & (px < x_int)
    return inside


def _on_polygon_edge(px: np.ndarray, py: np.ndarray, poly: np.ndarray) -> np.ndarray:
    """Points lying on an edge (within 1e-9 px), so polygon boundaries are inclusive like rects."""
    on = np.zeros(len(px), dtype=bool)
    xs, ys = poly[:, 0], poly[:, 1]
    for x1, y1, x2, y2 in zip(xs, ys, np.roll(xs, -1), np.roll(ys, -1), strict=True):
        cross = (x2 - x1) * (py - y1) - (y2 - y1) * (px - x1)
        within = (
            (px >= min(x1, x2)) & (px <= max(x1, x2)) & (py >= min(y1, y2)) & (py <= max(y1, y2))
        )
        on |= within & (np.abs(cross) <= 1e-9 * max(1.0, np.hypot(x2 - x1, y2 - y1)))
    return on


def _hit_group(
    x: np.ndarray, y: np.ndarray, geom: AOIGeometry, cols: np.ndarray
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    rows_out: list[np.ndarray] = []
    cols_out: list[np.ndarray] = []
    if len(cols) == 0 or len(x) == 0:
        return rows_out, cols_out
    finite = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    if len(finite) == 0:
        return rows_out, cols_out
    xf, yf = x[finite], y[finite]
    # Sort along the axis on which the AOIs cover the smaller share of the points' spread:
    # each AOI's candidate slice is then shortest.
    bb = geom.bbox[cols]
    span_x = max(float(np.ptp(xf)), 1e-9)
    span_y = max(float(np.ptp(yf)), 1e-9)
    share_x = float(np.sum(bb[:, 2] - bb[:, 0])) / span_x
    share_y = float(np.sum(bb[:, 3] - bb[:, 1])) / span_y
    if share_y <= share_x:
        key, other, lo_c, hi_c, olo_c, ohi_c = yf, xf, 1, 3, 0, 2
    else:
        key, other, lo_c, hi_c, olo_c, ohi_c = xf, yf, 0, 2, 1, 3
    order = np.argsort(key, kind="stable")
    key_sorted = key[order]
    los = np.searchsorted(key_sorted, bb[:, lo_c], side="left")
    his = np.searchsorted(key_sorted, bb[:, hi_c], side="right")
    for k, j in enumerate(cols):
        lo, hi = int(los[k]), int(his[k])
        if hi <= lo:
            continue
        cand = order[lo:hi]
        o = other[cand]
        keep = (o >= bb[k, olo_c]) & (o <= bb[k, ohi_c])
        cand = cand[keep]
        if len(cand) == 0:
            continue
        kind = geom.kind[j]
        if kind == _ELLIPSE:
            cx, cy, rx, ry = geom.ellipse[j]
            dx = (xf[cand] - cx) / rx
            dy = (yf[cand] - cy) / ry
            cand = cand[dx * dx + dy * dy <= 1.0]
        elif kind == _POLYGON:
            px, py = xf[cand], yf[cand]
            poly = geom.polygons[j]
            inside = _points_in_polygon(px, py, poly)
            if not inside.all():
                inside |= _on_polygon_edge(px, py, poly)
            cand = cand[inside]
        if len(cand):
            rows_out.append(finite[cand])
            cols_out.append(np.full(len(cand), j, dtype=np.int64))
    return rows_out, cols_out


def hit_pairs(
    x_px: np.ndarray,
    y_px: np.ndarray,
    aois: AOIGeometry | Sequence[AOI],
    fixed_x_px: np.ndarray | None = None,
    fixed_y_px: np.ndarray | None = None,
    *,
    fixed_occludes: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Sparse hit test: which point lies in which AOI.

    Parameters
    ----------
    x_px, y_px : (N,) page px of the points (fixation centroids). NaN never hits.
    aois : M AOIs, or their :func:`compile_aois` form (compile once to reuse).
    fixed_x_px, fixed_y_px : (N,) viewport px of the same points, for ``fixed`` AOIs.
        Default: the page coordinates (a page that never scrolled).
    fixed_occludes : a point inside a ``fixed`` AOI does not hit the scrolling AOIs beneath
        it (a sticky header covers the page content under it). Overlapping AOIs of the same
        kind are all hit.

    Returns
    -------
    rows, cols : (K,) int64 arrays, one entry per (point, AOI) hit, sorted by row then col.
    """
    geom = aois if isinstance(aois, AOIGeometry) else compile_aois(aois)
    x = np.asarray(x_px, dtype=np.float64)
    y = np.asarray(y_px, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise InputError(
            f"x_px and y_px must be 1-D arrays of equal length, got shapes {x.shape} and {y.shape}."
        )
    fx = x if fixed_x_px is None else np.asarray(fixed_x_px, dtype=np.float64)
    fy = y if fixed_y_px is None else np.asarray(fixed_y_px, dtype=np.float64)
    if fx.shape != x.shape or fy.shape != x.shape:
        raise InputError(
            f"fixed_x_px/fixed_y_px must have the shape of x_px {x.shape}, got {fx.shape} and "
            f"{fy.shape}."
        )
    rows, cols = _hit_group(fx, fy, geom, np.flatnonzero(geom.fixed))
    r_page, c_page = _hit_group(x, y, geom, np.flatnonzero(~geom.fixed))
    if rows and r_page and fixed_occludes:
        covered = np.zeros(len(x), dtype=bool)
        covered[np.concatenate(rows)] = True
        keep = [~covered[r] for r in r_page]
        r_page = [r[k] for r, k in zip(r_page, keep, strict=True)]
        c_page = [c[k] for c, k in zip(c_page, keep, strict=True)]
    rows += r_page
    cols += c_page
    if not rows:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    r_all = np.concatenate(rows)
    c_all = np.concatenate(cols)
    order = np.lexsort((c_all, r_all))
    return r_all[order], c_all[order]


def hit_matrix(
    x_px: np.ndarray,
    y_px: np.ndarray,
    aois: AOIGeometry | Sequence[AOI],
    fixed_x_px: np.ndarray | None = None,
    fixed_y_px: np.ndarray | None = None,
    *,
    fixed_occludes: bool = True,
) -> np.ndarray:
    """Dense hit test: (N, M) bool, ``[i, j]`` True when point i lies in AOI j.

    Same parameters as :func:`hit_pairs`; prefer that sparse form for very large N x M.
    """
    geom = aois if isinstance(aois, AOIGeometry) else compile_aois(aois)
    rows, cols = hit_pairs(x_px, y_px, geom, fixed_x_px, fixed_y_px, fixed_occludes=fixed_occludes)
    out = np.zeros((len(np.asarray(x_px)), len(geom)), dtype=bool)
    out[rows, cols] = True
    return out


@dataclass(frozen=True, slots=True)
class AOIMetrics:
    """AOI metrics of one participant x touchpoint, one entry per AOI column (M,).

    Times in s relative to the touchpoint start; NaN / -1 where not defined (never fixated).
    ``first_index`` is the index (in the touchpoint's fixation sequence) of the first fixation
    on the AOI, ``longest_index`` of its longest fixation, ``revisit_index`` of the first
    fixation of its second visit (-1 when absent); they give example timestamps for evidence.
    """

    ttff_s: np.ndarray
    first_fixation_duration_s: np.ndarray
    fixations_before_first: np.ndarray
    dwell_s: np.ndarray
    fixation_count: np.ndarray
    visit_count: np.ndarray
    revisits: np.ndarray
    fixated: np.ndarray
    first_index: np.ndarray
    longest_index: np.ndarray
    revisit_index: np.ndarray

    @property
    def mean_fixation_duration_s(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(
                self.fixation_count > 0, self.dwell_s / np.maximum(self.fixation_count, 1), np.nan
            )


def aoi_metrics(
    start_s: np.ndarray, end_s: np.ndarray, hits: np.ndarray, t0_s: float
) -> AOIMetrics:
    """AOI metrics from a touchpoint's fixation sequence and its hit matrix.

    Parameters
    ----------
    start_s, end_s : (N,) fixation start/end times, s, sorted by start, non-overlapping,
        already restricted (and clipped) to the touchpoint.
    hits : (N, M) bool, fixation i in AOI j (e.g. from :func:`hit_matrix`). Rows of
        fixations that could not be mapped (during scrolling) are all False.
    t0_s : touchpoint start, s (TTFF is measured from here).

    Returns
    -------
    AOIMetrics with (M,) arrays.

    Notes
    -----
    Definitions as Tobii Pro Lab / iMotions (docs/metrics.md): a *visit* is a maximal run of
    consecutive fixations inside the AOI; revisits = visits - 1; dwell is the total fixation
    duration. ``fixations_before_first`` counts every fixation of the touchpoint before the
    first one on the AOI (wherever it was).
    """
    start = np.asarray(start_s, dtype=np.float64)
    end = np.asarray(end_s, dtype=np.float64)
    h = np.asarray(hits, dtype=bool)
    if h.ndim != 2 or h.shape[0] != len(start) or len(end) != len(start):
        raise InputError(
            f"hits must be (N, M) with N = len(start_s) = {len(start)}, got hits {h.shape} and "
            f"end_s ({len(end)},)."
        )
    if len(start) > 1 and np.any(np.diff(start) < 0):
        raise InputError("start_s must be sorted ascending; sort the fixations by start time.")
    n, m = h.shape
    dur = end - start
    fixated: np.ndarray = np.asarray(h.any(axis=0), dtype=bool)
    count = h.sum(axis=0).astype(np.int64)
    dwell = dur @ h if n else np.zeros(m)
    first = np.where(fixated, np.argmax(h, axis=0), -1) if n else np.full(m, -1)
    ttff = np.where(fixated, start[np.maximum(first, 0)] - t0_s if n else np.nan, np.nan)
    ffd = np.where(fixated, dur[np.maximum(first, 0)] if n else np.nan, np.nan)
    if n:
        entries = h.copy()
        entries[1:] &= ~h[:-1]
        visits = entries.sum(axis=0).astype(np.int64)
        # first fixation of the second visit: the second True in `entries`
        csum = np.cumsum(entries, axis=0)
        second = (csum == 2) & entries
        has2 = second.any(axis=0)
        revisit_index = np.where(has2, np.argmax(second, axis=0), -1)
        weighted = np.where(h, dur[:, None], -np.inf)
        longest = np.where(fixated, np.argmax(weighted, axis=0), -1)
    else:
        visits = np.zeros(m, dtype=np.int64)
        revisit_index = np.full(m, -1)
        longest = np.full(m, -1)
    return AOIMetrics(
        ttff_s=ttff.astype(np.float64),
        first_fixation_duration_s=ffd.astype(np.float64),
        fixations_before_first=first.astype(np.int64),
        dwell_s=np.asarray(dwell, dtype=np.float64),
        fixation_count=count,
        visit_count=visits,
        revisits=np.maximum(visits - 1, 0),
        fixated=fixated,
        first_index=first.astype(np.int64),
        longest_index=np.asarray(longest, dtype=np.int64),
        revisit_index=np.asarray(revisit_index, dtype=np.int64),
    )


def outside_column(hits: np.ndarray, mapped: np.ndarray | None = None) -> np.ndarray:
    """(N,) bool: fixation hit no AOI (and was mapped; unmappable fixations are neither)."""
    h = np.asarray(hits, dtype=bool)
    out: np.ndarray = np.asarray(~h.any(axis=1)) if h.shape[1] else np.ones(h.shape[0], dtype=bool)
    if mapped is not None:
        out &= np.asarray(mapped, dtype=bool)
    return out


@dataclass(frozen=True, slots=True)
class TouchpointMetrics:
    """Touchpoint-level measures of one participant (docs/metrics.md)."""

    time_on_touchpoint_s: float
    fixation_count: int
    mean_fixation_duration_ms: float
    scanpath_length_deg: float


def touchpoint_metrics(
    t0_s: float,
    t1_s: float,
    start_s: np.ndarray,
    end_s: np.ndarray,
    x_px: np.ndarray,
    y_px: np.ndarray,
    screen: ScreenGeometry,
) -> TouchpointMetrics:
    """Time on touchpoint, fixation count, mean fixation duration and scanpath length.

    Parameters
    ----------
    t0_s, t1_s : touchpoint start and end, s.
    start_s, end_s : (N,) the touchpoint's fixations (clipped to it), s, sorted.
    x_px, y_px : (N,) fixation centroids in *screen* px (scanpath length is the visual angle
        the eyes travelled, so it uses screen, not page, positions).
    screen : the session's screen geometry.

    Returns
    -------
    TouchpointMetrics; ``mean_fixation_duration_ms`` is NaN without fixations. The scanpath
    length is the sum of visual angles between consecutive fixation centroids (deg).
    """
    start = np.asarray(start_s, dtype=np.float64)
    end = np.asarray(end_s, dtype=np.float64)
    n = len(start)
    mean_ms = float(np.mean(end - start) * 1000.0) if n else float("nan")
    if n > 1:
        x = np.asarray(x_px, dtype=np.float64)
        y = np.asarray(y_px, dtype=np.float64)
        amp = angle_between_deg(x[:-1], y[:-1], x[1:], y[1:], screen)
        path = float(np.nansum(amp))
    else:
        path = 0.0
    return TouchpointMetrics(
        time_on_touchpoint_s=float(t1_s - t0_s),
        fixation_count=int(n),
        mean_fixation_duration_ms=mean_ms,
        scanpath_length_deg=path,
    )


@dataclass(frozen=True, slots=True)
class AOIGap:
    """Two AOIs of one screen closer together than the gaze's accuracy.

    Attributes
    ----------
    a, b : the two AOI ids, in the order of the screen's AOIs.
    gap_px : distance between the two shapes, page px (0: they touch).
    gap_deg : that distance as the visual angle it subtends at the screen's centre, deg.
    exact : True when both are rects (the exact gap); False for the bounding boxes' gap of
        an ellipse or polygon, which is never more than the shapes' gap.
    """

    a: str
    b: str
    gap_px: float
    gap_deg: float
    exact: bool


def gap_deg(dx_px: float, dy_px: float, screen: ScreenGeometry) -> float:
    """Visual angle of a gap of ``dx_px`` x ``dy_px`` px centred on the screen, deg.

    Each axis uses its own mm per px; the angle is ``2 atan(gap_mm / 2 distance_mm)``, the
    largest a gap of that length subtends anywhere on a flat screen.
    """
    gap_mm = math.hypot(
        dx_px * screen.width_mm / screen.width_px, dy_px * screen.height_mm / screen.height_px
    )
    return math.degrees(2.0 * math.atan(gap_mm / (2.0 * screen.distance_mm)))


def close_aoi_pairs(
    aois: Sequence[AOI],
    screen: ScreenGeometry,
    accuracy_deg: float,
    *,
    scrolls: bool = False,
) -> list[AOIGap]:
    """Pairs of neighbouring AOIs closer together than ``accuracy_deg``.

    A fixation on one AOI is measured up to about the accuracy away from where it was, so it
    can land on a neighbour nearer than that (Holmqvist et al. 2011, ch. 6; Orquin &
    Holmqvist 2016 recommend margins around AOIs of at least the accuracy).

    Parameters
    ----------
    aois : the AOIs of one screen, page px.
    screen : the session's screen geometry, in the same px as the AOIs (the protocol's).
    accuracy_deg : the session's accuracy (or the threshold it is held to), deg.
    scrolls : the screen's page is larger than its viewport; a ``fixed`` AOI (a sticky header)
        and a scrolling one then have no one distance (the content passes under the header)
        and are not compared.

    Returns
    -------
    The pairs with ``gap_deg < accuracy_deg``, closest first. Two rects get their exact gap;
    any pair with an ellipse or polygon the gap between their bounding boxes (a lower bound
    of the shapes' gap). AOIs that overlap (share an area, e.g. a form and its fields, or
    whose bounding boxes do) are not neighbours and never listed; touching ones are (0 px).
    """
    if not (math.isfinite(accuracy_deg) and accuracy_deg > 0) or len(aois) < 2:
        return []
    # all pairs at once, (M, M) arrays (1000 AOIs: 0.05 s)
    bb = np.array([a.bbox for a in aois], dtype=np.float64)
    over_x = np.minimum(bb[:, None, 2], bb[None, :, 2]) - np.maximum(bb[:, None, 0], bb[None, :, 0])
    over_y = np.minimum(bb[:, None, 3], bb[None, :, 3]) - np.maximum(bb[:, None, 1], bb[None, :, 1])
    dx_px, dy_px = np.maximum(0.0, -over_x), np.maximum(0.0, -over_y)
    gap_mm = np.hypot(
        dx_px * screen.width_mm / screen.width_px, dy_px * screen.height_mm / screen.height_px
    )
    deg = np.degrees(2.0 * np.arctan(gap_mm / (2.0 * screen.distance_mm)))
    # overlapping (sharing an area: nested, crossing) boxes are not neighbours
    keep = np.triu(np.ones(len(aois), dtype=bool), k=1) & ~((over_x > 0) & (over_y > 0))
    keep &= deg < accuracy_deg
    if scrolls:
        fixed = np.array([a.fixed for a in aois])
        keep &= fixed[:, None] == fixed[None, :]
    ii, jj = np.nonzero(keep)  # row-major: the screen's order
    gap_px = np.hypot(dx_px[ii, jj], dy_px[ii, jj])
    out = [
        AOIGap(
            aois[i].id,
            aois[j].id,
            float(g),
            float(deg[i, j]),
            aois[i].shape == "rect" and aois[j].shape == "rect",
        )
        for i, j, g in zip(ii.tolist(), jj.tolist(), gap_px.tolist(), strict=True)
    ]
    out.sort(key=lambda g: g.gap_px)
    return out
