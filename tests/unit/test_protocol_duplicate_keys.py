"""A key written twice in one YAML mapping (a threshold changed by adding a line, an id
pasted twice): YAML keeps the last value silently, so the threshold or id that won was not
the one the researcher read. Now each is a problem with both lines."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REPO

from gazemap.errors import ProtocolError
from gazemap.protocol import load_protocol

STORE = REPO / "protocols" / "online-store.yaml"


def _protocol(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "p.yaml"
    p.write_text(text, encoding="utf-8")
    (tmp_path / "online-store").symlink_to(STORE.parent / "online-store")
    return p


def test_a_threshold_given_twice_is_a_problem_with_both_lines(tmp_path: Path) -> None:
    text = STORE.read_text(encoding="utf-8")
    assert "  ttff_late_s: 5.0\n" in text
    p = _protocol(
        tmp_path,
        text.replace("  ttff_late_s: 5.0\n", "  ttff_late_s: 5.0\n  ttff_late_s: 50.0\n", 1),
    )
    with pytest.raises(ProtocolError) as ei:
        load_protocol(p)
    problems = ei.value.problems  # type: ignore[attr-defined]
    assert len(problems) == 1, problems
    line = text[: text.index("  ttff_late_s: 5.0")].count("\n") + 1
    assert problems[0] == (
        f"{p}: thresholds.ttff_late_s: key 'ttff_late_s' is given twice (lines {line} and "
        f"{line + 1}); YAML keeps only the last, so line {line} is ignored. Remove or rename one."
    )


def test_an_aoi_with_two_coords_lines_is_a_problem(tmp_path: Path) -> None:
    text = (
        "protocol: {id: p, name: P}\n"
        "stages:\n"
        "  - id: s\n"
        "    name: S\n"
        "    touchpoints:\n"
        "      - id: t\n"
        "        name: T\n"
        "        channel: site\n"
        "        screens:\n"
        "          - id: sc\n"
        "            name: Sc\n"
        "            page: {width_px: 1440, height_px: 900}\n"
        "            viewport: {width_px: 1440, height_px: 900}\n"
        "            aois:\n"
        "              - id: a\n"
        "                name: A\n"
        "                role: cta\n"
        "                shape: rect\n"
        "                coords: [0, 0, 100, 50]\n"
        "                coords: [900, 700, 100, 50]\n"
    )
    p = tmp_path / "p.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(ProtocolError) as ei:
        load_protocol(p)
    problems = ei.value.problems  # type: ignore[attr-defined]
    assert any(
        "aois[0].coords: key 'coords' is given twice (lines 19 and 20)" in x for x in problems
    ), problems


def test_the_shipped_protocols_have_no_repeated_key() -> None:
    for name in ("online-store.yaml", "bank-loan.yaml"):
        load_protocol(REPO / "protocols" / name)
