"""lsl-relay: a foreign App-TobiiPro-layout stream on loopback re-published canonically."""

from __future__ import annotations

import threading
import time

import numpy as np
import pylsl
import pytest
from conftest import REPO
from fakes.lslcollect import Collector

from gazemap.drivers._common import GazePublisher, StopCondition, load_profile
from gazemap.drivers.lsl_profile import parse_mapping, relay
from gazemap.errors import DeviceError
from gazemap.types import GAZE_CHANNEL_LABELS, ScreenGeometry

pytestmark = pytest.mark.integration
SCREEN = ScreenGeometry(1920, 1080, 531.0, 299.0, 650.0)
C = {name: i for i, name in enumerate(GAZE_CHANNEL_LABELS)}
TOBII_CLOCK_OFFSET_S = -4000.0


def foreign_outlet(source_id: str) -> pylsl.StreamOutlet:
    info = pylsl.StreamInfo("Tobii", "Eyetracker", 6, 120, pylsl.cf_float32, source_id)
    chns = info.desc().append_child("channels")
    for label in ("left_x", "left_y", "left_pupil", "right_x", "right_y", "right_pupil"):
        chns.append_child("channel").append_child_value("label", label)
    return pylsl.StreamOutlet(info)


def test_relay_maps_app_tobiipro_stream(unique_id: str) -> None:
    profile = load_profile(REPO / "devices" / "app_tobiipro_lsl.yaml")
    profile["match"] = {"source_id": unique_id + "-foreign"}
    m = parse_mapping(profile)
    out = foreign_outlet(unique_id + "-foreign")
    stop_push = threading.Event()
    sent: list[float] = []

    def push() -> None:
        i = 0
        while not stop_push.is_set():
            now = pylsl.local_clock()
            out.push_sample(
                [0.25, 0.5, 3.0, 0.27, 0.5, 3.2]
                if i % 7
                else [0.25, 0.5, 3.0] + [float("nan")] * 3,
                now + TOBII_CLOCK_OFFSET_S,
            )
            sent.append(now)
            i += 1
            time.sleep(1 / 120)

    pusher = threading.Thread(target=push, daemon=True)
    pusher.start()
    pub = GazePublisher("relay test", unique_id, 120.0, SCREEN, "Tobii", "App-TobiiPro")
    gaze = Collector(unique_id)
    stop = threading.Event()
    state: dict = {}

    def target() -> None:
        try:
            relay(m, pub, StopCondition(should_stop=stop.is_set))
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            state["error"] = exc

    t = threading.Thread(target=target, daemon=True)
    t.start()
    assert gaze.wait_ready() and gaze.wait_for(lambda c: len(c.samples) >= 60)
    stop.set()
    t.join(timeout=10)
    stop_push.set()
    pusher.join(timeout=5)
    gaze.close()
    assert "error" not in state
    s = np.array(gaze.samples, dtype=float)
    assert np.allclose(s[:, C["left_x_px"]], 480.0)
    bad = np.isnan(s[:, C["right_x_px"]])
    assert bad.any() and (~bad).any()
    assert np.allclose(s[~bad, C["x_px"]], (480.0 + 0.27 * 1920) / 2)
    # device clock mapped: timestamps near the LSL time the foreign samples were made
    times = np.array(gaze.times)
    assert np.all(np.abs(times - times.mean()) < 60)
    assert abs(np.median(times) - np.median(sent)) < 5


def test_absent_foreign_stream(unique_id: str) -> None:
    m = parse_mapping(
        {"match": {"source_id": unique_id + "-nobody"}, "channels": {"x_px": {"from": "x"}}}
    )
    pub = GazePublisher("relay test", unique_id, 120.0, SCREEN, "x", "y")
    with pytest.raises(DeviceError, match="no LSL stream with source_id="):
        relay(m, pub, StopCondition(max_samples=1), resolve_timeout_s=0.5)
