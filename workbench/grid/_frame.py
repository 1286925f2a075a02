"""A grid's cells as one tidy DataFrame, with the same dtypes whatever the run (pandas is
imported here, inside the functions, never when workbench is)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..conversation._params import ChatParams
from ._cells import Cell, ScoreError
from ._grade_frame import grade_columns
from ._spec import GridSpec

if TYPE_CHECKING:
    import pandas as pd  # type: ignore[import-untyped]

__all__ = ["LABEL_COLUMNS", "cells_frame"]

LABEL_COLUMNS = ("_row", "_column")
"""Extra columns ``cells_frame(..., labels=True)`` adds: the cell's row and column labels."""

_STRING = (
    "prompt", "model", "api", "output", "refusal", "finish_reason", "usage_source", "error",
    "request_id", "status",
)  # fmt: skip
_TOKENS = ("prompt_tokens", "completion_tokens", "reasoning_tokens", "cached_tokens")
_FLOATS = ("cost_usd", "latency_s", "ttft_s")


def cells_frame(
    spec: GridSpec, cells: Sequence[Cell], *, labels: bool = False, version: str | None = None
) -> pd.DataFrame:
    """One row per cell: prompt, each var, model, each parameter, repeat, the reply, its tokens,
    cost (and its judges' cost, with model graders) and timings, error, request id (and the
    ``batch_id``, when a cell came through the Batch API), status, the
    grid's ``version`` (when given), each scorer with its errors, and each grader's columns
    (``_grade_frame``).

    Dtypes, as in ``workbench.to_dataframe``: text as pandas' string dtype ``str``, token counts
    as ``Int64``, cost and timings as ``float64`` (NaN where unknown: an unknown cost is never 0),
    ``repeat`` as ``int64``; vars, parameters and scores by their values (``Int64``,
    ``float64``, ``boolean``, ``str``, else ``object``).
    """
    import pandas as pd

    columns: dict[str, Any] = {}
    columns["prompt"] = pd.array([c.prompt for c in cells], dtype="str")
    for name in spec.var_names:
        columns[name] = _inferred([c.vars.get(name) for c in cells])
    columns["model"] = pd.array([c.model for c in cells], dtype="str")
    columns["api"] = pd.array([c.api for c in cells], dtype="str")
    for name in spec.param_names:
        columns[name] = _param_column(name, [c.params.get(name) for c in cells])
    columns["repeat"] = pd.array([c.repeat for c in cells], dtype="int64")
    started = [c.conversation is not None for c in cells]
    columns["output"] = [c.output if s else None for c, s in zip(cells, started, strict=True)]
    columns["parsed"] = pd.array([c.parsed for c in cells], dtype=object)
    columns["refusal"] = [c.refusal for c in cells]
    columns["finish_reason"] = [c.finish_reason for c in cells]
    columns["tool_calls"] = pd.array(
        [c.tool_calls if s else None for c, s in zip(cells, started, strict=True)], dtype=object
    )
    usage = [_usage(c.usage) for c in cells]
    for i, name in enumerate(_TOKENS):
        columns[name] = pd.array([u[i] for u in usage], dtype="Int64")
    columns["usage_source"] = [c.usage_source for c in cells]
    columns["cost_usd"] = [c.cost_usd for c in cells]
    judged = any(g.uses_model for g in spec.graders)
    if judged:
        columns["judge_cost_usd"] = pd.array(
            [float("nan") if c.judge_cost_usd is None else c.judge_cost_usd for c in cells],
            dtype="float64",
        )
    columns["latency_s"] = [c.latency_s for c in cells]
    columns["ttft_s"] = [c.ttft_s for c in cells]
    columns["error"] = [c.error for c in cells]
    columns["request_id"] = [c.request_id for c in cells]
    if any(c.batch_id is not None for c in cells):
        columns["batch_id"] = pd.array([c.batch_id for c in cells], dtype="str")
    columns["status"] = [c.status for c in cells]
    if version is not None:
        columns["version"] = pd.array([version] * len(cells), dtype="str")
    for name in spec.scorers:
        scores = [c.scores.get(name) for c in cells]
        columns[name] = _inferred([None if isinstance(s, ScoreError) else s for s in scores])
        columns[f"{name}_error"] = pd.array(
            [s.message if isinstance(s, ScoreError) else None for s in scores], dtype="str"
        )
    columns.update(grade_columns(spec, cells))
    if labels:
        columns["_row"] = [spec.rows[c.row].label for c in cells]
        columns["_column"] = [spec.columns[c.column].label for c in cells]
    frame = pd.DataFrame(columns, index=pd.RangeIndex(len(cells)))
    for name in _STRING:
        frame[name] = frame[name].astype("str")
    for name in _FLOATS:
        frame[name] = frame[name].astype("float64")
    return frame


def _usage(usage: Any) -> tuple[int | None, int | None, int | None, int | None]:
    """Prompt, completion, reasoning and cached tokens; None where the server did not say."""
    if usage is None:
        return None, None, None, None
    prompt_details = getattr(usage, "prompt_tokens_details", None)
    completion_details = getattr(usage, "completion_tokens_details", None)
    return (
        usage.prompt_tokens,
        usage.completion_tokens,
        getattr(completion_details, "reasoning_tokens", None),
        getattr(prompt_details, "cached_tokens", None),
    )


_PARAM_DTYPES = {"number": "float64", "integer": "Int64", "boolean": "boolean", "choice": "str"}


def _param_column(name: str, values: list[Any]) -> Any:
    """A parameter's column, typed by the parameter (``temperature`` is always ``float64``,
    ``seed`` ``Int64``, ``reasoning_effort`` ``str``), else by its values."""
    import pandas as pd

    dtype = _PARAM_DTYPES.get(ChatParams.fields_info()[name]["type"])
    if dtype == "float64":
        return pd.array([math.nan if v is None else float(v) for v in values], dtype=dtype)
    if dtype is not None:
        return pd.array(values, dtype=dtype)
    return _inferred([v.__qualname__ if isinstance(v, type) else v for v in values])


def _inferred(values: list[Any]) -> Any:
    """A column whose dtype follows its values: ``boolean``, ``Int64``, ``float64``,
    ``str``, else ``object``; None and NaN are missing."""
    import pandas as pd

    present = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    kinds = {type(v) for v in present}
    if not present:
        return pd.array([math.nan] * len(values), dtype="float64")
    if kinds <= {bool}:
        return pd.array(values, dtype="boolean")
    if all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return pd.array(values, dtype="Int64")
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return pd.array([math.nan if v is None else float(v) for v in values], dtype="float64")
    if kinds <= {str}:
        return pd.array(values, dtype="str")
    return pd.array(values, dtype=object)
