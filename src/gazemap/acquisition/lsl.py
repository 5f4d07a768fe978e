"""LSL outlet helpers: the canonical Gaze, Markers and Scroll streams with full metadata.

Every gazemap outlet describes its channels in the stream info (labels, units, eye), as the
XDF/LSL meta-data conventions ask, so that a recorder can store them without guessing.
pylsl is imported here, never in the core.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pylsl

from gazemap import __version__
from gazemap.errors import GazemapError
from gazemap.store.schema import StreamInfo as StoreStreamInfo
from gazemap.types import GAZE_CHANNELS, SCROLL_CHANNELS, ScreenGeometry


def configure_liblsl() -> None:
    """Quiet liblsl's INFO/WARNING log lines on stderr, keeping the user's LSL config.

    liblsl reads one config file (``$LSLAPICFG``, ``./lsl_api.cfg``,
    ``~/lsl_api/lsl_api.cfg`` or ``/etc/lsl_api/lsl_api.cfg``). If it has no ``[log]``
    section, its content plus ``[log] level = -3`` is handed to liblsl instead, so that
    the settings that matter (``ResolveScope``, ``KnownPeers``...) stay as configured.
    Set ``GAZEMAP_LSL_LOG=1`` to keep liblsl's own logging. Has no effect once liblsl
    has loaded its configuration (any earlier LSL call).
    """
    if os.environ.get("GAZEMAP_LSL_LOG"):
        return
    candidates = [
        os.environ.get("LSLAPICFG", ""),
        "lsl_api.cfg",
        str(Path.home() / "lsl_api" / "lsl_api.cfg"),
        "/etc/lsl_api/lsl_api.cfg",
    ]
    content = ""
    for c in candidates:
        if c and os.path.isfile(c):
            try:
                content = Path(c).read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            break
    if re.search(r"^\s*\[log\]", content, flags=re.MULTILINE):
        return
    try:
        pylsl.set_config_content(content + "\n[log]\nlevel = -3\n")
    except Exception:  # noqa: BLE001 - an older liblsl without the call: keep its logs
        pass


configure_liblsl()

GAZE_TYPE = "Gaze"
MARKERS_TYPE = "Markers"
SCROLL_TYPE = "Scroll"


def _describe_channels(info: pylsl.StreamInfo, channels: tuple[tuple[str, ...], ...]) -> None:
    chns = info.desc().append_child("channels")
    for ch in channels:
        c = chns.append_child("channel")
        c.append_child_value("label", ch[0])
        c.append_child_value("unit", ch[1])
        if len(ch) > 2:
            c.append_child_value("eye", ch[2])
        c.append_child_value("type", "Gaze" if ch[0] != "validity" else "Flags")
    info.desc().append_child("acquisition").append_child_value("software", f"gazemap {__version__}")


def gaze_stream_info(
    name: str,
    source_id: str,
    rate_hz: float,
    screen: ScreenGeometry | None = None,
    manufacturer: str = "gazemap",
    model: str = "simulated",
) -> pylsl.StreamInfo:
    """StreamInfo of a canonical Gaze stream (float32 channels of types.GAZE_CHANNELS)."""
    info = pylsl.StreamInfo(
        name, GAZE_TYPE, len(GAZE_CHANNELS), rate_hz, pylsl.cf_float32, source_id
    )
    _describe_channels(info, GAZE_CHANNELS)
    acq = info.desc().child("acquisition")
    acq.append_child_value("manufacturer", manufacturer)
    acq.append_child_value("model", model)
    if screen is not None:
        s = info.desc().append_child("screen")
        for key in ("width_px", "height_px", "width_mm", "height_mm", "distance_mm"):
            s.append_child_value(key, repr(getattr(screen, key)))
    return info


def make_gaze_outlet(
    name: str,
    source_id: str,
    rate_hz: float,
    screen: ScreenGeometry | None = None,
    manufacturer: str = "gazemap",
    model: str = "simulated",
    chunk_size: int = 0,
    max_buffered_s: int = 360,
) -> pylsl.StreamOutlet:
    info = gaze_stream_info(name, source_id, rate_hz, screen, manufacturer, model)
    return pylsl.StreamOutlet(info, chunk_size, max_buffered_s)


#: the stream name of ``gazemap mark``: a one-shot outlet that is gone once its marker is sent
MARK_STREAM_NAME = "gazemap-mark"


def make_marker_outlet(name: str, source_id: str) -> pylsl.StreamOutlet:
    """An irregular-rate string stream of type Markers (one channel ``marker``)."""
    info = pylsl.StreamInfo(name, MARKERS_TYPE, 1, pylsl.IRREGULAR_RATE, pylsl.cf_string, source_id)
    _describe_channels(info, (("marker", "text"),))
    return pylsl.StreamOutlet(info)


def make_scroll_outlet(name: str, source_id: str) -> pylsl.StreamOutlet:
    """An irregular-rate float stream of type Scroll (types.SCROLL_CHANNELS, px)."""
    info = pylsl.StreamInfo(
        name, SCROLL_TYPE, len(SCROLL_CHANNELS), pylsl.IRREGULAR_RATE, pylsl.cf_float32, source_id
    )
    _describe_channels(info, SCROLL_CHANNELS)
    return pylsl.StreamOutlet(info)


def local_clock() -> float:
    """Seconds on the LSL clock of this machine."""
    return float(pylsl.local_clock())


# ---------------------------------------------------------------------------------------
# Reading stream infos (the recorder's side)
# ---------------------------------------------------------------------------------------

_FORMATS = {
    pylsl.cf_float32: "float32",
    pylsl.cf_double64: "float64",
    pylsl.cf_string: "string",
    pylsl.cf_int32: "float64",  # integers fit float64 exactly
    pylsl.cf_int16: "float32",
    pylsl.cf_int8: "float32",
    pylsl.cf_int64: "float64",
}


def _text(el: ET.Element | None, tag: str) -> str:
    if el is None:
        return ""
    child = el.find(tag)
    return (child.text or "").strip() if child is not None else ""


def channel_meta(xml: str) -> list[dict[str, str]]:
    """The ``desc/channels/channel`` entries of a stream's XML as dicts (label, unit, ...)."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError:
        return []
    chans = root.find("desc/channels")
    if chans is None:
        return []
    return [{c.tag: (c.text or "").strip() for c in ch} for ch in chans.findall("channel")]


