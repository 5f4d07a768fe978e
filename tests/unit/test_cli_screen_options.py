"""The one set of screen-geometry options (cli._common.add_screen_arguments) in every command."""

from __future__ import annotations

import argparse
import dataclasses

import pytest

from gazemap.cli import _common, build_parser
from gazemap.cli._common import (
    DEFAULT_SCREEN,
    add_screen_arguments,
    screen_from_args,
    screen_options,
)
from gazemap.drivers import _common as drivers_common
from gazemap.drivers import load_driver, simulated
from gazemap.errors import InputError
from gazemap.types import ScreenGeometry

ALL = [
    "--screen-width-px", "1280", "--screen-height-px", "1024", "--screen-width-mm", "376",
    "--screen-height-mm", "301", "--distance-mm", "600",
]  # fmt: skip
GIVEN = ScreenGeometry(1280, 1024, 376.0, 301.0, 600.0)


def _parser(**kw: object) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser()
    add_screen_arguments(p, **kw)  # type: ignore[arg-type]
    return p


def test_help_names_source_and_default() -> None:
    p = _parser(defaults={"width_px": 1920, "width_mm": "width px x 0.3 mm"}, source="the stream")
    text = p.format_help()
    assert "--screen-width-px PX" in text and "--distance-mm MM" in text
    helps = {a.dest: a.help for a in p._actions}
    assert helps["screen_width_px"] == "screen width in pixels (default: the stream, else 1920 px)"
    assert helps["screen_width_mm"] == (
        "physical width of the screen's image area (default: the stream, else width px x 0.3 mm)"
    )
    assert helps["distance_mm"] == "eye-screen distance (default: the stream)"
    assert _parser().parse_args([]).distance_mm is None
    assert _parser().parse_args([]).screen_height_px is None


def test_fields_subset_values_and_existing_options_kept() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--distance-mm", type=float, default=1.5, help="mine")
    add_screen_arguments(p, fields=("width_px", "distance_mm"), values={"width_px": 800})
    args = p.parse_args([])
    assert args.screen_width_px == 800 and args.distance_mm == 1.5
    assert not hasattr(args, "screen_height_px")


def test_screen_from_args_order_of_sources() -> None:
    p = _parser()
    args = p.parse_args(["--screen-width-px", "1280", "--distance-mm", "700"])
    profile = {"width_px": 1000, "height_px": 700, "width_mm": 400}
    s = screen_from_args(args, None, profile, DEFAULT_SCREEN)
    # option, profile, profile, default, option
    assert s == ScreenGeometry(1280, 700, 400.0, 299.0, 700.0)
    s = screen_from_args(args, {"height_px": 800}, {"width_px": 1, "height_px": 2}, mm_per_px=0.25)
    assert s == ScreenGeometry(1280, 800, 320.0, 200.0, 700.0)
    assert screen_from_args(p.parse_args(ALL), DEFAULT_SCREEN) == GIVEN
    # a ScreenGeometry serves as a fallback too
    assert screen_from_args(p.parse_args([]), GIVEN) == GIVEN


def test_screen_from_args_errors() -> None:
    args = _parser().parse_args([])
    with pytest.raises(InputError, match=r"screen width_mm must be a number, got 'wide'\. "
                       r"Fix --screen-width-mm or the profile"):  # fmt: skip
        screen_from_args(args, {"width_mm": "wide"}, DEFAULT_SCREEN, where="the profile")
    with pytest.raises(InputError, match="no screen height_px: pass --screen-height-px"):
        screen_from_args(args, {"width_px": 10, "width_mm": 1, "height_mm": 1, "distance_mm": 1})


def test_shared_default_screen_is_the_recorders_and_the_importers() -> None:
    from gazemap.acquisition.recorder import DEFAULT_SCREEN as RECORDER
    from gazemap.importers._common import DEFAULT_SCREEN_MM

    assert dataclasses.asdict(RECORDER) == DEFAULT_SCREEN
    assert {k: DEFAULT_SCREEN[k] for k in DEFAULT_SCREEN_MM} == DEFAULT_SCREEN_MM
    assert dataclasses.asdict(simulated.DEFAULT_SCREEN) == DEFAULT_SCREEN
    assert drivers_common.DEFAULT_SCREEN == DEFAULT_SCREEN


