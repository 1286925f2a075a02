"""Chat completions -> parsed completions: content and tool arguments as the requested types."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, Literal, TypeAlias, Union

import pydantic
import pydantic_core

from .._exceptions import (
    ContentFilterFinishReasonError,
    InvalidParameterError,
    LengthFinishReasonError,
    OutputValidationError,
)
from .._sentinels import NOT_GIVEN, NotGiven
from ..types import (
    ChatCompletion,
    ChatCompletionMessage,
    ChatCompletionMessageFunctionToolCall,
    ParsedChatCompletion,
)
from ._schema import (
    is_json_schema_mapping,
    is_model_class,
    is_type_like,
    response_format_error,
    tool_model,
    type_adapter,
)

__all__ = [
    "content_target",
    "has_parseable_input",
    "parse_chat_completion",
    "parse_partial_content",
    "parse_text",
    "parse_tool_arguments",
    "validate_input_tools",
]

# pydantic caches a parametrized generic model only weakly: held nowhere else, this one would be
# rebuilt (with the models it nests, ~0.5 ms) after each garbage collection, for about half of
# the replies in a long run (measured with bench/bench_grid.py). Built on first use, then held.
_parsed_types: list[type[ParsedChatCompletion[Any]]] = []


def _parsed_type() -> type[ParsedChatCompletion[Any]]:
    if not _parsed_types:
        _parsed_types.append(ParsedChatCompletion[Any])
    return _parsed_types[0]


ToolsInput: TypeAlias = Union[Iterable[Mapping[str, Any]], NotGiven, None]
"""The ``tools`` of a request, as the caller gave them (a list, ``NOT_GIVEN`` or ``None``)."""

# What a text is parsed into: a model class, a TypeAdapter, plain JSON, or nothing at all.
_Target: TypeAlias = Union[type[pydantic.BaseModel], pydantic.TypeAdapter[Any], Literal["json"]]


def parse_chat_completion(
    *,
    completion: ChatCompletion,
    response_format: object = NOT_GIVEN,
    input_tools: ToolsInput = NOT_GIVEN,
) -> ParsedChatCompletion[Any]:
    """Return ``completion`` with each choice's content and strict tool arguments parsed.

    Args:
        completion: the completion as received.
        response_format: the ``response_format`` the caller passed (a type, a dict or a string);
            content is parsed into a type, or with ``json.loads`` for a JSON-schema dict.
        input_tools: the ``tools`` the caller passed; arguments of tools made by
            ``pydantic_function_tool`` become model instances, those of other strict tools dicts.

    Raises:
        LengthFinishReasonError: a choice was cut off while there was something to parse.
        ContentFilterFinishReasonError: a choice was withheld while there was something to parse.
        OutputValidationError: strict output that is not valid JSON or does not fit its type.
    """
    tools = _tool_list(input_tools)
    target = content_target(response_format)
    if target is not None or any(_tool_target(tool) is not None for tool in tools):
        for choice in completion.choices:
            if choice.finish_reason == "length":
                raise LengthFinishReasonError(completion=completion)
            if choice.finish_reason == "content_filter":
                raise ContentFilterFinishReasonError()
    choices = []
    for i, choice in enumerate(completion.choices):
        message = _parsed_message(
            choice.message, f"choices[{i}].message", target, tools, completion
        )
        choices.append({**choice.model_dump(exclude_unset=True), "message": message})
    data = {**completion.model_dump(exclude_unset=True), "choices": choices}
    return _parsed_type().model_validate(data)


def validate_input_tools(tools: ToolsInput) -> None:
    """Check that ``.parse()`` can parse every tool: each must be a strict function tool.

    Raises:
        InvalidParameterError: a tool is not a function tool, or is not strict.
    """
    for i, tool in enumerate([] if tools is None or isinstance(tools, NotGiven) else tools):
        if not isinstance(tool, Mapping) or tool.get("type") != "function":
            kind = tool.get("type") if isinstance(tool, Mapping) else tool
            raise InvalidParameterError(
                f"tools[{i}].type",
                f"parse() can only parse function tools, not {kind!r}",
                allowed=["function"],
            )
        function = tool.get("function")
        name = function.get("name") if isinstance(function, Mapping) else None
        if not isinstance(function, Mapping) or function.get("strict") is not True:
            raise InvalidParameterError(
                f"tools[{i}].function.strict",
                f"tool {name!r} is not strict; parse() can only parse the arguments of strict"
                " tools: build it with pydantic_function_tool(), or give it a strict schema and"
                " strict=True",
                allowed=[True],
            )


def has_parseable_input(response_format: object, input_tools: ToolsInput) -> bool:
    """Whether the content or any tool's arguments will be parsed."""
    if content_target(response_format) is not None:
        return True
    return any(_tool_target(tool) is not None for tool in _tool_list(input_tools))


