"""Crash safety: kill -9 the recorder at random moments, recover, count what was lost.

One simulated tracker (`gazemap stream simulated --truth T`, 1,000 Hz by default) runs for
the whole benchmark. Each trial starts `gazemap record`, kills it with SIGKILL at a random
moment 0.2-3 s after it started recording, runs `gazemap recover` and compares the
recovered gaze timestamps with the simulator's ground truth:

- ``contiguous``: the recovered samples are exactly a run of consecutive sent samples
  (nothing missing or reordered in between);
- ``lost_s``: time between the last recovered sample and the kill (design bound: <= 1 s);
- ``lost_samples``: samples sent up to the kill that were not recovered.

Peer, in the same run: what a plain HDF5 writer (h5py appends + ``flush()`` every 0.1 s,
no journal) leaves after the same kill: whether h5py can open it as it is, samples there.

    python benchmarks/record_crash.py               # 20 trials (the issue's minimum)
    python benchmarks/record_crash.py --trials 5
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import h5py
import numpy as np

PEER = r"""
import sys, time, h5py, numpy as np, pylsl
pylsl.set_config_content("[log]\nlevel = -3\n")
sid, path = sys.argv[1], sys.argv[2]
infos = pylsl.resolve_bypred(f"source_id='{sid}'", 1, 30.0)
inlet = pylsl.StreamInlet(infos[0], max_buflen=360, recover=False)
inlet.open_stream(10)
f = h5py.File(path, "w", libver="latest")
t_ds = f.create_dataset("time_s", shape=(0,), maxshape=(None,), dtype="f8", chunks=(4096,))
x_ds = f.create_dataset("values", shape=(0, 9), maxshape=(None, 9), dtype="f4", chunks=(4096, 9))
print("ready", flush=True)
next_flush = time.monotonic() + 0.1
buf_t, buf_v = [], []
while True:
    v, ts = inlet.pull_chunk(timeout=0.0, max_samples=8192, as_numpy=True)
    if len(ts):
        buf_t.append(ts); buf_v.append(v)
    if time.monotonic() >= next_flush and buf_t:
        t = np.concatenate(buf_t); vv = np.concatenate(buf_v); buf_t, buf_v = [], []
        n = t_ds.shape[0]
        t_ds.resize(n + len(t), axis=0); t_ds[n:] = t
        x_ds.resize(n + len(t), axis=0); x_ds[n:] = vv
        f.flush()
        next_flush += 0.1
    if not len(ts):
        time.sleep(0.002)
