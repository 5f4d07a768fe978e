"""Analyse every session of a study: locally on a process pool or on a Dask cluster.

Per session (:func:`analyze_session`, run in a worker): detect events (cached in the file
under ``/derived/<detector>``) -> segment touchpoints from markers -> map fixations to pages
and AOIs -> AOI and touchpoint metrics -> data quality. A session that fails is reported in
its :class:`SessionResult` (``ok=False``, ``error``) and skipped; the others finish.

Across sessions (:func:`analyze_study`, in the calling process, so the result does not depend
on where the sessions ran): friction rules, evidence and journey summaries. The results are
the same with ``jobs=1``, a process pool, or a Dask scheduler.
"""

from __future__ import annotations

import json
import math
import os
import struct
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from gazemap.aoi import AOIGap, close_aoi_pairs
from gazemap.errors import GazemapError, InputError, SessionFileError
from gazemap.geometry import pixel_shape_problem, px_per_deg
from gazemap.journey import (
    MAX_SCROLL_PX,
    SessionTables,
    TouchpointQuality,
    aoi_summaries,
    evidence_document,
    friction_evidence,
    journey_summary,
    segment_touchpoints,
    session_tables,
)
from gazemap.protocol import Protocol
from gazemap.types import ScreenGeometry

STUDY_FILE = "study.yaml"
#: written by ``gazemap present --screenshots DIR`` (docs/presenter.md, "Screenshots")
SCREENSHOTS_FILE = "screenshots.json"

#: a live AOI box further than this from the protocol's coords is named in the notes, px
MOVED_PX = 2.0


@dataclass
class SessionResult:
    """What one session contributes (picklable; sent back from workers).

    ``tables`` is None when the session failed (``ok`` False, ``error`` says why).
    """

    file: str
    participant: str = ""
    session_id: str = ""
    ok: bool = False
    error: str | None = None
    data_loss: float | None = None
    precision_rms_deg: float | None = None
    #: RMS distance of fixation samples from their fixation's centroid, deg
    precision_sd_deg: float | None = None
    #: mean angle between validation targets and the gaze on them, deg (None: no validation)
    accuracy_deg: float | None = None
    #: how many validation targets it was measured on (0: no validation in the session)
    validation_points: int = 0
    duration_s: float | None = None
    marker_problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    tables: SessionTables | None = None
    detector: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    screen: dict[str, float] | None = None
    #: aois.csv rows: the AOI geometry this session was analysed with (:func:`aoi_geometry_rows`)
    aois: list[dict[str, Any]] = field(default_factory=list)
    #: set when the session was recorded with another protocol than the analysis's (the same
    #: text is its first marker problem); the CLI prints it as a warning
    protocol_warning: str | None = None
    #: set when scrolling screens were visited but the session has no Scroll stream (an
    #: import from a tracker's software); the same text is a note; the CLI prints it
    scroll_warning: str | None = None
    #: set when the session's screen has pixels that are not square (its mm are not its
    #: own, e.g. a monitor's default for a phone): every angle is wrong; a note too
    screen_warning: str | None = None
    #: per visited screen with AOIs closer together than the session's accuracy
    #: (:func:`aoi_spacing`); the same text is a note; the CLI prints one line per screen
    aoi_spacing: list[AOISpacing] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """The sessions.json entry (docs/outputs.md)."""
        return {
            "file": self.file,
            "participant": self.participant,
            "session_id": self.session_id,
            "ok": self.ok,
            "error": self.error,
            "data_loss": self.data_loss,
            "precision_rms_deg": self.precision_rms_deg,
            "precision_sd_deg": self.precision_sd_deg,
            "accuracy_deg": self.accuracy_deg,
            "validation_points": self.validation_points,
            "duration_s": self.duration_s,
            "marker_problems": list(self.marker_problems),
            "notes": list(self.notes),
            "screen": dict(self.screen) if self.screen else None,
        }


def _finite(v: float) -> float | None:
    return float(v) if v is not None and math.isfinite(v) else None


