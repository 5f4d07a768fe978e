"""Report pages opened in the module's headless Chromium at a given window width, and the
measurements the layout tests make on them.

    from integration.browser_pages import open_page, scroll_box
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def open_page(browser: Any, page_path: Path, width_px: int) -> tuple[Any, Any]:
    """A new context ``width_px`` x 900 with ``page_path`` loaded: (context, page); close the
    context when done."""
    context = browser.new_context(viewport={"width": width_px, "height": 900})
    page = context.new_page()
    page.goto(page_path.as_uri())
    page.wait_for_load_state("load")
    return context, page


def scroll_box(page: Any, selector: str = "#evidence-table") -> list[int]:
    """[scrollWidth, clientWidth] of the box around ``selector``: the first larger means the
    box scrolls sideways."""
    return list(
        page.locator(selector).evaluate(
            "t => [t.parentElement.scrollWidth, t.parentElement.clientWidth]"
        )
    )
