"""App studies with the real ``gazemap`` command: a phone whose gaze comes in device px.

A Pupil Player export of a phone study maps gaze onto a surface; sized in the phone's device
px (1170 x 2532 on a 3x phone) it gives gaze three times the protocol's CSS px (390 x 844,
protocols/bank-app.yaml). ``gazemap analyze`` must put the fixations on the protocol's AOIs
(it put every fixation outside every AOI before 2026-11-26: 0 fixations on all AOIs).
"""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO, gazemap_cmd, wait_for
from integration.gazemap_procs import (  # noqa: F401 (stop_leftovers: autouse fixture)
    Proc,
    gaze_count,
    stop_leftovers,
)

PROTOCOL = REPO / "protocols" / "bank-app.yaml"
#: device px per CSS px of the phone
DPR = 3
CSS_W, CSS_H = 390, 844
T0 = 500.0
#: (start s, end s, x, y in CSS px): username field, password field, log-in button
FIXATIONS = [(0.0, 0.6, 195.0, 328.0), (0.62, 1.2, 195.0, 404.0), (1.22, 2.5, 195.0, 486.0)]
TP_START, TP_END = 0.3, 2.4


def write_pupil_export(
    folder: Path, surface_scale: float, touchpoint: str = "login", screen: str = "login"
) -> None:
    """A Pupil Player export (exports/000 layout) of the phone, 200 Hz gaze on surface Phone.

    ``x_scaled``/``y_scaled`` are the surface's size in Pupil Player times the normalised
    gaze: with ``surface_scale`` 3 the surface was sized in device px (1170 x 2532).
    """
    (folder / "surfaces").mkdir(parents=True)
    (folder / "export_info.csv").write_text(
        "key,value\nPlayer Software Version,3.5.1\nData Format Version,2.3\n", encoding="utf-8"
    )
    rng = np.random.default_rng(7)
    rows = []
    for i in range(int(2.5 / 0.005)):
        t = i * 0.005
        x, y = next((fx, fy) for s, e, fx, fy in FIXATIONS if t < e or e == FIXATIONS[-1][1])
        x += rng.normal(0, 1.0)
        y += rng.normal(0, 1.0)
        xn, yn = x / CSS_W, 1.0 - y / CSS_H
        world = int(t * 30)
        rows.append(
            [
                f"{T0 + world / 30:.6f}",
                world,
                f"{T0 + t:.6f}",
                f"{xn:.6f}",
                f"{yn:.6f}",
                f"{xn * CSS_W * surface_scale:.3f}",
                f"{yn * CSS_H * surface_scale:.3f}",
                "True",
                "0.97",
            ]
        )
    with open(folder / "surfaces" / "gaze_positions_on_surface_Phone.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            [
                "world_timestamp",
                "world_index",
                "gaze_timestamp",
                "x_norm",
                "y_norm",
                "x_scaled",
                "y_scaled",
                "on_surf",
                "confidence",
            ]
        )
        w.writerows(rows)
    with open(folder / "annotations.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["index", "timestamp", "label", "duration"])
        w.writerow([0, f"{T0 + TP_START - 0.01:.6f}", f"screen/{screen}", "0.0"])
        w.writerow([1, f"{T0 + TP_START:.6f}", f"touchpoint/{touchpoint}/start", "0.0"])
        w.writerow([2, f"{T0 + TP_END:.6f}", f"touchpoint/{touchpoint}/end", "0.0"])


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*gazemap_cmd(), *args], capture_output=True, text=True, timeout=300, check=False
    )


