"""Pupil Core driver: Pupil Remote (ZeroMQ) + surface-mapped gaze to canonical LSL gaze.

Pupil Capture's Pupil Remote plugin answers requests on a ZeroMQ REQ/REP socket (default
port 50020): ``SUB_PORT`` gives the port of the IPC backbone's publisher, ``t`` the current
Pupil time (s). The driver subscribes to ``gaze.`` (pupil diameters, confidence) and
``surfaces.`` (gaze mapped onto a surface by the Surface Tracker plugin). Payloads are
msgpack maps.

The screen is a surface: define one covering the monitor in Pupil Capture's Surface Tracker
(name it e.g. ``screen``) and pass ``--surface screen``. Surface ``norm_pos`` has its origin at
the bottom-left, so ``x_px = x × width``, ``y_px = (1 − y) × height``. Gaze below
``--min-confidence`` (default 0.6, Pupil Labs' recommendation) is invalid; gaze off the
surface is flagged OFF_SCREEN. Pupil diameters are the ``diameter_3d`` (mm) of the pupil
datums in the gaze datum's ``base_data`` (eye 0 = right eye, eye 1 = left eye).

Pupil time is mapped to the LSL clock by asking Pupil Remote for ``t`` and taking the
mid-point of the request (the offset of the fastest of several round trips, re-measured
every few seconds).
"""

from __future__ import annotations

import argparse
import math
import time
from collections import OrderedDict
from typing import Any

from gazemap.drivers import _common
from gazemap.drivers._common import ClockMapper, GazePublisher, StopCondition, gaze_row
from gazemap.errors import DeviceError
from gazemap.types import ScreenGeometry, Validity

DESCRIPTION = (
    "Pupil Labs Pupil Core via Pupil Remote (ZeroMQ, default 127.0.0.1:50020) and a screen surface"
)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 50020
MIN_CONFIDENCE = 0.6
#: a step of Pupil time this much off the time that passed here is a clock jump (s)
JUMP_S = 1.0


