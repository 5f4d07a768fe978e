"""Recording commands: stream, record, recover, mark, devices, info.

Thin: each parses its arguments and calls gazemap.acquisition / gazemap.store / a driver.
Drivers are imported only when ``gazemap stream <driver>`` runs, so a missing vendor SDK
never breaks the other commands.
"""

from __future__ import annotations

import argparse
import json
import math
import signal
import socket
import time
from pathlib import Path

from gazemap.cli._common import DEFAULT_SCREEN, add_screen_arguments, screen_options
from gazemap.drivers import DRIVERS


def register(sub: argparse._SubParsersAction) -> None:
    # -- stream ------------------------------------------------------------------------
    p = sub.add_parser(
        "stream",
        help="publish a tracker (or the simulator) as LSL streams",
        description="Publish a tracker as canonical LSL streams (Gaze, and Markers/Scroll "
        "where it has them). `gazemap stream DRIVER --help` lists the driver's options.",
    )
    p.add_argument("driver", choices=sorted(DRIVERS), help="driver: " + ", ".join(sorted(DRIVERS)))
    p.add_argument("driver_args", nargs=argparse.REMAINDER, help="the driver's options")
    p.set_defaults(func=_stream)

    # -- record ------------------------------------------------------------------------
    p = sub.add_parser(
        "record",
        help="record LSL streams (Gaze, Markers, Scroll) into an HDF5 session file",
        description="Find the LSL streams of type Gaze, Markers and Scroll (or those named "
        "with --stream) and record them into one crash-safe HDF5 session file until "
        "--duration-s, --stop-when-lost-s or Ctrl-C. Progress goes to stderr once a second.",
    )
    p.add_argument("--out", required=True, help="session file to write (FILE.h5)")
    p.add_argument("--duration-s", type=float, default=None, help="stop after this long")
    p.add_argument(
        "--stop-when-lost-s",
        type=float,
        default=None,
        metavar="S",
        help="stop when every recorded stream has been gone for S seconds (a driver that "
        "finished, e.g. the simulator at the end of its journey); default: wait for them",
    )
    p.add_argument("--participant", default="", help="participant id stored in the file")
    p.add_argument("--protocol", default="", help="study protocol id stored in the file")
    p.add_argument(
        "--wait-s",
        type=float,
        default=10.0,
        help="how long to look for streams before giving up (default 10)",
    )
    p.add_argument(
        "--stream",
        action="append",
        default=[],
        metavar="NAME",
        help="record streams whose name or source_id matches NAME (glob patterns allowed; "
        "repeat for several) instead of all Gaze/Markers/Scroll streams",
    )
    p.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    add_screen_arguments(p, DEFAULT_SCREEN, source="from the Gaze stream")
    p.add_argument("--stats-json", default=None, help="write the recording statistics (JSON) here")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=_record)

    # -- recover -----------------------------------------------------------------------
    p = sub.add_parser(
        "recover",
        help="rebuild a session file after a crash from its journal",
        description="Rebuild FILE.h5 from FILE.h5.journal, left by a recorder that was "
        "killed or hit a full disk. Restores everything up to the last complete record.",
    )
    p.add_argument("file", help="the session file the recorder was writing")
    p.add_argument(
        "--out", default=None, help="write the recovered file here instead (keeps the journal)"
    )
    p.set_defaults(func=_recover)

    # -- mark --------------------------------------------------------------------------
    p = sub.add_parser(
        "mark",
        help="send a marker (e.g. touchpoint/checkout/start) to the running recorder",
        description="Send TEXT on a Markers LSL stream, time-stamped when the command was "
        "started (not after its imports, ~0.5 s later), and wait until a recorder has picked "
        "the stream up so that the marker is not lost. Several TEXTs get the same time, e.g. "
        "a touchpoint's start and the screen it starts on.",
    )
    p.add_argument(
        "text",
        nargs="+",
        help="marker value(s): touchpoint/<id>/start, touchpoint/<id>/end, screen/<id>, "
        "task/<n>/fail (the participant gave up task n, the touchpoint's position in the "
        "journey: a failed task) or free text; several are sent in this order with one time",
    )
    p.add_argument(
        "--source-id",
        default=None,
        help="LSL source id of the marker stream (default gazemap-mark-<host>: all marks "
        "of this machine land in one stream of the recording)",
    )
    p.add_argument(
        "--name",
        default="gazemap-mark",  # acquisition.lsl.MARK_STREAM_NAME (not imported at start-up)
        help="LSL stream name (default gazemap-mark: the recorder expects such a stream to end "
        "after each mark; another name is recorded like any Markers stream)",
    )
    p.add_argument(
        "--wait-s", type=float, default=3.0, help="how long to wait for a recorder (default 3)"
    )
    p.set_defaults(func=_mark)

    # -- devices -----------------------------------------------------------------------
    p = sub.add_parser("devices", help="list the LSL streams visible now and the drivers")
    p.add_argument(
        "--wait-s", type=float, default=1.0, help="how long to look for streams (default 1)"
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_devices)

    # -- info --------------------------------------------------------------------------
    p = sub.add_parser(
        "info", help="summarise a session file: streams, samples, rates, gaps, data loss"
    )
    p.add_argument("file", help="session file (.h5)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_info)


def _stream(args: argparse.Namespace) -> int:
    from gazemap.drivers import load_driver

    module = load_driver(args.driver)
    dp = argparse.ArgumentParser(
        prog=f"gazemap stream {args.driver}", description=module.DESCRIPTION
    )
    module.add_arguments(dp)
    dargs = dp.parse_args(args.driver_args)
    # Ctrl-C and SIGTERM (`kill %1` in the README) end the driver's loop like --duration-s:
    # it closes its outlets and says what it published (it was "interrupted", exit 130, or
    # killed without a word). The simulator installs its own handlers inside run().
    from gazemap.drivers._common import STOP

    def _on_signal(signum: int, frame: object) -> None:
        if STOP.is_set():  # a second Ctrl-C: the driver is stuck, stop at once
            raise KeyboardInterrupt
        STOP.set()

    stops = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)  # SIGHUP: its terminal closed
    old = {s: signal.signal(s, _on_signal) for s in stops}
    try:
        return int(module.run(dargs) or 0)
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def _record(args: argparse.Namespace) -> int:
    from gazemap.acquisition.recorder import RecorderConfig, record_session
    from gazemap.errors import InputError

    if args.duration_s is not None and not args.duration_s > 0:
        raise InputError(f"--duration-s must be > 0, got {args.duration_s}.")
    if args.stop_when_lost_s is not None and not args.stop_when_lost_s > 0:
        raise InputError(f"--stop-when-lost-s must be > 0, got {args.stop_when_lost_s}.")
    if not args.wait_s >= 0:
        raise InputError(f"--wait-s must be >= 0, got {args.wait_s}.")
    if args.stats_json:
        # written when the recording ends: a bad path was a traceback after the session
        stats = Path(args.stats_json)
        if stats.is_dir():
            raise InputError(
                f"--stats-json {stats} is a folder; give a file name, e.g. {stats / 'stats.json'}."
            )
        if not stats.parent.exists():
            raise InputError(
                f"--stats-json {stats}: folder {stats.parent} does not exist. Create it first."
            )
    cfg = RecorderConfig(
        out=Path(args.out),
        duration_s=args.duration_s,
        stop_when_lost_s=args.stop_when_lost_s,
        participant=args.participant,
        protocol=args.protocol,
        wait_s=args.wait_s,
        streams=tuple(args.stream),
        force=args.force,
        **screen_options(args),
        progress=not args.quiet,
        stats_json=Path(args.stats_json) if args.stats_json else None,
    )
    _check_output(cfg.out, args.force)
    record_session(cfg)
    return 0


