"""Argument errors of the recording commands, checked before any LSL traffic."""

from __future__ import annotations

from pathlib import Path

import pytest

from gazemap.cli import main
from gazemap.store.journal import journal_path


def _err(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    return err


def test_bad_duration_and_wait(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = str(tmp_path / "x.h5")
    assert main(["record", "--out", out, "--duration-s", "0"]) == 2
    assert "--duration-s must be > 0" in _err(capsys)
    assert main(["record", "--out", out, "--wait-s", "-1"]) == 2
    assert "--wait-s must be >= 0" in _err(capsys)


def test_leftover_journal_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "x.h5"
    journal_path(out).write_bytes(b"GZMJRNL1")
    assert main(["record", "--out", str(out), "--wait-s", "0"]) == 2
    assert f"gazemap recover {out}" in _err(capsys)


def test_info_and_recover_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", str(tmp_path / "none.h5")]) == 2
    assert "no such file" in _err(capsys)
    bad = tmp_path / "bad.h5"
    bad.write_text("x")
    assert main(["info", str(bad), "--json"]) == 2
    assert "not a readable HDF5 file" in _err(capsys)
    assert main(["recover", str(bad)]) == 2
    assert "no journal" in _err(capsys)
