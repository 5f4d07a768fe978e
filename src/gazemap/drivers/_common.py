"""Pieces shared by the tracker drivers: arguments, device profiles, clock mapping, publishing.

A driver converts its vendor's samples to one canonical row (types.GAZE_CHANNELS order) and
hands it with its LSL time to a :class:`GazePublisher`, which owns the Gaze and Markers
outlets. Device clocks are mapped to the LSL clock by :class:`ClockMapper`.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gazemap.cli import _common as cli_common
from gazemap.errors import DeviceError, InputError
from gazemap.types import GAZE_CHANNEL_LABELS, ScreenGeometry, Validity

N_CHANNELS = len(GAZE_CHANNEL_LABELS)
NAN = float("nan")

#: screen used when neither a profile nor an option gives one (a 24" 1080p monitor at 65 cm)
DEFAULT_SCREEN = dict(cli_common.DEFAULT_SCREEN)


def _add(parser: argparse.ArgumentParser, *names: str, **kw: Any) -> None:
    """Add an option unless the command (``gazemap stream``) already defines it."""
    if any(n in parser._option_string_actions for n in names):
        return
    parser.add_argument(*names, **kw)


def add_common_arguments(
    parser: argparse.ArgumentParser,
    default_name: str,
    *,
    screen_source: str | Mapping[str, str] = "the device profile's screen",
) -> None:
    """Options every driver understands: profile, outlet names, screen, run length.

    ``screen_source`` says in the screen options' help where the screen comes from before
    the built-in DEFAULT_SCREEN (one text, or one per field of cli._common.SCREEN_FIELDS).
    """
    _add(
        parser,
        "--profile",
        default=None,
        help="device profile YAML (devices/*.yaml) giving defaults",
    )
    _add(parser, "--name", default=None, help=f"LSL stream name (default {default_name!r})")
    _add(
        parser, "--source-id", default=None, help="LSL source id (default: derived from the device)"
    )
    cli_common.add_screen_arguments(parser, DEFAULT_SCREEN, source=screen_source)
    _add(
        parser,
        "--duration-s",
        type=float,
        default=None,
        help="stop after this long (default: run until Ctrl-C)",
    )
    _add(
        parser,
        "--max-samples",
        type=int,
        default=None,
        help="stop after publishing this many samples",
    )
    _add(
        parser,
        "--reconnect-timeout-s",
        type=float,
        default=10.0,
        help="how long to keep re-connecting after the tracker drops the connection (0 = give up at once)",
    )


def load_profile(path: str | os.PathLike[str] | None, driver: str | None = None) -> dict[str, Any]:
    """Read a device profile (YAML mapping); ``None`` gives an empty profile.

    With ``driver``, a profile whose ``driver:`` names another driver is refused (its
    connection settings, e.g. a port, would otherwise be used for the wrong tracker).
    """
    if path is None:
        return {}
    import yaml

    p = Path(path)
    if not p.exists():
        raise InputError(
            f"device profile {p}: no such file. Pick one of devices/*.yaml or check the path."
        )
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError(f"device profile {p}: not valid YAML ({exc}). Fix the file.") from exc
    if not isinstance(data, dict):
        raise InputError(
            f"device profile {p}: must be a YAML mapping (key: value), got {type(data).__name__}."
        )
    named = data.get("driver")
    if driver is not None and named is not None and str(named) != driver:
        raise InputError(
            f"device profile {p} is for driver '{named}', not '{driver}'. Run "
            f"`gazemap stream {named} --profile {p}`, or pick a profile with 'driver: {driver}' "
            "from devices/."
        )
    return data


def option(
    args: argparse.Namespace, profile: Mapping[str, Any], name: str, default: Any = None
) -> Any:
    """An option's value: the command line wins, then the profile (also its ``connection:``)."""
    value = getattr(args, name, None)
    if value is not None:
        return value
    if name in profile:
        return profile[name]
    conn = profile.get("connection")
    if isinstance(conn, dict) and name in conn:
        return conn[name]
    return default


def screen_from(args: argparse.Namespace, profile: Mapping[str, Any]) -> ScreenGeometry:
    """The screen the gaze is mapped onto, from options, the profile's ``screen:`` or defaults."""
    prof_screen = profile.get("screen") or {}
    if not isinstance(prof_screen, dict):
        raise InputError(
            "device profile: 'screen' must be a mapping of width_px, height_px, width_mm, height_mm, distance_mm."
        )
    return cli_common.screen_from_args(args, prof_screen, DEFAULT_SCREEN, where="the profile")


