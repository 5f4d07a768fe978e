"""A fake Pupil Capture on loopback: Pupil Remote (REP) + IPC publisher (PUB), msgpack payloads.

Pupil time runs ``time_offset_s`` behind the LSL clock of this machine so tests can check
the clock mapping. Gaze datums (``gaze.3d.01.``) are published at ``rate_hz``; at every world
frame (``world_hz``) a ``surfaces.<surface>`` event carries the gaze since the last frame in
surface coordinates (origin bottom-left). ``stall()`` stops publishing for a while.
"""

from __future__ import annotations

import threading
import time

import msgpack
import pylsl
import zmq


def surface_pos(i: int) -> tuple[float, float]:
    """Surface-normalised gaze of datum i: x sweeps 0.1..0.9, y = 0.25 (lower quarter)."""
    return 0.1 + 0.8 * ((i % 100) / 100.0), 0.25


class FakePupilCapture:
    def __init__(
        self,
        rate_hz: float = 200.0,
        world_hz: float = 30.0,
        surface: str = "screen",
        time_offset_s: float = 12345.678,
        garbage_remote: bool = False,
    ) -> None:
        self.rate_hz, self.world_hz, self.surface = rate_hz, world_hz, surface
        self.time_offset_s = time_offset_s
        self.garbage_remote = garbage_remote
        self.ctx = zmq.Context()
        self.rep = self.ctx.socket(zmq.REP)
        self.port = self.rep.bind_to_random_port("tcp://127.0.0.1")
        self.pub = self.ctx.socket(zmq.PUB)
        self.sub_port = self.pub.bind_to_random_port("tcp://127.0.0.1")
        self._stop = threading.Event()
        self._stall_until = 0.0
        self.sent: list[tuple[float, float]] = []  # (pupil timestamp, LSL time at generation)
        self.requests: list[str] = []
        self._threads = [
            threading.Thread(target=self._remote, daemon=True),
            threading.Thread(target=self._publish, daemon=True),
        ]

    def pupil_time(self) -> float:
        return pylsl.local_clock() - self.time_offset_s

    def __enter__(self) -> FakePupilCapture:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=3)
        self.rep.close(linger=0)
        self.pub.close(linger=0)
        self.ctx.term()

    def stall(self, seconds: float) -> None:
        self._stall_until = time.monotonic() + seconds

    def _remote(self) -> None:
        while not self._stop.is_set():
            if not self.rep.poll(50):
                continue
            req = self.rep.recv().decode()
            self.requests.append(req)
            if self.garbage_remote:
                self.rep.send(b"\xff\xfe garbage")
            elif req == "SUB_PORT":
                self.rep.send_string(str(self.sub_port))
            elif req == "t":
                self.rep.send_string(repr(self.pupil_time()))
            else:
                self.rep.send_string("Unknown command.")

    def _publish(self) -> None:
        i = 0
        pending: list[dict] = []
        next_gaze = next_frame = time.monotonic()
        while not self._stop.is_set():
            now = time.monotonic()
            if now < self._stall_until:
                time.sleep(0.005)
                next_gaze = next_frame = time.monotonic()
                pending.clear()
                continue
            if now >= next_gaze:
                t_lsl = pylsl.local_clock()
                ts = t_lsl - self.time_offset_s
                conf = 0.3 if i % 25 == 0 else 0.95
                base = [
                    {
                        "topic": "pupil.0.3d",
                        "id": 0,
                        "confidence": conf,
                        "timestamp": ts,
                        "diameter_3d": 3.1,
                        "diameter": 30.0,
                    },
                    {
                        "topic": "pupil.1.3d",
                        "id": 1,
                        "confidence": conf,
                        "timestamp": ts,
                        "diameter_3d": 3.3,
                        "diameter": 31.0,
                    },
                ]
                datum = {
                    "topic": "gaze.3d.01.",
                    "norm_pos": [0.5, 0.5],
                    "confidence": conf,
                    "timestamp": ts,
                    "base_data": base,
                }
                self.pub.send_multipart([b"gaze.3d.01.", msgpack.packb(datum, use_bin_type=True)])
                x, y = surface_pos(i)
                pending.append(
                    {
                        "topic": "gaze.3d.01._on_surface",
                        "norm_pos": [x, y],
                        "confidence": conf,
                        "on_surf": True,
                        "base_data": ["gaze.3d.01.", ts],
                        "timestamp": ts,
                    }
                )
                self.sent.append((ts, t_lsl))
                i += 1
                next_gaze += 1.0 / self.rate_hz
            if now >= next_frame:
                if pending:
                    ev = {
                        "topic": f"surfaces.{self.surface}",
                        "name": self.surface,
                        "uid": "1",
                        "gaze_on_surfaces": pending,
                        "fixations_on_surfaces": [],
                        "timestamp": pending[-1]["timestamp"],
                    }
                    self.pub.send_multipart(
                        [f"surfaces.{self.surface}".encode(), msgpack.packb(ev, use_bin_type=True)]
                    )
                    other = dict(
                        ev,
                        name="other",
                        topic="surfaces.other",
                        gaze_on_surfaces=[dict(pending[0], norm_pos=[9.0, 9.0])],
                    )
                    self.pub.send_multipart(
                        [b"surfaces.other", msgpack.packb(other, use_bin_type=True)]
                    )
                    pending = []
                self.pub.send_multipart([b"surfaces.junk", b"\xc1not msgpack"])
                next_frame += 1.0 / self.world_hz
            time.sleep(0.0005)