@pytest.mark.parametrize(
    "argv",
    [
        ["record", "--out", "x.h5"],
        ["simulate", "--out", "x.h5"],
        ["import", "eyelink_asc", "x.asc", "--out", "x.h5"],
    ],
)
def test_commands_accept_every_screen_option(argv: list[str]) -> None:
    args = build_parser().parse_args([*argv, *ALL])
    assert screen_options(args) == {
        "screen_width_px": 1280, "screen_height_px": 1024, "screen_width_mm": 376.0,
        "screen_height_mm": 301.0, "distance_mm": 600.0,
    }  # fmt: skip
    assert screen_from_args(args) == GIVEN


def test_present_accepts_the_pixel_options_only() -> None:
    p = build_parser()
    args = p.parse_args(["present", "proto.yaml", "--participant", "P1", *ALL[:4]])
    assert (args.screen_width_px, args.screen_height_px) == (1280, 1024)
    with pytest.raises(SystemExit):
        p.parse_args(["present", "proto.yaml", "--participant", "P1", "--distance-mm", "600"])


def test_simulate_defaults_and_protocol_screen() -> None:
    from gazemap.cli.simulate import _screen

    p = build_parser()
    args = p.parse_args(["simulate", "--out", "x.h5"])
    assert _screen(args, None) == ScreenGeometry(1440, 900, 432.0, 270.0, 650.0)
    proto = argparse.Namespace(screen_width_px=1000, screen_height_px=500)
    assert _screen(args, proto) == ScreenGeometry(1000, 500, 300.0, 150.0, 650.0)
    assert _screen(p.parse_args(["simulate", "--out", "x.h5", *ALL]), proto) == GIVEN


@pytest.mark.parametrize("driver", ["simulated", "gazepoint", "tobii", "eyelink", "pupil_core"])
def test_stream_drivers_accept_and_apply_every_screen_option(driver: str) -> None:
    module = load_driver(driver)
    p = argparse.ArgumentParser()
    module.add_arguments(p)
    args = p.parse_args(ALL)
    if driver == "simulated":
        assert simulated._screen(args, None) == GIVEN
        proto = argparse.Namespace(screen_width_px=1440, screen_height_px=900)
        # the protocol's px without mm: px x 0.3 mm (square pixels), as `gazemap simulate`
        s = simulated._screen(p.parse_args([]), proto)
        assert (s.width_px, s.height_px, s.distance_mm) == (1440, 900, 650.0)
        assert (s.width_mm, s.height_mm) == (pytest.approx(432.0), pytest.approx(270.0))
    else:
        assert drivers_common.screen_from(args, {"screen": {"width_px": 1}}) == GIVEN
        # the profile's screen, then the defaults
        s = drivers_common.screen_from(p.parse_args([]), {"screen": {"width_px": 1600}})
        assert s == ScreenGeometry(1600, 1080, 531.0, 299.0, 650.0)


def test_driver_profile_screen_errors() -> None:
    args = argparse.Namespace()
    with pytest.raises(InputError, match="'screen' must be a mapping"):
        drivers_common.screen_from(args, {"screen": [1, 2]})
    with pytest.raises(InputError, match="Fix --distance-mm or the profile"):
        drivers_common.screen_from(args, {"screen": {"distance_mm": "far"}})


def test_refuse_existing(tmp_path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "a.h5"
    f.write_text("x")
    with pytest.raises(InputError, match="already exists; refusing to overwrite it. Choose"):
        _common.refuse_existing(f, False)
    _common.refuse_existing(f, True)
    with pytest.raises(InputError, match="folder .* does not exist"):
        _common.refuse_existing(tmp_path / "no" / "a.h5", True)
    # a folder where a file is expected: named as such, even with --force
    with pytest.raises(InputError, match="is a folder; give a file name inside it"):
        _common.refuse_existing(tmp_path, True)


def test_plural() -> None:
    assert [_common.plural(n, "stage") for n in (0, 1, 2)] == ["0 stages", "1 stage", "2 stages"]