"""


def gazemap() -> list[str]:
    exe = Path(sys.executable).parent / "gazemap"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "gazemap"]


def _wait_text(path: Path, text: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return
        time.sleep(0.02)
    raise TimeoutError(f"{text!r} did not appear in {path} within {timeout} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--rate-hz", type=float, default=1000.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", default=None, help="keep the files in this folder")
    args = ap.parse_args()
    rng = random.Random(args.seed)

    import pylsl

    pylsl.set_config_content("[log]\nlevel = -3\n")
    folder = Path(args.keep or tempfile.mkdtemp(prefix="gazemap-record-crash-"))
    folder.mkdir(parents=True, exist_ok=True)
    sid = f"bench-crash-{uuid.uuid4().hex[:10]}"
    truth = folder / "truth.h5"
    truth.unlink(missing_ok=True)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    sim = subprocess.Popen(
        [*gazemap(), "stream", "simulated", "--rate-hz", str(args.rate_hz),
         "--duration-s", str(args.trials * 8 + 30), "--truth", str(truth),
         "--source-id", sid, "--no-wait"],
        stdout=subprocess.DEVNULL, stderr=open(folder / "sim.err", "wb"), env=env,
    )  # fmt: skip
    trials = []
    peers = []
    try:
        _wait_text(folder / "sim.err", "ground truth written", 60)
        with h5py.File(truth, "r") as f:
            sent = f["samples/time_s"][()]
        for k in range(args.trials):
            out = folder / f"trial{k:02d}.h5"
            err = folder / f"trial{k:02d}.err"
            for p in (out, Path(str(out) + ".journal")):
                p.unlink(missing_ok=True)
            rec = subprocess.Popen(
                [*gazemap(), "record", "--out", str(out), "--stream", f"{sid}*"],
                stdout=subprocess.DEVNULL, stderr=open(err, "wb"), env=env,
            )  # fmt: skip
            peer_path = folder / f"peer{k:02d}.h5"
            peer_path.unlink(missing_ok=True)
            peer = subprocess.Popen(
                [sys.executable, "-c", PEER, sid, str(peer_path)],
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            )  # fmt: skip
            _wait_text(err, "as /streams/gaze", 60)
            assert peer.stdout is not None
            peer.stdout.readline()  # "ready"
            time.sleep(rng.uniform(0.2, 3.0))  # the random moment of the crash
            t_kill = pylsl.local_clock()
            rec.send_signal(signal.SIGKILL)
            peer.send_signal(signal.SIGKILL)
            rec.wait()
            peer.wait()
            t0 = time.monotonic()
            r = subprocess.run(
                [*gazemap(), "recover", str(out)], capture_output=True, text=True, timeout=300
            )
            recover_s = time.monotonic() - t0
            trial: dict[str, object] = {"trial": k, "recover_ok": r.returncode == 0}
            if r.returncode == 0:
                with h5py.File(out, "r") as f:
                    raw = f["streams/gaze/time_raw_s"][()]
                i0 = int(np.searchsorted(sent, raw[0])) if len(raw) else 0
                contiguous = bool(len(raw) and np.array_equal(raw, sent[i0 : i0 + len(raw)]))
                n_sent_by_kill = int(np.searchsorted(sent, t_kill, side="right"))
                trial.update(
                    samples=int(len(raw)),
                    contiguous=contiguous,
                    lost_s=round(float(t_kill - raw[-1]), 4) if len(raw) else None,
                    lost_samples=max(0, n_sent_by_kill - (i0 + len(raw))),
                    recover_s=round(recover_s, 3),
                )
            else:
                trial["error"] = r.stderr.strip()[-300:]
            trials.append(trial)
            try:
                with h5py.File(peer_path, "r") as f:
                    pt = f["time_s"][()]
                peers.append({"readable": True, "samples": int(len(pt)),
                              "lost_s": round(float(t_kill - pt[-1]), 4) if len(pt) else None})  # fmt: skip
            except Exception as exc:  # noqa: BLE001 - that is the point of the peer
                peers.append({"readable": False, "error": type(exc).__name__})
    finally:
        if sim.poll() is None:
            sim.send_signal(signal.SIGINT)
            sim.wait(timeout=30)
    ok = [t for t in trials if t["recover_ok"]]
    lost_s = [float(t["lost_s"]) for t in ok if t.get("lost_s") is not None]  # type: ignore[arg-type]
    lost_samples = [int(t["lost_samples"]) for t in ok]  # type: ignore[call-overload]
    readable = [p for p in peers if p["readable"]]
    peer_lost = [float(p["lost_s"]) for p in readable if p.get("lost_s") is not None]  # type: ignore[arg-type]
    report = {
        "benchmark": "record_crash",
        "trials": args.trials,
        "rate_hz": args.rate_hz,
        "recover_success": f"{len(ok)}/{len(trials)}",
        "all_contiguous": all(bool(t.get("contiguous")) for t in ok),
        "lost_s": {
            "max": max(lost_s) if lost_s else None,
            "mean": round(float(np.mean(lost_s)), 4) if lost_s else None,
            "within_1s": f"{sum(x <= 1.0 for x in lost_s)}/{len(lost_s)}",
        },
        "lost_samples": {
            "max": max(lost_samples) if lost_samples else None,
            "mean": round(float(np.mean(lost_samples)), 1) if lost_samples else None,
        },
        "peer_plain_hdf5": {
            "readable_after_kill": f"{len(readable)}/{len(peers)}",
            "lost_s_max_when_readable": max(peer_lost) if peer_lost else None,
        },
        "per_trial": trials,
        "files": str(folder),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
