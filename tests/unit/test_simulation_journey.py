"""The simulated participant on protocols of other shapes: several screens per touchpoint,
screens without AOIs, a viewport that is not at the screen origin, the bank-loan protocol."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml
from conftest import REPO

from gazemap.geometry import screen_to_page
from gazemap.protocol import load_protocol
from gazemap.simulation import simulate_session
from gazemap.types import ScreenGeometry

SCREEN = ScreenGeometry(1920, 1080, 531.0, 299.0, 650.0)


def _protocol(tmp_path: Path):  # type: ignore[no-untyped-def]
    doc = {
        "protocol": {"id": "multi", "name": "Multi", "screen": {"width_px": 1920, "height_px": 1080}},
        "stages": [
            {
                "id": "s",
                "name": "S",
                "touchpoints": [
                    {
                        "id": "wizard",
                        "name": "Two-step form",
                        "channel": "app",
                        "screens": [
                            {
                                "id": "step1",
                                "page": {"width_px": 1280, "height_px": 2400},
                                "viewport": {"width_px": 1280, "height_px": 900, "x_px": 320, "y_px": 120},
                                "aois": [
                                    {"id": "bar", "role": "navigation", "shape": "rect", "coords": [0, 0, 1280, 60],
                                     "fixed": True},
                                    {"id": "field", "role": "target", "shape": "rect", "coords": [100, 1700, 600, 200]},
                                    {"id": "next", "role": "cta", "shape": "ellipse", "coords": [900, 2000, 120, 40]},
                                ],
                            },
                            {
                                "id": "step2",
                                "page": {"width_px": 1280, "height_px": 900},
                                "viewport": {"width_px": 1280, "height_px": 900, "x_px": 320, "y_px": 120},
                                "aois": [
                                    {"id": "done", "role": "target", "shape": "polygon",
                                     "coords": [[500, 400], [800, 400], [650, 600]]},
                                ],
                            },
                        ],
                    },
                    {
                        "id": "letter",
                        "name": "Letter",
                        "channel": "print",
                        "screens": [
                            {
                                "id": "letter",
                                "page": {"width_px": 1000, "height_px": 1000},
                                "viewport": {"width_px": 1000, "height_px": 1000},
                            }
                        ],
                    },
                ],
            }
        ],
    }  # fmt: skip
    path = tmp_path / "multi.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return load_protocol(path)


def test_several_screens_per_touchpoint_and_a_screen_without_aois(tmp_path: Path) -> None:
    proto = _protocol(tmp_path)
    sim = simulate_session(proto, participant="M", seed=4, screen=SCREEN, rate_hz=250.0)
    values = list(sim.markers.value)
    wizard = values[
        values.index("touchpoint/wizard/start") : values.index("touchpoint/wizard/end") + 1
    ]
    assert [v for v in wizard if v.startswith(("screen/", "click/"))] == [
        "screen/step1", "click/next", "screen/step2", "click/done",
    ]  # fmt: skip
    letter = values[
        values.index("touchpoint/letter/start") : values.index("touchpoint/letter/end") + 1
    ]
    assert "screen/letter" in letter and not any(v.startswith("click/") for v in letter)
    on_letter = sim.truth_screen == "letter"
    assert on_letter.sum() > 10 and np.all(sim.truth_aoi[on_letter] == "")
    assert {"field", "next", "done", "bar"} <= set(sim.truth_aoi)


def test_viewport_offset_on_the_screen(tmp_path: Path) -> None:
    proto = _protocol(tmp_path)
    sim = simulate_session(proto, participant="M", seed=4, screen=SCREEN, rate_hz=250.0)
    s = sim.scroll
    on_wizard = s.viewport_y_px == 120
    assert on_wizard.any() and np.all(s.viewport_x_px[on_wizard] == 320)
    f = sim.truth_fixations
    # fixations on step1/step2 lie inside the viewport on the screen
    on = np.isin(sim.truth_screen, ["step1", "step2"])
    assert np.all((f.x_px[on] >= 318) & (f.x_px[on] <= 320 + 1280 + 2))
    assert np.all((f.y_px[on] >= 118) & (f.y_px[on] <= 120 + 900 + 2))
    ok = np.isfinite(sim.truth_page_x_px) & ~sim.truth_scrolling
    px, py = screen_to_page(f.start_s[ok], f.x_px[ok], f.y_px[ok], s)
    assert np.allclose(px, sim.truth_page_x_px[ok]) and np.allclose(py, sim.truth_page_y_px[ok])
    # the target field is below the fold: the page scrolled to it
    field = sim.truth_aoi == "field"
    assert field.any() and np.all(sim.truth_page_y_px[field] > 1690)


def test_bank_loan_protocol_is_walked_too() -> None:
    proto = load_protocol(REPO / "protocols" / "bank-loan.yaml")
    sim = simulate_session(
        proto,
        participant="B1",
        seed=9,
        screen=ScreenGeometry(1280, 800, 384, 240, 600),
        rate_hz=120.0,
    )
    starts = [v for v in sim.markers.value if v.endswith("/start") and v.startswith("touchpoint/")]
    assert starts == [f"touchpoint/{tp.id}/start" for tp in proto.touchpoints]
    clicks = [v for v in sim.markers.value if v.startswith("click/")]
    assert clicks == [
        "click/calculator-link",
        "click/apply-button",
        "click/submit",
        "click/sign-button",
    ]
    # targets may be missed now and then (a participant trait), but most are found
    assert len({"rate-box", "monthly-payment", "income", "decision"} & set(sim.truth_aoi)) >= 2


def test_start_position_continues_a_previous_session() -> None:
    a = simulate_session(
        None, participant="C", seed=1, screen=SCREEN, rate_hz=250.0, duration_s=10.0
    )
    last = (float(a.truth_fixations.x_px[-1]), float(a.truth_fixations.y_px[-1]))
    b = simulate_session(
        None, participant="C", seed=2, screen=SCREEN, rate_hz=250.0, duration_s=10.0,
        start_time_s=float(a.gaze.time_s[-1]) + 1 / 250.0, start_position_px=last,
    )  # fmt: skip
    f = b.truth_fixations
    assert abs(f.x_px[0] - last[0]) < 10 and abs(f.y_px[0] - last[1]) < 10
    assert b.truth_labels[0] == 1  # starts inside a fixation, no jump
