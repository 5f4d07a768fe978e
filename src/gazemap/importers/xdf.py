"""XDF files (LabRecorder) → gazemap sessions, via pyxdf.

Every stream of the file is kept. The gaze stream (type ``Gaze``; with canonical channel
labels ``x_px``, ``y_px``, … as gazemap drivers publish them, or any layout mapped by a device
profile given with ``profile=``, see gazemap.drivers.lsl_profile) becomes ``/streams/gaze``;
the first string stream of type ``Markers`` becomes ``/streams/markers``; every other stream is
stored under its own name with its channels. Timestamps are clock-synchronised by pyxdf from
the file's ClockOffset chunks, which are also stored (``clock_offsets``: collection time,
offset) for every stream.
"""

from __future__ import annotations

import argparse
import logging
import re
import struct
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np

from gazemap.errors import ImportFormatError
from gazemap.importers._common import ExtraStream, ImportedRecording
from gazemap.types import GAZE_CHANNEL_LABELS, Markers, ScreenGeometry

FORMAT = "xdf"


def _first(info: dict[str, Any], key: str, default: str = "") -> str:
    v = info.get(key)
    if isinstance(v, list) and v:
        v = v[0]
    return str(v) if v is not None else default


def _labels(stream: dict[str, Any], n: int) -> list[str]:
    try:
        desc = stream["info"]["desc"][0]
        chans = desc["channels"][0]["channel"]
        labels = [str(c["label"][0]) for c in chans]
        if len(labels) == n:
            return labels
    except (KeyError, IndexError, TypeError):
        pass
    return [f"ch{k}" for k in range(n)]


def _units(stream: dict[str, Any], n: int) -> list[str]:
    try:
        chans = stream["info"]["desc"][0]["channels"][0]["channel"]
        units = [str((c.get("unit") or [""])[0]) for c in chans]
        if len(units) == n:
            return units
    except (KeyError, IndexError, TypeError, AttributeError):
        pass
    return [""] * n


def _screen(stream: dict[str, Any]) -> ScreenGeometry | None:
    try:
        s = stream["info"]["desc"][0]["screen"][0]
        vals = {
            k: float(s[k][0])
            for k in ("width_px", "height_px", "width_mm", "height_mm", "distance_mm")
        }
        return ScreenGeometry(
            int(vals["width_px"]),
            int(vals["height_px"]),
            vals["width_mm"],
            vals["height_mm"],
            vals["distance_mm"],
        )
    except (KeyError, IndexError, TypeError, ValueError):
        return None


