"""Tobii Pro Lab and Tobii Studio TSV data exports → gazemap sessions.

Both tools export one tab-separated row per sample (and one per event) with a header row.
Column names differ between the two (Pro Lab: ``Recording timestamp``, ``Gaze point X``,
``Validity left`` = ``Valid``/``Invalid``; Studio: ``RecordingTimestamp``,
``GazePointX (ADCSpx)``, ``ValidityLeft`` = 0…4 where 2 and more mean invalid); units in
brackets or parentheses after a name are read and removed. Decimal commas (exports made on a
European locale) are accepted.

Gaze points are screen px (origin top-left), pupils mm. Timestamps are µs in Pro Lab and
ms in Studio unless the header names the unit (``Recording timestamp [ms]``) or
``time_unit`` is given. Rows of other sensors (mouse, keyboard) are skipped; ``Event`` /
``StudioEvent`` rows become markers (``event`` or ``event: value``). The export's own eye
movement classification (``Eye movement type`` = Fixation/Saccade with its index and
``Gaze event duration``) goes to ``/derived/tobii_tsv``. Several recordings in one export
(``Recording name``) become one recording each.
"""

from __future__ import annotations

import io
import math
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from gazemap.errors import ImportFormatError
from gazemap.importers._common import (
    ImportedRecording,
    fixations_with_degrees,
    import_errors,
    no_gc,
    progress,
    read_text,
)
from gazemap.types import Fixations, Markers, Saccades, ScreenGeometry, Validity

FORMAT = "tobii_tsv"

#: canonical column → accepted header names (units stripped, compared case-insensitively)
COLUMNS: dict[str, tuple[str, ...]] = {
    "time": ("recording timestamp", "recordingtimestamp"),
    "sensor": ("sensor",),
    "participant": ("participant name", "participantname"),
    "recording": ("recording name", "recordingname"),
    "res_w": ("recording resolution width",),
    "res_h": ("recording resolution height",),
    "res": ("recordingresolution",),
    "event": ("event", "studioevent"),
    "event_value": ("event value", "studioeventdata"),
    # Studio: events from other software (E-Prime, a web test's script) and the mouse
    # clicks / key presses of the participant are rows of their own, without gaze
    "ext_event": ("externalevent",),
    "ext_value": ("externaleventvalue",),
    "mouse": ("mouseevent",),
    "key": ("keypressevent",),
    "x": ("gaze point x", "gazepointx"),
    "y": ("gaze point y", "gazepointy"),
    "lx": ("gaze point left x", "gazepointleftx"),
    "ly": ("gaze point left y", "gazepointlefty"),
    "rx": ("gaze point right x", "gazepointrightx"),
    "ry": ("gaze point right y", "gazepointrighty"),
    "lp": ("pupil diameter left", "pupilleft"),
    "rp": ("pupil diameter right", "pupilright"),
    "lv": ("validity left", "validityleft"),
    "rv": ("validity right", "validityright"),
    "emtype": ("eye movement type", "gazeeventtype"),
    "emdur": ("gaze event duration", "gazeeventduration", "eye movement event duration"),
    "emidx": ("eye movement type index", "fixationindex"),
    "fx": ("fixation point x", "fixationpointx"),
    "fy": ("fixation point y", "fixationpointy"),
    "version": ("studioversionrec", "recording software version"),
}
_UNIT = re.compile(r"\s*[\[(]([^\])]*)[\])]\s*$")
_PER_RECORDING = ("participant", "res_w", "res_h", "res", "version")
_NUMERIC = ("time", "x", "y", "lx", "ly", "rx", "ry", "lp", "rp", "emdur", "emidx", "fx", "fy")
_TIME_UNITS = {
    "us": 1e-6,
    "μs": 1e-6,
    "µs": 1e-6,
    "microseconds": 1e-6,
    "ms": 1e-3,
    "milliseconds": 1e-3,
    "s": 1.0,
}


