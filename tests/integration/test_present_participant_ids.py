"""Participant ids as a lab types them: spaces and accents work everywhere; an id with a
path separator is refused before the session (it ended a finished session with a
traceback, its screenshots in sub-folders named after the parts of the id)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import REPO, gazemap_cmd

pytestmark = pytest.mark.integration
PROTOCOL = str(REPO / "protocols" / "online-store.yaml")


@pytest.mark.parametrize(
    ("participant", "fragment"),
    [("P 04/b ü", "contains '/'"), ("P04\\b", "contains '\\\\'"), ("P04\tb", "contains '\\t'"),
     ("  ", "is empty")],
)  # fmt: skip
def test_a_participant_id_that_cannot_name_a_file_is_refused_first(
    tmp_path: Path, participant: str, fragment: str
) -> None:
    r = subprocess.run(
        [*gazemap_cmd(), "present", PROTOCOL, "--participant", participant, "--headless",
         "--screenshots", str(tmp_path / "shots"), "--wait-recorder-s", "0"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert r.returncode == 2, r.stderr
    line = r.stderr.strip()
    assert line.count("\n") == 0 and line.startswith("gazemap present: error: --participant")
    assert fragment in line and "Use e.g. 'P04-b'" in line, line
    assert not (tmp_path / "shots").exists()  # refused before anything was written


@pytest.mark.skipif(not Path("/usr/bin/chromium").is_file(), reason="needs Debian's chromium")
def test_spaces_and_accents_name_the_files(tmp_path: Path, unique_id: str) -> None:
    participant = "Jürgen Müller 03 ✓"
    shots = tmp_path / "shots"
    r = subprocess.run(
        [*gazemap_cmd(), "present", PROTOCOL, "--participant", participant, "--headless",
         "--autoplay", "--screenshots", str(shots), "--screenshots-per-participant",
         "--wait-recorder-s", "0", "--source-id", unique_id],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert f"gazemap present: {participant}: " in r.stdout
    assert (shots / f"aoi-boxes-{participant}.json").is_file()
    assert (shots / participant / "home.png").is_file()
