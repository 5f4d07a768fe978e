"""The real ``gazemap detect`` and ``gazemap label`` commands on files built here (and on the
Lund 2013 data when ../shared has it)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import h5py
import numpy as np
import pytest
from conftest import LUND, gazemap_cmd

from gazemap.store import SessionWriter, StreamInfo
from gazemap.types import GAZE_CHANNEL_LABELS, ScreenGeometry

pytestmark = pytest.mark.integration

SCREEN = ScreenGeometry(1024, 768, 380.0, 300.0, 670.0)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*gazemap_cmd(), *args], capture_output=True, text=True, timeout=300)


def make_session(path: Path, n: int = 3000) -> Path:
    t = 100.0 + np.arange(n) / 500.0
    x = np.where(((t - 100.0) * 2).astype(int) % 2 == 1, 300.0, 700.0)
    x = x + np.random.default_rng(1).normal(0, 0.5, n)
    x[1000:1100] = np.nan  # a 200 ms loss
    data = np.full((n, len(GAZE_CHANNEL_LABELS)), np.nan)
    data[:, 0] = x
    data[:, 1] = 400.0
    data[:, GAZE_CHANNEL_LABELS.index("validity")] = 0
    with SessionWriter(path, participant="P1", screen=SCREEN) as w:
        w.add_stream("gaze", StreamInfo("g", "Gaze", GAZE_CHANNEL_LABELS, nominal_srate=500))
        w.append("gaze", t, data)
    return path


def test_detect_writes_then_caches(tmp_path: Path) -> None:
    p = make_session(tmp_path / "s.h5")
    first = run("detect", str(p), "--detector", "ivt")
    assert first.returncode == 0, first.stderr
    assert "/derived/ivt written" in first.stdout
    # 12 half-second fixations; the loss falls on the switch at 2.0 s, which leaves 10 saccades
    assert "12 fixations" in first.stdout and "10 saccades" in first.stdout
    with h5py.File(p) as f:
        labels = f["derived/ivt/labels"][()]
        assert len(labels) == 3000 and (labels[1000:1100] == 5).all()
        created = f["derived/ivt"].attrs["created_utc"]
    again = run("detect", str(p), "--detector", "ivt")
    assert again.returncode == 0 and "cached" in again.stdout
    with h5py.File(p) as f:
        assert f["derived/ivt"].attrs["created_utc"] == created  # untouched
    other = run("detect", str(p), "--detector", "ivt", "--param", "velocity_threshold_deg_s=40")
    assert other.returncode == 0 and "written" in other.stdout
    with h5py.File(p) as f:
        assert f["derived/ivt"].attrs["velocity_threshold_deg_s"] == 40.0
    default = run("detect", str(p))
    assert default.returncode == 0 and "written" in default.stdout
    forced = run("detect", str(p), "--force")
    assert forced.returncode == 0 and "written" in forced.stdout


@pytest.mark.parametrize(
    ("args", "msg"),
    [
        (["--param", "bogus=1"], "no parameter 'bogus'"),
        (["--param", "novalue"], "NAME=VALUE"),
        (["--detector", "nope"], "unknown detector"),
        (["--detector", "ivt", "--param", "velocity_threshold_deg_s=fast"], "must be a float"),
    ],
)
def test_detect_errors_are_one_line(tmp_path: Path, args: list[str], msg: str) -> None:
    p = make_session(tmp_path / "s.h5")
    r = run("detect", str(p), *args)
    assert r.returncode == 2
    assert msg in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_detect_missing_file(tmp_path: Path) -> None:
    r = run("detect", str(tmp_path / "none.h5"))
    assert r.returncode == 2 and "no such file" in r.stderr


def _lund_folder(tmp: Path) -> Path:
    tmp.mkdir()
    rows = ["time_s,x_px,y_px,label_mn,label_ra"]
    for i in range(1500):
        x = 300.0 if (i // 300) % 2 == 0 else 700.0
        cell = "" if 600 <= i < 700 else f"{x:.1f}"
        rows.append(f"{i * 0.002:.6f},{cell},{cell and '400.0'},1,1")
    (tmp / "A.csv").write_text("\n".join(rows) + "\n")
    (tmp / "B.csv").write_text("time_s,x_px,y_px\n0.0,1,1\n0.002,1,1\n")
    entry = {"screen_res_px": [1024, 768], "screen_size_m": [0.38, 0.3], "viewing_distance_m": 0.67}
    (tmp / "recordings.json").write_text(
        json.dumps(
            [
                {"recording": "A", "file": "A.csv", **entry},
                {"recording": "B", "file": "B.csv", **entry},
            ]
        )
    )
    return tmp


def test_label_writes_one_row_per_sample(tmp_path: Path) -> None:
    folder = _lund_folder(tmp_path / "in")
    out = tmp_path / "out"
    r = run("label", str(folder), "--out", str(out), "--detector", "ivt")
    assert r.returncode == 0, r.stderr
    a = (out / "A.csv").read_text().splitlines()
    assert a[0] == "label" and len(a) == 1501
    labels = np.array([int(v) for v in a[1:]])
    assert set(labels) <= {1, 2, 3, 4, 5, 6}
    assert (labels[600:700] == 5).all() and (labels[:250] == 1).all()
    assert len((out / "B.csv").read_text().splitlines()) == 3
    bad = run("label", str(tmp_path / "nowhere"), "--out", str(out))
    assert bad.returncode == 2 and "not a folder" in bad.stderr
    (tmp_path / "file.txt").write_text("x")
    onfile = run("label", str(folder), "--out", str(tmp_path / "file.txt"))
    assert onfile.returncode == 2 and "is not a folder" in onfile.stderr


@pytest.mark.skipif(
    not (LUND / "recordings.json").is_file(), reason=f"Lund 2013 data not at {LUND}"
)
def test_label_real_lund(tmp_path: Path) -> None:
    r = run("label", str(LUND), "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    meta = json.loads((LUND / "recordings.json").read_text())
    for m in meta:
        lines = (tmp_path / f"{m['recording']}.csv").read_text().splitlines()
        assert lines[0] == "label" and len(lines) == m["samples"] + 1
