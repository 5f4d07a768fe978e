"""Detection results cached in session files under ``/derived/<detector>/``.

Layout of ``/derived/<detector>/`` (docs/detection.md):

- ``labels``: (n,) int8, one :class:`gazemap.types.Label` per sample of ``/streams/gaze``;
- ``fixations``: compound dataset, one row per fixation, fields named as
  :class:`gazemap.types.Fixations` (``start_s, end_s, x_px, y_px, x_deg, y_deg, dispersion_deg``);
- ``saccades``: compound dataset, fields as :class:`gazemap.types.Saccades`;
- attributes: ``detector``, every parameter by name, ``params_json`` (all parameters),
  ``params_hash`` (sha256 of detector + parameters + gazemap version, 16 hex digits),
  ``software_version``, ``created_utc``, ``n_samples``, ``gaze_stream``.

:func:`detect_session` re-uses the stored result when the hash and the sample count match,
so re-running with the same parameters is a no-op.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
from dataclasses import fields
from pathlib import Path

import h5py
import numpy as np

from gazemap import __version__
from gazemap.errors import SessionFileError
from gazemap.store.reader import Session
from gazemap.store.writer import space_short
from gazemap.types import DetectionResult, Fixations, Saccades

DERIVED = "derived"
GAZE_STREAM = "gaze"

Params = dict[str, float | int | str | bool]


def params_hash(detector: str, params: Params, version: str = __version__) -> str:
    """Stable 16-hex-digit hash of the detector name, its full parameters and the version."""
    blob = json.dumps(
        {
            "detector": detector,
            "params": {k: params[k] for k in sorted(params)},
            "version": version,
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def full_params(detector: str, params: dict[str, object] | None) -> Params:
    """``params`` over the detector's defaults, checked and converted (InputError if bad)."""
    from gazemap.events import detector_defaults
    from gazemap.events.preprocess import resolve_params

    return resolve_params(detector_defaults(detector), dict(params or {}), detector)


def _table_to_compound(table: Fixations | Saccades) -> np.ndarray:
    names = [f.name for f in fields(table)]
    arr = np.zeros(len(table), dtype=[(n, np.float64) for n in names])
    for n in names:
        arr[n] = getattr(table, n)
    return arr


def write_detection(
    target: str | os.PathLike[str] | h5py.File | Session,
    result: DetectionResult,
    gaze_stream: str = GAZE_STREAM,
) -> None:
    """Write ``result`` to ``/derived/<detector>/`` of a session file, replacing an old one.

    Parameters
    ----------
    target : session file path, an h5py.File open for writing, or a Session opened "r+".
    result : the detection to store (labels must have one entry per gaze sample).
    """
    if isinstance(target, Session):
        _write(target.h5, result, gaze_stream)
    elif isinstance(target, h5py.File):
        _write(target, result, gaze_stream)
    else:
        with Session(target, "r+") as s:
            _write(s.h5, result, gaze_stream)


def free_space_problem(path: str | os.PathLike[str], result: DetectionResult) -> str:
    """Empty when ``path``'s disk can take ``result`` under /derived, else why not.

    HDF5 interrupted by a full disk leaves the whole session file unreadable (and h5py may
    crash the process), so the recorded gaze would be lost for a cache: check first, with a
    generous margin (labels 1 byte, events 64 bytes each, uncompressed, twice over).
    """
    path = Path(path)
    size = 2 * (len(result.labels) + 64 * (len(result.fixations) + len(result.saccades)))
    short = space_short(path, size)
    if short is None:
        return ""
    free, need = short
    return (
        f"{path}: only {free / 1e6:.1f} MB free on its disk, and storing /derived/"
        f"{result.detector} needs about {need / 1e6:.1f} MB; nothing was written (a full "
        "disk part-way through would damage the session file). Free some space, or run "
        "`gazemap analyze` with --no-cache to analyse without storing detections."
    )


