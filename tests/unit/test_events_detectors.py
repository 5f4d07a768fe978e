"""Detectors of gazemap.events: behaviour on constructed gaze, the I-VT rules of Olsen (2012),
property tests of the invariants, and every error path."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gazemap.errors import InputError
from gazemap.events import DEFAULT_DETECTOR, DETECTORS, detect, detector_defaults
from gazemap.types import GazeSamples, Label, ScreenGeometry

SCREEN = ScreenGeometry(
    width_px=1024, height_px=768, width_mm=380.0, height_mm=300.0, distance_mm=670.0
)
FAST = ("ivt", "idt", "adaptive", "ivt_pso")


def scanpath(
    rate_hz: float,
    targets: list[tuple[float, float, float]],
    noise_px: float = 0.5,
    seed: int = 0,
) -> GazeSamples:
    """Fixations at (x, y) for (duration s), joined by saccades with a smooth (raised-cosine)
    position profile lasting as the main sequence says (21 ms + 2.2 ms per degree)."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    px, py = targets[0][0], targets[0][1]
    for k, (x, y, dur) in enumerate(targets):
        if k:
            amp_deg = np.hypot(x - px, y - py) / 31.5  # ~31.5 px per degree on SCREEN
            m = max(2, int(round((0.021 + 0.0022 * amp_deg) * rate_hz)))
            w = (1 - np.cos(np.linspace(0, np.pi, m))) / 2
            xs.append(px + (x - px) * w)
            ys.append(py + (y - py) * w)
        n = int(round(dur * rate_hz))
        xs.append(np.full(n, float(x)))
        ys.append(np.full(n, float(y)))
        px, py = x, y
    xa = np.concatenate(xs) + rng.normal(0, noise_px, sum(map(len, xs)))
    ya = np.concatenate(ys) + rng.normal(0, noise_px, sum(map(len, ys)))
    t = np.arange(len(xa)) / rate_hz
    return GazeSamples(t, xa, ya)


PATH = [(200, 300, 0.4), (700, 300, 0.3), (700, 600, 0.5), (300, 100, 0.3)]


def saccade_with_pso(
    rate_hz: float,
    amp_px: float,
    decay_s: float,
    noise_px: float,
    seed: int,
    duration_s: float = 0.6,
    drop_at_s: float | None = None,
) -> GazeSamples:
    """A 300 px minimum-jerk saccade of 40 ms at 0.2 s, then a 25 Hz oscillation of
    ``amp_px`` decaying over ``decay_s`` (the PSO), with Gaussian noise; ``drop_at_s``: a
    40 px drop in y over 15 ms there (an eyelid closing)."""
    t = np.arange(0, duration_s, 1 / rate_hz)
    tau = np.clip((t - 0.2) / 0.04, 0, 1)
    x = 300 + 300 * (10 * tau**3 - 15 * tau**4 + 6 * tau**5)
    ta = np.clip(t - 0.24, 0, None)
    x = x + np.where(t >= 0.24, amp_px * np.sin(2 * np.pi * 25 * ta) * np.exp(-ta / decay_s), 0)
    y = np.full(len(t), 384.0)
    if drop_at_s is not None:
        y += 40 * np.clip((t - drop_at_s) / 0.015, 0, 1)
    rng = np.random.default_rng(seed)
    return GazeSamples(t, x + rng.normal(0, noise_px, len(t)), y + rng.normal(0, noise_px, len(t)))


@pytest.mark.parametrize("name", [*FAST, "rf"])
def test_detectors_find_the_fixations_of_a_scanpath(name: str) -> None:
    g = scanpath(500, PATH)
    r = detect(g, SCREEN, name)
    assert r.detector == name and r.labels.dtype == np.int8 and len(r.labels) == len(g)
    assert len(r.fixations) == 4, (name, r.fixations)
    assert np.allclose(r.fixations.x_px, [p[0] for p in PATH], atol=15)
    assert np.allclose(r.fixations.y_px, [p[1] for p in PATH], atol=15)
    assert (r.labels == Label.FIXATION).mean() > 0.75
    # every fixation in deg agrees with its px centroid
    from gazemap.geometry import px_to_deg

    xd, yd = px_to_deg(r.fixations.x_px, r.fixations.y_px, SCREEN)
    assert np.allclose(xd, r.fixations.x_deg) and np.allclose(yd, r.fixations.y_deg)
    if name != "idt":  # I-DT calls every non-fixation sample a saccade
        assert len(r.saccades) == 3
        assert np.all(r.saccades.amplitude_deg > 5)
        assert np.all(r.saccades.peak_velocity_deg_s > 100)