def screen_from_xml(xml: str) -> ScreenGeometry | None:
    """The ``desc/screen`` of a Gaze stream (written by gaze_stream_info), if complete."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError:
        return None
    s = root.find("desc/screen")
    if s is None:
        return None
    try:
        return ScreenGeometry(
            width_px=int(float(_text(s, "width_px"))),
            height_px=int(float(_text(s, "height_px"))),
            width_mm=float(_text(s, "width_mm")),
            height_mm=float(_text(s, "height_mm")),
            distance_mm=float(_text(s, "distance_mm")),
        )
    except (ValueError, GazemapError):
        return None


def _dataset_name(label: str, i: int, used: set[str]) -> str:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", label.strip()) or f"ch{i + 1}"
    if name in _RESERVED or name in used:
        base, k = name, 2
        while f"{base}_{k}" in used or f"{base}_{k}" in _RESERVED:
            k += 1
        name = f"{base}_{k}"
    used.add(name)
    return name


_RESERVED = {"time_s", "time_raw_s", "clock_offsets", "gaps", "value"}


def stream_description(info: pylsl.StreamInfo) -> StoreStreamInfo:
    """What a session file keeps of an LSL stream (gazemap.store.StreamInfo).

    Channel labels and units come from the XML ``desc/channels`` (as gazemap's outlets and
    most LSL apps write them); unlabelled channels of a 9-channel Gaze stream are taken as
    the canonical layout, any other unlabelled channel is ``ch<k>``. Labels are made safe
    as HDF5 dataset names.
    """
    xml = info.as_xml()
    n = info.channel_count()
    meta = channel_meta(xml)
    labels = [m.get("label", "") for m in meta][:n]
    units = [m.get("unit", "") for m in meta][:n]
    if not any(labels) and info.type().lower() == GAZE_TYPE.lower() and n == len(GAZE_CHANNELS):
        labels = [c[0] for c in GAZE_CHANNELS]
        units = [c[1] for c in GAZE_CHANNELS]
    labels += [""] * (n - len(labels))
    units += [""] * (n - len(units))
    used: set[str] = set()
    safe = [_dataset_name(lab, i, used) for i, lab in enumerate(labels)]
    extra: dict[str, str] = {
        "uid": info.uid(),
        "session_id": info.session_id(),
        "created_at": repr(info.created_at()),
        "lsl_version": str(info.version()),
    }
    eyes = [m.get("eye", "") for m in meta][:n]
    if any(eyes):
        extra["channel_eyes"] = ",".join(eyes)
    try:
        acq = ET.fromstring(xml).find("desc/acquisition")
    except ET.ParseError:
        acq = None
    for key in ("manufacturer", "model", "software"):
        value = _text(acq, key)
        if value:
            extra[key] = value
    return StoreStreamInfo(
        name=info.name(),
        type=info.type(),
        channel_labels=tuple(safe),
        channel_units=tuple(units),
        channel_format=_FORMATS.get(info.channel_format(), "float64"),
        nominal_srate=float(info.nominal_srate()),
        source_id=info.source_id(),
        hostname=info.hostname(),
        xml=xml,
        extra=extra,
    )
