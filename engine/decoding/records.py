"""What decoding hands the engine: CloudTrail records with where they came from, or a note of what
was skipped and why. Sources and decoders yield these; nothing else crosses the boundary. The
nouns themselves live in `engine.types`, shared by every stage."""

from __future__ import annotations

from engine.types import Event, Origin, Record, Skip

__all__ = ["Event", "Origin", "Record", "Skip"]
