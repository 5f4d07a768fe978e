"""Tobii Pro driver: the Tobii Pro SDK (``tobii_research``) to canonical LSL gaze.

Uses the SDK's public API: ``find_all_eyetrackers()`` (or ``EyeTracker(address)``),
``subscribe_to(EYETRACKER_GAZE_DATA, callback, as_dictionary=True)`` and the connection
notifications ``EYETRACKER_NOTIFICATION_CONNECTION_LOST`` / ``…_RESTORED``. A gaze_data dict
has ``left_gaze_point_on_display_area`` (x, y fractions of the display area, origin top-left),
``left_gaze_point_validity`` (1 valid), ``left_pupil_diameter`` (mm) with
``left_pupil_validity``, the same for the right eye, and ``system_time_stamp`` (µs on the
SDK's system clock, the clock of ``get_system_time_stamp()``), which is mapped to the LSL clock
by sampling both clocks together.

The SDK is imported only when the driver runs; without it the driver says how to install it.
Tobii's core SDK does not report calibration/validation accuracy, so none is published.
"""

from __future__ import annotations

import argparse
import math
import queue
import time
from types import ModuleType
from typing import Any

from gazemap.drivers import _common
from gazemap.drivers._common import ClockMapper, GazePublisher, StopCondition, gaze_row
from gazemap.errors import DeviceError
from gazemap.types import ScreenGeometry, Validity

DESCRIPTION = "Tobii Pro screen-based trackers via the Tobii Pro SDK (tobii_research)"

INSTALL_HINT = (
    "Install the Tobii Pro SDK for Python: `pip install tobii-research` (Tobii ships wheels for "
    "some Python versions and platforms only, e.g. Python 3.10 on Windows/macOS/Linux x64; use such "
    "a Python for this driver), or record with Tobii Pro Lab and `gazemap import tobii_tsv`."
)


def load_sdk() -> ModuleType:
    """Import ``tobii_research`` or raise DeviceError saying how to install it."""
    try:
        import tobii_research  # type: ignore[import-not-found]
    except ImportError as exc:
        raise DeviceError(
            f"the Tobii Pro SDK (module tobii_research) is not installed. {INSTALL_HINT}"
        ) from exc
    return tobii_research  # type: ignore[no-any-return]


def _point(d: dict[str, Any], key: str) -> tuple[float, float]:
    p = d.get(key)
    if not isinstance(p, list | tuple) or len(p) < 2:
        return math.nan, math.nan
    try:
        x, y = float(p[0]), float(p[1])
    except (TypeError, ValueError):
        return math.nan, math.nan
    return (x, y) if math.isfinite(x) and math.isfinite(y) else (math.nan, math.nan)


def _num(d: dict[str, Any], key: str) -> float:
    v = d.get(key)
    try:
        x = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan
    return x if math.isfinite(x) else math.nan


def gaze_data_to_row(d: dict[str, Any], screen: ScreenGeometry) -> list[float]:
    """Canonical row from one SDK gaze_data dict (display-area fractions → px)."""
    validity = 0
    eyes = {}
    for eye, flag in (("left", Validity.LEFT_INVALID), ("right", Validity.RIGHT_INVALID)):
        x, y = _point(d, f"{eye}_gaze_point_on_display_area")
        ok = d.get(f"{eye}_gaze_point_validity") in (1, True) and not math.isnan(x)
        pupil = (
            _num(d, f"{eye}_pupil_diameter")
            if d.get(f"{eye}_pupil_validity") in (1, True)
            else math.nan
        )
        if not ok:
            validity |= flag
            x = y = math.nan
        eyes[eye] = (x * screen.width_px, y * screen.height_px, pupil if pupil > 0 else math.nan)
    (lx, ly, lp), (rx, ry, rp) = eyes["left"], eyes["right"]
    x = _common.binocular_mean(lx, rx)
    y = _common.binocular_mean(ly, ry)
    validity |= _common.off_screen_flag(x, y, screen)
    return gaze_row(x, y, lx, ly, rx, ry, lp, rp, int(validity))


def find_tracker(tr: ModuleType, address: str | None) -> Any:
    """The tracker at ``address`` or the only/first one found; DeviceError when none."""
    try:
        if address:
            return tr.EyeTracker(address)
        trackers = list(tr.find_all_eyetrackers())
    except Exception as exc:  # the SDK's own exception classes; keep its message
        raise DeviceError(
            f"Tobii Pro SDK: cannot open the eye tracker ({type(exc).__name__}: {exc})."
        ) from exc
    if not trackers:
        raise DeviceError(
            "no Tobii Pro eye tracker found. Connect it, check that Tobii Pro Eye Tracker Manager sees "
            "it, or pass --address tet-tcp://…"
        )
    return trackers[0]


def clock_offset_s(tr: ModuleType, tries: int = 5) -> float:
    """LSL minus SDK system time (s), from the tightest of ``tries`` paired readings."""
    from gazemap.acquisition.lsl import local_clock

    best: tuple[float, float] | None = None
    for _ in range(tries):
        t0 = local_clock()
        sys_us = tr.get_system_time_stamp()
        t1 = local_clock()
        if best is None or t1 - t0 < best[0]:
            best = (t1 - t0, 0.5 * (t0 + t1) - sys_us / 1e6)
    assert best is not None
    return best[1]


