"""Imported events last as long as the tracker says. EyeLink's EFIX/ESACC 'end' is the time of
the event's last sample and its 'duration' counts that sample (EFIX L 1000 1199 200 at
1000 Hz): gazemap took end - start, one sample short per fixation, so a dwell time over 58
fixations was 58 ms shorter than EyeLink Data Viewer's (116 ms at 500 Hz). Events from
per-sample labels (Lund) were one sample short the same way, and labels made from the
imported events gave the sample after an event to that event."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gazemap.importers._common import events_from_labels, labels_from_events
from gazemap.importers.eyelink_asc import read_asc
from gazemap.types import Fixations, Label, Saccades, ScreenGeometry

SCREEN = ScreenGeometry(1920, 1080, 531.0, 299.0, 650.0)


def _asc(rate_hz: int) -> str:
    dt = 1000 // rate_hz
    lines = [
        "MSG\t999 DISPLAY_COORDS 0 0 1919 1079",
        "START\t1000 \tLEFT\tSAMPLES\tEVENTS",
        f"SAMPLES\tGAZE\tLEFT\tRATE\t{rate_hz:.2f}\tTRACKING\tCR\tFILTER\t2",
    ]
    for t in range(1000, 1400, dt):
        x = 400.0 if t < 1200 else 900.0
        lines.append(f"{t}\t{x:7.1f}\t  300.0\t 1200.0\t...")
        if t == 1200 - dt:
            lines.append(f"EFIX L   1000\t{t}\t200\t  400.0\t  300.0\t   1200")
        if t == 1400 - dt:
            lines.append(f"EFIX L   1200\t{t}\t200\t  900.0\t  300.0\t   1200")
    lines.append("END\t1400 \tSAMPLES\tEVENTS\tRES\t38.00\t35.00")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("rate_hz", [1000, 500])
def test_efix_lasts_its_duration_field(tmp_path: Path, rate_hz: int) -> None:
    f = tmp_path / "p.asc"
    f.write_text(_asc(rate_hz), encoding="ascii")
    (rec,) = read_asc(f)
    assert rec.fixations is not None
    np.testing.assert_allclose(rec.fixations.start_s, [1.0, 1.2])
    np.testing.assert_allclose(rec.fixations.end_s, [1.2, 1.4])  # 200 ms each, back to back
    np.testing.assert_allclose(rec.fixations.duration_s.sum(), 0.4)


def test_labels_from_events_end_exclusive_blinks_inclusive() -> None:
    t = np.arange(10) * 0.01
    fx = Fixations(
        np.array([0.0]),
        np.array([0.05]),
        np.array([1.0]),
        np.array([1.0]),
        np.zeros(1),
        np.zeros(1),
        np.zeros(1),
    )
    sc = Saccades(*(np.array([v]) for v in (0.06, 0.08, 0, 0, 1, 1, 1, 1)))
    lab = labels_from_events(t, fx, sc, np.array([[0.08, 0.09]]))
    # the sample at 0.05 s (the fixation's end) belongs to no event
    assert (
        lab.tolist()
        == [Label.FIXATION] * 5 + [Label.UNDEFINED] + [Label.SACCADE] * 2 + [Label.BLINK] * 2
    )


def test_events_from_labels_last_a_whole_sample() -> None:
    t = 10.0 + np.arange(8) * 0.002
    labels = np.array([1, 1, 1, 2, 2, 1, 1, 1], dtype=np.int8)
    x = np.full(8, 500.0)
    fix, sac = events_from_labels(t, x, x, labels, SCREEN)
    np.testing.assert_allclose(fix.start_s, [10.0, 10.010])
    np.testing.assert_allclose(fix.end_s, [10.006, 10.016])  # 3 samples = 6 ms each
    np.testing.assert_allclose(sac.end_s - sac.start_s, [0.004])
