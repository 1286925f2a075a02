"""The text of a tool message: what a tool returned, or the error it raised, as JSON."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
import math
from collections.abc import Mapping
from typing import Any

import pydantic

__all__ = ["tool_error_to_content", "tool_result_to_content"]

_MAX_DEPTH = 64


def tool_result_to_content(value: object) -> str:
    """The text of a tool message for what a tool returned.

    A string is sent as it is; anything else as JSON: None as ``null``; pydantic models,
    dataclasses, enums, datetimes (ISO 8601), sets and tuples (lists), numpy values (via
    ``tolist()``) and pandas objects (a DataFrame as a list of records) are converted;
    NaN and infinities become ``null``; whatever is left is written with ``str``.
    """
    if isinstance(value, str):
        return value
    return json.dumps(_jsonable(value, 0), ensure_ascii=False, default=str)


def tool_error_to_content(exc: BaseException) -> str:
    """The text of a tool message for a tool that raised or arguments that were refused.

    ``{"error": "<ExceptionType>: <message>"}``: no traceback, no module path.
    """
    message = str(exc)
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return json.dumps({"error": text}, ensure_ascii=False)


def _jsonable(value: object, depth: int) -> Any:
    """``value`` as plain JSON data (dicts, lists, str, numbers, bool, None)."""
    if depth > _MAX_DEPTH:
        return str(value)
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, pydantic.BaseModel):
        return _jsonable(value.model_dump(mode="json"), depth + 1)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        return _jsonable(fields, depth + 1)
    if isinstance(value, enum.Enum):
        return _jsonable(value.value, depth + 1)
    if isinstance(value, (datetime.date, datetime.time)):  # datetime is a date
        return value.isoformat()
    if type(value).__module__.startswith("pandas") and hasattr(value, "to_dict"):
        # Never import pandas: a DataFrame (it has columns) becomes records, a Series a dict.
        records = value.to_dict(orient="records") if hasattr(value, "columns") else value.to_dict()
        return _jsonable(records, depth + 1)
    if isinstance(value, Mapping):
        plain = (str, int, float, bool, type(None))  # keys json.dumps writes by itself
        return {
            k if isinstance(k, plain) else str(_jsonable(k, depth)): _jsonable(v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, (set, frozenset)):
        try:
            value = sorted(value)
        except TypeError:
            value = list(value)
    if isinstance(value, (list, tuple)):
        return [_jsonable(item, depth + 1) for item in value]
    tolist = getattr(value, "tolist", None)  # numpy arrays and scalars
    if callable(tolist):
        return _jsonable(tolist(), depth + 1)
    return value
