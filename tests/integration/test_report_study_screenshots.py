"""The real ``gazemap analyze`` on a study folder that holds its own screenshots
(``screenshots.json`` as ``gazemap present --screenshots DIR`` writes it): heatmaps are drawn
on those captures, evidence.json names them, a size mismatch is a note; without a
screenshots.json the outputs are unchanged."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import REPO, SAMPLE, gazemap_cmd

pytestmark = pytest.mark.integration

PROTOCOL = REPO / "protocols" / "online-store.yaml"
MAGENTA = (255, 0, 255)  # RGB, a colour the protocol's screenshots do not use
CYAN = (0, 255, 255)


def _png(path: Path, width_px: int, height_px: int, rgb: tuple[int, int, int]) -> None:
    img = np.zeros((height_px, width_px, 3), np.uint8)
    img[:] = rgb[::-1]  # BGR
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), img)


def _rgb(path: Path) -> np.ndarray:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert bgr is not None, path
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def _share(img: np.ndarray, rgb: tuple[int, int, int]) -> float:
    return float(np.all(img == np.array(rgb, np.uint8), axis=2).mean())


def _near(img: np.ndarray, rgb: tuple[int, int, int], tol: int = 6) -> float:
    """Share of pixels within ``tol`` levels of ``rgb`` in every channel."""
    return float((np.abs(img.astype(int) - np.array(rgb)).max(axis=2) <= tol).mean())


def _magenta_ish(img: np.ndarray) -> float:
    """Share of pixels whose red and blue both clearly exceed green (a darkened magenta)."""
    return float(((img[..., 0] > img[..., 1] + 50) & (img[..., 2] > img[..., 1] + 50)).mean())


def _analyze(study: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*gazemap_cmd(), "analyze", str(study), "--out", str(out), "--no-cache", "--quiet"],
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    if not (SAMPLE / "P01.h5").is_file():
        pytest.skip("recordings/sample is not there")
    root = tmp_path_factory.mktemp("shots")
    study = root / "study"
    study.mkdir()
    shutil.copy(SAMPLE / "P01.h5", study / "P01.h5")
    (study / "study.yaml").write_text(f"protocol: {PROTOCOL}\n", encoding="utf-8")
    plain = _analyze(study, root / "out-plain")
    assert plain.returncode == 0, plain.stderr
    shots = study / "screenshots"
    _png(shots / "home.png", 1440, 2600, MAGENTA)  # the protocol's page size
    _png(shots / "search.png", 1440, 3000, MAGENTA)  # protocol says 1440x3200
    _png(shots / "P01" / "home.png", 1440, 2600, CYAN)  # per participant
    manifest = {
        "protocol": "online-store",
        "screens": {
            "home": {"file": "home.png", "width_px": 1440, "height_px": 2600},
            "search": {"file": "search.png", "width_px": 1440, "height_px": 3000},
            "P01/home": {"file": "P01/home.png", "width_px": 1440, "height_px": 2600},
        },
    }
    (shots / "screenshots.json").write_text(json.dumps(manifest), encoding="utf-8")
    with_shots = _analyze(study, root / "out-shots")
    assert with_shots.returncode == 0, with_shots.stderr
    # the size mismatch of 'search' is also printed as a note
    notes = [ln for ln in with_shots.stderr.splitlines() if "note: screen 'search'" in ln]
    assert len(notes) == 1 and "1440x3000" in notes[0], with_shots.stderr
    assert "note: screen 'search'" not in plain.stderr
    return study, root / "out-plain", root / "out-shots"


def test_heatmap_is_drawn_on_the_study_capture_and_named(runs) -> None:  # type: ignore[no-untyped-def]
    study, plain, shots = runs
    ev = json.loads((shots / "evidence.json").read_text(encoding="utf-8"))
    try:
        import jsonschema  # not a declared dependency: checked when installed
    except ImportError:  # pragma: no cover
        jsonschema = None
    if jsonschema is not None:
        schema = json.loads((REPO / "docs" / "evidence.schema.json").read_text(encoding="utf-8"))
        jsonschema.validate(ev, schema)
    rec = ev["screenshots"]
    home = rec["home"]
    assert home["source"] == "study"
    # paths relative to the analysis folder (out-shots beside study)
    assert home["file"] == "../study/screenshots/home.png"
    assert (home["width_px"], home["height_px"]) == (1440, 2600)
    assert home["note"] is None
    assert rec["cart"]["source"] == "protocol"
    cart = REPO / "protocols" / "online-store" / "cart.png"
    assert (shots / rec["cart"]["file"]).resolve() == cart.resolve()
    assert home["participants"]["P01"]["file"] == "../study/screenshots/P01/home.png"
    heat = _rgb(shots / "touchpoints" / "home" / "home_heatmap.png")
    # the capture's size, below the legend's strip (about 112 px at 1440 px)
    assert heat.shape[1] == 1440 and 60 <= heat.shape[0] - 2600 <= 140, heat.shape
    # most of the page is far from any fixation: the capture shows through unchanged
    assert _share(heat, MAGENTA) > 0.3
    assert _share(_rgb(plain / "touchpoints" / "home" / "home_heatmap.png"), MAGENTA) == 0.0
    # the fog map too: where people looked, the magenta capture is visible
    fog = _rgb(shots / "touchpoints" / "home" / "home_fog.jpg").astype(int)
    plain_fog = _rgb(plain / "touchpoints" / "home" / "home_fog.jpg").astype(int)
    assert _magenta_ish(fog) > 0.05 and _magenta_ish(plain_fog) == 0.0
    # the protocol's screenshot is still used for a screen the study did not capture
    assert _share(_rgb(shots / "touchpoints" / "cart" / "cart_heatmap.png"), MAGENTA) == 0.0
    # P01's gaze plot is drawn on P01's own capture
    gaze = _rgb(shots / "touchpoints" / "home" / "home_gazeplot_P01.png")
    # a gaze plot is a 256-colour PNG: flat colours within a few levels of 255
    assert _near(gaze, CYAN) > 0.3 and _near(gaze, MAGENTA) == 0.0


def test_size_mismatch_is_a_note_and_still_drawn(runs) -> None:  # type: ignore[no-untyped-def]
    _, _, shots = runs
    search = json.loads((shots / "evidence.json").read_text(encoding="utf-8"))["screenshots"][
        "search"
    ]
    assert search["source"] == "study"
    assert (search["height_px"], search["page_height_px"]) == (3000, 3200)
    assert "1440x3000" in search["note"] and "1440x3200" in search["note"]
    # the note names the capture relative to the study folder, not by this machine's path
    assert "the study's screenshot screenshots/search.png is 1440x3000 px" in search["note"]
    heat = _rgb(shots / "touchpoints" / "search" / "search_heatmap.png")
    assert heat.shape[1] == 1440 and 60 <= heat.shape[0] - 3000 <= 140, heat.shape
    assert _share(heat, MAGENTA) > 0.3
    html = (shots / "touchpoints" / "search" / "index.html").read_text(encoding="utf-8")
    assert "1440x3000" in html


def test_without_screenshots_json_nothing_changes(runs) -> None:  # type: ignore[no-untyped-def]
    _, plain, shots = runs
    assert "screenshots" not in json.loads((plain / "evidence.json").read_text("utf-8"))
    for name in ("metrics.csv", "touchpoints.csv", "fixations.csv", "evidence.csv"):
        assert (plain / name).read_bytes() == (shots / name).read_bytes(), name
    html = (plain / "touchpoints" / "search" / "index.html").read_text(encoding="utf-8")
    assert "1440x3000" not in html


def test_outputs_hold_no_absolute_path_and_resolve_from_the_folder(runs, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The analysis folder can be zipped and sent: no path of this machine is in any file,
    and every path in it resolves from the folder itself, whatever the current folder."""
    study, _, shots = runs
    here = [str(study.parent), str(REPO), str(Path.home())]
    files = [p for p in shots.rglob("*") if p.suffix in (".json", ".csv", ".html")]
    assert {p.name for p in files} >= {"evidence.json", "sessions.json", "aois.csv", "index.html"}
    for p in files:
        text = p.read_text(encoding="utf-8")
        for h in here:  # an absolute path; a relative one may pass through it ("../../work")
            assert not re.search(r"(?<!\.)" + re.escape(h), text), (p, h)
    ev = json.loads((shots / "evidence.json").read_text(encoding="utf-8"))
    assert ev["study"] == "../study"
    assert (shots / ev["protocol"]["path"]).resolve() == PROTOCOL.resolve()
    sessions = json.loads((shots / "sessions.json").read_text(encoding="utf-8"))
    assert [s["file"] for s in sessions] == ["../study/P01.h5"]
    for shot in ev["screenshots"].values():
        for rec in (shot, *shot["participants"].values()):
            assert not Path(rec["file"]).is_absolute() and (shots / rec["file"]).is_file()
    # `gazemap report` from another folder finds the protocol and the study's captures
    again = shots.parent / "out-again"
    shutil.copytree(shots, again)
    for png in again.rglob("*.png"):
        png.unlink()
    r = subprocess.run(
        [*gazemap_cmd(), "report", str(again), "--quiet"],
        capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL, cwd=tmp_path,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert _share(_rgb(again / "touchpoints" / "home" / "home_heatmap.png"), MAGENTA) > 0.3
