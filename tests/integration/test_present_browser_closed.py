"""The participant closes the browser mid-task while `gazemap present --autoplay` walks the
journey and `gazemap record` records it: the presenter says what happened in one line and
ends normally (it ended with a Playwright traceback, exit code 1), and every marker and
scroll sample it published is in the file.

Real `gazemap present` (Debian's Chromium, headless), real `gazemap record`, real LSL.
"""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import pytest
from conftest import REPO, wait_for
from integration.gazemap_procs import Proc, recorded, stop_leftovers  # noqa: F401 (autouse fixture)
from integration.present_helpers import CHROMIUM

from gazemap.store import open_session

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]


def _descendants(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of every process below ``pid`` (read from /proc)."""
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            stat = Path(f"/proc/{d}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(d))
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            try:
                cmd = Path(f"/proc/{c}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            out.append((c, cmd))
            todo.append(c)
    return out


def _browser_of(pid: int) -> int | None:
    """The Chromium browser process (not a renderer or helper) started by ``pid``."""
    for c, cmd in _descendants(pid):
        if "chromium" in cmd.split(" ", 1)[0] and "--type=" not in cmd:
            return c
    return None


def test_browser_closed_mid_task_ends_cleanly_and_keeps_the_data(
    tmp_path: Path, unique_id: str
) -> None:
    out = tmp_path / "P07.h5"
    rec = Proc(
        ["record", "--out", str(out), "--stream", f"{unique_id}-*", "--wait-s", "30"],
        tmp_path, "rec",
    )  # fmt: skip
    pres = Proc(
        ["present", str(REPO / "protocols" / "online-store.yaml"), "--participant", "P07",
         "--source-id", unique_id, "--headless", "--autoplay", "--wait-recorder-s", "30",
         "--screen-timeout-s", "20"],
        tmp_path, "present",
    )  # fmt: skip
    # the participant started the first task (screen, aoi-boxes, touchpoint and task start
    # are recorded) and scrolls
    wait_for(lambda: recorded(rec, "markers") >= 4, 60, "the first task's markers recorded")
    wait_for(lambda: recorded(rec, "scroll") > 0, 30, "scroll samples in the recorder")
    browser = wait_for(lambda: _browser_of(pres.p.pid), 10, "the presenter's Chromium")
    assert isinstance(browser, int)
    os.kill(browser, signal.SIGTERM)  # the window is closed
    assert pres.wait(60) == 0, pres.stderr()
    err = pres.stderr()
    assert "Traceback" not in err, err
    assert re.search(r"the browser window was closed at screen '\w+'; the session ends here", err)
    summary = re.search(r"(\d+) markers, (\d+) scroll samples", pres.stdout())
    assert summary and "never shown:" in pres.stdout(), pres.stdout()
    wait_for(lambda: "ended here" in rec.stderr() or "lost" in rec.stderr(), 15, "streams gone")
    assert rec.stop(signal.SIGINT) == 0, rec.stderr()
    with open_session(out) as s:
        values = [str(v) for v in s.markers().value]
        n_scroll = len(s.scroll().time_s)
    # every marker and scroll sample the presenter published is in the file
    assert len(values) == int(summary.group(1)), values
    assert n_scroll == int(summary.group(2))
    # the open task and touchpoint were ended, so the analysis sees whole pairs
    starts = [v for v in values if v.startswith("touchpoint/") and v.endswith("/start")]
    ends = [v for v in values if v.startswith("touchpoint/") and v.endswith("/end")]
    assert len(starts) == len(ends) >= 1
    assert "task/1/start" in values and "task/1/end" in values
