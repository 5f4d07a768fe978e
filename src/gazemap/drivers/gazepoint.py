"""Gazepoint (GP3 family) driver: the Open Gaze API over TCP to canonical LSL gaze.

Gazepoint Control serves the Open Gaze API (XML tags, one per line, ``\\r\\n``) on TCP port
4242. The driver enables the data records it needs with ``<SET ID="ENABLE_SEND_…" STATE="1"
/>``, queries ``TIME_TICK_FREQUENCY``, ``SCREEN_SIZE`` and ``CALIB_RESULT_SUMMARY``, starts the
stream with ``ENABLE_SEND_DATA`` and converts every ``<REC …/>`` record:

- ``BPOGX/BPOGY`` (best point of gaze; ``FPOGX/FPOGY``, the fixation-filtered point, when
  the best point is not sent), ``LPOGX/Y``, ``RPOGX/Y``: fractions of the screen, origin
  top-left → screen px (× width/height).
- ``LPMM``/``RPMM`` (pupil diameter in mm, with ``LPMMV``/``RPMMV`` valid flags).
- ``FPOGV``/``BPOGV``, ``LPOGV``, ``RPOGV``: valid flags → ``Validity`` bits.
- ``TIME_TICK`` / ``TIME_TICK_FREQUENCY`` (the tracker PC's high-resolution counter) or
  ``TIME`` (s since the server started) → LSL clock via :class:`ClockMapper`.

Unknown fields are ignored; a record split across socket reads is joined. A dropped
socket is re-connected (the gap is published as a GAP-flagged sample and markers).
"""

from __future__ import annotations

import argparse
import math
import re
import socket
import sys
import time
from collections import deque
from typing import Any

from gazemap.drivers import _common
from gazemap.drivers._common import ClockMapper, GazePublisher, StopCondition, gaze_row
from gazemap.errors import DeviceError
from gazemap.types import ScreenGeometry, Validity

DESCRIPTION = "Gazepoint GP3 / GP3 HD via the Open Gaze API (TCP, default 127.0.0.1:4242)"

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4242

#: data records enabled before ENABLE_SEND_DATA; (id, required)
ENABLE_IDS: tuple[tuple[str, bool], ...] = (
    ("ENABLE_SEND_TIME", True),
    ("ENABLE_SEND_TIME_TICK", False),
    ("ENABLE_SEND_COUNTER", False),
    ("ENABLE_SEND_POG_FIX", True),
    ("ENABLE_SEND_POG_BEST", False),
    ("ENABLE_SEND_POG_LEFT", False),
    ("ENABLE_SEND_POG_RIGHT", False),
    ("ENABLE_SEND_PUPIL_LEFT", False),
    ("ENABLE_SEND_PUPIL_RIGHT", False),
    ("ENABLE_SEND_PUPILMM", False),
)

_TAG = re.compile(rb"<\s*([A-Za-z]+)\b([^<>]*?)/\s*>")
_ATTR = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"([^"]*)"')
_MAX_BUFFER = 1 << 16


class OpenGazeParser:
    """Turns a byte stream into ``(tag, {attribute: value})`` messages.

    Bytes after the last complete tag are kept for the next :meth:`feed` (records split
    across reads). Text that is not an Open Gaze tag is counted in ``garbage_bytes``; if
    nothing valid has come yet, or the buffer grows past 64 KiB without a tag, it raises
    DeviceError.
    """

    def __init__(self, where: str = "") -> None:
        self.where = where
        self._buf = b""
        self.n_messages = 0
        self.garbage_bytes = 0
        self.last_junk = b""

    def feed(self, data: bytes) -> list[tuple[str, dict[str, str]]]:
        buf = self._buf + data
        out: list[tuple[str, dict[str, str]]] = []
        pos = 0
        for m in _TAG.finditer(buf):
            junk = buf[pos : m.start()].strip()
            if junk:
                self._junk(junk)
            tag = m.group(1).decode("ascii").upper()
            attrs = dict(_ATTR.findall(m.group(2).decode("utf-8", errors="replace")))
            out.append((tag, attrs))
            self.n_messages += 1
            pos = m.end()
        rest = buf[pos:]
        # keep only from the last '<' on: anything before it can never become a tag
        lt = rest.rfind(b"<")
        if lt < 0:
            if rest.strip():
                self._junk(rest.strip())
            rest = b""
        elif lt > 0:
            if rest[:lt].strip():
                self._junk(rest[:lt].strip())
            rest = rest[lt:]
        if len(rest) > _MAX_BUFFER:
            raise DeviceError(
                f"{self.where}: {len(rest)} bytes without a complete Open Gaze tag "
                f"(starts {rest[:40]!r}). This is not an Open Gaze API server; check --host/--port."
            )
        self._buf = rest
        return out

    def _junk(self, junk: bytes) -> None:
        self.garbage_bytes += len(junk)
        self.last_junk = junk
        if self.n_messages == 0:
            raise DeviceError(
                f"{self.where}: the server sent {junk[:40]!r}, not Open Gaze API XML (<ACK …/>, "
                "<REC …/>). Check that --host/--port point at Gazepoint Control (port 4242)."
            )


