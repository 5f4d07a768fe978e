"""The simulated participant: its statistics, its journey through a protocol, its truth."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import REPO
from hypothesis import given, settings
from hypothesis import strategies as st

from gazemap.errors import InputError
from gazemap.geometry import px_to_deg, screen_to_page
from gazemap.protocol import AOI, Protocol, load_protocol
from gazemap.simulation import SimulatedSession, simulate_session
from gazemap.types import Label, ScreenGeometry, Validity

SCREEN = ScreenGeometry(1440, 900, 432.0, 270.0, 650.0)


@pytest.fixture(scope="module")
def store() -> Protocol:
    return load_protocol(REPO / "protocols" / "online-store.yaml")


@pytest.fixture(scope="module")
def journey(store: Protocol) -> SimulatedSession:
    return simulate_session(store, participant="P01", seed=11, screen=SCREEN, rate_hz=1000.0)


@pytest.fixture(scope="module")
def free() -> SimulatedSession:
    """Five minutes of free viewing, no data loss besides blinks, for the noise statistics."""
    return simulate_session(
        None,
        participant="F",
        seed=5,
        screen=SCREEN,
        rate_hz=500.0,
        duration_s=300.0,
        data_loss_rate=0.0,
    )


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) indexes of runs of True."""
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return np.flatnonzero(d == 1), np.flatnonzero(d == -1)


def _inside(aoi: AOI, x: float, y: float) -> bool:
    """Independent hit test (matplotlib path for polygons) to check the simulator's truth."""
    from matplotlib.path import Path as MplPath

    c = aoi.coords
    if aoi.shape == "rect":
        return c[0] <= x <= c[0] + c[2] and c[1] <= y <= c[1] + c[3]
    if aoi.shape == "ellipse":
        return ((x - c[0]) / c[2]) ** 2 + ((y - c[1]) / c[3]) ** 2 <= 1
    return bool(MplPath(aoi.points).contains_point((x, y)))


# -- events ----------------------------------------------------------------------------


def test_fixation_durations_are_lognormal_around_250_ms(
    journey: SimulatedSession, free: SimulatedSession
) -> None:
    for sim in (journey, free):
        d_ms = sim.truth_fixations.duration_s[:-1] * 1000  # the last one is cut by the session end
        assert 215 <= np.median(d_ms) <= 290
        # right-skewed like real fixation durations; no impossibly short ones
        assert np.mean(d_ms) > np.median(d_ms)
        assert d_ms.min() >= 50


def test_saccades_follow_the_main_sequence(journey: SimulatedSession) -> None:
    from scipy.optimize import curve_fit

    s = journey.truth_saccades
    a, d_ms = s.amplitude_deg, s.duration_s * 1000
    slope, intercept = np.polyfit(a, d_ms, 1)
    assert slope == pytest.approx(2.2, abs=0.15)
    assert intercept == pytest.approx(21.0, abs=2.5)
    (vmax, c), _ = curve_fit(
        lambda x, v, k: v * (1 - np.exp(-x / k)), a, s.peak_velocity_deg_s, p0=(500, 14)
    )
    assert 500 <= vmax <= 800 and 5 <= c <= 14
    # saturating: small saccades gain more velocity per degree than large ones
    small, large = s.peak_velocity_deg_s / a, s.peak_velocity_deg_s / a
    assert np.median(small[a < 3]) > 1.5 * np.median(large[a > 12])


def test_sample_velocities_match_the_true_peak_velocity(store: Protocol) -> None:
    """The synthesised trajectory (no noise, no offset) really moves at the stated peak velocity."""
    sim = simulate_session(
        store, participant="V", seed=2, screen=SCREEN, rate_hz=2000.0, duration_s=60.0,
        precision_deg=0.0, accuracy_offset_deg=0.0, data_loss_rate=0.0,
    )  # fmt: skip
    g = sim.gaze
    xd, yd = px_to_deg(g.x_px, g.y_px, SCREEN)
    v = np.hypot(np.diff(xd), np.diff(yd)) * 2000.0
    t = g.time_s
    s = sim.truth_saccades
    ratios = []
    for i in range(len(s)):
        if s.amplitude_deg[i] < 4:
            continue
        sel = (t[:-1] >= s.start_s[i]) & (t[1:] <= s.end_s[i])
        if sel.sum() >= 20 and np.isfinite(v[sel]).all():
            ratios.append(v[sel].max() / s.peak_velocity_deg_s[i])
    assert len(ratios) > 20
    assert np.median(ratios) == pytest.approx(1.0, abs=0.06)