def test_params_include_defaults_and_overrides() -> None:
    r = detect(scanpath(500, PATH), SCREEN, "ivt", velocity_threshold_deg_s="45")
    assert r.params["velocity_threshold_deg_s"] == 45.0
    assert r.params == {**detector_defaults("ivt"), "velocity_threshold_deg_s": 45.0}
    assert DEFAULT_DETECTOR in DETECTORS


def test_ivt_defaults_are_the_tobii_preset() -> None:
    d = detector_defaults("ivt")
    assert d["velocity_window_s"] == 0.020 and d["velocity_threshold_deg_s"] == 30.0
    assert d["max_gap_s"] == 0.075 and d["merge_max_time_s"] == 0.075
    assert d["merge_max_angle_deg"] == 0.5 and d["min_fixation_s"] == 0.060
    assert d["eye"] == "average" and d["noise"] == "none"


def _hold(rate: float, spans: list[tuple[float, float]]) -> GazeSamples:
    """Position x for each (x, duration) span, jumping between spans; y fixed."""
    x = np.concatenate([np.full(int(round(d * rate)), v) for v, d in spans])
    return GazeSamples(np.arange(len(x)) / rate, x, np.full(len(x), 384.0))


def test_ivt_merges_adjacent_fixations_within_75ms_and_half_degree() -> None:
    # a 2-sample blip of 100 px at 1000 Hz: the velocity window marks ~20 ms as saccade;
    # the fixations either side are 0 deg apart and < 75 ms apart: merged into one
    rate = 1000.0
    g = _hold(rate, [(500.0, 0.3), (600.0, 0.002), (500.0, 0.3)])
    merged = detect(g, SCREEN, "ivt")
    assert len(merged.fixations) == 1 and (merged.labels == Label.FIXATION).all()
    apart = detect(g, SCREEN, "ivt", merge_max_time_s=0.0)
    assert len(apart.fixations) == 2 and (apart.labels == Label.SACCADE).sum() > 0


@pytest.mark.parametrize(
    ("shift_px", "gap_n", "merged"),
    [(10.0, 10, True), (40.0, 10, False), (10.0, 36, True), (10.0, 39, False)],
)
def test_merge_rule_75ms_and_half_degree(shift_px: float, gap_n: int, merged: bool) -> None:
    # 500 Hz: fixation A, gap_n non-fixation samples, fixation B shift_px away (10 px = 0.32
    # deg, 40 px = 1.27 deg). The time between A's end and B's start is gap_n * 2 ms.
    from gazemap.events.postprocess import FIX, SAC, merge_fixations
    from gazemap.events.preprocess import PREPROCESS_DEFAULTS, preprocess

    n = 100 + gap_n + 100
    x = np.full(n, 500.0)
    x[100 + gap_n :] += shift_px
    g = GazeSamples(np.arange(n) / 500.0, x, np.full(n, 384.0))
    prep = preprocess(g, SCREEN, dict(PREPROCESS_DEFAULTS), 0.02)
    labels = np.full(n, FIX, dtype=np.int8)
    labels[100 : 100 + gap_n] = SAC
    out = merge_fixations(labels, prep, 0.075, 0.5)
    assert bool((out == FIX).all()) is merged


def test_ivt_discards_fixations_shorter_than_60ms_as_undefined() -> None:
    g = _hold(500.0, [(200.0, 0.3), (500.0, 0.05), (800.0, 0.3)])
    r = detect(g, SCREEN, "ivt")
    assert len(r.fixations) == 2
    assert (r.labels == Label.UNDEFINED).sum() > 0
    assert np.all(r.fixations.duration_s >= 0.06)
    kept = detect(g, SCREEN, "ivt", min_fixation_s=0.0)
    assert len(kept.fixations) == 3


