"""The real `gazemap import` command on the reference fixtures."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import gazemap_cmd

from gazemap.store import open_session

pytestmark = pytest.mark.integration
REF = Path(__file__).resolve().parents[1] / "reference" / "importers"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*gazemap_cmd(), *args], capture_output=True, text=True, timeout=120)


def test_import_asc_writes_one_session_per_recording(tmp_path: Path) -> None:
    out = tmp_path / "p07.h5"
    r = run(
        "import",
        "eyelink_asc",
        str(REF / "eyelink_binocular_2rec.asc"),
        "--out",
        str(out),
        "--screen-width-mm",
        "376",
        "--screen-height-mm",
        "301",
        "--distance-mm",
        "600",
    )
    assert r.returncode == 0, r.stderr
    assert "p07_rec1.h5" in r.stdout and "p07_rec2.h5" in r.stdout
    with open_session(tmp_path / "p07_rec2.h5") as s:
        assert s.screen.width_mm == 376 and s.screen.distance_mm == 600
        assert list(s.markers().value) == ["TRIALID 2", "screen/checkout"]


def test_import_tsv_and_refuse_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "s.h5"
    assert (
        run("import", "tobii_tsv", str(REF / "tobii_studio.tsv"), "--out", str(out)).returncode == 0
    )
    r = run("import", "tobii_tsv", str(REF / "tobii_studio.tsv"), "--out", str(out))
    assert r.returncode == 2 and "--force" in r.stderr and "Traceback" not in r.stderr
    assert (
        run(
            "import", "tobii_tsv", str(REF / "tobii_studio.tsv"), "--out", str(out), "--force"
        ).returncode
        == 0
    )


def test_malformed_file_one_line_error_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.asc"
    bad.write_text("START\t10 LEFT\n10\t1\tx\t3\nEND\t11\n")
    r = run("import", "eyelink_asc", str(bad), "--out", str(tmp_path / "o.h5"))
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "bad.asc:2" in r.stderr
    assert not (tmp_path / "o.h5").exists()


def test_missing_input(tmp_path: Path) -> None:
    r = run("import", "tobii_tsv", str(tmp_path / "nope.tsv"), "--out", str(tmp_path / "o.h5"))
    assert r.returncode == 2 and "no such file" in r.stderr


def test_import_pupil_export_and_xdf(tmp_path: Path) -> None:
    out = tmp_path / "pc.h5"
    r = run(
        "import",
        "pupil_csv",
        str(REF / "pupil_export"),
        "--out",
        str(out),
        "--surface",
        "Screen",
        "--screen-width-px",
        "2560",
        "--screen-height-px",
        "1440",
        "--participant",
        "P05",
    )
    assert r.returncode == 0, r.stderr
    with open_session(out) as s:
        assert s.participant == "P05" and s.screen.width_px == 2560
        assert s.gaze().x_px[0] == 0.25 * 2560
    r = run(
        "import",
        "xdf",
        str(REF / "labrecorder_gaze_markers_eeg.xdf"),
        "--out",
        str(tmp_path / "x.h5"),
    )
    assert r.returncode == 0, r.stderr
    with open_session(tmp_path / "x.h5") as s:
        assert "eeg_amp" in s.stream_names


def test_import_help_lists_formats() -> None:
    r = run("import", "--help")
    assert r.returncode == 0
    for fmt in ("eyelink_asc", "tobii_tsv", "xdf", "pupil_csv", "lund"):
        assert fmt in r.stdout
