"""Coordinate conversions: screen px <-> degrees of visual angle, screen <-> page (scroll).

Visual angle is computed per sample from the eye-to-point geometry (not one px-per-degree
constant), with the eye on the perpendicular through the screen centre.
"""

from __future__ import annotations

import numpy as np

from gazemap.errors import InputError
from gazemap.types import ScreenGeometry, ScrollSamples


def px_to_mm(
    x_px: np.ndarray, y_px: np.ndarray, screen: ScreenGeometry
) -> tuple[np.ndarray, np.ndarray]:
    """Screen px (origin top-left) -> mm from the screen centre (x right, y down)."""
    sx = screen.width_mm / screen.width_px
    sy = screen.height_mm / screen.height_px
    return (np.asarray(x_px) - screen.width_px / 2.0) * sx, (
        np.asarray(y_px) - screen.height_px / 2.0
    ) * sy


def px_to_deg(
    x_px: np.ndarray, y_px: np.ndarray, screen: ScreenGeometry
) -> tuple[np.ndarray, np.ndarray]:
    """Screen px -> degrees of visual angle from the screen centre (Fick-like, per axis).

    Parameters
    ----------
    x_px, y_px : (n,) arrays, screen pixels, origin top-left.
    screen : the session's ScreenGeometry.

    Returns
    -------
    x_deg, y_deg : (n,) arrays, degrees; 0 at the screen centre.
    """
    x_mm, y_mm = px_to_mm(x_px, y_px, screen)
    return (
        np.degrees(np.arctan2(x_mm, screen.distance_mm)),
        np.degrees(np.arctan2(y_mm, screen.distance_mm)),
    )


def deg_to_px(
    x_deg: np.ndarray, y_deg: np.ndarray, screen: ScreenGeometry
) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`px_to_deg`."""
    x_mm = np.tan(np.radians(np.asarray(x_deg))) * screen.distance_mm
    y_mm = np.tan(np.radians(np.asarray(y_deg))) * screen.distance_mm
    return (
        x_mm * screen.width_px / screen.width_mm + screen.width_px / 2.0,
        y_mm * screen.height_px / screen.height_mm + screen.height_px / 2.0,
    )


def angle_between_deg(
    x1_px: np.ndarray,
    y1_px: np.ndarray,
    x2_px: np.ndarray,
    y2_px: np.ndarray,
    screen: ScreenGeometry,
) -> np.ndarray:
    """Visual angle (degrees) between two gaze points, exact 3-D angle between gaze vectors."""
    ax, ay = px_to_mm(x1_px, y1_px, screen)
    bx, by = px_to_mm(x2_px, y2_px, screen)
    d = screen.distance_mm
    dot = ax * bx + ay * by + d * d
    na = np.sqrt(ax * ax + ay * ay + d * d)
    nb = np.sqrt(bx * bx + by * by + d * d)
    return np.degrees(np.arccos(np.clip(dot / (na * nb), -1.0, 1.0)))


def px_per_deg(screen: ScreenGeometry) -> float:
    """Pixels per degree at the screen centre (for kernel sizes, not for velocities)."""
    mm_per_deg = np.tan(np.radians(1.0)) * screen.distance_mm
    return float(mm_per_deg * screen.width_px / screen.width_mm)


def screen_to_page(
    time_s: np.ndarray, x_px: np.ndarray, y_px: np.ndarray, scroll: ScrollSamples | None
) -> tuple[np.ndarray, np.ndarray]:
    """Screen px -> page px using the last scroll sample at or before each time.

    page = screen - viewport_origin + scroll_offset. Times before the first scroll sample
    use the first sample (a page is at its initial offset until it scrolls). ``scroll`` None
    or empty means the page never scrolled and the viewport is at the screen origin.
    """
    time_s = np.asarray(time_s, dtype=np.float64)
    x = np.asarray(x_px, dtype=np.float64)
    y = np.asarray(y_px, dtype=np.float64)
    if scroll is None or len(scroll) == 0:
        return x.copy(), y.copy()
    if np.any(np.diff(scroll.time_s) < 0):
        raise InputError(
            "scroll.time_s must be non-decreasing; sort the Scroll stream by time "
            "(gazemap recover does so for recorded files)."
        )
    i = np.searchsorted(scroll.time_s, time_s, side="right") - 1
    i = np.clip(i, 0, len(scroll) - 1)
    return (
        x - scroll.viewport_x_px[i] + scroll.scroll_x_px[i],
        y - scroll.viewport_y_px[i] + scroll.scroll_y_px[i],
    )


#: a screen's pixels are square: width/height of one pixel within this factor of 1 (real
#: screens are within ~1 %)
PIXEL_SHAPE_TOLERANCE = 1.1


def pixel_shape_problem(screen: ScreenGeometry) -> str:
    """Text when the screen's px and mm sizes give pixels that are not square, else "".

    A phone's 390 x 844 px (or 1170 x 2532) with the default 531 x 299 mm of a 24-inch
    monitor (what a recorder or import falls back to when not told the size) gives pixels
    3.8 times as wide as tall: every angle computed from them (precision, accuracy,
    velocities, heatmap kernels) is then wrong. The text names the sizes and the pixel.
    """
    mm_x = screen.width_mm / screen.width_px
    mm_y = screen.height_mm / screen.height_px
    ratio = max(mm_x, mm_y) / min(mm_x, mm_y)
    if ratio <= PIXEL_SHAPE_TOLERANCE:
        return ""
    wider = "wide" if mm_x > mm_y else "tall"
    other = "tall" if mm_x > mm_y else "wide"
    return (
        f"the screen is {screen.width_px}x{screen.height_px} px and "
        f"{screen.width_mm:g}x{screen.height_mm:g} mm: a pixel {mm_x:.3g} mm wide and "
        f"{mm_y:.3g} mm tall, {ratio:.2g} times as {wider} as {other}, which no screen has, so "
        "its size in mm is probably not this screen's (531x299 mm at 650 mm is the default "
        "when none is given) and every angle (precision, accuracy, saccades, the heatmap "
        "kernel) is wrong. Give the screen's own size and distance (--screen-width-mm, "
        "--screen-height-mm, --distance-mm of gazemap record/import; a phone e.g. 65 x 140 mm "
        "at 400 mm)"
    )
