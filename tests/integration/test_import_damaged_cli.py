"""`gazemap import` on damaged or empty files: never an empty session with exit code 0.

Found by importing a cut-off copy of the LabRecorder fixture: pyxdf logged "found likely
XDF file corruption" and gazemap wrote a session with 0 gaze samples, exit 0.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import h5py
import pytest
from conftest import REPO, gazemap_cmd

pytestmark = pytest.mark.integration

FIXTURES = REPO / "tests" / "reference" / "importers"
XDF = FIXTURES / "labrecorder_gaze_markers_eeg.xdf"


def _import(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*gazemap_cmd(), "import", *args], capture_output=True, text=True, timeout=120
    )


def test_xdf_cut_before_any_gaze_is_an_error_and_writes_nothing(tmp_path: Path) -> None:
    src = tmp_path / "cut.xdf"
    src.write_bytes(XDF.read_bytes()[:3000])
    out = tmp_path / "cut.h5"
    res = _import("xdf", str(src), "--out", str(out))
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr  # pyxdf's own log lines are not passed through
    assert lines[0].startswith(f"gazemap import: error: {src}: no gaze samples to import")
    assert "damaged or cut short" in lines[0]
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [src]  # no partial file left either


def test_xdf_with_a_damaged_end_imports_with_one_warning(tmp_path: Path) -> None:
    whole = tmp_path / "whole.h5"
    assert _import("xdf", str(XDF), "--out", str(whole)).returncode == 0
    src = tmp_path / "end.xdf"
    src.write_bytes(XDF.read_bytes()[:20000])
    out = tmp_path / "end.h5"
    res = _import("xdf", str(src), "--out", str(out))
    assert res.returncode == 0, res.stderr
    warnings = res.stderr.strip().splitlines()
    assert len(warnings) == 1, res.stderr
    assert warnings[0].startswith(f"gazemap import: warning: {src}: the file is damaged")
    assert res.stdout.strip() == f"wrote {out}"
    with h5py.File(out) as f, h5py.File(whole) as g:
        assert "damaged or cut short" in str(f.attrs["import_warning"])
        assert "import_warning" not in g.attrs
        n = f["streams/gaze/time_s"].shape[0]
        assert 0 < n <= g["streams/gaze/time_s"].shape[0]


def test_asc_with_an_empty_recording_is_an_error(tmp_path: Path) -> None:
    src = tmp_path / "empty.asc"
    src.write_text(
        "** CONVERTED FROM p01.edf\n"
        "START\t1000 \tLEFT\tSAMPLES\tEVENTS\n"
        "END\t1010 \tSAMPLES\tEVENTS\tRES\t0.00\t0.00\n"
    )
    out = tmp_path / "p01.h5"
    res = _import("eyelink_asc", str(src), "--out", str(out))
    assert res.returncode == 2
    assert res.stderr.strip() == (
        f"gazemap import: error: {src}: no gaze samples to import. The file is empty or cut "
        "short: export or copy it again from the source."
    )
    assert not out.exists()


def test_asc_with_one_empty_recording_of_two_imports_the_other(tmp_path: Path) -> None:
    text = (FIXTURES / "eyelink_binocular_2rec.asc").read_text()
    # the file's first recording, with its samples removed: only START/END and events stay
    lines = text.splitlines()
    starts = [i for i, ln in enumerate(lines) if ln.startswith("START")]
    assert len(starts) == 2
    first = [
        ln
        for ln in lines[: starts[1]]
        if not (ln[:1].isdigit() and starts[0] < lines.index(ln) < starts[1])
    ]
    src = tmp_path / "two.asc"
    src.write_text("\n".join(first + lines[starts[1] :]) + "\n")
    res = _import("eyelink_asc", str(src), "--out", str(tmp_path / "two.h5"))
    assert res.returncode == 0, res.stderr
    assert "have no gaze samples and were not imported" in res.stderr
    written = [ln.removeprefix("wrote ") for ln in res.stdout.splitlines()]
    assert len(written) == 1 and written[0].endswith("_rec2.h5"), res.stdout


@pytest.mark.parametrize("fmt", ["eyelink_asc", "tobii_tsv", "xdf"])
def test_a_folder_for_a_one_file_format_is_one_line_not_a_traceback(
    fmt: str, tmp_path: Path
) -> None:
    res = _import(fmt, str(FIXTURES), "--out", str(tmp_path / "x.h5"))
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(
        f"gazemap import: error: {FIXTURES}: is a folder; {fmt} imports one file"
    )