def stream(
    tr: ModuleType,
    tracker: Any,
    publisher: GazePublisher,
    stop: StopCondition,
    reconnect_timeout_s: float = 10.0,
    resync_s: float = 5.0,
) -> GazePublisher:
    """Subscribe to gaze data and publish it until ``stop``; gaps from SDK notifications."""
    from gazemap.acquisition.lsl import local_clock

    q: queue.Queue[tuple[str, Any]] = queue.Queue()

    def on_gaze(d: Any) -> None:
        q.put(("gaze", d))

    def on_lost(d: Any) -> None:
        q.put(("lost", d))

    def on_restored(d: Any) -> None:
        q.put(("restored", d))

    clock = ClockMapper()
    clock.set_offset(clock_offset_s(tr))
    subs = [
        (tr.EYETRACKER_NOTIFICATION_CONNECTION_LOST, on_lost),
        (tr.EYETRACKER_NOTIFICATION_CONNECTION_RESTORED, on_restored),
        (tr.EYETRACKER_GAZE_DATA, on_gaze),
    ]
    done: list[tuple[Any, Any]] = []
    try:
        for kind, cb in subs:
            try:
                if kind == tr.EYETRACKER_GAZE_DATA:
                    tracker.subscribe_to(kind, cb, as_dictionary=True)
                else:
                    tracker.subscribe_to(kind, cb)
            except Exception as exc:  # the SDK's own exception classes
                raise DeviceError(
                    f"Tobii Pro SDK: cannot subscribe to {kind} on {getattr(tracker, 'address', '?')} "
                    f"({type(exc).__name__}: {exc}). Is another program using the tracker (busy)? Close it and retry."
                ) from exc
            done.append((kind, cb))
        next_sync = time.monotonic() + resync_s
        lost_at: float | None = None
        n_bad = n_good = 0
        while not stop.done(publisher.n_samples):
            try:
                kind, d = q.get(timeout=0.1)
            except queue.Empty:
                kind, d = "", None
            now = time.monotonic()
            if kind == "lost" and lost_at is None:
                lost_at = now
                publisher.gap_start(local_clock())
            elif kind == "restored" and lost_at is not None:
                lost_at = None
                clock.set_offset(clock_offset_s(tr))
                publisher.gap_end(local_clock())
            elif kind == "gaze":
                ts = _num(d, "system_time_stamp") if isinstance(d, dict) else math.nan
                if math.isnan(ts):
                    n_bad += 1
                    if n_bad >= 100 and n_good == 0:
                        raise DeviceError(
                            f"the Tobii Pro SDK delivered {n_bad} gaze records without a system_time_stamp "
                            f"(e.g. {str(d)[:80]}); the SDK and this driver disagree. Update tobii-research."
                        )
                    continue
                n_good += 1
                publisher.push(gaze_data_to_row(d, publisher.screen), clock.to_lsl(ts / 1e6))
            if lost_at is not None and now - lost_at > reconnect_timeout_s:
                raise DeviceError(
                    f"lost the Tobii eye tracker {getattr(tracker, 'address', '')} and it did not come back "
                    f"within {reconnect_timeout_s:.0f} s. Check its cable/network."
                )
            if lost_at is None and now >= next_sync:
                clock.set_offset(clock_offset_s(tr, tries=3))
                next_sync = now + resync_s
    finally:
        for kind, cb in done:
            try:
                tracker.unsubscribe_from(kind, cb)
            except Exception:  # noqa: BLE001 - a lost tracker may refuse; nothing left to do
                pass
    return publisher


def add_arguments(parser: argparse.ArgumentParser) -> None:
    _common.add_common_arguments(parser, "Tobii Pro")
    _common._add(
        parser, "--address", default=None, help="tracker address (default: the first found)"
    )


def run(args: argparse.Namespace) -> int:
    profile = _common.load_profile(getattr(args, "profile", None), "tobii")
    tr = load_sdk()
    tracker = find_tracker(tr, _common.option(args, profile, "address", None))
    screen = _common.screen_from(args, profile)
    try:
        rate_hz = float(tracker.get_gaze_output_frequency())
    except Exception:  # noqa: BLE001 - older models do not report it
        rate_hz = float(profile.get("sample_rate_hz", 60.0))
    serial = str(getattr(tracker, "serial_number", "unknown"))
    pub = GazePublisher(
        _common.option(args, profile, "name", "Tobii Pro"),
        _common.option(args, profile, "source_id", f"tobii-{serial}"),
        rate_hz,
        screen,
        "Tobii",
        str(getattr(tracker, "model", profile.get("model", "Tobii Pro"))),
    )
    stream(
        tr,
        tracker,
        pub,
        StopCondition.from_args(args),
        float(getattr(args, "reconnect_timeout_s", 10.0) or 0.0),
    )
    print(f"gazemap stream tobii: published {pub.n_samples} samples, {pub.n_gaps} gap(s)")
    return 0
