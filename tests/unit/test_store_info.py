"""`gazemap info`'s summary: counts, rates, gaps and data loss from a session file."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gazemap.store import SessionWriter, StreamInfo, open_session
from gazemap.store.info import format_summary, summarize
from gazemap.types import GAZE_CHANNEL_LABELS, ScreenGeometry


def _session(path: Path) -> None:
    n = 1000  # 1 s at 1 kHz with 50 samples missing and 100 invalid
    t = 10.0 + np.arange(n) / 1000.0
    keep = np.ones(n, bool)
    keep[500:550] = False
    data = np.ones((n, len(GAZE_CHANNEL_LABELS)), np.float32)
    data[100:200, 0] = np.nan
    with SessionWriter(
        path, participant="P2", screen=ScreenGeometry(1920, 1080, 531.0, 299.0, 650.0)
    ) as w:
        w.add_stream("gaze", StreamInfo("g", "Gaze", GAZE_CHANNEL_LABELS, nominal_srate=1000.0))
        w.add_stream("markers", StreamInfo("m", "Markers", ("marker",), channel_format="string"))
        w.add_stream("scroll", StreamInfo("s", "Scroll", ("scroll_y_px",)))
        w.append("gaze", t[keep], data[keep])
        w.add_gap("gaze", t[499], t[550])
        w.add_clock_offsets("gaze", np.array([[10.0, 0.002]]))
        w.append("markers", np.array([10.1, 10.5]), ["a", "b"])


def test_summary_numbers(tmp_path: Path) -> None:
    p = tmp_path / "s.h5"
    _session(p)
    with open_session(p) as s:
        info = summarize(s)
    g = info["streams"]["gaze"]
    assert g["samples"] == 950
    assert abs(g["duration_s"] - 0.999) < 1e-9
    assert abs(g["effective_rate_hz"] - 949 / 0.999) < 1e-6
    assert g["expected_samples"] == 1000
    assert g["missing_samples"] == 50 and g["invalid_samples"] == 100
    assert abs(g["data_loss_pct"] - 15.0) < 1e-9
    assert g["gaps"] == 1 and abs(g["gap_s"] - 0.051) < 1e-9
    assert g["clock_offsets"] == 1 and abs(g["clock_offset_ms"] - 2.0) < 1e-9
    assert info["markers"] == 2 and info["streams"]["markers"]["markers"] == 2
    assert info["streams"]["scroll"]["samples"] == 0
    assert info["streams"]["scroll"]["effective_rate_hz"] is None
    assert info["participant"] == "P2" and info["recovered"] is False
    assert info["screen"]["width_px"] == 1920
    assert abs(info["duration_s"] - 0.999) < 1e-9
    text = format_summary(info)
    assert "loss 15.00 % (missing 50, invalid 100)" in text
    assert "gaps 1 (0.05 s)" in text and "2 markers" in text


def test_summary_of_an_empty_session(tmp_path: Path) -> None:
    p = tmp_path / "e.h5"
    with SessionWriter(p):
        pass
    with open_session(p) as s:
        info = summarize(s)
    assert info["streams"] == {} and info["duration_s"] == 0.0 and info["screen"] is None
    assert "no streams" in format_summary(info)
