"""SR Research EyeLink driver: pylink's link API to canonical LSL gaze.

Uses SR Research's ``pylink`` (package ``sr-research-pylink``): ``pylink.EyeLink(address)``
connects to the Host PC (default 100.1.1.1; ``--dummy`` passes None for pylink's dummy mode),
``sendCommand`` sets ``screen_pixel_coords`` and the link sample data, ``startRecording(1,1,1,1)``
starts recording, and ``getNextData()``/``getFloatData()`` return link samples
(``SAMPLE_TYPE``) with ``getTime()`` (tracker ms), ``getLeftEye()/getRightEye().getGaze()``
(screen px, origin top-left, ``MISSING_DATA`` for a lost eye) and ``getPupilSize()``.

EyeLink pupil size is in arbitrary units (area or diameter), so the ``*_pupil_mm`` channels
stay NaN unless ``--pupil-mm-per-unit`` gives a scale measured for the set-up. The tracker
clock (``trackerTime()``, ms) is mapped to LSL by sampling both clocks together. The last
calibration/validation message (``getCalibrationMessage()``) is published as a marker and
in the stream description.
"""

from __future__ import annotations

import argparse
import math
import time
from types import ModuleType
from typing import Any

from gazemap.drivers import _common
from gazemap.drivers._common import ClockMapper, GazePublisher, StopCondition, gaze_row
from gazemap.errors import DeviceError
from gazemap.types import ScreenGeometry, Validity

DESCRIPTION = "SR Research EyeLink 1000/Portable Duo via pylink (link samples)"
DEFAULT_ADDRESS = "100.1.1.1"
INSTALL_HINT = (
    "Install SR Research's pylink: the package sr-research-pylink from SR Research's own package index "
    "(see the EyeLink Developers Kit documentation), or import recordings with `gazemap import eyelink_asc`."
)


def load_pylink() -> ModuleType:
    try:
        import pylink  # type: ignore[import-not-found]
    except ImportError as exc:
        raise DeviceError(f"pylink (SR Research) is not installed. {INSTALL_HINT}") from exc
    if not hasattr(pylink, "EyeLink"):
        raise DeviceError(
            f"the installed module 'pylink' is not SR Research's pylink (it has no EyeLink class; "
            f"the PyPI package 'pylink' is an unrelated project). {INSTALL_HINT}"
        )
    return pylink  # type: ignore[no-any-return]


def sample_to_row(
    sample: Any, screen: ScreenGeometry, missing: float, pupil_mm_per_unit: float | None = None
) -> list[float]:
    """Canonical row from a pylink Sample."""
    validity = 0
    eyes: dict[str, tuple[float, float, float]] = {}
    for name, has, get, flag in (
        ("left", "isLeftSample", "getLeftEye", Validity.LEFT_INVALID),
        ("right", "isRightSample", "getRightEye", Validity.RIGHT_INVALID),
    ):
        x = y = p = math.nan
        if getattr(sample, has)():
            e = getattr(sample, get)()
            try:
                gx, gy = e.getGaze()
                x, y = float(gx), float(gy)
                p = float(e.getPupilSize())
            except (TypeError, ValueError):
                x = y = p = math.nan
            if (
                not (math.isfinite(x) and math.isfinite(y))
                or x == missing
                or y == missing
                or abs(x) > 1e6
            ):
                x = y = math.nan
            p = (
                p * pupil_mm_per_unit
                if pupil_mm_per_unit and math.isfinite(p) and p > 0 and not math.isnan(x)
                else math.nan
            )
            if math.isnan(x):
                validity |= flag
        eyes[name] = (x, y, p)
    (lx, ly, lp), (rx, ry, rp) = eyes["left"], eyes["right"]
    x = _common.binocular_mean(lx, rx)
    y = _common.binocular_mean(ly, ry)
    if math.isnan(x):
        validity |= Validity.LEFT_INVALID | Validity.RIGHT_INVALID
    validity |= _common.off_screen_flag(x, y, screen)
    return gaze_row(x, y, lx, ly, rx, ry, lp, rp, int(validity))


def connect(pylink: ModuleType, address: str | None, screen: ScreenGeometry) -> Any:
    """Open the link, configure the screen and link data, start recording."""
    try:
        el = pylink.EyeLink(address)
    except RuntimeError as exc:
        raise DeviceError(
            f"cannot connect to the EyeLink Host PC at {address} ({exc}). Check the Ethernet link and "
            "the Host PC address (--address), or use --dummy to test without a tracker."
        ) from exc
    try:
        el.sendCommand(f"screen_pixel_coords = 0 0 {screen.width_px - 1} {screen.height_px - 1}")
        el.sendMessage(f"DISPLAY_COORDS 0 0 {screen.width_px - 1} {screen.height_px - 1}")
        el.sendCommand("link_sample_data = LEFT,RIGHT,GAZE,GAZERES,AREA,STATUS")
        err = el.startRecording(1, 1, 1, 1)
    except RuntimeError as exc:
        raise DeviceError(f"EyeLink at {address}: the tracker refused the set-up ({exc}).") from exc
    if err:
        el.close()
        raise DeviceError(
            f"EyeLink at {address}: startRecording returned error {err}; the tracker may be busy "
            "(another program holds it) or not set up. Check the Host PC screen."
        )
    el.waitForBlockStart(100, 1, 0)
    return el