def test_gap_fill_75ms_and_blinks() -> None:
    g = scanpath(500, [(500, 400, 1.0)])
    x = g.x_px.copy()
    x[100:130] = np.nan  # 60 ms: filled
    x[300:400] = np.nan  # 200 ms: blink/loss
    r = detect(GazeSamples(g.time_s, x, g.y_px), SCREEN, "ivt")
    assert (r.labels[100:130] == Label.FIXATION).all()
    assert (r.labels[300:400] == Label.BLINK).all()
    assert len(r.fixations) == 2  # never merged across a blink
    assert r.fixations.end_s[0] <= r.fixations.start_s[1]


def test_far_offscreen_samples_are_loss() -> None:
    g = scanpath(500, [(500, 400, 1.0)])
    x = g.x_px.copy()
    x[200:300] = 50_000.0
    r = detect(GazeSamples(g.time_s, x, g.y_px), SCREEN, DEFAULT_DETECTOR)
    assert (r.labels[200:300] == Label.BLINK).all()


def test_time_break_splits_events() -> None:
    g = scanpath(500, [(500, 400, 1.0)])
    t = g.time_s.copy()
    t[250:] += 1.0  # the stream paused for a second
    r = detect(GazeSamples(t, g.x_px, g.y_px), SCREEN, "ivt")
    assert len(r.fixations) == 2
    assert r.fixations.end_s[0] == pytest.approx(t[249] + 0.002)


def test_empty_input_gives_empty_result() -> None:
    e = np.empty(0)
    for name in DETECTORS:
        r = detect(GazeSamples(e, e, e), SCREEN, name)
        assert len(r.labels) == 0 and len(r.fixations) == 0 and len(r.saccades) == 0


def test_single_and_all_lost_samples() -> None:
    r = detect(GazeSamples(np.array([0.0]), np.array([1.0]), np.array([1.0])), SCREEN, "ivt")
    assert r.labels.tolist() == [Label.UNDEFINED]
    nan = np.full(10, np.nan)
    r = detect(GazeSamples(np.arange(10) / 500, nan, nan), SCREEN, DEFAULT_DETECTOR)
    assert (r.labels == Label.BLINK).all()


def test_errors() -> None:
    g = scanpath(500, PATH)
    with pytest.raises(InputError, match="unknown detector 'nope'"):
        detect(g, SCREEN, "nope")
    with pytest.raises(InputError, match="unknown detector"):
        detector_defaults("nope")
    with pytest.raises(InputError, match="no parameter 'speed'"):
        detect(g, SCREEN, "ivt", speed=3)
    with pytest.raises(InputError, match="GazeSamples"):
        detect({"x": 1}, SCREEN)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="ScreenGeometry"):
        detect(g, (1024, 768))  # type: ignore[arg-type]
    t = g.time_s.copy()
    t[10] = t[9]
    with pytest.raises(InputError, match="duplicated"):
        detect(GazeSamples(t, g.x_px, g.y_px), SCREEN)


# -- properties ----------------------------------------------------------------------------


@st.composite
def gaze_strategy(draw: st.DrawFn) -> GazeSamples:
    rate = draw(st.sampled_from([60.0, 250.0, 500.0, 1000.0]))
    k = draw(st.integers(1, 6))
    targets = [
        (draw(st.floats(0, 1024)), draw(st.floats(0, 768)), draw(st.floats(0.02, 0.5)))
        for _ in range(k)
    ]
    g = scanpath(rate, targets, noise_px=draw(st.floats(0, 5)), seed=draw(st.integers(0, 100)))
    x = g.x_px.copy()
    n = len(x)
    for _ in range(draw(st.integers(0, 3))):
        a = draw(st.integers(0, max(0, n - 1)))
        x[a : a + draw(st.integers(1, 80))] = np.nan
    return GazeSamples(g.time_s, x, g.y_px)


@pytest.mark.parametrize("name", FAST)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(g=gaze_strategy(), shift=st.integers(-1000, 10**6))
def test_properties(name: str, g: GazeSamples, shift: int) -> None:
    r = detect(g, SCREEN, name)
    # every sample exactly one label of 1..6
    assert r.labels.shape == (len(g),)
    assert np.isin(r.labels, [1, 2, 3, 4, 5, 6]).all()
    f = r.fixations
    # fixations are ordered and never overlap; durations respect the minimum
    assert np.all(f.end_s >= f.start_s)
    assert np.all(f.start_s[1:] >= f.end_s[:-1] - 1e-9)
    assert np.all(r.saccades.start_s[1:] >= r.saccades.end_s[:-1] - 1e-9)
    if "min_fixation_s" in r.params:
        assert np.all(f.duration_s >= float(r.params["min_fixation_s"]) - 1e-6)
    # fixation samples equal the samples covered by fixation events
    assert (r.labels == Label.FIXATION).sum() == pytest.approx(
        f.duration_s.sum() * _rate(g), abs=len(f) + 1
    )
    # labels do not depend on where the clock starts
    shifted = detect(GazeSamples(g.time_s + shift, g.x_px, g.y_px), SCREEN, name)
    assert np.array_equal(shifted.labels, r.labels)
    assert np.allclose(shifted.fixations.start_s - shift, f.start_s, atol=1e-6)


