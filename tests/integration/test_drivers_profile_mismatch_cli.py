"""`gazemap stream DRIVER --profile` with another driver's profile is refused at once.

It used to take the profile's connection settings: `gazemap stream gazepoint --profile
devices/pupil_core.yaml` tried the Open Gaze API on Pupil Remote's port 50020 and reported
"no Open Gaze API at 127.0.0.1:50020", which points the user at the wrong problem.
"""

from __future__ import annotations

import subprocess

import pytest
from conftest import REPO, gazemap_cmd

from gazemap.drivers._common import load_profile
from gazemap.errors import InputError

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("driver", "profile", "named"),
    [
        ("gazepoint", "pupil_core.yaml", "pupil_core"),
        ("tobii", "gazepoint_gp3.yaml", "gazepoint"),  # refused before the SDK is looked for
        ("lsl-relay", "eyelink_1000plus.yaml", "eyelink"),
    ],
)
def test_wrong_drivers_profile_is_one_line_exit_2(driver: str, profile: str, named: str) -> None:
    res = subprocess.run(
        [*gazemap_cmd(), "stream", driver, "--profile", f"devices/{profile}"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert f"device profile devices/{profile} is for driver '{named}', not '{driver}'" in lines[0]
    assert f"gazemap stream {named} --profile devices/{profile}" in lines[0]


def test_every_shipped_profile_loads_for_its_own_driver() -> None:
    for path in sorted((REPO / "devices").glob("*.yaml")):
        data = load_profile(path)
        assert load_profile(path, str(data["driver"])) == data
        with pytest.raises(InputError, match="is for driver"):
            load_profile(path, "simulated")
