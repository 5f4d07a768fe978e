"""LSL outlet helpers: the canonical Gaze, Markers and Scroll streams with full metadata.

Every gazemap outlet describes its channels in the stream info (labels, units, eye), as the
XDF/LSL meta-data conventions ask, so that a recorder can store them without guessing.
pylsl is imported here, never in the core.
"""

from __future__ import annotations

import pylsl

from gazemap import __version__
from gazemap.types import GAZE_CHANNELS, SCROLL_CHANNELS, ScreenGeometry

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
    info = pylsl.StreamInfo(name, GAZE_TYPE, len(GAZE_CHANNELS), rate_hz, pylsl.cf_float32, source_id)
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


def make_marker_outlet(name: str, source_id: str) -> pylsl.StreamOutlet:
    """An irregular-rate string stream of type Markers (one channel ``marker``)."""
    info = pylsl.StreamInfo(name, MARKERS_TYPE, 1, pylsl.IRREGULAR_RATE, pylsl.cf_string, source_id)
    _describe_channels(info, (("marker", "text"),))
    return pylsl.StreamOutlet(info)


def make_scroll_outlet(name: str, source_id: str) -> pylsl.StreamOutlet:
    """An irregular-rate float stream of type Scroll (types.SCROLL_CHANNELS, px)."""
    info = pylsl.StreamInfo(name, SCROLL_TYPE, len(SCROLL_CHANNELS), pylsl.IRREGULAR_RATE, pylsl.cf_float32, source_id)
    _describe_channels(info, SCROLL_CHANNELS)
    return pylsl.StreamOutlet(info)


def local_clock() -> float:
    """Seconds on the LSL clock of this machine."""
    return float(pylsl.local_clock())
