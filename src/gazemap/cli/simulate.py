"""CLI commands of this group (placeholder until its issue lands its commands)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:  # noqa: ARG001 - filled in by its issue
    return None
