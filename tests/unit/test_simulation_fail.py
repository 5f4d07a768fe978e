"""Simulated participants who fail a task (--fail / --fail-rate / --after-fail): what they do,
what the analysis makes of it, determinism, and every error."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import REPO

from gazemap.errors import InputError
from gazemap.journey import segment_touchpoints, task_success
from gazemap.protocol import Protocol, load_protocol
from gazemap.simulation import SimulatedSession, simulate_session
from gazemap.types import Markers, ScreenGeometry

SCREEN = ScreenGeometry(1440, 900, 432.0, 270.0, 650.0)


@pytest.fixture(scope="module")
def store() -> Protocol:
    return load_protocol(REPO / "protocols" / "online-store.yaml")


def sim(protocol: Protocol | None, participant: str = "P04", **kw: object) -> SimulatedSession:
    return simulate_session(
        protocol,
        participant=participant,
        seed=104,
        screen=SCREEN,
        rate_hz=120.0,
        **kw,  # type: ignore[arg-type]
    )


def markers(s: SimulatedSession) -> list[tuple[float, str]]:
    return [(float(t), str(v)) for t, v in zip(s.markers.time_s, s.markers.value, strict=True)]


def within(s: SimulatedSession, tp: str) -> list[str]:
    values = [v for _, v in markers(s)]
    return values[values.index(f"touchpoint/{tp}/start") : values.index(f"touchpoint/{tp}/end")]


def outcomes(s: SimulatedSession, protocol: Protocol) -> dict[str, bool | None]:
    seg = segment_touchpoints(s.markers, protocol)
    assert seg.problems == () or all("no visit" in p for p in seg.problems), seg.problems
    return {
        tp.id: task_success(tp, seg, n).success
        for n, tp in enumerate(protocol.touchpoints, start=1)
    }


def test_without_failures_the_session_is_unchanged(store: Protocol) -> None:
    """fail_rate draws from its own random stream: a participant who fails nothing is the
    same session as before the option existed (the shipped sample stays comparable)."""
    a = sim(store)
    b = sim(store, fail_rate=0.0, after_fail="abandon")
    assert np.array_equal(a.gaze.x_px, b.gaze.x_px, equal_nan=True)
    assert markers(a) == markers(b) and a.failed_touchpoints == ()
    assert "failed_touchpoints" not in a.params


def test_a_failed_search_searches_longer_clicks_nothing_and_goes_on(store: Protocol) -> None:
    ok = sim(store)
    bad = sim(store, fail_touchpoints=["search"])
    assert bad.failed_touchpoints == ("search",)
    assert bad.params["failed_touchpoints"] == "search" and bad.params["after_fail"] == "continue"
    # the home page is the same: the failure starts on the search page
    assert within(ok, "home") == within(bad, "home")
    assert "click/result-trail-runner" in within(ok, "search")
    search = within(bad, "search")
    assert not any(v.startswith("click/") for v in search)
    assert "task/2/fail" in search  # the give-up, inside the touchpoint (task 2 = search)

    # searched longer: > 1.5x the successful participant's time on the search page
    def duration(s: SimulatedSession, tp: str) -> float:
        t = dict((v, tt) for tt, v in markers(s))
        return t[f"touchpoint/{tp}/end"] - t[f"touchpoint/{tp}/start"]

    assert duration(bad, "search") > 1.5 * duration(ok, "search")
    on = bad.truth_touchpoint == "search"
    aimed = bad.truth_aoi[on]
    assert np.count_nonzero(aimed == "result-trail-runner") <= 1  # at most one late glance
    others = np.count_nonzero((aimed != "") & (aimed != "result-trail-runner"))
    ok_on = ok.truth_touchpoint == "search"
    assert others > np.count_nonzero(
        (ok.truth_aoi[ok_on] != "") & (ok.truth_aoi[ok_on] != "result-trail-runner")
    )
    # the moderator moves them on: the rest of the journey is done and achieved
    assert [v for _, v in markers(bad) if v.endswith("/end") and v.startswith("touchpoint/")] == [
        f"touchpoint/{tp.id}/end" for tp in store.touchpoints
    ]
    got = outcomes(bad, store)
    assert got["search"] is False
    assert got == {**outcomes(ok, store), "search": False}
    assert got["product"] is True and got["confirmation"] is None


def test_deterministic_under_the_seed(store: Protocol) -> None:
    a = sim(store, fail_touchpoints=["cart"])
    b = sim(store, fail_touchpoints=["cart"])
    assert markers(a) == markers(b)
    assert np.array_equal(a.gaze.x_px, b.gaze.x_px, equal_nan=True)


def test_a_screen_criterion_fails_although_the_next_page_follows(store: Protocol) -> None:
    # product succeeds on screen 'cart', which the next touchpoint shows: only the give-up
    # marker tells the analysis that the moderator, not the participant, got there
    s = sim(store, fail_touchpoints=["product"])
    assert "touchpoint/cart/start" in [v for _, v in markers(s)]
    assert "click/add-to-cart" not in within(s, "product")
    assert outcomes(s, store)["product"] is False
    assert outcomes(s, store)["cart"] is True


def test_abandon_ends_the_journey(store: Protocol) -> None:
    s = sim(store, fail_touchpoints=["product"], after_fail="abandon")
    values = [v for _, v in markers(s)]
    assert values[-1] == "touchpoint/product/end" and "task/3/fail" in values
    assert not any(v.startswith("touchpoint/cart") for v in values)
    seg = segment_touchpoints(s.markers, store)
    # the touchpoints after the abandoned task are not marker problems (the data is fine:
    # the participant gave up the journey) but notes saying why they have no visit
    assert seg.problems == ()
    t_fail = dict((v, t) for t, v in markers(s))["task/3/fail"]
    assert [n for n in seg.notes if "not reached" in n] == [
        f"touchpoint {t!r} not reached: the participant gave up task 3 at t={t_fail:.3f} s "
        "(task/3/fail) and the session ended there"
        for t in ("cart", "checkout", "confirmation", "order-email")
    ]
    # with the moderator moving the participant on, a missing later touchpoint is a problem
    values_cut = [(t, v) for t, v in markers(s) if v != "task/3/fail"]
    cut = Markers(np.array([t for t, _ in values_cut]), np.array([v for _, v in values_cut]))
    assert len(segment_touchpoints(cut, store).problems) == 4
    got = outcomes(s, store)
    # failed, not unknown: the give-up marker says the session did not just stop
    assert got["home"] is True and got["search"] is True and got["product"] is False
    assert got["cart"] is None and got["order-email"] is None
    assert s.params["after_fail"] == "abandon"
    # a longer session continues with free viewing after the abandoned journey
    longer = sim(store, fail_touchpoints=["product"], after_fail="abandon", duration_s=200.0)
    assert longer.duration_s == pytest.approx(200.0, abs=0.02)
    assert [v for _, v in markers(longer)] == values


def test_fail_rate(store: Protocol) -> None:
    everything = sim(store, fail_rate=1.0)
    with_criterion = tuple(tp.id for tp in store.touchpoints if tp.success is not None)
    assert everything.failed_touchpoints == with_criterion  # confirmation has no criterion
    assert set(outcomes(everything, store).values()) == {False, None}
    fails = [v for _, v in markers(everything) if v.endswith("/fail")]
    assert len(fails) == len(with_criterion)
    # about half of 6 touchpoints x 40 participants, the same draw every time
    failed = [sim(store, participant=f"Q{i}", fail_rate=0.5).failed_touchpoints for i in range(40)]
    share = sum(map(len, failed)) / (40 * len(with_criterion))
    assert 0.35 < share < 0.65
    assert failed[:5] == [
        sim(store, participant=f"Q{i}", fail_rate=0.5).failed_touchpoints for i in range(5)
    ]
    # --fail and --fail-rate add up
    assert "cart" in sim(store, fail_touchpoints=["cart"], fail_rate=0.0).failed_touchpoints


def _two_screens(tmp_path: Path, success: dict[str, str]) -> Protocol:
    doc = {
        "protocol": {"id": "wiz", "name": "Wizard"},
        "stages": [
            {
                "id": "s",
                "name": "S",
                "touchpoints": [
                    {
                        "id": "form",
                        "name": "Form",
                        "channel": "app",
                        "success": success,
                        "screens": [
                            {"id": "step1", "page": {"width_px": 1440, "height_px": 1800},
                             "viewport": {"width_px": 1440, "height_px": 900},
                             "aois": [
                                 {"id": "field", "role": "target", "shape": "rect", "coords": [100, 1200, 600, 200]},
                                 {"id": "next", "role": "cta", "shape": "rect", "coords": [900, 1500, 200, 60]},
                                 {"id": "ad", "role": "distractor", "shape": "rect", "coords": [0, 100, 1440, 300]}]},
                            {"id": "step2", "page": {"width_px": 1440, "height_px": 900},
                             "viewport": {"width_px": 1440, "height_px": 900},
                             "aois": [{"id": "send", "role": "cta", "shape": "rect", "coords": [600, 400, 200, 60]}]},
                        ],
                    },
                    {
                        "id": "thanks",
                        "name": "Thanks",
                        "channel": "app",
                        "success": {"marker": "task/thanks/done"},
                        "screens": [{"id": "thanks", "page": {"width_px": 1440, "height_px": 900},
                                     "viewport": {"width_px": 1440, "height_px": 900}}],
                    },
                ],
            }
        ],
    }  # fmt: skip
    path = tmp_path / "wiz.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return load_protocol(path)


@pytest.mark.parametrize(
    ("success", "gives_up_on", "shown"),
    [
        ({"click": "next"}, "step1", ["screen/step1"]),  # the screen with the success click
        ({"screen": "step2"}, "step1", ["screen/step1"]),  # the screen before the success screen
        ({"click": "send"}, "step2", ["screen/step1", "click/next", "screen/step2"]),
    ],
)
def test_several_screens_give_up_where_the_task_fails(
    tmp_path: Path, success: dict[str, str], gives_up_on: str, shown: list[str]
) -> None:
    proto = _two_screens(tmp_path, success)
    s = sim(proto, participant="W", fail_touchpoints=["form"])
    form = within(s, "form")
    assert [v for v in form if v.startswith(("screen/", "click/"))] == shown
    assert set(s.truth_screen[s.truth_touchpoint == "form"]) == {gives_up_on}.union(
        {"step1"} if gives_up_on == "step2" else set()
    )
    assert outcomes(s, proto)["form"] is False
    # the next touchpoint's marker criterion: the simulator sends it when the task succeeds
    assert "task/thanks/done" in within(s, "thanks")
    assert outcomes(s, proto)["thanks"] is True
    assert segment_touchpoints(s.markers, proto).problems == ()
    s = sim(proto, participant="W", fail_touchpoints=["thanks"])
    assert "task/thanks/done" not in [v for _, v in markers(s)]
    assert outcomes(s, proto) == {"form": True, "thanks": False}


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        (
            {"fail_touchpoints": ["basket"]},
            "--fail basket: protocol 'online-store' has no touchpoint 'basket'; name one of "
            "home, search, product, cart, checkout, confirmation, order-email.",
        ),
        (
            {"fail_touchpoints": ["confirmation"]},
            "--fail confirmation: touchpoint 'confirmation' of protocol 'online-store' has no "
            "success: criterion, so the analysis could not tell a failure from a success; add "
            "one (docs/protocols.md, 'Task success') or fail one of home, search, product, "
            "cart, checkout, order-email.",
        ),
        ({"fail_rate": 1.5}, "fail_rate must be in [0, 1], got 1.5. Fix --fail-rate."),
        ({"fail_rate": -0.1}, "fail_rate must be in [0, 1], got -0.1. Fix --fail-rate."),
        ({"fail_rate": math.nan}, "fail_rate must be in [0, 1], got nan. Fix --fail-rate."),
        (
            {"after_fail": "retry"},
            "after_fail must be one of continue, abandon, got 'retry'. Fix --after-fail.",
        ),
    ],
)
def test_errors(store: Protocol, kw: dict[str, object], message: str) -> None:
    with pytest.raises(InputError) as e:
        sim(store, **kw)
    assert message in str(e.value)


@pytest.mark.parametrize("kw", [{"fail_touchpoints": ["search"]}, {"fail_rate": 0.2}])
def test_failing_needs_a_protocol(kw: dict[str, object]) -> None:
    with pytest.raises(InputError, match=r"--fail/--fail-rate need a protocol.*--protocol FILE"):
        sim(None, **kw)


def test_no_criterion_anywhere_is_named(tmp_path: Path) -> None:
    doc = yaml.safe_load((REPO / "protocols" / "bank-loan.yaml").read_text())
    doc.pop("thresholds", None)
    for st in doc["stages"]:
        for tp in st["touchpoints"]:
            tp.pop("success", None)
            for sc in tp["screens"]:
                sc.pop("screenshot", None)
    path = tmp_path / "bank.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    proto = load_protocol(path)
    tp = proto.touchpoints[0].id
    with pytest.raises(InputError, match=r"or fail one of \(none: no touchpoint has one\)"):
        sim(proto, fail_touchpoints=[tp])
    # a rate fails nothing there (no task can be seen to fail)
    assert sim(proto, fail_rate=1.0).failed_touchpoints == ()


def test_failed_touchpoints_are_the_ones_reached(store: Protocol) -> None:
    """With abandon only the first drawn failure happens; a session cut before the failing
    touchpoint fails nothing: failed_touchpoints and the file's attribute say what happened."""
    s = sim(store, fail_rate=1.0, after_fail="abandon")
    assert s.failed_touchpoints == ("home",)
    assert s.params["failed_touchpoints"] == "home"
    assert [v for _, v in markers(s) if v.endswith("/fail")] == ["task/1/fail"]
    cut = sim(store, fail_touchpoints=["order-email"], duration_s=30.0)
    assert cut.failed_touchpoints == () and cut.params["failed_touchpoints"] == ""


def test_a_give_up_on_a_touchpoint_without_criterion_is_noted(store: Protocol) -> None:
    # the moderator's key works on every task, but a touchpoint without success: cannot
    # count it: the session's notes say so instead of dropping it silently
    n = [tp.id for tp in store.touchpoints].index("confirmation") + 1
    assert store.touchpoint("confirmation").success is None
    ms = markers(sim(store))
    start = next(t for t, v in ms if v == "touchpoint/confirmation/start")
    ms = sorted([*ms, (start + 1.0, f"task/{n}/fail")])
    seg = segment_touchpoints(
        Markers(np.array([t for t, _ in ms]), np.array([v for _, v in ms])), store
    )
    assert seg.problems == ()
    assert [x for x in seg.notes if "given up" in x] == [
        f"task {n} ('confirmation') given up at t={start + 1.0:.3f} s (task/{n}/fail), but "
        "touchpoint 'confirmation' has no success: criterion in the protocol, so its task "
        "success stays unknown; add one to count it (docs/protocols.md, 'Task success')"
    ]
    assert task_success(store.touchpoint("confirmation"), seg, n).success is None
