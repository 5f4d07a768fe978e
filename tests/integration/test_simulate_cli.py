"""The real `gazemap simulate` and `gazemap protocol` commands."""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import REPO, gazemap_cmd

from gazemap.protocol import load_protocol
from gazemap.store import open_session
from gazemap.types import GAZE_CHANNEL_LABELS, SCROLL_CHANNEL_LABELS

pytestmark = pytest.mark.integration

STORE = REPO / "protocols" / "online-store.yaml"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*gazemap_cmd(), *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def _errors(proc: subprocess.CompletedProcess[str]) -> list[str]:
    """stderr lines that are gazemap's (liblsl may log its own INFO lines)."""
    return [line for line in proc.stderr.splitlines() if line.startswith("gazemap ")]


@pytest.fixture(scope="module")
def simulated(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, Path, subprocess.CompletedProcess[str]]:
    d = tmp_path_factory.mktemp("sim")
    out, truth = d / "P09.h5", d / "P09"
    proc = run(
        "simulate", "--protocol", str(STORE), "--participant", "P09", "--seed", "3", "--out", str(out),
        "--rate-hz", "250", "--truth", str(truth), "--screen-width-mm", "432", "--screen-height-mm", "270",
        "--distance-mm", "600",
    )  # fmt: skip
    return out, truth, proc


def test_simulate_writes_a_complete_session(
    simulated: tuple[Path, Path, subprocess.CompletedProcess[str]],
) -> None:
    out, _, proc = simulated
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"wrote {out}: participant P09")
    with open_session(out) as s:
        assert s.participant == "P09" and s.protocol == "online-store"
        assert s.stream_names == ["gaze", "markers", "scroll"]
        assert s.stream_attrs("gaze")["type"] == "Gaze"
        assert s.stream_attrs("markers")["type"] == "Markers"
        assert s.stream_attrs("scroll")["type"] == "Scroll"
        assert tuple(s.stream_attrs("gaze")["channel_labels"]) == GAZE_CHANNEL_LABELS
        assert tuple(s.stream_attrs("scroll")["channel_labels"]) == SCROLL_CHANNEL_LABELS
        assert s.stream_attrs("gaze")["nominal_srate"] == 250.0
        assert s.h5["streams/gaze/x_px"].compression == "gzip"
        scr = s.screen
        assert (scr.width_px, scr.height_px, scr.width_mm, scr.height_mm, scr.distance_mm) == (
            1440,
            900,
            432,
            270,
            600,
        )
        g = s.gaze()
        assert np.all(np.diff(g.time_s) == pytest.approx(1 / 250))
        assert 0.02 < np.mean(np.isnan(g.x_px)) < 0.2
        values = list(s.markers().value)
        tps = load_protocol(STORE).touchpoints
        for tp in tps:
            assert f"touchpoint/{tp.id}/start" in values and f"touchpoint/{tp.id}/end" in values
        sc = s.scroll()
        assert sc is not None and sc.scroll_y_px.max() > 0
        assert len(s.clock_offsets("gaze")) > 5


def test_truth_files(simulated: tuple[Path, Path, subprocess.CompletedProcess[str]]) -> None:
    out, truth, _ = simulated
    with open_session(out) as s:
        n = len(s.times("gaze"))
        t_end = float(s.times("gaze")[-1])
    with open(f"{truth}.labels.csv") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["time_s", "label"] and len(rows) == n + 1
    assert {r[1] for r in rows[1:]} == {"1", "2", "3", "5"}
    with open(f"{truth}.fixations.csv") as fh:
        fix = list(csv.DictReader(fh))
    assert list(fix[0]) == [
        "index", "start_s", "end_s", "duration_s", "x_px", "y_px", "x_deg", "y_deg",
        "touchpoint_id", "screen_id", "aoi_id", "page_x_px", "page_y_px", "scrolling",
    ]  # fmt: skip
    assert all(0 <= float(r["start_s"]) <= float(r["end_s"]) <= t_end for r in fix)
    aimed = [r for r in fix if r["aoi_id"]]
    assert len(aimed) > 0.5 * len(fix)
    assert {r["touchpoint_id"] for r in aimed} == {tp.id for tp in load_protocol(STORE).touchpoints}
    with open(f"{truth}.saccades.csv") as fh:
        sac = list(csv.DictReader(fh))
    assert len(sac) > 100 and float(sac[0]["peak_velocity_deg_s"]) > 0


def test_refuses_to_overwrite_without_force(
    simulated: tuple[Path, Path, subprocess.CompletedProcess[str]],
) -> None:
    out, _, _ = simulated
    before = out.stat().st_mtime_ns
    proc = run("simulate", "--protocol", str(STORE), "--out", str(out), "--duration-s", "5")
    assert proc.returncode == 2
    (line,) = _errors(proc)
    assert "already exists" in line and "--force" in line
    assert out.stat().st_mtime_ns == before


