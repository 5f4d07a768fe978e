"""--wait-s of `gazemap devices` and `gazemap mark` through the real command: a negative time
made `devices` wait for ever (liblsl's "forever"), NaN and infinity returned at once ("within
nan s"); each is now one line and exit 2, at once."""

from __future__ import annotations

import subprocess

import pytest
from conftest import gazemap_cmd

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("command", [["devices"], ["mark", "touchpoint/home/start"]])
@pytest.mark.parametrize("value", ["-1", "nan", "inf"])
def test_bad_wait_is_one_line_at_once(command: list[str], value: str) -> None:
    res = subprocess.run(
        [*gazemap_cmd(), *command, f"--wait-s={value}"],
        capture_output=True,
        text=True,
        timeout=60,  # the old `devices --wait-s -1` never returned
        check=False,
    )
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert res.stderr.strip().splitlines() == [
        f"gazemap {command[0]}: error: --wait-s must be a number of seconds >= 0, "
        f"got {float(value)!r}."
    ]
