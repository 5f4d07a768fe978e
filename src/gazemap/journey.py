"""From a session's markers and fixations to touchpoints, AOI metrics and friction evidence.

Pure functions over arrays and protocol objects (no I/O):

- :func:`segment_touchpoints` cuts a session into touchpoint visits using its markers
  (``touchpoint/<id>/start``, ``touchpoint/<id>/end``, ``screen/<id>``, ``click/<aoi>``) and
  reads the presenter's other markers (``screen/unknown <url>``, ``task/<n>/start|end``,
  ``error/<kind> ...``, ``aoi-boxes <json>``). Every marker problem (missing start or end,
  duplicates, overlaps, unknown ids, markers out of time order, errors the presenter
  reported) is reported as a sentence, and pages outside the protocol as notes; nothing is
  silently dropped or guessed.
- :func:`map_to_page` maps fixation centroids from screen px to page px with the Scroll
  stream, by the scroll offset at each fixation's midpoint, and flags fixations during which
  the offset moved by more than ``max_scroll_px`` (they are not assigned to any AOI).
- :func:`session_tables` builds the rows of metrics.csv, touchpoints.csv and fixations.csv
  for one session (docs/outputs.md).
- :func:`friction_evidence` applies the friction rules of docs/friction-rules.md to the rows
  of all sessions and returns evidence records; :func:`evidence_document` and
  :func:`journey_summary` build evidence.json and journey.json.
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gazemap.aoi import OUTSIDE_ID, aoi_metrics, compile_aois, hit_matrix, touchpoint_metrics
from gazemap.errors import InputError
from gazemap.protocol import AOI, FrictionThresholds, Protocol, Screen, Touchpoint
from gazemap.types import Fixations, Markers, ScreenGeometry, ScrollSamples

#: default: a fixation during which the page moved more than this (px) is not mapped to AOIs
MAX_SCROLL_PX = 20.0

SEVERITIES = ("low", "medium", "high")


# --------------------------------------------------------------------------------------
# Touchpoint segmentation
# --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ScreenVisit:
    """A screen shown within a touchpoint visit, [start_s, end_s).

    ``screen_id`` None: no protocol screen; ``url`` is then the page the presenter reported
    with ``screen/unknown <url>`` (a page outside the protocol), or None when no screen
    marker said which of the touchpoint's screens was shown.
    """

    screen_id: str | None
    start_s: float
    end_s: float
    url: str | None = None


@dataclass(frozen=True, slots=True)
class TouchpointVisit:
    """One participant's visit of a touchpoint, [start_s, end_s) on the LSL clock."""

    touchpoint_id: str
    start_s: float
    end_s: float
    screens: tuple[ScreenVisit, ...]
    clicks: tuple[tuple[float, str], ...] = ()

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True, slots=True)
class Segmentation:
    """Touchpoint visits in time order, the marker problems found, and notes (sentences).

    ``notes`` are facts worth knowing that are not marker errors, e.g. pages outside the
    protocol (``screen/unknown <url>``) the participant visited.
    """

    visits: tuple[TouchpointVisit, ...]
    problems: tuple[str, ...]
    notes: tuple[str, ...] = ()
    #: every marker as (time_s, value), in time order (task success reads free-text ones)
    markers: tuple[tuple[float, str], ...] = ()


@dataclass
class _Open:
    tp: Touchpoint
    start_s: float
    screen_id: str | None
    screen_start_s: float
    screen_url: str | None = None
    screens: list[ScreenVisit] = field(default_factory=list)
    clicks: list[tuple[float, str]] = field(default_factory=list)


def _click_target(value: str) -> str:
    """The AOI id (or selector) of a ``click/<target>[ <x_px> <y_px>]`` marker.

    The presenter appends the click's page position; a selector may itself contain spaces,
    so only two trailing numbers are split off.
    """
    body = value[len("click/") :]
    parts = body.rsplit(" ", 2)
    if len(parts) == 3:
        try:
            float(parts[1]), float(parts[2])
        except ValueError:
            return body
        return parts[0]
    return body


def _t(v: float) -> str:
    return f"t={v:.3f} s"


#: a stretch of a several-screen touchpoint without a screen marker shorter than this is not
#: reported (markers sent at once, e.g. a touchpoint's start and its first screen, a few µs apart)
SCREEN_GAP_MIN_S = 0.001

#: marker heads the presenter sends that segmentation reads (docs/presenter.md)
UNKNOWN_SCREEN = "screen/unknown"
AOI_BOXES_HEAD = "aoi-boxes "

#: HTML elements the presenter may name a click by when it hits no AOI and no element id
_HTML_TAGS = frozenset(
    "html body main div span p a img button input label select option textarea form section "
    "article aside header footer nav ul ol li dl dt dd h1 h2 h3 h4 h5 h6 table thead tbody tr "
    "td th figure figcaption picture svg path strong em small b i br hr".split()
)


def _is_element_description(target: str) -> bool:
    """True for the presenter's name of a clicked element outside every AOI.

    ``gazemap present`` names such a click ``#<nearest id>``, ``tag.class`` or ``tag``, or
    ``document`` (docs/presenter.md): a click on the page, not on an AOI.
    """
    if not target or any(ch.isspace() for ch in target):
        return False
    if target.startswith("#") or target == "document":
        return True
    return target.split(".", 1)[0] in _HTML_TAGS


