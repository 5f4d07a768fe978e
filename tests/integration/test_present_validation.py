"""Validation targets shown by ``gazemap present`` in the real Chromium, checked against the page.

While each dot is on the screen a screenshot is taken and the dot's black pixels are found:
their centre, plus the viewport's origin on the screen, must be the position named by the
``validation/<x>,<y>/start`` marker received over LSL, and the marker's time must be before
the screenshot and after the previous target went. Headless (viewport = screen) and in a
window that is not at the screen's origin (Chromium's Ozone headless platform, as
test_present_kiosk.py: the window stays at its default place), where the origin used must be
the one the page script publishes as ``viewport_x/y`` on the Scroll stream. Then the real
commands: ``gazemap stream simulated`` + ``gazemap record`` + ``gazemap present --headless
--autoplay --validation-points 5`` + ``gazemap analyze``; ``--validate-at end`` in a live
session ended with Ctrl+C (the targets after the journey's markers; a second Ctrl+C ends
them); Ctrl+C, a closed page and a killed browser during the targets.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path

import cv2
import numpy as np
import pylsl
import pytest
from conftest import gazemap_cmd, wait_for
from integration.gazemap_procs import (  # noqa: F401 (stop_leftovers: autouse fixture)
    lab_recorder,
    lab_tracker,
    recorded,
    stop_leftovers,
)
from integration.present_helpers import CHROMIUM, ONLINE_STORE, protocol_copy

from gazemap.acquisition.lsl import local_clock, make_marker_outlet, make_scroll_outlet
from gazemap.presenter.browser import Presenter
from gazemap.presenter.server import DEMO_SITE, SiteServer
from gazemap.presenter.validation import DOT_PX, Placement, run_validation, target_positions
from gazemap.protocol import load_protocol

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not CHROMIUM.is_file(), reason="needs Debian's chromium at /usr/bin/chromium"
    ),
]

SHOW_S = 0.6  # shorter than the command's 1.5 s: the same code, a faster test


def _dot_in_screenshot(png: bytes) -> tuple[float, float, int, int]:
    """(centre x, centre y, width, height) of the black pixels' box, viewport px."""
    img = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    ys, xs = np.nonzero(img < 40)
    assert len(xs), "no dot in the screenshot"
    # pixel i covers [i, i + 1): the box's centre is (min + max + 1) / 2
    return (
        (xs.min() + xs.max() + 1) / 2.0,
        (ys.min() + ys.max() + 1) / 2.0,
        int(xs.max() - xs.min() + 1),
        int(ys.max() - ys.min() + 1),
    )


def _kiosk_env(tmp: Path) -> dict[str, str]:
    wrapper = tmp / "chromium-ozone-headless"
    wrapper.write_text(
        "#!/bin/sh\n"
        f'exec {CHROMIUM} --ozone-platform=headless --ozone-override-screen-size=1440,900 "$@"\n'
    )
    wrapper.chmod(0o755)
    return {"GAZEMAP_CHROMIUM": str(wrapper)}


def _show_and_check(pres: Presenter, sid: str, n: int) -> tuple[list[dict], list[tuple]]:
    """Run the validation in ``pres``; per target what the page showed, and the markers
    received by an LSL inlet."""
    found = pylsl.resolve_byprop("source_id", f"{sid}-markers", 1, 10.0)
    assert found, "the presenter's Markers stream is not on the network"
    inlet = pylsl.StreamInlet(found[0], max_buflen=60)
    inlet.open_stream(10)
    seen: list[dict] = []

    def on_shown(p: Placement, start_s: float) -> None:
        png = pres.page.screenshot()
        now = local_clock()
        box = pres.page.evaluate(
            "(() => { const e = document.getElementById('gm-dot'); const r = "
            "e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2, "
            "getComputedStyle(e).visibility]; })()"
        )
        seen.append({"p": p, "start_s": start_s, "png": png, "now": now, "box": box})

    t_before = local_clock()
    shown = run_validation(pres, n, show_s=SHOW_S, lead_in_s=0.2, on_shown=on_shown)
    received: list[tuple[float, str]] = []

    def got_all() -> bool:
        vals, ts = inlet.pull_chunk(timeout=0.2)
        received.extend((float(t), str(v[0])) for t, v in zip(ts, vals, strict=True))
        return len(received) >= 2 * n

    wait_for(got_all, 10, f"{2 * n} validation markers over LSL")
    assert len(shown) == n == len(seen)
    assert all(s["start_s"] > t_before for s in seen)
    return seen, received


