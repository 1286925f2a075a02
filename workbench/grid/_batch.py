"""A grid as OpenAI Batch API files: one request line per cell out, the output lines back in.

Input lines: ``{"custom_id", "method": "POST", "url": "/v1/chat/completions", "body"}`` (or
``"url": "/v1/responses"`` with a ``responses.create`` body, for a cell the grid sends through
the Responses API: built by the conversation's own mapping); output
(and error) lines: ``{"id", "custom_id", "response": {"status_code", "request_id", "body"},
"error"}``. The ``custom_id`` is the cell's key (``str(CellKey)``). A batch runs one model call
per request: tools are declared in the body, but nothing runs them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pydantic

from .._exceptions import InvalidParameterError, WorkbenchError
from .._private import private_folder, replace_privately
from ..conversation._history import Message
from ..conversation._params import ChatParams
from ..conversation._protocol_choice import choose_api
from ..conversation._responses_mapping import responses_request
from ..conversation._responses_reply import ResponseFailedError, to_completion
from ..protocol._parsing import parse_chat_completion
from ..protocol._schema import type_to_response_format
from ..types import ChatCompletion
from ..types.response import Response
from ._cells import CUT_BY, Cell, CellKey
from ._fill import fill_cell
from ._run import cell_conversation

if TYPE_CHECKING:
    from ..conversation._log import ConversationLog
    from ._grid import Grid

__all__ = ["BATCH_URLS", "BatchFileError", "endpoint", "read_batch_output", "request_body"]
__all__ += ["UNKNOWN_BATCH", "fill_from_record", "parse_line", "request_line", "write_batch"]

BATCH_URL = "/v1/chat/completions"
BATCH_URLS = {"chat": BATCH_URL, "responses": "/v1/responses"}
UNKNOWN_BATCH = "unknown"
"""The ``batch_id`` of replies read from Batch output files whose batch is not named (the
files do not hold it): still priced at the batch price."""


class BatchFileError(WorkbenchError, ValueError):
    """A Batch output file that does not fit the grid: the file, line and field at fault."""


def request_body(grid: Grid, cell: Cell) -> dict[str, Any]:
    """The request ``cell`` makes, as JSON (no streaming): a Chat Completions body, or a
    ``responses.create`` body for a cell sent through the Responses API."""

    spec = grid._spec
    row = spec.rows[cell.row]
    params = ChatParams(model=cell.model, **spec.params_for(cell)).to_request()
    tools = [tool.to_param() for tool in spec.tools if tool.enabled]
    if endpoint(grid, cell) == "responses":
        if tools:
            params["tools"] = tools
        body = responses_request(params, row.system, [Message(**m) for m in row.messages])
        body.update(body.pop("extra_body", None) or {})  # the Batch body is the whole JSON
        return body
    if "response_format" in params:
        params["response_format"] = dict(type_to_response_format(params["response_format"]))
    messages = [{"role": "system", "content": row.system}] if row.system else []
    messages.extend(dict(message) for message in row.messages)
    body = {**params, "messages": messages}
    if tools:
        body["tools"] = tools
    return body


def request_line(grid: Grid, cell: Cell) -> str:
    """``cell``'s line of Batch input (JSON, no newline): its ``custom_id``, endpoint and body."""
    return json.dumps(
        {
            "custom_id": str(cell.key),
            "method": "POST",
            "url": BATCH_URLS[endpoint(grid, cell)],
            "body": request_body(grid, cell),
        },
        ensure_ascii=False,
        default=str,
    )


def endpoint(grid: Grid, cell: Cell) -> Literal["chat", "responses"]:
    """The protocol ``cell``'s request takes (``auto`` decided for the grid's client)."""
    return choose_api(cell.api, grid.client, cell.model, cell.params)


