"""Protocol sizes a typo makes huge: an integer too large for a float was a TypeError
traceback in `protocol check`, and a page 10**8 px tall passed the check and then made
`gazemap heatmap` run out of memory (killed). Both are now problems naming the field."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from gazemap.cli import main
from gazemap.errors import ProtocolError
from gazemap.protocol import MAX_SIZE_PX, load_protocol

SC0 = "stages[0].touchpoints[0].screens[0]"


def _valid() -> dict[str, Any]:
    aoi = {"id": "a", "name": "A", "role": "cta", "shape": "rect", "coords": [0, 0, 100, 50]}
    screen = {
        "id": "sc",
        "name": "Sc",
        "page": {"width_px": 1440, "height_px": 2000},
        "viewport": {"width_px": 1440, "height_px": 900},
    }
    tp = {"id": "t1", "name": "TP", "channel": "site", "screens": [{**screen, "aois": [aoi]}]}
    return {
        "protocol": {"id": "p", "name": "P", "screen": {"width_px": 1440, "height_px": 900}},
        "stages": [{"id": "s1", "name": "S", "touchpoints": [tp]}],
    }


def _set(field: str, value: object) -> Callable[[dict[str, Any]], None]:
    def mutate(d: dict[str, Any]) -> None:
        obj: Any = d
        parts = field.replace("[", ".[").split(".")
        for part in parts[:-1]:
            obj = obj[int(part[1:-1])] if part.startswith("[") else obj[part]
        obj[parts[-1]] = value

    return mutate


def _write(tmp_path: Path, doc: object) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def _problems(path: Path) -> list[str]:
    with pytest.raises(ProtocolError) as info:
        load_protocol(path)
    return list(info.value.problems)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("protocol.screen.width_px", 10**30, "width_px must be a whole number of pixels"),
        ("protocol.screen.width_px", 10**400, "width_px must be a whole number of pixels"),
        (
            f"{SC0}.page.height_px",
            100_000_000,
            "height_px must be at most 100,000 px, got 100,000,000",
        ),
        ("protocol.screen.height_px", 10**6, "height_px must be at most 100,000 px"),
    ],
)
def test_huge_size_is_a_problem_naming_the_field(
    tmp_path: Path, field: str, value: int, words: str
) -> None:
    doc = _valid()
    _set(field, value)(doc)
    path = _write(tmp_path, doc)
    problems = _problems(path)
    hits = [p for p in problems if f": {field}" in p]
    assert hits and any(words in p for p in hits), problems


def test_the_largest_size_still_loads(tmp_path: Path) -> None:
    doc = _valid()
    _set(f"{SC0}.page.height_px", MAX_SIZE_PX)(doc)
    p = load_protocol(_write(tmp_path, doc))
    assert p.touchpoints[0].screens[0].page_height_px == MAX_SIZE_PX


def test_protocol_check_on_a_huge_integer_is_exit_2(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    doc = _valid()
    _set("protocol.screen.width_px", 10**30)(doc)
    assert main(["protocol", "check", str(_write(tmp_path, doc))]) == 2
    assert "width_px must be a whole number of pixels" in capsys.readouterr().err
