"""The real ``gazemap heatmap`` and ``gazemap report`` commands on a hand-built analysis."""

from __future__ import annotations

import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import gazemap_cmd
from unit.test_report_fixture import PAGE_H, PAGE_W, build_analysis

pytestmark = pytest.mark.integration


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*gazemap_cmd(), *args], capture_output=True, text=True, timeout=300, cwd=cwd
    )


@pytest.fixture(scope="module")
def analysis(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("cli")
    out, protocol = build_analysis(root)
    return out, Path(protocol.path)


def test_report_command_rebuilds_html(analysis) -> None:
    out, _ = analysis
    r = run("report", str(out), "--quiet")  # protocol from evidence.json
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(out / "index.html")
    assert (out / "touchpoints/search/results2_heatmap.png").is_file()
    assert "Find &amp; compare" in (out / "index.html").read_text()


def test_heatmap_command_writes_one_png(analysis, tmp_path: Path) -> None:
    out, proto = analysis
    png = tmp_path / "hm.png"
    r = run(
        "heatmap", str(proto.parent), "--touchpoint", "search", "--screen", "results2",
        "--participants", "P01", "P02", "--out", str(png), "--protocol", str(proto),
        "--analysis", str(out),
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(png)
    img = cv2.imread(str(png))
    # the page, with the legend in a strip of its own above it (as in the report)
    assert img.shape[1] == PAGE_W and img.shape[0] > PAGE_H
    strip = img[: img.shape[0] - PAGE_H]
    assert strip.min() < 128 < strip.max()  # text and colour bar on a light band
    shot = cv2.imread(str(proto.parent / "shots/results2.png"))
    page = img[img.shape[0] - PAGE_H :].astype(int)
    assert np.abs(page - shot).sum() > 0  # something was drawn over the page


@pytest.mark.parametrize("kind", ["fog", "gazeplot"])
def test_heatmap_command_other_kinds(analysis, tmp_path: Path, kind: str) -> None:
    out, proto = analysis
    r = run(
        "heatmap", str(proto.parent), "--touchpoint", "home", "--kind", kind,
        "--analysis", str(out), "--protocol", str(proto), cwd=tmp_path,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert (tmp_path / f"{kind}_home_home.png").is_file()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--touchpoint", "nope"], "--touchpoint 'nope' is not in protocol 'mini-store'"),
        (["--touchpoint", "home", "--screen", "cart"], "--screen 'cart' is not a screen of"),
        (["--touchpoint", "home", "--participants", "P09"], "--participants P09: no fixations"),
        (["--touchpoint", "home", "--sigma-deg", "0"], "--sigma-deg must be > 0"),
        (["--touchpoint", "home", "--analysis", "/nonexistent"], "fixations.csv does not exist"),
        (["--touchpoint", "home", "--protocol", "/no.yaml"], "protocol file /no.yaml does not"),
    ],
)
def test_heatmap_command_errors_are_one_line(analysis, args: list[str], message: str) -> None:
    out, proto = analysis
    base = ["heatmap", str(proto.parent), "--analysis", str(out)]
    if "--protocol" not in args:
        base += ["--protocol", str(proto)]
    r = run(*base, *args)
    assert r.returncode == 2
    assert message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


def test_report_command_errors(tmp_path: Path, analysis) -> None:
    r = run("report", str(tmp_path / "none"))
    assert r.returncode == 2 and "does not exist" in r.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    r = run("report", str(empty))
    assert r.returncode == 2 and "evidence.json is missing" in r.stderr


def test_report_command_protocol_resolution_errors(tmp_path: Path) -> None:
    import json

    out, proto = build_analysis(tmp_path)
    r = run("report", str(out), "--protocol", str(tmp_path / "no.yaml"))
    assert r.returncode == 2 and "protocol file" in r.stderr and "Check --protocol" in r.stderr
    doc = json.loads((out / "evidence.json").read_text())
    doc["protocol"]["path"] = str(tmp_path / "moved.yaml")
    (out / "evidence.json").write_text(json.dumps(doc))
    r = run("report", str(out))
    assert r.returncode == 2 and "does not exist from here" in r.stderr
    doc["protocol"]["path"] = None
    (out / "evidence.json").write_text(json.dumps(doc))
    r = run("report", str(out))
    assert r.returncode == 2 and "does not name its protocol file" in r.stderr
    r = run("report", str(out), "--protocol", str(proto.path), "--quiet")  # the way out
    assert r.returncode == 0, r.stderr
