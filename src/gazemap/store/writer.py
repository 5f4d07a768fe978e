"""Append-only writer of session files.

Datasets are chunked and resizable; every append grows them. The writer itself is not
crash-safe on its own: the recorder pairs it with a journal (see gazemap.store.journal)
so that a killed process can be recovered with ``gazemap recover``.
"""

from __future__ import annotations

import datetime as _dt
import errno
import os
import uuid
from pathlib import Path
from types import TracebackType

import h5py
import numpy as np

from gazemap import __version__
from gazemap.errors import InputError, SessionFileError
from gazemap.store import schema
from gazemap.store.schema import StreamInfo
from gazemap.types import ScreenGeometry

_STR = h5py.string_dtype(encoding="utf-8")
_CHUNK = 4096


def _resizable(
    group: h5py.Group,
    name: str,
    dtype: object,
    shape_tail: tuple[int, ...] = (),
    compression: str | None = None,
) -> h5py.Dataset:
    return group.create_dataset(
        name,
        shape=(0, *shape_tail),
        maxshape=(None, *shape_tail),
        dtype=dtype,
        chunks=(_CHUNK, *shape_tail) if not shape_tail else (256, *shape_tail),
        compression=compression,
    )


def _append(ds: h5py.Dataset, values: np.ndarray) -> None:
    n = len(values)
    if n == 0:
        return
    old = ds.shape[0]
    ds.resize(old + n, axis=0)
    ds[old:] = values


def write_failure(exc: OSError) -> str:
    """Why writing a file failed, as one line a user can act on (h5py's messages span lines
    and say "file write failed ... errno = 28")."""
    text = " ".join(str(exc).split())
    code = getattr(exc, "errno", None)
    if code == errno.ENOSPC or "No space left on device" in text:
        return (
            "the disk is full (no space left on the device); nothing was written. Free some "
            "space or choose a folder on another disk."
        )
    if code in (errno.EACCES, errno.EROFS) or "Permission denied" in text or "Read-only" in text:
        return "no permission to write there (or a read-only disk); choose another folder."
    return f"{text}. Check the path and its permissions."


#: free space kept beyond an estimate of what a file needs (HDF5 metadata, chunk slack)
SPACE_MARGIN_BYTES = 4 << 20


def space_short(path: Path, need_bytes: float) -> tuple[float, float] | None:
    """(free, needed) bytes when the disk of ``path`` has less than ``need_bytes`` plus
    SPACE_MARGIN_BYTES free, else None (also when the disk cannot be asked)."""
    import shutil

    need = float(need_bytes) + SPACE_MARGIN_BYTES
    try:
        free = shutil.disk_usage(Path(path).resolve().parent).free
    except OSError:
        return None
    return (float(free), need) if free < need else None


def check_free_space(path: Path, need_bytes: float, what: str) -> None:
    """Refuse to start writing ``path`` when its disk has less than ``need_bytes`` plus a
    margin free.

    HDF5 that hits a full disk part-way leaves a damaged file, and h5py can crash the process
    while closing it, so a write that cannot fit is refused before it starts. ``what`` says
    what was to be written (for the message). InputError when the space is short.
    """
    short = space_short(path, need_bytes)
    if short is not None:
        free, need = short
        raise InputError(
            f"cannot write {path}: only {free / 1e6:.1f} MB free on its disk, and {what} needs "
            f"about {need / 1e6:.1f} MB; nothing was written. Free some space or choose a "
            "folder on another disk."
        )


def check_output_path(path: Path, force: bool) -> None:
    """Refuse to overwrite ``path`` without ``force``, a folder, and a missing folder."""
    if path.is_dir():
        # checked first: "pass --force" would be the wrong advice for a folder
        raise InputError(
            f"cannot write {path}: it is a folder. Give a file name, e.g. {path / 'P01.h5'}."
        )
    if path.exists() and not force:
        raise InputError(
            f"{path} already exists; refusing to overwrite it. Choose another --out or pass --force."
        )
    if not path.parent.exists():
        raise InputError(
            f"cannot write {path}: folder {path.parent} does not exist. Create it first."
        )


