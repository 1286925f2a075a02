"""The samples an OpenAI eval's data already holds (``{"item": ..., "sample": ...}`` lines, as
a ``jsonl`` run grades them) graded by the eval's graders: nothing is sent but the judges'
requests."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .._exceptions import InvalidParameterError
from ..conversation._history import Message
from ..conversation._tools import run_sync
from ._cells import Cell
from ._fill import fill_cell
from ._grid import Grid
from ._judge import grade_answered
from ._openai_eval import read_eval, read_run
from ._openai_template import prompt_messages
from ._result import GridResult
from ._run import cell_conversation

__all__ = ["grade_openai_samples"]

GIVEN = "(the sample given in the data)"
"""The prompt of a cell whose run names no prompt template."""
_SENDING = ("completions", "responses")


def grade_openai_samples(
    eval: Any, data: Any, run: Any, client: Any, grid_options: Mapping[str, Any]
) -> GridResult:
    """``GridResult.from_openai_samples``: a grid of one cell per data line, each cell's reply
    the line's ``sample``, graded by the eval's ``testing_criteria``.

    Raises:
        InvalidParameterError: as ``Grid.from_openai_eval``, and a sample without text
            (``data[2].sample``), or data with no sample at all; before anything is graded.
    """
    source = None if run is None else read_run(run)
    if source is not None and source.get("type") not in (None, "jsonl", *_SENDING):
        raise InvalidParameterError(
            "run.type", f"got {source.get('type')!r}", allowed=["jsonl", *_SENDING]
        )
    checked = read_eval(eval, data, source)
    if all(sample is None for sample in checked.samples):
        raise InvalidParameterError(
            "data", "has no line with a 'sample' to grade: run the eval with Grid.from_openai_eval"
        )
    messages = source.get("input_messages") if source is not None else None
    prompts = GIVEN if messages is None else [prompt_messages(messages, checked.rows)]
    for name in grid_options:
        if name in ("prompts", "vars", "graders", "models", "params", "apis"):
            raise InvalidParameterError(name, "comes from the eval and its data here")
    grid = Grid(
        prompts,
        models=_model(checked.samples, source),
        vars=checked.rows,
        graders=checked.graders,
        client=client,
        **grid_options,
    )
    cells = [cell.fresh() for cell in grid.cells]
    for cell in cells:
        where = f"data[{cell.key.vars}].sample"
        _fill(grid, cell, checked.samples[cell.key.vars], where)
    run_sync(lambda: grade_answered(grid, cells))
    grid._replace_cells(cells)
    return GridResult(grid, cells)


def _model(samples: list[Any], run: Mapping[str, Any] | None) -> str:
    """The samples' model when they all name one, else the run's, else ``sample``."""
    named = {s.get("model") for s in samples if isinstance(s, Mapping)}
    if len(named) == 1 and isinstance(model := next(iter(named)), str) and model.strip():
        return model
    model = run.get("model") if run is not None else None
    return model if isinstance(model, str) and model.strip() else "sample"


def _fill(grid: Grid, cell: Cell, sample: Any, where: str) -> None:
    """Make ``cell`` the reply ``sample`` holds, in a conversation of its prompt and that reply
    (``skipped`` for a line without a sample)."""
    if sample is None:
        cell.status = "skipped"
        cell.error = "skipped: this data line has no sample"
        return
    if not isinstance(sample, Mapping):
        raise InvalidParameterError(where, f"must be a dict, not {type(sample).__name__}")
    text = sample.get("output_text")
    if text is None and sample.get("output_json") is not None:
        text = json.dumps(sample["output_json"], ensure_ascii=False)
    if text is None:
        text = _choice_text(sample.get("choices"))
    if not isinstance(text, str):
        raise InvalidParameterError(
            f"{where}.output_text",
            "is needed (a string; or output_json, or choices[0].message.content)",
        )
    tools = sample.get("output_tools") or []
    if not isinstance(tools, list) or not all(isinstance(t, Mapping) for t in tools):
        raise InvalidParameterError(f"{where}.output_tools", "must be a list of tool calls")
    chat = cell_conversation(grid._spec, cell, grid.client, False, with_prompt=True)
    reply = Message(
        role="assistant",
        content=text,
        finish_reason=sample.get("finish_reason") or "stop",
        model=cell.model,
        tool_calls=[_tool_call(i, tool) for i, tool in enumerate(tools)] or None,
    )
    chat.history.append(reply)
    cell.conversation = chat
    fill_cell(cell, [reply], None)
    cell.status = "done"


def _choice_text(choices: Any) -> Any:
    if isinstance(choices, list) and choices and isinstance(choices[0], Mapping):
        message = choices[0].get("message")
        if isinstance(message, Mapping):
            return message.get("content")
    return None


def _tool_call(index: int, tool: Mapping[str, Any]) -> dict[str, Any]:
    """A sample's tool call in the Chat Completions shape (``{"id", "type": "function",
    "function": {"name", "arguments"}}``), as a reply keeps it."""
    function = tool.get("function")
    function = function if isinstance(function, Mapping) else tool
    arguments = function.get("arguments")
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments if arguments is not None else {})
    return {
        "id": str(tool.get("id") or f"call_{index}"),
        "type": "function",
        "function": {"name": str(function.get("name")), "arguments": arguments},
    }
