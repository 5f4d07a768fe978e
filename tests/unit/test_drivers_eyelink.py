"""EyeLink Sample → canonical row (no pylink)."""

from __future__ import annotations

import math

from fakes.pylink import MISSING_DATA, Sample

from gazemap.drivers.eyelink import sample_to_row
from gazemap.types import GAZE_CHANNEL_LABELS, ScreenGeometry, Validity

SCREEN = ScreenGeometry(1920, 1080, 531.0, 299.0, 650.0)
C = {name: i for i, name in enumerate(GAZE_CHANNEL_LABELS)}


def test_binocular_sample() -> None:
    row = sample_to_row(Sample(1000.0, 3, True), SCREEN, MISSING_DATA, 0.002)
    assert (
        row[C["left_x_px"]] == 228.0 and row[C["right_x_px"]] == 232.0 and row[C["x_px"]] == 230.0
    )
    assert row[C["left_pupil_mm"]] == 3.0 and row[C["validity"]] == 0


def test_missing_eye_and_monocular() -> None:
    row = sample_to_row(Sample(1000.0, 20, True), SCREEN, MISSING_DATA)
    assert int(row[C["validity"]]) == Validity.RIGHT_INVALID and math.isnan(row[C["right_x_px"]])
    assert math.isnan(row[C["left_pupil_mm"]])  # no scale given: arbitrary units are not mm
    mono = sample_to_row(Sample(1000.0, 3, False), SCREEN, MISSING_DATA)
    # the eye that is not recorded is not flagged (its channels are NaN), as in the ASC importer
    assert (
        int(mono[C["validity"]]) == 0
        and mono[C["x_px"]] == 228.0
        and math.isnan(mono[C["right_x_px"]])
    )
