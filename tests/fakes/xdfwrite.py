"""A minimal XDF 1.0 writer (the chunk layout of the XDF specification) for test fixtures.

Chunks: [NumLengthBytes u8][Length][Tag u16][Content]; tags 1 FileHeader, 2 StreamHeader,
3 Samples, 4 ClockOffset, 6 StreamFooter. Samples: [StreamId u32][NumSampleBytes u8]
[NumSamples][per sample: TimeStampBytes u8 (8) + f64 timestamp + values].
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np


def _varlen(n: int) -> bytes:
    if n < 256:
        return struct.pack("<BB", 1, n)
    if n < 2**32:
        return struct.pack("<BI", 4, n)
    return struct.pack("<BQ", 8, n)


def _chunk(tag: int, content: bytes) -> bytes:
    return _varlen(len(content) + 2) + struct.pack("<H", tag) + content


def stream_header_xml(
    name: str,
    typ: str,
    labels: list[str],
    units: list[str],
    srate: float,
    fmt: str,
    source_id: str,
    extra_desc: str = "",
) -> str:
    chans = "".join(
        f"<channel><label>{lab}</label><unit>{u}</unit></channel>"
        for lab, u in zip(labels, units, strict=True)
    )
    return (
        '<?xml version="1.0"?><info>'
        f"<name>{name}</name><type>{typ}</type><channel_count>{len(labels)}</channel_count>"
        f"<nominal_srate>{srate}</nominal_srate><channel_format>{fmt}</channel_format>"
        f"<source_id>{source_id}</source_id><version>1.1</version><created_at>100.0</created_at>"
        f"<uid>{source_id}-uid</uid><session_id>default</session_id><hostname>lab-pc</hostname>"
        f"<desc><channels>{chans}</channels>{extra_desc}</desc></info>"
    )


def write_xdf(path: Path, streams: list[dict]) -> None:
    """streams: dicts with id, name, type, labels, units, srate, fmt ('float32'|'double64'|'string'),
    source_id, times (n,), values ((n, k) numbers or n strings), offsets [(time, value)], extra_desc."""
    out = [
        b"XDF:",
        _chunk(
            1,
            b'<?xml version="1.0"?><info><version>1.0</version><datetime>2026-11-24T10:00:00+0100</datetime></info>',
        ),
    ]
    for s in streams:
        xml = stream_header_xml(
            s["name"],
            s["type"],
            s["labels"],
            s["units"],
            s["srate"],
            s["fmt"],
            s["source_id"],
            s.get("extra_desc", ""),
        )
        out.append(_chunk(2, struct.pack("<I", s["id"]) + xml.encode()))
    for s in streams:
        times = np.asarray(s["times"], dtype=np.float64)
        for start in range(0, len(times), 50):
            body = b""
            for i in range(start, min(start + 50, len(times))):
                body += struct.pack("<Bd", 8, times[i])
                if s["fmt"] == "string":
                    b = str(s["values"][i]).encode()
                    body += _varlen(len(b)) + b
                else:
                    code = "<" + ("f" if s["fmt"] == "float32" else "d") * len(s["labels"])
                    body += struct.pack(code, *np.asarray(s["values"][i], dtype=float))
            n = min(start + 50, len(times)) - start
            out.append(_chunk(3, struct.pack("<I", s["id"]) + _varlen(n) + body))
        for t, v in s.get("offsets", []):
            out.append(_chunk(4, struct.pack("<Idd", s["id"], t, v)))
    for s in streams:
        t = np.asarray(s["times"], dtype=np.float64)
        footer = (
            '<?xml version="1.0"?><info>'
            f"<first_timestamp>{t[0] if len(t) else 0}</first_timestamp><last_timestamp>{t[-1] if len(t) else 0}</last_timestamp>"
            f"<sample_count>{len(t)}</sample_count><clock_offsets>"
            + "".join(
                f"<offset><time>{a}</time><value>{b}</value></offset>"
                for a, b in s.get("offsets", [])
            )
            + "</clock_offsets></info>"
        )
        out.append(_chunk(6, struct.pack("<I", s["id"]) + footer.encode()))
    Path(path).write_bytes(b"".join(out))
