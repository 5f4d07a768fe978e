"""A stand-in for SR Research's ``pylink`` module at the link-API boundary (installed into
sys.modules by tests): EyeLink(address), sendCommand/sendMessage, startRecording,
getNextData/getFloatData with Sample objects, trackerTime (ms), isConnected/isRecording,
getCalibrationMessage. The tracker clock runs TRACKER_OFFSET_MS behind the LSL clock."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import pylsl

SAMPLE_TYPE = 200
STARTFIX = 7
ENDFIX = 8
MISSING_DATA = -32768
TRACKER_OFFSET_MS = -5_000_000.0


@dataclass
class Config:
    rate_hz: float = 500.0
    absent: bool = False
    busy: bool = False
    garbage: bool = False
    binocular: bool = True
    instances: list = field(default_factory=list)
    sent: list = field(default_factory=list)  # (tracker ms, LSL time)


CONFIG = Config()


def reset() -> None:
    global CONFIG
    CONFIG = Config()


def tracker_ms() -> float:
    return pylsl.local_clock() * 1000.0 + TRACKER_OFFSET_MS


class SampleData:
    def __init__(self, gaze: tuple[float, float], pupil: float) -> None:
        self._gaze, self._pupil = gaze, pupil

    def getGaze(self) -> tuple[float, float]:
        return self._gaze

    def getPupilSize(self) -> float:
        return self._pupil


class Sample:
    def __init__(self, t_ms: float, i: int, binocular: bool) -> None:
        self._t = t_ms
        x = 200.0 + (i % 100) * 10.0
        lost = i % 20 == 0
        self._left = SampleData((x - 2, 300.0), 1500.0)
        self._right = SampleData(
            (MISSING_DATA, MISSING_DATA) if lost else (x + 2, 300.0), 0.0 if lost else 1510.0
        )
        self._bino = binocular

    def getTime(self) -> float:
        return self._t

    def isLeftSample(self) -> bool:
        return True

    def isRightSample(self) -> bool:
        return self._bino

    def isBinocular(self) -> bool:
        return self._bino

    def getLeftEye(self) -> SampleData:
        return self._left

    def getRightEye(self) -> SampleData:
        return self._right


class EyeLink:
    def __init__(self, trackeraddress: str | None = "100.1.1.1") -> None:
        if CONFIG.absent and trackeraddress is not None:
            raise RuntimeError(f"Could not connect to tracker at {trackeraddress}")
        self.address = trackeraddress
        self.commands: list[str] = []
        self.messages: list[str] = []
        self._connected = True
        self._recording = False
        self._i = 0
        self._next_ms: float | None = None
        self._pending: object = None
        self._lock = threading.Lock()
        CONFIG.instances.append(self)

    def sendCommand(self, cmd: str) -> int:
        self.commands.append(cmd)
        return 0

    def sendMessage(self, msg: str) -> int:
        self.messages.append(msg)
        return 0

    def startRecording(self, a: int, b: int, c: int, d: int) -> int:
        if CONFIG.busy:
            return 27  # not a TRIAL_OK code
        self._recording = True
        self._next_ms = tracker_ms()
        return 0

    def waitForBlockStart(self, maxwait: int, samples: int, events: int) -> int:
        return 1

    def stopRecording(self) -> None:
        self._recording = False

    def close(self) -> None:
        self._connected = False

    def isConnected(self) -> int:
        return 1 if self._connected else 0

    def isRecording(self) -> int:
        return 0 if self._recording else 1

    def trackerTime(self) -> float:
        return tracker_ms()

    def getCalibrationMessage(self) -> str:
        return "!CAL VALIDATION HV9 LR LEFT  GOOD ERROR 0.41 avg. 0.93 max  OFFSET 0.22 deg."

    def drop(self) -> None:
        """The Ethernet link breaks: not connected any more."""
        self._connected = False

    def getNextData(self) -> int:
        if not self._recording or self._next_ms is None:
            return 0
        now = tracker_ms()
        if now < self._next_ms:
            return 0
        t = self._next_ms
        self._next_ms += 1000.0 / CONFIG.rate_hz
        if self._i % 50 == 25:
            self._pending = ("fix-event", t)
            self._i += 1
            return ENDFIX
        self._pending = object() if CONFIG.garbage else Sample(t, self._i, CONFIG.binocular)
        if not CONFIG.garbage:
            CONFIG.sent.append((t, pylsl.local_clock()))
        self._i += 1
        return SAMPLE_TYPE

    def getFloatData(self) -> object:
        return self._pending
