"""A disk that fills, through the real commands, on a real small tmpfs (needs root to mount;
skipped elsewhere). Before: `gazemap detect` (and `analyze`, which caches detections in the
session files) crashed with a segmentation fault part-way through writing /derived and left
the recorded session unreadable; `simulate` and `import` crashed the same way and left half
files. Now each checks the free space first: nothing is written, the session file is byte for
byte unchanged, and `analyze` goes on without storing its cache."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import h5py
import pytest
from conftest import REPO, gazemap_cmd

pytestmark = pytest.mark.integration
SAMPLE = REPO / "recordings" / "sample" / "P01.h5"
PROTOCOL = REPO / "protocols" / "online-store.yaml"
ASC = REPO / "tests" / "reference" / "importers" / "eyelink_binocular_2rec.asc"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """An 8 MB tmpfs holding a copy of P01 without /derived and a filler: ~30 KB left."""
    mnt = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    mnt.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no mount command")
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mnt)],
        capture_output=True,
        text=True,
        check=False,
    )
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    try:
        study = mnt / "study"
        study.mkdir()
        shutil.copy(SAMPLE, study / "P01.h5")
        with h5py.File(study / "P01.h5", "r+") as f:
            if "derived" in f:
                del f["derived"]
        # leave ~30 KB: less than /derived needs (~60 KB), so a write would run out part-way
        free = shutil.disk_usage(mnt).free
        (mnt / "filler").write_bytes(b"\0" * (free - 30_000))
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*gazemap_cmd(), *args], capture_output=True, text=True, timeout=300, check=False
    )


def _md5(p: Path) -> str:
    return hashlib.md5(p.read_bytes()).hexdigest()


def _one_line(res: subprocess.CompletedProcess[str], command: str) -> str:
    assert res.returncode == 2, (res.returncode, res.stdout, res.stderr)
    assert "Traceback" not in res.stderr and "Exception ignored" not in res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"gazemap {command}: error: "), res.stderr
    return lines[0]


def test_detect_on_a_full_disk_writes_nothing_and_keeps_the_session(small_disk: Path) -> None:
    s = small_disk / "study" / "P01.h5"
    before = _md5(s)
    msg = _one_line(_run("detect", str(s)), "detect")
    assert f"{s}: only " in msg and "MB free on its disk" in msg and "nothing was written" in msg
    assert _md5(s) == before
    info = _run("info", str(s))
    assert info.returncode == 0, info.stderr


def test_analyze_on_a_full_disk_analyses_without_the_cache(
    small_disk: Path, tmp_path: Path
) -> None:
    s = small_disk / "study" / "P01.h5"
    before = _md5(s)
    out = tmp_path / "out"
    res = _run(
        "analyze", str(small_disk / "study"), "--protocol", str(PROTOCOL), "--out", str(out),
        "--no-report", "--quiet",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "1 of 1 sessions analysed" in res.stderr
    assert _md5(s) == before
    import json

    notes = json.loads((out / "sessions.json").read_text())[0]["notes"]
    assert any(n.startswith("the detection was not stored in the file: ") for n in notes), notes


def test_simulate_and_import_on_a_full_disk_leave_no_file(small_disk: Path) -> None:
    msg = _one_line(
        _run("simulate", "--out", str(small_disk / "x.h5"), "--duration-s", "60"), "simulate"
    )
    assert "MB free on its disk" in msg and "nothing was written" in msg
    msg = _one_line(
        _run("import", "eyelink_asc", str(ASC), "--out", str(small_disk / "i.h5")), "import"
    )
    assert "MB free on its disk" in msg
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler", "study"]


def test_with_room_detect_still_writes(small_disk: Path) -> None:
    (small_disk / "filler").unlink()  # ~7 MB free: /derived and the margin fit
    s = small_disk / "study" / "P01.h5"
    r = _run("detect", str(s))
    assert r.returncode == 0, r.stderr
    with h5py.File(s) as f:
        assert len(f["derived/ivt_pso/fixations"]) > 100


def test_recorder_close_on_a_full_disk_keeps_the_journal_and_recover_restores_it(
    small_disk: Path, tmp_path: Path
) -> None:
    """The recorder's own writer (journal while recording, HDF5 at close): at close the HDF5
    file did not fit, h5py crashed the process (segmentation fault, no message) and left a
    half FILE.h5.closing; now close refuses first, the journal is whole, and `gazemap recover
    --out` on another disk restores every sample."""
    (small_disk / "filler").unlink()
    out = small_disk / "r.h5"
    # in a child process: the old failure was a segmentation fault, which must not take the
    # test run with it
    script = f"""
import shutil, sys
import numpy as np
from pathlib import Path
from gazemap.errors import SessionFileError
from gazemap.store.journal import JournaledWriter
from gazemap.store.schema import StreamInfo
from gazemap.types import GAZE_CHANNEL_LABELS, ScreenGeometry
out = Path({str(out)!r})
free = shutil.disk_usage(out.parent).free
w = JournaledWriter(out, participant="P1", screen=ScreenGeometry(1920, 1080, 531.0, 299.0, 650.0))
w.add_stream("gaze", StreamInfo("g", "Gaze", GAZE_CHANNEL_LABELS, nominal_srate=1000.0))
n, per, rng = 0, 1000, np.random.default_rng(1)
# a journal of ~55 % of the free space: recorded fine, but its HDF5 copy cannot fit too
while Path(str(out) + ".journal").stat().st_size < 0.55 * free:
    v = rng.normal(500, 50, (per, len(GAZE_CHANNEL_LABELS))).astype(np.float32)
    w.append("gaze", (n + np.arange(per)) / 1000.0, v)
    n += per
print(n)
try:
    w.close()
except SessionFileError as exc:
    print(exc)
    sys.exit(3)
"""
    res = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert res.returncode == 3, (res.returncode, res.stdout, res.stderr[-2000:])
    n_text, msg = res.stdout.strip().splitlines()
    n = int(n_text)
    assert msg.startswith(f"cannot write {out}: only ") and "(the disk is full)" in msg
    assert f"gazemap recover {out}" in msg
    assert sorted(p.name for p in small_disk.iterdir()) == ["r.h5.journal", "study"]
    msg = _one_line(_run("recover", str(out)), "recover")
    assert "(the disk is full)" in msg and "is untouched" in msg
    good = tmp_path / "r.h5"
    res = _run("recover", str(out), "--out", str(good))
    assert res.returncode == 0, res.stderr
    with h5py.File(good) as f:
        assert len(f["streams/gaze/time_s"]) == n