def segment_touchpoints(markers: Markers, protocol: Protocol) -> Segmentation:
    """Cut a session into touchpoint visits from its markers.

    Parameters
    ----------
    markers : the session's marker stream (times in s, string values).
    protocol : the study protocol naming the touchpoints and screens.

    Returns
    -------
    Segmentation. Rules (each departure is reported in ``problems``):

    - a visit is ``touchpoint/<id>/start`` ... ``touchpoint/<id>/end`` of the same id;
      visits must not overlap; a start while another touchpoint is open, a second start of
      the open touchpoint, an end without a start, and a start never ended are reported and
      ignored (no end is guessed);
    - a touchpoint may be visited again after its end (a return, e.g. from the cart back to
      the product page): every visit is kept, in time order, and each return is a note
      (not a problem); the metrics of :func:`session_tables` use all visits of a touchpoint
      (docs/metrics.md, "Returns to a touchpoint");
    - ``screen/<id>`` switches the screen within the open touchpoint; before a touchpoint's
      start it sets the screen the touchpoint starts on; a screen of another touchpoint or an
      unknown screen is reported and ignored. A touchpoint with one screen needs no screen
      marker; with several, time before its first screen marker has no screen (reported);
    - ``screen/unknown <url>`` (the presenter: a page that matches no protocol screen) is a
      note, not a problem; within an open touchpoint the time on that page is a screen
      visit without a screen id (its fixations are not mapped to AOIs) until the next
      ``screen/<id>``;
    - ``click/<aoi>`` inside a visit counts as a click (an AOI the touchpoint does not have is
      reported but counted; the presenter's name of a clicked element outside every AOI,
      ``#<id>``, ``tag.class`` or ``document``, is a click like any other); outside a visit
      it is reported and ignored;
    - ``task/<n>/start|end`` must name a touchpoint's position n (1-based, journey order):
      a malformed one is reported; ``error/<kind> <message>`` (the presenter found a
      problem: unreachable site, screen timeout, absent selector ...) is reported as a
      problem; ``aoi-boxes <json>`` is read by the analysis (gazemap.batch), not here;
    - touchpoints of the protocol with no visit are reported, except those after a task the
      participant gave up (``task/<n>/fail``) with no visit after it: the journey was abandoned
      there (a note); other (free-text) markers are ignored.
    """
    problems: list[str] = []
    notes: list[str] = []
    times = np.asarray(markers.time_s, dtype=np.float64)
    values = [str(v) for v in markers.value]
    order = np.argsort(times, kind="stable")
    if len(times) > 1 and np.any(np.diff(times) < 0):
        i = int(np.argmax(np.diff(times) < 0)) + 1
        problems.append(
            f"markers are not in time order (marker {i} {values[i]!r} at {_t(times[i])} comes "
            f"after one at {_t(times[i - 1])}); they were sorted by time"
        )
    tps = {tp.id: tp for tp in protocol.touchpoints}
    # a moderator's success marker may look like a task marker ("task/checkout/success")
    success_markers = {
        tp.success.value
        for tp in protocol.touchpoints
        if tp.success is not None and tp.success.kind == "marker"
    }
    all_aois = {a.id for sc in protocol.screens.values() for a in sc.aois}
    screen_owner: dict[str, str] = {}
    for tp in protocol.touchpoints:
        for sc in tp.screens:
            screen_owner.setdefault(sc.id, tp.id)
    visits: list[TouchpointVisit] = []
    done: dict[str, list[TouchpointVisit]] = defaultdict(list)
    cur: _Open | None = None
    pending_screen: tuple[str, float] | None = None
    gave_up: list[tuple[int, float]] = []  # (task n, time) of every task/<n>/fail

    def close_screen(o: _Open, t: float) -> None:
        if t > o.screen_start_s or o.screen_id is not None:
            o.screens.append(ScreenVisit(o.screen_id, o.screen_start_s, t, o.screen_url))

    for k in order:
        t = float(times[k])
        v = values[k]
        parts = v.split("/")
        head = parts[0]
        if head == "touchpoint":
            if len(parts) != 3 or parts[2] not in ("start", "end") or not parts[1]:
                problems.append(
                    f"malformed marker {v!r} at {_t(t)}: expected touchpoint/<id>/start or "
                    "touchpoint/<id>/end; ignored"
                )
                continue
            tp_id, what = parts[1], parts[2]
            if tp_id not in tps:
                problems.append(
                    f"marker {v!r} at {_t(t)} names unknown touchpoint {tp_id!r} (protocol "
                    f"{protocol.id!r} has: {', '.join(tps)}); ignored"
                )
                continue
            if what == "start":
                if cur is not None:
                    if cur.tp.id == tp_id:
                        problems.append(
                            f"duplicate start of touchpoint {tp_id!r} at {_t(t)} (already started "
                            f"at {_t(cur.start_s)}); the later start is ignored"
                        )
                    else:
                        problems.append(
                            f"touchpoint {tp_id!r} started at {_t(t)} while {cur.tp.id!r} (started "
                            f"at {_t(cur.start_s)}) was still open; touchpoints must not overlap, "
                            f"so this start is ignored"
                        )
                    continue
                tp = tps[tp_id]
                screen_id: str | None = None
                if pending_screen is not None and screen_owner.get(pending_screen[0]) == tp_id:
                    screen_id = pending_screen[0]
                elif len(tp.screens) == 1:
                    screen_id = tp.screens[0].id
                pending_screen = None
                cur = _Open(tp, t, screen_id, t)
            else:  # end
                if cur is not None and cur.tp.id == tp_id:
                    close_screen(cur, t)
                    if t <= cur.start_s:
                        problems.append(
                            f"touchpoint {tp_id!r} ends at {_t(t)}, when it starts: zero "
                            "duration; ignored"
                        )
                    else:
                        screens = tuple(s for s in cur.screens if s.end_s > s.start_s)
                        # markers sent together (a touchpoint's start and its first screen)
                        # may be a few microseconds apart: no gap worth reporting
                        unnamed = [
                            s
                            for s in screens
                            if s.screen_id is None
                            and s.url is None
                            and s.end_s - s.start_s >= SCREEN_GAP_MIN_S
                        ]
                        if unnamed:
                            gap = unnamed[0]
                            problems.append(
                                f"touchpoint {tp_id!r} has several screens but no screen/<id> "
                                f"marker for {_t(gap.start_s)}-{gap.end_s:.3f} s; fixations "
                                "then are not mapped to AOIs"
                            )
                        visit = TouchpointVisit(tp_id, cur.start_s, t, screens, tuple(cur.clicks))
                        earlier = done[tp_id]
                        if earlier:
                            notes.append(
                                f"touchpoint {tp_id!r} visited again: visit {len(earlier) + 1} "
                                f"{_t(visit.start_s)}-{visit.end_s:.3f} s (earlier: "
                                + ", ".join(f"{e.start_s:.3f}-{e.end_s:.3f} s" for e in earlier)
                                + "); its metrics use all visits"
                            )
                        visits.append(visit)
                        earlier.append(visit)
                    cur = None
                else:
                    problems.append(
                        f"end of touchpoint {tp_id!r} at {_t(t)} without a matching start; ignored"
                    )
        elif v.startswith(UNKNOWN_SCREEN + " ") or (
            v == UNKNOWN_SCREEN and "unknown" not in screen_owner
        ):
            url = v[len(UNKNOWN_SCREEN) :].strip() or "(no url given)"
            if cur is None:
                pending_screen = None
                notes.append(
                    f"page {url} at {_t(t)} matches no protocol screen (outside a touchpoint)"
                )
                continue
            notes.append(
                f"page {url} at {_t(t)} matches no protocol screen; within touchpoint "
                f"{cur.tp.id!r} its fixations are not mapped to AOIs"
            )
            if cur.screen_id is not None or cur.screen_url != url:
                close_screen(cur, t)
                cur.screen_id, cur.screen_url, cur.screen_start_s = None, url, t
        elif head == "screen":
            sc_id = v[len("screen/") :]
            if len(parts) < 2 or not sc_id:
                problems.append(f"malformed marker {v!r} at {_t(t)}: expected screen/<id>; ignored")
                continue
            if sc_id not in screen_owner:
                problems.append(f"marker {v!r} at {_t(t)} names unknown screen {sc_id!r}; ignored")
                continue
            if cur is None:
                pending_screen = (sc_id, t)
                continue
            if sc_id not in {s.id for s in cur.tp.screens}:
                problems.append(
                    f"screen {sc_id!r} at {_t(t)} belongs to touchpoint "
                    f"{screen_owner[sc_id]!r}, not to the open touchpoint {cur.tp.id!r}; ignored"
                )
                continue
            if sc_id != cur.screen_id:
                close_screen(cur, t)
                cur.screen_id, cur.screen_url, cur.screen_start_s = sc_id, None, t
        elif head == "click":
            aoi_id = _click_target(v)
            if cur is None:
                problems.append(f"click {aoi_id!r} at {_t(t)} outside any touchpoint; ignored")
                continue
            known = {a.id for sc in cur.tp.screens for a in sc.aois}
            if aoi_id not in known and (aoi_id in all_aois or not _is_element_description(aoi_id)):
                problems.append(
                    f"click on {aoi_id!r} at {_t(t)} names no AOI of touchpoint {cur.tp.id!r}; "
                    "counted as a click"
                )
            cur.clicks.append((t, aoi_id))
        elif head == "task":
            if len(parts) == 3 and parts[2] == "fail" and parts[1].isdigit():
                gave_up.append((int(parts[1]), t))
            n_tp = len(tps)
            ok = (
                len(parts) == 3
                and parts[1].isdigit()
                and 1 <= int(parts[1]) <= n_tp
                and parts[2] in ("start", "end", "fail")
            )
            if not ok and v not in success_markers:
                problems.append(
                    f"malformed marker {v!r} at {_t(t)}: expected task/<n>/start, "
                    f"task/<n>/end or task/<n>/fail with n = 1..{n_tp} (a touchpoint's position "
                    "in the journey; or a success: {marker: ...} of the protocol); ignored"
                )
        elif head == "error" and len(parts) > 1:
            problems.append(f"the presenter reported a problem at {_t(t)}: {v}")
    if cur is not None:
        problems.append(
            f"touchpoint {cur.tp.id!r} started at {_t(cur.start_s)} but never ended (no "
            f"touchpoint/{cur.tp.id}/end marker); ignored"
        )
    # give-ups (task/<n>/fail, a moderator's note or the presenter's key; gave_up, collected
    # above): the last one with no touchpoint visited after it means the participant
    # abandoned the journey there, so the touchpoints after it were not reached (a note, not
    # a problem)
    by_position = list(tps.values())
    for n, t in gave_up:
        if 1 <= n <= len(by_position) and by_position[n - 1].success is None:
            tp_id = by_position[n - 1].id
            notes.append(
                f"task {n} ({tp_id!r}) given up at {_t(t)} (task/{n}/fail), but touchpoint "
                f"{tp_id!r} has no success: criterion in the protocol, so its task success "
                "stays unknown; add one to count it (docs/protocols.md, 'Task success')"
            )
    last_visit_s = max((v.start_s for v in visits), default=-np.inf)
    after = [(n, t) for n, t in gave_up if t >= last_visit_s]
    abandoned = after[-1] if after else None
    position = {tp_id: n for n, tp_id in enumerate(tps, start=1)}
    for tp_id in tps:
        if not done.get(tp_id) and (cur is None or cur.tp.id != tp_id):
            if abandoned is not None and position[tp_id] > abandoned[0]:
                notes.append(
                    f"touchpoint {tp_id!r} not reached: the participant gave up task "
                    f"{abandoned[0]} at {_t(abandoned[1])} (task/{abandoned[0]}/fail) and the "
                    "session ended there"
                )
            else:
                problems.append(f"no visit of touchpoint {tp_id!r} in this session")
    in_order = tuple((float(times[k]), values[k]) for k in order)
    return Segmentation(tuple(visits), tuple(problems), tuple(notes), in_order)


# --------------------------------------------------------------------------------------
# Task success
# --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class TaskOutcome:
    """Task success of one participant on one touchpoint.

    ``success``: True, False, or None (unknown: the protocol gives no ``success:``, the
    participant has no visit, or the session stops before the success could show).
    ``time_to_success_s``: s from the touchpoint's first start to the success event (clock
    time: time spent elsewhere between visits counts); ``at_s``: the event's LSL time.
    """

    success: bool | None
    time_to_success_s: float | None = None
    at_s: float | None = None
    #: LSL time of the ``task/<n>/fail`` marker that made it a failure (None: none did)
    gave_up_s: float | None = None


