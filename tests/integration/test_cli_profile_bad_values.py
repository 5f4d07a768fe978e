"""Device profiles (devices/*.yaml) with values a typo makes: `gazemap stream lsl-relay` gave
a ValueError traceback for a text sample_rate_hz and OverflowError/ValueError/TypeError
tracebacks for a screen width of .inf, .nan or 1e308; each is one line naming the field."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import REPO, gazemap_cmd

pytestmark = pytest.mark.integration
PROFILE = REPO / "devices" / "app_tobiipro_lsl.yaml"


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        (
            "sample_rate_hz: 600",
            "sample_rate_hz: fast",
            "sample_rate_hz must be the tracker's rate",
        ),
        ("sample_rate_hz: 600", "sample_rate_hz: [600]", "got [600]"),
        (
            "  width_px: 1920",
            "  width_px: .inf",
            "screen width_px must be a finite number > 0 and <= 100000, got inf",
        ),
        (
            "  width_px: 1920",
            "  width_px: .nan",
            "screen width_px must be a finite number > 0 and <= 100000, got nan",
        ),
        (
            "  width_px: 1920",
            "  width_px: 1.0e+308",
            "screen width_px must be a finite number > 0 and <= 100000",
        ),
        (
            "  distance_mm: 650",
            "  distance_mm: -650",
            "screen distance_mm must be a finite number > 0",
        ),
    ],
)
def test_bad_profile_value_is_one_line(tmp_path: Path, old: str, new: str, words: str) -> None:
    text = PROFILE.read_text(encoding="utf-8")
    assert old in text
    p = tmp_path / "profile.yaml"
    p.write_text(text.replace(old, new, 1), encoding="utf-8")
    res = subprocess.run(
        [*gazemap_cmd(), "stream", "lsl-relay", "--profile", str(p)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert "Traceback" not in res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gazemap stream: error: "), res.stderr
    assert words in lines[0]
    assert "profile" in lines[0]
