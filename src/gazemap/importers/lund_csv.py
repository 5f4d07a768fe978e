"""Reader of the Lund 2013 hand-labelled data layout (Andersson et al. 2017) into arrays.

A folder holds ``recordings.json`` (one entry per recording: ``recording``, ``file``,
``stimulus``, ``sample_rate_hz``, ``screen_res_px`` [w, h], ``screen_size_m`` [w, h],
``viewing_distance_m``) and one CSV per recording with the header
``time_s,x_px,y_px[,label_mn,label_ra]``; an empty x/y means the tracker lost the eye. Label
columns are optional so that unlabelled recordings in this layout can be labelled too.
"""

from __future__ import annotations

import csv
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gazemap.errors import ImportFormatError
from gazemap.types import GazeSamples, ScreenGeometry

REQUIRED_COLUMNS = ("time_s", "x_px", "y_px")
LABEL_COLUMNS = ("label_mn", "label_ra")
REQUIRED_KEYS = ("file", "screen_res_px", "screen_size_m", "viewing_distance_m")


@dataclass(frozen=True)
class LundRecording:
    """One recording: gaze, screen and the coders' labels ((n,) int8, 0 where absent)."""

    name: str
    stimulus: str
    sample_rate_hz: float
    gaze: GazeSamples
    screen: ScreenGeometry
    labels: dict[str, np.ndarray]
    path: Path
    #: indices of rows whose timestamp was repaired (see :func:`read_lund_csv`)
    repaired: np.ndarray


def read_lund_csv(
    path: str | os.PathLike[str],
) -> tuple[GazeSamples, dict[str, np.ndarray], np.ndarray]:
    """Read one recording's CSV: gaze samples, the label columns present, repaired rows.

    Some files of the published data end with a row whose timestamp is garbage (e.g. -3997 s
    after 5.64 s) and whose gaze is empty. A row without gaze whose time does not increase is
    given the previous time plus the median interval, so that every row keeps a label; its
    index is returned in ``repaired``. A row *with* gaze and a bad time stays an error for the
    detector to report.

    Raises
    ------
    ImportFormatError
        Missing file or columns, non-numeric values, labels outside 1..6.
    """
    path = Path(path)
    if not path.is_file():
        raise ImportFormatError(f"{path}: no such file. Check recordings.json's 'file' entries.")
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            header = [h.strip() for h in next(reader, [])]
            missing = [c for c in REQUIRED_COLUMNS if c not in header]
            if missing:
                raise ImportFormatError(
                    f"{path}: missing column(s) {missing}; the header must start with "
                    f"{','.join(REQUIRED_COLUMNS)} (got {','.join(header) or 'an empty file'})."
                )
            rows = list(reader)
    except UnicodeDecodeError as exc:
        raise ImportFormatError(
            f"{path}: not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start}); "
            "a CSV of numbers with the header time_s,x_px,y_px is expected. If a spreadsheet "
            "saved it, save it again as 'CSV UTF-8'."
        ) from None
    cols: dict[str, np.ndarray] = {}
    for name in [*REQUIRED_COLUMNS, *[c for c in LABEL_COLUMNS if c in header]]:
        j = header.index(name)
        vals = np.empty(len(rows))
        for i, row in enumerate(rows):
            cell = row[j].strip() if j < len(row) else ""
            if cell == "":
                vals[i] = np.nan
                continue
            try:
                vals[i] = float(cell)
            except ValueError:
                raise ImportFormatError(
                    f"{path}, line {i + 2}, column {name!r}: {cell!r} is not a number."
                ) from None
        cols[name] = vals
    t = cols["time_s"]
    if np.isnan(t).any():
        i = int(np.argmax(np.isnan(t)))
        raise ImportFormatError(f"{path}, line {i + 2}: empty time_s; every row needs a time.")
    t, repaired = _repair_times(t, np.isnan(cols["x_px"]) | np.isnan(cols["y_px"]))
    labels: dict[str, np.ndarray] = {}
    for name in LABEL_COLUMNS:
        if name in cols:
            v = np.nan_to_num(cols[name], nan=0.0)
            bad = (v != np.round(v)) | (v < 0) | (v > 6)
            if bad.any():
                i = int(np.argmax(bad))
                raise ImportFormatError(
                    f"{path}, line {i + 2}, column {name!r}: label {cols[name][i]!r} is not one of "
                    "1..6 (1 fixation, 2 saccade, 3 PSO, 4 pursuit, 5 blink, 6 undefined)."
                )
            labels[name] = v.astype(np.int8)
    return GazeSamples(time_s=t, x_px=cols["x_px"], y_px=cols["y_px"]), labels, repaired


