"""Device profiles (devices/*.yaml) and the foreign-stream channel mapping."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gazemap.drivers import DRIVERS
from gazemap.drivers._common import load_profile, screen_from
from gazemap.drivers.lsl_profile import apply_mapping, parse_mapping, resolve_indices
from gazemap.errors import InputError
from gazemap.types import GAZE_CHANNEL_LABELS, ScreenGeometry, Validity

DEVICES = Path(__file__).resolve().parents[2] / "devices"
SCREEN = ScreenGeometry(1920, 1080, 531.0, 299.0, 650.0)
C = {name: i for i, name in enumerate(GAZE_CHANNEL_LABELS)}
TOBII_LABELS = ["left_x", "left_y", "left_pupil", "right_x", "right_y", "right_pupil"]


@pytest.mark.parametrize("path", sorted(DEVICES.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_profile_is_valid(path: Path) -> None:
    import argparse

    profile = load_profile(path)
    driver = profile["driver"]
    assert driver in DRIVERS or driver == "lsl-relay"
    screen_from(argparse.Namespace(), profile)
    if driver == "lsl-relay":
        parse_mapping(profile, str(path))


def test_app_tobiipro_mapping() -> None:
    m = parse_mapping(load_profile(DEVICES / "app_tobiipro_lsl.yaml"))
    assert m.clock == "device" and m.match == {"name": "Tobii", "type": "Eyetracker"}
    idx = resolve_indices(m, TOBII_LABELS)
    data = np.array(
        [
            [0.25, 0.5, 3.0, 0.26, 0.5, 3.1],
            [0.25, 0.5, 3.0, np.nan, np.nan, np.nan],
            [np.nan, np.nan, np.nan, np.nan, np.nan, np.nan],
            [1.5, 0.5, 3.0, 1.5, 0.5, 3.0],
        ]
    )
    out = apply_mapping(m, idx, data, SCREEN)
    assert out.shape == (4, len(GAZE_CHANNEL_LABELS))
    assert out[0, C["left_x_px"]] == 480.0 and out[0, C["right_x_px"]] == pytest.approx(499.2)
    assert out[0, C["x_px"]] == pytest.approx(489.6) and out[0, C["y_px"]] == 540.0
    assert out[0, C["left_pupil_mm"]] == 3.0 and out[0, C["validity"]] == 0
    assert out[1, C["x_px"]] == 480.0 and int(out[1, C["validity"]]) == Validity.RIGHT_INVALID
    assert np.isnan(out[2, C["x_px"]]) and int(out[2, C["validity"]]) == 3
    assert int(out[3, C["validity"]]) == Validity.OFF_SCREEN


def test_flip_offset_index_and_validity_channel() -> None:
    m = parse_mapping(
        {
            "match": {"type": "Gaze"},
            "channels": {
                "x_px": {"from": 0, "scale": "width_px"},
                "y_px": {"from": 1, "scale": "height_px", "flip": True, "offset": 10},
            },
            "validity": {"left": {"from": "conf", "invalid_when": [0]}},
        }
    )
    idx = resolve_indices(m, ["gx", "gy", "conf"])
    out = apply_mapping(m, idx, np.array([[0.5, 0.25, 1.0], [0.5, 0.25, 0.0]]), SCREEN)
    assert out[0, C["x_px"]] == 960.0 and out[0, C["y_px"]] == 0.75 * 1080 + 10
    assert int(out[1, C["validity"]]) == Validity.LEFT_INVALID


def test_bad_profiles_list_every_problem() -> None:
    with pytest.raises(InputError) as e:
        parse_mapping(
            {
                "match": {"colour": "x"},
                "clock": "wall",
                "channels": {
                    "nose_px": {"from": "a"},
                    "x_px": {"scale": 2},
                    "y_px": {"from": "b", "scale": "huge"},
                    "left_pupil_mm": {"from": "p", "unit": "mm"},
                },
                "validity": {"middle": {}},
            },
            "devices/bad.yaml",
        )
    msg = str(e.value)
    for part in (
        "devices/bad.yaml",
        "nose_px: not a canonical channel",
        "x_px: needs 'from",
        "scale: must be a number",
        "unknown key(s) ['unit']",
        "validity.middle",
        "'match' must give",
        "'clock' must be lsl or device",
    ):
        assert part in msg
    with pytest.raises(InputError, match="'channels' must be a mapping"):
        parse_mapping({"match": {"type": "Gaze"}})


def test_missing_foreign_channel_names_the_available_ones() -> None:
    m = parse_mapping(
        load_profile(DEVICES / "app_tobiipro_lsl.yaml"), "devices/app_tobiipro_lsl.yaml"
    )
    with pytest.raises(InputError, match=r"no channel\(s\) 'left_pupil'.*\['left_x'"):
        resolve_indices(m, ["left_x", "left_y", "right_x", "right_y", "right_pupil"])


def test_load_profile_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_profile(tmp_path / "none.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [1, 2\n")
    with pytest.raises(InputError, match="not valid YAML"):
        load_profile(bad)
    bad.write_text("- 1\n- 2\n")
    with pytest.raises(InputError, match="must be a YAML mapping"):
        load_profile(bad)
    import argparse

    with pytest.raises(InputError, match="screen width_mm must be a number"):
        screen_from(argparse.Namespace(), {"screen": {"width_mm": "wide"}})
    with pytest.raises(InputError, match="'screen' must be a mapping"):
        screen_from(argparse.Namespace(), {"screen": [1, 2]})
