"""Tobii driver against a stand-in tobii_research module (sys.modules), real LSL on loopback."""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest
from fakes import tobii_research as fake_tr
from fakes.lslcollect import Collector

from gazemap.drivers import tobii
from gazemap.drivers._common import GazePublisher, StopCondition
from gazemap.errors import DeviceError
from gazemap.types import GAZE_CHANNEL_LABELS, ScreenGeometry, Validity

pytestmark = pytest.mark.integration
SCREEN = ScreenGeometry(1920, 1200, 518.0, 324.0, 650.0)
C = {name: i for i, name in enumerate(GAZE_CHANNEL_LABELS)}


@pytest.fixture
def sdk(monkeypatch: pytest.MonkeyPatch):
    fake_tr.reset()
    monkeypatch.setitem(sys.modules, "tobii_research", fake_tr)
    return fake_tr


def run_driver(tr, tracker, unique_id: str, **kw):
    stop = threading.Event()
    state: dict = {}
    pub = GazePublisher("Tobii test", unique_id, 120.0, SCREEN, "Tobii", "fake")

    def target() -> None:
        try:
            tobii.stream(tr, tracker, pub, StopCondition(should_stop=stop.is_set), **kw)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            state["error"] = exc

    t = threading.Thread(target=target, daemon=True)
    t.start()
    return stop, state, t


def test_gaze_from_sdk_to_lsl(sdk, unique_id: str) -> None:
    tr = tobii.load_sdk()
    assert tr is fake_tr
    tracker = tobii.find_tracker(tr, None)
    gaze = Collector(unique_id)
    stop, state, t = run_driver(tr, tracker, unique_id)
    assert gaze.wait_ready() and gaze.wait_for(lambda c: len(c.samples) >= 60)
    stop.set()
    t.join(timeout=10)
    gaze.close()
    assert "error" not in state
    s = np.array(gaze.samples, dtype=float)
    v = s[:, C["validity"]].astype(int)
    right_bad = (v & Validity.RIGHT_INVALID) != 0
    assert right_bad.any() and (~right_bad).any()
    assert np.allclose(s[:, C["y_px"]], 0.4 * 1200, atol=0.01)
    assert np.allclose(
        s[~right_bad, C["x_px"]],
        (s[~right_bad, C["left_x_px"]] + s[~right_bad, C["right_x_px"]]) / 2,
        atol=0.01,
    )
    assert np.allclose(s[right_bad, C["x_px"]], s[right_bad, C["left_x_px"]], atol=0.01)
    assert np.allclose(s[:, C["left_pupil_mm"]], 3.4, atol=1e-5)
    assert np.isnan(s[right_bad, C["right_pupil_mm"]]).all()
    # system_time_stamp (µs, SDK clock 7000 s behind) lands on the LSL clock
    sent = np.array(fake_tr.CONFIG.sent)
    lsl_true = dict(zip(sent[:, 0] / 1e6, sent[:, 1], strict=True))
    times = np.array(gaze.times)
    err = [min(abs(times[k] - x) for x in lsl_true.values()) for k in range(0, len(times), 10)]
    assert np.median(err) < 0.01


def test_connection_lost_and_restored_is_a_gap(sdk, unique_id: str) -> None:
    tracker = tobii.find_tracker(fake_tr, None)
    gaze = Collector(unique_id)
    markers = Collector(unique_id + "-markers")
    stop, state, t = run_driver(fake_tr, tracker, unique_id)
    assert (
        gaze.wait_ready() and markers.wait_ready() and gaze.wait_for(lambda c: len(c.samples) >= 20)
    )
    tracker.lose_connection(0.3)
    ok = gaze.wait_for(
        lambda c: (
            sum(1 for x in c.samples if int(x[C["validity"]]) & Validity.GAP) == 2
            and not int(c.samples[-1][C["validity"]]) & Validity.GAP
        ),
        10,
    )
    assert markers.wait_for(lambda c: len(c.samples) >= 2, 5)
    stop.set()
    t.join(timeout=10)
    gaze.close()
    markers.close()
    assert "error" not in state and ok
    assert [m[0] for m in markers.samples][:2] == ["gazemap/gap/start", "gazemap/gap/end"]


def test_missing_sdk_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tobii_research", None)
    with pytest.raises(DeviceError, match="pip install tobii-research"):
        tobii.load_sdk()


def test_no_tracker_found(sdk) -> None:
    sdk.CONFIG.n_trackers = 0
    with pytest.raises(DeviceError, match="no Tobii Pro eye tracker found"):
        tobii.find_tracker(sdk, None)
    with pytest.raises(DeviceError, match="EyeTrackerConnectionFailedError"):
        tobii.find_tracker(sdk, "tet-tcp://10.0.0.9")


def test_busy_tracker(sdk, unique_id: str) -> None:
    sdk.CONFIG.busy = True
    tracker = tobii.find_tracker(sdk, None)
    stop, state, t = run_driver(sdk, tracker, unique_id)
    t.join(timeout=10)
    assert isinstance(state.get("error"), DeviceError) and "busy" in str(state["error"])


def test_garbage_records(sdk, unique_id: str) -> None:
    sdk.CONFIG.garbage = True
    sdk.CONFIG.rate_hz = 1000.0
    tracker = tobii.find_tracker(sdk, None)
    stop, state, t = run_driver(sdk, tracker, unique_id)
    t.join(timeout=10)
    assert isinstance(state.get("error"), DeviceError) and "without a system_time_stamp" in str(
        state["error"]
    )


def test_lost_for_good(sdk, unique_id: str) -> None:
    tracker = tobii.find_tracker(sdk, None)
    gaze = Collector(unique_id)
    stop, state, t = run_driver(sdk, tracker, unique_id, reconnect_timeout_s=0.3)
    # lose the connection only once the driver listens for it (it is told to subscribers
    # present at that moment; under load the thread could subscribe after it: a flaky test)
    assert gaze.wait_ready() and gaze.wait_for(lambda c: len(c.samples) >= 5)
    gaze.close()
    tracker.lose_connection(30)
    t.join(timeout=10)
    assert isinstance(state.get("error"), DeviceError) and "did not come back" in str(
        state["error"]
    )
