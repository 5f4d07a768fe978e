"""``gazemap stream lsl-relay --profile devices/X.yaml``: any LSL gaze stream → canonical gaze.

Trackers that already publish LSL (Pupil Labs Neon Companion, App-TobiiPro, Gazepoint's own
LSL script, …) use their own channel layouts and units. A device profile names the foreign
stream and maps its channels onto types.GAZE_CHANNELS; the relay resolves the stream, applies
the mapping to every chunk and re-publishes it as a canonical ``Gaze`` stream that
``gazemap record`` stores like any gazemap driver's. The same mapping is used by
``gazemap import xdf --profile`` for recorded foreign streams.

Profile keys (YAML)::

    driver: lsl-relay
    manufacturer: Tobii            # copied into the canonical stream's description
    model: App-TobiiPro
    match: {name: Tobii, type: Eyetracker}   # name, type, source_id (exact);
                                             # name_contains, source_id_contains
    clock: device      # lsl (default): foreign timestamps are LSL clock (+ time_correction);
                       # device: they are a device clock, mapped like the drivers' (ClockMapper)
    sample_rate_hz: 600
    channels:          # canonical label: {from: foreign label or 0-based index,
                       #   scale: number | width_px | height_px, offset: number, flip: bool}
      left_x_px: {from: left_x, scale: width_px}
      left_pupil_mm: {from: left_pupil}

``flip`` turns a bottom-left origin into top-left (``1 - v`` before scaling). ``x_px``/``y_px``
not mapped are the mean of the valid eyes. Validity: an eye whose mapped x or y is NaN is
invalid; ``validity: {from: CHANNEL, invalid_when: [0]}`` per eye (``left``/``right``) uses a
foreign flag channel instead.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gazemap.drivers import _common
from gazemap.drivers._common import ClockMapper, GazePublisher, StopCondition
from gazemap.errors import DeviceError, InputError
from gazemap.types import GAZE_CHANNEL_LABELS, ScreenGeometry, Validity

DESCRIPTION = "re-publish a foreign LSL gaze stream (Neon, App-TobiiPro, …) canonically using a device profile"
_IDX = {label: i for i, label in enumerate(GAZE_CHANNEL_LABELS)}
_SCALES = ("width_px", "height_px")
#: profile match keys → LSL (XPath 1.0) predicate over the stream's short info
_MATCH_KEYS = {
    "name": "name='{v}'",
    "type": "type='{v}'",
    "source_id": "source_id='{v}'",
    "name_contains": "contains(name,'{v}')",
    "source_id_contains": "contains(source_id,'{v}')",
}


@dataclass(frozen=True)
class ChannelMap:
    target: str
    source: str | int
    scale: float | str = 1.0
    offset: float = 0.0
    flip: bool = False


@dataclass(frozen=True)
class Mapping_:
    """A validated profile mapping."""

    channels: tuple[ChannelMap, ...]
    validity: dict[str, tuple[str | int, tuple[float, ...]]]
    match: dict[str, str]
    clock: str
    where: str

    def sources(self) -> list[str | int]:
        return [c.source for c in self.channels] + [v[0] for v in self.validity.values()]


def parse_mapping(profile: Mapping[str, Any], where: str = "device profile") -> Mapping_:
    """Validate a profile's ``channels``/``validity``/``match``/``clock``; InputError listing every problem."""
    problems: list[str] = []
    chans = profile.get("channels")
    out: list[ChannelMap] = []
    if not isinstance(chans, dict) or not chans:
        problems.append("'channels' must be a mapping of canonical labels to {from: …}")
        chans = {}
    for target, spec in chans.items():
        if target not in _IDX or target == "validity":
            problems.append(
                f"channels.{target}: not a canonical channel (one of {', '.join(GAZE_CHANNEL_LABELS[:-1])})"
            )
            continue
        if isinstance(spec, str | int):
            spec = {"from": spec}
        if not isinstance(spec, dict) or "from" not in spec:
            problems.append(f"channels.{target}: needs 'from: <foreign label or index>'")
            continue
        src = spec["from"]
        if not isinstance(src, str | int) or isinstance(src, bool):
            problems.append(f"channels.{target}.from: must be a label or an index, got {src!r}")
            continue
        scale = spec.get("scale", 1.0)
        if (
            not (
                isinstance(scale, int | float)
                and not isinstance(scale, bool)
                and math.isfinite(scale)
            )
            and scale not in _SCALES
        ):
            problems.append(
                f"channels.{target}.scale: must be a number, width_px or height_px, got {scale!r}"
            )
            continue
        offset = spec.get("offset", 0.0)
        if (
            not isinstance(offset, int | float)
            or isinstance(offset, bool)
            or not math.isfinite(offset)
        ):
            problems.append(f"channels.{target}.offset: must be a number, got {offset!r}")
            continue
        unknown = set(spec) - {"from", "scale", "offset", "flip"}
        if unknown:
            problems.append(
                f"channels.{target}: unknown key(s) {sorted(unknown)} (allowed: from, scale, offset, flip)"
            )
            continue
        out.append(
            ChannelMap(
                target,
                src,
                scale if isinstance(scale, str) else float(scale),
                float(offset),
                bool(spec.get("flip", False)),
            )
        )
    validity: dict[str, tuple[str | int, tuple[float, ...]]] = {}
    vspec = profile.get("validity") or {}
    if not isinstance(vspec, dict):
        problems.append("'validity' must map left/right to {from: …, invalid_when: […]}")
        vspec = {}
    for eye, spec in vspec.items():
        if eye not in ("left", "right") or not isinstance(spec, dict) or "from" not in spec:
            problems.append(
                f"validity.{eye}: expected left/right with {{from: …, invalid_when: […]}}"
            )
            continue
        bad = spec.get("invalid_when", [0])
        if not isinstance(bad, list) or not all(isinstance(b, int | float) for b in bad):
            problems.append(f"validity.{eye}.invalid_when: must be a list of numbers")
            continue
        validity[eye] = (spec["from"], tuple(float(b) for b in bad))
    match = profile.get("match") or {}
    if not isinstance(match, dict) or not match or set(match) - set(_MATCH_KEYS):
        problems.append(
            f"'match' must give {', '.join(_MATCH_KEYS)} of the foreign stream (at least one)"
        )
        match = {}
    clock = profile.get("clock", "lsl")
    if clock not in ("lsl", "device"):
        problems.append(f"'clock' must be lsl or device, got {clock!r}")
    if problems:
        raise InputError(
            f"{where}: " + "; ".join(problems) + ". See docs/drivers.md (LSL profiles)."
        )
    return Mapping_(tuple(out), validity, {k: str(v) for k, v in match.items()}, str(clock), where)


