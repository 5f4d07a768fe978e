"""Task success: the protocol's `success:` criteria, per-participant outcomes, the Wilson
interval, journey summaries and the low-task-success friction rule (hand-computed numbers)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from gazemap.errors import ProtocolError
from gazemap.journey import (
    TaskOutcome,
    friction_evidence,
    journey_summary,
    segment_touchpoints,
    session_tables,
    success_summary,
    task_success,
    wilson_interval,
)
from gazemap.protocol import Protocol, SuccessCriterion, load_protocol
from gazemap.types import Fixations, Markers, ScreenGeometry

SCREEN = ScreenGeometry(1000, 800, 400.0, 320.0, 600.0)

PROTOCOL = """\
protocol: {id: shop, name: Shop}
stages:
  - id: buy
    name: Buy
    touchpoints:
      - id: search
        name: Search
        channel: site
        success: {screen: product}
        screens:
          - {id: search, page: {width_px: 1000, height_px: 800}, viewport: {width_px: 1000, height_px: 800},
             aois: [{id: result, role: content, shape: rect, coords: [0, 0, 100, 100]},
                    {id: filters, role: content, shape: rect, coords: [200, 0, 100, 100]}]}
      - id: product
        name: Product
        channel: site
        success: {click: add}
        screens:
          - {id: product, page: {width_px: 1000, height_px: 800}, viewport: {width_px: 1000, height_px: 800},
             aois: [{id: add, role: content, shape: rect, coords: [0, 0, 100, 100]}]}
      - id: cart
        name: Cart
        channel: site
        success: {marker: task/cart/success}
        screens:
          - {id: cart, page: {width_px: 1000, height_px: 800}, viewport: {width_px: 1000, height_px: 800}}
