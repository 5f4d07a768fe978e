"""Build the demo shop's static pages from protocols/online-store.yaml (run after editing it).

Every AOI of a screen becomes an element whose HTML ``id`` is the AOI id, placed at the AOI's
page-px box (absolute positioning; ``fixed: true`` AOIs use ``position: fixed``), so that
``#<aoi-id>`` selectors resolve in the live page to the boxes the protocol names and the
full-page screenshots line up with the protocol's coordinates. Run:

    python demo-site/build.py [protocols/online-store.yaml]

The generated *.html files are committed; the server (``gazemap.presenter.server``) only
serves them.
"""

from __future__ import annotations

import html
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

#: file name of each screen's page (the protocol's url pattern must match it)
PAGES = {
    "home": "index.html",
    "search": "search.html",
    "product": "product.html",
    "cart": "cart.html",
    "checkout": "checkout.html",
    "confirmation": "confirmation.html",
    "order-email": "email.html",
}

TITLES = {
    "home": "Stride — running shop",
    "search": "Search results — Stride",
    "product": "Trail Runner 2 — Stride",
    "cart": "Your cart — Stride",
    "checkout": "Checkout — Stride",
    "confirmation": "Thank you — Stride",
    "order-email": "Mail — Your Stride order",
}

NAV = (
    '<a class="logo" href="index.html">Stride</a>'
    '<nav><a href="search.html?q=running+shoes">Running</a> <a href="search.html?q=trail">Trail</a>'
    ' <a href="cart.html">Cart (1)</a></nav>'
)


def _card_inner(name: str, price: str, hue: int = 200) -> str:
    return (
        f'<div class="ph" style="background:hsl({hue},45%,80%)"></div>'
        f"<b>{html.escape(name)}</b><span class=price>{price}</span>"
    )


def _card(name: str, price: str, href: str = "#", hue: int = 200) -> str:
    return f'<a class="card" href="{href}">{_card_inner(name, price, hue)}</a>'


