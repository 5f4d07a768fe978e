"""aois.csv: the AOI geometry each participant was analysed with, and the report drawing it.

Real session files as ``gazemap present`` + ``gazemap record`` lay them out (the helpers of
test_batch_presenter_session): the protocol guesses the selector AOI "buy" at
(0, 650, 400, 100); the live page put it at (300, 2000, 400, 100) for P1. aois.csv must carry
the live box for P1, and the report's gaze plot of P1 must be drawn with it.
"""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml
from unit.test_batch_presenter_session import BASE, boxes_marker, make_protocol, write_session

from gazemap.batch import analyze_session, combine
from gazemap.cli import main
from gazemap.errors import InputError
from gazemap.protocol import Protocol, load_protocol
from gazemap.render import ROLE_COLOURS
from gazemap.report import write_report
from gazemap.report.data import load_outputs
from gazemap.report.export import write_outputs
from gazemap.report.images import heatmap_aois, participant_aois, render_touchpoint
from gazemap.store import open_session

PROTOCOL_BUY = (0.0, 650.0, 400.0, 100.0)
LIVE_P1 = (300.0, 2000.0, 400.0, 100.0)


def _session(folder: Path, participant: str, buy_y_px: float | None) -> Path:
    """A session of ``participant``; ``buy_y_px`` None = no aoi-boxes marker at all."""
    markers = [m for m in BASE if not m[1].startswith("aoi-boxes")]
    if buy_y_px is not None:
        markers.insert(1, (0.6, boxes_marker(buy_y_px)))
    f = folder / f"{participant}.h5"
    write_session(f, markers)
    with open_session(f, "r+") as s:
        s.h5.attrs["participant"] = participant
        s.h5.attrs["session_id"] = f"{participant}-s1"
    return f


def _analyse(tmp_path: Path, buys: dict[str, float | None]) -> tuple[Path, Protocol]:
    protocol = make_protocol()
    results = [
        analyze_session(_session(tmp_path, p, y), protocol, write_cache=False)
        for p, y in buys.items()
    ]
    assert all(r.ok for r in results), [r.error for r in results]
    out = tmp_path / "out"
    write_outputs(out, combine(results, protocol, study=str(tmp_path)))
    return out, protocol


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_aois_csv_holds_the_live_box_of_each_session(tmp_path: Path) -> None:
    out, _ = _analyse(tmp_path, {"P1": 2000.0, "P2": None})
    rows = _csv(out / "aois.csv")
    # 2 sessions x 1 touchpoint x 1 screen x 2 AOIs, in protocol order
    assert [(r["participant"], r["aoi_id"]) for r in rows] == [
        ("P1", "top"), ("P1", "buy"), ("P2", "top"), ("P2", "buy"),
    ]  # fmt: skip
    p1_buy, p2_buy = rows[1], rows[3]
    assert p1_buy == {
        "participant": "P1", "session_id": "P1-s1", "touchpoint_id": "page",
        "screen_id": "page", "aoi_id": "buy", "aoi_name": "Buy", "aoi_role": "target",
        "shape": "rect", "coords_px": "300.0;2000.0;400.0;100.0", "x_min_px": "300.0",
        "y_min_px": "2000.0", "x_max_px": "700.0", "y_max_px": "2100.0", "fixed": "false",
        "source": "live",
    }  # fmt: skip
    # no aoi-boxes marker: the protocol's guess was used, and says so
    assert (p2_buy["coords_px"], p2_buy["source"]) == ("0.0;650.0;400.0;100.0", "protocol")
    # an AOI without a selector keeps the protocol's coords even when the page sent boxes
    assert (rows[0]["coords_px"], rows[0]["source"]) == ("0.0;0.0;1000.0;600.0", "protocol")
    # the boxes in aois.csv are the ones the hits used: P1's 4 s fixation is on the live box
    fix = [r for r in _csv(out / "fixations.csv") if float(r["duration_s"]) > 1.0]
    assert {(r["participant"], r["aoi_ids"]) for r in fix} == {("P1", "buy"), ("P2", "")}
    for r in fix:
        assert 2000.0 <= float(r["page_y_px"]) <= 2100.0


