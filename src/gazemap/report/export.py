"""Write the analysis outputs of docs/outputs.md: CSV tables and JSON documents.

Conventions of every file written here: numbers as Python's shortest round-trip repr;
undefined values as an empty CSV cell / JSON ``null`` (never NaN); booleans as ``true`` /
``false``; lists in CSV cells joined with ``;``. Row order is deterministic (sessions in
file order, touchpoints in visit order, AOIs in protocol order).
"""

from __future__ import annotations

import copy
import csv
import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from gazemap.batch import StudyResult

METRICS_COLUMNS = (
    "participant", "session_id", "stage_id", "touchpoint_id", "screen_id", "aoi_id", "aoi_name",
    "aoi_role", "ttff_s", "first_fixation_duration_s", "fixations_before_first", "dwell_s",
    "fixation_count", "visit_count", "revisits", "fixated", "detector",
)  # fmt: skip
TOUCHPOINT_COLUMNS = (
    "participant", "session_id", "stage_id", "touchpoint_id", "start_s", "end_s",
    "time_on_touchpoint_s", "fixation_count", "mean_fixation_duration_ms", "scanpath_length_deg",
    "data_loss", "precision_rms_deg", "accuracy_deg", "quality_ok", "clicks", "detector",
    "visits", "success", "time_to_success_s",
)  # fmt: skip
FIXATION_COLUMNS = (
    "participant", "session_id", "touchpoint_id", "screen_id", "index", "start_s", "t_rel_s",
    "duration_s", "x_px", "y_px", "page_x_px", "page_y_px", "aoi_ids", "mapped",
    "view_x_px", "view_y_px",
)  # fmt: skip
EVIDENCE_COLUMNS = (
    "id", "touchpoint_id", "screen_id", "screen_name", "screens", "aoi_id", "aoi_name",
    "rule_id", "rule_name", "metric", "value", "unit", "threshold", "comparison",
    "n_participants", "n_total", "participants", "examples", "severity", "severity_reason",
    "source", "reliable", "heatmap", "counted_from",
)  # fmt: skip
AOI_COLUMNS = (
    "participant", "session_id", "touchpoint_id", "screen_id", "aoi_id", "aoi_name", "aoi_role",
    "shape", "coords_px", "x_min_px", "y_min_px", "x_max_px", "y_max_px", "fixed", "source",
)  # fmt: skip

OUTPUT_FILES = (
    "metrics.csv", "touchpoints.csv", "fixations.csv", "evidence.json", "evidence.csv",
    "journey.json", "sessions.json", "aois.csv",
)  # fmt: skip


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return "" if not math.isfinite(v) else repr(v)
    if isinstance(v, list | tuple):
        if v and isinstance(v[0], Mapping):  # evidence examples
            return ";".join(f"{e['participant']}@{e['t_rel_s']!r}" for e in v)
        return ";".join(str(x) for x in v)
    return str(v)


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> None:
    """Write ``rows`` (dicts) with exactly ``columns``, cells formatted as the module says."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(columns)
        for r in rows:
            w.writerow([_cell(_NUMERIC_BOOL.get(c, _same)(r.get(c))) for c in columns])


def _same(v: Any) -> Any:
    return v


#: boolean columns written as 1/0 (readers parse every non-text column as a number)
_NUMERIC_BOOL = {"mapped": lambda v: None if v is None else int(bool(v))}


def _clean(obj: Any) -> Any:
    """Replace non-finite floats with None so the JSON is standard."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, Mapping):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    return obj


def write_json(path: Path, doc: Any) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(_clean(doc), fh, indent=2, allow_nan=False, ensure_ascii=False)
        fh.write("\n")


def relative_path(path: str | os.PathLike[str], out_dir: str | os.PathLike[str]) -> str:
    """``path`` relative to the output folder, with ``/`` separators (docs/outputs.md, "Paths").

    Both are made absolute from the current folder first. Where no relative path exists
    (another drive on Windows) the absolute path is returned.
    """
    try:
        rel = os.path.relpath(os.path.abspath(path), os.path.abspath(out_dir))
    except ValueError:
        return Path(os.path.abspath(path)).as_posix()
    return Path(rel).as_posix()


def _relative_evidence(doc: Mapping[str, Any], out: Path) -> dict[str, Any]:
    """evidence.json with its study, protocol and screenshot paths relative to ``out``."""
    new: dict[str, Any] = copy.deepcopy(dict(doc))
    if new.get("study") is not None:
        new["study"] = relative_path(new["study"], out)
    proto = new.get("protocol")
    if isinstance(proto, dict) and proto.get("path"):
        proto["path"] = relative_path(proto["path"], out)
    for shot in (new.get("screenshots") or {}).values():
        for rec in (shot, *(shot.get("participants") or {}).values()):
            if rec.get("file"):
                rec["file"] = relative_path(rec["file"], out)
    return new


def _relative_session(entry: dict[str, Any], out: Path, study: str | None) -> dict[str, Any]:
    """A sessions.json entry with its file, and that file or the study folder named in its
    texts (errors from h5py name the absolute path), relative to ``out``."""
    file = entry["file"]
    rel = relative_path(file, out)
    subs = [(os.path.abspath(file), rel), (str(file), rel)]
    if study:
        subs.append((os.path.abspath(study), relative_path(study, out)))
    subs = [(old, new) for old, new in subs if old and old != new]

    def fix(text: Any) -> Any:
        if not isinstance(text, str):
            return text
        for old, new in subs:
            text = text.replace(old, new)
        return text

    entry = dict(entry, file=rel, error=fix(entry.get("error")))
    for key in ("notes", "marker_problems"):
        entry[key] = [fix(t) for t in entry.get(key) or []]
    return entry


def write_outputs(out_dir: str | os.PathLike[str], result: StudyResult) -> dict[str, Path]:
    """Write every file of docs/outputs.md (except the report's images) into ``out_dir``.

    Every path written (evidence.json's study, protocol and screenshots, sessions.json's
    files) is relative to ``out_dir``, so the folder holds no absolute path of this machine.

    Returns
    -------
    {file name: path} of the files written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {name: out / name for name in OUTPUT_FILES}
    write_csv(paths["metrics.csv"], METRICS_COLUMNS, result.metrics)
    write_csv(paths["touchpoints.csv"], TOUCHPOINT_COLUMNS, result.touchpoints)
    write_csv(paths["fixations.csv"], FIXATION_COLUMNS, result.fixations)
    write_json(paths["evidence.json"], _relative_evidence(result.evidence_doc, out))
    write_csv(paths["evidence.csv"], EVIDENCE_COLUMNS, result.evidence)
    write_json(paths["journey.json"], result.journey)
    sessions = [
        _relative_session(r.summary(), out, result.evidence_doc.get("study"))
        for r in result.sessions
    ]
    write_json(paths["sessions.json"], sessions)
    write_csv(paths["aois.csv"], AOI_COLUMNS, result.aois)
    return paths
