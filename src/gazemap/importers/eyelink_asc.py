"""EyeLink ASC files (edf2asc output) → gazemap sessions.

Reads what SR Research's EyeLink 1000/Portable Duo user manuals describe for ASC files:
``**`` header lines (converter and tracker version), ``START``/``END`` recording blocks with
``SAMPLES``/``EVENTS``/``PUPIL`` lines, sample lines (``time x y pupil`` per recorded eye,
``.`` for missing values, optional velocity/resolution/input/flag columns), the events
``SFIX``/``EFIX``, ``SSACC``/``ESACC``, ``SBLINK``/``EBLINK`` and ``MSG`` lines (with the
optional integer offset: the event happened at ``time - offset``).

Each ``START … END`` block becomes one recording; ``MSG`` lines before a block (e.g.
``TRIALID``, ``DISPLAY_COORDS``) belong to it. ``DISPLAY_COORDS left top right bottom`` gives
the screen size in px. Pupil size in ASC is in EyeLink's arbitrary units (area or diameter),
so ``left_pupil_mm``/``right_pupil_mm`` are NaN and the raw values are kept in the extra
channels ``left_pupil_raw``/``right_pupil_raw``. Times are the tracker's ms clock in seconds.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

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
from gazemap.types import Markers, Saccades, ScreenGeometry, Validity

FORMAT = "eyelink_asc"
_LONE_DOT = re.compile(r"(?<!\S)\.(?!\S)")
_INT = re.compile(r"[-+]?\d+$")
#: per-point validation message, e.g. "VALIDATE R 4POINT 4  RIGHT  at 752,300  OFFSET 0.54 deg."
_VALIDATE = re.compile(
    r"^VALIDATE\s+([LR])\b.*?\bat\s+(-?[\d.]+)\s*,\s*(-?[\d.]+)\s+OFFSET\s+([\d.]+)\s+deg",
    re.IGNORECASE,
)
#: summary, e.g. "!CAL VALIDATION HV9 R RIGHT GOOD ERROR 0.35 avg. 0.71 max ..."
_SUMMARY = re.compile(
    r"^!CAL VALIDATION\s+(\S+)\s+\S+\s+(LEFT|RIGHT)\s+(\S+)\s+ERROR\s+([\d.]+)\s+avg\.\s+([\d.]+)\s+max"
)


def validation(
    messages: list[str], eye: str
) -> tuple[np.ndarray, np.ndarray, dict[str, str | float]] | None:
    """The last EyeLink validation of ``eye`` ("L"/"R") in a recording's messages.

    Per-point ``VALIDATE`` messages come before their ``!CAL VALIDATION`` summary; the points
    of the last summary of that eye are returned as (points (n, 2) px, error (n,) deg, attrs).
    """
    points: list[tuple[float, float, float]] = []
    result = None
    for m in messages:
        v = _VALIDATE.match(m)
        if v and v.group(1).upper() == eye:
            points.append((float(v.group(2)), float(v.group(3)), float(v.group(4))))
            continue
        sm = _SUMMARY.match(m)
        if sm and sm.group(2)[0] == eye:
            attrs: dict[str, str | float] = {
                "source": "eyelink_asc",
                "type": sm.group(1),
                "eye": sm.group(2).lower(),
                "result": sm.group(3),
                "mean_error_deg": float(sm.group(4)),
                "max_error_deg": float(sm.group(5)),
            }
            arr = np.array(points, dtype=np.float64).reshape(-1, 3)
            result = (arr[:, :2], arr[:, 2], attrs)
            points = []
    return result


@dataclass
class _Block:
    start_line: int
    start_ms: float
    eyes: tuple[str, ...]
    rate_hz: float = 0.0
    pupil: str = ""
    sample_lines: list[str] = field(default_factory=list)
    sample_first_line: int = 0
    end_line: int = 0
    markers_t: list[float] = field(default_factory=list)
    markers_v: list[str] = field(default_factory=list)
    fix: dict[str, list[tuple[float, ...]]] = field(default_factory=lambda: {"L": [], "R": []})
    sac: dict[str, list[tuple[float, ...]]] = field(default_factory=lambda: {"L": [], "R": []})
    blink: dict[str, list[tuple[float, float]]] = field(default_factory=lambda: {"L": [], "R": []})
    display_px: tuple[int, int] | None = None
    gaze_coords_px: tuple[int, int] | None = None


def _num(tok: str, path: Path, lineno: int, what: str) -> float:
    if tok == ".":
        return math.nan
    try:
        v = float(tok)
    except ValueError:
        raise ImportFormatError(
            f"{path}:{lineno}: expected a number for {what}, got {tok!r}."
        ) from None
    if not math.isfinite(v):
        raise ImportFormatError(f"{path}:{lineno}: {what} must be finite, got {tok!r}.")
    return v


def _need(tokens: list[str], n: int, path: Path, lineno: int, layout: str) -> None:
    if len(tokens) < n:
        raise ImportFormatError(
            f"{path}:{lineno}: {tokens[0]} line has {len(tokens)} fields, expected {n}: {layout}."
        )


def _eye(tok: str, path: Path, lineno: int) -> str:
    if tok not in ("L", "R"):
        raise ImportFormatError(f"{path}:{lineno}: expected eye L or R, got {tok!r}.")
    return tok


def read_asc(
    path: str | Path,
    recording: int | None = None,
    event_eye: str | None = None,
    merge_blocks: bool = False,
) -> list[ImportedRecording]:
    """Parse an ASC file into one ImportedRecording per ``START … END`` block.

    Parameters
    ----------
    path : the .asc file.
    recording : 1-based index of the only block to return (None = all).
    event_eye : ``"L"`` or ``"R"``: whose EFIX/ESACC/EBLINK go to /derived/eyelink_asc
        (default: left when recorded, else right).
    merge_blocks : one recording of all blocks (an experiment that records one block per
        trial, e.g. one per screen of a usability test: one participant's session on the
        tracker's one clock; the time between blocks is not recorded). The blocks must
        record the same eyes.
    """
    p = Path(path)
    with import_errors(p, "EyeLink ASC"), no_gc():
        return _read(p, recording, event_eye, merge_blocks)


def _merge(blocks: list[_Block], p: Path) -> _Block:
    """The blocks of one file as one block (samples, messages and events in file order)."""
    first = blocks[0]
    for b in blocks[1:]:
        if b.eyes != first.eyes:
            raise ImportFormatError(
                f"{p}:{b.start_line}: this block records {' '.join(b.eyes)}, the first "
                f"(line {first.start_line}) {' '.join(first.eyes)}; blocks recording different "
                "eyes cannot be one session: import them one by one with --recording N."
            )
        if b.start_ms < blocks[0].start_ms:
            raise ImportFormatError(
                f"{p}:{b.start_line}: this block starts before an earlier one; expected the "
                "blocks of one session in time order."
            )
    m = _Block(first.start_line, first.start_ms, first.eyes, first.rate_hz, first.pupil)
    m.sample_first_line = first.sample_first_line
    m.end_line = blocks[-1].end_line
    m.display_px = next((b.display_px for b in blocks if b.display_px), None)
    m.gaze_coords_px = next((b.gaze_coords_px for b in blocks if b.gaze_coords_px), None)
    for b in blocks:
        m.sample_lines.extend(b.sample_lines)
        m.markers_t.extend(b.markers_t)
        m.markers_v.extend(b.markers_v)
        for eye in ("L", "R"):
            m.fix[eye].extend(b.fix[eye])
            m.sac[eye].extend(b.sac[eye])
            m.blink[eye].extend(b.blink[eye])
    return m


def _read(
    p: Path, recording: int | None, event_eye: str | None, merge_blocks: bool = False
) -> list[ImportedRecording]:
    text = read_text(p, "EyeLink ASC")
    header: dict[str, str] = {}
    blocks: list[_Block] = []
    pending_t: list[float] = []
    pending_v: list[str] = []
    pending_display: tuple[int, int] | None = None
    pending_gaze: tuple[int, int] | None = None
    cur: _Block | None = None
    all_lines = text.splitlines()
    bar = progress(len(all_lines), f"reading {p.name}")
    for i, raw in enumerate(all_lines):
        lineno = i + 1
        if not i % 200_000:
            bar.update(min(200_000, len(all_lines) - i))
        if not raw or raw.isspace():
            continue
        c = raw[0]
        if c.isdigit():
            if cur is None:
                raise ImportFormatError(
                    f"{p}:{lineno}: sample line outside a START … END block; expected START before samples."
                )
            if not cur.sample_lines:
                cur.sample_first_line = lineno
            cur.sample_lines.append(raw)
            continue
        if raw.startswith("**"):
            _header(raw, header)
            continue
        tokens = raw.split()
        kw = tokens[0]
        if kw == "MSG":
            _need(tokens, 2, p, lineno, "MSG time text")
            t = _num(tokens[1], p, lineno, "the message time")
            rest = tokens[2:]
            if len(rest) >= 2 and _INT.match(rest[0]):
                t -= float(rest[0])
                rest = rest[1:]
            msg = " ".join(rest)
            if rest and rest[0] in ("DISPLAY_COORDS", "GAZE_COORDS") and len(rest) >= 5:
                coords = rest[0]
                x0, y0, x1, y1 = (_num(v, p, lineno, coords) for v in rest[1:5])
                size = (int(round(x1 - x0 + 1)), int(round(y1 - y0 + 1)))
                if size[0] <= 0 or size[1] <= 0 or size[0] > 100000 or size[1] > 100000:
                    raise ImportFormatError(
                        f"{p}:{lineno}: {coords} gives a screen of {size} px; expected left top right bottom of the display."
                    )
                # GAZE_COORDS (the tracker's own, in every file) when the experiment wrote
                # no DISPLAY_COORDS (that one wins)
                if coords == "GAZE_COORDS":
                    if cur is None:
                        pending_gaze = size
                    else:
                        cur.gaze_coords_px = size
                elif cur is None:
                    pending_display = size
                else:
                    cur.display_px = size
            if cur is None:
                pending_t.append(t / 1000.0)
                pending_v.append(msg)
            else:
                cur.markers_t.append(t / 1000.0)
                cur.markers_v.append(msg)
        elif kw == "START":
            if cur is not None:
                raise ImportFormatError(
                    f"{p}:{lineno}: START inside the block started on line {cur.start_line}; expected END first."
                )
            _need(tokens, 2, p, lineno, "START time eyes…")
            eyes = tuple(e[0] for e in tokens[2:] if e in ("LEFT", "RIGHT"))
            if not eyes:
                raise ImportFormatError(
                    f"{p}:{lineno}: START names no eye; expected LEFT and/or RIGHT."
                )
            cur = _Block(lineno, _num(tokens[1], p, lineno, "the START time"), eyes)
            cur.markers_t, cur.markers_v = pending_t, pending_v
            cur.display_px = pending_display
            cur.gaze_coords_px = pending_gaze
            pending_t, pending_v = [], []
        elif kw == "END":
            if cur is None:
                raise ImportFormatError(f"{p}:{lineno}: END without START.")
            cur.end_line = lineno
            blocks.append(cur)
            pending_display = cur.display_px
            pending_gaze = cur.gaze_coords_px
            cur = None
        elif kw == "SAMPLES" and cur is not None:
            kind = tokens[1].upper() if len(tokens) > 1 else ""
            if kind in ("HREF", "PUPIL"):
                # head-referenced angles or raw camera positions, not screen px: read as px
                # they would put every fixation in the wrong place without a word
                raise ImportFormatError(
                    f"{p}:{lineno}: the samples are {kind} positions (edf2asc "
                    f"{'-sh' if kind == 'HREF' else '-sp'}), not gaze on the screen in px; "
                    "convert the EDF again with gaze samples (edf2asc's default, or -sg)."
                )
            if "RATE" in tokens:
                k = tokens.index("RATE")
                if k + 1 < len(tokens):
                    cur.rate_hz = _num(tokens[k + 1], p, lineno, "RATE")
        elif kw == "PUPIL" and cur is not None:
            cur.pupil = tokens[1] if len(tokens) > 1 else ""
        elif kw in ("EFIX", "ESACC", "EBLINK", "SFIX", "SSACC", "SBLINK"):
            if cur is None:
                raise ImportFormatError(f"{p}:{lineno}: {kw} outside a START … END block.")
            _event(kw, tokens, cur, p, lineno)
    bar.close()
    if cur is not None:
        raise ImportFormatError(
            f"{p}: the block started on line {cur.start_line} has no END (file truncated?). "
            "Re-convert the EDF with edf2asc."
        )
    if pending_v and blocks:
        blocks[-1].markers_t += pending_t
        blocks[-1].markers_v += pending_v
    if not blocks:
        raise ImportFormatError(
            f"{p}: no recording (no START … END block). Is this an EyeLink ASC file (edf2asc output)?"
        )
    if recording is not None:
        if not 1 <= recording <= len(blocks):
            raise ImportFormatError(
                f"{p}: --recording {recording} does not exist; the file has {len(blocks)} recording(s)."
            )
        blocks = [blocks[recording - 1]]
    elif merge_blocks and len(blocks) > 1:
        blocks = [_merge(blocks, p)]
    tool = header.get("converter", "")
    out = []
    for k, b in enumerate(blocks):
        rec = _finish(b, p, event_eye)
        rec.recording = str(recording if recording is not None else k + 1)
        rec.source_attrs = {
            "tool": "EyeLink (edf2asc)",
            "tool_version": tool,
            **{k2: v for k2, v in header.items() if k2 != "converter"},
        }
        out.append(rec)
    return out


def _header(raw: str, header: dict[str, str]) -> None:
    body = raw[2:].strip()
    if body.startswith("CONVERTED FROM"):
        m = re.search(r"using (.+?)(?: on |$)", body)
        header["converter"] = m.group(1).strip() if m else body
    elif ":" in body:
        k, v = body.split(":", 1)
        key = re.sub(r"\W+", "_", k.strip().lower())
        if key in ("date", "type", "version", "source", "camera", "serial_number", "camera_config"):
            header[key] = v.strip()
    elif body.upper().startswith("EYELINK"):
        header["tracker"] = body


def _event(kw: str, tokens: list[str], b: _Block, p: Path, lineno: int) -> None:
    if kw in ("SFIX", "SSACC", "SBLINK"):
        _need(tokens, 3, p, lineno, f"{kw} eye time")
        _eye(tokens[1], p, lineno)
        _num(tokens[2], p, lineno, "the start time")
        return
    eye = _eye(tokens[1], p, lineno) if len(tokens) > 1 else _eye("", p, lineno)
    if kw == "EFIX":
        _need(tokens, 8, p, lineno, "EFIX eye start end duration x y pupil")
        v = tuple(_num(t, p, lineno, f"EFIX field {j + 2}") for j, t in enumerate(tokens[2:7]))
        b.fix[eye].append(v)
    elif kw == "ESACC":
        _need(
            tokens,
            11,
            p,
            lineno,
            "ESACC eye start end duration x0 y0 x1 y1 amplitude peak_velocity",
        )
        v = tuple(_num(t, p, lineno, f"ESACC field {j + 2}") for j, t in enumerate(tokens[2:11]))
        b.sac[eye].append(v)
    else:
        _need(tokens, 5, p, lineno, "EBLINK eye start end duration")
        s, e = (_num(t, p, lineno, "EBLINK time") for t in tokens[2:4])
        b.blink[eye].append((s, e))
    if len(
        v := (
            b.fix[eye][-1]
            if kw == "EFIX"
            else b.sac[eye][-1]
            if kw == "ESACC"
            else b.blink[eye][-1]
        )
    ) >= 2 and (math.isnan(v[0]) or math.isnan(v[1]) or v[1] < v[0]):
        raise ImportFormatError(
            f"{p}:{lineno}: {kw} end time must be a number >= its start time, got {v[0]} .. {v[1]}."
        )


def _samples(b: _Block, p: Path) -> np.ndarray:
    ncols = 1 + 3 * len(b.eyes)
    if not b.sample_lines:
        return np.empty((0, ncols))
    text = _LONE_DOT.sub("nan", "\n".join(b.sample_lines))
    try:
        arr = np.loadtxt(
            io.StringIO(text), usecols=range(ncols), dtype=np.float64, ndmin=2, comments=None
        )
    except ValueError:
        arr = None
    if arr is not None and np.isfinite(arr[:, 0]).all() and not np.isinf(arr).any():
        return arr
    # slow path only to name the offending line
    for j, line in enumerate(b.sample_lines):
        lineno = b.sample_first_line + j  # only exact when samples are contiguous; search below
        toks = line.split()
        if len(toks) < ncols:
            lineno = _find_line(p, line, b)
            raise ImportFormatError(
                f"{p}:{lineno}: sample line has {len(toks)} fields, expected at least {ncols} "
                f"(time, then x y pupil for each of {' '.join(b.eyes)}); '.' marks a missing value."
            )
        for k, t in enumerate(toks[:ncols]):
            if k == 0 and t == ".":
                raise ImportFormatError(
                    f"{p}:{_find_line(p, line, b)}: the sample time is missing ('.')."
                )
            try:
                v = math.nan if t == "." else float(t)
            except ValueError:
                raise ImportFormatError(
                    f"{p}:{_find_line(p, line, b)}: sample field {k + 1} is {t!r}; expected a number or '.'."
                ) from None
            if math.isinf(v):
                raise ImportFormatError(
                    f"{p}:{_find_line(p, line, b)}: sample field {k + 1} is {t!r}; expected a finite number."
                )
    raise ImportFormatError(
        f"{p}: samples of the block at line {b.start_line} could not be read."
    )  # pragma: no cover


def _find_line(p: Path, line: str, b: _Block) -> int:
    text = read_text(p, "EyeLink ASC").splitlines()
    for i in range(b.start_line - 1, min(len(text), (b.end_line or len(text)))):
        if text[i] == line:
            return i + 1
    return b.start_line  # pragma: no cover - the line was read from this file


def _event_end_ms(ev: np.ndarray) -> np.ndarray:
    """End of EFIX/ESACC events (rows: start, end, duration, ...) in ms, exclusive.

    The ``end`` field of an ASC event is the time of its last sample, and ``duration`` counts
    that sample (``EFIX L 1000 1199 200``); the event lasts to start + duration, as in
    EyeLink Data Viewer's durations. ``end`` alone would make every fixation one sample
    short: a dwell time over 58 fixations 58 ms too short at 1000 Hz (116 ms at 500 Hz).
    """
    end = ev[:, 1].copy()
    dur = ev[:, 2]
    ok = np.isfinite(dur) & (dur >= end - ev[:, 0])
    end[ok] = ev[ok, 0] + dur[ok]
    return end


def _finish(b: _Block, p: Path, event_eye: str | None) -> ImportedRecording:
    if b.display_px is None and b.gaze_coords_px is not None:
        b.display_px = b.gaze_coords_px
    arr = _samples(b, p)
    t_s = arr[:, 0] / 1000.0
    if len(t_s) > 1 and np.any(np.diff(t_s) < 0):
        bad = int(np.argmax(np.diff(t_s) < 0)) + 1
        raise ImportFormatError(
            f"{p}: sample times go backwards in the block at line {b.start_line} "
            f"({arr[bad - 1, 0]:.0f} then {arr[bad, 0]:.0f} ms); expected increasing times."
        )
    n = len(t_s)
    nan = np.full(n, np.nan)
    cols: dict[str, np.ndarray] = {}
    validity = np.zeros(n, dtype=np.int64)
    for k, eye in enumerate(b.eyes):
        name = "left" if eye == "L" else "right"
        x, y, pupil = arr[:, 1 + 3 * k], arr[:, 2 + 3 * k], arr[:, 3 + 3 * k]
        bad = ~(np.isfinite(x) & np.isfinite(y))
        x = np.where(bad, np.nan, x)
        y = np.where(bad, np.nan, y)
        cols[f"{name}_x_px"], cols[f"{name}_y_px"] = x, y
        cols[f"{name}_pupil_raw"] = np.where(bad | (pupil <= 0), np.nan, pupil)
        validity |= np.where(
            bad, int(Validity.LEFT_INVALID if eye == "L" else Validity.RIGHT_INVALID), 0
        )
    lx, ly = cols.get("left_x_px", nan), cols.get("left_y_px", nan)
    rx, ry = cols.get("right_x_px", nan), cols.get("right_y_px", nan)
    with np.errstate(invalid="ignore"):
        cols["x_px"] = np.where(np.isnan(lx), rx, np.where(np.isnan(rx), lx, (lx + rx) / 2))
        cols["y_px"] = np.where(np.isnan(ly), ry, np.where(np.isnan(ry), ly, (ly + ry) / 2))
    ev_eye = event_eye or ("L" if "L" in b.eyes else "R")
    if ev_eye not in ("L", "R"):
        raise ImportFormatError(f"event eye must be L or R, got {ev_eye!r}.")
    if ev_eye not in b.eyes:
        # the events of an eye that was not recorded: none, so every AOI would read as
        # never fixated with --detector eyelink_asc
        raise ImportFormatError(
            f"{p}:{b.start_line}: --eye {ev_eye}, but this block recorded only the "
            f"{'right' if b.eyes == ('R',) else 'left'} eye, so it has no {ev_eye} events; "
            f"use --eye {b.eyes[0]} (or leave --eye out)."
        )
    blinks = np.array(b.blink[ev_eye], dtype=np.float64).reshape(-1, 2) / 1000.0
    if len(blinks) and n:
        i0 = np.searchsorted(t_s, blinks[:, 0], "left")
        i1 = np.searchsorted(t_s, blinks[:, 1], "right")
        for a, c in zip(i0, i1, strict=True):
            validity[a:c] |= int(Validity.BLINK)
    if b.display_px:
        w, h = b.display_px
        with np.errstate(invalid="ignore"):
            off = (cols["x_px"] < 0) | (cols["x_px"] > w) | (cols["y_px"] < 0) | (cols["y_px"] > h)
        validity |= np.where(off, int(Validity.OFF_SCREEN), 0)
    cols["validity"] = validity.astype(np.float64)
    screen = ScreenGeometry(*(b.display_px or (1920, 1080)), 531.0, 299.0, 650.0)
    fx = np.array(b.fix[ev_eye], dtype=np.float64).reshape(-1, 5)
    fixations = fixations_with_degrees(
        fx[:, 0] / 1000.0, _event_end_ms(fx) / 1000.0, fx[:, 3], fx[:, 4], screen
    )
    sc = np.array(b.sac[ev_eye], dtype=np.float64).reshape(-1, 9)
    saccades = Saccades(
        sc[:, 0] / 1000.0,
        _event_end_ms(sc) / 1000.0,
        sc[:, 3],
        sc[:, 4],
        sc[:, 5],
        sc[:, 6],
        sc[:, 7],
        sc[:, 8],
    )
    rate = b.rate_hz
    if not rate and n > 1:
        rate = float(round(1.0 / np.median(np.diff(t_s)))) if np.median(np.diff(t_s)) > 0 else 0.0
    calibration = validation(b.markers_v, ev_eye)
    return ImportedRecording(
        calibration=calibration,
        time_s=t_s,
        gaze=cols,
        markers=Markers(
            np.array(b.markers_t, dtype=np.float64), np.array(b.markers_v, dtype=object)
        ),
        screen_px=b.display_px,
        nominal_srate=rate,
        fixations=fixations,
        saccades=saccades,
        blinks=blinks,
        extra_units={
            "left_pupil_raw": f"arbitrary ({b.pupil or 'AREA'})",
            "right_pupil_raw": f"arbitrary ({b.pupil or 'AREA'})",
        },
        event_eye=ev_eye,
    )
