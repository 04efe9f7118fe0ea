"""Parquet of OCSF API Activity (Amazon Security Lake) → CloudTrail records, a row group at a time.

Recognised by its magic bytes (`PAR1`), never by a name. Only the columns the OCSF → CloudTrail
mapping reads are read (engine.decoding.ocsf.COLUMNS: observables, enrichments and the rest are
never decoded), and rows are turned into records one batch at a time, so memory holds one batch of
one row group whatever the size of the file.

With a lean plan (the rule index), a row group is first read for the few leaf columns the plan
needs (eventSource, eventName, eventTime…, under their OCSF names); a row no rule can match becomes
a partial record of those fields, and the other columns of a row group are read only when one of
its rows is wanted — on a busy lake most row groups never have their `api.request.data` or
`unmapped` decoded at all.

Bad input gives a skip naming the object and the reason: not Parquet after all, truncated, columns
that are not OCSF or not of the type OCSF gives them, a row of another OCSF class or schema
version (that row only). Without pyarrow (the `securitylake` extra), one skip says what to install."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any, BinaryIO

from engine.decoding import ocsf
from engine.decoding.context import DecodeContext, Items
from engine.types import Origin, Record

MAGIC = b"PAR1"
BATCH_ROWS = 1024  # rows turned into Python objects at once: a few MB, whatever the row group size
NEED_EXTRA = "a Parquet file: reading it needs pyarrow (pip install 'trailwarden[securitylake]')"
_PARTITION = "accountId="

# The Arrow type each leaf column must have; a leaf of another type is named, and the file skipped.
_STRING_LEAVES = (
    "api.operation",
    "api.service.name",
    "api.request.data",
    "api.response.data",
    "api.response.error",
    "metadata.uid",
    "metadata.version",
    "cloud.region",
    "actor.user.type",
    "actor.user.uid",
    "src_endpoint.ip",
)


def sniff(raw: BinaryIO) -> bool:
    """Whether the stream starts with the Parquet magic, leaving it where it was."""
    peek = getattr(raw, "peek", None)
    if peek is not None:
        try:
            return bytes(peek(len(MAGIC))[: len(MAGIC)]) == MAGIC
        except (OSError, ValueError):
            return False
    try:
        if not raw.seekable():
            return False
        head = raw.read(len(MAGIC))
        raw.seek(0)
    except (OSError, ValueError):
        return False
    return head == MAGIC


def first_time(raw: BinaryIO) -> int | None:
    """The earliest `time` (epoch milliseconds) of an OCSF Parquet object, from its footer's
    row-group statistics alone; None when it is not Parquet or keeps no statistics."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        metadata = pq.ParquetFile(raw).metadata
    except (pa.ArrowException, OSError):
        return None
    lows: list[int] = []
    for group in range(metadata.num_row_groups):
        row_group = metadata.row_group(group)
        for column in range(row_group.num_columns):
            chunk = row_group.column(column)
            stats = chunk.statistics
            if chunk.path_in_schema not in ("time", "time_dt") or stats is None or not stats.has_min_max:
                continue
            low = stats.min
            if isinstance(low, datetime):
                low = int(low.timestamp() * 1000)
            if isinstance(low, int):
                lows.append(low)
    return min(lows) if lows else None