def resolve_indices(m: Mapping_, labels: Sequence[str]) -> dict[str | int, int]:
    """Column index of every source the mapping uses, for a stream with ``labels``."""
    idx: dict[str | int, int] = {}
    missing = []
    for src in m.sources():
        if isinstance(src, int):
            if not 0 <= src < len(labels):
                missing.append(str(src))
            idx[src] = src
        elif src in labels:
            idx[src] = list(labels).index(src)
        else:
            missing.append(repr(src))
    if missing:
        raise InputError(
            f"{m.where}: the stream has no channel(s) {', '.join(missing)}; its channels are "
            f"{list(labels)}. Fix 'from:' in the profile."
        )
    return idx


def apply_mapping(
    m: Mapping_, idx: Mapping[str | int, int], data: np.ndarray, screen: ScreenGeometry
) -> np.ndarray:
    """Map foreign samples (n, k) to canonical rows (n, 9), float64 (NaN = invalid)."""
    data = np.asarray(data, dtype=np.float64)
    n = len(data)
    out = np.full((n, len(GAZE_CHANNEL_LABELS)), np.nan)
    for c in m.channels:
        v = data[:, idx[c.source]]
        if c.flip:
            v = 1.0 - v
        scale = float(getattr(screen, c.scale)) if isinstance(c.scale, str) else c.scale
        out[:, _IDX[c.target]] = v * scale + c.offset
    out[~np.isfinite(out)] = np.nan
    validity = np.zeros(n, dtype=np.int64)
    mapped = {c.target for c in m.channels}
    for eye, flag in (("left", Validity.LEFT_INVALID), ("right", Validity.RIGHT_INVALID)):
        xi, yi = _IDX[f"{eye}_x_px"], _IDX[f"{eye}_y_px"]
        bad = np.zeros(n, dtype=bool)
        if f"{eye}_x_px" in mapped:
            bad |= np.isnan(out[:, xi]) | np.isnan(out[:, yi])
        if eye in m.validity:
            src, invalid_when = m.validity[eye]
            bad |= np.isin(data[:, idx[src]], invalid_when) | np.isnan(data[:, idx[src]])
        out[bad, xi] = np.nan
        out[bad, yi] = np.nan
        out[bad, _IDX[f"{eye}_pupil_mm"]] = np.nan
        validity |= np.where(bad, int(flag), 0)
    for axis in ("x", "y"):
        if f"{axis}_px" not in mapped:
            left, right = out[:, _IDX[f"left_{axis}_px"]], out[:, _IDX[f"right_{axis}_px"]]
            with np.errstate(invalid="ignore"):
                out[:, _IDX[f"{axis}_px"]] = np.where(
                    np.isnan(left), right, np.where(np.isnan(right), left, (left + right) / 2)
                )
    x, y = out[:, _IDX["x_px"]], out[:, _IDX["y_px"]]
    if not {"left_x_px", "right_x_px"} & mapped:
        validity |= np.where(
            np.isnan(x) | np.isnan(y), int(Validity.LEFT_INVALID | Validity.RIGHT_INVALID), 0
        )
    with np.errstate(invalid="ignore"):
        off = (x < 0) | (x > screen.width_px) | (y < 0) | (y > screen.height_px)
    validity |= np.where(off, int(Validity.OFF_SCREEN), 0)
    out[:, _IDX["validity"]] = validity
    return out


