"""load_protocol: every validation error path, the shipped protocols and the template."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO

from gazemap.errors import ProtocolError
from gazemap.protocol import (
    AOI_ROLES,
    AOI_SHAPES,
    FrictionThresholds,
    load_protocol,
    protocol_template,
)

PROTOCOLS = REPO / "protocols"


def _valid() -> dict[str, Any]:
    return {
        "protocol": {"id": "p", "name": "P", "screen": {"width_px": 1440, "height_px": 900}},
        "stages": [
            {
                "id": "s1",
                "name": "Stage 1",
                "touchpoints": [
                    {
                        "id": "t1",
                        "name": "TP 1",
                        "channel": "site",
                        "task": "Do it",
                        "screens": [
                            {
                                "id": "sc1",
                                "page": {"width_px": 1440, "height_px": 2000},
                                "viewport": {"width_px": 1440, "height_px": 900},
                                "aois": [
                                    {
                                        "id": "a",
                                        "role": "target",
                                        "shape": "rect",
                                        "coords": [10, 10, 100, 50],
                                    },
                                    {
                                        "id": "b",
                                        "role": "cta",
                                        "shape": "ellipse",
                                        "coords": [500, 500, 40, 20],
                                    },
                                    {
                                        "id": "c",
                                        "role": "content",
                                        "shape": "polygon",
                                        "coords": [[0, 0], [100, 0], [50, 80]],
                                    },
                                ],
                            }
                        ],
                    },
                    {
                        "id": "t2",
                        "name": "TP 2",
                        "channel": "e-mail",
                        "screens": [
                            {
                                "id": "sc2",
                                "page": {"width_px": 800, "height_px": 600},
                                "viewport": {"width_px": 800, "height_px": 600},
                            }
                        ],
                    },
                ],
            }
        ],
    }


def _write(tmp_path: Path, doc: object, name: str = "p.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def _problems(path: Path) -> list[str]:
    with pytest.raises(ProtocolError) as info:
        load_protocol(path)
    problems = info.value.problems  # type: ignore[attr-defined]
    assert str(info.value).count("\n") == (len(problems) if len(problems) > 1 else 0)
    return problems


AOI0 = "stages[0].touchpoints[0].screens[0].aois[0]"
SC0 = "stages[0].touchpoints[0].screens[0]"
TP0 = "stages[0].touchpoints[0]"


def _aoi(**kw: object) -> Callable[[dict[str, Any]], None]:
    def mutate(d: dict[str, Any]) -> None:
        a = d["stages"][0]["touchpoints"][0]["screens"][0]["aois"][0]
        for k, v in kw.items():
            if v is _DEL:
                a.pop(k, None)
            else:
                a[k] = v

    return mutate


_DEL = object()


def _set(path: str, value: object) -> Callable[[dict[str, Any]], None]:
    """Set a value at a dotted path with [i] indexes (value _DEL deletes the key)."""

    def mutate(d: dict[str, Any]) -> None:
        parts = path.replace("[", ".[").split(".")
        obj: Any = d
        for p in parts[:-1]:
            obj = obj[int(p[1:-1])] if p.startswith("[") else obj[p]
        last = parts[-1]
        if value is _DEL:
            del obj[last]
        elif last.startswith("["):
            obj[int(last[1:-1])] = value
        else:
            obj[last] = value

    return mutate


# (case id, mutation, place expected in the line, words expected in the message)
CASES: list[tuple[str, Callable[[dict[str, Any]], None], str, list[str]]] = [
    ("unknown-top-key", _set("stagez", []), ": stagez:", ["unknown key 'stagez'", "stages"]),
    (
        "missing-protocol",
        _set("protocol", _DEL),
        ": (top level):",
        ["missing required key 'protocol'"],
    ),
    ("protocol-not-mapping", _set("protocol", "x"), ": protocol:", ["must be a mapping"]),
    ("missing-name", _set("protocol.name", _DEL), ": protocol:", ["missing required key 'name'"]),
    ("empty-name", _set("protocol.name", " "), ": protocol.name:", ["non-empty text"]),
    (
        "id-number",
        _set("protocol.id", 12),
        ": protocol.id:",
        ["must be text", 'quote it: id: "12"'],
    ),
    ("id-chars", _set(f"{TP0}.id", "a/b"), f": {TP0}.id:", ["letters, digits", "marker"]),
    (
        "screen-size-bad",
        _set("protocol.screen.width_px", -3),
        ": protocol.screen.width_px:",
        ["must be > 0", "-3"],
    ),
    ("missing-stages", _set("stages", _DEL), ": (top level):", ["missing required key 'stages'"]),
    ("stages-not-list", _set("stages", {"a": 1}), ": stages:", ["must be a list"]),
    ("stages-empty", _set("stages", []), ": stages:", ["is empty"]),
    ("stage-not-mapping", _set("stages[0]", "shop"), ": stages[0]:", ["a stage must be a mapping"]),
    (
        "dup-stage",
        lambda d: d["stages"].append(copy.deepcopy(d["stages"][0]) | {"touchpoints": []}),
        ": stages[1].id:",
        ["duplicate stage id 's1'", "first used at stages[0]"],
    ),
    (
        "dup-touchpoint",
        _set("stages[0].touchpoints[1].id", "t1"),
        ": stages[0].touchpoints[1].id:",
        ["duplicate touchpoint id 't1'", "make it unique"],
    ),
    (
        "dup-screen",
        _set("stages[0].touchpoints[1].screens[0].id", "sc1"),
        ": stages[0].touchpoints[1].screens[0].id:",
        ["duplicate screen id 'sc1'"],
    ),
    ("dup-aoi", _set(f"{SC0}.aois[1].id", "a"), f": {SC0}.aois[1].id:", ["duplicate AOI id 'a'"]),
    (
        "channel",
        _set(f"{TP0}.channel", "web"),
        f": {TP0}.channel:",
        ["unknown channel 'web'", "site"],
    ),
    (
        "missing-channel",
        _set(f"{TP0}.channel", _DEL),
        f": {TP0}:",
        ["missing required key 'channel'"],
    ),
    (
        "screens-missing",
        _set(f"{TP0}.screens", _DEL),
        f": {TP0}:",
        ["missing required key 'screens'"],
    ),
    ("page-missing", _set(f"{SC0}.page", _DEL), f": {SC0}:", ["missing required key 'page'"]),
    (
        "page-zero",
        _set(f"{SC0}.page.height_px", 0),
        f": {SC0}.page.height_px:",
        ["must be > 0, got 0"],
    ),
    (
        "page-fraction",
        _set(f"{SC0}.page.width_px", 10.5),
        f": {SC0}.page.width_px:",
        ["whole number of pixels"],
    ),
    (
        "page-size-key",
        _set(f"{SC0}.page.height_px", _DEL),
        f": {SC0}.page:",
        ["missing required key 'height_px'"],
    ),
    (
        "viewport-x-negative",
        _set(f"{SC0}.viewport.x_px", -1),
        f": {SC0}.viewport.x_px:",
        ["must be >= 0"],
    ),
    (
        "viewport-off-screen",
        _set(f"{SC0}.viewport.y_px", 100),
        f": {SC0}.viewport:",
        ["does not fit on the screen", "1440 x 900"],
    ),
    (
        "screenshot-missing",
        _set(f"{SC0}.screenshot", "shots/none.png"),
        f": {SC0}.screenshot:",
        ["'shots/none.png' not found", "relative to the protocol file"],
    ),
    ("url-not-text", _set(f"{SC0}.url", 5), f": {SC0}.url:", ["non-empty text"]),
    ("aois-not-list", _set(f"{SC0}.aois", {"a": 1}), f": {SC0}.aois:", ["must be a list"]),
    (
        "aoi-not-mapping",
        _set(f"{SC0}.aois[0]", "button"),
        f": {AOI0}:",
        ["an AOI must be a mapping"],
    ),
    ("role", _aoi(role="button"), f": {AOI0}.role:", ["unknown role 'button'", "target, cta"]),
    ("missing-role", _aoi(role=_DEL), f": {AOI0}:", ["missing required key 'role'"]),
    (
        "shape",
        _aoi(shape="circle"),
        f": {AOI0}.shape:",
        ["unknown shape 'circle'", "rect, polygon, ellipse"],
    ),
    ("missing-shape", _aoi(shape=_DEL), f": {AOI0}:", ["missing required key 'shape'"]),
    ("fixed-not-bool", _aoi(fixed="yes please"), f": {AOI0}.fixed:", ["true or false"]),
    (
        "coords-missing",
        _aoi(coords=_DEL),
        f": {AOI0}:",
        ["missing required key 'coords'", "x, y, width, height"],
    ),
    ("coords-and-keys", _aoi(x=1), f": {AOI0}:", ["either coords or x, y, width, height"]),
    ("rect-keys-partial", _aoi(coords=_DEL, x=1, y=2), f": {AOI0}:", ["missing width, height"]),
    ("coords-not-list", _aoi(coords="1 2 3 4"), f": {AOI0}.coords:", ["list of numbers"]),
    (
        "coords-text",
        _aoi(coords=[1, 2, "three", 4]),
        f": {AOI0}.coords:",
        ["all be numbers", "'three'"],
    ),
    ("rect-count", _aoi(coords=[1, 2, 3]), f": {AOI0}.coords:", ["rect needs 4 numbers", "got 3"]),
    ("rect-size", _aoi(coords=[1, 2, 0, 5]), f": {AOI0}.coords:", ["width and height must be > 0"]),
    (
        "ellipse-count",
        _aoi(shape="ellipse", coords=[1, 2, 3, 4, 5]),
        f": {AOI0}.coords:",
        ["ellipse needs 4 numbers [cx, cy, rx, ry]"],
    ),
    (
        "polygon-2-points",
        _aoi(shape="polygon", coords=[[1, 2], [3, 4]]),
        f": {AOI0}:",
        ["polygon needs at least 3 points, got 2"],
    ),
    (
        "polygon-odd",
        _aoi(shape="polygon", coords=[1, 2, 3, 4, 5, 6, 7]),
        f": {AOI0}.coords:",
        ["odd count of 7"],
    ),
    (
        "polygon-bad-point",
        _aoi(shape="polygon", coords=[[1, 2, 3], [3, 4], [5, 6]]),
        f": {AOI0}.coords:",
        ["a point must be [x, y]"],
    ),
    (
        "aoi-outside-page",
        _aoi(coords=[1400, 10, 100, 50]),
        f": {AOI0}:",
        ["outside its page", "x 1400..1500", "1440 x 2000"],
    ),
    (
        "fixed-outside-viewport",
        _aoi(coords=[10, 1000, 100, 50], fixed=True),
        f": {AOI0}:",
        ["outside its viewport", "fixed AOIs are in viewport px"],
    ),
    ("thresholds-not-mapping", _set("thresholds", [1]), ": thresholds:", ["must be a mapping"]),
    (
        "threshold-unknown",
        _set("thresholds", {"ttff_lat_s": 3}),
        ": thresholds.ttff_lat_s:",
        ["unknown threshold 'ttff_lat_s'", "ttff_late_s", "revisits"],
    ),
    (
        "threshold-text",
        _set("thresholds", {"ttff_late_s": "5 s"}),
        ": thresholds.ttff_late_s:",
        ["must be a number"],
    ),
    (
        "threshold-int",
        _set("thresholds", {"revisits": 2.5}),
        ": thresholds.revisits:",
        ["whole number, got 2.5"],
    ),
    (
        "threshold-positive",
        _set("thresholds", {"ttff_late_s": 0}),
        ": thresholds.ttff_late_s:",
        ["must be > 0"],
    ),
    (
        "threshold-share",
        _set("thresholds", {"not_seen_share": 30}),
        ": thresholds.not_seen_share:",
        ["in (0, 1]", "0.3"],
    ),
    (
        "threshold-extra-map",
        _set("thresholds", {"extra": 3}),
        ": thresholds.extra:",
        ["must be a mapping"],
    ),
    (
        "threshold-extra-num",
        _set("thresholds", {"extra": {"k": "x"}}),
        ": thresholds.extra.k:",
        ["must be a number"],
    ),
]


@pytest.mark.parametrize(("case", "mutate", "place", "words"), CASES, ids=[c[0] for c in CASES])
def test_each_problem_names_place_and_fix(
    tmp_path: Path,
    case: str,
    mutate: Callable[[dict[str, Any]], None],
    place: str,
    words: list[str],
) -> None:
    doc = _valid()
    mutate(doc)
    path = _write(tmp_path, doc)
    problems = _problems(path)
    hits = [p for p in problems if place in p]
    assert hits, f"no problem at {place!r}: {problems}"
    assert all(p.startswith(f"{path}: ") for p in problems)
    assert any(all(w in p for w in words) for p in hits), hits


def test_valid_document_loads(tmp_path: Path) -> None:
    p = load_protocol(_write(tmp_path, _valid()))
    assert [tp.id for tp in p.touchpoints] == ["t1", "t2"]
    assert p.touchpoints[0].screens[0].aois[2].coords == (0.0, 0.0, 100.0, 0.0, 50.0, 80.0)
    assert p.touchpoints[1].task == ""
    assert p.screen_width_px == 1440
    assert p.path == (tmp_path / "p.yaml").resolve()


def test_alternative_keys_and_extension_keys(tmp_path: Path) -> None:
    doc = _valid()
    doc["x-notes"] = "ignored"
    doc["stages"][0]["touchpoints"][0]["screens"][0]["aois"] = [
        {
            "id": "r",
            "role": "cta",
            "shape": "rect",
            "x": 1,
            "y": 2,
            "width": 3,
            "height": 4,
            "x-owner": "me",
        },
        {"id": "e", "role": "content", "shape": "ellipse", "cx": 50, "cy": 60, "rx": 5, "ry": 6},
        {"id": "p", "role": "distractor", "shape": "polygon", "points": [1, 1, 9, 1, 5, 5]},
    ]
    doc["thresholds"] = {"revisits": 4, "extra": {"mine": 2}}
    p = load_protocol(_write(tmp_path, doc))
    aois = p.touchpoints[0].screens[0].aois
    assert [a.coords for a in aois] == [(1, 2, 3, 4), (50, 60, 5, 6), (1, 1, 9, 1, 5, 5)]
    assert p.thresholds.revisits == 4 and p.thresholds.extra == {"mine": 2.0}


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    doc = _valid()
    for mutate in (
        _set(f"{TP0}.channel", "web"),
        _aoi(role="button"),
        _set("thresholds", {"foo": 1}),
        _set("stages[0].touchpoints[1].screens[0].page.width_px", -1),
    ):
        mutate(doc)
    problems = _problems(_write(tmp_path, doc))
    assert len(problems) == 4
    err = pytest.raises(ProtocolError, load_protocol, tmp_path / "p.yaml").value
    assert str(err).splitlines()[0].endswith("4 problems in the protocol:")


def test_problems_carry_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    text = yaml.safe_dump(_valid(), sort_keys=False).replace("channel: site", "channel: web")
    path.write_text(text)
    line = next(i for i, s in enumerate(text.splitlines(), 1) if "channel: web" in s)
    (problem,) = _problems(path)
    assert problem.endswith(f"(line {line})")


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("protocol:\n  id: x\n  name: [unclosed\nstages: []\n")
    (problem,) = _problems(path)
    assert "YAML syntax error at line" in problem and "indentation" in problem


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("# nothing yet\n")
    (problem,) = _problems(path)
    assert "the file is empty" in problem and "gazemap protocol new" in problem


def test_top_level_not_mapping(tmp_path: Path) -> None:
    (problem,) = _problems(_write(tmp_path, ["a", "b"]))
    assert "(top level): the file must be a mapping" in problem


def test_missing_file(tmp_path: Path) -> None:
    (problem,) = _problems(tmp_path / "nope.yaml")
    assert "no such file" in problem and "gazemap protocol new" in problem


def test_folder_is_not_a_protocol(tmp_path: Path) -> None:
    (problem,) = _problems(tmp_path)
    assert "is a folder" in problem


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("protocol: {id: x, name: caf\xe9}\n".encode("latin-1"))
    (problem,) = _problems(path)
    assert "cannot read it as UTF-8" in problem


def test_screenshot_found_relative_to_protocol(tmp_path: Path) -> None:
    (tmp_path / "shots").mkdir()
    (tmp_path / "shots" / "a.png").write_bytes(b"\x89PNG")
    doc = _valid()
    _set(f"{SC0}.screenshot", "shots/a.png")(doc)
    p = load_protocol(_write(tmp_path, doc))
    sc = p.touchpoints[0].screens[0]
    assert p.screenshot_path(sc) == tmp_path.resolve() / "shots" / "a.png"


# -- shipped protocols and the template ------------------------------------------------


@pytest.mark.parametrize("name", ["online-store.yaml", "bank-loan.yaml"])
def test_shipped_protocols_load(name: str) -> None:
    p = load_protocol(PROTOCOLS / name)
    assert len(p.stages) >= 3
    for sc in p.screens.values():
        shot = p.screenshot_path(sc)
        assert shot is not None and shot.is_file()
        assert sc.url and sc.aois
        for a in sc.aois:
            x0, y0, x1, y1 = a.bbox
            w, h = (
                (sc.viewport_width_px, sc.viewport_height_px)
                if a.fixed
                else (sc.page_width_px, sc.page_height_px)
            )
            assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h
    roles = {a.role for sc in p.screens.values() for a in sc.aois}
    assert roles == set(AOI_ROLES)


def test_online_store_is_the_journey_the_sample_needs() -> None:
    p = load_protocol(PROTOCOLS / "online-store.yaml")
    assert p.id == "online-store"
    assert len(p.touchpoints) >= 6 and all(len(tp.screens) == 1 for tp in p.touchpoints)
    aois = [a for sc in p.screens.values() for a in sc.aois]
    assert {a.shape for a in aois} == set(AOI_SHAPES)
    assert any(a.fixed for a in aois)
    assert sum(sc.scrolls for sc in p.screens.values()) >= 4
    assert max(sc.page_height_px for sc in p.screens.values()) >= 3000
    # every screen has something to click at the end of its task
    assert all(any(a.role in ("cta", "target") for a in sc.aois) for sc in p.screens.values())


def test_template_validates(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(protocol_template())
    p = load_protocol(path)
    assert p.id == "my-study"
    assert {a.shape for sc in p.screens.values() for a in sc.aois} == set(AOI_SHAPES)
    assert p.thresholds.ttff_late_s == 5.0
    assert p.thresholds.revisits == FrictionThresholds().revisits
    assert protocol_template().count("\n#") + protocol_template().count("  # ") > 5  # commented
