"""Clock correction of LSL timestamps from measured clock offsets (NumPy only, no I/O).

An LSL inlet's ``time_correction()`` returns the offset ``o`` that maps a timestamp of the
sender's clock onto the receiver's: ``local = remote + o``. The recorder measures it every
few seconds (like LabRecorder) and stores the measurements as ``clock_offsets`` rows
``(local time s, offset s)``. ``time_s`` of a stream is its raw timestamps plus the offset
interpolated at each sample, as pyxdf does when it loads an XDF file.
"""

from __future__ import annotations

import numpy as np


def corrected_times(time_raw_s: np.ndarray, clock_offsets: np.ndarray) -> np.ndarray:
    """Map raw (sender clock) timestamps onto the recorder's LSL clock.

    Parameters
    ----------
    time_raw_s : (n,) float64
        Timestamps as received, seconds on the sender's LSL clock.
    clock_offsets : (m, 2) float64
        Rows of (local LSL time s, offset s) measured by the recorder, in any order.

    Returns
    -------
    (n,) float64
        ``time_raw_s + offset``, the offset linearly interpolated between measurements
        (placed at their sender-clock time ``local - offset``) and held constant before the
        first and after the last one. Without measurements the raw times are returned.
    """
    raw = np.asarray(time_raw_s, dtype=np.float64).reshape(-1)
    off = np.asarray(clock_offsets, dtype=np.float64).reshape(-1, 2)
    off = off[np.all(np.isfinite(off), axis=1)]
    if len(off) == 0 or len(raw) == 0:
        return raw.copy()
    remote_t = off[:, 0] - off[:, 1]
    order = np.argsort(remote_t, kind="stable")
    return raw + np.interp(raw, remote_t[order], off[order, 1])
