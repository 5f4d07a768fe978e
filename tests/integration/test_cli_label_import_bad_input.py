"""A researcher's mistakes in the files `gazemap label` and `gazemap import` read, through the
real command: one line naming the file and field, exit 2, and nothing written where it must
not be (outside --out, over another recording's output, a session 1000 times too long)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import gazemap_cmd

pytestmark = pytest.mark.integration

REF = Path(__file__).resolve().parents[1] / "reference" / "importers"
ENTRY = {
    "screen_res_px": [1024, 768],
    "screen_size_m": [0.38, 0.30],
    "viewing_distance_m": 0.67,
}


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*gazemap_cmd(), *args], capture_output=True, text=True, timeout=120, check=False
    )


def _error(res: subprocess.CompletedProcess[str], command: str) -> str:
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert "Traceback" not in res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith(f"gazemap {command}: error: "), lines[0]
    return lines[0]


def _rows(n: int = 200, step_s: float = 0.002) -> str:
    return "time_s,x_px,y_px\n" + "".join(
        f"{i * step_s:.6f},{500 + (i // 50) * 40},{400}\n" for i in range(n)
    )


def _folder(tmp: Path, entries: list[dict], files: dict[str, str | bytes]) -> Path:
    d = tmp / "lund"
    d.mkdir()
    (d / "recordings.json").write_text(json.dumps(entries))
    for name, data in files.items():
        if isinstance(data, bytes):
            (d / name).write_bytes(data)
        else:
            (d / name).write_text(data)
    return d


def test_label_refuses_a_recording_name_that_leaves_out(tmp_path: Path) -> None:
    d = _folder(
        tmp_path, [{"recording": "../../escape", "file": "a.csv", **ENTRY}], {"a.csv": _rows()}
    )
    out = tmp_path / "deep" / "out"
    msg = _error(_run("label", str(d), "--out", str(out)), "label")
    assert "recording '../../escape'" in msg and "plain file name" in msg
    assert not (tmp_path / "escape.csv").exists()
    assert not list(tmp_path.rglob("escape.csv"))


def test_label_refuses_two_entries_with_one_recording_name(tmp_path: Path) -> None:
    entries = [
        {"recording": "a", "file": "a.csv", **ENTRY},
        {"recording": "a", "file": "b.csv", **ENTRY},
    ]
    d = _folder(tmp_path, entries, {"a.csv": _rows(), "b.csv": _rows(120)})
    msg = _error(_run("label", str(d), "--out", str(tmp_path / "out")), "label")
    assert "entries 0 and 1 are both recording 'a'" in msg
    assert not (tmp_path / "out" / "a.csv").exists()


@pytest.mark.parametrize(
    ("files", "entry", "words"),
    [
        ({"a.csv": b"time_s,x_px,y_px\n0.0,1\xe9,2\n"}, {}, ["a.csv: not UTF-8 text", "CSV UTF-8"]),
        ({"a.csv": _rows()}, {"sample_rate_hz": "fast"}, ["sample_rate_hz 'fast'", "e.g. 500"]),
        (
            {"a.csv": _rows(step_s=2.0)},  # ms written as s
            {"sample_rate_hz": 500},
            ["a.csv: the gaze samples are 2 s apart", "must be in seconds"],
        ),
        (
            {"a.csv": "time_s,x_px,y_px\n0.004,1,2\n0.002,1,2\n0.006,1,2\n"},
            {},
            ["a.csv: time_s must increase"],
        ),
    ],
    ids=["latin1", "text-rate", "ms-as-s", "backwards"],
)
def test_label_bad_csv_or_entry_is_one_line_naming_the_file(
    tmp_path: Path, files: dict[str, str | bytes], entry: dict, words: list[str]
) -> None:
    d = _folder(tmp_path, [{"recording": "a", "file": "a.csv", **ENTRY, **entry}], files)
    msg = _error(_run("label", str(d), "--out", str(tmp_path / "out")), "label")
    assert all(w in msg for w in words), msg
    assert not (tmp_path / "out" / "a.csv").exists()


def test_label_an_empty_recordings_list_is_an_error(tmp_path: Path) -> None:
    d = _folder(tmp_path, [], {})
    msg = _error(_run("label", str(d), "--out", str(tmp_path / "out")), "label")
    assert "lists no recordings" in msg


def test_import_with_the_wrong_time_unit_writes_nothing_and_says_time_unit(tmp_path: Path) -> None:
    out = tmp_path / "t.h5"
    # the Pro Lab fixture's timestamps are µs: read as ms, 120 Hz becomes 0.12 Hz
    res = _run(
        "import", "tobii_tsv", str(REF / "tobii_prolab_2rec.tsv"), "--time-unit", "ms",
        "--out", str(out),
    )  # fmt: skip
    msg = _error(res, "import")
    assert "8.333 s apart" in msg and "--time-unit" in msg
    assert not list(tmp_path.glob("*.h5"))
    ok = _run(
        "import", "tobii_tsv", str(REF / "tobii_prolab_2rec.tsv"), "--time-unit", "us",
        "--out", str(out),
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert len(list(tmp_path.glob("*.h5"))) == 2
