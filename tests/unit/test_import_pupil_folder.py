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