def _check_output(out: Path, force: bool) -> None:
    """Refuse bad --out paths before waiting for streams."""
    from gazemap.errors import InputError
    from gazemap.store.journal import journal_locked, journal_path
    from gazemap.store.writer import check_output_path

    if journal_locked(journal_path(out)):
        # a second recorder on the same file: its journal is no interrupted recording, and
        # neither `gazemap recover` nor --force may touch it while the first one records
        raise InputError(
            f"a running recorder (another `gazemap record`) is recording {out} right now (it holds "
            f"{journal_path(out)}). Give this recording another --out, or stop the other "
            "recorder first (Ctrl-C in its terminal)."
        )
    check_output_path(out, force)
    if journal_path(out).exists() and not out.exists() and not force:
        raise InputError(
            f"{journal_path(out)} exists: an earlier recording of {out} was interrupted. Run "
            f"`gazemap recover {out}` first, or pass --force to discard it."
        )
    _check_writable(out)


def _check_writable(out: Path) -> None:
    """A folder the recorder cannot write in (read-only disk, no permission) is refused now:
    it was found only once the streams were open, after up to --wait-s of waiting, with the
    tracker and the participant already started."""
    import os

    from gazemap.errors import SessionFileError
    from gazemap.store.journal import io_error_hint, journal_path

    probe = out.parent / f".{out.name}.gazemap-write-test-{os.getpid()}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise SessionFileError(
            f"cannot create {journal_path(out)}: {exc.strerror}; {io_error_hint(exc)}. "
            "Nothing was recorded."
        ) from exc
    os.close(fd)
    os.unlink(probe)


