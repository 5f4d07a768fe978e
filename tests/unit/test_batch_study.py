"""Batch analysis of a study of simulated sessions written as real HDF5 files.

Also the helpers other tests of this area import (``from unit.test_batch_study import ...``):
:func:`write_sim_session` writes a gazemap.simulation session to a real session file.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from gazemap.aoi import OUTSIDE_ID
from gazemap.batch import (
    analyze_session,
    analyze_study,
    combine,
    find_protocol,
    find_sessions,
    run_sessions,
)
from gazemap.errors import InputError
from gazemap.events import DEFAULT_DETECTOR
from gazemap.protocol import Protocol, load_protocol
from gazemap.simulation import SimulatedSession, simulate_session
from gazemap.store import SessionWriter
from gazemap.store.schema import StreamInfo
from gazemap.types import GAZE_CHANNEL_LABELS, SCROLL_CHANNEL_LABELS, ScreenGeometry

REPO = Path(__file__).resolve().parents[2]
PROTOCOL_FILE = REPO / "protocols" / "online-store.yaml"
SCREEN = ScreenGeometry(1440, 900, 477.0, 298.0, 650.0)


def write_sim_session(
    path: Path,
    protocol: Protocol,
    participant: str,
    seed: int,
    *,
    rate_hz: float = 250.0,
    **kw: float,
) -> SimulatedSession:
    """Simulate a participant doing the protocol's tasks and write a real session file."""
    sim = simulate_session(
        protocol, participant=participant, seed=seed, screen=SCREEN, rate_hz=rate_hz, **kw
    )
    with SessionWriter(
        path,
        participant=participant,
        protocol=protocol.id,
        session_id=f"{participant}-{seed}",
        screen=SCREEN,
    ) as w:
        w.add_stream("gaze", StreamInfo("gaze", "Gaze", GAZE_CHANNEL_LABELS, nominal_srate=rate_hz))
        cols = [getattr(sim.gaze, c) for c in GAZE_CHANNEL_LABELS]
        data = np.column_stack(
            [
                np.full(len(sim.gaze), np.nan) if c is None else np.asarray(c, dtype=float)
                for c in cols
            ]
        )
        w.append("gaze", sim.gaze.time_s, data)
        w.add_stream(
            "markers", StreamInfo("markers", "Markers", ("value",), channel_format="string")
        )
        w.append("markers", sim.markers.time_s, list(sim.markers.value))
        w.add_stream(
            "scroll",
            StreamInfo("scroll", "Scroll", SCROLL_CHANNEL_LABELS, channel_format="float64"),
        )
        s = sim.scroll
        w.append(
            "scroll",
            s.time_s,
            np.column_stack([s.scroll_x_px, s.scroll_y_px, s.viewport_x_px, s.viewport_y_px]),
        )
    return sim


def write_study(
    folder: Path, n: int, protocol: Protocol, *, broken: bool = False, **kw: float
) -> dict[str, SimulatedSession]:
    """n simulated sessions P01..Pn (+ a broken file when asked) and a study.yaml."""
    folder.mkdir(parents=True, exist_ok=True)
    sims = {}
    for i in range(1, n + 1):
        p = f"P{i:02d}"
        sims[p] = write_sim_session(folder / f"{p}.h5", protocol, p, seed=i, **kw)
    if broken:
        (folder / "P99.h5").write_bytes(b"not an hdf5 file")
    (folder / "study.yaml").write_text(f"protocol: {PROTOCOL_FILE}\n", encoding="utf-8")
    return sims


@pytest.fixture(scope="module")
def protocol() -> Protocol:
    return load_protocol(PROTOCOL_FILE)


@pytest.fixture(scope="module")
def study(
    tmp_path_factory: pytest.TempPathFactory, protocol: Protocol
) -> tuple[Path, dict[str, SimulatedSession]]:
    d = tmp_path_factory.mktemp("study")
    sims = write_study(
        d, 3, protocol, broken=True, accuracy_offset_deg=0.0, precision_deg=0.05, data_loss_rate=0.0
    )
    return d, sims