def _header(line: str, path: Path) -> tuple[dict[str, int], dict[str, str], str]:
    names = line.rstrip("\r\n").split("\t")
    index: dict[str, int] = {}
    units: dict[str, str] = {}
    # one name can head several columns in different units ("Gaze point X [DACS px]",
    # "Gaze point X [MCS norm]"): every column of a name is kept, in header order
    lowered: dict[str, list[tuple[int, str]]] = {}
    for i, raw in enumerate(names):
        m = _UNIT.search(raw)
        base = raw[: m.start()] if m else raw
        lowered.setdefault(base.strip().lower(), []).append((i, m.group(1).strip() if m else ""))
    other_units: dict[str, str] = {}
    for key, options in COLUMNS.items():
        for o in options:
            found = _best_unit(key, lowered.get(o, []))
            if found is not None:
                index[key], units[key] = found
                break
            if lowered.get(o) and key not in other_units:
                other_units[key] = names[lowered[o][0][0]]
    if "time" not in index:
        raise ImportFormatError(
            f"{path}:1: no 'Recording timestamp' (Pro Lab) or 'RecordingTimestamp' (Studio) column in the "
            "header; expected a Tobii TSV data export with a header row. Re-export with the timestamp column."
        )
    if not any(k in index for k in ("x", "lx", "rx")):
        only = [other_units[k] for k in ("x", "lx", "rx") if k in other_units]
        raise ImportFormatError(
            f"{path}:1: no gaze point column in screen px ('Gaze point X [DACS px]' / "
            "'GazePointX (ADCSpx)')"
            + (f"; the export has only {only[0]!r}, which is not screen pixels" if only else "")
            + "; expected a Tobii TSV data export that includes gaze points. Re-export with the "
            "gaze point columns in DACS px (Pro Lab) / ADCSpx (Studio)."
        )
    dialect = (
        "studio"
        if names[index["time"]].strip().lower().startswith("recordingtimestamp")
        else "prolab"
    )
    return index, units, dialect


#: coordinate columns: units of screen px (best), of media px (the stimulus' own px: the
#: screen's for a full-screen web or screen recording), and units that are never px
_COORD_KEYS = ("x", "y", "lx", "ly", "rx", "ry", "fx", "fy")
_SCREEN_PX_UNITS = ("", "px", "dacspx", "adcspx")
_MEDIA_PX_UNITS = ("mcspx",)


def _best_unit(key: str, found: list[tuple[int, str]]) -> tuple[int, str] | None:
    """The column (index, unit) of ``key`` among the columns of one name, or None.

    Gaze and fixation points come in several coordinate systems under the same name (Pro Lab:
    ``Gaze point X [DACS px]``, ``Gaze point left X [DACS mm]``, ``Gaze point X [MCS norm]``;
    Studio: ``GazePointX (ADCSpx)``, ``GazePointX (MCSpx)``). Screen px are taken, else media
    px; mm and normalised columns never (read as px they put every point in the top-left
    corner). Other columns: the first of the name.
    """
    if key not in _COORD_KEYS:
        return found[0] if found else None
    for accepted in (_SCREEN_PX_UNITS, _MEDIA_PX_UNITS):
        for i, unit in found:
            if re.sub(r"[\s_]+", "", unit.lower()) in accepted:
                return i, unit
    return None


def _floats(values: list[str], linenos: np.ndarray, path: Path, column: str) -> np.ndarray:
    # fast path: one C-level parse of the whole column; any oddity falls to the slow path,
    # which finds the offending row to name it
    vals = [v or "nan" for v in values]
    if "," in "\t".join(vals):
        vals = [v.replace(",", ".") for v in vals]
    try:
        res = np.fromiter(map(float, vals), dtype=np.float64, count=len(vals))
    except ValueError:
        res = None
    if res is not None and not np.isinf(res).any():
        return res
    for i, v in enumerate(values):
        if v == "":
            continue
        try:
            x = float(v.replace(",", "."))
        except ValueError:
            raise ImportFormatError(
                f"{path}:{linenos[i]}: {column} is {v!r}; expected a number or an empty cell."
            ) from None
        if not math.isfinite(x):
            raise ImportFormatError(
                f"{path}:{linenos[i]}: {column} is {v!r}; expected a finite number."
            )
    raise ImportFormatError(
        f"{path}: column {column} has values that are not plain numbers; re-export with numbers."
    )