@pytest.mark.integration
def test_phone_gaze_in_device_px_maps_onto_the_css_px_protocol(tmp_path: Path) -> None:
    export = tmp_path / "P01_export"
    write_pupil_export(export, DPR)
    study = tmp_path / "study"
    study.mkdir()
    phone = ["--screen-width-mm", "65", "--screen-height-mm", "140", "--distance-mm", "400"]
    r = run("import", "pupil_csv", str(export), "--out", str(study / "P01.h5"),
            "--participant", "P01", *phone)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "no screen has" not in r.stderr  # the phone's own mm: square pixels
    info = run("info", str(study / "P01.h5"))
    assert "screen 1170x2532 px" in info.stdout  # the surface's size: device px
    out = tmp_path / "out"
    r = run("analyze", str(study), "--protocol", str(PROTOCOL), "--out", str(out),
            "--no-report", "--quiet")  # fmt: skip
    assert r.returncode == 0, r.stderr

    metrics = {
        r["aoi_id"]: r
        for r in csv.DictReader(open(out / "metrics.csv", encoding="utf-8"))
        if r["touchpoint_id"] == "login"
    }
    # one fixation on each of the three AOIs looked at, none outside (before: 0, 0, 0, 3)
    for aoi in ("username", "password", "login-button"):
        assert metrics[aoi]["fixation_count"] == "1", (aoi, metrics[aoi])
    assert metrics["__outside__"]["fixation_count"] == "0"
    # TTFF from the touchpoint start: the username fixation ran into it, the others began at
    # 0.62 and 1.22 s (0.32 and 0.92 s after the start); a 200 Hz sample is 5 ms
    assert float(metrics["username"]["ttff_s"]) == pytest.approx(0.0, abs=1e-9)
    assert float(metrics["password"]["ttff_s"]) == pytest.approx(0.32, abs=0.02)
    assert float(metrics["login-button"]["ttff_s"]) == pytest.approx(0.92, abs=0.02)
    assert float(metrics["login-button"]["dwell_s"]) == pytest.approx(2.4 - 1.22, abs=0.03)

    fixations = [
        r
        for r in csv.DictReader(open(out / "fixations.csv", encoding="utf-8"))
        if r["touchpoint_id"] == "login"
    ]
    # fixations.csv is in the protocol's (CSS) px, where the screenshots and AOIs are
    assert [float(f["x_px"]) for f in fixations] == pytest.approx([195, 195, 195], abs=1)
    assert [float(f["page_y_px"]) for f in fixations] == pytest.approx([328, 404, 486], abs=1)

    session = json.loads((out / "sessions.json").read_text(encoding="utf-8"))[0]
    assert session["screen"] == {
        "width_px": 390,
        "height_px": 844,
        "width_mm": 65.0,
        "height_mm": 140.0,
        "distance_mm": 400.0,
    }
    assert any("1170x2532 px" in n and "divided by 3" in n for n in session["notes"])
    # scanpath in degrees is that of the phone: 76 + 82 CSS px at 65 mm / 390 px, 400 mm
    tp = next(
        r
        for r in csv.DictReader(open(out / "touchpoints.csv", encoding="utf-8"))
        if r["touchpoint_id"] == "login"
    )
    mm_per_px = 65.0 / 390
    expected_deg = float(
        np.degrees(np.arctan2((404 - 328) * mm_per_px, 400))
        + np.degrees(np.arctan2((486 - 404) * mm_per_px, 400))
    )
    assert float(tp["scanpath_length_deg"]) == pytest.approx(expected_deg, rel=0.05)


@pytest.mark.integration
def test_phone_gaze_in_css_px_is_not_scaled(tmp_path: Path) -> None:
    export = tmp_path / "P02_export"
    write_pupil_export(export, 1)  # the surface sized in the phone's CSS px
    study = tmp_path / "study"
    study.mkdir()
    r = run("import", "pupil_csv", str(export), "--out", str(study / "P02.h5"),
            "--participant", "P02", "--screen-width-mm", "65", "--screen-height-mm", "140",
            "--distance-mm", "400")  # fmt: skip
    assert r.returncode == 0, r.stderr
    out = tmp_path / "out"
    r = run("analyze", str(study), "--protocol", str(PROTOCOL), "--out", str(out),
            "--no-report", "--quiet")  # fmt: skip
    assert r.returncode == 0, r.stderr
    session = json.loads((out / "sessions.json").read_text(encoding="utf-8"))[0]
    assert not any("divided by" in n for n in session["notes"])
    metrics = {
        r["aoi_id"]: r["fixation_count"]
        for r in csv.DictReader(open(out / "metrics.csv", encoding="utf-8"))
        if r["touchpoint_id"] == "login"
    }
    assert metrics["password"] == "1" and metrics["__outside__"] == "0"