def _group_name(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "stream"
    g, k = base, 2
    while g in taken:
        g, k = f"{base}_{k}", k + 1
    taken.add(g)
    return g


def _offsets(stream: dict[str, Any]) -> np.ndarray:
    t = np.asarray(stream.get("clock_times") or [], dtype=np.float64)
    v = np.asarray(stream.get("clock_values") or [], dtype=np.float64)
    n = min(len(t), len(v))
    return np.column_stack([t[:n], v[:n]]) if n else np.empty((0, 2))


def read_xdf(
    path: str | Path, recording: int | None = None, profile: str | None = None
) -> list[ImportedRecording]:
    """Parse an XDF file into one ImportedRecording holding all its streams."""
    import pyxdf

    p = Path(path)
    if recording not in (None, 1):
        raise ImportFormatError(
            f"{p}: an XDF file is one recording; --recording {recording} does not exist."
        )
    with p.open("rb") as fh:
        magic = fh.read(4)
    if magic != b"XDF:":
        raise ImportFormatError(
            f"{p}: starts with {magic!r}, not 'XDF:'; expected an XDF file from LabRecorder."
        )
    # pyxdf logs damage (a truncated file, a bad chunk) and reads on; collect its messages
    # instead of letting them through as log lines, and report them as ours
    damage = _PyxdfLog()
    xlog = logging.getLogger("pyxdf.pyxdf")
    xlog.addHandler(damage)
    propagate, xlog.propagate = xlog.propagate, False
    try:
        streams, header = pyxdf.load_xdf(
            str(p), synchronize_clocks=True, dejitter_timestamps=False, verbose=None
        )
    except (
        struct.error,
        ValueError,
        KeyError,
        IndexError,
        EOFError,
        OSError,
        UnicodeDecodeError,
        ET.ParseError,
        TypeError,
        AttributeError,
        OverflowError,
        MemoryError,
    ) as exc:
        raise ImportFormatError(
            f"{p}: pyxdf could not read it ({type(exc).__name__}: {exc}); the file is damaged or not XDF 1.0."
        ) from exc
    finally:
        xlog.removeHandler(damage)
        xlog.propagate = propagate
    mapping = None
    if profile is not None:
        # the device-profile mapping is shared with the lsl-relay driver (no pylsl needed here)
        from gazemap.drivers._common import load_profile, screen_from
        from gazemap.drivers.lsl_profile import apply_mapping, parse_mapping, resolve_indices

        prof = load_profile(profile)
        mapping = parse_mapping(prof, str(profile))
        prof_screen = screen_from(argparse.Namespace(), prof)
        # the stream the profile is for is the gaze, even beside a canonical one: the user
        # asked for this mapping (it used to be ignored when a canonical stream came first)
        target = next(
            (
                k
                for k, s in enumerate(streams)
                if _profile_matches(s.get("info", {}), mapping.match)
            ),
            None,
        )
        if target is None:
            names = ", ".join(
                f"{_first(s.get('info', {}), 'name')} ({_first(s.get('info', {}), 'type')})"
                for s in streams
            )
            raise ImportFormatError(
                f"{p}: no stream matches the profile {profile} (match: {mapping.match}); streams: "
                f"{names or 'none'}. Pick the profile of the tracker that was recorded, or fix "
                "its 'match:'."
            )
    gaze_rec: ImportedRecording | None = None
    markers: Markers | None = None
    markers_offsets = None
    extra: list[ExtraStream] = []
    taken = {"gaze", "markers"}
    for k_stream, s in enumerate(streams):
        info = s.get("info", {})
        name, typ = _first(info, "name", "stream"), _first(info, "type")
        fmt = _first(info, "channel_format", "float32")
        ts = np.asarray(s.get("time_stamps", []), dtype=np.float64).reshape(-1)
        series = s.get("time_series")
        n_ch = int(float(_first(info, "channel_count", "1") or 1))
        srate = float(_first(info, "nominal_srate", "0") or 0)
        if fmt == "string":
            values = [
                str(row[0]) if isinstance(row, list | tuple) and row else str(row)
                for row in (series or [])
            ]
            if len(values) != len(ts):
                raise ImportFormatError(
                    f"{p}: stream {name!r} has {len(values)} values for {len(ts)} timestamps."
                )
            if typ.lower() == "markers" and markers is None:
                markers = Markers(ts, np.array(values, dtype=object))
                markers_offsets = _offsets(s)
                continue
            extra.append(
                ExtraStream(
                    _group_name(name, taken),
                    name,
                    typ,
                    ("value",),
                    ("",),
                    ts,
                    values,
                    srate,
                    _first(info, "source_id"),
                    "",
                    _offsets(s),
                    True,
                )
            )
            continue
        data = (
            np.asarray(series, dtype=np.float64).reshape(len(ts), -1)
            if len(ts)
            else np.empty((0, n_ch))
        )
        labels = _labels(s, data.shape[1])
        is_gaze = typ.lower() in ("gaze", "eyetracker", "eye tracker") and gaze_rec is None
        if mapping is not None:
            is_gaze = k_stream == target
        if is_gaze and mapping is None and {"x_px", "y_px"} <= set(labels):
            gaze = {lab: data[:, labels.index(lab)] for lab in GAZE_CHANNEL_LABELS if lab in labels}
            gaze.update({lab: data[:, k] for k, lab in enumerate(labels) if lab not in gaze})
            scr = _screen(s)
            gaze_rec = ImportedRecording(
                ts,
                gaze,
                Markers(np.empty(0), np.empty(0, dtype=object)),
                screen_px=(scr.width_px, scr.height_px) if scr else None,
                screen_mm=(scr.width_mm, scr.height_mm, scr.distance_mm) if scr else None,
                nominal_srate=srate,
                gaze_clock_offsets=_offsets(s),
            )
            gaze_rec.source_attrs["gaze_stream"] = name
            continue
        if is_gaze and mapping is not None:
            idx = resolve_indices(mapping, labels)
            screen = prof_screen
            rows = apply_mapping(mapping, idx, data, screen)
            gaze = {lab: rows[:, k] for k, lab in enumerate(GAZE_CHANNEL_LABELS)}
            gaze_rec = ImportedRecording(
                ts,
                gaze,
                Markers(np.empty(0), np.empty(0, dtype=object)),
                screen_px=(screen.width_px, screen.height_px),
                screen_mm=(screen.width_mm, screen.height_mm, screen.distance_mm),
                nominal_srate=srate,
                gaze_clock_offsets=_offsets(s),
            )
            gaze_rec.source_attrs["gaze_stream"] = name
            # the foreign stream itself is kept too, as recorded (below)
        extra.append(
            ExtraStream(
                _group_name(name, taken),
                name,
                typ,
                tuple(labels),
                tuple(_units(s, len(labels))),
                ts,
                data,
                srate,
                _first(info, "source_id"),
                "",
                _offsets(s),
            )
        )
    if gaze_rec is None:
        kinds = (
            ", ".join(
                f"{_first(s.get('info', {}), 'name')} ({_first(s.get('info', {}), 'type')})"
                for s in streams
            )
            or "none"
        )
        raise ImportFormatError(
            f"{p}: no gaze stream with canonical channels (x_px, y_px, …); streams: {kinds}. Record the "
            "tracker with a gazemap driver, or pass --profile devices/<tracker>.yaml to map its layout."
        )
    if markers is not None:
        gaze_rec.markers = markers
        gaze_rec.markers_clock_offsets = markers_offsets
    gaze_rec.extra_streams = extra
    hinfo = header.get("info", {}) if isinstance(header, dict) else {}
    gaze_rec.source_attrs.update(
        {
            "tool": "XDF (LabRecorder)",
            "tool_version": _first(hinfo, "version"),
            "datetime": _first(hinfo, "datetime"),
        }
    )
    gaze_rec.recording = "1"
    if damage.messages:
        first = damage.messages[0].rstrip(".")
        more = f" (+{len(damage.messages) - 1} more)" if len(damage.messages) > 1 else ""
        gaze_rec.warnings.append(
            f"{p}: the file is damaged or cut short, pyxdf read what it could: {first}{more}; "
            "samples after the damage are missing"
        )
    return [gaze_rec]


def _profile_matches(info: dict[str, Any], match: dict[str, str]) -> bool:
    """Whether a recorded stream is the one a device profile's ``match:`` names."""
    name, typ, sid = _first(info, "name"), _first(info, "type"), _first(info, "source_id")
    checks = {
        "name": lambda v: name == v,
        "type": lambda v: typ == v,
        "source_id": lambda v: sid == v,
        "name_contains": lambda v: v in name,
        "source_id_contains": lambda v: v in sid,
    }
    return bool(match) and all(checks[k](v) for k, v in match.items() if k in checks)


class _PyxdfLog(logging.Handler):
    """Keeps pyxdf's warnings and errors (damaged chunks) as one-line texts."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(" ".join(record.getMessage().split()))