def _write(f: h5py.File, result: DetectionResult, gaze_stream: str) -> None:
    if f.file.mode != "r+":
        raise SessionFileError(
            f"{f.filename}: opened read-only; open it with mode 'r+' to write /derived."
        )
    problem = free_space_problem(f.filename, result)
    if problem:
        raise SessionFileError(problem)
    root = f.require_group(DERIVED)
    if result.detector in root:
        del root[result.detector]
    g = root.create_group(result.detector)
    g.create_dataset(
        "labels", data=np.asarray(result.labels, dtype=np.int8), compression="gzip", shuffle=True
    )
    g.create_dataset("fixations", data=_table_to_compound(result.fixations))
    g.create_dataset("saccades", data=_table_to_compound(result.saccades))
    g.attrs["detector"] = result.detector
    for k, v in result.params.items():
        g.attrs[k] = v
    g.attrs["params_json"] = json.dumps(result.params, sort_keys=True)
    g.attrs["params_hash"] = params_hash(result.detector, result.params)
    g.attrs["software_version"] = __version__
    g.attrs["created_utc"] = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    g.attrs["n_samples"] = len(result.labels)
    g.attrs["gaze_stream"] = gaze_stream
    f.flush()


def _n_gaze(f: h5py.File, gaze_stream: str) -> int:
    try:
        return int(f["streams"][gaze_stream]["time_s"].shape[0])
    except KeyError:
        return -1


def read_detection(
    session: Session,
    detector: str,
    params: dict[str, object] | None = None,
    gaze_stream: str = GAZE_STREAM,
) -> DetectionResult | None:
    """The stored detection of ``detector`` if it was made with these parameters (after
    defaults) by this gazemap version on the current gaze samples, else None.

    A name that is not one of gazemap's detectors names the events an importer stored
    (``/derived/eyelink_asc``, ``gazemap import``): those are returned as they are, or an
    InputError says that the session has none (:func:`read_imported`).
    """
    from gazemap.events import DETECTORS

    if detector not in DETECTORS:
        g = session.h5.get(f"{DERIVED}/{detector}")
        if is_imported_name(detector) or (g is not None and g.attrs.get("imported", False)):
            return read_imported(session, detector, params, gaze_stream)
    full = full_params(detector, params)
    g = session.h5.get(f"{DERIVED}/{detector}")
    if g is None:
        return None
    if str(g.attrs.get("params_hash", "")) != params_hash(detector, full):
        return None
    if int(g.attrs.get("n_samples", -2)) != _n_gaze(session.h5, gaze_stream):
        return None
    return _read_group(session, g, detector, full)


def _read_group(session: Session, g: h5py.Group, detector: str, params: Params) -> DetectionResult:
    try:
        fx = g["fixations"][()]
        sc = g["saccades"][()]
        fix = Fixations(**{f.name: fx[f.name] for f in fields(Fixations)})
        sac = Saccades(**{f.name: sc[f.name] for f in fields(Saccades)})
        labels = g["labels"][()].astype(np.int8)
    except (KeyError, ValueError, IndexError, TypeError) as exc:
        how = (
            "import the source file again (`gazemap import --force`)"
            if g.attrs.get("imported", False)
            # --force: without it, detect would read the damaged group again
            else f"run `gazemap detect {session.path} --detector {detector} --force` to "
            "detect again and rewrite it"
        )
        raise SessionFileError(
            f"{session.path}: /derived/{detector} is damaged ({exc}); {how}."
        ) from exc
    return DetectionResult(
        labels=labels, fixations=fix, saccades=sac, detector=detector, params=params
    )


def is_imported_name(name: str) -> bool:
    """True for a name importers store their source's events under: the format
    (``eyelink_asc``) or the format with a suffix (``lund_mn``)."""
    from gazemap.importers import IMPORTERS

    return any(name == f or name.startswith(f + "_") for f in IMPORTERS)