def task_success(
    touchpoint: Touchpoint, segmentation: Segmentation, position: int | None = None
) -> TaskOutcome:
    """Whether the participant achieved the touchpoint's task (``success:`` of the protocol).

    Parameters
    ----------
    touchpoint : the touchpoint, with its :class:`gazemap.protocol.SuccessCriterion`.
    segmentation : the session's :func:`segment_touchpoints` result (visits, markers).
    position : the touchpoint's 1-based position in the journey, for ``task/<n>/fail``
        markers (None: they are not looked for).

    Returns
    -------
    TaskOutcome. The *task window* runs from the start of the touchpoint's first visit to the
    end of the visit that follows its last visit (a task's result is often the next page), or
    to the session's end when none follows. Success is the first, within the window, of:

    - ``click: <aoi>``: a click on the AOI during a visit of the touchpoint;
    - ``screen: <id>``: the screen shown (a ``screen/<id>`` marker, or the start of a visit of
      a touchpoint whose only screen it is); a screen of another touchpoint with no visit
      after this touchpoint's last one is *unknown* (the session stopped before it could show);
    - ``marker: <text>``: a marker whose text is exactly ``<text>``.

    Without the event in the window the task failed (False). A ``task/<n>/fail`` marker
    (``n`` = ``position``; the participant gave up or was helped on: a moderator's note, or the
    simulator's ``--fail``) in the window makes it a failure whatever comes after it (the
    next page the moderator opens, a screen never reached), unless the success came first.
    """
    crit = touchpoint.success
    visits = sorted(
        (v for v in segmentation.visits if v.touchpoint_id == touchpoint.id),
        key=lambda v: v.start_s,
    )
    if crit is None or not visits:
        return TaskOutcome(None)
    start_s, last_end_s = visits[0].start_s, visits[-1].end_s
    following = min(
        (v for v in segmentation.visits if v.start_s >= last_end_s),
        key=lambda v: v.start_s,
        default=None,
    )
    end_s = following.end_s if following is not None else math.inf
    if crit.kind == "click":
        times = [t for v in visits for t, target in v.clicks if target == crit.value]
    elif crit.kind == "screen":
        times = [
            sv.start_s
            for v in segmentation.visits
            for sv in v.screens
            if sv.screen_id == crit.value and start_s <= sv.start_s < end_s
        ]
        times += [
            t
            for t, m in segmentation.markers
            if m == f"screen/{crit.value}" and start_s <= t < end_s
        ]
    else:
        times = [t for t, m in segmentation.markers if m == crit.value and start_s <= t < end_s]
    fail_marker = None if position is None else f"task/{position}/fail"
    gave_up = [t for t, m in segmentation.markers if m == fail_marker and start_s <= t < end_s]
    if gave_up:
        times = [t for t in times if t < min(gave_up)]
    if times:
        at_s = min(times)
        return TaskOutcome(True, at_s - start_s, at_s)
    if gave_up:
        return TaskOutcome(False, gave_up_s=min(gave_up))
    own = {sc.id for sc in touchpoint.screens}
    if crit.kind == "screen" and crit.value not in own and following is None:
        return TaskOutcome(None)
    return TaskOutcome(False)


#: z of a two-sided 95 % interval
_Z95 = 1.959963984540054


def wilson_interval(successes: int, n: int, z: float = _Z95) -> tuple[float, float] | None:
    """Wilson score interval of a proportion (Wilson 1927), 95 % by default.

    Parameters
    ----------
    successes, n : k successes of n trials (0 <= k <= n).

    Returns
    -------
    (low, high) in [0, 1], or None for n = 0. Unlike the Wald interval it stays inside
    [0, 1] and keeps its coverage at small n and rates near 0 or 1 (Sauro & Lewis 2016,
    ch. 3, recommend it, or its adjusted-Wald relative, for task completion rates).
    """
    if n <= 0:
        return None
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be in 0..n = 0..{n}, got {successes}")
    p = successes / n
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    # 0 of n and n of n reach the bound exactly (rounding would leave e.g. 5.6e-17)
    lo = 0.0 if successes == 0 else max(0.0, centre - half)
    hi = 1.0 if successes == n else min(1.0, centre + half)
    return lo, hi


def success_summary(
    outcomes: Iterable[bool | None], times_s: Iterable[float | None] = ()
) -> dict[str, Any]:
    """Success rate across participants: ``{n, successes, rate, ci95, unknown,
    time_to_success_s}``; ``n`` counts the known outcomes, ``ci95`` is the Wilson interval,
    ``time_to_success_s`` :func:`summarize` over the successful participants' times."""
    vals = list(outcomes)
    known = [v for v in vals if v is not None]
    k = sum(1 for v in known if v)
    n = len(known)
    ci = wilson_interval(k, n)
    return {
        "n": n,
        "successes": k,
        "rate": k / n if n else None,
        "ci95": list(ci) if ci is not None else None,
        "unknown": len(vals) - n,
        "time_to_success_s": summarize(times_s),
    }


# --------------------------------------------------------------------------------------
# Screen -> page mapping
# --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PageMapping:
    """Fixation centroids in page px and viewport px, and which were mapped.

    ``page_*``: page px (for AOIs that scroll with the page); ``view_*``: viewport px (for
    ``fixed`` AOIs). ``scroll_moved_px``: how far the page moved during each fixation.
    ``mapped``: False for fixations during which the page moved more than the tolerance.
    """

    page_x_px: np.ndarray
    page_y_px: np.ndarray
    view_x_px: np.ndarray
    view_y_px: np.ndarray
    scroll_moved_px: np.ndarray
    mapped: np.ndarray


def map_to_page(
    start_s: np.ndarray,
    end_s: np.ndarray,
    x_px: np.ndarray,
    y_px: np.ndarray,
    scroll: ScrollSamples | None,
    *,
    max_scroll_px: float = MAX_SCROLL_PX,
    viewport_x_px: float = 0.0,
    viewport_y_px: float = 0.0,
) -> PageMapping:
    """Map fixations from screen px to page px with the Scroll stream.

    Parameters
    ----------
    start_s, end_s : (N,) fixation start/end, s.
    x_px, y_px : (N,) fixation centroids, screen px.
    scroll : the session's Scroll stream (sample-and-hold), or None when the page never
        scrolled (then the viewport is at ``viewport_x_px``, ``viewport_y_px``).
    max_scroll_px : a fixation during which the scroll offset (or viewport position) moved by
        more than this, along either axis, is flagged ``mapped=False``.

    Returns
    -------
    PageMapping. Each fixation is mapped with the offset in effect at its midpoint
    (page = screen - viewport + scroll). The eyes follow content while it scrolls, so a
    "fixation" during a scroll has no single page position: such fixations keep their
    midpoint mapping for plots but are excluded from AOI hits and the outside category.
    """
    start = np.asarray(start_s, dtype=np.float64)
    end = np.asarray(end_s, dtype=np.float64)
    x = np.asarray(x_px, dtype=np.float64)
    y = np.asarray(y_px, dtype=np.float64)
    n = len(start)
    if scroll is None or len(scroll) == 0:
        vx = x - viewport_x_px
        vy = y - viewport_y_px
        return PageMapping(vx, vy, vx.copy(), vy.copy(), np.zeros(n), np.ones(n, dtype=bool))
    st = np.asarray(scroll.time_s, dtype=np.float64)
    if np.any(np.diff(st) < 0):
        raise InputError(
            "scroll.time_s must be non-decreasing; sort the Scroll stream by time "
            "(gazemap recover does so for recorded files)."
        )
    ox = np.asarray(scroll.scroll_x_px) - np.asarray(scroll.viewport_x_px)
    oy = np.asarray(scroll.scroll_y_px) - np.asarray(scroll.viewport_y_px)
    mid = (start + end) / 2.0
    last = len(st) - 1
    im = np.clip(np.searchsorted(st, mid, side="right") - 1, 0, last)
    i0 = np.clip(np.searchsorted(st, start, side="right") - 1, 0, last)
    i1 = np.clip(np.searchsorted(st, end, side="right") - 1, 0, last)
    if n:
        # range of the offsets in effect during [start, end]: samples i0..i1 inclusive
        idx = np.column_stack([i0, i1 + 1]).ravel()
        pad = lambda a, fill: np.append(a, fill)  # noqa: E731 - sentinel so i1+1 is valid
        rx = (
            np.maximum.reduceat(pad(ox, -np.inf), idx)[::2]
            - np.minimum.reduceat(pad(ox, np.inf), idx)[::2]
        )
        ry = (
            np.maximum.reduceat(pad(oy, -np.inf), idx)[::2]
            - np.minimum.reduceat(pad(oy, np.inf), idx)[::2]
        )
        moved = np.maximum(rx, ry)
    else:
        moved = np.zeros(0)
    sx = np.asarray(scroll.scroll_x_px)[im]
    sy = np.asarray(scroll.scroll_y_px)[im]
    vx = x - np.asarray(scroll.viewport_x_px)[im]
    vy = y - np.asarray(scroll.viewport_y_px)[im]
    return PageMapping(vx + sx, vy + sy, vx, vy, moved, moved <= max_scroll_px)


# --------------------------------------------------------------------------------------
# Per-session tables
# --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class TouchpointQuality:
    """Data quality of one touchpoint visit (from gazemap.quality)."""

    data_loss: float
    precision_rms_deg: float
    #: the session's accuracy on validation targets, deg (NaN: no validation)
    accuracy_deg: float = math.nan


@dataclass
class SessionTables:
    """Rows of one session for metrics.csv, touchpoints.csv and fixations.csv.

    Rows are dicts keyed by the column names of docs/outputs.md; keys starting with ``_``
    are internal (example timestamps for evidence) and are not exported.
    """

    metrics: list[dict[str, Any]] = field(default_factory=list)
    touchpoints: list[dict[str, Any]] = field(default_factory=list)
    fixations: list[dict[str, Any]] = field(default_factory=list)


def _nan_to_none(v: float) -> float | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