def analyze_session(
    path: str | os.PathLike[str],
    protocol: Protocol,
    detector: str | None = None,
    params: Mapping[str, Any] | None = None,
    *,
    write_cache: bool = True,
    max_scroll_px: float = MAX_SCROLL_PX,
) -> SessionResult:
    """Analyse one session file; never raises for a bad session (the result says what failed).

    Parameters
    ----------
    path : session file (.h5).
    protocol : the study protocol.
    detector, params : event detector name and parameter overrides (gazemap.events).
    write_cache : store a fresh detection under ``/derived`` in the file.
    max_scroll_px : fixations during which the page moved more than this are not mapped.
    """
    from gazemap.events import DEFAULT_DETECTOR, detect
    from gazemap.quality import assess
    from gazemap.store import open_session
    from gazemap.store.derived import free_space_problem, read_detection, write_detection

    res = SessionResult(file=str(path))
    name = detector or DEFAULT_DETECTOR
    try:
        # one read of the file: the stored detection is re-used when its parameters match
        # (gazemap.store.derived), else events are detected here and stored (write_cache)
        with open_session(path) as s:
            res.participant = s.participant or Path(path).stem
            res.session_id = s.session_id or Path(path).stem
            gaze = s.gaze()
            markers = s.markers()
            journey_streams = _journey_marker_streams(s)
            scroll_name, scroll_why = s.page_scroll_stream()
            scroll = s.scroll(scroll_name) if scroll_name is not None else None
            screen = s.screen
            recorded_protocol = s.protocol
            validation, validation_notes = s.validation()
            det = read_detection(s, name, dict(params or {}))
        if det is None:
            det = detect(gaze, screen, name, **dict(params or {}))
            if write_cache:
                # a disk too full for the cache: the analysis goes on without storing it
                # (other write errors, e.g. a file open elsewhere, still skip the session)
                short = free_space_problem(path, det)
                if short:
                    res.notes.append(f"the detection was not stored in the file: {short}")
                else:
                    write_detection(Path(path), det)
        res.detector, res.params = det.detector, dict(det.params)
        # the fixations are mapped in the protocol's px: a tracker that reports a phone's
        # device px (1170x2532) for a protocol in its CSS px (390x844) is scaled by 1/3
        map_screen, px_note = protocol_px_screen(screen, protocol)
        map_fixations = scale_fixations(
            det.fixations,
            map_screen.width_px / screen.width_px,
            map_screen.height_px / screen.height_px,
        )
        if px_note:
            res.notes.append(px_note)
        shape = pixel_shape_problem(screen)
        if shape:
            res.screen_warning = f"the session's {shape.removeprefix('the ')}"
            res.notes.append(res.screen_warning)
        res.screen = {
            "width_px": map_screen.width_px,
            "height_px": map_screen.height_px,
            "width_mm": map_screen.width_mm,
            "height_mm": map_screen.height_mm,
            "distance_mm": map_screen.distance_mm,
        }
        if scroll_why:
            res.notes.append(scroll_why)
        if scroll is not None:
            scroll, scroll_note = _finite_scroll(scroll, str(path), scroll_name)
            if scroll_note:
                res.notes.append(scroll_note)
        if len(journey_streams) > 1:
            res.notes.append(
                f"{len(journey_streams)} Markers streams send touchpoint markers "
                f"({', '.join(journey_streams)}); they are read together, so the touchpoints "
                "are doubled. Run one stimulus source per session (e.g. `gazemap stream "
                "simulated` without --protocol beside `gazemap present`), or record the "
                "other's streams out with `gazemap record --stream`"
            )
        if not px_note:
            res.notes.extend(_screen_note(screen, protocol))
        protocol, box_notes, box_problems, live_ids = _live_aoi_boxes(markers, protocol)
        res.notes.extend(box_notes)
        res.aois = aoi_geometry_rows(protocol, live_ids, res.participant, res.session_id)
        seg = segment_touchpoints(markers, protocol)
        res.marker_problems = list(seg.problems) + box_problems
        if recorded_protocol and recorded_protocol != protocol.id:
            # the markers were made for another journey: say so before the problems they cause
            res.protocol_warning = (
                f"recorded with protocol {recorded_protocol!r} but analysed with "
                f"{protocol.id!r}: check --protocol (or the study's study.yaml)"
            )
            res.marker_problems.insert(0, res.protocol_warning)
        res.notes.extend(seg.notes)
        if scroll is None:
            unscrolled = _no_scroll_note(seg.visits, protocol)
            if unscrolled:
                res.notes.append(unscrolled)
                res.scroll_warning = unscrolled
        outside = _visits_outside_gaze(seg.visits, np.asarray(gaze.time_s))
        if outside:
            res.marker_problems.append(outside)
        labels = det.labels if len(det.labels) == len(gaze) else None
        # accuracy: targets shown during the session, else the tracker's own result
        res.notes.extend(validation_notes)
        whole = assess(gaze, screen, labels=labels, validation=validation)
        res.data_loss = _finite(whole.data_loss)
        res.precision_rms_deg = _finite(whole.precision_rms_deg)
        res.precision_sd_deg = _finite(whole.precision_sd_deg)
        res.accuracy_deg = _finite(whole.accuracy_deg)
        res.validation_points = 0 if validation is None else len(validation.points_px)
        if validation is not None and res.accuracy_deg is None:
            res.notes.append(
                f"the session has {res.validation_points} validation targets but no valid gaze "
                "on any of them (tracking lost while they were shown): accuracy unknown"
            )
        res.aoi_spacing = aoi_spacing(seg.visits, protocol, map_screen, res.accuracy_deg)
        res.notes.extend(sp.note() for sp in res.aoi_spacing)
        t = np.asarray(gaze.time_s)
        res.duration_s = float(t[-1] - t[0]) if len(t) > 1 else 0.0
        per_visit: dict[str, list[tuple[float, float, float]]] = {}
        for v in seg.visits:
            q = assess(gaze, screen, labels=labels, start_s=v.start_s, end_s=v.end_s)
            per_visit.setdefault(v.touchpoint_id, []).append(
                (v.duration_s, q.data_loss, q.precision_rms_deg)
            )
        quality = {
            tp_id: replace(combine_visit_quality(qs), accuracy_deg=whole.accuracy_deg)
            for tp_id, qs in per_visit.items()
        }
        res.tables = session_tables(
            map_fixations,
            seg,
            scroll,
            map_screen,
            protocol,
            participant=res.participant,
            session_id=res.session_id,
            detector=det.detector,
            quality=quality,
            max_scroll_px=max_scroll_px,
        )
        res.ok = True
    except GazemapError as exc:
        res.error = str(exc)
    except Exception as exc:  # noqa: BLE001 - one broken file must not stop the study
        res.error = f"{type(exc).__name__}: {exc}"
    return res


#: where the AOI spacing warning sends the reader
SPACING_DOC = 'docs/protocols.md, "AOI spacing"'


@dataclass(frozen=True)
class AOISpacing:
    """AOIs of one screen closer together than the accuracy a session is held to.

    ``accuracy_deg``: the session's accuracy measured on validation targets when
    ``measured``, else the protocol's ``accuracy_max_deg``. ``pairs``: closest first.
    """

    screen_id: str
    screen_name: str
    accuracy_deg: float
    measured: bool
    #: px per deg at the screen's centre across, to say the accuracy in px
    px_per_deg: float
    pairs: tuple[AOIGap, ...]

    def note(self) -> str:
        """The sessions.json note: the screen, each pair's gap in px and deg, the accuracy."""
        src = (
            "the session's accuracy"
            if self.measured
            else "the protocol's accuracy_max_deg (no accuracy measured in the session)"
        )
        return (
            f"screen '{self.screen_id}' ({self.screen_name}): AOIs closer together than "
            f"{src}, {self.accuracy_deg:.2f} deg ({self.accuracy_deg * self.px_per_deg:.0f} "
            f"px), so fixations on one can be counted on its neighbour: "
            + spacing_pairs_text(self.pairs)
            + ". Keep AOIs at least the accuracy apart, or read these AOIs' metrics with care "
            f"({SPACING_DOC})"
        )


#: the closest pairs a spacing note or warning lists; the others are counted
SPACING_PAIRS_SHOWN = 10