"""

#: participant -> markers (time s, value)
SESSIONS: dict[str, list[tuple[float, str]]] = {
    # everything achieved
    "A": [
        (10.0, "touchpoint/search/start"), (10.0, "screen/search"), (14.5, "click/result"),
        (15.0, "touchpoint/search/end"), (15.2, "touchpoint/product/start"),
        (15.9, "screen/product"), (18.0, "click/add"), (18.3, "touchpoint/product/end"),
        (19.0, "touchpoint/cart/start"), (25.0, "task/cart/success"), (26.0, "touchpoint/cart/end"),
    ],
    # reaches the product page but never clicks 'add', no success marker in the cart
    "B": [
        (10.0, "touchpoint/search/start"), (20.0, "click/filters"), (30.0, "touchpoint/search/end"),
        (31.0, "touchpoint/product/start"), (40.0, "touchpoint/product/end"),
        (41.0, "touchpoint/cart/start"), (50.0, "touchpoint/cart/end"),
    ],
    # the session stops after the search: whether the product page was reached is unknown
    "C": [(10.0, "touchpoint/search/start"), (40.0, "touchpoint/search/end")],
    # returns: search, product, search again, product again (clicks 'add' on the 2nd visit)
    "D": [
        (10.0, "touchpoint/search/start"), (19.0, "click/result"), (20.0, "touchpoint/search/end"),
        (21.0, "touchpoint/product/start"), (30.0, "touchpoint/product/end"),
        (31.0, "touchpoint/search/start"), (35.0, "touchpoint/search/end"),
        (36.0, "touchpoint/product/start"), (38.0, "click/add"), (40.0, "touchpoint/product/end"),
    ],
}  # fmt: skip


@pytest.fixture(scope="module")
def protocol(tmp_path_factory: pytest.TempPathFactory) -> Protocol:
    p = tmp_path_factory.mktemp("ts") / "shop.yaml"
    p.write_text(PROTOCOL, encoding="utf-8")
    return load_protocol(p)


def seg(protocol: Protocol, participant: str):  # type: ignore[no-untyped-def]
    pairs = SESSIONS[participant]
    return segment_touchpoints(
        Markers(np.array([t for t, _ in pairs]), np.array([v for _, v in pairs], dtype=object)),
        protocol,
    )


def test_protocol_reads_the_criteria(protocol: Protocol) -> None:
    assert [tp.success for tp in protocol.touchpoints] == [
        SuccessCriterion("screen", "product"),
        SuccessCriterion("click", "add"),
        SuccessCriterion("marker", "task/cart/success"),
    ]
    assert str(protocol.touchpoints[1].success) == "click: add"
    assert protocol.thresholds.task_success_min == 0.78


@pytest.mark.parametrize(
    ("participant", "touchpoint", "expected"),
    [
        # the product touchpoint (whose only screen is 'product') starts at 15.2: 15.2 - 10.0
        ("A", "search", TaskOutcome(True, 5.2, 15.2)),
        ("A", "product", TaskOutcome(True, 2.8, 18.0)),  # click/add 18.0 - 15.2
        ("A", "cart", TaskOutcome(True, 6.0, 25.0)),  # the marker 25.0 - 19.0
        ("B", "search", TaskOutcome(True, 21.0, 31.0)),
        ("B", "product", TaskOutcome(False)),
        ("B", "cart", TaskOutcome(False)),  # no marker up to the session's end
        ("C", "search", TaskOutcome(None)),  # nothing follows: unknown, not failed
        ("C", "product", TaskOutcome(None)),  # no visit
        # clock time from the first start, time spent on the search page in between included
        ("D", "product", TaskOutcome(True, 17.0, 38.0)),
        ("D", "search", TaskOutcome(True, 11.0, 21.0)),  # first product visit, 21.0 - 10.0
    ],
)
def test_outcomes(
    protocol: Protocol, participant: str, touchpoint: str, expected: TaskOutcome
) -> None:
    got = task_success(protocol.touchpoint(touchpoint), seg(protocol, participant))
    assert got.success is expected.success
    for a, b in ((got.time_to_success_s, expected.time_to_success_s), (got.at_s, expected.at_s)):
        assert (a is None and b is None) or a == pytest.approx(b, abs=1e-9)


def test_window_ends_with_the_visit_after_the_touchpoint(protocol: Protocol) -> None:
    # the success marker of the cart comes after the next touchpoint's visit: too late
    pairs = [
        (0.0, "touchpoint/cart/start"), (5.0, "touchpoint/cart/end"),
        (6.0, "touchpoint/search/start"), (9.0, "touchpoint/search/end"),
        (12.0, "task/cart/success"),
    ]  # fmt: skip
    s = segment_touchpoints(
        Markers(np.array([t for t, _ in pairs]), np.array([v for _, v in pairs], dtype=object)),
        protocol,
    )
    assert task_success(protocol.touchpoint("cart"), s) == TaskOutcome(False)
    # within the following visit it counts
    pairs[-1] = (8.0, "task/cart/success")
    s = segment_touchpoints(
        Markers(np.array([t for t, _ in pairs]), np.array([v for _, v in pairs], dtype=object)),
        protocol,
    )
    assert task_success(protocol.touchpoint("cart"), s) == TaskOutcome(True, 8.0, 8.0)


def test_wilson_interval_known_values() -> None:
    # Wilson (1927) score interval, z = 1.96: 7/10 -> [0.3968, 0.8922] (the textbook example)
    lo, hi = wilson_interval(7, 10) or (0, 0)
    assert (round(lo, 4), round(hi, 4)) == (0.3968, 0.8922)
    # 8/8: centre (1 + z^2/16) / (1 + z^2/8) = 0.83782, half = z sqrt(z^2/256) / (1 + z^2/8)
    z2 = 1.959963984540054**2
    lo, hi = wilson_interval(8, 8) or (0, 0)
    assert lo == pytest.approx((1 + z2 / 16 - math.sqrt(z2) * math.sqrt(z2 / 256)) / (1 + z2 / 8))
    assert (round(lo, 4), hi) == (0.6756, 1.0)
    assert wilson_interval(0, 10) == (0.0, pytest.approx(0.2775, abs=5e-5))
    assert wilson_interval(0, 0) is None
    with pytest.raises(ValueError, match="successes must be in 0..n = 0..3, got 4"):
        wilson_interval(4, 3)


def test_tables_summary_and_friction(protocol: Protocol) -> None:
    tps = []
    for p in SESSIONS:
        t = session_tables(
            Fixations.empty(), seg(protocol, p), None, SCREEN, protocol,
            participant=p, session_id=p, detector="ivt",
        )  # fmt: skip
        tps += t.touchpoints
    got = {
        (r["participant"], r["touchpoint_id"]): (r["success"], r["time_to_success_s"]) for r in tps
    }
    assert got == {
        ("A", "search"): (1, pytest.approx(5.2)), ("A", "product"): (1, pytest.approx(2.8)),
        ("A", "cart"): (1, 6.0), ("B", "search"): (1, 21.0), ("B", "product"): (0, None),
        ("B", "cart"): (0, None), ("C", "search"): (None, None), ("D", "search"): (1, 11.0),
        ("D", "product"): (1, 17.0),
    }  # fmt: skip
    records = friction_evidence([], tps, protocol)
    low = [r for r in records if r["rule_id"] == "low-task-success"]
    # search 3/3 (C unknown) is no finding; product 2/3 and cart 1/2 are below 0.78
    assert [(r["touchpoint_id"], r["participants"], r["n_total"]) for r in low] == [
        ("product", ["B"], 3),
        ("cart", ["B"], 2),
    ]
    product, cart = low
    assert product["value"] == pytest.approx(2 / 3) and product["threshold"] == 0.78
    assert product["unit"] == "share" and product["reliable"] is True
    # measured over the whole touchpoint: its every screen (here one)
    assert (product["screen_id"], product["screen_name"], product["screens"]) == (
        "product", "product", ["product"],
    )  # fmt: skip
    assert product["source"].startswith("Sauro, J., & Lewis, J. R. (2016). Quantifying the User")
    # Wilson 2/3 = [0.2077, 0.9385]: it reaches 0.78
    assert "2 of 3 = 67%, 95 % Wilson interval 21%-94%" in product["comparison"]
    assert "more participants are needed" in product["comparison"]
    assert cart["severity"] == "medium"  # 1 of 2 = 50 % >= 33 %
    # the example: B's cart visit, 41.0 -> 50.0
    assert cart["examples"] == [
        {
            "participant": "B",
            "t_rel_s": 9.0,
            "time_s": 50.0,
            "note": "did not achieve the task; last left the touchpoint at 9.0 s",
        }
    ]
    summary = journey_summary(tps, records, protocol)
    ts = {tp["id"]: tp["task_success"] for tp in summary["stages"][0]["touchpoints"]}
    assert ts["search"]["criterion"] == "screen: product"
    assert (ts["search"]["n"], ts["search"]["successes"], ts["search"]["unknown"]) == (3, 3, 1)
    assert ts["search"]["rate"] == 1.0
    assert [round(x, 4) for x in ts["search"]["ci95"]] == [0.4385, 1.0]  # Wilson 3/3
    # times of the successful: 5.2, 21.0, 11.0 -> mean 12.4, median 11.0
    assert ts["search"]["time_to_success_s"]["mean"] == pytest.approx(12.4)
    assert ts["search"]["time_to_success_s"]["median"] == 11.0
    assert (ts["cart"]["successes"], ts["cart"]["n"], ts["cart"]["rate"]) == (1, 2, 0.5)


def test_whole_interval_below_the_benchmark() -> None:
    s = success_summary([True] + [False] * 9, [3.0])
    assert s["rate"] == 0.1 and s["ci95"][1] < 0.78  # Wilson 1/10 = [0.0179, 0.4042]
    assert [round(x, 4) for x in s["ci95"]] == [0.0179, 0.4042]


def test_no_criterion_means_unknown(protocol: Protocol) -> None:
    from dataclasses import replace

    tp = replace(protocol.touchpoint("cart"), success=None)
    assert task_success(tp, seg(protocol, "A")) == TaskOutcome(None)
    assert success_summary([None, None]) == {
        "n": 0, "successes": 0, "rate": None, "ci95": None, "unknown": 2,
        "time_to_success_s": {"n": 0, "mean": None, "median": None, "ci95": None},
    }  # fmt: skip


# ------------------------------------------------------------------ protocol check errors
def _tp(success: str, extra_screen: str = "") -> str:
    return f"""\
