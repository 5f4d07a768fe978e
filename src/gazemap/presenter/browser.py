"""Drive Debian's Chromium with Playwright and publish what the participant sees on LSL.

``Presenter`` opens the site at the tracker's screen size, injects ``pagescript.PAGE_SCRIPT``
into every document, and turns the script's reports into LSL samples:

* ``Scroll`` (types.SCROLL_CHANNELS): pushed from the binding callback with the page's own
  time of the scroll, mapped to the LSL clock;
* ``Markers``: ``screen/...``, ``touchpoint/...``, ``task/...`` (matching.JourneyTracker),
  ``click/<aoi-or-selector> <x_px> <y_px>``, ``aoi-boxes <json>`` and ``error/...``;
  ``task/<n>/fail`` when the moderator presses the give-up key (moderator.py), after which
  the next touchpoint's page is opened (``after_give_up="next"``).

Page times are ``performance.timeOrigin + performance.now()`` (ms); ``ClockMap`` measures
the offset to ``pylsl.local_clock()`` with the shortest of a few evaluate round trips, once
per document, so a sample's LSL timestamp is when the page changed, not when Python heard.

The sync Playwright API delivers binding calls only while Python waits inside a Playwright
call; ``pump()`` waits that way and then handles queued page changes (matching, markers,
overlays, screenshots), so callbacks never call back into the browser.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from gazemap.errors import DeviceError, InputError
from gazemap.presenter.matching import (
    JourneyTracker,
    ScreenMatcher,
    click_marker,
    give_up_url,
    hit_aoi,
)
from gazemap.presenter.moderator import DEFAULT_GIVE_UP, KeySpec
from gazemap.presenter.pagescript import PAGE_SCRIPT
from gazemap.protocol import Protocol, Screen

CHROMIUM = "/usr/bin/chromium"
#: flags for a quiet, reproducible browser (no updates, sync or first-run UI)
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--force-device-scale-factor=1",
)
START_LABEL = "Start task"
#: what the presenter does after the moderator's give-up key (``--after-give-up``)
AFTER_GIVE_UP = ("next", "stay")


def chromium_path() -> str:
    """Path of the system Chromium (``GAZEMAP_CHROMIUM`` overrides).

    Raises
    ------
    DeviceError
        No Chromium executable there.
    """
    path = os.environ.get("GAZEMAP_CHROMIUM") or shutil.which("chromium") or CHROMIUM
    if not Path(path).is_file():
        raise DeviceError(
            f"Chromium not found at {path}. Install Debian's browser (apt-get install chromium) "
            "or set GAZEMAP_CHROMIUM to its executable; gazemap never downloads a browser."
        )
    return path


def _no_fragment(url: str) -> str:
    p = urlsplit(url)
    return urlunsplit((p.scheme, p.netloc, p.path, p.query, ""))


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) in px from a PNG file's IHDR chunk."""
    with open(path, "rb") as fh:
        head = fh.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        raise InputError(f"{path} is not a PNG file")
    w, h = struct.unpack(">II", head[16:24])
    return int(w), int(h)


@dataclass
class ClockMap:
    """Page time (ms since the epoch) → LSL seconds: ``t_lsl = t_ms / 1000 + offset_s``."""

    offset_s: float = 0.0
    uncertainty_s: float = float("inf")
    synced: bool = False

    def to_lsl(self, t_ms: float) -> float:
        return float(t_ms) / 1000.0 + self.offset_s


@dataclass
class Problem:
    """Something about the protocol/site the user must fix; reported at the end (exit 2)."""

    kind: str
    message: str


@dataclass
class PresenterStats:
    markers: list[tuple[float, str]] = field(default_factory=list)
    scroll: list[tuple[float, float, float, float, float, float]] = field(default_factory=list)
    clicks: list[dict[str, Any]] = field(default_factory=list)
    #: one per ``task/<n>/fail`` sent: ``{time_s, task, touchpoint, opened}``
    give_ups: list[dict[str, Any]] = field(default_factory=list)


