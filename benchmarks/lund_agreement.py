"""Sample-level agreement of gazemap's detectors with the two Lund 2013 expert coders.

Usage::

    python benchmarks/lund_agreement.py ../shared/data/lund2013 [--detectors ivt,idt,...]
        [--cv] [--out FILE.json]

Score (as the data's README defines it): for each recording and each coder (MN, RA), Cohen's
kappa of "sample is fixation" (and "sample is saccade") between the detector's labels and the
coder's; the mean over recordings and both coders, per stimulus type (img, dots, video).
``coders`` gives the same score for coder MN against coder RA (the human ceiling).

``--simulated N`` adds per-event F1 of fixations (and sample-level kappa) against the ground
truth of N free-viewing sessions of gazemap.simulation (60 s each, at 60, 250 and 1000 Hz or
``--rates``): a detected fixation matches a true one when their time intervals overlap with
intersection-over-union >= 0.5 (one-to-one; Hooge et al. 2018 use the same idea).

``--lund-noise 0.3,0.6,1.0`` adds the same score on the ``img`` recordings with white noise of
that RMS sample-to-sample (deg) added to the gaze (the coders' labels stay those of the clean
signal): how agreement holds on a noisier tracker.

``--cv`` adds held-out scores of learned detectors: leave-one-recording-out over all 27
recordings (the model for each fold is trained on the other 26 with the training script's
settings), scored on the held-out recording only.

``--tune`` adds the leave-one-recording-out tuning of ``ivt_pso`` on the ``img`` recordings:
for each held-out recording, the parameter set of TUNE_GRID whose neighbourhood on the grid
(itself and the sets one step away in one parameter) has the best mean of fixation and
saccade kappa on the other six is chosen and scored on the held-out one only (the held-out
mean is the honest estimate; the chosen sets show how stable the choice is). The plain best
set per fold (``argmax``) is reported beside it.
Prints JSON.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np

from gazemap.events import DEFAULT_DETECTOR, DETECTORS, detect
from gazemap.importers.lund_csv import LundRecording, read_lund_folder
from gazemap.types import GazeSamples, Label

STIMULI = ("img", "dots", "video")


def kappa(a: np.ndarray, b: np.ndarray) -> float:
    """Cohen's kappa of two boolean arrays (NaN when both raters are constant and equal)."""
    a = np.asarray(a, dtype=bool)
    b = np.asarray(b, dtype=bool)
    n = len(a)
    if n == 0:
        return float("nan")
    po = float(np.mean(a == b))
    pa, pb = float(a.mean()), float(b.mean())
    pe = pa * pb + (1 - pa) * (1 - pb)
    if pe >= 1.0:
        return float("nan")
    return (po - pe) / (1 - pe)


def score(labels_by_rec: dict[str, np.ndarray], recs: list[LundRecording]) -> dict[str, object]:
    """Mean kappa (fixation, saccade, PSO) per stimulus over recordings and both coders."""
    out: dict[str, object] = {}
    for stim in STIMULI:
        ks: dict[str, list[float]] = {"fixation": [], "saccade": [], "pso": []}
        per_rec = {}
        for rec in recs:
            if rec.stimulus != stim or rec.name not in labels_by_rec:
                continue
            lab = labels_by_rec[rec.name]
            row = {}
            for ev, code in (
                ("fixation", Label.FIXATION),
                ("saccade", Label.SACCADE),
                ("pso", Label.PSO),
            ):
                vals = [kappa(lab == code, rec.labels[c] == code) for c in ("label_mn", "label_ra")]
                ks[ev].extend(vals)
                row[ev] = float(np.nanmean(vals))
            per_rec[rec.name] = row
        if per_rec:
            out[stim] = {
                **{f"kappa_{ev}": float(np.nanmean(v)) for ev, v in ks.items()},
                "n_recordings": len(per_rec),
                "per_recording": per_rec,
            }
    return out


def coder_agreement(recs: list[LundRecording]) -> dict[str, object]:
    """Coder MN vs coder RA, kappa per stimulus (the human ceiling)."""
    out: dict[str, object] = {}
    for stim in STIMULI:
        sel = [r for r in recs if r.stimulus == stim]
        if not sel:
            continue
        row = {}
        for ev, code in (
            ("fixation", Label.FIXATION),
            ("saccade", Label.SACCADE),
            ("pso", Label.PSO),
        ):
            row[f"kappa_{ev}"] = float(
                np.nanmean(
                    [kappa(r.labels["label_mn"] == code, r.labels["label_ra"] == code) for r in sel]
                )
            )
        out[stim] = row
    return out