def _rate(g: GazeSamples) -> float:
    return 1.0 / float(np.median(np.diff(g.time_s))) if len(g) > 1 else 1.0


def test_sg_derivative_equals_scipy_savgol_inside() -> None:
    from scipy.signal import savgol_filter

    from gazemap.events.ivt_pso import sg_derivative

    x = np.random.default_rng(3).normal(size=200).cumsum()
    for w in (3, 7, 15):
        ours = sg_derivative(x, w, 0.002)
        ref = savgol_filter(x, w, 2, deriv=1, delta=0.002)
        h = w // 2
        assert np.allclose(ours[h:-h], ref[h:-h])


def test_ivt_pso_saccade_edges_by_onset_and_lower_offset_threshold() -> None:
    from gazemap.events.ivt_pso import _trim_edges

    #          0  1   2   3    4    5   6   7   8  9
    v = np.array([5, 20, 40, 150, 300, 90, 30, 12, 8, 5], dtype=float)
    # the run above the lower (offset) threshold 10 is 1..8; it starts at the first sample
    # above the onset 35 (2) and ends after the last above the offset 10 (7 -> end 8)
    s, e, pk = _trim_edges(v, np.array([1]), np.array([8]), np.array([300.0]), 35.0, 10.0)
    assert (s[0], e[0], pk[0]) == (2, 8, 300.0)
    # a run that never exceeds the onset is dropped (peak -inf)
    s, e, pk = _trim_edges(v, np.array([7]), np.array([8]), np.array([12.0]), 35.0, 10.0)
    assert pk[0] == -np.inf


def test_ivt_pso_offset_at_the_first_low_minimum_after_the_peak() -> None:
    from gazemap.events.ivt_pso import _offset_at_low_minimum

    #          0    1    2    3   4   5   6   7   8
    v = np.array([40, 200, 400, 150, 60, 20, 50, 30, 12], dtype=float)
    # peak 400 at 2; local minima after it: 5 (20 < 0.3 * 400): the saccade ends after it
    assert _offset_at_low_minimum(v, np.array([0]), np.array([9]), 0.3)[0] == 6
    # with frac 0.04 no minimum is slow enough (< 16): unchanged
    assert _offset_at_low_minimum(v, np.array([0]), np.array([9]), 0.04)[0] == 9
    # two saccades at once, the second without a minimum
    s, e = np.array([0, 9]), np.array([9, 12])
    v2 = np.concatenate((v, [100, 300, 200]))
    assert list(_offset_at_low_minimum(v2, s, e, 0.3)) == [6, 12]


def test_ivt_pso_saccade_over_a_filled_gap_is_blink() -> None:
    # the eye jumps during a 20 ms loss that gap fill interpolates: the coders (and
    # ivt_pso with blink_filled) call that blink, not saccade
    g = scanpath(500, [(200, 300, 0.4), (700, 300, 0.4)], noise_px=0.2)
    x, y = g.x_px.copy(), g.y_px.copy()
    x[195:205] = np.nan
    y[195:205] = np.nan
    g2 = GazeSamples(g.time_s, x, y)
    on = detect(g2, SCREEN, "ivt_pso")
    off = detect(g2, SCREEN, "ivt_pso", blink_filled=False)
    assert (on.labels == Label.SACCADE).sum() == 0 and (on.labels == Label.BLINK).sum() > 10
    assert (off.labels == Label.SACCADE).sum() > 0
    assert len(on.fixations) == 2 and len(off.fixations) == 2


