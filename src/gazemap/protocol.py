"""Study protocol: journey -> stages -> touchpoints -> screens -> AOIs (design.md).

The objects below are the in-memory form every stage of gazemap uses. ``load_protocol``
reads a YAML file with ``yaml.safe_load`` and validates it completely, reporting every
problem at once with its place in the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

AOI_ROLES = ("target", "cta", "navigation", "content", "distractor")
AOI_SHAPES = ("rect", "polygon", "ellipse")
CHANNELS = ("site", "app", "e-mail", "store", "phone", "print", "other")


@dataclass(frozen=True, slots=True)
class AOI:
    """An area of interest on a screen, in page px (origin top-left of the full page).

    ``coords``: rect -> (x, y, width, height); ellipse -> (cx, cy, rx, ry);
    polygon -> flat (x0, y0, x1, y1, ...). ``fixed`` AOIs (sticky headers) stay in screen
    coordinates while the page scrolls. ``selector`` is a CSS selector the presenter
    resolves to a rect from the live DOM (coords then hold the resolved box).
    """

    id: str
    name: str
    role: str
    shape: str
    coords: tuple[float, ...]
    fixed: bool = False
    selector: str | None = None

    @property
    def points(self) -> np.ndarray:
        """Polygon vertices as an (n, 2) array (rects as their 4 corners)."""
        if self.shape == "polygon":
            return np.asarray(self.coords, dtype=np.float64).reshape(-1, 2)
        if self.shape == "rect":
            x, y, w, h = self.coords
            return np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], dtype=np.float64)
        cx, cy, rx, ry = self.coords
        t = np.linspace(0, 2 * np.pi, 64, endpoint=False)
        return np.column_stack([cx + rx * np.cos(t), cy + ry * np.sin(t)])

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """(x_min, y_min, x_max, y_max) in page px."""
        if self.shape == "rect":
            x, y, w, h = self.coords
            return (x, y, x + w, y + h)
        if self.shape == "ellipse":
            cx, cy, rx, ry = self.coords
            return (cx - rx, cy - ry, cx + rx, cy + ry)
        p = self.points
        return (float(p[:, 0].min()), float(p[:, 1].min()), float(p[:, 0].max()), float(p[:, 1].max()))


@dataclass(frozen=True, slots=True)
class Screen:
    """One screen (page state) of a touchpoint, with its full-page screenshot.

    ``page_width_px``/``page_height_px``: full page size; ``viewport_width_px``/
    ``viewport_height_px``: the visible part (the browser window's content area).
    ``url``: glob or ``re:``-prefixed regex the presenter matches the live URL against.
    """

    id: str
    name: str
    screenshot: str | None
    page_width_px: int
    page_height_px: int
    viewport_width_px: int
    viewport_height_px: int
    aois: tuple[AOI, ...] = ()
    url: str | None = None
    selector: str | None = None

    @property
    def scrolls(self) -> bool:
        return self.page_height_px > self.viewport_height_px or self.page_width_px > self.viewport_width_px


@dataclass(frozen=True, slots=True)
class Touchpoint:
    id: str
    name: str
    channel: str
    task: str
    screens: tuple[Screen, ...]


@dataclass(frozen=True, slots=True)
class Stage:
    id: str
    name: str
    touchpoints: tuple[Touchpoint, ...]


@dataclass(frozen=True, slots=True)
class FrictionThresholds:
    """Thresholds of the friction rules (docs/friction-rules.md gives their sources)."""

    ttff_late_s: float = 5.0
    ttff_relative: float = 2.0
    not_seen_share: float = 0.25
    fixations_before_action: int = 20
    revisits: int = 3
    mean_fixation_ms: float = 350.0
    distractor_dwell_share: float = 0.5
    data_loss_max: float = 0.2
    precision_rms_max_deg: float = 0.5
    min_participants_share: float = 0.33
    extra: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Protocol:
    id: str
    name: str
    stages: tuple[Stage, ...]
    thresholds: FrictionThresholds
    path: Path | None = None
    base_url: str | None = None
    screen_width_px: int | None = None
    screen_height_px: int | None = None

    @property
    def touchpoints(self) -> tuple[Touchpoint, ...]:
        return tuple(tp for st in self.stages for tp in st.touchpoints)

    @property
    def screens(self) -> dict[str, Screen]:
        return {sc.id: sc for tp in self.touchpoints for sc in tp.screens}

    def touchpoint(self, tp_id: str) -> Touchpoint:
        for tp in self.touchpoints:
            if tp.id == tp_id:
                return tp
        raise KeyError(tp_id)

    def stage_of(self, tp_id: str) -> Stage:
        for st in self.stages:
            if any(tp.id == tp_id for tp in st.touchpoints):
                return st
        raise KeyError(tp_id)

    def screenshot_path(self, screen: Screen) -> Path | None:
        """Absolute path of a screen's screenshot (relative to the protocol file)."""
        if screen.screenshot is None:
            return None
        p = Path(screen.screenshot)
        if not p.is_absolute() and self.path is not None:
            p = self.path.parent / p
        return p