def _f(attrs: dict[str, str], key: str) -> float:
    v = attrs.get(key)
    if v is None:
        return math.nan
    try:
        x = float(v)
    except ValueError:
        return math.nan
    return x if math.isfinite(x) else math.nan


def _valid(attrs: dict[str, str], key: str) -> bool | None:
    """The record's valid flag ``key``: True/False, or None when the field is absent."""
    v = attrs.get(key)
    if v is None:
        return None
    try:
        return float(v) != 0.0
    except ValueError:
        return False


def record_to_row(rec: dict[str, str], screen: ScreenGeometry) -> list[float]:
    """Canonical gaze row (types.GAZE_CHANNELS order) from one ``<REC …/>`` record."""
    w, h = float(screen.width_px), float(screen.height_px)
    validity = 0

    def point(px: str, py: str, pv: str) -> tuple[float, float, bool | None]:
        ok = _valid(rec, pv)
        x, y = _f(rec, px), _f(rec, py)
        if ok is False or math.isnan(x) or math.isnan(y):
            return math.nan, math.nan, False if (ok is not None or px in rec) else None
        return x * w, y * h, True

    lx, ly, lok = point("LPOGX", "LPOGY", "LPOGV")
    rx, ry, rok = point("RPOGX", "RPOGY", "RPOGV")
    if "BPOGX" in rec:
        x, y, bok = point("BPOGX", "BPOGY", "BPOGV")
    else:
        x, y, bok = point("FPOGX", "FPOGY", "FPOGV")
    if lok is False or (lok is None and bok is False):
        validity |= Validity.LEFT_INVALID
    if rok is False or (rok is None and bok is False):
        validity |= Validity.RIGHT_INVALID
    lp = _f(rec, "LPMM") if _valid(rec, "LPMMV") is not False else math.nan
    rp = _f(rec, "RPMM") if _valid(rec, "RPMMV") is not False else math.nan
    validity |= _common.off_screen_flag(x, y, screen)
    return gaze_row(x, y, lx, ly, rx, ry, lp, rp, int(validity))


