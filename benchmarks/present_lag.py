"""How close to the page change are the presenter's LSL timestamps? (headless, JSON).

Measured on the demo shop served on 127.0.0.1, headless Debian Chromium, real LSL outlets
read by pylsl inlets in this process:

* ``scroll_dom``: ``window.scrollTo`` in the page, then the Scroll sample's LSL timestamp
  minus the time of the scrollTo call (both converted with the same page→LSL offset): the
  delay from the DOM scroll to the moment the sample is stamped. Peer in the same run:
  ``scroll_dom_python_receipt`` stamps the sample when Python receives it (what a presenter
  that timestamps on arrival would record).
* ``scroll_wheel``: a mouse-wheel step sent by Playwright, bracketed by ``local_clock()``
  before; sample timestamp minus the time the wheel was sent (includes Chromium's input
  path and the page→LSL clock mapping) and the share of samples not stamped before their
  cause (within the offset's uncertainty).
* ``scroll_delivery``: when the inlet got the sample minus its timestamp.
* ``smooth_scroll_rate_hz``: samples per second during a smooth (animated) scroll — the
  display-refresh sampling.
* ``marker_vs_navigation``: ``screen/<id>`` marker timestamp minus the navigation start
  (``performance.timeOrigin``) and minus the first contentful paint of the new page.

Run: ``python benchmarks/present_lag.py [--n 100] [--navigations 20]``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import threading
import time
import uuid

import numpy as np


def _pct(a: list[float] | np.ndarray) -> dict[str, float | int]:
    x = np.asarray(a, dtype=np.float64) * 1000.0
    if x.size == 0:
        return {"n": 0}
    return {
        "n": int(x.size),
        "p50_ms": round(float(np.percentile(x, 50)), 3),
        "p99_ms": round(float(np.percentile(x, 99)), 3),
        "min_ms": round(float(x.min()), 3),
        "max_ms": round(float(x.max()), 3),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=60, help="scroll steps per method")
    ap.add_argument("--navigations", type=int, default=12, help="page navigations")
    args = ap.parse_args(argv)

    import pylsl

    from gazemap.acquisition.lsl import local_clock, make_marker_outlet, make_scroll_outlet
    from gazemap.presenter.browser import Presenter
    from gazemap.presenter.server import DEMO_SITE, SiteServer
    from gazemap.protocol import load_protocol

    proto = load_protocol(DEMO_SITE.parent / "protocols" / "online-store.yaml")
    sid = f"gazemap-bench-present-{uuid.uuid4().hex[:8]}"
    m_out = make_marker_outlet("bench-markers", sid + "-markers")
    s_out = make_scroll_outlet("bench-scroll", sid + "-scroll")
    m_in = pylsl.StreamInlet(pylsl.resolve_byprop("source_id", sid + "-markers", 1, 10)[0])
    s_in = pylsl.StreamInlet(pylsl.resolve_byprop("source_id", sid + "-scroll", 1, 10)[0])
    m_in.open_stream(5)
    s_in.open_stream(5)
    delivery: list[float] = []
    marker_rx: dict[str, float] = {}
    stop = threading.Event()

    def reader() -> None:
        # a consumer like the recorder: pulls continuously, notes when each sample arrived
        while not stop.is_set():
            _, ts = s_in.pull_chunk(timeout=0.0)
            now = local_clock()
            delivery.extend(now - t for t in ts)
            vals, ts = m_in.pull_chunk(timeout=0.0)
            now = local_clock()
            for v, t in zip(vals, ts, strict=True):
                marker_rx.setdefault(f"{v[0]}@{t:.6f}", now)
            time.sleep(0.001)

    th = threading.Thread(target=reader, daemon=True)
    th.start()

    with SiteServer(DEMO_SITE) as srv:
        pres = Presenter(
            proto, srv.base_url, "BENCH", m_out, s_out, 1440, 900, headless=True, log=lambda m: None
        )
        pres.start()
        try:
            pres.goto(pres.url_of("/index.html"))
            pres.wait_for_screen("home", 10)
            page = pres.page
            max_y = int(page.evaluate("document.documentElement.scrollHeight - innerHeight"))

            def wait_new_sample(
                n_before: int,
            ) -> tuple[float, float, float, float, float, float] | None:
                ok = pres.wait_for(lambda: len(pres.stats.scroll) > n_before, 2.0)
                return pres.stats.scroll[n_before] if ok else None

            # 1) DOM scroll in the page
            dom, dom_py = [], []
            for i in range(args.n):
                y = (i * 137) % max_y + 1
                n0 = len(pres.stats.scroll)
                t_cmd_ms = float(
                    page.evaluate(
                        "(y) => { const t = performance.timeOrigin + performance.now(); window.scrollTo(0, y); return t; }",
                        y,
                    )
                )
                s = wait_new_sample(n0)
                if s is not None:
                    t_cmd = pres.clock.to_lsl(t_cmd_ms)
                    dom.append(s[0] - t_cmd)
                    dom_py.append(s[5] - t_cmd)
            # 2) wheel input via Playwright, bracketed on the LSL clock
            page.evaluate("window.scrollTo(0, 0)")
            pres.pump(100)
            wheel, after = [], 0
            page.mouse.move(700, 450)
            direction = 1
            for _ in range(args.n):
                cur = float(page.evaluate("scrollY"))
                if cur + 200 > max_y:
                    direction = -1
                elif cur - 200 < 0:
                    direction = 1
                n0 = len(pres.stats.scroll)
                t0 = local_clock()
                page.mouse.wheel(0, 200 * direction)
                s = wait_new_sample(n0)
                if s is not None:
                    wheel.append(s[0] - t0)
                    after += int(s[0] >= t0 - pres.clock.uncertainty_s)
            # 3) smooth scroll: samples per second while the page moves
            page.evaluate("window.scrollTo(0, 0)")
            pres.pump(200)
            n0 = len(pres.stats.scroll)
            page.evaluate(f"window.scrollTo({{top: {max_y}, behavior: 'smooth'}})")
            pres.wait_for(
                lambda: len(pres.stats.scroll) > n0 and pres.stats.scroll[-1][2] >= max_y - 1, 5.0
            )
            smooth = pres.stats.scroll[n0:]
            ts = np.array([s[0] for s in smooth])
            rate = (
                float((len(ts) - 1) / (ts[-1] - ts[0]))
                if len(ts) > 2 and ts[-1] > ts[0]
                else float("nan")
            )
            # 4) markers vs navigation
            nav_start, nav_fcp, marker_delivery = [], [], []
            pages = [("product", "/product.html"), ("cart", "/cart.html"), ("home", "/index.html")]
            for i in range(args.navigations):
                sid_, path = pages[i % len(pages)]
                n0 = len(pres.stats.markers)
                pres.goto(pres.url_of(path))
                want = f"screen/{sid_}"
                pres.wait_for(
                    lambda w=want, k=n0: any(v == w for _, v in pres.stats.markers[k:]), 10
                )
                mk = next((t for t, v in pres.stats.markers[n0:] if v == f"screen/{sid_}"), None)
                pres.pump(150)  # let the first paint entry exist
                origin_ms, fcp_ms = page.evaluate(
                    "[performance.timeOrigin, (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime ?? null]"
                )
                if mk is None:
                    continue
                nav_start.append(mk - pres.clock.to_lsl(origin_ms))
                if fcp_ms is not None:
                    nav_fcp.append(mk - pres.clock.to_lsl(origin_ms + fcp_ms))
                key_prefix = f"screen/{sid_}@{mk:.6f}"
                pres.wait_for(lambda kp=key_prefix: any(k.startswith(kp) for k in marker_rx), 2.0)
                key = next((k for k in marker_rx if k.startswith(f"screen/{sid_}@{mk:.6f}")), None)
                if key:
                    marker_delivery.append(marker_rx[key] - mk)
            pres.pump(300)
            clock_unc = pres.clock.uncertainty_s
        finally:
            stop.set()
            th.join(2)
            pres.close()

    result = {
        "benchmark": "present_lag",
        "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()},
        "chromium": "headless /usr/bin/chromium",
        "clock_offset_uncertainty_ms": round(clock_unc * 1000, 3),
        "scroll_dom": _pct(dom),
        "scroll_dom_python_receipt": _pct(dom_py),
        "scroll_wheel": {
            **_pct(wheel),
            "stamped_after_wheel_sent_share": round(after / max(1, len(wheel)), 3),
        },
        "scroll_delivery": _pct(delivery),
        "smooth_scroll_rate_hz": round(rate, 1),
        "smooth_scroll_samples": len(smooth),
        "marker_vs_navigation_start": _pct(nav_start),
        "marker_vs_first_contentful_paint": _pct(nav_fcp),
        "marker_delivery": _pct(marker_delivery),
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    t = time.perf_counter()
    rc = main()
    print(f"# {time.perf_counter() - t:.1f} s", file=sys.stderr)
    sys.exit(rc)
