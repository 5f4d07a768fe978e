"""Regenerate labrecorder_gaze_markers_eeg.xdf (run from the repository root):
python tests/reference/importers/make_xdf_fixture.py

Four streams as LabRecorder would store them: a canonical gazemap Gaze stream (100 Hz, with
a /screen description and clock offsets of +0.25 s), a Markers string stream, an EEG stream
(double, offsets -0.5 s) and an App-TobiiPro-layout Eyetracker stream.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from fakes.xdfwrite import write_xdf  # noqa: E402

from gazemap.types import GAZE_CHANNELS  # noqa: E402


def main() -> None:
    n = 300
    t = 1000.0 + np.arange(n) / 100.0
    x = 200.0 + (5 * np.arange(n)) % 1000
    rows = np.column_stack(
        [
            x,
            np.full(n, 500.0),
            x - 3,
            np.full(n, 500.0),
            x + 3,
            np.full(n, 500.0),
            np.full(n, 3.3),
            np.full(n, 3.4),
            np.zeros(n),
        ]
    )
    rows[50:60, :8] = np.nan
    rows[50:60, 8] = 3
    screen = (
        "<screen><width_px>1280</width_px><height_px>1024</height_px><width_mm>376</width_mm>"
        "<height_mm>301</height_mm><distance_mm>600</distance_mm></screen>"
    )
    k = np.arange(150)
    write_xdf(
        HERE / "labrecorder_gaze_markers_eeg.xdf",
        [
            {
                "id": 1,
                "name": "gazemap-sim gaze",
                "type": "Gaze",
                "labels": [c[0] for c in GAZE_CHANNELS],
                "units": [c[1] for c in GAZE_CHANNELS],
                "srate": 100,
                "fmt": "float32",
                "source_id": "sim-gaze",
                "times": t,
                "values": rows,
                "extra_desc": screen,
                "offsets": [(1000.0, 0.25), (1001.5, 0.25), (1003.0, 0.25)],
            },
            {
                "id": 2,
                "name": "presenter",
                "type": "Markers",
                "labels": ["marker"],
                "units": ["text"],
                "srate": 0,
                "fmt": "string",
                "source_id": "presenter-1",
                "times": [1000.5, 1001.0, 1002.5],
                "values": ["touchpoint/landing/start", "screen/landing", "touchpoint/landing/end"],
                "offsets": [(1000.0, 0.0), (1003.0, 0.0)],
            },
            {
                "id": 3,
                "name": "EEG amp",
                "type": "EEG",
                "labels": ["Fz", "Cz"],
                "units": ["microvolts", "microvolts"],
                "srate": 50,
                "fmt": "double64",
                "source_id": "amp-7",
                "times": 1000.0 + k / 50.0,
                "values": np.column_stack([np.sin(k), np.cos(k)]),
                "offsets": [(1000.0, -0.5), (1003.0, -0.5)],
            },
            {
                "id": 4,
                "name": "Tobii",
                "type": "Eyetracker",
                "labels": ["left_x", "left_y", "left_pupil", "right_x", "right_y", "right_pupil"],
                "units": [
                    "screencoords",
                    "screencoords",
                    "mm",
                    "screencoords",
                    "screencoords",
                    "mm",
                ],
                "srate": 60,
                "fmt": "float32",
                "source_id": "Tobiiat_x",
                "times": 1000.0 + np.arange(120) / 60.0,
                "values": np.tile([0.25, 0.5, 3.0, 0.27, 0.5, 3.1], (120, 1)),
                "offsets": [(1000.0, 0.0)],
            },
        ],
    )


if __name__ == "__main__":
    main()
