"""Shared fixtures."""

from __future__ import annotations

import os
import shutil
import sys
import uuid
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
