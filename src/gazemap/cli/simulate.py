"""``gazemap simulate`` (a simulated session straight into a session file) and
``gazemap protocol check|new`` (validate a study protocol, write a template)."""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import os
import socket
import sys
from pathlib import Path

import numpy as np

from gazemap.cli._common import (
    add_fail_arguments,
    add_screen_arguments,
    add_validation_points_argument,
    fail_options,
    fail_summary,
    plural,
    protocol_screen,
    refuse_existing,
    screen_from_args,
)
from gazemap.errors import InputError
from gazemap.store.writer import check_free_space, write_failure
from gazemap.types import GAZE_CHANNELS, SCROLL_CHANNELS, ScreenGeometry

#: default physical pixel pitch when the screen size in mm is not given (a 20" 16:10 monitor
#: has 1440 x 900 px of ~0.3 mm)
DEFAULT_PIXEL_MM = 0.3
DEFAULT_DISTANCE_MM = 650.0
DEFAULT_SCREEN_PX = (1440, 900)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "simulate",
        help="simulate a participant and write a complete session file (and ground truth)",
        description="Simulate one participant (realistic binocular gaze, blinks, noise, "
        "tracker offset; with --protocol doing the journey's tasks with markers, scrolling and "
        "clicks) and write a session file as a recorder would (streams gaze, markers, scroll). "
        "Deterministic for --participant and --seed. See docs/simulator.md.",
    )
    p.add_argument(
        "--protocol", metavar="FILE", default=None, help="study protocol YAML (omit: free viewing)"
    )
    p.add_argument(
        "--participant", metavar="ID", default="P01", help="participant id (default P01)"
    )
    p.add_argument("--seed", type=int, default=0, metavar="N", help="random seed (default 0)")
    p.add_argument("--out", metavar="FILE.h5", required=True, help="session file to write")
    p.add_argument(
        "--rate-hz", type=float, default=1000.0, metavar="HZ", help="sample rate (default 1000)"
    )
    p.add_argument(
        "--duration-s",
        type=float,
        default=None,
        metavar="S",
        help="session length (default: the journey's own length; 60 s without a protocol)",
    )
    p.add_argument(
        "--truth",
        metavar="PREFIX",
        default=None,
        help="also write ground truth: PREFIX.labels.csv, PREFIX.fixations.csv, PREFIX.saccades.csv",
    )
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    p.add_argument(
        "--precision-deg",
        type=float,
        default=0.3,
        metavar="DEG",
        help="RMS-S2S noise (default 0.3)",
    )
    p.add_argument(
        "--accuracy-deg",
        type=float,
        default=0.5,
        metavar="DEG",
        help="tracker offset (default 0.5)",
    )
    p.add_argument(
        "--data-loss",
        type=float,
        default=0.02,
        metavar="SHARE",
        help="share of time lost besides blinks (default 0.02)",
    )
    p.add_argument(
        "--start-time-s",
        type=float,
        default=0.0,
        metavar="S",
        help="time of the first sample (default 0)",
    )
    add_validation_points_argument(
        p,
        "before the tasks, look at N validation targets (0, 5 or 9; default 0): "
        "the analysis then reports accuracy",
    )
    add_fail_arguments(p)
    add_screen_arguments(
        p,
        {
            "width_px": DEFAULT_SCREEN_PX[0],
            "height_px": DEFAULT_SCREEN_PX[1],
            "width_mm": f"width px x {DEFAULT_PIXEL_MM} mm",
            "height_mm": f"height px x {DEFAULT_PIXEL_MM} mm",
            "distance_mm": DEFAULT_DISTANCE_MM,
        },
        source={"width_px": "the protocol's screen", "height_px": "the protocol's screen"},
        values={"distance_mm": DEFAULT_DISTANCE_MM},
    )
    p.set_defaults(func=_simulate)

    q = sub.add_parser(
        "protocol",
        help="check a study protocol, or write a commented template",
        description="Study protocols (docs/protocols.md): `check FILE` validates and lists every "
        "problem; `new` writes a commented template.",
    )
    qsub = q.add_subparsers(dest="protocol_command", metavar="ACTION")
    c = qsub.add_parser("check", help="validate a protocol file; exit 2 with every problem listed")
    c.add_argument("file", metavar="FILE")
    c.set_defaults(func=_protocol_check)
    n = qsub.add_parser("new", help="write a commented protocol template (stdout, or --out FILE)")
    n.add_argument("--out", metavar="FILE", default=None)
    n.add_argument("--force", action="store_true", help="overwrite an existing FILE")
    n.set_defaults(func=_protocol_new)
    q.set_defaults(func=lambda args: _protocol_help(q))


