"""`gazemap present` with a recorder that leaves its streams out (a --stream list without
the presenter's source ids): the warning names the --stream the recorder needs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import REPO, gazemap_cmd

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not Path("/usr/bin/chromium").is_file(), reason="needs Debian's chromium"),
]
PROTOCOL = str(REPO / "protocols" / "online-store.yaml")


def test_a_recorder_that_does_not_take_the_presenter_is_named(
    tmp_path: Path, unique_id: str
) -> None:
    """A recorder runs, but its --stream list leaves the presenter out: the warning said only
    "Start `gazemap record` first" (it was running); it now names the --stream it needs."""
    r = subprocess.run(
        [*gazemap_cmd(), "present", PROTOCOL, "--participant", "P10", "--headless",
         "--source-id", unique_id, "--wait-recorder-s", "0.5", "--max-duration-s", "0.5",
         "--give-up-key", "none"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    warning = next(ln for ln in r.stderr.splitlines() if "no recorder connected" in ln)
    assert f"--stream '{unique_id}-*'" in warning, warning
