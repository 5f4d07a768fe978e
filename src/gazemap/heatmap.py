"""Gaze density maps ("heatmaps") as pure functions of fixations or raw gaze samples.

Arrays in, arrays out; no I/O, no drawing (``gazemap.render`` draws). The map of a set of
points is the sum of one 2-D Gaussian per point, scaled by the point's weight (its duration
in seconds, or 1 to count fixations), with the kernel's standard deviation set in degrees of
visual angle (Le Meur & Baccino 2013 recommend about 1 deg, the size of the fovea; Holmqvist
et al. 2011, ch. 7, discuss the choice).

How it is computed, and why it is fast: the weights are accumulated into a histogram on a
grid of ``cell_px`` page pixels (bilinear splatting, so sub-cell positions are kept) and the
histogram is blurred once with a separable Gaussian (``scipy.ndimage.gaussian_filter``).
This is the same sum of Gaussians as splatting a kernel per fixation, at the cost of one
histogram and one filter pass whatever the number of fixations. By default the grid cell is
a quarter of the kernel's sigma; the tent kernel of bilinear splatting adds a variance of
``cell_px**2 / 6`` per axis, which is subtracted from the filter's variance so the final
kernel has exactly the requested second moment. :func:`page_density` upsamples the grid to
one value per page pixel.

Mass is conserved: the map sums to the total weight of the points on the page (seconds of
fixation, number of fixations, or 1 for a relative map). Edges reflect the kernel back onto
the page (``mode="reflect"``), so a fixation near the border keeps all of its weight.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.ndimage import gaussian_filter

from gazemap.errors import InputError

Weighting = Literal["duration", "count"]
Normalization = Literal["absolute", "relative"]

#: the kernel is cut at this many sigmas (scipy's ``truncate``); the cut-off tails hold
#: 6e-8 of a 1-D Gaussian's mass.
TRUNCATE_SIGMAS = 5.0


@dataclass(frozen=True, slots=True)
class Heatmap:
    """A gaze density map on a grid of ``cell_px`` x ``cell_px`` page pixels.

    Attributes
    ----------
    values : (n_rows, n_cols) float64 array
        Weight per grid cell: seconds (``weighting="duration"``), fixations
        (``"count"``), or share of each participant's attention averaged over participants
        (``normalization="relative"``; the map then sums to 1). Row 0 is the page top.
    cell_px : int
        Side of a grid cell in page px; ``n_rows = ceil(page_height_px / cell_px)``.
    page_width_px, page_height_px : int
        Size of the page the map covers.
    sigma_px, sigma_deg, px_per_deg : float
        Kernel standard deviation in page px and in degrees, and the conversion used.
    weighting, normalization : str
        How points were weighted and aggregated (see :func:`fixation_heatmap`).
    n_points, n_outside, n_participants : int
        Points used, points dropped for lying outside the page or being invalid, and
        participants contributing.
    """

    values: np.ndarray
    cell_px: int
    page_width_px: int
    page_height_px: int
    sigma_px: float
    sigma_deg: float
    px_per_deg: float
    weighting: str
    normalization: str
    n_points: int
    n_outside: int
    n_participants: int
    #: (min, max) px per degree over the points when sessions from different screens are
    #: mixed (each point spread by its own screen's kernel); None = one value for all
    px_per_deg_range: tuple[float, float] | None = None
    #: density per deg² when screens are mixed (each point's cell area in its own degrees)
    deg2_values: np.ndarray | None = None

    @property
    def sigma_px_range(self) -> tuple[float, float]:
        """(min, max) kernel sigma in page px over the points (equal for one screen)."""
        if self.px_per_deg_range is None:
            return (self.sigma_px, self.sigma_px)
        lo, hi = self.px_per_deg_range
        return (self.sigma_deg * lo, self.sigma_deg * hi)

    @property
    def total(self) -> float:
        """Sum of the map (total weight on the page)."""
        return float(self.values.sum())

    @property
    def unit(self) -> str:
        """Unit of :attr:`values` per cell, for legends."""
        if self.normalization == "relative":
            return "share of attention"
        return "s" if self.weighting == "duration" else "fixations"

    def per_deg2(self) -> np.ndarray:
        """Values as density per square degree of visual angle, (n_rows, n_cols)."""
        if self.deg2_values is not None:
            return self.deg2_values
        cell_deg = self.cell_px / self.px_per_deg
        return self.values / (cell_deg * cell_deg)


def _check_positive(name: str, value: float, hint: str) -> float:
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise InputError(f"{name} must be a finite number > 0, got {value!r}. {hint}")
    return value


def _grid_shape(page_width_px: int, page_height_px: int, cell_px: int) -> tuple[int, int]:
    return (-(-int(page_height_px) // cell_px), -(-int(page_width_px) // cell_px))


def auto_cell_px(sigma_px: float) -> int:
    """Grid cell for a kernel: a quarter of sigma (>= 1 px), accurate to < 1 % of sigma."""
    return max(1, int(sigma_px // 4))


def density_grid(
    x_px: np.ndarray,
    y_px: np.ndarray,
    weights: np.ndarray,
    *,
    page_width_px: int,
    page_height_px: int,
    sigma_px: float,
    cell_px: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """Sum of weighted Gaussians on a grid: the workhorse of every map here.

    Parameters
    ----------
    x_px, y_px : (n,) float arrays
        Point positions in page px (origin top-left). Points outside
        ``[0, page_width_px) x [0, page_height_px)`` or with NaN are dropped.
    weights : (n,) float array
        Weight of each point (>= 0).
    page_width_px, page_height_px : int
        Page size in px.
    sigma_px : float
        Kernel standard deviation in page px (> 0).
    cell_px : int
        Grid cell side in page px (>= 1).

    Returns
    -------
    grid : (ceil(page_height_px / cell_px), ceil(page_width_px / cell_px)) float64
        Weight per cell; sums to the weight of the points kept.
    kept : (n,) bool
        Which points were on the page.
    """
    x = np.asarray(x_px, dtype=np.float64)
    y = np.asarray(y_px, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    if not (x.shape == y.shape == w.shape) or x.ndim != 1:
        raise InputError(
            f"x_px, y_px and weights must be 1-D arrays of equal length, got shapes "
            f"{x.shape}, {y.shape}, {w.shape}. Pass one value per fixation or sample."
        )
    if np.any(w < 0) or not np.all(np.isfinite(w)):
        raise InputError(
            "weights must be finite and >= 0 (durations in s or counts); got "
            f"min={np.nanmin(w) if w.size else 'n/a'}. Drop fixations with negative durations."
        )
    pw = int(_check_positive("page_width_px", page_width_px, "Check the screen's page size."))
    ph = int(_check_positive("page_height_px", page_height_px, "Check the screen's page size."))
    sigma_px = _check_positive("sigma_px", sigma_px, "Set the kernel width (sigma_deg > 0).")
    if int(cell_px) != cell_px or cell_px < 1:
        raise InputError(f"cell_px must be an integer >= 1, got {cell_px!r}.")
    cell_px = int(cell_px)
    rows, cols = _grid_shape(pw, ph, cell_px)
    kept = np.isfinite(x) & np.isfinite(y) & (x >= 0) & (x < pw) & (y >= 0) & (y < ph)
    xk, yk, wk = x[kept], y[kept], w[kept]

    # bilinear splat onto cell centres ((i + 0.5) * cell_px); clamping at the border keeps mass
    u = xk / cell_px - 0.5
    v = yk / cell_px - 0.5
    i0 = np.floor(u)
    j0 = np.floor(v)
    fu = u - i0
    fv = v - j0
    i0 = i0.astype(np.int64)
    j0 = j0.astype(np.int64)
    flat = np.zeros(rows * cols, dtype=np.float64)
    for dj, wy in ((0, 1.0 - fv), (1, fv)):
        jj = np.clip(j0 + dj, 0, rows - 1)
        for di, wx in ((0, 1.0 - fu), (1, fu)):
            ii = np.clip(i0 + di, 0, cols - 1)
            flat += np.bincount(jj * cols + ii, weights=wk * wx * wy, minlength=rows * cols)
    hist: np.ndarray = flat.reshape(rows, cols)

    # the tent kernel of the splat already has variance cell^2/6 (in px^2) per axis
    sigma_cells2 = (sigma_px / cell_px) ** 2 - 1.0 / 6.0
    if sigma_cells2 > 0:
        hist = gaussian_filter(
            hist, sigma=float(np.sqrt(sigma_cells2)), mode="reflect", truncate=TRUNCATE_SIGMAS
        )
    return hist, kept


def fixation_heatmap(
    x_px: np.ndarray,
    y_px: np.ndarray,
    duration_s: np.ndarray | None = None,
    participant: np.ndarray | None = None,
    *,
    page_width_px: int,
    page_height_px: int,
    px_per_deg: float,
    sigma_deg: float = 1.0,
    weighting: Weighting = "duration",
    normalization: Normalization = "absolute",
    cell_px: int | None = None,
    point_px_per_deg: np.ndarray | None = None,
) -> Heatmap:
    """Gaze density of fixations, aggregated over participants.

    Parameters
    ----------
    x_px, y_px : (n,) float arrays
        Fixation centroids in page px.
    duration_s : (n,) float array or None
        Fixation durations in s; required for ``weighting="duration"``.
    participant : (n,) array of labels or None
        Participant of each fixation; None = all from one participant.
    page_width_px, page_height_px : int
        Page (screenshot) size in px.
    px_per_deg : float
        Page px per degree of visual angle (``gazemap.geometry.px_per_deg(screen)``).
    sigma_deg : float
        Kernel standard deviation in degrees (default 1).
    weighting : {"duration", "count"}
        Weight a fixation by its duration (s) or count it once.
    normalization : {"absolute", "relative"}
        ``"absolute"``: sum over participants (total seconds or fixations).
        ``"relative"``: each participant's weights are scaled to sum to 1 on this page, then
        the maps are averaged over the participants with at least one fixation on it, so
        every participant counts equally and the map sums to 1.
    cell_px : int or None
        Grid cell in page px; None picks :func:`auto_cell_px` (sigma / 4, of the narrowest
        kernel).
    point_px_per_deg : (n,) float array or None
        Page px per degree of each fixation's own session (its screen's size and viewing
        distance), when the sessions were recorded on different screens: each fixation is
        then spread by ``sigma_deg`` of *its* screen (one filter pass per distinct value),
        and :meth:`Heatmap.per_deg2` converts each point's cells with its own px/deg.
        ``px_per_deg`` is then only used when no fixation is on the page. None = every
        fixation uses ``px_per_deg``.

    Returns
    -------
    Heatmap
        With ``point_px_per_deg`` of more than one value on the page, ``px_per_deg`` and
        ``sigma_px`` are the median over the fixations on the page and
        ``px_per_deg_range`` gives the (min, max).
    """
    x = np.asarray(x_px, dtype=np.float64)
    if weighting not in ("duration", "count"):
        raise InputError(f"weighting must be 'duration' or 'count', got {weighting!r}.")
    if normalization not in ("absolute", "relative"):
        raise InputError(f"normalization must be 'absolute' or 'relative', got {normalization!r}.")
    px_per_deg = _check_positive(
        "px_per_deg", px_per_deg, "Compute it with gazemap.geometry.px_per_deg(screen)."
    )
    sigma_deg = _check_positive("sigma_deg", sigma_deg, "Typical kernels are 0.5-2 deg.")
    if weighting == "duration":
        if duration_s is None:
            raise InputError(
                "weighting='duration' needs duration_s (one duration per fixation); "
                "pass it or use weighting='count'."
            )
        w = np.asarray(duration_s, dtype=np.float64)
    else:
        w = np.ones_like(x)
    if w.shape != x.shape:
        raise InputError(
            f"duration_s must have one value per fixation: x_px has {x.shape}, "
            f"duration_s has {w.shape}."
        )
    ppd_points: np.ndarray | None = None
    if point_px_per_deg is not None:
        ppd_points = np.asarray(point_px_per_deg, dtype=np.float64)
        if ppd_points.shape != x.shape:
            raise InputError(
                f"point_px_per_deg must have one value per fixation: x_px has {x.shape}, "
                f"point_px_per_deg has {ppd_points.shape}."
            )
        if not np.all(np.isfinite(ppd_points) & (ppd_points > 0)):
            raise InputError(
                "point_px_per_deg must be finite and > 0 for every fixation; compute it per "
                "session with gazemap.geometry.px_per_deg(screen)."
            )
    if participant is None:
        labels = np.zeros(x.shape, dtype=np.int64)
    else:
        labels = np.asarray(participant)
        if labels.shape != x.shape:
            raise InputError(
                f"participant must have one label per fixation: x_px has {x.shape}, "
                f"participant has {labels.shape}."
            )
    y = np.asarray(y_px, dtype=np.float64)
    on_page = (
        np.isfinite(x)
        & np.isfinite(y)
        & (x >= 0)
        & (x < page_width_px)
        & (y >= 0)
        & (y < page_height_px)
    )
    present = np.unique(labels[on_page]) if on_page.any() else np.array([])
    if normalization == "relative" and len(present):
        # the blur is linear: scaling the weights is the same as normalising each map
        scaled = np.zeros_like(w)
        contributing = []
        for p in present:
            sel = on_page & (labels == p)
            total = w[sel].sum()
            if total > 0:  # a participant with only zero-duration fixations has no map
                scaled[sel] = w[sel] / total
                contributing.append(p)
        w = scaled / max(1, len(contributing))
        present = np.array(contributing)
    levels = np.unique(ppd_points[on_page]) if ppd_points is not None else np.array([])
    ppd_range: tuple[float, float] | None = None
    groups: list[tuple[np.ndarray | slice, float]]  # (fixations, their px per degree)
    if len(levels) > 1:
        assert ppd_points is not None
        # one kernel per screen: fixations of each px/deg value are spread by their own
        # sigma on a common grid (the blur is linear, so the maps add)
        ppd_range = (float(levels[0]), float(levels[-1]))
        px_per_deg = float(np.median(ppd_points[on_page]))
        groups = [(ppd_points == v, float(v)) for v in levels]
    else:
        # one screen (or no fixation on the page): every fixation gets the one kernel
        if len(levels) == 1:
            px_per_deg = float(levels[0])
        groups = [(slice(None), px_per_deg)]
    sigma_px = sigma_deg * px_per_deg
    if cell_px is None:
        cell_px = auto_cell_px(sigma_deg * min(v for _, v in groups))
    grid: np.ndarray | None = None
    deg2: np.ndarray | None = None
    kept = np.zeros(x.shape, dtype=bool)
    for sel, v in groups:
        g, k = density_grid(
            x[sel], y[sel], w[sel],
            page_width_px=page_width_px,
            page_height_px=page_height_px,
            sigma_px=sigma_deg * v,
            cell_px=cell_px,
        )  # fmt: skip
        grid = g if grid is None else grid + g
        if ppd_range is not None:
            # density per deg²: each fixation's cells in its own degrees
            d = g * (v / cell_px) ** 2
            deg2 = d if deg2 is None else deg2 + d
        kept[sel] = k
    assert grid is not None
    return Heatmap(
        values=grid,
        cell_px=int(cell_px),
        page_width_px=int(page_width_px),
        page_height_px=int(page_height_px),
        sigma_px=float(sigma_px),
        sigma_deg=float(sigma_deg),
        px_per_deg=float(px_per_deg),
        weighting=weighting,
        normalization=normalization,
        n_points=int(kept.sum()),
        n_outside=int((~kept).sum()),
        n_participants=len(present),
        px_per_deg_range=ppd_range,
        deg2_values=deg2,
    )


def sample_heatmap(
    time_s: np.ndarray,
    x_px: np.ndarray,
    y_px: np.ndarray,
    participant: np.ndarray | None = None,
    *,
    page_width_px: int,
    page_height_px: int,
    px_per_deg: float,
    sigma_deg: float = 1.0,
    weighting: Weighting = "duration",
    normalization: Normalization = "absolute",
    cell_px: int | None = None,
) -> Heatmap:
    """Gaze density of raw samples (no event detection), e.g. for a quick look.

    Each valid sample weighs the time to the next sample of the same participant (its
    duration in s, capped at 3 times the median interval so gaps do not count), or 1 with
    ``weighting="count"``. Other parameters as :func:`fixation_heatmap`.

    Parameters
    ----------
    time_s : (n,) float array
        Sample times in s, non-decreasing per participant.
    x_px, y_px : (n,) float arrays
        Gaze in page px; NaN = invalid sample (dropped).
    """
    t = np.asarray(time_s, dtype=np.float64)
    x = np.asarray(x_px, dtype=np.float64)
    if t.shape != x.shape:
        raise InputError(
            f"time_s must have one value per sample: x_px has {x.shape}, time_s has {t.shape}."
        )
    labels = np.zeros(t.shape, dtype=np.int64) if participant is None else np.asarray(participant)
    dur = np.zeros_like(t)
    for p in np.unique(labels):
        idx = np.flatnonzero(labels == p)
        if len(idx) < 2:
            continue
        dt = np.diff(t[idx])
        if np.any(dt < 0):
            raise InputError(
                f"time_s must be non-decreasing per participant; participant {p!r} goes back "
                "in time. Sort the samples by time."
            )
        cap = 3.0 * float(np.median(dt))
        d = np.minimum(np.append(dt, np.median(dt)), cap)
        dur[idx] = d
    return fixation_heatmap(
        x, y_px, dur, None if participant is None else labels,
        page_width_px=page_width_px,
        page_height_px=page_height_px,
        px_per_deg=px_per_deg,
        sigma_deg=sigma_deg,
        weighting=weighting,
        normalization=normalization,
        cell_px=cell_px,
    )  # fmt: skip


def page_density(heatmap: Heatmap) -> np.ndarray:
    """The map upsampled to one value per page pixel (bilinear), mass-preserving.

    Returns
    -------
    (page_height_px, page_width_px) float64 array of weight per page pixel; sums to
    ``heatmap.total`` up to interpolation error at the border (< 1e-3 relative for maps
    with the default cell).
    """
    g = heatmap.values
    c = heatmap.cell_px
    if c == 1:
        return g[: heatmap.page_height_px, : heatmap.page_width_px].copy()
    rows = _interp_axis(g, heatmap.page_height_px, c, axis=0)
    out = _interp_axis(rows, heatmap.page_width_px, c, axis=1)
    return out / (c * c)


def _interp_axis(a: np.ndarray, n_out: int, cell: int, axis: int) -> np.ndarray:
    n_in = a.shape[axis]
    u = (np.arange(n_out) + 0.5) / cell - 0.5
    i0 = np.clip(np.floor(u).astype(np.int64), 0, n_in - 1)
    i1 = np.clip(i0 + 1, 0, n_in - 1)
    f = np.clip(u - np.floor(u), 0.0, 1.0)
    f = np.where(u < 0, 0.0, f)  # before the first cell centre: hold its value
    if axis == 0:
        return a[i0] * (1.0 - f)[:, None] + a[i1] * f[:, None]
    return a[:, i0] * (1.0 - f)[None, :] + a[:, i1] * f[None, :]


def naive_splat(
    x_px: np.ndarray,
    y_px: np.ndarray,
    weights: np.ndarray,
    *,
    page_width_px: int,
    page_height_px: int,
    sigma_px: float,
) -> np.ndarray:
    """Reference implementation: add one normalised Gaussian patch per point, at full size.

    Slow (a loop over points); used by tests and benchmarks to check :func:`density_grid`.
    Unlike the fast path it truncates at the page border instead of reflecting.

    Returns
    -------
    (page_height_px, page_width_px) float64 array, weight per page pixel.
    """
    out = np.zeros((int(page_height_px), int(page_width_px)), dtype=np.float64)
    r = int(np.ceil(TRUNCATE_SIGMAS * sigma_px))
    norm = 1.0 / (2.0 * np.pi * sigma_px * sigma_px)
    for xi, yi, wi in zip(
        np.asarray(x_px, float), np.asarray(y_px, float), np.asarray(weights, float), strict=True
    ):
        if not (0 <= xi < page_width_px and 0 <= yi < page_height_px):
            continue
        cx, cy = int(xi), int(yi)
        x0, x1 = max(cx - r, 0), min(cx + r + 1, out.shape[1])
        y0, y1 = max(cy - r, 0), min(cy + r + 1, out.shape[0])
        # pixel centres at +0.5
        gx = np.exp(-(((np.arange(x0, x1) + 0.5 - xi) / sigma_px) ** 2) / 2.0)
        gy = np.exp(-(((np.arange(y0, y1) + 0.5 - yi) / sigma_px) ** 2) / 2.0)
        out[y0:y1, x0:x1] += (wi * norm) * np.outer(gy, gx)
    return out
