"""A streamed Response, accumulated: event in, the response so far and the final one out; no I/O.

Also the parsing of a response's text into the ``text_format`` type (``responses.parse`` and the
final response of ``responses.stream``).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from .._exceptions import InvalidParameterError, WorkbenchError
from ..types.parsed_response import ParsedResponse
from ..types.response import (
    FunctionToolCallItem,
    OutputMessageItem,
    OutputRefusal,
    OutputText,
    ReasoningItem,
    ReasoningSummaryPart,
    Response,
)
from ..types.response_stream_event import (
    TERMINAL_EVENT_TYPES,
    ResponseStreamEvent,
)
from ._parsing import content_target, parse_text
from ._schema import tool_model, type_to_response_format

__all__ = ["ResponseAccumulator", "parse_response", "text_format_param"]


def text_format_param(text_format: object) -> dict[str, Any]:
    """The ``text.format`` request value for a ``text_format`` type (a pydantic model, a
    dataclass, a TypedDict ...): a strict JSON schema named after it."""
    if isinstance(text_format, (str, Mapping)):  # a type only; a format goes in text.format
        raise InvalidParameterError(
            "text_format", f"got {text_format!r}", allowed="a pydantic model, dataclass or type"
        )
    try:
        chat_format: Any = type_to_response_format(text_format)  # type: ignore[arg-type]
    except InvalidParameterError as exc:  # named for chat's response_format: say text_format
        param = exc.param.replace("response_format.json_schema", "text_format", 1)
        param = param.replace("response_format", "text_format", 1)
        message = str(exc).split(": ", 1)[1].split(" (allowed: ")[0]
        raise InvalidParameterError(param, message, allowed=exc.allowed) from None
    return {"type": "json_schema", **chat_format["json_schema"]}


@functools.cache
def _parsed_type() -> type[ParsedResponse[Any]]:
    # Held here: pydantic keeps a parametrized generic only weakly, and would build it again
    # (with the models it nests) after a garbage collection (see _parsing._parsed_types).
    return ParsedResponse[Any]


def parse_response(
    response: Response, text_format: object, tools: Sequence[Any] | None = None
) -> ParsedResponse[Any]:
    """``response`` with each ``output_text`` parsed into ``text_format`` (``None``: no parsing)
    and the arguments of each call of a strict function tool of ``tools`` parsed (into the
    tool's pydantic model when it carries one, else as JSON).

    Raises:
        OutputValidationError: a text or arguments that do not match.
    """
    target = content_target(text_format)
    data = response.model_dump(mode="python", exclude_unset=True)
    # Every text part and function call gets its parsed value, None when none applies (as
    # openai sets them), so dumps of the two packages' parsed responses are alike.
    for index, item in enumerate(response.output):
        if isinstance(item, OutputMessageItem):
            for part_index, part in enumerate(item.content):
                if isinstance(part, OutputText):
                    where = f"output[{index}].content[{part_index}].text"
                    parsed = None if target is None else parse_text(part.text, target, where)
                    data["output"][index]["content"][part_index]["parsed"] = parsed
        elif isinstance(item, FunctionToolCallItem):
            found = _arguments_target(tools or (), item.name)
            where = f"output[{index}].arguments"
            parsed = None if found is None else parse_text(item.arguments, found, where)
            data["output"][index]["parsed_arguments"] = parsed
    return _parsed_type().model_validate(data)


def _arguments_target(tools: Sequence[Any], name: str) -> Any:
    """What a call of the function tool ``name`` parses into: its model, ``"json"`` for a
    strict tool, or None."""
    for tool in tools:
        if (
            isinstance(tool, Mapping)
            and tool.get("type") == "function"
            and tool.get("name") == name
        ):
            model = tool_model(tool)
            if model is not None:
                return model
            return "json" if tool.get("strict") is True else None
    return None


class ResponseAccumulator:
    """Builds the response from its stream's events.

    ``add(event)`` updates ``snapshot`` and returns the event, with ``snapshot`` (the text or the
    arguments so far) added to text and argument deltas; ``final_response()`` is the response of
    the last event (``response.completed``, ``.incomplete`` or ``.failed``), parsed (its text
    into ``text_format``, the arguments of strict function ``tools``).
    """

    def __init__(self, *, text_format: object = None, tools: Sequence[Any] | None = None) -> None:
        self._text_format = text_format
        self._text_target = content_target(text_format)
        self._tools = tools
        self._snapshot: Response | None = None
        self._final: ParsedResponse[Any] | None = None

    @property
    def snapshot(self) -> Response:
        """The response as accumulated so far.

        Raises:
            WorkbenchError: no ``response.created`` event has come yet.
        """
        if self._snapshot is None:
            raise WorkbenchError("no response.created event yet")
        return self._snapshot

    @property
    def done(self) -> bool:
        """Whether the stream's last event (completed, incomplete or failed) has come."""
        return self._final is not None

    def add(self, event: ResponseStreamEvent) -> ResponseStreamEvent:
        """Take one event into the snapshot; return it (deltas with their ``snapshot``)."""
        kind = event.type
        handler = _HANDLERS.get(kind)
        if handler is not None:  # the deltas, most of a stream, first
            snapshot = self._snapshot
            if snapshot is not None:  # else a server that skipped response.created
                handler(snapshot, event)
            return event
        if kind in TERMINAL_EVENT_TYPES or kind in ("response.created", "response.in_progress"):
            response: Response = event.response  # type: ignore[union-attr]
            if kind in TERMINAL_EVENT_TYPES:
                # Parsed as it comes, as openai does: the event carries the parsed response,
                # so the one it came with is the snapshot's alone (no copy needed).
                self._final = parse_response(response, self._text_format, self._tools)
                event.response = self._final  # type: ignore[union-attr]
                self._snapshot = response
            else:
                self._snapshot = response.model_copy(deep=True)
            return event
        if kind == "response.output_text.done":  # carries its text parsed, as openai's does
            target = self._text_target
            where = f"output[{event.output_index}].text"  # type: ignore[union-attr]
            text: str = event.text  # type: ignore[union-attr]
            _set_extra(event, "parsed", None if target is None else parse_text(text, target, where))
        return event

    def final_response(self) -> ParsedResponse[Any]:
        """The whole response, its text parsed into ``text_format`` when one was given.

        Raises:
            WorkbenchError: the stream ended before its last event.
        """
        if self._final is None:
            message = "The stream ended before response.completed (or .incomplete, .failed)."
            raise WorkbenchError(message)
        return self._final


def _item(snapshot: Response, index: int) -> Any:
    return snapshot.output[index] if 0 <= index < len(snapshot.output) else None


def _item_added(snapshot: Response, event: Any) -> None:
    item = event.item.model_copy(deep=True)
    if event.output_index == len(snapshot.output):
        snapshot.output.append(item)
    elif 0 <= event.output_index < len(snapshot.output):
        snapshot.output[event.output_index] = item


def _item_done(snapshot: Response, event: Any) -> None:
    if 0 <= event.output_index < len(snapshot.output):
        snapshot.output[event.output_index] = event.item.model_copy(deep=True)


def _part_added(snapshot: Response, event: Any) -> None:
    item = _item(snapshot, event.output_index)
    if isinstance(item, OutputMessageItem):
        item.content.append(event.part.model_copy(deep=True))


def _content(snapshot: Response, event: Any) -> Any:
    item = _item(snapshot, event.output_index)
    if isinstance(item, OutputMessageItem) and 0 <= event.content_index < len(item.content):
        return item.content[event.content_index]
    return None


# A delta event is a few bytes, so pydantic's ``__setattr__`` was a third of ``.stream()``'s
# cost over ``create(stream=True)``: an undeclared name (``snapshot``, ``parsed``) takes its slow
# path on every call, as it cannot memoize one. These two do what it does, for plain values.


def _set_extra(model: Any, name: str, value: object) -> None:
    """``setattr(model, name, value)`` for a name the model does not declare (``extra``)."""
    model.__pydantic_extra__[name] = value
    model.__pydantic_fields_set__.add(name)


def _append(model: Any, name: str, delta: str) -> str:
    """``model.<name> += delta`` for a declared ``str`` field; returns the new value."""
    value: str = model.__dict__[name] + delta
    model.__dict__[name] = value
    model.__pydantic_fields_set__.add(name)
    return value


def _text_delta(snapshot: Response, event: Any) -> None:
    part = _content(snapshot, event)
    if isinstance(part, OutputText):
        _set_extra(event, "snapshot", _append(part, "text", event.delta))


def _refusal_delta(snapshot: Response, event: Any) -> None:
    part = _content(snapshot, event)
    if isinstance(part, OutputRefusal):
        _append(part, "refusal", event.delta)


def _arguments_delta(snapshot: Response, event: Any) -> None:
    item = _item(snapshot, event.output_index)
    if isinstance(item, FunctionToolCallItem):
        _set_extra(event, "snapshot", _append(item, "arguments", event.delta))


def _summary_part_added(snapshot: Response, event: Any) -> None:
    item = _item(snapshot, event.output_index)
    if isinstance(item, ReasoningItem):
        item.summary.append(ReasoningSummaryPart(type="summary_text", text=event.part.text))


def _summary_delta(snapshot: Response, event: Any) -> None:
    item = _item(snapshot, event.output_index)
    if isinstance(item, ReasoningItem) and 0 <= event.summary_index < len(item.summary):
        _append(item.summary[event.summary_index], "text", event.delta)


_HANDLERS = {
    "response.output_item.added": _item_added,
    "response.output_item.done": _item_done,
    "response.content_part.added": _part_added,
    "response.output_text.delta": _text_delta,
    "response.refusal.delta": _refusal_delta,
    "response.function_call_arguments.delta": _arguments_delta,
    "response.reasoning_summary_part.added": _summary_part_added,
    "response.reasoning_summary_text.delta": _summary_delta,
}