def _numeric_block(
    lines: list[str], start: int, keep: list[int], usecols: list[int]
) -> np.ndarray | None:
    """The numeric columns of a chunk of rows parsed in one C pass (numpy's loadtxt), or None
    when anything is unusual, so that the per-column path can name the offending row."""
    chunk = (
        lines[start : start + len(keep)]
        if keep == list(range(len(keep)))
        else [lines[start + j] for j in keep]
    )
    text = "\n".join(chunk)
    # empty cells -> nan (two passes catch runs of empty cells); decimal commas -> dots
    text = text.replace("\t\t", "\tnan\t").replace("\t\t", "\tnan\t").replace("\t\n", "\tnan\n")
    if text.endswith("\t"):
        text += "nan"
    if text.startswith("\t"):
        text = "nan" + text
    text = text.replace("\n\t", "\nnan\t")
    text = text.replace(",", ".")
    try:
        arr = np.loadtxt(
            io.StringIO(text),
            delimiter="\t",
            usecols=usecols,
            dtype=np.float64,
            comments=None,
            ndmin=2,
        )
    except ValueError:
        return None
    if arr.shape != (len(keep), len(usecols)) or np.isinf(arr).any():
        return None
    return arr


def _check_rows(rows: list[list[str]], ncol: int, p: Path, start: int) -> list[int]:
    """Indices of the rows to keep (blank lines dropped); a short/long row is an error."""
    keep = []
    for j, r in enumerate(rows):
        if len(r) != ncol:
            if len(r) == 1 and not r[0].strip():
                continue
            raise ImportFormatError(
                f"{p}:{start + j + 1}: row has {len(r)} tab-separated fields, the header has {ncol}; "
                "expected one field per header column (file truncated or edited?)."
            )
        keep.append(j)
    return keep


def read_tsv(
    path: str | Path, recording: int | None = None, time_unit: str | None = None
) -> list[ImportedRecording]:
    """Parse a Tobii Pro Lab / Studio TSV export; one ImportedRecording per recording name.

    Parameters
    ----------
    path : the .tsv file.
    recording : 1-based index of the only recording to return (None = all).
    time_unit : ``"us"``, ``"ms"`` or ``"s"``; default from the header, else µs (Pro Lab) / ms (Studio).
    """
    p = Path(path)
    with import_errors(p, "Tobii TSV"), no_gc():
        return _read(p, recording, time_unit)


