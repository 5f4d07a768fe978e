"""Simulated tracker: publishes a simulated participant as live LSL streams.

``gazemap stream simulated`` runs gazemap.simulation.simulate_session and publishes its
samples in real time, exactly as a tracker driver and a stimulus program would: a canonical
``Gaze`` stream (gazemap.acquisition.lsl.make_gaze_outlet, with channel labels, units, eyes
and the screen in its description) and, with ``--protocol`` (the simulated participant does
the journey's tasks on simulated pages), a ``Markers`` stream (``touchpoint/<id>/start`` ...)
and a ``Scroll`` stream. Without a protocol it is a tracker only (free viewing): a tracker
has no page, so it publishes no Markers or Scroll that could be mistaken for those of the
stimulus program (``gazemap present``) running beside it. Samples are pushed in chunks as
the wall clock advances; their LSL timestamps are the stream start plus the simulated
sample time, so the recorded timestamps are those of the simulation.

By default the driver waits until a recorder is connected before the simulated session
starts (``--no-wait`` starts at once), so that its first markers are not lost. With
``--protocol`` the participant does the journey's tasks and the driver ends after it (or
after ``--duration-s``); without a protocol it free-views until ``--duration-s`` or Ctrl-C.
``--fail TOUCHPOINT``, ``--fail-rate P`` and ``--after-fail continue|abandon`` make the
participant fail tasks exactly as ``gazemap simulate`` does (the same options, checks and
messages: gazemap.cli._common.add_fail_arguments); the ``task/<n>/fail`` marker is
published at its simulated time like every other marker.
``--validation-points 5|9``: the participant first looks at that many validation targets,
published as ``validation/<x>,<y>/start|end`` markers (on a Markers stream also without a
protocol), so that ``gazemap analyze`` reports the accuracy (≈ ``--accuracy-deg``).
``--truth PATH`` writes the ground truth (per-sample labels, true fixations and saccades,
markers) on the LSL clock to an HDF5 file (format in docs/recording.md).
"""

from __future__ import annotations

import argparse
import json
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from gazemap.cli._common import DEFAULT_SCREEN as DEFAULT_SCREEN_FIELDS
from gazemap.cli._common import (
    add_fail_arguments,
    add_screen_arguments,
    add_validation_points_argument,
    fail_options,
    fail_summary,
    protocol_screen,
    screen_from_args,
)
from gazemap.errors import InputError
from gazemap.types import GAZE_CHANNEL_LABELS, ScreenGeometry

DESCRIPTION = (
    "simulated tracker: realistic gaze; with --protocol also the journey's markers and "
    "scroll (no hardware needed)"
)

#: a 24" 1080p monitor at 65 cm, as the recorder's default
DEFAULT_SCREEN = ScreenGeometry(**DEFAULT_SCREEN_FIELDS)  # type: ignore[arg-type]
#: physical pixel pitch for a screen given in px only (as `gazemap simulate` assumes)
DEFAULT_PIXEL_MM = 0.3
#: length of each free-viewing segment when running until Ctrl-C, s
SEGMENT_S = 60.0
#: how often samples are pushed, s
PUSH_INTERVAL_S = 0.005
#: time the outlets stay open after the last sample so recorders receive it, s
LINGER_S = 1.0

