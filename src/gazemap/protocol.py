"""Study protocol: journey -> stages -> touchpoints -> screens -> AOIs (design.md).

The objects below are the in-memory form every stage of gazemap uses. ``load_protocol``
reads a YAML file with ``yaml.safe_load`` and validates it completely, reporting every
problem at once with its place in the file.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import yaml

from gazemap.errors import ProtocolError

AOI_ROLES = ("target", "cta", "navigation", "content", "distractor")
AOI_SHAPES = ("rect", "polygon", "ellipse")
CHANNELS = ("site", "app", "e-mail", "store", "phone", "print", "other")


@dataclass(frozen=True, slots=True)
class AOI:
    """An area of interest on a screen, in page px (origin top-left of the full page).

    ``coords``: rect -> (x, y, width, height); ellipse -> (cx, cy, rx, ry);
    polygon -> flat (x0, y0, x1, y1, ...). ``fixed`` AOIs (sticky headers) stay in screen
    coordinates while the page scrolls. ``selector`` is a CSS selector the presenter
    resolves to a rect from the live DOM (coords then hold the resolved box).
    """

    id: str
    name: str
    role: str
    shape: str
    coords: tuple[float, ...]
    fixed: bool = False
    selector: str | None = None

    @property
    def points(self) -> np.ndarray:
        """Polygon vertices as an (n, 2) array (rects as their 4 corners)."""
        if self.shape == "polygon":
            return np.asarray(self.coords, dtype=np.float64).reshape(-1, 2)
        if self.shape == "rect":
            x, y, w, h = self.coords
            return np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], dtype=np.float64)
        cx, cy, rx, ry = self.coords
        t = np.linspace(0, 2 * np.pi, 64, endpoint=False)
        return np.column_stack([cx + rx * np.cos(t), cy + ry * np.sin(t)])

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """(x_min, y_min, x_max, y_max) in page px."""
        if self.shape == "rect":
            x, y, w, h = self.coords
            return (x, y, x + w, y + h)
        if self.shape == "ellipse":
            cx, cy, rx, ry = self.coords
            return (cx - rx, cy - ry, cx + rx, cy + ry)
        p = self.points
        return (
            float(p[:, 0].min()),
            float(p[:, 1].min()),
            float(p[:, 0].max()),
            float(p[:, 1].max()),
        )


@dataclass(frozen=True, slots=True)
class Screen:
    """One screen (page state) of a touchpoint, with its full-page screenshot.

    ``page_width_px``/``page_height_px``: full page size; ``viewport_width_px``/
    ``viewport_height_px``: the visible part (the browser window's content area).
    ``url``: glob or ``re:``-prefixed regex the presenter matches the live URL against.
    """

    id: str
    name: str
    screenshot: str | None
    page_width_px: int
    page_height_px: int
    viewport_width_px: int
    viewport_height_px: int
    aois: tuple[AOI, ...] = ()
    url: str | None = None
    selector: str | None = None
    #: top-left corner of the viewport on the screen, px (browser chrome offsets it)
    viewport_x_px: int = 0
    viewport_y_px: int = 0

    @property
    def scrolls(self) -> bool:
        return (
            self.page_height_px > self.viewport_height_px
            or self.page_width_px > self.viewport_width_px
        )


#: kinds of task-success criteria (``success:`` of a touchpoint)
SUCCESS_KINDS = ("screen", "click", "marker")


@dataclass(frozen=True, slots=True)
class SuccessCriterion:
    """How a touchpoint's task is known to have succeeded (docs/protocols.md, "Task success").

    ``kind``: ``"screen"`` (the participant reached the screen ``value``: its ``screen/<id>``
    marker, or the start of a touchpoint that shows it), ``"click"`` (clicked the AOI
    ``value`` during the touchpoint) or ``"marker"`` (a marker with exactly the text
    ``value``, e.g. a moderator's ``gazemap mark task/search/success``).
    """

    kind: str
    value: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.value}"


@dataclass(frozen=True, slots=True)
class Touchpoint:
    id: str
    name: str
    channel: str
    task: str
    screens: tuple[Screen, ...]
    #: how task success is known; None: the protocol does not say (success is unknown)
    success: SuccessCriterion | None = None


@dataclass(frozen=True, slots=True)
class Stage:
    id: str
    name: str
    touchpoints: tuple[Touchpoint, ...]


@dataclass(frozen=True, slots=True)
class FrictionThresholds:
    """Thresholds of the friction rules (docs/friction-rules.md gives their sources)."""

    ttff_late_s: float = 5.0
    ttff_relative: float = 2.0
    not_seen_share: float = 0.25
    fixations_before_action: int = 20
    revisits: int = 3
    mean_fixation_ms: float = 350.0
    distractor_dwell_share: float = 0.5
    data_loss_max: float = 0.2
    precision_rms_max_deg: float = 0.5
    #: accuracy measured on validation targets (the session's); 1 deg: Holmqvist et al. 2012
    #: (remote trackers in real use); AOIs smaller than ~2 x this cannot be told apart
    accuracy_max_deg: float = 1.0
    min_participants_share: float = 0.33
    #: a touchpoint's task success rate below this is a finding (Sauro & Lewis 2016: 78 % is
    #: the average completion rate of usability-test tasks)
    task_success_min: float = 0.78
    extra: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Protocol:
    id: str
    name: str
    stages: tuple[Stage, ...]
    thresholds: FrictionThresholds
    path: Path | None = None
    base_url: str | None = None
    screen_width_px: int | None = None
    screen_height_px: int | None = None

    @property
    def touchpoints(self) -> tuple[Touchpoint, ...]:
        return tuple(tp for st in self.stages for tp in st.touchpoints)

    @property
    def screens(self) -> dict[str, Screen]:
        return {sc.id: sc for tp in self.touchpoints for sc in tp.screens}

    def touchpoint(self, tp_id: str) -> Touchpoint:
        for tp in self.touchpoints:
            if tp.id == tp_id:
                return tp
        raise KeyError(tp_id)

    def stage_of(self, tp_id: str) -> Stage:
        for st in self.stages:
            if any(tp.id == tp_id for tp in st.touchpoints):
                return st
        raise KeyError(tp_id)

    def screenshot_path(self, screen: Screen) -> Path | None:
        """Absolute path of a screen's screenshot (relative to the protocol file)."""
        if screen.screenshot is None:
            return None
        p = Path(screen.screenshot)
        if not p.is_absolute() and self.path is not None:
            p = self.path.parent / p
        return p


# ---------------------------------------------------------------------------------------
# Loading and validation
# ---------------------------------------------------------------------------------------

#: ids become parts of marker values (``touchpoint/<id>/start``) and HTML element ids
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

_PROTOCOL_KEYS = ("id", "name", "base_url", "screen")
_TOP_KEYS = ("protocol", "thresholds", "stages")
_STAGE_KEYS = ("id", "name", "touchpoints")
_TP_KEYS = ("id", "name", "channel", "task", "screens", "success")
_SCREEN_KEYS = ("id", "name", "screenshot", "page", "viewport", "url", "selector", "aois")
_SIZE_KEYS = ("width_px", "height_px")
#: largest screen/page/viewport side: the longest real pages are some 10,000-50,000 px, and a
#: heatmap holds a float per page pixel (1440 x 100,000 px: 0.6 GB; 10**8 px ran out of memory)
MAX_SIZE_PX = 100_000
_VIEWPORT_KEYS = ("width_px", "height_px", "x_px", "y_px")
_AOI_KEYS = ("id", "name", "role", "shape", "coords", "fixed", "selector")
#: alternatives to ``coords`` per shape, in coords order
_SHAPE_KEYS = {
    "rect": ("x", "y", "width", "height"),
    "ellipse": ("cx", "cy", "rx", "ry"),
    "polygon": ("points",),
}
_INT_THRESHOLDS = ("fixations_before_action", "revisits")
_SHARE_THRESHOLDS = (
    "not_seen_share",
    "distractor_dwell_share",
    "data_loss_max",
    "min_participants_share",
    "task_success_min",
)


def _threshold_names() -> tuple[str, ...]:
    return tuple(f.name for f in fields(FrictionThresholds) if f.name != "extra")


class _Problems:
    """Collects every problem with its place (dotted path) and, when known, its YAML line."""

    def __init__(self, file: str, lines: dict[str, int]) -> None:
        self.file = file
        self.lines = lines
        self.items: list[str] = []

    def add(self, place: str, message: str) -> None:
        line = self.lines.get(place)
        where = place or "(top level)"
        suffix = f" (line {line})" if line else ""
        self.items.append(f"{self.file}: {where}: {message}{suffix}")


def _duplicate_keys(
    node: yaml.Node | None, place: str, out: list[tuple[str, str, int, int]]
) -> None:
    """(place, key, first line, repeated line) of every key given twice in one mapping:
    YAML keeps only the last value, so a repeated threshold or id would silently win."""
    if isinstance(node, yaml.MappingNode):
        first: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in first and key != "<<":
                out.append((place, key, first[key], line))
            first.setdefault(key, line)
            _duplicate_keys(value_node, f"{place}.{key}" if place else key, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _duplicate_keys(item, f"{place}[{i}]", out)


def _node_lines(node: yaml.Node | None, place: str, out: dict[str, int]) -> None:
    """Map each dotted place of the document to its 1-based line number."""
    if node is None:
        return
    out.setdefault(place, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = f"{place}.{key}" if place else key
            out[child] = key_node.start_mark.line + 1
            _node_lines(value_node, child, out)
            out[child] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _node_lines(item, f"{place}[{i}]", out)


def _join(place: str, key: str) -> str:
    return f"{place}.{key}" if place else key


def _is_number(v: object) -> bool:
    if not isinstance(v, int | float) or isinstance(v, bool):
        return False
    try:
        return math.isfinite(v)
    except OverflowError:  # an int too large for a float (YAML reads 10**400 as one)
        return False


class _Validator:
    def __init__(self, problems: _Problems, base_dir: Path) -> None:
        self.p = problems
        self.base_dir = base_dir
        #: (place, criterion) of ``success: {screen: ...}``, checked once every screen is known
        self.success_screens: list[tuple[str, SuccessCriterion]] = []

    # -- small checks that return a usable value or None -------------------------------
    def mapping(self, value: object, place: str, what: str) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.p.add(place, f"{what} must be a mapping (key: value lines), got {_kind(value)}")
            return None
        return value

    def keys(self, d: dict[str, Any], place: str, allowed: tuple[str, ...]) -> None:
        for k in d:
            if not isinstance(k, str) or (k not in allowed and not k.startswith("x-")):
                self.p.add(
                    _join(place, str(k)),
                    f"unknown key {k!r}; known keys here: {', '.join(allowed)} "
                    "(prefix your own keys with 'x-')",
                )

    def required(self, d: dict[str, Any], place: str, key: str) -> bool:
        if key not in d or d[key] is None:
            self.p.add(place, f"missing required key {key!r}")
            return False
        return True

    def string(
        self, d: dict[str, Any], place: str, key: str, *, required: bool = True
    ) -> str | None:
        if key not in d or d[key] is None:
            if required:
                self.p.add(place, f"missing required key {key!r}")
            return None
        v = d[key]
        if not isinstance(v, str) or not v.strip():
            self.p.add(_join(place, key), f"{key} must be a non-empty text, got {_kind(v)}")
            return None
        return v

    def ident(self, d: dict[str, Any], place: str, seen: dict[str, str], what: str) -> str | None:
        if "id" not in d or d["id"] is None:
            self.p.add(place, f"missing required key 'id' (a unique {what} id)")
            return None
        v = d["id"]
        if not isinstance(v, str):
            self.p.add(_join(place, "id"), f'id must be text, got {_kind(v)}; quote it: id: "{v}"')
            return None
        if not ID_PATTERN.match(v):
            self.p.add(
                _join(place, "id"),
                f"id {v!r} may hold only letters, digits, '_', '-' and '.', starting with a "
                "letter or digit (it becomes part of marker values and HTML ids)",
            )
            return None
        if v in seen:
            self.p.add(
                _join(place, "id"),
                f"duplicate {what} id {v!r} (first used at {seen[v]}); make it unique",
            )
            return None
        seen[v] = place
        return v

    def size(
        self, value: object, place: str, what: str, allowed: tuple[str, ...]
    ) -> dict[str, int] | None:
        d = self.mapping(value, place, what)
        if d is None:
            return None
        self.keys(d, place, allowed)
        out: dict[str, int] = {}
        for key in allowed:
            required = key in _SIZE_KEYS
            if key not in d or d[key] is None:
                if required:
                    self.p.add(place, f"missing required key {key!r}")
                continue
            v = d[key]
            if not _is_number(v) or float(v) != int(v):
                self.p.add(
                    _join(place, key), f"{key} must be a whole number of pixels, got {_kind(v)}"
                )
                continue
            if required and int(v) <= 0:
                self.p.add(_join(place, key), f"{key} must be > 0, got {int(v)}")
                continue
            if int(v) > MAX_SIZE_PX:
                self.p.add(
                    _join(place, key),
                    f"{key} must be at most {MAX_SIZE_PX:,} px, got {int(v):,}: heatmaps are "
                    "drawn at this size (a typo? a page in device pixels?)",
                )
                continue
            if not required and int(v) < 0:
                self.p.add(_join(place, key), f"{key} must be >= 0, got {int(v)}")
                continue
            out[key] = int(v)
        if any(k not in out for k in _SIZE_KEYS):
            return None
        return out

    def seq(self, d: dict[str, Any], place: str, key: str, what: str) -> list[Any]:
        if key not in d or d[key] is None:
            self.p.add(place, f"missing required key {key!r} (a list of {what})")
            return []
        v = d[key]
        if not isinstance(v, list):
            self.p.add(
                _join(place, key), f"{key} must be a list ('- ' items) of {what}, got {_kind(v)}"
            )
            return []
        if not v:
            self.p.add(_join(place, key), f"{key} is empty; give at least one of {what}")
        return v

    # -- the document ------------------------------------------------------------------
    def document(self, doc: dict[str, Any]) -> Protocol | None:
        self.keys(doc, "", _TOP_KEYS)
        ok = True
        pid = name = base_url = None
        screen_w = screen_h = None
        if self.required(doc, "", "protocol"):
            head = self.mapping(doc["protocol"], "protocol", "protocol")
            if head is not None:
                self.keys(head, "protocol", _PROTOCOL_KEYS)
                pid = self.ident(head, "protocol", {}, "protocol")
                name = self.string(head, "protocol", "name")
                base_url = self.string(head, "protocol", "base_url", required=False)
                if head.get("screen") is not None:
                    size = self.size(head["screen"], "protocol.screen", "screen", _SIZE_KEYS)
                    if size is not None:
                        screen_w, screen_h = size["width_px"], size["height_px"]
        thresholds = self.thresholds(doc.get("thresholds"))
        stages: list[Stage] = []
        seen_stage: dict[str, str] = {}
        seen_tp: dict[str, str] = {}
        seen_screen: dict[str, str] = {}
        for i, item in enumerate(self.seq(doc, "", "stages", "stages")):
            st = self.stage(
                item, f"stages[{i}]", seen_stage, seen_tp, seen_screen, screen_w, screen_h
            )
            if st is None:
                ok = False
            else:
                stages.append(st)
        screen_ids = set(seen_screen)  # every screen id, also of parts with problems
        for place, crit in self.success_screens:
            if crit.value not in screen_ids:
                self.p.add(
                    _join(place, "screen"),
                    f"success screen {crit.value!r} is not a screen of this protocol; name one of "
                    f"its screen ids ({', '.join(sorted(screen_ids))})",
                )
        if not ok or pid is None or name is None or thresholds is None or self.p.items:
            return None
        return Protocol(
            id=pid,
            name=name,
            stages=tuple(stages),
            thresholds=thresholds,
            base_url=base_url,
            screen_width_px=screen_w,
            screen_height_px=screen_h,
        )

    def thresholds(self, value: object) -> FrictionThresholds | None:
        if value is None:
            return FrictionThresholds()
        d = self.mapping(value, "thresholds", "thresholds")
        if d is None:
            return None
        known = _threshold_names()
        kwargs: dict[str, Any] = {}
        bad = False
        for key, v in d.items():
            place = _join("thresholds", str(key))
            if key == "extra":
                extra = self.mapping(v, place, "thresholds.extra")
                if extra is None:
                    bad = True
                    continue
                clean: dict[str, float] = {}
                for ek, ev in extra.items():
                    if not _is_number(ev):
                        self.p.add(_join(place, str(ek)), f"must be a number, got {_kind(ev)}")
                        bad = True
                    else:
                        clean[str(ek)] = float(ev)
                kwargs["extra"] = clean
                continue
            if key not in known:
                self.p.add(
                    place, f"unknown threshold {key!r}; known thresholds: {', '.join(known)}, extra"
                )
                bad = True
                continue
            if not _is_number(v):
                self.p.add(place, f"{key} must be a number, got {_kind(v)}")
                bad = True
                continue
            if key in _INT_THRESHOLDS and float(v) != int(v):
                self.p.add(place, f"{key} must be a whole number, got {v}")
                bad = True
                continue
            if v <= 0:
                self.p.add(place, f"{key} must be > 0, got {v}")
                bad = True
                continue
            if key in _SHARE_THRESHOLDS and v > 1:
                self.p.add(
                    place, f"{key} is a share and must be in (0, 1], got {v} (write 30% as 0.3)"
                )
                bad = True
                continue
            kwargs[key] = int(v) if key in _INT_THRESHOLDS else float(v)
        return None if bad else FrictionThresholds(**kwargs)

    def stage(
        self,
        value: object,
        place: str,
        seen_stage: dict[str, str],
        seen_tp: dict[str, str],
        seen_screen: dict[str, str],
        screen_w: int | None,
        screen_h: int | None,
    ) -> Stage | None:
        d = self.mapping(value, place, "a stage")
        if d is None:
            return None
        self.keys(d, place, _STAGE_KEYS)
        sid = self.ident(d, place, seen_stage, "stage")
        name = self.string(d, place, "name")
        tps: list[Touchpoint] = []
        ok = True
        for i, item in enumerate(self.seq(d, place, "touchpoints", "touchpoints")):
            tp = self.touchpoint(
                item, f"{place}.touchpoints[{i}]", seen_tp, seen_screen, screen_w, screen_h
            )
            if tp is None:
                ok = False
            else:
                tps.append(tp)
        if sid is None or name is None or not ok:
            return None
        return Stage(id=sid, name=name, touchpoints=tuple(tps))

    def touchpoint(
        self,
        value: object,
        place: str,
        seen_tp: dict[str, str],
        seen_screen: dict[str, str],
        screen_w: int | None,
        screen_h: int | None,
    ) -> Touchpoint | None:
        d = self.mapping(value, place, "a touchpoint")
        if d is None:
            return None
        self.keys(d, place, _TP_KEYS)
        tid = self.ident(d, place, seen_tp, "touchpoint")
        name = self.string(d, place, "name")
        channel = self.string(d, place, "channel")
        if channel is not None and channel not in CHANNELS:
            self.p.add(
                _join(place, "channel"),
                f"unknown channel {channel!r}; use one of {', '.join(CHANNELS)}",
            )
            channel = None
        task = self.string(d, place, "task", required=False) or ""
        screens: list[Screen] = []
        ok = True
        for i, item in enumerate(self.seq(d, place, "screens", "screens")):
            sc = self.screen(item, f"{place}.screens[{i}]", seen_screen, screen_w, screen_h)
            if sc is None:
                ok = False
            else:
                screens.append(sc)
        success = None
        if d.get("success") is not None:
            success = self.success(d["success"], _join(place, "success"), screens)
            if success is None:
                ok = False
        if tid is None or name is None or channel is None or not ok:
            return None
        return Touchpoint(
            id=tid, name=name, channel=channel, task=task, screens=tuple(screens), success=success
        )

    def success(self, value: object, place: str, screens: list[Screen]) -> SuccessCriterion | None:
        """``success: {screen: <id>}``, ``{click: <aoi id>}`` or ``{marker: "<text>"}``."""
        how = 'one of screen: <screen id>, click: <AOI id>, marker: "<marker text>"'
        d = self.mapping(value, place, f"success ({how})")
        if d is None:
            return None
        given = [k for k in d if not (isinstance(k, str) and k.startswith("x-"))]
        unknown = [k for k in given if k not in SUCCESS_KINDS]
        if unknown:
            self.p.add(
                _join(place, str(unknown[0])),
                f"unknown success criterion {unknown[0]!r}; give {how}",
            )
            return None
        if len(given) != 1:
            self.p.add(
                place,
                f"success needs exactly one criterion ({how}), got "
                + (", ".join(map(str, given)) if given else "none"),
            )
            return None
        kind = str(given[0])
        text = d[kind]
        if not isinstance(text, str) or not text.strip():
            self.p.add(_join(place, kind), f"{kind} must be a non-empty text, got {_kind(text)}")
            return None
        crit = SuccessCriterion(kind, text)
        if kind == "click":
            aois = [a.id for sc in screens for a in sc.aois]
            if text not in aois:
                self.p.add(
                    _join(place, kind),
                    f"success click {text!r} is not an AOI of this touchpoint's screens; clicks "
                    "are counted during the touchpoint, so name one of "
                    + (", ".join(dict.fromkeys(aois)) if aois else "its AOIs (it has none yet)"),
                )
                return None
        elif kind == "screen":
            if screens and text == screens[0].id:
                self.p.add(
                    _join(place, kind),
                    f"success screen {text!r} is the screen this touchpoint starts on, so every "
                    "participant would succeed; name the screen a successful task leads to (e.g. "
                    "the next touchpoint's)",
                )
                return None
            self.success_screens.append((place, crit))
        return crit

    def screen(
        self,
        value: object,
        place: str,
        seen_screen: dict[str, str],
        screen_w: int | None,
        screen_h: int | None,
    ) -> Screen | None:
        d = self.mapping(value, place, "a screen")
        if d is None:
            return None
        self.keys(d, place, _SCREEN_KEYS)
        sid = self.ident(d, place, seen_screen, "screen")
        name = self.string(d, place, "name", required=False) or sid
        screenshot = self.string(d, place, "screenshot", required=False)
        if screenshot is not None:
            p = Path(screenshot)
            if not p.is_absolute():
                p = self.base_dir / p
            if not p.is_file():
                self.p.add(
                    _join(place, "screenshot"),
                    f"screenshot file {screenshot!r} not found (looked for {p}); paths are relative "
                    "to the protocol file. Fix the path or remove the key",
                )
        url = self.string(d, place, "url", required=False)
        selector = self.string(d, place, "selector", required=False)
        page = viewport = None
        if self.required(d, place, "page"):
            page = self.size(d["page"], _join(place, "page"), "page", _SIZE_KEYS)
        if self.required(d, place, "viewport"):
            viewport = self.size(
                d["viewport"], _join(place, "viewport"), "viewport", _VIEWPORT_KEYS
            )
        if viewport is not None and screen_w is not None and screen_h is not None:
            vx, vy = viewport.get("x_px", 0), viewport.get("y_px", 0)
            if vx + viewport["width_px"] > screen_w or vy + viewport["height_px"] > screen_h:
                self.p.add(
                    _join(place, "viewport"),
                    f"viewport ({vx}, {vy}, {viewport['width_px']} x {viewport['height_px']} px) does not "
                    f"fit on the screen ({screen_w} x {screen_h} px, protocol.screen); make it smaller",
                )
        aois: list[AOI] = []
        seen_aoi: dict[str, str] = {}
        ok = True
        raw_aois = d.get("aois")
        if raw_aois is not None and not isinstance(raw_aois, list):
            self.p.add(
                _join(place, "aois"), f"aois must be a list ('- ' items), got {_kind(raw_aois)}"
            )
            raw_aois = None
        for i, item in enumerate(raw_aois or []):
            aoi = self.aoi(item, f"{place}.aois[{i}]", seen_aoi, page, viewport)
            if aoi is None:
                ok = False
            else:
                aois.append(aoi)
        if sid is None or page is None or viewport is None or not ok:
            return None
        return Screen(
            id=sid,
            name=name or sid,
            screenshot=screenshot,
            page_width_px=page["width_px"],
            page_height_px=page["height_px"],
            viewport_width_px=viewport["width_px"],
            viewport_height_px=viewport["height_px"],
            aois=tuple(aois),
            url=url,
            selector=selector,
            viewport_x_px=viewport.get("x_px", 0),
            viewport_y_px=viewport.get("y_px", 0),
        )

    def aoi(
        self,
        value: object,
        place: str,
        seen: dict[str, str],
        page: dict[str, int] | None,
        viewport: dict[str, int] | None,
    ) -> AOI | None:
        d = self.mapping(value, place, "an AOI")
        if d is None:
            return None
        shape = d.get("shape")
        shape_keys = _SHAPE_KEYS.get(shape, ()) if isinstance(shape, str) else ()
        self.keys(d, place, _AOI_KEYS + shape_keys)
        aid = self.ident(d, place, seen, "AOI")
        name = self.string(d, place, "name", required=False) or aid
        role = self.string(d, place, "role")
        if role is not None and role not in AOI_ROLES:
            self.p.add(
                _join(place, "role"), f"unknown role {role!r}; use one of {', '.join(AOI_ROLES)}"
            )
            role = None
        if shape is None:
            self.p.add(place, f"missing required key 'shape' (one of {', '.join(AOI_SHAPES)})")
        elif shape not in AOI_SHAPES:
            self.p.add(
                _join(place, "shape"),
                f"unknown shape {shape!r}; use one of {', '.join(AOI_SHAPES)}",
            )
            shape = None
        fixed = d.get("fixed", False)
        if not isinstance(fixed, bool):
            self.p.add(_join(place, "fixed"), f"fixed must be true or false, got {_kind(fixed)}")
            fixed = False
        selector = self.string(d, place, "selector", required=False)
        coords = self.coords(d, place, shape) if shape is not None else None
        if coords is not None and shape is not None:
            self.inside(coords, shape, place, page, viewport, fixed)
        if aid is None or role is None or shape is None or coords is None:
            return None
        return AOI(
            id=aid,
            name=name or aid,
            role=role,
            shape=shape,
            coords=coords,
            fixed=fixed,
            selector=selector,
        )

    def coords(self, d: dict[str, Any], place: str, shape: str) -> tuple[float, ...] | None:
        alt = _SHAPE_KEYS[shape]
        has_alt = [k for k in alt if k in d]
        if "coords" in d and has_alt:
            self.p.add(place, f"give either coords or {', '.join(alt)}, not both")
            return None
        if "coords" in d:
            cplace = _join(place, "coords")
            raw = d["coords"]
        elif has_alt:
            if shape == "polygon":
                cplace, raw = _join(place, "points"), d["points"]
            else:
                missing = [k for k in alt if k not in d]
                if missing:
                    self.p.add(
                        place, f"{shape} needs keys {', '.join(alt)}; missing {', '.join(missing)}"
                    )
                    return None
                cplace, raw = place, [d[k] for k in alt]
        else:
            what = {
                "rect": "[x, y, width, height]",
                "ellipse": "[cx, cy, rx, ry]",
                "polygon": "[[x, y], ...]",
            }
            self.p.add(place, f"missing required key 'coords' ({shape}: coords: {what[shape]})")
            return None
        if not isinstance(raw, list):
            self.p.add(cplace, f"coords must be a list of numbers, got {_kind(raw)}")
            return None
        flat: list[object] = []
        for item in raw:
            if isinstance(item, list):
                if len(item) != 2:
                    self.p.add(cplace, f"a point must be [x, y], got {item!r}")
                    return None
                flat.extend(item)
            else:
                flat.append(item)
        bad = [v for v in flat if not _is_number(v)]
        if bad:
            self.p.add(cplace, f"coords must all be numbers, got {bad[0]!r}")
            return None
        values = tuple(float(v) for v in flat)  # type: ignore[arg-type]
        if shape == "polygon":
            if len(values) % 2:
                self.p.add(
                    cplace, f"polygon needs x, y pairs, got an odd count of {len(values)} numbers"
                )
                return None
            if len(values) < 6:
                self.p.add(
                    cplace.rsplit(".", 1)[0] if cplace != place else place,
                    f"polygon needs at least 3 points, got {len(values) // 2}",
                )
                return None
            return values
        names = alt
        if len(values) != 4:
            self.p.add(cplace, f"{shape} needs 4 numbers [{', '.join(names)}], got {len(values)}")
            return None
        if values[2] <= 0 or values[3] <= 0:
            self.p.add(
                cplace,
                f"{shape} {names[2]} and {names[3]} must be > 0, got {values[2]:g} and {values[3]:g}",
            )
            return None
        return values

    def inside(
        self,
        coords: tuple[float, ...],
        shape: str,
        place: str,
        page: dict[str, int] | None,
        viewport: dict[str, int] | None,
        fixed: bool,
    ) -> None:
        box = AOI(id="_", name="_", role="content", shape=shape, coords=coords).bbox
        area = viewport if fixed else page
        if area is None:
            return
        w, h = area["width_px"], area["height_px"]
        if box[0] < 0 or box[1] < 0 or box[2] > w or box[3] > h:
            what = "viewport (fixed AOIs are in viewport px)" if fixed else "page"
            self.p.add(
                place,
                f"AOI lies outside its {what}: bounding box x {box[0]:g}..{box[2]:g}, "
                f"y {box[1]:g}..{box[3]:g} px, {what.split(' ')[0]} is {w} x {h} px; "
                "fix the coords or the size",
            )


def _kind(v: object) -> str:
    if v is None:
        return "nothing"
    if isinstance(v, bool):
        return f"{v!r} (true/false)"
    if isinstance(v, dict):
        return "a mapping"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, str):
        return f"text {v!r}"
    return f"{type(v).__name__} {v!r}"


def load_protocol(path: str | os.PathLike[str]) -> Protocol:
    """Read and validate a study protocol YAML file.

    Parameters
    ----------
    path : the protocol file (``protocols/*.yaml``). Screenshot paths inside it are
        relative to its folder.

    Returns
    -------
    Protocol, with ``path`` set to the file's absolute path.

    Raises
    ------
    ProtocolError
        listing every problem at once, one per line, as
        ``<file>: <place>: <problem and fix> (line N)``. The list is also in the
        exception's ``problems`` attribute.
    """
    shown = str(path)
    p = Path(path)
    if not p.exists():
        _fail(
            shown,
            [
                f"{shown}: no such file. Check the path, or write a new protocol with `gazemap protocol new`."
            ],
        )
    if not p.is_file():
        _fail(shown, [f"{shown}: is a folder, not a protocol YAML file."])
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(shown, [f"{shown}: cannot read it as UTF-8 text ({exc})."])
    try:
        doc = yaml.safe_load(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = (
            f"line {mark.line + 1}, column {mark.column + 1}"
            if mark is not None
            else "unknown place"
        )
        problem = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context", None)
        detail = f"{context}, {problem}" if context else str(problem)
        _fail(
            shown,
            [
                f"{shown}: YAML syntax error at {where}: {detail}. Check indentation and quotes there."
            ],
        )
    if doc is None:
        _fail(
            shown,
            [
                f"{shown}: the file is empty. Start from the template: `gazemap protocol new --out {shown}`."
            ],
        )
    lines: dict[str, int] = {}
    _node_lines(node, "", lines)
    problems = _Problems(shown, lines)
    dups: list[tuple[str, str, int, int]] = []
    _duplicate_keys(node, "", dups)
    for place, key, first_line, line in dups:
        problems.items.append(
            f"{shown}: {_join(place, key)}: key {key!r} is given twice (lines {first_line} and "
            f"{line}); YAML keeps only the last, so line {first_line} is ignored. Remove or "
            "rename one."
        )
    if not isinstance(doc, dict):
        problems.add(
            "", f"the file must be a mapping with keys {', '.join(_TOP_KEYS)}, got {_kind(doc)}"
        )
        _fail(shown, problems.items)
    protocol = _Validator(problems, p.resolve().parent).document(doc)
    if problems.items or protocol is None:
        _fail(shown, problems.items or [f"{shown}: invalid protocol"])
    return replace(protocol, path=p.resolve())


def _fail(shown: str, problems: list[str]) -> NoReturn:
    n = len(problems)
    head = f"{shown}: {n} problem{'s' if n != 1 else ''} in the protocol:" if n > 1 else ""
    message = "\n".join([head, *problems]) if head else problems[0]
    err = ProtocolError(message)
    err.problems = list(problems)  # type: ignore[attr-defined]
    raise err


def protocol_template() -> str:
    """A commented protocol YAML template that validates as it is (``gazemap protocol new``)."""
    return _TEMPLATE


_TEMPLATE = """\
# gazemap study protocol (docs/protocols.md describes every key).
# Coordinates are page pixels of the full-page screenshot, origin top-left.
# Validate with: gazemap protocol check THIS_FILE
protocol:
  id: my-study            # letters, digits, _ - . ; stored in each session file
  name: My usability study
  base_url: https://example.com   # optional: where the presenter opens the pages
  screen: {width_px: 1440, height_px: 900}   # optional: the participant's screen

# Optional: thresholds of the friction rules (defaults from the literature, see
# docs/friction-rules.md). Remove a line to keep its default.
thresholds:
  ttff_late_s: 5.0              # target first fixated later than this = findability problem
  fixations_before_action: 20   # more fixations before the click = search/confusion
  mean_fixation_ms: 350.0       # longer mean fixation on content = processing difficulty
  task_success_min: 0.78        # a lower task success rate = finding (Sauro & Lewis 2016)
  accuracy_max_deg: 1.0         # worse accuracy on validation targets = less reliable data

stages:                          # in journey order
  - id: choose
    name: Choose
    touchpoints:                 # in the order the participant meets them
      - id: home
        name: Home page
        channel: site            # site, app, e-mail, store, phone, print, other
        task: Find a product you would buy.
        success: {click: buy-button}   # optional: how task success is known; or
                                       # {screen: <screen id reached>}, {marker: "<text>"}
        screens:
          - id: home
            name: Home page
            # screenshot: my-study/home.png   # optional; relative to this file; must exist
            url: /index.html                  # optional: glob the presenter matches the URL to
            page: {width_px: 1440, height_px: 2000}      # full page size
            viewport: {width_px: 1440, height_px: 900}   # visible part (browser content area)
            aois:
              - id: header
                name: Sticky header
                role: navigation        # target, cta, navigation, content, distractor
                shape: rect
                coords: [0, 0, 1440, 80]   # rect: x, y, width, height
                fixed: true             # stays put while the page scrolls (viewport px)
              - id: buy-button
                name: Buy button
                role: cta
                shape: rect
                x: 1100                 # a rect may also be written with x/y/width/height
                y: 600
                width: 200
                height: 56
              - id: hero
                name: Hero banner
                role: distractor
                shape: ellipse
                coords: [720, 400, 300, 150]   # ellipse: cx, cy, rx, ry
              - id: offer
                name: Offer badge
                role: target
                shape: polygon
                coords: [[100, 1200], [400, 1200], [250, 1450]]   # polygon: [x, y] points
"""
