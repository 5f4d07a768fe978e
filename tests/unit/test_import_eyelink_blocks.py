"""An EyeLink experiment often records one START … END block per trial (here: one per screen
of a usability test). Imported as one session per block, the participant's touchpoints
landed in several files of the same participant, of which `gazemap analyze` keeps only the
first: the other touchpoints were lost with only a 'duplicate participant' message. The
import now says so, and ``merge_blocks=True`` makes one session of the blocks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gazemap.errors import ImportFormatError
from gazemap.importers import import_file
from gazemap.importers.eyelink_asc import read_asc
from gazemap.store import open_session


def _block(t0: int, tp: str, eyes: str = "LEFT") -> list[str]:
    lines = [
        f"MSG\t{t0 - 5} TRIALID {tp}",
        f"START\t{t0} \t{eyes}\tSAMPLES\tEVENTS",
        "SAMPLES\tGAZE\tLEFT\tRATE\t500.00\tTRACKING\tCR\tFILTER\t2",
        f"MSG\t{t0} touchpoint/{tp}/start",
    ]
    for t in range(t0, t0 + 200, 2):
        lines.append(f"{t}\t  400.0\t  300.0\t 1200.0\t...")
    lines.append(f"EFIX L   {t0}\t{t0 + 198}\t200\t  400.0\t  300.0\t   1200")
    lines.append(f"MSG\t{t0 + 199} touchpoint/{tp}/end")
    lines.append(f"END\t{t0 + 200} \tSAMPLES\tEVENTS\tRES\t38.00\t35.00")
    return lines


def _asc(tmp_path: Path, second_eyes: str = "LEFT") -> Path:
    lines = ["MSG\t900 DISPLAY_COORDS 0 0 1919 1079"]
    lines += _block(1000, "landing") + _block(3000, "app-login", second_eyes)
    f = tmp_path / "p03.asc"
    f.write_text("\n".join(lines) + "\n", encoding="ascii")
    return f


def test_merge_blocks_gives_one_session_with_every_block(tmp_path: Path) -> None:
    (rec,) = read_asc(_asc(tmp_path), merge_blocks=True)
    assert len(rec.time_s) == 200
    assert rec.time_s[0] == pytest.approx(1.0) and rec.time_s[-1] == pytest.approx(3.198)
    assert [v for v in rec.markers.value if v.startswith("touchpoint/")] == [
        "touchpoint/landing/start",
        "touchpoint/landing/end",
        "touchpoint/app-login/start",
        "touchpoint/app-login/end",
    ]
    assert rec.fixations is not None
    np.testing.assert_allclose(rec.fixations.start_s, [1.0, 3.0])
    assert rec.screen_px == (1920, 1080)
    # without the option: one recording per block, as before
    assert len(read_asc(_asc(tmp_path))) == 2


def test_merged_import_writes_one_file(tmp_path: Path) -> None:
    out = tmp_path / "P03.h5"
    (written,) = import_file("eyelink_asc", _asc(tmp_path), out, merge_blocks=True)
    assert written == out
    with open_session(out) as s:
        assert len(s.gaze()) == 200


def test_several_blocks_warn_that_they_become_several_participants(tmp_path: Path) -> None:
    warnings: list[str] = []
    written = import_file(
        "eyelink_asc", _asc(tmp_path), tmp_path / "P03.h5", participant="P03", warn=warnings.append
    )
    assert len(written) == 2
    assert any("2 recording blocks" in w and "--merge-blocks" in w for w in warnings)


def test_blocks_of_different_eyes_are_not_merged(tmp_path: Path) -> None:
    with pytest.raises(ImportFormatError, match="different eyes"):
        read_asc(_asc(tmp_path, second_eyes="RIGHT"), merge_blocks=True)


@pytest.mark.parametrize("kind", ["HREF", "PUPIL"])
def test_href_or_raw_pupil_samples_are_refused(tmp_path: Path, kind: str) -> None:
    # edf2asc -sh / -sp write head-referenced angles / camera positions in the sample
    # columns: they were read as screen px (fixations far off their AOIs, no word said)
    f = _asc(tmp_path)
    f.write_text(f.read_text().replace("SAMPLES\tGAZE", f"SAMPLES\t{kind}"), encoding="ascii")
    with pytest.raises(ImportFormatError, match=f"{kind} positions.*-s[hp].*gaze samples"):
        read_asc(f)


def test_event_eye_that_was_not_recorded_is_refused(tmp_path: Path) -> None:
    # --eye R on a left-eye recording imported no fixations at all, silently: with
    # --detector eyelink_asc every AOI then read as never fixated
    with pytest.raises(ImportFormatError, match=r"--eye R, but this block recorded only the left"):
        read_asc(_asc(tmp_path), event_eye="R")
    (rec,) = read_asc(_asc(tmp_path), event_eye="L", merge_blocks=True)
    assert rec.fixations is not None and len(rec.fixations) == 2


def test_screen_from_gaze_coords_when_no_display_coords(tmp_path: Path) -> None:
    # a file without the experiment's DISPLAY_COORDS got 1920 x 1080 whatever the screen;
    # the tracker's own GAZE_COORDS (in every file) says 1280 x 1024
    f = _asc(tmp_path)
    text = f.read_text().replace(
        "MSG\t900 DISPLAY_COORDS 0 0 1919 1079", "MSG\t900 GAZE_COORDS 0.00 0.00 1279.00 1023.00"
    )
    f.write_text(text, encoding="ascii")
    (rec,) = read_asc(f, merge_blocks=True)
    assert rec.screen_px == (1280, 1024)
    # DISPLAY_COORDS wins over GAZE_COORDS
    f.write_text("MSG\t899 DISPLAY_COORDS 0 0 1023 767\n" + text, encoding="ascii")
    assert read_asc(f)[0].screen_px == (1024, 768)
