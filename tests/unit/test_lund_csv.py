"""Reader of the Lund 2013 layout (gazemap.importers.lund_csv): a folder built in tmp, every
error, and the real data when ../shared has it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import LUND

from gazemap.errors import ImportFormatError
from gazemap.importers.lund_csv import read_lund_csv, read_lund_folder, screen_of

ENTRY = {
    "recording": "R1",
    "file": "R1.csv",
    "stimulus": "img",
    "sample_rate_hz": 500,
    "screen_res_px": [1024, 768],
    "screen_size_m": [0.38, 0.30],
    "viewing_distance_m": 0.67,
}


def make_folder(tmp: Path, rows: str, entries: list[dict] | None = None) -> Path:
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "recordings.json").write_text(json.dumps(entries or [ENTRY]))
    (tmp / "R1.csv").write_text(rows)
    return tmp


ROWS = (
    "time_s,x_px,y_px,label_mn,label_ra\n0.000,1,2,1,1\n0.002,,,5,5\n0.004,3,4,2,3\n-99.0,,,5,5\n"
)


def test_reads_folder_and_repairs_a_garbage_last_time(tmp_path: Path) -> None:
    recs = read_lund_folder(make_folder(tmp_path, ROWS))
    assert len(recs) == 1
    r = recs[0]
    assert r.name == "R1" and r.stimulus == "img" and r.sample_rate_hz == 500
    assert r.screen.width_mm == pytest.approx(380) and r.screen.distance_mm == pytest.approx(670)
    assert np.isnan(r.gaze.x_px[1]) and r.gaze.x_px[2] == 3
    assert r.labels["label_mn"].tolist() == [1, 5, 2, 5] and r.labels["label_ra"].tolist() == [
        1,
        5,
        3,
        5,
    ]
    assert r.repaired.tolist() == [3] and r.gaze.time_s[3] == pytest.approx(0.006)
    assert read_lund_folder(tmp_path, stimulus="dots") == []


def test_labels_are_optional(tmp_path: Path) -> None:
    g, labels, _ = read_lund_csv(
        make_folder(tmp_path, "time_s,x_px,y_px\n0,1,2\n0.002,3,4\n") / "R1.csv"
    )
    assert labels == {} and len(g) == 2


@pytest.mark.parametrize(
    ("rows", "msg"),
    [
        ("time_s,x_px\n0,1\n", "missing column"),
        ("", "empty file"),
        ("time_s,x_px,y_px\n0,abc,2\n", "not a number"),
        ("time_s,x_px,y_px\n,1,2\n", "empty time_s"),
        ("time_s,x_px,y_px,label_mn\n0,1,2,9\n", "not one of"),
    ],
)
def test_csv_errors(tmp_path: Path, rows: str, msg: str) -> None:
    with pytest.raises(ImportFormatError, match=msg):
        read_lund_folder(make_folder(tmp_path, rows))


def test_folder_errors(tmp_path: Path) -> None:
    with pytest.raises(ImportFormatError, match="not a folder"):
        read_lund_folder(tmp_path / "nope")
    with pytest.raises(ImportFormatError, match="no recordings.json"):
        read_lund_folder(tmp_path)
    (tmp_path / "recordings.json").write_text("{oops")
    with pytest.raises(ImportFormatError, match="not valid JSON"):
        read_lund_folder(tmp_path)
    (tmp_path / "recordings.json").write_text('{"a": 1}')
    with pytest.raises(ImportFormatError, match="JSON list"):
        read_lund_folder(tmp_path)
    (tmp_path / "recordings.json").write_text("[1]")
    with pytest.raises(ImportFormatError, match="not an object"):
        read_lund_folder(tmp_path)
    (tmp_path / "recordings.json").write_text('[{"file": "R1.csv"}]')
    with pytest.raises(ImportFormatError, match="lacks"):
        read_lund_folder(tmp_path)
    (tmp_path / "recordings.json").write_text(json.dumps([ENTRY]))
    with pytest.raises(ImportFormatError, match="no such file"):
        read_lund_folder(tmp_path)
    with pytest.raises(ImportFormatError, match="bad screen"):
        screen_of({**ENTRY, "screen_res_px": [1024]})


@pytest.mark.skipif(
    not (LUND / "recordings.json").is_file(), reason=f"Lund 2013 data not at {LUND}"
)
def test_real_lund_data() -> None:
    recs = read_lund_folder(LUND)
    meta = json.loads((LUND / "recordings.json").read_text())
    assert [r.name for r in recs] == [m["recording"] for m in meta]
    for r, m in zip(recs, meta, strict=True):
        assert len(r.gaze) == m["samples"]
        assert np.all(np.diff(r.gaze.time_s) > 0)
        assert set(r.labels) == {"label_mn", "label_ra"}
