"""`gazemap stream simulated --fail/--fail-rate/--after-fail`: the live simulator fails tasks
as `gazemap simulate` does.

A real `gazemap stream simulated --fail search --after-fail abandon` over loopback LSL,
recorded by the real `gazemap record` and analysed by the real `gazemap analyze`: the search
task counts as failed and the recording holds the same markers, at the same times relative
to the first sample, as the file `gazemap simulate` writes with the same options. Every bad
option is one line and exit 2, with the same message from both commands.
"""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO, gazemap_cmd
from integration.gazemap_procs import Proc, stop_leftovers  # noqa: F401 (autouse fixture)

from gazemap.store import open_session

pytestmark = pytest.mark.integration

STORE = REPO / "protocols" / "online-store.yaml"

#: P09 with seed 71 gives up the search task early among seeds 0-149 (27.9 s of journey up to
#: the abandoned search; most seeds take 35-60 s): the fastest live test of a failed task
#: that is not the first one (task/2/fail)
SESSION = [
    "--protocol", str(STORE), "--participant", "P09", "--seed", "71", "--rate-hz", "120",
    "--screen-width-mm", "432", "--screen-height-mm", "270", "--distance-mm", "650",
    "--fail", "search", "--after-fail", "abandon",
]  # fmt: skip


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*gazemap_cmd(), *args], capture_output=True, text=True, timeout=300, cwd=cwd
    )


def test_live_failed_search_recorded_and_analysed(tmp_path: Path, unique_id: str) -> None:
    study = tmp_path / "study"
    study.mkdir()
    out = study / "P09.h5"
    sim = Proc(
        ["stream", "simulated", *SESSION, "--source-id", unique_id, "--wait-s", "60"],
        tmp_path, "sim",
    )  # fmt: skip
    rec = Proc(
        ["record", "--out", str(out), "--participant", "P09", "--protocol", "online-store",
         "--stream", f"{unique_id}*", "--stop-when-lost-s", "1", "--wait-s", "30"],
        tmp_path, "record",
    )  # fmt: skip
    assert rec.wait(timeout=180) == 0, rec.stderr()
    assert sim.wait(timeout=30) == 0, sim.stderr()
    assert "stopped (all streams gone)" in rec.stderr()
    said = sim.stderr()
    assert "participant P09, protocol online-store, fails search and abandons the journey" in said
    done = [ln for ln in said.splitlines() if ": done: sent " in ln]
    assert len(done) == 1 and done[0].endswith("; failed search and abandoned the journey"), said

    # the file simulator with the same options: the reference
    ref = tmp_path / "ref.h5"
    r = run("simulate", *SESSION, "--out", str(ref))
    assert r.returncode == 0, r.stderr
    assert r.stdout.rstrip().endswith("; failed search and abandoned the journey")
    with open_session(ref) as s:
        ref_m = s.markers()
        ref_t0 = float(s.gaze().time_s[0])
        ref_n = len(s.gaze())
    with open_session(out) as s:
        rec_m = s.markers()
        rec_gaze = s.gaze()
        rec_t0 = float(rec_gaze.time_s[0])
        rec_n = len(rec_gaze)
    values = [str(v) for v in rec_m.value]
    assert values == [str(v) for v in ref_m.value]
    assert rec_n == ref_n  # every sample of the session, none after the abandoned task
    # each marker at its simulated time: the live stream's times are the file's + the start
    np.testing.assert_allclose(rec_m.time_s - rec_t0, ref_m.time_s - ref_t0, atol=1e-3)
    i_start, i_fail, i_end = (values.index(f"task/2/{k}") for k in ("start", "fail", "end"))
    assert i_start < i_fail < i_end
    assert rec_m.time_s[i_start] < rec_m.time_s[i_fail] <= rec_m.time_s[i_end]
    assert not any(v.startswith("click/") for v in values[i_start:i_end])  # clicked nothing
    assert values[-1] == "touchpoint/search/end"  # abandoned: nothing after the search

    res = tmp_path / "out"
    r = run("analyze", str(study), "--protocol", str(STORE), "--out", str(res), "--no-report")
    assert r.returncode == 0, r.stderr
    with (res / "touchpoints.csv").open(newline="", encoding="utf-8") as fh:
        rows = {x["touchpoint_id"]: x for x in csv.DictReader(fh) if x["participant"] == "P09"}
    assert rows["search"]["success"] == "0"
    assert rows["search"]["time_to_success_s"] == ""
    assert rows["home"]["success"] == "1"  # the task before was achieved
    assert "product" not in rows  # abandoned: never visited


