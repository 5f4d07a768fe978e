"""The alt text of a heatmap is worked out once per screen and used by both the touchpoint
page and the journey map's thumbnail (it was computed again for every touchpoint's first
heatmap when the journey map was written)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from unit.test_report_fixture import build_analysis

from gazemap.report import html as report_html
from gazemap.report import write_report


def test_picture_alt_once_per_screen_and_the_same_on_both_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, protocol = build_analysis(tmp_path)
    calls: Counter[tuple[str, str]] = Counter()
    real = report_html.picture_alt

    def counting(images: Any, summary: Any) -> str:
        calls[(str(summary.get("id") or ""), images.screen.id)] += 1
        return real(images, summary)

    monkeypatch.setattr(report_html, "picture_alt", counting)
    write_report(out, protocol, gaze_plots=False)
    n_screens = sum(len(tp.screens) for tp in protocol.touchpoints)
    assert sum(calls.values()) == n_screens, calls
    assert set(calls.values()) == {1}
    index = (out / "index.html").read_text()
    for tp in protocol.touchpoints:
        page = (out / "touchpoints" / tp.id / "index.html").read_text()
        first = re.search(r'<img class="full heatmap"[^>]* alt="Heatmap: ([^"]*)"', page)
        assert first, tp.id
        thumb = re.search(
            rf'<a href="touchpoints/{re.escape(tp.id)}/index.html"><img class="thumb"[^>]* '
            r'alt="Heatmap of [^:]*: ([^"]*)"',
            index,
        )
        assert thumb and thumb.group(1) == first.group(1), tp.id