def test_force_overwrites_and_free_viewing(tmp_path: Path) -> None:
    out = tmp_path / "free.h5"
    out.write_text("old")
    proc = run("simulate", "--out", str(out), "--duration-s", "5", "--rate-hz", "120", "--force")
    assert proc.returncode == 0, proc.stderr
    with open_session(out) as s:
        assert len(s.times("gaze")) == 600
        assert len(s.markers()) == 0 and s.protocol == ""


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--rate-hz", "0"], ["rate_hz must be > 0"]),
        (["--data-loss", "1.5"], ["data_loss_rate must be in [0, 1)"]),
        (["--protocol", "nope.yaml"], ["nope.yaml: no such file"]),
        (["--screen-width-mm", "-1"], ["width_mm must be a finite number > 0"]),
        (["--screen-width-px", "0"], ["width_px must be a finite number > 0"]),
    ],
)
def test_bad_options_one_line_exit_2(tmp_path: Path, args: list[str], words: list[str]) -> None:
    proc = run("simulate", "--out", str(tmp_path / "x.h5"), *args)
    assert proc.returncode == 2
    (line,) = _errors(proc)
    assert line.startswith("gazemap simulate: error: ") and all(w in line for w in words)
    assert not (tmp_path / "x.h5").exists()


def test_missing_output_folder(tmp_path: Path) -> None:
    proc = run("simulate", "--out", str(tmp_path / "no" / "x.h5"), "--duration-s", "2")
    assert proc.returncode == 2 and "does not exist" in _errors(proc)[0]


# -- gazemap protocol ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["online-store.yaml", "bank-loan.yaml"])
def test_protocol_check_ok(name: str) -> None:
    proc = run("protocol", "check", str(REPO / "protocols" / name))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("OK ") and "touchpoints" in proc.stdout and "AOIs" in proc.stdout


def test_protocol_check_lists_every_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    text = (
        STORE.read_text()
        .replace("channel: site", "channel: web", 1)
        .replace("role: distractor", "role: ad", 1)
    )
    bad.write_text(text)
    proc = run("protocol", "check", str(bad))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    n_screens = len(load_protocol(STORE).screens)  # each screenshot is missing next to the copy
    assert lines[0] == f"gazemap protocol: error: {bad}: {2 + n_screens} problems in the protocol:"
    assert len(lines) == 1 + 2 + n_screens
    assert any("stages[0].touchpoints[0].channel: unknown channel 'web'" in s for s in lines)
    assert any("aois[3].role: unknown role 'ad'" in s for s in lines)
    # screenshots are relative to the protocol file, which moved: reported, not crashed
    assert any("screenshot file" in s for s in lines)


def test_protocol_new_writes_a_valid_template(tmp_path: Path) -> None:
    out = tmp_path / "mine.yaml"
    proc = run("protocol", "new", "--out", str(out))
    assert proc.returncode == 0 and f"gazemap protocol check {out}" in proc.stdout
    check = run("protocol", "check", str(out))
    assert check.returncode == 0, check.stderr
    again = run("protocol", "new", "--out", str(out))
    assert again.returncode == 2 and "--force" in _errors(again)[0]
    stdout = run("protocol", "new")
    assert stdout.returncode == 0 and stdout.stdout == out.read_text()


def test_simulate_out_folder_and_singular_protocol_summary(tmp_path: Path) -> None:
    r = subprocess.run(
        [*gazemap_cmd(), "simulate", "--protocol", str(REPO / "protocols" / "online-store.yaml"),
         "--participant", "P01", "--out", str(tmp_path), "--force"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert r.returncode == 2
    assert r.stderr.strip().endswith(
        f"{tmp_path} is a folder; give a file name inside it, e.g. {tmp_path / 'P01.h5'}."
    )
    one = tmp_path / "one.yaml"
    doc = yaml.safe_load((REPO / "protocols" / "online-store.yaml").read_text())
    doc["stages"] = doc["stages"][:1]
    doc["stages"][0]["touchpoints"] = doc["stages"][0]["touchpoints"][:1]
    tp = doc["stages"][0]["touchpoints"][0]
    tp.pop("success", None)  # names a screen of the next touchpoint
    for screen in tp["screens"]:
        screen.pop("screenshot", None)  # relative to the protocol's folder
    one.write_text(yaml.safe_dump(doc))
    r = subprocess.run(
        [*gazemap_cmd(), "protocol", "check", str(one)], capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0, r.stderr
    assert ": 1 stage, 1 touchpoint, " in r.stdout