class Presenter:
    """One participant's presentation session.

    Parameters
    ----------
    protocol : the study protocol (screens need ``url``).
    base_url : where the site is served (``http://127.0.0.1:<port>``).
    participant : participant id (screenshots per participant, file names).
    marker_outlet, scroll_outlet : LSL outlets (acquisition.lsl.make_*_outlet), or objects
        with ``push_sample(values, timestamp)``.
    width_px, height_px : viewport = the tracker's screen size, px.
    headless : run without a display (else kiosk full screen).
    screenshots_dir : where full-page screenshots and the manifest go; None = no captures.
    per_participant : capture each screen again for every participant (personalised pages).
    log : one-line message printer (stderr by default).
    nav_fallback_s : a main-frame navigation the page script did not report within this
        time (error pages, downloads) is handled from Playwright's event instead.
    selector_wait_s : a new page whose URL matches a screen that needs a selector not yet
        on the page waits this long for it before it is marked ``screen/unknown`` (content
        rendered by scripts after the first paint).
    give_up_key : the moderator's key combination (moderator.KeySpec) that marks the running
        task as given up (``task/<n>/fail``); None = no key.
    after_give_up : ``"next"`` opens the next touchpoint's first screen after the marker when
        its ``url`` names one page; ``"stay"`` leaves the page to the moderator.

    Raises
    ------
    InputError
        ``after_give_up`` is not one of ``AFTER_GIVE_UP``.
    """

    def __init__(
        self,
        protocol: Protocol,
        base_url: str,
        participant: str,
        marker_outlet: Any,
        scroll_outlet: Any,
        width_px: int,
        height_px: int,
        headless: bool = True,
        screenshots_dir: Path | None = None,
        per_participant: bool = False,
        log: Callable[[str], None] | None = None,
        nav_fallback_s: float = 5.0,
        selector_wait_s: float = 2.0,
        give_up_key: KeySpec | None = DEFAULT_GIVE_UP,
        after_give_up: str = "next",
    ) -> None:
        if after_give_up not in AFTER_GIVE_UP:
            raise InputError(
                f"after_give_up must be one of {', '.join(AFTER_GIVE_UP)}, got {after_give_up!r}."
            )
        self.give_up_key = give_up_key
        self.after_give_up = after_give_up
        self.protocol = protocol
        self.base_url = base_url.rstrip("/")
        self.participant = participant
        self.markers_out = marker_outlet
        self.scroll_out = scroll_outlet
        self.width_px = int(width_px)
        self.height_px = int(height_px)
        self.headless = headless
        self.screenshots_dir = screenshots_dir
        self.per_participant = per_participant
        self.log = log or (lambda m: print(f"gazemap present: {m}", file=sys.stderr, flush=True))
        self.nav_fallback_s = nav_fallback_s
        self.selector_wait_s = selector_wait_s
        self._await_selector: dict[str, Any] | None = None
        #: re-measure the page→LSL clock offset at least this often (and on every new page)
        self.resync_s = 30.0
        self._last_sync = -float("inf")
        self.matcher = ScreenMatcher(protocol, self.base_url)
        self.tracker = JourneyTracker(protocol)
        self.clock = ClockMap()
        self.stats = PresenterStats()
        self.problems: list[Problem] = []
        self.live_boxes: dict[str, dict[str, Any]] = {}
        self.page_sizes: dict[str, tuple[int, int]] = {}
        self.captured: set[str] = set()
        self._events: deque[tuple[str, dict[str, Any]]] = deque()
        self._early_scroll: deque[tuple[Any, dict[str, Any]]] = deque()
        self._pending_nav: dict[str, float] = {}
        #: HTTP status of each main-frame document (URL without fragment), from Playwright
        self._http_status: dict[str, int] = {}
        #: the last main-frame page that failed to load: (url, Chromium's reason)
        self._failed_load: tuple[str, str] | None = None
        self._http_reported: set[tuple[str, int]] = set()
        self._last_marker_ts = -float("inf")
        self._last_scroll_ts = -float("inf")
        self._overlay_for: tuple[str, int] | None = None
        self._doc_counter = 0
        self._closed = False
        self._pw: Any = None
        self.browser: Any = None
        self.context: Any = None
        self.page: Any = None
        self._capture_browser: Any = None
        self._screens = protocol.screens

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Launch Chromium, expose the bindings and inject the page script.

        Raises
        ------
        DeviceError
            Chromium is missing or does not start.
        """
        from playwright.sync_api import sync_playwright

        exe = chromium_path()
        self._pw = sync_playwright().start()
        args = list(CHROMIUM_ARGS)
        if not self.headless:
            args += [
                "--kiosk",
                "--start-fullscreen",
                f"--window-size={self.width_px},{self.height_px}",
            ]
        try:
            self.browser = self._pw.chromium.launch(
                executable_path=exe, headless=self.headless, args=args
            )
        except Exception as exc:
            self._pw.stop()
            self._pw = None
            raise DeviceError(
                f"Chromium at {exe} did not start ({str(exc).splitlines()[0]}). Without a "
                "display use --headless; check that the chromium package works."
            ) from exc
        self.context = self.browser.new_context(
            viewport={"width": self.width_px, "height": self.height_px},
            screen={"width": self.width_px, "height": self.height_px},
            device_scale_factor=1,
        )
        self.context.expose_binding("__gm_scroll", self._on_scroll)
        self.context.expose_binding("__gm_nav", lambda src, p: self._events.append(("nav", p)))
        self.context.expose_binding("__gm_boxes", lambda src, p: self._events.append(("boxes", p)))
        self.context.expose_binding("__gm_click", lambda src, p: self._events.append(("click", p)))
        self.context.expose_binding("__gm_ack", lambda src, p: self._events.append(("ack", p)))
        self.context.expose_binding(
            "__gm_giveup", lambda src, p: self._events.append(("giveup", p))
        )
        cfg = {
            "screenSelectors": self.matcher.selectors,
            "settleMs": 250,
            "recheckMs": 100,
            "paintWaitMs": 500,
            "headless": self.headless,
            "giveUpKey": None if self.give_up_key is None else self.give_up_key.to_js(),
        }
        self.context.add_init_script(PAGE_SCRIPT.replace("__GM_CONFIG__", json.dumps(cfg)))
        self.page = self.context.new_page()
        self.page.on("framenavigated", self._on_frame_navigated)
        self.page.on("response", self._on_response)
        self.page.on("requestfailed", self._on_request_failed)
        self.sync_clock()

    def close(self) -> None:
        """Close the browser (idempotent)."""
        if self._closed:
            return
        self._closed = True
        for obj in (self._capture_browser, self.browser):
            if obj is not None:
                try:
                    obj.close()
                except Exception:  # noqa: BLE001 - already gone (window closed by the user)
                    pass
        if self._pw is not None:
            try:
                self._pw.stop()
            except Exception:  # noqa: BLE001
                pass
            self._pw = None

    @property
    def alive(self) -> bool:
        """False once the participant/moderator closed the browser window."""
        try:
            return bool(
                self.browser is not None
                and self.browser.is_connected()
                and not self.page.is_closed()
            )
        except Exception:  # noqa: BLE001
            return False

    # ------------------------------------------------------------------ clock
    def sync_clock(self, rounds: int = 5) -> None:
        """Measure page time → LSL clock offset (shortest of ``rounds`` round trips)."""
        from gazemap.acquisition.lsl import local_clock

        best: tuple[float, float] | None = None
        for _ in range(rounds):
            t0 = local_clock()
            try:
                tb = float(self.page.evaluate("performance.timeOrigin + performance.now()"))
            except Exception:  # noqa: BLE001 - navigating: keep the previous offset
                return
            t1 = local_clock()
            rtt = t1 - t0
            if best is None or rtt < best[0]:
                best = (rtt, (t0 + t1) / 2.0 - tb / 1000.0)
        if best is not None:
            self.clock = ClockMap(offset_s=best[1], uncertainty_s=best[0] / 2.0, synced=True)
            self._last_sync = local_clock()

    # ------------------------------------------------------------------ LSL output
    def push_marker(self, value: str, ts: float | None = None) -> None:
        """Publish one marker; timestamps are kept non-decreasing within the stream."""
        from gazemap.acquisition.lsl import local_clock

        t = local_clock() if ts is None else ts
        t = max(t, self._last_marker_ts)
        self._last_marker_ts = t
        self.markers_out.push_sample([value], t)
        self.stats.markers.append((t, value))

    def _on_scroll(self, source: Any, p: dict[str, Any]) -> None:
        from gazemap.acquisition.lsl import local_clock

        rx = local_clock()
        if not self.clock.synced:
            self._early_scroll.append((source, p))
            return
        while self._early_scroll:
            self._on_scroll(*self._early_scroll.popleft())
        ts = max(self.clock.to_lsl(p["t"]), self._last_scroll_ts)
        self._last_scroll_ts = ts
        vals = [float(p["x"]), float(p["y"]), float(p["vx"]), float(p["vy"])]
        self.scroll_out.push_sample(vals, ts)
        self.stats.scroll.append((ts, vals[0], vals[1], vals[2], vals[3], rx))

    def _on_frame_navigated(self, frame: Any) -> None:
        # Backup for documents the page script cannot report from (error pages, downloads).
        from gazemap.acquisition.lsl import local_clock

        try:
            if frame.parent_frame is None:
                self._pending_nav[frame.url] = local_clock()
        except Exception:  # noqa: BLE001
            pass

    def _on_request_failed(self, req: Any) -> None:
        # a page of the participant's tab that did not load (no such host, refused, offline)
        try:
            if req.is_navigation_request() and req.frame.parent_frame is None:
                self._failed_load = (str(req.url), str(req.failure or "failed"))
        except Exception:  # noqa: BLE001 - the page is closing
            pass

    def _on_response(self, resp: Any) -> None:
        # the status of each page the participant's tab loads: a 404 page is not its screen
        try:
            if resp.request.is_navigation_request() and resp.frame.parent_frame is None:
                self._http_status[_no_fragment(resp.url)] = int(resp.status)
        except Exception:  # noqa: BLE001 - the page is closing
            pass

    def http_reported(self, url: str) -> bool:
        """True once a load of ``url`` with an HTTP error status was reported as a problem."""
        return any(_no_fragment(u) == _no_fragment(url) for u, _ in self._http_reported)

    def http_status(self, url: str) -> int | None:
        """HTTP status of the last main-frame load of ``url`` (None: not loaded over HTTP)."""
        return self._http_status.get(_no_fragment(url))

    # ------------------------------------------------------------------ event loop
    def pump(self, ms: float = 20.0) -> None:
        """Let the browser deliver reports for ``ms`` milliseconds, then handle them."""
        try:
            self.page.wait_for_timeout(ms)
        except Exception:  # noqa: BLE001 - the window was closed
            pass
        self.handle_events()

    def handle_events(self) -> None:
        from gazemap.acquisition.lsl import local_clock

        while self._events:
            kind, p = self._events.popleft()
            if kind == "nav":
                self._pending_nav.pop(p.get("url", ""), None)
                self._handle_nav(p)
            elif kind == "boxes":
                self._handle_boxes(p)
            elif kind == "click":
                self._handle_click(p)
            elif kind == "ack":
                for m in self.tracker.acknowledge():
                    self.push_marker(m, self.clock.to_lsl(p["t"]))
                self._overlay_for = None
            elif kind == "giveup":
                self._handle_give_up(p)
        now = local_clock()
        if now - self._last_sync >= self.resync_s:
            self.sync_clock(rounds=3)  # long stays on one page (single-page apps)
        aw = self._await_selector
        if aw is not None and now >= aw["deadline"]:
            self._await_selector = None
            self._emit_unknown(aw["url"], aw["ts"])
        for url, t_seen in list(self._pending_nav.items()):
            if now - t_seen >= self.nav_fallback_s:
                del self._pending_nav[url]
                if url in ("about:blank", ""):
                    continue
                self._handle_nav(
                    {"url": url, "kind": "load", "present": [], "t": None, "t_lsl": t_seen}
                )

    def _handle_nav(self, p: dict[str, Any]) -> None:
        url = str(p["url"])
        if url in ("about:blank", ""):
            return  # the empty page a new tab starts with, before the first goto
        failed = None
        if url.startswith("chrome-error://") and self._failed_load is not None:
            # Chromium's error page: name the page the participant tried to open
            (url, failed), self._failed_load = self._failed_load, None
        kind = p.get("kind", "load")
        if kind == "load":
            self._doc_counter += 1
            self.sync_clock(rounds=3)
        ts = p["t_lsl"] if p.get("t") is None else self.clock.to_lsl(p["t"])
        prev_url = self.tracker.current_url
        new_page = kind == "load" or (
            kind == "history" and (prev_url is None or _no_fragment(url) != _no_fragment(prev_url))
        )
        prev_screen = self.tracker.current_screen
        screen = self.matcher.match(
            url, p.get("present", ()), expected=self.tracker.expected_next()
        )
        status = self.http_status(url) if kind == "load" else None
        http_error = screen is not None and status is not None and status >= 400
        if screen is not None and status is not None and http_error:
            # the server's error page, not the screen: never analysed or captured as it
            if (url, status) not in self._http_reported:
                self._http_reported.add((url, status))
                self._problem(
                    "http",
                    f"page {url} answered HTTP {status}, so it is not screen '{screen.id}' "
                    f"(marked 'screen/unknown'); check the screen's url in {self._proto_name()} "
                    "and the site.",
                    ts,
                )
            screen = None
        aw = self._await_selector
        if aw is not None:
            if kind != "load" and _no_fragment(url) == _no_fragment(aw["url"]):
                if screen is None:
                    return  # the awaited selector is still missing
                self._await_selector = None
                new_page = True  # the page's first screen marker, at the selector's arrival
            else:
                self._await_selector = None
                self._emit_unknown(aw["url"], aw["ts"])
        if screen is None and new_page and self.selector_wait_s > 0:
            if self.matcher.awaiting_selector(url):
                from gazemap.acquisition.lsl import local_clock

                deadline = local_clock() + self.selector_wait_s
                self._await_selector = {"url": url, "ts": ts, "deadline": deadline}
                return
        markers = self.tracker.enter(screen.id if screen else None, url, new_page=new_page)
        if markers and prev_screen is not None and prev_screen != self.tracker.current_screen:
            self._check_missing_selectors(prev_screen, ts)
        for m in markers:
            self.push_marker(m, ts)
        if screen is None:
            if new_page and failed is not None:
                self.log(
                    f"page {url} could not be opened ({failed}; the browser shows its error "
                    "page); marked 'screen/unknown'. A link of the site leads off it, or the "
                    "network is down."
                )
            elif new_page and not http_error:
                self.log(f"page {url} matches no screen of the protocol; marked 'screen/unknown'")
            return
        if p.get("page_w"):
            self.page_sizes[screen.id] = (int(p["page_w"]), int(p["page_h"]))
        if new_page or markers:
            self._watch(screen)
            self._capture_if_needed(screen, url)
        need = self.tracker.needs_instruction
        if need is not None and self._overlay_for != (url, self._doc_counter):
            self._show_instruction(*need)
            self._overlay_for = (url, self._doc_counter)

    def _emit_unknown(self, url: str, ts: float) -> None:
        for m in self.tracker.enter(None, url, new_page=True):
            self.push_marker(m, ts)
        self.log(f"page {url} matches no screen of the protocol; marked 'screen/unknown'")

    def aoi_selectors(self, screen: Screen) -> tuple[dict[str, str], set[str]]:
        """AOI id → CSS selector for the live page, and the ids whose selector is explicit.

        AOIs without ``selector`` are looked up as ``#<aoi-id>`` (the demo site's element
        ids); when no such element exists the protocol's coords stand, silently.
        """
        sel: dict[str, str] = {}
        explicit: set[str] = set()
        for a in screen.aois:
            if a.selector:
                sel[a.id] = a.selector
                explicit.add(a.id)
            else:
                sel[a.id] = "#" + _css_ident(a.id)
        return sel, explicit

    def _watch(self, screen: Screen) -> None:
        sel, _ = self.aoi_selectors(screen)
        try:
            self.page.evaluate(
                "([s, a]) => window.__gmWatch && window.__gmWatch(s, a)", [screen.id, sel]
            )
        except Exception:  # noqa: BLE001 - navigated away meanwhile: the next page reports
            pass

    def _handle_boxes(self, p: dict[str, Any]) -> None:
        sid = str(p["screen"])
        if sid != self.tracker.current_screen or sid not in self._screens:
            return
        screen = self._screens[sid]
        _, explicit = self.aoi_selectors(screen)
        boxes: dict[str, dict[str, Any] | None] = {}
        for aid, b in p["boxes"].items():
            if b is None or "error" in b:
                if aid in explicit:
                    boxes[aid] = None
                continue
            boxes[aid] = {
                "x_px": b["x"],
                "y_px": b["y"],
                "width_px": b["w"],
                "height_px": b["h"],
                "fixed": b["fixed"],
            }
        record = {
            "screen": sid,
            "url": self.tracker.current_url,
            "page_width_px": int(p["page_w"]),
            "page_height_px": int(p["page_h"]),
            "aois": boxes,
        }
        prev = self.live_boxes.get(sid)
        self.live_boxes[sid] = record
        self.page_sizes[sid] = (int(p["page_w"]), int(p["page_h"]))
        if (
            prev is None
            or prev["aois"] != boxes
            or prev["page_height_px"] != record["page_height_px"]
        ):
            self.push_marker(
                "aoi-boxes " + json.dumps(record, separators=(",", ":")), self.clock.to_lsl(p["t"])
            )
        for aid, b in p["boxes"].items():
            if b is not None and "error" in b and aid in explicit:
                self._problem(
                    "selector",
                    f"AOI '{aid}' of screen '{sid}' has an invalid CSS selector "
                    f"'{self.aoi_selectors(screen)[0][aid]}'. Fix its 'selector' in {self._proto_name()}.",
                )

    def _check_missing_selectors(self, sid: str, ts: float | None = None) -> None:
        screen = self._screens.get(sid)
        rec = self.live_boxes.get(sid)
        if screen is None or rec is None:
            return
        sel, explicit = self.aoi_selectors(screen)
        for aid in sorted(explicit):
            if rec["aois"].get(aid) is None and not any(
                pr.kind == "selector" and f"'{aid}' of screen '{sid}'" in pr.message
                for pr in self.problems
            ):
                self._problem(
                    "selector",
                    f"AOI '{aid}' of screen '{sid}': selector '{sel[aid]}' matched no element at "
                    f"{rec['url']}; the protocol's coords were used instead. Fix the AOI's "
                    f"'selector' in {self._proto_name()} or check the page.",
                    ts,
                )

    def _handle_click(self, p: dict[str, Any]) -> None:
        sid = self.tracker.current_screen
        aoi = p.get("aoi")
        x, y = float(p["x"]), float(p["y"])
        if aoi is None and sid is not None:
            rec = self.live_boxes.get(sid, {}).get("aois", {})
            boxes = {
                k: (v["x_px"], v["y_px"], v["width_px"], v["height_px"])
                for k, v in rec.items()
                if v is not None and not v["fixed"]
            }
            aoi = hit_aoi(self._screens[sid], x, y, boxes)
        target = aoi or p.get("desc") or "document"
        ts = self.clock.to_lsl(p["t"])
        self.push_marker(click_marker(str(target), x, y), ts)
        self.stats.clicks.append(
            {"time_s": ts, "screen": sid, "target": target, "x_px": x, "y_px": y}
        )

    def _handle_give_up(self, p: dict[str, Any]) -> None:
        """The moderator's give-up key: ``task/<n>/fail``, then (``next``) the next task's page."""
        key = self.give_up_key.text if self.give_up_key is not None else "the give-up key"
        g = self.tracker.give_up()
        if not g.markers:
            self.log(f"moderator: {key} pressed, but {g.reason}; no marker sent")
            return
        ts = self.clock.to_lsl(p["t"])
        for m in g.markers:
            self.push_marker(m, ts)
        said = f"moderator: task {g.task_n} ({g.touchpoint}) marked as given up ({g.markers[0]})"
        url = give_up_url(g.next_screen)
        record: dict[str, Any] = {
            "time_s": ts,
            "task": g.task_n,
            "touchpoint": g.touchpoint,
            "opened": None,
        }
        self.stats.give_ups.append(record)
        if self.after_give_up == "stay":
            self.log(f"{said}; the page stays (--after-give-up stay): take the participant on")
            return
        if g.next_screen is None:
            self.log(f"{said}; it was the journey's last task")
            return
        if url is None:
            why = (
                "has no url (not a web page)"
                if g.next_screen.url is None
                else f"has url pattern '{g.next_screen.url}', not one page"
            )
            self.log(f"{said}; the next task's screen '{g.next_screen.id}' {why}: open it yourself")
            return
        full = self.url_of(url)
        self.log(f"{said}; opening the next task's page {full}")
        record["opened"] = full
        try:
            self.goto(full)
        except InputError as exc:  # goto already marked error/unreachable
            self.problems.append(Problem("unreachable", str(exc)))
            self.log(f"warning: {exc}")

    def _show_instruction(self, n: int, text: str) -> None:
        try:
            self.page.evaluate(
                "([n, t, l]) => window.__gmShowInstruction && window.__gmShowInstruction(n, t, l)",
                [n, text, START_LABEL],
            )
        except Exception:  # noqa: BLE001 - page left; shown again on the next page
            self._overlay_for = None

    def _problem(self, kind: str, message: str, ts: float | None = None) -> None:
        self.problems.append(Problem(kind, message))
        self.log(f"warning: {message}")
        self.push_marker(f"error/{kind} {message}", ts)

    def _proto_name(self) -> str:
        return str(self.protocol.path) if self.protocol.path else "the protocol"

    # ------------------------------------------------------------------ navigation
    def url_of(self, path_or_url: str) -> str:
        return (
            urljoin(self.base_url + "/", path_or_url.lstrip("/"))
            if "://" not in path_or_url
            else path_or_url
        )

    def goto(self, url: str, timeout_s: float = 15.0) -> int | None:
        """Open ``url`` in the participant's page; returns the HTTP status (None if unknown).

        Raises
        ------
        InputError
            The page cannot be loaded (server down, wrong host/port, DNS).
        """
        try:
            resp = self.page.goto(url, wait_until="domcontentloaded", timeout=timeout_s * 1000)
        except Exception as exc:  # playwright.Error
            reason = str(exc).splitlines()[0]
            hangs = "Timeout" in reason
            if hangs:
                # the server took the request but sends no page: stop the load, or every
                # later call into the page waits for it (2 minutes against a hung server)
                self._stop_loading()
            self.push_marker(f"error/unreachable {url} {reason}")
            self.handle_events()
            if hangs:
                raise InputError(
                    f"could not open {url}: the site took the request but sent no page within "
                    f"{timeout_s:g} s ({reason}). The site's server hangs: check it (its log, "
                    "a page that waits for a backend), then start the session again."
                ) from exc
            raise InputError(
                f"could not open {url}: {reason}. Check --base-url / the protocol's base_url "
                "and that the site's server is running (omit --base-url to serve --site locally)."
            ) from exc
        return None if resp is None else int(resp.status)

    def _stop_loading(self) -> None:
        """Stop a page load that hangs (Chromium's stop button, over CDP)."""
        try:
            cdp = self.page.context.new_cdp_session(self.page)
            cdp.send("Page.stopLoading")
            cdp.detach()
        except Exception:  # noqa: BLE001 - closed meanwhile: nothing is loading then
            pass

    def wait_for(self, cond: Callable[[], bool], timeout_s: float) -> bool:
        """Pump until ``cond()`` holds or ``timeout_s`` passes; returns cond()."""
        deadline = time.monotonic() + timeout_s
        while True:
            self.handle_events()
            if cond():
                return True
            if time.monotonic() >= deadline or not self.alive:
                return bool(cond())
            self.pump(20)

    def wait_for_screen(self, screen_id: str, timeout_s: float) -> bool:
        return self.wait_for(lambda: self.tracker.current_screen == screen_id, timeout_s)

    # ------------------------------------------------------------------ screenshots
    def _shot_path(self, screen: Screen) -> Path:
        assert self.screenshots_dir is not None
        base = (
            self.screenshots_dir / self.participant
            if self.per_participant
            else self.screenshots_dir
        )
        return base / f"{screen.id}.png"

    def manifest_path(self) -> Path | None:
        return None if self.screenshots_dir is None else self.screenshots_dir / "screenshots.json"

    def _load_manifest(self) -> dict[str, Any]:
        mp = self.manifest_path()
        if mp is not None and mp.is_file():
            try:
                data = json.loads(mp.read_text(encoding="utf-8"))
                if isinstance(data, dict) and isinstance(data.get("screens"), dict):
                    return data
            except json.JSONDecodeError:
                pass
        return {"protocol": self.protocol.id, "screens": {}}

    def _capture_if_needed(self, screen: Screen, url: str) -> None:
        if self.screenshots_dir is None or screen.id in self.captured:
            return
        self.captured.add(screen.id)
        path = self._shot_path(screen)
        manifest = self._load_manifest()
        key = f"{self.participant}/{screen.id}" if self.per_participant else screen.id
        if path.is_file() and key in manifest["screens"]:
            return  # once per study
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            entry = self._capture(screen, url, path)
        except Exception as exc:  # noqa: BLE001 - a failed capture must not end the session
            self.captured.discard(screen.id)
            self.log(
                f"warning: screenshot of screen '{screen.id}' failed ({str(exc).splitlines()[0]}); retried on its next visit"
            )
            return
        manifest["screens"][key] = entry
        mp = self.manifest_path()
        assert mp is not None
        tmp = mp.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        tmp.replace(mp)

    def _capture(self, screen: Screen, url: str, path: Path) -> dict[str, Any]:
        """Full-page screenshot in a separate headless context with the live cookies.

        A separate page keeps the participant's view untouched (no resize flicker, no
        instruction overlay in the image).
        """
        if self.headless:
            browser = self.browser
        else:
            if self._capture_browser is None:
                assert self._pw is not None
                self._capture_browser = self._pw.chromium.launch(
                    executable_path=chromium_path(), headless=True, args=list(CHROMIUM_ARGS)
                )
            browser = self._capture_browser
        ctx = browser.new_context(
            viewport={"width": self.width_px, "height": self.height_px},
            device_scale_factor=1,
            storage_state=self.context.storage_state(),
        )
        try:
            pg = ctx.new_page()
            pg.goto(url, wait_until="load", timeout=30_000)
            sel, _ = self.aoi_selectors(screen)
            cfg = {
                "screenSelectors": [],
                "settleMs": 250,
                "recheckMs": 100,
                "paintWaitMs": 500,
                "headless": True,
            }
            pg.add_script_tag(content=PAGE_SCRIPT.replace("__GM_CONFIG__", json.dumps(cfg)))
            boxes = pg.evaluate("(a) => window.__gmResolve(a)", sel)
            pw, ph = pg.evaluate("window.__gmDocSize()")
            pg.screenshot(path=str(path), full_page=True)
        finally:
            ctx.close()
        w, h = png_size(path)
        rel = path.relative_to(self.screenshots_dir) if self.screenshots_dir else path
        entry = {
            "file": str(rel),
            "url": url,
            "width_px": w,
            "height_px": h,
            "page_width_px": int(pw),
            "page_height_px": int(ph),
            "viewport_width_px": self.width_px,
            "viewport_height_px": self.height_px,
            "protocol_page_width_px": screen.page_width_px,
            "protocol_page_height_px": screen.page_height_px,
            "participant": self.participant,
            "captured_utc": datetime.now(UTC).isoformat(timespec="seconds"),
            "aois": {
                k: (
                    None
                    if v is None or "error" in v
                    else {
                        "x_px": v["x"],
                        "y_px": v["y"],
                        "width_px": v["w"],
                        "height_px": v["h"],
                        "fixed": v["fixed"],
                    }
                )
                for k, v in boxes.items()
            },
        }
        if abs(h - screen.page_height_px) > 1 or abs(w - screen.page_width_px) > 1:
            self.log(
                f"note: screen '{screen.id}' renders at {w}x{h} page px; the protocol says "
                f"{screen.page_width_px}x{screen.page_height_px} (the screenshot's size is recorded)"
            )
        return entry

    # ------------------------------------------------------------------ end
    def finish(self) -> None:
        """Close open touchpoint/task, flag missing selectors, write the AOI boxes file."""
        if not self._closed and not self.alive:
            here = self.tracker.current_screen
            self.log(
                "the browser window was closed"
                + (f" at screen '{here}'" if here else "")
                + "; the session ends here. What was shown until then is in the markers "
                "(the open task and touchpoint are ended now); the summary below lists the "
                "screens never shown."
            )
        self.handle_events()
        if self._await_selector is not None:
            aw, self._await_selector = self._await_selector, None
            self._emit_unknown(aw["url"], aw["ts"])
        if self.tracker.current_screen is not None:
            self._check_missing_selectors(self.tracker.current_screen)
        for m in self.tracker.finish():
            self.push_marker(m)
        if self.screenshots_dir is not None and self.live_boxes:
            self.screenshots_dir.mkdir(parents=True, exist_ok=True)
            out = self.screenshots_dir / f"aoi-boxes-{self.participant}.json"
            out.write_text(
                json.dumps(
                    {
                        "participant": self.participant,
                        "protocol": self.protocol.id,
                        "screens": self.live_boxes,
                    },
                    indent=2,
                ),
                encoding="utf-8",
            )


def _css_ident(s: str) -> str:
    """Escape an id for a CSS ``#id`` selector (ids may start with a digit)."""
    out = []
    for i, ch in enumerate(s):
        if ch.isalnum() and not (i == 0 and ch.isdigit()) or ch in "-_":
            out.append(ch)
        elif i == 0 and ch.isdigit():
            out.append(f"\\3{ch} ")
        else:
            out.append("\\" + ch)
    return "".join(out)
