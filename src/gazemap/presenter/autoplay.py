"""A synthetic participant for demos and tests (``gazemap present --autoplay``).

For each screen of the protocol in journey order: wait until the browser shows it, start the
task (click the instruction's button), scroll the page down to the bottom and back up with
the mouse wheel, click the screen's target AOI (first ``target``, else first ``cta``; a text
field gets ``search_text`` and Enter). If that does not lead to the next screen it clicks the
screen's ``cta``, and if the next screen still does not come it opens the next screen's URL
directly (when the URL pattern is a literal path). A screen that never shows within
``screen_timeout_s`` is recorded as a problem and skipped.

On a touchpoint listed in ``give_up`` (``--give-up``) the synthetic participant gives up on
its first screen: after scrolling, autoplay presses the moderator's give-up key in the page
(``task/<n>/fail``). When the presenter then opens the next touchpoint's page, the rest of
the given-up touchpoint is skipped; otherwise the moderator "helps the participant on" and
autoplay clicks on as usual.
"""

from __future__ import annotations

from collections.abc import Collection
from functools import partial

from gazemap.presenter.browser import Presenter
from gazemap.presenter.matching import AOI, is_literal_path, journey_plan, target_aoi
from gazemap.protocol import Screen


def scroll_down_and_back(
    pres: Presenter, step_px: int = 300, pause_ms: float = 40.0, max_steps: int = 200
) -> int:
    """Wheel-scroll to the bottom of the page and back to the top; returns wheel steps used."""
    page = pres.page
    page.mouse.move(pres.width_px / 2, pres.height_px / 2)
    doc_h, view_h = page.evaluate("[document.documentElement.scrollHeight, window.innerHeight]")
    if doc_h <= view_h + 1:
        return 0
    steps = 0
    for direction in (1, -1):
        for _ in range(max_steps):
            y = float(page.evaluate("window.scrollY"))
            if (direction > 0 and y + view_h >= doc_h - 1) or (direction < 0 and y <= 0):
                break
            page.mouse.wheel(0, direction * step_px)
            steps += 1
            pres.pump(pause_ms)
    # let the last frames of the scroll report
    pres.pump(2 * pause_ms)
    return steps


#: does clicking this element (or typing + Enter in it) leave the page?
_NAVIGATES_JS = """e => {
  const tag = e.tagName.toLowerCase();
  if (tag === "input" && e.type !== "checkbox" && e.type !== "radio" && e.form) return true;
  const a = e.closest("a[href]");
  if (a) { const h = a.getAttribute("href"); return !!h && !h.startsWith("#"); }
  const b = e.closest("button, input[type=submit]");
  return !!(b && (b.form || b.getAttribute("form")) && (b.type || "submit") === "submit");
}"""


def click_aoi(
    pres: Presenter, screen: Screen, aoi: AOI, search_text: str = "running shoes"
) -> bool:
    """Click an AOI like a participant: its element if the page has it, else its coords.

    Returns True when the click (or the text typed + Enter into a field) should open
    another page, False when it stays on this one or is unknown.
    """
    page = pres.page
    sel = pres.aoi_selectors(screen)[0][aoi.id]
    loc = page.locator(sel).first
    if loc.count() > 0:
        tag = str(loc.evaluate("e => e.tagName")).lower()
        navigates = bool(loc.evaluate(_NAVIGATES_JS))
        try:
            loc.click(timeout=5000)
            if tag in ("input", "textarea"):
                loc.fill(search_text)
                loc.press("Enter")
        except Exception as exc:  # playwright TimeoutError: the page it opens does not load
            if not pres.alive:
                raise
            pres.log(
                f"warning: autoplay clicked AOI '{aoi.id}' on screen '{screen.id}' but the page "
                f"did not respond within 5 s ({str(exc).splitlines()[0]}); the site may hang. "
                "Going on with the journey."
            )
        return navigates
    x0, y0, x1, y1 = aoi.bbox
    cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
    if not aoi.fixed:
        page.evaluate("(y) => window.scrollTo(0, Math.max(0, y - window.innerHeight / 2))", cy)
        pres.pump(50)
        sy = float(page.evaluate("window.scrollY"))
        cy -= sy
    page.mouse.click(cx, cy)
    return False


def press_give_up(pres: Presenter, task_n: int, timeout_s: float = 5.0) -> bool:
    """Press the moderator's give-up key in the page, as a moderator would.

    Returns True when the presenter marked ``task/<task_n>/fail`` and opened the next
    touchpoint's page, False when it marked the task but left the page (or the key was not
    handled within ``timeout_s``; logged).
    """
    key = pres.give_up_key
    if key is None:
        pres.log("warning: autoplay cannot give up: the presenter has no give-up key")
        return False
    n_before = len(pres.stats.give_ups)
    pres.page.keyboard.press(key.playwright)
    if not pres.wait_for(lambda: len(pres.stats.give_ups) > n_before, timeout_s):
        pres.log(f"warning: autoplay pressed {key.text} but task {task_n} was not marked")
        return False
    return pres.stats.give_ups[-1]["opened"] is not None


