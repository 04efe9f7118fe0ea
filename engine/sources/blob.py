"""What a source hands decoding: a named blob of bytes that can be opened as a binary stream
(`engine.types.Blob`, shared by every stage)."""

from __future__ import annotations

from engine.types import Blob

__all__ = ["Blob"]