class SessionWriter:
    """Create a session file and append stream data to it.

    Parameters
    ----------
    path : output file; an existing file is refused unless ``force``.
    participant, protocol, session_id : root attributes (session_id defaults to a UUID).
    screen : the screen geometry, stored under ``/screen``.
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
        created_utc: str | None = None,
        compression: str | None = None,
    ) -> None:
        """``compression``: h5py filter for channel data (``"gzip"`` for archives such as
        the sample study; None while recording, where speed matters)."""
        self.path = Path(path)
        self._compression = compression
        check_output_path(self.path, force)
        try:
            self._f = h5py.File(self.path, "w", libver="latest")
        except OSError as exc:
            raise InputError(f"cannot create {self.path}: {write_failure(exc)}") from exc
        a = self._f.attrs
        a["format"] = schema.FORMAT
        a["format_version"] = schema.FORMAT_VERSION
        a["session_id"] = session_id or uuid.uuid4().hex
        a["participant"] = participant
        a["protocol"] = protocol
        a["created_utc"] = created_utc or _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
        a["software_version"] = __version__
        self._f.create_group("streams")
        if screen is not None:
            self.set_screen(screen)
        self._streams: dict[str, StreamInfo] = {}

    # -- structure ---------------------------------------------------------------------
    def set_screen(self, screen: ScreenGeometry) -> None:
        g = self._f.require_group("screen")
        for name in schema.SCREEN_ATTRS:
            g.attrs[name] = getattr(screen, name)

    def set_attr(self, name: str, value: object) -> None:
        self._f.attrs[name] = value

    def add_stream(self, group: str, info: StreamInfo) -> None:
        if group in self._streams:
            raise InputError(f"stream {group!r} was added twice to {self.path}; use a unique name.")
        g = self._f["streams"].create_group(group)
        g.attrs["name"] = info.name
        g.attrs["type"] = info.type
        g.attrs["source_id"] = info.source_id
        g.attrs["nominal_srate"] = float(info.nominal_srate)
        g.attrs["channel_labels"] = list(info.channel_labels)
        g.attrs["channel_units"] = list(info.channel_units) or [""] * len(info.channel_labels)
        g.attrs["channel_format"] = info.channel_format
        g.attrs["hostname"] = info.hostname
        g.attrs["xml"] = info.xml
        for k, v in info.extra.items():
            g.attrs[k] = v
        _resizable(g, schema.TIME, np.float64, compression=self._compression)
        _resizable(g, schema.TIME_RAW, np.float64, compression=self._compression)
        _resizable(g, schema.CLOCK_OFFSETS, np.float64, (2,))
        _resizable(g, schema.GAPS, np.float64, (2,))
        if info.is_string:
            _resizable(g, schema.MARKER_VALUE, _STR)
        else:
            dtype = np.float64 if info.channel_format == "float64" else np.float32
            for label in info.channel_labels:
                _resizable(g, label, dtype, compression=self._compression)
        self._streams[group] = info

    def _info(self, group: str) -> StreamInfo:
        info = self._streams.get(group)
        if info is None:
            raise InputError(f"stream {group!r} is not in {self.path}; call add_stream first.")
        return info

    @property
    def streams(self) -> dict[str, StreamInfo]:
        return dict(self._streams)

    # -- data --------------------------------------------------------------------------
    def append(
        self,
        group: str,
        time_s: np.ndarray,
        data: np.ndarray | list[str],
        time_raw_s: np.ndarray | None = None,
    ) -> None:
        """Append samples: ``data`` is (n, channels) numeric or n strings for markers."""
        info = self._info(group)
        g = self._f["streams"][group]
        t = np.asarray(time_s, dtype=np.float64).reshape(-1)
        raw = t if time_raw_s is None else np.asarray(time_raw_s, dtype=np.float64).reshape(-1)
        if info.is_string:
            values = [str(v) for v in data]
            if len(values) != len(t):
                raise InputError(f"{group}: {len(values)} marker values for {len(t)} timestamps.")
            _append(g[schema.MARKER_VALUE], np.array(values, dtype=object))
        else:
            arr = np.asarray(data)
            if arr.ndim == 1:
                arr = arr.reshape(-1, 1)
            if arr.shape != (len(t), len(info.channel_labels)):
                raise InputError(
                    f"{group}: data must have shape ({len(t)}, {len(info.channel_labels)}), got {arr.shape}."
                )
            for j, label in enumerate(info.channel_labels):
                _append(g[label], arr[:, j])
        _append(g[schema.TIME_RAW], raw)
        _append(g[schema.TIME], t)

    def add_clock_offsets(self, group: str, offsets: np.ndarray) -> None:
        """Append (n, 2) rows of (local LSL time s, offset s) measured for a stream."""
        self._info(group)
        arr = np.asarray(offsets, dtype=np.float64).reshape(-1, 2)
        _append(self._f["streams"][group][schema.CLOCK_OFFSETS], arr)

    def add_gap(self, group: str, start_s: float, end_s: float) -> None:
        """Record that ``group`` was lost between ``start_s`` and ``end_s``."""
        self._info(group)
        _append(
            self._f["streams"][group][schema.GAPS], np.array([[start_s, end_s]], dtype=np.float64)
        )

    def write_calibration(
        self, points_px: np.ndarray, error_deg: np.ndarray, **attrs: object
    ) -> None:
        """Store validation points (n, 2 px) and their accuracy error (n, degrees)."""
        g = self._f.require_group("calibration")
        for name in ("points_px", "error_deg"):
            if name in g:
                del g[name]
        g.create_dataset("points_px", data=np.asarray(points_px, dtype=np.float64).reshape(-1, 2))
        g.create_dataset("error_deg", data=np.asarray(error_deg, dtype=np.float64).reshape(-1))
        for k, v in attrs.items():
            g.attrs[k] = v

    @property
    def h5(self) -> h5py.File:
        """The open h5py file, for writers of extra groups (importers' /derived)."""
        return self._f

    def flush(self) -> None:
        try:
            self._f.flush()
        except OSError as exc:  # pragma: no cover - disk errors are tested via the recorder
            raise SessionFileError(f"cannot write {self.path}: {exc}") from exc

    def close(self) -> None:
        if self._f.id.valid:
            self._f.close()

    def __enter__(self) -> SessionWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
