"""A session without a Scroll stream (every import from a tracker's software: EyeLink,
Tobii, Pupil exports) on a protocol with scrolling pages: fixations are mapped as if the page
never moved, so the CTA below the first view read 'never fixated' and the banner at the top
collected the fixations of the content scrolled under it, silently. Now a note (and a CLI
warning) names the screens and the AOIs that cannot be hit."""

from __future__ import annotations

import shutil
from pathlib import Path

import h5py
from conftest import REPO

from gazemap.batch import _no_scroll_note, analyze_session
from gazemap.journey import segment_touchpoints
from gazemap.protocol import load_protocol

SAMPLE = REPO / "recordings" / "sample" / "P01.h5"
PROTOCOL = load_protocol(REPO / "protocols" / "online-store.yaml")


def _without_scroll(tmp_path: Path) -> Path:
    p = tmp_path / "P01.h5"
    shutil.copy(SAMPLE, p)
    with h5py.File(p, "r+") as f:
        del f["streams/scroll"]
    return p


def test_session_without_scroll_on_scrolling_pages_gets_a_note(tmp_path: Path) -> None:
    res = analyze_session(_without_scroll(tmp_path), PROTOCOL, write_cache=False)
    assert res.ok
    assert res.scroll_warning is not None
    assert res.scroll_warning in res.notes
    # the home page is 2600 px tall in a 900 px viewport; the footer starts at y 2300
    assert "'home' (1440x2600 px page in a 1440x900 px viewport)" in res.scroll_warning
    assert "footer" in res.scroll_warning
    # a sticky AOI is always in view: never listed as out of reach
    assert "header" not in res.scroll_warning.split("cannot be fixated")[0]


def test_session_with_scroll_gets_no_note(tmp_path: Path) -> None:
    p = tmp_path / "P01.h5"
    shutil.copy(SAMPLE, p)
    res = analyze_session(p, PROTOCOL, write_cache=False)
    assert res.ok
    assert res.scroll_warning is None
    assert not any("no Scroll stream" in n for n in res.notes)


def test_no_note_when_visited_screens_fit_their_viewport() -> None:
    from gazemap.store import open_session

    with open_session(SAMPLE) as s:
        markers = s.markers()
    seg = segment_touchpoints(markers, PROTOCOL)
    assert _no_scroll_note(seg.visits, PROTOCOL)  # the sample's pages scroll
    # only the visits of screens that fit their viewport
    fitting = [
        v
        for v in seg.visits
        if all(
            PROTOCOL.screens[s.screen_id].page_height_px
            <= PROTOCOL.screens[s.screen_id].viewport_height_px
            for s in v.screens
            if s.screen_id is not None
        )
    ]
    assert _no_scroll_note(fitting, PROTOCOL) == ""