def spacing_pairs_text(
    pairs: Sequence[AOIGap], extra: Mapping[tuple[str, str], str] | None = None
) -> str:
    """``a | b 16 px = 0.38 deg, ...``: bounding boxes' gaps (not the shapes' exact gap) and
    ``extra`` texts (by (a, b)) in parentheses after the pair; the first
    :data:`SPACING_PAIRS_SHOWN` pairs (closest first), then ``and N more pairs``."""
    out = []
    for g in pairs[:SPACING_PAIRS_SHOWN]:
        why = ([] if g.exact else ["bounding boxes"]) + (
            [extra[g.a, g.b]] if extra and (g.a, g.b) in extra else []
        )
        out.append(
            f"{g.a} | {g.b} {g.gap_px:.0f} px = {g.gap_deg:.2f} deg"
            + (f" ({'; '.join(why)})" if why else "")
        )
    more = len(pairs) - SPACING_PAIRS_SHOWN
    if more > 0:
        out.append(f"and {more} more pair{'s' if more > 1 else ''} up to {pairs[-1].gap_px:.0f} px")
    return ", ".join(out)


def visited_screens(visits: Sequence[Any], protocol: Protocol) -> list[tuple[str, Any]]:
    """(screen id, protocol screen) of each screen the visits showed, once, in visit order;
    screens the protocol does not define are left out."""
    seen: dict[str, None] = {}
    for v in visits:
        for sv in v.screens:
            if sv.screen_id is not None:
                seen.setdefault(sv.screen_id, None)
    return [(sid, protocol.screens[sid]) for sid in seen if sid in protocol.screens]


def aoi_spacing(
    visits: Sequence[Any],
    protocol: Protocol,
    screen: ScreenGeometry,
    accuracy_deg: float | None,
) -> list[AOISpacing]:
    """The visited screens whose AOIs are closer together than the session's accuracy.

    Parameters
    ----------
    visits : the session's touchpoint visits (their screens are checked, in visit order).
    protocol : the protocol (with the session's live AOI boxes, if any).
    screen : the session's screen in the protocol's px.
    accuracy_deg : the session's measured accuracy, deg; None (or NaN): not measured, the
        protocol's ``thresholds.accuracy_max_deg`` is used.

    Returns
    -------
    One :class:`AOISpacing` per visited screen with such pairs (:func:`gazemap.aoi.close_aoi_pairs`).
    """
    if accuracy_deg is not None and math.isfinite(accuracy_deg):
        acc, measured = float(accuracy_deg), True
    else:
        acc, measured = float(protocol.thresholds.accuracy_max_deg), False
    out = []
    for sid, sc in visited_screens(visits, protocol):
        pairs = close_aoi_pairs(sc.aois, screen, acc, scrolls=sc.scrolls)
        if pairs:
            out.append(AOISpacing(sid, sc.name, acc, measured, px_per_deg(screen), tuple(pairs)))
    return out


def aoi_spacing_lines(sessions: Sequence[SessionResult]) -> list[str]:
    """One warning per screen for ``gazemap analyze``'s stderr, over all sessions.

    ``<files>: screen '<id>' (<name>): AOIs closer together than the accuracy (<range>):
    <pairs>``; the pairs are those of any of the sessions, the files those with a pair there.
    """
    by_screen: dict[str, list[tuple[SessionResult, AOISpacing]]] = {}
    for r in sessions:
        if r.ok:
            for sp in r.aoi_spacing:
                by_screen.setdefault(sp.screen_id, []).append((r, sp))
    lines = []
    for sid, items in by_screen.items():
        pairs: dict[tuple[str, str], AOIGap] = {}
        n_pair: dict[tuple[str, str], int] = {}
        for _, sp in items:
            for g in sp.pairs:
                pairs.setdefault((g.a, g.b), g)
                n_pair[g.a, g.b] = n_pair.get((g.a, g.b), 0) + 1
        meas = [sp.accuracy_deg for _, sp in items if sp.measured]
        unmeas = [sp.accuracy_deg for _, sp in items if not sp.measured]
        acc = []
        if meas:
            lo, hi = min(meas), max(meas)
            acc.append(
                (f"{lo:.2f}" if f"{lo:.2f}" == f"{hi:.2f}" else f"{lo:.2f}-{hi:.2f}")
                + " deg measured"
            )
        if unmeas:
            acc.append(
                f"accuracy_max_deg {unmeas[0]:g} deg"
                + (" where not measured" if meas else ", no accuracy measured")
            )
        files = ", ".join(r.file for r, _ in items)
        name = items[0][1].screen_name
        lines.append(
            f"{files}: screen '{sid}' ({name}): AOIs closer together than the accuracy "
            f"({'; '.join(acc)}), so fixations on one can be counted on its neighbour: "
            + spacing_pairs_text(
                sorted(pairs.values(), key=lambda g: g.gap_px),
                {k: f"{n} of {len(items)} sessions" for k, n in n_pair.items() if n < len(items)},
            )
            + f" ({SPACING_DOC})"
        )
    return lines


def _no_scroll_note(visits: Sequence[Any], protocol: Protocol) -> str:
    """A note when the session has no Scroll stream but visited screens that scroll.

    Without scroll offsets a fixation is mapped as if the page had never moved: on a page
    taller (or wider) than its viewport, the AOIs below the first view can never be hit and
    those at the top collect the fixations that were on the content scrolled under them.
    Sessions imported from a tracker's software (EyeLink, Tobii, Pupil exports) have no
    Scroll stream. Empty when no visited screen is larger than its viewport.
    """
    big = []
    for _, sc in visited_screens(visits, protocol):
        if sc.page_height_px > sc.viewport_height_px or sc.page_width_px > sc.viewport_width_px:
            below = [
                a.id
                for a in sc.aois
                if not a.fixed
                and (a.bbox[1] >= sc.viewport_height_px or a.bbox[0] >= sc.viewport_width_px)
            ]
            big.append((sc, below))
    if not big:
        return ""
    sc, below = big[0]
    names = ", ".join(
        f"{s.id!r} ({s.page_width_px}x{s.page_height_px} px page in a "
        f"{s.viewport_width_px}x{s.viewport_height_px} px viewport)"
        for s, _ in big
    )
    head = (
        f"the session has no Scroll stream, but its scrolling screens {names} were visited: "
        "their fixations are mapped as if the page was never scrolled, so AOIs below the "
        "first view"
        + (f" ({', '.join(below)} on {sc.id!r})" if below else "")
        + " cannot be fixated and AOIs at the top may collect fixations that were on content "
        "scrolled under them. "
    )
    channel = {s.id: tp.channel for tp in protocol.touchpoints for s in tp.screens}
    if all(channel.get(s.id) == "site" for s, _ in big):
        return head + (
            "Sessions imported from a tracker's software have no scroll offsets: record the "
            "page with `gazemap present` (its Scroll stream; an XDF from LabRecorder keeps "
            "it), or give such screens a page the size of the viewport with a screenshot of "
            "what was on the screen (docs/importers.md)"
        )
    # an app (or any screen no browser shows): nothing can record its scroll offset
    return head + (
        "An app's scrolling is not recorded: describe each view the participant scrolled to "
        "as a screen of its own (a page the size of the viewport, a screenshot of that view) "
        "and mark it when it is shown (`gazemap mark screen/<id>`), or keep one screen with "
        "a page the size of the viewport for the first view only (docs/recording.md, "
        "'App studies')"
    )