@pytest.mark.integration
def test_a_scrolling_app_screen_without_scroll_offsets_gets_app_advice(tmp_path: Path) -> None:
    """The warning told an app study to record the page with `gazemap present` (a browser)."""
    export = tmp_path / "P03_export"
    write_pupil_export(export, 1, touchpoint="statement", screen="statements")
    study = tmp_path / "study"
    study.mkdir()
    r = run("import", "pupil_csv", str(export), "--out", str(study / "P03.h5"),
            "--participant", "P03")  # fmt: skip
    assert r.returncode == 0, r.stderr
    r = run("analyze", str(study), "--protocol", str(PROTOCOL), "--out", str(tmp_path / "out"),
            "--no-report", "--quiet")  # fmt: skip
    assert r.returncode == 0, r.stderr
    warning = next(line for line in r.stderr.splitlines() if "no Scroll stream" in line)
    assert "'statements' (390x1600 px page in a 390x844 px viewport)" in warning
    assert "gazemap present" not in warning
    assert "An app's scrolling is not recorded" in warning
    assert "`gazemap mark screen/<id>`" in warning


@pytest.mark.integration
def test_a_phone_without_its_size_in_mm_is_warned_about(tmp_path: Path) -> None:
    """390x844 px with the default 531x299 mm: precision 1.19 deg instead of 0.31, silently."""
    export = tmp_path / "P04_export"
    write_pupil_export(export, 1)
    study = tmp_path / "study"
    study.mkdir()
    r = run("import", "pupil_csv", str(export), "--out", str(study / "P04.h5"),
            "--participant", "P04")  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "warning" in r.stderr and "390x844 px and 531x299 mm" in r.stderr
    assert "3.8 times as wide as tall" in r.stderr
    out = tmp_path / "out"
    r = run("analyze", str(study), "--protocol", str(PROTOCOL), "--out", str(out),
            "--no-report", "--quiet")  # fmt: skip
    assert r.returncode == 0, r.stderr
    line = next(ln for ln in r.stderr.splitlines() if "531x299 mm" in ln)
    assert line.startswith("gazemap analyze: warning: ")
    assert "the session's screen is 390x844 px" in line
    session = json.loads((out / "sessions.json").read_text(encoding="utf-8"))[0]
    assert any("3.8 times as wide as tall" in n for n in session["notes"])


