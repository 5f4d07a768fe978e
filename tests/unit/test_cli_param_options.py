"""--param NAME=VALUE as a researcher mistypes it: given twice with two values (the last won
silently), or without '=' (the example given was a parameter the default detector lacks)."""

from __future__ import annotations

import pytest

from gazemap.cli import main
from gazemap.cli._common import parse_params
from gazemap.errors import InputError
from gazemap.events import DETECTORS, detector_defaults


def test_a_parameter_given_twice_with_two_values_is_refused() -> None:
    with pytest.raises(InputError) as ei:
        parse_params(["max_gap_s=0.1", "max_gap_s=0.2"])
    assert str(ei.value) == "--param max_gap_s is given twice (0.1 and 0.2); give it once."
    assert parse_params(["max_gap_s=0.1", "max_gap_s=0.1"]) == {"max_gap_s": "0.1"}


def test_the_example_in_the_message_works_for_every_detector(capsys) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError) as ei:
        parse_params(["novalue"])
    example = str(ei.value).split("(e.g. --param ")[1].rstrip(").")
    name = example.split("=")[0]
    assert all(name in detector_defaults(d) for d in DETECTORS), name


def test_detect_command_refuses_a_repeated_param(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    rc = main(
        ["detect", str(tmp_path / "x.h5"), "--param", "max_gap_s=0.1", "--param", "max_gap_s=0.2"]
    )
    assert rc == 2
    assert "given twice" in capsys.readouterr().err
