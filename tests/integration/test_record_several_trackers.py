"""Two trackers on one network: the recorder says which Gaze stream the analysis will use.

Real `gazemap stream simulated` drivers and a real `gazemap record` over loopback LSL, with
unique source ids. (Found by running the README's `gazemap record` on a machine where
other LSL programs ran: their Gaze stream became /streams/gaze without a word.)
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pylsl
import pytest
from conftest import gazemap_cmd, wait_for

pytestmark = pytest.mark.integration


def _visible(source_id: str) -> bool:
    return bool(pylsl.resolve_byprop("source_id", source_id, minimum=1, timeout=0.5))


def test_second_gaze_stream_is_announced_and_noted_by_info(tmp_path: Path, unique_id: str) -> None:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    sims = []
    try:
        for tag in ("a", "b"):
            sims.append(
                subprocess.Popen(
                    [
                        *gazemap_cmd(),
                        "stream",
                        "simulated",
                        "--source-id",
                        f"{unique_id}-{tag}",
                        "--rate-hz",
                        "200",
                        "--no-wait",
                        "--duration-s",
                        "60",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    env=env,
                )
            )
        for tag in ("a", "b"):
            wait_for(lambda t=tag: _visible(f"{unique_id}-{t}"), 30, f"simulator {tag}")
        out = tmp_path / "P01.h5"
        rec = subprocess.run(
            [
                *gazemap_cmd(),
                "record",
                "--out",
                str(out),
                "--stream",
                f"{unique_id}-*",
                "--duration-s",
                "3",
                "--quiet",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
        )
    finally:
        for p in sims:
            p.terminate()
            p.wait(timeout=20)
    assert rec.returncode == 0, rec.stderr
    # printed although --quiet: it changes what the file means
    warnings = [ln for ln in rec.stderr.splitlines() if "warning: a second Gaze stream" in ln]
    assert len(warnings) == 1, rec.stderr
    assert "the analysis uses /streams/gaze" in warnings[0]
    assert "--stream SOURCE_ID" in warnings[0]

    info = subprocess.run(
        [*gazemap_cmd(), "info", str(out)], capture_output=True, text=True, timeout=60
    )
    assert info.returncode == 0, info.stderr
    notes = [ln for ln in info.stdout.splitlines() if ln.startswith("  note: ")]
    assert len(notes) == 1 and notes[0].startswith("  note: 2 Gaze streams"), info.stdout
    assert "the analysis uses /streams/gaze" in notes[0]
    js = subprocess.run(
        [*gazemap_cmd(), "info", str(out), "--json"], capture_output=True, text=True, timeout=60
    )
    assert json.loads(js.stdout)["notes"] == [notes[0].removeprefix("  note: ")]
    # the stream rows line up although the second group has a longer name
    rows = [ln for ln in info.stdout.splitlines() if re.search(r" samples ", ln)]
    assert len(rows) >= 2
    assert len({ln.index(" samples ") for ln in rows}) == 1, info.stdout