def test_gaze_plot_of_a_participant_uses_that_participants_boxes(tmp_path: Path) -> None:
    out, protocol = _analyse(tmp_path, {"P1": 2000.0, "P2": None})
    outputs = load_outputs(out)
    [tp] = protocol.touchpoints
    rows: dict[str, dict[str, list]] = {"page": {}}
    for r in outputs.aois:
        rows[r["screen_id"]].setdefault(r["participant"], []).append(r)
    [im] = render_touchpoint(
        out, protocol, tp, outputs.fixations, ["P1", "P2"], px_per_deg=40.0, aoi_rows=rows
    )
    buy = {p: next(a for a in aois if a.id == "buy") for p, aois in im.gazeplot_aois.items()}
    assert buy["P1"].coords == LIVE_P1 and buy["P2"].coords == PROTOCOL_BUY
    assert im.live_participants == {"P1"}
    # the two disagree (P1 live at y=2000, P2 the protocol's y=650): the heatmap keeps the
    # protocol's box and the caption says so, with the distance between them
    hm_buy = next(a for a in im.heatmap_aois if a.id == "buy")
    assert hm_buy.coords == PROTOCOL_BUY
    assert im.aoi_note is not None
    assert "1 of 2 participants" in im.aoi_note and "Buy (up to 1350 px apart)" in im.aoi_note
    # the pixels follow the data: P1's plot has the target outline on the live box's left
    # edge (x=300, y=2050) and none on the protocol box's right edge (x=400, y=700)
    # edge (x=300, y=2050) and none on the protocol box's right edge (x=400, y=700); P2's
    # plot the other way round
    assert [p for p, _ in im.gazeplots] == ["P1", "P2"]
    blue = np.array(ROLE_COLOURS["target"])

    def has_outline(path: str, x: int, y: int) -> bool:
        img = cv2.cvtColor(cv2.imread(str(out / path)), cv2.COLOR_BGR2RGB)
        assert img.shape[:2] == (3000, 1000)
        patch = img[y - 3 : y + 4, x - 3 : x + 4].reshape(-1, 3).astype(int)
        return bool((np.abs(patch - blue).sum(axis=1) < 30).any())

    p1, p2 = (path for _, path in im.gazeplots)
    assert has_outline(p1, 300, 2050) and not has_outline(p1, 400, 700)
    assert has_outline(p2, 400, 700) and not has_outline(p2, 300, 2050)


def test_heatmap_draws_the_live_box_when_every_participant_has_it(tmp_path: Path) -> None:
    out, protocol = _analyse(tmp_path, {"P1": 2000.0, "P2": 2001.0})  # within 2 px
    write_report(out, protocol)
    outputs = load_outputs(out)
    screen = protocol.screens["page"]
    per_p = {
        p: participant_aois(screen, [r for r in outputs.aois if r["participant"] == p])
        for p in ("P1", "P2")
    }
    assert heatmap_aois(screen, {"P1": per_p["P1"]}, ["P1"])[1] == (
        "AOI outlines as measured in the live page (aois.csv) for P1."
    )
    aois, note = heatmap_aois(screen, per_p, ["P1", "P2"])
    assert next(a for a in aois if a.id == "buy").coords == LIVE_P1
    assert note == (
        "AOI outlines as measured in the live page (aois.csv) for all 2 participants; every "
        "box is the same for all of them."
    )
    html = (out / "touchpoints" / "page" / "index.html").read_text(encoding="utf-8")
    assert note in html and html.count("· AOIs from the live page") == 2


