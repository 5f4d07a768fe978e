"""A simulated participant: realistic binocular gaze, markers and scrolling, with ground truth.

Pure NumPy, no I/O. :func:`simulate_session` plans what a participant looks at (free viewing,
or "doing the tasks" of a study protocol: touchpoint by touchpoint, AOIs chosen with
probabilities by role, scrolling long pages, clicking the target/CTA) and then synthesises
the samples of all events at once (vectorised):

- fixation durations: lognormal, median ~250 ms (participant factor 0.9-1.1);
- saccades: duration = 2.2 ms/deg * A + 21 ms (Carpenter 1988, +-8 % jitter), minimum-jerk
  position profile (Flash & Hogan 1985), so peak velocity = 1.875 * A / duration, which
  saturates with amplitude like the main sequence Vp = Vmax (1 - exp(-A / C))
  (Baloh et al. 1975; fitted to the simulated saccades: see docs/simulator.md);
- post-saccadic oscillation: a damped oscillation (30-45 Hz, 10-30 ms) that overshoots in the
  saccade's direction, amplitude growing with saccade size (Nystrom & Holmqvist 2010);
- fixational noise: white noise per eye + a little pink (1/f) noise common to both eyes,
  scaled so that the binocular signal's RMS sample-to-sample (RMS-S2S) is ``precision_deg``;
  slow drift (~0.3 deg/s) within each fixation;
- blinks ~15/min (100-300 ms) with NaN gaze, validity BLINK and the pupil closing/opening
  around them; short tracking losses (``data_loss_rate`` of the time, some of them
  monocular); a constant tracker offset of ``accuracy_offset_deg`` (accuracy error).

Ground truth is what the simulated *eye* did: per-sample labels (gazemap.types.Label), true
fixations (centroid of the eye's true position, without noise or tracker offset) with the
AOI the participant intended to look at, and true saccades.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from gazemap.errors import InputError
from gazemap.geometry import deg_to_px, px_to_deg
from gazemap.protocol import AOI, Protocol, Screen, Touchpoint
from gazemap.quality import VALIDATION_PATTERNS, validation_marker, validation_targets_px
from gazemap.types import (
    Fixations,
    GazeSamples,
    Label,
    Markers,
    Saccades,
    ScreenGeometry,
    ScrollSamples,
    Validity,
)

#: saccade duration model (Carpenter 1988): duration_ms = SACCADE_MS_PER_DEG * A + SACCADE_MS_0
SACCADE_MS_PER_DEG = 2.2
SACCADE_MS_0 = 21.0
#: peak velocity of a minimum-jerk profile relative to the mean velocity A / D
MIN_JERK_PEAK = 1.875
FIXATION_MEDIAN_S = 0.25
FIXATION_SIGMA = 0.4
BLINKS_PER_MIN = 15.0
#: what a participant does after failing a task (simulate_session's ``after_fail``)
AFTER_FAIL = ("continue", "abandon")

_FIX, _SAC, _PSO, _BLINK = int(Label.FIXATION), int(Label.SACCADE), int(Label.PSO), int(Label.BLINK)


@dataclass(frozen=True, slots=True)
class SimulatedSession:
    """A simulated session and its ground truth.

    Attributes
    ----------
    gaze : (n,) samples at ``rate_hz``: binocular and per-eye screen px, pupils in mm,
        validity flags (gazemap.types.Validity); NaN where invalid.
    markers : ``touchpoint/<id>/start|end``, ``screen/<id>``, ``task/<n>/start|end``,
        ``click/<aoi_id>``, in time order.
    scroll : page scroll offset and viewport origin (px), a sample at each screen start and
        ~60 Hz samples while the page scrolls (sample-and-hold in between).
    truth_labels : (n,) int8 gazemap.types.Label per gaze sample (FIXATION, SACCADE, PSO,
        BLINK). Tracking-loss samples keep the label of what the eye did.
    truth_fixations : true fixations (centroids of the true eye position, screen px/deg).
    truth_saccades : true saccades (start/end of the eye, amplitude, analytic peak velocity).
    truth_aoi, truth_screen, truth_touchpoint : (n_fixations,) object arrays: the AOI id the
        participant intended to fixate ("" for none), the screen and touchpoint on show
        ("" between touchpoints / without protocol).
    truth_page_x_px, truth_page_y_px : (n_fixations,) the true fixation in page px (NaN when
        no screen is on show or the page scrolled during the fixation).
    truth_scrolling : (n_fixations,) bool, the page scrolled during the fixation.
    """

    gaze: GazeSamples
    markers: Markers
    scroll: ScrollSamples
    truth_labels: np.ndarray
    truth_fixations: Fixations
    truth_saccades: Saccades
    truth_aoi: np.ndarray
    truth_screen: np.ndarray
    truth_touchpoint: np.ndarray
    truth_page_x_px: np.ndarray
    truth_page_y_px: np.ndarray
    truth_scrolling: np.ndarray
    participant: str
    seed: int
    rate_hz: float
    screen: ScreenGeometry
    protocol_id: str = ""
    params: dict[str, float | str] = field(default_factory=dict)
    #: touchpoints whose task the participant failed (journey order)
    failed_touchpoints: tuple[str, ...] = ()

    @property
    def duration_s(self) -> float:
        t = self.gaze.time_s
        return float(t[-1] - t[0]) if len(t) else 0.0


# ---------------------------------------------------------------------------------------
# Participant traits
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Traits:
    speed: float  # > 1 = slower to find things
    fixation_factor: float
    distractibility: float
    blink_per_min: float
    pupil_mm: float
    miss_prob: float


def _traits(rng: np.random.Generator) -> _Traits:
    return _Traits(
        speed=float(np.clip(rng.lognormal(0.0, 0.3), 0.7, 1.8)),
        fixation_factor=float(rng.uniform(0.92, 1.08)),
        distractibility=float(rng.uniform(0.3, 1.6)),
        blink_per_min=float(BLINKS_PER_MIN * rng.uniform(0.8, 1.2)),
        pupil_mm=float(rng.uniform(2.8, 4.6)),
        miss_prob=float(rng.uniform(0.0, 0.12)),
    )


# ---------------------------------------------------------------------------------------
# Planning: which points the eye fixates, when, and what happens on the page
# ---------------------------------------------------------------------------------------


class _Plan:
    """Builds the event timeline (in degrees) plus markers, scroll samples and truth."""

    def __init__(
        self, rng: np.random.Generator, traits: _Traits, screen: ScreenGeometry, t0: float
    ) -> None:
        self.rng = rng
        self.traits = traits
        self.screen = screen
        self.t = t0
        # event table columns
        self.kind: list[int] = []
        self.start: list[float] = []
        self.end: list[float] = []
        self.x0: list[float] = []
        self.y0: list[float] = []
        self.x1: list[float] = []
        self.y1: list[float] = []
        self.p_amp: list[float] = []
        self.p_freq: list[float] = []
        # fixation truth
        self.f_aoi: list[str] = []
        self.f_screen: list[str] = []
        self.f_tp: list[str] = []
        self.f_page: list[tuple[float, float]] = []
        self.f_scroll: list[bool] = []
        self.f_event: list[int] = []
        self.s_event: list[int] = []
        self.markers: list[tuple[float, str]] = []
        self.scroll: list[tuple[float, float, float, float, float]] = []
        self.pos_deg: tuple[float, float] | None = None  # where the eye is now
        self.failed: list[str] = []  # touchpoints whose task the participant failed

    # -- primitive events --------------------------------------------------------------
    def _event(
        self,
        kind: int,
        dur: float,
        x0: float,
        y0: float,
        x1: float = 0.0,
        y1: float = 0.0,
        amp: float = 0.0,
        freq: float = 0.0,
    ) -> int:
        self.kind.append(kind)
        self.start.append(self.t)
        self.end.append(self.t + dur)
        self.x0.append(x0)
        self.y0.append(y0)
        self.x1.append(x1)
        self.y1.append(y1)
        self.p_amp.append(amp)
        self.p_freq.append(freq)
        self.t += dur
        return len(self.kind) - 1

    def fixation_duration(self, scale: float = 1.0) -> float:
        d = self.rng.lognormal(
            np.log(FIXATION_MEDIAN_S * self.traits.fixation_factor * scale), FIXATION_SIGMA
        )
        return float(np.clip(d, 0.08, 1.6))

    def fixate(
        self,
        x_px: float,
        y_px: float,
        dur: float,
        *,
        aoi: str = "",
        screen: str = "",
        tp: str = "",
        page: tuple[float, float] = (np.nan, np.nan),  # page px - screen px during the fixation
        scrolling: bool = False,
        blink_ok: bool = True,
        drift: bool = True,
    ) -> None:
        """Saccade (+PSO) from the current eye position to (x_px, y_px), then fixate ``dur`` s.

        With the participant's blink rate a blink splits the fixation in two. ``drift=False``:
        the eye holds the point (a validation target the participant is asked to look at).
        """
        x_px = float(np.clip(x_px, 1.0, self.screen.width_px - 2.0))
        y_px = float(np.clip(y_px, 1.0, self.screen.height_px - 2.0))
        xa, ya = px_to_deg(np.array([x_px]), np.array([y_px]), self.screen)
        xd, yd = float(xa[0]), float(ya[0])
        rng = self.rng
        if self.pos_deg is not None:
            sx, sy = self.pos_deg
            amp = float(np.hypot(xd - sx, yd - sy))
            if amp < 0.3:  # a refixation of the same spot is still a (micro)saccade away
                ang = rng.uniform(0, 2 * np.pi)
                xd, yd = sx + 0.4 * np.cos(ang), sy + 0.4 * np.sin(ang)
                amp = 0.4
            dur_s = (SACCADE_MS_PER_DEG * amp + SACCADE_MS_0) / 1000.0 * rng.uniform(0.92, 1.08)
            self.s_event.append(self._event(_SAC, dur_s, sx, sy, xd, yd))
            pso_amp = min(0.04 * amp + 0.08, 0.8) * rng.uniform(0.5, 1.4)
            self._event(
                _PSO,
                rng.uniform(0.010, 0.030),
                xd,
                yd,
                (xd - sx) / amp,
                (yd - sy) / amp,
                amp=pso_amp,
                freq=rng.uniform(30.0, 45.0),
            )
        speed = rng.lognormal(np.log(0.3), 0.5) if drift else 0.0  # drift, deg/s
        ang = rng.uniform(0, 2 * np.pi)
        vx, vy = speed * np.cos(ang), speed * np.sin(ang)
        # a blink ends this fixation; the eye fixates the same spot again after it (so
        # fixation durations keep their distribution)
        # per fixation + its saccade; x1.3 for the time not spent in such pairs (blinks, the
        # fixation after a blink, scrolling) so that the session's rate is blink_per_min
        p_blink = self.traits.blink_per_min / 60.0 * (dur + 0.06) * 1.3
        parts = [dur]
        blink = 0.0
        if blink_ok and rng.random() < p_blink:
            parts = [dur, self.fixation_duration()]
            blink = rng.uniform(0.10, 0.30)
        x, y = xd, yd
        for i, part in enumerate(parts):
            if i == 1:
                # the closing lid drags the pupil-centre estimate down before the signal is lost
                # (and it comes back from below): x1/y1 hold the artefact's lengths, s
                self._event(
                    _BLINK,
                    blink,
                    x,
                    y,
                    rng.uniform(0.010, 0.025),
                    rng.uniform(0.015, 0.035),
                    amp=rng.uniform(0.5, 2.0),
                )
            ev = self._event(_FIX, part, x, y, vx, vy)
            self.f_event.append(ev)
            self.f_aoi.append(aoi)
            self.f_screen.append(screen)
            self.f_tp.append(tp)
            self.f_page.append(page)
            self.f_scroll.append(scrolling)
            x, y = x + vx * part, y + vy * part
        self.pos_deg = (x, y)

    def eye_px(self) -> tuple[float, float] | None:
        if self.pos_deg is None:
            return None
        x, y = deg_to_px(np.array([self.pos_deg[0]]), np.array([self.pos_deg[1]]), self.screen)
        return float(x[0]), float(y[0])

    def mark(self, value: str, t: float | None = None) -> None:
        t = self.t if t is None else t
        if self.markers and t <= self.markers[-1][0]:
            t = self.markers[-1][0] + 1e-6  # keep markers strictly ordered
        self.markers.append((t, value))

    def scroll_sample(
        self, sx: float, sy: float, vx: float, vy: float, t: float | None = None
    ) -> None:
        self.scroll.append((self.t if t is None else t, sx, sy, vx, vy))

    def wait(self, dur: float) -> None:
        """Hold the current position as a fixation outside any touchpoint (page loading)."""
        if self.pos_deg is None:
            return
        x, y = deg_to_px(np.array([self.pos_deg[0]]), np.array([self.pos_deg[1]]), self.screen)
        jitter = self.rng.normal(0, 40, 2)
        self.fixate(float(x[0] + jitter[0]), float(y[0] + jitter[1]), dur)


# -- AOI geometry (pure numpy; the analysis has its own vectorised hit testing) --------


def _inside(aoi: AOI, x: float, y: float) -> bool:
    c = aoi.coords
    if aoi.shape == "rect":
        return c[0] <= x <= c[0] + c[2] and c[1] <= y <= c[1] + c[3]
    if aoi.shape == "ellipse":
        return ((x - c[0]) / c[2]) ** 2 + ((y - c[1]) / c[3]) ** 2 <= 1.0
    p = aoi.points
    xs, ys = p[:, 0], p[:, 1]
    xj, yj = np.roll(xs, 1), np.roll(ys, 1)
    cross = (ys > y) != (yj > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        xint = (xj - xs) * (y - ys) / (yj - ys) + xs
    return bool(np.count_nonzero(cross & (x < xint)) % 2)


def _area(aoi: AOI) -> float:
    x0, y0, x1, y1 = aoi.bbox
    return max((x1 - x0) * (y1 - y0), 1.0)


class _Page:
    """One screen on show: scroll state and coordinate transforms."""

    def __init__(self, sc: Screen, screen: ScreenGeometry) -> None:
        self.sc = sc
        self.vx = float(sc.viewport_x_px)
        self.vy = float(sc.viewport_y_px)
        # the visible part is the viewport clipped to the physical screen
        self.vw = float(min(sc.viewport_width_px, screen.width_px - self.vx))
        self.vh = float(min(sc.viewport_height_px, screen.height_px - self.vy))
        self.max_scroll_y = float(max(sc.page_height_px - self.vh, 0))
        self.scroll_y = 0.0
        self.fixed = [a for a in sc.aois if a.fixed]

    def visible(self, aoi: AOI) -> bool:
        if aoi.fixed:
            return True
        _, y0, _, y1 = aoi.bbox
        top, bottom = self.scroll_y, self.scroll_y + self.vh
        overlap = min(y1, bottom) - max(y0, top)
        return overlap >= min(0.5 * (y1 - y0), 0.5 * self.vh, 60.0)

    def offset(self) -> tuple[float, float]:
        """page px - screen px now (scroll - viewport origin)."""
        return -self.vx, self.scroll_y - self.vy

    def to_screen(self, aoi_fixed: bool, px: float, py: float) -> tuple[float, float]:
        if aoi_fixed:
            return px + self.vx, py + self.vy
        return px + self.vx, py - self.scroll_y + self.vy

    def occluded(self, px: float, py: float) -> bool:
        """A page point hidden under a fixed element (sticky header) at the current scroll."""
        vy = py - self.scroll_y
        return any(_inside(a, px, vy) for a in self.fixed)

    def point_in(
        self, rng: np.random.Generator, aoi: AOI, near: tuple[float, float] | None = None
    ) -> tuple[float, float] | None:
        """A random point of the AOI that is visible now, in page px: centre-biased, or
        within ~100 px of ``near`` (the next fixation of reading within one element)."""
        x0, y0, x1, y1 = aoi.bbox
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        for i in range(40):
            if near is not None and i < 20:
                px = near[0] + rng.normal(60.0, 90.0)
                py = near[1] + rng.normal(10.0, 40.0)
            else:
                px = rng.normal(cx, 0.22 * (x1 - x0))
                py = rng.normal(cy, 0.22 * (y1 - y0))
            if not _inside(aoi, px, py):
                continue
            if aoi.fixed:
                if py < self.vh:
                    return px, py
                continue
            if (
                self.scroll_y + 4 <= py <= self.scroll_y + self.vh - 4
                and 0 <= px < self.vw
                and not self.occluded(px, py)
            ):
                return px, py
        return None

    def free_point(
        self, rng: np.random.Generator, eye_px: tuple[float, float] | None
    ) -> tuple[float, float]:
        """A random visible page point not aimed at any AOI, mostly near the eye."""
        if eye_px is not None and rng.random() < 0.7:
            px = float(
                np.clip(eye_px[0] - self.vx + rng.normal(0, 250), 0.05 * self.vw, 0.95 * self.vw)
            )
            vy = float(
                np.clip(eye_px[1] - self.vy + rng.normal(0, 180), 0.1 * self.vh, 0.9 * self.vh)
            )
            return px, self.scroll_y + vy
        px = rng.uniform(0.05, 0.95) * self.vw
        py = self.scroll_y + rng.uniform(0.1, 0.9) * self.vh
        return px, py


_ROLE_BASE = {"target": 0.0, "cta": 0.2, "navigation": 0.2, "content": 1.0, "distractor": 0.1}


def _weights(
    page: _Page,
    aois: list[AOI],
    t_rel: float,
    found: bool,
    traits: _Traits,
    eye_px: tuple[float, float] | None,
) -> np.ndarray:
    """Probability weights of looking at each AOI next: by role (navigation early, targets
    once found, distractors by the participant's distractibility), size, visibility and
    nearness to where the eye is (short saccades are more frequent)."""
    w = np.empty(len(aois))
    for i, a in enumerate(aois):
        if a.role == "target":
            base = 2.0 if found else 0.0
        elif a.role == "cta":
            # buttons are salient: often glanced at early, then again once the target is found
            base = 1.0 if found else 0.3 + 1.0 * np.exp(-t_rel / 5.0)
        elif a.role == "navigation":
            base = 0.2 + 2.0 * np.exp(-t_rel / 3.0)
        elif a.role == "distractor":
            base = 0.1 + 1.5 * traits.distractibility * np.exp(-t_rel / 10.0)
        else:
            base = _ROLE_BASE.get(a.role, 1.0)
        size = float(np.clip((_area(a) / 60000.0) ** 0.3, 0.5, 2.0))
        vis = 1.0 if page.visible(a) else 0.12
        near = 1.0
        if eye_px is not None and vis == 1.0:
            x0, y0, x1, y1 = a.bbox
            sx, sy = page.to_screen(a.fixed, (x0 + x1) / 2, (y0 + y1) / 2)
            near = 0.3 + float(np.exp(-np.hypot(sx - eye_px[0], sy - eye_px[1]) / 400.0))
        w[i] = base * size * vis * near
    return w


def _do_screen(
    plan: _Plan,
    tp: Touchpoint,
    sc: Screen,
    last: bool,
    budget_s: float,
    fail: bool = False,
) -> None:
    """Look at one screen of a touchpoint: search, find the target, click.

    ``fail``: the participant fails the task here: searches 1.6-2.2x the time budget without
    finding the target (40 %: one late glance at it, not recognised), then gives up without
    clicking anything.
    """
    rng, traits = plan.rng, plan.traits
    page = _Page(sc, plan.screen)
    plan.mark(f"screen/{sc.id}")
    plan.scroll_sample(0.0, 0.0, page.vx, page.vy, t=plan.markers[-1][0])
    aois = list(sc.aois)
    targets = [a for a in aois if a.role == "target"]
    ctas = [a for a in aois if a.role == "cta"]
    click: AOI | None = (ctas or targets)[0] if (ctas or targets) else None
    target = targets[0] if targets else None
    t_start = plan.t
    if target is not None:
        depth = (target.bbox[1] + target.bbox[3]) / 2 / max(sc.page_height_px, 1)
        depth = 0.0 if target.fixed else depth
        small = float(np.clip(20000.0 / _area(target), 0.5, 2.0))
        t_find = (1.5 + 9.0 * depth) * small * traits.speed * rng.uniform(0.6, 1.4)
        if target is not click and rng.random() < traits.miss_prob:
            t_find = np.inf  # never finds it (clicks the CTA in the end)
    else:
        t_find = 0.5
    found = False
    give_up_s, glance_s = np.inf, np.inf
    if fail:
        t_find = np.inf
        give_up_s = budget_s * rng.uniform(1.6, 2.2)
        if target is not None and rng.random() < 0.4:
            glance_s = give_up_s * rng.uniform(0.5, 0.9)

    def look(aoi: AOI | None, n: int, scale: float = 1.0) -> None:
        prev: tuple[float, float] | None = None
        for _ in range(n):
            if aoi is not None:
                if not page.visible(aoi):
                    scroll_to(aoi)
                    prev = None
                pt = page.point_in(rng, aoi, prev)
                prev = pt
                if pt is None:
                    scroll_to(aoi)
                    pt = page.point_in(rng, aoi)
                if pt is None:
                    continue
                sx, sy = page.to_screen(aoi.fixed, *pt)
                plan.fixate(
                    sx,
                    sy,
                    plan.fixation_duration(scale),
                    aoi=aoi.id,
                    screen=sc.id,
                    tp=tp.id,
                    page=page.offset(),
                )
            else:
                px, py = page.free_point(rng, plan.eye_px())
                sx, sy = page.to_screen(False, px, py)
                plan.fixate(
                    sx,
                    sy,
                    plan.fixation_duration(scale),
                    screen=sc.id,
                    tp=tp.id,
                    page=page.offset(),
                )

    def scroll_to(aoi: AOI | None, dy: float | None = None) -> None:
        if page.max_scroll_y <= 0:
            return
        if aoi is not None:
            cy = (aoi.bbox[1] + aoi.bbox[3]) / 2
            new = cy - page.vh * rng.uniform(0.3, 0.55)
        else:
            new = page.scroll_y + (dy if dy is not None else rng.uniform(250, 650))
        new = float(np.clip(round(new), 0, page.max_scroll_y))
        if abs(new - page.scroll_y) < 1:
            return
        # the eye holds a point in the middle of the viewport while the page moves
        sx = page.vx + rng.uniform(0.25, 0.75) * page.vw
        sy = page.vy + rng.uniform(0.35, 0.65) * page.vh
        dur = rng.uniform(0.3, 0.6)
        n_before = len(plan.f_event)
        # no blink here, so that the animation lies inside this one fixation
        plan.fixate(sx, sy, dur + 0.12, screen=sc.id, tp=tp.id, scrolling=True, blink_ok=False)
        a = plan.t - dur - 0.06
        times = np.arange(a, a + dur, 1 / 60.0)
        s = (times - a) / dur
        ease = s * s * (3 - 2 * s)
        y0 = page.scroll_y
        for tt, e in zip(times, ease, strict=True):
            plan.scroll_sample(0.0, y0 + (new - y0) * float(e), page.vx, page.vy, t=float(tt))
        plan.scroll_sample(0.0, new, page.vx, page.vy, t=float(a + dur))
        for k in range(n_before, len(plan.f_event)):
            plan.f_scroll[k] = True
        page.scroll_y = new

    # 1. orientation and search until the target is found
    others = [a for a in aois if a.role != "target"]
    while True:
        t_rel = plan.t - t_start
        if fail:
            if t_rel > give_up_s:
                break
            if t_rel >= glance_s:
                look(target, 1)  # looked at it without recognising it
                glance_s = np.inf
                continue
        elif t_rel >= t_find or t_rel > budget_s * 1.5:
            break
        if page.max_scroll_y > 0 and rng.random() < 0.08 and page.scroll_y < page.max_scroll_y:
            scroll_to(None)
            continue
        w = _weights(page, others, t_rel, False, traits, plan.eye_px())
        w_free = 0.35 * max(w.sum(), 1.0)
        probs = np.append(w, w_free)
        k = int(rng.choice(len(probs), p=probs / probs.sum()))
        if k == len(others):
            look(None, 1)
        else:
            a = others[k]
            n = 1 + int(rng.geometric(0.45 if a.role == "content" else 0.7)) - 1
            look(a, max(n, 1), 1.08 if a.role == "content" else 1.0)
    if fail:
        return  # gives up: no click
    # 2. found: dwell on the target, compare, then act
    if target is not None and np.isfinite(t_find):
        found = True
        look(target, int(rng.integers(2, 5)))
    end_at = t_start + max(budget_s, plan.t - t_start + 1.0)
    while plan.t < end_at - 1.5:
        pool = aois
        w = _weights(page, pool, plan.t - t_start, found, traits, plan.eye_px())
        probs = np.append(w, 0.25 * max(w.sum(), 1.0))
        k = int(rng.choice(len(probs), p=probs / probs.sum()))
        look(pool[k] if k < len(pool) else None, 1)
    if click is not None:
        look(click, int(rng.integers(1, 3)))
        # the click happens while the eye rests on the element
        last_fix = plan.f_event[-1]
        t_click = max(plan.start[last_fix] + 0.02, plan.t - rng.uniform(0.05, 0.15))
        plan.mark(f"click/{click.id}", t_click)


def _fail_screen(tp: Touchpoint) -> int:
    """Index of the screen on which a participant who fails ``tp`` gives up: the screen with
    the success click, the screen before a success screen of the touchpoint itself, else the
    last screen (the earlier screens are done as usual, the later ones never shown)."""
    crit = tp.success
    ids = [sc.id for sc in tp.screens]
    if crit is not None and crit.kind == "click":
        for i, sc in enumerate(tp.screens):
            if any(a.id == crit.value for a in sc.aois):
                return i
    if crit is not None and crit.kind == "screen" and crit.value in ids[1:]:
        return ids.index(crit.value) - 1
    return len(tp.screens) - 1


def _plan_protocol(
    plan: _Plan,
    protocol: Protocol,
    end_s: float | None,
    start_px: tuple[float, float] | None,
    fail: frozenset[str] = frozenset(),
    after_fail: str = "continue",
) -> None:
    rng, traits = plan.rng, plan.traits
    # a fixation on the centre before the first page, as after a calibration check
    x, y = start_px or (plan.screen.width_px / 2, plan.screen.height_px / 2)
    plan.fixate(x, y, rng.uniform(0.8, 1.2))
    for n, tp in enumerate(protocol.touchpoints, start=1):
        if end_s is not None and plan.t >= end_s:
            return
        plan.mark(f"touchpoint/{tp.id}/start")
        plan.mark(f"task/{n}/start")
        budget = rng.uniform(12.0, 30.0) * traits.speed / max(len(tp.screens), 1)
        failed = tp.id in fail
        give_up_at = _fail_screen(tp) if failed else -1
        for i, sc in enumerate(tp.screens):
            if i:
                plan.wait(rng.uniform(0.3, 0.8))
            _do_screen(plan, tp, sc, i == len(tp.screens) - 1, budget, fail=i == give_up_at)
            if i == give_up_at:
                break
        if failed:
            # the moderator notes that the participant gave up (docs/metrics.md, "Task success")
            plan.mark(f"task/{n}/fail")
            plan.failed.append(tp.id)
        elif tp.success is not None and tp.success.kind == "marker":
            plan.mark(tp.success.value, plan.t)  # the moderator marks the success
        # the page unloads just after the eye leaves the clicked element (during the saccade)
        plan.mark(f"task/{n}/end", plan.t + 0.012)
        plan.mark(f"touchpoint/{tp.id}/end", plan.t + 0.012)
        plan.wait(rng.uniform(0.3, 0.9))  # page load / switching to the e-mail client
        if failed and after_fail == "abandon":
            return  # gives up the rest of the journey: the session ends here


def _plan_validation(plan: _Plan, n_points: int) -> None:
    """A validation before the tasks: each target shown 1.2-1.6 s between
    ``validation/<x>,<y>/start`` and ``/end`` markers; the eye goes to it and holds it."""
    for x, y in validation_targets_px(n_points, plan.screen.width_px, plan.screen.height_px):
        plan.mark(validation_marker(x, y, "start"))
        plan.fixate(x, y, plan.rng.uniform(1.2, 1.6), blink_ok=False, drift=False)
        plan.mark(validation_marker(x, y, "end"))


def _plan_free(plan: _Plan, end_s: float, start_px: tuple[float, float] | None = None) -> None:
    """Free viewing: centre-biased random targets with realistic saccade amplitudes."""
    rng, scr = plan.rng, plan.screen
    x, y = start_px or (scr.width_px / 2, scr.height_px / 2)
    plan.fixate(x, y, plan.fixation_duration())
    while plan.t < end_s:
        assert plan.pos_deg is not None
        for _ in range(20):
            amp = rng.gamma(2.0, 3.0) + 0.5
            ang = rng.uniform(0, 2 * np.pi)
            xd = plan.pos_deg[0] + amp * np.cos(ang)
            yd = plan.pos_deg[1] + amp * np.sin(ang)
            xa, ya = deg_to_px(np.array([xd]), np.array([yd]), scr)
            xp, yp = float(xa[0]), float(ya[0])
            if (
                0.03 * scr.width_px < xp < 0.97 * scr.width_px
                and 0.03 * scr.height_px < yp < 0.97 * scr.height_px
            ):
                break
        else:
            xp = scr.width_px / 2 + float(rng.normal(0, 100))
            yp = scr.height_px / 2 + float(rng.normal(0, 80))
        plan.fixate(xp, yp, plan.fixation_duration())


# ---------------------------------------------------------------------------------------
# Synthesis: all samples at once
# ---------------------------------------------------------------------------------------


def _pink(rng: np.random.Generator, n: int, rate_hz: float) -> np.ndarray:
    """Unit-SD 1/f noise (power ~ 1/f above 0.05 Hz) of n samples."""
    if n < 4:
        return np.zeros(n)
    m = 1 << (n - 1).bit_length()  # a power of two: FFTs of prime-ish lengths are slow
    spec = np.fft.rfft(rng.standard_normal(m))
    f = np.fft.rfftfreq(m, 1.0 / rate_hz)
    spec /= np.sqrt(np.maximum(f, 0.05))
    out = np.fft.irfft(spec, m)[:n]
    return (out - out.mean()) / (out.std() + 1e-12)


def _min_jerk(s: np.ndarray) -> np.ndarray:
    return s * s * s * (10.0 - 15.0 * s + 6.0 * s * s)


def _loss_mask(
    rng: np.random.Generator, n: int, rate_hz: float, share: float
) -> tuple[np.ndarray, np.ndarray]:
    """Short tracking losses covering ~``share`` of the samples; (both eyes, one eye) masks."""
    both = np.zeros(n, dtype=bool)
    one = np.zeros(n, dtype=np.int8)  # 1 = left lost, 2 = right lost
    if share <= 0 or n == 0:
        return both, one
    mean_len_s = 0.06
    count = rng.poisson(share * n / rate_hz / mean_len_s)
    starts = rng.integers(0, n, count)
    lens = np.maximum((rng.exponential(mean_len_s, count) * rate_hz).astype(int), 1)
    mono = rng.random(count) < 0.2
    eye = rng.integers(1, 3, count)
    for s, ln, m, e in zip(starts, lens, mono, eye, strict=True):
        if m:
            one[s : s + ln] = e
        else:
            both[s : s + ln] = True
    return both, one


def _synthesise(
    plan: _Plan,
    rng: np.random.Generator,
    rate_hz: float,
    t0: float,
    end_s: float,
    precision_deg: float,
    accuracy_offset_deg: float,
    data_loss_rate: float,
) -> tuple[GazeSamples, np.ndarray]:
    screen = plan.screen
    kind = np.asarray(plan.kind, dtype=np.int64)
    start = np.asarray(plan.start)
    end = np.asarray(plan.end)
    x0, y0 = np.asarray(plan.x0), np.asarray(plan.y0)
    x1, y1 = np.asarray(plan.x1), np.asarray(plan.y1)
    amp, freq = np.asarray(plan.p_amp), np.asarray(plan.p_freq)
    n = max(int(np.floor((end_s - t0) * rate_hz)), 1)
    t = t0 + np.arange(n) / rate_hz
    idx = np.clip(np.searchsorted(start, t, side="right") - 1, 0, len(kind) - 1)
    k = kind[idx]
    tau = t - start[idx]
    dur = np.maximum(end[idx] - start[idx], 1e-9)
    ex = x0[idx].copy()
    ey = y0[idx].copy()
    fix = k == _FIX
    # the last fixation may run past its planned end when the session is cut longer
    ex[fix] += x1[idx][fix] * tau[fix]
    ey[fix] += y1[idx][fix] * tau[fix]
    sac = k == _SAC
    p = _min_jerk(np.clip(tau[sac] / dur[sac], 0.0, 1.0))
    ex[sac] += (x1[idx][sac] - x0[idx][sac]) * p
    ey[sac] += (y1[idx][sac] - y0[idx][sac]) * p
    pso = k == _PSO
    s = np.clip(tau[pso] / dur[pso], 0.0, 1.0)
    osc = (
        amp[idx][pso]
        * np.sin(2 * np.pi * freq[idx][pso] * tau[pso])
        * np.exp(-tau[pso] / 0.008)
        * (1 - s) ** 2
    )
    ex[pso] += x1[idx][pso] * osc
    ey[pso] += y1[idx][pso] * osc
    bl = k == _BLINK
    pre, post = x1[idx][bl], y1[idx][bl]
    tb, db = tau[bl], dur[bl]
    art = np.where(tb < pre, tb / pre, np.where(tb > db - post, (db - tb) / post, 0.0))
    ey[bl] += amp[idx][bl] * np.clip(art, 0.0, 1.0)
    labels = k.astype(np.int8)

    # noise: common pink (fixational eye movements) + white per eye (tracker), scaled so the
    # binocular RMS-S2S equals precision_deg
    pink_sd = 0.35 * precision_deg
    pkx, pky = _pink(rng, n, rate_hz) * pink_sd, _pink(rng, n, rate_hz) * pink_sd
    s2s_pink2 = float(np.mean(np.diff(pkx) ** 2 + np.diff(pky) ** 2)) if n > 1 else 0.0
    white_b = (
        np.sqrt(max(precision_deg**2 - s2s_pink2, 0.25 * precision_deg**2)) / 2.0
    )  # per axis, binocular
    white_eye = white_b * np.sqrt(2.0)
    ang = rng.uniform(0, 2 * np.pi)
    off_x, off_y = accuracy_offset_deg * np.cos(ang), accuracy_offset_deg * np.sin(ang)
    eye_dx, eye_dy = rng.normal(0, 0.1, 2)
    lx = ex + pkx + off_x + eye_dx + rng.normal(0, white_eye, n)
    ly = ey + pky + off_y + eye_dy + rng.normal(0, white_eye, n)
    rx = ex + pkx + off_x - eye_dx + rng.normal(0, white_eye, n)
    ry = ey + pky + off_y - eye_dy + rng.normal(0, white_eye, n)

    # validity: blinks, tracking loss (both eyes or one)
    blink = np.zeros(n, dtype=bool)  # the part of a blink without signal
    blink[bl] = (tb >= pre) & (tb <= db - post)
    both, one = _loss_mask(rng, n, rate_hz, data_loss_rate)
    left_bad = blink | both | (one == 1)
    right_bad = blink | both | (one == 2)
    lx[left_bad] = np.nan
    ly[left_bad] = np.nan
    rx[right_bad] = np.nan
    ry[right_bad] = np.nan
    lxp, lyp = deg_to_px(lx, ly, screen)
    rxp, ryp = deg_to_px(rx, ry, screen)
    with np.errstate(invalid="ignore"):
        bx = np.where(left_bad, rxp, np.where(right_bad, lxp, (lxp + rxp) / 2))
        by = np.where(left_bad, ryp, np.where(right_bad, lyp, (lyp + ryp) / 2))
    validity = np.zeros(n, dtype=np.int64)
    validity[left_bad] |= int(Validity.LEFT_INVALID)
    validity[right_bad] |= int(Validity.RIGHT_INVALID)
    validity[blink] |= int(Validity.BLINK)
    with np.errstate(invalid="ignore"):
        off = (bx < 0) | (bx >= screen.width_px) | (by < 0) | (by >= screen.height_px)
    validity[off] |= int(Validity.OFF_SCREEN)

    # pupils: participant baseline, slow 1/f variation, closing around blinks
    base = plan.traits.pupil_mm + 0.15 * _pink(rng, n, rate_hz)
    closing = np.ones(n)
    b_idx = np.flatnonzero(kind == _BLINK)
    ramp_s = 0.05
    for bi in b_idx:
        for edge, sign in ((start[bi] + x1[bi], -1.0), (end[bi] - y1[bi], 1.0)):
            lo, hi = np.searchsorted(t, [edge - ramp_s, edge + ramp_s])
            d = (t[lo:hi] - edge) * sign  # >0 outside the blink, distance from it
            near = (d > 0) & (d < ramp_s)
            seg = closing[lo:hi]
            seg[near] = np.minimum(seg[near], 0.6 + 0.4 * d[near] / ramp_s)
    lp = base * closing + rng.normal(0, 0.01, n)
    rp = (base + 0.05) * closing + rng.normal(0, 0.01, n)
    lp[left_bad] = np.nan
    rp[right_bad] = np.nan
    gaze = GazeSamples(
        time_s=t,
        x_px=bx,
        y_px=by,
        left_x_px=lxp,
        left_y_px=lyp,
        right_x_px=rxp,
        right_y_px=ryp,
        left_pupil_mm=lp,
        right_pupil_mm=rp,
        validity=validity,
    )
    return gaze, labels


def _failing(
    protocol: Protocol | None,
    fail_touchpoints: Sequence[str],
    fail_rate: float,
    after_fail: str,
    seed: int,
    participant: str,
) -> frozenset[str]:
    """The touchpoints the participant fails (validated ``--fail``, plus the ``--fail-rate``
    draws from their own random stream)."""
    if after_fail not in AFTER_FAIL:
        raise InputError(
            f"simulate_session: after_fail must be one of {', '.join(AFTER_FAIL)}, got "
            f"{after_fail!r}. Fix --after-fail."
        )
    if not (np.isfinite(fail_rate) and 0.0 <= fail_rate <= 1.0):
        raise InputError(
            f"simulate_session: fail_rate must be in [0, 1], got {fail_rate!r}. Fix --fail-rate."
        )
    if protocol is None:
        if fail_touchpoints or fail_rate > 0:
            raise InputError(
                "--fail/--fail-rate need a protocol: without one the participant views freely "
                "and has no tasks to fail. Add --protocol FILE."
            )
        return frozenset()
    tps = {tp.id: tp for tp in protocol.touchpoints}
    with_criterion = [tp.id for tp in protocol.touchpoints if tp.success is not None]
    for tp_id in fail_touchpoints:
        if tp_id not in tps:
            raise InputError(
                f"--fail {tp_id}: protocol {protocol.id!r} has no touchpoint {tp_id!r}; name one "
                f"of {', '.join(tps)}."
            )
        if tps[tp_id].success is None:
            raise InputError(
                f"--fail {tp_id}: touchpoint {tp_id!r} of protocol {protocol.id!r} has no "
                "success: criterion, so the analysis could not tell a failure from a success; "
                "add one (docs/protocols.md, 'Task success') or fail one of "
                f"{', '.join(with_criterion) or '(none: no touchpoint has one)'}."
            )
    fail = set(fail_touchpoints)
    if fail_rate > 0:
        key = [int(seed) & 0xFFFFFFFF, zlib.crc32(participant.encode("utf-8")), 4]
        draws = np.random.default_rng(key).random(len(protocol.touchpoints))
        fail |= {tp_id for tp_id, u in zip(tps, draws, strict=True) if u < fail_rate}
    return frozenset(f for f in fail if tps[f].success is not None)


#: the fastest eye trackers sample at 2000 Hz; far above, a session only fills memory
MAX_RATE_HZ = 10_000.0
#: a session's samples are held in memory (~250 bytes each): 3 h at 1000 Hz
MAX_SAMPLES = 10_800_000
#: start times beyond this lose the sample spacing in float64 (LSL clocks are far smaller)
MAX_START_S = 1e9
#: the option of ``gazemap simulate`` and ``gazemap stream simulated`` for each argument
_OPTION = {
    "rate_hz": "--rate-hz",
    "precision_deg": "--precision-deg",
    "accuracy_offset_deg": "--accuracy-deg",
    "data_loss_rate": "--data-loss",
    "start_time_s": "--start-time-s",
}


def simulate_session(
    protocol: Protocol | None,
    *,
    participant: str,
    seed: int,
    screen: ScreenGeometry,
    rate_hz: float = 1000.0,
    duration_s: float | None = None,
    precision_deg: float = 0.3,
    accuracy_offset_deg: float = 0.5,
    data_loss_rate: float = 0.02,
    start_time_s: float = 0.0,
    start_position_px: tuple[float, float] | None = None,
    fail_touchpoints: Sequence[str] = (),
    fail_rate: float = 0.0,
    after_fail: str = "continue",
    validation_points: int = 0,
) -> SimulatedSession:
    """Simulate one participant's session (deterministic for ``participant`` and ``seed``).

    Parameters
    ----------
    protocol : with a protocol the participant "does the tasks": every touchpoint in order
        (markers, AOIs chosen by role, scrolling, a click on the target/CTA), 12-30 s per
        touchpoint scaled by the participant's speed. None: free viewing of the screen.
    participant : participant id; it and ``seed`` set the participant's traits (speed,
        distractibility, fixation durations, blink rate, pupil size).
    seed : random seed.
    screen : the screen the gaze is on (px, mm, viewing distance).
    rate_hz : sample rate, Hz (> 0).
    duration_s : session length, s. None: the journey's own length with a protocol, 60 s
        without. With a protocol a shorter duration cuts the journey (later markers are
        missing); a longer one adds free viewing after the journey.
    precision_deg : RMS sample-to-sample noise of the binocular signal, degrees (>= 0).
    accuracy_offset_deg : constant tracker offset, degrees, in a random direction (>= 0).
    data_loss_rate : share of time with tracking loss besides blinks, in [0, 1).
    start_time_s : time of the first sample (the LSL clock when published live).
    start_position_px : (x, y) screen px of the first fixation (default: the screen centre);
        pass the last true position of a previous session to continue it seamlessly.
    fail_touchpoints : ids of touchpoints whose task the participant fails: they search
        1.6-2.2x as long without finding the target (40 %: one late, unrecognised glance at
        it), click nothing, and a ``task/<n>/fail`` marker says they gave up (as a moderator
        notes it). Each must have a ``success:`` criterion.
    fail_rate : besides those, each touchpoint with a ``success:`` criterion is failed with
        this probability, in [0, 1] (drawn from ``participant`` and ``seed``, independently of
        every other draw: the same session as without it when nothing fails).
    after_fail : ``"continue"`` (the moderator moves the participant on to the next task, as
        in most moderated tests) or ``"abandon"`` (the participant gives up the rest of the
        journey: the session ends after the failed touchpoint).
    validation_points : 0 (none), 5 or 9: before the tasks the participant looks at that many
        validation targets (``validation/<x>,<y>/start`` and ``/end`` markers), from which
        the analysis measures accuracy (:func:`gazemap.quality.validation_from_markers`).
        Other random draws change with it.

    Returns
    -------
    SimulatedSession with the samples, markers, scroll stream and ground truth.
    """
    for name, value, ok, rule in (
        ("rate_hz", rate_hz, 0 < rate_hz <= MAX_RATE_HZ, f"> 0 and <= {MAX_RATE_HZ:g}"),
        ("precision_deg", precision_deg, precision_deg >= 0, ">= 0"),
        ("accuracy_offset_deg", accuracy_offset_deg, accuracy_offset_deg >= 0, ">= 0"),
        ("data_loss_rate", data_loss_rate, 0 <= data_loss_rate < 1, "in [0, 1)"),
        (
            "start_time_s",
            start_time_s,
            abs(start_time_s) <= MAX_START_S,
            f"within ±{MAX_START_S:g}",
        ),
    ):
        if not np.isfinite(value) or not ok:
            raise InputError(
                f"simulate_session: {name} must be {rule}, got {value!r}. "
                f"Fix the {_OPTION[name]} option."
            )
    if duration_s is not None and (not np.isfinite(duration_s) or duration_s <= 0):
        raise InputError(
            f"simulate_session: duration_s must be > 0, got {duration_s!r}. Fix --duration-s."
        )
    if duration_s is not None and duration_s * rate_hz > MAX_SAMPLES:
        raise InputError(
            f"simulate_session: {duration_s:g} s at {rate_hz:g} Hz is {duration_s * rate_hz:.3g} "
            f"samples; at most {MAX_SAMPLES:,} (3 h at 1000 Hz) are simulated at once, as they "
            "are held in memory. Shorten --duration-s or lower --rate-hz."
        )
    if validation_points and validation_points not in VALIDATION_PATTERNS:
        raise InputError(
            f"simulate_session: validation_points must be 0, 5 or 9, got {validation_points!r}. "
            "Fix --validation-points."
        )
    if protocol is not None and not protocol.touchpoints:
        raise InputError(
            f"protocol {protocol.id!r} has no touchpoints to simulate; add some to it."
        )
    fail = _failing(protocol, fail_touchpoints, fail_rate, after_fail, seed, participant)
    key = [int(seed) & 0xFFFFFFFF, zlib.crc32(participant.encode("utf-8"))]
    rng_traits = np.random.default_rng([*key, 1])
    rng_plan = np.random.default_rng([*key, 2])
    rng_samples = np.random.default_rng([*key, 3])
    traits = _traits(rng_traits)
    plan = _Plan(rng_plan, traits, screen, start_time_s)
    if validation_points:
        _plan_validation(plan, validation_points)
    if protocol is not None:
        cut = None if duration_s is None else start_time_s + duration_s
        _plan_protocol(plan, protocol, cut, start_position_px, fail, after_fail)
        end_s = plan.t if duration_s is None else start_time_s + duration_s
        if plan.t < end_s:
            _plan_free(plan, end_s)
    else:
        end_s = start_time_s + (60.0 if duration_s is None else duration_s)
        plan.scroll_sample(0.0, 0.0, 0.0, 0.0, t=start_time_s)
        _plan_free(plan, end_s, start_position_px)
    gaze, labels = _synthesise(
        plan,
        rng_samples,
        rate_hz,
        start_time_s,
        end_s,
        precision_deg,
        accuracy_offset_deg,
        data_loss_rate,
    )
    t_last = float(gaze.time_s[-1])
    # failed and reached: after an abandoned task (or a cut session) later draws never happen
    give_ups = {v for tm, v in plan.markers if tm <= t_last and v.endswith("/fail")}
    failed = tuple(
        tp_id
        for n, tp_id in enumerate(
            (tp.id for tp in (protocol.touchpoints if protocol else ())), start=1
        )
        if tp_id in plan.failed and f"task/{n}/fail" in give_ups
    )

    # truth tables: events (partly) inside the sampled time
    fe = np.asarray(plan.f_event, dtype=np.int64)
    st, en = np.asarray(plan.start), np.asarray(plan.end)
    keep_f = st[fe] <= t_last
    fe = fe[keep_f]
    f_start, f_end = st[fe], np.minimum(en[fe], t_last)
    x0, y0 = np.asarray(plan.x0)[fe], np.asarray(plan.y0)[fe]
    vx, vy = np.asarray(plan.x1)[fe], np.asarray(plan.y1)[fe]
    half = (f_end - f_start) / 2
    cx, cy = x0 + vx * half, y0 + vy * half
    cxp, cyp = deg_to_px(cx, cy, screen)
    disp = np.hypot(vx, vy) * (f_end - f_start)
    fixations = Fixations(f_start, f_end, cxp, cyp, cx, cy, disp)
    page_offset = np.asarray(plan.f_page, dtype=np.float64).reshape(-1, 2)[keep_f]
    se = np.asarray(plan.s_event, dtype=np.int64)
    se = se[st[se] <= t_last]
    sx0, sy0 = np.asarray(plan.x0)[se], np.asarray(plan.y0)[se]
    sx1, sy1 = np.asarray(plan.x1)[se], np.asarray(plan.y1)[se]
    samp = np.hypot(sx1 - sx0, sy1 - sy0)
    sdur = en[se] - st[se]
    a_px = deg_to_px(sx0, sy0, screen)
    b_px = deg_to_px(sx1, sy1, screen)
    saccades = Saccades(
        st[se], en[se], a_px[0], a_px[1], b_px[0], b_px[1], samp, MIN_JERK_PEAK * samp / sdur
    )

    mk = [(tm, v) for tm, v in plan.markers if tm <= t_last]
    markers = Markers(
        np.array([m[0] for m in mk], dtype=np.float64), np.array([m[1] for m in mk], dtype=object)
    )
    sc = np.asarray(
        [r for r in plan.scroll if r[0] <= t_last] or [plan.scroll[0]], dtype=np.float64
    )
    order = np.argsort(sc[:, 0], kind="stable")
    sc = sc[order]
    scroll = ScrollSamples(sc[:, 0], sc[:, 1], sc[:, 2], sc[:, 3], sc[:, 4])
    return SimulatedSession(
        gaze=gaze,
        markers=markers,
        scroll=scroll,
        truth_labels=labels,
        truth_fixations=fixations,
        truth_saccades=saccades,
        truth_aoi=np.array(plan.f_aoi, dtype=object)[keep_f],
        truth_screen=np.array(plan.f_screen, dtype=object)[keep_f],
        truth_touchpoint=np.array(plan.f_tp, dtype=object)[keep_f],
        truth_page_x_px=cxp + page_offset[:, 0],
        truth_page_y_px=cyp + page_offset[:, 1],
        truth_scrolling=np.array(plan.f_scroll, dtype=bool)[keep_f],
        participant=participant,
        seed=int(seed),
        rate_hz=float(rate_hz),
        screen=screen,
        protocol_id=protocol.id if protocol is not None else "",
        params={
            "precision_deg": float(precision_deg),
            "accuracy_offset_deg": float(accuracy_offset_deg),
            "data_loss_rate": float(data_loss_rate),
            "speed": traits.speed,
            "distractibility": traits.distractibility,
            "blinks_per_min": traits.blink_per_min,
            **({"validation_points": int(validation_points)} if validation_points else {}),
            **(
                {"failed_touchpoints": ";".join(failed), "after_fail": after_fail}
                if protocol is not None and (fail_touchpoints or fail_rate > 0)
                else {}
            ),
        },
        failed_touchpoints=failed,
    )
