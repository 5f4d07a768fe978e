"""Draw the wireframe screenshots of protocols/bank-loan.yaml.

Run from anywhere: ``python protocols/bank-loan/make_screenshots.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import wireframe as wf  # noqa: E402

GREEN_DARK = (60, 110, 20)


def bank_header(img: np.ndarray, coords, aoi) -> None:
    wf.rect(img, coords, GREEN_DARK)
    wf.text(img, "Northbank", 30, 44, 1.1, wf.WHITE, 3)
    for i, s in enumerate(("Accounts", "Loans", "Mortgages", "Log in")):
        wf.text(img, s, 760 + i * 120, 40, 0.6, wf.WHITE, 1)


def slider(label: str, value: str):
    def draw(img: np.ndarray, coords, aoi) -> None:
        x, y, w, h = coords
        wf.rect(img, coords, wf.WHITE, wf.GREY)
        wf.text(img, f"{label}: {value}", x + 16, y + 34, 0.75, wf.INK, 2)
        wf.rect(img, (x + 16, y + 64, w - 32, 8), wf.GREY)
        wf.rect(img, (x + 16, y + 64, (w - 32) * 0.45, 8), GREEN_DARK)
        import cv2

        cv2.circle(img, (int(x + 16 + (w - 32) * 0.45), int(y + 68)), 14, GREEN_DARK, -1)

    return draw


def monthly(img: np.ndarray, coords, aoi) -> None:
    x, y, w, h = coords
    wf.rect(img, coords, wf.WHITE, wf.BLUE)
    wf.text(img, "Monthly instalment", x + 16, y + 36, 0.75, wf.INK, 2)
    wf.text(img, "229.80", x + 16, y + 120, 2.2, GREEN_DARK, 4)


EXTRAS: dict[str, list] = {
    "decision-letter": [lambda img: wf.rect(img, (220, 20, 840, 900), wf.WHITE, wf.GREY)],
}
STYLES = {
    "bank-header": bank_header,
    "amount-slider": slider("Amount", "10,000"),
    "term-slider": slider("Term", "48 months"),
    "monthly-payment": monthly,
    "steps": wf.link_bar(["1 You", "2 Income", "3 Consent", "4 Submit"]),
    "personal-details": wf.form_fields(
        ["Full name", "Date of birth", "Address", "E-mail", "Phone"]
    ),
    "income": wf.form_fields(
        ["Net monthly income", "Employer", "Employed since", "Rent", "Other loans"]
    ),
}

if __name__ == "__main__":
    for p in wf.draw_protocol(HERE.parent / "bank-loan.yaml", EXTRAS, STYLES):
        print(p.relative_to(HERE.parent), p.stat().st_size // 1024, "KiB")
