"""Pupil Core driver against a fake Pupil Capture (ZeroMQ + msgpack) with real LSL on loopback."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from fakes.lslcollect import Collector
from fakes.pupil import FakePupilCapture

from gazemap.drivers import pupil_core
from gazemap.drivers._common import GazePublisher, StopCondition
from gazemap.errors import DeviceError
from gazemap.types import GAZE_CHANNEL_LABELS, ScreenGeometry, Validity

pytestmark = pytest.mark.integration
SCREEN = ScreenGeometry(1920, 1080, 531.0, 299.0, 650.0)
C = {name: i for i, name in enumerate(GAZE_CHANNEL_LABELS)}


def start(port: int, unique_id: str, **kw: object) -> tuple[threading.Event, dict]:
    stop = threading.Event()
    state: dict = {}
    pub = GazePublisher("Pupil test", unique_id, 200.0, SCREEN, "Pupil Labs", "fake")

    def target() -> None:
        try:
            pupil_core.stream("127.0.0.1", port, pub, StopCondition(should_stop=stop.is_set), **kw)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            state["error"] = exc

    t = threading.Thread(target=target, daemon=True)
    t.start()
    state["thread"] = t
    return stop, state


def test_surface_gaze_to_screen_px_and_lsl_clock(unique_id: str) -> None:
    with FakePupilCapture() as cap:
        gaze = Collector(unique_id)
        stop, state = start(cap.port, unique_id, surface="screen")
        assert gaze.wait_ready()
        assert gaze.wait_for(lambda c: len(c.samples) >= 100)
        stop.set()
        state["thread"].join(timeout=10)
        gaze.close()
        sent = dict(cap.sent)
    assert "error" not in state
    s = np.array(gaze.samples, dtype=float)
    t = np.array(gaze.times)
    v = s[:, C["validity"]].astype(int)
    ok = v == 0
    assert ok.sum() > 50 and (~ok).any(), (ok.sum(), len(ok))  # every 25th datum has low confidence
    assert np.all(np.isnan(s[~ok, C["x_px"]]))
    assert np.all((v[~ok] & (Validity.LEFT_INVALID | Validity.RIGHT_INVALID)) == 3)
    # y = 0.25 from the bottom -> 0.75 of the height from the top
    assert np.allclose(s[ok, C["y_px"]], 0.75 * 1080, atol=0.01)
    assert np.all((s[ok, C["x_px"]] >= 0.1 * 1920 - 0.1) & (s[ok, C["x_px"]] <= 0.9 * 1920 + 0.1))
    # surface gaze whose gaze datum was published before the SUB socket joined has no pupil
    has_p = ok & ~np.isnan(s[:, C["left_pupil_mm"]])
    assert has_p.sum() > 0.8 * ok.sum()
    assert np.allclose(s[has_p, C["left_pupil_mm"]], 3.3, atol=1e-5)
    assert np.allclose(s[has_p, C["right_pupil_mm"]], 3.1, atol=1e-5)
    # the other surface is ignored (its x would be 9 * 1920)
    assert np.nanmax(s[:, C["x_px"]]) < 1920
    # Pupil time -> LSL: each sample's time is within a few ms of its true generation time
    assert np.all(np.diff(t) > 0)
    pupil_ts = [ts for ts in sent]
    gen = np.array([sent[k] for k in pupil_ts])
    err = np.array([np.min(np.abs(gen - x)) for x in t[:50]])
    assert np.median(err) < 0.02, np.median(err)


def test_silence_is_a_gap_and_data_resumes(unique_id: str) -> None:
    with FakePupilCapture() as cap:
        gaze = Collector(unique_id)
        stop, state = start(cap.port, unique_id, surface="screen", silence_s=0.3)
        assert gaze.wait_ready()
        assert gaze.wait_for(lambda c: len(c.samples) >= 30)
        cap.stall(1.0)
        ok = gaze.wait_for(
            lambda c: (
                sum(1 for x in c.samples if int(x[C["validity"]]) & Validity.GAP) >= 2
                and int(c.samples[-1][C["validity"]]) & Validity.GAP == 0
            ),
            10,
        )
        stop.set()
        state["thread"].join(timeout=10)
        gaze.close()
    assert "error" not in state and ok


def test_absent_pupil_remote_is_a_clear_error() -> None:
    with FakePupilCapture() as cap:
        port = cap.port
    remote = pupil_core.PupilRemote("127.0.0.1", port, timeout_s=0.3)
    with pytest.raises(DeviceError, match="Pupil Remote plugin"):
        remote.sub_port()
    remote.close()


def test_garbage_remote_is_a_clear_error() -> None:
    with FakePupilCapture(garbage_remote=True) as cap:
        remote = pupil_core.PupilRemote("127.0.0.1", cap.port)
        with pytest.raises(DeviceError, match="not text"):
            remote.sub_port()
        remote.close()
