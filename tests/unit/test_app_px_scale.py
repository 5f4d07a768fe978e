"""A session screen in device px for a protocol in CSS px (gazemap.batch.protocol_px_screen)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gazemap.batch import protocol_px_screen, scale_fixations
from gazemap.geometry import px_to_deg
from gazemap.protocol import load_protocol
from gazemap.types import Fixations, ScreenGeometry

REPO = Path(__file__).resolve().parents[2]


def _protocol(tmp_path: Path, w: int, h: int):
    p = tmp_path / "p.yaml"
    p.write_text(
        f"""
protocol: {{id: phone, name: Phone, screen: {{width_px: {w}, height_px: {h}}}}}
stages:
  - id: s
    name: S
    touchpoints:
      - id: t
        name: T
        channel: app
        screens:
          - id: home
            page: {{width_px: {w}, height_px: {h}}}
            viewport: {{width_px: {w}, height_px: {h}}}
""",
        encoding="utf-8",
    )
    return load_protocol(p)


@pytest.mark.parametrize(
    ("session_px", "protocol_px", "scaled"),
    [
        ((1170, 2532), (390, 844), True),  # iPhone 12-15: 3x
        ((1080, 2400), (412, 915), True),  # Android at 2.625 (CSS sides rounded)
        ((2880, 1800), (1440, 900), True),  # a HiDPI monitor in a web study
        ((390, 844), (1170, 2532), True),  # a tracker in CSS px, a protocol in device px
        ((390, 844), (390, 844), False),  # the same px
        ((1920, 1080), (1440, 900), False),  # another screen (4/3 across, 6/5 down)
        ((393, 852), (390, 844), False),  # another phone, nearly the same size
        ((7800, 16880), (390, 844), False),  # 20x: no pixel ratio
    ],
)
def test_which_screens_are_the_protocols_in_other_px(
    tmp_path: Path, session_px: tuple[int, int], protocol_px: tuple[int, int], scaled: bool
) -> None:
    screen = ScreenGeometry(*session_px, 65.0, 140.0, 400.0)
    geo, note = protocol_px_screen(screen, _protocol(tmp_path, *protocol_px))
    if scaled:
        assert (geo.width_px, geo.height_px) == protocol_px
        assert (geo.width_mm, geo.height_mm, geo.distance_mm) == (65.0, 140.0, 400.0)
        assert f"{session_px[0]}x{session_px[1]} px" in note and "divided by" in note
    else:
        assert geo is screen and note == ""


def test_a_protocol_without_a_screen_scales_nothing() -> None:
    protocol = load_protocol(REPO / "protocols" / "bank-app.yaml")
    bare = protocol.__class__(
        **{
            **{f: getattr(protocol, f) for f in protocol.__dataclass_fields__},
            "screen_width_px": None,
        }
    )
    screen = ScreenGeometry(1170, 2532, 65.0, 140.0, 400.0)
    assert protocol_px_screen(screen, bare) == (screen, "")


def test_scaled_fixations_keep_their_angles() -> None:
    device = ScreenGeometry(1170, 2532, 65.0, 140.0, 400.0)
    css, _ = protocol_px_screen(device, load_protocol(REPO / "protocols" / "bank-app.yaml"))
    x = np.array([585.0, 100.0, 1100.0])
    y = np.array([1266.0, 30.0, 2500.0])
    xd, yd = px_to_deg(x, y, device)
    fix = Fixations(np.zeros(3), np.ones(3), x, y, xd, yd, np.zeros(3))
    out = scale_fixations(fix, 390 / 1170, 844 / 2532)
    np.testing.assert_allclose(out.x_px, x / 3)
    np.testing.assert_allclose(out.y_px, y / 3)
    # the same angles from the CSS px on the CSS-px screen
    np.testing.assert_allclose(px_to_deg(out.x_px, out.y_px, css), (xd, yd), atol=1e-9)
    assert scale_fixations(fix, 1.0, 1.0) is fix


@pytest.mark.parametrize(
    ("px", "mm", "square"),
    [
        ((390, 844), (65.0, 140.0), True),  # a phone with its own size
        ((1170, 2532), (65.0, 140.0), True),  # the same in device px
        ((1920, 1080), (531.0, 299.0), True),  # the default 24-inch monitor
        ((1024, 768), (380.0, 300.0), True),  # Lund 2013's screen: 5 % off, still square
        ((390, 844), (531.0, 299.0), False),  # a phone with the monitor's default mm
        ((1280, 1024), (531.0, 299.0), False),  # a 5:4 monitor with 16:9 mm
    ],
)
def test_pixels_that_are_not_square_are_named(
    px: tuple[int, int], mm: tuple[float, float], square: bool
) -> None:
    from gazemap.geometry import pixel_shape_problem

    text = pixel_shape_problem(ScreenGeometry(*px, *mm, 650.0))
    if square:
        assert text == ""
    else:
        assert f"{px[0]}x{px[1]} px and {mm[0]:g}x{mm[1]:g} mm" in text
        assert "--screen-width-mm" in text
