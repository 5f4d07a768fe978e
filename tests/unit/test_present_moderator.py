"""gazemap.presenter.moderator: the moderator's key combinations (pure parsing)."""

from __future__ import annotations

import pytest

from gazemap.errors import InputError
from gazemap.presenter.moderator import (
    DEFAULT_GIVE_UP,
    DEFAULT_GIVE_UP_KEY,
    KeySpec,
    parse_key_spec,
)


def test_default_is_ctrl_alt_g() -> None:
    assert DEFAULT_GIVE_UP_KEY == "Ctrl+Alt+G"
    assert DEFAULT_GIVE_UP == KeySpec("KeyG", ctrl=True, alt=True)
    assert DEFAULT_GIVE_UP.text == "Ctrl+Alt+G"
    assert DEFAULT_GIVE_UP.playwright == "Control+Alt+KeyG"
    assert DEFAULT_GIVE_UP.to_js() == {
        "code": "KeyG",
        "ctrl": True,
        "alt": True,
        "shift": False,
        "meta": False,
    }


@pytest.mark.parametrize(
    ("spec", "code", "text", "playwright"),
    [
        ("ctrl+alt+g", "KeyG", "Ctrl+Alt+G", "Control+Alt+KeyG"),
        (" Control + Option + x ", "KeyX", "Ctrl+Alt+X", "Control+Alt+KeyX"),
        ("Alt+Shift+9", "Digit9", "Alt+Shift+9", "Alt+Shift+Digit9"),
        ("Cmd+F12", "F12", "Meta+F12", "Meta+F12"),
        ("Shift+Super+f24", "F24", "Shift+Meta+F24", "Shift+Meta+F24"),
        ("win+ctrl+0", "Digit0", "Ctrl+Meta+0", "Control+Meta+Digit0"),
    ],
)
def test_parse_key_spec(spec: str, code: str, text: str, playwright: str) -> None:
    k = parse_key_spec(spec)
    assert k.code == code and k.text == text and k.playwright == playwright
    # the canonical spelling parses back to the same combination
    assert parse_key_spec(k.text) == k


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("", "must be a key combination"),
        ("   ", "must be a key combination"),
        ("Ctrl++G", "must be a key combination"),
        ("Ctrl+Alt+", "must be a key combination"),
        ("Ctrl+Ctrl+G", "names 'Ctrl' twice"),
        ("Ctrl+Hyper+G", "'Hyper' is not a modifier or key"),
        ("Ctrl+Enter", "'Enter' is not a modifier or key"),
        ("Ctrl+F0", "'F0' is not a modifier or key"),
        ("Ctrl+F25", "'F25' is not a modifier or key"),
        ("Ctrl+Alt", "has no key"),
        ("Ctrl+G+H", "has 2 keys"),
        ("G", "has no Ctrl, Alt or Meta"),
        ("Shift+G", "has no Ctrl, Alt or Meta"),
        ("F9", "has no Ctrl, Alt or Meta"),
        ("Ctrl+W", "kept by the browser or desktop (Ctrl+W"),
        ("shift+ctrl+t", "kept by the browser or desktop (Ctrl+Shift+T"),
        ("Alt+F4", "kept by the browser or desktop (Alt+F4"),
    ],
)
def test_bad_key_specs_say_what_and_how(spec: str, fragment: str) -> None:
    with pytest.raises(InputError) as exc:
        parse_key_spec(spec, where="--give-up-key")
    msg = str(exc.value)
    assert fragment in msg
    assert msg.startswith("--give-up-key")
    assert "write e.g. --give-up-key Ctrl+Alt+G" in msg


def test_presenter_rejects_an_unknown_after_give_up() -> None:
    from pathlib import Path

    from gazemap.presenter.browser import Presenter
    from gazemap.protocol import load_protocol

    proto = load_protocol(Path(__file__).resolve().parents[2] / "protocols" / "online-store.yaml")
    with pytest.raises(InputError, match=r"after_give_up must be one of next, stay, got 'later'"):
        Presenter(proto, "http://127.0.0.1:1", "P01", None, None, 1440, 900, after_give_up="later")
