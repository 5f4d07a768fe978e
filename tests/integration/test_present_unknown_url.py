"""The participant follows a link off the site to a page that does not load (a host that
refuses, a port the browser blocks): Chromium shows its own error page,
``chrome-error://chromewebdata/``. The presenter named that error page in its message and
in the ``screen/unknown`` marker, so nobody could tell where the participant went; it now
names the page that failed and why, and the journey goes on when they come back.

Real Chromium (headless) through the Presenter, real LSL on loopback; only 127.0.0.1.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator

import pylsl
import pytest
from conftest import wait_for
from integration.present_helpers import CHROMIUM, ONLINE_STORE

from gazemap.acquisition.lsl import make_marker_outlet, make_scroll_outlet
from gazemap.presenter.browser import Presenter
from gazemap.presenter.server import DEMO_SITE, SiteServer
from gazemap.protocol import load_protocol

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]


def _closed_port() -> int:
    """A loopback port nobody listens on (connection refused)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = int(s.getsockname()[1])
    s.close()
    return port


@pytest.fixture
def presenter() -> Iterator[tuple[Presenter, pylsl.StreamInlet, list[str]]]:
    sid = f"gazemap-test-unknown-{uuid.uuid4().hex[:12]}"
    server = SiteServer(DEMO_SITE)
    m_out = make_marker_outlet("gazemap-present-markers", f"{sid}-markers")
    s_out = make_scroll_outlet("gazemap-present-scroll", f"{sid}-scroll")
    found = pylsl.resolve_byprop("source_id", f"{sid}-markers", 1, 10.0)
    assert found
    inlet = pylsl.StreamInlet(found[0], max_buflen=60)
    inlet.open_stream(10)
    assert m_out.wait_for_consumers(10)
    logs: list[str] = []
    pres = Presenter(
        load_protocol(ONLINE_STORE), server.base_url, "P06", m_out, s_out, 1440, 900,
        headless=True, log=logs.append,
    )  # fmt: skip
    try:
        pres.start()
        yield pres, inlet, logs
    finally:
        pres.close()
        inlet.close_stream()
        server.close()


def test_a_page_that_does_not_load_is_named_in_the_marker(
    presenter: tuple[Presenter, pylsl.StreamInlet, list[str]],
) -> None:
    pres, inlet, logs = presenter
    pres.goto(pres.url_of("/index.html"))
    assert pres.wait_for_screen("home", 15)
    off_site = f"http://127.0.0.1:{_closed_port()}/offers.html"
    pres.page.evaluate(f"location.href = {off_site!r}")  # the participant clicks a link
    assert pres.wait_for(lambda: any(off_site in ln for ln in logs), 15), logs
    line = next(ln for ln in logs if off_site in ln)
    assert "could not be opened (net::ERR_CONNECTION_REFUSED" in line, line
    assert "chrome-error" not in line
    pres.goto(pres.url_of("/index.html"))  # back on the site: the journey goes on
    assert pres.wait_for_screen("home", 15)
    received: list[str] = []

    def drain() -> list[str]:
        chunk, _ = inlet.pull_chunk(timeout=0.2)
        received.extend(str(c[0]) for c in chunk)
        return received

    wait_for(lambda: drain().count("screen/home") >= 2, 10, "screen/home again over LSL")
    unknown = [v for v in received if v.startswith("screen/unknown")]
    assert unknown == [f"screen/unknown {off_site}"], unknown
