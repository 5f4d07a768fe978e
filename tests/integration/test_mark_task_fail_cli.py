"""`gazemap mark task/<n>/fail` as README.md's "Record a session" block shows it: the real command."""

from __future__ import annotations

import subprocess

from conftest import gazemap_cmd


def test_mark_help_names_the_give_up_marker() -> None:
    # README: `gazemap mark task/2/fail  # the participant gave up task 2`; the command's own
    # help listed only touchpoint/screen markers, so a moderator could not find it there
    r = subprocess.run(
        [*gazemap_cmd(), "mark", "--help"], capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0, r.stderr
    text = " ".join(r.stdout.split())
    assert "task/<n>/fail" in text
    assert "gave up task n" in text