def write_batch(grid: Grid, path: str | Path, model: str | None = None) -> list[Path]:
    """Write the grid's requests as Batch input; see ``Grid.to_batch_jsonl``."""
    models = list(grid._spec.models)
    if model is not None and model not in models:
        raise KeyError(f"the grid has no model {model!r}; its models: {', '.join(models)}")
    chosen = [model] if model is not None else models
    text = str(path)
    if "{model}" in text:
        targets = [(text.replace("{model}", _file_safe(m)), [m]) for m in chosen]
    else:
        targets = [(text, chosen)]
    files: list[tuple[Path, list[Cell]]] = []
    for target, these in targets:
        cells = [cell for cell in grid.cells if cell.model in these]
        by_api = {api: [c for c in cells if endpoint(grid, c) == api] for api in BATCH_URLS}
        if "{api}" in target:
            files += [(Path(target.replace("{api}", a)), c) for a, c in by_api.items() if c]
        elif all(by_api.values()):
            raise InvalidParameterError(
                "path",
                f"{target!r} would hold requests to both {BATCH_URL} and"
                f" {BATCH_URLS['responses']}, and a Batch file takes one endpoint: put {{api}} in"
                " the path (one file per protocol)",
            )
        else:
            files.append((Path(target), cells))
    for target_path, cells in files:
        lines = [request_line(grid, cell) for cell in cells]
        # The prompts of every cell: its owner's only, like the log (folders made here too).
        private_folder(target_path.parent, parents=True)
        with replace_privately(target_path) as out:
            out.write("".join(line + "\n" for line in lines).encode("utf-8"))
    return [target_path for target_path, _ in files]


def read_batch_output(
    grid: Grid, paths: Sequence[str | Path], batch_id: str = UNKNOWN_BATCH
) -> list[Cell]:
    """New cells for ``grid`` from Batch output lines (every file read, and every line checked,
    before anything is returned), their replies marked as come through ``batch_id``.

    Raises:
        BatchFileError: naming the file, line and field at fault.
    """
    index = {cell.key: i for i, cell in enumerate(grid.cells)}
    cells = [cell.fresh() for cell in grid.cells]
    answered: dict[CellKey, str] = {}
    for path in paths:
        for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            where = f"{path}, line {number}"
            key, record = parse_line(line, where)
            if key not in index:
                raise BatchFileError(f"{where}: custom_id {str(key)!r} names no cell of this grid")
            if key in answered:
                raise BatchFileError(
                    f"{where}: custom_id {str(key)!r} was answered already at {answered[key]}"
                )
            answered[key] = where
            fill_from_record(grid, cells[index[key]], record, where, batch_id)
            cells[index[key]].batch_id = batch_id
    for cell in cells:
        if cell.key not in answered:
            cell.status = "skipped"
            cell.error = "skipped: no line of the batch output answers this cell"
    return cells


def parse_line(line: str, where: str) -> tuple[CellKey, dict[str, Any]]:
    """A line of Batch output: the cell its ``custom_id`` names, and the whole record.

    Raises:
        BatchFileError: the line is not a JSON object with a cell key as ``custom_id``.
    """
    record = _record(line, where)
    return _key(record, where), record


def _record(line: str, where: str) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except ValueError as exc:
        raise BatchFileError(f"{where}: not JSON ({exc})") from None
    if not isinstance(record, dict):
        raise BatchFileError(f"{where}: a line must be a JSON object, not {type(record).__name__}")
    return record


def _key(record: dict[str, Any], where: str) -> CellKey:
    custom_id = record.get("custom_id")
    if not isinstance(custom_id, str):
        raise BatchFileError(f"{where}: custom_id is missing or not a string")
    try:
        return CellKey.parse(custom_id)
    except ValueError as exc:
        raise BatchFileError(f"{where}: custom_id: {exc}") from None