def event_f1(
    true_start: np.ndarray, true_end: np.ndarray, det_start: np.ndarray, det_end: np.ndarray
) -> dict[str, float]:
    """Precision, recall and F1 of detected events against true ones (IoU >= 0.5, 1:1)."""
    i = j = tp = 0
    while i < len(true_start) and j < len(det_start):
        inter = min(true_end[i], det_end[j]) - max(true_start[i], det_start[j])
        union = max(true_end[i], det_end[j]) - min(true_start[i], det_start[j])
        if inter > 0 and inter / union >= 0.5:
            tp += 1
            i += 1
            j += 1
        elif true_end[i] <= det_end[j]:
            i += 1
        else:
            j += 1
    p = tp / len(det_start) if len(det_start) else float("nan")
    r = tp / len(true_start) if len(true_start) else float("nan")
    f1 = 2 * p * r / (p + r) if p + r > 0 else 0.0
    return {"precision": p, "recall": r, "f1": f1}


def simulated_scores(
    detectors: list[str],
    n_sessions: int,
    rates_hz: tuple[float, ...] = (60.0, 250.0, 1000.0),
    precisions_deg: tuple[float, ...] = (0.3,),
) -> dict[str, object]:
    """Fixation event F1 and sample kappa vs gazemap.simulation's ground truth, per rate (and
    per noise level: keys ``<rate>hz`` at 0.3 deg RMS-S2S, ``<rate>hz@<precision>deg`` else)."""
    from gazemap.simulation import simulate_session
    from gazemap.types import ScreenGeometry

    screen = ScreenGeometry(1920, 1080, 531.0, 299.0, 650.0)
    out: dict[str, object] = {}
    for rate, prec in itertools.product(rates_hz, precisions_deg):
        sessions = [
            simulate_session(
                None,
                participant=f"S{k}",
                seed=100 + k,
                screen=screen,
                rate_hz=rate,
                duration_s=60.0,
                precision_deg=prec,
            )
            for k in range(n_sessions)
        ]
        per_rate: dict[str, object] = {}
        for name in detectors:
            f1s, kf, ks = [], [], []
            for s in sessions:
                r = detect(s.gaze, screen, name)
                tf = s.truth_fixations
                f1s.append(
                    event_f1(tf.start_s, tf.end_s, r.fixations.start_s, r.fixations.end_s)["f1"]
                )
                kf.append(kappa(r.labels == Label.FIXATION, s.truth_labels == Label.FIXATION))
                ks.append(kappa(r.labels == Label.SACCADE, s.truth_labels == Label.SACCADE))
            per_rate[name] = {
                "fixation_event_f1": float(np.mean(f1s)),
                "kappa_fixation": float(np.nanmean(kf)),
                "kappa_saccade": float(np.nanmean(ks)),
            }
        key = f"{int(rate)}hz" if prec == 0.3 else f"{int(rate)}hz@{prec:g}deg"
        out[key] = per_rate
    return {
        "sessions_per_rate": n_sessions,
        "duration_s": 60.0,
        "precisions_deg": list(precisions_deg),
        "scores": out,
    }


TUNE_GRID: dict[str, list[object]] = {
    "velocity_window_s": [0.010, 0.014, 0.018],
    "saccade_peak_deg_s": [60.0, 80.0, 100.0],
    "saccade_onset_deg_s": [35.0, 45.0],
    "saccade_offset_deg_s": [10.0, 15.0],
    "offset_min_frac": [0.2, 0.3],
    "pso_deg_s": [15.0, 22.0],
    "peak_noise_k": [0.0, 5.0],
    # the edge and PSO rules of 2026-11-25, each with 0 = off
    "onset_refine_deg_s": [0.0, 20.0, 30.0],
    "offset_refine_deg_s": [0.0, 30.0, 45.0],
    "pso_end_deg_s": [0.0, 5.0, 10.0],
    "turn_min_frac": [0.0, 0.7, 0.9],
    "pso_hump_frac": [0.0, 0.7],
    "pso_tail_s": [0.0, 0.004],
}


