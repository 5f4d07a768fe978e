"""Validation targets shown by ``gazemap present`` (``--validation-points 5|9``).

Before the first task (and/or after the last, ``--validate-at start|end|both``) the
presenter shows the targets full-screen in the participant's browser: a plain grey page with
one black dot (20 px, white centre) at a time, each for ``show_s`` (1.5 s), in the order and
at the screen positions of :data:`gazemap.quality.VALIDATION_PATTERNS` (fractions of the
screen, 10 % from its edges). For each target it publishes
``validation/<x_px>,<y_px>/start`` when the dot appears and ``.../end`` when it goes
(:func:`gazemap.quality.validation_marker`) on its Markers outlet, stamped with the page's
own time of the frame that showed (hid) the dot, mapped to the LSL clock
(:class:`gazemap.presenter.browser.ClockMap`) like the presenter's other markers.

Positions are screen px: the dot is drawn at the target minus the viewport's origin on the
screen (``(0, 0)`` headless and in kiosk full screen; the window's position otherwise,
estimated as the page script does for the Scroll stream's ``viewport_x/y``), and the marker
names where the dot's centre really was on the screen. ``gazemap analyze`` measures the
accuracy from the gaze on each target after :data:`gazemap.quality.VALIDATION_SETTLE_S`.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from gazemap.cli._common import add_validation_points_argument
from gazemap.errors import InputError
from gazemap.presenter.pagescript import VIEWPORT_ORIGIN_JS

# gazemap.quality (numpy) is imported where used: `gazemap --help` and every
# other command import this module for the options only

#: how long each target is shown, s
SHOW_S = 1.5
#: the grey page alone before the first target, s (the participant sees the change)
LEAD_IN_S = 0.5
#: dot diameter and its white centre's diameter, CSS px (= screen px: device scale factor 1)
DOT_PX = 20
CENTRE_PX = 6
BACKGROUND = "#808080"
#: when the targets are shown (``--validate-at``)
VALIDATE_AT = ("start", "end", "both")

#: the page: grey, full screen, one absolutely placed dot (hidden until the first target)
PAGE_HTML = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>gazemap validation</title><style>
html, body {{ margin: 0; padding: 0; width: 100%; height: 100%; overflow: hidden;
  background: {BACKGROUND}; cursor: none; }}
#gm-dot {{ position: fixed; left: 0; top: 0; width: {DOT_PX}px; height: {DOT_PX}px;
  box-sizing: border-box; border-radius: 50%; background: #000; visibility: hidden; }}
#gm-dot::after {{ content: ""; position: absolute; left: {(DOT_PX - CENTRE_PX) / 2}px;
  top: {(DOT_PX - CENTRE_PX) / 2}px; width: {CENTRE_PX}px; height: {CENTRE_PX}px;
  border-radius: 50%; background: #fff; }}
</style></head><body><div id="gm-dot"></div></body></html>"""

#: the viewport's origin on the screen (the page script's estimate for the Scroll stream's
#: ``viewport_x/y``, pagescript.VIEWPORT_ORIGIN_JS) and its size
_GEOMETRY_JS = (
    "(headless) => [...("
    + VIEWPORT_ORIGIN_JS
    + ")(headless), window.innerWidth, window.innerHeight]"
)

#: show the dot centred at (x, y) viewport px; resolves with the page time (ms since the
#: epoch) of the animation frame that draws it
_SHOW_JS = """([x, y, r]) => new Promise((done) => {
  const d = document.getElementById("gm-dot");
  d.style.left = (x - r) + "px";
  d.style.top = (y - r) + "px";
  d.style.visibility = "visible";
  requestAnimationFrame(() => done(performance.timeOrigin + performance.now()));
})"""

#: hide the dot when the page time reaches ``until`` (ms since the epoch); resolves with the
#: page time of the frame without it
_HIDE_JS = """(until) => new Promise((done) => {
  const hide = () => {
    document.getElementById("gm-dot").style.visibility = "hidden";
    requestAnimationFrame(() => done(performance.timeOrigin + performance.now()));
  };
  const left = until - (performance.timeOrigin + performance.now());
  if (left > 0) setTimeout(hide, left); else hide();
})"""


