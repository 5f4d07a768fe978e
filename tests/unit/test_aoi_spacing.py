"""AOIs closer together than the accuracy (gazemap.aoi.close_aoi_pairs, gazemap.batch.aoi_spacing):
gaps between shapes in px and deg, nested and overlapping AOIs left out, the note's text."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from shapely.geometry import Point, Polygon, box

from gazemap.aoi import close_aoi_pairs, gap_deg
from gazemap.batch import SessionResult, aoi_spacing, aoi_spacing_lines
from gazemap.journey import ScreenVisit, TouchpointVisit
from gazemap.protocol import AOI, FrictionThresholds, Protocol, Screen, Stage, Touchpoint
from gazemap.types import ScreenGeometry

#: protocols/bank-app.yaml's phone: 390 x 844 CSS px, 65 x 140 mm, at 40 cm
PHONE = ScreenGeometry(390, 844, 65.0, 140.0, 400.0)


def rect(aid: str, x: float, y: float, w: float, h: float, fixed: bool = False) -> AOI:
    return AOI(aid, aid.title(), "content", "rect", (x, y, w, h), fixed=fixed)


def _deg(gap_mm: float, distance_mm: float = 400.0) -> float:
    return math.degrees(2 * math.atan(gap_mm / (2 * distance_mm)))


def test_statement_rows_16_px_apart_are_0_38_deg_on_the_phone() -> None:
    # the bank app's statements list: rows 72 px tall, 16 px apart
    rows = [rect(f"row{i}", 16, 176 + 88 * i, 358, 72) for i in range(3)]
    pairs = close_aoi_pairs(rows, PHONE, 0.5)
    assert [(g.a, g.b) for g in pairs] == [("row0", "row1"), ("row1", "row2")]
    for g in pairs:
        assert g.exact and g.gap_px == 16.0
        # 16 px x 140 mm / 844 px = 2.654 mm at 400 mm: 0.380 deg
        assert g.gap_deg == pytest.approx(_deg(16 * 140 / 844), rel=1e-9)
        assert g.gap_deg == pytest.approx(0.38, abs=0.005)
    # with 0.3 deg accuracy they are far enough apart
    assert close_aoi_pairs(rows, PHONE, 0.3) == []


def test_the_rect_gap_is_the_exact_distance_between_the_shapes() -> None:
    a = rect("a", 10, 10, 50, 30)
    cases = [
        rect("right", 80, 10, 40, 30),  # beside: 20 px across
        rect("below", 0, 55, 100, 20),  # below: 15 px down
        rect("diag", 63, 44, 10, 10),  # corner to corner: (3, 4) -> 5 px
        rect("touch", 60, 0, 10, 10),  # shares an edge: 0 px
    ]
    screen = ScreenGeometry(1000, 1000, 300.0, 300.0, 600.0)
    for b in cases:
        (g,) = close_aoi_pairs([a, b], screen, 5.0)
        x, y, w, h = b.coords
        want = box(10, 10, 60, 40).distance(box(x, y, x + w, y + h))
        assert g.gap_px == pytest.approx(want, abs=1e-9), b.id
        assert g.gap_deg == pytest.approx(_deg(want * 0.3, 600.0), rel=1e-9), b.id


def test_nested_and_overlapping_aois_are_not_neighbours() -> None:
    form = rect("form", 8, 100, 374, 290)
    fields = [rect("recipient", 16, 112, 358, 64), rect("amount", 16, 200, 358, 96)]
    crossing = rect("crossing", 300, 380, 80, 40)  # crosses the form's bottom edge
    pairs = close_aoi_pairs([form, *fields, crossing], PHONE, 2.0)
    ids = {frozenset((g.a, g.b)) for g in pairs}
    # the fields inside the form and the AOI across its edge: left out
    assert all("form" not in p for p in ids), ids
    # the two fields are distinct neighbours 24 px apart; the crossing AOI is 84 px below
    assert ids == {frozenset(("recipient", "amount")), frozenset(("amount", "crossing"))}
    (fields_pair,) = [g for g in pairs if {g.a, g.b} == {"recipient", "amount"}]
    assert fields_pair.gap_px == 24.0


def test_ellipses_and_polygons_use_their_bounding_boxes_a_lower_bound() -> None:
    button = rect("button", 100, 100, 100, 50)
    chat = AOI("chat", "Chat", "distractor", "ellipse", (260, 125, 30, 30))  # box x 230-290
    tri = AOI("tri", "Tri", "content", "polygon", (100, 170, 200, 170, 150, 220))
    pairs = {g.b: g for g in close_aoi_pairs([button, chat, tri], PHONE, 5.0) if g.a == "button"}
    assert not pairs["chat"].exact and pairs["chat"].gap_px == 30.0
    assert not pairs["tri"].exact and pairs["tri"].gap_px == 20.0
    # never more than the shapes' true distance (so no close pair is missed)
    b = box(100, 100, 200, 150)
    assert pairs["chat"].gap_px <= b.distance(Point(260, 125).buffer(30, 256)) + 1e-6
    assert pairs["tri"].gap_px <= b.distance(Polygon([(100, 170), (200, 170), (150, 220)]))
    # an ellipse whose box overlaps the button's (even if the ellipse itself does not):
    # treated as overlapping, not warned about
    corner = AOI("corner", "Corner", "content", "ellipse", (215, 165, 20, 20))
    assert close_aoi_pairs([button, corner], PHONE, 5.0) == []


def test_pixels_that_are_not_square_use_each_axis_mm() -> None:
    screen = ScreenGeometry(100, 100, 100.0, 50.0, 500.0)  # 1 mm across, 0.5 mm down
    assert gap_deg(10, 0, screen) == pytest.approx(_deg(10.0, 500.0))
    assert gap_deg(0, 10, screen) == pytest.approx(_deg(5.0, 500.0))
    assert gap_deg(6, 8, screen) == pytest.approx(_deg(math.hypot(6, 4), 500.0))


def test_a_fixed_header_is_compared_with_the_page_only_when_it_does_not_scroll() -> None:
    header = rect("header", 0, 0, 390, 100, fixed=True)
    chat = rect("chat", 300, 760, 60, 60, fixed=True)
    fil = rect("filter", 16, 112, 358, 48)
    # on a scrolling list the filter passes under the header: no one distance
    pairs = close_aoi_pairs([header, fil, chat], PHONE, 1.0, scrolls=True)
    assert pairs == []
    pairs = close_aoi_pairs([header, fil, chat], PHONE, 1.0, scrolls=False)
    assert [(g.a, g.b, g.gap_px) for g in pairs] == [("header", "filter", 12.0)]


@pytest.mark.parametrize("acc", [0.0, -1.0, float("nan"), float("inf")])
def test_no_pairs_without_a_usable_accuracy(acc: float) -> None:
    rows = [rect("a", 0, 0, 10, 10), rect("b", 12, 0, 10, 10)]
    assert close_aoi_pairs(rows, PHONE, acc) == []


def _protocol(accuracy_max_deg: float = 1.0) -> Protocol:
    rows = tuple(rect(f"row{i}", 16, 176 + 88 * i, 358, 72) for i in range(3))
    far = (rect("top", 16, 16, 358, 60), rect("bottom", 16, 700, 358, 60))
    screens = (
        Screen("list", "Statements list", None, 390, 844, 390, 844, rows),
        Screen("spacious", "Spacious", None, 390, 844, 390, 844, far),
        Screen("unseen", "Not visited", None, 390, 844, 390, 844, rows),
    )
    tp = Touchpoint("statement", "Find a statement", "app", "Find it.", screens)
    return Protocol(
        "bank",
        "Bank",
        (Stage("s", "S", (tp,)),),
        FrictionThresholds(accuracy_max_deg=accuracy_max_deg),
    )


def _visits() -> tuple[TouchpointVisit, ...]:
    sv = (ScreenVisit("list", 0.0, 5.0), ScreenVisit("spacious", 5.0, 9.0))
    return (TouchpointVisit("statement", 0.0, 10.0, sv),)


def test_the_sessions_accuracy_or_the_protocols_threshold_names_the_visited_screens() -> None:
    protocol = _protocol(accuracy_max_deg=1.0)
    (sp,) = aoi_spacing(_visits(), protocol, PHONE, 0.5)
    assert (sp.screen_id, sp.measured, sp.accuracy_deg) == ("list", True, 0.5)
    note = sp.note()
    assert note.startswith("screen 'list' (Statements list): AOIs closer together than ")
    assert "the session's accuracy, 0.50 deg (21 px)" in note
    assert "row0 | row1 16 px = 0.38 deg, row1 | row2 16 px = 0.38 deg." in note
    assert "unseen" not in note and "top" not in note
    # not measured: the protocol's accuracy_max_deg (1 deg = 42 px on this phone)
    for missing in (None, float("nan")):
        (sp,) = aoi_spacing(_visits(), protocol, PHONE, missing)
        assert (sp.measured, sp.accuracy_deg) == (False, 1.0)
        assert "the protocol's accuracy_max_deg (no accuracy measured in the session), " in (
            sp.note()
        )
        assert "1.00 deg (42 px)" in sp.note()
    # far enough apart for a good session
    assert aoi_spacing(_visits(), protocol, PHONE, 0.3) == []


def test_the_cli_line_is_one_per_screen_over_the_sessions() -> None:
    protocol = _protocol()
    results = []
    for name, acc in (("P01.h5", 0.45), ("P02.h5", 0.55), ("P03.h5", None), ("P04.h5", 0.2)):
        r = SessionResult(file=name, ok=True)
        r.aoi_spacing = aoi_spacing(_visits(), protocol, PHONE, acc)
        results.append(r)
    (line,) = aoi_spacing_lines(results)
    assert line.startswith("P01.h5, P02.h5, P03.h5: screen 'list' (Statements list): ")
    assert "(0.45-0.55 deg measured; accuracy_max_deg 1 deg where not measured)" in line
    assert "row0 | row1 16 px = 0.38 deg, row1 | row2 16 px = 0.38 deg" in line
    assert "of 3 sessions" not in line  # every listed session has both pairs
    # a pair closer than only some sessions' accuracy says how many
    results[0].aoi_spacing = []
    (sp,) = results[1].aoi_spacing
    results[1].aoi_spacing = [replace(sp, pairs=sp.pairs[:1])]
    (line,) = aoi_spacing_lines(results)
    assert "row0 | row1 16 px = 0.38 deg, row1 | row2 16 px = 0.38 deg (1 of 2 sessions)" in line
    assert aoi_spacing_lines([SessionResult(file="x.h5", ok=False)]) == []


def test_a_dense_grid_lists_the_closest_pairs_and_counts_the_rest() -> None:
    # 4 x 4 product tiles 20 px apart (0.53 deg) on a 1440 x 900 monitor: 24 side by side,
    # and at 0.8 deg the 18 diagonal ones too (28 px corner to corner, 0.75 deg)
    web = ScreenGeometry(1440, 900, 432.0, 270.0, 650.0)
    tiles = [
        rect(f"t{r}{c}", 100 + 220 * c, 100 + 220 * r, 200, 200) for r in range(4) for c in range(4)
    ]
    pairs = close_aoi_pairs(tiles, web, 0.8)
    assert len(pairs) == 24 + 18 and all(g.gap_px in (20.0, math.hypot(20, 20)) for g in pairs)
    assert len(close_aoi_pairs(tiles, web, 0.6)) == 24
    protocol = Protocol(
        "grid", "Grid",
        (Stage("s", "S", (Touchpoint("t", "T", "site", "Look.", (
            Screen("grid", "Grid", None, 1440, 900, 1440, 900, tuple(tiles)),)),)),),
        FrictionThresholds(),
    )  # fmt: skip
    visits = (TouchpointVisit("t", 0.0, 1.0, (ScreenVisit("grid", 0.0, 1.0),)),)
    (sp,) = aoi_spacing(visits, protocol, web, 0.8)
    note = sp.note()
    assert note.count(" px = ") == 10
    assert "and 32 more pairs up to 28 px." in note
