"""`gazemap present` without --headless (kiosk mode), run on a machine without a display.

The kiosk code path (Chromium launched with a window: --kiosk --start-fullscreen, the
participant's page in that window, screenshots in a second, headless browser, the viewport
position estimated from the window) is run for real through Chromium's Ozone "headless"
platform: GAZEMAP_CHROMIUM points at a wrapper that adds `--ozone-platform=headless` and
logs every launch's flags. What this cannot show: that a window manager really makes the
window full screen. Ozone headless has no window manager, so the window stays at its
default place (e.g. screenX 10) and the viewport position is reported from it; on a real
display in kiosk mode it is (0, 0). docs/presenter.md says so.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import numpy as np
import pytest
from integration.present_helpers import CHROMIUM, ONLINE_STORE, run_present

from gazemap.presenter.browser import png_size
from gazemap.presenter.matching import journey_plan
from gazemap.protocol import load_protocol

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not CHROMIUM.is_file(), reason="needs Debian's chromium at /usr/bin/chromium"
    ),
]


def _kiosk_env(tmp: Path) -> tuple[dict[str, str], Path]:
    log = tmp / "chromium-launches.txt"
    wrapper = tmp / "chromium-ozone-headless"
    wrapper.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> "{log}"\n'
        f'exec {CHROMIUM} --ozone-platform=headless --ozone-override-screen-size=1440,900 "$@"\n'
    )
    wrapper.chmod(0o755)
    # any DISPLAY passes `gazemap present`'s check; Chromium on Ozone headless never uses it
    return {"GAZEMAP_CHROMIUM": str(wrapper), "DISPLAY": ":gazemap-test"}, log


def test_kiosk_autoplay_walks_the_journey_with_screenshots(tmp_path: Path) -> None:
    env, log = _kiosk_env(tmp_path)
    shots = tmp_path / "shots"
    sid = f"gazemap-test-kiosk-{uuid.uuid4().hex[:10]}"
    run = run_present(
        [
            str(ONLINE_STORE),
            "--participant",
            "PK1",
            "--autoplay",
            "--screenshots",
            str(shots),
            "--screen-timeout-s",
            "20",
        ],
        sid,
        env=env,
    )
    assert run.returncode == 0, run.stderr
    plan = [ps.screen.id for ps in journey_plan(load_protocol(ONLINE_STORE))]
    shown = list(dict.fromkeys(v.split("/", 1)[1] for v in run.values("screen/")))
    assert shown == plan

    launches = log.read_text().splitlines()
    kiosk = [ln for ln in launches if "--kiosk" in ln.split()]
    assert len(kiosk) == 1, launches
    flags = kiosk[0].split()
    assert "--start-fullscreen" in flags and "--window-size=1440,900" in flags
    assert not any(f.startswith("--headless") for f in flags)
    # screenshots come from a second, headless browser: the participant's window never flickers
    assert any(any(f.startswith("--headless") for f in ln.split()) for ln in launches)
    manifest = json.loads((shots / "screenshots.json").read_text())
    assert sorted(manifest["screens"]) == sorted(plan)
    for entry in manifest["screens"].values():
        assert png_size(shots / entry["file"])[0] == 1440

    # the viewport position is the window's (not forced to 0, 0 as in --headless), one
    # value for the whole session because the window does not move
    assert len(run.scroll) > 10
    viewport = run.scroll[:, 2:4]
    assert np.isfinite(viewport).all()
    assert len({tuple(v) for v in viewport}) == 1


def test_kiosk_live_session_ends_after_max_duration(tmp_path: Path) -> None:
    env, log = _kiosk_env(tmp_path)
    sid = f"gazemap-test-kiosk-{uuid.uuid4().hex[:10]}"
    run = run_present(
        [str(ONLINE_STORE), "--participant", "PK2", "--max-duration-s", "3"], sid, env=env
    )
    assert run.returncode == 0, run.stderr
    assert "presenting; close the browser window or press Ctrl+C" in run.stderr
    assert (
        "gazemap present: moderator: Ctrl+Alt+G in the browser marks the running task as given "
        "up (task/<n>/fail) and opens the next task's page"
    ) in run.stderr
    assert run.values("screen/") == ["screen/home"]
    assert "never shown: search, product" in run.stdout
    assert any("--kiosk" in ln.split() for ln in log.read_text().splitlines())


def test_kiosk_give_up_key_reaches_the_windowed_page(tmp_path: Path) -> None:
    """The moderator's key in a Chromium with a window (autoplay presses it on 'product')."""
    env, _ = _kiosk_env(tmp_path)
    sid = f"gazemap-test-kiosk-{uuid.uuid4().hex[:10]}"
    run = run_present(
        [str(ONLINE_STORE), "--participant", "PK3", "--autoplay", "--give-up", "product"],
        sid,
        env=env,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.rstrip().endswith("; given up: task 3 (product)")
    values = [v for _, v in run.markers if not v.startswith("aoi-boxes ")]
    i = values.index("task/3/fail")
    assert values[i - 1 : i + 5] == [
        "touchpoint/product/start",
        "task/3/fail",
        "touchpoint/product/end",
        "task/3/end",
        "screen/cart",
        "task/4/start",
    ]
    assert [v for v in values if v.endswith("/fail")] == ["task/3/fail"]