@dataclass(frozen=True)
class Placement:
    """One target: where on the screen (the marker) and where in the viewport (the dot)."""

    #: the dot's centre on the screen, px (named by the markers)
    x_px: float
    y_px: float
    #: the dot's centre in the viewport, CSS px
    dot_x_px: float
    dot_y_px: float
    #: True when the pattern's point lay outside the viewport and the dot was moved inside
    moved: bool = False


@dataclass(frozen=True)
class ShownTarget:
    """A target as shown: its placement and its LSL times (s) of appearing and going."""

    placement: Placement
    start_s: float
    end_s: float


def target_positions(n_points: int, width_px: float, height_px: float) -> list[tuple[int, int]]:
    """The pattern's targets on a ``width_px`` x ``height_px`` screen, px, in showing order.

    The same positions as ``gazemap simulate --validation-points``
    (:func:`gazemap.quality.validation_targets_px`).

    Raises
    ------
    InputError
        ``n_points`` is not 5 or 9.
    """
    from gazemap.quality import validation_targets_px

    return validation_targets_px(n_points, width_px, height_px)


def place_targets(
    targets_px: Sequence[tuple[float, float]],
    origin_px: tuple[float, float],
    viewport_px: tuple[float, float],
    dot_px: float = DOT_PX,
) -> list[Placement]:
    """Where to draw each screen-px target in a viewport whose top-left is at ``origin_px``.

    Parameters
    ----------
    targets_px : (k, 2) target centres on the screen, px.
    origin_px : the viewport's top-left corner on the screen, px.
    viewport_px : the viewport's (width, height), px.
    dot_px : the dot's diameter, px: a dot is kept wholly inside the viewport.

    Returns
    -------
    One :class:`Placement` per target: dot = target - origin, moved inside the viewport when
    it would not be wholly visible (a window not at full screen); the screen position is then
    the moved dot's, so a marker always names where the dot really was.
    """
    ox, oy = float(origin_px[0]), float(origin_px[1])
    w, h = float(viewport_px[0]), float(viewport_px[1])
    r = dot_px / 2.0
    out = []
    for x, y in targets_px:
        dx, dy = float(x) - ox, float(y) - oy
        cx = min(max(dx, r), max(r, w - r))
        cy = min(max(dy, r), max(r, h - r))
        moved = (cx, cy) != (dx, dy)
        out.append(Placement(cx + ox, cy + oy, cx, cy, moved))
    return out


def add_validation_arguments(parser: argparse.ArgumentParser) -> None:
    """``--validation-points`` and ``--validate-at`` of ``gazemap present``."""
    add_validation_points_argument(
        parser,
        f"show N validation targets (0, 5 or 9; default 0) full screen, one at a time for "
        f"{SHOW_S:g} s, and mark them (validation/<x>,<y>/start|end): `gazemap analyze` then "
        "reports the accuracy in deg",
    )
    parser.add_argument(
        "--validate-at",
        choices=VALIDATE_AT,
        default="start",
        help="show the validation targets before the first task (start, default), after the "
        "last (end) or both",
    )


def validation_phases(n_points: int, validate_at: str) -> tuple[bool, bool]:
    """(validate before the first task, validate after the last) for the two options.

    Raises
    ------
    InputError
        ``validate_at`` is not one of :data:`VALIDATE_AT`, or is given with no targets.
    """
    if validate_at not in VALIDATE_AT:
        raise InputError(
            f"--validate-at must be one of {', '.join(VALIDATE_AT)}, got {validate_at!r}."
        )
    if not n_points:
        if validate_at != "start":
            raise InputError(
                f"--validate-at {validate_at} needs targets to show: add --validation-points 5 "
                "or 9."
            )
        return False, False
    target_positions(n_points, 1, 1)  # checks n_points
    return validate_at in ("start", "both"), validate_at in ("end", "both")


