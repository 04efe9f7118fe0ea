"""The lean plan's fields of a batch of OCSF rows, built column by column.

Every row of a lake goes past the rule index, and most match nothing: for those, only the few
fields the index, the scope and the event-time watermark read are built (eventSource, eventName,
eventTime… under their OCSF names, engine.decoding.ocsf.FIELD_COLUMNS). Here they come out of the
Arrow columns whole — one conversion per column, times formatted by Arrow — instead of one row at
a time through the full mapping; the result is the same dict `ocsf.to_cloudtrail` would give,
cut to the plan's fields (tests/decoding/test_parquet.py holds them equal on every fixture row).

Rows of OCSF 1.0.0-rc.2 (class 3005) name the user's ARN and principal otherwise: a batch holding
one goes through the full mapping (None is returned)."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from engine.decoding import ocsf
from engine.decoding.lean import BASE_PATHS

Path = tuple[str, ...]
_LEGACY = 3005
_TIME = ("eventTime",)
_ACCOUNT = ("recipientAccountId",)


def heads(batch: Any, paths: tuple[Path, ...], account: str | None) -> list[dict[str, Any] | str] | None:
    """Per row, the plan's fields (a dict) or why the row is not read (a string); None when this
    batch must go through the full mapping."""
    classes = _column(batch, "class_uid")
    if classes is None or _LEGACY in classes:
        return None
    versions = _column(batch, "metadata.version") or [None] * batch.num_rows
    fields: list[tuple[Path, list[Any]]] = []
    for path in dict.fromkeys(BASE_PATHS + paths):
        values = _values(batch, path, account)
        if values is None:
            return None
        fields.append((path, values))
    out: list[dict[str, Any] | str] = []
    for row, (class_uid, version) in enumerate(zip(classes, versions, strict=True)):
        problem = ocsf.row_problem({"class_uid": class_uid, "metadata": {"version": version}})
        if problem is not None:
            out.append(problem)
            continue
        head: dict[str, Any] = {}
        for path, values in fields:
            value = values[row]
            if value is None:
                continue
            if len(path) == 1:
                head[path[0]] = value
            else:
                node = head
                for key in path[:-1]:
                    node = node.setdefault(key, {})
                node[path[-1]] = value
        out.append(head)
    return out


def _values(batch: Any, path: Path, account: str | None) -> list[Any] | None:
    if path == _TIME:
        return _times(batch)
    leaves = ocsf.FIELD_COLUMNS.get(path)
    if leaves is None:
        return None
    columns = [_column(batch, leaf) for leaf in leaves]
    present = [column for column in columns if column is not None]
    if not present:
        values: list[Any] = [None] * batch.num_rows
    elif len(present) == 1:
        values = present[0]
    else:  # the full mapping reads these as `first or second`
        values = [first or second for first, second in zip(present[0], present[1], strict=True)]
    if path == _ACCOUNT and account is not None:
        values = [value or account for value in values]
    return values


def _times(batch: Any) -> list[Any] | None:
    """eventTime as CloudTrail writes it, from `time_dt`, else `time` (epoch milliseconds); None
    when a time column has a type the full mapping must judge."""
    arrays = [array for array in (_array(batch, "time_dt"), _array(batch, "time")) if array is not None]
    texts = [_texts(array) for array in arrays]
    if not arrays:
        return [None] * batch.num_rows
    if any(text is None for text in texts):
        return None
    if len(texts) == 1:
        return texts[0]
    first, second = texts
    assert first is not None and second is not None
    return [one if one is not None else other for one, other in zip(first, second, strict=True)]


def _texts(array: Any) -> list[Any] | None:
    if pa.types.is_integer(array.type):
        array = array.cast(pa.timestamp("ms", tz="UTC"))
    if not pa.types.is_timestamp(array.type):
        return None
    whole = pc.cast(array, pa.timestamp("s", tz=array.type.tz), safe=False)  # %S of ms would show .000
    seconds = pc.strftime(whole, format="%Y-%m-%dT%H:%M:%S").to_pylist()
    fraction = pc.add(pc.multiply(pc.millisecond(array), 1000), pc.microsecond(array)).to_pylist()
    return [
        None if text is None else f"{text}.{micros // 1000:03d}Z" if micros else f"{text}Z"
        for text, micros in zip(seconds, fraction, strict=True)
    ]


def _column(batch: Any, dotted: str) -> list[Any] | None:
    array = _array(batch, dotted)
    return None if array is None else array.to_pylist()


def _array(batch: Any, dotted: str) -> Any:
    """A leaf column of the batch (null where a parent struct is null), or None if it has none."""
    top, *rest = dotted.split(".")
    if batch.schema.get_field_index(top) < 0:
        return None
    array = batch.column(top)
    for name in rest:
        if not pa.types.is_struct(array.type) or array.type.get_field_index(name) < 0:
            return None
        array = pc.struct_field(array, name)
    return array
