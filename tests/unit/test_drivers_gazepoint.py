"""Open Gaze API parsing and conversion (no sockets, no LSL)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gazemap.drivers._common import ClockMapper, StopCondition, binocular_mean
from gazemap.drivers.gazepoint import OpenGazeParser, record_to_row
from gazemap.errors import DeviceError
from gazemap.types import GAZE_CHANNEL_LABELS, ScreenGeometry, Validity

SCREEN = ScreenGeometry(1920, 1080, 531.0, 299.0, 650.0)
REC = b'<REC TIME="1.5" TIME_TICK="15000000" CNT="7" FPOGX="0.25" FPOGY="0.5" FPOGV="1" LPOGX="0.24" LPOGY="0.5" LPOGV="1" RPOGX="0.26" RPOGY="0.5" RPOGV="1" LPMM="3.5" LPMMV="1" RPMM="3.7" RPMMV="1" />\r\n'


def col(row: list[float], name: str) -> float:
    return row[GAZE_CHANNEL_LABELS.index(name)]


def test_parser_joins_records_split_across_reads() -> None:
    p = OpenGazeParser("test")
    assert p.feed(REC[:30]) == []
    msgs = p.feed(REC[30:] + REC[:10])
    assert [m[0] for m in msgs] == ["REC"]
    assert msgs[0][1]["CNT"] == "7"
    msgs = p.feed(REC[10:])
    assert len(msgs) == 1 and msgs[0][1]["FPOGX"] == "0.25"


@given(cuts=st.lists(st.integers(min_value=0, max_value=3 * len(REC)), max_size=8))
@settings(max_examples=60, deadline=None)
def test_parser_any_split_gives_the_same_records(cuts: list[int]) -> None:
    data = REC * 3
    bounds = sorted({0, len(data), *cuts})
    p = OpenGazeParser("test")
    out = []
    for a, b in zip(bounds, bounds[1:], strict=False):
        out += p.feed(data[a:b])
    assert len(out) == 3
    assert all(m[1]["TIME_TICK"] == "15000000" for m in out)


def test_parser_keeps_unknown_fields_and_ignores_them_in_conversion() -> None:
    p = OpenGazeParser("test")
    ((tag, rec),) = p.feed(REC.replace(b"<REC ", b'<REC GSR="0.4" FOO_BAR="x y" '))
    assert rec["GSR"] == "0.4"
    row = record_to_row(rec, SCREEN)
    assert col(row, "x_px") == pytest.approx(0.25 * 1920)


def test_parser_rejects_garbage_before_any_tag() -> None:
    p = OpenGazeParser("Open Gaze API at 127.0.0.1:1")
    with pytest.raises(DeviceError, match="not Open Gaze API XML"):
        p.feed(b"HTTP/1.1 400 Bad Request\r\n\r\n")


def test_parser_counts_garbage_after_valid_tags() -> None:
    p = OpenGazeParser("test")
    p.feed(REC)
    msgs = p.feed(b"noise\r\n" + REC)
    assert len(msgs) == 1 and p.garbage_bytes == len(b"noise")


def test_parser_rejects_endless_unterminated_tag() -> None:
    p = OpenGazeParser("test")
    p.feed(REC)
    with pytest.raises(DeviceError, match="without a complete Open Gaze tag"):
        p.feed(b"<REC " + b"A" * 70000)


def test_record_to_row_converts_units() -> None:
    ((_, rec),) = OpenGazeParser("t").feed(REC)
    row = record_to_row(rec, SCREEN)
    assert len(row) == len(GAZE_CHANNEL_LABELS)
    assert col(row, "x_px") == pytest.approx(480.0)
    assert col(row, "y_px") == pytest.approx(540.0)
    assert col(row, "left_x_px") == pytest.approx(0.24 * 1920)
    assert col(row, "right_x_px") == pytest.approx(0.26 * 1920)
    assert col(row, "left_pupil_mm") == pytest.approx(3.5)
    assert col(row, "right_pupil_mm") == pytest.approx(3.7)
    assert col(row, "validity") == 0


def test_record_to_row_prefers_best_pog_over_fixation_pog() -> None:
    rec = {
        "FPOGX": "0.1",
        "FPOGY": "0.1",
        "FPOGV": "1",
        "BPOGX": "0.9",
        "BPOGY": "0.2",
        "BPOGV": "1",
    }
    row = record_to_row(rec, SCREEN)
    assert col(row, "x_px") == pytest.approx(0.9 * 1920)


def test_record_to_row_validity_flags() -> None:
    rec = {
        "FPOGX": "0.5",
        "FPOGY": "0.5",
        "FPOGV": "1",
        "LPOGX": "0.5",
        "LPOGY": "0.5",
        "LPOGV": "1",
        "RPOGX": "0",
        "RPOGY": "0",
        "RPOGV": "0",
        "RPMM": "0",
        "RPMMV": "0",
    }
    row = record_to_row(rec, SCREEN)
    assert int(col(row, "validity")) == Validity.RIGHT_INVALID
    assert math.isnan(col(row, "right_x_px")) and math.isnan(col(row, "right_pupil_mm"))
    rec = {"FPOGX": "1.3", "FPOGY": "0.5", "FPOGV": "1"}
    assert int(col(record_to_row(rec, SCREEN), "validity")) == Validity.OFF_SCREEN
    rec = {"FPOGX": "0.5", "FPOGY": "0.5", "FPOGV": "0"}
    row = record_to_row(rec, SCREEN)
    assert math.isnan(col(row, "x_px"))
    assert int(col(row, "validity")) == Validity.LEFT_INVALID | Validity.RIGHT_INVALID
    rec = {"FPOGX": "nan-ish", "FPOGY": "0.5", "FPOGV": "1"}
    assert math.isnan(col(record_to_row(rec, SCREEN), "x_px"))


def test_clock_mapper_takes_the_fastest_sample_and_follows_drift() -> None:
    c = ClockMapper(window_s=1.0)
    with pytest.raises(DeviceError):
        c.to_lsl(0.0)
    c.update(10.0, 110.003)
    c.update(10.1, 110.1005)
    assert c.offset_s == pytest.approx(100.0005)
    assert c.to_lsl(11.0) == pytest.approx(111.0005)
    # after a window the older minimum is forgotten: a clock that jumped by +0.1 s is followed
    for k in range(30):
        c.update(11.0 + k * 0.1, 111.1 + k * 0.1 + 0.002)
    assert c.offset_s == pytest.approx(100.102)


def test_stop_condition() -> None:
    assert StopCondition(max_samples=3).done(3)
    assert not StopCondition(max_samples=3).done(2)
    assert StopCondition(should_stop=lambda: True).done(0)
    assert StopCondition(duration_s=0.0).done(0)


def test_binocular_mean() -> None:
    assert binocular_mean(1.0, 3.0) == 2.0
    assert binocular_mean(math.nan, 3.0) == 3.0
    assert math.isnan(binocular_mean(math.nan, math.nan))
