"""Regenerate pupil_export/ (a Pupil Player 3.5 export folder, exports/000 layout):
python tests/reference/importers/make_pupil_fixture.py

200 Hz gaze for 1 s on surface "Screen": fixation at (0.25, 0.75) then at (0.7, 0.3) (surface
coordinates, origin bottom-left), every 20th datum with confidence 0.4, the last 10 off the
surface; 3d pupil diameters of both eyes at 120 Hz; two surface fixations; two annotations.
"""

from __future__ import annotations

import csv
from pathlib import Path

HERE = Path(__file__).resolve().parent / "pupil_export"


def main() -> None:
    (HERE / "surfaces").mkdir(parents=True, exist_ok=True)
    t0 = 5123.456
    with open(HERE / "export_info.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["key", "value"])
        w.writerow(["Player Software Version", "3.5.1"])
        w.writerow(["Data Format Version", "2.3"])
        w.writerow(["Export Date", "24.11.2026"])
        w.writerow(["Export Time", "14:30:10"])
        w.writerow(["Frame Index Range:", "0 - 29"])
        w.writerow(["Relative Time Range", "00:00.000 - 00:01.000"])
        w.writerow(["Absolute Time Range", f"{t0:.6f} - {t0 + 1:.6f}"])
    gaze_rows = []
    for i in range(200):
        ts = t0 + i * 0.005
        x, y = (0.25, 0.75) if i < 100 else (0.7, 0.3)
        on = i < 190
        if not on:
            x, y = 1.2, 0.3
        conf = 0.4 if i % 20 == 19 else 0.97
        world = int(i * 30 / 200)
        gaze_rows.append(
            [
                f"{t0 + world / 30:.6f}",
                world,
                f"{ts:.6f}",
                f"{x:.5f}",
                f"{y:.5f}",
                f"{x * 1920:.3f}",
                f"{y * 1080:.3f}",
                str(on),
                f"{conf:.3f}",
            ]
        )
    # Player lists a gaze datum again when it falls on a frame boundary: repeat one row
    gaze_rows.insert(50, gaze_rows[49])
    with open(HERE / "surfaces" / "gaze_positions_on_surface_Screen.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            [
                "world_timestamp",
                "world_index",
                "gaze_timestamp",
                "x_norm",
                "y_norm",
                "x_scaled",
                "y_scaled",
                "on_surf",
                "confidence",
            ]
        )
        w.writerows(gaze_rows)
    with open(HERE / "surfaces" / "fixations_on_surface_Screen.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            [
                "world_timestamp",
                "world_index",
                "fixation_id",
                "start_timestamp",
                "duration",
                "dispersion",
                "norm_pos_x",
                "norm_pos_y",
                "x_scaled",
                "y_scaled",
                "on_surf",
            ]
        )
        for world in range(0, 14):
            w.writerow(
                [
                    f"{t0 + world / 30:.6f}",
                    world,
                    1,
                    f"{t0:.6f}",
                    "495.000",
                    "0.82",
                    "0.25000",
                    "0.75000",
                    "480.0",
                    "810.0",
                    "True",
                ]
            )
        for world in range(15, 28):
            w.writerow(
                [
                    f"{t0 + world / 30:.6f}",
                    world,
                    2,
                    f"{t0 + 0.5:.6f}",
                    "420.000",
                    "0.64",
                    "0.70000",
                    "0.30000",
                    "1344.0",
                    "324.0",
                    "True",
                ]
            )
    with open(HERE / "pupil_positions.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            [
                "pupil_timestamp",
                "world_index",
                "eye_id",
                "confidence",
                "norm_pos_x",
                "norm_pos_y",
                "diameter",
                "method",
                "ellipse_center_x",
                "ellipse_center_y",
                "ellipse_axis_a",
                "ellipse_axis_b",
                "ellipse_angle",
                "diameter_3d",
                "model_confidence",
            ]
        )
        for i in range(240):
            ts = t0 + i / 240
            eye = i % 2
            w.writerow(
                [
                    f"{ts:.6f}",
                    int(ts - t0) * 30,
                    eye,
                    "0.98",
                    "0.5",
                    "0.5",
                    "31.2",
                    "2d c++",
                    "96",
                    "96",
                    "30",
                    "32",
                    "10",
                    "",
                    "",
                ]
            )
            w.writerow(
                [
                    f"{ts:.6f}",
                    int(ts - t0) * 30,
                    eye,
                    "0.98",
                    "0.5",
                    "0.5",
                    "31.2",
                    "pye3d 0.3.0 real-time",
                    "96",
                    "96",
                    "30",
                    "32",
                    "10",
                    "3.200" if eye == 1 else "3.000",
                    "0.9",
                ]
            )
    with open(HERE / "annotations.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["index", "timestamp", "label", "duration"])
        w.writerow([3, f"{t0 + 0.1:.6f}", "touchpoint/landing/start", "0.0"])
        w.writerow([27, f"{t0 + 0.9:.6f}", "touchpoint/landing/end", "0.0"])


if __name__ == "__main__":
    main()