def test_ivt_pso_noise_adaptive_peak_threshold_keeps_small_saccades_in_quiet_data() -> None:
    # a ~0.6 deg saccade (20 px) peaks near 60 deg/s: below the fixed 80 deg/s peak
    # threshold, above 5 x the local mean speed of a quiet (0.2 px noise) signal
    g = scanpath(500, [(300, 300, 0.4), (320, 300, 0.4)], noise_px=0.2)
    fixed = detect(g, SCREEN, "ivt_pso", peak_noise_k=0.0)
    local = detect(g, SCREEN, "ivt_pso")
    assert len(fixed.saccades) == 0 and len(fixed.fixations) == 1
    assert len(local.saccades) == 1 and len(local.fixations) == 2
    assert 40 < local.saccades.peak_velocity_deg_s[0] < 80
    # on a noisy signal (~0.13 deg) the local threshold rises to the fixed one: the same
    # saccades as without it
    noisy = scanpath(500, PATH, noise_px=4.0, seed=2)
    assert np.array_equal(
        detect(noisy, SCREEN, "ivt_pso").labels,
        detect(noisy, SCREEN, "ivt_pso", peak_noise_k=0.0).labels,
    )


# --- the edge, turn, hump and pursuit rules of ivt_pso (2026-11-25) -------------------------


def _prep(x: np.ndarray, rate: float = 500.0, **params: object):  # type: ignore[no-untyped-def]
    from gazemap.events.preprocess import PREPROCESS_DEFAULTS, preprocess

    y = np.full(len(x), 384.0)
    g = GazeSamples(np.arange(len(x)) / rate, np.asarray(x, float), y)
    return preprocess(g, SCREEN, {**PREPROCESS_DEFAULTS, **params}, None)  # type: ignore[dict-item]


def _dpp_x(x: float) -> float:
    from gazemap.events.preprocess import deg_per_px

    return float(deg_per_px(np.array([x]), 1024, 380.0, 670.0)[0])


def test_central_speed_is_the_neighbour_difference_in_deg_s() -> None:
    from gazemap.events.ivt_pso import central_speed

    x = np.array([500, 500, 502, 510, 530, 560, 580, 588, 590, 590], dtype=float)
    prep = _prep(x)
    got = central_speed(prep, np.arange(1, 9))
    want = [abs(x[k + 1] - x[k - 1]) / 0.004 * _dpp_x(x[k]) for k in range(1, 9)]
    assert np.allclose(got, want, rtol=1e-12)
    # at the ends of a run: one-sided difference; a lost sample (not filled in): -inf
    x2 = x.copy()
    x2[5] = np.nan
    prep2 = _prep(x2, max_gap_s=0.0)
    sp = central_speed(prep2, np.array([4, 5, 6]))
    assert sp[1] == -np.inf
    assert np.isclose(sp[0], abs(x2[4] - x2[3]) / 0.002 * _dpp_x(x2[4]))
    assert np.isclose(sp[2], abs(x2[7] - x2[6]) / 0.002 * _dpp_x(x2[6]))


def test_refine_onsets_moves_the_onset_to_after_the_last_slow_sample() -> None:
    from gazemap.events.ivt_pso import central_speed, refine_onsets

    # still until sample 6, then the eye moves: central speeds (deg/s) at 5..8 are
    # 0, ~24, ~120, ~337 (1 px = ~0.032 deg near the centre, 2 samples = 4 ms)
    x = np.array([500] * 6 + [500, 503, 515, 545, 605, 665, 695, 700, 700, 700], dtype=float)
    prep = _prep(x)
    sp = central_speed(prep, np.arange(len(x)))
    assert sp[5] == 0 and 20 < sp[6] < 30 and sp[7] > 30
    pk = np.array([10])
    # the smoothed detector put the onset early (at 4); the last sample at most 20 deg/s
    # before the peak is 5: the onset moves to 6
    s = refine_onsets(prep, np.array([4]), np.array([13]), pk, 20.0, 2)
    assert s[0] == 6
    # with 30 deg/s sample 6 (~24) is slow too: onset at 7
    assert refine_onsets(prep, np.array([4]), np.array([13]), pk, 30.0, 2)[0] == 7
    # no slow sample between onset - back and the peak: the onset moves back by `back`
    assert refine_onsets(prep, np.array([8]), np.array([13]), pk, 20.0, 1)[0] == 7


