"""`gazemap report` and `gazemap heatmap` on an analysis folder a researcher opened in a
spreadsheet program and saved again (another encoding), and on a kernel width no heatmap has:
one line naming the file or option (both were tracebacks: UnicodeDecodeError, cv2.error)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import REPO, gazemap_cmd

pytestmark = pytest.mark.integration
PROTOCOL = REPO / "protocols" / "online-store.yaml"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*gazemap_cmd(), *args], capture_output=True, text=True, timeout=300, check=False
    )


def _one_line(res: subprocess.CompletedProcess[str], command: str) -> str:
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert "Traceback" not in res.stderr
    lines = [ln for ln in res.stderr.strip().splitlines() if not ln.startswith("drawing")]
    assert len(lines) == 1 and lines[0].startswith(f"gazemap {command}: error: "), res.stderr
    return lines[0]


@pytest.fixture(scope="module")
def analysis(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("an")
    study = root / "study"
    study.mkdir()
    shutil.copy(REPO / "recordings" / "sample" / "P01.h5", study / "P01.h5")
    out = root / "out"
    res = _run(
        "analyze", str(study), "--protocol", str(PROTOCOL), "--out", str(out), "--no-report",
        "--quiet",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    return study, out


@pytest.mark.parametrize("name", ["fixations.csv", "touchpoints.csv"])
def test_a_csv_saved_in_another_encoding_names_the_file(
    analysis: tuple[Path, Path], tmp_path: Path, name: str
) -> None:
    study, out = analysis
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    text = (copy / name).read_text(encoding="utf-8")
    (copy / name).write_bytes(text.replace("P01", "P01 café", 1).encode("cp1252"))
    msg = _one_line(_run("report", str(copy), "--quiet", "--no-gaze-plots"), "report")
    assert f"{copy / name} is not UTF-8 text" in msg and "CSV UTF-8" in msg
    if name == "fixations.csv":
        msg = _one_line(
            _run("heatmap", str(study), "--analysis", str(copy), "--protocol", str(PROTOCOL),
                 "--touchpoint", "search", "--out", str(tmp_path / "h.png")),
            "heatmap",
        )  # fmt: skip
        assert f"{copy / name} is not UTF-8 text" in msg
        assert not (tmp_path / "h.png").exists()


@pytest.mark.parametrize("sigma", ["1e9", "21", "nan"])
def test_a_kernel_no_heatmap_has_is_refused(
    analysis: tuple[Path, Path], tmp_path: Path, sigma: str
) -> None:
    study, out = analysis
    png = tmp_path / "h.png"
    msg = _one_line(
        _run("heatmap", str(study), "--analysis", str(out), "--protocol", str(PROTOCOL),
             "--touchpoint", "search", "--sigma-deg", sigma, "--out", str(png)),
        "heatmap",
    )  # fmt: skip
    assert "--sigma-deg must be > 0 and <= 20 degrees" in msg and "0.5-2 deg" in msg
    assert not png.exists()
    msg = _one_line(_run("report", str(out), "--sigma-deg", sigma, "--quiet"), "report")
    assert "--sigma-deg must be > 0 and <= 20 degrees" in msg
    assert not (out / "index.html").exists()  # refused before drawing anything


def test_heatmap_out_that_is_not_a_png_name_or_is_a_folder(
    analysis: tuple[Path, Path], tmp_path: Path
) -> None:
    study, out = analysis
    base = ["heatmap", str(study), "--analysis", str(out), "--protocol", str(PROTOCOL)]
    jpg = tmp_path / "search.jpg"
    msg = _one_line(_run(*base, "--touchpoint", "search", "--out", str(jpg)), "heatmap")
    assert "writes PNG images" in msg and str(tmp_path / "search.png") in msg
    assert not jpg.exists()  # it held PNG data under a .jpg name
    folder = tmp_path / "maps.png"
    folder.mkdir()
    msg = _one_line(_run(*base, "--touchpoint", "search", "--out", str(folder)), "heatmap")
    assert f"--out {folder} is a folder" in msg
