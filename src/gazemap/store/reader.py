"""Reading side of session files: typed arrays out, clear errors for bad files."""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from types import TracebackType

import h5py
import numpy as np

from gazemap.errors import SessionFileError
from gazemap.quality import Validation, session_validation
from gazemap.store import schema
from gazemap.types import (
    GAZE_CHANNEL_LABELS,
    SCROLL_CHANNEL_LABELS,
    GazeSamples,
    Markers,
    ScreenGeometry,
    ScrollSamples,
)

#: how to get a usable file back when a session file is damaged (``path`` is filled in)
_REMAKE = (
    "If {path}.journal is beside it, run `gazemap recover {path}`; otherwise copy the file "
    "again from where it was recorded, or record or import the session again."
)


def implausible_gaze_interval(time_s: np.ndarray) -> float | None:
    """The median interval (s) between gaze samples when it gives a rate no eye tracker has
    (outside schema.PLAUSIBLE_GAZE_RATE_HZ: timestamps in another unit than seconds), else
    None; also None with fewer than 10 increasing intervals between finite times."""
    t = np.asarray(time_s, dtype=np.float64)
    d = np.diff(t[np.isfinite(t)])
    d = d[d > 0]
    if len(d) < 10:
        return None
    med = float(np.median(d))
    lo, hi = schema.PLAUSIBLE_GAZE_RATE_HZ
    return None if lo <= 1.0 / med <= hi else med


def unreadable_reason(exc: BaseException) -> str:
    """Why h5py could not open a file (``exc``), in words a user can act on (one sentence or two).

    h5py's own messages ("truncated file: eof = 200000, ... stored_eof = 2017272", "file
    signature not found") say what HDF5 saw, not what happened to the file or what to do.
    """
    text = str(exc)
    m = re.search(r"truncated file: eof = (\d+).*?stored_eof = (\d+)", text)
    if m:
        have, want = int(m.group(1)), int(m.group(2))
        return (
            f"not a readable HDF5 file: it is truncated, {have:,} of its {want:,} bytes are "
            "there (an interrupted copy or download, or a full disk). Copy it again from where "
            "it was recorded."
        )
    if "file signature not found" in text:
        return (
            "not a readable HDF5 file: it does not start with the HDF5 signature. Sessions are "
            "the .h5 files of `gazemap record`, `simulate` or `import`; turn files from other "
            "tools into sessions with `gazemap import FORMAT FILE --out S.h5`."
        )
    if "already open for write" in text or "unable to lock file" in text.lower():
        return (
            "not a readable HDF5 file now: it is open for writing in another program (a running "
            "gazemap command?); wait until that is done, then try again."
        )
    return f"not a readable HDF5 file ({text})."


def folder_message(path: Path) -> str:
    """What to say when a folder is given where one session file is expected."""
    files = sorted(path.glob("*.h5"))
    example = f" (e.g. {files[0]})" if files else ""
    return (
        f"{path}: is a folder, not a session file. Give one of its .h5 files{example}; "
        f"`gazemap analyze {path}` analyses a whole study folder."
    )


def file_problem(path: Path) -> str | None:
    """None when ``path`` opens as HDF5, else why not (``unreadable_reason``)."""
    if path.is_dir():
        return folder_message(path).removeprefix(f"{path}: ")
    try:
        with h5py.File(path, "r"):
            return None
    except OSError as exc:
        return unreadable_reason(exc)


def open_session(path: str | os.PathLike[str], mode: str = "r") -> Session:
    """Open a session file for reading (``mode="r"``) or for adding /derived (``"r+"``).

    Raises SessionFileError for a missing file, a file that is not HDF5 or not a gazemap
    session, or a format_version newer than this gazemap understands.
    """
    return Session(path, mode)


