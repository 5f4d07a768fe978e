"""Append-only recording journal beside a session file, and the writer that keeps both.

HDF5 is not safe against a killed process: a recorder killed in the middle of a write can
leave the whole file unreadable. So every block the recorder stores goes first into
``FILE.h5.journal``, a flat file of length-prefixed, checksummed records written with
``os.write`` (in the kernel once the call returns, so a SIGKILL cannot lose it) and
``fsync``'ed at least every ``sync_interval_s`` (so a power cut loses at most that). The same
block is then appended to the HDF5 file. On a clean close the HDF5 file is finalised and the
journal deleted; after a crash ``gazemap recover FILE.h5`` (gazemap.store.recover) rebuilds
the HDF5 file from the journal alone.

Journal layout (little endian; docs/file-format.md)::

    magic  b"GZMJRNL1"
    record u32 payload_len | u8 kind | u32 crc32(payload) | payload
    payload = u32 json_len | JSON header (UTF-8) | binary body

A torn last record (short or with a bad checksum) is ignored by the reader.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import fcntl
import json
import os
import struct
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType

import numpy as np

from gazemap.errors import InputError, SessionFileError
from gazemap.store import schema
from gazemap.store.schema import StreamInfo
from gazemap.store.writer import SessionWriter
from gazemap.types import ScreenGeometry

MAGIC = b"GZMJRNL1"
JOURNAL_SUFFIX = ".journal"
_HEAD = struct.Struct("<IBI")
_U32 = struct.Struct("<I")

# record kinds
SESSION = 1
SCREEN = 2
STREAM = 3
DATA = 4
CLOCK = 5
GAP = 6
ATTR = 7
CALIBRATION = 8

KIND_NAMES = {
    SESSION: "session",
    SCREEN: "screen",
    STREAM: "stream",
    DATA: "data",
    CLOCK: "clock",
    GAP: "gap",
    ATTR: "attr",
    CALIBRATION: "calibration",
}

#: a record larger than this is a damaged length field, not data
_MAX_RECORD = 1 << 30


def journal_path(path: str | os.PathLike[str]) -> Path:
    """``FILE.h5`` -> ``FILE.h5.journal``."""
    return Path(str(path) + JOURNAL_SUFFIX)


def space_shortfall(journal: Path, target: Path) -> str:
    """Empty when ``target``'s disk can hold the session built from ``journal``, else why
    not (one clause). The HDF5 file is about as large as the journal's data; with 10 % and
    the writer's margin on top."""
    from gazemap.store.writer import space_short

    try:
        size = os.path.getsize(journal)
    except OSError:
        return ""
    short = space_short(target, 1.1 * size)
    if short is None:
        return ""
    free, need = short
    return (
        f"only {free / 1e6:.1f} MB free on its disk and the session needs about "
        f"{need / 1e6:.1f} MB (the disk is full)"
    )


def io_error_hint(exc: OSError) -> str:
    """A short, fixable description of a write error (disk full, no permission...)."""
    text = str(exc).lower()
    full = ("no space left", "file too large", "quota exceeded", "errno = 28", "errno = 27")
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG) or any(t in text for t in full):
        return "the disk is full (or a file size/quota limit was reached); free space"
    denied = ("permission denied", "read-only file system", "errno = 13", "errno = 30")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS) or any(t in text for t in denied):
        return "no permission to write there (or a read-only disk); choose another --out"
    return "check the disk and the path"


def _encode(header: dict[str, object], body: bytes = b"") -> bytes:
    h = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return _U32.pack(len(h)) + h + body


def _info_to_json(info: StreamInfo) -> dict[str, object]:
    d = dataclasses.asdict(info)
    d["channel_labels"] = list(info.channel_labels)
    d["channel_units"] = list(info.channel_units)
    return d


def _info_from_json(d: dict[str, object]) -> StreamInfo:
    kw = dict(d)
    kw["channel_labels"] = tuple(kw.get("channel_labels", ()))  # type: ignore[arg-type]
    kw["channel_units"] = tuple(kw.get("channel_units", ()))  # type: ignore[arg-type]
    kw["extra"] = dict(kw.get("extra", {}))  # type: ignore[call-overload]
    return StreamInfo(**kw)  # type: ignore[arg-type]


