"""Collect samples from an LSL stream (by source id) in a background thread, for tests."""

from __future__ import annotations

import threading
import time

import pylsl


class Collector:
    """Resolves the stream with ``source_id`` and pulls everything it sends into lists."""

    def __init__(self, source_id: str, timeout_s: float = 10.0) -> None:
        self.source_id = source_id
        self.samples: list[list] = []
        self.times: list[float] = []
        self.received_at: list[float] = []
        self.info: pylsl.StreamInfo | None = None
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._timeout_s = timeout_s
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        deadline = time.monotonic() + self._timeout_s
        found: list = []
        while not found and time.monotonic() < deadline and not self._stop.is_set():
            found = pylsl.resolve_byprop("source_id", self.source_id, 1, 0.5)
        if not found:
            self._ready.set()
            return
        inlet = pylsl.StreamInlet(found[0], max_buflen=360, recover=False)
        inlet.open_stream(timeout=5)
        self.info = inlet.info(timeout=5)
        self._ready.set()
        while not self._stop.is_set():
            try:
                chunk, ts = inlet.pull_chunk(timeout=0.05)
            except pylsl.util.LostError:  # the driver under test ended and closed its outlet
                break
            if ts:
                now = pylsl.local_clock()
                self.samples.extend(chunk)
                self.times.extend(ts)
                self.received_at.extend([now] * len(ts))
        try:
            inlet.close_stream()
        except pylsl.util.LostError:
            pass

    def wait_ready(self, timeout_s: float = 10.0) -> bool:
        return self._ready.wait(timeout_s) and self.info is not None

    def wait_for(self, predicate, timeout_s: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if predicate(self):
                return True
            time.sleep(0.01)
        return bool(predicate(self))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=3)
