"""Bad input to ``gazemap present``: each gives one clear line, exit 2, and what happened is kept."""

from __future__ import annotations

import json
import socket
import subprocess
import uuid
from pathlib import Path

import pytest
from conftest import gazemap_cmd
from integration.present_helpers import CHROMIUM, protocol_copy, run_present, screen_doc

pytestmark = [pytest.mark.integration]
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.is_file(), reason="needs Debian's chromium at /usr/bin/chromium"
)


def _sid() -> str:
    return f"gazemap-test-present-{uuid.uuid4().hex[:10]}"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _error_lines(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines() if ln.startswith("gazemap present: error:")]


@needs_chromium
def test_unreachable_url(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    run = run_present(
        [
            str(protocol_copy(tmp_path)),
            "--participant",
            "P01",
            "--headless",
            "--autoplay",
            "--base-url",
            url,
        ],
        _sid(),
    )
    assert run.returncode == 2
    (line,) = _error_lines(run.stderr)
    assert f"could not open {url}/index.html" in line and "ERR_CONNECTION_REFUSED" in line
    assert "--base-url" in line and "Traceback" not in run.stderr
    # the session keeps what happened
    assert any(v.startswith(f"error/unreachable {url}/index.html") for v in run.values("error/"))
    assert not run.values("screen/home")


@needs_chromium
def test_screen_that_never_matches_and_absent_selector(tmp_path: Path) -> None:
    def edit(doc: dict) -> None:
        screen_doc(doc, "product")["url"] = "re:/item/[0-9]+\\.html"  # the site has /product.html
        cart = screen_doc(doc, "cart")
        cart["aois"][1]["selector"] = "#no-such-element"  # cart-item
        cart["aois"][6]["selector"] = "#checkout-button"  # present: resolved, no problem
        screen_doc(doc, "confirmation")["selector"] = "#never-rendered"

    proto = protocol_copy(tmp_path, edit)
    run = run_present(
        [
            str(proto),
            "--participant",
            "P02",
            "--headless",
            "--autoplay",
            "--screen-timeout-s",
            "2",
            "--screenshots",
            str(tmp_path / "shots"),
        ],
        _sid(),
    )
    assert run.returncode == 2, run.stderr
    (line,) = _error_lines(run.stderr)
    assert line.startswith("gazemap present: error: 3 problems:")
    assert "screen 'product' (url 're:/item/[0-9]+\\.html') was not shown within 2 s" in line
    assert "matches no screen" in line and str(proto) in line
    assert (
        "AOI 'cart-item' of screen 'cart': selector '#no-such-element' matched no element" in line
    )
    assert "checkout-button" not in line
    assert (
        "screen 'confirmation' (url '/confirmation.html', selector '#never-rendered') was not shown"
        in line
    )
    # the session still records what happened, in order
    screens = run.values("screen/")
    assert screens[:2] == ["screen/home", "screen/search"]
    assert any(v.startswith("screen/unknown ") and v.endswith("/product.html") for v in screens)
    # a page whose screen selector never renders is unknown once the wait is over
    assert any("/confirmation.html?" in v for v in screens if v.startswith("screen/unknown "))
    assert [v for v in screens if not v.startswith("screen/unknown")] == [
        "screen/home",
        "screen/search",
        "screen/cart",
        "screen/checkout",
        "screen/order-email",
    ]
    errors = run.values("error/")
    assert any(v.startswith("error/screen-timeout screen 'product'") for v in errors)
    assert any(v.startswith("error/selector AOI 'cart-item'") for v in errors)
    cart = [
        json.loads(v.split(" ", 1)[1]) for v in run.values("aoi-boxes ") if '"screen":"cart"' in v
    ]
    assert cart and cart[-1]["aois"]["cart-item"] is None
    assert cart[-1]["aois"]["checkout-button"]["x_px"] == 1000
    manifest = json.loads((tmp_path / "shots" / "screenshots.json").read_text())
    assert "product" not in manifest["screens"] and "cart" in manifest["screens"]


def _run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [*gazemap_cmd(), "present", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_missing_chromium_is_a_clear_error(tmp_path: Path) -> None:
    r = _run_cli(
        str(protocol_copy(tmp_path)),
        "--participant",
        "P01",
        "--headless",
        env={"GAZEMAP_CHROMIUM": str(tmp_path / "nope")},
    )
    assert r.returncode == 2
    assert "Chromium not found at" in r.stderr and "never downloads a browser" in r.stderr


def test_no_display_without_headless(tmp_path: Path) -> None:
    r = _run_cli(
        str(protocol_copy(tmp_path)),
        "--participant",
        "P01",
        env={"DISPLAY": "", "WAYLAND_DISPLAY": ""},
    )
    assert r.returncode == 2
    assert "no display" in r.stderr and "--headless" in r.stderr


def test_bad_protocol_and_numbers(tmp_path: Path) -> None:
    r = _run_cli(str(tmp_path / "missing.yaml"), "--participant", "P01", "--headless")
    assert r.returncode == 2 and "no such file" in r.stderr
    r = _run_cli(
        str(protocol_copy(tmp_path)),
        "--participant",
        "P01",
        "--headless",
        "--screen-timeout-s",
        "0",
    )
    assert r.returncode == 2 and "--screen-timeout-s must be > 0, got 0" in r.stderr


def test_site_folder_missing(tmp_path: Path) -> None:
    r = _run_cli(
        str(protocol_copy(tmp_path)),
        "--participant",
        "P01",
        "--headless",
        "--site",
        str(tmp_path / "nosite"),
        "--wait-recorder-s",
        "0",
    )
    assert r.returncode == 2 and "--site must be a directory" in r.stderr


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("Shift+G", "--give-up-key 'Shift+G' has no Ctrl, Alt or Meta"),
        ("Ctrl+Alt+Gee", "--give-up-key 'Ctrl+Alt+Gee': 'Gee' is not a modifier or key"),
        ("Ctrl+W", "--give-up-key 'Ctrl+W' is kept by the browser or desktop"),
    ],
)
def test_bad_give_up_key(tmp_path: Path, spec: str, fragment: str) -> None:
    r = _run_cli(
        str(protocol_copy(tmp_path)), "--participant", "P01", "--headless", "--give-up-key", spec
    )
    assert r.returncode == 2
    (line,) = r.stderr.strip().splitlines()
    assert line.startswith("gazemap present: error: ") and fragment in line
    assert "write e.g. --give-up-key Ctrl+Alt+G" in line


def test_bad_after_give_up(tmp_path: Path) -> None:
    r = _run_cli(
        str(protocol_copy(tmp_path)), "--participant", "P01", "--headless", "--after-give-up", "x"
    )
    assert r.returncode == 2
    assert "--after-give-up: invalid choice: 'x' (choose from 'next', 'stay')" in r.stderr


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--give-up", "product"],
            "gazemap present: error: --give-up is for --autoplay (the synthetic participant "
            "gives up); with a real participant the moderator presses the give-up key in the "
            "browser.",
        ),
        (
            ["--autoplay", "--give-up", "basket"],
            "gazemap present: error: --give-up basket: protocol 'online-store' has no touchpoint "
            "'basket'; name one of home, search, product, cart, checkout, confirmation, "
            "order-email.",
        ),
        (
            ["--autoplay", "--give-up", "product", "--give-up-key", "none"],
            "gazemap present: error: --give-up needs the give-up key, but --give-up-key is "
            "'none'; drop one of the two.",
        ),
    ],
)
def test_bad_give_up(tmp_path: Path, extra: list[str], message: str) -> None:
    r = _run_cli(str(protocol_copy(tmp_path)), "--participant", "P01", "--headless", *extra)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [message]