def session_tables(
    fixations: Fixations,
    segmentation: Segmentation,
    scroll: ScrollSamples | None,
    screen: ScreenGeometry,
    protocol: Protocol,
    *,
    participant: str,
    session_id: str,
    detector: str,
    quality: Mapping[str, TouchpointQuality] | None = None,
    max_scroll_px: float = MAX_SCROLL_PX,
    min_overlap_s: float = 0.06,
) -> SessionTables:
    """Metrics rows of one session (docs/outputs.md), per participant x touchpoint x AOI.

    Parameters
    ----------
    fixations : the session's fixations (screen px, any order).
    segmentation : from :func:`segment_touchpoints`.
    scroll : the Scroll stream or None.
    screen : the session's screen geometry (for the scanpath length in degrees).
    protocol : the study protocol.
    participant, session_id, detector : copied into every row.
    quality : data quality per touchpoint id; missing -> NaN and quality_ok False.
    max_scroll_px : see :func:`map_to_page`.
    min_overlap_s : see Notes.

    Notes
    -----
    A fixation belongs to a touchpoint visit when at least ``min_overlap_s`` of it (default
    60 ms, the shortest fixation the I-VT filter keeps) or at least half of it lies in
    [start, end) of the visit; its start and end are then clipped to the visit, so dwell never
    exceeds the time on the touchpoint. (A fixation still running when the participant clicks
    and the touchpoint ends counts, for its part before the end.) It belongs to the screen
    shown at the midpoint of its clipped part.

    A touchpoint visited several times (a return, see :func:`segment_touchpoints`) gives one
    set of rows over all its visits: fixations of every visit, in time order; TTFF and
    ``t_rel_s`` in *touchpoint time* (s since the first visit's start, the time spent outside
    the touchpoint between visits left out); dwell, fixation counts, clicks, time on the
    touchpoint and scanpath length summed over the visits; an AOI visit (run of fixations in
    the AOI) ends when a touchpoint visit ends. ``start_s``/``end_s`` are the first visit's
    start and the last visit's end; ``visits`` counts the visits (docs/metrics.md).
    """
    th = protocol.thresholds
    quality = quality or {}
    out = SessionTables()
    order = np.argsort(fixations.start_s, kind="stable")
    f_start = np.asarray(fixations.start_s)[order]
    f_end = np.asarray(fixations.end_s)[order]
    f_x = np.asarray(fixations.x_px)[order]
    f_y = np.asarray(fixations.y_px)[order]
    f_dur = f_end - f_start
    position = {tp.id: n for n, tp in enumerate(protocol.touchpoints, start=1)}
    by_tp: dict[str, list[TouchpointVisit]] = {}
    for v in segmentation.visits:
        by_tp.setdefault(v.touchpoint_id, []).append(v)
    for tp_visits in by_tp.values():
        tp_visits.sort(key=lambda v: v.start_s)
        first_visit, last_visit = tp_visits[0], tp_visits[-1]
        tp = protocol.touchpoint(first_visit.touchpoint_id)
        stage = protocol.stage_of(tp.id)
        tp_screens: list[Screen] = list(tp.screens)
        sc_pos = {sc.id: i for i, sc in enumerate(tp_screens)}
        # the fixations of every visit, in time order; `tt` = touchpoint time (s since the
        # first visit's start, time outside the touchpoint between visits left out)
        parts_s, parts_e, parts_sel, parts_tt, parts_vi, parts_sc = [], [], [], [], [], []
        offset_s = 0.0
        # touchpoint time at which each screen was first shown (screen markers); a screen
        # without a marker counts as shown from the start
        shown_tt: dict[str, float] = {}
        shown_clock_s: dict[str, float] = {}  # the same moment on the session's clock
        for visit in tp_visits:
            for sv in visit.screens:
                if sv.screen_id is not None and sv.screen_id not in shown_tt:
                    shown_tt[sv.screen_id] = max(sv.start_s - visit.start_s, 0.0) + offset_s
                    shown_clock_s[sv.screen_id] = max(sv.start_s, visit.start_s)
            offset_s += visit.duration_s
        offset_s = 0.0
        for vi, visit in enumerate(tp_visits):
            overlap = np.minimum(f_end, visit.end_s) - np.maximum(f_start, visit.start_s)
            sel_v = np.flatnonzero(
                (overlap > 0) & ((overlap >= min_overlap_s) | (overlap >= 0.5 * f_dur))
            )
            s_v = np.clip(f_start[sel_v], visit.start_s, visit.end_s)
            e_v = np.clip(f_end[sel_v], visit.start_s, visit.end_s)
            mid_v = (s_v + e_v) / 2.0
            sc_v = np.full(len(sel_v), -1)
            for sv in visit.screens:
                if sv.screen_id is None:
                    continue
                sc_v[(mid_v >= sv.start_s) & (mid_v < sv.end_s)] = sc_pos[sv.screen_id]
            parts_s.append(s_v)
            parts_e.append(e_v)
            parts_sel.append(sel_v)
            parts_tt.append(s_v - visit.start_s + offset_s)
            parts_vi.append(np.full(len(sel_v), vi))
            parts_sc.append(sc_v)
            offset_s += visit.duration_s
        s = np.concatenate(parts_s)
        e = np.concatenate(parts_e)
        sel = np.concatenate(parts_sel).astype(np.int64)
        tt = np.concatenate(parts_tt)
        visit_of = np.concatenate(parts_vi).astype(np.int64)
        screen_idx = np.concatenate(parts_sc).astype(np.int64)
        x, y = f_x[sel], f_y[sel]
        n = len(sel)
        page_x = np.full(n, np.nan)
        page_y = np.full(n, np.nan)
        view_x = np.full(n, np.nan)
        view_y = np.full(n, np.nan)
        mapped = np.zeros(n, dtype=bool)
        # columns: every AOI of every screen, then one outside column per screen
        columns: list[tuple[Screen, str | None]] = [
            (sc, a.id) for sc in tp_screens for a in sc.aois
        ] + [(sc, None) for sc in tp_screens]
        hits = np.zeros((n, len(columns)), dtype=bool)
        col0 = 0
        n_aois_total = sum(len(sc.aois) for sc in tp_screens)
        aoi_ids_per_fix: list[list[str]] = [[] for _ in range(n)]
        for si, sc in enumerate(tp_screens):
            rows = np.flatnonzero(screen_idx == si)
            m_aoi = len(sc.aois)
            if len(rows):
                pm = map_to_page(
                    s[rows],
                    e[rows],
                    x[rows],
                    y[rows],
                    scroll,
                    max_scroll_px=max_scroll_px,
                    viewport_x_px=float(getattr(sc, "viewport_x_px", 0) or 0),
                    viewport_y_px=float(getattr(sc, "viewport_y_px", 0) or 0),
                )
                page_x[rows], page_y[rows] = pm.page_x_px, pm.page_y_px
                view_x[rows], view_y[rows] = pm.view_x_px, pm.view_y_px
                mapped[rows] = pm.mapped
                if m_aoi:
                    h = hit_matrix(
                        pm.page_x_px,
                        pm.page_y_px,
                        compile_aois(sc.aois),
                        pm.view_x_px,
                        pm.view_y_px,
                    )
                    h &= np.asarray(pm.mapped, dtype=bool)[:, None]
                    hits[np.ix_(rows, np.arange(col0, col0 + m_aoi))] = h
                    any_hit = np.asarray(h.any(axis=1), dtype=bool)
                    for r_local, r in enumerate(rows):
                        if any_hit[r_local]:
                            aoi_ids_per_fix[r] = [sc.aois[j].id for j in np.flatnonzero(h[r_local])]
                else:
                    any_hit = np.zeros(len(rows), dtype=bool)
                hits[rows, n_aois_total + si] = ~any_hit & pm.mapped
            col0 += m_aoi
        am = aoi_metrics(s, e, hits, first_visit.start_s)
        # TTFF in touchpoint time: from the first visit's start, without the time between visits
        # (one visit: the same as am.ttff_s)
        first_idx = np.asarray(am.first_index)
        ttff_s = (
            np.where(first_idx >= 0, tt[np.maximum(first_idx, 0)], np.nan)
            if n
            else np.full(len(columns), np.nan)
        )
        # an AOI visit ends when the touchpoint visit ends: a run of fixations in the AOI does
        # not continue across the time the participant spent elsewhere
        entries = hits.copy()
        if n:
            new_tp_visit = np.ones(n, dtype=bool)
            new_tp_visit[1:] = visit_of[1:] != visit_of[:-1]
            entries[1:] &= ~hits[:-1] | new_tp_visit[1:, None]
            aoi_visits = entries.sum(axis=0).astype(np.int64)
            csum = np.cumsum(entries, axis=0)
            second = (csum == 2) & entries
            revisit_index = np.where(second.any(axis=0), np.argmax(second, axis=0), -1)
        else:
            aoi_visits = np.zeros(len(columns), dtype=np.int64)
            revisit_index = np.full(len(columns), -1)
        # "the action" = the participant's first click on the touchpoint (in any visit; else
        # the last visit's end) once the AOI's screen was shown: on a touchpoint of several
        # screens the click that leaves the first (Continue) cannot end the search on the
        # second; revisits before it are the search/confusion signal
        all_clicks = [c for v in tp_visits for c in v.clicks]
        action_by_screen = {
            sc.id: min(
                (c[0] for c in all_clicks if c[0] >= shown_clock_s.get(sc.id, -np.inf)),
                default=last_visit.end_s,
            )
            for sc in tp_screens
        }
        action_col = np.array([action_by_screen[sc.id] for sc, _ in columns])
        visits_before = (
            (entries & (s[:, None] < action_col[None, :])).sum(axis=0)
            if n
            else np.zeros(len(columns), dtype=int)
        )
        for c, (sc, aoi_id) in enumerate(columns):
            if aoi_id is None:
                name, role, out_id = "outside every AOI", "", OUTSIDE_ID
            else:
                a = next(a for a in sc.aois if a.id == aoi_id)
                name, role, out_id = a.name, a.role, a.id

            def at(idx_arr: np.ndarray, c: int = c, s: np.ndarray = s) -> float | None:
                i = int(idx_arr[c])
                return float(s[i]) if i >= 0 else None

            fixated = bool(am.fixated[c])
            shown = shown_tt.get(sc.id, 0.0) if aoi_id is not None else 0.0
            out.metrics.append(
                {
                    "participant": participant,
                    "session_id": session_id,
                    "stage_id": stage.id,
                    "touchpoint_id": tp.id,
                    "screen_id": sc.id,
                    "aoi_id": out_id,
                    "aoi_name": name,
                    "aoi_role": role,
                    "ttff_s": _nan_to_none(float(ttff_s[c])),
                    "first_fixation_duration_s": _nan_to_none(
                        float(am.first_fixation_duration_s[c])
                    ),
                    "fixations_before_first": int(am.fixations_before_first[c])
                    if fixated
                    else None,
                    "dwell_s": float(am.dwell_s[c]),
                    "fixation_count": int(am.fixation_count[c]),
                    "visit_count": int(aoi_visits[c]),
                    "revisits": max(int(aoi_visits[c]) - 1, 0),
                    "fixated": fixated,
                    "detector": detector,
                    "_touchpoint_start_s": first_visit.start_s,
                    # findability from when the AOI's screen was first shown (a target on
                    # the second screen of a touchpoint cannot be seen during the first)
                    "_screen_shown_s": shown,
                    "_ttff_screen_s": _nan_to_none(float(ttff_s[c]) - shown),
                    "_fixations_before_first_screen": int(am.fixations_before_first[c])
                    - int(np.searchsorted(tt, shown, side="left"))
                    if fixated
                    else None,
                    "_first_time_s": at(am.first_index),
                    "_longest_time_s": at(am.longest_index),
                    "_revisit_time_s": at(revisit_index),
                    "_revisits_before_action": max(int(visits_before[c]) - 1, 0),
                    "_action_s": float(action_col[c]),
                    "_mean_fixation_duration_ms": _nan_to_none(
                        float(am.mean_fixation_duration_s[c]) * 1000.0
                    ),
                }
            )
        # per visit, then summed: the saccade between two visits is not part of the scanpath
        tms = [
            touchpoint_metrics(
                v.start_s,
                v.end_s,
                s[visit_of == vi],
                e[visit_of == vi],
                x[visit_of == vi],
                y[visit_of == vi],
                screen,
            )
            for vi, v in enumerate(tp_visits)
        ]
        mean_fix_ms = float(np.mean(e - s) * 1000.0) if n else float("nan")
        outcome = task_success(tp, segmentation, position[tp.id])
        q = quality.get(tp.id)
        data_loss = q.data_loss if q else float("nan")
        prec = q.precision_rms_deg if q else float("nan")
        acc = q.accuracy_deg if q else float("nan")
        quality_ok = bool(
            q is not None
            and data_loss <= th.data_loss_max
            and (math.isnan(prec) or prec <= th.precision_rms_max_deg)
            and (math.isnan(acc) or acc <= th.accuracy_max_deg)
        )
        out.touchpoints.append(
            {
                "participant": participant,
                "session_id": session_id,
                "stage_id": stage.id,
                "touchpoint_id": tp.id,
                "start_s": first_visit.start_s,
                "end_s": last_visit.end_s,
                "time_on_touchpoint_s": float(sum(t.time_on_touchpoint_s for t in tms)),
                "fixation_count": int(sum(t.fixation_count for t in tms)),
                "mean_fixation_duration_ms": _nan_to_none(mean_fix_ms),
                "scanpath_length_deg": float(sum(t.scanpath_length_deg for t in tms)),
                "data_loss": _nan_to_none(data_loss),
                "precision_rms_deg": _nan_to_none(prec),
                "accuracy_deg": _nan_to_none(acc),
                "quality_ok": quality_ok,
                "clicks": len(all_clicks),
                "detector": detector,
                "visits": len(tp_visits),
                "success": None if outcome.success is None else int(outcome.success),
                "time_to_success_s": outcome.time_to_success_s,
                "_success_at_s": outcome.at_s,
                "_gave_up_s": outcome.gave_up_s,
                "_fixation_dwell_s": float(np.sum(e - s)),
                "_first_screen_id": tp_screens[0].id if tp_screens else None,
            }
        )
        for i in range(n):
            si = int(screen_idx[i])
            out.fixations.append(
                {
                    "participant": participant,
                    "session_id": session_id,
                    "touchpoint_id": tp.id,
                    "screen_id": tp_screens[si].id if si >= 0 else "",
                    "index": i,
                    "start_s": float(s[i]),
                    "t_rel_s": float(tt[i]),
                    "duration_s": float(e[i] - s[i]),
                    "x_px": float(x[i]),
                    "y_px": float(y[i]),
                    "page_x_px": _nan_to_none(float(page_x[i])),
                    "page_y_px": _nan_to_none(float(page_y[i])),
                    "aoi_ids": aoi_ids_per_fix[i],
                    "mapped": bool(mapped[i]),
                    "view_x_px": _nan_to_none(float(view_x[i])),
                    "view_y_px": _nan_to_none(float(view_y[i])),
                }
            )
    return out


