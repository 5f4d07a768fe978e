"""`gazemap import xdf FILE --profile P`: the stream the profile names is the gaze.

Found with the LabRecorder fixture, which holds a canonical gazemap Gaze stream and an
App-TobiiPro stream: `--profile devices/app_tobiipro_lsl.yaml` was silently ignored because
the canonical stream came first, and a profile matching no stream was never mentioned.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import h5py
import pytest
from conftest import REPO, gazemap_cmd

pytestmark = pytest.mark.integration

XDF = REPO / "tests" / "reference" / "importers" / "labrecorder_gaze_markers_eeg.xdf"


def _import(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*gazemap_cmd(), "import", "xdf", str(XDF), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )


def test_profile_picks_its_stream_beside_a_canonical_one(tmp_path: Path) -> None:
    plain, mapped = tmp_path / "plain.h5", tmp_path / "mapped.h5"
    assert _import("--out", str(plain)).returncode == 0
    res = _import("--out", str(mapped), "--profile", "devices/app_tobiipro_lsl.yaml")
    assert res.returncode == 0, res.stderr
    with h5py.File(plain) as f, h5py.File(mapped) as g:
        assert f.attrs["import_gaze_stream"] == "gazemap-sim gaze"
        assert g.attrs["import_gaze_stream"] == "Tobii"
        assert g["streams/gaze"].attrs["nominal_srate"] == 60
        # App-TobiiPro's display-area fractions x the profile's screen, in px
        x = g["streams/gaze/left_x_px"][()]
        assert x.max() > 1.0 and x.max() <= g["screen"].attrs["width_px"]
        # nothing is dropped: the canonical stream and the raw Tobii stream stay in the file
        kept = {g["streams"][k].attrs["name"] for k in g["streams"]}
        assert {"gazemap-sim gaze", "Tobii"} <= kept


def test_profile_that_matches_no_stream_is_an_error(tmp_path: Path) -> None:
    res = _import("--out", str(tmp_path / "x.h5"), "--profile", "devices/neon_companion_lsl.yaml")
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "no stream matches the profile devices/neon_companion_lsl.yaml" in lines[0]
    assert "Tobii (Eyetracker)" in lines[0]
    assert not (tmp_path / "x.h5").exists()
