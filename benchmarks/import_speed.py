"""Benchmark: importer throughput (rows/s) on generated EyeLink ASC and Tobii Pro Lab TSV files.

Prints JSON. Generates a binocular 1000 Hz ASC (samples with '.' gaps, fixation/saccade/blink
events, messages) and a Pro Lab TSV export of the same length, then times

- ``parse``: gazemap's reader (file → arrays),
- ``import``: the whole ``import_file`` (parse + HDF5 session with /derived, gzip, atomic),
- ``peer``: a plain line-by-line Python reader of the same samples (split + float per field,
  the approach of a typical hand-written ASC/TSV parser) in the same run.

Default is 2 minutes of data (quick); ``--minutes 60`` gives the 1-hour file of the issue.

    python benchmarks/import_speed.py [--minutes 60] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from gazemap.importers import import_file
from gazemap.importers.eyelink_asc import read_asc
from gazemap.importers.tobii_tsv import read_tsv

RATE_HZ = 1000


def gaze_path(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Fixations of ~250 ms joined by jumps, in px on a 1920 x 1080 screen."""
    k = n // 250 + 1
    cx = rng.uniform(100, 1820, k).repeat(250)[:n]
    cy = rng.uniform(100, 980, k).repeat(250)[:n]
    return cx + rng.normal(0, 0.5, n), cy + rng.normal(0, 0.5, n)


def write_asc(path: Path, n: int, rng: np.random.Generator) -> None:
    x, y = gaze_path(n, rng)
    t0 = 2_000_000
    with open(path, "w") as f:
        f.write(
            "** CONVERTED FROM bench.edf using edfapi 4.2.1 Jun 29 2020\n** EYELINK 1000 Plus\n**\n"
        )
        f.write(f"MSG\t{t0 - 5} DISPLAY_COORDS 0 0 1919 1079\n")
        f.write(f"START\t{t0} \tLEFT\tRIGHT\tSAMPLES\tEVENTS\nPUPIL\tAREA\n")
        f.write("SAMPLES\tGAZE\tLEFT\tRIGHT\tRATE\t1000.00\tTRACKING\tCR\tFILTER\t2\n")
        block = 10_000
        for a in range(0, n, block):
            lines = []
            for i in range(a, min(a + block, n)):
                t = t0 + i
                if i % 250 == 0:
                    lines.append(f"SFIX L   {t}\nSFIX R   {t}")
                if i % 5000 >= 4990:  # a 10 ms blink every 5 s
                    lines.append(f"{t}\t   .\t   .\t    0.0\t   .\t   .\t    0.0\t.....")
                else:
                    lines.append(
                        f"{t}\t{x[i]:7.1f}\t{y[i]:7.1f}\t 1200.0\t{x[i] + 3:7.1f}\t{y[i] + 1:7.1f}\t 1210.0\t....."
                    )
                if i % 250 == 229:
                    s = t - 229
                    lines.append(f"EFIX L   {s}\t{t}\t230\t{x[i]:7.1f}\t{y[i]:7.1f}\t   1200")
                    lines.append(
                        f"EFIX R   {s}\t{t}\t230\t{x[i] + 3:7.1f}\t{y[i] + 1:7.1f}\t   1210"
                    )
                    lines.append(f"SSACC L  {t + 1}\nSSACC R  {t + 1}")
                if i % 250 == 249:
                    lines.append(
                        f"ESACC L  {t - 19}\t{t}\t20\t100.0\t100.0\t900.0\t500.0\t   10.00\t    400"
                    )
                    lines.append(
                        f"ESACC R  {t - 19}\t{t}\t20\t103.0\t101.0\t903.0\t501.0\t   10.00\t    400"
                    )
                if i % 60_000 == 0:
                    lines.append(f"MSG\t{t} screen/s{i // 60_000}")
            f.write("\n".join(lines) + "\n")
        f.write(f"END\t{t0 + n} \tSAMPLES\tEVENTS\tRES\t  38.54\t  31.12\n")


TSV_HEADER = [
    "Recording timestamp [μs]", "Sensor", "Participant name", "Recording name", "Recording resolution height",
    "Recording resolution width", "Event", "Event value", "Gaze point X [DACS px]", "Gaze point Y [DACS px]",
    "Gaze point left X [DACS px]", "Gaze point left Y [DACS px]", "Gaze point right X [DACS px]",
    "Gaze point right Y [DACS px]", "Pupil diameter left [mm]", "Pupil diameter right [mm]", "Validity left",
    "Validity right", "Eye movement type", "Gaze event duration [ms]", "Eye movement type index",
    "Fixation point X [MCS px]", "Fixation point Y [MCS px]",
]  # fmt: skip


