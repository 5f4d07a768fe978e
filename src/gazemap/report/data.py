"""Read the analysis output folder (docs/outputs.md) into plain Python values for the report.

Nothing is recomputed here: CSV cells become numbers (empty cell = None), JSON files are
parsed and their required keys checked. Every problem raises an :class:`InputError` naming
the file and what to do.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gazemap.errors import InputError
from gazemap.protocol import AOI, Protocol
from gazemap.types import ScreenGeometry

METRICS_COLUMNS = (
    "participant", "session_id", "stage_id", "touchpoint_id", "screen_id", "aoi_id", "aoi_name",
    "aoi_role", "ttff_s", "first_fixation_duration_s", "fixations_before_first", "dwell_s",
    "fixation_count", "visit_count", "revisits", "fixated", "detector",
)  # fmt: skip
TOUCHPOINTS_COLUMNS = (
    "participant", "session_id", "stage_id", "touchpoint_id", "start_s", "end_s",
    "time_on_touchpoint_s", "fixation_count", "mean_fixation_duration_ms",
    "scanpath_length_deg", "data_loss", "precision_rms_deg", "quality_ok", "clicks", "detector",
)  # fmt: skip
FIXATIONS_COLUMNS = (
    "participant", "session_id", "touchpoint_id", "screen_id", "index", "start_s", "t_rel_s",
    "duration_s", "x_px", "y_px", "page_x_px", "page_y_px", "aoi_ids",
)  # fmt: skip

AOIS_COLUMNS = (
    "participant", "touchpoint_id", "screen_id", "aoi_id", "aoi_name", "aoi_role", "shape",
    "coords_px", "fixed", "source",
)  # fmt: skip
AOIS_FILE = "aois.csv"

#: columns kept as text; every other column is a number (empty = None) or a bool
_TEXT = {
    "participant", "session_id", "stage_id", "touchpoint_id", "screen_id", "aoi_id",
    "aoi_name", "aoi_role", "detector", "aoi_ids", "shape", "source",
}  # fmt: skip
_BOOL = {"fixated", "quality_ok", "mapped", "fixed", "success"}  # mapped, success: 1/0
#: list-of-numbers columns (cells joined with ';')
_NUMBERS = {"coords_px"}

#: assumed when the analysis outputs do not say which screen was used: a 24-inch 16:9
#: monitor (531 mm wide) at 65 cm, a common lab set-up
DEFAULT_SCREEN_MM = (531.0, 650.0)

_HOW_TO_FIX = "Run `gazemap analyze STUDY_DIR --out DIR` to (re)create the analysis folder."


@dataclass(frozen=True, slots=True)
class AnalysisOutputs:
    """The contents of an analysis folder, rows as dicts with typed values."""

    out_dir: Path
    metrics: list[dict[str, Any]]
    touchpoints: list[dict[str, Any]]
    fixations: list[dict[str, Any]]
    evidence: dict[str, Any]
    journey: dict[str, Any]
    sessions: list[dict[str, Any]]
    #: aois.csv rows (the AOI geometry each participant was analysed with); empty for an
    #: analysis folder written before aois.csv existed
    aois: list[dict[str, Any]] = field(default_factory=list)

    def findings(self) -> list[dict[str, Any]]:
        """Every evidence record of evidence.json, in file order."""
        return [
            f
            for st in self.evidence.get("stages", [])
            for tp in st.get("touchpoints", [])
            for f in tp.get("findings", [])
        ]

    def findings_of(self, touchpoint_id: str) -> list[dict[str, Any]]:
        return [f for f in self.findings() if f.get("touchpoint_id") == touchpoint_id]

    def journey_touchpoint(self, touchpoint_id: str) -> dict[str, Any] | None:
        for st in self.journey.get("stages", []):
            for tp in st.get("touchpoints", []):
                if tp.get("id") == touchpoint_id:
                    return dict(tp)
        return None


def _cell(path: Path, line: int, column: str, text: str) -> Any:
    if column in _TEXT:
        return text
    if column in _NUMBERS:
        try:
            vals = tuple(float(x) for x in text.split(";")) if text else ()
        except ValueError:
            vals = ()
        if not vals or not all(math.isfinite(v) for v in vals):
            raise InputError(
                f"{path.name} line {line}: column {column} must be numbers joined with ';', "
                f"got {text!r}. " + _HOW_TO_FIX
            )
        return vals
    if text == "":
        return None
    if column in _BOOL:
        low = text.strip().lower()
        if low in ("true", "1", "yes"):
            return True
        if low in ("false", "0", "no"):
            return False
        raise InputError(
            f"{path.name} line {line}: column {column} must be true/false, got {text!r}. "
            + _HOW_TO_FIX
        )
    try:
        v = float(text)
    except ValueError:
        raise InputError(
            f"{path.name} line {line}: column {column} must be a number or empty, got {text!r}. "
            + _HOW_TO_FIX
        ) from None
    if column in ("index", "clicks", "fixation_count", "visit_count", "revisits") and (
        math.isfinite(v) and v == int(v)
    ):
        return int(v)
    return v if math.isfinite(v) else None


def read_csv(path: Path, required: tuple[str, ...]) -> list[dict[str, Any]]:
    """Rows of a CSV output file with typed values; checks the header has ``required``."""
    if not path.is_file():
        raise InputError(f"{path} is missing. " + _HOW_TO_FIX)
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            header = reader.fieldnames or []
            missing = [c for c in required if c not in header]
            if missing:
                raise InputError(
                    f"{path} lacks the column(s) {', '.join(missing)} (docs/outputs.md). "
                    + _HOW_TO_FIX
                )
            rows = []
            for line, raw in enumerate(reader, start=2):
                rows.append({k: _cell(path, line, k, v or "") for k, v in raw.items() if k})
    except UnicodeDecodeError as exc:
        # typically a spreadsheet program that saved it again in its own encoding
        raise InputError(
            f"{path} is not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset "
            f"{exc.start}); if a spreadsheet program saved it, save it as 'CSV UTF-8'. "
            + _HOW_TO_FIX
        ) from None
    return rows


def read_json(path: Path, required: tuple[str, ...], kind: type = dict) -> Any:
    """A JSON output file; checks its top-level type and keys."""
    if not path.is_file():
        raise InputError(f"{path} is missing. " + _HOW_TO_FIX)
    try:
        doc: Any = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path} is not valid JSON ({exc}). " + _HOW_TO_FIX) from None
    if not isinstance(doc, kind):
        raise InputError(
            f"{path} must hold a JSON {'object' if kind is dict else 'array'}, got "
            f"{type(doc).__name__}. " + _HOW_TO_FIX
        )
    if isinstance(doc, dict):
        missing = [k for k in required if k not in doc]
        if missing:
            raise InputError(f"{path} lacks the key(s) {', '.join(missing)}. " + _HOW_TO_FIX)
    return doc


def load_outputs(out_dir: Path) -> AnalysisOutputs:
    """Read every file of docs/outputs.md from ``out_dir``."""
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise InputError(f"analysis folder {out_dir} does not exist. " + _HOW_TO_FIX)
    evidence = read_json(
        out_dir / "evidence.json", ("protocol", "detector", "participants", "stages")
    )
    for st in evidence["stages"]:
        for tp in st.get("touchpoints", []):
            for f in tp.get("findings", []):
                for key in ("id", "touchpoint_id", "rule_id", "severity"):
                    if key not in f:
                        raise InputError(
                            f"{out_dir / 'evidence.json'}: a finding of touchpoint "
                            f"{tp.get('id')!r} lacks {key!r}. " + _HOW_TO_FIX
                        )
    sessions = read_json(out_dir / "sessions.json", (), kind=list)
    aois_path = out_dir / AOIS_FILE
    aois = read_csv(aois_path, AOIS_COLUMNS) if aois_path.exists() else []
    for line, r in enumerate(aois, start=2):
        if r["source"] not in ("live", "protocol") or r["fixed"] is None:
            raise InputError(
                f"{aois_path.name} line {line}: source must be live or protocol and fixed "
                f"true or false, got {r['source']!r} and {r['fixed']!r}. " + _HOW_TO_FIX
            )
    return AnalysisOutputs(
        out_dir=out_dir,
        metrics=read_csv(out_dir / "metrics.csv", METRICS_COLUMNS),
        touchpoints=read_csv(out_dir / "touchpoints.csv", TOUCHPOINTS_COLUMNS),
        fixations=read_csv(out_dir / "fixations.csv", FIXATIONS_COLUMNS),
        evidence=evidence,
        journey=read_json(out_dir / "journey.json", ("stages",)),
        sessions=sessions,
        aois=aois,
    )


def aoi_from_row(row: dict[str, Any], path: str = AOIS_FILE) -> AOI:
    """An aois.csv row (typed by :func:`read_csv`) as the protocol's AOI object, checked."""
    shape, coords = row["shape"], tuple(row["coords_px"])
    n = len(coords)
    ok = (shape in ("rect", "ellipse") and n == 4) or (shape == "polygon" and n >= 6 and n % 2 == 0)
    if not ok:
        raise InputError(
            f"{path}: AOI {row['aoi_id']!r} of participant {row['participant']!r} on screen "
            f"{row['screen_id']!r} has shape {shape!r} with {n} coords; rect and ellipse take 4, "
            "polygon an even number >= 6. " + _HOW_TO_FIX
        )
    return AOI(
        id=row["aoi_id"],
        name=row["aoi_name"],
        role=row["aoi_role"],
        shape=shape,
        coords=coords,
        fixed=bool(row["fixed"]),
    )


