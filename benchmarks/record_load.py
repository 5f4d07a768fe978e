"""Recording load: `gazemap record` on a simulated 2,000 Hz binocular tracker + markers + scroll.

Runs the real commands over LSL on loopback:

    gazemap stream simulated --rate-hz 2000 --protocol protocols/online-store.yaml --truth T
    gazemap record --stream <its source ids> --duration-s D --stats-json S

and compares the recorded file with the simulator's ground truth (every sample it sent).
Prints JSON: samples lost (must be 0), latency from a sample's LSL timestamp to its being
in the journal (``os.write`` returned: safe from a killed process) and to the next fsync
(safe from a power cut), p50/p99; recorder CPU % (user + system time of the process over
its wall time); file size per hour; the time ``close`` takes to build the HDF5 file.

Peer, in the same run: a bare pylsl consumer that only pulls the same Gaze stream (same
2 ms idle sleep) and stores nothing: the CPU floor of receiving 2 kHz over LSL in Python.

    python benchmarks/record_load.py              # 60 s (the issue's case)
    python benchmarks/record_load.py --duration-s 10
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import h5py
import numpy as np

REPO = Path(__file__).resolve().parents[1]
PROTOCOL = REPO / "protocols" / "online-store.yaml"

PEER = r"""
import sys, time, resource, pylsl, json
pylsl.set_config_content("[log]\nlevel = -3\n")
sid, dur = sys.argv[1], float(sys.argv[2])
infos = pylsl.resolve_bypred(f"source_id='{sid}'", 1, 30.0)
inlet = pylsl.StreamInlet(infos[0], max_buflen=360, recover=False)
inlet.open_stream(10)
n = 0
t0 = time.monotonic()
while time.monotonic() - t0 < dur:
    v, ts = inlet.pull_chunk(timeout=0.0, max_samples=8192, as_numpy=True)
    n += len(ts)
    if len(ts) == 0:
        time.sleep(0.002)
wall = time.monotonic() - t0
ru = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"samples": n, "wall_s": wall, "cpu_s": ru.ru_utime + ru.ru_stime}))
"""


def gazemap() -> list[str]:
    exe = Path(sys.executable).parent / "gazemap"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "gazemap"]


def _wait_rusage(p: subprocess.Popen, timeout: float) -> tuple[int, float, float]:
    """Wait for a child; return (exit code, cpu seconds, wall seconds since its start)."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid == p.pid:
            p.returncode = os.waitstatus_to_exitcode(status)
            return p.returncode, ru.ru_utime + ru.ru_stime, 0.0
        if time.monotonic() > deadline:
            p.kill()
            raise TimeoutError(f"{p.args} did not finish in {timeout} s")
        time.sleep(0.05)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--duration-s", type=float, default=60.0)
    ap.add_argument("--rate-hz", type=float, default=2000.0)
    ap.add_argument("--keep", default=None, help="keep the files in this folder")
    args = ap.parse_args()

    folder = Path(args.keep or tempfile.mkdtemp(prefix="gazemap-record-load-"))
    folder.mkdir(parents=True, exist_ok=True)
    sid = f"bench-load-{uuid.uuid4().hex[:10]}"
    truth, out, stats_path = folder / "truth.h5", folder / "load.h5", folder / "stats.json"
    for f in (truth, out, stats_path):
        f.unlink(missing_ok=True)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    sim = subprocess.Popen(
        [*gazemap(), "stream", "simulated", "--rate-hz", str(args.rate_hz),
         "--duration-s", str(args.duration_s + 5), "--protocol", str(PROTOCOL),
         "--truth", str(truth), "--source-id", sid],
        stdout=subprocess.DEVNULL, stderr=open(folder / "sim.err", "wb"), env=env,
    )  # fmt: skip
    try:
        t_start = time.monotonic()
        rec = subprocess.Popen(
            [*gazemap(), "record", "--out", str(out), "--stream", f"{sid}*",
             "--duration-s", str(args.duration_s), "--stats-json", str(stats_path), "--quiet"],
            stdout=subprocess.DEVNULL, stderr=open(folder / "rec.err", "wb"), env=env,
        )  # fmt: skip
        peer = subprocess.Popen(
            [sys.executable, "-c", PEER, sid, str(args.duration_s)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        code, cpu_s, _ = _wait_rusage(rec, args.duration_s + 120)
        rec_wall = time.monotonic() - t_start
        peer_out, _ = peer.communicate(timeout=args.duration_s + 60)
    finally:
        if sim.poll() is None:
            sim.send_signal(signal.SIGINT)
            sim.wait(timeout=30)
    if code != 0:
        raise SystemExit(f"recorder failed ({code}): {(folder / 'rec.err').read_text()}")
    stats = json.loads(stats_path.read_text())
    peer_stats = json.loads(peer_out.strip().splitlines()[-1])

    with h5py.File(truth, "r") as f:
        sent = {
            "gaze": f["samples/time_s"][()],
            "markers": f["markers/time_s"][()],
            "scroll": f["scroll/time_s"][()],
        }
    result_streams = {}
    from gazemap.store import open_session

    with open_session(out) as s:
        duration = 0.0
        for name in ("gaze", "markers", "scroll"):
            raw = s.raw_times(name)
            ref = sent[name]
            if name == "gaze":
                first, last = raw[0], raw[-1]
                duration = float(last - first)
            # everything the simulator sent between the first and the last recorded gaze sample
            window = ref[(ref >= first) & (ref <= last)]
            got = raw[(raw >= first) & (raw <= last)]
            lost = int(len(window) - len(np.intersect1d(window, got)))
            result_streams[name] = {
                "sent_in_window": int(len(window)),
                "recorded": int(len(raw)),
                "lost": lost,
            }
        gaze_from_first_sample = bool(sent["gaze"][0] == s.raw_times("gaze")[0])
    size = out.stat().st_size
    wall_rec = rec_wall
    report = {
        "benchmark": "record_load",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "rate_hz": args.rate_hz,
        "duration_s": round(duration, 3),
        "streams": result_streams,
        "samples_lost": sum(v["lost"] for v in result_streams.values()),
        "recorded_from_first_sample": gaze_from_first_sample,
        "dropped_reported_by_recorder": stats["streams"]["gaze"]["dropped"],
        "latency_to_journal_ms": stats["latency_to_journal_ms"],
        "latency_to_fsync_ms": stats["latency_to_fsync_ms"],
        "recorder_cpu_pct": round(100.0 * cpu_s / wall_rec, 2),
        "recorder_cpu_s": round(cpu_s, 3),
        "recorder_wall_s": round(wall_rec, 3),
        "close_s": round(stats["close_s"], 3),
        "file_mb_per_hour": round(size / duration * 3600 / 1e6, 1),
        "journal_mb_per_hour": round(stats["journal_bytes"] / duration * 3600 / 1e6, 1),
        "peer_bare_pylsl_pull": {
            "samples": peer_stats["samples"],
            "cpu_pct": round(100.0 * peer_stats["cpu_s"] / peer_stats["wall_s"], 2),
        },
        "files": str(folder),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
