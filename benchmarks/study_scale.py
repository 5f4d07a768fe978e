"""Benchmark: wall time of the real ``gazemap analyze`` on a study of N sessions x M minutes.

Generates simulated sessions (gazemap.simulation, the online-store protocol, 1000 Hz by
default) into a temporary folder, then runs the installed ``gazemap analyze`` command on it:

- ``cold``: ``--no-cache`` (events detected in every run, nothing written to the files), with
  1 and with 2 workers (``--jobs``), so the two are comparable;
- ``warm``: a run that stores the detections (``/derived``), then one that re-uses them.

Prints JSON. Default is small (4 sessions x 1 min); ``--full`` is the issue's study of
100 sessions x 10 min (about 2 GB of session files and several minutes).

    python benchmarks/study_scale.py [--sessions 4] [--minutes 1] [--rate 1000] [--full]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PROTOCOL = REPO / "protocols" / "online-store.yaml"


def gazemap_cmd() -> list[str]:
    exe = shutil.which(
        "gazemap", path=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
    )
    return [exe] if exe else [sys.executable, "-m", "gazemap"]


def generate(folder: Path, n: int, minutes: float, rate_hz: float) -> float:
    from gazemap.cli.simulate import write_session
    from gazemap.protocol import load_protocol
    from gazemap.simulation import simulate_session
    from gazemap.types import ScreenGeometry

    protocol = load_protocol(PROTOCOL)
    screen = ScreenGeometry(1440, 900, 432.0, 270.0, 650.0)
    t0 = time.perf_counter()
    for i in range(1, n + 1):
        sim = simulate_session(
            protocol,
            participant=f"P{i:03d}",
            seed=1000 + i,
            screen=screen,
            rate_hz=rate_hz,
            duration_s=minutes * 60.0,
        )
        write_session(sim, folder / f"P{i:03d}.h5")
    (folder / "study.yaml").write_text(f"protocol: {PROTOCOL}\n", encoding="utf-8")
    return time.perf_counter() - t0


#: CPU seconds (user + sys) of every analyze run, by output folder name
CPU_S: dict[str, float] = {}


def analyze(study: Path, out: Path, jobs: int, *extra: str) -> float:
    import resource

    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    cp = subprocess.run(
        [
            *gazemap_cmd(),
            "analyze",
            str(study),
            "--out",
            str(out),
            "--jobs",
            str(jobs),
            "--no-report",
            "--quiet",
            *extra,
        ],
        capture_output=True,
        text=True,
    )
    dt = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU time does not depend on what else runs on the (shared) machine, wall time does
    CPU_S[out.name] = round((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime), 2)
    if cp.returncode != 0:
        raise SystemExit(f"gazemap analyze failed ({cp.returncode}): {cp.stderr}")
    return dt


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sessions", type=int, default=4)
    ap.add_argument("--minutes", type=float, default=1.0)
    ap.add_argument("--rate", type=float, default=1000.0, help="sample rate, Hz")
    ap.add_argument("--full", action="store_true", help="the issue's 100 sessions x 10 min")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--detector", default=None, help="event detector (default: gazemap's)")
    ap.add_argument(
        "--dir",
        type=Path,
        default=None,
        help="where to put the study (default: a temp folder, removed)",
    )
    ap.add_argument(
        "--reuse",
        action="store_true",
        help="with --dir: re-use the session files already there (their /derived is dropped)",
    )
    args = ap.parse_args()
    if args.detector is None:
        from gazemap.events import DEFAULT_DETECTOR

        args.detector = DEFAULT_DETECTOR
    if args.full:
        args.sessions, args.minutes = 100, 10.0
    tmp = None
    if args.dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="gazemap-study-scale-")
        root = Path(tmp.name)
    else:
        root = args.dir
        root.mkdir(parents=True, exist_ok=True)
    study = root / "study"
    study.mkdir(exist_ok=True)
    try:
        existing = sorted(study.glob("*.h5"))
        if args.reuse and len(existing) == args.sessions:
            import h5py

            t_gen = float("nan")
            for f in existing:  # cold runs must detect: drop stored detections
                with h5py.File(f, "r+") as h:
                    if "derived" in h:
                        del h["derived"]
        else:
            t_gen = generate(study, args.sessions, args.minutes, args.rate)
        size = sum(p.stat().st_size for p in study.glob("*.h5"))
        cold = {
            f"{w}_workers_s": round(
                analyze(study, root / f"out{w}", w, "--no-cache", "--detector", args.detector), 2
            )
            for w in args.workers
        }
        wmax = max(args.workers)
        # the detector is pinned so every run uses the same one, even if the default changes
        det = ("--detector", args.detector)
        t_write = analyze(study, root / "out-write", wmax, *det)
        t_warm = analyze(study, root / "out-warm", wmax, *det)
        files = ("metrics.csv", "touchpoints.csv", "fixations.csv", "evidence.json")

        def same(a: str, b: str) -> bool:
            return all((root / a / f).read_bytes() == (root / b / f).read_bytes() for f in files)

        outs = [f"out{w}" for w in args.workers] + ["out-write", "out-warm"]
        identical = all(same(outs[0], o) for o in outs[1:])
        detector = json.loads((root / outs[0] / "evidence.json").read_text())["detector"]["name"]
        ws = sorted(args.workers)
        result = {
            "benchmark": "study_scale",
            "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "sessions": args.sessions,
            "minutes_per_session": args.minutes,
            "rate_hz": args.rate,
            "samples_total": int(args.sessions * args.minutes * 60 * args.rate),
            "files_mb": round(size / 1e6, 1),
            "detector": detector,
            "generate_s": None if t_gen != t_gen else round(t_gen, 2),
            "analyze_cold_no_cache": cold,
            "speedup_cold": round(cold[f"{ws[0]}_workers_s"] / cold[f"{ws[-1]}_workers_s"], 2),
            f"analyze_storing_detections_{wmax}_workers_s": round(t_write, 2),
            f"analyze_reusing_detections_{wmax}_workers_s": round(t_warm, 2),
            # with --jobs 1 every session runs in the gazemap process itself, so its CPU time
            # is the whole work; pool workers (forkserver children) are not counted by rusage
            "cpu_s_1_worker_run": CPU_S.get("out1"),
            "load_average_1_5_15_min_at_end": [round(x, 2) for x in os.getloadavg()],
            "outputs_identical_all_runs": identical,
        }
        print(json.dumps(result, indent=2))
    finally:
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    main()