def test_ground_truth_dwell_goes_to_the_aois_looked_at(study, protocol) -> None:  # type: ignore[no-untyped-def]
    d, sims = study
    for p, sim in sims.items():
        res = analyze_session(d / f"{p}.h5", protocol)
        assert res.ok, res.error
        assert res.tables is not None
        ours: dict[tuple[str, str], float] = defaultdict(float)
        for r in res.tables.metrics:
            if r["aoi_id"] != OUTSIDE_ID:
                ours[(r["touchpoint_id"], r["aoi_id"])] += r["dwell_s"]
        truth: dict[tuple[str, str], float] = defaultdict(float)
        f = sim.truth_fixations
        for i in range(len(f)):
            if sim.truth_aoi[i] and not sim.truth_scrolling[i] and sim.truth_touchpoint[i]:
                truth[(sim.truth_touchpoint[i], sim.truth_aoi[i])] += float(
                    f.end_s[i] - f.start_s[i]
                )
        assert truth, "the simulation looked at no AOI"
        looked = [k for k, v in truth.items() if v >= 0.3]
        # every AOI the participant was told to look at (for >= 0.3 s) gets dwell
        for k in looked:
            assert ours[k] > 0.0, (p, k, truth[k])
        # fixation by fixation: the AOI the participant intended is among the AOIs our
        # fixation at that moment hit (time-weighted recall), and what we map to AOIs was
        # meant for one of them (precision). Nested AOIs (a search box inside a header) make
        # dwell sums double count, so the check is per fixation, not per AOI sum.
        fx = [r for r in res.tables.fixations if r["mapped"]]
        starts = np.array([r["start_s"] for r in fx])
        ends = starts + np.array([r["duration_s"] for r in fx])
        hit_t = tot_t = 0.0
        for i in range(len(f)):
            if not (sim.truth_aoi[i] and not sim.truth_scrolling[i] and sim.truth_touchpoint[i]):
                continue
            mid = (f.start_s[i] + f.end_s[i]) / 2
            k = np.flatnonzero((starts <= mid) & (ends > mid))
            dur = float(f.end_s[i] - f.start_s[i])
            tot_t += dur
            if len(k) and sim.truth_aoi[i] in fx[k[0]]["aoi_ids"]:
                hit_t += dur
        assert hit_t / tot_t > 0.85, (p, hit_t / tot_t)  # measured 0.99-1.0
        t_mid = (f.start_s + f.end_s) / 2
        ok_t = all_t = 0.0
        for r in fx:
            if not r["aoi_ids"]:
                continue
            k = np.flatnonzero(
                (f.start_s <= r["start_s"] + r["duration_s"] / 2)
                & (f.end_s > r["start_s"] + r["duration_s"] / 2)
            )
            all_t += r["duration_s"]
            if len(k) and sim.truth_aoi[k[0]] in r["aoi_ids"]:
                ok_t += r["duration_s"]
        # measured 0.86-0.88 (what the participant meant to look at vs what we map there)
        assert ok_t / all_t > 0.75, (p, ok_t / all_t)
        assert len(t_mid) == len(f)
        assert res.marker_problems == [] or all("no visit" not in m for m in res.marker_problems)
        assert res.data_loss is not None and res.data_loss < 0.2
        assert res.detector == DEFAULT_DETECTOR and res.params


def test_failed_session_is_reported_and_skipped(study, protocol) -> None:  # type: ignore[no-untyped-def]
    d, _ = study
    res = analyze_session(d / "P99.h5", protocol)
    assert not res.ok and "not a readable HDF5 file" in (res.error or "")
    assert res.summary()["ok"] is False and res.tables is None


def test_pool_equals_serial_and_dask(study, protocol) -> None:  # type: ignore[no-untyped-def]
    d, _ = study
    paths = find_sessions(d)
    assert [p.name for p in paths] == ["P01.h5", "P02.h5", "P03.h5", "P99.h5"]
    serial = run_sessions(paths, protocol, jobs=1, progress=False)
    pool = run_sessions(paths, protocol, jobs=2, progress=False)
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        dask = run_sessions(paths, protocol, scheduler=cluster.scheduler_address, progress=False)
    assert [r.ok for r in serial] == [True, True, True, False]
    for a, b, c in zip(serial, pool, dask, strict=True):
        assert a.summary() == b.summary() == c.summary()
        if a.tables is not None:
            assert a.tables == b.tables == c.tables
    s1 = combine(serial, protocol, study=str(d))
    s3 = combine(dask, protocol, study=str(d))
    assert s1.evidence == s3.evidence and s1.journey == s3.journey and s1.metrics == s3.metrics


def test_analyze_study_reads_study_yaml(study) -> None:  # type: ignore[no-untyped-def]
    d, _ = study
    r = analyze_study(d, progress=False)
    assert r.protocol.id == "online-store"
    assert r.evidence_doc["participants"] == ["P01", "P02", "P03"]
    assert len(r.sessions) == 4 and sum(s.ok for s in r.sessions) == 3
    assert r.detector == DEFAULT_DETECTOR and r.evidence_doc["detector"]["name"] == DEFAULT_DETECTOR
    tps = {tp["id"]: tp for st in r.journey["stages"] for tp in st["touchpoints"]}
    assert tps["home"]["n_participants"] == 3
    assert tps["home"]["time_on_touchpoint_s"]["n"] == 3
    assert {a["aoi_id"] for a in tps["home"]["aois"]} >= {"search-box", OUTSIDE_ID}


