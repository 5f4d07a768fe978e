"""A tracker whose clock jumps (set by hand, NTP, a tracker restart) while it streams: the
drivers keep publishing, with LSL timestamps that still say when each sample was taken.

Fake trackers on loopback (tests/fakes), real LSL.
"""

from __future__ import annotations

import re
import threading

import numpy as np
import pylsl
import pytest
from fakes.lslcollect import Collector
from fakes.opengaze import FIELDS, FakeOpenGazeServer, sample_values
from fakes.pupil import FakePupilCapture

from gazemap.drivers import gazepoint, pupil_core
from gazemap.drivers._common import GazePublisher, StopCondition
from gazemap.types import ScreenGeometry

pytestmark = pytest.mark.integration
SCREEN = ScreenGeometry(1920, 1080, 531.0, 299.0, 650.0)
JUMP_S = 30.0


class JumpingOpenGaze(FakeOpenGazeServer):
    """The fake Gazepoint Control whose tracker clock (TIME, TIME_TICK) is ``clock_shift_s``
    off the LSL clock; a test changes it while streaming."""

    clock_shift_s = 0.0

    def _record(self, enabled: set[str]) -> bytes:
        i = self._counter
        self._counter += 1
        t = pylsl.local_clock()
        device = t + self.clock_shift_s
        values = sample_values(i, device - self._t0, int(round(device * self.tick_hz)))
        keys = [k for e in FIELDS if e in enabled for k in FIELDS[e]]
        self.sent.append((i, t))
        return ("<REC " + " ".join(f'{k}="{values[k]}"' for k in keys) + " />\r\n").encode()


def _run(target) -> tuple[threading.Event, dict]:  # type: ignore[no-untyped-def]
    stop = threading.Event()
    state: dict = {}

    def body() -> None:
        try:
            state["publisher"] = target(StopCondition(should_stop=stop.is_set))
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            state["error"] = exc

    state["thread"] = threading.Thread(target=body, daemon=True)
    state["thread"].start()
    return stop, state


def _timing_errors_s(times: list[float], generated: list[float]) -> np.ndarray:
    """For each received timestamp, the distance to the nearest true generation time."""
    gen = np.sort(np.asarray(generated))
    t = np.asarray(times)
    k = np.clip(np.searchsorted(gen, t), 1, len(gen) - 1)
    return np.minimum(np.abs(t - gen[k - 1]), np.abs(t - gen[k]))


@pytest.mark.parametrize("shift_s", [-JUMP_S, JUMP_S], ids=["back", "forward"])
def test_gazepoint_clock_jump_keeps_true_timestamps(unique_id: str, shift_s: float) -> None:
    with JumpingOpenGaze(rate_hz=150) as srv:
        gaze = Collector(unique_id)
        markers = Collector(unique_id + "-markers")

        def factory(session):  # type: ignore[no-untyped-def]
            return GazePublisher("GP jump", unique_id, 150.0, SCREEN, "Gazepoint", "fake"), SCREEN

        stop, state = _run(lambda s: gazepoint.stream("127.0.0.1", srv.port, factory, s, 5.0))
        assert gaze.wait_ready() and markers.wait_ready()
        assert gaze.wait_for(lambda c: len(c.samples) >= 150, 15)
        n_before = len(gaze.times)
        srv.clock_shift_s = shift_s
        assert gaze.wait_for(lambda c: len(c.samples) >= n_before + 300, 15)
        assert markers.wait_for(lambda c: any("clock-jump" in m[0] for m in c.samples), 5)
        stop.set()
        state["thread"].join(timeout=10)
        gaze.close()
        markers.close()
    assert "error" not in state, state.get("error")
    t = np.array(gaze.times)
    assert np.all(np.diff(t) > 0), "timestamps went back in time"
    err = _timing_errors_s(gaze.times, [g for _, g in srv.sent])
    # every sample, also those after the jump, is stamped at (about) when it was taken;
    # before the fix the ones after a backward jump were 30 s early for up to 20 s
    assert np.percentile(err, 99) < 0.05, np.sort(err)[-5:]
    jump = next(m[0] for m in markers.samples if "clock-jump" in m[0])
    m = re.fullmatch(r"gazemap/clock-jump ([+-]\d+\.\d{3}) s", jump)
    assert m and abs(float(m.group(1)) - shift_s) < 0.1, jump


def test_pupil_clock_jump_back_keeps_streaming_with_true_timestamps(unique_id: str) -> None:
    """Pupil time set back (Capture restarted, or `T` sent by another program): the driver
    used to drop every sample older than the last one it had seen, then report the
    tracker as silent and stop."""
    with FakePupilCapture() as cap:
        gaze = Collector(unique_id)
        markers = Collector(unique_id + "-markers")
        pub = GazePublisher("Pupil jump", unique_id, 200.0, SCREEN, "Pupil Labs", "fake")
        stop, state = _run(
            lambda s: pupil_core.stream(
                "127.0.0.1", cap.port, pub, s, "screen", silence_s=0.5, reconnect_timeout_s=3.0
            )
        )
        assert gaze.wait_ready() and markers.wait_ready()
        assert gaze.wait_for(lambda c: len(c.samples) >= 100, 15)
        n_before = len(gaze.times)
        cap.time_offset_s += JUMP_S  # Pupil time is now 30 s behind where it was
        assert gaze.wait_for(lambda c: len(c.samples) >= n_before + 200, 10), (
            state.get("error"),
            len(gaze.samples) - n_before,
        )
        assert markers.wait_for(lambda c: any("clock-jump" in m[0] for m in c.samples), 5)
        stop.set()
        state["thread"].join(timeout=10)
        gaze.close()
        markers.close()
    assert "error" not in state, state.get("error")
    assert np.all(np.diff(np.array(gaze.times)) > 0)
    err = _timing_errors_s(gaze.times, [g for _, g in cap.sent])
    assert np.percentile(err, 99) < 0.05, np.sort(err)[-5:]
    assert pub.n_gaps == 0
