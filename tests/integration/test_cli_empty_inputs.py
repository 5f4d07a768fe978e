"""Empty things a researcher meets after a failed session, through the real commands: a
session file whose gaze stream has no samples (`detect` printed "mean nan ms") and a
recording journal of 0 bytes (`recover` said "starts with b''")."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import h5py
import pytest
from conftest import REPO, gazemap_cmd

pytestmark = pytest.mark.integration


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*gazemap_cmd(), *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_detect_on_a_session_without_gaze_samples_says_so(tmp_path: Path) -> None:
    p = tmp_path / "P01.h5"
    shutil.copy(REPO / "recordings" / "sample" / "P01.h5", p)
    with h5py.File(p, "r+") as f:
        g = f["streams/gaze"]
        for k in list(g):
            if k not in ("clock_offsets", "gaps"):
                g[k].resize((0,))
    res = _run("detect", str(p), "--force")
    assert res.returncode == 0, res.stderr
    assert "nan" not in res.stdout
    assert "  0 fixations, 0 saccades" in res.stdout
    assert f"note: {p} has no gaze samples; nothing to detect." in res.stdout


@pytest.mark.parametrize("content", [b"", b"GZM"])
def test_recover_with_an_empty_journal_says_there_is_nothing(
    tmp_path: Path, content: bytes
) -> None:
    p = tmp_path / "P09.h5"
    Path(str(p) + ".journal").write_bytes(content)
    res = _run("recover", str(p))
    assert res.returncode == 2
    assert res.stderr.strip().splitlines() == [
        f"gazemap recover: error: {p}.journal: the journal is empty ({len(content)} bytes): the "
        "recorder stopped before it recorded anything, so there is nothing to recover. Delete "
        "it and record again."
    ]