def neighbourhood_mean(score: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Mean of each grid point's score and its direct neighbours' (one step in one parameter).

    Parameters
    ----------
    score : (n_sets, ...) array
        One row per parameter set, in ``itertools.product`` order of a grid of ``shape``.

    Returns
    -------
    (n_sets, ...) array; a point on the grid's edge averages over the neighbours it has.
    """
    a = score.reshape(shape + score.shape[1:])
    total = a.copy()
    count = np.ones(shape + (1,) * (a.ndim - len(shape)))
    for axis in range(len(shape)):
        if shape[axis] < 2:
            continue
        lo = [slice(None)] * a.ndim
        hi = [slice(None)] * a.ndim
        lo[axis], hi[axis] = slice(0, -1), slice(1, None)
        total[tuple(hi)] += a[tuple(lo)]
        total[tuple(lo)] += a[tuple(hi)]
        count[tuple(hi[: len(shape)])] += 1
        count[tuple(lo[: len(shape)])] += 1
    return (total / count).reshape(score.shape)


def tune_ivt_pso(
    recs: list[LundRecording], grid: dict[str, list[object]], scores_out: Path | None = None
) -> dict[str, object]:
    """Leave-one-recording-out choice of ivt_pso parameters on the img recordings
    (``scores_out``: also save every set's kappa per recording, for other selection rules).

    Each fold chooses the set whose *neighbourhood* (itself and the sets one grid step away in
    one parameter) has the best mean of fixation and saccade kappa on the other recordings: a
    flat optimum rather than a lone peak, which a recording not in the tuning data is less
    likely to fall off. The plain best set per fold is reported too (``argmax``)."""

    img = [r for r in recs if r.stimulus == "img"]
    keys = list(grid)
    shape = tuple(len(v) for v in grid.values())
    configs = [dict(zip(keys, v, strict=True)) for v in itertools.product(*grid.values())]
    sc = np.zeros((len(configs), len(img), 2))
    for i, cfg in enumerate(configs):
        for j, rec in enumerate(img):
            lab = detect(rec.gaze, rec.screen, "ivt_pso", **cfg).labels
            for q, code in enumerate((Label.FIXATION, Label.SACCADE)):
                sc[i, j, q] = np.nanmean(
                    [kappa(lab == code, rec.labels[c] == code) for c in ("label_mn", "label_ra")]
                )
    if scores_out is not None:
        np.savez_compressed(
            scores_out,
            kappa=sc,
            recordings=np.array([r.name for r in img]),
            keys=np.array(keys),
            values=np.array([[float(v) for v in c.values()] for c in configs]),  # type: ignore[arg-type]
        )
    return {
        "scheme": "leave-one-recording-out over the img recordings",
        "grid": grid,
        "n_configs": len(configs),
        **loro_choice(sc, configs, shape, [r.name for r in img]),
    }


def loro_choice(
    sc: np.ndarray, configs: list[dict[str, object]], shape: tuple[int, ...], names: list[str]
) -> dict[str, object]:
    """Leave-one-recording-out choice from every set's scores, by both selection rules.

    Parameters
    ----------
    sc : (n_sets, n_recordings, 2) array
        Fixation and saccade kappa of each parameter set (grid order) on each recording.
    """
    obj = sc.mean(axis=2)
    result: dict[str, object] = {}
    for rule, table in (("neighbourhood", neighbourhood_mean(obj, shape)), ("argmax", obj)):
        folds = {}
        held = []
        for j, name in enumerate(names):
            train = [k for k in range(len(names)) if k != j]
            best = int(np.argmax(table[:, train].mean(axis=1)))
            held.append(sc[best, j])
            folds[name] = {
                "chosen": configs[best],
                "kappa_fixation": float(sc[best, j, 0]),
                "kappa_saccade": float(sc[best, j, 1]),
            }
        h = np.array(held)
        best_all = int(np.argmax(table.mean(axis=1)))
        result[rule] = {
            "held_out_kappa_fixation": float(h[:, 0].mean()),
            "held_out_kappa_saccade": float(h[:, 1].mean()),
            "folds": folds,
            "best_on_all": configs[best_all],
            "in_sample_kappa": [float(x) for x in sc[best_all].mean(axis=0)],
        }
    return result


def with_noise(rec: LundRecording, precision_deg: float, seed: int) -> LundRecording:
    """The recording with white noise added to its gaze: Gaussian, independent per axis and
    sample, SD ``precision_deg / 2`` (so that its RMS sample-to-sample is ``precision_deg``),
    converted to px at the screen centre; the eyes' own columns are dropped."""
    import dataclasses

    g = rec.gaze
    rng = np.random.default_rng(seed)
    deg_per_px = float(
        np.degrees(np.arctan(rec.screen.width_mm / rec.screen.width_px / rec.screen.distance_mm))
    )
    sd_px = precision_deg / 2.0 / deg_per_px
    noisy = GazeSamples(
        time_s=g.time_s,
        x_px=g.x_px + rng.normal(0.0, sd_px, len(g)),
        y_px=g.y_px + rng.normal(0.0, sd_px, len(g)),
    )
    return dataclasses.replace(rec, gaze=noisy)


def noisy_scores(
    detectors: list[str], recs: list[LundRecording], precisions_deg: tuple[float, ...]
) -> dict[str, object]:
    """Kappa with the coders on the img recordings with white noise added (``with_noise``;
    the coders labelled the clean signal): how agreement holds on a noisier tracker."""
    img = [r for r in recs if r.stimulus == "img"]
    out: dict[str, object] = {}
    for prec in precisions_deg:
        noisy = [with_noise(r, prec, 10 + j) for j, r in enumerate(img)]
        row: dict[str, object] = {}
        for name in detectors:
            labels, _ = run_detector(name, noisy)
            sc = score(labels, noisy)["img"]
            row[name] = {k: sc[k] for k in ("kappa_fixation", "kappa_saccade")}  # type: ignore[index]
        out[f"{prec:g}deg"] = row
    return out


def run_detector(
    name: str, recs: list[LundRecording], **params: object
) -> tuple[dict[str, np.ndarray], float]:
    t0 = time.perf_counter()
    labels = {r.name: detect(r.gaze, r.screen, name, **params).labels for r in recs}
    return labels, time.perf_counter() - t0


def float_list(text: str) -> tuple[float, ...]:
    """``"60,250,1000"`` -> (60.0, 250.0, 1000.0), for argparse (``type=``)."""
    try:
        return tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give comma-separated numbers, e.g. 60,250,1000"
        ) from None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("data", type=Path, help="folder of the Lund 2013 data (recordings.json + CSVs)")
    ap.add_argument(
        "--detectors", default=",".join(DETECTORS), help="comma-separated detector names"
    )
    ap.add_argument(
        "--cv", action="store_true", help="add leave-one-recording-out scores of learned detectors"
    )
    ap.add_argument(
        "--simulated",
        type=int,
        default=0,
        metavar="N",
        help="add simulator ground-truth scores on N sessions per rate",
    )
    ap.add_argument(
        "--rates",
        type=float_list,
        default="60,250,1000",
        metavar="HZ,HZ",
        help="sample rates of the simulated sessions (default 60,250,1000)",
    )
    ap.add_argument(
        "--precisions",
        type=float_list,
        default="0.3",
        metavar="DEG,DEG",
        help="noise of the simulated sessions, RMS sample-to-sample in degrees (default 0.3)",
    )
    ap.add_argument(
        "--lund-noise",
        type=float_list,
        default="",
        metavar="DEG,DEG",
        help="add scores on the img recordings with white noise of these RMS-S2S (deg) added",
    )
    ap.add_argument(
        "--tune",
        action="store_true",
        help="add the leave-one-recording-out tuning of ivt_pso on img (TUNE_GRID, 93,312 sets, ~15 min on 2 free cores)",
    )
    ap.add_argument(
        "--tune-scores",
        type=Path,
        default=None,
        metavar="FILE.npz",
        help="with --tune: also save every parameter set's kappa per recording",
    )
    ap.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    args = ap.parse_args(argv)
    if not (args.data / "recordings.json").is_file():
        print(
            f"error: {args.data} has no recordings.json (pass the Lund 2013 folder)",
            file=sys.stderr,
        )
        return 2
    recs = read_lund_folder(args.data)
    result: dict[str, object] = {
        "data": str(args.data),
        "n_recordings": {s: sum(r.stimulus == s for r in recs) for s in STIMULI},
        "default_detector": DEFAULT_DETECTOR,
        "coders": coder_agreement(recs),
        "detectors": {},
    }
    for name in [d for d in args.detectors.split(",") if d]:
        labels, secs = run_detector(name, recs)
        entry = {"seconds": round(secs, 3), **score(labels, recs)}
        result["detectors"][name] = entry  # type: ignore[index]
    if args.simulated:
        result["simulated"] = simulated_scores(
            [d for d in args.detectors.split(",") if d], args.simulated, args.rates, args.precisions
        )
    if args.lund_noise:
        result["noisy_img"] = noisy_scores(
            [d for d in args.detectors.split(",") if d], recs, args.lund_noise
        )
    if args.tune:
        result["tuned_ivt_pso"] = tune_ivt_pso(recs, TUNE_GRID, args.tune_scores)
    if args.cv:
        from gazemap.events import learned

        cv = {}
        for name in learned.LEARNED_DETECTORS:
            held = learned.cross_validate(recs, name)
            cv[name] = {"scheme": "leave-one-recording-out", **score(held, recs)}
        result["cross_validated"] = cv
    text = json.dumps(result, indent=1)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
