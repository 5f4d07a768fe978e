"""Session files whose datasets or attributes are damaged: the reader, ``info`` and the
detection cache give one clear error naming the file and the dataset (or a note), never a
NumPy/h5py exception and never silently wrong numbers."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
import pytest

from gazemap.cli import main
from gazemap.errors import SessionFileError
from gazemap.store import open_session
from gazemap.store.derived import detect_session_cached
from gazemap.store.info import format_summary, summarize

SAMPLE = Path(__file__).resolve().parents[2] / "recordings" / "sample" / "P01.h5"


def _copy(tmp_path: Path, edit: Callable[[h5py.File], None]) -> Path:
    p = tmp_path / "S.h5"
    shutil.copy(SAMPLE, p)
    with h5py.File(p, "r+") as f:
        edit(f)
    return p


def _replace(f: h5py.File, path: str, data: np.ndarray) -> None:
    del f[path]
    f[path] = data


def _two_d(f: h5py.File) -> None:
    x = f["streams/gaze/x_px"][()]
    _replace(f, "streams/gaze/x_px", np.stack([x, x], axis=1))


def _short(f: h5py.File) -> None:
    _replace(f, "streams/gaze/x_px", f["streams/gaze/x_px"][:100])


def _text(f: h5py.File) -> None:
    _replace(f, "streams/gaze/x_px", np.array([b"a"] * len(f["streams/gaze/x_px"])))


def _no_time(f: h5py.File) -> None:
    del f["streams/gaze/time_s"]


def _reversed(f: h5py.File) -> None:
    f["streams/gaze/time_s"][...] = f["streams/gaze/time_s"][()][::-1]


def _nan_time(f: h5py.File) -> None:
    t = f["streams/gaze/time_s"][()]
    t[100:200] = np.nan
    f["streams/gaze/time_s"][...] = t


def _text_version(f: h5py.File) -> None:
    f.attrs["format_version"] = "one"


def _text_screen(f: h5py.File) -> None:
    f["screen"].attrs["width_px"] = "wide"


def _zero_screen(f: h5py.File) -> None:
    f["screen"].attrs["width_mm"] = 0.0


def _no_distance(f: h5py.File) -> None:
    del f["screen"].attrs["distance_mm"]


def _short_scroll(f: h5py.File) -> None:
    _replace(f, "streams/scroll/scroll_y_px", f["streams/scroll/scroll_y_px"][:10])


GAZE_CASES = [
    (_two_d, ["/streams/gaze/x_px", "shape (", "1-D"]),
    (_short, ["/streams/gaze/x_px has 100 values", "time_s has"]),
    (_text, ["/streams/gaze/x_px", "numbers"]),
    (_no_time, ["/streams/gaze/time_s is missing"]),
    (_reversed, ["/streams/gaze/time_s goes backwards at sample 1", "time order"]),
    (_nan_time, ["/streams/gaze/time_s holds nan at sample 100"]),
]


@pytest.mark.parametrize(("edit", "words"), GAZE_CASES, ids=[c[0].__name__ for c in GAZE_CASES])
def test_damaged_gaze_names_file_and_dataset(
    tmp_path: Path, edit: Callable[[h5py.File], None], words: list[str]
) -> None:
    p = _copy(tmp_path, edit)
    with open_session(p) as s, pytest.raises(SessionFileError) as ei:
        s.gaze()
    msg = str(ei.value)
    assert msg.startswith(f"{p}: "), msg
    assert all(w in msg for w in words), msg
    assert "gazemap recover" in msg and "again" in msg  # how to get a usable file


ATTR_CASES = [
    (_text_version, "root attribute 'format_version' must be a whole number, got 'one'"),
    (_text_screen, "/screen attribute 'width_px' must be a number > 0, got 'wide'"),
    (_zero_screen, "/screen attribute 'width_mm' must be a number > 0, got 0.0"),
    (_no_distance, "/screen lacks attribute 'distance_mm'"),
]


@pytest.mark.parametrize(("edit", "words"), ATTR_CASES, ids=[c[0].__name__ for c in ATTR_CASES])
def test_damaged_attributes_name_file_and_attribute(
    tmp_path: Path, edit: Callable[[h5py.File], None], words: str
) -> None:
    p = _copy(tmp_path, edit)
    with pytest.raises(SessionFileError) as ei:
        with open_session(p) as s:
            s.screen  # noqa: B018 - the property reads and checks the attributes
    assert str(ei.value).startswith(f"{p}: ") and words in str(ei.value), str(ei.value)


def test_short_scroll_channel_names_the_dataset(tmp_path: Path) -> None:
    p = _copy(tmp_path, _short_scroll)
    with open_session(p) as s, pytest.raises(SessionFileError, match="scroll_y_px has 10 values"):
        s.scroll()


def test_marker_that_is_not_utf8_keeps_the_session(tmp_path: Path) -> None:
    def edit(f: h5py.File) -> None:
        v = f["streams/markers/value"][()]
        v = [b"\xff" + x if i == 0 else x for i, x in enumerate(v)]
        _replace(f, "streams/markers/value", np.array(v, dtype="S"))

    p = _copy(tmp_path, edit)
    with open_session(p) as s:
        m = s.markers()
    assert m.value[0].startswith("\ufffd")
    with open_session(SAMPLE) as good:
        assert list(m.value[1:]) == list(good.markers().value[1:])


def test_info_notes_time_out_of_order_instead_of_a_negative_duration(tmp_path: Path) -> None:
    p = _copy(tmp_path, _reversed)
    with open_session(p) as s:
        info = summarize(s)
    st = info["streams"]["gaze"]
    assert st["duration_s"] > 0 and st["data_loss_pct"] >= 0
    with open_session(SAMPLE) as s:
        assert st["duration_s"] == pytest.approx(summarize(s)["streams"]["gaze"]["duration_s"])
    text = format_summary(info)
    assert "note: /streams/gaze/time_s goes backwards at sample 1" in text
    assert "the analysis refuses this stream" in text


def test_info_on_a_text_rate_and_flat_clock_offsets_notes_them(tmp_path: Path) -> None:
    def edit(f: h5py.File) -> None:
        f["streams/gaze"].attrs["nominal_srate"] = "fast"
        _replace(f, "streams/gaze/clock_offsets", np.zeros(3))

    p = _copy(tmp_path, edit)
    with open_session(p) as s:
        info = summarize(s)
    notes = " | ".join(info["notes"])
    assert "nominal_srate is 'fast'" in notes and "clock_offsets has shape (3,)" in notes
    assert info["streams"]["gaze"]["clock_offset_ms"] is None


def test_info_counts_infinite_positions_as_invalid(tmp_path: Path) -> None:
    def edit(f: h5py.File) -> None:
        x = f["streams/gaze/x_px"][()]
        x[:1000] = np.inf
        f["streams/gaze/x_px"][...] = x

    p = _copy(tmp_path, edit)
    with open_session(p) as s:
        n_inf_or_nan = int(
            np.count_nonzero(
                ~np.isfinite(s.channel("gaze", "x_px")) | ~np.isfinite(s.channel("gaze", "y_px"))
            )
        )
        assert summarize(s)["streams"]["gaze"]["invalid_samples"] == n_inf_or_nan


def test_info_on_a_two_d_channel_is_one_error(tmp_path: Path) -> None:
    p = _copy(tmp_path, _two_d)
    with open_session(p) as s, pytest.raises(SessionFileError, match="/streams/gaze/x_px"):
        summarize(s)


def test_a_damaged_detection_cache_is_one_error_whose_fix_works(tmp_path: Path) -> None:
    p = tmp_path / "S.h5"
    shutil.copy(SAMPLE, p)
    first, _ = detect_session_cached(p, "ivt_pso")  # a cache made by this version
    assert detect_session_cached(p, "ivt_pso")[1]  # re-used as it is
    with h5py.File(p, "r+") as f:
        _replace(f, "derived/ivt_pso/fixations", np.zeros(5))  # not the compound table
    with pytest.raises(SessionFileError) as ei:
        detect_session_cached(p, "ivt_pso")
    msg = str(ei.value)
    assert msg.startswith(f"{p}: /derived/ivt_pso is damaged"), msg
    # the advice given is the real command, and it repairs the file
    cmd = msg.split("run `")[1].split("`")[0].split()
    assert cmd[:2] == ["gazemap", "detect"] and "--force" in cmd
    assert main(cmd[1:]) == 0
    result, cached = detect_session_cached(p, "ivt_pso")
    assert cached and len(result.fixations) == len(first.fixations)


def _ms_times(f: h5py.File) -> None:
    f["streams/gaze/time_s"][...] = f["streams/gaze/time_s"][()] * 1000.0


def test_gaze_times_in_ms_are_refused_not_read_as_18_s_fixations(tmp_path: Path) -> None:
    # read as seconds, 300 Hz gaze in ms is 0.3 Hz: detection made 18 s "fixations" and the
    # analysis passed them with quality_ok
    p = _copy(tmp_path, _ms_times)
    with open_session(p) as s, pytest.raises(SessionFileError) as ei:
        s.gaze()
    msg = str(ei.value)
    assert msg.startswith(f"{p}: /streams/gaze/time_s: the gaze samples are 3.33333 s apart")
    assert "not in seconds" in msg and "--time-unit" in msg


def test_gaze_at_plausible_rates_is_read(tmp_path: Path) -> None:
    for factor in (1 / 20, 20.0):  # 15 Hz (a webcam tracker) and 6000 Hz
        p = tmp_path / f"S{factor}.h5"
        shutil.copy(SAMPLE, p)
        with h5py.File(p, "r+") as f:
            t = f["streams/gaze/time_s"][()]
            f["streams/gaze/time_s"][...] = t[0] + (t - t[0]) / factor
        with open_session(p) as s:
            assert len(s.gaze()) == len(t)
