"""Sample-level agreement of gazemap's detectors with the two Lund 2013 expert coders.

Usage::

    python benchmarks/lund_agreement.py ../shared/data/lund2013 [--detectors ivt,idt,...]
        [--cv] [--out FILE.json]

Score (as the data's README defines it): for each recording and each coder (MN, RA), Cohen's
kappa of "sample is fixation" (and "sample is saccade") between the detector's labels and the
coder's; the mean over recordings and both coders, per stimulus type (img, dots, video).
``coders`` gives the same score for coder MN against coder RA (the human ceiling).

``--cv`` adds held-out scores of learned detectors: leave-one-recording-out over all 27
recordings (the model for each fold is trained on the other 26 with the training script's
settings), scored on the held-out recording only.
Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from gazemap.events import DEFAULT_DETECTOR, DETECTORS, detect
from gazemap.importers.lund_csv import LundRecording, read_lund_folder
from gazemap.types import Label

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


def run_detector(
    name: str, recs: list[LundRecording], **params: object
) -> tuple[dict[str, np.ndarray], float]:
    t0 = time.perf_counter()
    labels = {r.name: detect(r.gaze, r.screen, name, **params).labels for r in recs}
    return labels, time.perf_counter() - t0


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