def write_tsv(path: Path, n: int, rng: np.random.Generator) -> None:
    x, y = gaze_path(n, rng)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\t".join(TSV_HEADER) + "\n")
        block = 10_000
        for a in range(0, n, block):
            lines = []
            for i in range(a, min(a + block, n)):
                t = i * 1000
                fix = i % 250 < 230
                idx = i // 250 + 1
                lines.append(
                    f"{t}\tEye Tracker\tP01\tRec1\t1080\t1920\t\t\t{x[i]:.0f}\t{y[i]:.0f}\t{x[i] - 2:.0f}\t{y[i]:.0f}\t"
                    f"{x[i] + 2:.0f}\t{y[i]:.0f}\t3,21\t3,35\tValid\tValid\t{'Fixation' if fix else 'Saccade'}\t"
                    f"{230 if fix else 20}\t{idx}\t{x[i]:.0f}\t{y[i]:.0f}"
                )
                if i % 60_000 == 0:
                    lines.append(
                        f"{t}\t\tP01\tRec1\t1080\t1920\tImageStimulusStart\ts{i // 60_000}.png"
                        + "\t" * 15
                    )
            f.write("\n".join(lines) + "\n")


def peer_asc(path: Path) -> int:
    """Line-by-line Python: split each sample line, float() each of the 7 fields."""
    rows = 0
    out = []
    with open(path) as f:
        for line in f:
            if line[:1].isdigit():
                parts = line.split()
                out.append([float("nan") if v == "." else float(v) for v in parts[:7]])
                rows += 1
    np.asarray(out)
    return rows


def peer_tsv(path: Path) -> int:
    """Line-by-line Python with csv-like splitting and float() of the numeric columns."""
    rows = 0
    out = []
    with open(path, encoding="utf-8") as f:
        next(f)
        for line in f:
            p = line.rstrip("\n").split("\t")
            if p[6]:
                continue
            out.append(
                [float(p[0])] + [float(v.replace(",", ".")) if v else float("nan") for v in p[8:16]]
            )
            rows += 1
    np.asarray(out)
    return rows


def timed(fn, *a, **k):  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    r = fn(*a, **k)
    return r, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--minutes", type=float, default=2.0, help="recording length (default 2; the issue: 60)"
    )
    ap.add_argument(
        "--keep", default=None, help="write the generated files here (default: a temp folder)"
    )
    args = ap.parse_args()
    n = int(args.minutes * 60 * RATE_HZ)
    rng = np.random.default_rng(1)
    results: dict[str, object] = {
        "benchmark": "import_speed",
        "minutes": args.minutes,
        "rows": n,
        "rate_hz": RATE_HZ,
        "machine": platform.processor() or platform.machine(),
    }
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(args.keep) if args.keep else Path(tmp)
        d.mkdir(parents=True, exist_ok=True)
        for fmt, writer, reader, peer, suffix in (
            ("eyelink_asc", write_asc, read_asc, peer_asc, ".asc"),
            ("tobii_tsv", write_tsv, read_tsv, peer_tsv, ".tsv"),
        ):
            src = d / f"bench{suffix}"
            _, t_gen = timed(writer, src, n, rng)
            recs, t_parse = timed(reader, src)
            rows = len(recs[0].time_s)
            out = d / f"bench_{fmt}.h5"
            _, t_import = timed(import_file, fmt, src, out, force=True)
            peer_rows, t_peer = timed(peer, src)
            results[fmt] = {
                "file_mb": round(src.stat().st_size / 1e6, 1),
                "session_mb": round(out.stat().st_size / 1e6, 1),
                "rows": rows,
                "parse_s": round(t_parse, 2),
                "parse_rows_per_s": round(rows / t_parse),
                "import_s": round(t_import, 2),
                "import_rows_per_s": round(rows / t_import),
                "peer_python_lines_s": round(t_peer, 2),
                "peer_rows_per_s": round(peer_rows / t_peer),
                "parse_speedup_vs_peer": round(t_peer / t_parse, 2),
                "generate_s": round(t_gen, 1),
            }
            print(json.dumps({fmt: results[fmt]}), flush=True)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