def _visits_outside_gaze(visits: Sequence[Any], gaze_time_s: np.ndarray) -> str:
    """A marker problem when touchpoint visits lie wholly outside the gaze recording.

    Their metrics then have no gaze at all and read as 100 % data loss, while the cause is
    the markers: another clock (a marker stream without clock correction) or another
    session's markers. Empty when every visit overlaps the gaze (or there is no gaze).
    """
    t = gaze_time_s[np.isfinite(gaze_time_s)]
    if not len(visits) or not len(t):
        return ""
    t0, t1 = float(t[0]), float(t[-1])
    out = [v for v in visits if v.end_s <= t0 or v.start_s >= t1]
    if not out:
        return ""
    v = out[0]
    return (
        f"{len(out)} of {len(visits)} touchpoint visits lie outside the gaze recording "
        f"({t0:.1f}-{t1:.1f} s), e.g. {v.touchpoint_id!r} at {v.start_s:.1f}-{v.end_s:.1f} s: "
        "their markers and the gaze are on different clocks or from different sessions, so "
        "those touchpoints have no gaze (their data loss reads 100 %). Check that the markers "
        "were recorded with this session's gaze (gazemap info lists each stream's times)"
    )


def _finite_scroll(scroll: Any, path: str, name: str | None) -> tuple[Any, str]:
    """The scroll samples without rows holding NaN/inf (sample-and-hold keeps the previous
    offset there), and a note saying how many were dropped.

    A NaN offset places no fixation on the page, so the AOIs of scrolling pages would read as
    never seen. A stream with no finite row at all is a SessionFileError: the page positions
    are unknown, and the session's AOI metrics would be wrong.
    """
    from gazemap.types import SCROLL_CHANNEL_LABELS, ScrollSamples

    cols = [np.asarray(getattr(scroll, k), dtype=np.float64) for k in SCROLL_CHANNEL_LABELS]
    t = np.asarray(scroll.time_s, dtype=np.float64)
    ok = np.isfinite(t)
    for c in cols:
        ok &= np.isfinite(c)
    if ok.all():
        return scroll, ""
    where = f"/streams/{name}" if name else "the Scroll stream"
    if not ok.any():
        raise SessionFileError(
            f"{path}: {where} holds no finite scroll offset ({len(t)} samples, all NaN or "
            "infinite): where the page was is unknown, so fixations cannot be placed on it. The "
            "file is damaged: record the session again, or copy it again from where it was "
            "recorded."
        )
    kept = ScrollSamples(t[ok], *(c[ok] for c in cols))
    return kept, (
        f"{where}: {int((~ok).sum())} of {len(t)} scroll samples hold NaN or infinite values "
        "and were left out (the offset before each holds until the next good one)"
    )


def combine_visit_quality(visits: list[tuple[float, float, float]]) -> TouchpointQuality:
    """Data quality of a touchpoint from the quality of each of its visits.

    Parameters
    ----------
    visits : (duration_s, data_loss, precision_rms_deg) of each visit of the touchpoint.

    Returns
    -------
    TouchpointQuality: data loss = the duration-weighted mean of the visits' data loss (the
    share of the touchpoint's expected samples that are lost, at a constant sampling rate);
    precision = the root of the duration-weighted mean of the squared RMS-S2S of the visits
    that have one (NaN when none has). One visit: its own numbers.
    """
    if len(visits) == 1:
        return TouchpointQuality(visits[0][1], visits[0][2])
    w = np.array([d for d, _, _ in visits], dtype=np.float64)
    loss = np.array([dl for _, dl, _ in visits], dtype=np.float64)
    prec = np.array([p for _, _, p in visits], dtype=np.float64)
    ok_l = np.isfinite(loss) & (w > 0)
    data_loss = float(np.sum(w[ok_l] * loss[ok_l]) / np.sum(w[ok_l])) if ok_l.any() else math.nan
    ok_p = np.isfinite(prec) & (w > 0)
    precision = (
        float(np.sqrt(np.sum(w[ok_p] * prec[ok_p] ** 2) / np.sum(w[ok_p])))
        if ok_p.any()
        else math.nan
    )
    return TouchpointQuality(data_loss, precision)


def _journey_marker_streams(session: Any) -> list[str]:
    """Names of the session's Markers streams that send ``touchpoint/`` markers."""
    out = []
    for name in session.stream_names:
        attrs = session.stream_attrs(name)
        if str(attrs.get("type", "")).lower() != "markers":
            continue
        values = session.markers(name).value
        if any(str(v).startswith("touchpoint/") for v in values):
            out.append(name)
    return out


#: a session screen whose px sides are both this close to one multiple of the protocol's
#: screen (relative) is the same screen in other pixel units; Android's device pixel ratios
#: (2.625: 1080 px for 411.4 CSS px, rounded to 412) differ from the exact ratio by < 0.2 %
PX_SCALE_TOLERANCE = 0.01
#: the pixel ratios taken as such: a phone's or a HiDPI monitor's device px per CSS px is
#: 1-4 (and its inverse, a tracker in CSS px for a protocol in device px)
PX_SCALE_RANGE = (0.25, 4.0)


