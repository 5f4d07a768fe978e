"""`gazemap analyze` on a researcher's mistakes, through the real command: --out naming an
existing file (a traceback after the whole analysis), a study.yaml saved in another encoding
or a folder named study.yaml (tracebacks); each is now one line, exit 2, before any work."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import REPO, gazemap_cmd

pytestmark = pytest.mark.integration
PROTOCOL = REPO / "protocols" / "online-store.yaml"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*gazemap_cmd(), "analyze", *args], capture_output=True, text=True, timeout=300, check=False
    )


def _one_line(res: subprocess.CompletedProcess[str]) -> str:
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert "Traceback" not in res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gazemap analyze: error: "), res.stderr
    return lines[0]


@pytest.fixture
def study(tmp_path: Path) -> Path:
    d = tmp_path / "study"
    d.mkdir()
    shutil.copy(REPO / "recordings" / "sample" / "P01.h5", d / "P01.h5")
    return d


def test_out_that_is_a_file_is_refused_before_the_analysis(study: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.pdf"
    out.write_bytes(b"%PDF-1.4 the client's report")
    msg = _one_line(_run(str(study), "--protocol", str(PROTOCOL), "--out", str(out), "--quiet"))
    assert f"--out {out} is a file" in msg and "folder" in msg
    assert out.read_bytes() == b"%PDF-1.4 the client's report"  # nothing lost


def test_study_yaml_not_utf8_names_the_file(study: Path, tmp_path: Path) -> None:
    (study / "study.yaml").write_bytes(f"protocol: {PROTOCOL}  # caf\xe9\n".encode("latin-1"))
    msg = _one_line(_run(str(study), "--out", str(tmp_path / "o"), "--quiet"))
    assert f"{study / 'study.yaml'}: not UTF-8 text (byte 0xe9" in msg and "UTF-8" in msg


def test_study_yaml_that_is_a_folder_names_it(study: Path, tmp_path: Path) -> None:
    (study / "study.yaml").mkdir()
    msg = _one_line(_run(str(study), "--out", str(tmp_path / "o"), "--quiet"))
    assert f"{study / 'study.yaml'}: is a folder, not a file" in msg and "--protocol" in msg
