"""Validation targets of ``gazemap present`` (presenter/validation.py): where the targets go
on the screen and in a viewport that is not at the screen's origin, and every bad option."""

from __future__ import annotations

import pytest

from gazemap.errors import InputError
from gazemap.presenter.validation import (
    DOT_PX,
    PAGE_HTML,
    place_targets,
    run_validation,
    target_positions,
    validation_phases,
)
from gazemap.quality import validation_from_markers
from gazemap.simulation import simulate_session
from gazemap.types import ScreenGeometry


@pytest.mark.parametrize("n", [5, 9])
def test_targets_are_those_the_simulated_participant_looks_at(n: int) -> None:
    # the same screen positions and order as `gazemap simulate --validation-points`, read
    # back from the simulated session's markers (not from the pattern table)
    screen = ScreenGeometry(1440, 900, 432, 270, 650)
    sim = simulate_session(
        None, participant="P01", seed=1, screen=screen, duration_s=20, validation_points=n
    )
    validation, notes = validation_from_markers(sim.markers.time_s, sim.markers.value, screen)
    assert notes == [] and validation is not None
    expected = [(float(x), float(y)) for x, y in validation.points_px]
    assert target_positions(n, 1440, 900) == expected
    assert len(expected) == n


def test_targets_on_the_screen_10_percent_from_its_edges() -> None:
    assert target_positions(5, 1920, 1080) == [
        (960, 540),
        (192, 108),
        (1728, 108),
        (192, 972),
        (1728, 972),
    ]
    nine = target_positions(9, 1440, 900)
    assert sorted({x for x, _ in nine}) == [144, 720, 1296]
    assert sorted({y for _, y in nine}) == [90, 450, 810]
    assert nine[:3] == [(144, 90), (720, 90), (1296, 90)]  # row by row from the top


def test_dot_is_drawn_at_the_target_minus_the_viewport_origin() -> None:
    targets = target_positions(5, 1440, 900)
    # full screen: the viewport is the screen
    same = place_targets(targets, (0, 0), (1440, 900))
    assert [(p.x_px, p.y_px) for p in same] == [(float(x), float(y)) for x, y in targets]
    assert [(p.dot_x_px, p.dot_y_px) for p in same] == [(p.x_px, p.y_px) for p in same]
    assert not any(p.moved for p in same)
    # a window whose viewport starts at (14, 20) on the screen: the dot is drawn 14 px left
    # and 20 px up in the page, so that it is at the target on the screen
    win = place_targets(targets, (14, 20), (1426, 880))
    assert [(p.x_px, p.y_px) for p in win] == [(float(x), float(y)) for x, y in targets]
    assert [(p.dot_x_px, p.dot_y_px) for p in win] == [
        (706.0, 430.0),
        (130.0, 70.0),
        (1282.0, 70.0),
        (130.0, 790.0),
        (1282.0, 790.0),
    ]
    assert not any(p.moved for p in win)


def test_a_target_outside_the_viewport_is_moved_inside_and_its_marker_follows() -> None:
    targets = [(720, 450), (144, 90), (1296, 810)]
    win = place_targets(targets, (14, 91), (1426, 780))
    centre, top_left, bottom_right = win
    assert (centre.dot_x_px, centre.dot_y_px, centre.moved) == (706.0, 359.0, False)
    # (144, 90) on the screen is 1 px above the viewport: the dot's centre goes to its radius
    r = DOT_PX / 2
    assert (top_left.dot_x_px, top_left.dot_y_px, top_left.moved) == (130.0, r, True)
    # the marker names where the dot really was on the screen
    assert (top_left.x_px, top_left.y_px) == (144.0, 91 + r)
    # (1296, 810) -> (1282, 719) is inside a 1426 x 780 viewport
    assert (bottom_right.dot_x_px, bottom_right.dot_y_px, bottom_right.moved) == (
        1282.0,
        719.0,
        False,
    )
    # right and bottom edges
    edge = place_targets([(1440, 900)], (0, 0), (1440, 900))[0]
    assert (edge.dot_x_px, edge.dot_y_px) == (1440 - r, 900 - r)
    assert (edge.x_px, edge.y_px) == (1440 - r, 900 - r) and edge.moved


def test_page_is_grey_with_a_black_dot_with_a_white_centre() -> None:
    assert "background: #808080" in PAGE_HTML
    assert f"width: {DOT_PX}px; height: {DOT_PX}px" in PAGE_HTML
    assert "background: #000" in PAGE_HTML and "background: #fff" in PAGE_HTML


def test_phases() -> None:
    assert validation_phases(0, "start") == (False, False)
    assert validation_phases(5, "start") == (True, False)
    assert validation_phases(9, "end") == (False, True)
    assert validation_phases(5, "both") == (True, True)


def test_validate_at_without_targets_is_an_error() -> None:
    with pytest.raises(InputError, match=r"--validate-at end needs targets to show: add "):
        validation_phases(0, "end")


def test_unknown_validate_at_is_an_error() -> None:
    with pytest.raises(InputError, match=r"--validate-at must be one of start, end, both"):
        validation_phases(5, "middle")


@pytest.mark.parametrize("n", [1, 4, 13])
def test_other_numbers_of_targets_are_an_error(n: int) -> None:
    with pytest.raises(InputError, match=rf"--validation-points must be 0, 5 or 9, got {n}"):
        target_positions(n, 1440, 900)
    with pytest.raises(InputError, match=r"--validation-points must be 0, 5 or 9"):
        validation_phases(n, "both")


@pytest.mark.parametrize("show_s", [0.4, 0.1, float("nan")])
def test_targets_shown_no_longer_than_the_settle_time_are_an_error(show_s: float) -> None:
    # checked before the presenter is touched (None would fail on any use)
    with pytest.raises(InputError, match=r"shown longer than the 0.4 s the eye needs"):
        run_validation(None, 5, show_s=show_s)
