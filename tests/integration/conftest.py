"""Fixtures shared by the integration tests.

``report_browser``: Debian's Chromium (/usr/bin/chromium), headless, driven by Playwright
through ``executable_path`` - never a downloaded browser build. A test module may set
``BROWSER_ARGS`` (a list of command-line switches) to launch it differently; the default is
:data:`LAUNCH_ARGS`. Tests that use it are skipped, with the reason, before any of their other
fixtures run when Chromium or Playwright for Python is missing.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gazemap.presenter.browser import CHROMIUM_ARGS

CHROMIUM = Path("/usr/bin/chromium")
#: the report tests' default switches: the presenter's (no sandbox for CI containers, nothing
#: that phones home), headless
LAUNCH_ARGS = ["--headless", *CHROMIUM_ARGS]
SAMPLE = Path(__file__).resolve().parents[2] / "recordings" / "sample"


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return (
            "Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium); "
            "the browser tests never download a browser build"
        )
    if importlib.util.find_spec("playwright") is None:
        return "playwright for Python is needed"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    why = _missing()
    if why is None:
        return
    for item in items:
        if "report_browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.skip(reason=why))


@pytest.fixture(scope="module")
def report_browser(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A headless Chromium for the module, launched with its ``BROWSER_ARGS``."""
    why = _missing()
    if why is not None:
        pytest.skip(why)
    from playwright import sync_api

    args = list(getattr(request.module, "BROWSER_ARGS", LAUNCH_ARGS))
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=args)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def sample_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report folder of ``gazemap analyze`` on a copy of the shipped sample, made once per
    test run for the tests that only read it (analyze caches detections inside the session
    files: a copy, not the repo's)."""
    import shutil
    import subprocess

    from conftest import gazemap_cmd

    if not any(SAMPLE.glob("*.h5")):
        pytest.skip("recordings/sample has no sessions")
    tmp = tmp_path_factory.mktemp("sample_report")
    study = tmp / "sample"
    study.mkdir()
    for f in [*SAMPLE.glob("*.h5"), SAMPLE / "study.yaml"]:
        shutil.copy2(f, study / f.name)
    protocol = (SAMPLE / ".." / ".." / "protocols" / "online-store.yaml").resolve()
    out = tmp / "report"
    r = subprocess.run(
        [*gazemap_cmd(), "analyze", str(study), "--protocol", str(protocol)]
        + ["--out", str(out), "--quiet"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr
    return out