def protocol_px_screen(screen: Any, protocol: Protocol) -> tuple[Any, str]:
    """The screen in the protocol's px, when the session's px are a uniform multiple of them.

    A phone's tracker, screen mirror or Pupil surface often reports gaze in device px
    (1170 x 2532 on a 3x phone) while the protocol's AOIs, like the app's layout, are in
    CSS px (points: 390 x 844); a HiDPI monitor does the same to a web study (2880 x 1800 for
    1440 x 900). Mapped as they are, every fixation would land three times too far right and
    down. When both sides of the session's screen are the same multiple k of the protocol's
    screen (within ``PX_SCALE_TOLERANCE``, k in ``PX_SCALE_RANGE``, k != 1), it is the same
    screen in other units: the returned geometry has the protocol's px and the session's mm
    and distance, so degrees stay the same (scale fixations with :func:`scale_fixations`).

    Parameters
    ----------
    screen : the session's ScreenGeometry.
    protocol : the analysis protocol; ``screen_width_px``/``screen_height_px`` None = no
        protocol screen, nothing scaled.

    Returns
    -------
    (geometry, note) : ``screen`` itself and "" when nothing is scaled; else the screen in
        the protocol's px and a note saying so (sessions.json ``notes``).
    """
    from gazemap.types import ScreenGeometry

    w, h = protocol.screen_width_px, protocol.screen_height_px
    if w is None or h is None or (int(w), int(h)) == (screen.width_px, screen.height_px):
        return screen, ""
    kx, ky = screen.width_px / w, screen.height_px / h
    lo, hi = PX_SCALE_RANGE
    if abs(kx - ky) > PX_SCALE_TOLERANCE * max(kx, ky) or not lo <= kx <= hi:
        return screen, ""
    if abs(kx - 1.0) <= PX_SCALE_TOLERANCE:
        return screen, ""
    geo = ScreenGeometry(int(w), int(h), screen.width_mm, screen.height_mm, screen.distance_mm)
    return geo, (
        f"the session's screen is {screen.width_px}x{screen.height_px} px and protocol "
        f"{protocol.id!r} is for {w}x{h} px, the same screen in px {kx:.3g} times as large "
        "(a phone's or HiDPI monitor's device px for CSS px): fixations were divided by "
        f"{kx:.3g} to map them onto the protocol's AOIs and screenshots (fixations.csv and "
        "sessions.json's screen are in the protocol's px; degrees are unchanged)"
    )


def scale_fixations(fixations: Any, x_factor: float, y_factor: float) -> Any:
    """Fixations with ``x_px`` times ``x_factor``, ``y_px`` times ``y_factor``.

    Degrees, times and dispersion are unchanged (a screen's px in other units: the angles
    are the same). Returns ``fixations`` itself when both factors are 1.
    """
    if x_factor == 1.0 and y_factor == 1.0:
        return fixations
    return replace(fixations, x_px=fixations.x_px * x_factor, y_px=fixations.y_px * y_factor)


def _screen_note(screen: Any, protocol: Protocol) -> list[str]:
    """A note when the tracker's screen differs from the screen the protocol was made for."""
    w, h = protocol.screen_width_px, protocol.screen_height_px
    if w is None or h is None or (int(w), int(h)) == (screen.width_px, screen.height_px):
        return []
    return [
        f"the session's screen is {screen.width_px}x{screen.height_px} px but protocol "
        f"{protocol.id!r} is for {w}x{h} px: gaze is mapped with the session's screen; if the "
        "browser did not fill the tracker's screen, give the tracker's size to `gazemap present` "
        "(--screen-width-px/--screen-height-px)"
    ]


def aoi_geometry_rows(
    protocol: Protocol,
    live: set[tuple[str, str]],
    participant: str,
    session_id: str,
) -> list[dict[str, Any]]:
    """aois.csv rows (docs/outputs.md): every touchpoint x screen x AOI as the analysis used it.

    Parameters
    ----------
    protocol : the protocol with this session's live boxes applied.
    live : (screen id, AOI id) pairs whose coords came from the live page (aoi-boxes marker).
    participant, session_id : the session's ids.

    Returns
    -------
    One dict per AOI in protocol order: ``coords_px`` as in the protocol (rect x, y, w, h;
    ellipse cx, cy, rx, ry; polygon x0, y0, ...), the bounding box in ``*_px``, ``source``
    ``"live"`` or ``"protocol"``.
    """
    rows = []
    for tp in protocol.touchpoints:
        for sc in tp.screens:
            for a in sc.aois:
                x0, y0, x1, y1 = a.bbox
                rows.append(
                    {
                        "participant": participant,
                        "session_id": session_id,
                        "touchpoint_id": tp.id,
                        "screen_id": sc.id,
                        "aoi_id": a.id,
                        "aoi_name": a.name,
                        "aoi_role": a.role,
                        "shape": a.shape,
                        "coords_px": [float(c) for c in a.coords],
                        "x_min_px": float(x0),
                        "y_min_px": float(y0),
                        "x_max_px": float(x1),
                        "y_max_px": float(y1),
                        "fixed": a.fixed,
                        "source": "live" if (sc.id, a.id) in live else "protocol",
                    }
                )
    return rows