def run_autoplay(
    pres: Presenter,
    screen_timeout_s: float = 10.0,
    next_wait_s: float = 3.0,
    scroll_step_px: int = 300,
    pause_ms: float = 40.0,
    search_text: str = "running shoes",
    give_up: Collection[str] = (),
) -> None:
    """Walk the protocol's screens in order in ``pres`` (already started, first page open).

    ``give_up``: touchpoint ids whose task the synthetic participant gives up (module
    docstring). A browser window closed meanwhile ends the walk quietly (the presenter's
    ``finish`` says so); it used to end it with a Playwright traceback.
    """
    try:
        _walk(pres, screen_timeout_s, next_wait_s, scroll_step_px, pause_ms, search_text, give_up)
    except Exception:
        if pres.alive:
            raise
        # closed by the participant or moderator mid-task: not an error of autoplay


def _walk(
    pres: Presenter,
    screen_timeout_s: float,
    next_wait_s: float,
    scroll_step_px: int,
    pause_ms: float,
    search_text: str,
    give_up: Collection[str],
) -> None:
    # screens without a url (a phone call, a shop visit) are not web pages: nothing to show
    plan = [ps for ps in journey_plan(pres.protocol) if ps.screen.url is not None]
    skipped = [ps.screen.id for ps in journey_plan(pres.protocol) if ps.screen.url is None]
    if skipped:
        pres.log(f"note: screens without a url are not presented: {', '.join(skipped)}")
    moved_on: set[str] = set()  # touchpoints given up whose next page the presenter opened
    for i, ps in enumerate(plan):
        if not pres.alive:
            return  # the browser window was closed
        sc = ps.screen
        nxt = plan[i + 1].screen if i + 1 < len(plan) else None
        if ps.touchpoint.id in moved_on:
            continue
        if not pres.wait_for_screen(sc.id, screen_timeout_s):
            ok = False
            if is_literal_path(sc.url) and sc.url is not None:
                url = pres.url_of(sc.url)
                status = pres.goto(url)
                if status is not None and status >= 400:
                    # the page is reported when it arrives (an 'http' problem, screen/unknown)
                    pres.wait_for(partial(pres.http_reported, url), pres.nav_fallback_s + 2.0)
                    continue
                ok = pres.wait_for_screen(sc.id, screen_timeout_s)
            if not ok:
                here = pres.tracker.current_screen
                shown = f"screen '{here}'" if here else "a page that matches no screen"
                sel = f", selector '{sc.selector}'" if sc.selector else ""
                pres._problem(
                    "screen-timeout",
                    f"screen '{sc.id}' (url '{sc.url}'{sel}) was not shown within "
                    f"{screen_timeout_s:g} s; the browser is at {pres.page.url} ({shown}). "
                    f"Fix the screen's url/selector in {pres._proto_name()} or the site's links.",
                )
                continue
        if pres.tracker.needs_instruction is not None:
            pres.wait_for(lambda: _overlay_visible(pres), 5.0)
            try:
                pres.page.click("#__gm_start", timeout=5000)
            except Exception:  # noqa: BLE001 - a page without the overlay: start anyway
                pass
            pres.wait_for(lambda: pres.tracker.needs_instruction is None, 5.0)
        scroll_down_and_back(pres, scroll_step_px, pause_ms)
        tp = ps.touchpoint
        if tp.id in give_up and ps.task_n not in pres.tracker.given_up:
            if press_give_up(pres, ps.task_n):
                moved_on.add(tp.id)
                continue
        tgt = target_aoi(sc)
        navigates = click_aoi(pres, sc, tgt, search_text) if tgt is not None else False
        if nxt is None:
            pres.pump(100)
            break
        if navigates and pres.wait_for_screen(nxt.id, next_wait_s):
            continue
        cta = next((a for a in sc.aois if a.role == "cta" and a is not tgt), None)
        if cta is not None and pres.tracker.current_screen == sc.id:
            pres.pump(100)  # a participant's pause between two clicks
            click_aoi(pres, sc, cta, search_text)


def _overlay_visible(pres: Presenter) -> bool:
    try:
        return bool(pres.page.evaluate("!!document.getElementById('__gm_start')"))
    except Exception:  # noqa: BLE001 - navigating
        return False