class OpenGazeClient:
    """One TCP connection to an Open Gaze API server."""

    def __init__(self, host: str, port: int, timeout_s: float = 3.0) -> None:
        self.host, self.port, self.timeout_s = host, port, timeout_s
        self.where = f"Open Gaze API at {host}:{port}"
        self.parser = OpenGazeParser(self.where)
        self.pending: deque[tuple[str, dict[str, str]]] = deque()
        try:
            self.sock = socket.create_connection((host, port), timeout=timeout_s)
        except ConnectionRefusedError as exc:
            raise DeviceError(
                f"no {self.where} (connection refused). Start Gazepoint Control (it serves the "
                "API on port 4242) or pass the right --host/--port."
            ) from exc
        except (TimeoutError, OSError) as exc:
            raise DeviceError(
                f"cannot reach the {self.where}: {exc}. Check --host/--port and the network."
            ) from exc
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.settimeout(0.2)

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:  # pragma: no cover - closing a dead socket
            pass

    def send(self, text: str) -> None:
        try:
            self.sock.sendall((text + "\r\n").encode("ascii"))
        except OSError as exc:
            raise ConnectionError(f"{self.where}: send failed ({exc})") from exc

    def read(self) -> list[tuple[str, dict[str, str]]]:
        """Messages available now (waits up to 0.2 s). ConnectionError when the peer closed."""
        if self.pending:
            out = list(self.pending)
            self.pending.clear()
            return out
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            return []
        except OSError as exc:
            raise ConnectionError(f"{self.where}: {exc}") from exc
        if not data:
            raise ConnectionError(f"{self.where}: the server closed the connection")
        return self.parser.feed(data)

    def request(
        self, kind: str, ident: str, timeout_s: float | None = None, **attrs: str
    ) -> dict[str, str] | None:
        """Send ``<kind ID=ident …/>`` and wait for its ACK (dict) or NACK (None)."""
        extra = "".join(f' {k}="{v}"' for k, v in attrs.items())
        self.send(f'<{kind} ID="{ident}"{extra} />')
        deadline = time.monotonic() + (timeout_s or self.timeout_s)
        held: list[tuple[str, dict[str, str]]] = []
        try:
            while time.monotonic() < deadline:
                try:
                    msgs = self.read()
                except ConnectionError as exc:
                    if self.parser.n_messages == 0:
                        raise DeviceError(
                            f"{self.where} closed the connection before answering {ident}: another "
                            "program may hold the tracker (busy) or the server is shutting down. "
                            "Close other clients and retry."
                        ) from exc
                    raise
                for k, (tag, a) in enumerate(msgs):
                    if tag in ("ACK", "NACK") and a.get("ID", "").upper() == ident:
                        # what came after the answer in the same read (the first records
                        # after ENABLE_SEND_DATA) is kept for read(), not dropped
                        held.extend(msgs[k + 1 :])
                        return a if tag == "ACK" else None
                    held.append((tag, a))
        finally:
            self.pending.extend(held)
        raise DeviceError(
            f"{self.where} did not answer {kind} {ident} within {timeout_s or self.timeout_s:.1f} s: "
            "the server is busy or is not an Open Gaze API server. Check --host/--port."
        )


class GazepointSession:
    """Sets a connected server up for streaming and turns its records into samples."""

    def __init__(self, client: OpenGazeClient) -> None:
        self.client = client
        self.tick_hz: float | None = None
        self.screen_size: tuple[int, int] | None = None
        self.calibration: dict[str, str] | None = None
        self.enabled: list[str] = []

    def setup(self) -> None:
        c = self.client
        for ident, required in ENABLE_IDS:
            ack = c.request("SET", ident, STATE="1")
            if ack is None:
                if required:
                    raise DeviceError(
                        f"{c.where} refused {ident} (NACK). Update Gazepoint Control to API v2."
                    )
                continue
            self.enabled.append(ident)
        freq = c.request("GET", "TIME_TICK_FREQUENCY")
        if freq is not None:
            f = _f(freq, "FREQ")
            self.tick_hz = f if f > 0 else None
        size = c.request("GET", "SCREEN_SIZE")
        if size is not None:
            w, h = _f(size, "WIDTH"), _f(size, "HEIGHT")
            if w > 0 and h > 0:
                self.screen_size = (int(w), int(h))
        self.calibration = c.request("GET", "CALIB_RESULT_SUMMARY")

    def start(self) -> None:
        try:
            ack = self.client.request("SET", "ENABLE_SEND_DATA", STATE="1")
        except ConnectionError as exc:
            self.client.close()
            raise DeviceError(
                f"{self.client.where}: connection lost while starting the data ({exc})."
            ) from exc
        if ack is None:
            raise DeviceError(f"{self.client.where} refused ENABLE_SEND_DATA (NACK).")

    def device_time_s(self, rec: dict[str, str]) -> float:
        if self.tick_hz and "TIME_TICK" in rec:
            try:
                return int(rec["TIME_TICK"]) / self.tick_hz
            except ValueError:
                pass
        return _f(rec, "TIME")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    profile_px = "the device profile's screen, else the size the tracker reports"
    _common.add_common_arguments(
        parser,
        "Gazepoint",
        screen_source={
            "width_px": profile_px,
            "height_px": profile_px,
            "width_mm": "the device profile's screen",
            "height_mm": "the device profile's screen",
            "distance_mm": "the device profile's screen",
        },
    )
    _common._add(
        parser, "--host", default=None, help=f"Open Gaze API host (default {DEFAULT_HOST})"
    )
    _common._add(
        parser,
        "--port",
        type=int,
        default=None,
        help=f"Open Gaze API port (default {DEFAULT_PORT})",
    )


