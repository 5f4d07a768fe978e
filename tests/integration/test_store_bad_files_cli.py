"""A user's damaged files, through the real `gazemap` command: one line, exit 2, what to do.

A session file cut short by a copy, a file that is not HDF5 at all, and `gazemap recover`
asked to repair a truncated file (it cannot: it only rebuilds from a journal, and it used to
say "The file looks complete").
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import REPO, gazemap_cmd

pytestmark = pytest.mark.integration

SAMPLE = REPO / "recordings" / "sample" / "P02.h5"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*gazemap_cmd(), *args], capture_output=True, text=True, timeout=120, check=False
    )


def _one_error_line(res: subprocess.CompletedProcess[str], command: str) -> str:
    assert res.returncode == 2, (res.stdout, res.stderr)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith(f"gazemap {command}: error: ")
    assert "Traceback" not in res.stderr
    return lines[0]


@pytest.fixture
def truncated(tmp_path: Path) -> Path:
    p = tmp_path / "P02.h5"
    p.write_bytes(SAMPLE.read_bytes()[:200_000])
    return p


def test_info_and_detect_on_a_truncated_copy(truncated: Path) -> None:
    total = SAMPLE.stat().st_size
    for command in ("info", "detect"):
        line = _one_error_line(_run(command, str(truncated)), command)
        assert str(truncated) in line
        assert f"truncated, 200,000 of its {total:,} bytes" in line
        assert "Copy it again" in line


def test_recover_does_not_call_a_truncated_file_complete(truncated: Path) -> None:
    line = _one_error_line(_run("recover", str(truncated)), "recover")
    assert "looks complete" not in line
    assert "cannot repair it" in line and "truncated" in line


def test_recover_on_a_good_file_still_says_it_looks_complete(tmp_path: Path) -> None:
    p = tmp_path / "P02.h5"
    p.write_bytes(SAMPLE.read_bytes())
    line = _one_error_line(_run("recover", str(p)), "recover")
    assert "The file looks complete" in line


def test_info_on_a_file_that_is_not_hdf5(tmp_path: Path) -> None:
    p = tmp_path / "export.h5"
    p.write_text("participant,x,y\nP01,1,2\n")
    line = _one_error_line(_run("info", str(p)), "info")
    assert "does not start with the HDF5 signature" in line
    assert "gazemap import" in line


def test_a_study_folder_given_where_a_session_file_is_expected(tmp_path: Path) -> None:
    study = tmp_path / "study"
    study.mkdir()
    (study / "P01.h5").write_bytes(SAMPLE.read_bytes())
    for command in ("info", "detect"):
        line = _one_error_line(_run(command, str(study)), command)
        assert f"{study}: is a folder, not a session file" in line
        assert f"(e.g. {study / 'P01.h5'})" in line and f"gazemap analyze {study}" in line
        assert "Errno" not in line
    line = _one_error_line(_run("recover", str(study)), "recover")
    assert "is a folder, not a session file" in line and "Errno" not in line


def test_record_and_import_refuse_a_folder_as_out_even_with_force(tmp_path: Path) -> None:
    asc = REPO / "tests" / "reference" / "importers" / "eyelink_monocular_vel_res.asc"
    expected = (
        f"cannot write {tmp_path}: it is a folder. Give a file name, e.g. {tmp_path / 'P01.h5'}."
    )
    # record checks --out before it waits for any stream (--wait-s 30 would show a wait)
    for args in (
        ("record", "--out", str(tmp_path), "--force", "--wait-s", "30"),
        ("import", "eyelink_asc", str(asc), "--out", str(tmp_path), "--force"),
    ):
        line = _one_error_line(_run(*args), args[0])
        assert line.endswith(expected), line