TRUTH_FORMAT = "gazemap-truth"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``gazemap stream simulated``."""
    parser.add_argument("--rate-hz", type=float, default=1000.0, help="sample rate (default 1000)")
    parser.add_argument(
        "--duration-s",
        type=float,
        default=None,
        help="session length; default: the protocol's journey, or until Ctrl-C without one",
    )
    parser.add_argument(
        "--protocol",
        default=None,
        help="study protocol YAML: do its tasks and publish their Markers and Scroll too "
        "(without it: Gaze only, free viewing, e.g. beside `gazemap present`)",
    )
    parser.add_argument("--participant", default="P01", help="participant id (default P01)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--truth", default=None, help="write the ground truth to this HDF5 file (.h5)"
    )
    parser.add_argument(
        "--source-id",
        default=None,
        help="LSL source id of the Gaze stream (Markers/Scroll, with --protocol, get "
        "-markers/-scroll); "
        "default gazemap-sim-<host>-<participant>",
    )
    parser.add_argument("--name", default="gazemap-sim", help="stream name prefix")
    parser.add_argument("--precision-deg", type=float, default=0.3, help="RMS-S2S noise")
    parser.add_argument("--accuracy-deg", type=float, default=0.5, help="tracker offset")
    parser.add_argument(
        "--data-loss", type=float, default=0.02, help="share of time with tracking loss"
    )
    add_fail_arguments(parser)  # the same options as `gazemap simulate`
    add_validation_points_argument(
        parser,
        "first look at N validation targets (0, 5 or 9; default 0), published as "
        "validation/<x>,<y>/start|end markers (a Markers stream even without --protocol): "
        "the analysis then reports accuracy",
    )
    add_screen_arguments(
        parser,
        {
            **DEFAULT_SCREEN_FIELDS,
            "width_mm": f"531 mm at 1920 x 1080 px, else width px x {DEFAULT_PIXEL_MM} mm",
            "height_mm": f"299 mm at 1920 x 1080 px, else height px x {DEFAULT_PIXEL_MM} mm",
        },
        source={"width_px": "the protocol's screen", "height_px": "the protocol's screen"},
    )
    parser.add_argument(
        "--no-wait",
        action="store_true",
        help="start at once instead of waiting for a recorder to connect",
    )
    parser.add_argument(
        "--wait-s",
        type=float,
        default=None,
        help="give up waiting for a recorder after this long (default: wait until Ctrl-C)",
    )


def gaze_matrix(gaze: Any) -> np.ndarray:
    """(n, 9) float32 rows in GAZE_CHANNELS order; absent channels are NaN."""
    n = len(gaze)
    out = np.full((n, len(GAZE_CHANNEL_LABELS)), np.nan, dtype=np.float32)
    for j, label in enumerate(GAZE_CHANNEL_LABELS):
        col = getattr(gaze, label, None)
        if col is not None:
            out[:, j] = col
    return out


def scroll_matrix(scroll: Any) -> np.ndarray:
    cols = ("scroll_x_px", "scroll_y_px", "viewport_x_px", "viewport_y_px")
    return np.column_stack([np.asarray(getattr(scroll, c), dtype=np.float32) for c in cols])


def _screen(args: argparse.Namespace, protocol: Any) -> ScreenGeometry:
    """The published screen: options, the protocol's px, else the default monitor.

    A screen whose px come from the options or the protocol but whose mm do not gets
    px x 0.3 mm (as `gazemap simulate`), not the default monitor's 531 x 299 mm: a phone
    protocol's 390 x 844 px with those mm had pixels 3.8 times as wide as tall, and the
    README's 1440 x 900 web study pixels 11 % wider than tall.
    """
    base = screen_from_args(args, protocol_screen(protocol), DEFAULT_SCREEN)
    if (base.width_px, base.height_px) == (DEFAULT_SCREEN.width_px, DEFAULT_SCREEN.height_px):
        return base
    return screen_from_args(
        args,
        protocol_screen(protocol),
        {"width_px": base.width_px, "height_px": base.height_px},
        {"distance_mm": DEFAULT_SCREEN.distance_mm},
        mm_per_px=DEFAULT_PIXEL_MM,
    )


def write_truth(session: Any, path: str | Path, time_origin_s: float) -> None:
    """Write a simulated session's ground truth, times on the LSL clock, to HDF5.

    Layout: root attributes ``format="gazemap-truth"``, ``format_version``, participant,
    seed, rate_hz, protocol, params (JSON), time_origin_s and the screen; groups
    ``samples`` (time_s, label int8 gazemap.types.Label), ``fixations`` (start_s, end_s,
    x_px, y_px, x_deg, y_deg, dispersion_deg, aoi, screen, touchpoint, page_x_px,
    page_y_px, scrolling), ``saccades`` (start_s, end_s, start/end x/y px, amplitude_deg,
    peak_velocity_deg_s), ``markers`` (time_s, value) and ``scroll`` (time_s + channels).
    """
    import h5py

    str_dt = h5py.string_dtype("utf-8")
    p = Path(path)
    if not p.parent.exists():
        raise InputError(f"--truth {p}: folder {p.parent} does not exist. Create it first.")
    try:
        f = h5py.File(p, "w")
    except OSError as exc:
        raise InputError(f"--truth {p}: cannot create it ({exc}). Check the path.") from exc
    with f:
        a = f.attrs
        a["format"] = TRUTH_FORMAT
        a["format_version"] = 1
        a["participant"] = session.participant
        a["seed"] = int(session.seed)
        a["rate_hz"] = float(session.rate_hz)
        a["protocol"] = session.protocol_id
        a["params"] = json.dumps(session.params)
        a["time_origin_s"] = float(time_origin_s)
        for k in ("width_px", "height_px", "width_mm", "height_mm", "distance_mm"):
            a[f"screen_{k}"] = getattr(session.screen, k)
        g = f.create_group("samples")
        g["time_s"] = session.gaze.time_s + time_origin_s
        g["label"] = np.asarray(session.truth_labels, dtype=np.int8)
        fx = f.create_group("fixations")
        fix = session.truth_fixations
        for name in ("start_s", "end_s"):
            fx[name] = getattr(fix, name) + time_origin_s
        for name in ("x_px", "y_px", "x_deg", "y_deg", "dispersion_deg"):
            fx[name] = getattr(fix, name)
        for name, arr in (
            ("aoi", session.truth_aoi),
            ("screen", session.truth_screen),
            ("touchpoint", session.truth_touchpoint),
        ):
            fx.create_dataset(name, data=[str(x) for x in arr], dtype=str_dt)
        fx["page_x_px"] = session.truth_page_x_px
        fx["page_y_px"] = session.truth_page_y_px
        fx["scrolling"] = np.asarray(session.truth_scrolling, dtype=bool)
        sc = f.create_group("saccades")
        sac = session.truth_saccades
        for name in ("start_s", "end_s"):
            sc[name] = getattr(sac, name) + time_origin_s
        for name in (
            "start_x_px",
            "start_y_px",
            "end_x_px",
            "end_y_px",
            "amplitude_deg",
            "peak_velocity_deg_s",
        ):
            sc[name] = getattr(sac, name)
        m = f.create_group("markers")
        m["time_s"] = session.markers.time_s + time_origin_s
        m.create_dataset("value", data=[str(v) for v in session.markers.value], dtype=str_dt)
        s = f.create_group("scroll")
        s["time_s"] = session.scroll.time_s + time_origin_s
        for name in ("scroll_x_px", "scroll_y_px", "viewport_x_px", "viewport_y_px"):
            s[name] = getattr(session.scroll, name)


class _Stop:
    """Set by SIGINT/SIGTERM; the publishing loop checks it."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.reason = ""

    def __call__(self, signum: int, frame: object) -> None:
        self.reason = signal.Signals(signum).name
        self.event.set()


