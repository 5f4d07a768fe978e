"""A screen's URL that answers HTTP 404 is not that screen.

Found by presenting protocols/bank-loan.yaml against the demo shop (which has no /bank/
pages): every 404 page matched its screen's url, was marked `screen/<id>`, listed under
"screens shown" (the first one without any problem), and would have been captured as the
screen's screenshot. Now a page that answers >= 400 is `screen/unknown <url>` with one
`error/http` problem per URL, is never captured, and autoplay does not wait for it.
Real headless Chromium, the real `gazemap present` command, LSL over loopback.
"""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import pytest
from integration.present_helpers import CHROMIUM, ONLINE_STORE, run_present

from gazemap.presenter.server import DEMO_SITE

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not CHROMIUM.is_file(), reason="needs Debian's chromium at /usr/bin/chromium"
    ),
]


def test_a_missing_page_is_not_its_screen(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(DEMO_SITE, site, ignore=shutil.ignore_patterns("screenshots"))
    (site / "product.html").unlink()
    shots = tmp_path / "shots"
    sid = f"gazemap-test-http-{uuid.uuid4().hex[:10]}"
    run = run_present(
        [
            str(ONLINE_STORE),
            "--participant",
            "P404",
            "--headless",
            "--autoplay",
            "--site",
            str(site),
            "--screenshots",
            str(shots),
            "--screen-timeout-s",
            "3",
        ],
        sid,
    )
    assert run.returncode == 2, run.stderr
    errors = run.values("error/")
    assert len(errors) == 1, errors
    assert errors[0].startswith("error/http page http://127.0.0.1:")
    assert "/product.html answered HTTP 404, so it is not screen 'product'" in errors[0]
    assert "screen/product" not in run.values("screen/")
    unknown = [v for v in run.values("screen/unknown ") if v.endswith("/product.html")]
    assert unknown, run.values("screen/")
    # the journey goes on after the broken page
    assert "screen/cart" in run.values("screen/") and "screen/order-email" in run.values("screen/")
    summary = run.stdout.strip().splitlines()[-1]
    assert "never shown: product" in summary
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("gazemap present: error: 1 problem: page ")
    manifest = json.loads((shots / "screenshots.json").read_text())
    assert "product" not in manifest["screens"] and "cart" in manifest["screens"]
    assert not (shots / "product.png").exists()
