"""`gazemap mark` as an app study's moderator uses it: the time of the mark, several at once.

In an app study no browser sends markers: the moderator's marks are the touchpoints'
starts and the screens' changes, so their time is every TTFF's zero. The mark used to be
time-stamped after the command's imports, 0.62-0.99 s after Enter (measured, 2-core
machine); it is now dated back to when the command started (0.03-0.04 s).
"""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import h5py
import pylsl
import pytest
from conftest import gazemap_cmd, wait_for

import gazemap.cli as cli


def _consume(source_id: str, n: int, got: list[tuple[str, float]], stop: threading.Event) -> None:
    """A recorder's side: resolve the mark's stream, connect, pull ``n`` markers."""
    while not stop.is_set():
        found = pylsl.resolve_byprop("source_id", source_id, 1, 0.5)
        if found:
            break
    else:
        return
    inlet = pylsl.StreamInlet(found[0])
    inlet.open_stream(10.0)
    deadline = time.monotonic() + 20.0
    while len(got) < n and time.monotonic() < deadline and not stop.is_set():
        sample, ts = inlet.pull_sample(timeout=0.5)
        if sample is not None:
            got.append((sample[0], ts))


@pytest.mark.integration
def test_mark_is_dated_to_when_the_command_started_and_several_share_it(
    unique_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the command modules' imports take ~0.5 s; make them take 1.5 s, so that a mark stamped
    # after them is clearly later than one stamped when main() began
    real_build = cli.build_parser

    def slow_build():  # type: ignore[no-untyped-def]
        time.sleep(1.5)  # a stand-in for slow imports, not a synchronisation
        return real_build()

    monkeypatch.setattr(cli, "build_parser", slow_build)
    got: list[tuple[str, float]] = []
    stop = threading.Event()
    consumer = threading.Thread(target=_consume, args=(unique_id, 2, got, stop), daemon=True)
    consumer.start()
    try:
        before = pylsl.local_clock()
        code = cli.main(
            ["mark", "--source-id", unique_id, "--wait-s", "20",
             "touchpoint/send-money/start", "screen/accounts"]
        )  # fmt: skip
        assert code == 0
        wait_for(lambda: len(got) == 2, 20, "both markers at the consumer")
    finally:
        stop.set()
        consumer.join(10)
    assert [text for text, _ in got] == ["touchpoint/send-money/start", "screen/accounts"]
    assert got[0][1] == got[1][1]  # one time for both: the screen the touchpoint starts on
    # dated to main()'s start, not 1.5 s later when the command's modules were loaded
    assert before <= got[0][1] < before + 0.75


def test_mark_refuses_an_empty_second_text(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["mark", "--wait-s", "0", "screen/accounts", " "])
    assert code == 2
    err = capsys.readouterr().err
    assert "marker text 2 is empty" in err


@pytest.mark.integration
def test_recorded_marks_of_one_command_share_a_time(tmp_path: Path, unique_id: str) -> None:
    out = tmp_path / "marks.h5"
    rec = subprocess.Popen(
        [*gazemap_cmd(), "record", "--out", str(out), "--stream", unique_id,
         "--wait-s", "60", "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        r = subprocess.run(
            [*gazemap_cmd(), "mark", "--source-id", unique_id, "--wait-s", "30",
             "touchpoint/login/start", "screen/login"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert r.returncode == 0, r.stderr
        assert "marked 'touchpoint/login/start', 'screen/login' at LSL time" in r.stdout
    finally:
        rec.terminate()
        _, err = rec.communicate(timeout=60)
    assert rec.returncode == 0, err
    with h5py.File(out, "r") as f:
        m = f["streams/markers"]
        values = [v.decode() if isinstance(v, bytes) else v for v in m["value"][:]]
        times = list(m["time_raw_s"][:])
    assert values == ["touchpoint/login/start", "screen/login"]
    assert times[0] == times[1]


@pytest.mark.integration
def test_recorder_warns_of_a_phones_px_with_a_monitors_mm(tmp_path: Path, unique_id: str) -> None:
    # the tracker publishes its own screen (1920 x 1080 px, 531 x 299 mm); the user gives the
    # phone's px only: the file would have pixels 3.8 times as wide as tall
    sim = subprocess.Popen(
        [*gazemap_cmd(), "stream", "simulated", "--source-id", unique_id, "--rate-hz", "100",
         "--no-wait", "--duration-s", "60"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    rec = None
    try:
        rec = subprocess.run(
            [*gazemap_cmd(), "record", "--out", str(tmp_path / "P.h5"), "--stream", unique_id,
             "--screen-width-px", "390", "--screen-height-px", "844", "--duration-s", "1",
             "--wait-s", "60", "--quiet"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    finally:
        sim.terminate()
        sim.wait(30)
    assert rec.returncode == 0, rec.stderr
    line = next(ln for ln in rec.stderr.splitlines() if "no screen has" in ln)
    assert line.startswith("gazemap record: warning: the screen is 390x844 px and 531x299 mm")
    assert "--screen-width-mm" in line


@pytest.mark.integration
def test_simulated_tracker_of_a_phone_protocol_has_square_pixels(
    tmp_path: Path, unique_id: str
) -> None:
    # `stream simulated --protocol protocols/bank-app.yaml` published the phone's 390 x 844 px
    # with the default monitor's 531 x 299 mm; now px x 0.3 mm, as `gazemap simulate` does
    protocol = Path(__file__).resolve().parents[2] / "protocols" / "bank-app.yaml"
    sim = subprocess.Popen(
        [*gazemap_cmd(), "stream", "simulated", "--source-id", unique_id, "--rate-hz", "100",
         "--protocol", str(protocol), "--participant", "P01", "--wait-s", "60"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        rec = subprocess.run(
            [*gazemap_cmd(), "record", "--out", str(tmp_path / "P.h5"), "--stream",
             f"{unique_id}*", "--duration-s", "1", "--wait-s", "60", "--quiet"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    finally:
        sim.terminate()
        sim.wait(30)
    assert rec.returncode == 0, rec.stderr
    assert "no screen has" not in rec.stderr
    with h5py.File(tmp_path / "P.h5", "r") as f:
        screen = {k: float(v) for k, v in f["screen"].attrs.items()}
    assert screen == {
        "width_px": 390.0,
        "height_px": 844.0,
        "width_mm": pytest.approx(117.0),
        "height_mm": pytest.approx(253.2),
        "distance_mm": 650.0,
    }


def test_mark_without_recorder_names_every_text(unique_id: str) -> None:
    r = subprocess.run(
        [*gazemap_cmd(), "mark", "touchpoint/login/end", "screen/accounts",
         "--source-id", unique_id, "--wait-s", "0.5"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert r.returncode == 2
    assert "'touchpoint/login/end', 'screen/accounts' were not recorded" in r.stderr