class Journal:
    """Writer of a journal file. Records are in the kernel when a method returns.

    Parameters
    ----------
    path : the journal file (``FILE.h5.journal``); it must not exist yet.
    sync_interval_s : ``maybe_sync`` fsyncs when this much time passed since the last fsync.
    """

    def __init__(self, path: str | os.PathLike[str], sync_interval_s: float = 0.5) -> None:
        self.path = Path(path)
        self.sync_interval_s = float(sync_interval_s)
        try:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        except FileExistsError as exc:
            raise InputError(
                f"{self.path} exists: an earlier recording of this file was interrupted. Run "
                f"`gazemap recover {str(self.path)[: -len(JOURNAL_SUFFIX)]}` first, or pass "
                "--force to discard it."
            ) from exc
        except OSError as exc:
            raise SessionFileError(
                f"cannot create {self.path}: {exc.strerror}; {io_error_hint(exc)}."
            ) from exc
        # the lock tells `gazemap recover` that a live recorder still owns the journal
        fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self.bytes_written = 0
        self.records = 0
        self._last_sync = time.monotonic()
        self._write(MAGIC)
        self.sync()

    # -- low level ---------------------------------------------------------------------
    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            n = os.write(self._fd, view)  # raises OSError (ENOSPC, EFBIG, EIO ...)
            view = view[n:]
        self.bytes_written += len(data)

    def record(self, kind: int, header: dict[str, object], body: bytes = b"") -> None:
        """Append one record (header: JSON-able dict, body: raw bytes)."""
        payload = _encode(header, body)
        self._write(_HEAD.pack(len(payload), kind, zlib.crc32(payload)) + payload)
        self.records += 1

    def sync(self) -> None:
        """fsync the journal: its records now survive a power cut too."""
        os.fsync(self._fd)
        self._last_sync = time.monotonic()

    def maybe_sync(self) -> bool:
        """fsync if ``sync_interval_s`` passed since the last one; True if it did."""
        if time.monotonic() - self._last_sync >= self.sync_interval_s:
            self.sync()
            return True
        return False

    def close(self, remove: bool = False) -> None:
        if self._fd < 0:
            return
        with contextlib.suppress(OSError):
            os.fsync(self._fd)
        os.close(self._fd)
        self._fd = -1
        if remove:
            self.path.unlink(missing_ok=True)
            _fsync_dir(self.path.parent)

    @property
    def closed(self) -> bool:
        return self._fd < 0

    # -- typed records -----------------------------------------------------------------
    def write_session(self, attrs: dict[str, object]) -> None:
        self.record(SESSION, {"attrs": attrs, "pid": os.getpid()})

    def write_screen(self, screen: ScreenGeometry) -> None:
        self.record(SCREEN, {k: getattr(screen, k) for k in schema.SCREEN_ATTRS})

    def write_stream(self, group: str, info: StreamInfo) -> None:
        self.record(STREAM, {"g": group, "info": _info_to_json(info)})

    def write_data(
        self, group: str, time_raw_s: np.ndarray, values: np.ndarray | list[str]
    ) -> None:
        """A block of samples: raw timestamps (n,) and values (n, channels) or n strings."""
        t = np.ascontiguousarray(time_raw_s, dtype="<f8").reshape(-1)
        if isinstance(values, np.ndarray) and values.dtype != object:
            v = np.ascontiguousarray(values)
            v = v.astype(v.dtype.newbyteorder("<"), copy=False)
            v2 = v.reshape(len(t), -1)
            head: dict[str, object] = {
                "g": group,
                "n": len(t),
                "dtype": v2.dtype.str,
                "c": v2.shape[1],
            }
            self.record(DATA, head, t.tobytes() + v2.tobytes())
        else:
            strings = [str(x) for x in values]
            body = json.dumps(strings, ensure_ascii=False).encode("utf-8")
            self.record(DATA, {"g": group, "n": len(t), "str": True}, t.tobytes() + body)

    def write_clock(self, group: str, offsets: np.ndarray) -> None:
        arr = np.ascontiguousarray(offsets, dtype="<f8").reshape(-1, 2)
        self.record(CLOCK, {"g": group, "n": len(arr)}, arr.tobytes())

    def write_gap(
        self,
        group: str,
        start_s: float,
        end_s: float,
        start_raw: bool = False,
        end_raw: bool = False,
    ) -> None:
        """A gap; an end flagged ``raw`` is a sender timestamp, clock-corrected on build."""
        self.record(
            GAP,
            {
                "g": group,
                "start_s": float(start_s),
                "end_s": float(end_s),
                "start_raw": bool(start_raw),
                "end_raw": bool(end_raw),
            },
        )

    def write_attr(self, name: str, value: object, group: str | None = None) -> None:
        """A root attribute, or (``group``) an attribute of ``/streams/<group>``."""
        head: dict[str, object] = {"name": name, "value": value}
        if group is not None:
            head["g"] = group
        self.record(ATTR, head)

    def write_calibration(
        self, points_px: np.ndarray, error_deg: np.ndarray, attrs: dict[str, object]
    ) -> None:
        self.record(
            CALIBRATION,
            {
                "points_px": np.asarray(points_px, dtype=float).reshape(-1, 2).tolist(),
                "error_deg": np.asarray(error_deg, dtype=float).reshape(-1).tolist(),
                "attrs": attrs,
            },
        )


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------


