"""Speed and memory of event detection on synthetic 1,000 Hz binocular gaze.

Usage::

    python benchmarks/detect_speed.py [--minutes 60] [--detectors ivt_pso,ivt] [--repeat 3]
        [--no-pymovements] [--out FILE.json]

Compares, on the same data in the same run:

- gazemap's detectors (``detect(gaze, screen, name)``: all preprocessing included);
- pymovements' pipeline (``gaze.from_numpy`` -> ``pix2deg`` -> ``pos2vel`` -> ``detect('ivt')``);
  like gazemap's, the best of ``--repeat`` runs;
- one NumPy pass over the x, y arrays (``x.sum() + y.sum()``) and one copy: the floor.

Peak memory is measured with tracemalloc in a separate run of each gazemap detector (NumPy
reports its buffers to tracemalloc) and stated relative to the input arrays detect reads
(time, x, y, left/right x, y, pupils: float64) and to the time, x and y arrays alone. Data come from gazemap.simulation's
free-viewing simulator (fixations, main-sequence saccades, PSOs, blinks, 2 % loss). The
default is 5 minutes; ``--minutes 60`` is the issue's hour (3.6 M samples). Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

from gazemap.events import DEFAULT_DETECTOR, detect
from gazemap.types import GazeSamples, ScreenGeometry

SCREEN = ScreenGeometry(
    width_px=1920, height_px=1080, width_mm=531.0, height_mm=299.0, distance_mm=650.0
)


def make_gaze(minutes: float, rate_hz: float = 1000.0, seed: int = 7) -> GazeSamples:
    """Synthetic binocular gaze: gazemap.simulation in 10-minute pieces joined end to end."""
    from gazemap.simulation import simulate_session

    pieces = []
    left = minutes * 60.0
    start = 0.0
    pos = None
    k = 0
    while left > 1e-9:
        dur = min(600.0, left)
        s = simulate_session(
            None,
            participant=f"B{k}",
            seed=seed + k,
            screen=SCREEN,
            rate_hz=rate_hz,
            duration_s=dur,
            start_time_s=start,
            start_position_px=pos,
        )
        pieces.append(s.gaze)
        g = s.gaze
        start = float(g.time_s[-1]) + 1.0 / rate_hz
        tail = np.flatnonzero(np.isfinite(g.x_px) & np.isfinite(g.y_px))[-50:]
        pos = (
            (float(np.median(g.x_px[tail])), float(np.median(g.y_px[tail]))) if len(tail) else None
        )
        left -= dur
        k += 1
    cols = {}
    for name in GazeSamples.__dataclass_fields__:
        vals = [getattr(p, name) for p in pieces]
        if all(v is not None for v in vals):
            cols[name] = np.concatenate(vals)
    return GazeSamples(**cols)


def _time(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def pymovements_pipeline(gaze: GazeSamples) -> tuple[float, dict[str, float]]:
    """pymovements 0.2x: from_numpy -> pix2deg -> pos2vel -> detect('ivt'); returns the total
    seconds and the seconds per step."""
    import pymovements as pm

    steps: dict[str, float] = {}
    t0 = time.perf_counter()
    exp = pm.Experiment(
        screen_width_px=SCREEN.width_px,
        screen_height_px=SCREEN.height_px,
        screen_width_cm=SCREEN.width_mm / 10,
        screen_height_cm=SCREEN.height_mm / 10,
        distance_cm=SCREEN.distance_mm / 10,
        origin="upper left",
        sampling_rate=1000.0,
    )
    g = pm.gaze.from_numpy(
        time=np.round(gaze.time_s * 1000.0).astype(np.int64),
        pixel=np.vstack([gaze.x_px, gaze.y_px]),
        experiment=exp,
        time_unit="ms",
    )
    t1 = time.perf_counter()
    steps["from_numpy"] = t1 - t0
    g.pix2deg()
    t2 = time.perf_counter()
    steps["pix2deg"] = t2 - t1
    g.pos2vel()
    t3 = time.perf_counter()
    steps["pos2vel"] = t3 - t2
    g.detect("ivt")
    t4 = time.perf_counter()
    steps["detect_ivt"] = t4 - t3
    return t4 - t0, {k: round(v, 4) for k, v in steps.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--minutes", type=float, default=5.0, help="length of the synthetic gaze (60 = 1 h)"
    )
    ap.add_argument("--detectors", default=f"{DEFAULT_DETECTOR},ivt", help="comma-separated")
    ap.add_argument("--repeat", type=int, default=3, help="timing runs (best is reported)")
    ap.add_argument("--no-pymovements", action="store_true", help="skip the pymovements run")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    gaze = make_gaze(args.minutes)
    gen_s = time.perf_counter() - t0
    n = len(gaze)
    input_bytes = sum(
        getattr(gaze, f).nbytes
        for f in (
            "time_s",
            "x_px",
            "y_px",
            "left_x_px",
            "left_y_px",
            "right_x_px",
            "right_y_px",
            "left_pupil_mm",
            "right_pupil_mm",
        )
        if getattr(gaze, f) is not None
    )
    txy_bytes = gaze.time_s.nbytes + gaze.x_px.nbytes + gaze.y_px.nbytes
    hours = n / 1000.0 / 3600.0
    x, y = gaze.x_px, gaze.y_px
    floor_sum = _time(lambda: float(np.nansum(x) + np.nansum(y)), args.repeat)
    floor_copy = _time(lambda: (x.copy(), y.copy()), args.repeat)
    detect(GazeSamples(gaze.time_s[:1000], x[:1000], y[:1000]), SCREEN)  # warm the imports
    out: dict[str, object] = {
        "samples": n,
        "minutes": args.minutes,
        "rate_hz": 1000.0,
        "generator": "gazemap.simulation.simulate_session (free viewing)",
        "generate_s": round(gen_s, 2),
        "input_bytes": input_bytes,
        "time_x_y_bytes": txy_bytes,
        "numpy_pass": {"sum_x_y_s": round(floor_sum, 4), "copy_x_y_s": round(floor_copy, 4)},
        "detectors": {},
    }
    for name in [d for d in args.detectors.split(",") if d]:
        secs = _time(lambda name=name: detect(gaze, SCREEN, name), args.repeat)
        tracemalloc.start()
        detect(gaze, SCREEN, name)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out["detectors"][name] = {  # type: ignore[index]
            "seconds": round(secs, 4),
            "seconds_per_hour": round(secs / hours, 3),
            "x_numpy_pass": round(secs / floor_sum, 1),
            "peak_memory_bytes": int(peak),
            "peak_over_input": round(peak / input_bytes, 2),
            "peak_over_time_x_y": round(peak / txy_bytes, 2),
        }
    if not args.no_pymovements:
        try:
            runs = [pymovements_pipeline(gaze) for _ in range(args.repeat)]
            pm_s, steps = min(runs, key=lambda r: r[0])
        except ImportError as exc:  # pragma: no cover - optional
            out["pymovements"] = {"error": f"pymovements not installed ({exc})"}
        else:
            import pymovements

            out["pymovements"] = {
                "version": pymovements.__version__,
                "seconds": round(pm_s, 3),
                "seconds_per_hour": round(pm_s / hours, 3),
                "steps": steps,
            }
            for d in out["detectors"].values():  # type: ignore[union-attr]
                d["speedup_vs_pymovements"] = round(pm_s / d["seconds"], 1)
    text = json.dumps(out, indent=1)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
