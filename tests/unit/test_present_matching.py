"""gazemap.presenter.matching: URL/selector → screen, journey markers, click → AOI (pure)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gazemap.errors import ProtocolError
from gazemap.presenter.matching import (
    JourneyTracker,
    ScreenMatcher,
    click_marker,
    compile_url_pattern,
    give_up_url,
    hit_aoi,
    is_literal_path,
    journey_plan,
    point_in_aoi,
    target_aoi,
    url_candidates,
    url_matches,
)
from gazemap.protocol import (
    AOI,
    FrictionThresholds,
    Protocol,
    Screen,
    Stage,
    Touchpoint,
    load_protocol,
)

REPO = Path(__file__).resolve().parents[2]
BASE = "http://127.0.0.1:8123"


def _screen(
    sid: str, url: str | None, selector: str | None = None, aois: tuple[AOI, ...] = ()
) -> Screen:
    return Screen(sid, sid, None, 1440, 2000, 1440, 900, aois, url, selector)


def _protocol(*tps: Touchpoint) -> Protocol:
    return Protocol("p", "P", (Stage("s", "S", tps),), FrictionThresholds())


def _tp(tid: str, task: str, *screens: Screen) -> Touchpoint:
    return Touchpoint(tid, tid, "site", task, screens)


# ---------------------------------------------------------------- URL patterns
@pytest.mark.parametrize(
    ("pattern", "url", "expected"),
    [
        ("/cart.html", f"{BASE}/cart.html", True),
        ("/cart.html", f"{BASE}/cart.html#top", True),
        ("/cart.html", f"{BASE}/cart.htm", False),
        ("/search.html*", f"{BASE}/search.html?q=running+shoes", True),
        ("/search.html", f"{BASE}/search.html?q=x", True),  # path alone is a candidate
        ("*/product/*.html", f"{BASE}/product/trail-runner.html", True),
        ("/product/*.html", f"{BASE}/cart.html", False),
        ("/", f"{BASE}/index.html", True),  # index.html is its folder
        ("/index.html", f"{BASE}/index.html?ref=mail", True),
        ("re:/product/[a-z-]+\\.html", f"{BASE}/product/trail-runner.html", True),
        ("re:/product/[a-z-]+\\.html", f"{BASE}/product/42.html", False),
        ("re:/product", f"{BASE}/product-list.html", False),  # full match, not search
        (f"{BASE}/cart.html", f"{BASE}/cart.html", True),  # a full URL works too
        ("/confirmation.html", f"{BASE}/confirmation.html?full-name=&delivery=on", True),
    ],
)
def test_url_matches(pattern: str, url: str, expected: bool) -> None:
    assert url_matches(pattern, url) is expected


def test_url_candidates_strip_fragment_and_add_base_relative() -> None:
    c = url_candidates("http://shop.example/study/cart.html?x=1#frag", "http://shop.example/study")
    assert c[0] == "http://shop.example/study/cart.html?x=1"
    assert "/study/cart.html?x=1" in c and "/study/cart.html" in c
    assert "/cart.html?x=1" in c and "/cart.html" in c
    assert len(c) == len(set(c))
    assert url_matches(
        "/cart.html", "http://shop.example/study/cart.html", "http://shop.example/study/"
    )


@pytest.mark.parametrize("bad", ["", "   ", None])
def test_empty_pattern_is_a_protocol_error(bad: object) -> None:
    with pytest.raises(ProtocolError, match=r"screens\.x\.url must be a non-empty URL glob"):
        compile_url_pattern(bad, "screens.x.url")  # type: ignore[arg-type]


def test_invalid_regex_names_the_place_and_fix() -> None:
    with pytest.raises(
        ProtocolError, match=r"screens\.cart\.url is not a valid regular expression.*'re:'"
    ):
        compile_url_pattern("re:/cart[", "screens.cart.url")


@pytest.mark.parametrize(
    ("pattern", "literal"),
    [
        ("/cart.html", True),
        ("/search.html*", False),
        ("re:/cart", False),
        ("/p/[ab].html", False),
        (None, False),
        ("/a?.html", False),
    ],
)
def test_is_literal_path(pattern: str | None, literal: bool) -> None:
    assert is_literal_path(pattern) is literal


# ---------------------------------------------------------------- ScreenMatcher
def test_matcher_requires_some_screen_url() -> None:
    proto = _protocol(_tp("a", "", _screen("a", None)))
    with pytest.raises(ProtocolError, match="no screen has a 'url'"):
        ScreenMatcher(proto)


def test_matcher_reports_bad_regex_with_screen_id() -> None:
    proto = _protocol(_tp("a", "", _screen("a", "re:(")), _tp("b", "", _screen("b", "/b.html")))
    with pytest.raises(ProtocolError, match=r"screens\.a\.url"):
        ScreenMatcher(proto)


def test_matcher_selector_expected_and_order() -> None:
    form = _screen("form", "/checkout.html", selector="#address-form")
    done = _screen("done", "/checkout.html", selector="#thank-you")
    plain = _screen("plain", "/checkout.html")
    other = _screen("other", "/other.html")
    proto = _protocol(_tp("t1", "", plain, form, done), _tp("t2", "", other))
    m = ScreenMatcher(proto, BASE)
    url = f"{BASE}/checkout.html"
    assert m.selectors == ["#address-form", "#thank-you"]
    # no selector present: only the selector-less screen can match
    assert m.match(url, []).id == "plain"  # type: ignore[union-attr]
    # a selector screen is more specific than the plain one
    assert m.match(url, ["#thank-you"]).id == "done"  # type: ignore[union-attr]
    # the expected next screen wins ties
    assert m.match(url, ["#thank-you", "#address-form"], expected="done").id == "done"  # type: ignore[union-attr]
    assert m.match(url, ["#thank-you", "#address-form"]).id == "form"  # type: ignore[union-attr]
    assert m.match(f"{BASE}/nowhere.html", ["#thank-you"]) is None
    assert [s.id for s in m.candidates(url, ["#address-form"])] == ["plain", "form"]
    assert [s.id for s in m.awaiting_selector(url)] == ["form", "done"]
    assert m.awaiting_selector(f"{BASE}/other.html") == []


def test_online_store_protocol_matches_every_demo_page() -> None:
    proto = load_protocol(REPO / "protocols" / "online-store.yaml")
    m = ScreenMatcher(proto, BASE)
    pages = {
        "home": "/index.html",
        "search": "/search.html?q=running+shoes",
        "product": "/product.html",
        "cart": "/cart.html",
        "checkout": "/checkout.html",
        "confirmation": "/confirmation.html?full-name=A",
        "order-email": "/email.html",
    }
    for sid, path in pages.items():
        assert (REPO / "demo-site" / path.split("?")[0].lstrip("/")).is_file()
        found = m.match(BASE + path)
        assert found is not None and found.id == sid, (sid, found)
    assert m.match(BASE + "/track.html") is None
    assert [p.screen.id for p in journey_plan(proto)] == list(pages)


# ---------------------------------------------------------------- JourneyTracker
def _shop() -> Protocol:
    return _protocol(
        _tp("home", "Search for shoes.", _screen("home", "/index.html")),
        _tp(
            "pick",
            "Pick a shoe.",
            _screen("results", "/search.html*"),
            _screen("product", "/product.html"),
        ),
        _tp("pay", "", _screen("cart", "/cart.html")),
    )


def test_tracker_full_journey_markers() -> None:
    tr = JourneyTracker(_shop())
    assert tr.expected_next() == "home"
    assert tr.enter("home", f"{BASE}/index.html") == ["screen/home"]
    assert tr.needs_instruction == (1, "Search for shoes.")
    assert tr.acknowledge() == ["task/1/start", "touchpoint/home/start"]
    assert tr.needs_instruction is None and tr.acknowledge() == []
    # a re-check of the same page says nothing; a reload says the screen again
    assert tr.enter("home", f"{BASE}/index.html", new_page=False) == []
    assert tr.enter("home", f"{BASE}/index.html") == ["screen/home"]
    assert tr.expected_next() == "results"
    out = tr.enter("results", f"{BASE}/search.html?q=a")
    assert out == ["touchpoint/home/end", "task/1/end", "screen/results"]
    assert tr.needs_instruction == (2, "Pick a shoe.")
    assert tr.acknowledge() == ["task/2/start", "touchpoint/pick/start"]
    # a second screen of the same touchpoint: only the screen marker
    assert tr.enter("product", f"{BASE}/product.html") == ["screen/product"]
    # unknown page keeps the touchpoint open
    assert tr.enter(None, f"{BASE}/help.html") == [f"screen/unknown {BASE}/help.html"]
    assert tr.current_touchpoint == "pick" and tr.current_screen is None
    # a touchpoint without a task starts at once
    assert tr.enter("cart", f"{BASE}/cart.html") == [
        "touchpoint/pick/end",
        "task/2/end",
        "screen/cart",
        "task/3/start",
        "touchpoint/pay/start",
    ]
    # going back: a revisit starts without a new task
    assert tr.enter("home", f"{BASE}/index.html") == [
        "touchpoint/pay/end",
        "task/3/end",
        "screen/home",
        "touchpoint/home/start",
    ]
    assert tr.finish() == ["touchpoint/home/end"]
    assert tr.finish() == []
    assert tr.seen_screens == ["home", "home", "results", "product", "cart", "home"]


def test_tracker_leaving_before_the_instruction_asks_again_later() -> None:
    tr = JourneyTracker(_shop())
    tr.enter("home", f"{BASE}/index.html")
    assert tr.needs_instruction is not None
    # the participant navigated away without starting: no touchpoint was open
    assert tr.enter("results", f"{BASE}/search.html") == ["screen/results"]
    assert tr.needs_instruction == (2, "Pick a shoe.")
    assert tr.finish() == []
    assert tr.needs_instruction is None


def test_tracker_give_up_marks_the_running_task_once_and_expects_the_next_touchpoint() -> None:
    tr = JourneyTracker(_shop())
    g = tr.give_up()
    assert g.markers == () and g.reason == "no page has been shown yet"
    tr.enter("home", f"{BASE}/index.html")
    g = tr.give_up()
    assert g.markers == ()
    assert g.reason == "task 1's instruction is shown and the participant has not started it"
    tr.acknowledge()
    tr.enter("results", f"{BASE}/search.html")
    tr.acknowledge()
    tr.enter("product", f"{BASE}/product.html")  # second screen of touchpoint 'pick'
    assert tr.expected_next() == "cart"  # journey order anyway
    g = tr.give_up()
    assert g.markers == ("task/2/fail",)
    assert (g.task_n, g.touchpoint) == (2, "pick")
    assert g.next_screen is not None and g.next_screen.id == "cart"
    assert tr.given_up == {2}
    again = tr.give_up()
    assert again.markers == () and again.reason == "task 2 is already marked as given up"
    # the touchpoint and task stay open until the next touchpoint's page shows
    assert tr.current_touchpoint == "pick" and tr.open_task == 2
    assert tr.enter(None, f"{BASE}/help.html") == [f"screen/unknown {BASE}/help.html"]
    assert tr.expected_next() == "cart"
    assert tr.enter("cart", f"{BASE}/cart.html") == [
        "touchpoint/pick/end",
        "task/2/end",
        "screen/cart",
        "task/3/start",
        "touchpoint/pay/start",
    ]
    assert tr.expected_next() is None  # cart is the last screen: back to journey order
    # going back to a touchpoint whose task ended: a return visit, nothing to give up
    tr.enter("home", f"{BASE}/index.html")
    g = tr.give_up()
    assert g.markers == () and "return visit" in g.reason and "task 1" in g.reason
    assert tr.finish() == ["touchpoint/home/end"]


def test_tracker_give_up_on_an_unknown_page_and_at_the_last_task() -> None:
    tr = JourneyTracker(_shop())
    tr.enter(None, f"{BASE}/about.html")
    g = tr.give_up()
    assert g.markers == () and g.reason.startswith("no task is running")
    tr.enter("cart", f"{BASE}/cart.html")  # no task text: starts at once
    g = tr.give_up()
    assert g.markers == ("task/3/fail",) and g.next_screen is None
    assert tr.finish() == ["touchpoint/pay/end", "task/3/end"]


def test_tracker_after_give_up_the_next_touchpoint_wins_url_ties() -> None:
    # 'again' (touchpoint 1, second screen) and 'next' (touchpoint 2) show the same URL
    proto = _protocol(
        _tp("one", "Do one.", _screen("start", "/a.html"), _screen("again", "/b.html")),
        _tp("two", "Do two.", _screen("next", "/b.html")),
    )
    tr = JourneyTracker(proto)
    m = ScreenMatcher(proto, BASE)
    tr.enter("start", f"{BASE}/a.html")
    tr.acknowledge()
    assert m.match(f"{BASE}/b.html", expected=tr.expected_next()).id == "again"  # type: ignore[union-attr]
    assert tr.give_up().markers == ("task/1/fail",)
    sc = m.match(f"{BASE}/b.html", expected=tr.expected_next())
    assert sc is not None and sc.id == "next"
    assert tr.enter(sc.id, f"{BASE}/b.html") == [
        "touchpoint/one/end",
        "task/1/end",
        "screen/next",
    ]
    assert tr.needs_instruction == (2, "Do two.")


def test_give_up_url_only_for_one_page() -> None:
    assert give_up_url(_screen("c", "/cart.html")) == "/cart.html"
    assert give_up_url(_screen("s", "/search.html*")) is None
    assert give_up_url(_screen("p", "re:/product/[0-9]+")) is None
    assert give_up_url(_screen("call", None)) is None
    assert give_up_url(None) is None


# ---------------------------------------------------------------- clicks and AOIs
def test_point_in_shapes_and_hit_smallest() -> None:
    big = AOI("big", "Big", "content", "rect", (0, 0, 1000, 1000))
    small = AOI("small", "Small", "target", "rect", (100, 100, 50, 50))
    ell = AOI("ell", "Ell", "distractor", "ellipse", (500, 500, 100, 50))
    tri = AOI("tri", "Tri", "content", "polygon", (800, 800, 900, 800, 800, 900))
    sel = AOI("sel", "Sel", "cta", "rect", (0, 0, 1, 1), selector="#buy")
    sc = _screen("s", "/s.html", aois=(big, small, ell, tri, sel))
    assert hit_aoi(sc, 120, 120) == "small"
    assert hit_aoi(sc, 590, 500) == "ell" and hit_aoi(sc, 590, 540) == "big"
    assert point_in_aoi(tri, 820, 820) and not point_in_aoi(tri, 890, 890)
    assert hit_aoi(sc, 820, 820) == "tri"
    assert hit_aoi(sc, 2000, 2000) is None
    # a resolved selector box replaces the coords
    assert hit_aoi(sc, 300, 300, {"sel": (290, 290, 20, 20)}) == "sel"
    assert hit_aoi(sc, 0.5, 0.5, {"sel": (290, 290, 20, 20)}) == "big"


def test_click_marker_and_target() -> None:
    assert click_marker("buy-button", 12.345, 1000) == "click/buy-button 12.3 1000.0"
    a = AOI("nav", "Nav", "navigation", "rect", (0, 0, 1, 1))
    c = AOI("go", "Go", "cta", "rect", (0, 0, 1, 1))
    t = AOI("find", "Find", "target", "rect", (0, 0, 1, 1))
    assert target_aoi(_screen("x", "/", aois=(a, c, t))) is t
    assert target_aoi(_screen("x", "/", aois=(a, c))) is c
    assert target_aoi(_screen("x", "/", aois=(a,))) is None


def test_aoi_boxes_from_markers_and_apply() -> None:
    import json

    from gazemap.presenter.matching import aoi_boxes_from_markers, apply_aoi_boxes

    buy = AOI("buy", "Buy", "cta", "ellipse", (50, 50, 10, 10), selector="#buy")
    gone = AOI("gone", "Gone", "content", "rect", (1, 2, 3, 4), selector="#gone")
    plain = AOI("plain", "Plain", "content", "polygon", (0, 0, 10, 0, 0, 10))
    proto = _protocol(_tp("t", "", _screen("s", "/s.html", aois=(buy, gone, plain))))

    def rec(y: float) -> str:
        box = {"x_px": 10, "y_px": y, "width_px": 30, "height_px": 20, "fixed": True}
        aois = {"buy": box, "gone": None, "plain": {**box, "fixed": False}}
        return "aoi-boxes " + json.dumps(
            {"screen": "s", "url": "u", "page_width_px": 1, "page_height_px": 2, "aois": aois}
        )

    values = [
        "screen/s",
        rec(100),
        "aoi-boxes {not json",
        'aoi-boxes {"screen": 3}',
        rec(200),
        "click/buy 1 2",
    ]
    boxes = aoi_boxes_from_markers(values)
    assert list(boxes) == ["s"] and boxes["s"]["aois"]["buy"]["y_px"] == 200  # the last record wins
    out = apply_aoi_boxes(proto, boxes)
    a = {x.id: x for x in out.screens["s"].aois}
    assert (
        a["buy"].shape == "rect" and a["buy"].coords == (10.0, 200.0, 30.0, 20.0) and a["buy"].fixed
    )
    assert a["gone"] == gone  # resolved to nothing: the protocol's coords stand
    assert a["plain"] == plain  # no explicit selector: the author's shape stays
    assert proto.screens["s"].aois[0] == buy  # the input is not changed
    assert apply_aoi_boxes(proto, {}) == proto
