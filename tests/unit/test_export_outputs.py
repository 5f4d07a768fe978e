"""The files of docs/outputs.md: exact columns, consistent rows, standard JSON, schema."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from unit.test_batch_study import PROTOCOL_FILE, write_sim_session

from gazemap.aoi import OUTSIDE_ID
from gazemap.batch import SessionResult, StudyResult, combine, run_sessions
from gazemap.events import DEFAULT_DETECTOR
from gazemap.protocol import load_protocol
from gazemap.report.export import (
    EVIDENCE_COLUMNS,
    FIXATION_COLUMNS,
    METRICS_COLUMNS,
    OUTPUT_FILES,
    TOUCHPOINT_COLUMNS,
    write_outputs,
)

REPO = Path(__file__).resolve().parents[2]


def documented_columns(section: str) -> list[str]:
    """Columns listed in docs/outputs.md under '## <section>'."""
    text = (REPO / "docs" / "outputs.md").read_text(encoding="utf-8")
    block = text.split(f"## {section}", 1)[1]
    first = re.search(r"`([^`]+)`", block)
    assert first is not None
    return [c.strip() for c in first.group(1).replace("\n", " ").split(",")]


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> tuple[StudyResult, Path]:
    d = tmp_path_factory.mktemp("exp")
    protocol = load_protocol(PROTOCOL_FILE)
    # P02 has lossy data so a low-quality finding appears; P03's file is broken
    write_sim_session(d / "P01.h5", protocol, "P01", 1)
    write_sim_session(d / "P02.h5", protocol, "P02", 2, data_loss_rate=0.35)
    (d / "P03.h5").write_bytes(b"garbage")
    results = run_sessions(sorted(d.glob("*.h5")), protocol, progress=False)
    res = combine(results, protocol, study=str(d))
    out = d / "out"
    write_outputs(out, res)
    return res, out


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_all_files_written_with_documented_columns(result) -> None:  # type: ignore[no-untyped-def]
    res, out = result
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_FILES)
    for name, cols, section in (
        ("metrics.csv", METRICS_COLUMNS, "metrics.csv"),
        ("touchpoints.csv", TOUCHPOINT_COLUMNS, "touchpoints.csv"),
        ("fixations.csv", FIXATION_COLUMNS, "fixations.csv"),
    ):
        header = (out / name).read_text(encoding="utf-8").splitlines()[0].split(",")
        assert header == list(cols)
        assert header == documented_columns(section)
    assert (out / "evidence.csv").read_text(encoding="utf-8").splitlines()[0].split(",") == list(
        EVIDENCE_COLUMNS
    )
    text = (REPO / "docs" / "outputs.md").read_text(encoding="utf-8")
    block = text.split("## evidence.csv", 1)[1].split("Columns: `", 1)[1].split("`", 1)[0]
    assert [c.strip() for c in block.replace("\n", " ").split(",")] == list(EVIDENCE_COLUMNS)


def test_every_finding_names_its_screens(result) -> None:  # type: ignore[no-untyped-def]
    """screen_id, screen_name and screens (the screens the measure comes from) in
    evidence.json and evidence.csv."""
    res, out = result
    protocol = res.protocol
    ev = json.loads((out / "evidence.json").read_text(encoding="utf-8"))
    rows = {r["id"]: r for r in read(out / "evidence.csv")}
    n = 0
    for st in ev["stages"]:
        for tp_doc in st["touchpoints"]:
            tp = protocol.touchpoint(tp_doc["id"])
            names = {sc.id: sc.name for sc in tp.screens}
            for f in tp_doc["findings"]:
                n += 1
                if f["aoi_id"] is not None:
                    assert f["screens"] == [f["screen_id"]]
                    assert f["aoi_id"] in {a.id for a in protocol.screens[f["screen_id"]].aois}
                else:
                    assert f["screens"] == list(names)
                assert f["screen_name"] == names[f["screen_id"]]
                assert rows[f["id"]]["screen_name"] == f["screen_name"]
                assert rows[f["id"]]["screens"] == ";".join(f["screens"])
    assert n > 0


def test_rows_are_consistent(result) -> None:  # type: ignore[no-untyped-def]
    res, out = result
    protocol = res.protocol
    metrics = read(out / "metrics.csv")
    tps = read(out / "touchpoints.csv")
    fix = read(out / "fixations.csv")
    assert len(metrics) == len(res.metrics) and len(tps) == len(res.touchpoints)
    assert {r["participant"] for r in tps} == {"P01", "P02"}
    # one row per AOI of each visited touchpoint + one outside row per screen
    for tp_row in tps:
        tp = protocol.touchpoint(tp_row["touchpoint_id"])
        mine = [
            r
            for r in metrics
            if r["participant"] == tp_row["participant"] and r["touchpoint_id"] == tp.id
        ]
        assert len(mine) == sum(len(s.aois) + 1 for s in tp.screens)
        assert sum(r["aoi_id"] == OUTSIDE_ID for r in mine) == len(tp.screens)
        n_fix = sum(
            1
            for r in fix
            if r["participant"] == tp_row["participant"] and r["touchpoint_id"] == tp.id
        )
        assert int(tp_row["fixation_count"]) == n_fix
        assert tp_row["quality_ok"] in ("true", "false")
    for r in metrics:
        assert r["fixated"] in ("true", "false")
        if r["fixated"] == "false":
            assert (
                r["ttff_s"] == ""
                and r["fixations_before_first"] == ""
                and float(r["dwell_s"]) == 0.0
            )
        assert r["detector"] == DEFAULT_DETECTOR
    for r in fix:
        assert r["mapped"] in ("0", "1")
        for a in filter(None, r["aoi_ids"].split(";")):
            assert any(
                a in {x.id for x in s.aois} for s in protocol.touchpoint(r["touchpoint_id"]).screens
            )
    # numbers round-trip exactly
    assert float(tps[0]["start_s"]) == res.touchpoints[0]["start_s"]


def test_json_files_are_standard_and_match_the_schema(result) -> None:  # type: ignore[no-untyped-def]
    res, out = result
    for name in ("evidence.json", "journey.json", "sessions.json"):
        text = (out / name).read_text(encoding="utf-8")
        assert "NaN" not in text and "Infinity" not in text
        json.loads(text)
    ev = json.loads((out / "evidence.json").read_text(encoding="utf-8"))
    schema = json.loads((REPO / "docs" / "evidence.schema.json").read_text(encoding="utf-8"))
    try:
        import jsonschema
    except ImportError:  # pragma: no cover - checked by hand below either way
        jsonschema = None
    if jsonschema is not None:
        jsonschema.validate(ev, schema)
    # by hand: required keys at every level
    assert set(schema["required"]) <= set(ev)
    req = schema["$defs"]["finding"]["required"]
    findings = [f for st in ev["stages"] for tp in st["touchpoints"] for f in tp["findings"]]
    assert findings, "the lossy participant should produce at least one finding"
    for f in findings:
        assert set(req) <= set(f)
        assert f["severity"] in ("low", "medium", "high") and isinstance(f["reliable"], bool)
        assert 1 <= f["n_participants"] <= f["n_total"] <= 2
    assert any(
        f["rule_id"] == "low-data-quality" and f["participants"] == ["P02"] for f in findings
    )
    assert [s["id"] for s in ev["stages"]] == [s.id for s in res.protocol.stages]
    sessions = json.loads((out / "sessions.json").read_text(encoding="utf-8"))
    assert [s["ok"] for s in sessions] == [True, True, False]
    assert sessions[2]["error"] and sessions[2]["participant"] == ""
    assert sessions[0]["screen"]["width_px"] == 1440
    ev_csv = read(out / "evidence.csv")
    assert [r["id"] for r in ev_csv] == [f["id"] for f in findings]


def test_report_reader_accepts_the_outputs(result) -> None:  # type: ignore[no-untyped-def]
    """The report stage reads these files back (gazemap.report.load_outputs) without error."""
    res, out = result
    report = pytest.importorskip("gazemap.report")
    load = getattr(report, "load_outputs", None)
    if load is None:
        pytest.skip("gazemap.report.load_outputs not available")
    o = load(out)
    assert len(o.metrics) == len(res.metrics) and len(o.fixations) == len(res.fixations)


def test_failed_sessions_only(tmp_path: Path) -> None:
    protocol = load_protocol(PROTOCOL_FILE)
    res = combine([SessionResult(file="x.h5", error="broken")], protocol, study="s")
    write_outputs(tmp_path, res)
    assert read(tmp_path / "metrics.csv") == []
    ev = json.loads((tmp_path / "evidence.json").read_text())
    assert ev["participants"] == [] and all(
        tp["findings"] == [] for st in ev["stages"] for tp in st["touchpoints"]
    )
