"""Paths in the analysis outputs are relative to the output folder (docs/outputs.md, "Paths")."""

from __future__ import annotations

import json
import os
from pathlib import Path

from gazemap.batch import SessionResult, combine
from gazemap.protocol import load_protocol
from gazemap.report.export import relative_path, write_outputs

REPO = Path(__file__).resolve().parents[2]
PROTOCOL_FILE = REPO / "protocols" / "online-store.yaml"


def test_relative_path_from_the_output_folder(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert relative_path(tmp_path / "study" / "P01.h5", tmp_path / "out") == "../study/P01.h5"
    assert relative_path(tmp_path / "out" / "shots" / "a.png", tmp_path / "out") == "shots/a.png"
    assert relative_path(tmp_path, tmp_path / "a" / "b") == "../.."
    # relative inputs are taken from the current folder, like the command line's
    monkeypatch.chdir(tmp_path)
    assert relative_path("rec/P01.h5", "reports/r1") == "../../rec/P01.h5"
    assert relative_path("rec", os.fspath(tmp_path / "rec" / "out")) == ".."


def test_written_files_name_study_protocol_and_sessions_relatively(tmp_path: Path) -> None:
    protocol = load_protocol(PROTOCOL_FILE)
    study = tmp_path / "studies" / "s1"
    # h5py's messages name the absolute path of the file
    failed = SessionResult(
        file=str(study / "sub" / "P09.h5"),
        error=f"{study / 'sub' / 'P09.h5'}: not a readable HDF5 file",
        notes=[f"see {study / 'notes.txt'}"],
    )
    res = combine([failed], protocol, study=str(study))
    res.evidence_doc["screenshots"] = {
        "home": {"source": "study", "file": str(study / "shots" / "home.png"), "participants": {
            "P09": {"file": str(study / "shots" / "P09" / "home.png")}}},
        "cart": {"source": "protocol", "file": None, "participants": {}},
    }  # fmt: skip
    out = tmp_path / "reports" / "r1"
    write_outputs(out, res)
    ev = json.loads((out / "evidence.json").read_text(encoding="utf-8"))
    assert ev["study"] == "../../studies/s1"
    assert (out / ev["protocol"]["path"]).resolve() == PROTOCOL_FILE.resolve()
    assert not Path(ev["protocol"]["path"]).is_absolute()
    home = ev["screenshots"]["home"]
    assert home["file"] == "../../studies/s1/shots/home.png"
    assert home["participants"]["P09"]["file"] == "../../studies/s1/shots/P09/home.png"
    assert ev["screenshots"]["cart"]["file"] is None
    sessions = json.loads((out / "sessions.json").read_text(encoding="utf-8"))
    assert [s["file"] for s in sessions] == ["../../studies/s1/sub/P09.h5"]
    assert sessions[0]["error"] == "../../studies/s1/sub/P09.h5: not a readable HDF5 file"
    assert sessions[0]["notes"] == ["see ../../studies/s1/notes.txt"]
    # the in-memory result keeps its paths (the CLI prints notes from it)
    assert res.evidence_doc["screenshots"]["home"]["file"] == str(study / "shots" / "home.png")
    assert res.sessions[0].file == str(study / "sub" / "P09.h5")
    for name in ("evidence.json", "sessions.json"):
        assert str(tmp_path) not in (out / name).read_text(encoding="utf-8")


def test_aois_csv_is_written_even_without_sessions(tmp_path: Path) -> None:
    protocol = load_protocol(PROTOCOL_FILE)
    write_outputs(tmp_path, combine([], protocol, study=str(tmp_path)))
    assert (tmp_path / "aois.csv").read_text(encoding="utf-8").splitlines() == [
        "participant,session_id,touchpoint_id,screen_id,aoi_id,aoi_name,aoi_role,shape,"
        "coords_px,x_min_px,y_min_px,x_max_px,y_max_px,fixed,source"
    ]
