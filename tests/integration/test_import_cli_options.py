"""`gazemap import` options as a user types them: --merge-blocks for an EyeLink file with one
block per trial (one session instead of one file per block), refused for other formats, and
a Pupil screen size given by halves refused (it became W x 1080 silently)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import gazemap_cmd
from unit.test_import_eyelink_blocks import _asc

from gazemap.store import open_session

pytestmark = pytest.mark.integration
REF = Path(__file__).resolve().parents[1] / "reference" / "importers"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*gazemap_cmd(), *args], capture_output=True, text=True, timeout=120)


def test_merge_blocks_makes_one_session_and_the_warning_says_how(tmp_path: Path) -> None:
    asc = _asc(tmp_path)
    r = run("import", "eyelink_asc", str(asc), "--out", str(tmp_path / "split.h5"))
    assert r.returncode == 0, r.stderr
    assert "--merge-blocks" in r.stderr and len(r.stdout.splitlines()) == 2
    r = run("import", "eyelink_asc", str(asc), "--out", str(tmp_path / "p03.h5"), "--merge-blocks")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"wrote {tmp_path / 'p03.h5'}" and "warning" not in r.stderr
    with open_session(tmp_path / "p03.h5") as s:
        values = [v for v in s.markers().value if v.startswith("touchpoint/")]
    assert values == [
        "touchpoint/landing/start",
        "touchpoint/landing/end",
        "touchpoint/app-login/start",
        "touchpoint/app-login/end",
    ]


def test_merge_blocks_is_refused_for_other_formats(tmp_path: Path) -> None:
    r = run(
        "import",
        "tobii_tsv",
        str(REF / "tobii_prolab_2rec.tsv"),
        "--out",
        str(tmp_path / "t.h5"),
        "--merge-blocks",
    )
    assert r.returncode == 2 and "--merge-blocks is for eyelink_asc" in r.stderr
    assert "Traceback" not in r.stderr and not list(tmp_path.glob("*.h5"))


def test_pupil_screen_size_needs_both_halves(tmp_path: Path) -> None:
    r = run(
        "import",
        "pupil_csv",
        str(REF / "pupil_export"),
        "--out",
        str(tmp_path / "p.h5"),
        "--screen-width-px",
        "2560",
    )
    assert r.returncode == 2
    assert "give both --screen-width-px and --screen-height-px" in r.stderr
    assert not (tmp_path / "p.h5").exists()