def _read(p: Path, recording: int | None, time_unit: str | None) -> list[ImportedRecording]:
    text = read_text(p, "Tobii TSV")
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise ImportFormatError(
            f"{p}:1: empty file; expected a Tobii TSV export with a header row."
        )
    index, units, dialect = _header(lines[0], p)
    ncol = lines[0].count("\t") + 1
    # numeric columns are converted chunk by chunk (a 1-hour 1 kHz export has 3.6 M rows);
    # text columns keep one shared object per distinct value (sys.intern)
    num_keys = [k for k in _NUMERIC if k in index]
    # per-recording facts are read from the recording's first row only (see meta below)
    str_keys = [k for k in index if k not in _NUMERIC and k not in _PER_RECORDING]
    parts: dict[str, list[np.ndarray]] = {k: [] for k in num_keys}
    cols: dict[str, list[str]] = {k: [] for k in str_keys}
    linenos: list[np.ndarray] = []
    chunk = 100_000
    bar = progress(len(lines) - 1, f"reading {p.name}")
    for start in range(1, len(lines), chunk):
        bar.update(min(chunk, len(lines) - start))
        rows = [ln.split("\t") for ln in lines[start : start + chunk]]
        if set(map(len, rows)) == {ncol}:
            keep = list(range(len(rows)))
        else:
            keep = _check_rows(rows, ncol, p, start)
        if len(keep) != len(rows):
            rows = [rows[j] for j in keep]
        if not rows:
            continue
        chunk_ln = start + 1 + np.asarray(keep)
        linenos.append(chunk_ln)
        columns = list(zip(*rows, strict=True))
        del rows
        block = _numeric_block(lines, start, keep, [index[k] for k in num_keys])
        for c, k in enumerate(num_keys):
            if block is not None:
                parts[k].append(block[:, c])
                continue
            parts[k].append(
                _floats(
                    list(columns[index[k]]),
                    chunk_ln,
                    p,
                    "Recording timestamp" if k == "time" else k,
                )
            )
        for k in str_keys:
            cols[k].extend(map(sys.intern, columns[index[k]]))
    bar.close()
    if not linenos:
        raise ImportFormatError(f"{p}: no data rows after the header; expected samples.")
    ln = np.concatenate(linenos)

    def meta(key: str, row: int) -> str | None:
        """Value of a per-recording column on data row ``row`` (None if the column is absent)."""
        if key not in index:
            return None
        return lines[int(ln[row]) - 1].split("\t")[index[key]]

    num = {k: np.concatenate(v) for k, v in parts.items()}
    unit = (time_unit or units.get("time", "")).strip().lower()
    if unit and unit not in _TIME_UNITS:
        raise ImportFormatError(
            f"{p}:1: unknown timestamp unit {unit!r}; expected one of us, ms, s (use --time-unit)."
        )
    scale = _TIME_UNITS[unit] if unit else (1e-3 if dialect == "studio" else 1e-6)
    t = num.pop("time")
    if np.isnan(t).any():
        i = int(np.argmax(np.isnan(t)))
        raise ImportFormatError(
            f"{p}:{ln[i]}: the recording timestamp is empty; expected a number on every row."
        )
    t = t * scale
    sensor = np.array(cols["sensor"], dtype=object) if "sensor" in cols else None
    names = (
        np.array(cols["recording"], dtype=object)
        if "recording" in cols
        else np.full(len(t), "", dtype=object)
    )
    order: list[str] = list(dict.fromkeys(names.tolist()))
    if recording is not None:
        if not 1 <= recording <= len(order):
            raise ImportFormatError(
                f"{p}: --recording {recording} does not exist; the export has {len(order)} recording(s)."
            )
        order = [order[recording - 1]]
    out = []
    for ri, name in enumerate(order):
        sel = names == name
        rec = _recording(p, dialect, sel, t, num, cols, sensor, ln, meta)
        rec.recording = str(name or (recording if recording is not None else ri + 1))
        out.append(rec)
    return out


def _validity(values: list[str] | None, sel: np.ndarray, dialect: str) -> np.ndarray | None:
    if values is None:
        return None
    v = np.char.strip(np.array(values, dtype=str)[sel])
    if dialect == "studio":
        return ~np.isin(v, ("0", "1"))
    return np.char.lower(v) != "valid"


