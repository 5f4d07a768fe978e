"""Gazepoint driver against the fake Open Gaze server, real LSL on loopback."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from fakes.lslcollect import Collector
from fakes.opengaze import FakeOpenGazeServer

from gazemap.drivers import gazepoint
from gazemap.drivers._common import GazePublisher, StopCondition
from gazemap.errors import DeviceError
from gazemap.types import GAZE_CHANNEL_LABELS, ScreenGeometry, Validity

pytestmark = pytest.mark.integration
SCREEN = ScreenGeometry(1920, 1080, 531.0, 299.0, 650.0)
IX = GAZE_CHANNEL_LABELS.index("x_px")
IV = GAZE_CHANNEL_LABELS.index("validity")


class DriverThread:
    """Runs gazepoint.stream in a thread until stopped; keeps its error."""

    def __init__(self, port: int, source_id: str, reconnect_timeout_s: float = 5.0) -> None:
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.publisher: GazePublisher | None = None
        self.markers: Collector | None = None

        def factory(session):
            pub = GazePublisher("Gazepoint test", source_id, 150.0, SCREEN, "Gazepoint", "fake")
            return pub, SCREEN

        def target() -> None:
            try:
                self.publisher = gazepoint.stream(
                    "127.0.0.1",
                    port,
                    factory,
                    StopCondition(should_stop=self.stop.is_set),
                    reconnect_timeout_s,
                )
            except BaseException as exc:  # noqa: BLE001 - handed to the test
                self.error = exc

        self.thread = threading.Thread(target=target, daemon=True)
        self.thread.start()

    def finish(self) -> None:
        self.stop.set()
        self.thread.join(timeout=10)
        assert not self.thread.is_alive()


def test_streams_canonical_gaze_with_split_records_and_unknown_fields(unique_id: str) -> None:
    with FakeOpenGazeServer(rate_hz=150, split_records=True, unknown_fields=True) as srv:
        gaze = Collector(unique_id)
        markers = Collector(unique_id + "-markers")
        drv = DriverThread(srv.port, unique_id)
        assert gaze.wait_ready() and markers.wait_ready()
        assert gaze.wait_for(lambda c: len(c.samples) >= 60)
        assert markers.wait_for(
            lambda c: any("calibration/gazepoint" in s[0] for s in c.samples), 5
        )
        drv.finish()
        gaze.close()
        markers.close()
    assert drv.error is None
    info = gaze.info
    assert info.type() == "Gaze" and info.channel_count() == len(GAZE_CHANNEL_LABELS)
    ch = info.desc().child("channels").child("channel")
    assert ch.child_value("label") == "x_px"
    s = np.array(gaze.samples, dtype=float)
    # x sweeps 0.1..0.9 of the width; y is the screen middle
    finite = np.isfinite(s[:, IX])
    assert finite.all()
    assert np.all((s[:, IX] >= 0.1 * 1920 - 1) & (s[:, IX] <= 0.9 * 1920 + 1))
    assert np.allclose(s[:, GAZE_CHANNEL_LABELS.index("y_px")], 540.0, atol=0.1)
    right_bad = (s[:, IV].astype(int) & Validity.RIGHT_INVALID) != 0
    assert right_bad.any() and (~right_bad).any()
    assert np.isnan(s[right_bad, GAZE_CHANNEL_LABELS.index("right_pupil_mm")]).all()
    assert np.allclose(s[:, GAZE_CHANNEL_LABELS.index("left_pupil_mm")], 3.5, atol=1e-3)
    # timestamps on the LSL clock: increasing, ~1/150 s apart, within a few ms of receipt
    t = np.array(gaze.times)
    assert np.all(np.diff(t) > 0)
    assert np.median(np.diff(t)) == pytest.approx(1 / 150, rel=0.2)
    lat = np.array(gaze.received_at) - t
    assert np.median(lat) < 0.1 and lat.min() > -0.01
    # the enabled records were asked for, data started last
    assert any("ENABLE_SEND_POG_FIX" in c for c in srv.commands)
    assert "ENABLE_SEND_DATA" in srv.commands[-1] or any(
        "ENABLE_SEND_DATA" in c for c in srv.commands
    )
    assert any(s[0].startswith("calibration/gazepoint avg_error_px=21.5") for s in markers.samples)


def test_reconnects_after_dropped_socket_and_marks_the_gap(unique_id: str) -> None:
    with FakeOpenGazeServer(rate_hz=200) as srv:
        gaze = Collector(unique_id)
        markers = Collector(unique_id + "-markers")
        drv = DriverThread(srv.port, unique_id)
        assert gaze.wait_ready() and markers.wait_ready()
        assert gaze.wait_for(lambda c: len(c.samples) >= 20)
        srv.drop()
        ok = gaze.wait_for(
            lambda c: (
                sum(1 for x in c.samples if int(x[IV]) & Validity.GAP) >= 2 and len(c.samples) > 100
            ),
            10,
        )
        drv.finish()
        gaze.close()
        markers.close()
    assert drv.error is None
    assert ok, f"got {len(gaze.samples)} samples"
    assert srv.connections >= 2
    s = np.array(gaze.samples, dtype=float)
    gap_rows = np.flatnonzero(s[:, IV].astype(int) & Validity.GAP)
    assert len(gap_rows) == 2 and np.isnan(s[gap_rows, IX]).all()
    assert gap_rows[0] > 0 and gap_rows[1] < len(s) - 1  # samples before and after the gap
    values = [m[0] for m in markers.samples]
    assert "gazemap/gap/start" in values and "gazemap/gap/end" in values


def test_slow_sender_still_yields_whole_records(unique_id: str) -> None:
    with FakeOpenGazeServer(rate_hz=60, slow=True) as srv:
        gaze = Collector(unique_id)
        drv = DriverThread(srv.port, unique_id)
        assert gaze.wait_ready()
        assert gaze.wait_for(lambda c: len(c.samples) >= 20)
        drv.finish()
        gaze.close()
    assert drv.error is None
    s = np.array(gaze.samples, dtype=float)
    assert np.isfinite(s[:, IX]).all()


def test_absent_tracker_is_a_clear_error() -> None:
    with FakeOpenGazeServer() as srv:
        port = srv.port
    with pytest.raises(DeviceError, match="connection refused.*Gazepoint Control"):
        gazepoint.connect("127.0.0.1", port)


def test_busy_tracker_is_a_clear_error() -> None:
    with FakeOpenGazeServer(busy=True) as srv, pytest.raises(DeviceError, match="busy"):
        gazepoint.connect("127.0.0.1", srv.port)


def test_garbage_is_a_clear_error() -> None:
    with (
        FakeOpenGazeServer(garbage=True) as srv,
        pytest.raises(DeviceError, match="not Open Gaze API XML"),
    ):
        gazepoint.connect("127.0.0.1", srv.port)


def test_gives_up_when_reconnect_fails(unique_id: str) -> None:
    srv = FakeOpenGazeServer(rate_hz=100, drop_after=10)
    srv.__enter__()
    drv = DriverThread(srv.port, unique_id, reconnect_timeout_s=0.5)
    # close the server after the first connection so that re-connecting is refused
    deadline_ok = Collector(unique_id)
    deadline_ok.wait_for(lambda c: srv._dropped, 10)
    srv.close()
    drv.thread.join(timeout=10)
    deadline_ok.close()
    assert isinstance(drv.error, DeviceError)
    assert "could not re-connect" in str(drv.error)


def test_stop_while_the_tracker_is_away_ends_normally(unique_id: str) -> None:
    srv = FakeOpenGazeServer(rate_hz=100, drop_after=10)
    srv.__enter__()
    drv = DriverThread(srv.port, unique_id, reconnect_timeout_s=30)
    waiter = Collector(unique_id)
    assert waiter.wait_for(lambda c: srv._dropped, 10)
    srv.close()  # re-connecting is refused from now on
    drv.finish()  # stop requested during the re-connect attempts
    waiter.close()
    assert drv.error is None and drv.publisher is not None and drv.publisher.n_gaps >= 1


def test_refused_required_record_and_silent_server() -> None:
    with (
        FakeOpenGazeServer(nack=frozenset({"ENABLE_SEND_POG_FIX"})) as srv,
        pytest.raises(DeviceError, match="refused ENABLE_SEND_POG_FIX"),
    ):
        gazepoint.connect("127.0.0.1", srv.port)
    with (
        FakeOpenGazeServer(silent=True) as srv,
        pytest.raises(DeviceError, match="did not answer SET ENABLE_SEND_TIME"),
    ):
        gazepoint.connect("127.0.0.1", srv.port)


def test_optional_records_refused_by_older_firmware(unique_id: str) -> None:
    with FakeOpenGazeServer(nack=frozenset({"ENABLE_SEND_PUPILMM", "ENABLE_SEND_POG_BEST"})) as srv:
        session = gazepoint.connect("127.0.0.1", srv.port)
        assert (
            "ENABLE_SEND_PUPILMM" not in session.enabled
            and "ENABLE_SEND_POG_FIX" in session.enabled
        )
        assert session.tick_hz == 1.0e7 and session.screen_size == (1920, 1080)
        session.client.close()