def _labels(info: Any) -> list[str]:
    labels = []
    ch = info.desc().child("channels").child("channel")
    while not ch.empty():
        labels.append(ch.child_value("label"))
        ch = ch.next_sibling()
    if len(labels) != info.channel_count():
        labels = [str(i) for i in range(info.channel_count())]
    return labels


def resolve_stream(match: Mapping[str, str], timeout_s: float = 5.0) -> Any:
    import pylsl

    parts = [_MATCH_KEYS[k].format(v=v.replace("'", "")) for k, v in match.items()]
    # never relay a stream that a gazemap relay itself publishes
    parts.append("not(starts-with(source_id,'gazemap-relay'))")
    pred = " and ".join(parts)
    found = pylsl.resolve_bypred(pred, 1, timeout_s)
    if not found:
        raise DeviceError(
            f"no LSL stream with {pred} found within {timeout_s:.0f} s. Start the tracker's LSL app/relay, "
            "check it runs on this network, or fix 'match:' in the profile."
        )
    return found[0]


def relay(
    m: Mapping_,
    publisher: GazePublisher,
    stop: StopCondition,
    resolve_timeout_s: float = 5.0,
    silence_s: float = 2.0,
    reconnect_timeout_s: float = 10.0,
) -> GazePublisher:
    """Pull the foreign stream, map it and publish it until ``stop``; silences become gaps."""
    import pylsl

    from gazemap.acquisition.lsl import local_clock

    info = resolve_stream(m.match, resolve_timeout_s)
    inlet = pylsl.StreamInlet(info, max_buflen=360, recover=True)
    try:
        full = inlet.info(timeout=5.0)
        correction = inlet.time_correction(timeout=5.0) if m.clock == "lsl" else 0.0
    except (pylsl.util.TimeoutError, pylsl.util.LostError) as exc:
        raise DeviceError(
            f"the LSL stream {m.match} was found but did not answer ({type(exc).__name__}); its "
            "publisher is busy or gone. Restart it and retry."
        ) from exc
    idx = resolve_indices(m, _labels(full))
    clock = ClockMapper()
    last_data = time.monotonic()
    in_gap = False
    next_corr = time.monotonic() + 5.0
    try:
        while not stop.done(publisher.n_samples):
            chunk, ts = inlet.pull_chunk(timeout=0.1, max_samples=4096)
            now = time.monotonic()
            if ts:
                if in_gap:
                    publisher.gap_end(local_clock())
                    in_gap = False
                last_data = now
                t = np.asarray(ts, dtype=np.float64)
                if m.clock == "device":
                    recv = local_clock()
                    # the last sample of a chunk arrived just now: it bounds the offset best
                    jump = clock.update(float(t[-1]), recv)
                    if jump is not None:
                        publisher.clock_jump(jump, recv)
                    t = t + (clock.offset_s or 0.0)
                else:
                    t = t + correction
                publisher.push_chunk(apply_mapping(m, idx, np.asarray(chunk), publisher.screen), t)
            elif not in_gap and now - last_data > silence_s:
                publisher.gap_start(local_clock())
                in_gap = True
            elif in_gap and now - last_data > reconnect_timeout_s:
                raise DeviceError(
                    f"the LSL stream {m.match} sent nothing for {now - last_data:.0f} s; it is gone."
                )
            if m.clock == "lsl" and now >= next_corr and not in_gap:
                try:
                    correction = inlet.time_correction(timeout=1.0)
                except pylsl.util.TimeoutError:
                    pass
                next_corr = now + 5.0
    finally:
        inlet.close_stream()
    return publisher


