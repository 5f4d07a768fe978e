"""`gazemap record --stats-json` naming a folder or a path in a missing folder: the statistics
are written when the recording ends, so this was an IsADirectoryError traceback after the
whole session; now one line before any stream is looked for."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import gazemap_cmd

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("kind", ["folder", "missing-folder"])
def test_bad_stats_json_is_refused_before_recording(tmp_path: Path, kind: str) -> None:
    stats = tmp_path / "stats" if kind == "folder" else tmp_path / "nope" / "s.json"
    if kind == "folder":
        stats.mkdir()
    res = subprocess.run(
        [*gazemap_cmd(), "record", "--out", str(tmp_path / "r.h5"), "--stats-json", str(stats),
         "--wait-s", "0"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"gazemap record: error: --stats-json {stats}")
    assert ("is a folder" if kind == "folder" else "does not exist") in lines[0]
    assert (
        not (tmp_path / "r.h5").exists() and not Path(str(tmp_path / "r.h5") + ".journal").exists()
    )