def test_headless_dots_are_where_and_when_the_markers_say(tmp_path: Path) -> None:
    sid = f"gazemap-test-val-{uuid.uuid4().hex[:10]}"
    mo = make_marker_outlet("gazemap-test-val-markers", f"{sid}-markers")
    so = make_scroll_outlet("gazemap-test-val-scroll", f"{sid}-scroll")
    pres = Presenter(load_protocol(ONLINE_STORE), "http://127.0.0.1:9", "PV1", mo, so, 1440, 900)
    pres.log = lambda m: None
    try:
        pres.start()
        seen, received = _show_and_check(pres, sid, 9)
    finally:
        pres.close()
    expected = target_positions(9, 1440, 900)
    starts = [(t, v) for t, v in received if v.endswith("/start")]
    ends = [(t, v) for t, v in received if v.endswith("/end")]
    assert [v for _, v in received] == [
        f"validation/{x},{y}/{edge}" for x, y in expected for edge in ("start", "end")
    ]
    for (x, y), s, (t0, _), (t1, _) in zip(expected, seen, starts, ends, strict=True):
        # the dot in the screenshot: 20 px, centred on the marker's position (viewport = screen)
        cx, cy, w, h = _dot_in_screenshot(s["png"])
        assert (w, h) == (DOT_PX, DOT_PX)
        assert (cx, cy) == (x, y)
        assert s["box"] == [x, y, "visible"]
        # the start marker (received over LSL) is the one reported, before the screenshot
        assert t0 == pytest.approx(s["start_s"], abs=1e-6)
        assert 0 <= s["now"] - t0 < 3.0
        # the hide waits in the page for show_s after the frame that showed the dot; the frame
        # that hides it comes up to a frame (more on a busy machine) later
        assert SHOW_S - 0.005 <= t1 - t0 < SHOW_S + 0.3  # performance.now() is coarsened
    # each target starts after the previous one went (one dot at a time)
    times = [t for t, _ in received]
    assert times == sorted(times)


