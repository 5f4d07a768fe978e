"""Golden per-sample labels of every detector on short fixed recordings in
tests/reference/events/ (inputs: ``<name>.csv`` with time_s,x_px,y_px; goldens:
``<name>.<detector>.labels``, one label per line).

A change of any label is a behaviour change: check it, then regenerate with
``GAZEMAP_UPDATE_GOLDEN=1 python -m pytest tests/unit/test_events_reference.py`` and say why
in the commit. The rf goldens change whenever the model is retrained.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from gazemap.events import DETECTORS, detect
from gazemap.types import GazeSamples, ScreenGeometry

REF = Path(__file__).resolve().parents[1] / "reference" / "events"
SCREEN = ScreenGeometry(1024, 768, 380.0, 300.0, 670.0)
UPDATE = os.environ.get("GAZEMAP_UPDATE_GOLDEN") == "1"


def _make_inputs() -> dict[str, np.ndarray]:
    """The fixed recordings (only used to (re)create the CSVs)."""
    out = {}
    for name, rate, noise in (
        ("scanpath_500hz", 500.0, 0.6),
        ("scanpath_60hz", 60.0, 1.5),
        ("scanpath_1000hz", 1000.0, 0.4),
    ):
        rng = np.random.default_rng(2024)
        pts = [
            (200, 300, 0.35),
            (650, 320, 0.25),
            (660, 600, 0.045),
            (300, 120, 0.4),
            (900, 700, 0.3),
        ]
        xs, ys = [], []
        px, py = pts[0][0], pts[0][1]
        for k, (x, y, dur) in enumerate(pts):
            if k:
                amp = np.hypot(x - px, y - py) / 31.5
                m = max(2, int(round((0.021 + 0.0022 * amp) * rate)))
                w = (1 - np.cos(np.linspace(0, np.pi, m))) / 2
                # a damped overshoot after the saccade (a PSO)
                po = np.exp(-np.arange(int(0.03 * rate)) / (0.008 * rate)) * np.sin(
                    np.arange(int(0.03 * rate)) / (0.004 * rate)
                )
                xs += [px + (x - px) * w, x + 0.03 * (x - px) * po]
                ys += [py + (y - py) * w, y + 0.03 * (y - py) * po]
            n = int(round(dur * rate))
            xs.append(np.full(n, float(x)))
            ys.append(np.full(n, float(y)))
            px, py = x, y
        x = np.concatenate(xs) + rng.normal(0, noise, sum(map(len, xs)))
        y = np.concatenate(ys) + rng.normal(0, noise, sum(map(len, ys)))
        n = len(x)
        t = np.arange(n) / rate
        x[int(0.1 * rate) : int(0.14 * rate)] = np.nan  # 40 ms: filled
        a = int(0.95 * rate)
        x[a : a + int(0.15 * rate)] = np.nan  # 150 ms blink
        y[np.isnan(x)] = np.nan
        out[name] = np.column_stack([t, x, y])
    return out


def _read(name: str) -> GazeSamples:
    d = np.genfromtxt(REF / f"{name}.csv", delimiter=",", skip_header=1)
    return GazeSamples(d[:, 0], d[:, 1], d[:, 2])


NAMES = ("scanpath_500hz", "scanpath_60hz", "scanpath_1000hz")


@pytest.mark.parametrize("detector", sorted(DETECTORS))
@pytest.mark.parametrize("name", NAMES)
def test_golden_labels(name: str, detector: str) -> None:
    if UPDATE and not (REF / f"{name}.csv").exists():
        REF.mkdir(parents=True, exist_ok=True)
        for n, arr in _make_inputs().items():
            np.savetxt(
                REF / f"{n}.csv",
                arr,
                delimiter=",",
                fmt="%.6f",
                header="time_s,x_px,y_px",
                comments="",
            )
    gaze = _read(name)
    labels = detect(gaze, SCREEN, detector).labels
    golden = REF / f"{name}.{detector}.labels"
    if UPDATE:
        golden.write_text("".join(f"{v}\n" for v in labels.tolist()))
    expected = np.loadtxt(golden, dtype=np.int8)
    assert len(expected) == len(gaze)
    diff = np.flatnonzero(labels != expected)
    assert len(diff) == 0, f"{detector} on {name}: {len(diff)} labels differ, first at {diff[:10]}"
