"""Pupil Player export folders (``exports/000/``) → gazemap sessions.

Reads the CSV files Pupil Player writes (Pupil Labs' documented export format):

- ``surfaces/gaze_positions_on_surface_<name>.csv`` (``gaze_timestamp``, ``x_norm``,
  ``y_norm``, ``on_surf``, ``confidence``): the gaze on the surface that is the screen, origin
  bottom-left → screen px (``x × width``, ``(1 − y) × height``). Pupil Core gaze in scene-camera
  coordinates cannot be put on the screen without a surface, so a surface export is required.
- ``pupil_positions.csv``: ``diameter_3d`` (mm) per eye (``eye_id`` 0 = right, 1 = left) of the
  3d detector, matched to each gaze sample by nearest timestamp (within 10 ms).
- ``surfaces/fixations_on_surface_<name>.csv``: Pupil's own fixations → /derived/pupil_csv.
- ``annotations.csv``: annotations → markers. ``export_info.csv``: Player version → provenance.

Times are Pupil time (s). Gaze below confidence 0.6 is invalid; off the surface is OFF_SCREEN.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np

from gazemap.errors import ImportFormatError
from gazemap.importers._common import (
    ImportedRecording,
    fixations_with_degrees,
    import_errors,
    read_text,
)
from gazemap.types import Markers, ScreenGeometry, Validity

FORMAT = "pupil_csv"
MIN_CONFIDENCE = 0.6
GAZE_PREFIX = "gaze_positions_on_surface_"
FIX_PREFIX = "fixations_on_surface_"


def _table(path: Path, required: tuple[str, ...]) -> tuple[list[str], list[list[str]]]:
    text = read_text(path, "Pupil Player CSV")
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise ImportFormatError(f"{path}:1: empty file; expected a header row.")
    header = [h.strip() for h in rows[0]]
    missing = [c for c in required if c not in header]
    if missing:
        raise ImportFormatError(
            f"{path}:1: missing column(s) {missing}; expected a Pupil Player export with {list(required)}."
        )
    body = rows[1:]
    for k, r in enumerate(body):
        if len(r) != len(header) and any(c.strip() for c in r):
            raise ImportFormatError(
                f"{path}:{k + 2}: row has {len(r)} fields, the header has {len(header)}."
            )
    return header, [r for r in body if len(r) == len(header)]


def _col(
    path: Path, header: list[str], rows: list[list[str]], name: str, allow_empty: bool = False
) -> np.ndarray:
    j = header.index(name)
    out = np.empty(len(rows))
    for k, r in enumerate(rows):
        v = r[j].strip()
        if not v and allow_empty:
            out[k] = np.nan
            continue
        try:
            x = float(v)
        except ValueError:
            raise ImportFormatError(
                f"{path}:{k + 2}: {name} is {v!r}; expected a number."
            ) from None
        if not math.isfinite(x):
            raise ImportFormatError(f"{path}:{k + 2}: {name} is {v!r}; expected a finite number.")
        out[k] = x
    return out


def _bool_col(header: list[str], rows: list[list[str]], name: str) -> np.ndarray:
    if name not in header:
        return np.ones(len(rows), dtype=bool)
    j = header.index(name)
    return np.array([r[j].strip().lower() in ("true", "1") for r in rows], dtype=bool)


def _surfaces(folder: Path) -> list[str]:
    d = folder / "surfaces"
    if not d.is_dir():
        return []
    return sorted(p.stem[len(GAZE_PREFIX) :] for p in d.glob(f"{GAZE_PREFIX}*.csv"))


def read_pupil_export(
    path: str | Path,
    recording: int | None = None,
    surface: str | None = None,
    screen_px: tuple[int, int] | None = None,
) -> list[ImportedRecording]:
    """Parse a Pupil Player export folder (see module docstring).

    ``screen_px`` is the size of the screen the surface covers; None: the surface's own size
    in Pupil Player (its ``x_scaled``/``y_scaled`` columns) when it was set to the screen's
    px, else 1920 x 1080 with a warning.
    """
    folder = Path(path)
    with import_errors(folder, "Pupil Player export"):
        return [_read(folder, recording, surface, screen_px)]


def _read(
    folder: Path, recording: int | None, surface: str | None, screen_px: tuple[int, int] | None
) -> ImportedRecording:
    if not folder.is_dir():
        raise ImportFormatError(
            f"{folder}: not a folder; give a Pupil Player export folder (exports/000)."
        )
    if recording not in (None, 1):
        raise ImportFormatError(
            f"{folder}: a Pupil Player export is one recording; --recording {recording} does not exist."
        )
    names = _surfaces(folder)
    if not names:
        # the recording folder (or its exports/) given instead of one export in it
        inner = sorted(
            {
                g.parent.parent
                for pattern in (
                    f"*/surfaces/{GAZE_PREFIX}*.csv",
                    f"*/*/surfaces/{GAZE_PREFIX}*.csv",
                )
                for g in folder.glob(pattern)
            }
        )
        if inner:
            raise ImportFormatError(
                f"{folder}: is not an export folder, but holds Pupil Player export(s) with surface "
                f"gaze: {', '.join(str(d) for d in inner)}. Give the export folder, e.g. "
                f"gazemap import pupil_csv {inner[-1]} --out …"
            )
        raise ImportFormatError(
            f"{folder}: no surfaces/{GAZE_PREFIX}<name>.csv. Pupil Core gaze is in scene-camera "
            "coordinates; define a surface on the screen in Pupil Player's Surface Tracker and export again."
        )
    if surface is None:
        if len(names) > 1:
            raise ImportFormatError(
                f"{folder}: several surfaces ({', '.join(names)}); choose the screen with --surface NAME."
            )
        surface = names[0]
    if surface not in names:
        raise ImportFormatError(
            f"{folder}: no surface {surface!r}; exported surfaces: {', '.join(names)}."
        )
    gpath = folder / "surfaces" / f"{GAZE_PREFIX}{surface}.csv"
    h, rows = _table(gpath, ("gaze_timestamp", "x_norm", "y_norm", "confidence"))
    t = _col(gpath, h, rows, "gaze_timestamp")
    xn = _col(gpath, h, rows, "x_norm", allow_empty=True)
    yn = _col(gpath, h, rows, "y_norm", allow_empty=True)
    conf = _col(gpath, h, rows, "confidence", allow_empty=True)
    on = _bool_col(h, rows, "on_surf")
    order = np.argsort(t, kind="stable")
    t, xn, yn, conf, on = t[order], xn[order], yn[order], conf[order], on[order]
    keep = np.ones(len(t), dtype=bool)
    keep[1:] = np.diff(t) > 0  # a gaze datum listed for several world frames
    t, xn, yn, conf, on = t[keep], xn[keep], yn[keep], conf[keep], on[keep]
    warnings: list[str] = []
    size = _surface_size(gpath, h, rows)
    if screen_px is None:
        if size is not None:
            screen_px = size
        else:
            screen_px = (1920, 1080)
            warnings.append(
                f"{gpath}: no screen size given and the surface {surface!r} has no size in px "
                "(Pupil Player's default 1 x 1): its gaze is mapped onto 1920 x 1080 px. If the "
                "screen is another size, import again with --screen-width-px/--screen-height-px "
                "(or set the surface's width and height to the screen's px in Pupil Player)."
            )
    elif size is not None and size != tuple(screen_px):
        warnings.append(
            f"{gpath}: the surface {surface!r} is {size[0]} x {size[1]} in Pupil Player, but the "
            f"screen is given as {screen_px[0]} x {screen_px[1]} px; gaze is mapped onto the "
            "given screen. Check --screen-width-px/--screen-height-px."
        )
    w, hgt = screen_px
    bad = ~(conf >= MIN_CONFIDENCE) | ~np.isfinite(xn) | ~np.isfinite(yn)
    x = np.where(bad, np.nan, xn * w)
    y = np.where(bad, np.nan, (1.0 - yn) * hgt)
    validity = np.where(bad, int(Validity.LEFT_INVALID | Validity.RIGHT_INVALID), 0)
    validity |= np.where(~bad & ~on, int(Validity.OFF_SCREEN), 0)
    lp = np.full(len(t), np.nan)
    rp = np.full(len(t), np.nan)
    ppath = folder / "pupil_positions.csv"
    if ppath.is_file():
        ph, prow = _table(ppath, ("pupil_timestamp", "eye_id", "confidence"))
        if "diameter_3d" in ph and prow:
            pt = _col(ppath, ph, prow, "pupil_timestamp")
            eye = _col(ppath, ph, prow, "eye_id")
            d = _col(ppath, ph, prow, "diameter_3d", allow_empty=True)
            pc = _col(ppath, ph, prow, "confidence", allow_empty=True)
            if "method" in ph:
                j = ph.index("method")
                is3d = np.array(["3d" in r[j] for r in prow])
            else:
                is3d = np.ones(len(prow), dtype=bool)
            for eid, target in ((1, lp), (0, rp)):
                sel = (eye == eid) & is3d & (pc >= MIN_CONFIDENCE) & np.isfinite(d) & (d > 0)
                et, ed = pt[sel], d[sel]
                if not len(et):
                    continue
                o = np.argsort(et)
                et, ed = et[o], ed[o]
                i = (
                    np.clip(np.searchsorted(et, t), 1, len(et) - 1)
                    if len(et) > 1
                    else np.zeros(len(t), dtype=int)
                )
                if len(et) > 1:
                    i = np.where(np.abs(et[i - 1] - t) < np.abs(et[i] - t), i - 1, i)
                near = np.abs(et[i] - t) <= 0.010
                target[near & ~bad] = ed[i][near & ~bad]
    screen = ScreenGeometry(w, hgt, 531.0, 299.0, 650.0)
    fixations = None
    fpath = folder / "surfaces" / f"{FIX_PREFIX}{surface}.csv"
    if fpath.is_file():
        fh, frow = _table(
            fpath, ("fixation_id", "start_timestamp", "duration", "norm_pos_x", "norm_pos_y")
        )
        fid = _col(fpath, fh, frow, "fixation_id")
        fs = _col(fpath, fh, frow, "start_timestamp")
        fd = _col(fpath, fh, frow, "duration") / 1000.0
        fx = _col(fpath, fh, frow, "norm_pos_x", allow_empty=True)
        fy = _col(fpath, fh, frow, "norm_pos_y", allow_empty=True)
        disp = (
            _col(fpath, fh, frow, "dispersion", allow_empty=True)
            if "dispersion" in fh
            else np.full(len(frow), np.nan)
        )
        _, first = np.unique(fid, return_index=True)
        first = np.sort(first)
        if np.any(fd[first] < 0):
            k = int(first[np.argmax(fd[first] < 0)])
            raise ImportFormatError(
                f"{fpath}:{k + 2}: duration is negative; expected milliseconds >= 0."
            )
        fixations = fixations_with_degrees(
            fs[first],
            fs[first] + fd[first],
            fx[first] * w,
            (1.0 - fy[first]) * hgt,
            screen,
            disp[first],
        )
    mt: list[float] = []
    mv: list[str] = []
    apath = folder / "annotations.csv"
    if apath.is_file():
        ah, arow = _table(apath, ("timestamp", "label"))
        at = _col(apath, ah, arow, "timestamp")
        j = ah.index("label")
        mt, mv = at.tolist(), [r[j] for r in arow]
    attrs = {"tool": "Pupil Player", "surface": surface}
    ipath = folder / "export_info.csv"
    if ipath.is_file():
        for r in csv.reader(io.StringIO(read_text(ipath, "Pupil Player CSV"))):
            if len(r) >= 2 and r[0].strip() == "Player Software Version":
                attrs["tool_version"] = r[1].strip()
            elif len(r) >= 2 and r[0].strip() == "Data Format Version":
                attrs["data_format_version"] = r[1].strip()
    rate = 0.0
    if len(t) > 1:
        rate = float(round(1.0 / float(np.median(np.diff(t)))))
    return ImportedRecording(
        time_s=t,
        gaze={
            "x_px": x,
            "y_px": y,
            "left_pupil_mm": lp,
            "right_pupil_mm": rp,
            "validity": validity.astype(np.float64),
        },
        markers=Markers(np.asarray(mt, dtype=np.float64), np.array(mv, dtype=object)),
        screen_px=screen_px,
        nominal_srate=rate,
        fixations=fixations,
        recording="1",
        source_attrs=attrs,
        warnings=warnings,
    )


def _surface_size(path: Path, header: list[str], rows: list[list[str]]) -> tuple[int, int] | None:
    """The surface's size set in Pupil Player (x_scaled / x_norm), when it looks like px.

    None when the columns are missing, the ratio varies (not one surface size) or the size is
    Pupil's default 1 x 1 (anything under 100 is not a screen in px).
    """
    if "x_scaled" not in header or "y_scaled" not in header or not rows:
        return None
    xn = _col(path, header, rows, "x_norm", allow_empty=True)
    yn = _col(path, header, rows, "y_norm", allow_empty=True)
    xs = _col(path, header, rows, "x_scaled", allow_empty=True)
    ys = _col(path, header, rows, "y_scaled", allow_empty=True)
    out = []
    for n, sc in ((xn, xs), (yn, ys)):
        ok = np.isfinite(n) & np.isfinite(sc) & (np.abs(n) > 0.05)
        if ok.sum() < 3:
            return None
        r = sc[ok] / n[ok]
        med = float(np.median(r))
        if not 100 <= med <= 100000 or float(np.max(np.abs(r - med))) > 0.01 * med:
            return None
        out.append(int(round(med)))
    return out[0], out[1]