# --------------------------------------------------------------------------------------
# Summaries across participants
# --------------------------------------------------------------------------------------
def summarize(values: Iterable[float | None]) -> dict[str, Any]:
    """Mean, median and a t-based 95 % confidence interval of the mean (NaN/None skipped).

    Returns ``{"n", "mean", "median", "ci95": [lo, hi] or None}``; the interval needs n >= 2.
    A t interval (not a bootstrap) keeps results identical run to run.
    """
    from scipy import stats

    v = np.array([float(x) for x in values if x is not None and not math.isnan(float(x))])
    n = len(v)
    if n == 0:
        return {"n": 0, "mean": None, "median": None, "ci95": None}
    mean = float(v.mean())
    ci = None
    if n >= 2:
        sem = float(v.std(ddof=1) / math.sqrt(n))
        h = float(stats.t.ppf(0.975, n - 1)) * sem
        ci = [mean - h, mean + h]
    return {"n": n, "mean": mean, "median": float(np.median(v)), "ci95": ci}


# --------------------------------------------------------------------------------------
# Friction rules
# --------------------------------------------------------------------------------------
SOURCES = {
    "jacob-karn-2003": (
        "Jacob, R. J. K., & Karn, K. S. (2003). Eye tracking in human-computer interaction "
        "and usability research: Ready to deliver the promises. In The Mind's Eye (pp. 573-605). "
        "Elsevier."
    ),
    "poole-ball-2006": (
        "Poole, A., & Ball, L. J. (2006). Eye tracking in HCI and usability research. In "
        "Encyclopedia of Human Computer Interaction (pp. 211-219). Idea Group."
    ),
    "goldberg-kotval-1999": (
        "Goldberg, J. H., & Kotval, X. P. (1999). Computer interface evaluation using eye "
        "movements: methods and constructs. International Journal of Industrial Ergonomics, "
        "24(6), 631-645."
    ),
    "ehmke-wilson-2007": (
        "Ehmke, C., & Wilson, S. (2007). Identifying web usability problems from eye-tracking "
        "data. Proceedings of HCI 2007 (BCS), 119-128."
    ),
    "sauro-lewis-2016": (
        "Sauro, J., & Lewis, J. R. (2016). Quantifying the User Experience: Practical Statistics "
        "for User Research (2nd ed.). Morgan Kaufmann. (Average task completion rate 78 %; "
        "Wilson/adjusted-Wald intervals for completion rates.)"
    ),
    "holmqvist-2011": (
        "Holmqvist, K., Nystrom, M., Andersson, R., Dewhurst, R., Jarodzka, H., & van de Weijer, "
        "J. (2011). Eye Tracking: A Comprehensive Guide to Methods and Measures. Oxford "
        "University Press."
    ),
}


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    name: str
    metric: str
    roles: tuple[str, ...]
    source: str


RULES: tuple[Rule, ...] = (
    Rule(
        "target-late",
        "Target seen late",
        "ttff_s",
        ("target", "cta"),
        SOURCES["jacob-karn-2003"] + " / " + SOURCES["poole-ball-2006"],
    ),
    Rule(
        "target-late-vs-study",
        "Target seen late compared with the study",
        "ttff_s",
        ("target", "cta"),
        SOURCES["poole-ball-2006"],
    ),
    Rule(
        "target-not-seen",
        "Target never seen",
        "fixated",
        ("target", "cta"),
        SOURCES["jacob-karn-2003"] + " / " + SOURCES["ehmke-wilson-2007"],
    ),
    Rule(
        "search-before-target",
        "Long search before the target",
        "fixations_before_first",
        ("target", "cta"),
        SOURCES["goldberg-kotval-1999"],
    ),
    Rule(
        "revisits",
        "Repeated returns (confusion)",
        "revisits",
        ("target", "cta"),
        SOURCES["goldberg-kotval-1999"] + " / " + SOURCES["ehmke-wilson-2007"],
    ),
    Rule(
        "long-fixations",
        "Long fixations on content (hard to process)",
        "mean_fixation_duration_ms",
        ("content",),
        SOURCES["poole-ball-2006"] + " / " + SOURCES["goldberg-kotval-1999"],
    ),
    Rule(
        "distractor",
        "Distractor draws attention from the target",
        "dwell_share",
        ("distractor",),
        SOURCES["ehmke-wilson-2007"] + " / " + SOURCES["poole-ball-2006"],
    ),
    Rule(
        "low-task-success",
        "Low task success",
        "success_rate",
        (),
        SOURCES["sauro-lewis-2016"],
    ),
    Rule(
        "low-data-quality",
        "Low data quality: evidence unreliable",
        "data_loss",
        (),
        SOURCES["holmqvist-2011"],
    ),
)
RULES_BY_ID = {r.id: r for r in RULES}
#: rules whose value counts from when the AOI's screen was first shown (record's counted_from)
FROM_SCREEN_RULES = ("target-late", "target-late-vs-study", "search-before-target")