def _protocol_help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _protocol_check(args: argparse.Namespace) -> int:
    from collections import Counter

    from gazemap.protocol import load_protocol

    proto = load_protocol(args.file)
    screens = list(proto.screens.values())
    aois = [a for sc in screens for a in sc.aois]
    roles = Counter(a.role for a in aois)
    role_text = ", ".join(f"{k} {roles[k]}" for k in sorted(roles))
    n_success = sum(1 for tp in proto.touchpoints if tp.success is not None)
    print(
        f"OK {args.file}: protocol {proto.id!r} ({proto.name}): "
        f"{plural(len(proto.stages), 'stage')}, {plural(len(proto.touchpoints), 'touchpoint')}, "
        f"{plural(len(screens), 'screen')}, {plural(len(aois), 'AOI')} "
        f"({role_text}); task success defined for {n_success} of {len(proto.touchpoints)} "
        "touchpoints"
    )
    from gazemap.batch import protocol_screenshot_notes

    for note in protocol_screenshot_notes(proto):
        print(f"gazemap protocol: warning: {args.file}: {note}", file=sys.stderr)
    return 0


def _protocol_new(args: argparse.Namespace) -> int:
    from gazemap.protocol import protocol_template

    text = protocol_template()
    if args.out is None:
        sys.stdout.write(text)
        return 0
    out = Path(args.out)
    refuse_existing(out, args.force, hint="Choose another --out")
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out}; edit it, then run: gazemap protocol check {out}")
    return 0


def _screen(args: argparse.Namespace, protocol: object | None) -> ScreenGeometry:
    return screen_from_args(
        args,
        protocol_screen(protocol),
        {"width_px": DEFAULT_SCREEN_PX[0], "height_px": DEFAULT_SCREEN_PX[1]},
        mm_per_px=DEFAULT_PIXEL_MM,
    )


def truth_paths(prefix: str | Path) -> dict[str, Path]:
    """The ground-truth files written for ``--truth PREFIX``."""
    p = str(prefix)
    return {k: Path(f"{p}.{k}.csv") for k in ("labels", "fixations", "saccades")}


def _simulate(args: argparse.Namespace) -> int:
    from gazemap.protocol import load_protocol
    from gazemap.simulation import simulate_session

    protocol = load_protocol(args.protocol) if args.protocol else None
    screen = _screen(args, protocol)
    out = Path(args.out)
    truth = truth_paths(args.truth) if args.truth else {}
    for path in [out, *truth.values()]:
        refuse_existing(path, args.force)
    sim = simulate_session(
        protocol,
        participant=args.participant,
        seed=args.seed,
        screen=screen,
        rate_hz=args.rate_hz,
        duration_s=args.duration_s,
        precision_deg=args.precision_deg,
        accuracy_offset_deg=args.accuracy_deg,
        data_loss_rate=args.data_loss,
        start_time_s=args.start_time_s,
        validation_points=args.validation_points,
        **fail_options(args, protocol),
    )
    # written beside under a temporary name and renamed when complete: a full disk or a
    # crash part-way leaves no half session file behind
    tmp = out.with_name(f".{out.name}.{os.getpid()}.partial")
    # uncompressed size: 9 float32 channels + 2 float64 times per sample, markers, scroll
    need = 52 * len(sim.gaze) + 200 * len(sim.markers) + 40 * len(sim.scroll.time_s)
    if truth:
        need += 40 * len(sim.gaze) + 120 * len(sim.truth_fixations)
    check_free_space(out, need, f"a session of {len(sim.gaze)} samples")
    try:
        write_session(sim, tmp, force=True)
        os.replace(tmp, out)
        for kind, path in truth.items():
            write_truth(sim, kind, path)
    except OSError as exc:
        raise InputError(f"cannot write {out}: {write_failure(exc)}") from None
    finally:
        if tmp.exists():
            tmp.unlink()
    lost = float(np.mean(~np.isfinite(sim.gaze.x_px)))
    print(
        f"wrote {out}: participant {sim.participant}, {sim.duration_s:.1f} s, {len(sim.gaze)} samples at "
        f"{sim.rate_hz:g} Hz, {len(sim.markers)} markers, {len(sim.truth_fixations)} true fixations, "
        f"invalid samples {lost:.1%}"
        + fail_summary(sim.failed_touchpoints, args.after_fail)
        + (f"; truth {args.truth}.*.csv" if truth else "")
    )
    return 0


