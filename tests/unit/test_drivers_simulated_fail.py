"""The simulated tracker's --fail/--fail-rate/--after-fail without LSL: the session it would
publish is the one simulate_session (and so `gazemap simulate`) makes with the same options;
the shared option helpers of gazemap.cli._common."""

from __future__ import annotations

import argparse

import numpy as np
import pytest
from conftest import REPO

from gazemap.cli._common import add_fail_arguments, fail_options, fail_summary
from gazemap.drivers import simulated
from gazemap.errors import InputError
from gazemap.protocol import load_protocol
from gazemap.simulation import simulate_session

STORE = REPO / "protocols" / "online-store.yaml"


def _args(*argv: str) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    simulated.add_arguments(p)
    return p.parse_args(list(argv))


@pytest.fixture(scope="module")
def store():  # type: ignore[no-untyped-def]
    return load_protocol(STORE)


def test_fail_option_defaults() -> None:
    a = _args()
    assert (a.fail, a.fail_rate, a.after_fail) == ([], 0.0, None)
    assert fail_options(a, None) == {
        "fail_touchpoints": (),
        "fail_rate": 0.0,
        "after_fail": "continue",
    }


def test_fail_options_pass_through(store) -> None:  # type: ignore[no-untyped-def]
    a = _args(
        "--fail", "search", "--fail", "cart", "--fail-rate", "0.25", "--after-fail", "abandon"
    )
    assert fail_options(a, store) == {
        "fail_touchpoints": ("search", "cart"),
        "fail_rate": 0.25,
        "after_fail": "abandon",
    }


def test_after_fail_without_protocol_is_refused() -> None:
    with pytest.raises(InputError, match=r"^--after-fail continue needs a protocol: .*--protocol"):
        fail_options(_args("--after-fail", "continue"), None)
    # with --fail the simulator's own message says that a protocol is needed
    opts = fail_options(_args("--fail", "search", "--after-fail", "abandon"), None)
    with pytest.raises(InputError, match=r"^--fail/--fail-rate need a protocol"):
        simulate_session(None, participant="P1", seed=0, screen=simulated.DEFAULT_SCREEN, **opts)


def test_simulate_and_stream_share_the_options() -> None:
    """`gazemap simulate` and `gazemap stream simulated` parse the three options alike."""
    from gazemap.cli import build_parser

    argv = ["--fail", "home", "--fail-rate", "0.1", "--after-fail", "abandon"]
    file_args = build_parser().parse_args(["simulate", "--out", "x.h5", *argv])
    live_args = _args(*argv)
    for name in ("fail", "fail_rate", "after_fail"):
        assert getattr(file_args, name) == getattr(live_args, name)


def test_fail_summary() -> None:
    assert fail_summary((), "abandon") == ""
    assert fail_summary(("search",), "continue") == "; failed search"
    assert fail_summary(("search", "cart"), "abandon") == (
        "; failed search, cart and abandoned the journey"
    )


def test_published_session_is_the_simulated_one(store) -> None:  # type: ignore[no-untyped-def]
    """The session the driver publishes equals simulate_session's with the same options."""
    a = _args(
        "--protocol", str(STORE), "--participant", "P3", "--seed", "5", "--rate-hz", "60",
        "--fail", "search",
    )  # fmt: skip
    screen = simulated._screen(a, store)
    segs = list(simulated._segments(a, store, screen))
    assert len(segs) == 1
    live = segs[0]
    ref = simulate_session(
        store, participant="P3", seed=5, screen=screen, rate_hz=60.0, fail_touchpoints=["search"]
    )
    assert live.failed_touchpoints == ref.failed_touchpoints == ("search",)
    assert list(live.markers.value) == list(ref.markers.value)
    np.testing.assert_array_equal(live.markers.time_s, ref.markers.time_s)
    np.testing.assert_array_equal(live.gaze.x_px, ref.gaze.x_px)
    values = list(live.markers.value)
    i = values.index("task/2/fail")
    assert values.index("task/2/start") < i < values.index("task/2/end")
    # continue: the journey goes on after the failed task
    assert "touchpoint/order-email/end" in values
    assert live.params["after_fail"] == "continue"
    assert simulated._fail_plan(live) == ", fails search"


def test_fail_rate_and_abandon_reach_the_session(store) -> None:  # type: ignore[no-untyped-def]
    a = _args(
        "--protocol", str(STORE), "--participant", "P3", "--seed", "5", "--rate-hz", "60",
        "--fail-rate", "1", "--after-fail", "abandon",
    )  # fmt: skip
    live = next(simulated._segments(a, store, simulated._screen(a, store)))
    # every task with a criterion fails; abandoning at the first one ends the journey there
    assert live.failed_touchpoints == ("home",)
    values = list(live.markers.value)
    assert values[-1] == "touchpoint/home/end" and "task/1/fail" in values
    assert simulated._fail_plan(live) == ", fails home and abandons the journey"


def test_without_failing_nothing_changes(store) -> None:  # type: ignore[no-untyped-def]
    a = _args("--protocol", str(STORE), "--participant", "P3", "--seed", "5", "--rate-hz", "60")
    live = next(simulated._segments(a, store, simulated._screen(a, store)))
    assert live.failed_touchpoints == () and "after_fail" not in live.params
    assert not any(str(v).endswith("/fail") for v in live.markers.value)
    assert simulated._fail_plan(live) == ""


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["--fail", "search"], r"^--fail/--fail-rate need a protocol"),
        (["--fail-rate", "0.3"], r"^--fail/--fail-rate need a protocol"),
        (["--after-fail", "abandon"], r"^--after-fail abandon needs a protocol"),
        (["--protocol", str(STORE), "--fail", "basket"], r"has no touchpoint 'basket'"),
        (["--protocol", str(STORE), "--fail", "confirmation"], r"has no success: criterion"),
        (["--protocol", str(STORE), "--fail-rate", "2"], r"fail_rate must be in \[0, 1\]"),
    ],
)
def test_first_segment_refuses_bad_options(argv: list[str], match: str) -> None:
    """run() draws the first segment before any outlet exists: a bad option stops it there
    (endless free viewing, without --duration-s, included)."""
    a = _args("--rate-hz", "50", *argv)
    protocol = load_protocol(a.protocol) if a.protocol else None
    segments = simulated._segments(a, protocol, simulated._screen(a, protocol))
    with pytest.raises(InputError, match=match):
        next(segments)


def test_add_fail_arguments_on_a_bare_parser() -> None:
    p = argparse.ArgumentParser()
    add_fail_arguments(p)
    a = p.parse_args(["--fail", "a", "--fail", "b"])
    assert a.fail == ["a", "b"] and a.after_fail is None


def test_documented_stream_simulated_commands_parse() -> None:
    """The driver's own options on every `gazemap stream simulated` line of README.md and
    docs/*.md parse (the gazemap parser passes them on unread), --fail ones included."""
    import contextlib
    import io
    import shlex

    from unit.test_docs_commands_parse import documented_commands

    lines = [
        (doc, c) for doc, c in documented_commands() if c.startswith("gazemap stream simulated")
    ]
    assert {doc for doc, _ in lines} >= {"README.md", "drivers.md", "simulator.md"}
    with_fail = 0
    for doc, command in lines:
        err = io.StringIO()
        try:
            with contextlib.redirect_stderr(err):
                a = _args(*shlex.split(command)[3:])
        except SystemExit:
            pytest.fail(f"{doc}: `{command}` does not parse: {err.getvalue().strip()}")
        with_fail += bool(a.fail)
    assert with_fail >= 2  # drivers.md and simulator.md show a live failing participant