def screen_geometry(
    evidence: dict[str, Any], sessions: list[Any], protocol: Protocol
) -> tuple[ScreenGeometry, bool]:
    """The recording screen named by evidence.json or sessions.json, else a documented default.

    Looks for a ``screen`` object ``{width_px, height_px, width_mm, height_mm, distance_mm}``
    in evidence.json, then in each sessions.json entry. The default is the protocol's screen
    size in px on a 531 mm wide panel with square pixels at 650 mm.

    Returns
    -------
    (geometry, assumed) : assumed is True when the default was used.
    """
    candidates: list[Any] = [evidence.get("screen")]
    candidates += [s.get("screen") for s in sessions if isinstance(s, dict)]
    for c in candidates:
        if isinstance(c, dict):
            try:
                geo = ScreenGeometry(
                    int(c["width_px"]),
                    int(c["height_px"]),
                    float(c["width_mm"]),
                    float(c["height_mm"]),
                    float(c["distance_mm"]),
                )
            except (KeyError, TypeError, ValueError):
                continue
            return geo, False
    w = protocol.screen_width_px or 1920
    h = protocol.screen_height_px or 1080
    wmm, dmm = DEFAULT_SCREEN_MM
    return ScreenGeometry(w, h, wmm, wmm * h / w, dmm), True
