"""The real commands apply the screen-geometry options to the session files they write."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import gazemap_cmd
from integration.gazemap_procs import Proc, stop_leftovers  # noqa: F401 (autouse fixture)
from integration.test_record_cli import sim

from gazemap.store import open_session

pytestmark = pytest.mark.integration
REF = Path(__file__).resolve().parents[1] / "reference" / "importers"
ALL = [
    "--screen-width-px", "1280", "--screen-height-px", "1024", "--screen-width-mm", "376",
    "--screen-height-mm", "301", "--distance-mm", "600",
]  # fmt: skip


def _screen(path: Path) -> tuple[float, ...]:
    with open_session(path) as s:
        sc = s.screen
        return (sc.width_px, sc.height_px, sc.width_mm, sc.height_mm, sc.distance_mm)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*gazemap_cmd(), *args], capture_output=True, text=True, timeout=120)


def test_simulate_applies_every_screen_option(tmp_path: Path) -> None:
    out = tmp_path / "s.h5"
    r = run("simulate", "--out", str(out), "--duration-s", "1", "--rate-hz", "100", *ALL)
    assert r.returncode == 0, r.stderr
    assert _screen(out) == (1280, 1024, 376.0, 301.0, 600.0)


def test_import_applies_every_screen_option(tmp_path: Path) -> None:
    out = tmp_path / "t.h5"
    r = run("import", "tobii_tsv", str(REF / "tobii_studio.tsv"), "--out", str(out), *ALL)
    assert r.returncode == 0, r.stderr
    assert _screen(out) == (1280, 1024, 376.0, 301.0, 600.0)


def test_stream_simulated_options_reach_the_recording_and_record_options_win(
    tmp_path: Path, unique_id: str
) -> None:
    out = tmp_path / "r.h5"
    s = sim(tmp_path, unique_id, "--rate-hz", "200", "--duration-s", "20", *ALL)
    try:
        rec = Proc(
            ["record", "--out", str(out), "--stream", f"{unique_id}*", "--duration-s", "1",
             "--screen-height-mm", "300", "--distance-mm", "700"],
            tmp_path, "rec",
        )  # fmt: skip
        assert rec.wait(60) == 0, rec.stderr()
    finally:
        s.stop()
    # width px/mm and height px from the simulated tracker's stream; the rest from record
    assert _screen(out) == (1280, 1024, 376.0, 300.0, 700.0)


def test_present_applies_the_pixel_options(tmp_path: Path) -> None:
    """The browser window (viewport) takes --screen-width-px/--screen-height-px: the captured
    screenshot's viewport says so."""
    import json
    import uuid

    from integration.present_helpers import CHROMIUM, protocol_copy, run_present

    if not CHROMIUM.is_file():
        pytest.skip(f"needs Debian's chromium at {CHROMIUM}")

    def first_touchpoint_only(doc: dict) -> None:
        doc["stages"] = doc["stages"][:1]
        doc["stages"][0]["touchpoints"] = doc["stages"][0]["touchpoints"][:1]
        doc["stages"][0]["touchpoints"][0].pop("success", None)  # it names the next screen

    shots = tmp_path / "shots"
    run = run_present(
        [
            str(protocol_copy(tmp_path, first_touchpoint_only)), "--participant", "P01",
            "--headless", "--autoplay", "--screen-timeout-s", "5", "--screenshots", str(shots),
            "--screen-width-px", "1280", "--screen-height-px", "800",
        ],
        f"gazemap-test-screen-{uuid.uuid4().hex[:10]}",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    home = json.loads((shots / "screenshots.json").read_text(encoding="utf-8"))["screens"]["home"]
    assert (home["viewport_width_px"], home["viewport_height_px"]) == (1280, 800)