#: inner HTML (and tag) of each element, by AOI id; (tag, attributes, inner html)
CONTENT: dict[str, tuple[str, str, str]] = {
    "header": ("header", 'class="bar"', NAV),
    "checkout-header": (
        "header",
        'class="bar"',
        '<a class="logo" href="index.html">Stride</a> <span>Secure checkout</span>',
    ),
    "search-box": (
        "input",
        'form="search-form" name="q" type="search" placeholder="Search shoes, brands…" aria-label="Search"',
        "",
    ),
    "search-button": ("button", 'form="search-form" type="submit" class="btn"', "Search"),
    "hero-banner": (
        "a",
        'href="search.html?q=sale" class="hero"',
        "<h1>BLACK FRIDAY</h1><p>Up to 40 % off everything running</p>",
    ),
    "sale-badge": ("div", 'class="badge"', "-40%"),
    "categories": (
        "div",
        'class="row"',
        '<a href="search.html?q=road">Road</a><a href="search.html?q=trail">Trail</a><a href="search.html?q=kids">Kids</a><a href="search.html?q=socks">Socks</a><a href="search.html?q=watches">Watches</a>',
    ),
    "featured": (
        "section",
        'class="grid"',
        "<h2>Featured</h2>"
        + "".join(
            _card(n, p, "product.html", h)
            for n, p, h in [
                ("Trail Runner 2", "€129", 20),
                ("Road Glide", "€99", 200),
                ("Kids Dash", "€49", 120),
                ("Tempo Pro", "€149", 280),
            ]
        ),
    ),
    "newsletter": (
        "form",
        'class="box" onsubmit="return false"',
        '<h2>Get 10 % off your next order</h2><input placeholder="E-mail address"> <button class=btn>Sign up</button>',
    ),
    "footer": (
        "footer",
        'class="foot"',
        '<a href="#">About</a> <a href="#">Shipping</a> <a href="#">Returns</a> <a href="#">Contact</a> <p>© Stride demo shop — a gazemap test site</p>',
    ),
    "filters": (
        "aside",
        'class="box"',
        "<h3>Filters</h3>"
        + "".join(
            f"<label><input type=checkbox> {x}</label><br>"
            for x in [
                "Road",
                "Trail",
                "Men",
                "Women",
                "Size 40",
                "Size 41",
                "Size 42",
                "Size 43",
                "Under €100",
                "Waterproof",
            ]
        ),
    ),
    "sort-bar": (
        "div",
        'class="row"',
        "<span>24 results for <b>running shoes</b></span> <select><option>Best match</option><option>Price</option></select>",
    ),
    "sponsored": (
        "a",
        'href="search.html?q=watches" class="hero small"',
        "<small>Sponsored</small><h2>Track every run — GPS watches</h2>",
    ),
    "result-1": ("a", 'href="#" class="card"', _card_inner("Road Glide", "€99", 200)),
    "result-2": ("a", 'href="#" class="card"', _card_inner("Tempo Pro", "€149", 280)),
    "result-3": ("a", 'href="#" class="card"', _card_inner("Cloud Soft", "€119", 40)),
    "result-4": ("a", 'href="#" class="card"', _card_inner("Street Flex", "€89", 160)),
    "result-5": ("a", 'href="#" class="card"', _card_inner("Marathon X", "€169", 330)),
    "result-6": ("a", 'href="#" class="card"', _card_inner("Kids Dash", "€49", 120)),
    "result-trail-runner": (
        "a",
        'href="product.html" class="card"',
        _card_inner("Trail Runner 2", "€129", 20),
    ),
    "pagination": (
        "nav",
        'class="row"',
        '<a href="#">‹</a> <b>1</b> <a href="#">2</a> <a href="#">3</a> <a href="#">›</a>',
    ),
    "breadcrumb": (
        "nav",
        'class="crumb"',
        '<a href="index.html">Home</a> › <a href="search.html?q=running+shoes">Running</a> › Trail Runner 2',
    ),
    "gallery": ("div", 'class="ph" style="background:hsl(20,45%,80%)"', ""),
    "title-price": ("div", "", "<h1>Trail Runner 2</h1><span class=price>€129</span>"),
    "rating": ("div", 'class="star"', ""),
    "size-picker": (
        "div",
        'class="box"',
        "<b>Size</b><br>" + "".join(f"<button class=size>{s}</button>" for s in range(39, 47)),
    ),
    "add-to-cart": ("a", 'href="cart.html" class="btn big"', "Add to cart"),
    "delivery-info": (
        "div",
        'class="box"',
        "Free delivery in 2–4 working days. Free returns within 30 days.",
    ),
    "reviews": (
        "section",
        'class="box"',
        "<h2>Reviews (128)</h2><p>“Great grip on wet rocks.” ★★★★★</p><p>“Runs half a size small.” ★★★★</p><p>“Comfortable from the first run.” ★★★★★</p>",
    ),
    "recommendations": (
        "section",
        'class="grid"',
        "<h2>You may also like</h2>"
        + "".join(
            _card(n, p, "#", h)
            for n, p, h in [
                ("Trail Socks", "€15", 90),
                ("Rain Jacket", "€89", 210),
                ("Cap", "€25", 300),
            ]
        ),
    ),
    "cart-item": (
        "div",
        'class="box"',
        '<div class="ph mini" style="background:hsl(20,45%,80%)"></div><b>Trail Runner 2</b> — size 42<br><span class=price>€129</span>',
    ),
    "quantity": ("div", 'class="qty"', "<button>−</button> 1 <button>+</button>"),
    "promo-code": (
        "form",
        'class="box" onsubmit="return false"',
        "Promo code <input> <button class=btn>Apply</button>",
    ),
    "upsell": (
        "section",
        'class="box"',
        "<h2>Add socks for €9?</h2>" + _card("Trail Socks", "€9", "#", 90),
    ),
    "order-summary": (
        "div",
        'class="box"',
        "<h3>Order summary</h3><p>Subtotal €129<br>Delivery free</p><b>Total €129</b>",
    ),
    "checkout-button": ("a", 'href="checkout.html" class="btn big"', "Go to checkout"),
    "continue-shopping": (
        "a",
        'href="search.html?q=running+shoes" class="link"',
        "Continue shopping",
    ),
    "progress": (
        "ol",
        'class="row"',
        "<li><b>1 Address</b></li><li>2 Delivery</li><li>3 Payment</li>",
    ),
    "address-form": (
        "fieldset",
        'class="box"',
        "<legend>Address</legend>"
        + "".join(
            f'<label>{f}<br><input form="order" name="{f.lower().replace(" ", "-")}"></label>'
            for f in ["Full name", "Street", "Postcode", "City", "E-mail", "Phone"]
        ),
    ),
    "trust-seal": ("div", 'class="badge seal"', "Secure<br>checkout"),
    "delivery-options": (
        "fieldset",
        'class="box"',
        "<legend>Delivery</legend><label><input form=order type=radio name=delivery checked> Standard (free)</label><br><label><input form=order type=radio name=delivery> Express €9</label>",
    ),
    "payment-form": (
        "fieldset",
        'class="box"',
        "<legend>Payment</legend>"
        + "".join(
            f'<label>{f}<br><input form="order" name="{f.lower().replace(" ", "-")}"></label>'
            for f in ["Card number", "Expiry", "CVC", "Name on card"]
        ),
    ),
    "place-order": ("button", 'form="order" type="submit" class="btn big"', "Place order"),
    "help-chat": ("div", 'class="badge chat"', "?"),
    "thank-you": (
        "div",
        "",
        "<h1>Thank you for your order!</h1><p>We have sent a confirmation e-mail.</p>",
    ),
    "order-number": ("div", 'class="box"', "Order number <b>ST-2026-104233</b>"),
    "delivery-estimate": ("div", 'class="box"', "Arrives <b>Thursday, 3 December</b>"),
    "track-order": ("a", 'href="email.html" class="btn big"', "Track order"),
    "create-account": ("a", 'href="#" class="btn ghost"', "Create an account"),
    "survey-ribbon": ("a", 'href="#" class="ribbon"', "Tell us how we did"),
    "email-header": (
        "div",
        'class="box"',
        "<b>From:</b> Stride &lt;orders@stride.example&gt;<br><b>Subject:</b> Your order ST-2026-104233",
    ),
    "delivery-date": ("div", 'class="box"', "Your parcel arrives on <b>Thursday, 3 December</b>."),
    "email-summary": (
        "div",
        'class="box"',
        "<h3>Order ST-2026-104233</h3><p>Trail Runner 2, size 42 — €129<br>Delivery: standard, free</p>",
    ),
    "track-link": ("a", 'href="track.html" class="btn big"', "Track your parcel"),
    "order-items": (
        "div",
        'class="box"',
        '<div class="ph mini" style="background:hsl(20,45%,80%)"></div> Trail Runner 2 × 1',
    ),
    "email-promo": (
        "div",
        'class="hero small"',
        "<h2>15 % off your next order</h2><p>Code STRIDE15</p>",
    ),
    "unsubscribe": (
        "div",
        'class="foot"',
        '<a href="#">Unsubscribe</a> · Stride demo shop, 1 Example Street',
    ),
}

