"""write_failure: h5py's multi-line write errors as one actionable line; check_free_space."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from gazemap.errors import InputError
from gazemap.store.writer import check_free_space, write_failure

H5PY_ENOSPC = (
    "[Errno 28] Can't close file (file write failed: time = Thu Nov 26 01:33:43 2026\n"
    ", filename = 'x.h5', file descriptor = 3, errno = 28, error message = 'No space left on "
    "device', buf = 0x5, total write size = 2048, bytes this sub-write = 2048, offset = 4096)"
)


def test_a_full_disk_is_said_in_words() -> None:
    for exc in (OSError(errno.ENOSPC, "No space left on device"), OSError(H5PY_ENOSPC)):
        text = write_failure(exc)
        assert text.startswith("the disk is full") and "Free some space" in text
        assert "\n" not in text


def test_permissions_and_other_errors() -> None:
    assert "no permission" in write_failure(OSError(errno.EACCES, "Permission denied"))
    assert "read-only" in write_failure(OSError(errno.EROFS, "Read-only file system"))
    other = write_failure(OSError("unable to lock file,\n errno = 11"))
    assert other == "unable to lock file, errno = 11. Check the path and its permissions."


def test_check_free_space(tmp_path: Path) -> None:
    check_free_space(tmp_path / "a.h5", 1000, "a small file")  # fits
    with pytest.raises(InputError) as ei:
        check_free_space(tmp_path / "a.h5", 1e18, "an exabyte")
    msg = str(ei.value)
    assert msg.startswith(f"cannot write {tmp_path / 'a.h5'}: only ") and "an exabyte needs" in msg
    assert not (tmp_path / "a.h5").exists()