def _recording(
    p: Path,
    dialect: str,
    sel: np.ndarray,
    t_all: np.ndarray,
    num: dict[str, np.ndarray],
    cols: dict[str, list[str]],
    sensor: np.ndarray | None,
    ln: np.ndarray,
    meta: Callable[[str, int], str | None],
) -> ImportedRecording:
    rows = np.flatnonzero(sel)
    ev = (
        np.array(cols["event"], dtype=object)[rows]
        if "event" in cols
        else np.full(len(rows), "", dtype=object)
    )
    evv = (
        np.array(cols["event_value"], dtype=object)[rows]
        if "event_value" in cols
        else np.full(len(rows), "", dtype=object)
    )
    is_event = ev != ""
    pairs = [(is_event, ev, evv)]
    if "ext_event" in cols:
        ext = np.array(cols["ext_event"], dtype=object)[rows]
        extv = (
            np.array(cols["ext_value"], dtype=object)[rows]
            if "ext_value" in cols
            else np.full(len(rows), "", dtype=object)
        )
        pairs.append((ext != "", ext, extv))
        is_event = is_event | (ext != "")
    mt: list[float] = []
    mv: list[str] = []
    for sel_e, e_col, v_col in pairs:
        mt.extend(t_all[rows][sel_e].tolist())
        mv.extend(
            f"{e}: {v}" if v else str(e) for e, v in zip(e_col[sel_e], v_col[sel_e], strict=True)
        )
    m_order = np.argsort(np.asarray(mt, dtype=np.float64), kind="stable")
    markers_t = np.asarray(mt, dtype=np.float64)[m_order]
    markers_v = [mv[i] for i in m_order]
    is_gaze = ~is_event
    if sensor is not None:
        s = sensor[rows]
        is_gaze &= (s == "") | (s == "Eye Tracker")
    # a Studio mouse click or key press row has no gaze sample (no validity code)
    other = np.zeros(len(rows), dtype=bool)
    for k in ("mouse", "key"):
        if k in cols:
            other |= np.array(cols[k], dtype=object)[rows] != ""
    if other.any():
        has_validity = np.zeros(len(rows), dtype=bool)
        for k in ("lv", "rv"):
            if k in cols:
                has_validity |= np.char.strip(np.array(cols[k], dtype=str)[rows]) != ""
        is_gaze &= ~(other & ~has_validity)
    g = rows[is_gaze]
    if len(g) > 1 and np.any(np.diff(t_all[g]) < 0):
        i = int(np.argmax(np.diff(t_all[g]) < 0)) + 1
        raise ImportFormatError(
            f"{p}:{ln[g[i]]}: timestamp goes backwards; expected rows in time order."
        )
    t = t_all[g]
    n = len(g)
    nan = np.full(n, np.nan)

    def col(k: str) -> np.ndarray:
        return num[k][g] if k in num else nan.copy()

    lx, ly, rx, ry = col("lx"), col("ly"), col("rx"), col("ry")
    lp, rp = col("lp"), col("rp")
    lbad = _validity(cols.get("lv"), g, dialect)
    rbad = _validity(cols.get("rv"), g, dialect)
    if lbad is None:
        lbad = ~(np.isfinite(lx) & np.isfinite(ly))
    if rbad is None:
        rbad = ~(np.isfinite(rx) & np.isfinite(ry))
    lbad = lbad | ~(np.isfinite(lx) & np.isfinite(ly)) if "lx" in num else lbad
    rbad = rbad | ~(np.isfinite(rx) & np.isfinite(ry)) if "rx" in num else rbad
    for a in (lx, ly, lp):
        a[lbad] = np.nan
    for a in (rx, ry, rp):
        a[rbad] = np.nan
    if "x" in num:
        x, y = col("x"), col("y")
    else:
        with np.errstate(invalid="ignore"):
            x = np.where(np.isnan(lx), rx, np.where(np.isnan(rx), lx, (lx + rx) / 2))
            y = np.where(np.isnan(ly), ry, np.where(np.isnan(ry), ly, (ly + ry) / 2))
    validity = np.where(lbad, int(Validity.LEFT_INVALID), 0) | np.where(
        rbad, int(Validity.RIGHT_INVALID), 0
    )
    screen_px = _screen(meta, g)
    if screen_px:
        w, h = screen_px
        with np.errstate(invalid="ignore"):
            off = (x < 0) | (x > w) | (y < 0) | (y > h)
        validity |= np.where(off, int(Validity.OFF_SCREEN), 0)
    gaze = {
        "x_px": x,
        "y_px": y,
        "left_x_px": lx,
        "left_y_px": ly,
        "right_x_px": rx,
        "right_y_px": ry,
        "left_pupil_mm": lp,
        "right_pupil_mm": rp,
        "validity": validity.astype(np.float64),
    }
    fixations, saccades = _events(cols, num, g, t, x, y, screen_px)
    participant = (meta("participant", int(g[0])) or "") if n else ""
    rate = 0.0
    if n > 1:
        d = np.diff(t)
        med = float(np.median(d[d > 0])) if np.any(d > 0) else 0.0
        rate = float(round(1.0 / med)) if med > 0 else 0.0
    version = (meta("version", int(g[0])) or "") if n else ""
    return ImportedRecording(
        time_s=t,
        gaze=gaze,
        markers=Markers(markers_t, np.array(markers_v, dtype=object)),
        screen_px=screen_px,
        nominal_srate=rate,
        fixations=fixations,
        saccades=saccades,
        participant=participant,
        source_attrs={
            "tool": "Tobii Studio" if dialect == "studio" else "Tobii Pro Lab",
            "tool_version": version,
        },
        warnings=[]
        if "emtype" in cols or not n
        else [
            f"{p}: the export has no 'Eye movement type' column, so Tobii's own fixations "
            "are not imported (`gazemap analyze --detector tobii_tsv` will skip this session; "
            "gazemap's detectors work). To use Tobii's fixation filter, export again with "
            "'Eye movement type', 'Gaze event duration', 'Eye movement type index' and "
            "'Fixation point X/Y'"
            + (
                " (Studio: 'GazeEventType', 'GazeEventDuration', 'FixationIndex')"
                if dialect == "studio"
                else ""
            )
        ],
    )


