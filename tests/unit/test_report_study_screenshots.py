"""batch.study_screenshots: which image each screen's heatmaps are drawn on."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from gazemap.batch import study_screenshots
from gazemap.errors import InputError
from gazemap.protocol import load_protocol

REPO = Path(__file__).resolve().parents[2]
PROTOCOL = load_protocol(REPO / "protocols" / "online-store.yaml")


def _png(path: Path, width_px: int, height_px: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), np.full((height_px, width_px, 3), 200, np.uint8))


def _manifest(folder: Path, screens: dict[str, object]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "screenshots.json").write_text(json.dumps({"screens": screens}), "utf-8")


def test_no_screenshots_json_gives_none(tmp_path: Path) -> None:
    assert study_screenshots(tmp_path, PROTOCOL) is None


def test_capture_found_in_a_subfolder_sizes_read_from_the_png(tmp_path: Path) -> None:
    shots = tmp_path / "a" / "shots"
    _png(shots / "cart.png", 1440, 1250)  # protocol: 1440x1200
    _png(shots / "P02" / "home.png", 1440, 2600)
    # the manifest's sizes are not trusted over the image's own
    _manifest(
        shots,
        {
            "cart": {"file": "cart.png", "width_px": 1, "height_px": 1},
            "P02/home": {"file": "P02/home.png"},
            "product": {"file": "missing.png"},  # file gone: the protocol's is used
            "not-a-screen": {"file": "cart.png"},
        },
    )
    rec = study_screenshots(tmp_path, PROTOCOL)
    assert rec is not None and set(rec) == set(PROTOCOL.screens)
    cart = rec["cart"]
    assert cart["source"] == "study" and cart["file"] == str((shots / "cart.png").resolve())
    assert (cart["width_px"], cart["height_px"]) == (1440, 1250)
    assert "1440x1250" in cart["note"] and "1440x1200" in cart["note"]
    assert rec["product"]["source"] == "protocol"
    assert rec["product"]["file"] == str(PROTOCOL.screenshot_path(PROTOCOL.screens["product"]))
    assert rec["home"]["source"] == "protocol"
    p02 = rec["home"]["participants"]["P02"]
    assert p02["file"] == str((shots / "P02" / "home.png").resolve()) and p02["note"] is None


def test_hidden_and_excluded_folders_are_skipped(tmp_path: Path) -> None:
    for sub in (".hidden", "report"):
        _png(tmp_path / sub / "cart.png", 1440, 1200)
        _manifest(tmp_path / sub, {"cart": {"file": "cart.png"}})
    assert study_screenshots(tmp_path, PROTOCOL, exclude=[tmp_path / "report"]) is None


def test_invalid_json_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "screenshots.json").write_text("{not json", "utf-8")
    with pytest.raises(InputError, match=r"screenshots\.json: not valid JSON"):
        study_screenshots(tmp_path, PROTOCOL)


def test_missing_screens_object_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "screenshots.json").write_text('{"protocol": "x"}', "utf-8")
    with pytest.raises(InputError, match=r"screenshots\.json: needs a 'screens' object"):
        study_screenshots(tmp_path, PROTOCOL)