@dataclasses.dataclass
class Record:
    kind: int
    header: dict[str, object]
    body: bytes

    def data(self, info: StreamInfo | None = None) -> tuple[np.ndarray, np.ndarray | list[str]]:
        """(time_raw_s (n,), values) of a DATA record."""
        n = int(self.header["n"])  # type: ignore[call-overload]
        t = np.frombuffer(self.body, dtype="<f8", count=n)
        rest = self.body[8 * n :]
        if self.header.get("str"):
            return t, list(json.loads(rest.decode("utf-8")))
        c = int(self.header["c"])  # type: ignore[call-overload]
        v = np.frombuffer(rest, dtype=np.dtype(str(self.header["dtype"]))).reshape(n, c)
        return t, v

    def clock(self) -> np.ndarray:
        return np.frombuffer(self.body, dtype="<f8").reshape(-1, 2)


@dataclasses.dataclass
class ScanResult:
    """What ``iter_records`` found besides the records: where it stopped and why."""

    records: int = 0
    bytes_read: int = 0
    file_size: int = 0
    #: bytes after the last complete record (a torn record from the crash), 0 if none
    ignored_bytes: int = 0
    problem: str = ""


def iter_records(path: str | os.PathLike[str], scan: ScanResult | None = None) -> Iterator[Record]:
    """Yield the complete records of a journal; stop at a torn or damaged one.

    ``scan`` (optional) is filled with how far reading got and what was ignored.
    Raises SessionFileError for a file that is not a gazemap journal.
    """
    p = Path(path)
    scan = scan if scan is not None else ScanResult()
    try:
        f = open(p, "rb")  # noqa: SIM115 - closed in finally, generator
    except FileNotFoundError as exc:
        raise SessionFileError(f"{p}: no such journal file.") from exc
    try:
        scan.file_size = os.fstat(f.fileno()).st_size
        magic = f.read(len(MAGIC))
        if len(magic) < len(MAGIC) and MAGIC.startswith(magic):
            # a recorder killed right after creating it (or a full disk at its first write)
            raise SessionFileError(
                f"{p}: the journal is empty ({len(magic)} bytes): the recorder stopped before "
                "it recorded anything, so there is nothing to recover. Delete it and record "
                "again."
            )
        if magic != MAGIC:
            raise SessionFileError(
                f"{p}: not a gazemap recording journal (starts with {magic[:8]!r}, expected "
                f"{MAGIC!r})."
            )
        pos = len(MAGIC)
        while True:
            head = f.read(_HEAD.size)
            if not head:
                break
            if len(head) < _HEAD.size:
                scan.problem = "torn record header at the end"
                break
            length, kind, crc = _HEAD.unpack(head)
            if length > _MAX_RECORD or kind not in KIND_NAMES:
                scan.problem = f"damaged record at byte {pos}"
                break
            payload = f.read(length)
            if len(payload) < length:
                scan.problem = "torn last record (the recorder was stopped while writing it)"
                break
            if zlib.crc32(payload) != crc:
                scan.problem = f"record at byte {pos} fails its checksum"
                break
            (hlen,) = _U32.unpack_from(payload)
            header = json.loads(payload[4 : 4 + hlen].decode("utf-8"))
            pos += _HEAD.size + length
            scan.records += 1
            scan.bytes_read = pos
            yield Record(kind, header, payload[4 + hlen :])
        scan.bytes_read = pos
        scan.ignored_bytes = scan.file_size - pos
    finally:
        f.close()


