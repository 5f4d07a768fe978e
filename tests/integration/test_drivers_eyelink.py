"""EyeLink driver against a stand-in pylink module (sys.modules), real LSL on loopback."""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest
from fakes import pylink as fake_pylink
from fakes.lslcollect import Collector

from gazemap.drivers import eyelink
from gazemap.drivers._common import GazePublisher, StopCondition
from gazemap.errors import DeviceError
from gazemap.types import GAZE_CHANNEL_LABELS, ScreenGeometry, Validity

pytestmark = pytest.mark.integration
SCREEN = ScreenGeometry(1920, 1080, 531.0, 299.0, 650.0)
C = {name: i for i, name in enumerate(GAZE_CHANNEL_LABELS)}


@pytest.fixture
def pl(monkeypatch: pytest.MonkeyPatch):
    fake_pylink.reset()
    monkeypatch.setitem(sys.modules, "pylink", fake_pylink)
    return fake_pylink


def run_driver(pylink, unique_id: str, address="100.1.1.1", **kw):
    stop = threading.Event()
    state: dict = {}
    pub = GazePublisher("EyeLink test", unique_id, 500.0, SCREEN, "SR Research", "fake")

    def target() -> None:
        try:
            eyelink.stream(pylink, address, pub, StopCondition(should_stop=stop.is_set), **kw)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            state["error"] = exc

    t = threading.Thread(target=target, daemon=True)
    t.start()
    return stop, state, t


def test_link_samples_to_lsl(pl, unique_id: str) -> None:
    pylink = eyelink.load_pylink()
    gaze = Collector(unique_id)
    markers = Collector(unique_id + "-markers")
    stop, state, t = run_driver(pylink, unique_id, pupil_mm_per_unit=0.002)
    assert gaze.wait_ready() and markers.wait_ready()
    assert gaze.wait_for(lambda c: len(c.samples) >= 200)
    assert markers.wait_for(lambda c: any("calibration/eyelink" in m[0] for m in c.samples), 5)
    stop.set()
    t.join(timeout=10)
    gaze.close()
    markers.close()
    assert "error" not in state
    el = pl.CONFIG.instances[0]
    assert "screen_pixel_coords = 0 0 1919 1079" in el.commands
    assert el.messages == ["DISPLAY_COORDS 0 0 1919 1079"]
    s = np.array(gaze.samples, dtype=float)
    v = s[:, C["validity"]].astype(int)
    lost = (v & Validity.RIGHT_INVALID) != 0
    assert lost.any() and (~lost).any()
    assert np.isnan(s[lost, C["right_x_px"]]).all()
    assert np.allclose(s[lost, C["x_px"]], s[lost, C["left_x_px"]])
    assert np.allclose(s[:, C["y_px"]], 300.0)
    assert np.allclose(s[:, C["left_pupil_mm"]], 3.0, atol=1e-4)
    t_lsl = np.array(gaze.times)
    assert np.median(np.diff(t_lsl)) == pytest.approx(0.002, rel=0.05)
    sent = np.array(pl.CONFIG.sent)
    true = dict(zip(sent[:, 0], sent[:, 1], strict=True))
    err = [
        min(abs(t_lsl[k] - x) for x in list(true.values())[-3000:])
        for k in range(0, len(t_lsl), 20)
    ]
    assert np.median(err) < 0.01
    assert "calibration/eyelink !CAL VALIDATION" in markers.samples[0][0]


def test_pupil_stays_nan_without_a_scale(pl, unique_id: str) -> None:
    gaze = Collector(unique_id)
    stop, state, t = run_driver(pl, unique_id)
    assert gaze.wait_ready() and gaze.wait_for(lambda c: len(c.samples) >= 20)
    stop.set()
    t.join(timeout=10)
    gaze.close()
    assert np.isnan(np.array(gaze.samples, dtype=float)[:, C["left_pupil_mm"]]).all()


def test_dropped_link_is_reopened_with_a_gap(pl, unique_id: str) -> None:
    gaze = Collector(unique_id)
    stop, state, t = run_driver(pl, unique_id)
    assert gaze.wait_ready() and gaze.wait_for(lambda c: len(c.samples) >= 50)
    pl.CONFIG.instances[0].drop()
    ok = gaze.wait_for(
        lambda c: (
            sum(1 for x in c.samples if int(x[C["validity"]]) & Validity.GAP) == 2
            and not int(c.samples[-1][C["validity"]]) & Validity.GAP
        ),
        10,
    )
    stop.set()
    t.join(timeout=10)
    gaze.close()
    assert "error" not in state and ok and len(pl.CONFIG.instances) == 2


def test_absent_busy_garbage_and_missing(
    pl, unique_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pl.CONFIG.absent = True
    with pytest.raises(DeviceError, match="cannot connect to the EyeLink Host PC at 100.1.1.1"):
        eyelink.connect(pl, "100.1.1.1", SCREEN)
    pl.CONFIG.absent = False
    pl.CONFIG.busy = True
    with pytest.raises(DeviceError, match="busy"):
        eyelink.connect(pl, "100.1.1.1", SCREEN)
    pl.CONFIG.busy = False
    pl.CONFIG.garbage = True
    pl.CONFIG.rate_hz = 5000.0
    stop, state, t = run_driver(pl, unique_id)
    t.join(timeout=10)
    assert isinstance(state.get("error"), DeviceError) and "without a time" in str(state["error"])
    monkeypatch.setitem(sys.modules, "pylink", None)
    with pytest.raises(DeviceError, match="sr-research-pylink"):
        eyelink.load_pylink()
    import types

    monkeypatch.setitem(sys.modules, "pylink", types.ModuleType("pylink"))
    with pytest.raises(DeviceError, match="unrelated project"):
        eyelink.load_pylink()