def _segments(args: argparse.Namespace, protocol: Any, screen: ScreenGeometry) -> Iterator[Any]:
    """Simulated sessions to publish back to back (one, or endless free viewing)."""
    from gazemap.simulation import simulate_session

    # --fail/--fail-rate/--after-fail: checked by the first simulate_session call (before
    # any outlet exists); without a protocol they are an error there
    common = {
        **fail_options(args, protocol),
        "participant": args.participant,
        "screen": screen,
        "rate_hz": args.rate_hz,
        "precision_deg": args.precision_deg,
        "accuracy_offset_deg": args.accuracy_deg,
        "data_loss_rate": args.data_loss,
    }
    validation = {"validation_points": args.validation_points}  # the first segment only
    finite = args.duration_s is not None or protocol is not None
    if finite:
        yield simulate_session(
            protocol, seed=args.seed, duration_s=args.duration_s, **common, **validation
        )
        return
    k = 0
    start = 0.0
    position: tuple[float, float] | None = None
    while True:
        seg = simulate_session(
            None,
            seed=args.seed + k,
            duration_s=SEGMENT_S,
            start_time_s=start,
            start_position_px=position,
            **common,
            **(validation if k == 0 else {}),
        )
        yield seg
        start = float(seg.gaze.time_s[-1]) + 1.0 / args.rate_hz
        fix = seg.truth_fixations
        # the next segment goes on from where the eye was (no jump between segments)
        position = (float(fix.x_px[-1]), float(fix.y_px[-1])) if len(fix) else None
        k += 1


