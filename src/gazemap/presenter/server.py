"""A local static HTTP server for the tested site (the demo shop by default), on 127.0.0.1.

Binds to loopback only, on a free port chosen by the OS, and serves one directory in a
background thread. Used by ``gazemap present`` when the protocol's ``base_url`` is absent or
local, so the browser always talks to a server this process owns.
"""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from gazemap.errors import InputError

#: the demo shop shipped with the repository (static HTML/CSS built from online-store.yaml)
DEMO_SITE = Path(__file__).resolve().parents[3] / "demo-site"

LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "0.0.0.0", "")


def is_local_url(url: str | None) -> bool:
    """True for no URL or an http(s) URL on this machine (then the site is served here)."""
    if not url:
        return True
    host = urlsplit(url).hostname or ""
    return host in LOCAL_HOSTS


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        return None

    def end_headers(self) -> None:
        # Every visit must reach the server: cached pages would hide navigations.
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


class SiteServer:
    """Serve ``site_dir`` on http://127.0.0.1:<free port>/ until ``close()``.

    Parameters
    ----------
    site_dir : directory with the site's files (index.html at its root).

    Raises
    ------
    InputError
        ``site_dir`` is not a directory.
    """

    def __init__(self, site_dir: str | Path) -> None:
        self.site_dir = Path(site_dir)
        if not self.site_dir.is_dir():
            raise InputError(
                f"--site must be a directory with the site's HTML files, got '{site_dir}' "
                f"(not a directory). Point it at a folder such as {DEMO_SITE}."
            )
        handler = functools.partial(_QuietHandler, directory=str(self.site_dir))
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self.port = int(self._httpd.server_address[1])
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="gazemap-site", daemon=True
        )
        self._thread.start()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> SiteServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
