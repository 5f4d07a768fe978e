"""``gazemap present``: show the tested site in a controlled Chromium and stream what it shows.

Thin: parses arguments, starts the local site server and the LSL outlets, runs
``gazemap.presenter`` (live participant or ``--autoplay``) and prints a one-line summary.
See docs/presenter.md.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from gazemap.cli._common import add_screen_arguments


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "present",
        help="run the tested website in Chromium; stream screen/touchpoint markers, scroll and clicks on LSL",
        description=(
            "Open the protocol's site in Debian's Chromium at the tracker's screen size, show each "
            "task's instruction and publish Markers (screen/touchpoint/task/click) and Scroll on LSL. "
            "Start `gazemap record` first so the streams are recorded."
        ),
    )
    p.add_argument("protocol", help="study protocol YAML (screens need 'url')")
    p.add_argument("--participant", required=True, help="participant id (e.g. P01)")
    add_screen_arguments(
        p,
        {"width_px": "the first screen's viewport", "height_px": "the first screen's viewport"},
        source="the protocol's screen",
        fields=("width_px", "height_px"),
    )
    p.add_argument("--headless", action="store_true", help="run Chromium without a display")
    p.add_argument(
        "--autoplay", action="store_true", help="a synthetic participant walks the journey"
    )
    p.add_argument(
        "--site",
        default=None,
        help="folder of the site to serve on 127.0.0.1 (default: demo-site/ when base_url is absent or local)",
    )
    p.add_argument(
        "--base-url",
        default=None,
        help="open this URL instead of serving --site (e.g. a staging server)",
    )
    p.add_argument("--start-url", default=None, help="first page (default: the first screen's url)")
    p.add_argument(
        "--screenshots",
        default=None,
        help="folder for full-page screenshots + screenshots.json (default: none)",
    )
    p.add_argument(
        "--screenshots-per-participant",
        action="store_true",
        help="capture every screen again for this participant",
    )
    p.add_argument(
        "--source-id",
        default=None,
        help="LSL source id prefix (default gazemap-present-<participant>)",
    )
    p.add_argument(
        "--screen-timeout-s",
        type=float,
        default=10.0,
        help="autoplay: how long to wait for each screen",
    )
    p.add_argument(
        "--max-duration-s", type=float, default=None, help="end the session after this long"
    )
    p.add_argument(
        "--wait-recorder-s",
        type=float,
        default=5.0,
        help="wait this long for a recorder to connect to the streams",
    )
    p.add_argument(
        "--give-up-key",
        default="Ctrl+Alt+G",
        help="moderator's key combination in the browser that marks the running task as given "
        "up (task/<n>/fail); 'none' = no key (default Ctrl+Alt+G)",
    )
    p.add_argument(
        "--after-give-up",
        choices=("next", "stay"),
        default="next",
        help="after the give-up key: open the next task's first page when its url names one "
        "page (next, default), or leave the page to the moderator (stay)",
    )
    p.add_argument(
        "--give-up",
        action="append",
        default=[],
        metavar="TOUCHPOINT",
        help="autoplay: the synthetic participant gives up on this touchpoint's task (autoplay "
        "presses the give-up key); repeatable",
    )
    from gazemap.presenter.validation import add_validation_arguments

    add_validation_arguments(p)  # --validation-points, --validate-at
    p.set_defaults(func=run)


def _positive(name: str, value: float | None) -> None:
    from gazemap.errors import InputError

    if value is not None and not value > 0:
        raise InputError(f"--{name} must be > 0, got {value}.")


def _check_participant(participant: str) -> None:
    """The id names files (aoi-boxes-<id>.json, screenshots/<id>/): spaces and letters of
    any language are fine, a path separator or a control character is not (an id with '/'
    ended a finished session with a traceback and put its screenshots in sub-folders)."""
    from gazemap.errors import InputError

    bad = sorted({c for c in participant if c in "/\\" or ord(c) < 32 or ord(c) == 127})
    if not participant.strip() or bad:
        what = "is empty" if not participant.strip() else f"contains {', '.join(map(repr, bad))}"
        raise InputError(
            f"--participant {participant!r} {what}; the id names files (screenshots, "
            "aoi-boxes-<id>.json), so it cannot be empty or contain '/', '\\' or control "
            "characters. Use e.g. 'P04-b'."
        )


def _check_give_up(args: argparse.Namespace, protocol: Any, have_key: bool) -> None:
    from gazemap.errors import InputError

    if not args.give_up:
        return
    if not args.autoplay:
        raise InputError(
            "--give-up is for --autoplay (the synthetic participant gives up); with a real "
            "participant the moderator presses the give-up key in the browser."
        )
    if not have_key:
        raise InputError(
            "--give-up needs the give-up key, but --give-up-key is 'none'; drop one of the two."
        )
    ids = [tp.id for tp in protocol.touchpoints]
    for tp_id in args.give_up:
        if tp_id not in ids:
            raise InputError(
                f"--give-up {tp_id}: protocol {protocol.id!r} has no touchpoint {tp_id!r}; "
                f"name one of {', '.join(ids)}."
            )


def run(args: argparse.Namespace) -> int:
    from gazemap.acquisition.lsl import make_marker_outlet, make_scroll_outlet
    from gazemap.errors import DeviceError, ProtocolError
    from gazemap.presenter.autoplay import run_autoplay
    from gazemap.presenter.browser import Presenter, chromium_path
    from gazemap.presenter.matching import is_literal_path, journey_plan
    from gazemap.presenter.moderator import parse_key_spec
    from gazemap.presenter.server import DEMO_SITE, SiteServer, is_local_url
    from gazemap.protocol import load_protocol

    _check_participant(args.participant)
    for name in ("screen-width-px", "screen-height-px", "screen-timeout-s", "max-duration-s"):
        _positive(name, getattr(args, name.replace("-", "_")))
    give_up_key = (
        None if args.give_up_key.strip().lower() == "none" else parse_key_spec(args.give_up_key)
    )
    protocol = load_protocol(args.protocol)
    _check_give_up(args, protocol, give_up_key is not None)
    from gazemap.presenter.validation import run_validation, validation_phases

    validate_first, validate_last = validation_phases(args.validation_points, args.validate_at)
    plan = journey_plan(protocol)
    first = plan[0].screen if plan else None
    width = (
        args.screen_width_px
        or protocol.screen_width_px
        or (first.viewport_width_px if first else 1440)
    )
    height = (
        args.screen_height_px
        or protocol.screen_height_px
        or (first.viewport_height_px if first else 900)
    )
    if not args.headless and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise DeviceError(
            "no display (DISPLAY is not set): run with --headless, or start it on the lab's desktop."
        )
    chromium_path()

    server: Any = None
    if args.site is not None or (args.base_url is None and is_local_url(protocol.base_url)):
        site = Path(args.site) if args.site else DEMO_SITE
        server = SiteServer(site)
        base_url = server.base_url
    else:
        base_url = args.base_url or protocol.base_url
    assert base_url is not None
    start_url: str = args.start_url or (
        first.url if first is not None and first.url and is_literal_path(first.url) else "/"
    )

    sid = args.source_id or f"gazemap-present-{args.participant}"
    markers_out = make_marker_outlet("gazemap-present-markers", f"{sid}-markers")
    scroll_out = make_scroll_outlet("gazemap-present-scroll", f"{sid}-scroll")
    log = lambda m: print(f"gazemap present: {m}", file=sys.stderr, flush=True)  # noqa: E731
    if args.wait_recorder_s > 0:
        ok_m = markers_out.wait_for_consumers(args.wait_recorder_s)
        ok_s = scroll_out.wait_for_consumers(max(0.1, args.wait_recorder_s / 2)) if ok_m else False
        if not (ok_m and ok_s):
            log(
                f"warning: no recorder connected to the Markers/Scroll streams (source ids {sid}-markers, "
                f"{sid}-scroll) within {args.wait_recorder_s:g} s; they are published but may not be "
                "recorded. Start `gazemap record` first; if it runs with --stream, it needs "
                f"--stream '{sid}-*' too."
            )

    stop = {"flag": False}

    def _on_signal(signum: int, frame: object) -> None:  # noqa: ARG001
        stop["flag"] = True

    old_int = signal.signal(signal.SIGINT, _on_signal)
    old_term = signal.signal(signal.SIGTERM, _on_signal)
    pres = Presenter(
        protocol,
        base_url,
        args.participant,
        markers_out,
        scroll_out,
        width,
        height,
        headless=args.headless,
        screenshots_dir=Path(args.screenshots) if args.screenshots else None,
        per_participant=args.screenshots_per_participant,
        log=log,
        give_up_key=give_up_key,
        after_give_up=args.after_give_up,
    )
    t_start = time.monotonic()
    try:
        pres.start()
        if validate_first:
            run_validation(pres, args.validation_points, stop=lambda: stop["flag"])
        if pres.alive:  # not closed during the validation (then finish() says so)
            pres.goto(pres.url_of(start_url))
        t_start = time.monotonic()  # --max-duration-s counts from the first page
        if args.autoplay:
            run_autoplay(pres, screen_timeout_s=args.screen_timeout_s, give_up=args.give_up)
        else:
            log("presenting; close the browser window or press Ctrl+C to end the session")
            if give_up_key is not None:
                then = (
                    "opens the next task's page"
                    if args.after_give_up == "next"
                    else "leaves the page as it is"
                )
                log(
                    f"moderator: {give_up_key.text} in the browser marks the running task as "
                    f"given up (task/<n>/fail) and {then}"
                )
            while pres.alive and not stop["flag"]:
                if (
                    args.max_duration_s is not None
                    and time.monotonic() - t_start >= args.max_duration_s
                ):
                    break
                pres.pump(50)
        pres.finish()
        if validate_last and pres.alive:
            stop["flag"] = False  # the Ctrl+C that ended the tasks; another one ends this
            run_validation(pres, args.validation_points, stop=lambda: stop["flag"])
        elif validate_last:
            log("warning: the browser was closed: no validation targets after the last task")
    finally:
        signal.signal(signal.SIGINT, old_int)
        signal.signal(signal.SIGTERM, old_term)
        pres.close()
        # outlets deliver asynchronously: give the recorder a moment before they close
        if markers_out.have_consumers() or scroll_out.have_consumers():
            time.sleep(0.5)
        if server is not None:
            server.close()

    shown = [sc for sc in dict.fromkeys(pres.tracker.seen_screens)]
    never = [ps.screen.id for ps in plan if ps.screen.id not in shown]
    print(
        f"gazemap present: {args.participant}: {len(pres.stats.markers)} markers, "
        f"{len(pres.stats.scroll)} scroll samples, {len(pres.stats.clicks)} clicks; screens shown: "
        f"{', '.join(shown) or 'none'}"
        + (f"; never shown: {', '.join(never)}" if never else "")
        + (
            "; given up: "
            + ", ".join(f"task {g['task']} ({g['touchpoint']})" for g in pres.stats.give_ups)
            if pres.stats.give_ups
            else ""
        )
        + (f"; screenshots in {args.screenshots}" if args.screenshots else "")
    )
    if pres.problems:
        n = len(pres.problems)
        raise ProtocolError(
            f"{n} problem{'s' if n > 1 else ''}: " + " | ".join(p.message for p in pres.problems)
        )
    return 0