def test_post_saccadic_oscillation_follows_saccades(journey: SimulatedSession) -> None:
    lab = journey.truth_labels
    starts, ends = _runs(lab == Label.PSO)
    assert len(starts) == len(journey.truth_saccades)
    assert np.all(lab[starts - 1] == Label.SACCADE)
    dur_ms = (ends - starts) / journey.rate_hz * 1000
    assert dur_ms.min() >= 9 and dur_ms.max() <= 31


def test_labels_cover_every_sample_once(journey: SimulatedSession) -> None:
    lab = journey.truth_labels
    assert len(lab) == len(journey.gaze)
    assert set(np.unique(lab)) == {Label.FIXATION, Label.SACCADE, Label.PSO, Label.BLINK}
    n_sac = np.count_nonzero(lab == Label.SACCADE)
    assert n_sac == pytest.approx(
        journey.truth_saccades.duration_s.sum() * journey.rate_hz, rel=0.02
    )
    f = journey.truth_fixations
    assert np.all(f.start_s[1:] >= f.end_s[:-1])  # ordered, never overlapping
    n_fix = np.count_nonzero(lab == Label.FIXATION)
    assert n_fix == pytest.approx(f.duration_s.sum() * journey.rate_hz, rel=0.02)


# -- noise, accuracy, blinks, loss -------------------------------------------------------


@pytest.mark.parametrize(("precision", "rate"), [(0.3, 500.0), (0.8, 250.0), (0.1, 1000.0)])
def test_rms_s2s_is_the_set_precision(precision: float, rate: float) -> None:
    sim = simulate_session(
        None,
        participant="N",
        seed=3,
        screen=SCREEN,
        rate_hz=rate,
        duration_s=60.0,
        precision_deg=precision,
    )
    xd, yd = px_to_deg(sim.gaze.x_px, sim.gaze.y_px, SCREEN)
    fix = sim.truth_labels == Label.FIXATION
    both = fix[1:] & fix[:-1]
    s2s = np.sqrt(np.nanmean((np.diff(xd) ** 2 + np.diff(yd) ** 2)[both]))
    assert s2s == pytest.approx(precision, rel=0.08)


def test_accuracy_offset_is_the_set_one() -> None:
    sim = simulate_session(
        None, participant="A", seed=4, screen=SCREEN, rate_hz=500.0, duration_s=60.0,
        precision_deg=0.2, accuracy_offset_deg=0.7,
    )  # fmt: skip
    g, f = sim.gaze, sim.truth_fixations
    i = np.clip(np.searchsorted(g.time_s, (f.start_s + f.end_s) / 2), 0, len(g) - 1)
    # mean recorded position during each fixation vs the true centroid
    xd, yd = px_to_deg(g.x_px, g.y_px, SCREEN)
    err_x, err_y = [], []
    for k in range(len(f)):
        sel = (g.time_s >= f.start_s[k]) & (g.time_s < f.end_s[k])
        if np.count_nonzero(np.isfinite(xd[sel])) > 20:
            err_x.append(np.nanmean(xd[sel]) - f.x_deg[k])
            err_y.append(np.nanmean(yd[sel]) - f.y_deg[k])
    assert len(i) and len(err_x) > 50
    offset = np.hypot(np.median(err_x), np.median(err_y))
    assert offset == pytest.approx(0.7, abs=0.08)


