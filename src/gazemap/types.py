"""Typed containers of NumPy arrays passed between gazemap's stages.

Every container is a frozen, slotted dataclass holding 1-D arrays of equal length, validated
on construction. Units are in the field names. Times are float64 seconds on the LSL clock.
Behaviour lives in functions elsewhere (geometry, events, aoi); these classes only hold data.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import IntEnum, IntFlag

import numpy as np

from gazemap.errors import InputError

#: Canonical gaze channels of a gazemap ``Gaze`` LSL stream and of ``/streams/gaze`` in a
#: session file, in this order, with their units (design.md). Drivers map vendor units here.
GAZE_CHANNELS: tuple[tuple[str, str, str], ...] = (
    # (label, unit, eye)
    ("x_px", "pixels", "both"),
    ("y_px", "pixels", "both"),
    ("left_x_px", "pixels", "left"),
    ("left_y_px", "pixels", "left"),
    ("right_x_px", "pixels", "right"),
    ("right_y_px", "pixels", "right"),
    ("left_pupil_mm", "mm", "left"),
    ("right_pupil_mm", "mm", "right"),
    ("validity", "flags", "both"),
)
GAZE_CHANNEL_LABELS: tuple[str, ...] = tuple(c[0] for c in GAZE_CHANNELS)

#: Channels of a ``Scroll`` stream: page scroll offset and the viewport's top-left corner on
#: the screen, all in px. page = screen - viewport + scroll.
SCROLL_CHANNELS: tuple[tuple[str, str], ...] = (
    ("scroll_x_px", "pixels"),
    ("scroll_y_px", "pixels"),
    ("viewport_x_px", "pixels"),
    ("viewport_y_px", "pixels"),
)
SCROLL_CHANNEL_LABELS: tuple[str, ...] = tuple(c[0] for c in SCROLL_CHANNELS)


class Validity(IntFlag):
    """Bit flags of the ``validity`` gaze channel. 0 means both eyes valid."""

    LEFT_INVALID = 1
    RIGHT_INVALID = 2
    BLINK = 4
    OFF_SCREEN = 8
    INTERPOLATED = 16
    #: sample inside a recorded gap (stream lost and re-attached)
    GAP = 32


class Label(IntEnum):
    """Per-sample event labels; the numbers are those of ``gazemap label`` output files."""

    FIXATION = 1
    SACCADE = 2
    PSO = 3
    PURSUIT = 4
    BLINK = 5
    UNDEFINED = 6


def _as_1d(name: str, value: object, dtype: type | np.dtype) -> np.ndarray:
    arr = np.asarray(value, dtype=dtype)
    if arr.ndim != 1:
        raise InputError(
            f"{name} must be a 1-D array, got shape {arr.shape}. Pass one value per sample."
        )
    return arr


class _Columns:
    """Mixin: validate equal-length 1-D columns; ``None`` marks an absent optional column."""

    __slots__ = ()
    _float_fields: tuple[str, ...] = ()
    _int_fields: tuple[str, ...] = ()
    _str_fields: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        n: int | None = None
        first = ""
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if value is None:
                continue
            if f.name in self._int_fields:
                dtype: type | np.dtype = np.int64
            elif f.name in self._str_fields:
                dtype = object
            else:
                dtype = np.float64
            arr = _as_1d(f"{type(self).__name__}.{f.name}", value, dtype)
            object.__setattr__(self, f.name, arr)
            if n is None:
                n, first = len(arr), f.name
            elif len(arr) != n:
                raise InputError(
                    f"{type(self).__name__}: all columns must have the same length; "
                    f"{first} has {n}, {f.name} has {len(arr)}."
                )

    def __len__(self) -> int:
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray):
                return len(value)
        return 0


@dataclass(frozen=True, slots=True)
class ScreenGeometry:
    """The screen the gaze was recorded on and how far the eyes were from it."""

    width_px: int
    height_px: int
    width_mm: float
    height_mm: float
    distance_mm: float

    def __post_init__(self) -> None:
        for name in ("width_px", "height_px", "width_mm", "height_mm", "distance_mm"):
            value = getattr(self, name)
            if not np.isfinite(value) or value <= 0:
                raise InputError(
                    f"ScreenGeometry.{name} must be a finite number > 0, got {value!r}. "
                    "Set the screen size and viewing distance of the session "
                    "(e.g. --screen-width-mm / --distance-mm)."
                )


@dataclass(frozen=True, slots=True)
class GazeSamples(_Columns):
    """Gaze samples in screen pixels (origin top-left). NaN marks an invalid sample."""

    time_s: np.ndarray
    x_px: np.ndarray
    y_px: np.ndarray
    left_x_px: np.ndarray | None = None
    left_y_px: np.ndarray | None = None
    right_x_px: np.ndarray | None = None
    right_y_px: np.ndarray | None = None
    left_pupil_mm: np.ndarray | None = None
    right_pupil_mm: np.ndarray | None = None
    validity: np.ndarray | None = None

    _int_fields = ("validity",)

    def __post_init__(self) -> None:
        _Columns.__post_init__(self)


@dataclass(frozen=True, slots=True)
class Fixations(_Columns):
    """Fixation events. Centroids in screen px and in degrees from the screen centre."""

    start_s: np.ndarray
    end_s: np.ndarray
    x_px: np.ndarray
    y_px: np.ndarray
    x_deg: np.ndarray
    y_deg: np.ndarray
    dispersion_deg: np.ndarray

    def __post_init__(self) -> None:
        _Columns.__post_init__(self)
        if len(self.start_s) and np.any(self.end_s < self.start_s):
            i = int(np.argmax(self.end_s < self.start_s))
            raise InputError(
                f"Fixations: end_s must be >= start_s, fixation {i} has start_s="
                f"{self.start_s[i]} end_s={self.end_s[i]}."
            )

    @property
    def duration_s(self) -> np.ndarray:
        return self.end_s - self.start_s

    @classmethod
    def empty(cls) -> Fixations:
        e = np.empty(0)
        return cls(e, e, e, e, e, e, e)


@dataclass(frozen=True, slots=True)
class Saccades(_Columns):
    """Saccade events with start/end points in screen px."""

    start_s: np.ndarray
    end_s: np.ndarray
    start_x_px: np.ndarray
    start_y_px: np.ndarray
    end_x_px: np.ndarray
    end_y_px: np.ndarray
    amplitude_deg: np.ndarray
    peak_velocity_deg_s: np.ndarray

    def __post_init__(self) -> None:
        _Columns.__post_init__(self)

    @property
    def duration_s(self) -> np.ndarray:
        return self.end_s - self.start_s

    @classmethod
    def empty(cls) -> Saccades:
        e = np.empty(0)
        return cls(e, e, e, e, e, e, e, e)


@dataclass(frozen=True, slots=True)
class Markers(_Columns):
    """Event markers (``touchpoint/<id>/start``, ``screen/<id>``, free text) with times."""

    time_s: np.ndarray
    value: np.ndarray

    _str_fields = ("value",)

    def __post_init__(self) -> None:
        _Columns.__post_init__(self)
        object.__setattr__(self, "value", np.array([str(v) for v in self.value], dtype=object))


@dataclass(frozen=True, slots=True)
class ScrollSamples(_Columns):
    """Page scroll offsets and viewport position on the screen, in px, sample-and-hold."""

    time_s: np.ndarray
    scroll_x_px: np.ndarray
    scroll_y_px: np.ndarray
    viewport_x_px: np.ndarray
    viewport_y_px: np.ndarray

    def __post_init__(self) -> None:
        _Columns.__post_init__(self)


@dataclass(frozen=True, slots=True)
class DetectionResult:
    """What an event detector returns: per-sample labels and event tables."""

    labels: np.ndarray  # int8 Label per input sample
    fixations: Fixations
    saccades: Saccades
    detector: str
    params: dict[str, float | int | str | bool]
