"""The LSL recorder: find streams, pull their samples, store them crash-safely.

``record_session(config)`` is what ``gazemap record`` runs. It resolves the LSL streams of
the wanted types (Gaze, Markers, Scroll) or names, opens an inlet on each (no liblsl
post-processing: timestamps are stored as received in ``time_raw_s``), measures every
stream's clock offset every few seconds (``clock_offsets``, as LabRecorder does) and
writes blocks of samples every ``block_s`` through a JournaledWriter, so that a killed
recorder loses at most the last block (see gazemap.store.journal).

A stream whose outlet disappears is looked for again; when a stream with the same
source_id (or name, type and host if it has no source_id) comes back it is re-attached to
the same group and the time it was missing is recorded as a gap. One that does not come
back before the recording stops has ended (a presenter or driver that finished): that is
no gap, and the time is stored as the stream's ``ended_s`` attribute. Streams that appear
after the start are added as new groups.

Once a second a progress line (streams, samples, rate, dropped samples, gaps) goes to
stderr. The recording stops after ``duration_s``, or on SIGINT/SIGTERM (Ctrl-C), and the
file is then closed cleanly.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import json
import math
import queue
import re
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pylsl

from gazemap.acquisition import lsl
from gazemap.errors import DeviceError
from gazemap.store import schema
from gazemap.store.journal import JournaledWriter
from gazemap.store.schema import StreamInfo
from gazemap.types import ScreenGeometry

try:  # pylsl >= 1.16 keeps its exceptions in pylsl.util
    from pylsl.util import LostError
except ImportError:  # pragma: no cover - older pylsl
    LostError = pylsl.LostError  # type: ignore[attr-defined,misc]

#: LSL stream types recorded by default, and the session-file group each maps to
DEFAULT_TYPES: tuple[str, ...] = ("Gaze", "Markers", "Scroll")
TYPE_GROUPS: dict[str, str] = {"gaze": "gaze", "markers": "markers", "scroll": "scroll"}

#: screen used when neither the Gaze stream nor the command line gives one: a 24" 16:9
#: monitor (531 x 299 mm, 1920 x 1080 px) seen from 650 mm, a common lab set-up
DEFAULT_SCREEN = ScreenGeometry(1920, 1080, 531.0, 299.0, 650.0)

#: seconds of data an inlet buffers (liblsl multiplies by the nominal rate): 6 minutes
#: hold 720,000 samples of a 2 kHz tracker, so a stalled disk never drops samples
INLET_BUFLEN_S = 360

#: stop_reason when --stop-when-lost-s ended the recording
ALL_LOST = "all streams gone"

#: a regular stream open but without samples this long is reported (s)
SILENT_S = 2.0

#: samples pulled from one inlet per call
_PULL_MAX = 8192

#: latency histogram: 0.1 ms bins up to 20 s
_LAT_BIN_S = 1e-4
_LAT_BINS = 200_000


@dataclasses.dataclass
class RecorderConfig:
    """Options of one recording (the ``gazemap record`` arguments)."""

    out: Path
    duration_s: float | None = None
    #: stop once every recorded stream has been lost for this long (None: wait for them)
    stop_when_lost_s: float | None = None
    participant: str = ""
    protocol: str = ""
    wait_s: float = 10.0
    #: fnmatch patterns matched against a stream's name and source_id; empty: use types
    streams: tuple[str, ...] = ()
    types: tuple[str, ...] = DEFAULT_TYPES
    force: bool = False
    #: screen options given on the command line (None: from the Gaze stream or defaults)
    screen_width_px: int | None = None
    screen_height_px: int | None = None
    screen_width_mm: float | None = None
    screen_height_mm: float | None = None
    distance_mm: float | None = None
    #: how often samples are written (journal + HDF5), seconds
    block_s: float = 0.1
    #: how often the journal is fsync'ed, seconds
    sync_interval_s: float = 0.5
    #: how often clock offsets are measured per stream, seconds
    clock_interval_s: float = 5.0
    progress: bool = True
    stats_json: Path | None = None


class _Latency:
    """Histogram of per-sample latencies (seconds) with cheap percentiles."""

    def __init__(self) -> None:
        self.counts = np.zeros(_LAT_BINS + 1, dtype=np.int64)
        self.n = 0

    def add(self, lat_s: np.ndarray) -> None:
        if len(lat_s) == 0:
            return
        idx = np.clip((np.asarray(lat_s) / _LAT_BIN_S).astype(np.int64), 0, _LAT_BINS)
        self.counts += np.bincount(idx, minlength=_LAT_BINS + 1)
        self.n += len(lat_s)

    def percentile_ms(self, q: float) -> float | None:
        if self.n == 0:
            return None
        k = int(np.searchsorted(np.cumsum(self.counts), math.ceil(self.n * q / 100.0)))
        return (k + 0.5) * _LAT_BIN_S * 1000.0


@dataclasses.dataclass
class _Slot:
    """One recorded stream: its group in the file, its inlet (None while lost), counters."""

    group: str
    info: StreamInfo
    key: str
    inlet: Any = None
    string: bool = False
    buf_t: list[np.ndarray] = dataclasses.field(default_factory=list)
    buf_v: list[Any] = dataclasses.field(default_factory=list)
    samples: int = 0
    #: samples in the last progress interval (for the rate shown)
    recent: int = 0
    #: recorder clock of the last pull that returned samples (None: none yet)
    last_pull_s: float | None = None
    #: a regular stream open but sending nothing was reported (``SILENT``)
    silent_said: bool = False
    #: current attachment: first/last raw time and sample count (for dropped samples)
    seg_first: float | None = None
    seg_last: float | None = None
    seg_count: int = 0
    dropped_done: int = 0
    gaps: int = 0
    last_time_s: float | None = None
    lost_at: float | None = None
    #: start of an open gap: (time, is a raw sender timestamp)
    gap_start: tuple[float, bool] | None = None
    last_raw: float | None = None
    clock_count: int = 0
    #: when the stream went away for good (recorder clock), set when the recording stops
    ended_s: float | None = None

    @property
    def one_shot(self) -> bool:
        """A ``gazemap mark`` stream: its outlet ends after each mark, which is no loss."""
        return self.info.name == lsl.MARK_STREAM_NAME and self.info.nominal_srate <= 0

    def dropped(self) -> int:
        """Samples a regular-rate stream should have sent but did not (gaps excluded)."""
        return self.dropped_done + self._seg_dropped()

    def _seg_dropped(self) -> int:
        srate = self.info.nominal_srate
        if srate <= 0 or self.seg_first is None or self.seg_last is None:
            return 0
        expected = int(round((self.seg_last - self.seg_first) * srate)) + 1
        return max(0, expected - self.seg_count)

    def end_segment(self) -> None:
        self.dropped_done += self._seg_dropped()
        self.seg_first = self.seg_last = None
        self.seg_count = 0


@dataclasses.dataclass
class _Found:
    """A stream the discovery thread opened: resolve info, inlet, full info."""

    info: pylsl.StreamInfo
    inlet: Any
    full: pylsl.StreamInfo


def stream_key(info: pylsl.StreamInfo) -> str:
    """Identity of a stream across outlet restarts: its source_id, else name/type/host."""
    sid = info.source_id()
    return f"sid:{sid}" if sid else f"nth:{info.name()}|{info.type()}|{info.hostname()}"


def _sanitize(name: str) -> str:
    s = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_")
    return s or "stream"


class Recorder:
    """Records the matching LSL streams into one session file. See ``record_session``."""

    def __init__(
        self,
        config: RecorderConfig,
        *,
        err: TextIO | None = None,
        clock: Callable[[], float] = pylsl.local_clock,
    ) -> None:
        self.cfg = config
        self.err = err if err is not None else sys.stderr
        self.clock = clock
        self.slots: dict[str, _Slot] = {}
        self.writer: JournaledWriter | None = None
        self.stop_reason = ""
        self._stop = threading.Event()
        #: opened streams (or messages) from the discovery thread
        self._found: queue.Queue[_Found | str] = queue.Queue()
        self._opened: set[str] = set()
        self._discovery: threading.Thread | None = None
        #: clock-offset measurements: group -> (inlet, next due time.monotonic())
        self._clock_jobs: dict[str, tuple[Any, float]] = {}
        self._clock_lock = threading.Lock()
        self._clock_stop = threading.Event()
        self._clock_thread: threading.Thread | None = None
        self._offsets_q: queue.Queue[tuple[str, Any, float, float]] = queue.Queue()
        self.lat_write = _Latency()
        self.lat_sync = _Latency()
        self._unsynced: list[np.ndarray] = []
        self.started_at = 0.0
        self.stopped_at = 0.0
        self.screen_source = ""
        self._pixel_shape_warned = False
        self.journal_bytes = 0
        self.close_s = 0.0

    # -- matching ------------------------------------------------------------------------
    def _warn_pixel_shape(self, screen: ScreenGeometry) -> None:
        """Say so once when the screen's px and mm give pixels that are not square.

        A phone's px from the tracker with the default monitor's mm make every angle of the
        session wrong; said when the tracker's stream opens, before the participant starts.
        """
        from gazemap.geometry import pixel_shape_problem

        shape = pixel_shape_problem(screen)
        if shape and not self._pixel_shape_warned:
            self._pixel_shape_warned = True
            # printed even with --quiet: it changes what the file means
            print(f"gazemap record: warning: {shape}", file=self.err, flush=True)

    def matches(self, info: pylsl.StreamInfo) -> bool:
        if self.cfg.streams:
            return any(
                fnmatch.fnmatchcase(info.name(), p) or fnmatch.fnmatchcase(info.source_id(), p)
                for p in self.cfg.streams
            )
        return info.type().lower() in {t.lower() for t in self.cfg.types}

    def looking_for(self) -> str:
        if self.cfg.streams:
            return "streams named (or with source_id) " + ", ".join(
                repr(p) for p in self.cfg.streams
            )
        return "streams of type " + ", ".join(self.cfg.types)

    # -- discovery -----------------------------------------------------------------------
    def _discovery_loop(self) -> None:
        """Background thread: find matching streams, open their inlets, hand them over.

        Opening an inlet can block for a while, so it happens here and never stalls the
        pulling loop. Each stream (by uid) is
        opened once; a stream that comes back after a loss has a new uid.
        """
        resolver = pylsl.ContinuousResolver(forget_after=3.0)
        failed_at: dict[str, float] = {}
        try:
            while not self._stop.is_set():
                try:
                    infos = resolver.results()
                except Exception:  # noqa: BLE001 - retried on the next round
                    infos = []
                for info in infos:
                    uid = info.uid()
                    if uid in self._opened or not self.matches(info):
                        continue
                    if time.monotonic() - failed_at.get(uid, -math.inf) < 5.0:
                        continue
                    try:
                        inlet, full = self._open_inlet(info)
                    except Exception as exc:  # noqa: BLE001 - vanished while we connected
                        failed_at[uid] = time.monotonic()
                        self._found.put(
                            f"could not open {info.type()} stream {info.name()!r}: {exc}"
                        )
                        continue
                    self._opened.add(uid)
                    self._found.put(_Found(info, inlet, full))
                self._stop.wait(0.05)
        finally:
            del resolver

    def find_initial(self) -> list[_Found]:
        """Wait (at most ``wait_s``) until at least one matching stream is open.

        Returns at once then, with the streams opened so far: the others are attached by
        the recording loop as soon as they are open. (An inlet must be pulled soon after
        it opens: liblsl drops the samples still buffered when its outlet goes away.)
        """
        self._discovery = threading.Thread(target=self._discovery_loop, daemon=True)
        self._discovery.start()
        deadline = time.monotonic() + self.cfg.wait_s
        while True:
            if self._stop.is_set():
                raise KeyboardInterrupt
            try:
                item = self._found.get(timeout=max(0.0, min(0.1, deadline - time.monotonic())))
            except queue.Empty:
                item = None
            if isinstance(item, str):
                self._say(item)
            elif item is not None:
                # the recording starts when the first inlet is open: it buffers from then
                self.started_at = self.clock()
                found = [item]
                while not self._found.empty():
                    more = self._found.get_nowait()
                    if isinstance(more, str):
                        self._say(more)
                    else:
                        found.append(more)
                return found
            if time.monotonic() >= deadline:
                raise DeviceError(
                    f"no LSL stream found within {self.cfg.wait_s:g} s: looked for "
                    f"{self.looking_for()}. Start the tracker's driver (e.g. `gazemap stream "
                    "simulated`), check `gazemap devices`, or raise --wait-s."
                )

    # -- attaching -----------------------------------------------------------------------
    def _group_for(self, info: StreamInfo) -> str:
        used = set(self.slots)
        canonical = TYPE_GROUPS.get(info.type.lower())
        if canonical and canonical not in used:
            return canonical
        base = _sanitize(info.name)
        name, k = base, 2
        while name in used or name in TYPE_GROUPS.values():
            name = f"{base}_{k}"
            k += 1
        return name

    def _open_inlet(self, info: pylsl.StreamInfo) -> tuple[Any, pylsl.StreamInfo]:
        inlet = pylsl.StreamInlet(
            info,
            max_buflen=INLET_BUFLEN_S,
            max_chunklen=0,
            recover=False,  # we re-attach ourselves, so that the gap is known and recorded
            processing_flags=0,  # raw timestamps; we correct them (time_s) ourselves
        )
        try:
            inlet.open_stream(timeout=5.0)
            full = inlet.info(timeout=5.0)
        except BaseException:
            inlet.close_stream()
            raise
        return inlet, full

    def attach(self, found: _Found, now: float) -> _Slot | None:
        """Record a newly opened stream, or re-attach a stream that came back."""
        assert self.writer is not None
        desc = lsl.stream_description(found.full)
        key = stream_key(found.info)
        existing = next((s for s in self.slots.values() if s.key == key), None)
        if existing is not None and existing.inlet is not None:
            # a new outlet with the same identity: the old one is gone (or about to be)
            self._lost(existing, now, quiet=True)
        slot: _Slot | None = None
        if existing is not None:
            same = (
                desc.channel_labels == existing.info.channel_labels
                and desc.channel_format == existing.info.channel_format
            )
            if same:
                slot = existing
                slot.inlet = found.inlet
                slot.lost_at = None
                slot.last_pull_s = now  # silent is counted from its return
                if slot.info.nominal_srate <= 0 and slot.gap_start is not None:
                    self._close_gap(slot, now)  # irregular: back now, whenever it next sends
                if not slot.one_shot:
                    self._say(f"{slot.group}: stream {desc.name!r} is back, recording again")
            else:
                key = f"{key}#{len(self.slots)}"  # a different layout under the same id
        if slot is None:
            group = self._group_for(desc)
            if desc.type.lower() == "gaze" and not self.screen_source.startswith("stream"):
                screen = lsl.screen_from_xml(desc.xml)
                if screen is not None:  # the tracker's screen; options given still win
                    self.writer.set_screen(self._screen(screen))
                    cli = self._screen_from_cli()
                    self.screen_source = "stream+options" if cli else "stream"
                self._warn_pixel_shape(self._screen(screen or DEFAULT_SCREEN))
            self.writer.add_stream(group, desc)
            slot = _Slot(
                group=group,
                info=desc,
                key=key,
                inlet=found.inlet,
                string=desc.is_string,
                last_pull_s=now,
            )
            self.slots[group] = slot
            rate = f"{desc.nominal_srate:g} Hz" if desc.nominal_srate > 0 else "irregular"
            self._say(
                f"recording {desc.type} stream {desc.name!r} "
                f"({desc.source_id or 'no source_id'}, {len(desc.channel_labels)} ch, {rate}, "
                f"{desc.hostname}) as /streams/{group}"
            )
            self._warn_second(group, desc)
        with self._clock_lock:
            self._clock_jobs[slot.group] = (found.inlet, 0.0)
        return slot

    # -- screen --------------------------------------------------------------------------
    def _warn_second(self, group: str, desc: StreamInfo) -> None:
        """Say so when a second Gaze/Markers/Scroll stream joins the file.

        The analysis reads /streams/gaze and /streams/scroll, the first stream of each type,
        and the markers of every Markers stream merged. Another tracker, presenter or test on
        the same network is recorded beside them, and the user must know what the analysis
        will use.
        """
        canonical = TYPE_GROUPS.get(desc.type.lower())
        if canonical is None or group == canonical or canonical not in self.slots:
            return
        first = self.slots[canonical].info
        if canonical == "markers":
            # the analysis merges every Markers stream (SessionReader.markers): a moderator's
            # `gazemap mark` counts, and so would another set-up's markers
            uses = (
                f"the analysis merges its markers with those of /streams/{canonical} "
                f"({first.name!r}, source_id {first.source_id or '-'}) in time order (a "
                "moderator's `gazemap mark` counts; another set-up's markers would too)"
            )
        else:
            uses = (
                f"the analysis uses /streams/{canonical} ({first.name!r}, source_id "
                f"{first.source_id or '-'})"
            )
        # printed even with --quiet: it changes what the file means
        print(
            f"gazemap record: warning: a second {desc.type} stream ({desc.name!r}, source_id "
            f"{desc.source_id or '-'}, host {desc.hostname}) is recorded as /streams/{group}; "
            f"{uses}. To record only your own streams, name them: "
            "--stream SOURCE_ID (glob patterns allowed; `gazemap devices` lists them).",
            file=self.err,
            flush=True,
        )

    def _screen_from_cli(self) -> bool:
        c = self.cfg
        return any(
            v is not None
            for v in (
                c.screen_width_px,
                c.screen_height_px,
                c.screen_width_mm,
                c.screen_height_mm,
                c.distance_mm,
            )
        )

    def _screen(self, base: ScreenGeometry) -> ScreenGeometry:
        c = self.cfg
        return ScreenGeometry(
            width_px=int(c.screen_width_px if c.screen_width_px is not None else base.width_px),
            height_px=int(c.screen_height_px if c.screen_height_px is not None else base.height_px),
            width_mm=float(c.screen_width_mm if c.screen_width_mm is not None else base.width_mm),
            height_mm=float(
                c.screen_height_mm if c.screen_height_mm is not None else base.height_mm
            ),
            distance_mm=float(c.distance_mm if c.distance_mm is not None else base.distance_mm),
        )

    # -- the loop ------------------------------------------------------------------------
    def _pull(self, slot: _Slot, now: float) -> int:
        if slot.inlet is None:
            return 0
        try:
            values, ts = slot.inlet.pull_chunk(timeout=0.0, max_samples=_PULL_MAX, as_numpy=True)
        except LostError:
            self._lost(slot, now)
            return 0
        n = len(ts)
        if n == 0:
            return 0
        ts = np.asarray(ts, dtype=np.float64)
        if slot.string:
            vals: Any = [
                v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
                for v in values[:, 0]
            ]
        else:
            vals = np.array(values, copy=True)
        if slot.gap_start is not None:
            self._close_gap(slot, float(ts[0]), raw=True)
        slot.buf_t.append(ts)
        slot.buf_v.append(vals)
        slot.samples += n
        slot.recent += n
        slot.last_pull_s = now
        if slot.silent_said:
            slot.silent_said = False
            self._say(f"{slot.group}: samples again (stream {slot.info.name!r})")
        if slot.seg_first is None:
            slot.seg_first = float(ts[0])
        slot.seg_last = float(ts[-1])
        slot.seg_count += n
        return n

    def _lost(self, slot: _Slot, now: float, quiet: bool = False) -> None:
        """The stream's outlet is gone: store what we have and open a gap."""
        inlet, slot.inlet = slot.inlet, None
        if quiet and inlet is not None:
            # replaced by a new outlet before the loss was noticed: keep its last samples
            slot.inlet = inlet
            try:
                while self._pull(slot, now) == _PULL_MAX:
                    pass
            finally:
                inlet, slot.inlet = slot.inlet, None
        self._write(slot)
        if inlet is not None:
            try:
                inlet.close_stream()
            except Exception:  # noqa: BLE001 - it is gone anyway
                pass
        slot.lost_at = now
        slot.end_segment()
        with self._clock_lock:
            self._clock_jobs.pop(slot.group, None)
        if slot.one_shot:
            # a mark was sent and its outlet closed: the next mark opens a new one
            if not quiet:
                self._say(f"{slot.group}: mark received ({slot.samples} from gazemap mark so far)")
            return
        if slot.gap_start is None:
            # a regular stream's gap starts after its last sample; an irregular one (markers)
            # may send nothing for minutes, so its gap starts when the loss was noticed
            if slot.info.nominal_srate > 0 and slot.last_raw is not None:
                slot.gap_start = (slot.last_raw, True)
            else:
                slot.gap_start = (now, False)
        if not quiet:
            self._say(
                f"{slot.group}: stream {slot.info.name!r} lost; waiting for it to come back (the "
                "time it is gone is then a gap; if it does not, the stream ended here)"
            )

    def _close_gap(self, slot: _Slot, end_s: float, raw: bool = False) -> None:
        """Record the gap that started at ``slot.gap_start`` (if it has a length)."""
        assert self.writer is not None and slot.gap_start is not None
        start_s, start_raw = slot.gap_start
        off = self.writer.current_offset(slot.group)
        if (end_s + off * raw) > (start_s + off * start_raw):
            self.writer.add_gap(slot.group, start_s, end_s, start_raw=start_raw, end_raw=raw)
            slot.gaps += 1
        slot.gap_start = None

    def _write(self, slot: _Slot) -> None:
        if not slot.buf_t:
            return
        assert self.writer is not None
        t = np.concatenate(slot.buf_t) if len(slot.buf_t) > 1 else slot.buf_t[0]
        if slot.string:
            v: Any = [x for block in slot.buf_v for x in block]
        else:
            v = np.concatenate(slot.buf_v) if len(slot.buf_v) > 1 else slot.buf_v[0]
        slot.buf_t, slot.buf_v = [], []
        self.writer.append(slot.group, t, v)
        off = self.writer.current_offset(slot.group)
        slot.last_time_s = float(t[-1]) + off
        slot.last_raw = float(t[-1])
        t_local = t + off
        self.lat_write.add(self.clock() - t_local)
        self._unsynced.append(t_local)

    def _write_all(self) -> None:
        for slot in self.slots.values():
            self._write(slot)
        assert self.writer is not None
        if self.writer.maybe_sync():
            self._synced()

    def _synced(self) -> None:
        now = self.clock()
        for t in self._unsynced:
            self.lat_sync.add(now - t)
        self._unsynced = []

    def _measure_offset(self, group: str, inlet: Any) -> None:
        try:
            off = inlet.time_correction(timeout=2.0)
        except Exception:  # noqa: BLE001 - lost or timed out: the pull loop sees a loss
            nxt = time.monotonic() + 1.0
        else:
            self._offsets_q.put((group, inlet, self.clock(), off))
            nxt = time.monotonic() + self.cfg.clock_interval_s
        with self._clock_lock:
            if group in self._clock_jobs and self._clock_jobs[group][0] is inlet:
                self._clock_jobs[group] = (inlet, nxt)

    def _clock_loop(self) -> None:
        """Background thread: measure each stream's clock offset every clock_interval_s.

        ``time_correction`` blocks until liblsl has an estimate (~0.6 s for a new inlet,
        then it returns at once), so it runs here, a new inlet's first measurement in a
        thread of its own so that all streams get their first offset early; the main loop
        stores the results (``_store_offsets``).
        """
        while not self._clock_stop.is_set():
            now = time.monotonic()
            with self._clock_lock:
                due = [(g, inlet, t) for g, (inlet, t) in self._clock_jobs.items() if t <= now]
                for g, inlet, _ in due:
                    self._clock_jobs[g] = (inlet, math.inf)  # in progress
            for group, inlet, t in due:
                if t == 0.0:
                    threading.Thread(
                        target=self._measure_offset, args=(group, inlet), daemon=True
                    ).start()
                else:
                    self._measure_offset(group, inlet)
            self._clock_stop.wait(0.05)

    def _store_offsets(self) -> None:
        assert self.writer is not None
        while not self._offsets_q.empty():
            group, inlet, t_local, off = self._offsets_q.get_nowait()
            slot = self.slots.get(group)
            if slot is None or slot.inlet is not inlet:
                continue  # measured on an inlet that was lost meanwhile
            self.writer.add_clock_offsets(group, np.array([[t_local, off]]))
            slot.clock_count += 1

    def _silent(self, s: _Slot, now: float) -> bool:
        """A regular stream still there (its outlet open) but sending nothing: a paused
        tracker, a frozen driver. LSL does not call that lost, so it was shown only as 0 Hz."""
        return (
            s.inlet is not None
            and s.info.nominal_srate > 0
            and now - (s.last_pull_s if s.last_pull_s is not None else self.started_at) >= SILENT_S
        )

    def _progress(self, now: float) -> None:
        parts = []
        for s in self.slots.values():
            rate = s.recent
            s.recent = 0
            state = "" if s.inlet is not None or s.one_shot else " LOST"
            if self._silent(s, now):
                state = " SILENT"
                if not s.silent_said:
                    s.silent_said = True
                    self._say(
                        f"{s.group}: no samples for {SILENT_S:g} s although stream "
                        f"{s.info.name!r} is still there: is the tracker paused, or its driver "
                        "frozen? Recording goes on; check the driver's terminal."
                    )
            extra = ""
            if s.info.nominal_srate > 0:
                extra = f" {rate} Hz, dropped {s.dropped()}"
            parts.append(f"{s.group} {s.samples}{extra}{state}")
        # the gaps stored so far, as the file will hold them: a lost stream shows LOST, and
        # becomes a gap only when it comes back (one that never does has ended, no gap)
        gaps = sum(s.gaps for s in self.slots.values())
        elapsed = now - self.started_at
        line = f"[{_hms(elapsed)}] " + " | ".join(parts) + f" | gaps {gaps}"
        self._say(line)

    def _say(self, text: str) -> None:
        if self.cfg.progress:
            print(f"gazemap record: {text}", file=self.err, flush=True)

    def request_stop(self, reason: str) -> None:
        if not self.stop_reason:
            self.stop_reason = reason
        self._stop.set()

    def run(self) -> dict[str, Any]:
        """Record until the duration ends or ``request_stop``; return the statistics."""
        cfg = self.cfg
        try:
            found = self.find_initial()
            screen = self._screen(DEFAULT_SCREEN)
            self.screen_source = "options" if self._screen_from_cli() else "default"
            self.writer = JournaledWriter(
                cfg.out,
                participant=cfg.participant,
                protocol=cfg.protocol,
                screen=screen,
                force=cfg.force,
                sync_interval_s=cfg.sync_interval_s,
            )
        except BaseException:
            self._close_inlets(extra=locals().get("found", []))
            raise
        try:
            return self._run(found)
        except BaseException:
            self.writer.abort()
            self._close_inlets()
            raise

    def _run(self, found: list[_Found]) -> dict[str, Any]:
        cfg = self.cfg
        assert self.writer is not None
        now = self.clock()
        for item in found:
            self.attach(item, now)
        self.writer.set_attr("recording_start_s", self.started_at)
        self._clock_thread = threading.Thread(target=self._clock_loop, daemon=True)
        self._clock_thread.start()
        now = self.clock()
        for slot in self.slots.values():
            slot.recent = 0
        next_write = now + cfg.block_s
        next_progress = now + 1.0
        report_missing_at = now + 2.0
        end = self.started_at + cfg.duration_s if cfg.duration_s is not None else math.inf
        while not self._stop.is_set():
            now = self.clock()
            got = 0
            for slot in list(self.slots.values()):
                got += self._pull(slot, now)
            if now >= next_write:
                self._write_all()
                next_write = max(next_write + cfg.block_s, now)
            self._store_offsets()
            while not self._found.empty():
                news = self._found.get_nowait()
                if isinstance(news, str):
                    self._say(news)
                else:
                    self.attach(news, self.clock())
            if now >= report_missing_at:
                self._report_missing()
                report_missing_at = math.inf
            if now >= next_progress:
                self._progress(now)
                next_progress = max(next_progress + 1.0, now + 0.5)
            if now >= end:
                self.request_stop("duration reached")
                break
            if self._all_lost_for(now, cfg.stop_when_lost_s):
                self.request_stop(ALL_LOST)
                break
            if got == 0:
                time.sleep(0.002)
        return self._finish()

    def _all_lost_for(self, now: float, seconds: float | None) -> bool:
        """Every recorded stream has been gone for ``seconds`` (never, for None)."""
        if seconds is None or not self.slots:
            return False
        # a gazemap mark stream ends after each mark: only the others say the session ended
        slots = [s for s in self.slots.values() if not s.one_shot] or list(self.slots.values())
        lost = [s.lost_at for s in slots]
        times = [t for t in lost if t is not None]
        return len(times) == len(lost) and now - max(times) >= seconds

    def _report_missing(self) -> None:
        if self.cfg.streams:
            missing = [
                p
                for p in self.cfg.streams
                if not any(
                    fnmatch.fnmatchcase(s.info.name, p) or fnmatch.fnmatchcase(s.info.source_id, p)
                    for s in self.slots.values()
                )
            ]
        else:
            have = {s.info.type.lower() for s in self.slots.values()}
            missing = [t for t in self.cfg.types if t.lower() not in have]
        if missing:
            self._say(f"not found yet: {', '.join(missing)} (added to the recording if it appears)")

    def _finish(self) -> dict[str, Any]:
        assert self.writer is not None
        self._stop.set()
        now = self.clock()
        # drain what is already buffered in the inlets
        for slot in self.slots.values():
            while self._pull(slot, now) == _PULL_MAX:
                pass
        self._clock_stop.set()
        if self._clock_thread is not None:
            self._clock_thread.join(timeout=5.0)
        self._store_offsets()
        for slot in self.slots.values():
            if slot.inlet is None:
                continue
            try:  # a last measurement at the end (non-blocking once liblsl has one)
                off = slot.inlet.time_correction(timeout=0.2 if slot.clock_count else 1.0)
            except Exception:  # noqa: BLE001
                continue
            self.writer.add_clock_offsets(slot.group, np.array([[self.clock(), off]]))
            slot.clock_count += 1
        self.stopped_at = self.clock()
        for slot in self.slots.values():
            self._write(slot)
            if slot.inlet is None and slot.lost_at is not None and not slot.one_shot:
                # gone and not back before the stop: the stream ended (a presenter or driver
                # that finished; its outlet closed). Nothing is missing after its end, so it
                # is no gap: its end is stored instead
                slot.gap_start = None
                slot.ended_s = slot.lost_at
                self.writer.set_stream_attr(slot.group, schema.ENDED, slot.ended_s)
            elif slot.gap_start is not None:
                # back, but no sample since: gone from its last sample to the stop
                self._close_gap(slot, self.stopped_at)
        self.writer.set_attr("recording_stop_s", self.stopped_at)
        self.writer.set_attr("stop_reason", self.stop_reason or "stopped")
        self.writer.sync()
        self._synced()
        self._close_inlets()
        self.journal_bytes = self.writer.journal.bytes_written
        if self.journal_bytes > 50_000_000:  # ~10 min at 2 kHz: building takes a few seconds
            self._say(f"writing {self.cfg.out} from the journal ...")
        t_close = time.monotonic()
        self.writer.close()
        self.close_s = time.monotonic() - t_close
        stats = self.stats()
        self._say(
            f"stopped ({self.stop_reason or 'stopped'}) after {_hms(stats['duration_s'])}: "
            + ", ".join(
                f"{g} {s['samples']} samples"
                + (f" ({s['gaps']} gaps)" if s["gaps"] else "")
                + (
                    f" (ended {s['ended_before_stop_s']:.2f} s before the stop)"
                    if s["ended_before_stop_s"] is not None
                    else ""
                )
                for g, s in stats["streams"].items()
            )
            + f" -> {self.cfg.out}"
        )
        if self.cfg.stats_json is not None:
            Path(self.cfg.stats_json).write_text(json.dumps(stats, indent=2))
        return stats

    def _close_inlets(self, extra: list[_Found] | None = None) -> None:
        """Stop the discovery thread and close every inlet (also ones not attached yet)."""
        self._stop.set()
        self._clock_stop.set()
        if self._discovery is not None:
            self._discovery.join(timeout=12.0)
        if self._clock_thread is not None:
            self._clock_thread.join(timeout=5.0)
        inlets = [s.inlet for s in self.slots.values() if s.inlet is not None]
        inlets += [f.inlet for f in extra or []]
        while not self._found.empty():
            item = self._found.get_nowait()
            if isinstance(item, _Found):
                inlets.append(item.inlet)
        for slot in self.slots.values():
            slot.inlet = None
        for inlet in inlets:
            try:
                inlet.close_stream()
            except Exception:  # noqa: BLE001
                pass

    def stats(self) -> dict[str, Any]:
        """Counters of the recording (also written to ``stats_json``)."""
        return {
            "file": str(self.cfg.out),
            "duration_s": self.stopped_at - self.started_at,
            "stop_reason": self.stop_reason,
            "streams": {
                g: {
                    "name": s.info.name,
                    "type": s.info.type,
                    "source_id": s.info.source_id,
                    "samples": s.samples,
                    "dropped": s.dropped(),
                    "gaps": s.gaps,
                    # a stream that went away and did not come back before the stop
                    "ended_s": s.ended_s,
                    "ended_before_stop_s": (
                        None if s.ended_s is None else max(0.0, self.stopped_at - s.ended_s)
                    ),
                    "clock_offsets": s.clock_count,
                }
                for g, s in self.slots.items()
            },
            "latency_to_journal_ms": {
                "p50": self.lat_write.percentile_ms(50),
                "p99": self.lat_write.percentile_ms(99),
                "max": self.lat_write.percentile_ms(100),
            },
            "latency_to_fsync_ms": {
                "p50": self.lat_sync.percentile_ms(50),
                "p99": self.lat_sync.percentile_ms(99),
                "max": self.lat_sync.percentile_ms(100),
            },
            "screen_source": self.screen_source,
            "journal_bytes": self.journal_bytes,
            "close_s": self.close_s,
        }


def _hms(seconds: float) -> str:
    s = int(max(0, seconds))
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def record_session(config: RecorderConfig, *, err: TextIO | None = None) -> dict[str, Any]:
    """Record a session (the ``gazemap record`` command); returns the statistics.

    SIGINT, SIGTERM and SIGHUP (terminal closed) stop the recording and close the file
    cleanly. Raises DeviceError
    when no stream is found within ``wait_s`` and InputError/SessionFileError for an
    output file that exists or cannot be written (what was recorded until then is kept in
    the journal; see ``gazemap recover``).
    """
    rec = Recorder(config, err=err)
    handlers: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():

        def _on_signal(signum: int, frame: object) -> None:
            rec.request_stop(signal.Signals(signum).name)

        # SIGHUP: the terminal was closed (or an ssh session dropped); it killed the
        # recorder, leaving only the journal to recover
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            handlers[sig] = signal.signal(sig, _on_signal)
    try:
        return rec.run()
    finally:
        for signum, h in handlers.items():
            signal.signal(signum, h)


__all__ = [
    "DEFAULT_SCREEN",
    "DEFAULT_TYPES",
    "Recorder",
    "RecorderConfig",
    "record_session",
    "stream_key",
]
