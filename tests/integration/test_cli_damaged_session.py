"""Session files with a damaged dataset or attribute, through the real `gazemap` command:
info, detect and analyze give one line naming the file and the dataset (analyze skips the
file and analyses the others), never a traceback."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import h5py
import numpy as np
import pytest
from conftest import REPO, gazemap_cmd

pytestmark = pytest.mark.integration

SAMPLE = REPO / "recordings" / "sample"
PROTOCOL = REPO / "protocols" / "online-store.yaml"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*gazemap_cmd(), *args], capture_output=True, text=True, timeout=300, check=False
    )


def _damage(path: Path, kind: str) -> None:
    with h5py.File(path, "r+") as f:
        if "derived" in f:  # a stored detection is re-used without reading the gaze
            del f["derived"]
        g = f["streams/gaze"]
        if kind == "2d":
            x = g["x_px"][()]
            del g["x_px"]
            g["x_px"] = np.stack([x, x], axis=1)
        elif kind == "text-version":
            f.attrs["format_version"] = "one"
        elif kind == "text-screen":
            f["screen"].attrs["width_px"] = "wide"
        elif kind == "no-time":
            del g["time_s"]


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("2d", "/streams/gaze/x_px must hold one number per sample"),
        ("text-version", "root attribute 'format_version' must be a whole number"),
        ("text-screen", "/screen attribute 'width_px' must be a number > 0, got 'wide'"),
        ("no-time", "/streams/gaze/time_s is missing"),
    ],
)
def test_info_and_detect_name_the_damaged_dataset(tmp_path: Path, kind: str, words: str) -> None:
    p = tmp_path / "P01.h5"
    shutil.copy(SAMPLE / "P01.h5", p)
    _damage(p, kind)
    for command in ("info", "detect"):
        res = _run(command, str(p))
        assert res.returncode == 2, (command, res.stdout, res.stderr)
        assert "Traceback" not in res.stderr
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1, res.stderr
        assert lines[0].startswith(f"gazemap {command}: error: {p}: "), lines[0]
        assert words in lines[0]


def test_analyze_skips_a_damaged_session_with_its_reason_and_analyses_the_rest(
    tmp_path: Path,
) -> None:
    study = tmp_path / "study"
    study.mkdir()
    shutil.copy(SAMPLE / "P01.h5", study / "P01.h5")
    shutil.copy(SAMPLE / "P02.h5", study / "P02.h5")
    _damage(study / "P02.h5", "2d")
    res = _run(
        "analyze",
        str(study),
        "--protocol",
        str(PROTOCOL),
        "--out",
        str(tmp_path / "o"),
        "--no-report",
        "--quiet",
    )
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr
    skipped = [ln for ln in res.stderr.splitlines() if "skipped" in ln]
    assert len(skipped) == 1, res.stderr
    assert f"{study / 'P02.h5'}: /streams/gaze/x_px must hold one number per sample" in skipped[0]
    assert "1 of 2 sessions analysed" in res.stderr


@pytest.mark.parametrize("force", [False, True])
def test_detect_names_the_file_for_the_detectors_own_checks(tmp_path: Path, force: bool) -> None:
    # duplicated timestamps are refused by the detectors' checks, which do not know the file
    p = tmp_path / "P01.h5"
    shutil.copy(SAMPLE / "P01.h5", p)
    with h5py.File(p, "r+") as f:
        t = f["streams/gaze/time_s"][()]
        t[1000:1010] = t[1000]
        f["streams/gaze/time_s"][...] = t
        if "derived" in f:
            del f["derived"]
    res = _run("detect", str(p), *(["--force"] if force else []))
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith(f"gazemap detect: error: {p}: /streams/gaze: time_s has duplicated")