protocol: {{id: t, name: T}}
stages:
  - id: s
    name: S
    touchpoints:
      - id: a
        name: A
        channel: site
        success: {success}
        screens:
          - {{id: a, page: {{width_px: 100, height_px: 100}}, viewport: {{width_px: 100, height_px: 100}},
             aois: [{{id: buy, role: cta, shape: rect, coords: [0, 0, 10, 10]}}]}}{extra_screen}
      - id: b
        name: B
        channel: site
        screens:
          - {{id: b, page: {{width_px: 100, height_px: 100}}, viewport: {{width_px: 100, height_px: 100}}}}
"""


@pytest.mark.parametrize(
    ("success", "message"),
    [
        ("{click: nope}", "stages[0].touchpoints[0].success.click: success click 'nope' is not an "
         "AOI of this touchpoint's screens; clicks are counted during the touchpoint, so name one of buy (line 9)"),
        ("{screen: b, marker: x}", "stages[0].touchpoints[0].success: success needs exactly one "
         "criterion (one of screen: <screen id>, click: <AOI id>, marker: \"<marker text>\"), got screen, marker (line 9)"),
        ("{}", "success needs exactly one criterion (one of screen: <screen id>, click: <AOI id>, "
         "marker: \"<marker text>\"), got none"),
        ("{screen: zzz}", "stages[0].touchpoints[0].success.screen: success screen 'zzz' is not a "
         "screen of this protocol; name one of its screen ids (a, b) (line 9)"),
        ("{screen: a}", "success screen 'a' is the screen this touchpoint starts on, so every "
         "participant would succeed; name the screen a successful task leads to"),
        ("{clik: buy}", "stages[0].touchpoints[0].success.clik: unknown success criterion 'clik'; "
         "give one of screen"),
        ("{marker: ''}", "success.marker: marker must be a non-empty text, got text ''"),
        ("{marker: 3}", "success.marker: marker must be a non-empty text, got int 3"),
        ("done", "stages[0].touchpoints[0].success: success (one of screen: <screen id>, click: "
         "<AOI id>, marker: \"<marker text>\") must be a mapping (key: value lines), got text 'done'"),
    ],
)  # fmt: skip
def test_protocol_check_errors(tmp_path: Path, success: str, message: str) -> None:
    p = tmp_path / "p.yaml"
    p.write_text(_tp(success), encoding="utf-8")
    with pytest.raises(ProtocolError) as exc:
        load_protocol(p)
    assert message in str(exc.value)


def test_protocol_accepts_each_kind_and_x_keys(tmp_path: Path) -> None:
    p = tmp_path / "p.yaml"
    for success, kind, value in (
        ("{screen: b}", "screen", "b"),
        ("{click: buy, x-note: the CTA}", "click", "buy"),
        ('{marker: "task/a/done"}', "marker", "task/a/done"),
    ):
        p.write_text(_tp(success), encoding="utf-8")
        assert load_protocol(p).touchpoint("a").success == SuccessCriterion(kind, value)


def test_task_success_min_is_a_share(tmp_path: Path) -> None:
    p = tmp_path / "p.yaml"
    p.write_text(_tp("{click: buy}") + "thresholds: {task_success_min: 78}\n", encoding="utf-8")
    with pytest.raises(ProtocolError, match="task_success_min is a share and must be in"):
        load_protocol(p)


def _seg(protocol: Protocol, pairs: list[tuple[float, str]]):  # type: ignore[no-untyped-def]
    return segment_touchpoints(
        Markers(np.array([t for t, _ in pairs]), np.array([v for _, v in pairs], dtype=object)),
        protocol,
    )


def test_give_up_marker_fails_the_task_whatever_follows(protocol: Protocol) -> None:
    """``task/<n>/fail`` (a moderator's note, the simulator's --fail): the participant gave up
    or was helped on, so the next page the moderator opens is no success."""
    pairs = [
        (10.0, "touchpoint/search/start"), (30.0, "task/1/fail"), (30.5, "touchpoint/search/end"),
        (31.0, "touchpoint/product/start"), (38.0, "click/add"), (40.0, "touchpoint/product/end"),
    ]  # fmt: skip
    s = _seg(protocol, pairs)
    assert s.problems == ("no visit of touchpoint 'cart' in this session",)
    search, product = protocol.touchpoint("search"), protocol.touchpoint("product")
    assert task_success(search, s, 1) == TaskOutcome(False, gave_up_s=30.0)
    # without the position the marker is not looked for (the screen was reached at 31.0)
    assert task_success(search, s) == TaskOutcome(True, 21.0, 31.0)
    # another task's give-up does not count
    assert task_success(product, s, 2) == TaskOutcome(True, 7.0, 38.0)
    # success before the give-up stands (a click, then a give-up later in the window)
    pairs = [(10.0, "touchpoint/product/start"), (12.0, "click/add"), (15.0, "task/2/fail"),
             (16.0, "touchpoint/product/end")]  # fmt: skip
    assert task_success(product, _seg(protocol, pairs), 2) == TaskOutcome(True, 2.0, 12.0)
    # a give-up after the window (the visit after the next) does not count
    pairs = [
        (10.0, "touchpoint/product/start"), (12.0, "click/add"), (16.0, "touchpoint/product/end"),
        (17.0, "touchpoint/cart/start"), (18.0, "touchpoint/cart/end"),
        (19.0, "touchpoint/search/start"), (20.0, "task/2/fail"), (21.0, "touchpoint/search/end"),
    ]  # fmt: skip
    assert task_success(product, _seg(protocol, pairs), 2).success is True


def test_give_up_then_session_end_is_a_failure_not_unknown(protocol: Protocol) -> None:
    # like participant C (unknown: the session stopped), but the participant gave up
    pairs = [(10.0, "touchpoint/search/start"), (39.0, "task/1/fail"),
             (40.0, "touchpoint/search/end")]  # fmt: skip
    assert task_success(protocol.touchpoint("search"), _seg(protocol, pairs), 1) == TaskOutcome(
        False, gave_up_s=39.0
    )
    # the touchpoint tables read the position from the protocol
    t = session_tables(
        Fixations.empty(), _seg(protocol, pairs), None, SCREEN, protocol,
        participant="E", session_id="e", detector="ivt",
    )  # fmt: skip
    assert [(r["touchpoint_id"], r["success"]) for r in t.touchpoints] == [("search", 0)]


@pytest.mark.parametrize(
    ("marker", "problem"),
    [
        ("task/1/fail", None),
        ("task/cart/success", None),  # the cart's success: {marker: ...}, not malformed
        ("task/4/fail", "malformed marker 'task/4/fail' at t=12.000 s: expected task/<n>/start, "
         "task/<n>/end or task/<n>/fail with n = 1..3"),
        ("task/search/done", "malformed marker 'task/search/done'"),
    ],
)  # fmt: skip
def test_task_markers_checked(protocol: Protocol, marker: str, problem: str | None) -> None:
    s = _seg(protocol, [(10.0, "touchpoint/search/start"), (12.0, marker),
                        (20.0, "touchpoint/search/end")])  # fmt: skip
    problems = [p for p in s.problems if "no visit" not in p]
    if problem is None:
        assert problems == []
    else:
        assert len(problems) == 1 and problems[0].startswith(problem)


def test_wilson_bounds_are_exact_at_none_and_all() -> None:
    for n in (1, 3, 8, 40):
        assert wilson_interval(0, n)[0] == 0.0  # type: ignore[index]
        assert wilson_interval(n, n)[1] == 1.0  # type: ignore[index]


def test_several_screens_markers_sent_together_leave_no_gap(tmp_path: Path) -> None:
    """A several-screen touchpoint whose first screen marker comes a few µs after its start
    (markers sent at once) has no unnamed stretch to report; 1 ms or more is reported."""
    text = PROTOCOL.replace(
        """             aois: [{id: add, role: content, shape: rect, coords: [0, 0, 100, 100]}]}
