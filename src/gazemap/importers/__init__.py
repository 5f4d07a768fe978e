"""Importers of files from other tools: each turns a foreign file into gazemap session files.

``IMPORTERS`` maps a format name (``gazemap import FORMAT``) to ``module:function``; the
function takes the input path and keyword options and returns a list of
:class:`gazemap.importers._common.ImportedRecording` (one per recording in the file).
:func:`import_file` writes them with provenance, atomically.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gazemap.errors import ImportFormatError, InputError

IMPORTERS: dict[str, tuple[str, str, str]] = {
    # name: (module, function, description)
    "eyelink_asc": ("gazemap.importers.eyelink_asc", "read_asc", "EyeLink ASC (edf2asc output)"),
    "tobii_tsv": (
        "gazemap.importers.tobii_tsv",
        "read_tsv",
        "Tobii Pro Lab / Tobii Studio TSV data export",
    ),
    "xdf": (
        "gazemap.importers.xdf",
        "read_xdf",
        "XDF from LabRecorder (every stream, clock offsets)",
    ),
    "pupil_csv": (
        "gazemap.importers.pupil_csv",
        "read_pupil_export",
        "Pupil Player export folder (CSV)",
    ),
    "lund": ("gazemap.importers.lund", "read_lund", "Lund 2013 hand-labelled eye-movement CSV"),
}


#: formats whose PATH is one file (pupil_csv takes an export folder, lund either)
FILE_FORMATS: dict[str, str] = {
    "eyelink_asc": "an .asc file from edf2asc",
    "tobii_tsv": "a .tsv data export",
    "xdf": "an .xdf file from LabRecorder",
}


def available() -> list[str]:
    """Formats whose importer module is present in this installation."""
    return [
        name
        for name, (module, _, _) in IMPORTERS.items()
        if importlib.util.find_spec(module) is not None
    ]


def read(fmt: str, path: str | os.PathLike[str], **options: Any) -> list[Any]:
    """Parse ``path`` with the importer of ``fmt`` (without writing anything)."""
    from gazemap.importers._common import check_input

    if fmt not in IMPORTERS or fmt not in available():
        raise InputError(f"unknown import format {fmt!r}; available: {', '.join(available())}.")
    module, func, _ = IMPORTERS[fmt]
    reader = getattr(importlib.import_module(module), func)
    p = check_input(path)
    if fmt in FILE_FORMATS and p.is_dir():
        raise ImportFormatError(
            f"{p}: is a folder; {fmt} imports one file ({FILE_FORMATS[fmt]}). Give the file's path."
        )
    return list(reader(p, **options))


#: per format: how the user gives the right time unit (for check_sample_rate's message)
TIME_UNIT_HINTS = {
    "tobii_tsv": "Give the unit of the 'Recording timestamp' column with --time-unit us|ms|s.",
    "lund": "The time_s column must be in seconds: convert it (e.g. ms / 1000) and import again.",
    "eyelink_asc": "EyeLink ASC sample times are ms: export the file again with edf2asc.",
    "xdf": "XDF timestamps are seconds: record or export the file again.",
    "pupil_csv": "Pupil Player exports seconds: export the folder again from Pupil Player.",
}


def import_file(
    fmt: str,
    path: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    force: bool = False,
    screen_options: dict[str, float | None] | None = None,
    participant: str | None = None,
    warn: Callable[[str], None] | None = None,
    **options: Any,
) -> list[Path]:
    """Import ``path`` as format ``fmt`` into session file(s) at ``out``.

    One recording gives ``out``; several give ``<stem>_rec<k><suffix>`` each (or pass
    ``recording=N`` where the importer supports it). Returns the written paths.

    A recording without gaze samples is not written (an empty session would only fail
    later, in the analysis); when no recording has samples that is an ImportFormatError.
    ``warn`` receives one line per problem that did not stop the import (a damaged end of
    an XDF file, a skipped empty recording); the same text is kept in the file as the root
    attribute ``import_warning``.
    """
    from gazemap.geometry import pixel_shape_problem
    from gazemap.importers._common import (
        check_output,
        check_sample_rate,
        default_out_paths,
        screen_geometry,
        sha256_of,
        write_session,
    )
    from gazemap.store.writer import check_free_space

    src = Path(path)
    out_p = Path(out)
    check_output(out_p, force)
    recordings = read(fmt, src, **options)
    if not recordings:
        raise InputError(f"{src}: no recording found to import.")
    empty = [r for r in recordings if len(r.time_s) == 0]
    if len(empty) == len(recordings):
        why = "; ".join(
            dict.fromkeys(w.removeprefix(f"{src}: ") for r in recordings for w in r.warnings)
        )
        raise ImportFormatError(
            f"{src}: no gaze samples to import"
            + (f" ({why})" if why else "")
            + ". The file is empty or cut short: export or copy it again from the source."
        )
    if empty:
        names = ", ".join(str(r.recording or "?") for r in empty)
        if warn is not None:
            warn(f"{src}: recording(s) {names} have no gaze samples and were not imported.")
    # names as if every recording were written, so that FILE_rec2.h5 is still recording 2
    targets = default_out_paths(out_p, len(recordings), [str(r.recording) for r in recordings])
    kept = [(r, t) for r, t in zip(recordings, targets, strict=True) if len(r.time_s)]
    shapes: list[str] = []
    for rec, t in kept:
        # before anything is written: a wrong time unit would give sessions whose every
        # duration is 1000 times off
        where = f"{src}" + (f" (recording {rec.recording})" if len(recordings) > 1 else "")
        check_sample_rate(rec.time_s, where, TIME_UNIT_HINTS.get(fmt, ""))
        check_output(t, force)
        shape = pixel_shape_problem(screen_geometry(rec, screen_options or {})[0])
        if shape:  # said once the sessions are written (a failed import says one line)
            shapes.append(f"{where}: {shape}")
        for w in rec.warnings:
            if warn is not None:
                warn(w)
        if rec.warnings:
            rec.source_attrs["warning"] = " | ".join(rec.warnings)
    # all recordings must fit before the first is written: no half import on a full disk
    need = 0.0
    for rec, _ in kept:
        need += len(rec.time_s) * (8 * (len(rec.gaze) + 9) + 24) + 200 * len(rec.markers)
        for x in rec.extra_streams:
            need += getattr(x.data, "nbytes", 100 * len(x.data)) + 16 * len(x.time_s)
    if kept:
        check_free_space(kept[0][1], need, f"importing {len(kept)} recording(s)")
    digest = sha256_of(src) if src.is_file() else _dir_digest(src)
    written = []
    for rec, target in kept:
        written.append(
            write_session(
                rec,
                target,
                source=fmt,
                source_path=src,
                source_sha256=digest,
                force=force,
                screen_options=screen_options,
                participant=participant,
            )
        )
    for text in shapes:
        if warn is not None:
            warn(text)
    if participant and fmt != "eyelink_asc" and len(written) > 1 and warn is not None:
        own = [r.participant for r, _ in kept if r.participant]
        warn(
            f"{src}: --participant {participant} gave all {len(written)} recordings the same "
            "participant id, and `gazemap analyze` analyses only the first session of a "
            "participant; import them again without --participant"
            + (f" (the file names them {', '.join(dict.fromkeys(own))})" if own else "")
            + ", or one at a time with --recording N --participant ID."
        )
    if fmt == "eyelink_asc" and len(written) > 1 and warn is not None:
        # an EDF is one participant's session; experiments often record one block per trial
        warn(
            f"{src}: {len(written)} recording blocks (START … END) became {len(written)} "
            "session files; `gazemap analyze` takes each file as a participant of its own, and "
            "files of the same participant as duplicates (only the first is analysed). If the "
            "blocks are trials of one session (e.g. one per screen), import them as one session: "
            "gazemap import eyelink_asc PATH --out OUT --merge-blocks (docs/importers.md)."
        )
    return written


def _dir_digest(folder: Path) -> str:
    """sha256 over the names and contents of every file in an export folder (sorted)."""
    import hashlib

    h = hashlib.sha256()
    for f in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(str(f.relative_to(folder)).encode("utf-8") + b"\0")
        h.update(f.read_bytes())
    return h.hexdigest()
