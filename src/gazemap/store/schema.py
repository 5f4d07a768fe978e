"""The session file contract (design.md): names, attributes and the stream description."""

from __future__ import annotations

from dataclasses import dataclass, field

FORMAT = "gazemap-session"
FORMAT_VERSION = 1

#: dataset holding the string values of a marker stream
MARKER_VALUE = "value"
#: datasets every stream has
TIME = "time_s"
TIME_RAW = "time_raw_s"
CLOCK_OFFSETS = "clock_offsets"
#: (n, 2) float64: start_s, end_s of periods in which the stream was lost
GAPS = "gaps"
#: stream attribute (float, on time_s's clock), only in recorded files: when the stream's
#: outlet went away for good, i.e. it did not come back before the recording stopped (a
#: presenter or driver that finished); absent when the stream ran until the stop
ENDED = "ended_s"

ROOT_ATTRS = (
    "format",
    "format_version",
    "session_id",
    "participant",
    "protocol",
    "created_utc",
    "software_version",
)
SCREEN_ATTRS = ("width_px", "height_px", "width_mm", "height_mm", "distance_mm")
#: sampling rates an eye tracker can have, samples/s: gaze timestamps spaced outside this are
#: in another unit than seconds (a factor 1000 moves a 30-2000 Hz tracker far outside)
PLAUSIBLE_GAZE_RATE_HZ = (5.0, 10_000.0)


@dataclass(frozen=True)
class StreamInfo:
    """What the file keeps of an LSL stream's info.

    ``channel_format`` is ``"string"`` for marker streams (stored as ``value``) and
    ``"float32"``/``"float64"`` for numeric ones (one dataset per channel label).
    """

    name: str
    type: str
    channel_labels: tuple[str, ...]
    channel_units: tuple[str, ...] = ()
    channel_format: str = "float32"
    nominal_srate: float = 0.0
    source_id: str = ""
    hostname: str = ""
    xml: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def is_string(self) -> bool:
        return self.channel_format == "string"