def test_refine_offsets_ends_at_the_first_slow_sample_of_the_tail() -> None:
    from gazemap.events.ivt_pso import central_speed, refine_offsets

    x = np.array([500, 560, 640, 700, 730, 738, 740, 741, 741, 741, 741], dtype=float)
    prep = _prep(x)
    sp = central_speed(prep, np.arange(len(x)))
    # saccade [0, 9) with its peak at 2; of its last 4 samples (5..8) the first below 30
    # deg/s ends it (inclusive)
    first_slow = min(k for k in range(5, 9) if sp[k] < 30.0)
    e = refine_offsets(prep, np.array([9]), np.array([2]), 30.0, 4)
    assert e[0] == first_slow + 1
    # none of the last 1 sample is slow enough for 0.01 deg/s: unchanged
    assert refine_offsets(prep, np.array([9]), np.array([2]), 0.01, 1)[0] == 9


def test_pso_ends_at_the_first_slow_minimum_after_its_peak() -> None:
    from gazemap.events.ivt_pso import pso_ends

    #              0   1   2   3   4  5   6   7  8
    v = np.array([10, 30, 50, 20, 3, 12, 25, 9, 8], dtype=float)
    # PSO [0, 9): peak 50 at 2; first local minimum below 5 after it is 4: PSO ends there
    assert pso_ends(v, np.array([0]), np.array([9]), 5.0)[0] == 4
    # below 2 there is none but the last sample: the run ends unchanged when the last
    # sample is not below either
    assert pso_ends(v, np.array([0]), np.array([9]), 2.0)[0] == 9
    # runs shorter than 3 samples are left alone
    assert pso_ends(v, np.array([3]), np.array([5]), 5.0)[0] == 5


def test_extend_pso_runs_the_tail_longer_but_not_past_the_limit() -> None:
    from gazemap.events.ivt_pso import extend_pso

    # saccade ends (e), PSO stops (stop, exclusive), limits (next onset / lost sample)
    e = np.array([10, 40, 70, 100])
    stop = np.array([15, 40, 80, 108])
    limit = np.array([50, 60, 81, 200])
    # 0: 15 + 2 = 17; 1: no PSO (stop == e) stays without one; 2: capped at the limit 81;
    # 3: 110
    assert list(extend_pso(e, stop, limit, 2)) == [17, 40, 81, 110]
    # never shorter than before, even with a limit inside the PSO
    assert list(extend_pso(e[:1], stop[:1], np.array([12]), 2)) == [15]


def test_ivt_pso_tail_lengthens_the_pso_by_its_duration() -> None:
    # a 300 px minimum-jerk saccade of 40 ms, then a damped 25 Hz oscillation (12 px,
    # decaying over 20 ms): the PSO
    g = saccade_with_pso(500.0, amp_px=12.0, decay_s=0.02, noise_px=0.2, seed=0)
    short = detect(g, SCREEN, "ivt_pso", pso_tail_s=0.0).labels
    long = detect(g, SCREEN, "ivt_pso", pso_tail_s=0.004).labels
    assert (short == Label.PSO).sum() > 3
    # 0.004 s = 2 samples at 500 Hz more PSO, taken from the fixation after it
    pso_s, pso_l = np.flatnonzero(short == Label.PSO), np.flatnonzero(long == Label.PSO)
    assert pso_l[0] == pso_s[0] and pso_l[-1] == pso_s[-1] + 2
    assert np.array_equal(long == Label.SACCADE, short == Label.SACCADE)
    assert (long == Label.FIXATION).sum() == (short == Label.FIXATION).sum() - 2


def test_split_at_turn_ends_the_saccade_where_the_eye_turns_back() -> None:
    from gazemap.events.ivt_pso import split_at_turn

    # the eye moves right; the speed dips at sample 5 (to 0.5 x peak); then it either turns
    # back (PSO) or goes on to the right (the saccade continues)
    v = np.array([50, 200, 300, 200, 160, 150, 180, 170, 60, 20], dtype=float)
    back = np.array([500, 520, 580, 640, 680, 700, 690, 675, 670, 669], dtype=float)
    on = np.array([500, 520, 580, 640, 680, 700, 720, 745, 760, 765], dtype=float)
    for x, expect in ((back, 5), (on, 10)):
        prep = _prep(x)
        e = split_at_turn(prep, v, np.array([0]), np.array([10]), np.array([2]), 0.7, 0.3, 2)
        assert e[0] == expect
    # a dip not below 0.7 x the peak (150 < 0.45 x 300 fails for frac 0.45) never splits
    prep = _prep(back)
    assert (
        split_at_turn(prep, v, np.array([0]), np.array([10]), np.array([2]), 0.45, 0.3, 2)[0] == 10
    )