def journal_locked(path: str | os.PathLike[str]) -> bool:
    """True if a live recorder holds the journal (it keeps an exclusive flock on it)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------------------
# Finalising a session file (shared by a clean close and by recover)
# ---------------------------------------------------------------------------------------


def finalize_streams(writer: SessionWriter) -> None:
    """Recompute every stream's ``time_s`` from ``time_raw_s`` and its clock offsets
    (gazemap.acquisition.clock.corrected_times), and sort a stream by time if its blocks
    arrived out of order (a re-attached stream). Idempotent.
    """
    from gazemap.acquisition.clock import corrected_times

    f = writer.h5
    for group, info in writer.streams.items():
        g = f["streams"][group]
        raw = g[schema.TIME_RAW][()]
        if len(raw) == 0:
            continue
        t = corrected_times(raw, g[schema.CLOCK_OFFSETS][()])
        if len(t) > 1 and np.any(np.diff(t) < 0):
            order = np.argsort(t, kind="stable")
            t = t[order]
            names = [schema.TIME_RAW]
            names += [schema.MARKER_VALUE] if info.is_string else list(info.channel_labels)
            for name in names:
                g[name][...] = g[name][()][order]
        g[schema.TIME][...] = t


# ---------------------------------------------------------------------------------------
# The journaled writer the recorder uses
# ---------------------------------------------------------------------------------------


def _root_attrs(participant: str, protocol: str, session_id: str | None) -> dict[str, object]:
    import datetime as _dt
    import uuid

    from gazemap import __version__

    return {
        "format": schema.FORMAT,
        "format_version": schema.FORMAT_VERSION,
        "session_id": session_id or uuid.uuid4().hex,
        "participant": participant,
        "protocol": protocol,
        "created_utc": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "software_version": __version__,
    }


class JournaledWriter:
    """Records a session into ``FILE.h5.journal``; ``close()`` turns it into ``FILE.h5``.

    Same data methods as SessionWriter (``add_stream``, ``append``, ``add_clock_offsets``,
    ``add_gap``, ``set_attr``, ``set_screen``, ``write_calibration``); ``append`` takes the
    raw timestamps. While recording only the journal is written: plain ``os.write`` calls
    that either succeed or fail with a clean OSError, where a failing HDF5 library can
    leave a corrupt file or even crash the process. ``close()`` builds the HDF5 file from
    the journal's blocks with the same code as ``gazemap recover`` (``time_s`` =
    ``corrected_times(time_raw_s, clock_offsets)``, streams in time order), replaces
    ``FILE.h5`` atomically, fsyncs it and deletes the journal. ``abort()`` keeps the journal
    for ``gazemap recover``.

    Any OSError (disk full, unwritable, I/O error) is raised as SessionFileError saying what
    was kept; the journal then holds every block written before the error.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        participant: str = "",
        protocol: str = "",
        session_id: str | None = None,
        screen: ScreenGeometry | None = None,
        force: bool = False,
        sync_interval_s: float = 0.5,
    ) -> None:
        self.path = Path(path)
        jpath = journal_path(self.path)
        if jpath.exists():
            if journal_locked(jpath):
                raise InputError(
                    f"a running recorder (another `gazemap record`) is recording {self.path} right now (it holds "
                    f"{jpath}). Give this recording another --out, or stop the other recorder "
                    "first (Ctrl-C in its terminal)."
                )
            if not force:
                raise InputError(
                    f"{jpath} exists: an earlier recording of {self.path} was interrupted. Run "
                    f"`gazemap recover {self.path}` first, or pass --force to discard it."
                )
            jpath.unlink()
        if self.path.exists() and not force:
            raise InputError(
                f"{self.path} already exists; refusing to overwrite it. Choose another --out "
                "or pass --force to replace it."
            )
        if not self.path.parent.exists():
            raise InputError(
                f"cannot write {self.path}: folder {self.path.parent} does not exist. "
                "Create it first."
            )
        if self.path.is_dir():
            raise InputError(f"cannot create {self.path}: it is a folder. Choose a file name.")
        self.journal = Journal(jpath, sync_interval_s=sync_interval_s)
        self.attrs = _root_attrs(participant, protocol, session_id)
        self._streams: dict[str, StreamInfo] = {}
        self._offsets: dict[str, float] = {}
        self.failed: SessionFileError | None = None
        self._guard(lambda: self.journal.write_session(dict(self.attrs)))
        if screen is not None:
            self.set_screen(screen)
        self.sync()

    # -- error handling ------------------------------------------------------------------
    def _guard(self, *steps: Callable[[], object]) -> object:
        """Run ``steps`` in order; turn an OSError into a lasting SessionFileError."""
        if self.failed is not None:
            raise self.failed
        try:
            result: object = None
            for step in steps:
                result = step()
            return result
        except OSError as exc:
            self.failed = SessionFileError(
                f"cannot write {self.journal.path}: {exc.strerror or exc}; {io_error_hint(exc)}. "
                f"Everything recorded before this is kept in it: run "
                f"`gazemap recover {self.path}` (add --out OTHER.h5 to write it elsewhere)."
            )
            raise self.failed from exc

    def _info(self, group: str) -> StreamInfo:
        info = self._streams.get(group)
        if info is None:
            raise InputError(f"stream {group!r} is not in {self.path}; call add_stream first.")
        return info

    # -- structure -----------------------------------------------------------------------
    def set_screen(self, screen: ScreenGeometry) -> None:
        self._guard(lambda: self.journal.write_screen(screen))

    def set_attr(self, name: str, value: object) -> None:
        self._guard(lambda: self.journal.write_attr(name, value))

    def set_stream_attr(self, group: str, name: str, value: object) -> None:
        """An attribute of ``/streams/<group>`` (a stream added before)."""
        if group not in self._streams:
            raise InputError(f"no stream {group!r} in {self.path}: add_stream it first.")
        self._guard(lambda: self.journal.write_attr(name, value, group))

    def add_stream(self, group: str, info: StreamInfo) -> None:
        if group in self._streams:
            raise InputError(f"stream {group!r} was added twice to {self.path}; use a unique name.")
        if group in ("", ".", "..") or "/" in group:
            raise InputError(f"stream name {group!r} is not usable as an HDF5 group name.")
        self._guard(lambda: self.journal.write_stream(group, info))
        self._streams[group] = info

    @property
    def streams(self) -> dict[str, StreamInfo]:
        return dict(self._streams)

    # -- data ----------------------------------------------------------------------------
    def current_offset(self, group: str) -> float:
        """The latest clock offset measured for ``group`` (0 before the first)."""
        return self._offsets.get(group, 0.0)

    def append(self, group: str, time_raw_s: np.ndarray, data: np.ndarray | list[str]) -> None:
        """Append a block: raw timestamps (n,) and (n, channels) values or n strings."""
        info = self._info(group)
        raw = np.asarray(time_raw_s, dtype=np.float64).reshape(-1)
        if len(raw) == 0:
            return
        if info.is_string:
            values: np.ndarray | list[str] = [str(v) for v in data]
            if len(values) != len(raw):
                raise InputError(f"{group}: {len(values)} marker values for {len(raw)} timestamps.")
        else:
            arr = np.asarray(data)
            if arr.ndim == 1:
                arr = arr.reshape(-1, 1)
            if arr.shape != (len(raw), len(info.channel_labels)):
                raise InputError(
                    f"{group}: data must have shape ({len(raw)}, {len(info.channel_labels)}), "
                    f"got {arr.shape}."
                )
            dtype = np.float64 if info.channel_format == "float64" else np.float32
            values = arr.astype(dtype, copy=False)
        self._guard(lambda: self.journal.write_data(group, raw, values))

    def add_clock_offsets(self, group: str, offsets: np.ndarray) -> None:
        """Append (n, 2) rows of (local LSL time s, offset s) measured for ``group``."""
        self._info(group)
        arr = np.asarray(offsets, dtype=np.float64).reshape(-1, 2)
        if len(arr) == 0:
            return
        self._guard(lambda: self.journal.write_clock(group, arr))
        self._offsets[group] = float(arr[-1, 1])

    def add_gap(
        self,
        group: str,
        start_s: float,
        end_s: float,
        *,
        start_raw: bool = False,
        end_raw: bool = False,
    ) -> None:
        """Record that ``group`` was lost between ``start_s`` and ``end_s``.

        Times are on the recorder's LSL clock, or (``start_raw``/``end_raw``) raw sender
        timestamps of the samples around the gap, which the file then gets corrected
        exactly like those samples' ``time_s``.
        """
        self._info(group)
        self._guard(lambda: self.journal.write_gap(group, start_s, end_s, start_raw, end_raw))

    def write_calibration(
        self, points_px: np.ndarray, error_deg: np.ndarray, **attrs: object
    ) -> None:
        self._guard(lambda: self.journal.write_calibration(points_px, error_deg, attrs))

    # -- durability ----------------------------------------------------------------------
    def maybe_sync(self) -> bool:
        """fsync the journal if its interval passed (call often; cheap otherwise)."""
        return bool(self._guard(self.journal.maybe_sync))

    def sync(self) -> None:
        self._guard(self.journal.sync)

    def close(self) -> None:
        """Build ``FILE.h5`` from the journal, fsync it, then delete the journal.

        If building fails (e.g. the disk is full) the journal is kept and the error says
        how to recover it.
        """
        if self.journal.closed:
            return
        from gazemap.store.recover import build_session

        self._guard(self.journal.sync)
        short = space_shortfall(self.journal.path, self.path)
        if short:
            # HDF5 running out of space part-way crashes the process (h5py cannot close the
            # file) before any message: refuse first, keeping the journal
            self.journal.close(remove=False)
            raise SessionFileError(
                f"cannot write {self.path}: {short}. The recording is kept in "
                f"{self.journal.path}: free some space, then run `gazemap recover {self.path}` "
                "(add --out OTHER.h5 to write it on another disk)."
            )
        tmp = self.path.with_name(self.path.name + ".closing")
        try:
            build_session(self.journal.path, tmp, recovered=False)
            os.replace(tmp, self.path)
            _fsync_dir(self.path.parent)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            self.journal.close(remove=False)
            raise SessionFileError(
                f"cannot write {self.path}: {exc.strerror or exc}; {io_error_hint(exc)}. "
                f"The recording is kept in {self.journal.path}: run `gazemap recover "
                f"{self.path}` (add --out OTHER.h5 to write it elsewhere)."
            ) from exc
        except BaseException:
            tmp.unlink(missing_ok=True)
            self.journal.close(remove=False)
            raise
        self.journal.close(remove=True)

    def abort(self) -> None:
        """Close the journal after an error, keeping it for ``gazemap recover``."""
        with contextlib.suppress(Exception):
            self.journal.close(remove=False)

    def __enter__(self) -> JournaledWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