def _screen(meta: Callable[[str, int], str | None], g: np.ndarray) -> tuple[int, int] | None:
    if not len(g):
        return None
    row = int(g[0])
    try:
        w_s, h_s, res = meta("res_w", row), meta("res_h", row), meta("res", row)
        if w_s is not None and h_s is not None:
            w, h = int(float(w_s)), int(float(h_s))
        elif res is not None:
            a, b = re.split(r"\s*[xX×]\s*", res.strip())
            w, h = int(a), int(b)
        else:
            return None
    except ValueError:
        return None
    return (w, h) if 0 < w < 100000 and 0 < h < 100000 else None


def _events(
    cols: dict[str, list[str]],
    num: dict[str, np.ndarray],
    g: np.ndarray,
    t: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    screen_px: tuple[int, int] | None,
) -> tuple[Fixations | None, Saccades | None]:
    if "emtype" not in cols or not len(g):
        return None, None
    kind = np.array(cols["emtype"], dtype=object)[g]
    # the index column is numeric; empty cells (-1 here) never continue a run
    idx = np.nan_to_num(num["emidx"][g], nan=-1.0) if "emidx" in num else np.zeros(len(g))
    dur_s = num["emdur"][g] / 1000.0 if "emdur" in num else np.full(len(g), np.nan)
    change = np.ones(len(g), dtype=bool)
    change[1:] = (kind[1:] != kind[:-1]) | (idx[1:] != idx[:-1])
    starts = np.flatnonzero(change)
    ends = np.append(starts[1:], len(g)) - 1
    fx_rows = [(a, b) for a, b in zip(starts, ends, strict=True) if kind[a] == "Fixation"]
    sc_rows = [(a, b) for a, b in zip(starts, ends, strict=True) if kind[a] == "Saccade"]

    def end_time(a: Any, b: Any) -> float:
        d = dur_s[a]
        if np.isfinite(d) and d >= 0:
            return float(t[a] + d)
        # no duration column: to the next sample (the event's last sample interval)
        return float(t[b + 1]) if b + 1 < len(t) else float(t[b])

    fpx = num.get("fx")
    fpy = num.get("fy")
    fxs = np.array([t[a] for a, _ in fx_rows])
    fxe = np.array([end_time(a, b) for a, b in fx_rows])
    if fpx is not None and fpy is not None:
        first = np.array([a for a, _ in fx_rows], dtype=np.int64)
        cx, cy = fpx[g][first], fpy[g][first]
    else:
        cx = np.array(
            [
                np.nanmean(x[a : b + 1]) if np.isfinite(x[a : b + 1]).any() else np.nan
                for a, b in fx_rows
            ]
        )
        cy = np.array(
            [
                np.nanmean(y[a : b + 1]) if np.isfinite(y[a : b + 1]).any() else np.nan
                for a, b in fx_rows
            ]
        )
    screen = ScreenGeometry(*(screen_px or (1920, 1080)), 531.0, 299.0, 650.0)
    fixations = fixations_with_degrees(fxs, np.maximum(fxe, fxs), cx, cy, screen)
    ss = np.array([t[a] for a, _ in sc_rows])
    se = np.array([end_time(a, b) for a, b in sc_rows])
    nanv = np.full(len(sc_rows), np.nan)
    saccades = Saccades(
        ss,
        np.maximum(se, ss),
        np.array([x[a] for a, _ in sc_rows]),
        np.array([y[a] for a, _ in sc_rows]),
        np.array([x[b] for _, b in sc_rows]),
        np.array([y[b] for _, b in sc_rows]),
        nanv,
        nanv.copy(),
    )
    return fixations, saccades
