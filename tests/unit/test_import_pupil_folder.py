"""`gazemap import pupil_csv` given the Pupil recording folder (or its exports/) instead of
the export folder in it said 'define a surface … and export again', which the user had done.
It now names the export folder(s) to give."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import REPO

from gazemap.errors import ImportFormatError
from gazemap.importers.pupil_csv import read_pupil_export

EXPORT = REPO / "tests" / "reference" / "importers" / "pupil_export"


@pytest.mark.parametrize("given", ["recording", "exports"])
def test_recording_folder_names_the_export_folder(tmp_path: Path, given: str) -> None:
    export = tmp_path / "2026_11_26" / "003" / "exports" / "000"
    shutil.copytree(EXPORT, export)
    folder = export.parent.parent if given == "recording" else export.parent
    with pytest.raises(ImportFormatError, match=r"is not an export folder.*exports/000"):
        read_pupil_export(folder)
    (rec,) = read_pupil_export(export)
    assert len(rec.time_s) > 0


def test_folder_without_any_surface_export_keeps_the_surface_advice(tmp_path: Path) -> None:
    with pytest.raises(ImportFormatError, match="define a surface"):
        read_pupil_export(tmp_path)


def _export_with_surface_size(tmp_path: Path, w: float, h: float) -> Path:
    """The reference export with its surface's x_scaled/y_scaled set for a w x h surface."""
    import csv

    export = tmp_path / "exports" / "000"
    shutil.copytree(EXPORT, export)
    f = export / "surfaces" / "gaze_positions_on_surface_Screen.csv"
    rows = list(csv.reader(f.open()))
    head = rows[0]
    xi, yi = head.index("x_norm"), head.index("y_norm")
    xs, ys = head.index("x_scaled"), head.index("y_scaled")
    for r in rows[1:]:
        r[xs] = f"{float(r[xi]) * w:.3f}"
        r[ys] = f"{float(r[yi]) * h:.3f}"
    with f.open("w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return export


def test_screen_size_from_the_surface_size_in_px(tmp_path: Path) -> None:
    # a 2560 x 1440 screen whose surface was sized in px in Pupil Player: the import used
    # 1920 x 1080 unless told, putting every fixation 25 % up-left of its AOI, silently
    (rec,) = read_pupil_export(_export_with_surface_size(tmp_path, 2560, 1440))
    assert rec.screen_px == (2560, 1440)
    assert rec.warnings == []
    # the reference fixture's first fixation sits at (0.25, 0.75) of the surface (y up)
    assert rec.gaze["x_px"][0] == pytest.approx(0.25 * 2560)
    assert rec.gaze["y_px"][0] == pytest.approx(0.25 * 1440)


def test_unsized_surface_warns_about_the_assumed_screen(tmp_path: Path) -> None:
    (rec,) = read_pupil_export(_export_with_surface_size(tmp_path, 1.0, 1.0))
    assert rec.screen_px == (1920, 1080)
    assert len(rec.warnings) == 1 and "--screen-width-px" in rec.warnings[0]


def test_given_screen_that_differs_from_the_surface_warns(tmp_path: Path) -> None:
    (rec,) = read_pupil_export(
        _export_with_surface_size(tmp_path, 2560, 1440), screen_px=(1920, 1080)
    )
    assert rec.screen_px == (1920, 1080)
    assert len(rec.warnings) == 1 and "2560 x 1440" in rec.warnings[0]
