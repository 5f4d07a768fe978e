"""The CLI dispatcher: help, unknown command and one-line user errors."""

from __future__ import annotations

import subprocess

from conftest import gazemap_cmd

from gazemap.cli import main


def test_no_command_prints_help_and_exits_2(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main([]) == 2
    assert "usage: gazemap" in capsys.readouterr().out


def test_version_via_real_command() -> None:
    out = subprocess.run([*gazemap_cmd(), "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("gazemap ")
