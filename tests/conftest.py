"""Shared fixtures."""

from __future__ import annotations

import os
import shutil
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
LUND = SHARED / "data" / "lund2013"
SAMPLE = REPO / "recordings" / "sample"


def gazemap_cmd() -> list[str]:
    """The real installed ``gazemap`` command (falls back to ``python -m gazemap``)."""
    exe = shutil.which(
        "gazemap", path=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
    )
    return [exe] if exe else [sys.executable, "-m", "gazemap"]


@pytest.fixture
def unique_id() -> str:
    """A unique LSL source id so parallel tests never see each other's streams."""
    return f"gazemap-test-{uuid.uuid4().hex[:12]}"


def wait_for(cond: Callable[[], object], timeout: float = 20.0, what: str = "") -> object:
    """Poll ``cond`` until it returns something truthy (returned); fail after ``timeout`` s.

    Tests synchronise on conditions with this, never on fixed sleeps.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
