"""Build the HTML report: index.html (journey map), one page per touchpoint, overview.html.

Templates are Jinja2 with autoescaping on for every file, so text from protocols, markers and
file names is always shown as text. Pages are self-contained: CSS is inline, there is no
JavaScript, no web font and no network address; images are PNG files next to the pages,
loaded lazily.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2

from gazemap import __version__
from gazemap.errors import InputError
from gazemap.geometry import px_per_deg as _px_per_deg
from gazemap.protocol import ID_PATTERN, Protocol, Touchpoint
from gazemap.render import COLORMAPS
from gazemap.report.data import AnalysisOutputs, load_outputs, screen_geometry
from gazemap.report.images import render_touchpoint, session_px_per_deg
from gazemap.report.plain import finding_weight, plain_finding, touchpoint_pain
from gazemap.types import ScreenGeometry

SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


def fmt_num(v: Any, digits: int = 3) -> str:
    """How every number is printed in the report: ``digits`` significant digits, '—' for none.

    Integers print in full, numbers of ``digits`` or more digits before the point rounded to
    whole units (never in exponent notation: 1118, not 1.12e+03); booleans as yes/no. Tests use this
    to match cells to the files.
    """
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            return "—"
        if v == int(v) and abs(v) < 1e6:
            return str(int(v))
        if abs(v) >= 10 ** (digits - 1):
            # a researcher reads 1118 deg, not 1.12e+03 deg
            return f"{v:.0f}"
        return f"{v:.{digits}g}"
    return str(v)


def fmt_share(v: Any) -> str:
    """A share 0-1 as a percentage."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "—"
    return f"{100 * float(v):.0f} %"


def fmt_value(v: Any, unit: str | None) -> str:
    """An evidence record's value or threshold in its ``unit``: a share (0-1) as a percentage
    (the percent sign is its unit: "17 %", not "0.167 share"), anything else as ``fmt_num``
    (the unit is printed beside it)."""
    return fmt_share(v) if unit == "share" else fmt_num(v)


def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("gazemap.report", "templates"),
        autoescape=True,  # every template, whatever its extension
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = fmt_num
    env.filters["share"] = fmt_share
    env.filters["value"] = fmt_value
    return env


def _check_match(outputs: AnalysisOutputs, protocol: Protocol) -> None:
    pid = (outputs.evidence.get("protocol") or {}).get("id")
    if pid is not None and pid != protocol.id:
        raise InputError(
            f"{outputs.out_dir / 'evidence.json'} was made with protocol {pid!r}, but protocol "
            f"{protocol.id!r} was given. Pass the protocol the analysis used (--protocol FILE)."
        )
    known = {tp.id for tp in protocol.touchpoints}
    for name, rows in (("touchpoints.csv", outputs.touchpoints), ("metrics.csv", outputs.metrics)):
        unknown = sorted({r["touchpoint_id"] for r in rows} - known)
        if unknown:
            raise InputError(
                f"{outputs.out_dir / name} names touchpoint(s) {', '.join(unknown)} that protocol "
                f"{protocol.id!r} does not have. Pass the protocol the analysis used."
            )
    for tp in protocol.touchpoints:
        for ident in (tp.id, *(s.id for s in tp.screens)):
            if not ID_PATTERN.match(ident):
                raise InputError(
                    f"protocol {protocol.id!r}: id {ident!r} cannot name a report folder; ids "
                    "must match [A-Za-z0-9][A-Za-z0-9_.-]*."
                )


def _study_name(out_dir: Path, study: Any) -> str | None:
    """The study folder's name for page headers (evidence.json holds a path from out_dir)."""
    if not isinstance(study, str) or not study:
        return None
    return (out_dir / study).resolve().name or study


def _screens_used(
    sessions: list[Any], default: ScreenGeometry, session_ppd: dict[str, float]
) -> list[dict[str, Any]]:
    """The distinct recording screens of the sessions, for the overview's kernel text.

    Each: ``{"text": "1440 × 900 px, 432 × 270 mm at 650 mm", "ppd": px/deg,
    "participants": [...]}``; sessions without a screen in sessions.json use ``default``.
    """
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for s in sessions:
        if not isinstance(s, dict):
            continue
        sid = str(s.get("session_id"))
        c = s.get("screen") if sid in session_ppd else None
        if isinstance(c, dict):
            key = (c["width_px"], c["height_px"], c["width_mm"], c["height_mm"], c["distance_mm"])
            ppd = session_ppd[sid]
        else:
            g = default
            key = (g.width_px, g.height_px, g.width_mm, g.height_mm, g.distance_mm)
            ppd = _px_per_deg(default)
        entry = groups.setdefault(
            key,
            {
                "text": f"{key[0]} × {key[1]} px, {fmt_num(float(key[2]))} × "
                f"{fmt_num(float(key[3]))} mm at {fmt_num(float(key[4]))} mm",
                "ppd": ppd,
                "participants": [],
            },
        )
        entry["participants"].append(str(s.get("participant") or sid))
    return list(groups.values())


