"""Pupil Core conversions (no sockets)."""

from __future__ import annotations

import math

import msgpack
import pytest

from gazemap.drivers.pupil_core import _unpack, pupil_diameters_mm, surface_gaze_to_row
from gazemap.types import GAZE_CHANNEL_LABELS, ScreenGeometry, Validity

SCREEN = ScreenGeometry(1280, 1024, 376.0, 301.0, 600.0)
C = {name: i for i, name in enumerate(GAZE_CHANNEL_LABELS)}


def test_surface_norm_pos_bottom_left_to_screen_px_top_left() -> None:
    row = surface_gaze_to_row(
        {"norm_pos": [0.25, 0.1], "confidence": 0.9, "on_surf": True}, SCREEN, (3.0, 3.2)
    )
    assert row is not None
    assert row[C["x_px"]] == pytest.approx(320.0) and row[C["y_px"]] == pytest.approx(0.9 * 1024)
    assert (
        row[C["left_pupil_mm"]] == 3.0
        and row[C["right_pupil_mm"]] == 3.2
        and row[C["validity"]] == 0
    )


def test_low_confidence_off_surface_and_monocular() -> None:
    bad = surface_gaze_to_row({"norm_pos": [0.5, 0.5], "confidence": 0.2}, SCREEN)
    assert bad is not None and math.isnan(bad[C["x_px"]])
    assert int(bad[C["validity"]]) == Validity.LEFT_INVALID | Validity.RIGHT_INVALID
    off = surface_gaze_to_row({"norm_pos": [1.5, 0.5], "confidence": 0.9, "on_surf": False}, SCREEN)
    assert (
        off is not None
        and int(off[C["validity"]]) == Validity.OFF_SCREEN
        and off[C["x_px"]] == 1920.0
    )
    mono = surface_gaze_to_row({"norm_pos": [0.5, 0.5], "confidence": 0.9}, SCREEN, (math.nan, 3.0))
    assert mono is not None and int(mono[C["validity"]]) == Validity.LEFT_INVALID
    assert surface_gaze_to_row({"norm_pos": "x"}, SCREEN) is None
    assert surface_gaze_to_row({"norm_pos": [None, 1]}, SCREEN) is None


def test_pupil_diameters_eye1_is_left() -> None:
    d = {
        "base_data": [
            {"id": 0, "diameter_3d": 3.1},
            {"id": 1, "diameter_3d": 2.9},
            "junk",
            {"id": 1, "diameter_3d": -1},
        ]
    }
    assert pupil_diameters_mm(d) == (2.9, 3.1)
    assert all(math.isnan(v) for v in pupil_diameters_mm({}))


def test_unpack_rejects_non_maps_and_garbage() -> None:
    assert _unpack(msgpack.packb({"a": 1})) == {"a": 1}
    assert _unpack(msgpack.packb([1, 2])) is None
    assert _unpack(b"\xc1") is None