def _wait_for_recorder(outlets: list[Any], stop: _Stop, wait_s: float | None, say: Any) -> bool:
    """Wait until the Gaze outlet has a consumer (then briefly for the others)."""
    say("waiting for a recorder to connect (start `gazemap record`; --no-wait starts at once)")
    deadline = None if wait_s is None else time.monotonic() + wait_s
    while not stop.event.is_set():
        if outlets[0].wait_for_consumers(0.2):
            break
        if deadline is not None and time.monotonic() > deadline:
            return False
    else:
        return False
    # the recorder opens the other inlets right after the first one
    t_end = time.monotonic() + 3.0
    for o in outlets[1:]:
        if o is not None:
            o.wait_for_consumers(max(0.0, t_end - time.monotonic()))
    return True


def run(args: argparse.Namespace) -> int:
    """Publish the simulated session(s); returns 0 when done or stopped with Ctrl-C."""
    from gazemap.acquisition import lsl

    if args.rate_hz is None or not np.isfinite(args.rate_hz) or args.rate_hz <= 0:
        raise InputError(f"--rate-hz must be > 0, got {args.rate_hz!r}.")
    if args.duration_s is not None and (not np.isfinite(args.duration_s) or args.duration_s <= 0):
        raise InputError(f"--duration-s must be > 0, got {args.duration_s!r}.")
    protocol = None
    if args.protocol is not None:
        from gazemap.protocol import load_protocol

        protocol = load_protocol(args.protocol)
    if args.truth is not None and args.duration_s is None and protocol is None:
        raise InputError(
            "--truth needs a session of finite length: add --duration-s or --protocol."
        )
    screen = _screen(args, protocol)
    source_id = args.source_id or f"gazemap-sim-{socket.gethostname()}-{args.participant}"

    def say(text: str) -> None:
        print(f"gazemap stream simulated: {text}", file=sys.stderr, flush=True)

    segments = _segments(args, protocol, screen)
    first = next(segments)  # validate the options before any outlet exists
    gaze_out = lsl.make_gaze_outlet(
        f"{args.name} Gaze", source_id, args.rate_hz, screen, model="simulated"
    )
    outlets: list[Any] = [gaze_out, None, None]
    if protocol is not None or args.validation_points:
        # only a simulated participant doing tasks has pages (and so markers and scroll);
        # validation targets are markers too (a tracker's own validation routine)
        outlets[1] = lsl.make_marker_outlet(f"{args.name} Markers", f"{source_id}-markers")
    if protocol is not None:
        outlets[2] = lsl.make_scroll_outlet(f"{args.name} Scroll", f"{source_id}-scroll")
    kinds = "Gaze/Markers/Scroll" if protocol is not None else "Gaze (free viewing)"
    if args.validation_points:
        kinds = kinds.replace("Gaze (", "Gaze/Markers (")
        kinds += f", {args.validation_points} validation targets first"
    say(
        f"publishing {kinds} as {args.name!r} (source_id {source_id}), "
        f"{args.rate_hz:g} Hz, participant {args.participant}"
        + (f", protocol {protocol.id}" if protocol is not None else "")
        + _fail_plan(first)
    )
    stop = _Stop()
    handlers = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    sent = {"gaze": 0, "markers": 0, "scroll": 0}
    try:
        if not args.no_wait and not _wait_for_recorder(outlets, stop, args.wait_s, say):
            if stop.event.is_set():
                say(f"stopped ({stop.reason}) before a recorder connected")
                return 0
            say(f"no recorder connected within {args.wait_s:g} s; starting anyway")
        t0 = lsl.local_clock() + 0.05
        if args.truth is not None:
            write_truth(first, args.truth, t0)
            say(f"ground truth written to {args.truth}")
        say("session started" + (f" at LSL time {t0:.3f}" if args.truth else ""))
        seg: Any = first
        while seg is not None and not stop.event.is_set():
            _publish(seg, t0, outlets, sent, stop)
            seg = next(segments, None)
        if not stop.event.is_set():
            # keep the outlets open a moment so that recorders receive the last chunk
            stop.event.wait(LINGER_S)
    finally:
        for s, h in handlers.items():
            signal.signal(s, h)
    why = f"stopped ({stop.reason})" if stop.reason else "done"
    say(
        f"{why}: sent {sent['gaze']} gaze samples, {sent['markers']} markers, {sent['scroll']} scroll samples"
        + ("" if stop.reason else fail_summary(first.failed_touchpoints, _after_fail(first)))
    )
    return 0