def _live_aoi_boxes(
    markers: Any, protocol: Protocol
) -> tuple[Protocol, list[str], list[str], set[tuple[str, str]]]:
    """The protocol with selector AOIs at the boxes the presenter resolved in this session.

    ``gazemap present`` publishes ``aoi-boxes <json>`` markers with every AOI's box in the
    live page (docs/presenter.md); per issue 8 those resolved boxes, not the protocol's
    coords, are what the analysis uses for AOIs given by CSS ``selector`` (the last record
    per screen). Returns (protocol, notes, problems, live): a note per screen whose AOIs moved,
    a problem per unreadable record, the (screen id, AOI id) pairs placed from the live page.
    """
    from gazemap.presenter.matching import AOI_BOXES_PREFIX, aoi_boxes_from_markers

    values = [str(v) for v in markers.value]
    times = np.asarray(markers.time_s, dtype=np.float64)
    problems: list[str] = []
    good: list[str] = []
    for t, v in zip(times, values, strict=True):
        if not v.startswith(AOI_BOXES_PREFIX):
            continue
        if aoi_boxes_from_markers([v]):
            good.append(v)
        else:
            problems.append(
                f"aoi-boxes marker at t={t:.3f} s is not a valid record (JSON with 'screen' and "
                f"'aois'): {v[:80]!r}; the protocol's coords were used for that screen"
            )
    boxes = aoi_boxes_from_markers(good)
    if not boxes:
        return protocol, [], problems, set()
    from gazemap.presenter.matching import apply_aoi_boxes

    notes: list[str] = []
    live_ids: set[tuple[str, str]] = set()
    for sc_id, rec in sorted(boxes.items()):
        if sc_id not in protocol.screens:
            problems.append(f"aoi-boxes record names unknown screen {sc_id!r}; ignored")
            continue
        live = rec.get("aois", {})
        aois = protocol.screens[sc_id].aois
        used = [a for a in aois if a.selector and live.get(a.id)]
        live_ids.update((sc_id, a.id) for a in used)
        absent = [a.id for a in aois if a.selector and a.id in live and not live.get(a.id)]
        if used:
            moved = []
            for a in used:
                b = live[a.id]
                x0, y0, x1, y1 = a.bbox
                shift = max(
                    abs(float(b["x_px"]) - x0),
                    abs(float(b["y_px"]) - y0),
                    abs(float(b["x_px"]) + float(b["width_px"]) - x1),
                    abs(float(b["y_px"]) + float(b["height_px"]) - y1),
                )
                if shift > MOVED_PX:
                    moved.append(f"{a.id} (by {shift:.0f} px)")
            notes.append(
                f"screen {sc_id!r}: {len(used)} selector AOI(s) at the boxes resolved from the "
                "live page (aoi-boxes marker)"
                + (
                    f"; differ from the protocol's coords: {', '.join(moved)}"
                    if moved
                    else f"; all within {MOVED_PX:g} px of the protocol's coords"
                )
            )
        if absent:
            notes.append(
                f"screen {sc_id!r}: selector AOI(s) {', '.join(absent)} found no element in the "
                "live page; the protocol's coords were used"
            )
    return apply_aoi_boxes(protocol, boxes), notes, problems, live_ids


def _progress(total: int, show: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc="sessions", unit="session", file=sys.stderr, disable=not show)


def run_sessions(
    paths: Sequence[str | os.PathLike[str]],
    protocol: Protocol,
    detector: str | None = None,
    params: Mapping[str, Any] | None = None,
    *,
    jobs: int = 1,
    scheduler: str | None = None,
    progress: bool = True,
    max_scroll_px: float = MAX_SCROLL_PX,
    write_cache: bool = True,
    connect_timeout_s: float = 10.0,
) -> list[SessionResult]:
    """Run :func:`analyze_session` over ``paths``; results in the order of ``paths``.

    Parameters
    ----------
    jobs : local worker processes (1: in this process). Ignored with ``scheduler``.
    scheduler : address of a Dask distributed scheduler (``tcp://host:8786``); the workers
        must have gazemap installed and see the session files at the same paths.
    progress : show a tqdm progress bar on stderr.
    write_cache : store fresh detections under ``/derived`` in the session files.
    connect_timeout_s : how long to try to reach the Dask scheduler.
    """
    if jobs < 1:
        raise InputError(f"--jobs must be >= 1, got {jobs}.")
    kw: dict[str, Any] = {
        "detector": detector,
        "params": dict(params or {}),
        "max_scroll_px": max_scroll_px,
        "write_cache": write_cache,
    }
    spaths = [str(p) for p in paths]
    results: list[SessionResult | None] = [None] * len(spaths)
    bar = _progress(len(spaths), progress)
    try:
        if scheduler:
            _run_dask(spaths, protocol, kw, scheduler, results, bar.update, connect_timeout_s)
        elif jobs == 1 or len(spaths) <= 1:
            for i, p in enumerate(spaths):
                results[i] = analyze_session(p, protocol, **kw)  # type: ignore[arg-type]
                bar.update(1)
        else:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor, as_completed

            # forkserver: workers do not inherit the parent's threads (tqdm, dask) or open files
            ctx = mp.get_context("forkserver")
            with ProcessPoolExecutor(max_workers=min(jobs, len(spaths)), mp_context=ctx) as ex:
                futs = {
                    ex.submit(analyze_session, p, protocol, **kw): i for i, p in enumerate(spaths)
                }  # type: ignore[arg-type]
                for fut in as_completed(futs):
                    results[futs[fut]] = fut.result()
                    bar.update(1)
    finally:
        bar.close()
    return [r for r in results if r is not None]


def _run_dask(
    paths: list[str],
    protocol: Protocol,
    kw: dict[str, Any],
    scheduler: str,
    results: list[SessionResult | None],
    tick: Callable[[int], Any],
    connect_timeout_s: float,
) -> None:
    try:
        from distributed import Client, as_completed
    except ImportError as exc:  # pragma: no cover - dask[distributed] is a dependency
        raise InputError(
            "--scheduler needs dask.distributed; install it with pip install 'dask[distributed]'."
        ) from exc
    try:
        client = Client(scheduler, timeout=connect_timeout_s)
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(
            f"cannot reach the Dask scheduler at {scheduler!r} ({exc}). Start one with "
            "`dask scheduler` and `dask worker ADDRESS`, or drop --scheduler to run locally."
        ) from exc
    try:
        futs = client.map(analyze_session, paths, protocol=protocol, pure=False, **kw)
        index = {f.key: i for i, f in enumerate(futs)}
        for fut in as_completed(futs):
            results[index[fut.key]] = fut.result()
            tick(1)
    finally:
        client.close()


# --------------------------------------------------------------------------------------
# Study level
# --------------------------------------------------------------------------------------
def _study_dir(study_dir: str | os.PathLike[str]) -> Path:
    root = Path(study_dir)
    if not root.exists():
        raise InputError(f"study directory {root} does not exist. Check the path.")
    if not root.is_dir():
        raise InputError(
            f"{root} is not a directory; gazemap analyze takes a folder of session files."
        )
    return root


