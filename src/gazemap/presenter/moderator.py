"""The moderator's key combinations in the presented browser (pure: parsing, no browser).

A usability moderator sits next to the participant; when the participant gives up on a task
the moderator presses the give-up key (default ``Ctrl+Alt+G``) in the presented browser and
the presenter marks ``task/<n>/fail`` (docs/presenter.md, "Moderator: the participant gives
up"). The page script catches the key in the capture phase of ``window`` before any of the
page's own handlers, so the tested page never sees the key itself (only the modifier keys go
down and up).

Key specs are ``Modifier+...+Key``, case-insensitive: modifiers ``Ctrl`` (``Control``),
``Alt`` (``Option``), ``Shift``, ``Meta`` (``Cmd``, ``Super``, ``Win``); the key a letter
``A``-``Z``, a digit ``0``-``9`` or ``F1``-``F24``. The key is matched by its physical
position (``KeyboardEvent.code``), so the keyboard layout and what Alt/AltGr make of the
letter do not matter. At least one of Ctrl, Alt or Meta is required, so that typing (a
letter, Shift + letter) never triggers it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gazemap.errors import InputError

#: the default give-up combination: no browser or common desktop shortcut, not typed by accident
DEFAULT_GIVE_UP_KEY = "Ctrl+Alt+G"

_MODIFIERS = {
    "ctrl": "ctrl",
    "control": "ctrl",
    "alt": "alt",
    "option": "alt",
    "shift": "shift",
    "meta": "meta",
    "cmd": "meta",
    "command": "meta",
    "super": "meta",
    "win": "meta",
}
#: combinations Chromium or the desktop keeps for itself: the page would never see them
_RESERVED = {
    "Ctrl+W",
    "Ctrl+Shift+W",
    "Ctrl+T",
    "Ctrl+Shift+T",
    "Ctrl+N",
    "Ctrl+Shift+N",
    "Ctrl+Q",
    "Ctrl+Shift+Q",
    "Ctrl+F4",
    "Alt+F4",
}


@dataclass(frozen=True, slots=True)
class KeySpec:
    """One key combination, matched against ``KeyboardEvent.code`` and its modifier flags.

    ``code``: the physical key (``KeyG``, ``Digit5``, ``F9``); ``text``: the canonical
    spelling (``Ctrl+Alt+G``) for messages.
    """

    code: str
    ctrl: bool = False
    alt: bool = False
    shift: bool = False
    meta: bool = False

    def _join(self, names: tuple[str, str, str, str], key: str) -> str:
        """The pressed modifiers (named ctrl, alt, shift, meta) and ``key``, joined by ``+``."""
        on = (self.ctrl, self.alt, self.shift, self.meta)
        return "+".join([*(n for n, o in zip(names, on, strict=True) if o), key])

    @property
    def text(self) -> str:
        return self._join(("Ctrl", "Alt", "Shift", "Meta"), _key_name(self.code))

    @property
    def playwright(self) -> str:
        """The combination for Playwright's ``keyboard.press`` (``Control+Alt+KeyG``)."""
        return self._join(("Control", "Alt", "Shift", "Meta"), self.code)

    def to_js(self) -> dict[str, Any]:
        """The page script's form: ``{code, ctrl, alt, shift, meta}``."""
        return {
            "code": self.code,
            "ctrl": self.ctrl,
            "alt": self.alt,
            "shift": self.shift,
            "meta": self.meta,
        }


def _key_name(code: str) -> str:
    if code.startswith("Key"):
        return code[3:]
    if code.startswith("Digit"):
        return code[5:]
    return code


def _key_code(token: str) -> str | None:
    t = token.upper()
    if len(t) == 1 and "A" <= t <= "Z":
        return "Key" + t
    if len(t) == 1 and t.isdigit():
        return "Digit" + t
    if t.startswith("F") and t[1:].isdigit() and 1 <= int(t[1:]) <= 24 and t[1] != "0":
        return t
    return None


def parse_key_spec(spec: str, where: str = "--give-up-key") -> KeySpec:
    """Parse ``Ctrl+Alt+G``-style text into a :class:`KeySpec`.

    Parameters
    ----------
    spec : the combination, ``Modifier+...+Key`` (see the module docstring).
    where : where the spec came from, named in the error message.

    Raises
    ------
    InputError
        Empty spec, an unknown token, no key or two keys, a modifier twice, no Ctrl/Alt/Meta,
        or a combination the browser keeps for itself.
    """
    example = f"write e.g. {where} {DEFAULT_GIVE_UP_KEY} (modifiers Ctrl, Alt, Shift, Meta; key A-Z, 0-9 or F1-F24)"
    tokens = [t.strip() for t in str(spec).split("+")]
    if not spec or not spec.strip() or any(not t for t in tokens):
        raise InputError(f"{where} must be a key combination, got {spec!r}; {example}.")
    mods: set[str] = set()
    codes: list[str] = []
    for tok in tokens:
        mod = _MODIFIERS.get(tok.lower())
        if mod is not None:
            if mod in mods:
                raise InputError(f"{where} {spec!r} names {tok!r} twice; {example}.")
            mods.add(mod)
            continue
        code = _key_code(tok)
        if code is None:
            raise InputError(f"{where} {spec!r}: {tok!r} is not a modifier or key; {example}.")
        codes.append(code)
    if len(codes) != 1:
        what = "no key" if not codes else f"{len(codes)} keys"
        raise InputError(f"{where} {spec!r} has {what}, needs exactly one; {example}.")
    key = KeySpec(codes[0], "ctrl" in mods, "alt" in mods, "shift" in mods, "meta" in mods)
    if not (key.ctrl or key.alt or key.meta):
        raise InputError(
            f"{where} {spec!r} has no Ctrl, Alt or Meta, so a participant typing could press it; "
            f"{example}."
        )
    if key.text in _RESERVED:
        raise InputError(
            f"{where} {spec!r} is kept by the browser or desktop ({key.text} closes or opens "
            f"windows) and never reaches the page; {example}."
        )
    return key


#: :data:`DEFAULT_GIVE_UP_KEY` parsed
DEFAULT_GIVE_UP = parse_key_spec(DEFAULT_GIVE_UP_KEY)
