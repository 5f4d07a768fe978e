"""Benchmark: AOI hit testing of N fixations x M mixed AOIs vs point-in-polygon baselines.

Prints JSON. Default: 1,000,000 fixations x 200 AOIs (1/3 rect, 1/3 polygon, 1/3 ellipse)
on a 1280 x 6000 px page, as in the issue. The baselines run in the same process on the
same data: matplotlib.path.Path.contains_points per AOI (ellipses as 64-gons, as a
straightforward implementation would), and shapely 2 vectorised ``contains_xy`` per AOI.
Agreement with the baselines is reported (only points on the ellipse approximation's
boundary can differ for matplotlib).

    python benchmarks/aoi_mapping.py [--n 1000000] [--m 200] [--repeat 3] [--baseline-n N]
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np

from gazemap.aoi import compile_aois, hit_pairs
from gazemap.protocol import AOI


def make_aois(m: int, page_w: float, page_h: float, rng: np.random.Generator) -> list[AOI]:
    aois = []
    for j in range(m):
        w = rng.uniform(60, 400)
        h = rng.uniform(30, 250)
        x = rng.uniform(0, page_w - w)
        y = rng.uniform(0, page_h - h)
        kind = j % 3
        if kind == 0:
            aois.append(AOI(f"r{j}", f"r{j}", "content", "rect", (x, y, w, h)))
        elif kind == 1:
            cx, cy = x + w / 2, y + h / 2
            k = int(rng.integers(3, 9))
            t = np.sort(rng.uniform(0, 2 * np.pi, k))
            r = rng.uniform(0.5, 1.0, k)
            pts = np.column_stack([cx + r * w / 2 * np.cos(t), cy + r * h / 2 * np.sin(t)])
            aois.append(AOI(f"p{j}", f"p{j}", "content", "polygon", tuple(pts.ravel().tolist())))
        else:
            aois.append(
                AOI(f"e{j}", f"e{j}", "content", "ellipse", (x + w / 2, y + h / 2, w / 2, h / 2))
            )
    return aois


def best_of(fn, repeat: int) -> tuple[float, object]:
    best = float("inf")
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--n", type=int, default=1_000_000, help="fixations")
    ap.add_argument("--m", type=int, default=200, help="AOIs")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--baseline-n",
        type=int,
        default=None,
        help="fixations for the baselines (default: same as --n); their time is scaled to --n",
    )
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    page_w, page_h = 1280.0, 6000.0
    aois = make_aois(args.m, page_w, page_h, rng)
    x = rng.uniform(0, page_w, args.n)
    y = rng.uniform(0, page_h, args.n)

    t_compile, geom = best_of(lambda: compile_aois(aois), args.repeat)
    t_ours, (rows, cols) = best_of(lambda: hit_pairs(x, y, geom), args.repeat)  # type: ignore[misc]

    nb = args.baseline_n or args.n
    xb, yb = x[:nb], y[:nb]
    ours_b = set(zip(*hit_pairs(xb, yb, geom), strict=True)) if nb != args.n else None
    if ours_b is None:
        ours_b = set(zip(rows.tolist(), cols.tolist(), strict=True))

    from matplotlib.path import Path as MplPath

    paths = [MplPath(a.points) for a in aois]
    pts = np.column_stack([xb, yb])

    def mpl() -> set[tuple[int, int]]:
        out: set[tuple[int, int]] = set()
        for j, p in enumerate(paths):
            idx = np.flatnonzero(p.contains_points(pts))
            out.update(zip(idx.tolist(), [j] * len(idx), strict=True))
        return out

    t_mpl, mpl_hits = best_of(mpl, 1)
    result: dict[str, object] = {}
    try:
        import shapely

        def shp_geoms() -> list:
            out = []
            for a in aois:
                if a.shape == "ellipse":
                    cx, cy, rx, ry = a.coords
                    circ = shapely.Point(0, 0).buffer(1.0, quad_segs=16)
                    import shapely.affinity as aff

                    out.append(aff.translate(aff.scale(circ, rx, ry, origin=(0, 0)), cx, cy))
                else:
                    out.append(shapely.Polygon(a.points))
            return out

        sgeoms = shp_geoms()
        for g in sgeoms:
            shapely.prepare(g)

        def shp() -> set[tuple[int, int]]:
            out: set[tuple[int, int]] = set()
            for j, g in enumerate(sgeoms):
                idx = np.flatnonzero(shapely.contains_xy(g, xb, yb))
                out.update(zip(idx.tolist(), [j] * len(idx), strict=True))
            return out

        t_shp, shp_hits = best_of(shp, 1)
        scale = args.n / nb
        result["shapely_contains_xy_s"] = round(t_shp * scale, 4)
        result["speedup_vs_shapely"] = round(t_shp * scale / t_ours, 1)
        result["agreement_vs_shapely"] = round(
            1 - len(ours_b ^ shp_hits) / max(len(ours_b | shp_hits), 1),
            6,  # type: ignore[operator]
        )
    except ImportError:
        result["shapely_contains_xy_s"] = None

    scale = args.n / nb
    result.update(
        {
            "benchmark": "aoi_mapping",
            "machine": platform.processor() or platform.machine(),
            "n_fixations": args.n,
            "n_aois": args.m,
            "aoi_mix": {
                "rect": len(range(0, args.m, 3)),
                "polygon": len(range(1, args.m, 3)),
                "ellipse": len(range(2, args.m, 3)),
            },
            "hits": int(len(rows)),
            "gazemap_compile_s": round(t_compile, 5),
            "gazemap_hit_pairs_s": round(t_ours, 4),
            "baseline_fixations": nb,
            "matplotlib_path_s": round(t_mpl * scale, 4),
            "speedup_vs_matplotlib": round(t_mpl * scale / t_ours, 1),
            "agreement_vs_matplotlib": round(
                1 - len(ours_b ^ mpl_hits) / max(len(ours_b | mpl_hits), 1),
                6,  # type: ignore[operator]
            ),
        }
    )
    # the baselines approximate ellipses by 64-gons; on rects and polygons all must agree
    ell = {j for j, a in enumerate(aois) if a.shape == "ellipse"}

    def exact(s: set[tuple[int, int]]) -> set[tuple[int, int]]:
        return {h for h in s if h[1] not in ell}

    result["mismatches_rect_polygon_vs_matplotlib"] = len(exact(ours_b) ^ exact(mpl_hits))  # type: ignore[arg-type]
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