def connect(host: str, port: int) -> GazepointSession:
    """Connect, enable the records and query the tracker; raises DeviceError."""
    client = OpenGazeClient(host, port)
    session = GazepointSession(client)
    try:
        session.setup()
    except ConnectionError as exc:
        client.close()
        raise DeviceError(
            f"{client.where} closed the connection during set-up ({exc}). Check that Gazepoint Control "
            "is running and no other program is re-configuring it."
        ) from exc
    except BaseException:
        client.close()
        raise
    return session


def stream(
    host: str,
    port: int,
    publisher_factory: Any,
    stop: StopCondition,
    reconnect_timeout_s: float = 10.0,
) -> GazePublisher:
    """Connect and publish until ``stop``; re-connects after a drop.

    ``publisher_factory(session) -> (GazePublisher, ScreenGeometry)`` creates the outlets
    once the tracker has told its screen size. Returns the publisher (for its counters).
    """
    from gazemap.acquisition.lsl import local_clock

    session = connect(host, port)
    publisher, screen = publisher_factory(session)
    _publish_calibration(publisher, session.calibration)
    clock = ClockMapper()
    session.start()
    last_cnt: int | None = None
    junk_said = 0  # garbage bytes of this connection already reported
    rate = RateCheck(publisher.rate_hz)
    while not stop.done(publisher.n_samples):
        junk = session.client.parser.garbage_bytes
        if junk > junk_said and (junk_said == 0 or junk >= 2 * junk_said):
            # said once, then again only when it doubled: never a line per record
            junk_said = junk
            print(
                f"gazemap stream gazepoint: skipped {junk} bytes from {session.client.where} "
                f"that are not Open Gaze XML (last: {session.client.parser.last_junk[:40]!r}); "
                "the records around them are kept. If this goes on, check the cable/network "
                "and that nothing else writes to the tracker's port.",
                file=sys.stderr,
                flush=True,
            )
        try:
            msgs = session.client.read()
        except ConnectionError:
            t_lost = local_clock()
            publisher.gap_start(t_lost)
            session.client.close()
            again = _reconnect(host, port, reconnect_timeout_s, stop, publisher)
            if again is None:
                publisher.gap_end(local_clock(), back=False)
                return publisher
            session = again
            clock = ClockMapper()
            last_cnt = None
            junk_said = 0
            if not rate.done:  # a gap inside the window would lower the rate measured
                rate = RateCheck(publisher.rate_hz)
            publisher.gap_end(local_clock())
            continue
        now = local_clock()
        for tag, rec in msgs:
            if tag == "CAL" and rec.get("ID", "").upper() == "CALIB_RESULT":
                _publish_calibration(publisher, rec)
                continue
            if tag != "REC" or not rec:
                continue
            dev_s = session.device_time_s(rec)
            if math.isnan(dev_s):
                continue
            jump = clock.update(dev_s, now)
            if jump is not None:
                publisher.clock_jump(jump, now)
            cnt = rec.get("CNT")
            if cnt is not None and cnt.isdigit():
                c = int(cnt)
                if last_cnt is not None and c > last_cnt + 1:
                    publisher.marker(
                        f"gazemap/dropped {c - last_cnt - 1} samples before CNT={c}", now
                    )
                last_cnt = c
            publisher.push(record_to_row(rec, screen), clock.to_lsl(dev_s))
            said = rate.add(dev_s)
            if said:
                print(f"gazemap stream gazepoint: {said}", file=sys.stderr, flush=True)
    session.client.close()
    return publisher