def test_study_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        find_sessions(tmp_path / "nope")
    f = tmp_path / "file.txt"
    f.write_text("x")
    with pytest.raises(InputError, match="not a directory"):
        find_sessions(f)
    with pytest.raises(InputError, match="no session files"):
        find_sessions(tmp_path)
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "x.h5").write_bytes(b"")
    with pytest.raises(InputError, match="no session files"):
        find_sessions(tmp_path)
    with pytest.raises(InputError, match="no protocol found"):
        find_protocol(tmp_path, None)
    with pytest.raises(InputError, match="does not exist. Check --protocol"):
        find_protocol(tmp_path, tmp_path / "p.yaml")
    (tmp_path / "study.yaml").write_text("name: x\n")
    with pytest.raises(InputError, match="needs a 'protocol: "):
        find_protocol(tmp_path, None)
    (tmp_path / "study.yaml").write_text("protocol: [unclosed\n")
    with pytest.raises(InputError, match="not valid YAML"):
        find_protocol(tmp_path, None)
    (tmp_path / "study.yaml").write_text("protocol: missing.yaml\n")
    with pytest.raises(InputError, match="missing.yaml"):
        find_protocol(tmp_path, None)
    (tmp_path / "p.yaml").write_text("x: 1\n")
    (tmp_path / "study.yaml").write_text("protocol: p.yaml\n")
    assert find_protocol(tmp_path, None) == tmp_path / "p.yaml"
    with pytest.raises(InputError, match="--jobs must be >= 1"):
        run_sessions([], load_protocol(PROTOCOL_FILE), jobs=0)
    with pytest.raises(InputError, match="cannot reach the Dask scheduler"):
        run_sessions(
            [tmp_path / "a.h5"],
            load_protocol(PROTOCOL_FILE),
            scheduler="tcp://127.0.0.1:1",
            progress=False,
            connect_timeout_s=1,
        )


def test_detection_is_cached_in_the_file_and_params_are_kept(tmp_path: Path, protocol) -> None:  # type: ignore[no-untyped-def]
    import h5py

    f = tmp_path / "P01.h5"
    write_sim_session(f, protocol, "P01", 5, rate_hz=200.0)
    r0 = analyze_session(f, protocol, "ivt", write_cache=False)
    with h5py.File(f, "r") as h:
        assert "derived" not in h or "ivt" not in h["derived"]
    r1 = analyze_session(f, protocol, "ivt")
    with h5py.File(f, "r") as h:
        assert "ivt" in h["derived"]
    r2 = analyze_session(f, protocol, "ivt")  # re-uses /derived/ivt
    assert r0.tables == r1.tables == r2.tables and r1.ok
    r3 = analyze_session(f, protocol, "ivt", {"velocity_threshold_deg_s": "45"}, write_cache=False)
    assert r3.ok and r3.params["velocity_threshold_deg_s"] == 45.0
    assert r1.params["velocity_threshold_deg_s"] == 30.0
    bad = analyze_session(f, protocol, "nosuch")
    assert not bad.ok and "unknown detector 'nosuch'" in (bad.error or "")
    # a file that cannot take the cache (open elsewhere) is reported and skipped, not fatal
    with h5py.File(f, "r"):
        ro = analyze_session(f, protocol, "ivt", {"velocity_threshold_deg_s": "50"})
    assert not ro.ok and "already open" in (ro.error or "")
    ok = analyze_session(f, protocol, "ivt", {"velocity_threshold_deg_s": "50"}, write_cache=False)
    assert ok.ok


def test_a_second_domain_protocol_runs_end_to_end(tmp_path: Path) -> None:
    """The bank-loan protocol (another domain) goes through the same pipeline."""
    bank = load_protocol(REPO / "protocols" / "bank-loan.yaml")
    for i in (1, 2):
        write_sim_session(tmp_path / f"B{i}.h5", bank, f"B{i}", seed=10 + i, rate_hz=200.0)
    results = run_sessions(find_sessions(tmp_path), bank, progress=False)
    assert all(r.ok for r in results), [r.error for r in results]
    res = combine(results, bank, study=str(tmp_path))
    visited = {r["touchpoint_id"] for r in res.touchpoints}
    assert visited == {tp.id for tp in bank.touchpoints}
    assert all(r["n_participants"] == 2 for st in res.journey["stages"] for r in st["touchpoints"])
    roles = {r["aoi_role"] for r in res.metrics if r["fixated"]}
    assert {"target", "cta"} & roles


def test_duplicate_participant_is_reported_not_mixed(protocol) -> None:  # type: ignore[no-untyped-def]
    from gazemap.batch import SessionResult
    from gazemap.journey import SessionTables

    a = SessionResult(file="a.h5", participant="P01", ok=True, tables=SessionTables())
    b = SessionResult(file="b.h5", participant="P01", ok=True, tables=SessionTables())
    res = combine([a, b], protocol, study="s")
    assert [s.ok for s in res.sessions] == [True, False]
    assert "participant 'P01' was already analysed from a.h5" in (res.sessions[1].error or "")
    assert res.evidence_doc["participants"] == ["P01"]
