"""A fake Gazepoint Control: an Open Gaze API server on loopback for driver tests.

It answers ``SET``/``GET`` like the real server (ACK with the same ID, NACK for unknown IDs)
and, once ``ENABLE_SEND_DATA`` is on, sends ``<REC …/>`` records at ``rate_hz`` with the
enabled fields. Its TIME_TICK counter runs on the LSL clock of this machine (× tick_hz) so
a test can compute the true tracker→LSL latency. Misbehaviours for tests: records split
across TCP writes, unknown fields, a dropped socket, a slow (trickling) sender, garbage
instead of XML, and a busy server that closes every connection at once.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from dataclasses import dataclass, field

import pylsl

#: which fields each ENABLE_SEND_* switches on
FIELDS: dict[str, tuple[str, ...]] = {
    "ENABLE_SEND_TIME": ("TIME",),
    "ENABLE_SEND_TIME_TICK": ("TIME_TICK",),
    "ENABLE_SEND_COUNTER": ("CNT",),
    "ENABLE_SEND_POG_FIX": ("FPOGX", "FPOGY", "FPOGS", "FPOGD", "FPOGID", "FPOGV"),
    "ENABLE_SEND_POG_BEST": ("BPOGX", "BPOGY", "BPOGV"),
    "ENABLE_SEND_POG_LEFT": ("LPOGX", "LPOGY", "LPOGV"),
    "ENABLE_SEND_POG_RIGHT": ("RPOGX", "RPOGY", "RPOGV"),
    "ENABLE_SEND_PUPIL_LEFT": ("LPCX", "LPCY", "LPD", "LPS", "LPV"),
    "ENABLE_SEND_PUPIL_RIGHT": ("RPCX", "RPCY", "RPD", "RPS", "RPV"),
    "ENABLE_SEND_PUPILMM": ("LPMM", "LPMMV", "RPMM", "RPMMV"),
}
_ATTR = re.compile(r'(\w+)="([^"]*)"')


def sample_values(i: int, t_s: float, tick: int) -> dict[str, str]:
    """The i-th record's values: a horizontal sweep, right eye invalid every 10th sample."""
    x = 0.1 + 0.8 * ((i % 100) / 100.0)
    right_ok = i % 10 != 0
    return {
        "TIME": f"{t_s:.5f}",
        "TIME_TICK": str(tick),
        "CNT": str(i),
        "FPOGX": f"{x:.5f}",
        "FPOGY": "0.50000",
        "FPOGS": "0.0",
        "FPOGD": "0.1",
        "FPOGID": str(i // 20),
        "FPOGV": "1",
        "BPOGX": f"{x:.5f}",
        "BPOGY": "0.50000",
        "BPOGV": "1",
        "LPOGX": f"{x - 0.01:.5f}",
        "LPOGY": "0.50000",
        "LPOGV": "1",
        "RPOGX": f"{x + 0.01:.5f}" if right_ok else "0.00000",
        "RPOGY": "0.50000" if right_ok else "0.00000",
        "RPOGV": "1" if right_ok else "0",
        "LPCX": "0.4",
        "LPCY": "0.5",
        "LPD": "22.1",
        "LPS": "1.0",
        "LPV": "1",
        "RPCX": "0.6",
        "RPCY": "0.5",
        "RPD": "22.3",
        "RPS": "1.0",
        "RPV": "1" if right_ok else "0",
        "LPMM": "3.50",
        "LPMMV": "1",
        "RPMM": "3.60" if right_ok else "0.00",
        "RPMMV": "1" if right_ok else "0",
    }


@dataclass
class FakeOpenGazeServer:
    rate_hz: float = 150.0
    tick_hz: float = 1.0e7
    screen_px: tuple[int, int] = (1920, 1080)
    split_records: bool = False
    unknown_fields: bool = False
    drop_after: int | None = None
    slow: bool = False
    garbage: bool = False
    busy: bool = False
    calib_error_px: float | None = 21.5
    batch: int = 1
    #: IDs answered with NACK (an older firmware without them)
    nack: frozenset[str] = frozenset()
    #: accept the connection but never answer
    silent: bool = False
    #: (CNT, generation time on the LSL clock) of every record sent
    sent: list[tuple[int, float]] = field(default_factory=list)
    connections: int = 0
    commands: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._srv.bind(("127.0.0.1", 0))
        self._srv.listen(4)
        self._srv.settimeout(0.1)
        self.port = int(self._srv.getsockname()[1])
        self._stop = threading.Event()
        self._drop_now = threading.Event()
        self._counter = 0
        self._dropped = False
        self._t0 = pylsl.local_clock()
        self._threads: list[threading.Thread] = []

    # -- lifecycle -----------------------------------------------------------------------
    def __enter__(self) -> FakeOpenGazeServer:
        t = threading.Thread(target=self._accept_loop, daemon=True)
        t.start()
        self._threads.append(t)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=2)
        self._srv.close()

    def drop(self) -> None:
        """Close the current client connection (as a crashed or unplugged tracker would)."""
        self._drop_now.set()

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._srv.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            t.start()
            self._threads.append(t)

    # -- one client ------------------------------------------------------------------------
    def _serve(self, conn: socket.socket) -> None:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.settimeout(0.001)
        try:
            if self.busy:
                return
            if self.garbage:
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                time.sleep(0.5)
                return
            enabled: set[str] = set()
            sending = False
            buf = b""
            next_due = time.monotonic()
            while not self._stop.is_set():
                try:
                    data = conn.recv(4096)
                    if not data:
                        return
                    buf += data
                except TimeoutError:
                    pass
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    reply, sending = self._command(line.decode().strip(), enabled, sending)
                    if reply:
                        conn.sendall(reply.encode() + b"\r\n")
                if not sending:
                    continue
                now = time.monotonic()
                if now < next_due:
                    time.sleep(min(next_due - now, 0.001))
                    continue
                next_due += self.batch / self.rate_hz
                if next_due < now - 0.5:  # fell far behind (e.g. a slow reader): skip ahead
                    next_due = now
                payload = b"".join(self._record(enabled) for _ in range(self.batch))
                if not self._send(conn, payload):
                    return
                if self._drop_now.is_set() or (
                    self.drop_after is not None
                    and not self._dropped
                    and self._counter >= self.drop_after
                ):
                    self._drop_now.clear()
                    self._dropped = True
                    return
        finally:
            conn.close()

    def _command(self, line: str, enabled: set[str], sending: bool) -> tuple[str, bool]:
        if not line:
            return "", sending
        self.commands.append(line)
        m = re.match(r"<\s*(SET|GET)\b(.*?)/\s*>", line)
        if not m:
            return "", sending
        kind, attrs = m.group(1), dict(_ATTR.findall(m.group(2)))
        ident = attrs.get("ID", "")
        if self.silent:
            return "", sending
        if ident in self.nack:
            return f'<NACK ID="{ident}" />', sending
        if kind == "SET":
            state = attrs.get("STATE", "0") == "1"
            if ident == "ENABLE_SEND_DATA":
                return f'<ACK ID="{ident}" STATE="{int(state)}" />', state
            if ident in FIELDS:
                (enabled.add if state else enabled.discard)(ident)
                return f'<ACK ID="{ident}" STATE="{int(state)}" />', sending
            return f'<NACK ID="{ident}" />', sending
        if ident == "TIME_TICK_FREQUENCY":
            return f'<ACK ID="{ident}" FREQ="{int(self.tick_hz)}" />', sending
        if ident == "SCREEN_SIZE":
            w, h = self.screen_px
            return f'<ACK ID="{ident}" X="0" Y="0" WIDTH="{w}" HEIGHT="{h}" />', sending
        if ident == "CALIB_RESULT_SUMMARY" and self.calib_error_px is not None:
            return (
                f'<ACK ID="{ident}" AVE_ERROR="{self.calib_error_px}" VALID_POINTS="5" />',
                sending,
            )
        return f'<NACK ID="{ident}" />', sending

    def _record(self, enabled: set[str]) -> bytes:
        i = self._counter
        self._counter += 1
        t = pylsl.local_clock()
        tick = int(round(t * self.tick_hz))
        values = sample_values(i, t - self._t0, tick)
        keys = [k for e in FIELDS if e in enabled for k in FIELDS[e]]
        parts = [f'{k}="{values[k]}"' for k in keys]
        if self.unknown_fields:
            parts.insert(1, 'GSR="0.42"')
            parts.append('USER_DATA="hello world"')
        self.sent.append((i, t))
        return ("<REC " + " ".join(parts) + " />\r\n").encode()

    def _send(self, conn: socket.socket, payload: bytes) -> bool:
        try:
            if self.slow:
                for k in range(0, len(payload), 7):
                    conn.sendall(payload[k : k + 7])
                    time.sleep(0.0005)
            elif self.split_records:
                cut = max(1, len(payload) // 3)
                conn.sendall(payload[:cut])
                time.sleep(0.0005)
                conn.sendall(payload[cut:])
            else:
                conn.sendall(payload)
        except OSError:
            return False
        return True