def severity(
    n: int, n_total: int, effect: float | None, *, share_cut: float, effect_cut: float = 2.0
) -> tuple[str, str]:
    """Severity from the share of participants affected and the effect size, with the reason.

    Base level from the share n/N: below ``share_cut`` low, below 2/3 medium, else high. An
    effect size (value / threshold) of at least ``effect_cut`` raises the level by one (but a
    single participant never makes a finding high).
    """
    share = n / n_total if n_total else 0.0
    if share < share_cut:
        level = 0
        why = f"{n} of {n_total} participants ({share:.0%}), below {share_cut:.0%}: low"
    elif share < 2 / 3:
        level = 1
        why = f"{n} of {n_total} participants ({share:.0%}), at least {share_cut:.0%}: medium"
    else:
        level = 2
        why = f"{n} of {n_total} participants ({share:.0%}), at least 67%: high"
    if effect is not None and math.isfinite(effect):
        if effect >= effect_cut and level < 2 and not (n == 1 and level == 1):
            level += 1
            why += f"; effect size {effect:.1f}x the threshold (>= {effect_cut:g}x) raises it to {SEVERITIES[level]}"
        else:
            why += f"; effect size {effect:.1f}x the threshold"
    return SEVERITIES[level], why


def _med(vals: Sequence[float]) -> float:
    return float(np.median(np.asarray(vals, dtype=np.float64))) if len(vals) else float("nan")


def _fmt(v: float, unit: str) -> str:
    return f"{v:.3g} {unit}".strip()


#: the affected participants' median time on the touchpoint must exceed the others' by this
#: factor for behaviour to "agree" with an eye-movement finding
BEHAVIOUR_TIME_RATIO = 1.25


def _behaviour(visits: Mapping[str, Mapping[str, Any]], affected: set[str]) -> dict[str, Any]:
    """Time on touchpoint and clicks of the affected participants against the others."""

    def med(ps: list[str], key: str) -> float | None:
        v = [float(visits[p][key]) for p in ps if visits[p].get(key) is not None]
        return float(np.median(v)) if v else None

    def rate(ps: list[str]) -> float | None:
        known = [int(visits[p]["success"]) for p in ps if visits[p].get("success") is not None]
        return sum(known) / len(known) if known else None

    aff = [p for p in visits if p in affected]
    oth = [p for p in visits if p not in affected]
    t_a, t_o = med(aff, "time_on_touchpoint_s"), med(oth, "time_on_touchpoint_s")
    supports = None if t_a is None or t_o is None else bool(t_a > BEHAVIOUR_TIME_RATIO * t_o)
    return {
        "time_on_touchpoint_s": {"affected": t_a, "others": t_o},
        "clicks": {"affected": med(aff, "clicks"), "others": med(oth, "clicks")},
        "supports": supports,
        "task_success": {"affected": rate(aff), "others": rate(oth)},
    }


def _failure_note(
    p: str, v: float, t_rel_s: float, *, rows: Mapping[str, Mapping[str, Any]], n: int
) -> str:
    """Example text of low-task-success: when the participant gave up (``task/<n>/fail``),
    else when they last left the touchpoint."""
    if rows[p].get("_gave_up_s") is not None:
        return f"gave up at {t_rel_s:.1f} s (task/{n}/fail); did not achieve the task"
    return f"did not achieve the task; last left the touchpoint at {t_rel_s:.1f} s"


def _past(v: float, limit: float | None, decimals: int) -> str:
    """``v`` with ``decimals`` decimals, or up to 3 more when fewer would print it as ``limit``:
    a value just past its threshold must not read as equal to it ("5.02 s (> 5 s)", not
    "5.0 s (> 5 s)")."""
    d = decimals
    while limit is not None and d < decimals + 3 and f"{v:.{d}f}" == f"{limit:.{d}f}":
        d += 1
    return f"{v:.{d}f}"


def _late_note(v: float, t_rel_s: float, cmp: str, limit_s: float | None = None) -> str:
    """Example text of the late-target rules: ``v`` s from the screen's first showing (compared
    with ``limit_s``), at ``t_rel_s`` from the touchpoint start (the same on a touchpoint's
    first screen)."""
    if abs(v - t_rel_s) < 0.05:
        return f"first fixation on it at {_past(v, limit_s, 1)} s ({cmp})"
    return (
        f"first fixation on it {_past(v, limit_s, 1)} s after its screen was shown ({cmp}), "
        f"at {t_rel_s:.1f} s"
    )


def _not_seen_note(
    visits: Mapping[str, Mapping[str, Any]], p: str, v: float, t_rel_s: float
) -> str:
    """Example text of ``target-not-seen``: the time the participant spent without seeing it."""
    return f"never fixated it in {float(visits[p]['time_on_touchpoint_s']):.1f} s on the touchpoint"


