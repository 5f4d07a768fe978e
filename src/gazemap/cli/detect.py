"""``gazemap detect`` (events into a session file) and ``gazemap label`` (Lund-layout folder ->
per-sample label CSVs)."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from gazemap.cli._common import add_detector_arguments, detector_choice
from gazemap.errors import InputError
from gazemap.types import GazeSamples, ScreenGeometry


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "detect",
        help="detect fixations/saccades in a session file (stored under /derived/<detector>)",
        description="Detect eye-movement events in SESSION's gaze and store them under "
        "/derived/<detector>/ with all parameters as attributes. Re-running with the same "
        "parameters re-uses the stored result.",
    )
    p.add_argument("session", metavar="SESSION.h5", help="session file")
    add_detector_arguments(p)
    p.add_argument(
        "--force", action="store_true", help="detect again even if a stored result matches"
    )
    p.set_defaults(func=_detect)

    q = sub.add_parser(
        "label",
        help="label every sample of a Lund-layout folder (recordings.json + CSVs)",
        description="Write OUT/<recording>.csv with one column 'label' (1 fixation, 2 saccade, "
        "3 PSO, 4 pursuit, 5 blink/loss, 6 undefined), one row per input sample.",
    )
    q.add_argument("path", metavar="PATH", help="folder with recordings.json and CSVs")
    q.add_argument("--out", required=True, metavar="DIR", help="output folder (created)")
    add_detector_arguments(q)
    q.set_defaults(func=_label)


def _detect(args: argparse.Namespace) -> int:
    from gazemap.events import detect
    from gazemap.store.derived import read_detection, store_detection
    from gazemap.store.reader import Session

    name, params = detector_choice(args)  # one-line error before any I/O
    try:
        # one read of the gaze, for the detection (unless a stored one matches) and the quality
        with Session(args.session) as s:
            stored = None if args.force else read_detection(s, name, params)
            gaze, screen = s.gaze(), s.screen
        cached = stored is not None
        if stored is None:
            result = detect(gaze, screen, name, **params)
            store_detection(args.session, result)
        else:
            result = stored
    except InputError as exc:
        # the detectors' checks (e.g. duplicated timestamps) do not know the file
        if str(exc).startswith(str(args.session)):
            raise
        raise InputError(f"{args.session}: /streams/gaze: {exc}") from exc
    n = len(result.labels)
    counts = np.bincount(result.labels.astype(np.int64), minlength=7) if n else np.zeros(7, int)
    fix = result.fixations
    mean = f" (mean {float(np.mean(fix.duration_s) * 1000):.0f} ms)" if len(fix) else ""
    state = "cached (same parameters; nothing recomputed)" if cached else "written"
    print(f"{args.session}: /derived/{name} {state}")
    print(
        f"  {n} samples: fixation {counts[1]}, saccade {counts[2]}, PSO {counts[3]}, "
        f"pursuit {counts[4]}, blink/loss {counts[5]}, undefined {counts[6]}"
    )
    print(f"  {len(fix)} fixations{mean}, {len(result.saccades)} saccades")
    if n == 0:
        print(f"  note: {args.session} has no gaze samples; nothing to detect.")
        return 0
    for line in _quality_lines(args.session, gaze, screen, result.labels):
        print(line)
    return 0


def _quality_lines(
    path: str, gaze: GazeSamples, screen: ScreenGeometry, labels: np.ndarray
) -> list[str]:
    """The session's data quality with the detection's labels (gazemap.quality.assess) and
    accuracy from its validation, as printed by ``gazemap detect``."""
    from gazemap.quality import assess
    from gazemap.store.reader import Session

    with Session(path) as s:
        validation, notes = s.validation()
    q = assess(gaze, screen, labels=labels, validation=validation)

    def deg(v: float) -> str:
        return f"{v:.2f}°" if np.isfinite(v) else "n/a"

    if validation is None:
        acc = "accuracy n/a (no validation in the session)"
    else:
        acc = f"accuracy {deg(q.accuracy_deg)} on {len(validation.points_px)} validation targets"
    th = q.thresholds
    verdict = (
        "flagged: " + "; ".join(q.flags)
        if q.flags
        else (
            f"ok (limits: loss {th.max_data_loss:.0%}, RMS {th.max_precision_rms_deg}°, "
            f"SD {th.max_precision_sd_deg}°, accuracy {th.max_accuracy_deg}°)"
        )
    )
    lines = [
        f"  quality: data loss {q.data_loss_pct:.1f} %, precision RMS-S2S "
        f"{deg(q.precision_rms_deg)}, SD {deg(q.precision_sd_deg)}, {acc}",
        f"  quality {verdict}",
    ]
    lines.extend(f"  note: {n}" for n in notes)
    return lines


def _label(args: argparse.Namespace) -> int:
    from gazemap.events import detect
    from gazemap.importers.lund_csv import read_lund_folder

    name, params = detector_choice(args)
    recordings = read_lund_folder(args.path)
    if not recordings:
        raise InputError(
            f"{Path(args.path) / 'recordings.json'} lists no recordings; add an entry per CSV "
            "(see docs/detection.md)."
        )
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} exists and is not a folder; choose a folder path.")
    out.mkdir(parents=True, exist_ok=True)
    for rec in recordings:
        try:
            result = detect(rec.gaze, rec.screen, name, **params)
        except InputError as exc:  # the detector's checks do not know the file
            raise InputError(f"{rec.path}: {exc}") from exc
        text = "label\n" + "".join(f"{v}\n" for v in result.labels.tolist())
        (out / f"{rec.name}.csv").write_text(text, encoding="utf-8")
    print(f"labelled {len(recordings)} recording(s) with {name} into {out}")
    return 0