class RateCheck:
    """Compares the tracker's real rate (device clock, first ``window`` records) with the
    stream's nominal rate, once. A GP3 HD (150 Hz) run without its profile was published as
    60 Hz: the recorder's dropped-sample count and `gazemap info`'s loss then mean nothing."""

    def __init__(self, nominal_hz: float, window: int = 300) -> None:
        self.nominal_hz = nominal_hz
        self.window = window
        self.times: list[float] = []
        self.done = nominal_hz <= 0

    def add(self, device_s: float) -> str | None:
        """Take one record's device time; the warning (once) when the rates differ."""
        if self.done:
            return None
        self.times.append(device_s)
        if len(self.times) < self.window:
            return None
        self.done = True
        span = self.times[-1] - self.times[0]
        if span <= 0:
            return None
        real_hz = (len(self.times) - 1) / span
        if abs(real_hz / self.nominal_hz - 1.0) <= 0.2:
            return None
        return (
            f"warning: the tracker sends {real_hz:.0f} Hz but the stream says "
            f"{self.nominal_hz:g} Hz (the profile's sample_rate_hz): the recorder's dropped "
            "samples and `gazemap info`'s loss are wrong. Restart with the tracker's profile "
            "(--profile devices/gazepoint_gp3hd.yaml for a GP3 HD, 150 Hz)."
        )


def _reconnect(
    host: str, port: int, timeout_s: float, stop: StopCondition, publisher: GazePublisher
) -> GazepointSession | None:
    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    while True:
        try:
            session = connect(host, port)
            session.start()
            return session
        except DeviceError as exc:
            last = exc
        if stop.done(publisher.n_samples):
            return None  # asked to stop while the tracker was away: a normal end
        if time.monotonic() >= deadline:
            raise DeviceError(
                f"lost the Open Gaze API at {host}:{port} and could not re-connect within "
                f"{timeout_s:.0f} s ({last}). Check the tracker and Gazepoint Control."
            )
        time.sleep(0.1)


def _publish_calibration(publisher: GazePublisher, cal: dict[str, str] | None) -> None:
    if not cal:
        return
    if "AVE_ERROR" in cal:
        values: dict[str, Any] = {
            "avg_error_px": cal.get("AVE_ERROR"),
            "valid_points": cal.get("VALID_POINTS"),
        }
    else:
        n = sum(1 for k in cal if re.fullmatch(r"CALX\d+", k))
        errs = []
        for i in range(1, n + 1):
            cx, cy = _f(cal, f"CALX{i}"), _f(cal, f"CALY{i}")
            for eye in "LR":
                if _valid(cal, f"{eye}V{i}"):
                    ex, ey = _f(cal, f"{eye}X{i}"), _f(cal, f"{eye}Y{i}")
                    errs.append(
                        math.hypot(
                            (ex - cx) * publisher.screen.width_px,
                            (ey - cy) * publisher.screen.height_px,
                        )
                    )
        values = {"points": n, "avg_error_px": f"{sum(errs) / len(errs):.1f}" if errs else "nan"}
    publisher.marker_when_heard(_common.describe_calibration("gazepoint", values))


def calibration_summary(cal: dict[str, str] | None) -> dict[str, str]:
    """Stream-description entries of a CALIB_RESULT_SUMMARY reply (average error in px)."""
    if not cal or "AVE_ERROR" not in cal:
        return {}
    return {"avg_error_px": cal["AVE_ERROR"], "valid_points": cal.get("VALID_POINTS", "")}


def run(args: argparse.Namespace) -> int:
    profile = _common.load_profile(getattr(args, "profile", None), "gazepoint")
    host = str(_common.option(args, profile, "host", DEFAULT_HOST))
    port = int(_common.option(args, profile, "port", DEFAULT_PORT))
    rate_hz = float(profile.get("sample_rate_hz", 60.0))
    name = _common.option(args, profile, "name", "Gazepoint")
    source_id = _common.option(args, profile, "source_id", f"gazepoint-{host}-{port}")

    def factory(session: GazepointSession) -> tuple[GazePublisher, ScreenGeometry]:
        screen = _common.screen_from(args, profile)
        if (
            session.screen_size
            and getattr(args, "screen_width_px", None) is None
            and "screen" not in profile
        ):
            w, h = session.screen_size
            screen = ScreenGeometry(w, h, screen.width_mm, screen.height_mm, screen.distance_mm)
        pub = GazePublisher(
            name,
            source_id,
            rate_hz,
            screen,
            "Gazepoint",
            str(profile.get("model", "GP3")),
            calibration_summary(session.calibration),
        )
        return pub, screen

    pub = stream(
        host,
        port,
        factory,
        StopCondition.from_args(args),
        float(getattr(args, "reconnect_timeout_s", 10.0) or 0.0),
    )
    print(f"gazemap stream gazepoint: published {pub.n_samples} samples, {pub.n_gaps} gap(s)")
    return 0