STREAM_PREFIX = "gazemap stream: error: "
SIMULATE_PREFIX = "gazemap simulate: error: "


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--protocol", str(STORE), "--fail", "basket"],
            "--fail basket: protocol 'online-store' has no touchpoint 'basket'; name one of "
            "home, search, product, cart, checkout, confirmation, order-email.",
        ),
        (
            ["--protocol", str(STORE), "--fail", "confirmation"],
            "--fail confirmation: touchpoint 'confirmation' of protocol 'online-store' has no "
            "success: criterion, so the analysis could not tell a failure from a success; add "
            "one (docs/protocols.md, 'Task success') or fail one of home, search, product, "
            "cart, checkout, order-email.",
        ),
        (
            ["--fail", "search"],
            "--fail/--fail-rate need a protocol: without one the participant views freely and "
            "has no tasks to fail. Add --protocol FILE.",
        ),
        (
            ["--fail-rate", "0.5"],
            "--fail/--fail-rate need a protocol: without one the participant views freely and "
            "has no tasks to fail. Add --protocol FILE.",
        ),
        (
            ["--after-fail", "abandon"],
            "--after-fail abandon needs a protocol: without one the participant views freely "
            "and has no tasks to fail. Add --protocol FILE (and --fail TOUCHPOINT or "
            "--fail-rate P), or drop --after-fail.",
        ),
        (
            ["--protocol", str(STORE), "--fail-rate", "1.5"],
            "simulate_session: fail_rate must be in [0, 1], got 1.5. Fix --fail-rate.",
        ),
        (
            ["--protocol", str(STORE), "--fail-rate", "-0.1"],
            "simulate_session: fail_rate must be in [0, 1], got -0.1. Fix --fail-rate.",
        ),
        (
            ["--protocol", str(STORE), "--fail-rate", "nan"],
            "simulate_session: fail_rate must be in [0, 1], got nan. Fix --fail-rate.",
        ),
    ],
)
def test_bad_fail_options_one_line_same_as_simulate(
    tmp_path: Path, unique_id: str, args: list[str], message: str
) -> None:
    live = run("stream", "simulated", "--source-id", unique_id, "--rate-hz", "50", *args)
    assert live.returncode == 2
    # refused before anything is published: the whole of stderr is the error line
    assert live.stderr.splitlines() == [STREAM_PREFIX + message], live.stderr
    out = tmp_path / "x.h5"
    file = run("simulate", "--out", str(out), "--rate-hz", "50", *args)
    assert file.returncode == 2
    assert file.stderr.splitlines() == [SIMULATE_PREFIX + message], file.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--after-fail", "retry"],
            "error: argument --after-fail: invalid choice: 'retry' (choose from 'continue', "
            "'abandon')",
        ),
        (["--fail-rate", "often"], "error: argument --fail-rate: invalid float value: 'often'"),
        (["--fail"], "error: argument --fail: expected one argument"),
    ],
)
def test_unparsable_fail_options(unique_id: str, args: list[str], message: str) -> None:
    r = run("stream", "simulated", "--source-id", unique_id, "--protocol", str(STORE), *args)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr and "publishing" not in r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("gazemap")]
    assert lines == [f"gazemap stream simulated: {message}"], r.stderr