def _recover(args: argparse.Namespace) -> int:
    from gazemap.store.recover import recover_session

    report = recover_session(args.file, out=args.out)
    print("\n".join(report.lines()))
    return 0


def _mark(args: argparse.Namespace) -> int:
    from gazemap.acquisition import lsl
    from gazemap.errors import DeviceError, InputError

    texts = [args.text] if isinstance(args.text, str) else list(args.text)
    for k, text in enumerate(texts):
        if not text.strip():
            which = "the marker text" if len(texts) == 1 else f"marker text {k + 1}"
            raise InputError(f"{which} is empty; give e.g. touchpoint/checkout/start.")
    _check_wait_s(args.wait_s)
    # the moment the moderator marked: when the command started (gazemap.cli.main), not when
    # its imports were done (~0.5 s later) nor when a recorder connected
    started = getattr(args, "started_monotonic_s", None)
    late_s = max(0.0, time.monotonic() - started) if started is not None else 0.0
    t = lsl.local_clock() - late_s
    source_id = args.source_id or f"gazemap-mark-{socket.gethostname()}"
    outlet = lsl.make_marker_outlet(args.name, source_id)
    if not outlet.wait_for_consumers(args.wait_s):
        raise DeviceError(
            f"no recorder picked up the marker stream within {args.wait_s:g} s, so "
            f"{', '.join(repr(x) for x in texts)} {'was' if len(texts) == 1 else 'were'} not "
            "recorded. Is `gazemap record` running? If it records "
            f"only named streams (--stream), it needs --stream '{_mark_pattern(source_id)}' "
            "too (start the next recording with it). Otherwise raise --wait-s."
        )
    for text in texts:
        outlet.push_sample([text], t)
    # LSL has no acknowledgement and liblsl sends from its own thread: keep the outlet
    # (and its send queue) alive a moment so the sample reaches the recorder's socket
    time.sleep(0.5)
    shown = ", ".join(repr(x) for x in texts)
    print(f"marked {shown} at LSL time {t:.4f} (stream {args.name!r}, source_id {source_id})")
    return 0


def _mark_pattern(source_id: str) -> str:
    """The --stream pattern a recorder needs for this mark's stream."""
    host = f"gazemap-mark-{socket.gethostname()}"
    return "gazemap-mark-*" if source_id == host else source_id


def _check_wait_s(wait_s: float) -> None:
    """--wait-s of devices and mark: liblsl waits for ever on a negative time, and NaN or
    infinity returns at once, so only a finite number >= 0 means what it says."""
    from gazemap.errors import InputError

    if not (math.isfinite(wait_s) and wait_s >= 0):
        raise InputError(f"--wait-s must be a number of seconds >= 0, got {wait_s!r}.")


def _devices(args: argparse.Namespace) -> int:
    import importlib

    import pylsl

    from gazemap.acquisition import lsl

    _check_wait_s(args.wait_s)
    lsl.configure_liblsl()
    infos = pylsl.resolve_streams(wait_time=args.wait_s)
    streams = [
        {
            "name": i.name(),
            "type": i.type(),
            "source_id": i.source_id(),
            "channels": i.channel_count(),
            "nominal_srate_hz": i.nominal_srate(),
            "hostname": i.hostname(),
        }
        for i in sorted(infos, key=lambda i: (i.type(), i.name(), i.source_id()))
    ]
    drivers = []
    for name, module_name in sorted(DRIVERS.items()):
        try:
            desc = str(importlib.import_module(module_name).DESCRIPTION)
        except Exception as exc:  # noqa: BLE001 - a broken driver must not hide the others
            desc = f"(unavailable: {exc})"
        drivers.append({"name": name, "description": desc})
    if args.json:
        print(json.dumps({"streams": streams, "drivers": drivers}, indent=2))
        return 0
    print(f"LSL streams visible now ({len(streams)}):")
    for s in streams:
        rate = f"{s['nominal_srate_hz']:g} Hz" if s["nominal_srate_hz"] > 0 else "irregular"
        print(
            f"  {s['type']:<10} {s['name']!r:<28} source_id={s['source_id'] or '-'}  "
            f"{s['channels']} ch, {rate}, host {s['hostname']}"
        )
    if not streams:
        print("  none (start a driver: `gazemap stream simulated`)")
    print("drivers (`gazemap stream NAME`):")
    for d in drivers:
        print(f"  {d['name']:<12} {d['description']}")
    return 0


def _info(args: argparse.Namespace) -> int:
    from gazemap.store import open_session
    from gazemap.store.info import format_summary, summarize

    with open_session(args.file) as s:
        info = summarize(s)
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        print(format_summary(info))
    return 0


__all__ = ["register"]