def clock_offset_s(el: Any, tries: int = 5) -> float:
    """LSL minus tracker time (s), from the tightest of ``tries`` paired readings."""
    from gazemap.acquisition.lsl import local_clock

    best: tuple[float, float] | None = None
    for _ in range(tries):
        t0 = local_clock()
        tt = float(el.trackerTime())
        t1 = local_clock()
        if best is None or t1 - t0 < best[0]:
            best = (t1 - t0, 0.5 * (t0 + t1) - tt / 1000.0)
    assert best is not None
    return best[1]


def stream(
    pylink: ModuleType,
    address: str | None,
    publisher: GazePublisher,
    stop: StopCondition,
    reconnect_timeout_s: float = 10.0,
    pupil_mm_per_unit: float | None = None,
    resync_s: float = 5.0,
) -> GazePublisher:
    """Publish link samples until ``stop``; a dropped link is re-opened (the gap recorded)."""
    from gazemap.acquisition.lsl import local_clock

    el = connect(pylink, address, publisher.screen)
    cal = ""
    try:
        cal = str(el.getCalibrationMessage() or "")
    except (RuntimeError, AttributeError):
        cal = ""
    if cal:
        publisher.marker_when_heard(f"calibration/eyelink {cal}")
    clock = ClockMapper()
    clock.set_offset(clock_offset_s(el))
    missing = float(getattr(pylink, "MISSING_DATA", -32768))
    sample_type = pylink.SAMPLE_TYPE
    next_sync = time.monotonic() + resync_s
    last_ts = -math.inf
    n_bad = 0
    try:
        while not stop.done(publisher.n_samples):
            if not el.isConnected() or el.isRecording() != 0:
                publisher.gap_start(local_clock())
                try:
                    el.close()
                except RuntimeError:
                    pass
                el = _reconnect(pylink, address, publisher, stop, reconnect_timeout_s)
                clock.set_offset(clock_offset_s(el))
                publisher.gap_end(local_clock())
                continue
            dt = el.getNextData()
            if not dt:
                time.sleep(0.0005)
            elif dt == sample_type:
                s = el.getFloatData()
                try:
                    ts = float(s.getTime())
                except (AttributeError, TypeError, ValueError):
                    n_bad += 1
                    if n_bad >= 100 and publisher.n_samples == 0:
                        raise DeviceError(
                            f"EyeLink at {address}: {n_bad} link samples without a time; the link sends "
                            "something pylink does not describe. Update pylink / the Host software."
                        ) from None
                    continue
                if ts <= last_ts:
                    continue
                last_ts = ts
                publisher.push(
                    sample_to_row(s, publisher.screen, missing, pupil_mm_per_unit),
                    clock.to_lsl(ts / 1000.0),
                )
            now = time.monotonic()
            if now >= next_sync:
                clock.set_offset(clock_offset_s(el, tries=3))
                next_sync = now + resync_s
    finally:
        try:
            el.stopRecording()
            el.close()
        except RuntimeError:
            pass
    return publisher


def _reconnect(
    pylink: ModuleType,
    address: str | None,
    publisher: GazePublisher,
    stop: StopCondition,
    timeout_s: float,
) -> Any:
    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    while True:
        try:
            return connect(pylink, address, publisher.screen)
        except DeviceError as exc:
            last = exc
        if time.monotonic() >= deadline or stop.done(publisher.n_samples):
            raise DeviceError(
                f"lost the EyeLink link at {address} and could not re-open it within {timeout_s:.0f} s ({last})."
            )
        time.sleep(0.1)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    _common.add_common_arguments(parser, "EyeLink")
    _common._add(
        parser, "--address", default=None, help=f"Host PC address (default {DEFAULT_ADDRESS})"
    )
    _common._add(parser, "--dummy", action="store_true", help="pylink dummy mode (no tracker)")
    _common._add(
        parser,
        "--pupil-mm-per-unit",
        type=float,
        default=None,
        help="scale of EyeLink pupil units to mm",
    )


def run(args: argparse.Namespace) -> int:
    profile = _common.load_profile(getattr(args, "profile", None), "eyelink")
    pylink = load_pylink()
    address = (
        None
        if getattr(args, "dummy", False)
        else str(_common.option(args, profile, "address", DEFAULT_ADDRESS))
    )
    screen = _common.screen_from(args, profile)
    pub = GazePublisher(
        _common.option(args, profile, "name", "EyeLink"),
        _common.option(args, profile, "source_id", f"eyelink-{address or 'dummy'}"),
        float(profile.get("sample_rate_hz", 1000.0)),
        screen,
        "SR Research",
        str(profile.get("model", "EyeLink")),
    )
    stream(
        pylink,
        address,
        pub,
        StopCondition.from_args(args),
        float(getattr(args, "reconnect_timeout_s", 10.0) or 0.0),
        _common.option(args, profile, "pupil_mm_per_unit", None),
    )
    print(f"gazemap stream eyelink: published {pub.n_samples} samples, {pub.n_gaps} gap(s)")
    return 0
