"""store.derived.read_imported: the events an importer stored, read as they are."""

from __future__ import annotations

from pathlib import Path

import h5py
import pytest

from gazemap.errors import InputError, SessionFileError
from gazemap.importers import import_file
from gazemap.store.derived import imported_events, is_imported_name, read_detection, read_imported
from gazemap.store.reader import Session

REF = Path(__file__).resolve().parents[1] / "reference" / "importers"


@pytest.fixture()
def asc(tmp_path: Path) -> Path:
    import_file("eyelink_asc", REF / "eyelink_monocular_vel_res.asc", tmp_path / "m.h5")
    return tmp_path / "m.h5"


def test_names() -> None:
    assert is_imported_name("eyelink_asc") and is_imported_name("lund_mn")
    assert not is_imported_name("ivt_pso") and not is_imported_name("eyelink")


def test_read_as_stored(asc: Path) -> None:
    with Session(asc) as s:
        assert imported_events(s) == ["eyelink_asc"]
        det = read_imported(s, "eyelink_asc")
        with h5py.File(asc, "r") as f:
            g = f["derived/eyelink_asc"]
            assert list(det.fixations.start_s) == list(g["fixations"]["start_s"])
            assert len(det.labels) == int(g.attrs["n_samples"])
        assert det.detector == "eyelink_asc" and det.params["imported"] is True
        assert det.params["source"] == "eyelink_asc"
        # read_detection routes an importer's name here
        again = read_detection(s, "eyelink_asc")
        assert again is not None and list(again.fixations.x_px) == list(det.fixations.x_px)


def test_errors(asc: Path) -> None:
    with Session(asc) as s:
        with pytest.raises(InputError, match="--param does not apply to 'eyelink_asc'"):
            read_imported(s, "eyelink_asc", {"x": 1})
        with pytest.raises(InputError, match="holds imported events eyelink_asc: use --detector"):
            read_imported(s, "tobii_tsv")
    with h5py.File(asc, "r+") as f:
        f["derived/eyelink_asc"].attrs["n_samples"] = 3
    with Session(asc) as s, pytest.raises(SessionFileError, match="stored for 3 gaze samples"):
        read_imported(s, "eyelink_asc")
    with h5py.File(asc, "r+") as f:
        g = f["derived/eyelink_asc"]
        g.attrs["n_samples"] = f["streams/gaze/time_s"].shape[0]
        del g["saccades"]
    with Session(asc) as s, pytest.raises(SessionFileError, match="damaged .*import the source"):
        read_imported(s, "eyelink_asc")