def gaze_row(
    x_px: float = NAN,
    y_px: float = NAN,
    left_x_px: float = NAN,
    left_y_px: float = NAN,
    right_x_px: float = NAN,
    right_y_px: float = NAN,
    left_pupil_mm: float = NAN,
    right_pupil_mm: float = NAN,
    validity: int = 0,
) -> list[float]:
    """One canonical sample in types.GAZE_CHANNELS order (NaN = invalid)."""
    return [
        x_px,
        y_px,
        left_x_px,
        left_y_px,
        right_x_px,
        right_y_px,
        left_pupil_mm,
        right_pupil_mm,
        float(validity),
    ]


def binocular_mean(a: float, b: float) -> float:
    """Mean of two eyes' values, or the one that is valid, or NaN."""
    if math.isnan(a):
        return b
    if math.isnan(b):
        return a
    return 0.5 * (a + b)


def off_screen_flag(x_px: float, y_px: float, screen: ScreenGeometry) -> int:
    """Validity.OFF_SCREEN when a finite point lies outside the screen."""
    if math.isnan(x_px) or math.isnan(y_px):
        return 0
    if 0.0 <= x_px <= screen.width_px and 0.0 <= y_px <= screen.height_px:
        return 0
    return int(Validity.OFF_SCREEN)


@dataclass
class ClockMapper:
    """Maps a device clock (s) to the LSL clock (s) of this machine.

    The offset is the smallest ``local_receive - device`` seen within a sliding window: the
    sample that arrived fastest tells the offset best (its transport delay is the least).
    The window restarts every ``window_s`` so that clock drift is followed; the estimate
    carries the minimum transport delay (on loopback well under a millisecond).

    A device clock that jumps (set by hand or by NTP, a tracker restart) is followed at
    once: a jump forward lowers ``local - device`` (the minimum takes it), a jump back
    (a device time before the previous one) restarts the estimate from that sample. Without
    the restart the old, smaller offset would stamp every sample after a jump back that many
    seconds too early for up to two windows. ``update`` returns the jump so that the driver
    can say so.
    """

    window_s: float = 10.0
    #: a forward step of ``local - device`` larger than this is reported as a jump (s)
    jump_s: float = 1.0
    _offset: float | None = None
    _candidate: float = math.inf
    _window_start: float | None = None
    _last_device: float | None = None

    def update(self, device_s: float, local_s: float) -> float | None:
        """Take one sample's device time and local receive time (both s).

        Returns
        -------
        float or None
            The jump of the device clock against the local one in seconds (negative: back)
            when this sample shows one, else None.
        """
        d = local_s - device_s
        jump: float | None = None
        if self._offset is not None and self._last_device is not None:
            if device_s < self._last_device:
                jump = -(d - self._offset)
                self._offset = self._candidate = d
                self._window_start = local_s
            elif self._offset - d > self.jump_s:
                jump = self._offset - d
        self._last_device = device_s
        if self._offset is None or d < self._offset:
            self._offset = d
        self._candidate = min(self._candidate, d)
        if self._window_start is None:
            self._window_start = local_s
        elif local_s - self._window_start >= self.window_s:
            self._offset = self._candidate
            self._candidate = math.inf
            self._window_start = local_s
        return jump

    def set_offset(self, offset_s: float) -> None:
        """Use an offset measured by a request/reply exchange (device time = local - offset)."""
        self._offset = offset_s

    @property
    def offset_s(self) -> float | None:
        return self._offset

    def to_lsl(self, device_s: float) -> float:
        if self._offset is None:
            raise DeviceError("clock offset not known yet: no sample received from the device.")
        return device_s + self._offset


#: set by SIGINT/SIGTERM while `gazemap stream DRIVER` runs (cli.record._stream): the
#: driver's loop ends, its outlets close and it prints what it published
STOP = threading.Event()


@dataclass
class StopCondition:
    """When a driver's loop ends: a duration, a sample count, or an external request."""

    duration_s: float | None = None
    max_samples: int | None = None
    should_stop: Callable[[], bool] | None = None
    started: float = field(default_factory=time.monotonic)

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> StopCondition:
        """The command's --duration-s / --max-samples, and Ctrl-C or SIGTERM (``STOP``)."""
        return cls(
            getattr(args, "duration_s", None), getattr(args, "max_samples", None), STOP.is_set
        )

    def done(self, n_samples: int) -> bool:
        if self.should_stop is not None and self.should_stop():
            return True
        if self.max_samples is not None and n_samples >= self.max_samples:
            return True
        return self.duration_s is not None and time.monotonic() - self.started >= self.duration_s


