"""``gazemap import lund``: the Lund 2013 hand-labelled layout (reader in lund_csv) → sessions.

PATH is a Lund-layout folder (``recordings.json`` + one CSV per recording: one session each,
or ``--recording N``) or one recording's CSV (its screen is taken from ``recordings.json``
beside it when that lists the file). Each coder's per-sample labels (``label_mn``,
``label_ra``) are kept as ``/derived/lund_mn`` and ``/derived/lund_ra``, with fixations and
saccades made from runs of equal labels, so benchmarks can compare detectors with coders.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gazemap.errors import ImportFormatError
from gazemap.importers._common import ImportedRecording, import_errors
from gazemap.importers.lund_csv import (
    read_lund_csv,
    read_lund_folder,
    read_recordings_json,
    screen_of,
)
from gazemap.types import GazeSamples, Label, Markers, ScreenGeometry, Validity

FORMAT = "lund"


def _recording(
    name: str,
    gaze: GazeSamples,
    labels: dict[str, np.ndarray],
    screen: ScreenGeometry | None,
    rate_hz: float,
    stimulus: str,
) -> ImportedRecording:
    x = np.asarray(gaze.x_px, dtype=np.float64)
    y = np.asarray(gaze.y_px, dtype=np.float64)
    lost = ~(np.isfinite(x) & np.isfinite(y))
    sets = {}
    for col, arr in labels.items():
        lab = np.asarray(arr, dtype=np.int8).copy()
        lab[lab == 0] = int(Label.UNDEFINED)
        sets[col.removeprefix("label_")] = lab
    return ImportedRecording(
        time_s=np.asarray(gaze.time_s, dtype=np.float64),
        gaze={
            "x_px": np.where(lost, np.nan, x),
            "y_px": np.where(lost, np.nan, y),
            "validity": np.where(lost, float(Validity.LEFT_INVALID | Validity.RIGHT_INVALID), 0.0),
        },
        markers=Markers(np.empty(0), np.empty(0, dtype=object)),
        screen_px=(screen.width_px, screen.height_px) if screen else None,
        screen_mm=(screen.width_mm, screen.height_mm, screen.distance_mm) if screen else None,
        nominal_srate=rate_hz,
        recording=name,
        label_sets=sets,
        source_attrs={
            "tool": "Lund 2013 hand-labelled data (Andersson et al. 2017)",
            "stimulus": stimulus,
        },
    )


def read_lund(path: str | Path, recording: int | None = None) -> list[ImportedRecording]:
    """Parse a Lund-layout folder or one of its CSVs (see module docstring)."""
    p = Path(path)
    with import_errors(p, "Lund CSV"):
        if p.is_dir():
            recs = read_lund_folder(p)
            if not recs:
                raise ImportFormatError(f"{p}: recordings.json lists no recording.")
            if recording is not None:
                if not 1 <= recording <= len(recs):
                    raise ImportFormatError(
                        f"{p}: --recording {recording} does not exist; the folder has {len(recs)}."
                    )
                recs = [recs[recording - 1]]
            return [
                _recording(r.name, r.gaze, r.labels, r.screen, r.sample_rate_hz, r.stimulus)
                for r in recs
            ]
        if recording not in (None, 1):
            raise ImportFormatError(
                f"{p}: a single CSV holds one recording; --recording {recording} does not exist."
            )
        gaze, labels, _ = read_lund_csv(p)
        screen: ScreenGeometry | None = None
        rate = 0.0
        stimulus = ""
        if (p.parent / "recordings.json").is_file():
            for e in read_recordings_json(p.parent):
                if str(e.get("file")) == p.name:
                    screen = screen_of(e, str(p.parent / "recordings.json"))
                    rate = float(e.get("sample_rate_hz", 0.0) or 0.0)  # type: ignore[arg-type]
                    stimulus = str(e.get("stimulus", ""))
        if not rate and len(gaze.time_s) > 1:
            d = np.diff(gaze.time_s)
            d = d[d > 0]
            rate = float(round(1.0 / np.median(d))) if len(d) else 0.0
        return [_recording(p.stem, gaze, labels, screen, rate, stimulus)]