def friction_evidence(
    metrics: Sequence[Mapping[str, Any]],
    touchpoints: Sequence[Mapping[str, Any]],
    protocol: Protocol,
    *,
    thresholds: FrictionThresholds | None = None,
    heatmap_path: Callable[[str, str | None], str | None] | None = None,
) -> list[dict[str, Any]]:
    """Apply the friction rules (docs/friction-rules.md) to the rows of all sessions.

    Parameters
    ----------
    metrics : metrics.csv rows of every session (with the internal ``_`` keys of
        :func:`session_tables`).
    touchpoints : touchpoints.csv rows of every session.
    protocol : the protocol (roles, names, order).
    thresholds : default ``protocol.thresholds``.
    heatmap_path : (touchpoint_id, screen_id) -> relative image path for the record.

    Returns
    -------
    Evidence records (docs/outputs.md), in protocol order, each with an explainable
    severity. ``n_total`` is the number of participants with a visit of the touchpoint.
    """
    th = thresholds or protocol.thresholds
    heatmap_path = heatmap_path or (
        lambda tp, sc: f"touchpoints/{tp}/{sc}_heatmap.png" if sc else None
    )
    tp_rows: dict[str, dict[str, Mapping[str, Any]]] = defaultdict(dict)
    for r in touchpoints:
        tp_rows[r["touchpoint_id"]][r["participant"]] = r
    by_aoi: dict[tuple[str, str, str], dict[str, Mapping[str, Any]]] = defaultdict(dict)
    for r in metrics:
        # findability is measured from when the AOI's screen was first shown (rows without
        # the internal keys: from the touchpoint start, as ttff_s)
        r = {
            **r,
            "_ttff_screen_s": r.get("_ttff_screen_s", r.get("ttff_s")),
            "_fixations_before_first_screen": r.get(
                "_fixations_before_first_screen", r.get("fixations_before_first")
            ),
        }
        by_aoi[(r["touchpoint_id"], r["screen_id"], r["aoi_id"])][r["participant"]] = r
    # study medians used by the relative rules
    study_ttff = [
        r["_ttff_screen_s"]
        for rows_ in by_aoi.values()
        for r in rows_.values()
        if r["aoi_role"] in ("target", "cta") and r["_ttff_screen_s"] is not None
    ]
    study_ttff_median = _med(study_ttff)
    content_mfd = [
        r["_mean_fixation_duration_ms"]
        for r in metrics
        if r["aoi_role"] == "content" and r.get("_mean_fixation_duration_ms") is not None
    ]
    content_mfd_median = _med(content_mfd)
    records: list[dict[str, Any]] = []
    counter = 0
    task_n = {tp.id: n for n, tp in enumerate(protocol.touchpoints, start=1)}

    def add(
        rule: Rule,
        tp: Touchpoint,
        screen_id: str | None,
        aoi: tuple[str, str] | None,
        affected: list[tuple[str, float, float, float]],  # participant, value, time_s, t0
        n_total: int,
        value: float,
        threshold: float,
        comparison: str,
        share_cut: float,
        effect: float | None,
        good: set[str],
        unit: str,
        reliable_override: bool | None = None,
        note: Callable[[str, float, float], str] | None = None,
    ) -> None:
        """One record. ``note(participant, value, t_rel_s)`` is the example's text: what is
        true of that participant (the measured value against the threshold, and the moment
        when it means something)."""
        nonlocal counter
        if not affected:
            return
        counter += 1
        n = len(affected)
        level, why = severity(n, n_total, effect, share_cut=share_cut)
        parts = sorted(p for p, *_ in affected)
        n_good = sum(1 for p in parts if p in good)
        if reliable_override is not None:
            reliable = reliable_override
        else:
            # the finding must stand on good data: at least half of the affected
            # participants passed the quality thresholds on this touchpoint
            reliable = 2 * n_good >= n
        if not reliable and reliable_override is None:
            why += (
                f"; unreliable: only {n_good} of the {n} affected participants had good data "
                "quality on this touchpoint"
            )
        behaviour = _behaviour(tp_rows.get(tp.id, {}), set(parts))
        if behaviour["supports"] is not None and rule.id != "low-data-quality":
            a = behaviour["time_on_touchpoint_s"]["affected"]
            o = behaviour["time_on_touchpoint_s"]["others"]
            why += (
                f"; behaviour {'agrees' if behaviour['supports'] else 'does not show it'}: the "
                f"affected took a median {a:.1f} s on the touchpoint, the others {o:.1f} s"
            )
        ts_a, ts_o = behaviour["task_success"]["affected"], behaviour["task_success"]["others"]
        if (
            ts_a is not None
            and ts_o is not None
            and ts_a < ts_o
            and rule.id not in ("low-data-quality", "low-task-success")
        ):
            why += (
                f"; task success agrees: {ts_a:.0%} of the affected achieved the task, "
                f"{ts_o:.0%} of the others"
            )
        # the screens the measure comes from: the AOI's, or every screen of the touchpoint
        # for a touchpoint-level record (task success, data quality)
        screens = [screen_id] if aoi and screen_id is not None else [sc.id for sc in tp.screens]
        screen_names = {sc.id: sc.name for sc in tp.screens}
        # the findability rules count from when the AOI's screen was first shown: on a later
        # screen of a touchpoint that is not the touchpoint start, so the value differs from
        # metrics.csv's ttff_s / fixations_before_first (which count from the start)
        counted_from = None
        if rule.id in FROM_SCREEN_RULES:
            later = bool(tp.screens) and screen_id is not None and screen_id != tp.screens[0].id
            counted_from = "screen shown" if later else "touchpoint start"
        records.append(
            {
                "id": f"F{counter:03d}",
                "touchpoint_id": tp.id,
                "screen_id": screen_id,
                "screen_name": screen_names.get(screen_id) if screen_id is not None else None,
                "screens": screens,
                "aoi_id": aoi[0] if aoi else None,
                "aoi_name": aoi[1] if aoi else None,
                "rule_id": rule.id,
                "rule_name": rule.name,
                "metric": rule.metric,
                "counted_from": counted_from,
                "value": None if math.isnan(value) else float(value),
                "unit": unit,
                "threshold": float(threshold),
                "comparison": comparison,
                "n_participants": n,
                "n_total": n_total,
                "participants": parts,
                "examples": [
                    {
                        "participant": p,
                        "t_rel_s": float(t - t0),
                        "time_s": float(t),
                        "note": note(p, float(pv), float(t - t0)) if note else "",
                    }
                    for p, pv, t, t0 in sorted(affected)
                ],
                "severity": level,
                "severity_reason": why,
                "source": rule.source,
                "reliable": bool(reliable),
                "heatmap": heatmap_path(tp.id, screen_id),
                "behaviour": behaviour,
            }
        )

    def above(
        rule_id: str,
        tp: Touchpoint,
        screen_id: str,
        aoi: AOI,
        rows: Mapping[str, Mapping[str, Any]],
        n_total: int,
        good: set[str],
        key: str,
        time_key: str,
        threshold: float,
        comparison: str,
        unit: str,
        *,
        at_least: bool = False,
        note: Callable[[str, float, float], str] | None = None,
    ) -> None:
        """An AOI rule "the metric ``key`` above the threshold": affected = the participants
        whose ``key`` exceeds it (or reaches it, ``at_least``; a participant without a value or
        without a ``time_key`` moment is not affected), value = their median, effect size =
        value / threshold; the example moment is ``time_key``."""
        aff = [
            (p, float(r[key]), float(r[time_key]), float(r["_touchpoint_start_s"]))
            for p, r in rows.items()
            if r.get(key) is not None
            and r.get(time_key) is not None
            and (r[key] >= threshold if at_least else r[key] > threshold)
        ]
        v = _med([x[1] for x in aff])
        add(
            RULES_BY_ID[rule_id],
            tp,
            screen_id,
            (aoi.id, aoi.name),
            aff,
            n_total,
            v,
            threshold,
            comparison,
            th.min_participants_share,
            v / threshold if aff and threshold else None,
            good,
            unit,
            note=note,
        )

    for tp in protocol.touchpoints:
        visits = tp_rows.get(tp.id, {})
        n_total = len(visits)
        if n_total == 0:
            continue
        good = {p for p, r in visits.items() if r["quality_ok"]}
        first_screen = tp.screens[0].id if tp.screens else None
        for sc in tp.screens:
            for a in sc.aois:
                rows = by_aoi.get((tp.id, sc.id, a.id), {})
                if a.role in ("target", "cta"):
                    above(
                        "target-late", tp, sc.id, a, rows, n_total, good, "_ttff_screen_s",
                        "_first_time_s", th.ttff_late_s,
                        "time to first fixation (from when the AOI's screen was first shown) "
                        "compared with the protocol threshold ttff_late_s = "
                        f"{th.ttff_late_s:g} s; value = median over affected participants",
                        "s",
                        note=lambda p, v, t: _late_note(
                            v, t, f"> {th.ttff_late_s:g} s", th.ttff_late_s
                        ),
                    )  # fmt: skip
                    if len(study_ttff) >= 2 and study_ttff_median > 0:
                        above(
                            "target-late-vs-study", tp, sc.id, a, rows, n_total, good,
                            "_ttff_screen_s",
                            "_first_time_s", th.ttff_relative * study_ttff_median,
                            "time to first fixation (from when the AOI's screen was first shown) "
                            f"compared with {th.ttff_relative:g} x the "
                            f"study median TTFF of all target/CTA AOIs ({study_ttff_median:.3g} s)",
                            "s",
                            note=lambda p, v, t: _late_note(
                                v, t, f"> {th.ttff_relative:g} x the study median "
                                f"{study_ttff_median:.1f} s",
                                th.ttff_relative * study_ttff_median,
                            ),
                        )  # fmt: skip
                    # target-not-seen
                    aff = [
                        (p, 1.0, float(visits[p]["start_s"]), float(visits[p]["start_s"]))
                        for p in visits
                        if not (rows.get(p) and rows[p]["fixated"])
                    ]
                    add(
                        RULES_BY_ID["target-not-seen"],
                        tp,
                        sc.id,
                        (a.id, a.name),
                        aff,
                        n_total,
                        len(aff) / n_total,
                        th.not_seen_share,
                        f"share of participants who never fixated the AOI during the touchpoint, "
                        f"compared with the protocol threshold not_seen_share = {th.not_seen_share:g}",
                        th.not_seen_share,
                        None,
                        good,
                        "share",
                        note=functools.partial(_not_seen_note, visits),
                    )
                    above(
                        "search-before-target", tp, sc.id, a, rows, n_total, good,
                        "_fixations_before_first_screen", "_first_time_s",
                        th.fixations_before_action,
                        "fixations before the first fixation on the AOI (since its screen was first "
                        "shown) compared with the protocol "
                        f"threshold fixations_before_action = {th.fixations_before_action}",
                        "fixations",
                        note=lambda p, v, t: f"{v:.0f} fixations before the first on it "
                        f"(> {th.fixations_before_action}), found at {t:.1f} s",
                    )  # fmt: skip
                # returns to the element the task needs, before acting on it, are the
                # "post-target fixations" of Goldberg & Kotval (1999) / Poole & Ball (2006).
                # Navigation (menus, filters, headers) is consulted again and again by design,
                # so it is not checked (give a navigation element the task needs role target);
                # a fixed (sticky) element stays in view on every scroll position, so
                # returning to it is how people orient, not a sign of searching
                if a.role in ("target", "cta") and not a.fixed:
                    above(
                        "revisits", tp, sc.id, a, rows, n_total, good, "_revisits_before_action",
                        "_revisit_time_s", th.revisits,
                        "revisits of the AOI before the participant's first click on the "
                        "touchpoint once the AOI's screen was shown (the action; the whole "
                        "touchpoint without a click), compared "
                        f"with the protocol threshold revisits = {th.revisits}",
                        "revisits", at_least=True,
                        note=lambda p, v, t: f"returned {v:.0f} times before acting "
                        f"(>= {th.revisits}); first return at {t:.1f} s",
                    )  # fmt: skip
                if a.role == "content":
                    med_txt = (
                        f"; study median over content AOIs {content_mfd_median:.0f} ms"
                        if not math.isnan(content_mfd_median)
                        else ""
                    )
                    above(
                        "long-fixations", tp, sc.id, a, rows, n_total, good,
                        "_mean_fixation_duration_ms", "_longest_time_s", th.mean_fixation_ms,
                        "mean fixation duration on the AOI compared with the protocol threshold "
                        f"mean_fixation_ms = {th.mean_fixation_ms:g} ms{med_txt}",
                        "ms",
                        note=lambda p, v, t: f"mean fixation {_past(v, th.mean_fixation_ms, 0)} ms "
                        f"(> {th.mean_fixation_ms:g} ms); longest at {t:.1f} s",
                    )  # fmt: skip
                if a.role == "distractor":
                    # it competes with the targets in view with it: those of its own screen
                    # (a later step's button is not shown yet); else the touchpoint's
                    own_screen = [(sc.id, b.id) for b in sc.aois if b.role in ("target", "cta")]
                    targets = own_screen or [
                        (sc2.id, b.id)
                        for sc2 in tp.screens
                        for b in sc2.aois
                        if b.role in ("target", "cta")
                    ]
                    aff = []
                    for p, r in rows.items():
                        d = float(r["dwell_s"])
                        if d <= 0:
                            continue
                        if targets:
                            t_dwell = sum(
                                float(by_aoi.get((tp.id, s2, b), {}).get(p, {}).get("dwell_s", 0.0))
                                for s2, b in targets
                            )
                            share = d / (d + t_dwell)
                        else:
                            total = float(visits[p]["_fixation_dwell_s"]) if p in visits else 0.0
                            share = d / total if total > 0 else 0.0
                        if share >= th.distractor_dwell_share:
                            aff.append((p, share, r["_first_time_s"], r["_touchpoint_start_s"]))
                    v = _med([x[1] for x in aff])
                    what = (
                        "dwell on the distractor / (dwell on it + dwell on the touchpoint's target and "
                        + (
                            "CTA AOIs on its screen)"
                            if own_screen and len(tp.screens) > 1
                            else "CTA AOIs)"
                        )
                        if targets
                        else "dwell on the distractor / total fixation duration on the touchpoint "
                        "(the touchpoint has no target AOI)"
                    )
                    add(
                        RULES_BY_ID["distractor"],
                        tp,
                        sc.id,
                        (a.id, a.name),
                        aff,
                        n_total,
                        v,
                        th.distractor_dwell_share,
                        f"{what}, compared with the protocol threshold distractor_dwell_share = "
                        f"{th.distractor_dwell_share:g}",
                        th.min_participants_share,
                        v / th.distractor_dwell_share if aff else None,
                        good,
                        "share",
                        note=lambda p, v, t: (
                            f"{v:.0%} of the dwell (>= "
                            f"{th.distractor_dwell_share:.0%}); first look at {t:.1f} s"
                        ),
                    )
        # task success of the touchpoint (behaviour, not eye movements: data quality does not
        # make it less reliable)
        known = {p: int(r["success"]) for p, r in visits.items() if r.get("success") is not None}
        if tp.success is not None and known:
            k, n_known = sum(known.values()), len(known)
            rate = k / n_known
            lo, hi = wilson_interval(k, n_known) or (0.0, 1.0)
            # the moment of the failure: the give-up marker, else the last visit's end
            aff = [
                (
                    p,
                    0.0,
                    float(
                        visits[p]["_gave_up_s"]
                        if visits[p].get("_gave_up_s") is not None
                        else visits[p]["end_s"]
                    ),
                    float(visits[p]["start_s"]),
                )
                for p, ok in sorted(known.items())
                if not ok
            ]
            if rate < th.task_success_min:
                add(
                    RULES_BY_ID["low-task-success"],
                    tp,
                    first_screen,
                    None,
                    aff,
                    n_known,
                    rate,
                    th.task_success_min,
                    f"task success rate ({tp.success}) {k} of {n_known} = {rate:.0%}, 95 % Wilson "
                    f"interval {lo:.0%}-{hi:.0%}, compared with the protocol threshold "
                    f"task_success_min = {th.task_success_min:g} (the average completion rate "
                    "of Sauro & Lewis 2016)"
                    + (
                        "; the whole interval lies below it"
                        if hi < th.task_success_min
                        else "; the interval reaches it, so more participants are needed to be sure"
                    ),
                    th.min_participants_share,
                    None,
                    good,
                    "share",
                    reliable_override=True,
                    note=functools.partial(_failure_note, rows=visits, n=task_n[tp.id]),
                )
        # data quality of the touchpoint: which of the two criteria each participant failed
        # (the record's value is the median data loss; a participant can fail on precision
        # alone, with a data loss below its threshold, so the comparison says how many failed
        # on which, and each example gives the participant's own numbers)
        aff = []
        dq: dict[str, tuple[float, float, float]] = {}

        def _num(r: Mapping[str, Any], key: str) -> float:
            return float("nan") if r.get(key) is None else float(r[key])

        for p, r in visits.items():
            if not r["quality_ok"]:
                dl = _num(r, "data_loss")
                dq[p] = (dl, _num(r, "precision_rms_deg"), _num(r, "accuracy_deg"))
                aff.append((p, dl, float(r["start_s"]), float(r["start_s"])))
        dls = [x[1] for x in aff if not math.isnan(x[1])]
        v = _med(dls)
        n_loss = sum(1 for dl, _, _ in dq.values() if dl > th.data_loss_max)
        precs = [pr for _, pr, _ in dq.values() if pr > th.precision_rms_max_deg]
        accs = [ac for _, _, ac in dq.values() if ac > th.accuracy_max_deg]
        # effect size: per participant the largest of the ratios value / threshold
        ratios = [
            max(
                dl / th.data_loss_max if th.data_loss_max and not math.isnan(dl) else 0.0,
                pr / th.precision_rms_max_deg
                if th.precision_rms_max_deg and not math.isnan(pr)
                else 0.0,
                ac / th.accuracy_max_deg if th.accuracy_max_deg and not math.isnan(ac) else 0.0,
            )
            for dl, pr, ac in dq.values()
        ]

        def dq_note(
            p: str, v: float, t: float, dq: dict[str, tuple[float, float, float]] = dq
        ) -> str:
            dl, pr, ac = dq[p]
            parts_txt = []
            if not math.isnan(dl):
                op = ">" if dl > th.data_loss_max else "<="
                parts_txt.append(f"data loss {dl:.1%} ({op} {th.data_loss_max:.0%})")
            if not math.isnan(pr):
                op = ">" if pr > th.precision_rms_max_deg else "<="
                parts_txt.append(
                    f"precision {pr:.2f} deg RMS-S2S ({op} {th.precision_rms_max_deg:g} deg)"
                )
            if not math.isnan(ac):
                op = ">" if ac > th.accuracy_max_deg else "<="
                parts_txt.append(
                    f"accuracy {ac:.2f} deg on validation targets ({op} "
                    f"{th.accuracy_max_deg:g} deg)"
                )
            return "; ".join(parts_txt) or "no data-quality measure"

        add(
            RULES_BY_ID["low-data-quality"],
            tp,
            first_screen,
            None,
            aff,
            n_total,
            v,
            th.data_loss_max,
            f"{n_loss} of {len(dq)} with data loss above the protocol threshold data_loss_max = "
            f"{th.data_loss_max:g}, {len(precs)} of {len(dq)} with precision (RMS-S2S) above "
            f"precision_rms_max_deg = {th.precision_rms_max_deg:g} deg"
            + (f" (median {_med(precs):.2f} deg)" if precs else "")
            + (
                f", {len(accs)} of {len(dq)} with accuracy above accuracy_max_deg = "
                f"{th.accuracy_max_deg:g} deg (median {_med(accs):.2f} deg)"
                if accs
                else ""
            )
            + "; value = median data loss of the affected; the findings of these participants "
            "on this touchpoint are less reliable",
            th.min_participants_share,
            _med(ratios) if ratios else None,
            good,
            "share",
            reliable_override=False,
            note=dq_note,
        )
    return records


