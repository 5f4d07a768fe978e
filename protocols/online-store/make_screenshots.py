"""Draw the wireframes of protocols/online-store.yaml into protocols/online-store/wireframes/.

Run from anywhere: ``python protocols/online-store/make_screenshots.py``. Writes one PNG per
screen, at page size. The protocol's own screenshots (next to this script) are real renders
of the demo shop (demo-site/), captured by ``gazemap present --screenshots``; the wireframes
show where the AOIs are, for a protocol author checking the coordinates. The AOIs come from the protocol file; the
decoration below (texts, cards that are no AOI) is what makes each page look like a shop.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import wireframe as wf  # noqa: E402


def header(img: np.ndarray, coords, aoi) -> None:
    x, y, w, h = coords
    wf.rect(img, coords, wf.NAVY)
    wf.text(img, "ShopCo", 30, 48, 1.2, wf.WHITE, 3)
    for i, s in enumerate(("Account", "Wishlist", "Cart (1)")):
        wf.text(img, s, 1150 + i * 95, 44, 0.55, wf.WHITE, 1)


def search_box(img: np.ndarray, coords, aoi) -> None:
    wf.rect(img, coords, wf.WHITE, wf.BLUE)
    x, y, w, h = coords
    wf.text(img, "Search products...", x + 14, y + 29, 0.7, (150, 150, 150), 1)


def size_picker(img: np.ndarray, coords, aoi) -> None:
    x, y, w, h = coords
    wf.rect(img, coords, wf.WHITE, wf.BLUE)
    wf.text(img, "Size (EU)", x + 16, y + 34, 0.8, wf.BLUE, 2)
    for i, s in enumerate(range(38, 46)):
        bx = x + 16 + i * 68
        wf.rect(img, (bx, y + 60, 58, 58), wf.LIGHT, wf.GREY)
        wf.text_in(img, str(s), (bx, y + 60, 58, 58), wf.INK, 0.8)


def gallery(img: np.ndarray, coords, aoi) -> None:
    x, y, w, h = coords
    wf.photo(img, (x, y, w, h * 0.8))
    for i in range(4):
        wf.photo(img, (x + i * (w / 4) + 4, y + h * 0.82, w / 4 - 8, h * 0.18))


def featured(img: np.ndarray, coords, aoi) -> None:
    x, y, w, h = coords
    wf.text(img, "Featured products", x, y + 30, 1.0, wf.INK, 2)
    names = ("City Walker", "Road Racer", "Trail Runner", "Court Classic", "Hiker Pro", "Slip-On")
    for i, n in enumerate(names):
        r, c = divmod(i, 3)
        wf.card(
            img, (x + c * (w / 3) + 10, y + 60 + r * 420, w / 3 - 20, 400), n, f"$ {59 + 10 * i}.00"
        )


def filters(img: np.ndarray, coords, aoi) -> None:
    x, y, w, h = coords
    wf.rect(img, coords, wf.WHITE, wf.GREY)
    wf.text(img, "Filters", x + 16, y + 36, 0.9, wf.INK, 2)
    for i, s in enumerate(("Brand", "Size", "Colour", "Price", "Surface", "Rating")):
        yy = y + 80 + i * 230
        wf.text(img, s, x + 16, yy, 0.75, wf.INK, 2)
        for j in range(4):
            wf.rect(img, (x + 18, yy + 20 + j * 40, 18, 18), wf.WHITE, wf.INK)
            wf.rect(img, (x + 50, yy + 24 + j * 40, 150, 10), wf.GREY)


def more_results(img: np.ndarray) -> None:
    for r, y in enumerate((1270, 1690, 2110)):
        for c, x in enumerate((380, 725, 1070)):
            if (y, x) == (1270, 725):
                continue
            wf.card(img, (x, y, 315, 390), f"Shoe {7 + r * 3 + c}", "$ 79.00")


def search_title(img: np.ndarray) -> None:
    wf.text(img, "Results for 'running shoes' (48)", 380, 95 + 0, 0.6, wf.INK, 1)


def product_extra(img: np.ndarray) -> None:
    wf.text(img, "Trail Runner 2", 800, 200, 1.3, wf.INK, 3)


def checkout_extra(img: np.ndarray) -> None:
    wf.text(img, "Checkout", 240, 1760, 0.6, (150, 150, 150), 1)


def email_frame(img: np.ndarray) -> None:
    wf.rect(img, (250, 20, 940, 1340), wf.WHITE, wf.GREY)
    wf.text(img, "Inbox  >  ShopCo", 20, 40, 0.7, wf.INK, 1)


def confirmation_extra(img: np.ndarray) -> None:
    cv2_check = np.array([[600, 200], [620, 225], [660, 170]], dtype=np.int32)
    import cv2

    cv2.polylines(img, [cv2_check], False, wf.GREEN, 6, cv2.LINE_AA)


EXTRAS = {
    "search": [search_title, more_results],
    "product": [product_extra],
    "checkout": [checkout_extra],
    "order-email": [email_frame],
    "confirmation": [confirmation_extra],
}
STYLES = {
    "header": header,
    "search-box": search_box,
    "size-picker": size_picker,
    "gallery": gallery,
    "featured": featured,
    "filters": filters,
    "address-form": wf.form_fields(
        ["Full name", "Street and number", "Postcode", "City", "Country", "Phone"]
    ),
    "categories": wf.link_bar(["Running", "Walking", "Trail", "Kids", "Sale", "Brands"]),
    "footer": wf.link_bar(["About", "Help", "Returns", "Shipping", "Privacy", "Contact"]),
    "sort-bar": wf.link_bar(["Sort: Relevance", "Price", "Newest", "Rating"]),
    "breadcrumb": wf.link_bar(["Home", "> Shoes", "> Running", "> Trail Runner 2"]),
    "pagination": wf.link_bar(["< Prev", "1", "2", "3", "4", "Next >"]),
    "progress": wf.link_bar(["1 Address", "2 Delivery", "3 Payment", "4 Review"]),
    "checkout-header": wf.link_bar(
        ["ShopCo  |  Secure checkout", "", "", "Need help? 0800 123 456"]
    ),
    "continue-shopping": wf.link_bar(["< Continue shopping"]),
    "unsubscribe": wf.link_bar(["Unsubscribe", "Privacy", "Imprint"]),
    "payment-form": wf.form_fields(["Card number", "Name on card", "Expiry (MM/YY)", "CVC"]),
    "delivery-options": wf.form_fields(["Standard (3-5 days) free", "Express (next day) $ 9.90"]),
}

if __name__ == "__main__":
    for p in wf.draw_protocol(HERE.parent / "online-store.yaml", EXTRAS, STYLES, HERE / "wireframes"):
        print(p.relative_to(HERE.parent), p.stat().st_size // 1024, "KiB")
