"""Helpers shared by several CLI modules."""

from __future__ import annotations

from gazemap.errors import InputError


def parse_params(pairs: list[str] | None) -> dict[str, object]:
    """``--param NAME=VALUE`` options -> {NAME: VALUE (str)}; the library converts types."""
    out: dict[str, object] = {}
    for p in pairs or []:
        key, sep, value = p.partition("=")
        if not sep or not key.strip():
            raise InputError(
                f"--param takes NAME=VALUE, got {p!r} (e.g. --param velocity_threshold_deg_s=40)."
            )
        out[key.strip()] = value.strip()
    return out
