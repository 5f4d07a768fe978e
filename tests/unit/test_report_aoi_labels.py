"""AOI labels on the report's heatmaps: legible at the size the report shows them, not
covered by the heat (QA: 13 px labels on a 1440 px page, shown 842 px wide in a 1920 px window,
were 7 px high, and heat at 75 % opacity was drawn over them)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from gazemap.protocol import load_protocol
from gazemap.render import ROLE_COLOURS
from gazemap.report.images import image_paths, render_touchpoint

REPO = Path(__file__).resolve().parents[2]


def test_labels_are_drawn_over_the_heat_and_big_enough(tmp_path: Path) -> None:
    protocol = load_protocol(REPO / "protocols" / "online-store.yaml")
    tp = protocol.touchpoint("search")
    screen = tp.screens[0]
    aoi = next(a for a in screen.aois if a.id == "result-1")
    x0, y0, _, _ = aoi.bbox
    # every fixation on the top-left corner of the AOI, where its label is: the heat's peak
    fixations = [
        {
            "participant": f"P{i}", "session_id": f"s{i}", "touchpoint_id": tp.id,
            "screen_id": screen.id, "start_s": float(i), "duration_s": 0.5,
            "page_x_px": x0 + 40.0, "page_y_px": y0 + 10.0, "aoi_ids": aoi.id, "mapped": True,
        }
        for i in range(5)
    ]  # fmt: skip
    render_touchpoint(
        tmp_path, protocol, tp, fixations, [f"P{i}" for i in range(5)], px_per_deg=38.0,
        gaze_plots=False,
    )  # fmt: skip
    img = cv2.cvtColor(
        cv2.imread(str(tmp_path / image_paths(tp.id, screen.id)[0])), cv2.COLOR_BGR2RGB
    )
    # the page starts below the legend's strip (the picture is the page plus the strip)
    strip_h = img.shape[0] - screen.page_height_px
    img = img[strip_h:]
    role = np.array(ROLE_COLOURS[aoi.role])
    # the label box starts at the AOI's top-left corner; its top padding is the role colour,
    # not heat blended over it
    x, y = int(x0), int(y0)
    top_pad = img[y + 1 : y + 3, x + 2 : x + 100].reshape(-1, 3).astype(int)
    assert (np.abs(top_pad - role).sum(axis=1) <= 6).mean() > 0.95
    # the text: white pixels in the box span >= 18 rows (22 px text on a 1440 px page, about
    # 13 px when the report shows it 842 px wide)
    box = img[y : y + 40, x + 6 : x + 100].astype(int)
    white = (box.min(axis=2) > 200).mean(axis=1)  # share of white pixels per row
    text_rows = np.flatnonzero((white > 0) & (white < 0.9))  # not the white halo's rows
    assert text_rows.max() - text_rows.min() + 1 >= 18