def test_blinks(free: SimulatedSession) -> None:
    g = free.gaze
    blink = free.truth_labels == Label.BLINK
    starts, ends = _runs(blink)
    per_min = len(starts) / (free.duration_s / 60)
    assert 9 <= per_min <= 22
    dur_ms = (ends - starts) / free.rate_hz * 1000
    assert dur_ms.min() >= 98 and dur_ms.max() <= 302
    lost = (g.validity & Validity.BLINK).astype(bool)
    assert not np.any(lost & ~blink)
    assert np.all(np.isnan(g.x_px[lost])) and np.all(np.isnan(g.left_pupil_mm[lost]))
    # the signal is lost for most of a blink; at its edges the lid drags the gaze down
    assert 0.7 < lost.sum() / blink.sum() < 0.95
    y_before = g.y_px[starts - 1]
    y_edge = g.y_px[starts + int(0.008 * free.rate_hz)]
    assert np.nanmedian(y_edge - y_before) > 5
    # the pupil closes around a blink: smaller just before it than 0.2 s before
    before = starts[starts > free.rate_hz] - 2
    earlier = before - int(0.2 * free.rate_hz)
    ok = np.isfinite(g.left_pupil_mm[before]) & np.isfinite(g.left_pupil_mm[earlier])
    assert np.mean(g.left_pupil_mm[before][ok] < g.left_pupil_mm[earlier][ok]) > 0.9


def test_data_loss_share_and_validity_flags() -> None:
    sim = simulate_session(
        None,
        participant="L",
        seed=8,
        screen=SCREEN,
        rate_hz=250.0,
        duration_s=300.0,
        data_loss_rate=0.1,
    )
    g = sim.gaze
    not_blink = sim.truth_labels != Label.BLINK
    lost_both = (g.validity & Validity.LEFT_INVALID).astype(bool) & (
        g.validity & Validity.RIGHT_INVALID
    ).astype(bool)
    one_eye = (g.validity & (Validity.LEFT_INVALID | Validity.RIGHT_INVALID)).astype(
        bool
    ) & ~lost_both
    share = np.mean((lost_both | one_eye)[not_blink])
    assert share == pytest.approx(0.1, abs=0.035)
    assert np.all(np.isnan(g.x_px[lost_both]))
    assert np.all(
        np.isfinite(g.x_px[one_eye & not_blink & ~(g.validity & Validity.OFF_SCREEN).astype(bool)])
    )
    left_lost = (g.validity & Validity.LEFT_INVALID).astype(bool) & ~lost_both
    assert np.all(np.isnan(g.left_x_px[left_lost])) and np.allclose(
        g.x_px[left_lost], g.right_x_px[left_lost]
    )


def test_pupils_in_mm(journey: SimulatedSession) -> None:
    lp, rp = journey.gaze.left_pupil_mm, journey.gaze.right_pupil_mm
    assert 1.5 < np.nanmin(lp) and np.nanmax(lp) < 6.5
    assert np.nanmedian(rp - lp) == pytest.approx(0.05, abs=0.03)


# -- the journey -----------------------------------------------------------------------


def test_markers_walk_the_journey_in_order(journey: SimulatedSession, store: Protocol) -> None:
    m = journey.markers
    assert np.all(np.diff(m.time_s) > 0)
    values = list(m.value)
    tps = [v.split("/")[1] for v in values if v.startswith("touchpoint/") and v.endswith("/start")]
    assert tps == [tp.id for tp in store.touchpoints]
    for n, tp in enumerate(store.touchpoints, start=1):
        i0 = values.index(f"touchpoint/{tp.id}/start")
        i1 = values.index(f"touchpoint/{tp.id}/end")
        inside = values[i0 + 1 : i1]
        assert inside[0] == f"task/{n}/start" and inside[-1] == f"task/{n}/end"
        assert f"screen/{tp.screens[0].id}" in inside
        clicks = [v.split("/")[1] for v in inside if v.startswith("click/")]
        assert len(clicks) == 1
        roles = {a.id: a.role for a in tp.screens[0].aois}
        assert roles[clicks[0]] in ("cta", "target")


def test_time_per_touchpoint_and_session_length(journey: SimulatedSession, store: Protocol) -> None:
    m = journey.markers
    t = dict(zip(m.value, m.time_s, strict=True))
    per_tp = [
        t[f"touchpoint/{tp.id}/end"] - t[f"touchpoint/{tp.id}/start"] for tp in store.touchpoints
    ]
    assert min(per_tp) > 5 and max(per_tp) < 80
    assert 60 < journey.duration_s < 600


