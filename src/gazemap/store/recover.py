"""Rebuild a complete session file from the journal a killed recorder left beside it.

``gazemap recover FILE.h5`` reads ``FILE.h5.journal`` (gazemap.store.journal), ignores a torn
last record, and writes a new HDF5 file with everything the journal holds: session
attributes, screen, streams with their LSL info, samples (clock-corrected and in time
order), clock offsets, gaps and calibration. The HDF5 file the recorder was writing is not
read at all, since a killed HDF5 writer can leave it unreadable.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import os
from pathlib import Path

import numpy as np

from gazemap.acquisition.clock import corrected_times
from gazemap.errors import InputError, SessionFileError
from gazemap.store import journal as jr
from gazemap.store.reader import file_problem
from gazemap.store.schema import StreamInfo
from gazemap.store.writer import SessionWriter
from gazemap.types import ScreenGeometry

#: samples buffered per stream before they go to HDF5 in one append
_BATCH = 500_000


@dataclasses.dataclass
class RecoveredStream:
    group: str
    name: str
    type: str
    samples: int = 0
    first_s: float = float("nan")
    last_s: float = float("nan")
    gaps: int = 0
    clock_offsets: int = 0


@dataclasses.dataclass
class RecoveryReport:
    """What ``recover_session`` restored and what it had to ignore."""

    path: Path
    journal: Path
    records: int
    ignored_bytes: int
    problem: str
    streams: list[RecoveredStream]
    journal_removed: bool

    def lines(self) -> list[str]:
        """A human-readable summary, one line per item."""
        out = [f"recovered {self.path} from {self.journal} ({self.records} records)"]
        for s in self.streams:
            span = f"{s.last_s - s.first_s:.2f} s" if s.samples else "no samples"
            out.append(
                f"  {s.group}: {s.samples} samples ({span}), {s.clock_offsets} clock offsets, "
                f"{s.gaps} gaps  [{s.type} '{s.name}']"
            )
        if self.ignored_bytes:
            out.append(f"  ignored the last {self.ignored_bytes} bytes: {self.problem}")
        if self.journal_removed:
            out.append(f"  removed {self.journal}")
        else:
            out.append(f"  kept {self.journal} (the output went elsewhere)")
        return out


def recover_session(
    path: str | os.PathLike[str], out: str | os.PathLike[str] | None = None
) -> RecoveryReport:
    """Rebuild ``path`` (or write ``out``) from ``path``'s journal.

    Parameters
    ----------
    path : the session file a recorder was writing (its journal is ``path + ".journal"``).
    out : where to write the recovered file; default ``path`` itself (then the journal is
        deleted once the new file is safely on disk; otherwise the journal is kept).

    Raises
    ------
    SessionFileError
        no journal, not a journal, a journal without a session record, or a write error.
    InputError
        a recorder still holds the journal.
    """
    path = Path(path)
    jpath = jr.journal_path(path)
    target = Path(out) if out is not None else path
    if not jpath.exists():
        if not path.exists():
            hint = " Check the path."
        elif (problem := file_problem(path)) is None:
            hint = " The file looks complete: check it with `gazemap info`."
        else:
            hint = f" {path} itself cannot be read, and recover cannot repair it: {problem}"
        raise SessionFileError(f"{path}: nothing to recover, no journal {jpath}.{hint}")
    if jr.journal_locked(jpath):
        raise InputError(
            f"{jpath} is held by a running recorder: stop it (Ctrl-C) before recovering {path}."
        )
    if not target.parent.exists():
        raise InputError(f"cannot write {target}: folder {target.parent} does not exist.")
    short = jr.space_shortfall(jpath, target)
    if short:
        raise SessionFileError(
            f"cannot write {target}: {short}. The journal {jpath} is untouched; free some "
            "space and retry, or use --out to write it on another disk."
        )
    tmp = target.with_name(target.name + ".recovering")
    tmp.unlink(missing_ok=True)
    try:
        streams, scan = build_session(jpath, tmp, recovered=True)
        os.replace(tmp, target)
        jr._fsync_dir(target.parent)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise SessionFileError(
            f"cannot write {target}: {exc.strerror or exc}; {jr.io_error_hint(exc)}. The journal "
            f"{jpath} is untouched; retry, or use --out to write elsewhere."
        ) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    journal_removed = target.resolve() == path.resolve()
    if journal_removed:
        jpath.unlink(missing_ok=True)
        jr._fsync_dir(jpath.parent)
    return RecoveryReport(
        path=target,
        journal=jpath,
        records=scan.records,
        ignored_bytes=scan.ignored_bytes,
        problem=scan.problem,
        streams=list(streams.values()),
        journal_removed=journal_removed,
    )


def build_session(
    jpath: str | os.PathLike[str], out: str | os.PathLike[str], *, recovered: bool
) -> tuple[dict[str, RecoveredStream], jr.ScanResult]:
    """Write the session file ``out`` from the journal ``jpath`` (used by a recorder's clean
    close and by ``recover``); returns what each stream got and how the journal read.

    ``recovered=True`` marks the file as recovered (root attributes ``recovered_utc`` and
    ``recovered_ignored_bytes``). The file is fsync'ed before this returns.
    """
    jpath, tmp = Path(jpath), Path(out)
    scan = jr.ScanResult()
    records = jr.iter_records(jpath, scan)
    first = next(records, None)
    if first is None or first.kind != jr.SESSION:
        raise SessionFileError(
            f"{jpath} holds no session record: the recorder stopped before it recorded "
            "anything. Nothing to recover; record again."
        )
    attrs = dict(first.header.get("attrs", {}))  # type: ignore[call-overload]
    w = SessionWriter(
        tmp,
        participant=str(attrs.get("participant", "")),
        protocol=str(attrs.get("protocol", "")),
        session_id=str(attrs.get("session_id", "")) or None,
        created_utc=str(attrs.get("created_utc", "")) or None,
        force=True,
    )
    infos: dict[str, StreamInfo] = {}
    report: dict[str, RecoveredStream] = {}
    buf_t: dict[str, list[np.ndarray]] = {}
    buf_v: dict[str, list[object]] = {}
    buf_n: dict[str, int] = {}
    gaps: dict[str, list[dict[str, object]]] = {}

    def flush(group: str) -> None:
        if not buf_t.get(group):
            return
        t = np.concatenate(buf_t[group])
        if infos[group].is_string:
            vals: list[str] | np.ndarray = [v for block in buf_v[group] for v in block]  # type: ignore[attr-defined]
        else:
            vals = np.concatenate(buf_v[group])  # type: ignore[arg-type]
        w.append(group, t, vals, time_raw_s=t)
        buf_t[group], buf_v[group], buf_n[group] = [], [], 0

    try:
        for k, v in attrs.items():
            if k not in ("format", "format_version"):
                w.set_attr(k, v)
        for rec in records:
            h = rec.header
            if rec.kind == jr.SCREEN:
                w.set_screen(ScreenGeometry(**h))  # type: ignore[arg-type]
            elif rec.kind == jr.STREAM:
                group = str(h["g"])
                info = jr._info_from_json(h["info"])  # type: ignore[arg-type]
                w.add_stream(group, info)
                infos[group] = info
                report[group] = RecoveredStream(group, info.name, info.type)
                buf_t[group], buf_v[group], buf_n[group] = [], [], 0
            elif rec.kind == jr.DATA:
                group = str(h["g"])
                if group not in infos:
                    continue  # its stream record was lost: cannot be, records are in order
                t, vals = rec.data()
                buf_t[group].append(t)
                buf_v[group].append(vals)
                buf_n[group] += len(t)
                r = report[group]
                r.samples += len(t)
                if buf_n[group] >= _BATCH:
                    flush(group)
            elif rec.kind == jr.CLOCK:
                group = str(h["g"])
                if group in infos:
                    w.add_clock_offsets(group, rec.clock())
                    report[group].clock_offsets += len(rec.clock())
            elif rec.kind == jr.GAP:
                group = str(h["g"])
                if group in infos:
                    gaps.setdefault(group, []).append(h)
                    report[group].gaps += 1
            elif rec.kind == jr.ATTR:
                if "g" not in h:
                    w.set_attr(str(h["name"]), h["value"])
                elif str(h["g"]) in infos:  # a stream's attribute (e.g. ended_s)
                    w.h5["streams"][str(h["g"])].attrs[str(h["name"])] = h["value"]
            elif rec.kind == jr.CALIBRATION:
                w.write_calibration(
                    np.asarray(h["points_px"], dtype=float),
                    np.asarray(h["error_deg"], dtype=float),
                    **dict(h.get("attrs", {})),  # type: ignore[call-overload]
                )
        for group in infos:
            flush(group)
        for group, items in gaps.items():
            # raw ends are sender timestamps: correct them like the samples' time_s
            offsets = w.h5["streams"][group]["clock_offsets"][()]
            for h in items:
                ends = []
                for key in ("start", "end"):
                    value = float(h[f"{key}_s"])  # type: ignore[arg-type]
                    if h.get(f"{key}_raw"):
                        value = float(corrected_times(np.array([value]), offsets)[0])
                    ends.append(value)
                w.add_gap(group, ends[0], ends[1])
        jr.finalize_streams(w)
        for group, r in report.items():
            t = w.h5["streams"][group]["time_s"]
            if len(t):
                r.first_s, r.last_s = float(t[0]), float(t[-1])
        if recovered:
            w.set_attr("recovered_utc", _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"))
            w.set_attr("recovered_ignored_bytes", int(scan.ignored_bytes))
    finally:
        w.close()
    jr._fsync_file(tmp)
    return report, scan
