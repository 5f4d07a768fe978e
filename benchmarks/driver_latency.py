"""Benchmark: tracker → LSL latency of the drivers with the fake peers on loopback.

Prints JSON. For each driver a fake tracker generates samples and notes the LSL-clock time of
each; the driver converts and publishes them; an LSL inlet in this process pulls with
``pull_sample(timeout=0)`` (sleeping 0.2 ms when empty) and notes when each sample arrived.
Latency = arrival − generation (p50/p99/max, ms). The sample's LSL timestamp error
(driver timestamp − generation time) shows how well the driver maps the tracker clock.

Peer in the same run: a plain pylsl outlet pushing the same rate directly (no tracker, no
driver) — the floor set by LSL itself.

    python benchmarks/driver_latency.py [--seconds 5] [--rate-hz 150]

The fake servers live in tests/fakes (run from the repository root).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import uuid
from pathlib import Path

import numpy as np
import pylsl

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fakes.opengaze import FakeOpenGazeServer  # noqa: E402
from fakes.pupil import FakePupilCapture  # noqa: E402

from gazemap.drivers import gazepoint, pupil_core  # noqa: E402
from gazemap.drivers._common import GazePublisher, StopCondition  # noqa: E402
from gazemap.types import ScreenGeometry  # noqa: E402

SCREEN = ScreenGeometry(1920, 1080, 531.0, 299.0, 650.0)


class Puller:
    def __init__(self, source_id: str) -> None:
        self.source_id = source_id
        self.times: list[float] = []
        self.arrived: list[float] = []
        self.stop = threading.Event()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        found = []
        while not found and not self.stop.is_set():
            found = pylsl.resolve_byprop("source_id", self.source_id, 1, 0.5)
        inlet = pylsl.StreamInlet(found[0], max_buflen=60)
        inlet.open_stream(timeout=5)
        self.ready.set()
        while not self.stop.is_set():
            try:
                s, t = inlet.pull_sample(timeout=0.0)
            except pylsl.util.LostError:
                break
            if t is None:
                time.sleep(0.0002)
                continue
            self.arrived.append(pylsl.local_clock())
            self.times.append(t)


def summarise(gen: np.ndarray, p: Puller) -> dict[str, float | int]:
    t = np.asarray(p.times)
    arr = np.asarray(p.arrived)
    gen = np.sort(gen)
    # each published sample is the generated one whose time is nearest its timestamp
    i = np.clip(np.searchsorted(gen, t), 1, len(gen) - 1)
    i = np.where(np.abs(gen[i - 1] - t) < np.abs(gen[i] - t), i - 1, i)
    lat_ms = (arr - gen[i]) * 1000
    ts_err_ms = (t - gen[i]) * 1000
    return {
        "samples": len(t),
        "latency_p50_ms": round(float(np.percentile(lat_ms, 50)), 3),
        "latency_p99_ms": round(float(np.percentile(lat_ms, 99)), 3),
        "latency_max_ms": round(float(lat_ms.max()), 3),
        "timestamp_error_p50_ms": round(float(np.percentile(ts_err_ms, 50)), 3),
        "timestamp_error_p99_abs_ms": round(float(np.percentile(np.abs(ts_err_ms), 99)), 3),
    }


def run_gazepoint(seconds: float, rate_hz: float) -> dict[str, float | int]:
    sid = f"bench-gp-{uuid.uuid4().hex[:8]}"
    stop = threading.Event()
    with FakeOpenGazeServer(rate_hz=rate_hz) as srv:
        puller = Puller(sid)

        def factory(session: object) -> tuple[GazePublisher, ScreenGeometry]:
            return GazePublisher("bench", sid, rate_hz, SCREEN, "Gazepoint", "fake"), SCREEN

        th = threading.Thread(
            target=gazepoint.stream,
            args=("127.0.0.1", srv.port, factory, StopCondition(should_stop=stop.is_set)),
            daemon=True,
        )
        th.start()
        puller.ready.wait(15)
        time.sleep(seconds)  # measuring for a fixed time is the point of a benchmark
        stop.set()
        th.join(10)
        puller.stop.set()
        puller.thread.join(5)
        gen = np.array([t for _, t in srv.sent])
    return summarise(gen, puller)


def run_pupil(seconds: float, rate_hz: float) -> dict[str, float | int]:
    sid = f"bench-pc-{uuid.uuid4().hex[:8]}"
    stop = threading.Event()
    with FakePupilCapture(rate_hz=rate_hz) as cap:
        puller = Puller(sid)
        pub = GazePublisher("bench", sid, rate_hz, SCREEN, "Pupil Labs", "fake")
        th = threading.Thread(
            target=pupil_core.stream,
            args=("127.0.0.1", cap.port, pub, StopCondition(should_stop=stop.is_set), "screen"),
            daemon=True,
        )
        th.start()
        puller.ready.wait(15)
        time.sleep(seconds)
        stop.set()
        th.join(10)
        puller.stop.set()
        puller.thread.join(5)
        gen = np.array([t for _, t in cap.sent])
    return summarise(gen, puller)


def run_plain_lsl(seconds: float, rate_hz: float) -> dict[str, float | int]:
    sid = f"bench-lsl-{uuid.uuid4().hex[:8]}"
    info = pylsl.StreamInfo("bench", "Gaze", 9, rate_hz, pylsl.cf_float32, sid)
    outlet = pylsl.StreamOutlet(info)
    puller = Puller(sid)
    puller.ready.wait(15)
    gen = []
    end = time.monotonic() + seconds
    nxt = time.monotonic()
    while time.monotonic() < end:
        now = time.monotonic()
        if now < nxt:
            time.sleep(min(nxt - now, 0.001))
            continue
        nxt += 1.0 / rate_hz
        t = pylsl.local_clock()
        outlet.push_sample([0.0] * 9, t)
        gen.append(t)
    time.sleep(0.1)
    puller.stop.set()
    puller.thread.join(5)
    return summarise(np.array(gen), puller)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--seconds", type=float, default=5.0, help="measuring time per driver (default 5)"
    )
    ap.add_argument(
        "--rate-hz", type=float, default=150.0, help="tracker rate (default 150, GP3 HD)"
    )
    args = ap.parse_args()
    out = {
        "benchmark": "driver_latency",
        "seconds": args.seconds,
        "rate_hz": args.rate_hz,
        "plain_lsl_peer": run_plain_lsl(args.seconds, args.rate_hz),
        "gazepoint_open_gaze_tcp": run_gazepoint(args.seconds, args.rate_hz),
        "pupil_core_zmq_surface": run_pupil(args.seconds, args.rate_hz),
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