def add_arguments(parser: argparse.ArgumentParser) -> None:
    _common.add_common_arguments(parser, "relayed gaze")
    _common._add(
        parser,
        "--resolve-timeout-s",
        type=float,
        default=5.0,
        help="how long to look for the foreign stream",
    )


def run(args: argparse.Namespace) -> int:
    if not getattr(args, "profile", None):
        raise InputError(
            "lsl-relay needs --profile devices/<tracker>.yaml naming the stream and its channel mapping."
        )
    profile = _common.load_profile(args.profile, "lsl-relay")
    m = parse_mapping(profile, str(args.profile))
    screen = _common.screen_from(args, profile)
    raw_rate = profile.get("sample_rate_hz", 0.0)
    try:
        rate_hz = float(raw_rate if raw_rate is not None else 0.0)
    except (TypeError, ValueError):
        rate_hz = float("nan")
    if not (math.isfinite(rate_hz) and 0 <= rate_hz <= 10_000):
        raise InputError(
            f"{args.profile}: sample_rate_hz must be the tracker's rate in samples per second "
            f"(0-10000, 0 = irregular), got {raw_rate!r}. Fix it in the profile."
        )
    pub = GazePublisher(
        _common.option(args, profile, "name", f"{profile.get('model', 'LSL')} (gazemap)"),
        _common.option(args, profile, "source_id", f"gazemap-relay-{'-'.join(m.match.values())}"),
        rate_hz,
        screen,
        str(profile.get("manufacturer", "unknown")),
        str(profile.get("model", "unknown")),
    )
    relay(
        m,
        pub,
        StopCondition.from_args(args),
        float(getattr(args, "resolve_timeout_s", 5.0) or 5.0),
        reconnect_timeout_s=float(getattr(args, "reconnect_timeout_s", 10.0) or 0.0),
    )
    print(f"gazemap stream lsl-relay: published {pub.n_samples} samples, {pub.n_gaps} gap(s)")
    return 0
