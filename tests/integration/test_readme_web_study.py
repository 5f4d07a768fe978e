"""The README's web-study commands, run as a user pastes them into bash.

Found by doing exactly that in a fresh clone: `gazemap record --out study/P01.h5` failed
("folder study does not exist"), Ctrl-C could not stop the recorder started with `&`, and
without `--stream` the recorder took other LSL programs' Gaze stream as /streams/gaze. The
block now starts with `mkdir -p study`, names its streams and ends the background jobs with
`kill %2 %1; wait`. The only changes made here: `--headless --autoplay` on the presenter
(what the README's comment says for a demo; there is no display), and unique source ids
instead of `lab-gaze` / the default presenter id, so parallel tests never meet.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import pytest
from conftest import REPO, gazemap_cmd

from gazemap.store import open_session

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not Path("/usr/bin/chromium").is_file(), reason="needs Debian's chromium"),
]


def readme_web_study_block() -> list[str]:
    lines = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("mkdir -p study"))
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("```"))
    return lines[start:end]


def test_readme_web_study_block_runs_as_written(tmp_path: Path) -> None:
    block = readme_web_study_block()
    assert [ln.split()[1] for ln in block if ln.startswith("gazemap ")] == [
        "stream",
        "record",
        "present",
        "analyze",
    ]
    assert any(ln.startswith("kill %2 %1; wait") for ln in block)
    uid = f"gazemap-test-readme-{uuid.uuid4().hex[:10]}"
    script = []
    for ln in block:
        ln = ln.replace("lab-gaze", f"{uid}-gaze")
        ln = ln.replace("gazemap-present-P01-*", f"{uid}-present-*")
        if ln.startswith("gazemap present "):
            code, _, comment = ln.partition("#")
            assert "--headless --autoplay" in comment
            ln = f"{code.rstrip()} --headless --autoplay --source-id {uid}-present"
        script.append(ln)
    (tmp_path / "protocols").symlink_to(REPO / "protocols")
    env = dict(os.environ)
    env["PATH"] = str(Path(gazemap_cmd()[0]).parent) + os.pathsep + env.get("PATH", "")
    res = subprocess.run(
        ["bash", "-e", "-c", "\n".join(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    assert "1 of 1 sessions analysed" in res.stderr
    assert (tmp_path / "out" / "index.html").is_file()
    assert (tmp_path / "study" / "screenshots" / "screenshots.json").is_file()
    assert "warning: a second" not in res.stderr
    with open_session(tmp_path / "study" / "P01.h5") as s:
        assert s.attrs["stop_reason"] == "SIGTERM"
        assert s.stream_attrs("gaze")["source_id"] == f"{uid}-gaze"
        assert s.stream_attrs("markers")["source_id"] == f"{uid}-present-markers"
        assert s.stream_attrs("scroll")["source_id"] == f"{uid}-present-scroll"
        screens = [v for v in s.markers().value if str(v).startswith("screen/")]
    assert len(screens) >= 7
    # the presenter's validation targets (--validation-points 5) give the session an accuracy
    # (a large one: the simulated tracker free-views and does not look at the dots)
    import json

    (session,) = json.loads((tmp_path / "out" / "sessions.json").read_text())
    assert session["validation_points"] == 5 and session["accuracy_deg"] > 0