def _session_file(out_dir: Path, study: Any, file: Any) -> str:
    """A sessions.json file shown relative to the study folder (else its name), not the disk."""
    if not isinstance(file, str) or not file:
        return ""
    path = (out_dir / file).resolve()
    if isinstance(study, str) and study:
        root = (out_dir / study).resolve()
        if path.is_relative_to(root):
            return path.relative_to(root).as_posix()
    return path.name


def _task_success(summary: Mapping[str, Any]) -> dict[str, Any] | None:
    """journey.json's ``task_success`` of a touchpoint, or None without a success criterion."""
    ts = summary.get("task_success")
    if not isinstance(ts, dict) or not ts.get("criterion"):
        return None
    return ts


def session_quality(session: Mapping[str, Any], protocol: Protocol) -> list[str]:
    """Why a sessions.json entry's whole-session data quality fails the protocol's thresholds.

    Returns
    -------
    One sentence per failed threshold (data loss, RMS-S2S precision, accuracy on validation
    targets); empty when all pass or are unknown. Touchpoints are judged separately
    (touchpoints.csv ``quality_ok``).
    """
    th = protocol.thresholds
    out = []
    loss, prec = session.get("data_loss"), session.get("precision_rms_deg")
    if isinstance(loss, int | float) and loss > th.data_loss_max:
        shown, limit = fmt_share(loss), fmt_share(th.data_loss_max)
        if shown == limit:  # 20.1 % must not read "20 % is above the 20 % threshold"
            shown = f"{100 * float(loss):.1f} %"
        out.append(f"data loss {shown} is above the {limit} threshold")
    if isinstance(prec, int | float) and prec > th.precision_rms_max_deg:
        out.append(
            f"precision {fmt_num(prec)}° RMS is above the {fmt_num(th.precision_rms_max_deg)}° "
            "threshold"
        )
    acc = session.get("accuracy_deg")
    if isinstance(acc, int | float) and acc > th.accuracy_max_deg:
        out.append(
            f"accuracy {fmt_num(acc)}° on the validation targets is above the "
            f"{fmt_num(th.accuracy_max_deg)}° threshold"
        )
    return out


def _median(vals: Sequence[float | None]) -> float | None:
    v = [float(x) for x in vals if x is not None]
    return statistics.median(v) if v else None


