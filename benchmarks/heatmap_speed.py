"""Heatmap speed: gazemap.heatmap (grid splat + separable Gaussian) vs a naive per-fixation splat.

Prints JSON. Defaults are small so the script is quick on a shared machine; the full case of
the issue is ``--fixations 100000`` on the default 1440 x 6000 page:

    python benchmarks/heatmap_speed.py --fixations 100000

Both methods run on the same fixations in the same process. ``max_rel_diff`` is the largest
difference between the two full-page maps relative to the naive map's maximum, over the page
away from its border (the fast path reflects kernels at the border, the naive one truncates).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy as np

from gazemap.heatmap import density_grid, fixation_heatmap, naive_splat, page_density


def _timed(fn, repeat: int = 1):
    best = float("inf")
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return out, best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--width", type=int, default=1440)
    ap.add_argument("--height", type=int, default=6000)
    ap.add_argument("--fixations", type=int, default=2000)
    ap.add_argument("--px-per-deg", type=float, default=38.0)
    ap.add_argument("--sigma-deg", type=float, default=1.0)
    ap.add_argument("--participants", type=int, default=20)
    ap.add_argument("--skip-naive", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()

    rng = np.random.default_rng(a.seed)
    n = a.fixations
    # clustered like real pages: hot spots plus a uniform background
    centres = rng.uniform([0, 0], [a.width, a.height], (40, 2))
    pick = rng.integers(0, len(centres), n)
    xy = centres[pick] + rng.normal(0, 80, (n, 2))
    bg = rng.random(n) < 0.3
    xy[bg] = rng.uniform([0, 0], [a.width, a.height], (bg.sum(), 2))
    x, y = xy[:, 0], xy[:, 1]
    d = rng.gamma(4.0, 0.06, n)
    part = rng.integers(0, a.participants, n)
    sigma_px = a.sigma_deg * a.px_per_deg

    def fast_grid():
        return fixation_heatmap(
            x, y, d, part, page_width_px=a.width, page_height_px=a.height,
            px_per_deg=a.px_per_deg, sigma_deg=a.sigma_deg,
        )  # fmt: skip

    hm, t_grid = _timed(fast_grid, repeat=3)
    full, t_full = _timed(lambda: page_density(fast_grid()), repeat=1)

    def full_res_filter():
        g, _ = density_grid(
            x, y, d, page_width_px=a.width, page_height_px=a.height, sigma_px=sigma_px, cell_px=1
        )
        return g

    _, t_cell1 = _timed(full_res_filter)

    result = {
        "benchmark": "heatmap_speed",
        "page_px": [a.width, a.height],
        "fixations": n,
        "sigma_px": sigma_px,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "gazemap_grid": {
            "seconds": round(t_grid, 4),
            "cell_px": hm.cell_px,
            "grid_shape": list(hm.values.shape),
            "what": "histogram (bilinear, np.bincount) + scipy gaussian_filter on a sigma/4 grid",
        },
        "gazemap_full_page": {
            "seconds": round(t_full, 4),
            "what": "the grid map plus bilinear upsampling to one value per page pixel",
        },
        "gazemap_cell1_filter": {
            "seconds": round(t_cell1, 4),
            "what": "histogram + gaussian_filter at full resolution (cell_px=1)",
        },
        "mass": {
            "weights_s": float(d[(x >= 0) & (x < a.width) & (y >= 0) & (y < a.height)].sum()),
            "grid_s": hm.total,
            "full_page_s": float(full.sum()),
        },  # fmt: skip
    }
    if not a.skip_naive:
        naive, t_naive = _timed(
            lambda: naive_splat(
                x, y, d, page_width_px=a.width, page_height_px=a.height, sigma_px=sigma_px
            )
        )
        m = int(np.ceil(5 * sigma_px))
        inner = (slice(m, -m), slice(m, -m))
        diff = np.abs(full[inner] - naive[inner]).max() / naive.max()
        result["naive_splat"] = {
            "seconds": round(t_naive, 4),
            "what": "one Gaussian patch (5 sigma) added per fixation in a Python loop",
        }
        result["speedup_full_page_vs_naive"] = round(t_naive / t_full, 1)
        result["speedup_grid_vs_naive"] = round(t_naive / t_grid, 1)
        result["max_rel_diff"] = float(diff)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
