"""Draw the wireframe screenshots of protocols/bank-app.yaml as a phone captures them.

The protocol's coordinates are CSS px (points: 390 x 844 on the phone); a screenshot taken
on the phone has device px, 3 per point (1170 x 2532). The screens are drawn at the
protocol's size and scaled 3x, so the files look like the phone's own captures and the
report has to scale the coordinates onto them. Run from anywhere:
``python protocols/bank-app/make_screenshots.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import wireframe as wf  # noqa: E402

#: device px per CSS px of the phone (an iPhone 12-15: 3)
DEVICE_PIXEL_RATIO = 3
TEAL = (120, 110, 0)


def status_bar(img: np.ndarray) -> None:
    wf.text(img, "9:41", 24, 32, 0.6, wf.INK, 2)
    wf.rect(img, (330, 18, 36, 16), wf.INK)


def title(s: str, y: float = 80):
    def draw(img: np.ndarray) -> None:
        wf.text(img, s, 24, y, 0.9, wf.INK, 2)

    return draw


def field(label: str, value: str):
    def draw(img: np.ndarray, coords, aoi) -> None:
        x, y, w, h = coords
        wf.rect(img, coords, wf.WHITE, wf.BLUE if aoi["role"] == "target" else wf.GREY)
        wf.text(img, label, x + 12, y + 20, 0.45, (120, 120, 120), 1)
        wf.text(img, value, x + 12, y + h - 14, 0.7, wf.INK, 2)

    return draw


def button(label: str, fill=wf.ORANGE, ink=wf.WHITE):
    def draw(img: np.ndarray, coords, aoi) -> None:
        wf.rect(img, coords, fill, wf.GREY)
        wf.text_in(img, label, coords, ink, 0.7)

    return draw


def row(label: str, amount: str):
    def draw(img: np.ndarray, coords, aoi) -> None:
        x, y, w, h = coords
        wf.rect(img, coords, wf.WHITE, wf.BLUE if aoi["role"] == "target" else wf.GREY)
        wf.text(img, label, x + 14, y + h / 2 + 6, 0.6, wf.INK, 2)
        wf.text(img, amount, x + w - 90, y + h / 2 + 6, 0.55, TEAL, 1)

    return draw


def older(img: np.ndarray, coords, aoi) -> None:
    x, y, w, h = coords
    months = ["Aug", "Jul", "Jun", "May", "Apr", "Mar", "Feb", "Jan", "Dec", "Nov", "Oct"]
    for i, m in enumerate(months):
        yy = y + i * 88
        if yy + 72 > y + h:
            break
        row(f"{m} statement", "PDF")(img, (x, yy, w, 72), {"role": "content"})


def balance(img: np.ndarray, coords, aoi) -> None:
    x, y, w, h = coords
    wf.rect(img, coords, TEAL)
    wf.text(img, "Current account", x + 16, y + 34, 0.55, wf.WHITE, 1)
    wf.text(img, "EUR 2,481.07", x + 16, y + 96, 1.1, wf.WHITE, 2)


def tab_bar(img: np.ndarray, coords, aoi) -> None:
    x, y, w, h = coords
    wf.rect(img, coords, wf.WHITE, wf.GREY)
    for i, s in enumerate(("Home", "Pay", "Cards", "More")):
        wf.text(img, s, x + 26 + i * 96, y + 36, 0.5, wf.BLUE, 1)


EXTRAS = {
    "login": [status_bar, title("Northbank", 280)],
    "accounts": [status_bar, title("Hello, Sam")],
    "transfer": [status_bar, title("Send money")],
    "transfer-done": [status_bar],
    "statements": [],
}
STYLES = {
    "username": field("User name", "sam.lee"),
    "password": field("Password", "********"),
    "balance": balance,
    "tab-bar": tab_bar,
    "recipient": field("To", "Anna Berg"),
    "amount": field("Amount", "EUR 50.00"),
    "reference": field("Reference", "Dinner"),
    "statement-nov": row("November 2026", "PDF"),
    "statement-oct": row("October 2026", "PDF"),
    "statement-sep": row("September 2026", "PDF"),
    "older-statements": older,
    "send-button": button("Send money", wf.BLUE),
    "pay-bill": button("Pay a bill", wf.LIGHT, wf.INK),
    "forgot-password": button("Forgot password?", wf.BG, wf.BLUE),
    "login-button": button("Log in"),
    "confirm-transfer": button("Confirm transfer"),
    "done-button": button("Done"),
}

if __name__ == "__main__":
    for p in wf.draw_protocol(HERE.parent / "bank-app.yaml", EXTRAS, STYLES):
        img = cv2.imread(str(p))
        h, w = img.shape[:2]
        big = cv2.resize(
            img, (w * DEVICE_PIXEL_RATIO, h * DEVICE_PIXEL_RATIO), interpolation=cv2.INTER_CUBIC
        )
        cv2.imwrite(str(p), big, [cv2.IMWRITE_PNG_COMPRESSION, 9])
        print(p.relative_to(HERE.parent), f"{w * 3}x{h * 3}", p.stat().st_size // 1024, "KiB")