def _lsl_xml(info, screen=None) -> str:  # type: ignore[no-untyped-def]
    """The LSL stream description (liblsl's XML layout, channel metadata as gazemap's
    outlets describe them) that a recorder would have stored for this stream."""
    import xml.etree.ElementTree as ET

    from gazemap import __version__

    root = ET.Element("info")
    for tag, value in (
        ("name", info.name),
        ("type", info.type),
        ("channel_count", str(len(info.channel_labels))),
        ("channel_format", info.channel_format),
        ("source_id", info.source_id),
        ("nominal_srate", f"{info.nominal_srate:.15f}"),
        ("hostname", info.hostname),
    ):
        ET.SubElement(root, tag).text = value
    desc = ET.SubElement(root, "desc")
    chns = ET.SubElement(desc, "channels")
    eyes = {c[0]: c[2] for c in GAZE_CHANNELS}
    for label, unit in zip(info.channel_labels, info.channel_units, strict=True):
        ch = ET.SubElement(chns, "channel")
        ET.SubElement(ch, "label").text = label
        ET.SubElement(ch, "unit").text = unit
        if info.type == "Gaze":
            ET.SubElement(ch, "eye").text = eyes.get(label, "")
            ET.SubElement(ch, "type").text = "Flags" if label == "validity" else "Gaze"
    acq = ET.SubElement(desc, "acquisition")
    ET.SubElement(acq, "software").text = f"gazemap {__version__}"
    ET.SubElement(acq, "manufacturer").text = "gazemap"
    ET.SubElement(acq, "model").text = "simulated"
    if screen is not None:
        sc = ET.SubElement(desc, "screen")
        for key in ("width_px", "height_px", "width_mm", "height_mm", "distance_mm"):
            ET.SubElement(sc, key).text = repr(getattr(screen, key))
    return '<?xml version="1.0"?>\n' + ET.tostring(root, encoding="unicode")


