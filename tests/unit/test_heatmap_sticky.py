"""Where heatmaps and gaze plots put fixations on sticky (``fixed``) AOIs."""

from __future__ import annotations

import numpy as np

from gazemap.protocol import AOI, Screen
from gazemap.report.images import fixed_aoi_ids, plot_positions, screen_heatmap

HEADER = AOI("header", "Sticky header", "navigation", "rect", (0, 0, 1000, 72), fixed=True)
CARD = AOI("card", "Card", "target", "rect", (100, 1950, 300, 200))
SCREEN = Screen("s", "S", None, 1000, 3000, 1000, 800, aois=(HEADER, CARD))


def _row(page_y: float, view_y: float | None, aoi_ids: str, dur: float = 0.3) -> dict:
    return {
        "participant": "P1", "page_x_px": 200.0, "page_y_px": page_y, "aoi_ids": aoi_ids,
        "view_x_px": None if view_y is None else 200.0, "view_y_px": view_y,
        "duration_s": dur, "mapped": True,
    }  # fmt: skip


def test_fixed_ids_come_from_the_protocol_and_aois_csv() -> None:
    assert fixed_aoi_ids(SCREEN) == {"header"}
    rows = [{"aoi_id": "banner", "fixed": True}, {"aoi_id": "card", "fixed": False}]
    assert fixed_aoi_ids(SCREEN, rows) == {"header", "banner"}


def test_a_fixation_on_a_sticky_aoi_is_drawn_at_its_viewport_position() -> None:
    rows = [
        _row(2030.0, 30.0, "header"),  # on the header, page scrolled by 2000 px
        _row(2050.0, 50.0, "card"),  # on the card (scrolling content)
        _row(40.0, 40.0, "header;search"),  # header at scroll 0: the same either way
    ]
    x, y, missing = plot_positions(rows, fixed_aoi_ids(SCREEN))
    assert missing == 0
    np.testing.assert_array_equal(y, [30.0, 2050.0, 40.0])
    np.testing.assert_array_equal(x, [200.0, 200.0, 200.0])
    # the AOI ids as a list (rows straight from the analysis) work the same
    listed = [{**rows[0], "aoi_ids": ["header"]}]
    assert plot_positions(listed, {"header"})[1][0] == 30.0


def test_old_rows_without_a_viewport_position_are_counted() -> None:
    x, y, missing = plot_positions([_row(2030.0, None, "header")], {"header"})
    assert missing == 1 and y[0] == 2030.0


def test_heatmap_mass_of_sticky_fixations_is_on_the_header() -> None:
    rows = [_row(2030.0, 30.0, "header", dur=1.0), _row(2100.0, 100.0, "card", dur=0.5)]
    hm = screen_heatmap(rows, SCREEN, px_per_deg=38.0, sigma_deg=1.0, fixed_ids={"header"})
    rows_px = (np.arange(hm.values.shape[0]) + 0.5) * hm.cell_px
    top = hm.values[rows_px < 72 + 3 * 38].sum()
    under_header = hm.values[(rows_px > 1900) & (rows_px < 2070)].sum()
    assert abs(top - 1.0) < 0.01  # all of the header's second, none of the card's
    assert under_header < 0.6  # the card's 0.5 s (and its tail), not the header's 1 s