class PupilRemote:
    """REQ client of Pupil Remote; every request has a timeout (a dead REQ socket is replaced)."""

    def __init__(self, host: str, port: int, timeout_s: float = 2.0) -> None:
        import zmq

        self.zmq = zmq
        self.ctx: Any = zmq.Context.instance()
        self.host, self.port, self.timeout_s = host, port, timeout_s
        self.where = f"Pupil Remote at tcp://{host}:{port}"
        self.sock: Any = None
        self._open()

    def _open(self) -> None:
        if self.sock is not None:
            self.sock.close(linger=0)
        self.sock = self.ctx.socket(self.zmq.REQ)
        self.sock.setsockopt(self.zmq.LINGER, 0)
        self.sock.connect(f"tcp://{self.host}:{self.port}")

    def request(self, text: str) -> str:
        self.sock.send_string(text)
        if not self.sock.poll(int(self.timeout_s * 1000)):
            self._open()
            raise DeviceError(
                f"no answer from the {self.where} to {text!r} within {self.timeout_s:.1f} s. Start Pupil "
                "Capture with the Pupil Remote plugin enabled, or pass the right --host/--port."
            )
        reply = self.sock.recv()
        try:
            return str(reply.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise DeviceError(
                f"the {self.where} answered {reply[:40]!r}, not text: is this Pupil Remote?"
            ) from exc

    def sub_port(self) -> int:
        reply = self.request("SUB_PORT")
        try:
            port = int(reply)
        except ValueError as exc:
            raise DeviceError(
                f"the {self.where} answered SUB_PORT with {reply[:40]!r}, not a port number: is this Pupil Remote?"
            ) from exc
        if not 0 < port < 65536:
            raise DeviceError(f"the {self.where} gave SUB_PORT {port}, not a valid port.")
        return port

    def time_offset(self, tries: int = 5) -> float:
        """LSL minus Pupil time (s), from the fastest of ``tries`` ``t`` requests."""
        from gazemap.acquisition.lsl import local_clock

        best: tuple[float, float] | None = None
        for _ in range(tries):
            t0 = local_clock()
            reply = self.request("t")
            t1 = local_clock()
            try:
                pupil_t = float(reply)
            except ValueError as exc:
                raise DeviceError(
                    f"the {self.where} answered 't' with {reply[:40]!r}, not a time."
                ) from exc
            if not math.isfinite(pupil_t):
                raise DeviceError(
                    f"the {self.where} answered 't' with {reply!r}, not a finite time."
                )
            rtt = t1 - t0
            if best is None or rtt < best[0]:
                best = (rtt, 0.5 * (t0 + t1) - pupil_t)
        assert best is not None
        return best[1]

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close(linger=0)
            self.sock = None


def _unpack(payload: bytes) -> dict[str, Any] | None:
    import msgpack

    try:
        msg = msgpack.unpackb(payload, raw=False)
    except (ValueError, msgpack.ExtraData, msgpack.FormatError, msgpack.StackError):
        return None
    return msg if isinstance(msg, dict) else None


def pupil_diameters_mm(gaze_datum: dict[str, Any]) -> tuple[float, float]:
    """(left, right) ``diameter_3d`` in mm from a gaze datum's base_data (NaN when absent)."""
    left = right = math.nan
    for p in gaze_datum.get("base_data") or ():
        if not isinstance(p, dict):
            continue
        d = p.get("diameter_3d")
        if not isinstance(d, int | float) or not math.isfinite(d) or d <= 0:
            continue
        if p.get("id") == 1:
            left = float(d)
        elif p.get("id") == 0:
            right = float(d)
    return left, right


def surface_gaze_to_row(
    g: dict[str, Any],
    screen: ScreenGeometry,
    pupils: tuple[float, float] = (math.nan, math.nan),
    min_confidence: float = MIN_CONFIDENCE,
) -> list[float] | None:
    """Canonical row from one ``gaze_on_surfaces`` entry (None if it is not a gaze datum)."""
    pos = g.get("norm_pos")
    if not isinstance(pos, list | tuple) or len(pos) != 2:
        return None
    try:
        x, y = float(pos[0]), float(pos[1])
        conf = float(g.get("confidence", 1.0))
    except (TypeError, ValueError):
        return None
    lp, rp = pupils
    validity = 0
    if not (math.isfinite(x) and math.isfinite(y)) or not conf >= min_confidence:
        return gaze_row(
            left_pupil_mm=lp,
            right_pupil_mm=rp,
            validity=int(Validity.LEFT_INVALID | Validity.RIGHT_INVALID),
        )
    x_px = x * screen.width_px
    y_px = (1.0 - y) * screen.height_px
    if g.get("on_surf") is False:
        validity |= Validity.OFF_SCREEN
    # a monocular gaze datum: the other eye was not seen (no diameter at all = not known)
    if math.isnan(lp) and not math.isnan(rp):
        validity |= Validity.LEFT_INVALID
    if math.isnan(rp) and not math.isnan(lp):
        validity |= Validity.RIGHT_INVALID
    return gaze_row(x_px, y_px, left_pupil_mm=lp, right_pupil_mm=rp, validity=int(validity))


def _gaze_timestamp(g: dict[str, Any]) -> float | None:
    bd = g.get("base_data")
    if isinstance(bd, list | tuple) and len(bd) == 2 and isinstance(bd[1], int | float):
        return float(bd[1])
    ts = g.get("timestamp")
    return float(ts) if isinstance(ts, int | float) else None


class PupilStream:
    """Subscriber to one Pupil Capture; turns surface events into canonical rows."""

    def __init__(
        self, host: str, port: int, surface: str | None, min_confidence: float = MIN_CONFIDENCE
    ) -> None:
        import zmq

        self.zmq = zmq
        self.remote = PupilRemote(host, port)
        self.surface = surface
        self.min_confidence = min_confidence
        self.sub: Any = None
        self._recent: OrderedDict[float, tuple[float, float]] = OrderedDict()
        self.last_ts = -math.inf
        #: time.monotonic() when the gaze at last_ts was taken in
        self._last_mono = 0.0
        #: Pupil-clock jumps seen by the last poll: (index into its result from which the
        #: new clock applies, jump in s, negative: back)
        self.jumps: list[tuple[int, float]] = []
        self.n_garbage = 0
        self.connect()

    def connect(self) -> None:
        port = self.remote.sub_port()
        if self.sub is not None:
            self.sub.close(linger=0)
        self.sub = self.remote.ctx.socket(self.zmq.SUB)
        self.sub.setsockopt(self.zmq.LINGER, 0)
        self.sub.connect(f"tcp://{self.remote.host}:{port}")
        self.sub.setsockopt_string(self.zmq.SUBSCRIBE, "gaze.")
        self.sub.setsockopt_string(self.zmq.SUBSCRIBE, "surfaces.")

    def close(self) -> None:
        if self.sub is not None:
            self.sub.close(linger=0)
        self.remote.close()

    def poll(
        self, screen: ScreenGeometry, timeout_s: float = 0.1
    ) -> list[tuple[float, list[float]]]:
        """(Pupil time, row) of every new surface gaze received within ``timeout_s``."""
        out: list[tuple[float, list[float]]] = []
        self.jumps = []
        if not self.sub.poll(int(timeout_s * 1000)):
            return out
        while True:
            try:
                frames = self.sub.recv_multipart(flags=self.zmq.NOBLOCK)
            except self.zmq.Again:
                return out
            if len(frames) < 2:
                self.n_garbage += 1
                continue
            topic = frames[0].decode("utf-8", errors="replace")
            msg = _unpack(frames[1])
            if msg is None:
                self.n_garbage += 1
                continue
            if topic.startswith("gaze."):
                ts = msg.get("timestamp")
                if isinstance(ts, int | float):
                    self._recent[float(ts)] = pupil_diameters_mm(msg)
                    while len(self._recent) > 2000:
                        self._recent.popitem(last=False)
            elif topic.startswith("surfaces."):
                name = msg.get("name", topic[len("surfaces.") :])
                if self.surface is None:
                    self.surface = str(name)
                if name != self.surface:
                    continue
                for g in msg.get("gaze_on_surfaces") or ():
                    if not isinstance(g, dict):
                        continue
                    ts = _gaze_timestamp(g)
                    if ts is None or not math.isfinite(ts):
                        continue
                    mono = time.monotonic()
                    if math.isfinite(self.last_ts):
                        # Pupil time against the time that passed here: a step of more
                        # than JUMP_S is the clock set (Capture restarted, `T` sent), not
                        # jitter. A jump back used to make every later datum look stale
                        step = (ts - self.last_ts) - (mono - self._last_mono)
                        if ts < self.last_ts - JUMP_S or step > JUMP_S:
                            self.jumps.append((len(out), step))
                            self.last_ts = -math.inf
                    if ts <= self.last_ts:
                        continue  # already taken (a datum in two surface events)
                    row = surface_gaze_to_row(
                        g, screen, self._recent.get(ts, (math.nan, math.nan)), self.min_confidence
                    )
                    if row is None:
                        continue
                    self.last_ts, self._last_mono = ts, mono
                    out.append((ts, row))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    _common.add_common_arguments(parser, "Pupil Core")
    _common._add(parser, "--host", default=None, help=f"Pupil Remote host (default {DEFAULT_HOST})")
    _common._add(
        parser, "--port", type=int, default=None, help=f"Pupil Remote port (default {DEFAULT_PORT})"
    )
    _common._add(
        parser,
        "--surface",
        default=None,
        help="Surface Tracker surface that is the screen (default: the first seen)",
    )
    _common._add(
        parser,
        "--min-confidence",
        type=float,
        default=None,
        help=f"gaze below this is invalid (default {MIN_CONFIDENCE})",
    )
    _common._add(
        parser,
        "--silence-s",
        type=float,
        default=None,
        help="no surface gaze for this long = connection lost (default 2)",
    )


def stream(
    host: str,
    port: int,
    publisher: GazePublisher,
    stop: StopCondition,
    surface: str | None = None,
    min_confidence: float = MIN_CONFIDENCE,
    silence_s: float = 2.0,
    reconnect_timeout_s: float = 10.0,
    resync_s: float = 5.0,
) -> GazePublisher:
    """Publish surface gaze until ``stop``; a silence longer than ``silence_s`` is a gap."""
    from gazemap.acquisition.lsl import local_clock

    ps = PupilStream(host, port, surface, min_confidence)
    clock = ClockMapper()
    try:
        clock.set_offset(ps.remote.time_offset())
        next_sync = time.monotonic() + resync_s
        last_data = time.monotonic()
        in_gap = False
        gap_since = 0.0
        while not stop.done(publisher.n_samples):
            items = ps.poll(publisher.screen)
            now = time.monotonic()
            if items:
                if in_gap:
                    publisher.gap_end(local_clock())
                    in_gap = False
                last_data = now
                jumps = dict(ps.jumps)
                for k, (ts, row) in enumerate(items):
                    if k in jumps:  # the Pupil clock was set: measure its offset again
                        clock.set_offset(ps.remote.time_offset())
                        publisher.clock_jump(jumps[k], local_clock())
                        next_sync = now + resync_s
                    publisher.push(row, clock.to_lsl(ts))
            elif not in_gap and now - last_data > silence_s:
                publisher.gap_start(local_clock())
                in_gap, gap_since = True, now
            if in_gap:
                if now - gap_since > reconnect_timeout_s:
                    raise DeviceError(
                        f"no gaze on surface {ps.surface or '(any)'} from Pupil Capture at {host}:{port} for "
                        f"{now - last_data:.0f} s. Check that Pupil Capture runs, the surface is detected "
                        "and --surface names it."
                    )
                try:  # Capture may have been restarted: ask for the (new) SUB port again
                    ps.connect()
                    clock.set_offset(ps.remote.time_offset())
                except DeviceError:
                    pass
            elif now >= next_sync:
                clock.set_offset(ps.remote.time_offset(tries=3))
                next_sync = now + resync_s
    finally:
        ps.close()
    return publisher


def run(args: argparse.Namespace) -> int:
    profile = _common.load_profile(getattr(args, "profile", None), "pupil_core")
    host = str(_common.option(args, profile, "host", DEFAULT_HOST))
    port = int(_common.option(args, profile, "port", DEFAULT_PORT))
    screen = _common.screen_from(args, profile)
    name = _common.option(args, profile, "name", "Pupil Core")
    source_id = _common.option(args, profile, "source_id", f"pupil-core-{host}-{port}")
    rate_hz = float(profile.get("sample_rate_hz", 200.0))
    # probe before creating outlets so that an absent tracker fails fast with one line
    probe = PupilRemote(host, port)
    try:
        probe.sub_port()
    finally:
        probe.close()
    pub = GazePublisher(
        name, source_id, rate_hz, screen, "Pupil Labs", str(profile.get("model", "Pupil Core"))
    )
    stream(
        host,
        port,
        pub,
        StopCondition.from_args(args),
        _common.option(args, profile, "surface", None),
        float(_common.option(args, profile, "min_confidence", MIN_CONFIDENCE)),
        float(_common.option(args, profile, "silence_s", 2.0)),
        float(getattr(args, "reconnect_timeout_s", 10.0) or 0.0),
    )
    print(f"gazemap stream pupil_core: published {pub.n_samples} samples, {pub.n_gaps} gap(s)")
    return 0