def test_intended_aoi_contains_the_true_fixation(
    journey: SimulatedSession, store: Protocol
) -> None:
    screens = store.screens
    hits = total = 0
    for i, aoi_id in enumerate(journey.truth_aoi):
        if not aoi_id:
            continue
        sc = screens[journey.truth_screen[i]]
        aoi = next(a for a in sc.aois if a.id == aoi_id)
        if aoi.fixed:
            x = journey.truth_fixations.x_px[i] - sc.viewport_x_px
            y = journey.truth_fixations.y_px[i] - sc.viewport_y_px
        else:
            x, y = journey.truth_page_x_px[i], journey.truth_page_y_px[i]
        hits += _inside(aoi, x, y)
        total += 1
    assert total > 150
    assert hits / total >= 0.95
    roles = {a.id: a.role for sc in screens.values() for a in sc.aois}
    seen_roles = {roles[a] for a in journey.truth_aoi if a}
    assert seen_roles == {"target", "cta", "navigation", "content", "distractor"}


def test_truth_page_coordinates_agree_with_the_scroll_stream(journey: SimulatedSession) -> None:
    f = journey.truth_fixations
    ok = np.isfinite(journey.truth_page_x_px) & ~journey.truth_scrolling
    px, py = screen_to_page(f.start_s[ok], f.x_px[ok], f.y_px[ok], journey.scroll)
    assert np.allclose(px, journey.truth_page_x_px[ok], atol=1e-6)
    assert np.allclose(py, journey.truth_page_y_px[ok], atol=1e-6)


def test_long_pages_scroll_within_their_bounds(journey: SimulatedSession, store: Protocol) -> None:
    s = journey.scroll
    assert np.all(np.diff(s.time_s) >= 0)
    m = journey.markers
    starts = {
        v.split("/")[1]: t
        for t, v in zip(m.time_s, m.value, strict=True)
        if v.startswith("screen/")
    }
    ordered = sorted(starts.items(), key=lambda kv: kv[1])
    for k, (sid, t0) in enumerate(ordered):
        t1 = ordered[k + 1][1] if k + 1 < len(ordered) else np.inf
        sel = (s.time_s >= t0) & (s.time_s < t1)
        sc = store.screens[sid]
        y = s.scroll_y_px[sel]
        assert y[0] == 0  # a new page starts at the top
        assert y.min() >= 0 and y.max() <= sc.page_height_px - sc.viewport_height_px
        if sid == "search":  # the target card is below the fold
            assert y.max() > 300
    assert np.any(journey.truth_scrolling)


def test_gaze_stays_on_screen(journey: SimulatedSession) -> None:
    g = journey.gaze
    off = (g.validity & Validity.OFF_SCREEN).astype(bool)
    assert np.mean(off) < 0.03  # only near the edges (sticky header) with the tracker offset
    ok = np.isfinite(g.x_px) & ~off
    assert g.x_px[ok].min() >= 0 and g.x_px[ok].max() < SCREEN.width_px


def test_duration_cuts_the_journey(store: Protocol) -> None:
    sim = simulate_session(
        store, participant="P01", seed=11, screen=SCREEN, rate_hz=250.0, duration_s=30.0
    )
    assert sim.duration_s == pytest.approx(30.0, abs=0.01)
    assert sim.markers.time_s.max() <= sim.gaze.time_s[-1]
    assert "touchpoint/order-email/start" not in set(sim.markers.value)
    assert sim.truth_fixations.start_s.max() <= sim.gaze.time_s[-1]


def test_longer_duration_adds_free_viewing(store: Protocol, journey: SimulatedSession) -> None:
    sim = simulate_session(
        store,
        participant="P01",
        seed=11,
        screen=SCREEN,
        rate_hz=100.0,
        duration_s=journey.duration_s + 20,
    )
    assert sim.duration_s == pytest.approx(journey.duration_s + 20, abs=0.02)
    assert list(sim.markers.value) == list(journey.markers.value)


def test_participants_differ_in_speed(store: Protocol) -> None:
    durations = [
        simulate_session(
            store, participant=f"P{i:02d}", seed=1, screen=SCREEN, rate_hz=50.0
        ).duration_s
        for i in range(1, 7)
    ]
    assert max(durations) > 1.25 * min(durations)


