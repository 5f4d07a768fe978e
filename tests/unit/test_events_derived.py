"""/derived/<detector> in session files (gazemap.store.derived): round trip, the cache rule
(same detector + parameters + version + samples = no-op) and errors. Real HDF5 files."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from gazemap.errors import InputError, SessionFileError
from gazemap.events import DEFAULT_DETECTOR, detect
from gazemap.store import SessionWriter, StreamInfo, open_session
from gazemap.store.derived import (
    detect_session,
    detect_session_cached,
    params_hash,
    read_detection,
    write_detection,
)
from gazemap.types import GAZE_CHANNEL_LABELS, ScreenGeometry

SCREEN = ScreenGeometry(1024, 768, 380.0, 300.0, 670.0)


def make_session(path: Path, n: int = 2000, rate: float = 500.0) -> Path:
    t = np.arange(n) / rate
    x = np.where((t * 2).astype(int) % 2 == 1, 300.0, 700.0) + np.random.default_rng(0).normal(
        0, 0.5, n
    )
    data = np.full((n, len(GAZE_CHANNEL_LABELS)), np.nan)
    data[:, 0] = x
    data[:, 1] = 400.0
    data[:, GAZE_CHANNEL_LABELS.index("validity")] = 0
    with SessionWriter(path, participant="P1", screen=SCREEN) as w:
        w.add_stream("gaze", StreamInfo("g", "Gaze", GAZE_CHANNEL_LABELS, nominal_srate=rate))
        w.append("gaze", t, data)
    return path


def test_round_trip_and_attributes(tmp_path: Path) -> None:
    p = make_session(tmp_path / "s.h5")
    with open_session(p) as s:
        result = detect(s.gaze(), s.screen, "ivt")
    write_detection(p, result)
    with h5py.File(p) as f:
        g = f["derived/ivt"]
        assert g.attrs["detector"] == "ivt"
        assert g.attrs["velocity_threshold_deg_s"] == 30.0
        assert g.attrs["params_hash"] == params_hash("ivt", result.params)
        assert g.attrs["n_samples"] == 2000
        assert g["labels"].dtype == np.int8
        assert set(g["fixations"].dtype.names) >= {"start_s", "end_s", "x_px", "dispersion_deg"}
    with open_session(p) as s:
        back = read_detection(s, "ivt", {})
        assert back is not None
        assert np.array_equal(back.labels, result.labels)
        assert np.allclose(back.fixations.start_s, result.fixations.start_s)
        assert np.allclose(back.saccades.peak_velocity_deg_s, result.saccades.peak_velocity_deg_s)
        assert back.params == result.params
        # other parameters or another detector: no stored result
        assert read_detection(s, "ivt", {"velocity_threshold_deg_s": 40}) is None
        assert read_detection(s, "idt", {}) is None


def test_detect_session_caches(tmp_path: Path) -> None:
    p = make_session(tmp_path / "s.h5")
    r1, cached1 = detect_session_cached(p)
    assert not cached1 and r1.detector == DEFAULT_DETECTOR
    r2, cached2 = detect_session_cached(p)
    assert cached2 and np.array_equal(r1.labels, r2.labels)
    # the CLI passes strings: "30" equals the default 30.0, so still cached
    _, cached3 = detect_session_cached(p, "ivt", {})
    assert not cached3
    _, cached4 = detect_session_cached(p, "ivt", {"velocity_threshold_deg_s": "30"})
    assert cached4
    r5 = detect_session(p, "ivt", {"velocity_threshold_deg_s": 60}, write=False)
    assert r5.params["velocity_threshold_deg_s"] == 60.0
    with open_session(p) as s:  # write=False left the stored 30 deg/s result alone
        assert read_detection(s, "ivt", {}) is not None


def test_changed_gaze_invalidates(tmp_path: Path) -> None:
    p = make_session(tmp_path / "s.h5")
    detect_session(p, "ivt")
    with h5py.File(p, "r+") as f:
        f["derived/ivt"].attrs["n_samples"] = 5
    with open_session(p) as s:
        assert read_detection(s, "ivt") is None


def test_errors(tmp_path: Path) -> None:
    p = make_session(tmp_path / "s.h5")
    with pytest.raises(InputError, match="no parameter"):
        detect_session(p, "ivt", {"bogus": 1})
    with pytest.raises(InputError, match="unknown detector"):
        detect_session(p, "nope")
    with pytest.raises(SessionFileError, match="no such file"):
        detect_session(tmp_path / "missing.h5")
    result = detect_session(p, "ivt")
    with open_session(p) as s, pytest.raises(SessionFileError, match="read-only"):
        write_detection(s, result)
    with h5py.File(p, "r+") as f:
        del f["derived/ivt/fixations"]
    with open_session(p) as s, pytest.raises(SessionFileError, match="damaged"):
        read_detection(s, "ivt")
    with open_session(p, "r+") as s:  # an open Session in r+ mode can be written to
        write_detection(s, result)
        assert read_detection(s, "ivt") is not None
