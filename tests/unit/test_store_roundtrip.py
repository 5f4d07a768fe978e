"""SessionWriter -> open_session round trip: every array and attribute comes back as written."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from gazemap.store import FORMAT, FORMAT_VERSION, SessionWriter, StreamInfo, open_session, schema
from gazemap.types import (
    GAZE_CHANNEL_LABELS,
    GAZE_CHANNELS,
    SCROLL_CHANNEL_LABELS,
    GazeSamples,
    ScreenGeometry,
)

SCREEN = ScreenGeometry(1920, 1080, 531.0, 299.0, 650.0)


def gaze_info() -> StreamInfo:
    return StreamInfo(
        name="sim Gaze",
        type="Gaze",
        channel_labels=GAZE_CHANNEL_LABELS,
        channel_units=tuple(c[1] for c in GAZE_CHANNELS),
        nominal_srate=1000.0,
        source_id="sim-1",
        hostname="lab-pc",
        xml="<info><name>sim Gaze</name></info>",
        extra={"manufacturer": "gazemap"},
    )


def write_session(path: Path, n: int = 2500, blocks: int = 5) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(1)
    t = 100.0 + np.arange(n) / 1000.0
    data = rng.normal(500, 100, size=(n, len(GAZE_CHANNEL_LABELS))).astype(np.float32)
    data[:, -1] = rng.integers(0, 4, n)  # validity flags
    data[10:20, 0] = np.nan
    scroll = np.column_stack([np.zeros(50), np.arange(50) * 10.0, np.zeros(50), np.full(50, 80.0)])
    ts = 100.0 + np.arange(50) * 0.05
    with SessionWriter(
        path, participant="P01", protocol="shop", session_id="abc", screen=SCREEN
    ) as w:
        w.add_stream("gaze", gaze_info())
        w.add_stream(
            "markers",
            StreamInfo("m", "Markers", ("marker",), channel_format="string", source_id="m-1"),
        )
        w.add_stream("scroll", StreamInfo("s", "Scroll", SCROLL_CHANNEL_LABELS, source_id="s-1"))
        for idx in np.array_split(np.arange(n), blocks):
            w.append("gaze", t[idx] + 0.001, data[idx], time_raw_s=t[idx])
        w.append("markers", np.array([100.5, 101.0]), ["touchpoint/home/start", "écran/ü"])
        w.append("scroll", ts, scroll)
        w.add_clock_offsets("gaze", np.array([[100.0, 0.001], [105.0, 0.0011]]))
        w.add_gap("gaze", 101.0, 101.2)
        w.write_calibration(np.array([[10, 20], [30, 40]]), np.array([0.5, 0.7]), method="9-point")
    return {"t": t, "data": data, "scroll": scroll, "ts": ts}


def test_round_trip_gaze_markers_scroll(tmp_path: Path) -> None:
    path = tmp_path / "s.h5"
    ref = write_session(path)
    with open_session(path) as s:
        assert s.participant == "P01"
        assert s.protocol == "shop"
        assert s.session_id == "abc"
        assert s.screen == SCREEN
        assert s.stream_names == ["gaze", "markers", "scroll"]
        g = s.gaze()
        assert isinstance(g, GazeSamples)
        np.testing.assert_array_equal(g.time_s, ref["t"] + 0.001)
        np.testing.assert_array_equal(s.raw_times("gaze"), ref["t"])
        np.testing.assert_array_equal(g.x_px, ref["data"][:, 0].astype(np.float64))
        assert np.isnan(g.x_px[10:20]).all()
        np.testing.assert_array_equal(g.right_pupil_mm, ref["data"][:, 7].astype(np.float64))
        assert g.validity is not None and g.validity.dtype == np.int64
        np.testing.assert_array_equal(g.validity, ref["data"][:, 8].astype(np.int64))
        m = s.markers()
        assert list(m.value) == ["touchpoint/home/start", "écran/ü"]
        np.testing.assert_array_equal(m.time_s, [100.5, 101.0])
        sc = s.scroll()
        assert sc is not None
        np.testing.assert_array_equal(sc.scroll_y_px, ref["scroll"][:, 1])
        np.testing.assert_array_equal(sc.viewport_y_px, ref["scroll"][:, 3])
        np.testing.assert_array_equal(s.clock_offsets("gaze"), [[100.0, 0.001], [105.0, 0.0011]])
        np.testing.assert_array_equal(s.gaps("gaze"), [[101.0, 101.2]])
        assert s.gaps("markers").shape == (0, 2)
        np.testing.assert_array_equal(s.channel("gaze", "left_x_px"), ref["data"][:, 2])
        assert s.h5["calibration"].attrs["method"] == "9-point"
        np.testing.assert_array_equal(s.h5["calibration/error_deg"][()], [0.5, 0.7])


def test_stream_attrs_keep_the_lsl_info(tmp_path: Path) -> None:
    path = tmp_path / "s.h5"
    write_session(path)
    with open_session(path) as s:
        a = s.stream_attrs("gaze")
    assert a["name"] == "sim Gaze"
    assert a["type"] == "Gaze"
    assert a["source_id"] == "sim-1"
    assert a["hostname"] == "lab-pc"
    assert a["nominal_srate"] == 1000.0
    assert a["channel_labels"] == list(GAZE_CHANNEL_LABELS)
    assert a["channel_units"] == [c[1] for c in GAZE_CHANNELS]
    assert a["channel_format"] == "float32"
    assert a["xml"] == "<info><name>sim Gaze</name></info>"
    assert a["manufacturer"] == "gazemap"


def test_schema_root_attributes_and_layout(tmp_path: Path) -> None:
    path = tmp_path / "s.h5"
    write_session(path)
    with h5py.File(path, "r") as f:
        for name in schema.ROOT_ATTRS:
            assert name in f.attrs, name
        assert f.attrs["format"] == FORMAT
        assert int(f.attrs["format_version"]) == FORMAT_VERSION
        g = f["streams/gaze"]
        for ds in (schema.TIME, schema.TIME_RAW, *GAZE_CHANNEL_LABELS):
            assert g[ds].dtype == (np.float64 if ds.startswith("time") else np.float32), ds
            assert g[ds].maxshape == (None,), ds
            assert g[ds].chunks is not None
        assert g[schema.CLOCK_OFFSETS].shape == (2, 2)
        assert f["streams/markers"][schema.MARKER_VALUE].dtype.kind == "O"
        for k in schema.SCREEN_ATTRS:
            assert k in f["screen"].attrs
        # created_utc is ISO 8601 with a timezone
        assert str(f.attrs["created_utc"]).endswith("+00:00")


def test_missing_optional_streams_read_as_empty(tmp_path: Path) -> None:
    path = tmp_path / "g.h5"
    with SessionWriter(path, screen=SCREEN) as w:
        w.add_stream("gaze", gaze_info())
    with open_session(path) as s:
        assert len(s.gaze()) == 0
        assert len(s.markers()) == 0
        assert s.scroll() is None


def test_float64_stream_and_compression(tmp_path: Path) -> None:
    path = tmp_path / "c.h5"
    info = StreamInfo("eeg", "EEG", ("c1", "c2"), channel_format="float64", nominal_srate=500)
    vals = np.arange(20, dtype=np.float64).reshape(10, 2) / 3
    with SessionWriter(path, compression="gzip") as w:
        w.add_stream("eeg", info)
        w.append("eeg", np.arange(10.0), vals)
    with open_session(path) as s:
        np.testing.assert_array_equal(s.channel("eeg", "c2"), vals[:, 1])
        assert s.h5["streams/eeg/c1"].compression == "gzip"
        assert s.h5["streams/eeg/c1"].dtype == np.float64


def test_open_for_update_allows_derived_groups(tmp_path: Path) -> None:
    path = tmp_path / "u.h5"
    write_session(path, n=100, blocks=1)
    with open_session(path, "r+") as s:
        s.h5.require_group("derived/ivt").attrs["threshold_deg_s"] = 30.0
    with open_session(path) as s:
        assert s.h5["derived/ivt"].attrs["threshold_deg_s"] == 30.0


def test_markers_merge_every_marker_stream(tmp_path: Path) -> None:
    path = tmp_path / "m.h5"
    with SessionWriter(path) as w:
        w.add_stream("markers", StreamInfo("p", "Markers", ("m",), channel_format="string"))
        w.add_stream("gazemap_mark", StreamInfo("g", "Markers", ("m",), channel_format="string"))
        w.add_stream("notes", StreamInfo("n", "Notes", ("m",), channel_format="string"))
        w.append("markers", np.array([1.0, 3.0]), ["screen/a", "screen/b"])
        w.append("gazemap_mark", np.array([2.0]), ["touchpoint/x/start"])
        w.append("notes", np.array([1.5]), ["not a marker stream"])
    with open_session(path) as s:
        m = s.markers()
        assert list(m.value) == ["screen/a", "touchpoint/x/start", "screen/b"]
        np.testing.assert_array_equal(m.time_s, [1.0, 2.0, 3.0])
        assert list(s.markers("gazemap_mark").value) == ["touchpoint/x/start"]
        assert list(s.markers("notes").value) == ["not a marker stream"]
        assert len(s.markers("absent")) == 0