def write_session(sim, path: Path, *, force: bool = False) -> None:  # type: ignore[no-untyped-def]
    """Write a SimulatedSession as a gazemap session file (gzip-compressed channels)."""
    from gazemap.store import SessionWriter, StreamInfo

    host = socket.gethostname()
    src = f"gazemap-sim-{sim.participant}-{sim.seed}"
    g = sim.gaze
    infos = {
        "gaze": StreamInfo(
            name="gazemap simulated gaze",
            type="Gaze",
            channel_labels=tuple(c[0] for c in GAZE_CHANNELS),
            channel_units=tuple(c[1] for c in GAZE_CHANNELS),
            channel_format="float32",
            nominal_srate=sim.rate_hz,
            source_id=src,
            hostname=host,
            extra={"manufacturer": "gazemap", "model": "simulated"},
        ),
        "markers": StreamInfo(
            name="gazemap simulated markers",
            type="Markers",
            channel_labels=("marker",),
            channel_units=("text",),
            channel_format="string",
            nominal_srate=0.0,
            source_id=src + "-markers",
            hostname=host,
        ),
        "scroll": StreamInfo(
            name="gazemap simulated scroll",
            type="Scroll",
            channel_labels=tuple(c[0] for c in SCROLL_CHANNELS),
            channel_units=tuple(c[1] for c in SCROLL_CHANNELS),
            channel_format="float32",
            nominal_srate=0.0,
            source_id=src + "-scroll",
            hostname=host,
        ),
    }
    infos = {
        k: dataclasses.replace(v, xml=_lsl_xml(v, sim.screen if k == "gaze" else None))
        for k, v in infos.items()
    }
    with SessionWriter(
        path,
        participant=sim.participant,
        protocol=sim.protocol_id,
        session_id=f"sim-{sim.participant}-seed{sim.seed}",
        screen=sim.screen,
        force=force,
        compression="gzip",
    ) as w:
        for name, info in infos.items():
            w.add_stream(name, info)
        data = np.column_stack([getattr(g, c[0]) for c in GAZE_CHANNELS]).astype(np.float64)
        # stored at 1/64 px and 1/256 mm: finer float32 bits are noise that gzip cannot pack
        data[:, :6] = np.round(data[:, :6] * 64.0) / 64.0
        data[:, 6:8] = np.round(data[:, 6:8] * 256.0) / 256.0
        w.append("gaze", g.time_s, data)
        w.append("markers", sim.markers.time_s, list(sim.markers.value))
        s = sim.scroll
        w.append(
            "scroll",
            s.time_s,
            np.column_stack([s.scroll_x_px, s.scroll_y_px, s.viewport_x_px, s.viewport_y_px]),
        )
        # the simulated streams share one clock: offsets are 0, measured every 5 s as a recorder does
        t0, t1 = float(g.time_s[0]), float(g.time_s[-1])
        ticks = np.arange(t0, t1 + 1e-9, 5.0)
        for name in infos:
            w.add_clock_offsets(name, np.column_stack([ticks, np.zeros_like(ticks)]))
        w.set_attr("simulated", True)
        w.set_attr("simulation", json.dumps({"seed": sim.seed, **sim.params}, sort_keys=True))


def write_truth(sim, kind: str, path: Path) -> None:  # type: ignore[no-untyped-def]
    """Write one ground-truth CSV (docs/simulator.md describes the columns)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        wr = csv.writer(fh)
        if kind == "labels":
            wr.writerow(["time_s", "label"])
            fh.writelines(
                f"{t:.6f},{lab}\n"
                for t, lab in zip(sim.gaze.time_s.tolist(), sim.truth_labels.tolist(), strict=True)
            )
        elif kind == "fixations":
            f = sim.truth_fixations
            wr.writerow(
                [
                    "index", "start_s", "end_s", "duration_s", "x_px", "y_px", "x_deg", "y_deg",
                    "touchpoint_id", "screen_id", "aoi_id", "page_x_px", "page_y_px", "scrolling",
                ]
            )  # fmt: skip
            for i in range(len(f)):
                wr.writerow(
                    [
                        i, f"{f.start_s[i]:.6f}", f"{f.end_s[i]:.6f}", f"{f.end_s[i] - f.start_s[i]:.6f}",
                        f"{f.x_px[i]:.2f}", f"{f.y_px[i]:.2f}", f"{f.x_deg[i]:.4f}", f"{f.y_deg[i]:.4f}",
                        sim.truth_touchpoint[i], sim.truth_screen[i], sim.truth_aoi[i],
                        _num(sim.truth_page_x_px[i]), _num(sim.truth_page_y_px[i]), int(sim.truth_scrolling[i]),
                    ]
                )  # fmt: skip
        else:
            s = sim.truth_saccades
            wr.writerow(
                [
                    "index", "start_s", "end_s", "duration_s", "start_x_px", "start_y_px", "end_x_px",
                    "end_y_px", "amplitude_deg", "peak_velocity_deg_s",
                ]
            )  # fmt: skip
            for i in range(len(s)):
                wr.writerow(
                    [
                        i, f"{s.start_s[i]:.6f}", f"{s.end_s[i]:.6f}", f"{s.end_s[i] - s.start_s[i]:.6f}",
                        f"{s.start_x_px[i]:.2f}", f"{s.start_y_px[i]:.2f}", f"{s.end_x_px[i]:.2f}",
                        f"{s.end_y_px[i]:.2f}", f"{s.amplitude_deg[i]:.4f}", f"{s.peak_velocity_deg_s[i]:.2f}",
                    ]
                )  # fmt: skip


def _num(v: float) -> str:
    return "" if not np.isfinite(v) else f"{v:.2f}"