def test_drop_pso_humps_keeps_new_saccades_and_drops_oscillations() -> None:
    from gazemap.events.ivt_pso import drop_pso_humps

    s = np.array([0, 22, 40, 44, 80])
    e = np.array([20, 30, 43, 50, 90])
    peak = np.array([300.0, 120.0, 200.0, 150.0, 100.0])
    # 1 starts 2 samples after 0 ends and peaks at 0.4 x: PSO hump, dropped; 2 starts 10
    # after the last kept (0) ends: a new saccade; 3 starts 1 after 2 at 0.75 x: dropped
    # with frac 0.8, kept with 0.7; 4 is far away
    assert list(drop_pso_humps(s, e, peak, 3, 0.8)) == [True, False, True, False, True]
    assert list(drop_pso_humps(s, e, peak, 3, 0.7)) == [True, False, True, True, True]


def test_ivt_pso_filled_gap_in_the_pso_is_not_a_blink() -> None:
    # one lost sample just after a saccade (in its PSO / the next fixation) is a lost
    # sample, not an eyelid: the saccade stays a saccade
    g = scanpath(500, [(200, 300, 0.4), (700, 300, 0.4)], noise_px=0.2)
    sac = np.flatnonzero(detect(g, SCREEN, "ivt_pso").labels == Label.SACCADE)
    x, y = g.x_px.copy(), g.y_px.copy()
    x[sac[-1] + 2] = np.nan
    y[sac[-1] + 2] = np.nan
    res = detect(GazeSamples(g.time_s, x, y), SCREEN, "ivt_pso")
    assert (res.labels == Label.SACCADE).sum() == len(sac)
    assert (res.labels == Label.BLINK).sum() == 0


def test_ivt_pso_pursuit_option_labels_steady_movement() -> None:
    # fixation 0.3 s, a 10 deg/s glide for 0.6 s (~190 px), fixation 0.3 s, at 500 Hz
    rate = 500.0
    n_fix, n_glide = 150, 300
    x = np.concatenate([np.full(n_fix, 300.0), 300.0 + np.arange(n_glide) * (10 * 31.5 / rate)])
    x = np.concatenate([x, np.full(n_fix, x[-1])])
    rng = np.random.default_rng(1)
    x = x + rng.normal(0, 0.3, len(x))
    y = 384.0 + rng.normal(0, 0.3, len(x))
    g = GazeSamples(np.arange(len(x)) / rate, x, y)
    off = detect(g, SCREEN, "ivt_pso")
    on = detect(g, SCREEN, "ivt_pso", pursuit=True)
    assert (off.labels == Label.PURSUIT).sum() == 0
    glide = slice(n_fix + 25, n_fix + n_glide - 25)  # the window blurs 40 ms at each end
    assert (on.labels[glide] == Label.PURSUIT).all()
    assert (on.labels[: n_fix - 25] == Label.FIXATION).all()
    assert (on.labels[-(n_fix - 25) :] == Label.FIXATION).all()
    assert len(on.fixations) == 2


def test_pso_settings_use_the_low_rate_values_below_275_hz_above_the_noise() -> None:
    from gazemap.events.ivt_pso import DEFAULTS, pso_settings

    quiet = np.full(100, 4.0)
    # 500 Hz: the 500 Hz values (threshold, window, local-minimum end)
    assert pso_settings(DEFAULTS, 1 / 500, quiet) == (22.0, 0.03, 5.0)
    # 200 Hz: the low-rate values; 2.5 x the median speed (10) is below 12 deg/s
    assert pso_settings(DEFAULTS, 1 / 200, quiet) == (12.0, 0.05, 0.0)
    # a noisier signal (median 10 deg/s) raises the threshold to 2.5 x 10 = 25 deg/s
    noisy = np.r_[np.full(60, 10.0), np.full(40, 300.0), np.nan]
    assert pso_settings(DEFAULTS, 1 / 200, noisy)[0] == pytest.approx(25.0)
    # no finite speed at all (all lost): the plain low-rate threshold
    assert pso_settings(DEFAULTS, 1 / 200, np.full(5, np.nan))[0] == 12.0
    # the switch rate and the guard are parameters (0 = off)
    p = {**DEFAULTS, "pso_low_rate_hz": 150.0}
    assert pso_settings(p, 1 / 200, quiet) == (22.0, 0.03, 5.0)
    p = {**DEFAULTS, "pso_low_noise_k": 0.0}
    assert pso_settings(p, 1 / 200, noisy)[0] == 12.0


