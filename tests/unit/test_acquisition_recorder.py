"""Recorder bookkeeping that needs no LSL traffic: dropped samples, latency percentiles."""

from __future__ import annotations

import numpy as np

from gazemap.acquisition.recorder import _hms, _Latency, _Slot
from gazemap.store.schema import StreamInfo


def test_dropped_samples_per_attachment() -> None:
    s = _Slot(group="gaze", info=StreamInfo("g", "Gaze", ("x",), nominal_srate=100.0), key="k")
    s.seg_first, s.seg_last, s.seg_count = 0.0, 0.99, 95  # 100 expected
    assert s.dropped() == 5
    s.end_segment()  # the stream was lost: the gap itself is not "dropped"
    s.seg_first, s.seg_last, s.seg_count = 50.0, 50.49, 50
    assert s.dropped() == 5
    irregular = _Slot(group="m", info=StreamInfo("m", "Markers", ("m",)), key="m")
    irregular.seg_first, irregular.seg_last, irregular.seg_count = 0.0, 100.0, 3
    assert irregular.dropped() == 0


def test_latency_percentiles() -> None:
    lat = _Latency()
    assert lat.percentile_ms(50) is None
    lat.add(np.full(99, 0.010))
    lat.add(np.array([0.500]))
    assert abs(lat.percentile_ms(50) - 10.05) < 0.06
    assert abs(lat.percentile_ms(99) - 10.05) < 0.06
    assert abs(lat.percentile_ms(100) - 500.05) < 0.06
    lat.add(np.array([-1.0, 1e6]))  # clipped into the first and last bin, never an error
    assert lat.n == 102


def test_hms() -> None:
    assert _hms(0) == "00:00:00" and _hms(3725.9) == "01:02:05" and _hms(-3) == "00:00:00"