""",
        """             aois: [{id: add, role: content, shape: rect, coords: [0, 0, 100, 100]}]}
          - {id: sizes, page: {width_px: 1000, height_px: 800}, viewport: {width_px: 1000, height_px: 800}}
""",
    )
    path = tmp_path / "two.yaml"
    path.write_text(text, encoding="utf-8")
    proto = load_protocol(path)
    for gap_s, reported in ((2e-6, False), (0.0009, False), (0.002, True), (0.5, True)):
        s = _seg(proto, [(10.0, "touchpoint/product/start"), (10.0 + gap_s, "screen/product"),
                         (12.0, "screen/sizes"), (20.0, "touchpoint/product/end")])  # fmt: skip
        problems = [p for p in s.problems if "no visit" not in p]
        assert bool(problems) is reported, (gap_s, problems)


def test_low_task_success_example_says_when_the_participant_gave_up(protocol: Protocol) -> None:
    gave_up = [(10.0, "touchpoint/search/start"), (39.0, "task/1/fail"),
               (40.0, "touchpoint/search/end")]  # fmt: skip
    no_click = [(10.0, "touchpoint/product/start"), (20.0, "touchpoint/product/end")]
    tps = []
    for p, pairs in (("E", gave_up), ("A", SESSIONS["A"]), ("F", no_click)):
        tps += session_tables(
            Fixations.empty(), _seg(protocol, pairs), None, SCREEN, protocol,
            participant=p, session_id=p, detector="ivt",
        ).touchpoints  # fmt: skip
    low = {
        r["touchpoint_id"]: r
        for r in friction_evidence([], tps, protocol)
        if r["rule_id"] == "low-task-success"
    }
    # search 1 of 2 (E gave up 29 s after the start), product 1 of 2 (F never clicked)
    assert low["search"]["examples"] == [
        {"participant": "E", "t_rel_s": 29.0, "time_s": 39.0,
         "note": "gave up at 29.0 s (task/1/fail); did not achieve the task"},
    ]  # fmt: skip
    assert low["product"]["examples"][0]["note"] == (
        "did not achieve the task; last left the touchpoint at 10.0 s"
    )
