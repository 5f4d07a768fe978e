"""Bad session files and bad writer calls raise clear gazemap errors naming the file."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from gazemap.errors import InputError, SessionFileError
from gazemap.store import FORMAT, FORMAT_VERSION, SessionWriter, StreamInfo, open_session
from gazemap.types import ScreenGeometry

SCREEN = ScreenGeometry(1920, 1080, 531.0, 299.0, 650.0)


def _minimal(path: Path, **attrs: object) -> None:
    with h5py.File(path, "w") as f:
        for k, v in attrs.items():
            f.attrs[k] = v


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SessionFileError, match="no such file"):
        open_session(tmp_path / "absent.h5")


def test_not_hdf5(tmp_path: Path) -> None:
    p = tmp_path / "notes.h5"
    p.write_text("participant,x,y\n1,2,3\n")
    with pytest.raises(SessionFileError, match="not a readable HDF5 file") as ei:
        open_session(p)
    assert str(p) in str(ei.value)


def test_not_hdf5_with_journal_suggests_recover(tmp_path: Path) -> None:
    p = tmp_path / "killed.h5"
    p.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 10)  # a torn superblock
    Path(str(p) + ".journal").write_bytes(b"x")
    with pytest.raises(SessionFileError, match="gazemap recover"):
        open_session(p)


def test_hdf5_but_not_a_session(tmp_path: Path) -> None:
    p = tmp_path / "other.h5"
    _minimal(p, format="something-else")
    with pytest.raises(SessionFileError, match="not a gazemap session"):
        open_session(p)
    p2 = tmp_path / "bare.h5"
    _minimal(p2)
    with pytest.raises(SessionFileError, match="not a gazemap session"):
        open_session(p2)


def test_newer_format_version(tmp_path: Path) -> None:
    p = tmp_path / "new.h5"
    _minimal(p, format=FORMAT, format_version=FORMAT_VERSION + 1)
    with pytest.raises(SessionFileError, match="Upgrade gazemap"):
        open_session(p)


def test_missing_format_version(tmp_path: Path) -> None:
    p = tmp_path / "nov.h5"
    _minimal(p, format=FORMAT)
    with pytest.raises(SessionFileError, match="format_version"):
        open_session(p)


def test_missing_streams_and_channels(tmp_path: Path) -> None:
    p = tmp_path / "s.h5"
    with SessionWriter(p) as w:
        w.add_stream("gaze", StreamInfo("g", "Gaze", ("left_x_px", "left_y_px")))
    with open_session(p) as s:
        with pytest.raises(SessionFileError, match=r"no stream 'eeg' \(streams: gaze\)"):
            s.times("eeg")
        with pytest.raises(SessionFileError, match="lacks channel"):
            s.gaze()
        with pytest.raises(SessionFileError, match="has no channel 'x_px'"):
            s.channel("gaze", "x_px")


def test_file_without_streams_group(tmp_path: Path) -> None:
    p = tmp_path / "empty.h5"
    _minimal(p, format=FORMAT, format_version=FORMAT_VERSION)
    with open_session(p) as s:
        assert s.stream_names == []
        with pytest.raises(SessionFileError, match="streams: none"):
            s.gaze()


def test_missing_screen(tmp_path: Path) -> None:
    p = tmp_path / "noscreen.h5"
    with SessionWriter(p):
        pass
    with open_session(p) as s, pytest.raises(SessionFileError, match="no /screen"):
        _ = s.screen
    with h5py.File(p, "r+") as f:
        f.require_group("screen").attrs["width_px"] = 10
    with open_session(p) as s, pytest.raises(SessionFileError, match="lacks attribute"):
        _ = s.screen


def test_existing_file_needs_force(tmp_path: Path) -> None:
    p = tmp_path / "s.h5"
    p.write_bytes(b"keep me")
    with pytest.raises(InputError, match="--force"):
        SessionWriter(p)
    assert p.read_bytes() == b"keep me"
    with SessionWriter(p, force=True, screen=SCREEN):
        pass
    with open_session(p) as s:
        assert s.screen == SCREEN


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        SessionWriter(tmp_path / "nope" / "s.h5")


def test_output_path_is_a_folder(tmp_path: Path) -> None:
    d = tmp_path / "adir.h5"
    d.mkdir()
    with pytest.raises(InputError, match="it is a folder. Give a file name"):
        SessionWriter(d, force=True)


def test_output_file_that_hdf5_cannot_create(tmp_path: Path) -> None:
    import h5py

    p = tmp_path / "open.h5"
    with SessionWriter(p):
        pass
    with h5py.File(p, "r"), pytest.raises(InputError, match="cannot create .*open.h5"):
        SessionWriter(p, force=True)  # HDF5 will not truncate a file that is open


def test_writer_call_errors(tmp_path: Path) -> None:
    with SessionWriter(tmp_path / "w.h5") as w:
        w.add_stream("gaze", StreamInfo("g", "Gaze", ("x_px", "y_px")))
        w.add_stream("markers", StreamInfo("m", "Markers", ("m",), channel_format="string"))
        with pytest.raises(InputError, match="added twice"):
            w.add_stream("gaze", StreamInfo("g", "Gaze", ("x_px", "y_px")))
        with pytest.raises(InputError, match="call add_stream first"):
            w.append("eeg", np.zeros(2), np.zeros((2, 1)))
        with pytest.raises(InputError, match=r"shape \(2, 2\), got \(2, 3\)"):
            w.append("gaze", np.zeros(2), np.zeros((2, 3)))
        with pytest.raises(InputError, match="1 marker values for 2 timestamps"):
            w.append("markers", np.zeros(2), ["a"])
        with pytest.raises(InputError, match="call add_stream first"):
            w.add_gap("eeg", 0.0, 1.0)
        with pytest.raises(InputError, match="call add_stream first"):
            w.add_clock_offsets("eeg", np.zeros((1, 2)))