def find_sessions(study_dir: str | os.PathLike[str], exclude: Sequence[Path] = ()) -> list[Path]:
    """Session files (``*.h5``) under ``study_dir`` (recursively, hidden folders skipped)."""
    root = _study_dir(study_dir)
    ex = [e.resolve() for e in exclude]
    out = []
    for p in sorted(root.rglob("*.h5")):
        rel = p.relative_to(root)
        if any(part.startswith(".") for part in rel.parts):
            continue
        rp = p.resolve()
        if any(rp.is_relative_to(e) for e in ex):
            continue
        out.append(p)
    if not out:
        raise InputError(
            f"{root} holds no session files (*.h5). Record some with `gazemap record`, or make a "
            "sample study with `gazemap simulate`."
        )
    return out


def find_protocol(
    study_dir: str | os.PathLike[str], protocol: str | os.PathLike[str] | None
) -> Path:
    """The protocol file: ``protocol`` if given, else the ``protocol:`` of STUDY_DIR/study.yaml."""
    if protocol is not None:
        p = Path(protocol)
        if not p.exists():
            raise InputError(f"protocol file {p} does not exist. Check --protocol.")
        return p
    study = _study_dir(study_dir) / STUDY_FILE
    if not study.exists():
        raise InputError(
            f"no protocol found: {study} does not exist. Pass --protocol FILE, or write "
            f"{study} with a line 'protocol: path/to/protocol.yaml'."
        )
    if not study.is_file():
        raise InputError(
            f"{study}: is a folder, not a file. Remove or rename it and write {study} with a "
            "line 'protocol: path/to/protocol.yaml', or pass --protocol FILE."
        )
    try:
        doc = yaml.safe_load(study.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError(f"{study}: not valid YAML ({exc}).") from exc
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{study}: not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset "
            f"{exc.start}). Save it as UTF-8 with a line 'protocol: path/to/protocol.yaml'."
        ) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("protocol"), str):
        raise InputError(
            f"{study}: needs a 'protocol: <path relative to study.yaml>' entry, got "
            f"{type(doc).__name__ if not isinstance(doc, dict) else sorted(doc)}."
        )
    p = Path(doc["protocol"])
    if not p.is_absolute():
        p = study.parent / p
    if not p.exists():
        raise InputError(
            f"{study}: protocol {doc['protocol']!r} -> {p} does not exist. Fix the 'protocol' entry."
        )
    return p


@dataclass
class StudyResult:
    """Everything the export writes (docs/outputs.md), as plain rows and documents."""

    protocol: Protocol
    sessions: list[SessionResult]
    metrics: list[dict[str, Any]]
    touchpoints: list[dict[str, Any]]
    fixations: list[dict[str, Any]]
    evidence: list[dict[str, Any]]
    evidence_doc: dict[str, Any]
    journey: dict[str, Any]
    detector: str
    params: dict[str, Any]
    #: per screen id, the image the report draws on (:func:`study_screenshots`); None when
    #: the study folder holds no screenshots.json
    screenshots: dict[str, Any] | None = None
    #: aois.csv rows: the AOI geometry each session was analysed with
    aois: list[dict[str, Any]] = field(default_factory=list)


def combine(
    results: Sequence[SessionResult],
    protocol: Protocol,
    *,
    study: str,
    detector: str | None = None,
    params: Mapping[str, Any] | None = None,
) -> StudyResult:
    """Merge per-session results and apply the friction rules (pure, deterministic).

    A participant id must be unique: a later session of a participant already seen is
    marked failed (``error`` says which file came first) rather than mixed in.
    """
    import dataclasses

    results = list(results)
    first: dict[str, str] = {}
    for i, r in enumerate(results):
        if not r.ok:
            continue
        if r.participant in first:
            results[i] = dataclasses.replace(
                r,
                ok=False,
                tables=None,
                error=f"participant {r.participant!r} was already analysed from "
                f"{first[r.participant]}; give every session its own participant id "
                "(root attribute 'participant') or move one of the files out of the study",
            )
        else:
            first[r.participant] = r.file
    ok = [r for r in results if r.ok and r.tables is not None]
    metrics = [row for r in ok for row in r.tables.metrics]  # type: ignore[union-attr]
    tps = [row for r in ok for row in r.tables.touchpoints]  # type: ignore[union-attr]
    fix = [row for r in ok for row in r.tables.fixations]  # type: ignore[union-attr]
    records = friction_evidence(metrics, tps, protocol)
    det_name = next((r.detector for r in ok if r.detector), None) or detector or ""
    det_params = next((r.params for r in ok if r.params), None) or dict(params or {})
    participants = sorted({r.participant for r in ok})
    ev = evidence_document(
        records,
        protocol,
        study=study,
        detector=det_name,
        params=det_params,
        participants=participants,
    )
    journey = journey_summary(tps, records, protocol)
    aois = aoi_summaries(metrics)
    for st in journey["stages"]:
        for tp in st["touchpoints"]:
            tp["aois"] = [a for a in aois if a["touchpoint_id"] == tp["id"]]
    return StudyResult(
        protocol, list(results), metrics, tps, fix, records, ev, journey, det_name, det_params,
        aois=[row for r in ok for row in r.aois],
    )  # fmt: skip


def analyze_study(
    study_dir: str | os.PathLike[str],
    protocol: Protocol | str | os.PathLike[str] | None = None,
    detector: str | None = None,
    params: Mapping[str, Any] | None = None,
    *,
    jobs: int = 1,
    scheduler: str | None = None,
    progress: bool = True,
    exclude: Sequence[Path] = (),
    max_scroll_px: float = MAX_SCROLL_PX,
    write_cache: bool = True,
) -> StudyResult:
    """Analyse every session file of a study folder (see module docstring)."""
    if not isinstance(protocol, Protocol):
        from gazemap.protocol import load_protocol

        protocol = load_protocol(find_protocol(study_dir, protocol))
    paths = find_sessions(study_dir, exclude)
    results = run_sessions(
        paths,
        protocol,
        detector,
        params,
        jobs=jobs,
        scheduler=scheduler,
        progress=progress,
        max_scroll_px=max_scroll_px,
        write_cache=write_cache,
    )
    result = combine(results, protocol, study=str(study_dir), detector=detector, params=params)
    shots = study_screenshots(study_dir, protocol, exclude)
    if shots is not None:
        result.screenshots = shots
        result.evidence_doc["screenshots"] = shots
    return result


