"""The file-writing `gazemap simulate` commands of docs/simulator.md, in order, as written.

Found by running them in a fresh folder: the second command wrote the same `--out P01.h5` as
the first and stopped with "P01.h5 already exists"; it now says `--force`.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import h5py
import pytest
from conftest import REPO, gazemap_cmd

pytestmark = pytest.mark.integration


def simulate_commands() -> list[str]:
    lines = (REPO / "docs" / "simulator.md").read_text(encoding="utf-8").splitlines()
    start = lines.index("```bash")
    end = lines.index("```", start + 1)
    cmds, buf = [], ""
    for line in lines[start + 1 : end]:
        if line.startswith("#"):
            continue
        line = f"{buf} {line.strip()}" if buf else line
        if line.endswith("\\"):
            buf = line[:-1].rstrip()
            continue
        buf = ""
        if line.startswith("gazemap simulate"):
            cmds.append(line)
    return cmds


def test_simulator_doc_commands_run_in_order(tmp_path: Path) -> None:
    cmds = simulate_commands()
    assert len(cmds) == 3
    (tmp_path / "protocols").symlink_to(REPO / "protocols")
    env = dict(os.environ)
    env["PATH"] = str(Path(gazemap_cmd()[0]).parent) + os.pathsep + env.get("PATH", "")
    for cmd in cmds:
        res = subprocess.run(
            ["bash", "-c", cmd], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )
        assert res.returncode == 0, (cmd, res.stderr)
        assert res.stdout.startswith("wrote "), res.stdout
    for name in ("P01.labels.csv", "P01.fixations.csv", "P01.saccades.csv"):
        assert (tmp_path / name).stat().st_size > 0
    with h5py.File(tmp_path / "P01.h5") as f:
        assert f["streams/gaze"].attrs["nominal_srate"] == 1000
    with h5py.File(tmp_path / "free.h5") as f:
        t = f["streams/gaze/time_s"][()]
        assert 59.9 < t[-1] - t[0] <= 60.0
