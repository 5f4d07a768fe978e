"""Tracker drivers: each publishes the canonical Gaze stream (and Markers where it has them).

DRIVERS maps a driver name (``gazemap stream NAME``) to its module. A driver module defines
``DESCRIPTION: str``, ``add_arguments(parser)`` and ``run(args) -> int``; it imports its
vendor SDK only inside ``run`` so that a missing SDK breaks nothing else.
"""

from __future__ import annotations

import importlib
from types import ModuleType

DRIVERS: dict[str, str] = {
    "simulated": "gazemap.drivers.simulated",
    "gazepoint": "gazemap.drivers.gazepoint",
    "pupil_core": "gazemap.drivers.pupil_core",
    "tobii": "gazemap.drivers.tobii",
    "eyelink": "gazemap.drivers.eyelink",
    "lsl-relay": "gazemap.drivers.lsl_profile",
}


def load_driver(name: str) -> ModuleType:
    from gazemap.errors import InputError

    if name not in DRIVERS:
        raise InputError(f"unknown driver {name!r}; available: {', '.join(sorted(DRIVERS))}.")
    return importlib.import_module(DRIVERS[name])