def test_without_live_boxes_the_protocol_aois_are_drawn_silently(tmp_path: Path) -> None:
    screen = make_protocol().screens["page"]
    assert participant_aois(screen, []) == screen.aois
    assert heatmap_aois(screen, {"P1": screen.aois}, []) == (screen.aois, None)


def test_bad_aois_csv_is_refused(tmp_path: Path) -> None:
    out, _ = _analyse(tmp_path, {"P1": 2000.0})
    path = out / "aois.csv"
    good = path.read_text(encoding="utf-8")
    path.write_text(good.replace("300.0;2000.0;400.0;100.0", "300.0;2000.0;400.0"), "utf-8")
    outputs = load_outputs(out)  # the cell is numbers; the shape check comes on use
    screen = make_protocol().screens["page"]
    with pytest.raises(InputError, match=r"aois\.csv: AOI 'buy' .* has shape 'rect' with 3"):
        participant_aois(screen, [r for r in outputs.aois if r["aoi_id"] == "buy"])
    path.write_text(good.replace("300.0;2000.0", "300.0;x"), "utf-8")
    with pytest.raises(InputError, match=r"aois\.csv line 3: column coords_px must be numbers"):
        load_outputs(out)
    path.write_text(good.replace(",live", ",guessed"), "utf-8")
    with pytest.raises(InputError, match=r"aois\.csv line 3: source must be live or protocol"):
        load_outputs(out)


def _protocol_yaml(path: Path) -> Path:
    """make_protocol() as a protocol file (the `gazemap heatmap` command reads one)."""
    aois = [
        {"id": "top", "name": "Top", "role": "content", "shape": "rect", "coords": [0, 0, 1000, 600]},
        {"id": "buy", "name": "Buy", "role": "target", "shape": "rect",
         "coords": list(PROTOCOL_BUY), "selector": "#buy"},
    ]  # fmt: skip
    screen = {"id": "page", "name": "Page", "page": {"width_px": 1000, "height_px": 3000},
              "viewport": {"width_px": 1000, "height_px": 800}, "aois": aois}  # fmt: skip
    doc = {
        "protocol": {"id": "p", "name": "P", "screen": {"width_px": 1000, "height_px": 800}},
        "stages": [{"id": "s", "name": "S", "touchpoints": [
            {"id": "page", "name": "Page", "channel": "site", "task": "buy it",
             "screens": [screen]}]}],
    }  # fmt: skip
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    assert load_protocol(path).screens["page"] == make_protocol().screens["page"]
    return path


def test_heatmap_command_draws_the_boxes_the_analysis_used(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, _ = _analyse(tmp_path, {"P1": 2000.0, "P2": None})
    proto = _protocol_yaml(tmp_path / "p.yaml")
    blue = np.array(ROLE_COLOURS["target"])

    def picture(*extra: str) -> np.ndarray:
        png = tmp_path / "pic.png"
        args = ["heatmap", str(tmp_path), "--analysis", str(out), "--protocol", str(proto)]
        assert main([*args, "--touchpoint", "page", "--out", str(png), *extra]) == 0
        return cv2.cvtColor(cv2.imread(str(png)), cv2.COLOR_BGR2RGB)

    def has_outline(img: np.ndarray, x: int, y: int) -> bool:
        patch = img[y - 3 : y + 4, x - 3 : x + 4].reshape(-1, 3).astype(int)
        return bool((np.abs(patch - blue).sum(axis=1) < 30).any())

    # P1 alone: P1's live box, not the protocol's guess
    img = picture("--kind", "gazeplot", "--participants", "P1")
    assert has_outline(img, 300, 2050) and not has_outline(img, 400, 700)
    assert "for P1." in capsys.readouterr().err
    # both: the boxes differ, so the protocol's is drawn and a note says why
    img = picture("--kind", "gazeplot")
    assert has_outline(img, 400, 700) and not has_outline(img, 300, 2050)
    err = capsys.readouterr().err
    assert "gazemap heatmap: note: " in err and "Buy (up to 1350 px apart)" in err