def decode_parquet(raw: BinaryIO, ctx: DecodeContext) -> Items:
    """The records of one Parquet object, in row order, with skips for what cannot be read."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        yield ctx.whole(NEED_EXTRA)
        return
    if not raw.seekable():  # standard input: Parquet is read from its footer, so it is held whole
        raw = io.BytesIO(raw.read(ctx.limits.max_document_bytes + 1))
        if len(raw.getbuffer()) > ctx.limits.max_document_bytes:
            yield ctx.whole(f"a Parquet stream larger than {ctx.limits.max_document_bytes:,} bytes")
            return
    try:
        parquet = pq.ParquetFile(raw, pre_buffer=True)  # a row group's column ranges in few reads
    except (pa.ArrowException, OSError) as exc:
        yield ctx.whole(f"not a readable Parquet file (truncated or damaged?): {exc}")
        return
    schema = parquet.schema_arrow
    problem = _schema_problem(schema, pa)
    if problem is not None:
        yield ctx.whole(problem)
        return
    columns = [name for name in ocsf.COLUMNS if name in schema.names]
    head_columns = _head_columns(ctx, schema)
    account = _partition_account(ctx.source)
    try:
        for group in range(parquet.num_row_groups):
            if head_columns is None:
                yield from _rows(parquet, group, columns, ctx, account)
            else:
                yield from _lean_rows(parquet, group, columns, head_columns, ctx, account)
    except (pa.ArrowException, OSError) as exc:
        yield ctx.whole(f"Parquet data could not be read past record {ctx.index:,}: {exc}")
    yield from ctx.closing()


def _rows(parquet: Any, group: int, columns: list[str], ctx: DecodeContext, account: str | None) -> Items:
    for row in _row_dicts(parquet, group, columns):
        problem = ocsf.row_problem(row)
        if problem is not None:
            yield from ctx.bad_item(problem, None)
            continue
        yield Record(ocsf.to_cloudtrail(row, account), Origin(ctx.source, ctx.index))
        ctx.index += 1


def _lean_rows(
    parquet: Any,
    group: int,
    columns: list[str],
    head_columns: list[str],
    ctx: DecodeContext,
    account: str | None,
) -> Items:
    """Heads first (engine.decoding.parquet_heads); then, batch by batch, the full columns of the
    rows the plan wants, and only those rows turned into Python objects. A row group without a
    wanted row never has its other columns read."""
    import pyarrow as pa

    from engine.decoding import parquet_heads

    lean = ctx.lean
    assert lean is not None
    heads: list[dict[str, Any] | str] = []
    for batch in _batches(parquet, group, head_columns):
        found = parquet_heads.heads(batch, lean.paths, account)
        if found is None:  # OCSF 1.0 rows, or a column the full mapping must judge
            found = [_head_of(row, lean.paths, account) for row in batch.to_pylist()]
        heads.extend(found)
    wanted = [not isinstance(head, str) and bool(lean.wants(head)) for head in heads]
    if not any(wanted):
        yield from _emit(heads, {}, 0, len(heads), ctx, account)
        return
    start = 0
    for batch in _batches(parquet, group, columns):
        end = start + batch.num_rows
        rows = [at for at in range(start, end) if wanted[at]]
        full: dict[int, dict[str, Any]] = {}
        if rows:
            taken = batch.take(pa.array([at - start for at in rows])).to_pylist()
            full = dict(zip(rows, taken, strict=True))
        yield from _emit(heads, full, start, end, ctx, account)
        start = end


def _emit(
    heads: list[dict[str, Any] | str],
    full: dict[int, dict[str, Any]],
    start: int,
    end: int,
    ctx: DecodeContext,
    account: str | None,
) -> Items:
    for at in range(start, end):
        head = heads[at]
        if isinstance(head, str):
            yield from ctx.bad_item(head, None)
            continue
        row = full.get(at)
        if row is not None:
            yield Record(ocsf.to_cloudtrail(row, account), Origin(ctx.source, ctx.index))
        else:
            yield Record(head, Origin(ctx.source, ctx.index), True)
        ctx.index += 1


def _head_of(
    row: dict[str, Any], paths: tuple[tuple[str, ...], ...], account: str | None
) -> dict[str, Any] | str:
    problem = ocsf.row_problem(row)
    return problem if problem is not None else _pick(ocsf.to_cloudtrail(row, account), paths)


def _batches(parquet: Any, group: int, columns: list[str]) -> Iterator[Any]:
    return iter(
        parquet.iter_batches(batch_size=BATCH_ROWS, row_groups=[group], columns=columns, use_threads=False)
    )


def _row_dicts(parquet: Any, group: int, columns: list[str]) -> Iterator[dict[str, Any]]:
    for batch in _batches(parquet, group, columns):
        rows = batch.to_pylist()
        rows.reverse()
        while rows:  # popped, so a row the scan is done with is not held until the batch ends
            yield rows.pop()


def _head_columns(ctx: DecodeContext, schema: Any) -> list[str] | None:
    """The leaf columns a lean plan's fields come from, or None to read every row in full (no plan,
    or a plan field that only `unmapped` holds, which would be read whole anyway)."""
    lean = ctx.lean
    if lean is None:
        return None
    from engine.decoding.lean import BASE_PATHS

    leaves: dict[str, None] = dict.fromkeys(ocsf.ROW_CHECK_COLUMNS)
    for path in BASE_PATHS + lean.paths:
        found = ocsf.FIELD_COLUMNS.get(path)
        if found is None:
            return None
        leaves.update(dict.fromkeys(found))
    return [leaf for leaf in leaves if _leaf_type(schema, leaf) is not None]


def _pick(event: dict[str, Any], paths: tuple[tuple[str, ...], ...]) -> dict[str, Any]:
    """Only the lean plan's fields of a record, as the lean JSON decoder gives them."""
    from engine.decoding.lean import BASE_PATHS

    head: dict[str, Any] = {}
    for path in BASE_PATHS + paths:
        node: Any = event
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if node is None:
            continue
        target = head
        for key in path[:-1]:
            target = target.setdefault(key, {})
        target[path[-1]] = node
    return head


def _schema_problem(schema: Any, pa: Any) -> str | None:
    missing = [name for name in ("class_uid", "api") if name not in schema.names]
    if missing:
        names = ", ".join(schema.names[:6]) + (", …" if len(schema.names) > 6 else "")
        return (
            f"a Parquet file without the OCSF column(s) {', '.join(missing)} (columns: {names}): "
            "not Security Lake data"
        )
    if not pa.types.is_integer(schema.field("class_uid").type):
        return f"column class_uid is {schema.field('class_uid').type}, not an integer as OCSF has it"
    for leaf in _STRING_LEAVES:
        kind = _leaf_type(schema, leaf)
        if kind is not None and not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
            return f"column {leaf} is {kind}, not a string as OCSF has it"
    return None


def _leaf_type(schema: Any, leaf: str) -> Any:
    top, *rest = leaf.split(".")
    if top not in schema.names:
        return None
    kind = schema.field(top).type
    for name in rest:
        if not hasattr(kind, "get_field_index") or kind.get_field_index(name) < 0:
            return None
        kind = kind.field(name).type
    return kind


def _partition_account(source: str) -> str | None:
    """The `accountId=` folder of a lake object's key, if it has one."""
    at = source.find(_PARTITION)
    if at < 0:
        return None
    return source[at + len(_PARTITION) :].split("/", 1)[0] or None
