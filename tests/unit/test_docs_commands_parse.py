"""Every `gazemap ...` line in the ```bash blocks of README.md and docs/*.md parses.

The real argument parser of the `gazemap` command reads each documented command line
(continuation lines joined, comments and a trailing `&` dropped); an option that was
renamed or misspelt in the docs fails here. Lines with placeholders (`[--x]`, `…`) are
syntax summaries, not commands, and are skipped; the test checks that most lines are real.
"""

from __future__ import annotations

import contextlib
import io
import shlex

import pytest
from conftest import REPO

from gazemap.cli import build_parser


def documented_commands() -> list[tuple[str, str]]:
    out = []
    for f in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        in_bash, buf = False, ""
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.startswith("```"):
                in_bash, buf = (not in_bash) and line.strip() in ("```bash", "```sh"), ""
                continue
            if not in_bash:
                continue
            line = f"{buf} {line.strip()}" if buf else line
            if line.rstrip().endswith("\\"):
                buf = line.rstrip()[:-1]
                continue
            buf = ""
            code = line.split(" #")[0].strip().rstrip("&").strip()
            if code.startswith("gazemap ") and "[" not in code and "…" not in code:
                out.append((f.name, code))
    return out


COMMANDS = documented_commands()


def test_the_docs_have_commands() -> None:
    assert len(COMMANDS) >= 40
    assert {name for name, _ in COMMANDS} >= {"README.md", "recording.md", "presenter.md"}


@pytest.mark.parametrize(("doc", "command"), COMMANDS, ids=[f"{d}:{c[:60]}" for d, c in COMMANDS])
def test_documented_command_parses(doc: str, command: str) -> None:
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            args = build_parser().parse_args(shlex.split(command)[1:])
    except SystemExit:
        pytest.fail(f"{doc}: `{command}` does not parse: {err.getvalue().strip()}")
    assert callable(args.func)
