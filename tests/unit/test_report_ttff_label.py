"""The AOI table of a touchpoint's screen says that TTFF counts from the touchpoint's start,
and on a later screen of a multi-screen touchpoint that this includes the earlier screens.

On a two-step checkout the payment screen's table read "Pay now: TTFF 13.9 s" while the
findings beside it said the button was first fixated 8.7 s after its screen was shown: the
table's number includes the time on the address form, and nothing said so.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from unit.test_report_fixture import build_analysis

from gazemap.report import write_report


@pytest.fixture(scope="module")
def search_page(tmp_path_factory: pytest.TempPathFactory) -> str:
    out, protocol = build_analysis(tmp_path_factory.mktemp("rep_ttff"))
    write_report(out, protocol)
    return (Path(out) / "touchpoints/search/index.html").read_text()  # screens results, results2


def _section(html: str, screen_id: str) -> str:
    m = re.search(
        rf'<section class="card screen" id="screen-{screen_id}">.*?</section>', html, re.S
    )
    assert m, screen_id
    return m.group(0)


def test_later_screen_notes_that_ttff_includes_earlier_screens(search_page: str) -> None:
    first, second = _section(search_page, "results"), _section(search_page, "results2")
    for sec in (first, second):
        assert 'TTFF, s <span class="muted">from the touchpoint start;' in sec
    assert 'class="muted ttff-note"' not in first
    note = re.search(r'<p class="muted ttff-note"[^>]*>(.*?)</p>', second, re.S)
    assert note and "includes the time on the earlier screens" in note.group(1)
    assert "from when its screen was first shown" in note.group(1)
