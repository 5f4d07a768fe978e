"""Draw wireframe screenshots for a protocol's screens (flat colours, page size, PNG).

Used by ``<protocol>/make_screenshots.py``. Every AOI of the protocol is drawn as a page
element (style by role and id), on top of extra decoration the calling script gives per
screen, so the AOI regions are visible page elements in the screenshot. Needs OpenCV
(``opencv-python-headless``, a gazemap dependency) and PyYAML.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import yaml

FONT = cv2.FONT_HERSHEY_SIMPLEX

# BGR colours
BG = (245, 246, 247)
WHITE = (255, 255, 255)
INK = (40, 40, 40)
GREY = (200, 200, 200)
LIGHT = (232, 232, 232)
NAVY = (80, 45, 25)
BLUE = (200, 110, 30)
ORANGE = (0, 140, 240)
MAGENTA = (140, 40, 210)
YELLOW = (60, 220, 250)
GREEN = (80, 160, 60)
PHOTO = (225, 210, 190)


def text(
    img: np.ndarray, s: str, x: float, y: float, scale: float = 0.7, color=INK, thick: int = 1
) -> None:
    """Write ``s`` with its baseline-left at (x, y)."""
    cv2.putText(img, s, (int(x), int(y)), FONT, scale, color, thick, cv2.LINE_AA)


def text_in(
    img: np.ndarray,
    s: str,
    box: tuple[float, float, float, float],
    color=INK,
    max_scale: float = 1.0,
    thick: int = 2,
) -> None:
    """Centre ``s`` in box (x, y, w, h), shrinking it to fit."""
    x, y, w, h = box
    scale = max_scale
    while scale > 0.3:
        (tw, th), _ = cv2.getTextSize(s, FONT, scale, thick)
        if tw <= w - 12 and th <= h - 8:
            break
        scale -= 0.05
    (tw, th), _ = cv2.getTextSize(s, FONT, scale, thick)
    text(img, s, x + (w - tw) / 2, y + (h + th) / 2, scale, color, thick)


def rect(img: np.ndarray, box, fill=None, border=None, radius_px: int = 0) -> None:
    x, y, w, h = (int(v) for v in box)
    if fill is not None:
        cv2.rectangle(img, (x, y), (x + w, y + h), fill, -1)
    if border is not None:
        cv2.rectangle(img, (x, y), (x + w, y + h), border, 2)


def text_lines(img: np.ndarray, box, n: int | None = None, gap_px: int = 22) -> None:
    """Grey bars standing in for paragraphs."""
    x, y, w, h = box
    rows = n if n is not None else max(1, int((h - 10) // gap_px))
    for i in range(rows):
        ww = w * (0.92 if i % 4 != 3 else 0.6)
        cv2.rectangle(
            img, (int(x), int(y + i * gap_px)), (int(x + ww), int(y + i * gap_px + 9)), GREY, -1
        )


def photo(img: np.ndarray, box) -> None:
    """An image placeholder: tinted box with a mountain and a sun."""
    x, y, w, h = (int(v) for v in box)
    cv2.rectangle(img, (x, y), (x + w, y + h), PHOTO, -1)
    pts = np.array(
        [
            [x + w * 0.1, y + h * 0.85],
            [x + w * 0.4, y + h * 0.4],
            [x + w * 0.6, y + h * 0.7],
            [x + w * 0.75, y + h * 0.5],
            [x + w * 0.9, y + h * 0.85],
        ],
        dtype=np.int32,
    )
    cv2.fillPoly(img, [pts], (170, 150, 120))
    cv2.circle(
        img,
        (int(x + w * 0.78), int(y + h * 0.25)),
        max(4, int(min(w, h) * 0.08)),
        (120, 200, 240),
        -1,
    )


def card(img: np.ndarray, box, title: str, price: str, highlight: bool = False) -> None:
    """A product card: photo, title, price, stars."""
    x, y, w, h = box
    rect(img, box, WHITE, BLUE if highlight else GREY)
    photo(img, (x + 12, y + 12, w - 24, h * 0.6))
    text(img, title, x + 14, y + h * 0.6 + 46, 0.75, INK, 2)
    text(img, price, x + 14, y + h * 0.6 + 84, 0.8, (30, 30, 180), 2)
    for i in range(5):
        cv2.circle(
            img, (int(x + 22 + i * 22), int(y + h - 26)), 8, (0, 180, 250) if i < 4 else GREY, -1
        )


def link_bar(labels: list[str], fill=LIGHT, color=BLUE):
    """A style: a bar of evenly spaced links with these labels."""

    def draw(img: np.ndarray, coords, aoi) -> None:
        x, y, w, h = coords
        rect(img, coords, fill, GREY)
        n = len(labels)
        for i, s in enumerate(labels):
            text(img, s, x + 20 + i * (w - 20) / n, y + min(h, 60) / 2 + 8, 0.6, color, 1)

    return draw


def form_fields(labels):
    def draw(img: np.ndarray, coords, aoi) -> None:
        x, y, w, h = coords
        color = BLUE if aoi["role"] == "target" else GREY
        rect(img, coords, WHITE, color)
        text(img, aoi["name"], x + 16, y + 36, 0.85, INK, 2)
        step = (h - 60) / max(1, len(labels))
        for i, s in enumerate(labels):
            yy = y + 60 + i * step
            text(img, s, x + 16, yy + 18, 0.55, INK, 1)
            rect(img, (x + 16, yy + 26, w - 32, min(36, step - 34)), WHITE, GREY)

    return draw


def _aoi_geometry(a: dict[str, Any]) -> tuple[str, list[float]]:
    shape = a["shape"]
    if "coords" in a:
        raw = a["coords"]
    elif shape == "polygon":
        raw = a["points"]
    elif shape == "rect":
        raw = [a["x"], a["y"], a["width"], a["height"]]
    else:
        raw = [a["cx"], a["cy"], a["rx"], a["ry"]]
    flat: list[float] = []
    for v in raw:
        flat.extend(v if isinstance(v, list) else [v])
    return shape, [float(v) for v in flat]


def draw_aoi(img: np.ndarray, a: dict[str, Any], styles: dict[str, Any]) -> None:
    """Draw one AOI as a page element; ``styles`` maps AOI ids to callables(img, box, aoi)."""
    shape, c = _aoi_geometry(a)
    role, name, aid = a["role"], a.get("name", a["id"]), a["id"]
    if aid in styles:
        styles[aid](img, c, a)
        return
    if shape == "ellipse":
        cx, cy, rx, ry = c
        fill = {"distractor": YELLOW, "cta": ORANGE}.get(role, (210, 235, 210))
        cv2.ellipse(img, (int(cx), int(cy)), (int(rx), int(ry)), 0, 0, 360, fill, -1, cv2.LINE_AA)
        cv2.ellipse(img, (int(cx), int(cy)), (int(rx), int(ry)), 0, 0, 360, INK, 2, cv2.LINE_AA)
        text_in(img, name.split()[0], (cx - rx, cy - ry, 2 * rx, 2 * ry), INK, 0.9)
        return
    if shape == "polygon":
        pts = np.asarray(c, dtype=np.float64).reshape(-1, 2).astype(np.int32)
        fill = {"distractor": MAGENTA, "content": (0, 180, 250)}.get(role, LIGHT)
        cv2.fillPoly(img, [pts], fill, cv2.LINE_AA)
        x0, y0 = pts.min(axis=0)
        x1, y1 = pts.max(axis=0)
        if x1 - x0 > 80:
            text_in(img, name, (x0 + 30, y0, x1 - x0 - 30, y1 - y0), WHITE, 0.8)
        return
    x, y, w, h = c
    if aid.startswith("result-") or aid.startswith("card-"):
        title = name.removesuffix(" card").replace("Result", "Shoe")
        card(img, c, title, "$ 89.00")
        return
    if role == "cta":
        rect(img, c, ORANGE)
        text_in(img, name, c, WHITE, 1.0)
    elif role == "distractor":
        rect(img, c, MAGENTA)
        text_in(img, name.upper(), (x + 20, y + 10, w - 40, min(h - 20, 90)), WHITE, 1.6, 3)
    elif role == "navigation":
        rect(img, c, LIGHT, GREY)
        if w > 3 * h:  # a bar of links
            n = max(2, int(w // 200))
            for i in range(n):
                text(
                    img,
                    f"{name.split()[0]} {i + 1}",
                    x + 20 + i * (w - 20) / n,
                    y + min(h, 60) / 2 + 8,
                    0.6,
                    BLUE,
                    1,
                )
        else:
            text(img, name, x + 14, y + 34, 0.75, INK, 2)
            text_lines(img, (x + 14, y + 60, w - 28, h - 70), gap_px=36)
    elif role == "target":
        rect(img, c, WHITE, BLUE)
        text(img, name, x + 16, y + 36, 0.8, BLUE, 2)
        if h > 80:
            text_lines(img, (x + 16, y + 60, w - 32, h - 70), gap_px=40)
    else:  # content
        rect(img, c, WHITE, GREY)
        text(img, name, x + 16, y + 34, 0.75, INK, 2)
        if h > 70:
            text_lines(img, (x + 16, y + 56, w - 32, h - 66))


def draw_protocol(
    yaml_path: Path,
    extras: dict[str, Iterable[Any]] | None = None,
    styles: dict[str, Any] | None = None,
    out_dir: Path | None = None,
) -> list[Path]:
    """Draw every screen of ``yaml_path`` to its ``screenshot`` path; returns the files.

    ``out_dir``: write ``<screen id>.png`` there instead (for protocols whose screenshots are
    real renders and whose wireframes are kept beside them).

    ``extras[screen_id]``: callables ``f(img)`` drawn before the AOIs (decoration that is not
    an AOI). ``styles[aoi_id]``: callables ``f(img, coords, aoi)`` replacing the default look.
    """
    doc = yaml.safe_load(yaml_path.read_text(encoding="utf-8"))
    extras = extras or {}
    styles = styles or {}
    out: list[Path] = []
    for stage in doc["stages"]:
        for tp in stage["touchpoints"]:
            for sc in tp["screens"]:
                if not sc.get("screenshot"):
                    continue
                w, h = sc["page"]["width_px"], sc["page"]["height_px"]
                img = np.full((h, w, 3), BG, dtype=np.uint8)
                for f in extras.get(sc["id"], ()):
                    f(img)
                for a in sc.get("aois", []):
                    draw_aoi(img, a, styles)
                if out_dir is not None:
                    path = out_dir / f"{sc['id']}.png"
                else:
                    path = yaml_path.parent / sc["screenshot"]
                path.parent.mkdir(parents=True, exist_ok=True)
                cv2.imwrite(str(path), img, [cv2.IMWRITE_PNG_COMPRESSION, 9])
                out.append(path)
    return out
