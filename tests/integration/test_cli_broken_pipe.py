"""A reader that stops reading (`gazemap info S.h5 | head -3`) is not an error: no traceback,
exit 0, and the command's files are untouched."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

from tests.conftest import gazemap_cmd

SAMPLE = Path(__file__).resolve().parents[2] / "recordings" / "sample"


@pytest.mark.parametrize(
    "args",
    [
        ["info", str(SAMPLE / "P01.h5")],
        ["analyze", "--help"],
        [],  # no command: the help
    ],
)
def test_output_to_a_closed_pipe_is_not_a_traceback(args: list[str]) -> None:
    before = hashlib.sha256((SAMPLE / "P01.h5").read_bytes()).hexdigest()
    p = subprocess.Popen([*gazemap_cmd(), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.stdout is not None and p.stderr is not None
    p.stdout.close()  # the reader is gone before the first line
    err = p.stderr.read().decode()
    rc = p.wait(timeout=60)
    assert "Traceback" not in err, err
    assert "BrokenPipeError" not in err, err
    assert rc in (0, 2), (rc, err)  # 2: no command given, as without the pipe
    assert hashlib.sha256((SAMPLE / "P01.h5").read_bytes()).hexdigest() == before