def _saccade_with_slow_pso(rate: float) -> GazeSamples:
    """A saccade whose 10 px oscillation decays over 40 ms: the 500 Hz rules end it at its
    first slow dip, the 200 Hz ones follow it over its later, slower humps."""
    return saccade_with_pso(rate, amp_px=10.0, decay_s=0.04, noise_px=0.1, seed=1)


def test_ivt_pso_follows_a_slow_pso_longer_at_200_hz() -> None:
    g = _saccade_with_slow_pso(200.0)
    low = detect(g, SCREEN, "ivt_pso").labels
    high = detect(g, SCREEN, "ivt_pso", pso_low_rate_hz=0).labels
    n_low, n_high = (low == Label.PSO).sum(), (high == Label.PSO).sum()
    # the low-rate rules label more of the oscillation PSO (at 5 ms a sample), taken from
    # the fixation after it; the saccade is the same
    assert n_high > 0 and n_low >= n_high + 3
    assert np.array_equal(low == Label.SACCADE, high == Label.SACCADE)
    assert (low == Label.FIXATION).sum() == (high == Label.FIXATION).sum() - (n_low - n_high)
    # at 500 Hz the switch changes nothing
    g5 = _saccade_with_slow_pso(500.0)
    assert np.array_equal(
        detect(g5, SCREEN, "ivt_pso").labels,
        detect(g5, SCREEN, "ivt_pso", pso_low_rate_hz=0).labels,
    )


def test_ivt_pso_blink_takes_the_saccade_at_the_loss_not_the_one_before() -> None:
    # 200 Hz: a saccade and its PSO (as above), then the eyelid: a fast 40 px drop in y
    # (0.27-0.285 s) into a 165 ms loss. The PSO runs up to the drop, so the saccade, its
    # PSO and the drop touch each other; only the drop touches the loss and joins the blink
    g = saccade_with_pso(200.0, 10.0, 0.04, 0.1, 1, duration_s=0.7, drop_at_s=0.27)
    t, x, y = g.time_s, g.x_px.copy(), g.y_px.copy()
    lost = (t >= 0.285) & (t < 0.45)
    x[lost] = y[lost] = np.nan
    lab = detect(GazeSamples(t, x, y), SCREEN, "ivt_pso").labels
    sac = np.flatnonzero(lab == Label.SACCADE)
    assert len(sac) >= 6 and 0.19 <= t[sac[0]] and t[sac[-1]] <= 0.25
    pso = np.flatnonzero(lab == Label.PSO)
    assert len(pso) >= 3 and pso[0] == sac[-1] + 1
    # from the end of the PSO through the loss: blink, then fixation again
    assert np.all(lab[pso[-1] + 1 : np.flatnonzero(lost)[-1] + 1] == Label.BLINK)
    assert np.all(lab[t >= 0.46] == Label.FIXATION)


@pytest.mark.parametrize("name", [*FAST, "rf"])
def test_one_sample_has_no_rate_and_makes_no_event(name: str) -> None:
    # one sample: no sample interval, so no duration (it was a 1000 ms fixation)
    r = detect(GazeSamples(np.array([5.0]), np.array([500.0]), np.array([400.0])), SCREEN, name)
    assert list(r.labels) == [Label.UNDEFINED] and len(r.fixations) == 0 and len(r.saccades) == 0
    lost = detect(
        GazeSamples(np.array([5.0]), np.array([np.nan]), np.array([np.nan])), SCREEN, name
    )
    assert list(lost.labels) == [Label.BLINK] and len(lost.fixations) == 0
    # two samples have a rate (2 ms): any event lasts at most their 4 ms
    two = detect(
        GazeSamples(np.array([5.0, 5.002]), np.full(2, 500.0), np.full(2, 400.0)), SCREEN, name
    )
    assert len(two.labels) == 2 and np.all(two.fixations.duration_s <= 0.004 + 1e-9)
