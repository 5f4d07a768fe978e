"""Drivers through the real `gazemap stream` command (and `gazemap record`), with fake peers:
the Open Gaze server over loopback, and the stand-in SDK modules put on PYTHONPATH so the
command imports them exactly where it would import tobii_research / pylink."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import gazemap_cmd
from fakes.lslcollect import Collector
from fakes.opengaze import FakeOpenGazeServer

from gazemap.store import open_session
from gazemap.types import Validity

pytestmark = pytest.mark.integration
FAKES = Path(__file__).resolve().parents[1] / "fakes"


def env_with_fake_sdks() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(FAKES) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def test_gazepoint_stream_recorded_into_a_session(tmp_path: Path, unique_id: str) -> None:
    out = tmp_path / "gp.h5"
    with FakeOpenGazeServer(rate_hz=150) as srv:
        stream = subprocess.Popen(
            [
                *gazemap_cmd(),
                "stream",
                "gazepoint",
                "--port",
                str(srv.port),
                "--source-id",
                unique_id,
                "--duration-s",
                "8",
                "--screen-width-mm",
                "510",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        rec = subprocess.run(
            [
                *gazemap_cmd(),
                "record",
                "--out",
                str(out),
                "--stream",
                unique_id,
                "--stream",
                unique_id + "-markers",
                "--duration-s",
                "3",
                "--wait-s",
                "10",
                "--quiet",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        so, se = stream.communicate(timeout=60)
    assert rec.returncode == 0, rec.stderr
    assert stream.returncode == 0, se
    assert "published" in so
    with open_session(out) as s:
        g = s.gaze()
        assert len(g) > 150  # ~3 s at 150 Hz
        ok = g.validity == 0
        assert ok.any()
        assert np.all((g.x_px[ok] >= 0.1 * 1920 - 1) & (g.x_px[ok] <= 0.9 * 1920 + 1))
        assert np.allclose(g.left_pupil_mm, 3.5, atol=1e-3)
        assert ((g.validity & Validity.RIGHT_INVALID) != 0).any()
        assert s.screen.width_mm == 510
        assert s.stream_attrs("gaze")["source_id"] == unique_id


def test_tobii_stream_with_stand_in_sdk_on_the_path(unique_id: str) -> None:
    gaze = Collector(unique_id)
    p = subprocess.Popen(
        [*gazemap_cmd(), "stream", "tobii", "--source-id", unique_id, "--duration-s", "6"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env_with_fake_sdks(),
    )
    ok = gaze.wait_ready(15) and gaze.wait_for(lambda c: len(c.samples) >= 100, 15)
    p.terminate()
    p.communicate(timeout=30)
    gaze.close()
    assert ok
    assert gaze.info.desc().child("acquisition").child_value("model") == "Tobii Pro Spectrum (fake)"
    s = np.array(gaze.samples, dtype=float)
    assert np.allclose(s[:, 1], 0.4 * 1080, atol=0.01)


def test_eyelink_stream_with_stand_in_pylink(unique_id: str) -> None:
    gaze = Collector(unique_id)
    p = subprocess.Popen(
        [*gazemap_cmd(), "stream", "eyelink", "--source-id", unique_id, "--duration-s", "6"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env_with_fake_sdks(),
    )
    ok = gaze.wait_ready(15) and gaze.wait_for(lambda c: len(c.samples) >= 100, 15)
    p.terminate()
    p.communicate(timeout=30)
    gaze.close()
    assert ok
    assert np.allclose(np.array(gaze.samples, dtype=float)[:, 1], 300.0)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["stream", "tobii"], "pip install tobii-research"),
        (["stream", "gazepoint", "--port", "1"], "connection refused"),
        (["stream", "pupil_core", "--port", "1"], "Pupil Remote plugin"),
        (["stream", "lsl-relay"], "needs --profile"),
    ],
)
def test_clear_one_line_errors(argv: list[str], message: str) -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = ""  # no stand-in SDKs: the real situation on this machine
    r = subprocess.run([*gazemap_cmd(), *argv], capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 2, r.stderr
    assert message in r.stderr and "Traceback" not in r.stderr
    assert r.stderr.strip().count("\n") == 0 or sys.platform == "win32"