def _png_size(path: Path) -> tuple[int, int] | None:
    """(width, height) from a PNG's IHDR header, or None if the file is not a PNG."""
    with open(path, "rb") as fh:
        head = fh.read(24)
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    w, h = struct.unpack(">II", head[16:24])
    return int(w), int(h)


#: a screenshot whose sides scale the page by factors this far apart (relative) is not of the
#: page's shape: drawn on it, everything is stretched more one way than the other
SHAPE_TOLERANCE = 0.02


def protocol_screenshot_notes(protocol: Protocol) -> list[str]:
    """A note per protocol screenshot that is not the shape of its screen's page.

    A screenshot may be larger than the page by one factor (a phone's capture in device px,
    3 x 390 x 844 = 1170 x 2532): the report scales page px onto it. A capture of another
    shape, typically one view of a scrolling list (1170 x 2532 for a 390 x 1600 page), is
    stretched by different factors across and down, so AOI outlines, heatmaps and gaze plots
    are drawn over other content. PNG sizes are read from the header; other images are not
    checked.
    """
    out = []
    for sid, sc in protocol.screens.items():
        path = protocol.screenshot_path(sc)
        if path is None or not path.is_file():
            continue
        size = _png_size(path)
        if size is None:
            continue
        w, h = size
        sx, sy = w / sc.page_width_px, h / sc.page_height_px
        if abs(sx - sy) <= SHAPE_TOLERANCE * max(sx, sy):
            continue
        full_h = round(sc.page_height_px * sx)
        out.append(
            f"screen '{sid}': its screenshot {sc.screenshot} is {w}x{h} px but its page is "
            f"{sc.page_width_px}x{sc.page_height_px} px, another shape ({sx:.3g} times across, "
            f"{sy:.3g} times down), so AOI outlines, heatmaps and gaze plots are stretched "
            "onto it, over other content. Use a capture of the whole page"
            + (f" ({w}x{full_h} px at this width)" if sy < sx else "")
            + ", or set the page to the size of what the capture shows"
        )
    return out


def _size_note(screen_id: str, file: Path, w: int, h: int, pw: int, ph: int) -> str | None:
    if abs(w - pw) <= 1 and abs(h - ph) <= 1:
        return None
    return (
        f"screen '{screen_id}': the study's screenshot {file} is {w}x{h} px, the protocol's page "
        f"is {pw}x{ph} px; AOIs and fixations are in page px, so the image is stretched to the "
        "page for drawing. Update the protocol's 'page' size if the page changed."
    )


def study_screenshots(
    study_dir: str | os.PathLike[str], protocol: Protocol, exclude: Sequence[Path] = ()
) -> dict[str, Any] | None:
    """The image each screen's heatmaps are drawn on, from the study's own captures.

    Looks for ``screenshots.json`` (written by ``gazemap present --screenshots DIR``) in
    ``study_dir`` and its subfolders (hidden folders and ``exclude`` skipped). Per protocol
    screen: the study's capture if one is listed and its file exists (``source: "study"``),
    else the protocol's screenshot (``source: "protocol"``); per-participant captures
    (``<participant>/<screen>`` keys) are listed under ``participants``. Sizes are image px;
    a capture whose size differs from the protocol's page size gets a ``note``.

    Returns
    -------
    ``{screen_id: {"source", "file", "width_px", "height_px", "page_width_px",
    "page_height_px", "note", "participants": {participant: {"file", "width_px",
    "height_px", "note"}}}}``, or None when the study holds no screenshots.json.

    Raises
    ------
    InputError
        A screenshots.json is not JSON or has no ``screens`` object.
    """
    root = _study_dir(study_dir)
    ex = [e.resolve() for e in exclude]
    manifests = []
    for p in sorted(root.rglob(SCREENSHOTS_FILE)):
        if any(part.startswith(".") for part in p.relative_to(root).parts):
            continue
        if any(p.resolve().is_relative_to(e) for e in ex):
            continue
        manifests.append(p)
    if not manifests:
        return None
    screens = protocol.screens
    out: dict[str, Any] = {}
    for sid, sc in screens.items():
        own = protocol.screenshot_path(sc)
        out[sid] = {
            "source": "protocol",
            "file": None if own is None else str(own),
            "width_px": sc.page_width_px,
            "height_px": sc.page_height_px,
            "page_width_px": sc.page_width_px,
            "page_height_px": sc.page_height_px,
            "note": None,
            "participants": {},
        }
    for mp in manifests:
        try:
            doc = json.loads(mp.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(
                f"{mp}: not valid JSON ({exc}). Re-create it with `gazemap present "
                "--screenshots DIR` or delete it to draw on the protocol's screenshots."
            ) from exc
        if not isinstance(doc, dict) or not isinstance(doc.get("screens"), dict):
            raise InputError(
                f"{mp}: needs a 'screens' object (screen id -> {{'file': ...}}), as written by "
                "`gazemap present --screenshots DIR`; fix or delete it."
            )
        for key, entry in sorted(doc["screens"].items()):
            participant, _, sid = str(key).rpartition("/")
            if sid not in screens or not isinstance(entry, dict):
                continue
            if not isinstance(entry.get("file"), str):
                continue
            file = (mp.parent / entry["file"]).resolve()
            if not file.is_file():
                continue
            size = _png_size(file)
            if size is None:
                w, h = entry.get("width_px"), entry.get("height_px")
                if not isinstance(w, int) or not isinstance(h, int):
                    continue
                size = (w, h)
            sc = screens[sid]
            rec: dict[str, Any] = {
                "file": str(file),
                "width_px": size[0],
                "height_px": size[1],
                # the note names the file relative to the study: outputs hold no absolute path
                "note": _size_note(
                    sid,
                    Path(os.path.relpath(file, root.resolve())),
                    *size,
                    sc.page_width_px,
                    sc.page_height_px,
                ),
            }
            if participant:
                out[sid]["participants"].setdefault(participant, rec)
            elif out[sid]["source"] == "protocol":
                out[sid].update(rec, source="study")
    return out
