"""The shipped sample study (recordings/sample): complete, small, and what make_sample.sh makes."""

from __future__ import annotations

import re

import numpy as np
import yaml
from conftest import SAMPLE

from gazemap.protocol import load_protocol
from gazemap.simulation import simulate_session
from gazemap.store import open_session


def _table() -> dict[str, list[str]]:
    text = (SAMPLE / "make_sample.sh").read_text()
    block = text.split("<<'TABLE'\n", 1)[1].split("\nTABLE", 1)[0]
    return {row.split()[0]: row.split()[1:] for row in block.strip().splitlines()}


def _protocol_path():  # type: ignore[no-untyped-def]
    doc = yaml.safe_load((SAMPLE / "study.yaml").read_text())
    return (SAMPLE / doc["protocol"]).resolve()


def test_study_names_the_online_store_protocol() -> None:
    p = load_protocol(_protocol_path())
    assert p.id == "online-store"


def test_sample_is_complete_and_small() -> None:
    files = sorted(SAMPLE.glob("*.h5"))
    assert len(files) >= 6
    assert sum(f.stat().st_size for f in files) < 20 * 1024 * 1024
    assert {f.stem for f in files} == set(_table())
    tps = load_protocol(_protocol_path()).touchpoints
    for f in files:
        with open_session(f) as s:
            assert s.participant == f.stem and s.protocol == "online-store"
            assert 90 < float(s.times("gaze")[-1] - s.times("gaze")[0]) < 600  # a few minutes
            values = set(s.markers().value)
            assert all(f"touchpoint/{tp.id}/end" in values for tp in tps)
            assert s.scroll() is not None


def test_sample_is_what_make_sample_makes() -> None:
    """Re-simulate P01 with its row of make_sample.sh: the stored gaze is the same."""
    seed, prec, acc, loss, fail = _table()["P01"]
    text = (SAMPLE / "make_sample.sh").read_text()
    rate = float(re.search(r"RATE_HZ=(\d+)", text).group(1))  # type: ignore[union-attr]
    found = re.search(r"--validation-points (\d+)", text)
    validation_points = int(found.group(1)) if found else 0
    with open_session(SAMPLE / "P01.h5") as s:
        screen = s.screen
        x = s.channel("gaze", "x_px")
        t = s.times("gaze")
    sim = simulate_session(
        load_protocol(_protocol_path()),
        participant="P01",
        seed=int(seed),
        screen=screen,
        rate_hz=rate,
        precision_deg=float(prec),
        accuracy_offset_deg=float(acc),
        data_loss_rate=float(loss),
        fail_touchpoints=[] if fail == "-" else fail.split(","),
        validation_points=validation_points,
    )
    assert len(sim.gaze) == len(x), "the sample is stale: run bash recordings/sample/make_sample.sh"
    assert np.allclose(sim.gaze.time_s, t)
    # stored as float32 at 1/64 px
    assert np.allclose(sim.gaze.x_px, x, atol=0.02, equal_nan=True)


def test_failing_participants_are_what_make_sample_makes() -> None:
    """The table's last column: one or two participants fail a task (--fail), so the sample
    shows task failures; their files say so and carry the give-up marker."""
    import json

    failing = {p: row[4] for p, row in _table().items() if row[4] != "-"}
    assert 1 <= len(failing) <= 2
    position = {tp.id: n for n, tp in enumerate(load_protocol(_protocol_path()).touchpoints, 1)}
    for p, tps in failing.items():
        with open_session(SAMPLE / f"{p}.h5") as s:
            params = json.loads(str(s.attrs["simulation"]))
            values = list(s.markers().value)
        assert params["failed_touchpoints"] == tps.replace(",", ";")
        for tp in tps.split(","):
            assert f"task/{position[tp]}/fail" in values
    with open_session(SAMPLE / "P01.h5") as s:
        assert not any(str(v).endswith("/fail") for v in s.markers().value)


def test_readme_says_how_to_remake_it() -> None:
    text = (SAMPLE / "README.md").read_text()
    assert "bash recordings/sample/make_sample.sh" in text
    assert "gazemap simulate" in text


def test_sample_ships_the_default_detectors_current_events() -> None:
    """The README's first command analyses the sample with the default detector: the events
    stored in every file must be the ones this gazemap version makes with the current
    defaults, or the command would rewrite the committed files (remake the sample with
    make_sample.sh after changing a default)."""
    from gazemap.events import DEFAULT_DETECTOR
    from gazemap.store.derived import read_detection
    from gazemap.store.reader import Session

    for f in sorted(SAMPLE.glob("*.h5")):
        with Session(f) as s:
            assert read_detection(s, DEFAULT_DETECTOR) is not None, (
                f"{f.name}: stored /derived/{DEFAULT_DETECTOR} is stale; "
                "run bash recordings/sample/make_sample.sh"
            )