def _repair_times(t: np.ndarray, empty: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if len(t) < 3:
        return t, np.empty(0, dtype=np.int64)
    d = np.diff(t)
    if (d > 0).all():
        return t, np.empty(0, dtype=np.int64)
    dt = float(np.median(d[d > 0])) if (d > 0).any() else 0.0
    t = t.copy()
    fixed = []
    for i in range(1, len(t)):
        if t[i] <= t[i - 1] and empty[i] and dt > 0:
            t[i] = t[i - 1] + dt
            fixed.append(i)
    return t, np.asarray(fixed, dtype=np.int64)


def read_recordings_json(folder: str | os.PathLike[str]) -> list[dict[str, object]]:
    """The entries of ``folder/recordings.json`` (ImportFormatError if absent or malformed)."""
    folder = Path(folder)
    meta_path = folder / "recordings.json"
    if not folder.is_dir():
        raise ImportFormatError(
            f"{folder}: not a folder. Give a folder with recordings.json and CSVs."
        )
    if not meta_path.is_file():
        raise ImportFormatError(
            f"{folder}: no recordings.json; a Lund-layout folder lists its recordings there "
            "(see docs/detection.md)."
        )
    try:
        entries = json.loads(meta_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ImportFormatError(f"{meta_path}: not valid JSON ({exc}).") from exc
    if not isinstance(entries, list):
        raise ImportFormatError(
            f"{meta_path}: must hold a JSON list of recordings, got {type(entries).__name__}."
        )
    for k, e in enumerate(entries):
        if not isinstance(e, dict):
            raise ImportFormatError(f"{meta_path}: entry {k} is not an object.")
        missing = [key for key in REQUIRED_KEYS if key not in e]
        if missing:
            raise ImportFormatError(
                f"{meta_path}: entry {k} ({e.get('file', '?')}) lacks {missing}."
            )
    return entries


def screen_of(entry: dict[str, object], where: str = "recordings.json") -> ScreenGeometry:
    """ScreenGeometry of a recordings.json entry (m -> mm)."""
    try:
        res: list[float] = list(entry["screen_res_px"])  # type: ignore[call-overload]
        size: list[float] = list(entry["screen_size_m"])  # type: ignore[call-overload]
        w_px, h_px = res
        w_m, h_m = size
        d_m = float(entry["viewing_distance_m"])  # type: ignore[arg-type]
        return ScreenGeometry(
            int(w_px), int(h_px), float(w_m) * 1000, float(h_m) * 1000, d_m * 1000
        )
    except (TypeError, ValueError) as exc:
        raise ImportFormatError(
            f"{where}: entry {entry.get('file', '?')} has a bad screen description ({exc}); "
            "expected screen_res_px [w, h], screen_size_m [w, h], viewing_distance_m."
        ) from exc


def read_lund_folder(
    folder: str | os.PathLike[str], stimulus: str | None = None
) -> list[LundRecording]:
    """Every recording of a Lund-layout folder (optionally one ``stimulus`` only)."""
    from gazemap.importers._common import check_sample_rate

    folder = Path(folder)
    meta = folder / "recordings.json"
    out = []
    seen: dict[str, int] = {}
    for k, e in enumerate(read_recordings_json(folder)):
        if stimulus is not None and e.get("stimulus") != stimulus:
            continue
        file = str(e["file"])
        name = str(e.get("recording", Path(file).stem))
        # the name becomes an output file name (gazemap label: OUT/<recording>.csv)
        if not name or name in (".", "..") or "/" in name or "\\" in name:
            raise ImportFormatError(
                f"{meta}: entry {k} has recording {name!r}; a recording name must be a plain "
                "file name (no folders), as it names the output file. Fix its 'recording'."
            )
        if name in seen:
            raise ImportFormatError(
                f"{meta}: entries {seen[name]} and {k} are both recording {name!r}; their outputs "
                "would overwrite each other. Give each entry its own 'recording'."
            )
        seen[name] = k
        raw_rate = e.get("sample_rate_hz", 0.0) or 0.0
        try:
            rate = float(raw_rate)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            rate = float("nan")
        if not (math.isfinite(rate) and rate >= 0):
            raise ImportFormatError(
                f"{meta}: entry {k} ({file}) has sample_rate_hz {raw_rate!r}; it must be a "
                "number of samples per second, e.g. 500 (or leave it out)."
            )
        gaze, labels, repaired = read_lund_csv(folder / file)
        check_sample_rate(
            gaze.time_s,
            str(folder / file),
            "The time_s column must be in seconds: convert it (e.g. ms / 1000).",
        )
        out.append(
            LundRecording(
                name=name,
                stimulus=str(e.get("stimulus", "")),
                sample_rate_hz=rate,
                gaze=gaze,
                screen=screen_of(e, str(folder / "recordings.json")),
                labels=labels,
                path=folder / file,
                repaired=repaired,
            )
        )
    return out
