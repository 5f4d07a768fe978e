"""simulate_session's argument checks, as `gazemap simulate` and `gazemap stream simulated`
hit them: every message names the real command-line option, and a rate, length or start time
that would fill the memory (rate 1e9 was killed by the kernel) or lose the sample spacing
(start 1e300 gave one sample) is refused before anything is computed."""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path

import pytest
from conftest import gazemap_cmd

from gazemap.cli import build_parser
from gazemap.drivers.simulated import add_arguments
from gazemap.errors import InputError
from gazemap.simulation import simulate_session
from gazemap.types import ScreenGeometry

SCREEN = ScreenGeometry(1440, 900, 432.0, 270.0, 650.0)


def _options(command: str) -> set[str]:
    """Long options of `gazemap simulate` or of the driver of `gazemap stream simulated`."""
    if command == "simulate":
        sub = next(a for a in build_parser()._actions if a.dest == "command")
        p = sub.choices["simulate"]  # type: ignore[index]
    else:
        p = argparse.ArgumentParser()
        add_arguments(p)
    return {s for a in p._actions for s in a.option_strings if s.startswith("--")}


@pytest.mark.parametrize(
    ("kw", "words"),
    [
        ({"rate_hz": 1e9, "duration_s": 1.0}, "rate_hz must be > 0 and <= 10000, got 1000000000.0"),
        ({"rate_hz": 0.0}, "rate_hz must be > 0 and <= 10000"),
        ({"duration_s": 1e12}, "1e+12 s at 1000 Hz is 1e+15 samples; at most 10,800,000"),
        ({"start_time_s": float("nan"), "duration_s": 2.0}, "start_time_s must be within"),
        ({"start_time_s": 1e300, "duration_s": 2.0}, "start_time_s must be within"),
        ({"data_loss_rate": 2.0}, "data_loss_rate must be in [0, 1)"),
        ({"accuracy_offset_deg": float("inf")}, "accuracy_offset_deg must be >= 0"),
        ({"precision_deg": -1.0}, "precision_deg must be >= 0"),
    ],
)
def test_bad_argument_is_refused_naming_a_real_option(kw: dict, words: str) -> None:
    with pytest.raises(InputError) as ei:
        simulate_session(None, participant="P01", seed=0, screen=SCREEN, **kw)
    msg = str(ei.value)
    assert words in msg, msg
    option = msg.split("Fix the ")[-1].split()[0] if "Fix the " in msg else None
    if option is not None:  # the option named is one both commands really have
        assert option in _options("simulate"), option
        if option != "--start-time-s":  # the live simulator chooses its own start
            assert option in _options("stream simulated"), option
    else:
        assert "--duration-s" in msg and "--rate-hz" in msg


def test_the_real_command_refuses_a_rate_that_would_fill_the_memory(tmp_path: Path) -> None:
    out = tmp_path / "x.h5"
    res = subprocess.run(
        [*gazemap_cmd(), "simulate", "--out", str(out), "--rate-hz", "1e9", "--duration-s", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert res.returncode == 2, res.stderr
    assert res.stderr.strip().splitlines() == [
        "gazemap simulate: error: simulate_session: rate_hz must be > 0 and <= 10000, got "
        "1000000000.0. Fix the --rate-hz option."
    ]
    assert not out.exists()