class Session:
    """An open session file. Use as a context manager; arrays are read on request."""

    def __init__(self, path: str | os.PathLike[str], mode: str = "r") -> None:
        self.path = Path(path)
        if not self.path.exists():
            if Path(str(self.path) + ".journal").exists():
                raise SessionFileError(
                    f"{self.path}: not written yet: it is being recorded, or its recorder "
                    f"stopped before closing it. If no recorder is running, run "
                    f"`gazemap recover {self.path}`."
                )
            raise SessionFileError(f"{self.path}: no such file. Check the path.")
        if self.path.is_dir():
            raise SessionFileError(folder_message(self.path))
        try:
            self._f = h5py.File(self.path, mode)
        except OSError as exc:
            hint = ""
            if Path(str(self.path) + ".journal").exists():
                hint = f" A recording journal is beside it: run `gazemap recover {self.path}`."
            raise SessionFileError(f"{self.path}: {unreadable_reason(exc)}{hint}") from exc
        fmt = self._f.attrs.get("format")
        if fmt != schema.FORMAT:
            self._f.close()
            raise SessionFileError(
                f"{self.path}: not a gazemap session (root attribute 'format' is {fmt!r}, "
                f"expected {schema.FORMAT!r}). Import files from other tools with `gazemap import`."
            )
        if "format_version" not in self._f.attrs:
            self._f.close()
            raise SessionFileError(
                f"{self.path}: root attribute 'format_version' is missing; the file is damaged "
                "or was not written by gazemap. Re-export it or run `gazemap recover` on it."
            )
        raw_version = _plain(self._f.attrs["format_version"])
        try:
            version = int(raw_version)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            self._f.close()
            raise SessionFileError(
                f"{self.path}: root attribute 'format_version' must be a whole number, got "
                f"{raw_version!r}; the file is damaged or was not written by gazemap. "
                + _REMAKE.format(path=self.path)
            ) from None
        if version > schema.FORMAT_VERSION or version < 1:
            self._f.close()
            raise SessionFileError(
                f"{self.path}: format_version {version} is not supported by this gazemap "
                f"(reads 1..{schema.FORMAT_VERSION}). Upgrade gazemap (pip install -U gazemap)."
            )

    # -- context manager ---------------------------------------------------------------
    def close(self) -> None:
        if self._f.id.valid:
            self._f.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def h5(self) -> h5py.File:
        return self._f

    # -- metadata ----------------------------------------------------------------------
    @property
    def attrs(self) -> dict[str, object]:
        return {k: _plain(v) for k, v in self._f.attrs.items()}

    @property
    def participant(self) -> str:
        return str(self._f.attrs.get("participant", ""))

    @property
    def session_id(self) -> str:
        return str(self._f.attrs.get("session_id", ""))

    @property
    def protocol(self) -> str:
        return str(self._f.attrs.get("protocol", ""))

    @property
    def screen(self) -> ScreenGeometry:
        g = self._f.get("screen")
        if g is None:
            raise SessionFileError(
                f"{self.path}: no /screen group; the screen size and viewing distance are "
                "needed to convert pixels to degrees. Re-record with --screen-* options."
            )
        values: dict[str, float] = {}
        for k in schema.SCREEN_ATTRS:
            if k not in g.attrs:
                raise SessionFileError(
                    f"{self.path}: /screen lacks attribute {k!r}; the screen size and viewing "
                    "distance are needed to convert pixels to degrees. Record or import the "
                    "session again with the --screen-* and --distance-mm options."
                )
            v = _plain(g.attrs[k])
            ok = isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            if not ok or v <= 0:  # type: ignore[operator]
                raise SessionFileError(
                    f"{self.path}: /screen attribute {k!r} must be a number > 0, got {v!r}. "
                    "Record or import the session again with the --screen-* and --distance-mm "
                    "options."
                )
            values[k] = v  # type: ignore[assignment]
        return ScreenGeometry(**values)  # type: ignore[arg-type]

    @property
    def stream_names(self) -> list[str]:
        return sorted(self._f["streams"].keys()) if "streams" in self._f else []

    def has_stream(self, name: str) -> bool:
        return name in self.stream_names

    def _stream(self, name: str) -> h5py.Group:
        if not self.has_stream(name):
            raise SessionFileError(
                f"{self.path}: no stream {name!r} (streams: {', '.join(self.stream_names) or 'none'}). "
                "Record it, or name another stream."
            )
        return self._f["streams"][name]

    def stream_attrs(self, name: str) -> dict[str, object]:
        return {k: _plain(v) for k, v in self._stream(name).attrs.items()}

    def _column(self, name: str, label: str, n: int | None = None) -> np.ndarray:
        """Dataset ``/streams/<name>/<label>`` as a 1-D numeric array, checked.

        ``n``: the length it must have (that of the stream's time_s). SessionFileError names
        the dataset when it is absent, not 1-D, not numeric or of another length.
        """
        g = self._stream(name)
        where = f"/streams/{name}/{label}"
        d = g.get(label)
        if not isinstance(d, h5py.Dataset):
            raise SessionFileError(
                f"{self.path}: {where} is missing; "
                + ("every stream has one timestamp per sample. " if label == schema.TIME else "")
                + _REMAKE.format(path=self.path)
            )
        if d.ndim != 1 or d.dtype.kind not in "fiub":
            raise SessionFileError(
                f"{self.path}: {where} must hold one number per sample (1-D numbers), got "
                f"shape {d.shape} of {d.dtype}; the file is damaged or was not written by "
                "gazemap. " + _REMAKE.format(path=self.path)
            )
        if n is not None and d.shape[0] != n:
            raise SessionFileError(
                f"{self.path}: {where} has {d.shape[0]} values but /streams/{name}/time_s has "
                f"{n}: the file is damaged. " + _REMAKE.format(path=self.path)
            )
        return d[()]

    def _checked_times(self, name: str) -> np.ndarray:
        """time_s of a stream: finite and never decreasing, else SessionFileError."""
        t = np.asarray(self._column(name, schema.TIME), dtype=np.float64)
        bad = ~np.isfinite(t)
        if bad.any():
            i = int(np.argmax(bad))
            raise SessionFileError(
                f"{self.path}: /streams/{name}/time_s holds {t[i]} at sample {i} "
                f"({int(bad.sum())} sample(s) without a time); the file is damaged. "
                + _REMAKE.format(path=self.path)
            )
        back = np.diff(t) < 0
        if back.any():
            i = int(np.argmax(back))
            raise SessionFileError(
                f"{self.path}: /streams/{name}/time_s goes backwards at sample {i + 1} "
                f"({t[i + 1]:.6f} s after {t[i]:.6f} s; {int(back.sum())} such place(s)): the "
                "samples are not in time order, so the file is damaged or was edited. "
                + _REMAKE.format(path=self.path)
            )
        return t

    def _check_gaze_rate(self, name: str, t: np.ndarray) -> None:
        """Gaze timestamps spaced like no eye tracker are in another unit than seconds (a
        file written by another program, or imported with the wrong unit): every duration
        computed from them would be 1000 times off, so refuse them."""
        med = implausible_gaze_interval(t)
        if med is None:
            return
        lo, hi = schema.PLAUSIBLE_GAZE_RATE_HZ
        raise SessionFileError(
            f"{self.path}: /streams/{name}/time_s: the gaze samples are {med:.6g} s apart "
            f"(median), i.e. {1.0 / med:.6g} samples per second, but eye trackers record "
            f"{lo:g}-{hi:g}: the timestamps are not in seconds (a factor 1000 off?). Import the "
            "source file again with the right unit (e.g. `gazemap import tobii_tsv FILE "
            "--time-unit us`), or record the session again."
        )

    def times(self, name: str) -> np.ndarray:
        return self._column(name, schema.TIME)

    def raw_times(self, name: str) -> np.ndarray:
        return self._column(name, schema.TIME_RAW)

    def channel(self, name: str, label: str) -> np.ndarray:
        g = self._stream(name)
        if label not in g:
            raise SessionFileError(f"{self.path}: stream {name!r} has no channel {label!r}.")
        return self._column(name, label, len(self._column(name, schema.TIME)))

    def clock_offsets(self, name: str) -> np.ndarray:
        return self._stream(name)[schema.CLOCK_OFFSETS][()]

    def gaps(self, name: str) -> np.ndarray:
        g = self._stream(name)
        return g[schema.GAPS][()] if schema.GAPS in g else np.empty((0, 2))

    # -- typed data --------------------------------------------------------------------
    def gaze(self, name: str = "gaze") -> GazeSamples:
        g = self._stream(name)
        missing = [c for c in ("x_px", "y_px") if c not in g]
        if missing:
            raise SessionFileError(
                f"{self.path}: stream {name!r} lacks channel(s) {missing}; a gaze stream needs the "
                "canonical channels (see docs/file-format.md)."
            )
        t = self._checked_times(name)
        self._check_gaze_rate(name, t)
        cols: dict[str, np.ndarray | None] = {}
        for label in GAZE_CHANNEL_LABELS:
            if label in g:
                arr = self._column(name, label, len(t))
                if label == "validity":
                    # NaN validity (a float channel with a lost flag) counts as left-invalid
                    arr = np.nan_to_num(arr.astype(np.float64), nan=1.0)
                    cols[label] = arr.astype(np.int64)
                else:
                    cols[label] = arr.astype(np.float64)
        return GazeSamples(time_s=t, **cols)  # type: ignore[arg-type]

    def markers(self, name: str | None = None) -> Markers:
        """Markers in time order.

        ``name=None`` (default) merges every marker stream of the file (``markers`` and
        e.g. ``gazemap_mark`` from a moderator's ``gazemap mark``: every group with a
        ``value`` dataset and LSL type Markers); a name reads that stream only. A file
        without markers gives empty Markers.
        """
        if name is not None:
            names = [name] if self.has_stream(name) else []
        else:
            names = [
                n
                for n in self.stream_names
                if schema.MARKER_VALUE in self._f["streams"][n]
                and str(_plain(self._f["streams"][n].attrs.get("type", ""))).lower() == "markers"
            ]
        times: list[np.ndarray] = []
        values: list[str] = []
        for n in names:
            g = self._stream(n)
            t = self._column(n, schema.TIME)
            d = g[schema.MARKER_VALUE]
            if not isinstance(d, h5py.Dataset) or d.ndim != 1 or len(d) != len(t):
                raise SessionFileError(
                    f"{self.path}: /streams/{n}/{schema.MARKER_VALUE} must hold one text per "
                    f"marker ({len(t)}, as time_s), got "
                    + (f"shape {d.shape}" if isinstance(d, h5py.Dataset) else "a group")
                    + "; the file is damaged. "
                    + _REMAKE.format(path=self.path)
                )
            times.append(t)
            # a marker with bytes that are not UTF-8 keeps its readable part (U+FFFD for the
            # rest) instead of making the whole session unreadable
            values.extend(
                v.decode("utf-8", errors="replace") if isinstance(v, bytes) else str(v)
                for v in d[()]
            )
        if not times:
            return Markers(np.empty(0), np.empty(0, dtype=object))
        t = np.concatenate(times)
        v: np.ndarray = np.empty(len(values), dtype=object)
        v[:] = values
        if len(names) > 1:
            order = np.argsort(t, kind="stable")
            t, v = t[order], v[order]
        return Markers(t, v)

    def calibration(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The tracker's own validation result from ``/calibration`` (written by importers).

        Returns
        -------
        (points_px (k, 2), error_deg (k,)) or None when the file has none. A damaged group
        (wrong shapes, text) raises SessionFileError naming the dataset.
        """
        g = self._f.get("calibration")
        if not isinstance(g, h5py.Group) or "points_px" not in g or "error_deg" not in g:
            return None
        out = []
        for name in ("points_px", "error_deg"):
            d = g[name]
            try:
                arr = np.asarray(d[()], dtype=np.float64) if isinstance(d, h5py.Dataset) else None
            except (TypeError, ValueError):
                arr = None
            if arr is None:
                raise SessionFileError(
                    f"{self.path}: /calibration/{name} must hold numbers; the file is damaged. "
                    + _REMAKE.format(path=self.path)
                )
            out.append(arr)
        points, errors = out
        if points.ndim != 2 or points.shape[1] != 2 or errors.shape != (len(points),):
            raise SessionFileError(
                f"{self.path}: /calibration/points_px must be (k, 2) and error_deg (k,), got "
                f"{points.shape} and {errors.shape}; the file is damaged. "
                + _REMAKE.format(path=self.path)
            )
        return points, errors

    def validation(self) -> tuple[Validation | None, list[str]]:
        """The validation the session's accuracy is measured on (targets shown during it,
        else the tracker's stored or published result; :func:`gazemap.quality.session_validation`),
        with notes on validation markers that could not be used."""
        markers = self.markers()
        return session_validation(markers.time_s, markers.value, self.screen, self.calibration())

    def scroll_streams(self) -> list[str]:
        """Names of the file's Scroll streams (LSL type Scroll, or the group ``scroll``)."""
        out = []
        for n in self.stream_names:
            g = self._f["streams"][n]
            kind = str(_plain(g.attrs.get("type", ""))).lower()
            if (kind == "scroll" or n == "scroll") and all(c in g for c in SCROLL_CHANNEL_LABELS):
                out.append(n)
        return out

    def page_scroll_stream(self) -> tuple[str | None, str]:
        """The Scroll stream that describes the page the participant saw, and why.

        A session can hold several Scroll streams, e.g. the presenter's (``gazemap present``:
        the browser's real scroll offsets) and a tracker driver's or simulator's. They
        describe different pages, so they are never merged. The one chosen is, in order:

        1. the only one;
        2. one whose companion Markers stream names screens (``screen/<id>``): the
           companion has the same source_id with ``-markers`` for ``-scroll`` (the
           convention of ``gazemap present`` and ``gazemap stream simulated``), so the
           scroll offsets belong to the pages those markers name;
        3. the one with the most samples (a page that scrolls reports many), then the group
           named ``scroll``.

        Returns
        -------
        (group name or None when the file has no Scroll stream, reason: a sentence, empty
        when there was nothing to choose).
        """
        names = self.scroll_streams()
        if not names:
            return None, ""
        if len(names) == 1:
            return names[0], ""
        streams = self._f["streams"]
        sid_of = {
            n: str(_plain(streams[n].attrs.get("source_id", "")) or "") for n in self.stream_names
        }
        by_sid = {sid: n for n, sid in sid_of.items() if sid}

        def names_screens(scroll_name: str) -> bool:
            sid = sid_of.get(scroll_name, "")
            if not sid.endswith("-scroll"):
                return False
            mk = by_sid.get(sid[: -len("-scroll")] + "-markers")
            if mk is None or schema.MARKER_VALUE not in streams[mk]:
                return False
            return any(
                (v.decode("utf-8") if isinstance(v, bytes) else str(v)).startswith("screen/")
                for v in streams[mk][schema.MARKER_VALUE][()]
            )

        paired = [n for n in names if names_screens(n)]
        pool = paired or names
        counts = {n: len(streams[n][schema.TIME]) for n in names}
        best = max(pool, key=lambda n: (counts[n], n == "scroll"))
        others = ", ".join(f"{n} ({counts[n]} samples)" for n in names if n != best)
        why = (
            "its Markers stream names the screens"
            if paired
            else "it has the most samples (no Scroll stream has a Markers companion naming screens)"
        )
        return best, (
            f"{len(names)} Scroll streams; used {best!r} ({counts[best]} samples): {why}; "
            f"not used: {others}"
        )

    def scroll(self, name: str | None = None) -> ScrollSamples | None:
        """The Scroll stream as ScrollSamples, or None when the file has none.

        ``name=None`` (default) reads the page's Scroll stream chosen by
        :meth:`page_scroll_stream` (the only one, or the presenter's when a driver also
        published one); a name reads that stream (None when it is absent).
        """
        if name is None:
            name = self.page_scroll_stream()[0]
            if name is None:
                return None
        if not self.has_stream(name):
            return None
        # not _checked_times: the analysis only looks offsets up by time, and a recording
        # with a stray scroll sample should not lose its gaze
        t = self._column(name, schema.TIME)
        return ScrollSamples(
            time_s=t,
            **{k: self._column(name, k, len(t)).astype(np.float64) for k in SCROLL_CHANNEL_LABELS},
        )


def _plain(v: object) -> object:
    if isinstance(v, bytes):
        return v.decode("utf-8")
    if isinstance(v, np.ndarray):
        return [_plain(x) for x in v.tolist()]
    if isinstance(v, np.generic):
        return v.item()
    return v
