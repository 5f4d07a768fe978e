"""Which protocol screen is the browser showing, and which markers does that produce (pure).

Nothing here touches the browser, the network or LSL: functions take URLs, sets of CSS
selectors found on the page and page-px coordinates, and return screens, marker strings and
AOI ids. ``gazemap.presenter.browser`` feeds them from the live page.

URL patterns (``Screen.url``)
    * a glob (``fnmatch``: ``*`` matches any run of characters including ``/``, ``?`` one
      character, ``[abc]`` a set), e.g. ``/product/*.html`` or ``*/search.html?q=*``;
    * a regular expression prefixed with ``re:``, e.g. ``re:/product/[a-z-]+\\.html``.

    A pattern must match a whole candidate string; the candidates of a live URL are the
    full URL without its fragment, its path plus query (``/search.html?q=shoes``), its path
    alone, and the same with a trailing ``index.html`` removed (so ``/`` matches
    ``/index.html``). When a base URL is given, the part after it also counts, with a
    leading ``/`` (so a site served under ``http://host/shop/`` can use ``/cart.html``).

Marker values (docs/presenter.md)
    ``screen/<id>``, ``screen/unknown <url>``, ``touchpoint/<id>/start|end``,
    ``task/<n>/start|end`` (n = 1-based index of the touchpoint in journey order),
    ``task/<n>/fail`` (the moderator's key: the participant gave up on the running task),
    ``click/<aoi-id-or-selector> <x_px> <y_px>`` (page px).
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from gazemap.errors import ProtocolError
from gazemap.protocol import AOI, Protocol, Screen, Touchpoint

REGEX_PREFIX = "re:"
#: marker carrying the AOI boxes resolved from the live page (JSON after the space)
AOI_BOXES_PREFIX = "aoi-boxes "


def compile_url_pattern(pattern: str, where: str = "url") -> Callable[[str], bool]:
    """Compile a screen URL pattern (glob, or regex after ``re:``) into a full-match test.

    Parameters
    ----------
    pattern : the pattern text from the protocol.
    where : where the pattern comes from, used in the error message
        (e.g. ``"screens.product.url"``).

    Raises
    ------
    ProtocolError
        The pattern is empty or an invalid regular expression.
    """
    if not isinstance(pattern, str) or not pattern.strip():
        raise ProtocolError(
            f"{where} must be a non-empty URL glob or 're:'-prefixed regex, got {pattern!r}. "
            "Write e.g. '/product/*.html' or 're:/product/\\d+'."
        )
    if pattern.startswith(REGEX_PREFIX):
        body = pattern[len(REGEX_PREFIX) :]
        try:
            rx = re.compile(body)
        except re.error as exc:
            raise ProtocolError(
                f"{where} is not a valid regular expression ({exc}): {body!r}. "
                "Fix the regex after 're:', or write a glob without the 're:' prefix."
            ) from exc
        return lambda s: rx.fullmatch(s) is not None
    return lambda s: fnmatch.fnmatchcase(s, pattern)


def url_candidates(url: str, base_url: str | None = None) -> list[str]:
    """The strings a URL pattern is tested against (see the module docstring), in order."""
    parts = urlsplit(url)
    no_frag = urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))
    path = parts.path or "/"
    path_query = path + ("?" + parts.query if parts.query else "")
    out = [no_frag, path_query, path]
    if base_url:
        base = base_url if base_url.endswith("/") else base_url + "/"
        if no_frag.startswith(base):
            rest = "/" + no_frag[len(base) :]
            out += [rest, rest.split("?", 1)[0]]
    for s in list(out):
        if s.split("?", 1)[0].endswith("/index.html"):
            head, _, q = s.partition("?")
            stripped = head[: -len("index.html")] + ("?" + q if q else "")
            out.append(stripped)
    seen: set[str] = set()
    return [s for s in out if not (s in seen or seen.add(s))]  # type: ignore[func-returns-value]


def url_matches(pattern: str, url: str, base_url: str | None = None) -> bool:
    """True when ``pattern`` fully matches any candidate form of ``url``.

    >>> url_matches("/cart.html", "http://127.0.0.1:8000/cart.html#top")
    True
    >>> url_matches("re:/product/[a-z-]+\\\\.html", "http://x/product/trail-runner.html")
    True
    """
    test = compile_url_pattern(pattern)
    return any(test(c) for c in url_candidates(url, base_url))


def is_literal_path(pattern: str | None) -> bool:
    """True when a URL pattern names exactly one URL (no glob or regex), so it can be opened."""
    if not pattern or pattern.startswith(REGEX_PREFIX):
        return False
    return not any(ch in pattern for ch in "*?[")


@dataclass(frozen=True, slots=True)
class PlannedScreen:
    """One screen in journey order with its touchpoint and task number (1-based)."""

    screen: Screen
    touchpoint: Touchpoint
    task_n: int


def journey_plan(protocol: Protocol) -> list[PlannedScreen]:
    """Every screen of the protocol in journey order (stages → touchpoints → screens)."""
    return [
        PlannedScreen(sc, tp, n)
        for n, tp in enumerate(protocol.touchpoints, start=1)
        for sc in tp.screens
    ]


def target_aoi(screen: Screen) -> AOI | None:
    """The AOI a synthetic participant clicks: the first ``target``, else the first ``cta``."""
    for role in ("target", "cta"):
        for a in screen.aois:
            if a.role == role:
                return a
    return None


class ScreenMatcher:
    """Match a live URL (+ the CSS selectors present on the page) to a protocol screen.

    Parameters
    ----------
    protocol : the study protocol; screens without ``url`` never match.
    base_url : the URL the site is served under (adds a base-relative candidate).

    Raises
    ------
    ProtocolError
        A screen's URL pattern does not compile, or no screen has a URL.
    """

    def __init__(self, protocol: Protocol, base_url: str | None = None) -> None:
        self.base_url = base_url
        self.screens: list[Screen] = []
        self._tests: dict[str, Callable[[str], bool]] = {}
        problems: list[str] = []
        for sc in protocol.screens.values():
            if sc.url is None:
                continue
            try:
                self._tests[sc.id] = compile_url_pattern(sc.url, f"screens.{sc.id}.url")
            except ProtocolError as exc:
                problems.append(str(exc))
                continue
            self.screens.append(sc)
        where = f" ({protocol.path})" if protocol.path else ""
        if problems:
            raise ProtocolError(f"protocol{where}: " + " | ".join(problems))
        if not self.screens:
            raise ProtocolError(
                f"protocol{where}: no screen has a 'url', so the presenter cannot tell which "
                "screen the browser shows. Add url: '<glob or re:regex>' to each web screen."
            )

    @property
    def selectors(self) -> list[str]:
        """Every distinct screen selector, for the page script to test."""
        out: list[str] = []
        for sc in self.screens:
            if sc.selector and sc.selector not in out:
                out.append(sc.selector)
        return out

    def candidates(self, url: str, present_selectors: Iterable[str] = ()) -> list[Screen]:
        """Screens whose URL matches and whose selector (if any) is present, protocol order."""
        cands = url_candidates(url, self.base_url)
        present = set(present_selectors)
        return [
            sc
            for sc in self.screens
            if any(self._tests[sc.id](c) for c in cands)
            and (sc.selector is None or sc.selector in present)
        ]

    def awaiting_selector(self, url: str) -> list[Screen]:
        """Screens whose URL matches ``url`` but which also need a selector (may come late)."""
        cands = url_candidates(url, self.base_url)
        return [
            sc for sc in self.screens if sc.selector and any(self._tests[sc.id](c) for c in cands)
        ]

    def match(
        self, url: str, present_selectors: Iterable[str] = (), expected: str | None = None
    ) -> Screen | None:
        """The screen shown, or None for an unknown page.

        Among several matches: the ``expected`` screen (the next one in the journey) wins,
        then a screen with a selector (more specific) over one without, then protocol order.
        """
        found = self.candidates(url, present_selectors)
        if not found:
            return None
        for sc in found:
            if sc.id == expected:
                return sc
        with_sel = [sc for sc in found if sc.selector]
        return (with_sel or found)[0]


@dataclass(frozen=True, slots=True)
class GiveUp:
    """What the moderator's give-up key did (:meth:`JourneyTracker.give_up`).

    ``markers``: ``("task/<n>/fail",)``, or ``()`` when no task was running (``reason`` says
    why, for the moderator's console). ``next_screen``: the first screen of the touchpoint
    after the given-up one in journey order (None: it was the last), where a moderator would
    take the participant next; :func:`give_up_url` says whether it can be opened.
    """

    markers: tuple[str, ...]
    task_n: int | None = None
    touchpoint: str | None = None
    next_screen: Screen | None = None
    reason: str = ""


def give_up_url(screen: Screen | None) -> str | None:
    """The URL (path) to open after a give-up: ``screen.url`` when it names one page.

    None when there is no next screen, it has no ``url`` (not a web page), or its ``url`` is
    a glob/regex (several pages: only the moderator knows which one to open).
    """
    if screen is None or screen.url is None or not is_literal_path(screen.url):
        return None
    return screen.url


@dataclass(slots=True)
class JourneyTracker:
    """State machine from "the browser now shows screen X" to journey markers.

    Rules (docs/presenter.md):

    * every new page (document or history change) gives ``screen/<id>`` or
      ``screen/unknown <url>``; a re-check of the same page that finds the same screen
      gives nothing;
    * entering a screen of another touchpoint ends the open touchpoint (and its task, the
      first time) just before the new ``screen/<id>`` (same timestamp); an unknown page keeps
      the open touchpoint;
    * the first time a touchpoint is entered its task instruction is shown
      (``needs_instruction``); ``acknowledge`` then gives ``task/<n>/start`` and
      ``touchpoint/<id>/start``; touchpoints whose task is empty start at once, revisits
      start at once without a task marker;
    * ``give_up`` (the moderator's key) gives ``task/<n>/fail`` for the running task, once;
      the touchpoint and task stay open until the next touchpoint's screen is entered (then
      ``touchpoint/<id>/end``, ``task/<n>/end`` as always), and that screen is the expected
      next one;
    * ``finish`` ends whatever is open.
    """

    protocol: Protocol
    current_screen: str | None = None
    current_url: str | None = None
    current_touchpoint: str | None = None
    open_task: int | None = None
    pending_touchpoint: str | None = None
    started_tasks: set[int] = field(default_factory=set)
    seen_screens: list[str] = field(default_factory=list)
    #: task numbers the moderator marked as given up (``task/<n>/fail``)
    given_up: set[int] = field(default_factory=set)
    #: after a give-up: the next touchpoint's first screen (the expected next screen)
    _resume_screen: str | None = None
    _tp_index: dict[str, int] = field(default_factory=dict)
    _tp_of_screen: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for n, tp in enumerate(self.protocol.touchpoints, start=1):
            self._tp_index[tp.id] = n
            for sc in tp.screens:
                self._tp_of_screen.setdefault(sc.id, tp.id)

    @property
    def needs_instruction(self) -> tuple[int, str] | None:
        """(task number, instruction text) waiting for the participant, or None."""
        if self.pending_touchpoint is None:
            return None
        n = self._tp_index[self.pending_touchpoint]
        return n, self.protocol.touchpoint(self.pending_touchpoint).task

    def expected_next(self) -> str | None:
        """The screen id after the current one in journey order (to break URL ties)."""
        if self._resume_screen is not None:
            return self._resume_screen
        order = [sc.id for tp in self.protocol.touchpoints for sc in tp.screens]
        if self.current_screen is None:
            return order[0] if order else None
        if self.current_screen in order:
            i = order.index(self.current_screen)
            return order[i + 1] if i + 1 < len(order) else None
        return None

    def _end_touchpoint(self) -> list[str]:
        out: list[str] = []
        if self.current_touchpoint is not None:
            out.append(f"touchpoint/{self.current_touchpoint}/end")
            n = self._tp_index[self.current_touchpoint]
            if self.open_task == n:
                out.append(f"task/{n}/end")
                self.open_task = None
            self.current_touchpoint = None
        return out

    def _start_touchpoint(self, tp_id: str) -> list[str]:
        n = self._tp_index[tp_id]
        out: list[str] = []
        if n not in self.started_tasks:
            self.started_tasks.add(n)
            self.open_task = n
            out.append(f"task/{n}/start")
        out.append(f"touchpoint/{tp_id}/start")
        self.current_touchpoint = tp_id
        self.pending_touchpoint = None
        return out

    def give_up(self) -> GiveUp:
        """The moderator marks the running task as given up (``task/<n>/fail``).

        A task runs from its ``task/<n>/start`` until its touchpoint ends (the participant is
        on it, or on a page of no screen in between). Nothing is marked when no task runs
        (before the first start, while an instruction waits, on a return visit after the
        task ended) or when the task is already marked; ``reason`` then says which.
        """
        n = self.open_task
        if n is None or n in self.given_up:
            return GiveUp((), n, self.current_touchpoint, reason=self._idle_reason())
        tp_id = self.current_touchpoint
        self.given_up.add(n)
        tps = self.protocol.touchpoints
        nxt = tps[n].screens[0] if n < len(tps) and tps[n].screens else None
        self._resume_screen = nxt.id if nxt is not None else None
        return GiveUp((f"task/{n}/fail",), n, tp_id, nxt)

    def _idle_reason(self) -> str:
        if self.open_task is not None:
            return f"task {self.open_task} is already marked as given up"
        if self.pending_touchpoint is not None:
            n = self._tp_index[self.pending_touchpoint]
            return f"task {n}'s instruction is shown and the participant has not started it"
        if self.current_touchpoint is not None:
            n = self._tp_index[self.current_touchpoint]
            return (
                f"touchpoint '{self.current_touchpoint}' is a return visit: its task {n} "
                "ended when the participant first left it"
            )
        if self.current_url is None:
            return "no page has been shown yet"
        return "no task is running (the page belongs to no started touchpoint)"

    def enter(self, screen_id: str | None, url: str, new_page: bool = True) -> list[str]:
        """The browser shows ``screen_id`` (None = unknown) at ``url``; markers to publish."""
        if not new_page and screen_id == self.current_screen and url == self.current_url:
            return []
        self.current_url = url
        if screen_id is None:
            self.current_screen = None
            return [f"screen/unknown {url}"]
        # The old touchpoint ends before the new screen is named, so that a screen marker
        # is never read as a screen of the touchpoint being left.
        self.current_screen = screen_id
        self.seen_screens.append(screen_id)
        tp_id = self._tp_of_screen[screen_id]
        if tp_id == self.current_touchpoint:
            return [f"screen/{screen_id}"]
        self._resume_screen = None  # moved on (after a give-up: to wherever the page went)
        if self.pending_touchpoint is not None and self.pending_touchpoint != tp_id:
            # Left before reading the instruction: it is asked again if the page returns.
            self.pending_touchpoint = None
        out = self._end_touchpoint() + [f"screen/{screen_id}"]
        n = self._tp_index[tp_id]
        if n in self.started_tasks or not self.protocol.touchpoint(tp_id).task.strip():
            out += self._start_touchpoint(tp_id)
        else:
            self.pending_touchpoint = tp_id
        return out

    def acknowledge(self) -> list[str]:
        """The participant dismissed the instruction: the task and touchpoint start."""
        if self.pending_touchpoint is None:
            return []
        return self._start_touchpoint(self.pending_touchpoint)

    def finish(self) -> list[str]:
        """End of the session: close the open touchpoint and task."""
        self.pending_touchpoint = None
        return self._end_touchpoint()


def click_marker(target: str, x_px: float, y_px: float) -> str:
    """``click/<aoi-id-or-selector> <x_px> <y_px>`` with page px rounded to 0.1 px."""
    return f"click/{target} {x_px:.1f} {y_px:.1f}"


def point_in_aoi(aoi: AOI, x_px: float, y_px: float, box: Sequence[float] | None = None) -> bool:
    """True when page point (x_px, y_px) is inside ``aoi`` (``box`` overrides its coords).

    ``box`` is the (x, y, width, height) rect a selector AOI resolved to in the live page.
    """
    if box is not None:
        x, y, w, h = box
        return bool(x <= x_px <= x + w and y <= y_px <= y + h)
    if aoi.selector is not None and not aoi.coords:
        return False
    if aoi.shape == "rect":
        x, y, w, h = aoi.coords
        return bool(x <= x_px <= x + w and y <= y_px <= y + h)
    if aoi.shape == "ellipse":
        cx, cy, rx, ry = aoi.coords
        if rx <= 0 or ry <= 0:
            return False
        return bool(((x_px - cx) / rx) ** 2 + ((y_px - cy) / ry) ** 2 <= 1.0)
    pts = aoi.points
    inside = False
    n = len(pts)
    for i in range(n):
        x1, y1 = pts[i]
        x2, y2 = pts[(i + 1) % n]
        if (y1 > y_px) != (y2 > y_px):
            xi = x1 + (y_px - y1) * (x2 - x1) / (y2 - y1)
            if x_px < xi:
                inside = not inside
    return inside


def hit_aoi(
    screen: Screen,
    x_px: float,
    y_px: float,
    boxes: Mapping[str, Sequence[float] | None] | None = None,
) -> str | None:
    """Id of the smallest AOI of ``screen`` containing page point (x_px, y_px), or None.

    ``boxes`` maps AOI id → resolved (x, y, width, height) for selector AOIs; AOIs with a
    selector but no resolved box and no coords never hit.
    """
    best: tuple[float, str] | None = None
    for a in screen.aois:
        box = (boxes or {}).get(a.id)
        if a.selector is not None and box is None and not a.coords:
            continue
        if not point_in_aoi(a, x_px, y_px, box):
            continue
        if box is not None:
            area = float(box[2]) * float(box[3])
        else:
            x0, y0, x1, y1 = a.bbox
            area = (x1 - x0) * (y1 - y0)
        if best is None or area < best[0]:
            best = (area, a.id)
    return None if best is None else best[1]


def aoi_boxes_from_markers(values: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The last ``aoi-boxes <json>`` record per screen from a session's marker values.

    Returns
    -------
    dict screen id → the record (``url``, ``page_width_px``, ``page_height_px``, ``aois``:
    AOI id → ``{x_px, y_px, width_px, height_px, fixed}`` or None). Malformed records are
    skipped.
    """
    out: dict[str, dict[str, Any]] = {}
    for v in values:
        if not v.startswith(AOI_BOXES_PREFIX):
            continue
        try:
            rec = json.loads(v[len(AOI_BOXES_PREFIX) :])
        except json.JSONDecodeError:
            continue
        if (
            isinstance(rec, dict)
            and isinstance(rec.get("screen"), str)
            and isinstance(rec.get("aois"), dict)
        ):
            out[rec["screen"]] = rec
    return out


def apply_aoi_boxes(protocol: Protocol, boxes: Mapping[str, Mapping[str, Any]]) -> Protocol:
    """The protocol with every selector AOI's coords replaced by its resolved live box.

    Only AOIs with an explicit ``selector`` change (they become rects with the resolved
    ``fixed`` flag, as protocol.AOI documents); AOIs found by id keep the author's shape and
    coords, and a selector that resolved to nothing (None) keeps its coords.
    """

    def new_screen(sc: Screen) -> Screen:
        rec = boxes.get(sc.id)
        if not rec:
            return sc
        aois = []
        for a in sc.aois:
            b = rec.get("aois", {}).get(a.id)
            if a.selector and b:
                a = replace(
                    a,
                    shape="rect",
                    coords=(
                        float(b["x_px"]),
                        float(b["y_px"]),
                        float(b["width_px"]),
                        float(b["height_px"]),
                    ),
                    fixed=bool(b.get("fixed", False)),
                )
            aois.append(a)
        return replace(sc, aois=tuple(aois))

    stages = tuple(
        replace(
            st,
            touchpoints=tuple(
                replace(tp, screens=tuple(new_screen(sc) for sc in tp.screens))
                for tp in st.touchpoints
            ),
        )
        for st in protocol.stages
    )
    return replace(protocol, stages=stages)