def test_start_time_shifts_every_stream(store: Protocol) -> None:
    a = simulate_session(
        store, participant="P", seed=1, screen=SCREEN, rate_hz=100.0, duration_s=20.0
    )
    b = simulate_session(
        store,
        participant="P",
        seed=1,
        screen=SCREEN,
        rate_hz=100.0,
        duration_s=20.0,
        start_time_s=5000.0,
    )
    assert np.allclose(b.gaze.time_s - 5000.0, a.gaze.time_s)
    assert np.allclose(b.markers.time_s - 5000.0, a.markers.time_s)
    assert np.allclose(b.scroll.time_s - 5000.0, a.scroll.time_s)
    assert np.allclose(a.gaze.x_px, b.gaze.x_px, atol=1e-6, equal_nan=True)


# -- determinism and free viewing ----------------------------------------------------------


def test_deterministic_for_participant_and_seed(store: Protocol, journey: SimulatedSession) -> None:
    again = simulate_session(store, participant="P01", seed=11, screen=SCREEN, rate_hz=1000.0)
    for name in ("x_px", "y_px", "left_pupil_mm", "validity"):
        assert np.array_equal(
            getattr(again.gaze, name), getattr(journey.gaze, name), equal_nan=True
        )
    assert list(again.markers.value) == list(journey.markers.value)
    assert np.array_equal(again.truth_labels, journey.truth_labels)
    other_seed = simulate_session(
        store, participant="P01", seed=12, screen=SCREEN, rate_hz=1000.0, duration_s=10
    )
    other_participant = simulate_session(
        store, participant="P02", seed=11, screen=SCREEN, rate_hz=1000.0, duration_s=10
    )
    n = len(other_seed.gaze)
    assert not np.array_equal(other_seed.gaze.x_px, journey.gaze.x_px[:n], equal_nan=True)
    assert not np.array_equal(other_participant.gaze.x_px, journey.gaze.x_px[:n], equal_nan=True)


def test_free_viewing_without_protocol(free: SimulatedSession) -> None:
    assert len(free.markers) == 0
    assert free.protocol_id == ""
    assert len(free.scroll) == 1 and free.scroll.scroll_y_px[0] == 0
    assert np.all(free.truth_aoi == "")
    assert free.duration_s == pytest.approx(300.0, abs=0.01)
    amp = free.truth_saccades.amplitude_deg
    assert 3 <= np.median(amp) <= 10


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 2**31), rate=st.sampled_from([60.0, 120.0, 250.0]))
def test_invariants_hold_for_any_seed(seed: int, rate: float) -> None:
    sim = simulate_session(
        None, participant="H", seed=seed, screen=SCREEN, rate_hz=rate, duration_s=20.0
    )
    assert len(sim.truth_labels) == len(sim.gaze) == int(20.0 * rate)
    assert np.all(np.diff(sim.gaze.time_s) > 0)
    f = sim.truth_fixations
    assert np.all(f.end_s >= f.start_s) and np.all(f.start_s[1:] >= f.end_s[:-1])
    assert len(sim.truth_aoi) == len(sim.truth_screen) == len(f)


# -- bad arguments -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"rate_hz": 0.0}, ["rate_hz must be > 0", "--rate-hz"]),
        ({"precision_deg": -0.1}, ["precision_deg must be >= 0"]),
        ({"accuracy_offset_deg": float("nan")}, ["accuracy_offset_deg must be >= 0"]),
        ({"data_loss_rate": 1.0}, ["data_loss_rate must be in [0, 1)"]),
        ({"duration_s": -2.0}, ["duration_s must be > 0", "--duration-s"]),
    ],
)
def test_bad_arguments(kwargs: dict[str, float], words: list[str]) -> None:
    with pytest.raises(InputError) as info:
        simulate_session(None, participant="X", seed=0, screen=SCREEN, **kwargs)  # type: ignore[arg-type]
    assert all(w in str(info.value) for w in words)


def test_protocol_without_touchpoints() -> None:
    from gazemap.protocol import FrictionThresholds

    empty = Protocol(id="e", name="E", stages=(), thresholds=FrictionThresholds())
    with pytest.raises(InputError, match="no touchpoints"):
        simulate_session(empty, participant="X", seed=0, screen=SCREEN)
