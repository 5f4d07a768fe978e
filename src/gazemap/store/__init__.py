"""HDF5 session files: schema, writer, reader (see docs/file-format.md and design.md)."""

from gazemap.store.reader import Session, open_session
from gazemap.store.schema import FORMAT, FORMAT_VERSION, StreamInfo
from gazemap.store.writer import SessionWriter

__all__ = ["FORMAT", "FORMAT_VERSION", "Session", "SessionWriter", "StreamInfo", "open_session"]