def imported_events(session: Session) -> list[str]:
    """Names of the event sets an importer stored under ``/derived`` (``imported=True``)."""
    root = session.h5.get(DERIVED)
    if root is None:
        return []
    return sorted(k for k, g in root.items() if bool(g.attrs.get("imported", False)))


def read_imported(
    session: Session,
    name: str,
    params: dict[str, object] | None = None,
    gaze_stream: str = GAZE_STREAM,
) -> DetectionResult:
    """The events an importer stored under ``/derived/<name>`` (e.g. EyeLink's own EFIX/ESACC
    as ``eyelink_asc``), as they are: they have no parameters to choose.

    Raises
    ------
    InputError
        ``params`` given, or the session holds no imported events of that name (the message
        names the ones it holds and the way out: a gazemap detector).
    SessionFileError
        the stored events do not match the gaze samples, or are damaged.
    """
    from gazemap.errors import InputError

    if params:
        raise InputError(
            f"--param does not apply to {name!r}: imported events are used as the source made "
            "them. Drop --param, or analyse with one of gazemap's detectors (--detector ivt_pso)."
        )
    g = session.h5.get(f"{DERIVED}/{name}")
    if g is None or not bool(g.attrs.get("imported", False)):
        held = imported_events(session)
        use = (
            f"it holds imported events {', '.join(held)}: use --detector with one of those, or "
            if held
            else "it was not imported with its tracker's events: use "
        )
        raise InputError(
            f"{session.path}: no events imported as {name!r} (/derived/{name}); {use}"
            "one of gazemap's detectors (e.g. --detector ivt_pso)."
        )
    n_gaze = _n_gaze(session.h5, gaze_stream)
    if int(g.attrs.get("n_samples", -2)) != n_gaze:
        raise SessionFileError(
            f"{session.path}: /derived/{name} was stored for {int(g.attrs.get('n_samples', -2))} "
            f"gaze samples but the file has {n_gaze}; import the source file again."
        )
    try:
        params_stored = json.loads(str(g.attrs.get("params_json", "{}")))
    except ValueError:
        params_stored = {}
    return _read_group(session, g, name, {"imported": True, **params_stored})


def detect_session_cached(
    path: str | os.PathLike[str],
    detector: str | None = None,
    params: dict[str, object] | None = None,
    write: bool = True,
) -> tuple[DetectionResult, bool]:
    """Like :func:`detect_session`; also says whether the stored result was re-used."""
    from gazemap.events import DEFAULT_DETECTOR, detect

    name = detector or DEFAULT_DETECTOR
    with Session(path) as s:
        cached = read_detection(s, name, params)
        if cached is not None:
            return cached, True
        gaze = s.gaze(GAZE_STREAM)
        screen = s.screen
    result = detect(gaze, screen, name, **dict(params or {}))
    if write:
        store_detection(path, result)
    return result, False


def store_detection(path: str | os.PathLike[str], result: DetectionResult) -> None:
    """:func:`write_detection` to the session file ``path``; a file that cannot be written is
    a SessionFileError naming it."""
    try:
        write_detection(Path(path), result)
    except OSError as exc:
        raise SessionFileError(
            f"{path}: cannot write /derived/{result.detector} ({exc}). Check that the file is "
            "writable and not open for recording."
        ) from exc


def detect_session(
    path: str | os.PathLike[str],
    detector: str | None = None,
    params: dict[str, object] | None = None,
    write: bool = True,
) -> DetectionResult:
    """Detect events in a session file's gaze, re-using ``/derived/<detector>`` when it was made
    with the same parameters (a no-op), else detecting and (``write``) storing the result.

    Parameters
    ----------
    path : session file.
    detector : detector name (default: gazemap.events.DEFAULT_DETECTOR).
    params : parameter overrides (defaults are filled in).
    write : store a fresh result in the file.
    """
    return detect_session_cached(path, detector, params, write)[0]