def test_windowed_viewport_origin_is_added_to_the_marker(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("GAZEMAP_CHROMIUM", _kiosk_env(tmp_path)["GAZEMAP_CHROMIUM"])
    sid = f"gazemap-test-val-{uuid.uuid4().hex[:10]}"
    mo = make_marker_outlet("gazemap-test-val-markers", f"{sid}-markers")
    so = make_scroll_outlet("gazemap-test-val-scroll", f"{sid}-scroll")
    site = SiteServer(DEMO_SITE)
    notes: list[str] = []
    pres = Presenter(
        load_protocol(ONLINE_STORE), site.base_url, "PV2", mo, so, 1440, 900, headless=False
    )
    pres.log = notes.append
    try:
        pres.start()
        seen, received = _show_and_check(pres, sid, 5)
        # then the site: the page script publishes the viewport's origin on the Scroll stream
        pres.goto(pres.url_of("/index.html"))
        assert pres.wait_for(lambda: len(pres.stats.scroll) > 0, 15)
        vx, vy = pres.stats.scroll[-1][3:5]
    finally:
        pres.close()
        site.close()
    assert (vx, vy) != (0.0, 0.0)  # a window not at the screen's origin
    starts = [v for _, v in received if v.endswith("/start")]
    for s, value in zip(seen, starts, strict=True):
        cx, cy, w, h = _dot_in_screenshot(s["png"])
        assert (w, h) == (DOT_PX, DOT_PX)
        # the marker names the screen position: the dot's place in the page + the origin
        assert value == f"validation/{cx + vx:g},{cy + vy:g}/start"
    # targets the window does not show are moved inside it (and said so); the others are
    # at the pattern's screen positions
    inside = [
        f"validation/{x},{y}/start"
        for x, y in target_positions(5, 1440, 900)
        if y - vy >= DOT_PX / 2 and x - vx >= DOT_PX / 2
    ]
    assert inside and set(inside) <= set(starts)
    if len(inside) < 5:
        assert any("were moved inside it" in n for n in notes), notes
    assert any(f"viewport at {vx:g},{vy:g} px on the screen" in n for n in notes), notes


def test_present_validates_before_the_journey_and_analyze_reports_accuracy(
    tmp_path: Path, unique_id: str
) -> None:
    def only_home(doc: dict) -> None:
        doc["stages"] = doc["stages"][:1]
        doc["stages"][0]["touchpoints"] = doc["stages"][0]["touchpoints"][:1]
        doc["stages"][0]["touchpoints"][0]["success"] = {"click": "search-box"}

    proto = protocol_copy(tmp_path, only_home)
    study = tmp_path / "study"
    study.mkdir()
    tracker = lab_tracker(tmp_path, unique_id, "P05", 250)
    rec = None
    try:
        rec = lab_recorder(tmp_path, unique_id, "P05", study / "P05.h5")
        wait_for(lambda: recorded(rec, "gaze") > 0, 30, "the recorder to record gaze")
        present = subprocess.run(
            [*gazemap_cmd(), "present", str(proto), "--participant", "P05", "--headless",
             "--autoplay", "--validation-points", "5",
             "--source-id", f"{unique_id}-present", "--wait-recorder-s", "30"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert present.returncode == 0, present.stderr
        n_markers = int(present.stdout.split(": ")[2].split(" markers")[0])
        wait_for(lambda: recorded(rec, "markers") >= n_markers, 20, f"{n_markers} markers")
        assert rec.stop(timeout_s=20.0) == 0, rec.stderr()
    finally:
        if rec is not None:
            rec.stop()
        tracker.stop()
    assert present.stderr.count("validation: 5 targets, 1.5 s each (viewport at 0,0 px") == 1

    from gazemap.store import open_session

    with open_session(study / "P05.h5") as s:
        mk = s.markers()
    values = [str(v) for v in mk.value]
    times = np.asarray(mk.time_s, dtype=float)
    five = [
        f"validation/{x},{y}/{e}"
        for x, y in target_positions(5, 1440, 900)
        for e in ("start", "end")
    ]
    # before the first page (the default --validate-at start)
    assert values[:10] == five
    journey = [v for v in values[10:] if not v.startswith(("aoi-boxes ", "click/"))]
    assert journey[0] == "screen/home" and journey[-1] == "task/1/end"
    shown = times[1:10:2] - times[0:10:2]
    assert ((shown >= 1.495) & (shown < 1.8)).all(), shown

    out = tmp_path / "out"
    analyze = subprocess.run(
        [*gazemap_cmd(), "analyze", str(study), "--protocol", str(proto), "--out", str(out),
         "--no-report"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert analyze.returncode == 0, analyze.stderr
    (session,) = json.loads((out / "sessions.json").read_text())
    assert session["validation_points"] == 5
    # the simulated tracker's participant free-views: not looking at the dots
    assert session["accuracy_deg"] is not None and session["accuracy_deg"] > 1.0
    assert not [n for n in session["notes"] if "validation" in n]


def test_stop_and_a_closed_browser_end_the_validation_between_targets(tmp_path: Path) -> None:
    sid = f"gazemap-test-val-{uuid.uuid4().hex[:10]}"
    mo = make_marker_outlet("gazemap-test-val-markers", f"{sid}-markers")
    so = make_scroll_outlet("gazemap-test-val-scroll", f"{sid}-scroll")
    notes: list[str] = []
    pres = Presenter(load_protocol(ONLINE_STORE), "http://127.0.0.1:9", "PV3", mo, so, 1440, 900)
    pres.log = notes.append
    try:
        pres.start()
        # the moderator's Ctrl+C while the second target shows: it ends after that target
        starts: list[Placement] = []
        shown = run_validation(
            pres,
            9,
            show_s=SHOW_S,
            lead_in_s=0.0,
            on_shown=lambda p, t: starts.append(p),
            stop=lambda: len(starts) >= 2,
        )
        assert len(shown) == 2 and len(starts) == 2
        assert "validation stopped after 2 of 9 targets" in notes
        values = [v for _, v in pres.stats.markers]
        assert values == [
            "validation/144,90/start",
            "validation/144,90/end",
            "validation/720,90/start",
            "validation/720,90/end",
        ]
        # the participant closes the browser while the third target shows
        pres.stats.markers.clear()
        shown = run_validation(
            pres,
            5,
            show_s=SHOW_S,
            lead_in_s=0.0,
            on_shown=lambda p, t: pres.page.close() if p.y_px == 90 and p.x_px > 720 else None,
        )
    finally:
        pres.close()
    assert [t.placement.x_px for t in shown] == [720, 144]
    assert [v for _, v in pres.stats.markers][-1] == "validation/1296,90/start"
    assert notes[-1].startswith(
        "warning: the browser was closed during the validation (2 of 5 targets shown); "
    )


def test_live_session_ctrl_c_then_validation_then_ctrl_c_ends_it(tmp_path: Path) -> None:
    """--validate-at end in a live session: the moderator's Ctrl+C ends the tasks and starts
    the validation after the journey's markers; a second Ctrl+C, while the second target
    shows, ends it after that target (markers received over LSL)."""
    import signal

    from integration.gazemap_procs import Proc

    sid = f"gazemap-test-val-{uuid.uuid4().hex[:10]}"
    p = Proc(
        ["present", str(ONLINE_STORE), "--participant", "PV4", "--headless",
         "--validation-points", "9", "--validate-at", "end", "--wait-recorder-s", "20",
         "--source-id", sid],
        tmp_path, "present",
    )  # fmt: skip
    inlets = []
    for kind in ("markers", "scroll"):
        found = wait_for(
            lambda k=kind: pylsl.resolve_byprop("source_id", f"{sid}-{k}", 1, 1.0), 30, kind
        )
        inlets.append(pylsl.StreamInlet(found[0], max_buflen=60))  # type: ignore[index]
        inlets[-1].open_stream(10)
    values: list[str] = []

    def pull() -> list[str]:
        vals, _ = inlets[0].pull_chunk(timeout=0.1)
        values.extend(str(v[0]) for v in vals)
        return values

    wait_for(lambda: "screen/home" in pull(), 30, "the first page's marker")
    p.signal(signal.SIGINT)
    wait_for(
        lambda: sum(v.endswith("/start") and v.startswith("validation/") for v in pull()) == 2,
        30,
        "the second target",
    )
    p.signal(signal.SIGINT)
    assert p.wait(timeout=30) == 0, p.stderr()
    wait_for(lambda: len(pull()) and values[-1] == "validation/720,90/end", 10, "the last end")
    assert "validation: 9 targets" in p.stderr()
    assert "validation stopped after 2 of 9 targets" in p.stderr(), p.stderr()
    first = next(i for i, v in enumerate(values) if v.startswith("validation/"))
    assert "screen/home" in values[:first]
    assert values[first:] == [
        "validation/144,90/start",
        "validation/144,90/end",
        "validation/720,90/start",
        "validation/720,90/end",
    ]


def _chromium_of(pid: int) -> int | None:
    """The Chromium browser process (not a renderer or helper) below process ``pid``."""
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                stat = Path(f"/proc/{d}/stat").read_text()
            except OSError:
                continue
            children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(d))
    todo = [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            try:
                cmd = Path(f"/proc/{c}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if "chromium" in cmd.split(" ", 1)[0] and "--type=" not in cmd:
                return c
            todo.append(c)
    return None


def test_browser_closed_during_the_first_validation_ends_the_session_cleanly(
    tmp_path: Path,
) -> None:
    import signal

    from integration.gazemap_procs import Proc

    p = Proc(
        ["present", str(ONLINE_STORE), "--participant", "PV6", "--headless", "--autoplay",
         "--validation-points", "9", "--wait-recorder-s", "0",
         "--source-id", f"gazemap-test-val-{uuid.uuid4().hex[:10]}"],
        tmp_path, "present",
    )  # fmt: skip
    wait_for(lambda: "validation: 9 targets" in p.stderr(), 30, "the validation to start")
    browser = wait_for(lambda: _chromium_of(p.p.pid), 10, "the presenter's Chromium")
    assert isinstance(browser, int)
    os.kill(browser, signal.SIGTERM)  # the window is closed
    assert p.wait(timeout=30) == 0, p.stderr()
    err = p.stderr()
    assert "Traceback" not in err and "could not open" not in err, err
    assert "warning: the browser was closed during the validation (" in err, err
    assert "the browser window was closed; the session ends here" in err, err
    assert "screens shown: none" in p.stdout(), p.stdout()


def test_validate_at_end_without_targets_is_one_line_and_exit_2() -> None:
    r = subprocess.run(
        [*gazemap_cmd(), "present", str(ONLINE_STORE), "--participant", "P01", "--headless",
         "--validate-at", "end"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        "gazemap present: error: --validate-at end needs targets to show: add --validation-points 5 or 9."
    ]