@pytest.mark.integration
def test_app_study_as_docs_recording_md_runs_it(tmp_path: Path, unique_id: str) -> None:
    """docs/recording.md, "App studies": tracker + recorder + a moderator's marks + analyze.

    Source ids are the test's own (the docs use lab-gaze and gazemap-mark-*), so that other
    LSL programs on the machine stay out of the file.
    """
    import signal

    study = tmp_path / "app-study"
    study.mkdir()
    tracker = Proc(
        ["stream", "simulated", "--source-id", f"{unique_id}-gaze", "--rate-hz", "250",
         "--screen-width-px", "390", "--screen-height-px", "844", "--screen-width-mm", "65",
         "--screen-height-mm", "140", "--distance-mm", "400", "--wait-s", "60"],
        tmp_path, "tracker",
    )  # fmt: skip
    rec = Proc(
        ["record", "--out", str(study / "P01.h5"), "--participant", "P01", "--protocol",
         "bank-app", "--stream", f"{unique_id}-*", "--wait-s", "60"],
        tmp_path, "record",
    )  # fmt: skip
    wait_for(lambda: gaze_count(rec) > 250, 60, "a second of gaze in the recording")
    marks = [
        ["validation/195,422/start"],  # a dot on the phone (one of docs' five)
        ["validation/195,422/end"],
        ["touchpoint/login/start", "screen/login"],
        ["touchpoint/login/end", "touchpoint/send-money/start", "screen/accounts"],
        ["screen/transfer"],
        ["screen/transfer-done"],
        ["touchpoint/send-money/end", "touchpoint/statement/start", "screen/statements"],
        ["task/3/fail", "touchpoint/statement/end"],
    ]
    for texts in marks:
        r = run("mark", "--source-id", f"{unique_id}-mark", "--wait-s", "30", *texts)
        assert r.returncode == 0, r.stderr
    assert rec.stop(signal.SIGTERM, 60) == 0, rec.stderr()
    tracker.stop(signal.SIGTERM, 30)

    out = tmp_path / "app-out"
    r = run("analyze", str(study), "--protocol", str(PROTOCOL), "--out", str(out),
            "--no-report", "--quiet")  # fmt: skip
    assert r.returncode == 0, r.stderr
    session = json.loads((out / "sessions.json").read_text(encoding="utf-8"))[0]
    assert session["ok"] and session["marker_problems"] == []
    assert session["validation_points"] == 1  # the moderator's validation marks count
    assert session["screen"] == {
        "width_px": 390,
        "height_px": 844,
        "width_mm": 65.0,
        "height_mm": 140.0,
        "distance_mm": 400.0,
    }
    tps = {
        r["touchpoint_id"]: r
        for r in csv.DictReader(open(out / "touchpoints.csv", encoding="utf-8"))
    }
    assert list(tps) == ["login", "send-money", "statement"]
    # login succeeds on reaching accounts, send-money on transfer-done; statement given up
    assert [tps[t]["success"] for t in tps] == ["1", "1", "0"]
    # each touchpoint lasted from one mark to the next (each mark ~1-2 s): gaze in all
    for t in tps.values():
        assert float(t["time_on_touchpoint_s"]) > 0.5 and int(t["fixation_count"]) > 0
    # the three screens of send-money each have their own rows, cut by the marks
    screens = {
        r["screen_id"]
        for r in csv.DictReader(open(out / "fixations.csv", encoding="utf-8"))
        if r["touchpoint_id"] == "send-money"
    }
    assert screens == {"accounts", "transfer", "transfer-done"}
    assert any("An app's scrolling is not recorded" in n for n in session["notes"])


@pytest.mark.integration
def test_a_screenshot_of_one_view_for_a_scrolling_list_is_warned_about(tmp_path: Path) -> None:
    """The phone's capture of the first view (1170 x 2532) as the screenshot of a 390 x 1600
    list was stretched 3 x across and 1.58 x down with no word: the October row's outline
    lay over the bank logo."""
    import shutil

    import yaml

    doc = yaml.safe_load(PROTOCOL.read_text(encoding="utf-8"))
    shots = tmp_path / "bank-app"
    shutil.copytree(PROTOCOL.parent / "bank-app", shots)
    shutil.copy(shots / "login.png", shots / "statements.png")  # one view, not the list
    proto = tmp_path / "bank-app.yaml"
    proto.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")

    r = run("protocol", "check", str(proto))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("OK ")
    warning = next(ln for ln in r.stderr.splitlines() if "screen 'statements'" in ln)
    assert warning.startswith("gazemap protocol: warning: ")
    assert "is 1170x2532 px but its page is 390x1600 px" in warning
    assert "(3 times across, 1.58 times down)" in warning
    assert "(1170x4800 px at this width)" in warning
    # the other screens are the device-px captures of their pages: one factor, no warning
    assert len([ln for ln in r.stderr.splitlines() if "warning" in ln]) == 1

    export = tmp_path / "P05_export"
    write_pupil_export(export, 1)
    study = tmp_path / "study"
    study.mkdir()
    r = run("import", "pupil_csv", str(export), "--out", str(study / "P05.h5"),
            "--participant", "P05", "--screen-width-mm", "65", "--screen-height-mm", "140",
            "--distance-mm", "400")  # fmt: skip
    assert r.returncode == 0, r.stderr
    r = run("analyze", str(study), "--protocol", str(proto), "--out", str(tmp_path / "out"),
            "--no-report", "--quiet")  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert any(
        ln.startswith("gazemap analyze: warning: screen 'statements'") and "1.58 times" in ln
        for ln in r.stderr.splitlines()
    )
