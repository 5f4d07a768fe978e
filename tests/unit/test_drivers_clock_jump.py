"""ClockMapper follows a tracker clock that jumps and says by how much."""

from __future__ import annotations

import pytest

from gazemap.drivers._common import ClockMapper


def _feed(c: ClockMapper, device0: float, local0: float, n: int, delay_s: float = 0.001):
    jumps = []
    for k in range(n):
        j = c.update(device0 + k * 0.01, local0 + k * 0.01 + delay_s)
        if j is not None:
            jumps.append(j)
    return jumps


def test_jump_back_restarts_the_offset_at_once() -> None:
    c = ClockMapper(window_s=10.0)
    assert _feed(c, 100.0, 1000.0, 100) == []
    assert c.offset_s == pytest.approx(900.001)
    # the tracker clock is set back 30 s; 1 s later (local) it reads 71.0
    jumps = _feed(c, 71.0, 1001.0, 50)
    assert len(jumps) == 1 and jumps[0] == pytest.approx(-30.0, abs=1e-6)
    # the very next sample is mapped to the local time it was taken (not 30 s early)
    assert c.to_lsl(71.5) == pytest.approx(1001.501)


def test_jump_forward_is_reported_and_followed() -> None:
    c = ClockMapper(window_s=10.0)
    _feed(c, 100.0, 1000.0, 100)
    jumps = _feed(c, 131.0, 1001.0, 50)
    assert len(jumps) == 1 and jumps[0] == pytest.approx(30.0, abs=1e-6)
    assert c.to_lsl(131.5) == pytest.approx(1001.501)


def test_transport_jitter_and_a_late_burst_are_no_jump() -> None:
    c = ClockMapper(window_s=10.0)
    _feed(c, 100.0, 1000.0, 100)
    # a driver stalled for 2 s reads the buffered samples late: local - device grows, the
    # device clock does not go back, so nothing is reported and the offset stays
    late = [c.update(101.0 + k * 0.01, 1003.0 + k * 0.0001) for k in range(200)]
    assert all(j is None for j in late)
    assert c.offset_s == pytest.approx(900.001)


def test_gazepoint_rate_check_warns_once_when_the_profile_rate_is_wrong() -> None:
    from gazemap.drivers.gazepoint import RateCheck

    check = RateCheck(60.0, window=300)
    said = [check.add(k / 150.0) for k in range(600)]
    warnings = [s for s in said if s]
    assert len(warnings) == 1 and "sends 150 Hz but the stream says 60 Hz" in warnings[0]
    assert "gazepoint_gp3hd.yaml" in warnings[0]
    ok = RateCheck(150.0, window=300)
    assert not any(ok.add(k / 150.0 + 0.0005 * (k % 3)) for k in range(600))