def _sorted_findings(findings: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Strongest first, as in the friction score (:func:`plain.finding_weight`: a failed task,
    then high, medium, low, the data-quality flag last), then by severity and participants."""
    return sorted(
        findings,
        key=lambda f: (
            -finding_weight(f),
            SEVERITY_ORDER.get(str(f.get("severity")), 3),
            -(f.get("n_participants") or 0),
        ),
    )


#: the journey map shows this many finding groups (AOIs) per touchpoint; the rest are behind
#: "+N more", a link to the touchpoint page, which lists every finding
JOURNEY_MAX_GROUPS = 3


def finding_screens(finding: Mapping[str, Any], tp: Touchpoint) -> dict[str, Any]:
    """Which screen(s) of ``tp`` a finding's measure comes from, for the report's text.

    Returns
    -------
    dict: ``ids`` (the record's ``screens``; from ``screen_id`` for an evidence.json written
    before that field: the AOI's screen, or every screen of the touchpoint for a
    touchpoint-level record), ``label`` (the screen's name, or ``all N screens: A, B`` for a
    measure over several), ``short`` (the name, or ``all N screens``).
    """
    names = {sc.id: sc.name for sc in tp.screens}
    ids = finding.get("screens")
    if not isinstance(ids, list) or not ids:
        sid = finding.get("screen_id")
        ids = [sid] if finding.get("aoi_id") and sid else list(names)
    ids = [str(i) for i in ids]
    shown = [names.get(i) or i for i in ids]
    if len(ids) > 1:
        return {
            "ids": ids,
            "label": f"all {len(ids)} screens: " + ", ".join(shown),
            "short": f"all {len(ids)} screens",
        }
    if len(ids) == 1:
        return {"ids": ids, "label": shown[0], "short": shown[0]}
    return {"ids": [], "label": "no screen", "short": "no screen"}


#: a reference "Surname, A. B., & Other, C. (2007). Title ...": authors, then the year
_REF = re.compile(r"^(?P<authors>[^()]+?)\s*\((?P<year>\d{4})[a-z]?\)")


def short_cite(reference: str) -> str:
    """An author-year citation of a reference, for a table cell: "Goldberg & Kotval 1999",
    "Holmqvist et al. 2011"; a text that is not an APA-style reference is returned as it is.
    """
    m = _REF.match(reference.strip())
    if not m:
        return reference.strip()
    authors = m.group("authors").strip().rstrip(",")
    # "Holmqvist, K., Nystrom, M., & van de Weijer, J." -> each "Surname, initials"
    names = [
        part.split(",")[0].strip()
        for part in re.split(r"(?<=\.),\s*(?:&\s*)?|\s+&\s+", authors)
        if part.strip()
    ]
    names = [n for n in names if n]
    if not names:
        return reference.strip()
    if len(names) == 1:
        who = names[0]
    elif len(names) == 2:
        who = f"{names[0]} & {names[1]}"
    else:
        who = f"{names[0]} et al."
    return f"{who} {m.group('year')}"


def cite_sources(findings: Sequence[dict[str, Any]]) -> list[str]:
    """Number the literature sources of a touchpoint's findings for its page.

    A finding's ``source`` (evidence.json) holds one or more references separated by " / ".
    Each distinct reference gets a number in order of first appearance; every finding gets
    ``cites``: ``[{"n": 1, "short": "Goldberg & Kotval 1999"}, ...]``, so the evidence table
    shows short citations linking to the list of full references below it (the full text of
    one reference was repeated in up to 6 rows of a page).

    Returns
    -------
    The full references, in their numbers' order (1 first).
    """
    refs: list[str] = []
    for f in findings:
        cites = []
        for ref in str(f.get("source") or "").split(" / "):
            ref = ref.strip()
            if not ref:
                continue
            if ref not in refs:
                refs.append(ref)
            cites.append({"n": refs.index(ref) + 1, "short": short_cite(ref)})
        f["cites"] = cites
    return refs


def group_findings(findings: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Group a touchpoint's findings by the AOI they are about (presentation only).

    Findings without an AOI (data quality, task success) form one group about the touchpoint
    as a whole. Within a group the findings are strongest first by the friction score's
    weights (a failed task 4, high 3, medium 2, low 1, data quality 0; then severity, then more
    participants); groups are ordered by their strongest finding by the same weights, then by
    severity, then by the most participants affected, then by first appearance: a task that
    participants failed is never behind "+N more" on the journey map.

    Returns
    -------
    list of dict: ``aoi_id`` (None for the touchpoint), ``aoi_name``, ``screen_id``,
    ``severity`` (the strongest severity), ``weight`` (its strongest finding's),
    ``n_participants`` (the most in one finding) and ``findings``.
    """
    groups: dict[tuple[str | None, str | None], dict[str, Any]] = {}
    for f in findings:
        aoi_id = f.get("aoi_id")
        key = (f.get("screen_id") if aoi_id else None, aoi_id)
        g = groups.setdefault(
            key,
            {
                "aoi_id": aoi_id,
                "aoi_name": f.get("aoi_name") if aoi_id else None,
                "screen_id": key[0],
                "findings": [],
            },
        )
        g["findings"].append(f)
    out = []
    for order, g in enumerate(groups.values()):
        g["findings"] = _sorted_findings(g["findings"])
        g["weight"] = finding_weight(g["findings"][0])
        g["severity"] = min(
            (str(f.get("severity")) for f in g["findings"]),
            key=lambda s: SEVERITY_ORDER.get(s, 3),
        )
        g["n_participants"] = max(int(f.get("n_participants") or 0) for f in g["findings"])
        g["_order"] = order
        out.append(g)
    out.sort(
        key=lambda g: (
            -g["weight"],
            SEVERITY_ORDER.get(str(g["severity"]), 3),
            -g["n_participants"],
            g["_order"],
        )
    )
    for g in out:
        del g["_order"]
    return out


def _aoi_table(
    metrics: Sequence[dict[str, Any]], tp_id: str, screen_id: str, order: Sequence[str]
) -> list[dict]:
    """Per AOI across participants: summaries of metrics.csv columns (nothing new computed)."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in metrics:
        if r["touchpoint_id"] == tp_id and r["screen_id"] == screen_id:
            groups[r["aoi_id"]].append(r)
    rows = []
    for aoi_id, rr in groups.items():
        fixated = [r for r in rr if r["fixated"]]
        rows.append(
            {
                "aoi_id": aoi_id,
                "aoi_name": rr[0]["aoi_name"],
                "aoi_role": rr[0]["aoi_role"],
                "n": len(rr),
                "n_fixated": len(fixated),
                "ttff_s": _median([r["ttff_s"] for r in fixated]),
                "dwell_s": _median([r["dwell_s"] for r in rr]),
                "fixation_count": _median([r["fixation_count"] for r in rr]),
                "revisits": _median([r["revisits"] for r in rr]),
                "fixations_before_first": _median([r["fixations_before_first"] for r in fixated]),
            }
        )
    # the protocol's AOI order, unknown ids after it, outside-of-AOIs last
    pos = {a: i for i, a in enumerate(order)}
    rows.sort(
        key=lambda r: (r["aoi_id"] == "__outside__", pos.get(r["aoi_id"], len(pos)), r["aoi_id"])
    )
    return rows


def _journey_aois(
    summary: Mapping[str, Any], screen_id: str, order: Sequence[str]
) -> list[dict[str, Any]] | None:
    """journey.json's per-AOI summaries of one screen (None if the file has none)."""
    aois = summary.get("aois")
    if not isinstance(aois, list):
        return None
    rows = [dict(a) for a in aois if isinstance(a, dict) and a.get("screen_id") == screen_id]
    pos = {a: i for i, a in enumerate(order)}
    rows.sort(
        key=lambda r: (r.get("aoi_id") == "__outside__", pos.get(str(r.get("aoi_id")), len(pos)))
    )
    for r in rows:
        for k in ("ttff_s", "dwell_s", "fixation_count", "visit_count"):
            if not isinstance(r.get(k), dict):
                r[k] = {}
    return rows


def write_report(
    out_dir: Path,
    protocol: Protocol,
    *,
    sigma_deg: float = 1.0,
    colormap: str = "viridis",
    gaze_plots: bool = True,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Write the HTML report of an analysis folder and return the path of its index.html.

    Parameters
    ----------
    out_dir : folder written by ``gazemap analyze`` (docs/outputs.md).
    protocol : the study protocol the analysis used (screenshots, AOIs, journey).
    sigma_deg : heatmap kernel standard deviation in degrees of visual angle.
    colormap : heatmap colormap, one of ``gazemap.render.COLORMAPS``.
    gaze_plots : also draw one gaze plot per participant and screen.
    progress : called with the touchpoint id after each touchpoint is drawn (progress bar).

    Raises
    ------
    InputError
        An output file is missing or malformed, or the protocol is not the analysis's.
    """
    out_dir = Path(out_dir)
    if colormap not in COLORMAPS:
        raise InputError(f"colormap must be one of {', '.join(COLORMAPS)}, got {colormap!r}.")
    outputs = load_outputs(out_dir)
    _check_match(outputs, protocol)
    geometry, assumed = screen_geometry(outputs.evidence, outputs.sessions, protocol)
    ppd = _px_per_deg(geometry)
    # each session's fixations get the kernel of its own screen (sessions.json "screen")
    session_ppd = session_px_per_deg(outputs.sessions)
    screens_used = _screens_used(outputs.sessions, geometry, session_ppd)
    participants = [str(p) for p in outputs.evidence.get("participants") or []]
    for r in outputs.touchpoints:
        if r["participant"] not in participants:
            participants.append(r["participant"])
    env = _env()
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    common = {
        "protocol": protocol,
        "study": _study_name(out_dir, outputs.evidence.get("study")),
        "generated": generated,
        "version": __version__,
    }

    tp_rows_by_id: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in outputs.touchpoints:
        tp_rows_by_id[r["touchpoint_id"]].append(r)

    # aois.csv: tp -> screen -> participant -> the AOI rows that participant was analysed with
    aoi_rows: dict[str, dict[str, dict[str, list[dict[str, Any]]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list))
    )
    for r in outputs.aois:
        aoi_rows[r["touchpoint_id"]][r["screen_id"]][r["participant"]].append(r)

    columns: list[dict[str, Any]] = []
    pages: list[dict[str, Any]] = []
    for stage in protocol.stages:
        for tp in stage.touchpoints:
            images = render_touchpoint(
                out_dir, protocol, tp, outputs.fixations, participants,
                px_per_deg=ppd, sigma_deg=sigma_deg, colormap=colormap, gaze_plots=gaze_plots,
                screenshots=outputs.evidence.get("screenshots"), aoi_rows=aoi_rows.get(tp.id),
                session_ppd=session_ppd,
            )  # fmt: skip
            summary = outputs.journey_touchpoint(tp.id) or {}
            for im in images:  # once per screen: the touchpoint page and the journey map
                im.alt = picture_alt(im, summary)
            groups = group_findings(
                [
                    {**f, "screen": finding_screens(f, tp), "plain": plain_finding(f)}
                    for f in outputs.findings_of(tp.id)
                ]
            )
            for g in groups:
                g["screen"] = g["findings"][0]["screen"]
            # the touchpoint page lists every finding, those about the same AOI together
            findings = [f for g in groups for f in g["findings"]]
            sources = cite_sources(findings)
            hidden = groups[JOURNEY_MAX_GROUPS:]
            screen_ids = {sc.id for sc in tp.screens}
            rows = sorted(tp_rows_by_id.get(tp.id, []), key=lambda r: r["participant"])
            col = {
                "tp": tp,
                "stage": stage,
                "pain": touchpoint_pain(findings),
                "severity_counts": {
                    sev: sum(1 for f in findings if f.get("severity") == sev)
                    for sev in SEVERITY_ORDER
                },
                "href": f"touchpoints/{tp.id}/index.html",
                "summary": summary,
                "rows": rows,
                "findings": findings,
                "groups": groups[:JOURNEY_MAX_GROUPS],
                "n_hidden_findings": sum(len(g["findings"]) for g in hidden),
                "n_hidden_groups": len(hidden),
                "images": images,
                "n_quality_problems": sum(1 for r in rows if r["quality_ok"] is False),
                # journey.json's task success, when the protocol gives this touchpoint a
                # success criterion
                "success": _task_success(summary),
                "quality_problem_participants": [
                    r["participant"] for r in rows if r["quality_ok"] is False
                ],
                # fixations of the touchpoint on no screen of it (e.g. no screen marker)
                "n_unplaced": sum(
                    1
                    for r in outputs.fixations
                    if r["touchpoint_id"] == tp.id and r["screen_id"] not in screen_ids
                ),
            }
            columns.append(col)
            # written once every touchpoint is ranked: the page gives its rank on the journey
            pages.append(
                dict(
                    template="touchpoint.html",
                    path=out_dir / "touchpoints" / tp.id / "index.html",
                    root="../../",
                    col=col,
                    sources=sources,
                    screens=[
                        {
                            "images": im,
                            "alt": im.alt,
                            "aois": _aoi_table(
                                outputs.metrics, tp.id, im.screen.id, [a.id for a in im.screen.aois]
                            ),
                            "journey_aois": _journey_aois(
                                summary, im.screen.id, [a.id for a in im.screen.aois]
                            ),
                        }
                        for im in images
                    ],
                    metrics=sorted(
                        (r for r in outputs.metrics if r["touchpoint_id"] == tp.id),
                        key=lambda r: (r["screen_id"], r["aoi_id"], r["participant"]),
                    ),
                    # the screens that have a section (heatmap) on the page: a finding links there
                    screen_anchor_ids=[im.screen.id for im in images],
                    sigma_deg=sigma_deg,
                    ppd=ppd,
                    n_columns=sum(len(st.touchpoints) for st in protocol.stages),
                    **common,
                )
            )
            if progress:
                progress(tp.id)
    stages = [
        {"stage": st, "columns": [c for c in columns if c["stage"].id == st.id]}
        for st in protocol.stages
    ]
    rank_touchpoints(columns)
    for page in pages:
        _write(env, page.pop("template"), page.pop("path"), **page)
    _write(
        env,
        "overview.html",
        out_dir / "overview.html",
        root="",
        outputs=outputs,
        # file names, not this machine's paths: the report folder may be sent to a client
        protocol_file=Path(str((outputs.evidence.get("protocol") or {}).get("path") or "")).name,
        session_files=[
            _session_file(out_dir, outputs.evidence.get("study"), s.get("file"))
            for s in outputs.sessions
        ],
        detector=outputs.evidence.get("detector") or {},
        participants=participants,
        geometry=geometry,
        assumed=assumed,
        ppd=ppd,
        screens_used=screens_used,
        session_quality=[session_quality(s, protocol) for s in outputs.sessions],
        sigma_deg=sigma_deg,
        colormap=colormap,
        **common,
    )
    index = out_dir / "index.html"
    _write(
        env,
        "index.html",
        index,
        root="",
        stages=stages,
        columns=columns,
        participants=participants,
        sessions=outputs.sessions,
        session_quality=[session_quality(s, protocol) for s in outputs.sessions],
        n_findings=len(outputs.findings()),
        severity_counts={
            sev: sum(1 for f in outputs.findings() if f.get("severity") == sev)
            for sev in SEVERITY_ORDER
        },
        detector=outputs.evidence.get("detector") or {},
        hurts_most=[c for c in sorted(columns, key=lambda c: c["rank"] or 999) if c["rank"]][
            :HURTS_MOST_SHOWN
        ],
        **common,
    )
    return index


#: touchpoints listed under "Where the journey hurts most" on the journey map
HURTS_MOST_SHOWN = 3


def strongest_finding(findings: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The finding that weighs most in the friction score (:func:`plain.finding_weight`: a task
    not achieved 4, high 3, medium 2, low 1, the data-quality flag 0), then the one affecting
    the most participants, then the stronger severity, then the first; None without findings."""
    best = None
    best_key: tuple[int, int, int] | None = None
    for f in findings:
        key = (
            -finding_weight(f),
            -int(f.get("n_participants") or 0),
            SEVERITY_ORDER.get(str(f.get("severity")), 3),
        )
        if best_key is None or key < best_key:
            best, best_key = f, key
    return best


def rank_touchpoints(columns: list[dict[str, Any]]) -> None:
    """Give each journey-map column its ``rank`` (1 = hurts most; None without findings) by
    :func:`gazemap.report.plain.touchpoint_pain`; ``top``, its strongest finding by the same
    weights (:func:`strongest_finding`: a failed task before a high finding); and
    ``top_severity``, the strongest severity of its findings (None without findings).

    Ties of the friction score go to the touchpoint whose strongest finding weighs more (a
    failed task 4, high 3, ...), then affects more participants, then to more high findings,
    then to the journey's order."""
    for c in columns:
        c["top"] = strongest_finding(c["findings"])
        sevs = [SEVERITY_ORDER.get(str(f.get("severity")), 3) for f in c["findings"]]
        c["top_severity"] = (
            next(k for k, v in SEVERITY_ORDER.items() if v == min(sevs))
            if sevs and min(sevs) < 3
            else None
        )
    order = sorted(
        (c for c in columns if c["findings"]),
        key=lambda c: (
            -round(c["pain"], 9),
            -finding_weight(c["top"]),
            -(c["top"].get("n_participants") or 0),
            -c["severity_counts"]["high"],
        ),
    )
    for c in columns:
        c["rank"] = None
    for i, c in enumerate(order, start=1):
        c["rank"] = i


def picture_alt(images: Any, summary: Mapping[str, Any]) -> str:
    """What a screen's heatmap shows, for its ``alt`` text: fixations, participants and the
    AOIs with the most dwell (journey.json's per-AOI mean dwell of that screen)."""
    aois: list[tuple[float, str]] = []
    for a in summary.get("aois") or []:
        if not isinstance(a, dict) or a.get("screen_id") != images.screen.id:
            continue
        mean = (a.get("dwell_s") or {}).get("mean")
        if a.get("aoi_id") != "__outside__" and isinstance(mean, int | float) and mean > 0:
            aois.append((float(mean), str(a.get("aoi_name") or a.get("aoi_id"))))
    aois.sort(key=lambda a: -a[0])
    n_p = images.n_participants
    text = (
        f"{images.n_fixations} fixations of {n_p} participant{'' if n_p == 1 else 's'} "
        f"on {images.screen.name}"
    )
    if aois:
        names = [name for _, name in aois[:3]]
        text += "; most attention on " + ", ".join(names)
    elif not images.n_fixations:
        text += "; nobody looked at it"
    return text


def _write(env: jinja2.Environment, template: str, path: Path, **ctx: Any) -> None:
    html = env.get_template(template).render(**ctx)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")


__all__ = ["write_report", "fmt_num", "fmt_share", "fmt_value", "load_outputs"]
