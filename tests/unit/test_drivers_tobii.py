"""Tobii gaze_data dict → canonical row (no SDK)."""

from __future__ import annotations

import math

from fakes.tobii_research import gaze_dict

from gazemap.drivers.tobii import gaze_data_to_row
from gazemap.types import GAZE_CHANNEL_LABELS, ScreenGeometry, Validity

SCREEN = ScreenGeometry(1920, 1080, 531.0, 299.0, 650.0)
C = {name: i for i, name in enumerate(GAZE_CHANNEL_LABELS)}


def test_both_eyes_valid() -> None:
    d = gaze_dict(5)
    row = gaze_data_to_row(d, SCREEN)
    lx = d["left_gaze_point_on_display_area"][0] * 1920
    rx = d["right_gaze_point_on_display_area"][0] * 1920
    assert row[C["left_x_px"]] == lx and row[C["right_x_px"]] == rx
    assert row[C["x_px"]] == (lx + rx) / 2 and row[C["y_px"]] == 0.4 * 1080
    assert row[C["left_pupil_mm"]] == 3.4 and row[C["validity"]] == 0


def test_invalid_eye_and_missing_fields() -> None:
    row = gaze_data_to_row(gaze_dict(10), SCREEN)
    assert int(row[C["validity"]]) == Validity.RIGHT_INVALID and math.isnan(row[C["right_x_px"]])
    row = gaze_data_to_row({"system_time_stamp": 1}, SCREEN)
    assert int(row[C["validity"]]) == Validity.LEFT_INVALID | Validity.RIGHT_INVALID and math.isnan(
        row[C["x_px"]]
    )
    d = gaze_dict(1) | {"left_gaze_point_on_display_area": ("a", None), "left_pupil_diameter": "x"}
    row = gaze_data_to_row(d, SCREEN)
    assert int(row[C["validity"]]) == Validity.LEFT_INVALID and math.isnan(row[C["left_pupil_mm"]])


def test_off_screen() -> None:
    d = gaze_dict(1) | {
        "left_gaze_point_on_display_area": (1.2, 0.5),
        "right_gaze_point_on_display_area": (1.2, 0.5),
    }
    assert int(gaze_data_to_row(d, SCREEN)[C["validity"]]) == Validity.OFF_SCREEN
