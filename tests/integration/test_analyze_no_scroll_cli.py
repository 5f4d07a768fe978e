"""The real ``gazemap analyze`` on sessions without a Scroll stream (as imported from a
tracker's export) on scrolling pages: one warning naming every such file, the note in
sessions.json; sessions with their Scroll stream get neither."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import h5py
import pytest
from conftest import REPO, SAMPLE, gazemap_cmd

pytestmark = pytest.mark.integration


def test_one_warning_for_every_session_without_scroll(tmp_path: Path) -> None:
    study = tmp_path / "study"
    study.mkdir()
    for name in ("P01.h5", "P02.h5", "P03.h5"):
        if not (SAMPLE / name).exists():
            pytest.skip("recordings/sample is not there")
        shutil.copy(SAMPLE / name, study / name)
    for name in ("P01.h5", "P02.h5"):
        with h5py.File(study / name, "r+") as f:
            del f["streams/scroll"]
    out = tmp_path / "out"
    r = subprocess.run(
        [
            *gazemap_cmd(),
            "analyze",
            str(study),
            "--protocol",
            str(REPO / "protocols" / "online-store.yaml"),
            "--out",
            str(out),
            "--no-report",
            "--quiet",
            "--no-cache",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert r.returncode == 0, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if "no Scroll stream" in ln]
    assert len(lines) == 1
    assert "P01.h5" in lines[0] and "P02.h5" in lines[0] and "P03.h5" not in lines[0]
    assert "'home' (1440x2600 px page in a 1440x900 px viewport)" in lines[0]
    sessions = json.loads((out / "sessions.json").read_text())
    rows = sessions["sessions"] if isinstance(sessions, dict) else sessions
    noted = {Path(s["file"]).name for s in rows if any("no Scroll stream" in n for n in s["notes"])}
    assert noted == {"P01.h5", "P02.h5"}
