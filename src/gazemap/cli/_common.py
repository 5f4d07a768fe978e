"""Helpers shared by several CLI modules (and the drivers' option parsers)."""

from __future__ import annotations

import argparse
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from gazemap.errors import InputError
from gazemap.types import ScreenGeometry


def parse_params(pairs: list[str] | None) -> dict[str, object]:
    """``--param NAME=VALUE`` options -> {NAME: VALUE (str)}; the library converts types."""
    out: dict[str, object] = {}
    for p in pairs or []:
        key, sep, value = p.partition("=")
        if not sep or not key.strip():
            raise InputError(
                # max_gap_s: a parameter every detector has (preprocessing)
                f"--param takes NAME=VALUE, got {p!r} (e.g. --param max_gap_s=0.1)."
            )
        name = key.strip()
        if name in out and out[name] != value.strip():
            # argparse keeps both; silently using the last would hide a typo in the first
            raise InputError(
                f"--param {name} is given twice ({out[name]} and {value.strip()}); give it once."
            )
        out[name] = value.strip()
    return out


def plural(n: int, word: str) -> str:
    """``n word`` with an English plural s when n != 1 ("1 stage", "2 stages")."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def refuse_existing(path: Any, force: bool, *, hint: str = "Choose another path") -> None:
    """Refuse to write ``path`` when it is a folder, exists (without ``force``) or its folder
    is missing."""
    p = Path(path)
    if p.is_dir():
        raise InputError(f"{p} is a folder; give a file name inside it, e.g. {p / 'P01.h5'}.")
    if p.exists() and not force:
        raise InputError(f"{p} already exists; refusing to overwrite it. {hint} or pass --force.")
    if not p.parent.exists():
        raise InputError(f"cannot write {p}: folder {p.parent} does not exist. Create it first.")


# ---------------------------------------------------------------------------------------
# Screen geometry options
# ---------------------------------------------------------------------------------------
#: ScreenGeometry fields, in the order of the options
SCREEN_FIELDS: tuple[str, ...] = ("width_px", "height_px", "width_mm", "height_mm", "distance_mm")

#: the screen used when nothing else gives one: a 24" 1080p monitor at 65 cm (the recorder's
#: acquisition.recorder.DEFAULT_SCREEN, the drivers', and the importers' default)
DEFAULT_SCREEN: dict[str, float] = {
    "width_px": 1920,
    "height_px": 1080,
    "width_mm": 531.0,
    "height_mm": 299.0,
    "distance_mm": 650.0,
}

#: field -> (type, metavar, what it is)
_SCREEN_OPTIONS: dict[str, tuple[type, str, str]] = {
    "width_px": (int, "PX", "screen width in pixels"),
    "height_px": (int, "PX", "screen height in pixels"),
    "width_mm": (float, "MM", "physical width of the screen's image area"),
    "height_mm": (float, "MM", "physical height of the screen's image area"),
    "distance_mm": (float, "MM", "eye-screen distance"),
}


def screen_dest(name: str) -> str:
    """The argparse destination of a screen field: ``width_px`` -> ``screen_width_px``
    (``distance_mm`` stays ``distance_mm``)."""
    return name if name == "distance_mm" else f"screen_{name}"


def screen_flag(name: str) -> str:
    """The option of a screen field: ``width_px`` -> ``--screen-width-px``."""
    return "--" + screen_dest(name).replace("_", "-")


def add_screen_arguments(
    parser: argparse.ArgumentParser,
    defaults: Mapping[str, object] | None = None,
    *,
    source: str | Mapping[str, str] | None = None,
    fields: Sequence[str] = SCREEN_FIELDS,
    values: Mapping[str, float] | None = None,
) -> None:
    """Add ``--screen-width-px --screen-height-px --screen-width-mm --screen-height-mm
    --distance-mm`` (or the ``fields`` named) to ``parser``.

    Parameters
    ----------
    parser : the command's parser; an option it already defines is left as it is.
    defaults : per field, what is used when neither the option nor ``source`` gives a value:
        a number (``1920``) or a text (``"width px x 0.3 mm"``); only for the help text.
    source : where the value comes from before ``defaults`` (``"the Gaze stream"``), for
        every field, or per field as a mapping; only for the help text.
    fields : which of :data:`SCREEN_FIELDS` to add.
    values : argparse defaults per field (default None: "not given", which the command
        resolves with :func:`screen_from_args`).
    """
    defaults = defaults or {}
    values = values or {}
    for name in fields:
        typ, metavar, what = _SCREEN_OPTIONS[name]
        flag = screen_flag(name)
        if flag in parser._option_string_actions:
            continue
        src = source.get(name) if isinstance(source, Mapping) else source
        fallback = defaults.get(name)
        if isinstance(fallback, int | float):
            unit = name.rsplit("_", 1)[1]
            fallback = f"{fallback:g} {unit}"
        default_text = ", else ".join(str(t) for t in (src, fallback) if t)
        parser.add_argument(
            flag,
            dest=screen_dest(name),
            type=typ,
            default=values.get(name),
            metavar=metavar,
            help=f"{what} (default: {default_text})" if default_text else what,
        )


def screen_options(args: argparse.Namespace) -> dict[str, Any]:
    """The screen options as given, keyed by destination (``screen_width_px`` ...);
    None where not given."""
    return {screen_dest(k): getattr(args, screen_dest(k), None) for k in SCREEN_FIELDS}


def screen_from_args(
    args: argparse.Namespace,
    *fallbacks: Mapping[str, Any] | ScreenGeometry | None,
    mm_per_px: float | None = None,
    where: str = "the options",
) -> ScreenGeometry:
    """The screen geometry from the options, then each fallback mapping in turn.

    Parameters
    ----------
    args : parsed options of :func:`add_screen_arguments`.
    *fallbacks : mappings keyed by :data:`SCREEN_FIELDS` (a device profile's ``screen:``,
        the protocol's screen size, built-in defaults) or ScreenGeometry objects; None or a
        missing/None key is skipped.
    mm_per_px : if given, a width/height in mm that nothing gives is the pixel count times
        this pitch.
    where : named in the error for a value that is not a number (e.g. ``"the device profile"``).

    Raises
    ------
    InputError
        a value that is not a number, or a field nothing gives.
    """
    values: dict[str, float] = {}
    for name in SCREEN_FIELDS:
        v = getattr(args, screen_dest(name), None)
        for fb in fallbacks:
            if v is not None:
                break
            if isinstance(fb, Mapping):
                v = fb.get(name)
            elif fb is not None:
                v = getattr(fb, name)
        if v is None and mm_per_px is not None and name in ("width_mm", "height_mm"):
            v = values[name.replace("_mm", "_px")] * mm_per_px
        if v is None:
            raise InputError(f"no screen {name}: pass {screen_flag(name)}.")
        try:
            values[name] = float(v)
        except (TypeError, ValueError) as exc:
            raise InputError(
                f"screen {name} must be a number, got {v!r}. Fix {screen_flag(name)} or {where}."
            ) from exc
        # NaN/inf/1e308 px were tracebacks (int() of them, or an int too big for NumPy)
        top = 100_000.0 if name.endswith("_px") else 1e6
        if not (math.isfinite(values[name]) and 0 < values[name] <= top):
            raise InputError(
                f"screen {name} must be a finite number > 0 and <= {top:g}, got {v!r}. Fix "
                f"{screen_flag(name)} or {where}."
            )
    return ScreenGeometry(
        width_px=int(values["width_px"]),
        height_px=int(values["height_px"]),
        width_mm=values["width_mm"],
        height_mm=values["height_mm"],
        distance_mm=values["distance_mm"],
    )


def protocol_screen(protocol: Any) -> dict[str, Any] | None:
    """A protocol's ``screen:`` size as a fallback mapping for :func:`screen_from_args`."""
    if protocol is None:
        return None
    return {
        "width_px": getattr(protocol, "screen_width_px", None),
        "height_px": getattr(protocol, "screen_height_px", None),
    }


# ---------------------------------------------------------------------------------------
# Detector options
# ---------------------------------------------------------------------------------------
def add_detector_arguments(parser: argparse.ArgumentParser, *, imported: bool = False) -> None:
    """``--detector NAME`` and ``--param NAME=VALUE`` (repeatable).

    ``imported``: the command also reads the events an importer stored (``--detector
    eyelink_asc``), not only gazemap's own detectors.
    """
    from gazemap.events import DEFAULT_DETECTOR, DETECTORS

    names = ", ".join(sorted(DETECTORS))
    more = (
        "; or the name of events stored by `gazemap import` (eyelink_asc, tobii_tsv, "
        "pupil_csv, lund_mn, ...: see docs/analysis.md)"
        if imported
        else ""
    )
    parser.add_argument(
        "--detector", default=None, help=f"one of {names} (default {DEFAULT_DETECTOR}){more}"
    )
    parser.add_argument(
        "--param", action="append", metavar="NAME=VALUE", help="detector parameter; repeatable"
    )


def detector_choice(
    args: argparse.Namespace, *, imported: bool = False
) -> tuple[str, dict[str, object]]:
    """(detector name, parameters) of ``--detector``/``--param``, checked before any work.

    Raises
    ------
    InputError
        an unknown detector or parameter; with ``imported``, ``--param`` beside imported
        events; without it, the name of imported events (they are not detected).
    """
    from gazemap.events import DEFAULT_DETECTOR, DETECTORS
    from gazemap.store.derived import full_params, is_imported_name

    name = args.detector or DEFAULT_DETECTOR
    params = parse_params(args.param)
    if name not in DETECTORS and is_imported_name(name):
        if not imported:
            raise InputError(
                f"{name!r} names events stored by `gazemap import`, which are not detected "
                f"again; use one of gazemap's detectors ({', '.join(sorted(DETECTORS))}), or "
                f"`gazemap analyze STUDY --detector {name}` to analyse with the imported events."
            )
        if params:
            raise InputError(
                f"--param does not apply to {name!r}: imported events are used as the source "
                "made them. Drop --param, or use one of gazemap's detectors (--detector ivt_pso)."
            )
        return name, params
    try:
        full_params(name, params)  # unknown detector / parameter -> one-line error
    except InputError as exc:
        if imported and name not in DETECTORS:
            raise InputError(
                f"{exc} Events stored by `gazemap import` are named after the format "
                "they were imported from (eyelink_asc, tobii_tsv, pupil_csv, lund_mn, lund_ra)."
            ) from exc
        raise
    return name, params


# ---------------------------------------------------------------------------------------
# Validation targets (`gazemap simulate`, `gazemap stream simulated`, `gazemap present`)
# ---------------------------------------------------------------------------------------
def add_validation_points_argument(parser: argparse.ArgumentParser, help_text: str) -> None:
    """``--validation-points 0|5|9``: how many validation targets are shown
    (:func:`gazemap.quality.validation_targets_px`); ``help_text`` says by whom and when."""
    parser.add_argument(
        "--validation-points", type=int, default=0, choices=(0, 5, 9), metavar="N", help=help_text
    )


# ---------------------------------------------------------------------------------------
# Failing tasks (the simulated participant: `gazemap simulate`, `gazemap stream simulated`)
# ---------------------------------------------------------------------------------------
def add_fail_arguments(parser: argparse.ArgumentParser) -> None:
    """``--fail TOUCHPOINT`` (repeatable), ``--fail-rate P`` and ``--after-fail
    continue|abandon``: a simulated participant who fails tasks (docs/simulator.md,
    "Failing a task"). Resolve them with :func:`fail_options`."""
    from gazemap.simulation import AFTER_FAIL

    parser.add_argument(
        "--fail",
        metavar="TOUCHPOINT",
        action="append",
        default=[],
        help="the participant fails this touchpoint's task: searches longer, never finds the "
        "target, clicks nothing, gives up (marker task/<n>/fail); repeatable",
    )
    parser.add_argument(
        "--fail-rate",
        type=float,
        default=0.0,
        metavar="P",
        help="each touchpoint with a success criterion is failed with probability P "
        "(deterministic for --participant and --seed; default 0)",
    )
    parser.add_argument(
        "--after-fail",
        choices=AFTER_FAIL,
        default=None,
        help="after a failed task: continue with the next task (the moderator moves the "
        "participant on; default) or abandon the rest of the journey (the session ends)",
    )


def fail_options(args: argparse.Namespace, protocol: object | None) -> dict[str, Any]:
    """The options of :func:`add_fail_arguments` as keyword arguments of
    gazemap.simulation.simulate_session (``fail_touchpoints``, ``fail_rate``,
    ``after_fail``), which checks the touchpoints and the rate.

    Raises
    ------
    InputError
        ``--after-fail`` alone without a protocol (with ``--fail``/``--fail-rate``
        simulate_session says that they need one).
    """
    fail = tuple(getattr(args, "fail", None) or ())
    fail_rate = getattr(args, "fail_rate", 0.0)
    after_fail = getattr(args, "after_fail", None)
    if protocol is None and after_fail is not None and not fail and fail_rate == 0.0:
        raise InputError(
            f"--after-fail {after_fail} needs a protocol: without one the participant views "
            "freely and has no tasks to fail. Add --protocol FILE (and --fail TOUCHPOINT or "
            "--fail-rate P), or drop --after-fail."
        )
    return {
        "fail_touchpoints": fail,
        "fail_rate": fail_rate,
        "after_fail": after_fail or "continue",
    }


def fail_summary(failed: Sequence[str], after_fail: str) -> str:
    """``"; failed search, cart"`` (plus ``" and abandoned the journey"``) for a simulated
    participant who failed those touchpoints' tasks; ``""`` when none failed."""
    if not failed:
        return ""
    return f"; failed {', '.join(failed)}" + (
        " and abandoned the journey" if after_fail == "abandon" else ""
    )