class GazePublisher:
    """Owns the canonical Gaze outlet and a Markers outlet of one driver.

    Gaps (a dropped connection) are published twice: as a NaN sample flagged
    ``Validity.GAP`` at the start and at the end of the gap, and as markers
    ``gazemap/gap/start`` / ``gazemap/gap/end`` on the markers stream.
    """

    def __init__(
        self,
        name: str,
        source_id: str,
        rate_hz: float,
        screen: ScreenGeometry,
        manufacturer: str,
        model: str,
        calibration: Mapping[str, object] | None = None,
    ) -> None:
        import pylsl

        from gazemap.acquisition.lsl import gaze_stream_info, make_marker_outlet

        self.name = name
        self.source_id = source_id
        self.screen = screen
        self.rate_hz = float(rate_hz)
        info = gaze_stream_info(name, source_id, rate_hz, screen, manufacturer, model)
        if calibration:
            cal = info.desc().append_child("calibration")
            for k, v in calibration.items():
                cal.append_child_value(str(k), str(v))
        # 360 s of buffer so a recorder that stalls briefly loses nothing
        self.gaze = pylsl.StreamOutlet(info, 0, 360)
        self.markers = make_marker_outlet(f"{name} markers", f"{source_id}-markers")
        self.n_samples = 0
        self.n_gaps = 0
        self.n_clock_jumps = 0
        self._gap_since: float | None = None
        self._held: list[str] = []
        self._next_check = 0.0

    def marker_when_heard(self, text: str) -> None:
        """Publish ``text`` once the markers stream has a consumer (a recorder started later
        would miss a marker pushed at start-up, e.g. the calibration result)."""
        self._held.append(text)
        self._flush_held()

    def _flush_held(self) -> None:
        now = time.monotonic()
        if now < self._next_check:
            return
        self._next_check = now + 0.2
        if self.markers.have_consumers():
            held, self._held = self._held, []
            for text in held:
                self.marker(text)

    def push(self, row: list[float], time_s: float) -> None:
        self.gaze.push_sample(row, time_s)
        self.n_samples += 1
        if self._held:
            self._flush_held()

    def push_chunk(self, rows: np.ndarray, times_s: np.ndarray) -> None:
        if len(rows):
            self.gaze.push_chunk(rows.tolist(), times_s.tolist())
            self.n_samples += len(rows)

    def marker(self, text: str, time_s: float | None = None) -> None:
        from gazemap.acquisition.lsl import local_clock

        self.markers.push_sample([text], local_clock() if time_s is None else time_s)

    def clock_jump(self, jump_s: float, time_s: float) -> None:
        """The tracker's clock jumped by ``jump_s`` (s, negative: back): a marker
        ``gazemap/clock-jump +30.000 s`` at ``time_s`` and one line on stderr. Timestamps
        after it are mapped with the new offset, so they still say when samples were taken."""
        self.n_clock_jumps += 1
        self.marker(f"gazemap/clock-jump {jump_s:+.3f} s", time_s)
        print(
            f"gazemap stream: the tracker's clock jumped {'back' if jump_s < 0 else 'forward'} "
            f"{abs(jump_s):.3f} s (clock set by hand or NTP, or the tracker restarted); "
            "timestamps follow it, nothing is lost (marker gazemap/clock-jump).",
            file=sys.stderr,
            flush=True,
        )

    def gap_start(self, time_s: float) -> None:
        self.n_gaps += 1
        self._gap_since = time.monotonic()
        # the lab sees it in the driver's terminal at once (it was silent until it gave up)
        print(
            "gazemap stream: lost the tracker (connection dropped, or no data); publishing a "
            "gap (marker gazemap/gap/start) and re-connecting for up to "
            "--reconnect-timeout-s. Check the tracker and its cable.",
            file=sys.stderr,
            flush=True,
        )
        self.gaze.push_sample(
            gaze_row(validity=int(Validity.GAP | Validity.LEFT_INVALID | Validity.RIGHT_INVALID)),
            time_s,
        )
        self.marker("gazemap/gap/start", time_s)

    def gap_end(self, time_s: float, back: bool = True) -> None:
        """End the gap at ``time_s``; ``back``: the tracker returned (False: the driver
        stops while it is still away)."""
        self.gaze.push_sample(
            gaze_row(validity=int(Validity.GAP | Validity.LEFT_INVALID | Validity.RIGHT_INVALID)),
            time_s,
        )
        self.marker("gazemap/gap/end", time_s)
        if self._gap_since is not None and back:
            away_s = time.monotonic() - self._gap_since
            print(
                f"gazemap stream: the tracker is back after {away_s:.1f} s; the gap is marked "
                "(gazemap/gap/end) and publishing goes on.",
                file=sys.stderr,
                flush=True,
            )
        self._gap_since = None

    def have_consumers(self) -> bool:
        return bool(self.gaze.have_consumers())

    def close(self) -> None:
        # outlets close when garbage collected; drop our references explicitly
        del self.gaze
        del self.markers


def describe_calibration(prefix: str, values: Mapping[str, float | int | str]) -> str:
    """Marker text for a calibration/validation result, ``calibration/<driver> k=v ...``."""
    parts = " ".join(f"{k}={v}" for k, v in values.items())
    return f"calibration/{prefix} {parts}".strip()
