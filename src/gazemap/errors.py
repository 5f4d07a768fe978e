"""Errors a user can cause and fix.

Every message says what must hold, what was received and how to fix it. The CLI prints
them as one line and exits with code 2; anything else is a bug and keeps its traceback.
"""


class GazemapError(Exception):
    """Base class of every error gazemap raises for bad input or a bad environment."""


class InputError(GazemapError, ValueError):
    """Input data (arrays, files, arguments) that break a documented rule."""


class SessionFileError(InputError):
    """A session file that is not a gazemap session, is too new, damaged or incomplete."""


class ProtocolError(InputError):
    """A study protocol that does not validate; the message lists every problem found."""


class DeviceError(GazemapError, RuntimeError):
    """A tracker or LSL stream that is absent, busy, disconnected or sends garbage."""


class ImportFormatError(InputError):
    """A file from another tool that does not follow that tool's format."""