def parse_partial_content(text: str, response_format: object) -> object | None:
    """Return the value of incomplete JSON content so far, for a stream in progress.

    The value is plain JSON data (a dict for a model: an instance needs all its fields);
    ``None`` when nothing parses yet or there is no ``response_format`` to parse into.
    """
    if content_target(response_format) is None:
        return None
    return _partial_json(text)


def parse_tool_arguments(
    *, name: str, arguments: str, input_tools: ToolsInput, partial: bool
) -> object | None:
    """Return the parsed arguments of a call of tool ``name``, or ``None`` for an unparsed tool.

    Args:
        name: the tool the model called.
        arguments: the arguments text so far (``partial``) or in full.
        input_tools: the ``tools`` of the request (a list: it is read on every call).
        partial: whether ``arguments`` may be incomplete; if so the result is plain JSON data.

    Raises:
        OutputValidationError: complete arguments of a strict tool that do not parse.
    """
    target = _tool_target(_find_tool(_tool_list(input_tools), name))
    if target is None:
        return None
    if partial:
        return _partial_json(arguments)
    return parse_text(arguments.strip() or "{}", target, f"tool {name!r} arguments")


def _parsed_message(
    message: ChatCompletionMessage,
    where: str,
    target: _Target | None,
    tools: list[Mapping[str, Any]],
    completion: ChatCompletion,
) -> dict[str, Any]:
    data = message.model_dump(exclude_unset=True)
    parsed = None
    if target is not None and message.content and not message.refusal:
        parsed = parse_text(message.content, target, f"{where}.content", completion)
    data["parsed"] = parsed
    if message.tool_calls is None:
        return data
    calls = []
    for j, call in enumerate(message.tool_calls):
        if not isinstance(call, ChatCompletionMessageFunctionToolCall):
            calls.append(call.model_dump(exclude_unset=True))  # custom tools stay free text
            continue
        call_data = call.model_dump(exclude_unset=True)
        tool_target = _tool_target(_find_tool(tools, call.function.name))
        arguments = call.function.arguments
        call_data["function"]["parsed_arguments"] = (
            None
            if tool_target is None
            else parse_text(
                arguments.strip() or "{}",
                tool_target,
                f"{where}.tool_calls[{j}].function.arguments",
                completion,
            )
        )
        calls.append(call_data)
    data["tool_calls"] = calls
    return data


def content_target(response_format: object) -> _Target | None:
    """What content is parsed into for a ``response_format``; ``None`` when it stays text."""
    if response_format is None or isinstance(response_format, (NotGiven, str)):
        return None
    if isinstance(response_format, Mapping):
        kind = response_format.get("type")
        if kind in ("text", "json_object"):
            return None
        return "json" if kind == "json_schema" or is_json_schema_mapping(response_format) else None
    if is_model_class(response_format):
        return response_format
    if is_type_like(response_format):
        return type_adapter(response_format)
    raise response_format_error(response_format)


def _tool_target(tool: Mapping[str, Any] | None) -> _Target | None:
    """What a tool's arguments are parsed into; ``None`` for a missing or non-strict tool."""
    if tool is None or tool.get("type") != "function":
        return None
    model = tool_model(tool)
    if model is not None:
        return model
    function = tool.get("function")
    return "json" if isinstance(function, Mapping) and function.get("strict") is True else None


def _find_tool(tools: list[Mapping[str, Any]], name: str) -> Mapping[str, Any] | None:
    for tool in tools:
        function = tool.get("function")
        if tool.get("type") != "function" or not isinstance(function, Mapping):
            continue
        if function.get("name") == name:
            return tool
    return None


def _tool_list(tools: ToolsInput) -> list[Mapping[str, Any]]:
    if tools is None or isinstance(tools, NotGiven):
        return []
    return [tool for tool in tools if isinstance(tool, Mapping)]


def parse_text(
    text: str, target: _Target, location: str, completion: ChatCompletion | None = None
) -> object:
    """``text`` parsed into ``target`` (a model, a type adapter, or ``"json"``).

    Raises:
        OutputValidationError: naming ``location``, when the text does not match.
    """
    try:
        if isinstance(target, str):
            return json.loads(text)
        if isinstance(target, pydantic.TypeAdapter):
            return target.validate_json(text)
        return target.model_validate_json(text)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, ValidationError; too deep
        raise OutputValidationError(
            location, text, _reason(exc), completion=completion, cause=exc
        ) from exc


def _reason(exc: BaseException) -> str:
    """Why the text did not parse, in one line: each of pydantic's errors as ``field: problem``
    (not its multi-line report with the input's repr), or the JSON error."""
    if not isinstance(exc, pydantic.ValidationError):
        return str(exc)
    faults = [
        f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
        if error["loc"]
        else error["msg"]
        for error in exc.errors(include_url=False)
    ]
    return "; ".join(faults) or str(exc)


def _partial_json(text: str) -> object | None:
    if not text.strip():
        return None
    try:
        value: object = pydantic_core.from_json(text, allow_partial=True)
    except ValueError:  # not JSON at all (yet): the final parse reports it
        return None
    return value
