"""Fuzz every importer: a damaged file imports or raises a gazemap error, never anything else,
and a failed import leaves no output file behind."""

from __future__ import annotations

import random
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gazemap.errors import GazemapError
from gazemap.importers import available, import_file

REF = Path(__file__).resolve().parents[1] / "reference" / "importers"
FILES = {
    "eyelink_asc": REF / "eyelink_binocular_2rec.asc",
    "tobii_tsv": REF / "tobii_prolab_2rec.tsv",
    "xdf": REF / "labrecorder_gaze_markers_eeg.xdf",
    "lund": REF / "lund_small.csv",
}
FILES_EXTRA = {
    "tobii_tsv": REF / "tobii_studio.tsv",
    "eyelink_asc": REF / "eyelink_monocular_vel_res.asc",
}
_NUM = re.compile(rb"\d+(\.\d+)?")


def mutate(data: bytes, kind: str, seed: int, where: float) -> bytes:
    rnd = random.Random(seed)
    if kind == "truncate":
        return data[: int(len(data) * where)]
    lines = data.splitlines(keepends=True)
    if kind == "shuffle":
        head, body = lines[:1], lines[1:]
        k = max(2, int(len(body) * where))
        i = rnd.randrange(0, max(1, len(body) - k))
        seg = body[i : i + k]
        rnd.shuffle(seg)
        return b"".join(head + body[:i] + seg + body[i + k :])
    if kind == "encoding":
        i = int(len(data) * where)
        return (
            data[:i] + rnd.choice([b"\xe9", b"\xff\xfe", b"\x00", "ü".encode("utf-16")]) + data[i:]
        )
    if kind == "huge":
        nums = list(_NUM.finditer(data))
        if not nums:
            return data
        m = nums[int((len(nums) - 1) * where)]
        big = rnd.choice([b"1e308", b"99999999999999999999999999", b"-1e400", b"nan", b"1e-320"])
        return data[: m.start()] + big + data[m.end() :]
    if kind == "drop_field":
        i = int(len(lines) * where) % max(1, len(lines))
        parts = re.split(rb"([\t ]+)", lines[i])
        if len(parts) > 2:
            del parts[rnd.randrange(len(parts))]
        lines[i] = b"".join(parts)
        return b"".join(lines)
    raise AssertionError(kind)


def check(fmt: str, data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        src = Path(d) / f"in{suffix}"
        src.write_bytes(data)
        out = Path(d) / "out.h5"
        try:
            written = import_file(fmt, src, out)
        except GazemapError:
            assert sorted(p.name for p in Path(d).iterdir()) == [src.name], (
                "a failed import left a file"
            )
            return
        assert written and all(p.exists() for p in written)
        assert not any(p.name.endswith(".partial") for p in Path(d).iterdir())


KINDS = st.sampled_from(["truncate", "shuffle", "encoding", "huge", "drop_field"])


@pytest.mark.parametrize("fmt", sorted(FILES))
@given(kind=KINDS, seed=st.integers(0, 2**16), where=st.floats(0.0, 1.0), other=st.booleans())
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_importer_fuzz(fmt: str, kind: str, seed: int, where: float, other: bool) -> None:
    path = FILES_EXTRA[fmt] if other and fmt in FILES_EXTRA else FILES[fmt]
    check(fmt, mutate(path.read_bytes(), kind, seed, where), path.suffix)


@pytest.mark.parametrize("fmt", sorted(FILES))
@given(blob=st.binary(max_size=400))
@settings(max_examples=40, deadline=None)
def test_importer_random_bytes(fmt: str, blob: bytes) -> None:
    check(fmt, blob, FILES[fmt].suffix)


def test_every_available_importer_is_fuzzed() -> None:
    assert set(FILES) <= set(available())


PUPIL = REF / "pupil_export"
PUPIL_FILES = sorted(p.relative_to(PUPIL) for p in PUPIL.rglob("*.csv"))


@given(
    kind=KINDS,
    seed=st.integers(0, 2**16),
    where=st.floats(0.0, 1.0),
    which=st.integers(0, len(PUPIL_FILES) - 1),
)
@settings(max_examples=60, deadline=None)
def test_pupil_export_fuzz(kind: str, seed: int, where: float, which: int) -> None:
    import shutil

    with tempfile.TemporaryDirectory() as d:
        folder = Path(d) / "export"
        shutil.copytree(PUPIL, folder)
        target = folder / PUPIL_FILES[which]
        target.write_bytes(mutate(target.read_bytes(), kind, seed, where))
        out = Path(d) / "out.h5"
        try:
            written = import_file("pupil_csv", folder, out)
        except GazemapError:
            assert not out.exists() and not any(p.suffix == ".partial" for p in Path(d).iterdir())
            return
        assert written == [out] and out.exists()
