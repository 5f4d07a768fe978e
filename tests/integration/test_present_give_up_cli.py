"""The give-up key through the real commands: tracker, recorder, ``gazemap present``, analysis.

``gazemap stream simulated`` publishes gaze, ``gazemap record`` records it with the
presenter's streams, ``gazemap present --headless --autoplay --give-up home --give-up product``
walks the demo shop and presses the moderator's key (Ctrl+Alt+G, with Playwright's keyboard)
in the page on those two touchpoints, and ``gazemap analyze`` must count both tasks as
failed although the participant reached each task's success screen afterwards.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
from pathlib import Path

import pytest
from conftest import REPO, gazemap_cmd, wait_for
from integration.gazemap_procs import (  # noqa: F401 (stop_leftovers: autouse fixture)
    Proc,
    lab_recorder,
    lab_tracker,
    recorded,
    stop_leftovers,
)
from integration.present_helpers import CHROMIUM

from gazemap.store import open_session

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not CHROMIUM.is_file(), reason="needs Debian's chromium at /usr/bin/chromium"
    ),
]

ONLINE_STORE = REPO / "protocols" / "online-store.yaml"


def test_autoplay_gives_up_with_the_key_and_analyze_counts_the_failures(
    tmp_path: Path, unique_id: str
) -> None:
    study = tmp_path / "study"
    study.mkdir()
    present_id = f"{unique_id}-present"
    tracker = lab_tracker(tmp_path, unique_id, "P07", 250)
    rec = None
    try:
        rec = lab_recorder(tmp_path, unique_id, "P07", study / "P07.h5")
        wait_for(lambda: recorded(rec, "gaze") > 0, 30, "the recorder to record gaze")
        present = subprocess.run(
            [*gazemap_cmd(), "present", str(ONLINE_STORE), "--participant", "P07",
             "--headless", "--autoplay", "--give-up", "home", "--give-up", "product",
             "--source-id", present_id, "--wait-recorder-s", "30"],
            capture_output=True, text=True, timeout=180,
        )  # fmt: skip
        assert present.returncode == 0, present.stderr
        m = re.search(r"(\d+) markers", present.stdout)
        assert m, present.stdout
        n_markers = int(m.group(1))
        wait_for(
            lambda: recorded(rec, "markers") >= n_markers,
            20,
            f"the recorder to receive {n_markers} markers",
        )
        assert rec.stop(timeout_s=20.0) == 0, rec.stderr()
    finally:
        if rec is not None:
            rec.stop()
        tracker.stop()

    assert present.stdout.rstrip().endswith("; given up: task 1 (home), task 3 (product)")
    assert (
        "gazemap present: moderator: task 1 (home) marked as given up (task/1/fail); the next "
        "task's screen 'search' has url pattern '/search.html*', not one page: open it yourself"
    ) in present.stderr
    assert re.search(
        r"gazemap present: moderator: task 3 \(product\) marked as given up \(task/3/fail\); "
        r"opening the next task's page http://127\.0\.0\.1:\d+/cart\.html",
        present.stderr,
    ), present.stderr

    with open_session(study / "P07.h5") as s:
        mk = s.markers()
    values = [str(v) for v in mk.value]
    t_fail = float(mk.time_s[values.index("task/3/fail")])
    journey = [v for v in values if not v.startswith(("aoi-boxes ", "click/"))]
    assert journey == [
        "screen/home",
        "task/1/start",
        "touchpoint/home/start",
        "task/1/fail",  # the key; the page stays (search's url is a pattern)
        "touchpoint/home/end",  # autoplay, as the moderator, takes the participant on
        "task/1/end",
        "screen/search",
        "task/2/start",
        "touchpoint/search/start",
        "touchpoint/search/end",
        "task/2/end",
        "screen/product",
        "task/3/start",
        "touchpoint/product/start",
        "task/3/fail",  # the key; the presenter opens the cart
        "touchpoint/product/end",
        "task/3/end",
        "screen/cart",
        "task/4/start",
        "touchpoint/cart/start",
        "touchpoint/cart/end",
        "task/4/end",
        "screen/checkout",
        "task/5/start",
        "touchpoint/checkout/start",
        "touchpoint/checkout/end",
        "task/5/end",
        "screen/confirmation",
        "task/6/start",
        "touchpoint/confirmation/start",
        "touchpoint/confirmation/end",
        "task/6/end",
        "screen/order-email",
        "task/7/start",
        "touchpoint/order-email/start",
        "touchpoint/order-email/end",
        "task/7/end",
    ]
    # the key is never a click: no click on the product page at all (autoplay clicks nothing
    # there), and on the home page only autoplay's own search after the give-up
    i, j = values.index("touchpoint/product/start"), values.index("touchpoint/product/end")
    assert not [v for v in values[i:j] if v.startswith("click/")]
    i, j = values.index("task/1/fail"), values.index("touchpoint/home/end")
    home_clicks = [v.split(" ")[0] for v in values[i:j] if v.startswith("click/")]
    assert home_clicks and set(home_clicks) <= {"click/search-box", "click/search-button"}
    assert not [
        v for v in values[: values.index("task/1/fail")] if v.startswith("click/")
    ]  # nothing before the key either

    out = tmp_path / "out"
    analyze = subprocess.run(
        [*gazemap_cmd(), "analyze", str(study), "--protocol", str(ONLINE_STORE), "--out",
         str(out), "--no-report"],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert analyze.returncode == 0, analyze.stderr
    with (out / "touchpoints.csv").open(newline="", encoding="utf-8") as fh:
        rows = {r["touchpoint_id"]: r for r in csv.DictReader(fh)}
    # home's success (screen search) and product's (screen cart) came after the give-up
    assert rows["home"]["success"] == "0" and rows["product"]["success"] == "0"
    assert rows["home"]["time_to_success_s"] == "" and rows["product"]["time_to_success_s"] == ""
    assert rows["search"]["success"] == "1"  # autoplay clicked the result
    assert rows["cart"]["success"] == "1"
    # presenter.md: on the last screen autoplay clicks only the target, not the e-mail's
    # tracking link (its success), so the demo's report shows this third failure too
    assert rows["order-email"]["success"] == "0"
    journey_doc = json.loads((out / "journey.json").read_text(encoding="utf-8"))
    ts = {tp["id"]: tp["task_success"] for st in journey_doc["stages"] for tp in st["touchpoints"]}
    assert (ts["product"]["successes"], ts["product"]["n"]) == (0, 1)
    assert (ts["home"]["successes"], ts["home"]["n"]) == (0, 1)
    sessions = json.loads((out / "sessions.json").read_text(encoding="utf-8"))
    assert not [p for p in sessions[0]["marker_problems"] if "task/" in p]
    evidence = json.loads((out / "evidence.json").read_text(encoding="utf-8"))
    notes = [
        (ex["participant"], ex["note"], ex["time_s"])
        for st in evidence["stages"]
        for tp in st["touchpoints"]
        if tp["id"] == "product"
        for f in tp["findings"]
        if f["rule_id"] == "low-task-success"
        for ex in f["examples"]
    ]
    assert len(notes) == 1 and notes[0][0] == "P07", notes
    assert re.fullmatch(r"gave up at \d+\.\d s \(task/3/fail\); .+", notes[0][1]), notes
    assert notes[0][2] == pytest.approx(t_fail, abs=1e-6)  # the moment of the key press