VOID = {"input"}


def _box(aoi: dict) -> tuple[float, float, float, float, str]:
    """(x, y, w, h, extra css) of an AOI's element."""
    c = aoi["coords"]
    if aoi["shape"] == "rect":
        return c[0], c[1], c[2], c[3], ""
    if aoi["shape"] == "ellipse":
        cx, cy, rx, ry = c
        return cx - rx, cy - ry, 2 * rx, 2 * ry, "border-radius:50%;"
    pts = (
        [tuple(p) for p in c] if isinstance(c[0], list) else list(zip(c[::2], c[1::2], strict=True))
    )
    x0 = min(p[0] for p in pts)
    y0 = min(p[1] for p in pts)
    w = max(p[0] for p in pts) - x0
    h = max(p[1] for p in pts) - y0
    poly = ", ".join(f"{p[0] - x0:g}px {p[1] - y0:g}px" for p in pts)
    return x0, y0, w, h, f"clip-path:polygon({poly});"


def page_html(screen: dict) -> str:
    sid = screen["id"]
    w, h = screen["page"]["width_px"], screen["page"]["height_px"]
    parts = []
    for aoi in screen.get("aois", []):
        tag, attrs, inner = CONTENT[aoi["id"]]
        x, y, bw, bh, extra = _box(aoi)
        pos = "fixed" if aoi.get("fixed") else "absolute"
        style = f"position:{pos};left:{x:g}px;top:{y:g}px;width:{bw:g}px;height:{bh:g}px;{extra}"
        if 'style="' in attrs:  # one style attribute: the element's own look + its box
            head, _, rest = attrs.partition('style="')
            own, _, tail = rest.partition('"')
            attrs, style = head + tail, own.rstrip(";") + ";" + style
        el = f'<{tag} id="{aoi["id"]}" {attrs} style="{style}" data-aoi-name="{html.escape(aoi["name"])}">'
        parts.append(el if tag in VOID else f"{el}{inner}</{tag}>")
    forms = ""
    if sid == "home":
        forms = '<form id="search-form" action="search.html"></form>'
    if sid == "checkout":
        forms = '<form id="order" action="confirmation.html"></form>'
    body = "\n".join(parts)
    return (
        "<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
        f"<title>{html.escape(TITLES[sid])}</title>"
        '<link rel=stylesheet href="shop.css"></head>\n'
        f'<body data-screen="{sid}">{forms}\n<main class="page" style="width:{w}px;height:{h}px">\n'
        f"{body}\n</main></body></html>\n"
    )


def main(argv: list[str]) -> int:
    proto = Path(argv[1]) if len(argv) > 1 else REPO / "protocols" / "online-store.yaml"
    doc = yaml.safe_load(proto.read_text(encoding="utf-8"))
    for st in doc["stages"]:
        for tp in st["touchpoints"]:
            for sc in tp["screens"]:
                (HERE / PAGES[sc["id"]]).write_text(page_html(sc), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
