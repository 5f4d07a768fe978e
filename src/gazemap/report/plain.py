"""Findings in plain language, for the people a report is sent to.

evidence.json says what a rule measured in the analyst's terms ("time to first fixation ...
compared with the protocol threshold ttff_late_s = 5 s"); a client reads "5 of 8 participants
first looked at the Search button after 8.34 s (median), later than the 5 s allowed". These
sentences are built from the record's own fields (value, threshold, unit, n/N, AOI): nothing is
recomputed, and the analyst's text stays beside them in the evidence table.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

#: severity weight for ranking touchpoints ("where it hurts most", :func:`touchpoint_pain`),
#: on Nielsen's (1994) 0-4 severity scale: low = cosmetic 1, medium = minor 2, high = major 3
SEVERITY_WEIGHT = {"high": 3, "medium": 2, "low": 1}
#: a participant who did not achieve the touchpoint's task: a usability catastrophe, 4 on
#: Nielsen's scale (the task is what the touchpoint is for)
TASK_FAILED_WEIGHT = 4
#: the friction score's maximum (every participant failed the task)
PAIN_MAX = TASK_FAILED_WEIGHT


def _num(v: Any) -> str:
    """A value as the report prints it: 3 significant digits, whole numbers from 100."""
    if not isinstance(v, int | float) or isinstance(v, bool) or not math.isfinite(float(v)):
        return "—"
    x = float(v)
    if x == int(x) and abs(x) < 1e6:
        return str(int(x))
    if abs(x) >= 100:
        return f"{x:.0f}"
    return f"{x:.3g}"


def _pct(v: Any) -> str:
    if not isinstance(v, int | float) or isinstance(v, bool) or not math.isfinite(float(v)):
        return "—"
    return f"{100 * float(v):.0f} %"


def _who(f: Mapping[str, Any]) -> str:
    n, total = f.get("n_participants"), f.get("n_total")
    if isinstance(n, int) and isinstance(total, int) and total > 0:
        if n == total:
            return f"All {total} participants" if total > 1 else "The participant"
        return f"{n} of {total} participants"
    return "Participants"


def plain_finding(f: Mapping[str, Any]) -> str:
    """One plain-language sentence saying what a finding means, with its numbers and units.

    Parameters
    ----------
    f : an evidence.json finding record (docs/outputs.md): ``rule_id``, ``aoi_name``,
        ``value``, ``threshold``, ``unit``, ``n_participants``, ``n_total``.

    Returns
    -------
    e.g. "5 of 8 participants first looked at “Search button” after 8.34 s (median of
    them), later than the 5 s the protocol allows." A rule this module does not know gets a
    generic sentence from the same fields.
    """
    rule = str(f.get("rule_id") or "")
    aoi = f.get("aoi_name") or f.get("aoi_id")
    it = f"“{aoi}”" if aoi else "it"
    who = _who(f)
    v, t = f.get("value"), f.get("threshold")
    if rule == "target-late":
        return (
            f"{who} first looked at {it} only after {_num(v)} s (median of them), later than "
            f"the {_num(t)} s the protocol allows."
        )
    if rule == "target-late-vs-study":
        return (
            f"{who} first looked at {it} only after {_num(v)} s (median of them), more than "
            f"twice as late as the study's usual time for targets and buttons ({_num(t)} s)."
        )
    if rule == "target-not-seen":
        return f"{who} never looked at {it} while on this touchpoint."
    if rule == "search-before-target":
        return (
            f"{who} looked at {_num(v)} other places (median of them) before finding {it}; "
            f"more than {_num(t)} means a long search."
        )
    if rule == "revisits":
        return (
            f"{who} went back to {it} {_num(v)} times (median of them) before acting; "
            f"{_num(t)} or more returns suggest hesitation or confusion."
        )
    if rule == "long-fixations":
        return (
            f"{who} looked at {it} with long fixations ({_num(v)} ms on average, above "
            f"{_num(t)} ms): the content may be hard to read or understand."
        )
    if rule == "distractor":
        return (
            f"For {who[0].lower() + who[1:]}, {it} took "
            f"{_pct(v)} of the attention shared with the touchpoint's targets (median of them; "
            f"the protocol allows {_pct(t)})."
        )
    if rule == "low-task-success":
        return (
            f"Only {_pct(v)} of participants achieved the task here ({who[0].lower() + who[1:]} "
            "did not), "
            f"below the {_pct(t)} benchmark."
        )
    if rule == "low-data-quality":
        return (
            f"{who} had poor eye-tracking data here (data loss {_pct(v)}, median of them; the "
            f"protocol allows {_pct(t)}): their findings on this touchpoint are less reliable."
        )
    unit = f.get("unit")
    if unit == "share":
        vv, tt = _pct(v), _pct(t)
    else:
        u = f" {unit}" if unit else ""
        vv, tt = f"{_num(v)}{u}", f"{_num(t)}{u}"
    name = f.get("rule_name") or rule or "finding"
    about = f" on {it}" if aoi else ""
    return f"{name}{about}: {who[0].lower() + who[1:]}, {f.get('metric') or 'value'} {vv} against {tt}."


def finding_weight(f: Mapping[str, Any]) -> int:
    """What one finding counts for each participant it names in the friction score, 0-4.

    A task not achieved (the low-task-success rule) counts :data:`TASK_FAILED_WEIGHT`, 4,
    whatever the record's severity (which comes from n/N: 2 of 8 failing is "low"); any other
    finding its severity's Nielsen weight (high 3, medium 2, low 1); the data-quality flag 0
    (it says how reliable the data are, not how the touchpoint treats people).
    :func:`touchpoint_pain` averages it per participant, and the report's "strongest finding"
    of a touchpoint is the one that weighs most (then affects the most participants).
    """
    rule = f.get("rule_id")
    if rule == "low-data-quality":
        return 0
    if rule == "low-task-success":
        return TASK_FAILED_WEIGHT
    return SEVERITY_WEIGHT.get(str(f.get("severity")), 0)


def touchpoint_pain(findings: Sequence[Mapping[str, Any]]) -> float:
    """How much a touchpoint hurts its participants, 0-4, for ranking the journey's touchpoints.

    Each participant counts the strongest finding that names them on the touchpoint (high 3,
    medium 2, low 1; a task not achieved, the low-task-success rule, counts 4 whatever that
    finding's severity: Nielsen's usability catastrophe, since the task is what the
    touchpoint is for); the score is the mean
    over the touchpoint's participants (``n_total``), 0 for a participant no finding names.
    The data-quality flag is not friction and does not count. Correlated rules (seen late,
    long search) thus count once per participant, not once per rule.
    """
    worst: dict[str, int] = {}
    n_total = 0
    for f in findings:
        if f.get("rule_id") == "low-data-quality":
            continue
        t = f.get("n_total")
        if isinstance(t, int):
            n_total = max(n_total, t)
        w = finding_weight(f)
        for p in f.get("participants") or ():
            worst[str(p)] = max(worst.get(str(p), 0), w)
    if n_total <= 0:
        return 0.0
    return sum(worst.values()) / n_total
