"""Journey-map thumbnails are drawn big enough to stay sharp in a 1920 px window at 2x.

Measured in headless Chromium at 1920 x 1080: the thumbnails of the 7-touchpoint sample are
shown 203 CSS px wide, those of the 4-touchpoint bank-loan study 370 CSS px; the fixed 360 px
images were scaled up (370 CSS px = 740 device px at 2x).
"""

from __future__ import annotations

import pytest

from gazemap.report.images import THUMB_WIDTH_PX, thumb_width_px


@pytest.mark.parametrize(
    ("n_columns", "css_px"),
    [(7, 203), (4, 370)],  # the widths Chromium showed at 1920 px (docstring)
)
def test_thumbnail_covers_the_shown_width_at_2x(n_columns: int, css_px: int) -> None:
    assert thumb_width_px(n_columns, 1440) >= 2 * css_px


def test_thumbnail_width_limits() -> None:
    assert thumb_width_px(7, 1440) == 506  # (1920 - 150) / 7 x 2
    assert thumb_width_px(3, 1440) == 1180
    assert thumb_width_px(1, 1440) == 1440  # never wider than the image
    assert thumb_width_px(40, 1440) == THUMB_WIDTH_PX  # never narrower than 360 px
    assert thumb_width_px(2, 300) == 300  # a small screenshot is not scaled up
    assert thumb_width_px(0, 1440) == 1440
