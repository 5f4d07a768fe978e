"""Run the real ``gazemap present`` command and collect its LSL streams with pylsl inlets."""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pylsl
import yaml
from conftest import REPO, gazemap_cmd

CHROMIUM = Path("/usr/bin/chromium")
ONLINE_STORE = REPO / "protocols" / "online-store.yaml"


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    markers: list[tuple[float, str]] = field(default_factory=list)
    scroll_t: np.ndarray = field(default_factory=lambda: np.zeros(0))
    scroll: np.ndarray = field(default_factory=lambda: np.zeros((0, 4)))

    def values(self, prefix: str = "") -> list[str]:
        return [v for _, v in self.markers if v.startswith(prefix)]

    def time_of(self, value: str) -> float:
        return next(t for t, v in self.markers if v == value)


def _resolve(source_id: str, proc: subprocess.Popen[str], timeout_s: float) -> pylsl.StreamInfo:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = pylsl.resolve_byprop("source_id", source_id, 1, 1.0)
        if found:
            return found[0]
        if proc.poll() is not None:
            break
    raise AssertionError(f"stream {source_id} not found (present exited with {proc.poll()})")


def run_present(
    args: list[str], source_id: str, timeout_s: float = 120.0, env: dict[str, str] | None = None
) -> Run:
    """Run ``gazemap present ARGS --source-id SOURCE_ID`` and record Markers + Scroll."""
    cmd = [*gazemap_cmd(), "present", *args, "--source-id", source_id, "--wait-recorder-s", "30"]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    try:
        m_in = pylsl.StreamInlet(_resolve(f"{source_id}-markers", proc, 30), max_buflen=60)
        s_in = pylsl.StreamInlet(_resolve(f"{source_id}-scroll", proc, 30), max_buflen=60)
        m_in.open_stream(10)
        s_in.open_stream(10)
        markers: list[tuple[float, str]] = []
        st: list[float] = []
        sv: list[list[float]] = []
        deadline = time.monotonic() + timeout_s

        def drain(wait_s: float) -> int:
            n = 0
            vals, ts = m_in.pull_chunk(timeout=wait_s)
            markers.extend((float(t), str(v[0])) for t, v in zip(ts, vals, strict=True))
            n += len(ts)
            vals, ts = s_in.pull_chunk(timeout=0.0)
            st.extend(float(t) for t in ts)
            sv.extend(list(map(float, v)) for v in vals)
            return n + len(ts)

        while proc.poll() is None and time.monotonic() < deadline:
            drain(0.05)
        # the outlets have pushed everything before the process ends; collect the tail
        while drain(0.5):
            pass
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return Run(proc.returncode, out, err, markers, np.asarray(st), np.asarray(sv).reshape(-1, 4))


def protocol_copy(tmp_path: Path, edit: object = None) -> Path:
    """The online-store protocol in tmp_path (screenshots absolute), after ``edit(doc)``."""
    doc = yaml.safe_load(ONLINE_STORE.read_text(encoding="utf-8"))
    for st in doc["stages"]:
        for tp in st["touchpoints"]:
            for sc in tp["screens"]:
                if "screenshot" in sc:
                    sc["screenshot"] = str(ONLINE_STORE.parent / sc["screenshot"])
    if callable(edit):
        edit(doc)
    out = tmp_path / "protocol.yaml"
    out.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return out


def screen_doc(doc: dict, sid: str) -> dict:
    for st in doc["stages"]:
        for tp in st["touchpoints"]:
            for sc in tp["screens"]:
                if sc["id"] == sid:
                    return sc
    raise KeyError(sid)


def run_present_recorded(
    args: list[str], source_id: str, out_h5: Path, participant: str, timeout_s: float = 120.0
) -> Run:
    """Run ``gazemap present`` while the real ``gazemap record`` records its two streams.

    The recorder is stopped with SIGINT (as a moderator's Ctrl-C) after the presenter ends;
    the Run is read back from the session file.
    """
    import signal

    from gazemap.store.reader import open_session

    pres = subprocess.Popen(
        [*gazemap_cmd(), "present", *args, "--source-id", source_id, "--wait-recorder-s", "60"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    rec = subprocess.Popen(
        [
            *gazemap_cmd(),
            "record",
            "--out",
            str(out_h5),
            "--stream",
            f"{source_id}-*",
            "--participant",
            participant,
            "--protocol",
            "online-store",
            "--wait-s",
            "30",
            "--quiet",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = pres.communicate(timeout=timeout_s)
        rec.send_signal(signal.SIGINT)
        rec_out, rec_err = rec.communicate(timeout=60)
    finally:
        for p in (pres, rec):
            if p.poll() is None:
                p.kill()
                p.communicate()
    assert rec.returncode == 0, f"gazemap record failed ({rec.returncode}): {rec_err}"
    with open_session(out_h5) as s:
        mk = s.markers()
        sc = s.scroll()
    markers = [(float(t), str(v)) for t, v in zip(mk.time_s, mk.value, strict=True)]
    if sc is None:
        st, sv = np.zeros(0), np.zeros((0, 4))
    else:
        st = np.asarray(sc.time_s)
        sv = np.column_stack([sc.scroll_x_px, sc.scroll_y_px, sc.viewport_x_px, sc.viewport_y_px])
    return Run(pres.returncode, out, err + rec_err, markers, st, sv)
