"""DataFrames from column lists, each column with a fixed dtype whatever the number of rows.

Text is pandas' ``str``, counts are nullable ``Int64``, costs and times ``float64`` (NaN when
unknown), ``created`` is ``datetime64[us, UTC]``, and nested values (parameters, tool calls,
usage, content parts) are plain dicts and lists in ``object`` columns. Building each column from
a list in one call (through pyarrow when it is installed) keeps 100,000 rows well under a second.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ._pandas import numpy, pandas, pyarrow

if TYPE_CHECKING:
    import pandas as pd  # type: ignore[import-untyped]

__all__ = [
    "JSON_COLUMNS",
    "MESSAGE_COLUMNS",
    "PARAM_COLUMNS",
    "STORED_COLUMNS",
    "USAGE_COLUMNS",
    "build_frame",
    "typed_column",
]

STR, INT, FLOAT, BOOL, NULLABLE_BOOL, OBJECT, TIME, COUNT = (
    "str",
    "Int64",
    "float64",
    "bool",
    "boolean",
    "object",
    "datetime64[us, UTC]",
    "int64",
)

_USAGE_KINDS: dict[str, str] = {
    "prompt_tokens": INT,
    "completion_tokens": INT,
    "total_tokens": INT,
    "cached_tokens": INT,
    "reasoning_tokens": INT,
    "usage": OBJECT,
    "cost_usd": FLOAT,
}

MESSAGE_COLUMNS: dict[str, str] = {
    "conversation_id": STR,
    "message_id": STR,
    "parent_id": STR,
    "position": COUNT,
    "turn": INT,
    "role": STR,
    "name": STR,
    "content": STR,
    "content_parts": OBJECT,
    "refusal": STR,
    "reasoning": STR,
    "tool_calls": OBJECT,
    "tool_names": STR,
    "tool_call_id": STR,
    "model": STR,
    "params": OBJECT,
    # the param_* columns go here
    **_USAGE_KINDS,
    "usage_source": STR,
    "latency_s": FLOAT,
    "ttft_s": FLOAT,
    "finish_reason": STR,
    "api": STR,
    "request_id": STR,
    "batch_id": STR,
    "status": STR,
    "error": STR,
    "kept": BOOL,
    "created": TIME,
    "on_path": BOOL,
    "selected": BOOL,
    "system": STR,
    "audio": OBJECT,
    "media": OBJECT,
}
"""The columns of ``to_dataframe``, in order, and their dtypes."""

USAGE_COLUMNS: tuple[str, ...] = (
    "conversation_id",
    "message_id",
    "turn",
    "created",
    "model",
    "params",
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "cached_tokens",
    "reasoning_tokens",
    "usage_source",
    "cost_usd",
    "latency_s",
    "ttft_s",
    "request_id",
    "batch_id",
    "finish_reason",
    "api",
    "tool_names",
    "status",
    "error",
    "on_path",
)
"""The columns of ``usage_dataframe`` (a subset of the message columns, same dtypes)."""

PARAM_COLUMNS: dict[str, str] = {
    "model": STR,
    "temperature": FLOAT,
    "top_p": FLOAT,
    "max_completion_tokens": INT,
    "reasoning_effort": STR,
    "verbosity": STR,
    "seed": INT,
    "n": INT,
    "presence_penalty": FLOAT,
    "frequency_penalty": FLOAT,
    "logprobs": NULLABLE_BOOL,
    "top_logprobs": INT,
    "parallel_tool_calls": NULLABLE_BOOL,
    "service_tier": STR,
    "store": NULLABLE_BOOL,
}
"""Scalar parameters flattened into ``param_<name>`` columns, when some row sets them; the rest
(response_format, stop, tool_choice, metadata, ...) stay in the ``params`` dict only."""

STORED_COLUMNS: dict[str, str] = {
    "id": STR,
    "created": TIME,
    "model": STR,
    "metadata": OBJECT,
    "first_user_message": STR,
    "reply": STR,
    "finish_reason": STR,
    **_USAGE_KINDS,
    "request_id": STR,
    "params": OBJECT,
    "service_tier": STR,
}
"""The columns of ``stored_dataframe``."""

JSON_COLUMNS: tuple[str, ...] = tuple(k for k, v in MESSAGE_COLUMNS.items() if v == OBJECT)
"""Columns holding nested values: JSON text in Parquet files."""


def build_frame(columns: Mapping[str, Sequence[Any]], kinds: Mapping[str, str]) -> pd.DataFrame:
    """A DataFrame of ``columns`` (name -> values, all the same length), typed by ``kinds``."""
    pd = pandas()
    data = {name: typed_column(kinds[name], values) for name, values in columns.items()}
    return pd.DataFrame(data, copy=False)


def typed_column(kind: str, values: Sequence[Any]) -> Any:
    """``values`` (None for missing) as a pandas array or Series of dtype ``kind``."""
    pd, np = pandas(), numpy()
    if kind == STR:
        return _strings(values)
    if kind == INT:
        return _integers(values)
    if kind == FLOAT:
        return np.array(values, dtype=np.float64)
    if kind in (BOOL, COUNT):
        return np.array(values, dtype=np.bool_ if kind == BOOL else np.int64)
    if kind == NULLABLE_BOOL:
        return pd.array(list(values), dtype="boolean")
    if kind == TIME:
        # Rounded to the microsecond (not truncated), so a time read back writes the same.
        micros = np.round(np.array(values, dtype=np.float64) * 1e6)
        return pd.to_datetime(micros, unit="us", utc=True).as_unit("us")
    return pd.Series(list(values), dtype=object)


def _integers(values: Sequence[Any]) -> Any:
    pd, np, pa = pandas(), numpy(), pyarrow()
    if pa is not None:
        try:  # C speed for the Python ints, None as null
            array = pa.array(values, type=pa.int64())
            missing = array.is_null().to_numpy(zero_copy_only=False)
            data = array.fill_null(0).to_numpy(zero_copy_only=False, writable=True)
            return pd.arrays.IntegerArray(data, missing)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            pass
    raw = np.array(values, dtype=object)
    missing = np.array([v is None for v in raw], dtype=bool)
    try:
        return pd.arrays.IntegerArray(np.where(missing, 0, raw).astype(np.int64), missing)
    except (TypeError, ValueError, OverflowError):
        return pd.array(list(values), dtype="Int64")  # pandas' own conversion, or its error


def _strings(values: Sequence[Any]) -> Any:
    pd, pa = pandas(), pyarrow()
    if pa is not None:
        try:  # about 4x faster than pandas converting the Python strings itself
            return pd.array(pa.array(values, type=pa.large_string()), dtype="str")
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            pass  # something not a string: pandas converts it with str()
    return pd.array(list(values), dtype="str")
