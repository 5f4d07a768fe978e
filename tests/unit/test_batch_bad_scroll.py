"""A session whose Scroll stream holds NaN offsets: every fixation on a scrolling page was
left unmapped, so the analysis said the targets were never seen (with quality_ok true). Now
NaN rows are left out with a note, and a stream without any finite offset fails the session
with a clear reason."""

from __future__ import annotations

import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest
from conftest import REPO

from gazemap.batch import analyze_session
from gazemap.protocol import load_protocol

SAMPLE = REPO / "recordings" / "sample" / "P01.h5"
PROTOCOL = load_protocol(REPO / "protocols" / "online-store.yaml")


def _copy(tmp_path: Path, rows: slice | None) -> Path:
    p = tmp_path / "P01.h5"
    shutil.copy(SAMPLE, p)
    with h5py.File(p, "r+") as f:
        y = f["streams/scroll/scroll_y_px"][()]
        y[rows if rows is not None else slice(None)] = np.nan
        f["streams/scroll/scroll_y_px"][...] = y
    return p


def _fixated(res) -> dict[tuple[str, str], bool]:  # type: ignore[no-untyped-def]
    return {(m["touchpoint_id"], m["aoi_id"]): bool(m["fixated"]) for m in res.tables.metrics}


def test_all_nan_scroll_fails_the_session_naming_the_stream(tmp_path: Path) -> None:
    p = _copy(tmp_path, None)
    res = analyze_session(p, PROTOCOL, write_cache=False)
    assert not res.ok
    assert res.error is not None and res.error.startswith(f"{p}: /streams/scroll holds no finite")


def test_some_nan_rows_are_left_out_with_a_note(tmp_path: Path) -> None:
    with h5py.File(SAMPLE) as f:
        y = f["streams/scroll/scroll_y_px"][()]
    # NaN over the samples that follow each real scroll movement (the offsets that matter)
    moving = np.flatnonzero(np.diff(y) != 0)[::3] + 1
    p = tmp_path / "P01.h5"
    shutil.copy(SAMPLE, p)
    with h5py.File(p, "r+") as f:
        y2 = y.copy()
        y2[moving] = np.nan
        f["streams/scroll/scroll_y_px"][...] = y2
    res = analyze_session(p, PROTOCOL, write_cache=False)
    good = analyze_session(SAMPLE, PROTOCOL, write_cache=False)
    assert res.ok, res.error
    notes = [n for n in res.notes if "scroll samples hold NaN" in n]
    assert notes == [
        f"/streams/scroll: {len(moving)} of {len(y)} scroll samples hold NaN or infinite "
        "values and were left out (the offset before each holds until the next good one)"
    ]
    seen, seen_good = _fixated(res), _fixated(good)
    # the targets seen with the whole stream are (nearly all) still seen: none lost to NaN
    lost = [k for k, v in seen_good.items() if v and not seen[k]]
    assert len(lost) <= max(1, len(seen_good) // 20), lost
    assert sum(seen.values()) >= 0.9 * sum(seen_good.values())


@pytest.mark.parametrize("rows", [slice(0, 0)])
def test_a_clean_stream_has_no_note(tmp_path: Path, rows: slice) -> None:
    res = analyze_session(_copy(tmp_path, rows), PROTOCOL, write_cache=False)
    assert res.ok and not [n for n in res.notes if "scroll samples" in n]


def test_markers_on_another_clock_are_a_marker_problem(tmp_path: Path) -> None:
    # every marker 1000 s after the gaze: the touchpoints had no gaze and read as 100 % data
    # loss, with no word about the cause
    p = tmp_path / "P01.h5"
    shutil.copy(SAMPLE, p)
    with h5py.File(p, "r+") as f:
        f["streams/markers/time_s"][...] = f["streams/markers/time_s"][()] + 1000.0
    res = analyze_session(p, PROTOCOL, write_cache=False)
    assert res.ok
    hits = [m for m in res.marker_problems if "lie outside the gaze recording" in m]
    assert len(hits) == 1 and hits[0].startswith("7 of 7 touchpoint visits"), res.marker_problems
    good = analyze_session(SAMPLE, PROTOCOL, write_cache=False)
    assert not [m for m in good.marker_problems if "outside the gaze" in m]