def _after_fail(session: Any) -> str:
    """The session's ``after_fail`` (``continue`` when it failed nothing on purpose)."""
    return str(session.params.get("after_fail", "continue"))


def _fail_plan(session: Any) -> str:
    """``", fails search and abandons the journey"``: the tasks the simulated participant
    will fail (``""``: none)."""
    failed = session.failed_touchpoints
    if not failed:
        return ""
    abandon = " and abandons the journey" if _after_fail(session) == "abandon" else ""
    return f", fails {', '.join(failed)}{abandon}"


def _publish(seg: Any, t0: float, outlets: list[Any], sent: dict[str, int], stop: _Stop) -> None:
    """Push one simulated session in real time (timestamps t0 + sample time)."""
    from gazemap.acquisition.lsl import local_clock

    gaze_out, mark_out, scroll_out = outlets
    g_t = seg.gaze.time_s + t0
    g_v = gaze_matrix(seg.gaze)
    m_t = seg.markers.time_s + t0
    m_v = [str(v) for v in seg.markers.value]
    s_t = seg.scroll.time_s + t0
    s_v = scroll_matrix(seg.scroll)
    if mark_out is None:  # Gaze only (no protocol): nothing to publish on the page streams
        m_t, m_v = m_t[:0], []
    if scroll_out is None:
        s_t, s_v = s_t[:0], s_v[:0]
    ig = im = isc = 0
    end = float(g_t[-1]) if len(g_t) else t0
    while not stop.event.is_set():
        now = local_clock()
        jg = int(np.searchsorted(g_t, now, side="right"))
        if jg > ig:
            gaze_out.push_chunk(g_v[ig:jg], timestamp=g_t[ig:jg].tolist())
            sent["gaze"] += jg - ig
            ig = jg
        jm = int(np.searchsorted(m_t, now, side="right"))
        for k in range(im, jm):
            mark_out.push_sample([m_v[k]], float(m_t[k]))
        sent["markers"] += jm - im
        im = jm
        js = int(np.searchsorted(s_t, now, side="right"))
        if js > isc:
            scroll_out.push_chunk(s_v[isc:js], timestamp=s_t[isc:js].tolist())
            sent["scroll"] += js - isc
            isc = js
        if ig >= len(g_t) and im >= len(m_t) and isc >= len(s_t):
            return
        if now > end + 1.0:
            return
        stop.event.wait(PUSH_INTERVAL_S)
