"""A touchpoint page's participants table at 1280 px with the session ids `gazemap record`
writes (32-character UUID hex): every column in view, none behind a sideways scroll.

Debian's Chromium, headless, through Playwright's ``executable_path`` (no browser download).
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path
from typing import Any

import pytest
from integration.browser_pages import open_page, scroll_box
from unit.test_report_fixture import build_analysis

from gazemap.report import write_report

pytestmark = pytest.mark.integration

#: launched with just these switches (tests/integration/conftest.py: report_browser)
BROWSER_ARGS = ["--headless", "--no-sandbox"]


@pytest.fixture(scope="module")
def checkout_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out, protocol = build_analysis(tmp_path_factory.mktemp("sid"))
    # recorded sessions are named by a UUID (hex), not 'P01-s1' as in the fixture
    for name in ("touchpoints.csv", "metrics.csv", "fixations.csv"):
        path = out / name
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        for r in rows:
            r["session_id"] = hashlib.md5(r["participant"].encode()).hexdigest()
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    write_report(out, protocol)
    return out / "touchpoints" / "checkout" / "index.html"


@pytest.fixture(scope="module")
def browser(report_browser: Any) -> Any:
    return report_browser


def test_participants_table_with_uuid_session_ids_fits_1280_px(
    checkout_page: Path, browser: Any
) -> None:
    # the 32-character id kept the table wider than the page: 'Time to success, s' was cut
    # off behind a sideways scroll with no hint that it was there
    context, page = open_page(browser, checkout_page, 1280)
    try:
        table = page.locator("#quality-table")
        ids = [t.replace("\n", "") for t in table.locator("td.c-session").all_inner_texts()]
        assert hashlib.md5(b"P01").hexdigest() in ids  # the whole id is shown (wrapped)
        assert "Time to success" in table.locator("thead").inner_text()
        box = scroll_box(page, "#quality-table")
        assert box[0] <= box[1], box
    finally:
        context.close()
