"""`gazemap analyze --detector eyelink_asc`: a study analysed with the tracker's own events,
which `gazemap import` stored under /derived/<format>, on the reference fixtures."""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path

import pytest
from conftest import gazemap_cmd

pytestmark = pytest.mark.integration
REF = Path(__file__).resolve().parents[1] / "reference" / "importers"

# one touchpoint 'landing' (the fixtures' touchpoint/landing/start|end markers) on a
# 1280 x 1024 screen (the ASC's DISPLAY_COORDS), AOIs around the two EyeLink fixations
PROTOCOL = """\
protocol: {id: asc-demo, name: ASC demo, screen: {width_px: 1280, height_px: 1024}}
stages:
  - id: s
    name: S
    touchpoints:
      - id: landing
        name: Landing
        channel: site
        screens:
          - id: landing
            page: {width_px: 1280, height_px: 1024}
            viewport: {width_px: 1280, height_px: 1024}
            aois:
              - {id: logo, role: content, shape: rect, coords: [300, 200, 200, 200]}
              - {id: buy, role: cta, shape: rect, coords: [800, 400, 200, 200]}
"""


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*gazemap_cmd(), *args], capture_output=True, text=True, timeout=300)


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("asc_study")
    (d / "landing.yaml").write_text(PROTOCOL, encoding="utf-8")
    (d / "study.yaml").write_text("protocol: landing.yaml\n", encoding="utf-8")
    r = run(
        "import", "eyelink_asc", str(REF / "eyelink_binocular_2rec.asc"), "--out", str(d / "p07.h5")
    )
    assert r.returncode == 0, r.stderr
    # a Pupil Player export: its own events are /derived/pupil_csv, not eyelink_asc
    r = run("import", "pupil_csv", str(REF / "pupil_export"), "--out", str(d / "pupil.h5"))
    assert r.returncode == 0, r.stderr
    return d


def test_analyze_with_the_trackers_own_events(study: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = run(
        "analyze",
        str(study),
        "--detector",
        "eyelink_asc",
        "--out",
        str(out),
        "--no-report",
        "--quiet",
    )
    assert r.returncode == 0, r.stderr
    assert "2 of 3 sessions analysed" in r.stderr
    # the session without EyeLink events is skipped with what to do
    assert (
        "skipped " in r.stderr
        and "no events imported as 'eyelink_asc' (/derived/eyelink_asc); it holds imported "
        "events pupil_csv: use --detector with one of those, or one of gazemap's detectors"
        in r.stderr
    )
    fix = [f for f in rows(out / "fixations.csv") if f["participant"] == "p07_rec1"]
    # the ASC's EFIX L 1000010-1000100 (400.5, 300) and EFIX L 1000132-1000190 (900, 500), in the
    # touchpoint from its start marker (MSG 1000050 -4 -> 1000.054 s) to its end (1000.230 s):
    # the first (to start + duration 92 ms = 1000.102 s) is clipped to the start,
    # 1000.054-1000.102 s; the second lasts its 60 ms
    assert [(f["start_s"], f["aoi_ids"]) for f in fix] == [
        ("1000.054", "logo"),
        ("1000.132", "buy"),
    ]
    assert [round(float(f["duration_s"]), 6) for f in fix] == [0.048, 0.060]
    met = {m["aoi_id"]: m for m in rows(out / "metrics.csv") if m["participant"] == "p07_rec1"}
    assert round(float(met["buy"]["ttff_s"]), 6) == 0.078  # 1000.132 - 1000.054
    assert met["buy"]["fixations_before_first"] == "1"
    assert {m["detector"] for m in met.values()} == {"eyelink_asc"}


def test_analyze_with_pupil_events_too(study: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = run(
        "analyze",
        str(study),
        "--detector",
        "pupil_csv",
        "--out",
        str(out),
        "--no-report",
        "--quiet",
    )
    assert r.returncode == 0, r.stderr
    assert "1 of 3 sessions analysed" in r.stderr
    assert {m["detector"] for m in rows(out / "metrics.csv")} == {"pupil_csv"}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["analyze", "STUDY", "--detector", "eyelink_asc", "--param", "x=1"],
         "--param does not apply to 'eyelink_asc': imported events are used as the source made"),
        (["analyze", "STUDY", "--detector", "eyelnk"],
         "unknown detector 'eyelnk'; available: adaptive, idt, ivt, ivt_pso, rf. Events stored"),
        (["detect", "STUDY/p07_rec1.h5", "--detector", "eyelink_asc"],
         "'eyelink_asc' names events stored by `gazemap import`, which are not detected again"),
    ],
)  # fmt: skip
def test_one_line_errors(study: Path, argv: list[str], message: str) -> None:
    r = run(*[a.replace("STUDY", str(study)) for a in argv])
    assert r.returncode == 2 and message in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