# --------------------------------------------------------------------------------------
# Documents
# --------------------------------------------------------------------------------------
def evidence_document(
    records: Sequence[Mapping[str, Any]],
    protocol: Protocol,
    *,
    study: str,
    detector: str,
    params: Mapping[str, Any],
    participants: Sequence[str],
) -> dict[str, Any]:
    """evidence.json (docs/outputs.md): journey -> stages -> touchpoints -> findings."""
    by_tp: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for r in records:
        by_tp[r["touchpoint_id"]].append(r)
    return {
        "study": study,
        "protocol": {
            "id": protocol.id,
            "name": protocol.name,
            "path": str(protocol.path) if protocol.path else None,
        },
        "detector": {"name": detector, "params": dict(params)},
        "participants": list(participants),
        "stages": [
            {
                "id": st.id,
                "name": st.name,
                "touchpoints": [
                    {
                        "id": tp.id,
                        "name": tp.name,
                        "channel": tp.channel,
                        "task": tp.task,
                        "findings": [dict(r) for r in by_tp.get(tp.id, [])],
                    }
                    for tp in st.touchpoints
                ],
            }
            for st in protocol.stages
        ],
    }


def journey_summary(
    touchpoints: Sequence[Mapping[str, Any]],
    records: Sequence[Mapping[str, Any]],
    protocol: Protocol,
) -> dict[str, Any]:
    """journey.json: the journey with per-touchpoint summaries across participants."""
    rows: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for r in touchpoints:
        rows[r["touchpoint_id"]].append(r)
    recs: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for r in records:
        recs[r["touchpoint_id"]].append(r)
    stages = []
    for st in protocol.stages:
        tps = []
        for tp in st.touchpoints:
            rr = rows.get(tp.id, [])
            findings = recs.get(tp.id, [])
            max_sev = max((SEVERITIES.index(f["severity"]) for f in findings), default=None)
            tps.append(
                {
                    "id": tp.id,
                    "name": tp.name,
                    "channel": tp.channel,
                    "task": tp.task,
                    "n_participants": len({r["participant"] for r in rr}),
                    "time_on_touchpoint_s": summarize(r["time_on_touchpoint_s"] for r in rr),
                    "fixation_count": summarize(r["fixation_count"] for r in rr),
                    "mean_fixation_duration_ms": summarize(
                        r["mean_fixation_duration_ms"] for r in rr
                    ),
                    "scanpath_length_deg": summarize(r["scanpath_length_deg"] for r in rr),
                    "data_loss": summarize(r["data_loss"] for r in rr),
                    "task_success": {
                        "criterion": str(tp.success) if tp.success is not None else None,
                        **success_summary(
                            (None if r.get("success") is None else bool(r["success"]) for r in rr),
                            (r.get("time_to_success_s") for r in rr),
                        ),
                    },
                    "findings_count": len(findings),
                    "max_severity": SEVERITIES[max_sev] if max_sev is not None else None,
                    "heatmap": (
                        f"touchpoints/{tp.id}/{tp.screens[0].id}_heatmap.png"
                        if tp.screens
                        else None
                    ),
                }
            )
        stages.append({"id": st.id, "name": st.name, "touchpoints": tps})
    return {"protocol": {"id": protocol.id, "name": protocol.name}, "stages": stages}


def aoi_summaries(metrics: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per touchpoint x screen x AOI across participants: percent fixated and summaries.

    ``fixated_share`` is the share of participants (with a visit) who fixated the AOI;
    TTFF and first-fixation summaries use only those who did (as Tobii Pro Lab does).
    """
    groups: dict[tuple[str, str, str], list[Mapping[str, Any]]] = defaultdict(list)
    for r in metrics:
        groups[(r["touchpoint_id"], r["screen_id"], r["aoi_id"])].append(r)
    out = []
    for (tp, sc, aoi), rr in groups.items():
        out.append(
            {
                "touchpoint_id": tp,
                "screen_id": sc,
                "aoi_id": aoi,
                "aoi_name": rr[0]["aoi_name"],
                "aoi_role": rr[0]["aoi_role"],
                "n": len(rr),
                "fixated_share": sum(1 for r in rr if r["fixated"]) / len(rr),
                "ttff_s": summarize(r["ttff_s"] for r in rr),
                "dwell_s": summarize(r["dwell_s"] for r in rr),
                "fixation_count": summarize(r["fixation_count"] for r in rr),
                "visit_count": summarize(r["visit_count"] for r in rr),
            }
        )
    return out
