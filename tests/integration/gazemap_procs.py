"""Running ``gazemap`` commands in integration tests: output in files (no pipe can fill up
and stall a process), and whatever a failing test left running stopped at its end.

A test module imports ``Proc`` and the autouse fixture ``stop_leftovers``::

    from integration.gazemap_procs import Proc, stop_leftovers  # noqa: F401
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from signal import SIGINT

import pytest
from conftest import gazemap_cmd

_RUNNING: list[Proc] = []


@pytest.fixture(autouse=True)
def stop_leftovers() -> Iterator[None]:
    """Whatever a failing test left running is stopped (SIGINT, then SIGKILL)."""
    yield
    while _RUNNING:
        _RUNNING.pop().stop()


class Proc:
    """A running ``gazemap`` command with its stdout/stderr in ``folder/<tag>.out|.err``."""

    def __init__(self, args: list[str], folder: Path, tag: str, **kw: object) -> None:
        self.out = folder / f"{tag}.out"
        self.err = folder / f"{tag}.err"
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        with open(self.out, "wb") as o, open(self.err, "wb") as e:
            self.p = subprocess.Popen([*gazemap_cmd(), *args], stdout=o, stderr=e, env=env, **kw)  # type: ignore[call-overload]
        _RUNNING.append(self)

    def stderr(self) -> str:
        return self.err.read_text(errors="replace")

    def stdout(self) -> str:
        return self.out.read_text(errors="replace")

    def wait(self, timeout: float = 30.0) -> int:
        return self.p.wait(timeout=timeout)

    def signal(self, sig: int) -> None:
        if self.p.poll() is None:
            self.p.send_signal(sig)

    def stop(self, sig: int = SIGINT, timeout_s: float = 10.0) -> int:
        """Send ``sig`` (if still running), wait ``timeout_s``, then kill; the exit code."""
        if self.p.poll() is None:
            self.p.send_signal(sig)
            try:
                return self.p.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.p.kill()
        return self.p.wait()


def gaze_count(rec: Proc) -> int:
    """The last gaze sample count shown on the recorder's progress lines."""
    counts = re.findall(r"\bgaze (\d+)", rec.stderr())
    return int(counts[-1]) if counts else 0


def recorded(rec: Proc, group: str) -> int:
    """The last sample count of ``group`` (gaze, markers, scroll) on the recorder's progress
    lines."""
    counts = re.findall(rf"\| {group} (\d+)|\] {group} (\d+)", rec.stderr())
    return max((int(a or b) for a, b in counts[-1:]), default=0)


def lab_tracker(folder: Path, unique_id: str, participant: str, rate_hz: int) -> Proc:
    """The simulated tracker of a web study (Gaze only, source id ``<unique_id>-tracker``)
    on the online-store protocol's 1440 x 900 screen."""
    return Proc(
        ["stream", "simulated", "--source-id", f"{unique_id}-tracker",
         "--participant", participant, "--rate-hz", str(rate_hz),
         "--screen-width-px", "1440", "--screen-height-px", "900", "--wait-s", "30"],
        folder, "tracker",
    )  # fmt: skip


def lab_recorder(folder: Path, unique_id: str, participant: str, out: Path) -> Proc:
    """``gazemap record`` of every stream whose source id starts with ``unique_id``."""
    return Proc(
        ["record", "--out", str(out), "--participant", participant, "--protocol",
         "online-store", "--stream", f"{unique_id}-*", "--wait-s", "30"],
        folder, "record",
    )  # fmt: skip
