"""Check a Responses API request before it is sent; every failure names the parameter."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, get_args

from .._exceptions import InvalidParameterError
from ..types.response_create_params import ResponseIncludable
from ._validate import check_metadata
from ._validate_fields import (
    check_booleans,
    check_choices,
    check_field,
    check_number,
    check_strings,
)

__all__ = ["validate_response_params"]

_FUNCTION_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_EFFORTS = ("minimal", "low", "medium", "high")
_SUMMARIES = ("auto", "concise", "detailed")
_VERBOSITIES = ("low", "medium", "high")
_FORMATS = ("text", "json_object", "json_schema")
_INCLUDABLES: tuple[str, ...] = get_args(ResponseIncludable)
_CHOICES: dict[str, tuple[str, ...]] = {
    "service_tier": ("auto", "default", "flex", "scale", "priority"),
    "truncation": ("auto", "disabled"),
}
_RANGES: dict[str, tuple[float, float | None, bool]] = {  # name: (low, high, integer)
    "temperature": (0, 2, False),
    "top_p": (0, 1, False),
    "top_logprobs": (0, 20, True),
    "max_output_tokens": (1, None, True),
    "max_tool_calls": (1, None, True),
}
_BOOLEANS = ("background", "parallel_tool_calls", "store", "stream")
_STRINGS: dict[str, int | None] = {
    "instructions": None,
    "previous_response_id": None,
    "prompt_cache_key": None,
    "safety_identifier": 64,
    "user": None,
}
_TOOL_CHOICES = ("none", "auto", "required")
_ROLES = ("user", "assistant", "system", "developer")
_CHAT_PARTS = {  # Chat Completions' content part: the Responses API's name for it
    "text": "'input_text' ('output_text' in an assistant message)",
    "image_url": "'input_image' (with image_url a string)",
    "file": "'input_file'",
}
_CHAT_ITEMS = {  # what in a message: (the field to name, what it is, the item to send)
    "tool": (
        "role",
        "a 'tool' message",
        "{'type': 'function_call_output', 'call_id': ..., 'output': ...}",
    ),
    "function": (
        "role",
        "a 'function' message",
        "{'type': 'function_call_output', 'call_id': ..., 'output': ...}",
    ),
    "tool_calls": (
        "tool_calls",
        "an assistant message's tool_calls",
        "{'type': 'function_call', 'call_id': ..., 'name': ..., 'arguments': ...} for each",
    ),
}


def validate_response_params(params: Mapping[str, Any]) -> None:
    """Raise ``InvalidParameterError`` for the first invalid parameter of a Responses request.

    ``params`` is the request body (``NOT_GIVEN`` already removed); ``None`` is an explicit null
    and is left to the server, and what goes through ``extra_body`` is not checked.
    """
    model = params.get("model")
    if "model" in params and (not isinstance(model, str) or not model.strip()):
        raise InvalidParameterError("model", f"must be a non-empty string, got {model!r}")
    _check_input(params.get("input"))
    for name, (low, high, integer) in _RANGES.items():
        value = params.get(name)
        if value is not None:
            check_number(name, value, low, high, integer=integer)
    check_choices(params, _CHOICES)
    check_booleans(params, _BOOLEANS)
    check_strings(params, _STRINGS)
    if params.get("stream_options") is not None and params.get("stream") is not True:
        raise InvalidParameterError("stream_options", "is only allowed with stream=True")
    if params.get("conversation") is not None and params.get("previous_response_id") is not None:
        raise InvalidParameterError(
            "previous_response_id", "cannot be used with conversation", allowed="one of the two"
        )
    _check_include(params.get("include"))
    check_metadata(params.get("metadata"))
    _check_reasoning(params.get("reasoning"))
    _check_text(params.get("text"))
    _check_tools(params.get("tools"))
    _check_tool_choice(params.get("tool_choice"))


def _check_input(value: object) -> None:
    if value is None or isinstance(value, str):
        return
    if not isinstance(value, (list, tuple)):
        raise InvalidParameterError(
            "input", f"must be a string or a list of items, got {type(value).__name__}"
        )
    for i, item in enumerate(value):
        where = f"input[{i}]"
        if not isinstance(item, Mapping):
            raise InvalidParameterError(where, f"must be a dict, got {type(item).__name__}")
        kind = item.get("type")
        if kind not in (None, "message") or "role" not in item:
            if not isinstance(kind, str):
                raise InvalidParameterError(
                    f"{where}.type",
                    "is missing",
                    allowed="a message {'role', 'content'} or a typed item",
                )
            if kind == "function_call_output" and not isinstance(item.get("call_id"), str):
                raise InvalidParameterError(f"{where}.call_id", "must be the call's call_id")
            continue
        _check_message(where, item)


def _check_message(where: str, item: Mapping[str, Any]) -> None:
    """An input message; Chat Completions' own forms (a ``tool`` message, ``tool_calls``,
    ``text`` parts) named as such, with what the Responses API takes instead."""
    role = item.get("role")
    if (isinstance(role, str) and role in _CHAT_ITEMS) or (
        role == "assistant" and "tool_calls" in item
    ):
        field, what, instead = _CHAT_ITEMS["tool_calls" if role == "assistant" else role]
        raise InvalidParameterError(
            f"{where}.{field}",
            f"{what} is Chat Completions' form; the Responses API takes an item",
            allowed=instead,
        )
    if role not in _ROLES:
        raise InvalidParameterError(f"{where}.role", f"got {role!r}", allowed=_ROLES)
    content = item.get("content")
    if not isinstance(content, (str, list, tuple)):
        raise InvalidParameterError(
            f"{where}.content", "must be a string or a list of content parts"
        )
    for j, part in enumerate(content if isinstance(content, (list, tuple)) else ()):
        kind = part.get("type") if isinstance(part, Mapping) else None
        if isinstance(kind, str) and kind in _CHAT_PARTS:
            raise InvalidParameterError(
                f"{where}.content[{j}].type",
                f"{kind!r} is a Chat Completions content part; the Responses API takes"
                f" {_CHAT_PARTS[kind]}",
            )


def _check_include(value: object) -> None:
    if value is None:
        return
    if not isinstance(value, (list, tuple)):
        raise InvalidParameterError("include", "must be a list", allowed=_INCLUDABLES)
    for entry in value:
        if entry not in _INCLUDABLES:
            raise InvalidParameterError("include", f"got {entry!r}", allowed=_INCLUDABLES)


def _check_reasoning(value: object) -> None:
    if value is None:
        return
    if not isinstance(value, Mapping):
        raise InvalidParameterError("reasoning", "must be a dict, e.g. {'effort': 'low'}")
    for key, allowed in (("effort", _EFFORTS), ("summary", _SUMMARIES)):
        found = value.get(key)
        if found is not None and found not in allowed:
            raise InvalidParameterError(f"reasoning.{key}", f"got {found!r}", allowed=allowed)


def _check_text(value: object) -> None:
    if value is None:
        return
    if not isinstance(value, Mapping):
        raise InvalidParameterError("text", "must be a dict, e.g. {'format': {'type': 'text'}}")
    verbosity = value.get("verbosity")
    if verbosity is not None and verbosity not in _VERBOSITIES:
        raise InvalidParameterError("text.verbosity", f"got {verbosity!r}", allowed=_VERBOSITIES)
    fmt = value.get("format")
    if fmt is None:
        return
    kind = fmt.get("type") if isinstance(fmt, Mapping) else None
    if kind not in _FORMATS:
        raise InvalidParameterError("text.format.type", f"got {kind!r}", allowed=_FORMATS)
    if kind == "json_schema":
        assert isinstance(fmt, Mapping)
        if "json_schema" in fmt and "name" not in fmt:
            raise InvalidParameterError(
                "text.format.json_schema",
                "is Chat Completions' nested form (response_format); the Responses API takes"
                " 'name' and 'schema' beside 'type'",
                allowed="{'type': 'json_schema', 'name': ..., 'schema': {...}}",
            )
        if not isinstance(fmt.get("name"), str) or not _FUNCTION_NAME.match(fmt["name"]):
            raise InvalidParameterError(
                "text.format.name", f"got {fmt.get('name')!r}", allowed="1-64 of a-z, A-Z, 0-9, _ -"
            )
        if not isinstance(fmt.get("schema"), Mapping):
            raise InvalidParameterError("text.format.schema", "must be a JSON schema dict")
        check_field("text.format", fmt, "strict", bool, nullable=True)


def _check_tools(tools: object) -> None:
    if tools is None:
        return
    if not isinstance(tools, (list, tuple)):
        raise InvalidParameterError("tools", "must be a list of tool dicts")
    for i, tool in enumerate(tools):
        where = f"tools[{i}]"
        kind = tool.get("type") if isinstance(tool, Mapping) else None
        if not isinstance(kind, str):
            raise InvalidParameterError(
                f"{where}.type", "is missing", allowed="'function' or a built-in tool's type"
            )
        if kind != "function":
            continue  # built-in tools (web_search, file_search, mcp ...) go as they are
        assert isinstance(tool, Mapping)
        if "function" in tool and "name" not in tool:
            raise InvalidParameterError(
                f"{where}.name",
                "is missing: a Responses function tool is flat",
                allowed="{'type': 'function', 'name': ..., 'parameters': {...}}",
            )
        name = tool.get("name")
        if not isinstance(name, str) or not _FUNCTION_NAME.match(name):
            raise InvalidParameterError(
                f"{where}.name", f"got {name!r}", allowed="1-64 of a-z, A-Z, 0-9, _ and -"
            )
        check_field(where, tool, "parameters", Mapping, nullable=True)
        check_field(where, tool, "strict", bool, nullable=True)
        check_field(where, tool, "description", str, nullable=True)


def _check_tool_choice(choice: object) -> None:
    if choice is None or choice in _TOOL_CHOICES:
        return
    if isinstance(choice, Mapping) and isinstance(choice.get("type"), str):
        if choice["type"] == "function" and not isinstance(choice.get("name"), str):
            nested = "function" in choice
            raise InvalidParameterError(
                "tool_choice.name",
                "is missing: {'function': {'name': ...}} is Chat Completions' form; the"
                " Responses API takes it flat"
                if nested
                else "must name the function",
                allowed="{'type': 'function', 'name': ...}" if nested else None,
            )
        return
    raise InvalidParameterError(
        "tool_choice",
        f"got {choice!r}",
        allowed="'none', 'auto', 'required' or {'type': 'function', 'name': ...}",
    )
