"""A small analysis output folder + protocol built by hand, for the report's tests.

``build_analysis(tmp_path)`` writes a protocol YAML with drawn screenshots and the files of
docs/outputs.md (metrics.csv, touchpoints.csv, fixations.csv, evidence.json, journey.json,
sessions.json) for 3 participants, and returns (out_dir, protocol). It includes the awkward
cases: an AOI named ``<script>alert(1)</script>``, a touchpoint with two screens, a
touchpoint nobody visited, an unreliable finding and a session that failed.
Integration tests import it as ``unit.test_report_fixture``.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import yaml

from gazemap.protocol import Protocol, load_protocol
from gazemap.report.data import FIXATIONS_COLUMNS, METRICS_COLUMNS, TOUCHPOINTS_COLUMNS

XSS = "<script>alert(1)</script>"
PARTICIPANTS = ("P01", "P02", "P03")
PAGE_W, PAGE_H = 800, 1400

_SCREENS = {
    "home": [
        ("logo", "Logo & brand", "navigation", [20, 10, 160, 50]),
        ("search", "Search box", "target", [240, 12, 400, 40]),
        ("banner", XSS, "distractor", [0, 80, 800, 300]),
    ],
    "results": [
        ("filters", "Filters", "navigation", [20, 80, 200, 900]),
        ("hit", "Right result", "target", [260, 600, 500, 180]),
    ],
    "results2": [("hit2", "Result on page 2", "target", [260, 300, 500, 180])],
    "cart": [
        ("items", "Cart items", "content", [40, 100, 720, 500]),
        ("pay", "Pay now", "cta", [520, 700, 240, 70]),
    ],
    "mail": [("body", "E-mail body", "content", [40, 40, 720, 900])],
}
_STAGES = [
    ("find", "Find & compare", [("home", "Home page", "site", ["home"]),
                                ("search", "Search results", "site", ["results", "results2"])]),
    ("buy", "Buy", [("checkout", "Checkout", "site", ["cart"])]),
    ("after", "After purchase", [("email", "Order e-mail", "e-mail", ["mail"])]),
]  # fmt: skip
#: journey.json's AOI summaries of touchpoint "home" (other touchpoints have none, so the
#: report falls back to medians of metrics.csv there)
HOME_AOIS = [
    {"touchpoint_id": "home", "screen_id": "home", "aoi_id": a, "aoi_name": n, "aoi_role": r,
     "n": 3, "fixated_share": share,
     "ttff_s": {"n": 2, "mean": ttff + 0.5, "median": ttff, "ci95": None},
     "dwell_s": {"n": 3, "mean": 1.25, "median": 1.125, "ci95": [0.5, 2.0]},
     "fixation_count": {"n": 3, "mean": 4.5, "median": 4.0, "ci95": None},
     "visit_count": {"n": 3, "mean": 2.0, "median": 2.0, "ci95": None}}
    for a, n, r, share, ttff in [
        ("search", "Search box", "target", 2 / 3, 3.375),
        ("banner", XSS, "distractor", 1.0, 0.8125),
        ("__outside__", "outside every AOI", "", 1.0, 0.25),
    ]
]  # fmt: skip
#: journey.json's task success of touchpoint "checkout" (the others have no criterion)
CHECKOUT_SUCCESS = {
    "criterion": "click: pay", "n": 3, "successes": 2, "rate": 2 / 3,
    "ci95": [0.2077, 0.9385], "unknown": 0,
    "time_to_success_s": {"n": 2, "mean": 9.5, "median": 9.5, "ci95": None},
}  # fmt: skip
#: touchpoint visited by nobody (no rows anywhere)
UNVISITED = "email"


def _screenshot(path: Path, seed: int) -> None:
    img = np.full((PAGE_H, PAGE_W, 3), 250, np.uint8)
    cv2.rectangle(img, (0, 0), (PAGE_W, 64), (110, 60, 30), -1)
    rng = np.random.default_rng(seed)
    for i in range(14):
        y = 90 + i * 90
        w = int(rng.integers(300, 740))
        cv2.rectangle(img, (30, y), (30 + w, y + 50), (215, 215, 215), -1)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), img)


def write_protocol(root: Path) -> Path:
    """Protocol YAML + screenshots under ``root``; returns the YAML path."""
    screens_yaml: dict[str, dict[str, Any]] = {}
    for k, (sid, aois) in enumerate(_SCREENS.items()):
        _screenshot(root / "shots" / f"{sid}.png", k)
        screens_yaml[sid] = {
            "id": sid,
            "name": f"Screen {sid}",
            "screenshot": f"shots/{sid}.png",
            "page": {"width_px": PAGE_W, "height_px": PAGE_H},
            "viewport": {"width_px": PAGE_W, "height_px": 700},
            "aois": [
                {"id": a, "name": n, "role": r, "shape": "rect", "coords": c} for a, n, r, c in aois
            ],
        }
    doc = {
        "protocol": {"id": "mini-store", "name": "Mini store <b>test</b>",
                     "screen": {"width_px": 1440, "height_px": 900}},
        "stages": [
            {"id": st, "name": sn, "touchpoints": [
                {"id": tp, "name": tn, "channel": ch, "task": f"Do the {tn} task & go on.",
                 "screens": [screens_yaml[s] for s in scs]}
                for tp, tn, ch, scs in tps]}
            for st, sn, tps in _STAGES
        ],
    }  # fmt: skip
    path = root / "mini-store.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def _write_csv(path: Path, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(columns))
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if r.get(k) is None else r[k]) for k in columns})


def build_analysis(tmp_path: Path) -> tuple[Path, Protocol]:
    """Write protocol + analysis folder under ``tmp_path``; returns (out_dir, protocol)."""
    protocol = load_protocol(write_protocol(tmp_path / "study"))
    out = tmp_path / "analysis"
    out.mkdir(parents=True)
    rng = np.random.default_rng(42)
    fixations, metrics, tps = [], [], []
    for p in PARTICIPANTS:
        sid = f"{p}-s1"
        for st in protocol.stages:
            for tp in st.touchpoints:
                if tp.id == UNVISITED:
                    continue
                t0 = float(rng.uniform(10, 100))
                n_tp = 0
                for sc in tp.screens:
                    centre = np.array(sc.aois[-1].bbox[:2]) + 40
                    n = int(rng.integers(6, 14))
                    xy = centre + rng.normal(0, 60, (n, 2))
                    d = rng.uniform(0.1, 0.5, n)
                    for i in range(n):
                        fixations.append({
                            "participant": p, "session_id": sid, "touchpoint_id": tp.id,
                            "screen_id": sc.id, "index": n_tp + i, "start_s": t0 + i * 0.6,
                            "t_rel_s": i * 0.6, "duration_s": round(float(d[i]), 3),
                            "x_px": round(float(xy[i, 0]), 1), "y_px": round(float(xy[i, 1]), 1),
                            "page_x_px": round(float(xy[i, 0]), 1),
                            "page_y_px": round(float(xy[i, 1]), 1),
                            "aoi_ids": sc.aois[-1].id if i % 2 else "",
                            # P02's 2nd fixation on each screen happened while scrolling
                            "mapped": 0 if (p == "P02" and i == 1) else 1,
                        })  # fmt: skip
                    n_tp += n
                    for a in [*sc.aois, None]:
                        fixated = a is None or bool(rng.integers(0, 2))
                        metrics.append({
                            "participant": p, "session_id": sid, "stage_id": st.id,
                            "touchpoint_id": tp.id, "screen_id": sc.id,
                            "aoi_id": a.id if a else "__outside__",
                            "aoi_name": a.name if a else "outside every AOI",
                            "aoi_role": a.role if a else "",
                            "ttff_s": round(float(rng.uniform(0.2, 6)), 3) if fixated else None,
                            "first_fixation_duration_s": 0.21 if fixated else None,
                            "fixations_before_first": int(rng.integers(0, 9)) if fixated else None,
                            "dwell_s": round(float(rng.uniform(0, 3)), 3) if fixated else 0.0,
                            "fixation_count": int(rng.integers(1, 9)) if fixated else 0,
                            "visit_count": 1 if fixated else 0,
                            "revisits": int(rng.integers(0, 4)) if fixated else 0,
                            "fixated": "true" if fixated else "false", "detector": "ivt",
                        })  # fmt: skip
                tps.append({
                    "participant": p, "session_id": sid, "stage_id": st.id,
                    "touchpoint_id": tp.id, "start_s": t0, "end_s": t0 + 12.5,
                    "time_on_touchpoint_s": round(float(rng.uniform(5, 40)), 2),
                    "fixation_count": n_tp, "mean_fixation_duration_ms": 287.5,
                    "scanpath_length_deg": 55.25,
                    "data_loss": 0.31 if p == "P03" else 0.04,
                    "precision_rms_deg": 0.12, "quality_ok": "false" if p == "P03" else "true",
                    "clicks": 2, "detector": "ivt",
                    # the checkout's task: P01 and P02 paid, P03 did not
                    **({"success": int(p != "P03"), "time_to_success_s": 9.5 if p != "P03"
                        else None} if tp.id == "checkout" else {}),
                })  # fmt: skip
    _write_csv(out / "fixations.csv", (*FIXATIONS_COLUMNS, "mapped"), fixations)
    _write_csv(out / "metrics.csv", METRICS_COLUMNS, metrics)
    _write_csv(out / "touchpoints.csv", (*TOUCHPOINTS_COLUMNS, "success", "time_to_success_s"), tps)

    def finding(i: int, tp: str, aoi: str | None, aoi_name: str | None, rule: str, sev: str,
                value: float, thr: float, n: int, reliable: bool = True) -> dict[str, Any]:  # fmt: skip
        return {
            "id": f"F{i:03d}", "touchpoint_id": tp, "aoi_id": aoi, "aoi_name": aoi_name,
            "rule_id": rule, "rule_name": rule.replace("-", " ").capitalize(),
            "metric": "ttff_s", "value": value, "threshold": thr, "unit": "s",
            "comparison": "the protocol threshold ttff_late_s", "n_participants": n,
            "n_total": 3, "participants": list(PARTICIPANTS[:n]),
            "examples": [{"participant": "P01", "t_rel_s": 4.25, "time_s": 104.25}],
            "severity": sev, "severity_reason": f"{n} of 3 participants",
            "source": "Jacob & Karn (2003)", "reliable": reliable,
            "heatmap": f"touchpoints/{tp}/{protocol.touchpoint(tp).screens[0].id}_heatmap.png",
            # F001: the affected were slower (behaviour backs it); F002: they were not
            "behaviour": {"time_on_touchpoint_s": {"affected": 30.0, "others": 20.0},
                          "clicks": {"affected": 3.0, "others": 1.0},
                          "supports": {1: True, 2: False}.get(i)},
        }  # fmt: skip

    findings = {
        "home": [
            finding(1, "home", "search", "Search box", "target-late", "high", 7.125, 5.0, 3),
            finding(2, "home", "banner", XSS, "distractor", "medium", 0.61234, 0.5, 2),
        ],
        "search": [finding(3, "search", "hit", "Right result", "revisits", "low", 4.0, 3.0, 1)],
        "checkout": [
            finding(4, "checkout", None, None, "low-data-quality", "medium", 0.31, 0.2, 1, False)
        ],
    }
    evidence = {
        "study": "mini-study",
        "protocol": {"id": protocol.id, "name": protocol.name, "path": str(protocol.path)},
        "detector": {"name": "ivt", "params": {"velocity_threshold_deg_s": 30.0,
                                               "min_fixation_s": 0.06, "filter": "<none>"}},
        "participants": list(PARTICIPANTS),
        "stages": [
            {"id": st.id, "name": st.name, "touchpoints": [
                {"id": tp.id, "name": tp.name, "channel": tp.channel, "task": tp.task,
                 "findings": findings.get(tp.id, [])} for tp in st.touchpoints]}
            for st in protocol.stages
        ],
    }  # fmt: skip
    (out / "evidence.json").write_text(json.dumps(evidence, indent=2), encoding="utf-8")
    journey = {
        "protocol": {"id": protocol.id, "name": protocol.name},
        "stages": [
            {"id": st.id, "name": st.name, "touchpoints": [
                {"id": tp.id, "name": tp.name, "channel": tp.channel,
                 "n_participants": 0 if tp.id == UNVISITED else 3,
                 "time_on_touchpoint_s": {"n": 3, "mean": 21.5, "median": 19.75,
                                          "ci95": [10.0, 33.0]},
                 "fixation_count": {"n": 3, "mean": 17.0, "median": 16.0, "ci95": None},
                 "findings_count": len(findings.get(tp.id, [])),
                 "max_severity": (findings.get(tp.id) or [{"severity": None}])[0]["severity"],
                 "heatmap": f"touchpoints/{tp.id}/{tp.screens[0].id}_heatmap.png",
                 **({"aois": HOME_AOIS} if tp.id == "home" else {}),
                 **({"task_success": CHECKOUT_SUCCESS} if tp.id == "checkout" else {})}
                for tp in st.touchpoints]}
            for st in protocol.stages
        ],
    }  # fmt: skip
    (out / "journey.json").write_text(json.dumps(journey, indent=2), encoding="utf-8")
    sessions = [
        {"file": f"{p}.h5", "participant": p, "session_id": f"{p}-s1", "ok": True,
         "error": None, "data_loss": 0.31 if p == "P03" else 0.04, "precision_rms_deg": 0.12,
         "duration_s": 300.0, "marker_problems": [] if p != "P02" else ["touchpoint/x/end " + XSS],
         "notes": ["page outside the protocol: " + XSS] if p == "P01" else []}
        for p in PARTICIPANTS
    ] + [{"file": "P04.h5", "participant": "P04", "session_id": None, "ok": False,
          "error": "P04.h5 is damaged", "data_loss": None, "precision_rms_deg": None,
          "duration_s": None, "marker_problems": []}]  # fmt: skip
    (out / "sessions.json").write_text(json.dumps(sessions, indent=2), encoding="utf-8")
    return out, protocol


def test_fixture_builds_a_complete_folder(tmp_path: Path) -> None:
    out, protocol = build_analysis(tmp_path)
    for name in ("metrics.csv", "touchpoints.csv", "fixations.csv", "evidence.json",
                 "journey.json", "sessions.json"):  # fmt: skip
        assert (out / name).stat().st_size > 0
    assert [tp.id for tp in protocol.touchpoints] == ["home", "search", "checkout", "email"]
    assert protocol.screens["home"].aois[2].name == XSS
