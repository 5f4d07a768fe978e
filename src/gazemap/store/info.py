"""Summary of a session file (``gazemap info``): streams, samples, rates, gaps, data loss.

``summarize(session)`` is a pure function of an open Session; ``format_summary`` turns its
result into the text ``gazemap info`` prints.

Definitions (per stream; regular-rate streams only for the counts that need a rate):

- ``duration_s``: last minus first timestamp (``time_s``).
- ``effective_rate_hz``: (samples - 1) / duration_s.
- ``expected_samples``: duration_s x nominal rate + 1.
- ``missing_samples``: expected - received (never < 0): samples the tracker did not deliver
  or that were lost in gaps.
- ``invalid_samples`` (gaze streams): samples delivered with NaN ``x_px`` or ``y_px``
  (blinks, tracking loss).
- ``data_loss_pct``: 100 x (missing + invalid) / expected.
- ``gaps``: periods in which the recorder lost the stream and it came back
  (``/streams/<name>/gaps``).
- ``ended_s``: when the stream went away and did not come back before the recording
  stopped (attribute ``ended_s``; a presenter or driver that finished): no gap, nothing
  lost after it. ``ended_before_stop_s``: how long before ``recording_stop_s`` that was.
  Both None for a stream that ran until the stop, and in files written before 2026-11-26
  (there such an end was stored as a last gap running to the stop).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gazemap.store import schema
from gazemap.store.reader import Session


def summarize(session: Session) -> dict[str, Any]:
    """A JSON-able summary of a session (see the module docstring for the definitions)."""
    attrs = session.attrs
    out: dict[str, Any] = {
        "file": str(session.path),
        "session_id": session.session_id,
        "participant": session.participant,
        "protocol": session.protocol,
        "created_utc": attrs.get("created_utc", ""),
        "software_version": attrs.get("software_version", ""),
        "format_version": attrs.get("format_version"),
        "recovered": "recovered_utc" in attrs,
        "screen": None,
        "streams": {},
    }
    if "screen" in session.h5:
        s = session.screen
        out["screen"] = {k: getattr(s, k) for k in schema.SCREEN_ATTRS}
    firsts, lasts = [], []
    problems: list[str] = []
    for name in session.stream_names:
        a = session.stream_attrs(name)
        g = session.h5["streams"][name]
        # checked: a missing, 2-D or text time_s is one clear SessionFileError naming it
        t = np.asarray(session.times(name), dtype=np.float64)
        n = len(t)
        try:
            srate = float(a.get("nominal_srate", 0.0) or 0.0)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            srate = 0.0
            problems.append(
                f"/streams/{name}: attribute nominal_srate is {a.get('nominal_srate')!r}, not a "
                "number; the stream is shown as irregular"
            )
        consequence = (
            "the analysis refuses this stream"
            if name == "gaze"
            else "the analysis sorts them by time"
            if schema.MARKER_VALUE in g
            else "numbers made from this stream may be wrong"
        )
        if n and not np.isfinite(t).all():
            problems.append(
                f"/streams/{name}/time_s: {int(np.sum(~np.isfinite(t)))} sample(s) without a "
                f"time (NaN); {consequence}. The file is damaged: record, import or copy it again"
            )
            t = t[np.isfinite(t)]
            n = len(t)
        elif n > 1 and (np.diff(t) < 0).any():
            i = int(np.argmax(np.diff(t) < 0))
            problems.append(
                f"/streams/{name}/time_s goes backwards at sample {i + 1} ({t[i + 1]:.6f} s "
                f"after {t[i]:.6f} s): the samples are not in time order, the numbers above "
                f"are from the earliest and latest time, and {consequence}. The file is "
                "damaged or was edited: record, import or copy it again"
            )
            t = np.sort(t)
        st: dict[str, Any] = {
            "name": a.get("name", ""),
            "type": a.get("type", ""),
            "source_id": a.get("source_id", ""),
            "hostname": a.get("hostname", ""),
            "channels": len(a.get("channel_labels", []) or []),  # type: ignore[arg-type]
            "nominal_srate_hz": srate,
            "samples": n,
            "first_s": None,
            "last_s": None,
            "duration_s": 0.0,
            "effective_rate_hz": None,
        }
        if n:
            st["first_s"], st["last_s"] = float(t[0]), float(t[-1])
            st["duration_s"] = float(t[-1] - t[0])
            firsts.append(t[0])
            lasts.append(t[-1])
            if n > 1 and t[-1] > t[0]:
                st["effective_rate_hz"] = (n - 1) / float(t[-1] - t[0])
        gaps = session.gaps(name)
        st["gaps"] = int(len(gaps))
        st["gap_s"] = float(np.sum(gaps[:, 1] - gaps[:, 0])) if len(gaps) else 0.0
        st["ended_s"] = _number(a.get(schema.ENDED))
        stop_s = _number(attrs.get("recording_stop_s"))
        st["ended_before_stop_s"] = (
            max(0.0, stop_s - st["ended_s"])
            if st["ended_s"] is not None and stop_s is not None
            else None
        )
        offs = g[schema.CLOCK_OFFSETS][()] if schema.CLOCK_OFFSETS in g else np.empty((0, 2))
        st["clock_offsets"] = int(len(offs))
        ok_offs = offs.ndim == 2 and offs.shape[1] == 2 and offs.dtype.kind in "fiu"
        st["clock_offset_ms"] = float(offs[-1, 1] * 1000.0) if len(offs) and ok_offs else None
        if len(offs) and not ok_offs:
            problems.append(
                f"/streams/{name}/clock_offsets has shape {offs.shape} of {offs.dtype}, not "
                "(n, 2) numbers (local time, offset); not shown (the analysis does not use it)"
            )
        if srate > 0 and n:
            expected = int(round(st["duration_s"] * srate)) + 1
            missing = max(0, expected - n)
            invalid = 0
            if "x_px" in g and "y_px" in g:
                n_t = len(session.times(name))
                x = session.channel(name, "x_px").astype(np.float64)  # checked: 1-D, n_t long
                y = session.channel(name, "y_px").astype(np.float64)
                assert len(x) == n_t
                # infinite positions are lost samples for the detectors too
                invalid = int(np.count_nonzero(~np.isfinite(x) | ~np.isfinite(y)))
            st["expected_samples"] = expected
            st["missing_samples"] = missing
            st["invalid_samples"] = invalid
            st["data_loss_pct"] = 100.0 * (missing + invalid) / expected
        if schema.MARKER_VALUE in g:
            st["markers"] = n
        out["streams"][name] = st
    if firsts:
        out["start_s"] = float(min(firsts))
        out["end_s"] = float(max(lasts))
        out["duration_s"] = float(max(lasts) - min(firsts))
    else:
        out["start_s"] = out["end_s"] = None
        out["duration_s"] = 0.0
    out["markers"] = sum(
        int(st.get("markers", 0)) for st in out["streams"].values() if st["type"] == "Markers"
    )
    out["notes"] = problems + several_streams_notes(out) + _gaze_ended_note(out)
    return out


def _gaze_ended_note(info: dict[str, Any]) -> list[str]:
    """A note when the tracker's stream ended while another stream went on recording.

    A stream that ends and does not come back is no gap (a presenter that finished), but the
    same is seen when a tracker is unplugged for good: the part after it has no gaze.
    """
    gaze = info["streams"].get("gaze")
    if gaze is None or gaze.get("ended_s") is None:
        return []
    ended = float(gaze["ended_s"])
    later = {
        n: float(st["last_s"]) - ended
        for n, st in info["streams"].items()
        if n != "gaze" and st.get("last_s") is not None and float(st["last_s"]) > ended + 1.0
    }
    if not later:
        return []
    name = max(later, key=lambda n: later[n])
    return [
        f"/streams/gaze ended at {ended:.3f} s, and /streams/{name} went on for "
        f"{later[name]:.2f} s after it: no gaze was recorded then. If the tracker was not "
        "meant to stop (a cable, a crash), that part of the session has no gaze data."
    ]


def format_summary(info: dict[str, Any]) -> str:
    """The text ``gazemap info`` prints for a ``summarize`` result."""
    lines = [
        f"{info['file']}",
        f"  participant {info['participant'] or '-'}, protocol {info['protocol'] or '-'}, "
        f"session {info['session_id']}, created {info['created_utc']}"
        + (" (recovered after a crash)" if info["recovered"] else ""),
        f"  duration {info['duration_s']:.2f} s, {info['markers']} markers",
    ]
    scr = info["screen"]
    if scr:
        lines.append(
            f"  screen {scr['width_px']}x{scr['height_px']} px, "
            f"{scr['width_mm']:g}x{scr['height_mm']:g} mm at {scr['distance_mm']:g} mm"
        )
    # widths from the longest group name/type, so that every row lines up (a file can hold
    # streams named like 'gazemap_present_markers_2' and foreign types like 'Eyetracker')
    w_name = max([10, *(len(n) for n in info["streams"])])
    w_type = max([8, *(len(str(st["type"])) for st in info["streams"].values())])
    for name, st in info["streams"].items():
        rate = (
            f"{st['effective_rate_hz']:.1f} Hz (nominal {st['nominal_srate_hz']:g})"
            if st["effective_rate_hz"] is not None and st["nominal_srate_hz"] > 0
            else "irregular"
        )
        line = (
            f"  {name:<{w_name}} {st['type']:<{w_type}} {st['samples']:>9} samples  "
            f"{st['duration_s']:8.2f} s  "
            f"{rate}"
        )
        if "data_loss_pct" in st:
            line += (
                f"  loss {st['data_loss_pct']:.2f} % (missing {st['missing_samples']}, "
                f"invalid {st['invalid_samples']})"
            )
        line += f"  gaps {st['gaps']}"
        if st["gaps"]:
            line += f" ({st['gap_s']:.2f} s)"
        if st.get("ended_before_stop_s") is not None:
            line += f"  ended {st['ended_before_stop_s']:.2f} s before the recording stopped"
        elif st.get("ended_s") is not None:
            line += f"  ended at {st['ended_s']:.3f} s"
        line += f"  clock offsets {st['clock_offsets']}"
        lines.append(line)
    if not info["streams"]:
        lines.append("  no streams")
    lines.extend(f"  note: {n}" for n in info.get("notes", several_streams_notes(info)))
    return "\n".join(lines)


def _number(value: object) -> float | None:
    """A finite float attribute, else None (absent, text, NaN)."""
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return x if np.isfinite(x) else None


def several_streams_notes(info: dict[str, Any]) -> list[str]:
    """One note per stream type (Gaze, Markers, Scroll) recorded more than once.

    The analysis reads the canonical groups ``gaze`` and ``scroll`` and merges every Markers
    stream; with several trackers or presenters on the network the others land beside them,
    and the user should see which one counts.
    """
    notes = []
    for typ, group in (("Gaze", "gaze"), ("Markers", "markers"), ("Scroll", "scroll")):
        same = [n for n, st in info["streams"].items() if str(st["type"]).lower() == typ.lower()]
        if len(same) < 2 or group not in info["streams"]:
            continue
        st = info["streams"][group]
        others = [n for n in same if n != group]
        shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
        if typ == "Markers":
            # SessionReader.markers() merges every Markers stream: a moderator's
            # `gazemap mark` stream counts, and so would another set-up's
            notes.append(
                f"{len(same)} Markers streams; the analysis merges the markers of all of "
                f"them in time order (/streams/{group}, {shown}), e.g. a moderator's "
                "`gazemap mark`. If one belongs to another set-up, record again with "
                "--stream (docs/recording.md)."
            )
            continue
        notes.append(
            f"{len(same)} {typ} streams; the analysis uses /streams/{group} ({st['name']!r}, "
            f"source_id {st['source_id'] or '-'}, {st['samples']} samples), not {shown}. "
            "If that is the wrong one, record again with --stream (docs/recording.md)."
        )
    return notes


__all__ = ["format_summary", "several_streams_notes", "summarize"]
