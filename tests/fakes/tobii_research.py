"""A stand-in for the Tobii Pro SDK module ``tobii_research`` (installed into sys.modules by tests).

It implements the part of the SDK's public API the driver uses, with the SDK's names and
data layout: find_all_eyetrackers, EyeTracker(address), subscribe_to/unsubscribe_from,
get_system_time_stamp (µs), gaze_data dicts, connection notifications. A background thread
delivers gaze at ``CONFIG.rate_hz``; CONFIG switches simulate no tracker, a busy tracker,
garbage records and a lost connection.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import pylsl

EYETRACKER_GAZE_DATA = "eyetracker_gaze_data"
EYETRACKER_NOTIFICATION_CONNECTION_LOST = "eyetracker_notification_connection_lost"
EYETRACKER_NOTIFICATION_CONNECTION_RESTORED = "eyetracker_notification_connection_restored"

#: the SDK's system clock runs this far behind the LSL clock (µs)
SYSTEM_CLOCK_OFFSET_US = -7_000_000_000


class EyeTrackerConnectionFailedError(Exception):
    pass


@dataclass
class Config:
    n_trackers: int = 1
    rate_hz: float = 120.0
    busy: bool = False
    garbage: bool = False
    sent: list | None = None  # (system_time_stamp µs, LSL time) of every gaze dict


CONFIG = Config()


def reset() -> None:
    global CONFIG
    CONFIG = Config(sent=[])


def get_system_time_stamp() -> int:
    return int(pylsl.local_clock() * 1e6) + SYSTEM_CLOCK_OFFSET_US


def gaze_dict(i: int) -> dict:
    x = 0.1 + 0.8 * ((i % 100) / 100.0)
    right_ok = i % 10 != 0
    return {
        "device_time_stamp": 1000 * i,
        "system_time_stamp": get_system_time_stamp(),
        "left_gaze_point_on_display_area": (x - 0.005, 0.4),
        "left_gaze_point_in_user_coordinate_system": (0.0, 0.0, 0.0),
        "left_gaze_point_validity": 1,
        "left_pupil_diameter": 3.4,
        "left_pupil_validity": 1,
        "left_gaze_origin_in_user_coordinate_system": (30.0, 0.0, 600.0),
        "left_gaze_origin_in_trackbox_coordinate_system": (0.4, 0.5, 0.5),
        "left_gaze_origin_validity": 1,
        "right_gaze_point_on_display_area": (x + 0.005, 0.4)
        if right_ok
        else (float("nan"), float("nan")),
        "right_gaze_point_in_user_coordinate_system": (0.0, 0.0, 0.0),
        "right_gaze_point_validity": 1 if right_ok else 0,
        "right_pupil_diameter": 3.6 if right_ok else float("nan"),
        "right_pupil_validity": 1 if right_ok else 0,
        "right_gaze_origin_in_user_coordinate_system": (-30.0, 0.0, 600.0),
        "right_gaze_origin_in_trackbox_coordinate_system": (0.6, 0.5, 0.5),
        "right_gaze_origin_validity": 1,
    }


class EyeTracker:
    def __init__(self, address: str) -> None:
        if CONFIG.n_trackers == 0:
            raise EyeTrackerConnectionFailedError(f"Connection to {address} failed.")
        self.address = address
        self.model = "Tobii Pro Spectrum (fake)"
        self.serial_number = "FAKE-0001"
        self.device_name = "fake"
        self._subs: dict[str, list] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lost = threading.Event()

    def get_gaze_output_frequency(self) -> float:
        return CONFIG.rate_hz

    def subscribe_to(self, kind: str, callback, as_dictionary: bool = False) -> None:
        if CONFIG.busy and kind == EYETRACKER_GAZE_DATA:
            raise EyeTrackerConnectionFailedError("The eye tracker is used by another application.")
        if kind == EYETRACKER_GAZE_DATA and not as_dictionary:
            raise TypeError("this fake only delivers dictionaries")
        self._subs.setdefault(kind, []).append(callback)
        if kind == EYETRACKER_GAZE_DATA and self._thread is None:
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()

    def unsubscribe_from(self, kind: str, callback=None) -> None:
        self._subs.pop(kind, None)
        if kind == EYETRACKER_GAZE_DATA:
            self._stop.set()
            if self._thread is not None:
                self._thread.join(timeout=2)

    def lose_connection(self, seconds: float) -> None:
        """Notify CONNECTION_LOST, deliver nothing for ``seconds``, then CONNECTION_RESTORED."""

        def go() -> None:
            self._lost.set()
            for cb in self._subs.get(EYETRACKER_NOTIFICATION_CONNECTION_LOST, []):
                cb({"system_time_stamp": get_system_time_stamp()})
            time.sleep(seconds)
            self._lost.clear()
            for cb in self._subs.get(EYETRACKER_NOTIFICATION_CONNECTION_RESTORED, []):
                cb({"system_time_stamp": get_system_time_stamp()})

        threading.Thread(target=go, daemon=True).start()

    def _run(self) -> None:
        i = 0
        next_t = time.monotonic()
        while not self._stop.is_set():
            now = time.monotonic()
            if now < next_t:
                time.sleep(min(next_t - now, 0.001))
                continue
            next_t += 1.0 / CONFIG.rate_hz
            if self._lost.is_set():
                continue
            d = {"garbage": True, "n": i} if CONFIG.garbage else gaze_dict(i)
            if CONFIG.sent is not None and not CONFIG.garbage:
                CONFIG.sent.append((d["system_time_stamp"], pylsl.local_clock()))
            for cb in list(self._subs.get(EYETRACKER_GAZE_DATA, [])):
                cb(d)
            i += 1


_TRACKERS: list[EyeTracker] = []


def find_all_eyetrackers() -> tuple:
    _TRACKERS.clear()
    for k in range(CONFIG.n_trackers):
        _TRACKERS.append(EyeTracker(f"tet-tcp://169.254.5.{k + 1}"))
    return tuple(_TRACKERS)