def fill_from_record(
    grid: Grid,
    cell: Cell,
    record: dict[str, Any],
    where: str,
    batch_id: str | None = None,
    log: ConversationLog | None = None,
) -> None:
    """Fill ``cell`` from its line of Batch output (``batch_id``: the batch it came through,
    marked on the reply and priced at the batch discount; ``log``: where to write the cell's
    conversation, as a live run of a grid with ``log=`` does).

    Raises:
        BatchFileError: the line's response does not read as a reply.
    """
    error = record.get("error")
    response = record.get("response")
    if error:
        message = error.get("message") if isinstance(error, dict) else error
        code = error.get("code") if isinstance(error, dict) else None
        # A request a cancelled batch never ran is cancelled, as a live run's would be.
        cell.status = "cancelled" if code == "batch_cancelled" else "error"
        cell.error = f"{code}: {message}" if code else str(message)
        return
    if not isinstance(response, dict):
        raise BatchFileError(f"{where}: response: missing (and no error)")
    cell.request_id = response.get("request_id")
    body = response.get("body")
    status = response.get("status_code")
    if status != 200:
        detail = body.get("error") if isinstance(body, dict) else None
        message = detail.get("message") if isinstance(detail, dict) else body
        cell.status = "error"
        cell.error = f"status {status}: {message}"
        return
    _fill_from_completion(grid, cell, body, where, batch_id, log)


def _fill_from_completion(
    grid: Grid,
    cell: Cell,
    body: Any,
    where: str,
    batch_id: str | None,
    log: ConversationLog | None,
) -> None:

    try:
        if endpoint(grid, cell) == "responses":
            completion = _from_response(Response.model_validate(body), cell)
            if completion is None:
                return
        else:
            completion = ChatCompletion.model_validate(body)
    except pydantic.ValidationError as exc:
        problem = exc.errors()[0]
        field = ".".join(str(part) for part in problem["loc"])
        raise BatchFileError(f"{where}: response.body.{field}: {problem['msg']}") from None
    if not completion.choices:
        raise BatchFileError(f"{where}: response.body.choices: empty")
    request_id = cell.request_id
    chat = cell_conversation(
        grid._spec, cell, grid.client, log or False, with_prompt=True, version=grid.version
    )
    choice = completion.choices[0]
    reply = Message(
        role="assistant",
        content=choice.message.content,
        refusal=choice.message.refusal,
        finish_reason=choice.finish_reason,
        model=completion.model or cell.model,
        api=endpoint(grid, cell),
        reasoning=getattr(choice.message, "reasoning_content", None),
        usage=completion.usage,
        usage_source="server" if completion.usage is not None else None,
        request_id=request_id,
        params=chat.params.snapshot(),
        batch_id=batch_id,
    )
    if choice.message.tool_calls:
        reply.tool_calls = [c.model_dump(exclude_none=True) for c in choice.message.tool_calls]
    try:
        parsed = parse_chat_completion(
            completion=completion,
            response_format=grid._spec.params_for(cell).get("response_format"),
            input_tools=None,
        )
        reply.parsed = getattr(parsed.choices[0].message, "parsed", None)
        cell.status = "cut" if reply.ending in CUT_BY else "done"
        cell.error = CUT_BY.get(reply.ending)
    except WorkbenchError as exc:  # cut off, filtered or invalid structured output
        reply.status = "error"
        reply.error = f"{type(exc).__name__}: {exc}"
        cell.status = "error"
        cell.error = reply.error
    chat.history.append(reply)
    if chat._log_writer is not None:
        chat._log_writer.sync()  # the prompt and the reply, in one transaction
    cell.conversation = chat
    fill_cell(cell, [reply], _base_url(grid))
    cell.request_id = request_id


def _from_response(response: Response, cell: Cell) -> ChatCompletion | None:
    """A Responses body as the completion it amounts to, as a conversation reads it (None,
    with the cell failed, for a ``failed`` response)."""
    try:
        return to_completion(response)
    except ResponseFailedError as exc:
        cell.status = "error"
        cell.error = f"{type(exc).__name__}: {exc}"
        return None


def _base_url(grid: Grid) -> str | None:
    url = getattr(grid.client, "base_url", None)
    return str(url) if url is not None else None


def _file_safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)
