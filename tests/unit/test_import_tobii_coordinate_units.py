"""Pro Lab / Studio exports head the same coordinate in several units (DACS px, DACS mm,
MCS norm, MCS px): gaze must come from the screen-px column, whatever the column order."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gazemap.errors import ImportFormatError
from gazemap.importers.tobii_tsv import read_tsv

# Pro Lab (1.2xx) header order: px columns first, then mm, then normalised ones
PROLAB = [
    "Recording timestamp [μs]",
    "Sensor",
    "Recording resolution height",
    "Recording resolution width",
    "Event",
    "Event value",
    "Gaze point X [DACS px]",
    "Gaze point Y [DACS px]",
    "Gaze point left X [DACS px]",
    "Gaze point left Y [DACS px]",
    "Validity left",
    "Gaze point left X [DACS mm]",
    "Gaze point left Y [DACS mm]",
    "Gaze point X [MCS norm]",
    "Gaze point Y [MCS norm]",
    "Gaze point left X [MCS norm]",
    "Gaze point left Y [MCS norm]",
    "Eye movement type",
    "Eye movement event duration [ms]",
    "Eye movement type index",
    "Fixation point X [DACS px]",
    "Fixation point Y [DACS px]",
    "Fixation point X [MCS norm]",
    "Fixation point Y [MCS norm]",
]


def _prolab_rows(header: list[str]) -> str:
    lines = ["\t".join(header)]
    for k in range(10):
        x, y = (400.0, 300.0) if k < 5 else (1500.0, 900.0)
        vals = {
            "Recording timestamp": str(k * 8333),
            "Sensor": "Eye Tracker",
            "Recording resolution height": "1080",
            "Recording resolution width": "1920",
            "Gaze point X": f"{x:.0f}",
            "Gaze point Y": f"{y:.0f}",
            "Gaze point left X": f"{x:.0f}",
            "Gaze point left Y": f"{y:.0f}",
            "Validity left": "Valid",
            "Eye movement type": "Fixation",
            "Eye movement event duration": "33",
            "Eye movement type index": "1" if k < 5 else "2",
            "Fixation point X": f"{x:.0f}",
            "Fixation point Y": f"{y:.0f}",
        }
        row = []
        for h in header:
            base = h.split(" [")[0].split(" (")[0]
            unit = h[len(base) :].lower()
            if "norm" in unit:
                v = {"X": x / 1920, "Y": y / 1080}[base[-1]]
                row.append(f"{v:.4f}".replace(".", ","))
            elif "mm" in unit:
                v = {"X": (x - 960) * 0.275, "Y": (540 - y) * 0.275}[base[-1]]
                row.append(f"{v:.1f}".replace(".", ","))
            else:
                row.append(vals.get(base, ""))
        lines.append("\t".join(row))
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    "header",
    [
        PROLAB,
        # Pro Lab 1.1xx: px columns without a unit, mm/normalised in parentheses
        [
            h.replace(" [DACS px]", "")
            .replace(" [DACS mm]", " (DACSmm)")
            .replace(" [MCS norm]", " (MCSnorm)")
            for h in PROLAB
        ],
        # normalised columns before the px ones (a custom export order)
        PROLAB[:6] + PROLAB[13:17] + PROLAB[6:13] + PROLAB[17:],
    ],
    ids=["prolab-brackets", "prolab-parentheses", "norm-first"],
)
def test_gaze_and_fixations_come_from_screen_px_columns(tmp_path: Path, header: list[str]) -> None:
    f = tmp_path / "export.tsv"
    f.write_text(_prolab_rows(header), encoding="utf-8")
    (rec,) = read_tsv(f)
    np.testing.assert_allclose(rec.gaze["x_px"], [400.0] * 5 + [1500.0] * 5)
    np.testing.assert_allclose(rec.gaze["y_px"], [300.0] * 5 + [900.0] * 5)
    np.testing.assert_allclose(rec.gaze["left_x_px"], [400.0] * 5 + [1500.0] * 5)
    assert rec.fixations is not None
    np.testing.assert_allclose(rec.fixations.x_px, [400.0, 1500.0])
    np.testing.assert_allclose(rec.fixations.y_px, [300.0, 900.0])
    # 'Eye movement event duration' (a Pro Lab name of the duration column) is read
    np.testing.assert_allclose(rec.fixations.end_s - rec.fixations.start_s, [0.033, 0.033])


def test_studio_prefers_adcs_px_over_media_px(tmp_path: Path) -> None:
    header = [
        "RecordingTimestamp",
        "GazePointX (ADCSpx)",
        "GazePointY (ADCSpx)",
        "GazePointX (MCSpx)",
        "GazePointY (MCSpx)",
    ]
    rows = [f"{k * 17}\t500\t400\t100\t80" for k in range(6)]
    f = tmp_path / "studio.tsv"
    f.write_text("\n".join(["\t".join(header), *rows]) + "\n", encoding="utf-8")
    (rec,) = read_tsv(f)
    np.testing.assert_allclose(rec.gaze["x_px"], 500.0)
    np.testing.assert_allclose(rec.gaze["y_px"], 400.0)


def test_only_normalised_gaze_is_an_error_naming_the_column(tmp_path: Path) -> None:
    header = ["Recording timestamp [μs]", "Gaze point X [MCS norm]", "Gaze point Y [MCS norm]"]
    rows = [f"{k * 8333}\t0,5\t0,5" for k in range(6)]
    f = tmp_path / "norm.tsv"
    f.write_text("\n".join(["\t".join(header), *rows]) + "\n", encoding="utf-8")
    with pytest.raises(ImportFormatError, match=r"only 'Gaze point X \[MCS norm\]'.*DACS px"):
        read_tsv(f)


def test_export_without_eye_movement_columns_warns(tmp_path: Path) -> None:
    # gazemap analyze --detector tobii_tsv skipped such a session with only "it was not
    # imported with its tracker's events": the import now says which columns to export
    header = PROLAB[:11]
    f = tmp_path / "noev.tsv"
    f.write_text(_prolab_rows(header), encoding="utf-8")
    (rec,) = read_tsv(f)
    assert rec.fixations is None
    assert len(rec.warnings) == 1
    assert "no 'Eye movement type' column" in rec.warnings[0]
    assert "--detector tobii_tsv" in rec.warnings[0]
    (with_events,) = read_tsv(_write(tmp_path, PROLAB))
    assert with_events.warnings == []


def _write(tmp_path: Path, header: list[str]) -> Path:
    f = tmp_path / "full.tsv"
    f.write_text(_prolab_rows(header), encoding="utf-8")
    return f
