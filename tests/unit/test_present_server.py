"""gazemap.presenter.server: the local site server (real HTTP over loopback)."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest

from gazemap.errors import InputError
from gazemap.presenter.browser import png_size
from gazemap.presenter.server import DEMO_SITE, SiteServer, is_local_url


def test_serves_the_demo_site_on_loopback() -> None:
    with SiteServer(DEMO_SITE) as srv:
        assert srv.base_url.startswith("http://127.0.0.1:") and srv.port > 0
        with urllib.request.urlopen(srv.base_url + "/product.html", timeout=5) as r:
            body = r.read().decode()
            assert r.headers["Cache-Control"] == "no-store"
        assert 'id="add-to-cart"' in body
        with urllib.request.urlopen(srv.base_url + "/", timeout=5) as r:
            assert 'id="search-box"' in r.read().decode()


def test_site_must_be_a_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"--site must be a directory.*not a directory"):
        SiteServer(tmp_path / "missing")


@pytest.mark.parametrize(
    ("url", "local"),
    [
        (None, True),
        ("", True),
        ("http://localhost:8000", True),
        ("http://127.0.0.1/x", True),
        ("https://shop.example", False),
    ],
)
def test_is_local_url(url: str | None, local: bool) -> None:
    assert is_local_url(url) is local


def test_png_size(tmp_path: Path) -> None:
    import cv2
    import numpy as np

    p = tmp_path / "a.png"
    cv2.imwrite(str(p), np.zeros((37, 51, 3), np.uint8))
    assert png_size(p) == (51, 37)
    bad = tmp_path / "b.png"
    bad.write_bytes(b"not a png at all, really not")
    with pytest.raises(InputError, match="not a PNG"):
        png_size(bad)
