"""Accuracy in `gazemap analyze`, as a user gets it: a simulated session with validation
targets (`gazemap simulate --validation-points`), one without, and an EyeLink recording
whose own validation result `gazemap import` stored under /calibration."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import gazemap_cmd
from integration.test_cli_imported_events import PROTOCOL as ASC_PROTOCOL

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
PROTOCOL = ROOT / "protocols" / "online-store.yaml"
ASC = ROOT / "tests" / "reference" / "importers" / "eyelink_binocular_2rec.asc"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    r = subprocess.run([*gazemap_cmd(), *args], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    return r


def sessions(out: Path) -> dict[str, dict[str, object]]:
    return {s["participant"]: s for s in json.loads((out / "sessions.json").read_text())}


def test_analyze_reports_the_accuracy_measured_on_validation_targets(tmp_path: Path) -> None:
    study = tmp_path / "study"
    study.mkdir()
    common = ["--protocol", str(PROTOCOL), "--seed", "2", "--rate-hz", "250"]
    run(
        "simulate",
        *common,
        "--participant",
        "P01",
        "--accuracy-deg",
        "1.2",
        "--validation-points",
        "9",
        "--duration-s",
        "40",
        "--out",
        str(study / "P01.h5"),
    )
    run(
        "simulate",
        *common,
        "--participant",
        "P02",
        "--duration-s",
        "30",
        "--out",
        str(study / "P02.h5"),
    )
    out = tmp_path / "out"
    run("analyze", str(study), "--protocol", str(PROTOCOL), "--out", str(out), "--no-report")
    s = sessions(out)
    assert s["P01"]["validation_points"] == 9
    acc = s["P01"]["accuracy_deg"]
    assert isinstance(acc, float) and acc == pytest.approx(1.2, abs=0.15)
    # no validation in the session: no accuracy, not a made-up number
    assert s["P02"]["validation_points"] == 0 and s["P02"]["accuracy_deg"] is None


def test_analyze_uses_the_trackers_own_validation_of_an_import(tmp_path: Path) -> None:
    study = tmp_path / "asc"
    study.mkdir()
    (study / "landing.yaml").write_text(ASC_PROTOCOL, encoding="utf-8")
    run("import", "eyelink_asc", str(ASC), "--out", str(study / "p07.h5"))
    out = tmp_path / "out"
    run(
        "analyze",
        str(study),
        "--protocol",
        str(study / "landing.yaml"),
        "--out",
        str(out),
        "--no-report",
    )
    by_file = {Path(str(v["file"])).name: v for v in sessions(out).values()}
    # two recordings in the ASC; its VALIDATE lines precede the first only. The import keeps
    # the eye of its events, the left: errors 0.31, 0.52, 0.27 deg
    first, second = by_file["p07_rec1.h5"], by_file["p07_rec2.h5"]
    assert first["validation_points"] == 3
    assert first["accuracy_deg"] == pytest.approx((0.31 + 0.52 + 0.27) / 3, abs=1e-9)
    assert second["validation_points"] == 0 and second["accuracy_deg"] is None


def test_detect_prints_the_sessions_quality_with_its_accuracy(tmp_path: Path) -> None:
    session = tmp_path / "P03.h5"
    run(
        "simulate",
        "--protocol",
        str(PROTOCOL),
        "--participant",
        "P03",
        "--seed",
        "5",
        "--rate-hz",
        "250",
        "--duration-s",
        "30",
        "--accuracy-deg",
        "1.6",
        "--validation-points",
        "5",
        "--out",
        str(session),
    )
    out = run("detect", str(session)).stdout
    (line,) = [x for x in out.splitlines() if x.startswith("  quality: data loss")]
    acc = float(line.split("accuracy ")[1].split("°")[0])
    assert acc == pytest.approx(1.6, abs=0.15) and "on 5 validation targets" in line
    assert "precision RMS-S2S" in line and ", SD " in line
    assert f"flagged: accuracy {acc:.2f} deg > 1.0 deg" in out
    # a session without validation: said, not guessed
    plain = tmp_path / "P04.h5"
    run(
        "simulate", "--protocol", str(PROTOCOL), "--participant", "P04", "--seed", "5",
        "--rate-hz", "250", "--duration-s", "20", "--out", str(plain),
    )  # fmt: skip
    out = run("detect", str(plain)).stdout
    assert "accuracy n/a (no validation in the session)" in out
    # the shipped sample's P01 (5 targets, a 0.35 deg tracker offset): within every limit
    sample = tmp_path / "P01.h5"
    sample.write_bytes((ROOT / "recordings" / "sample" / "P01.h5").read_bytes())
    out = run("detect", str(sample)).stdout
    assert "on 5 validation targets" in out
    assert "quality ok (limits: loss 20%, RMS 0.3°, SD 0.5°, accuracy 1.0°)" in out


def test_report_shows_each_sessions_accuracy_and_flags_a_poor_one(tmp_path: Path) -> None:
    study = tmp_path / "study"
    study.mkdir()
    common = ["--protocol", str(PROTOCOL), "--rate-hz", "250", "--duration-s", "30"]
    run(
        "simulate", *common, "--participant", "P01", "--seed", "3", "--accuracy-deg", "1.8",
        "--validation-points", "5", "--out", str(study / "P01.h5"),
    )  # fmt: skip
    run("simulate", *common, "--participant", "P02", "--seed", "4", "--out", str(study / "P02.h5"))
    out = tmp_path / "out"
    run("analyze", str(study), "--protocol", str(PROTOCOL), "--out", str(out))
    acc = sessions(out)["P01"]["accuracy_deg"]
    assert isinstance(acc, float) and acc > 1.0
    index = (out / "index.html").read_text(encoding="utf-8")
    table = index.split('id="sessions-summary"', 1)[1].split("</table>", 1)[0]
    rows = {r.split("<td>", 2)[1].split("</td>", 1)[0]: r for r in table.split("<tr")[2:]}
    assert f"accuracy {acc:.3g}° on the validation targets is above the 1° threshold" in rows["P01"]
    assert "below-threshold" in rows["P01"]
    assert "n/a" in rows["P02"] and "accuracy" not in rows["P02"].split("n/a", 1)[1]
    overview = (out / "overview.html").read_text(encoding="utf-8")
    assert f"{acc:.3g} (5)" in overview and "accuracy ≤ 1°" in overview
    # and the touchpoints of P01 fail the quality check on accuracy alone
    tps = (out / "touchpoints.csv").read_text(encoding="utf-8").splitlines()
    header = tps[0].split(",")
    p01 = [dict(zip(header, r.split(","), strict=True)) for r in tps[1:] if r.startswith("P01,")]
    assert p01 and all(r["quality_ok"] in ("False", "false", "0") for r in p01)
    assert all(float(r["accuracy_deg"]) == pytest.approx(acc) for r in p01)
