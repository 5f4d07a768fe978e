"""The real ``gazemap analyze`` command on a small study (copies of sample sessions + a broken
file), locally and on a real Dask scheduler, and its one-line errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, SAMPLE, gazemap_cmd

from gazemap.events import DEFAULT_DETECTOR

pytestmark = pytest.mark.integration

PROTOCOL = REPO / "protocols" / "online-store.yaml"


def run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*gazemap_cmd(), "analyze", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def make_study(folder: Path) -> Path:
    """Two sample sessions (one of good, one of poor quality), a broken file, a study.yaml."""
    folder.mkdir(parents=True)
    sample = sorted(SAMPLE.glob("*.h5"))
    if len(sample) < 7:
        pytest.skip("recordings/sample is not there")
    for name in ("P01.h5", "P07.h5"):
        shutil.copy(SAMPLE / name, folder / name)
    (folder / "sub").mkdir()
    (folder / "sub" / "broken.h5").write_bytes(b"\x89HDF not really")
    (folder / "study.yaml").write_text(f"protocol: {PROTOCOL}\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_study(tmp_path_factory.mktemp("cli") / "study")


@pytest.fixture(scope="module")
def pool_out(study: Path) -> tuple[Path, subprocess.CompletedProcess[str]]:
    out = study.parent / "out-pool"
    return out, run(str(study), "--out", str(out), "--jobs", "2")


def test_analyze_writes_outputs_and_report(pool_out) -> None:  # type: ignore[no-untyped-def]
    out, cp = pool_out
    assert cp.returncode == 0, cp.stderr
    for name in (
        "metrics.csv",
        "touchpoints.csv",
        "fixations.csv",
        "evidence.json",
        "evidence.csv",
        "journey.json",
        "sessions.json",
    ):
        assert (out / name).is_file(), name
    printed = Path(cp.stdout.strip().splitlines()[-1])
    # the report stage (gazemap.report.write_report) writes index.html when it exists
    if (out / "index.html").exists():
        assert printed == out / "index.html"
    else:
        assert printed == out
    assert "2 of 3 sessions analysed" in cp.stderr
    assert "skipped" in cp.stderr and "broken.h5" in cp.stderr
    sessions = json.loads((out / "sessions.json").read_text())
    assert [Path(s["file"]).name for s in sessions] == ["P01.h5", "P07.h5", "broken.h5"]
    assert [s["ok"] for s in sessions] == [True, True, False]
    ev = json.loads((out / "evidence.json").read_text())
    assert ev["participants"] == ["P01", "P07"] and ev["detector"]["name"] == DEFAULT_DETECTOR
    # P07 is the poor recording of the sample: its data quality is flagged
    q = [
        f
        for st in ev["stages"]
        for tp in st["touchpoints"]
        for f in tp["findings"]
        if f["rule_id"] == "low-data-quality"
    ]
    assert q and all(f["participants"] == ["P07"] and f["reliable"] is False for f in q)


def test_dask_scheduler_gives_identical_files(study: Path, pool_out) -> None:  # type: ignore[no-untyped-def]
    pool, cp = pool_out
    assert cp.returncode == 0, cp.stderr
    from distributed import LocalCluster

    out = study.parent / "out-dask"
    # a real scheduler on loopback TCP (the workers are threads of this test process)
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        protocol="tcp",
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        cp2 = run(
            str(study), "--out", str(out), "--scheduler", cluster.scheduler_address, "--no-report"
        )
    assert cp2.returncode == 0, cp2.stderr
    assert Path(cp2.stdout.strip().splitlines()[-1]) == out
    for name in (
        "metrics.csv",
        "touchpoints.csv",
        "fixations.csv",
        "evidence.json",
        "evidence.csv",
        "journey.json",
        "sessions.json",
    ):
        assert (out / name).read_bytes() == (pool / name).read_bytes(), name


def test_protocol_option_and_out_inside_the_study(tmp_path: Path) -> None:
    study = make_study(tmp_path / "s")
    (study / "study.yaml").unlink()
    out = study / "report"
    cp = run(str(study), "--protocol", str(PROTOCOL), "--out", str(out), "--no-report", "--quiet")
    assert cp.returncode == 0, cp.stderr
    assert (out / "metrics.csv").is_file() and not (out / "index.html").exists()
    assert "sessions:" not in cp.stderr  # --quiet: no progress bar
    # a second run does not pick up anything from the output folder
    cp = run(str(study), "--protocol", str(PROTOCOL), "--out", str(out), "--no-report", "--quiet")
    assert cp.returncode == 0 and "2 of 3 sessions" in cp.stderr


def test_a_session_of_another_protocol_is_named(tmp_path: Path) -> None:
    # P01 was recorded for the online store; analysing it with the bank-loan protocol runs,
    # but says why every marker is then a problem: first in sessions.json and on stderr
    study = tmp_path / "s"
    study.mkdir()
    shutil.copy(SAMPLE / "P01.h5", study / "P01.h5")
    out = tmp_path / "out"
    bank = REPO / "protocols" / "bank-loan.yaml"
    cp = run(str(study), "--protocol", str(bank), "--out", str(out), "--no-report", "--quiet")
    assert cp.returncode == 0, cp.stderr
    want = (
        "recorded with protocol 'online-store' but analysed with 'bank-loan': check --protocol "
        "(or the study's study.yaml)"
    )
    assert f"gazemap analyze: warning: {study / 'P01.h5'}: {want}" in cp.stderr
    (rec,) = json.loads((out / "sessions.json").read_text())
    assert rec["marker_problems"][0] == want and len(rec["marker_problems"]) > 1
    # the right protocol: no such line
    cp = run(str(study), "--protocol", str(PROTOCOL), "--out", str(out), "--no-report", "--quiet")
    assert cp.returncode == 0 and "recorded with protocol" not in cp.stderr


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        ("none", [], "does not exist. Check the path"),
        ("empty", [], "holds no session files"),
        ("noproto", [], "no protocol found"),
        ("ok", ["--protocol", "/nonexistent/p.yaml"], "does not exist. Check --protocol"),
        ("ok", ["--jobs", "0"], "--jobs must be >= 1"),
        ("ok", ["--param", "novalue"], "--param takes NAME=VALUE"),
        ("ok", ["--detector", "nosuch"], "unknown detector 'nosuch'"),
        ("ok", ["--max-scroll-px", "-1"], "--max-scroll-px must be >= 0"),
    ],
)
def test_errors_are_one_line_with_exit_2(
    tmp_path: Path, setup: str, args: list[str], message: str
) -> None:
    study = tmp_path / "study"
    if setup == "empty":
        study.mkdir()
        (study / "study.yaml").write_text(f"protocol: {PROTOCOL}\n")
    elif setup == "noproto":
        study.mkdir()
        (study / "x.h5").write_bytes(b"")
    elif setup == "ok":
        study.mkdir()
        (study / "x.h5").write_bytes(b"")
        (study / "study.yaml").write_text(f"protocol: {PROTOCOL}\n")
    cp = run(str(study), "--out", str(tmp_path / "out"), *args, timeout=120)
    assert cp.returncode == 2, (cp.stdout, cp.stderr)
    lines = [ln for ln in cp.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("gazemap analyze: error:"), cp.stderr
    assert message in lines[0]


def test_all_sessions_failing_exits_1(tmp_path: Path) -> None:
    study = tmp_path / "study"
    study.mkdir()
    (study / "x.h5").write_bytes(b"")
    cp = run(str(study), "--protocol", str(PROTOCOL), "--out", str(tmp_path / "o"), "--quiet")
    assert cp.returncode == 1
    assert "0 of 1 sessions analysed" in cp.stderr
    assert json.loads((tmp_path / "o" / "sessions.json").read_text())[0]["ok"] is False


def test_help_lists_options() -> None:
    cp = subprocess.run(
        [*gazemap_cmd(), "analyze", "--help"], capture_output=True, text=True, timeout=60
    )
    assert cp.returncode == 0
    for opt in (
        "--protocol",
        "--out",
        "--detector",
        "--param",
        "--jobs",
        "--scheduler",
        "--no-report",
    ):
        assert opt in cp.stdout
    assert sys.executable  # the command ran with this interpreter's gazemap