def run_validation(
    pres: Any,
    n_points: int,
    show_s: float = SHOW_S,
    lead_in_s: float = LEAD_IN_S,
    on_shown: Callable[[Placement, float], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> list[ShownTarget]:
    """Show the validation targets in the presenter's page and publish their markers.

    Parameters
    ----------
    pres : a started :class:`gazemap.presenter.browser.Presenter` (its page, clock, markers).
    n_points : 5 or 9 targets (:func:`target_positions`).
    show_s : how long each target is shown, s; more than the analysis' settle time
        (:data:`gazemap.quality.VALIDATION_SETTLE_S`), else no gaze on it would be used.
    lead_in_s : the grey page alone before the first target, s.
    on_shown : called with each target's :class:`Placement` and its start marker's LSL time
        while the dot is on the screen (after the start marker was published).
    stop : checked before each target; True ends the validation there (the moderator's
        Ctrl+C), after the shown targets' end markers.

    Returns
    -------
    The targets as shown, with their LSL start and end times (those of the markers). When
    the participant closes the browser during the validation, the targets shown completely
    until then (a one-line warning says so; a target whose dot was on the screen then has
    a start marker only, which the analysis leaves out with a note).

    Raises
    ------
    InputError
        ``n_points`` is not 5 or 9, or ``show_s`` is not longer than the settle time.
    """
    from gazemap.quality import VALIDATION_SETTLE_S

    if not (math.isfinite(show_s) and show_s > VALIDATION_SETTLE_S):
        raise InputError(
            f"validation targets must be shown longer than the {VALIDATION_SETTLE_S:g} s the "
            f"eye needs to reach them, got {show_s!r} s."
        )
    targets = target_positions(n_points, pres.width_px, pres.height_px)
    shown: list[ShownTarget] = []
    try:
        _show(pres, targets, show_s, lead_in_s, on_shown, stop, shown)
    except Exception as exc:  # noqa: BLE001 - Playwright's errors once the window is gone
        if pres.alive:
            raise
        pres.log(
            f"warning: the browser was closed during the validation ({len(shown)} of "
            f"{len(targets)} targets shown); {str(exc).splitlines()[0]}"
        )
    return shown


def _show(
    pres: Any,
    targets: list[tuple[int, int]],
    show_s: float,
    lead_in_s: float,
    on_shown: Callable[[Placement, float], None] | None,
    stop: Callable[[], bool] | None,
    shown: list[ShownTarget],
) -> None:
    """:func:`run_validation`'s work; appends each target to ``shown`` when it has gone."""
    from gazemap.quality import validation_marker

    page = pres.page
    if page.url != "about:blank":
        # leave the site's page (after the last task): its page script must not report the
        # validation page as one of the site's screens
        page.goto("about:blank")
    page.set_content(PAGE_HTML)
    pres.sync_clock(rounds=3)
    ox, oy, iw, ih = (float(v) for v in page.evaluate(_GEOMETRY_JS, bool(pres.headless)))
    placements = place_targets(targets, (ox, oy), (iw, ih))
    moved = [p for p in placements if p.moved]
    if moved:
        pres.log(
            f"note: {len(moved)} validation target(s) lay outside the browser's viewport "
            f"(its top-left is at {ox:g},{oy:g} px on the {pres.width_px}x{pres.height_px} px "
            "screen; not full screen?) and were moved inside it; their markers name where "
            "they were shown"
        )
    pres.log(
        f"validation: {len(placements)} targets, {show_s:g} s each "
        f"(viewport at {ox:g},{oy:g} px on the screen)"
    )
    # the presenter's page events are not handled here but after the validation (by its own
    # loop; after the last task: not at all, as without a validation): a page the participant
    # was leaving when the journey ended must not become a screen marker among the targets
    if lead_in_s > 0:
        page.wait_for_timeout(lead_in_s * 1000.0)
    r = DOT_PX / 2.0
    for p in placements:
        if stop is not None and stop():
            pres.log(f"validation stopped after {len(shown)} of {len(placements)} targets")
            return
        t_on_ms = float(page.evaluate(_SHOW_JS, [p.dot_x_px, p.dot_y_px, r]))
        start_s = pres.clock.to_lsl(t_on_ms)
        pres.push_marker(validation_marker(p.x_px, p.y_px, "start"), start_s)
        if on_shown is not None:
            on_shown(p, start_s)
        t_off_ms = float(page.evaluate(_HIDE_JS, t_on_ms + show_s * 1000.0))
        end_s = pres.clock.to_lsl(t_off_ms)
        pres.push_marker(validation_marker(p.x_px, p.y_px, "end"), end_s)
        shown.append(ShownTarget(p, start_s, end_s))
