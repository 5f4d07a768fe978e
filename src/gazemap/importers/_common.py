"""What every importer shares: the imported recording, provenance, atomic session writing.

An importer parses a file from another tool into one or more :class:`ImportedRecording`
(several when the file holds several recordings) and :func:`write_session` turns each into
a gazemap session file. Writing goes to a temporary name beside the target and is renamed
into place only when complete, so a failed import never leaves a half file.

Times: an imported file keeps its own clock, converted to seconds (EyeLink ms, Tobii µs,
Pupil time s); ``time_raw_s`` holds the same values. ``/streams/gaze`` carries the canonical
channels (types.GAZE_CHANNELS) plus any source-specific extra channels listed in the
stream's ``channel_labels``.

The source's own events go to ``/derived/<source>/`` in the layout of
gazemap.store.derived (``labels`` per gaze sample, compound ``fixations`` and ``saccades``
with the fields of types.Fixations / types.Saccades), plus ``blinks`` (start_s, end_s) when
the source has them; attributes say ``detector=<source>`` and ``imported=True``.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import gc
import hashlib
import json
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

import numpy as np

from gazemap import __version__
from gazemap.errors import GazemapError, ImportFormatError, InputError
from gazemap.store.reader import implausible_gaze_interval
from gazemap.store.schema import PLAUSIBLE_GAZE_RATE_HZ
from gazemap.store.writer import check_output_path
from gazemap.types import (
    GAZE_CHANNELS,
    Fixations,
    Label,
    Markers,
    Saccades,
    ScreenGeometry,
)

#: assumed when the file does not say (same default as the drivers)
DEFAULT_SCREEN_MM = {"width_mm": 531.0, "height_mm": 299.0, "distance_mm": 650.0}


@dataclass
class ExtraStream:
    """A further stream of the source file kept as it is (XDF streams other than gaze/markers)."""

    group: str
    name: str
    type: str
    labels: tuple[str, ...]
    units: tuple[str, ...]
    time_s: np.ndarray
    data: np.ndarray | list[str]
    nominal_srate: float = 0.0
    source_id: str = ""
    xml: str = ""
    clock_offsets: np.ndarray | None = None
    is_string: bool = False


@dataclass
class ImportedRecording:
    """One recording of a foreign file, in canonical form.

    ``gaze`` maps canonical channel labels (and extra labels) to (n,) float arrays; missing
    canonical channels are written as NaN (validity as 0).
    """

    time_s: np.ndarray
    gaze: dict[str, np.ndarray]
    markers: Markers
    screen_px: tuple[int, int] | None = None
    nominal_srate: float = 0.0
    fixations: Fixations | None = None
    saccades: Saccades | None = None
    blinks: np.ndarray | None = None  # (n, 2) start_s, end_s
    extra_units: dict[str, str] = field(default_factory=dict)
    participant: str = ""
    recording: str = ""
    source_attrs: dict[str, str] = field(default_factory=dict)
    extra_streams: list[ExtraStream] = field(default_factory=list)
    gaze_clock_offsets: np.ndarray | None = None
    markers_clock_offsets: np.ndarray | None = None
    event_eye: str = ""
    #: (width_mm, height_mm, distance_mm) when the source file says (options still win)
    screen_mm: tuple[float, float, float] | None = None
    #: per-sample label sets (types.Label values) of the source, e.g. hand coders: each
    #: becomes /derived/<source>_<key> with events made from runs of equal labels
    label_sets: dict[str, np.ndarray] = field(default_factory=dict)
    #: validation the source reports: points (n, 2) px, error (n,) degrees, attributes
    calibration: tuple[np.ndarray, np.ndarray, dict[str, str | float]] | None = None
    #: problems that did not stop the import (e.g. a damaged end of the file), one line each
    warnings: list[str] = field(default_factory=list)


#: sampling rates an eye tracker can have (gazemap.store.schema)
PLAUSIBLE_RATE_HZ = PLAUSIBLE_GAZE_RATE_HZ


def check_sample_rate(time_s: np.ndarray, where: str, hint: str) -> None:
    """Refuse gaze timestamps whose spacing no eye tracker has (a wrong time unit).

    Parameters
    ----------
    time_s : (n,) gaze sample times after conversion to seconds.
    where : the file (and recording) for the message.
    hint : how to give the right unit for this format (one sentence).

    Raises
    ------
    ImportFormatError
        The median interval between samples gives a rate outside PLAUSIBLE_RATE_HZ (only
        checked with at least 10 increasing intervals).
    """
    med = implausible_gaze_interval(time_s)
    if med is None:
        return
    rate = 1.0 / med
    lo, hi = PLAUSIBLE_RATE_HZ
    raise ImportFormatError(
        f"{where}: the gaze samples are {med:.6g} s apart (median), i.e. {rate:.6g} samples "
        f"per second, but eye trackers record {lo:g}-{hi:g} samples per second: the timestamps "
        f"are in another unit than the one assumed (a factor 1000 off?). {hint}"
    )


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check_input(path: str | os.PathLike[str]) -> Path:
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file or folder. Check the path.")
    return p


check_output = check_output_path


def read_text(path: Path, what: str) -> str:
    """A text file as str (UTF-8, BOM allowed); an ImportFormatError for other encodings."""
    data = path.read_bytes()
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ImportFormatError(f"{path}: not a valid UTF-16 {what} file ({exc}).") from exc
        if "\x00" in text:
            line = text[: text.index("\x00")].count("\n") + 1
            raise ImportFormatError(
                f"{path}:{line}: NUL character in a {what} file; the file is damaged."
            )
        return text
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data[:nul].count(b"\n") + 1
        raise ImportFormatError(
            f"{path}:{line}: NUL byte in a {what} file, which is text; the file is binary or damaged. "
            "Re-export it from the source tool."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFormatError(
            f"{path}:{line}: byte {data[exc.start : exc.start + 1]!r} is not UTF-8; a {what} file is "
            "text in UTF-8 (or ASCII). Re-export it from the source tool or convert its encoding."
        ) from exc


def labels_from_events(
    time_s: np.ndarray,
    fixations: Fixations | None,
    saccades: Saccades | None,
    blinks: np.ndarray | None,
) -> np.ndarray:
    """Per-sample types.Label from event intervals (UNDEFINED outside every event).

    Fixations and saccades end exclusively (``end_s`` = start + duration: the sample at
    ``end_s`` belongs to the next event); ``blinks`` (EyeLink EBLINK start, end) include
    the sample at their end.
    """
    labels = np.full(len(time_s), int(Label.UNDEFINED), dtype=np.int8)
    order_ok = len(time_s) < 2 or bool(np.all(np.diff(time_s) >= 0))
    if not order_ok:
        return labels
    intervals: list[tuple[np.ndarray, np.ndarray, Label, Literal["left", "right"]]] = []
    for table, label in ((fixations, Label.FIXATION), (saccades, Label.SACCADE)):
        if table is not None:
            intervals.append((table.start_s, table.end_s, label, "left"))
    if blinks is not None and len(blinks):
        b = np.asarray(blinks, dtype=np.float64).reshape(-1, 2)
        intervals.append((b[:, 0], b[:, 1], Label.BLINK, "right"))
    for start_s, end_s, label, end_side in intervals:
        i0 = np.searchsorted(time_s, start_s, side="left")
        i1 = np.maximum(np.searchsorted(time_s, end_s, side=end_side), i0 + 1)
        for a, b2 in zip(i0, i1, strict=True):
            labels[a:b2] = int(label)
    return labels


def _compound(table: Fixations | Saccades) -> np.ndarray:
    names = [f.name for f in fields(table)]
    arr = np.zeros(len(table), dtype=[(n, np.float64) for n in names])
    for n in names:
        arr[n] = getattr(table, n)
    return arr


def screen_geometry(
    rec: ImportedRecording, options: dict[str, float | None]
) -> tuple[ScreenGeometry, str]:
    """The screen of an imported recording: options win, then the file, then defaults."""
    w = options.get("screen_width_px") or (rec.screen_px[0] if rec.screen_px else None) or 1920
    h = options.get("screen_height_px") or (rec.screen_px[1] if rec.screen_px else None) or 1080
    opt_key = {
        "width_mm": "screen_width_mm",
        "height_mm": "screen_height_mm",
        "distance_mm": "distance_mm",
    }
    from_file: dict[str, float] = (
        dict(zip(("width_mm", "height_mm", "distance_mm"), rec.screen_mm, strict=True))
        if rec.screen_mm
        else {}
    )
    mm = {k: options.get(opt_key[k]) or from_file.get(k) or v for k, v in DEFAULT_SCREEN_MM.items()}
    origin = (
        "options"
        if any(options.get(v) for v in opt_key.values())
        else ("file" if from_file else "default")
    )
    return (
        ScreenGeometry(
            int(w), int(h), float(mm["width_mm"]), float(mm["height_mm"]), float(mm["distance_mm"])
        ),
        origin,
    )


@contextlib.contextmanager
def atomic_path(out: Path) -> Iterator[Path]:
    """A temporary path beside ``out``, renamed to ``out`` when the block succeeds."""
    tmp = out.with_name(f".{out.name}.{os.getpid()}.partial")
    try:
        yield tmp
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_session(
    rec: ImportedRecording,
    out: Path,
    *,
    source: str,
    source_path: Path,
    source_sha256: str,
    force: bool = False,
    screen_options: dict[str, float | None] | None = None,
    participant: str | None = None,
) -> Path:
    """Write one imported recording as a session file at ``out`` (atomically).

    Parameters
    ----------
    rec : the parsed recording.
    out : target file; an existing one is refused unless ``force``.
    source : format name (``eyelink_asc``, ``tobii_tsv``, …); also the /derived group name.
    source_path, source_sha256 : provenance of the input file.
    """
    from gazemap.store.schema import StreamInfo
    from gazemap.store.writer import SessionWriter

    check_output(out, force)
    screen, screen_origin = screen_geometry(rec, screen_options or {})
    n = len(rec.time_s)
    canonical = [c[0] for c in GAZE_CHANNELS]
    extra = [k for k in rec.gaze if k not in canonical]
    labels = tuple(canonical + extra)
    units = tuple([c[1] for c in GAZE_CHANNELS] + [rec.extra_units.get(k, "") for k in extra])
    data = np.empty((n, len(labels)), dtype=np.float64)
    for j, label in enumerate(labels):
        col = rec.gaze.get(label)
        if col is None:
            data[:, j] = 0.0 if label == "validity" else np.nan
        else:
            data[:, j] = col
    with atomic_path(out) as tmp:
        with SessionWriter(
            tmp,
            participant=participant if participant is not None else rec.participant,
            screen=screen,
            force=True,
            compression="gzip",
        ) as w:
            a = w.h5.attrs
            a["import_format"] = source
            a["import_source_file"] = source_path.name
            a["import_source_sha256"] = source_sha256
            a["import_recording"] = rec.recording
            a["import_gazemap_version"] = __version__
            a["imported_utc"] = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
            for k, v in rec.source_attrs.items():
                a[f"import_{k}"] = v
            w.h5["screen"].attrs["source"] = (
                "file px + " + screen_origin + " mm/distance" if rec.screen_px else screen_origin
            )
            info = StreamInfo(
                name=f"{source} gaze",
                type="Gaze",
                channel_labels=labels,
                channel_units=units,
                nominal_srate=rec.nominal_srate,
                source_id=f"{source}:{source_path.name}:{rec.recording}",
            )
            w.add_stream("gaze", info)
            w.append("gaze", rec.time_s, data)
            if rec.gaze_clock_offsets is not None and len(rec.gaze_clock_offsets):
                w.add_clock_offsets("gaze", rec.gaze_clock_offsets)
            w.add_stream(
                "markers",
                StreamInfo(
                    name=f"{source} markers",
                    type="Markers",
                    channel_labels=("marker",),
                    channel_units=("text",),
                    channel_format="string",
                    source_id=f"{source}:{source_path.name}:{rec.recording}:markers",
                ),
            )
            # HDF5 strings cannot hold NUL characters
            w.append(
                "markers",
                rec.markers.time_s,
                [str(v).replace("\x00", "\ufffd") for v in rec.markers.value],
            )
            if rec.markers_clock_offsets is not None and len(rec.markers_clock_offsets):
                w.add_clock_offsets("markers", rec.markers_clock_offsets)
            for s in rec.extra_streams:
                w.add_stream(
                    s.group,
                    StreamInfo(
                        name=s.name,
                        type=s.type,
                        channel_labels=s.labels,
                        channel_units=s.units,
                        channel_format="string" if s.is_string else "float64",
                        nominal_srate=s.nominal_srate,
                        source_id=s.source_id,
                        xml=s.xml,
                    ),
                )
                w.append(s.group, s.time_s, s.data)
                if s.clock_offsets is not None and len(s.clock_offsets):
                    w.add_clock_offsets(s.group, s.clock_offsets)
            if rec.fixations is not None or rec.saccades is not None or rec.blinks is not None:
                _write_derived(w.h5, source, rec, screen)
            if rec.calibration is not None:
                points, errors, cal_attrs = rec.calibration
                w.write_calibration(points, errors, **cal_attrs)
            for key, label_set in rec.label_sets.items():
                _write_label_set(w.h5, f"{source}_{key}", rec, label_set, screen)
        return out
    return out  # pragma: no cover - unreachable, keeps mypy's flow analysis happy


def _write_derived(
    f: object,
    source: str,
    rec: ImportedRecording,
    screen: ScreenGeometry,
    labels: np.ndarray | None = None,
) -> None:
    g = f.require_group("derived").create_group(source)  # type: ignore[attr-defined]
    fix = rec.fixations if rec.fixations is not None else Fixations.empty()
    # degrees from the session's final screen (options may differ from what the parser assumed)
    fix = fixations_with_degrees(
        fix.start_s, fix.end_s, fix.x_px, fix.y_px, screen, fix.dispersion_deg
    )
    sac = rec.saccades if rec.saccades is not None else Saccades.empty()
    g.create_dataset(
        "labels",
        data=labels
        if labels is not None
        else labels_from_events(rec.time_s, rec.fixations, rec.saccades, rec.blinks),
        compression="gzip",
        shuffle=True,
    )
    g.create_dataset("fixations", data=_compound(fix))
    g.create_dataset("saccades", data=_compound(sac))
    blinks = rec.blinks if rec.blinks is not None else np.empty((0, 2))
    g.create_dataset("blinks", data=np.asarray(blinks, dtype=np.float64).reshape(-1, 2))
    params = {"source": source, "imported": True, "eye": rec.event_eye}
    g.attrs["detector"] = source
    g.attrs["imported"] = True
    g.attrs["eye"] = rec.event_eye
    g.attrs["params_json"] = json.dumps(params, sort_keys=True)
    g.attrs["params_hash"] = "imported"
    g.attrs["software_version"] = __version__
    g.attrs["created_utc"] = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    g.attrs["n_samples"] = len(rec.time_s)
    g.attrs["gaze_stream"] = "gaze"


def events_from_labels(
    time_s: np.ndarray,
    x_px: np.ndarray,
    y_px: np.ndarray,
    labels: np.ndarray,
    screen: ScreenGeometry,
) -> tuple[Fixations, Saccades]:
    """Fixations and saccades from runs of FIXATION / SACCADE labels (per-sample coding).

    An event starts at its first sample and ends when its last sample's interval ends (last
    sample + the median sample interval), so that a run of n samples lasts n intervals, as
    a tracker reports it (a one-sample event is not 0 s long); fixation centroids are the
    mean valid gaze, saccade amplitude is the angle between its first and last sample's gaze.
    """
    from gazemap.geometry import angle_between_deg

    labels = np.asarray(labels)
    n = len(labels)
    change = np.ones(n, dtype=bool)
    if n:
        change[1:] = labels[1:] != labels[:-1]
    starts = np.flatnonzero(change)
    ends = np.append(starts[1:], n) - 1
    fx = [(a, b) for a, b in zip(starts, ends, strict=True) if labels[a] == Label.FIXATION]
    sc = [(a, b) for a, b in zip(starts, ends, strict=True) if labels[a] == Label.SACCADE]
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        cx = np.array([np.nanmean(x_px[a : b + 1]) for a, b in fx])
        cy = np.array([np.nanmean(y_px[a : b + 1]) for a, b in fx])
    d = np.diff(np.asarray(time_s, dtype=np.float64))
    d = d[np.isfinite(d) & (d > 0)]
    dt = float(np.median(d)) if len(d) else 0.0
    fix = fixations_with_degrees(
        np.array([time_s[a] for a, _ in fx]),
        np.array([time_s[b] + dt for _, b in fx]),
        cx,
        cy,
        screen,
    )
    sx0 = np.array([x_px[a] for a, _ in sc], dtype=float)
    sy0 = np.array([y_px[a] for a, _ in sc], dtype=float)
    sx1 = np.array([x_px[b] for _, b in sc], dtype=float)
    sy1 = np.array([y_px[b] for _, b in sc], dtype=float)
    amp = angle_between_deg(sx0, sy0, sx1, sy1, screen) if len(sc) else np.empty(0)
    sac = Saccades(
        np.array([time_s[a] for a, _ in sc]),
        np.array([time_s[b] + dt for _, b in sc]),
        sx0,
        sy0,
        sx1,
        sy1,
        np.asarray(amp, dtype=float),
        np.full(len(sc), np.nan),
    )
    return fix, sac


def _write_label_set(
    f: object, name: str, rec: ImportedRecording, labels: np.ndarray, screen: ScreenGeometry
) -> None:
    fix, sac = events_from_labels(rec.time_s, rec.gaze["x_px"], rec.gaze["y_px"], labels, screen)
    sub = ImportedRecording(
        time_s=rec.time_s, gaze=rec.gaze, markers=rec.markers, fixations=fix, saccades=sac
    )
    _write_derived(f, name, sub, screen, labels=np.asarray(labels, dtype=np.int8))


def fixations_with_degrees(
    start_s: np.ndarray,
    end_s: np.ndarray,
    x_px: np.ndarray,
    y_px: np.ndarray,
    screen: ScreenGeometry | None = None,
    dispersion_deg: np.ndarray | None = None,
) -> Fixations:
    """A Fixations table; degrees are filled from ``screen`` (NaN without one)."""
    from gazemap.geometry import px_to_deg

    x_px, y_px = np.asarray(x_px, float), np.asarray(y_px, float)
    if screen is not None:
        x_deg, y_deg = px_to_deg(x_px, y_px, screen)
    else:
        x_deg = y_deg = np.full(len(x_px), np.nan)
    disp = (
        np.full(len(x_px), np.nan) if dispersion_deg is None else np.asarray(dispersion_deg, float)
    )
    return Fixations(start_s, end_s, x_px, y_px, x_deg, y_deg, disp)


@contextlib.contextmanager
def no_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while parsing millions of rows.

    Splitting rows allocates many short-lived lists; every collection then walks all live
    containers, which made a 1-hour TSV import super-linear (measured: 27 s with, 17 s
    without for 1.2 M rows). Parsers create no reference cycles, so nothing is lost.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def progress(total: int, desc: str) -> Any:
    """A tqdm progress bar on stderr for long imports (silent when stderr is not a terminal)."""
    import sys

    from tqdm import tqdm

    return tqdm(
        total=total,
        desc=desc,
        unit=" rows",
        unit_scale=True,
        leave=False,
        disable=not sys.stderr.isatty() or total < 200_000,
    )


def import_errors(path: Path, what: str) -> contextlib.AbstractContextManager[None]:
    """Turn any non-gazemap parsing failure into an ImportFormatError naming the file.

    Importers check their input line by line and raise ImportFormatError with the line; this
    guard only catches what a check missed, so the user still gets one line, not a traceback.
    """

    @contextlib.contextmanager
    def guard() -> Iterator[None]:
        try:
            yield
        except GazemapError:
            raise
        except (ValueError, IndexError, KeyError, OverflowError, TypeError, UnicodeError) as exc:
            raise ImportFormatError(
                f"{path}: not a valid {what} file ({type(exc).__name__}: {exc}). Re-export it from the "
                "source tool; if it opens there, report this file to gazemap."
            ) from exc

    return guard()


def default_out_paths(out: Path, n: int, names: list[str] | None = None) -> list[Path]:
    """``out`` for one recording; for several, ``<stem>_<recording name><suffix>`` when the
    names are distinct and not plain numbers, else ``<stem>_rec<k><suffix>``."""
    if n == 1:
        return [out]
    import re

    clean = [re.sub(r"[^A-Za-z0-9._-]+", "_", s).strip("_") for s in (names or [])]
    if len(clean) == n and len(set(clean)) == n and all(c and not c.isdigit() for c in clean):
        return [out.with_name(f"{out.stem}_{c}{out.suffix}") for c in clean]
    return [out.with_name(f"{out.stem}_rec{k + 1}{out.suffix}") for k in range(n)]
