"""Every registered plug-in has its README row, and every README row names a registered plug-in:
formats, sink URL schemes, sources and condition functions are read from their registries."""

from __future__ import annotations

import re

from engine.conditions.functions import CONDITION_FUNCTIONS
from engine.formats import FORMATS
from engine.sinks.base import SINKS
from engine.sources import SOURCES
from tests.helpers import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def _table_after(header: str) -> list[str]:
    """First cells of the table whose header row starts with `header`."""
    lines = README.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    cells = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells.append(line.split(" | ")[0].lstrip("| ").strip())
    return cells


def test_every_format_has_its_row_and_every_row_a_format() -> None:
    rows = {cell.strip("`") for cell in _table_after("| `--format` |")}
    assert rows == set(FORMATS.names())


def test_every_sink_scheme_has_its_row_and_every_row_a_scheme() -> None:
    cells = _table_after("| sink URL |")
    written = set(re.findall(r"`([a-z+]+)://", " ".join(cells)))
    assert written <= set(SINKS.names()), "a README row names a scheme nobody registered"
    documented_kinds = {scheme.split("+")[0] for scheme in written} | {"stdout", "file"}
    assert {scheme.split("+")[0] for scheme in SINKS.names()} == documented_kinds
    assert "`-`" in cells[0]  # stdout, and a plain path for a file, are the first row


def test_every_source_has_its_row_and_every_row_a_source() -> None:
    rows = {cell.strip("`") for cell in _table_after("| source | what it reads |")}
    assert rows == set(SOURCES.names())


def test_every_condition_function_has_its_row_and_every_row_a_function() -> None:
    cells = _table_after("| function | what it does |")
    written = set(re.findall(r"`([a-z_0-9]+)\(", " ".join(cells)))
    assert written == set(CONDITION_FUNCTIONS.names())


def test_a_registry_says_the_nearest_name() -> None:
    """An unknown name is a usage error that suggests the nearest registered one."""
    import pytest

    from engine.errors import UsageError

    with pytest.raises(UsageError) as caught:
        FORMATS.get("ocfs")
    assert "did you mean 'ocsf'" in str(caught.value)
