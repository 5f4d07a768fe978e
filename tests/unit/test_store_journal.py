"""The recording journal, the journaled writer and `recover` (crash safety of the store)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import h5py
import numpy as np
import pytest

from gazemap.errors import InputError, SessionFileError
from gazemap.store import journal as jr
from gazemap.store import open_session
from gazemap.store.journal import JournaledWriter, iter_records, journal_path
from gazemap.store.recover import recover_session
from gazemap.store.schema import StreamInfo
from gazemap.types import GAZE_CHANNEL_LABELS, ScreenGeometry

SCREEN = ScreenGeometry(1920, 1080, 531.0, 299.0, 650.0)
GAZE = StreamInfo(
    "sim", "Gaze", GAZE_CHANNEL_LABELS, nominal_srate=1000.0, source_id="sim-1", xml="<x/>"
)
MARK = StreamInfo("m", "Markers", ("marker",), channel_format="string", source_id="m-1")


def _blocks(n_blocks: int = 10, per: int = 100, t0: float = 50.0):
    rng = np.random.default_rng(3)
    for b in range(n_blocks):
        t = t0 + (b * per + np.arange(per)) / 1000.0
        v = rng.normal(0, 100, (per, len(GAZE_CHANNEL_LABELS))).astype(np.float32)
        v[:, 0] = b * per + np.arange(per)  # sample index, to check order and completeness
        yield t, v


def _record(path: Path, close: bool = True, n_blocks: int = 10) -> tuple[np.ndarray, np.ndarray]:
    w = JournaledWriter(path, participant="P7", protocol="shop", session_id="sid", screen=SCREEN)
    w.add_stream("gaze", GAZE)
    w.add_stream("markers", MARK)
    w.add_clock_offsets("gaze", np.array([[50.0, 0.25]]))
    ts, vs = [], []
    for i, (t, v) in enumerate(_blocks(n_blocks)):
        w.append("gaze", t, v)
        if i == 2:
            w.append("markers", np.array([t[0]]), ["touchpoint/home/start"])
            w.add_gap("gaze", 50.1, 50.2)
        ts.append(t)
        vs.append(v)
    w.add_clock_offsets("gaze", np.array([[60.0, 0.35]]))
    w.set_attr("note", "ok")
    w.write_calibration(np.array([[1, 2]]), np.array([0.4]), method="5-point")
    if close:
        w.close()
    else:
        w.abort()  # what the files look like after the process died: journal kept
    return np.concatenate(ts), np.concatenate(vs)


def _expected_time(t: np.ndarray) -> np.ndarray:
    # offsets 0.25 @ remote 49.75 and 0.35 @ remote 59.65, interpolated in between
    return t + np.interp(t, [49.75, 59.65], [0.25, 0.35])


def _check(path: Path, t: np.ndarray, v: np.ndarray) -> None:
    with open_session(path) as s:
        assert s.participant == "P7" and s.session_id == "sid" and s.protocol == "shop"
        assert s.screen == SCREEN
        np.testing.assert_array_equal(s.raw_times("gaze"), t)
        np.testing.assert_allclose(s.times("gaze"), _expected_time(t), rtol=0, atol=1e-12)
        np.testing.assert_array_equal(s.channel("gaze", "x_px"), v[:, 0])
        np.testing.assert_array_equal(s.channel("gaze", "validity"), v[:, -1])
        np.testing.assert_array_equal(s.clock_offsets("gaze"), [[50.0, 0.25], [60.0, 0.35]])
        np.testing.assert_array_equal(s.gaps("gaze"), [[50.1, 50.2]])
        assert list(s.markers().value) == ["touchpoint/home/start"]
        assert s.attrs["note"] == "ok"
        assert s.stream_attrs("gaze")["xml"] == "<x/>"
        assert s.h5["calibration"].attrs["method"] == "5-point"


def test_clean_close_completes_file_and_removes_journal(tmp_path: Path) -> None:
    p = tmp_path / "s.h5"
    t, v = _record(p)
    assert not journal_path(p).exists()
    _check(p, t, v)


def test_recover_after_crash_restores_everything(tmp_path: Path) -> None:
    p = tmp_path / "s.h5"
    t, v = _record(p, close=False)
    # while recording only the journal is written; the file appears on close or recover
    assert not p.exists()
    with pytest.raises(SessionFileError, match="gazemap recover"):
        open_session(p)
    rep = recover_session(p)
    assert rep.journal_removed and not journal_path(p).exists()
    assert rep.ignored_bytes == 0
    by = {s.group: s for s in rep.streams}
    assert by["gaze"].samples == len(t) and by["gaze"].gaps == 1
    assert by["gaze"].clock_offsets == 2 and by["markers"].samples == 1
    text = "\n".join(rep.lines())
    assert "gaze: 1000 samples" in text
    _check(p, t, v)
    with open_session(p) as s:
        assert "recovered_utc" in s.attrs


def test_recover_ignores_torn_last_record(tmp_path: Path) -> None:
    p = tmp_path / "s.h5"
    w = JournaledWriter(p, screen=SCREEN)
    w.add_stream("gaze", GAZE)
    blocks = list(_blocks(5))
    for t, v in blocks:
        w.append("gaze", t, v)
    w.abort()
    j = journal_path(p)
    size = j.stat().st_size
    # cut the last data record in half, as a kill during os.write could
    last_len = 9 + 4 + 100 * 8 + 100 * 9 * 4
    with open(j, "r+b") as f:
        f.truncate(size - last_len // 2 - 40)  # also loses the tail of the JSON header area
    rep = recover_session(p)
    assert rep.ignored_bytes > 0 and "torn" in rep.problem
    with open_session(p) as s:
        np.testing.assert_array_equal(
            s.channel("gaze", "x_px"), np.concatenate([v[:, 0] for _, v in blocks[:4]])
        )
    assert "ignored the last" in "\n".join(rep.lines())


def test_recover_stops_at_damaged_record(tmp_path: Path) -> None:
    p = tmp_path / "s.h5"
    w = JournaledWriter(p)
    w.add_stream("gaze", GAZE)
    for t, v in _blocks(3):
        w.append("gaze", t, v)
    w.abort()
    j = journal_path(p)
    data = bytearray(j.read_bytes())
    data[-10] ^= 0xFF  # flip a byte inside the last record
    j.write_bytes(bytes(data))
    scan = jr.ScanResult()
    kinds = [r.kind for r in iter_records(j, scan)]
    assert kinds == [jr.SESSION, jr.STREAM, jr.DATA, jr.DATA]
    assert "checksum" in scan.problem
    rep = recover_session(p)
    assert rep.streams[0].samples == 200


def test_recover_sorts_out_of_order_blocks(tmp_path: Path) -> None:
    p = tmp_path / "s.h5"
    w = JournaledWriter(p)
    w.add_stream("gaze", GAZE)
    blocks = list(_blocks(4))
    for t, v in (blocks[0], blocks[2], blocks[1], blocks[3]):
        w.append("gaze", t, v)
    w.abort()
    recover_session(p)
    with open_session(p) as s:
        np.testing.assert_array_equal(s.channel("gaze", "x_px"), np.arange(400))
        assert np.all(np.diff(s.times("gaze")) > 0)


def test_clean_close_sorts_too(tmp_path: Path) -> None:
    p = tmp_path / "s.h5"
    with JournaledWriter(p) as w:
        w.add_stream("gaze", GAZE)
        blocks = list(_blocks(3))
        for t, v in (blocks[1], blocks[0], blocks[2]):
            w.append("gaze", t, v)
    with open_session(p) as s:
        np.testing.assert_array_equal(s.channel("gaze", "x_px"), np.arange(300))


def test_recover_to_other_file_keeps_journal(tmp_path: Path) -> None:
    p = tmp_path / "s.h5"
    t, v = _record(p, close=False)
    other = tmp_path / "elsewhere.h5"
    rep = recover_session(p, out=other)
    assert not rep.journal_removed and journal_path(p).exists()
    _check(other, t, v)
    assert "kept" in "\n".join(rep.lines())


def test_recover_errors(tmp_path: Path) -> None:
    p = tmp_path / "s.h5"
    with pytest.raises(SessionFileError, match="no journal"):
        recover_session(p)
    _record(p)
    with pytest.raises(SessionFileError, match="looks complete"):
        recover_session(p)
    q = tmp_path / "q.h5"
    journal_path(q).write_bytes(b"not a journal at all")
    with pytest.raises(SessionFileError, match="not a gazemap recording journal"):
        recover_session(q)
    journal_path(q).write_bytes(jr.MAGIC)
    with pytest.raises(SessionFileError, match="no session record"):
        recover_session(q)
    assert not (tmp_path / "q.h5.recovering").exists()
    with pytest.raises(InputError, match="does not exist"):
        r = tmp_path / "r.h5"
        _record(r, close=False)
        recover_session(r, out=tmp_path / "nofolder" / "x.h5")


def test_recover_refuses_a_live_recording(tmp_path: Path) -> None:
    p = tmp_path / "live.h5"
    w = JournaledWriter(p)
    try:
        w.add_stream("gaze", GAZE)
        assert jr.journal_locked(journal_path(p))
        with pytest.raises(InputError, match="running recorder"):
            recover_session(p)
        with pytest.raises(InputError, match="running recorder"):
            JournaledWriter(p, force=True)
    finally:
        w.close()
    assert not jr.journal_locked(journal_path(p))


def test_leftover_journal_blocks_a_new_recording(tmp_path: Path) -> None:
    p = tmp_path / "s.h5"
    _record(p, close=False)
    with pytest.raises(InputError, match="gazemap recover"):
        JournaledWriter(p)
    with JournaledWriter(p, force=True) as w:
        w.add_stream("gaze", GAZE)
    assert not journal_path(p).exists()
    with open_session(p) as s:
        assert len(s.times("gaze")) == 0


def test_existing_file_without_force(tmp_path: Path) -> None:
    p = tmp_path / "s.h5"
    _record(p)
    with pytest.raises(InputError, match="--force"):
        JournaledWriter(p)
    assert not journal_path(p).exists()
    # with force, the old file stays until the new one is complete, then is replaced
    w = JournaledWriter(p, force=True, participant="P9")
    with open_session(p) as s:
        assert s.participant == "P7"
    w.close()
    with open_session(p) as s:
        assert s.participant == "P9"


def test_recover_after_forced_rerecording_replaces_old_file(tmp_path: Path) -> None:
    p = tmp_path / "s.h5"
    _record(p)
    w = JournaledWriter(p, force=True, participant="P9")
    w.add_stream("gaze", GAZE)
    w.append("gaze", *next(_blocks(1)))
    w.abort()
    recover_session(p)
    with open_session(p) as s:
        assert s.participant == "P9" and len(s.times("gaze")) == 100


def test_bad_paths_and_shapes(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        JournaledWriter(tmp_path / "nope" / "s.h5")
    (tmp_path / "d.h5").mkdir()
    with pytest.raises(InputError, match="it is a folder"):
        JournaledWriter(tmp_path / "d.h5", force=True)
    with JournaledWriter(tmp_path / "s.h5") as w:
        w.add_stream("gaze", GAZE)
        w.add_stream("markers", MARK)
        with pytest.raises(InputError, match=r"shape \(2, 9\), got \(2, 3\)"):
            w.append("gaze", np.zeros(2), np.zeros((2, 3)))
        with pytest.raises(InputError, match="1 marker values for 2 timestamps"):
            w.append("markers", np.zeros(2), ["a"])
        with pytest.raises(InputError, match="not usable"):
            w.add_stream("a/b", GAZE)
        w.append("gaze", np.zeros(0), np.zeros((0, 9)))  # nothing to write
    with open_session(tmp_path / "s.h5") as s:
        assert len(s.times("gaze")) == 0


def test_disk_full_keeps_what_was_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """os.write starts failing with ENOSPC (after a partial write) in the middle of a block."""
    p = tmp_path / "s.h5"
    w = JournaledWriter(p, screen=SCREEN)
    w.add_stream("gaze", GAZE)
    blocks = list(_blocks(6))
    real_write = os.write
    budget = {"left": None}

    def full_disk_write(fd: int, data: bytes) -> int:
        if budget["left"] is None:
            return real_write(fd, data)
        if budget["left"] <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        n = real_write(fd, bytes(data)[: budget["left"]])
        budget["left"] -= n
        return n

    monkeypatch.setattr(jr.os, "write", full_disk_write)
    for t, v in blocks[:4]:
        w.append("gaze", t, v)
    budget["left"] = 1000  # the next record gets only part-way
    with pytest.raises(SessionFileError, match="disk is full") as ei:
        w.append("gaze", *blocks[4])
    assert "gazemap recover" in str(ei.value)
    with pytest.raises(SessionFileError, match="disk is full"):
        w.append("gaze", *blocks[5])  # stays failed
    w.abort()
    monkeypatch.undo()
    rep = recover_session(p)
    assert rep.ignored_bytes > 0
    with open_session(p) as s:
        np.testing.assert_array_equal(s.channel("gaze", "x_px"), np.arange(400))


def test_journal_cannot_be_created(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    # the journal path is taken by a folder: creating it fails like an unwritable place
    journal_path(folder / "s.h5").mkdir()
    with pytest.raises(InputError, match="interrupted"):
        JournaledWriter(folder / "s.h5")
    with pytest.raises(SessionFileError, match="cannot create"):
        jr.Journal(tmp_path / "nofolder" / "x.journal")
    assert not (folder / "s.h5").exists()


def test_close_on_a_full_disk_keeps_the_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Building the HDF5 file fails (ENOSPC): the journal stays for `recover --out`."""
    from gazemap.store import recover as rc

    p = tmp_path / "s.h5"
    w = JournaledWriter(p)
    w.add_stream("gaze", GAZE)
    w.append("gaze", *next(_blocks(1)))

    def no_space(*a: object, **k: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(rc, "build_session", no_space)
    with pytest.raises(SessionFileError, match="disk is full.*gazemap recover"):
        w.close()
    monkeypatch.undo()
    assert journal_path(p).exists() and not p.exists()
    assert not (tmp_path / "s.h5.closing").exists()
    recover_session(p, out=tmp_path / "other.h5")
    with open_session(tmp_path / "other.h5") as s:
        assert len(s.times("gaze")) == 100


def test_io_error_hints() -> None:
    assert "disk is full" in jr.io_error_hint(OSError(errno.EFBIG, "File too large"))
    assert "disk is full" in jr.io_error_hint(OSError("... errno = 28, No space left ..."))
    assert "permission" in jr.io_error_hint(OSError(errno.EACCES, "Permission denied"))
    assert "permission" in jr.io_error_hint(OSError(errno.EROFS, "Read-only file system"))
    assert "check the disk" in jr.io_error_hint(OSError(errno.EIO, "I/O error"))


def test_missing_file_with_journal_names_recover(tmp_path: Path) -> None:
    p = tmp_path / "s.h5"
    w = JournaledWriter(p)
    try:
        with pytest.raises(SessionFileError, match="being recorded"):
            open_session(p)
    finally:
        w.close()


def test_unknown_stream_and_double_add(tmp_path: Path) -> None:
    with JournaledWriter(tmp_path / "s.h5") as w:
        w.add_stream("gaze", GAZE)
        with pytest.raises(InputError, match="added twice"):
            w.add_stream("gaze", GAZE)
        with pytest.raises(InputError, match="call add_stream first"):
            w.append("eeg", np.zeros(1), np.zeros((1, 1)))
        with pytest.raises(InputError, match="call add_stream first"):
            w.add_gap("eeg", 0, 1)
        with pytest.raises(InputError, match="call add_stream first"):
            w.add_clock_offsets("eeg", np.zeros((1, 2)))


def test_file_is_valid_hdf5_after_close(tmp_path: Path) -> None:
    p = tmp_path / "s.h5"
    _record(p)
    with h5py.File(p, "r") as f:
        assert f["streams/gaze/x_px"].shape == (1000,)


def test_raw_gap_ends_are_corrected_like_the_samples(tmp_path: Path) -> None:
    p = tmp_path / "g.h5"
    with JournaledWriter(p) as w:
        w.add_stream("gaze", GAZE)
        w.add_clock_offsets("gaze", np.array([[10.0, 2.0], [20.0, 3.0]]))
        blocks = list(_blocks(3, t0=10.0))
        w.append("gaze", *blocks[0])
        w.append("gaze", *blocks[2])
        w.add_gap("gaze", blocks[0][0][-1], blocks[2][0][0], start_raw=True, end_raw=True)
        w.add_gap("gaze", 30.0, 31.0)  # recorder-clock times stay as they are
    with open_session(p) as s:
        t = s.times("gaze")
        gaps = s.gaps("gaze")
    assert gaps[0, 0] == t[99] and gaps[0, 1] == t[100]
    np.testing.assert_array_equal(gaps[1], [30.0, 31.0])


def test_journal_refuses_to_reuse_a_file(tmp_path: Path) -> None:
    j = jr.Journal(tmp_path / "x.journal")
    try:
        with pytest.raises(InputError, match="interrupted"):
            jr.Journal(tmp_path / "x.journal")
    finally:
        j.close()
    with pytest.raises(SessionFileError, match="no such journal"):
        list(iter_records(tmp_path / "absent.journal"))


def test_recover_write_error_leaves_journal_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gazemap.store import recover as rc

    p = tmp_path / "s.h5"
    _record(p, close=False)
    before = journal_path(p).read_bytes()

    def no_space(*a: object, **k: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(rc, "build_session", no_space)
    with pytest.raises(SessionFileError, match="disk is full.*untouched"):
        recover_session(p)
    assert journal_path(p).read_bytes() == before and not p.exists()
