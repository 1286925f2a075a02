"""A request's tools and tool choice checked: names, parameters, custom tools' formats."""

from __future__ import annotations

import re
from collections.abc import Mapping

from .._exceptions import InvalidParameterError
from ._validate_fields import check_field

__all__ = ["check_tool_choice", "check_tools"]

_TOOL_CHOICES = ("none", "auto", "required")
_FUNCTION_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def check_tools(tools: object) -> None:
    """Raise ``InvalidParameterError`` unless ``tools`` is None or a list of valid tools."""
    if tools is None:
        return
    if not isinstance(tools, (list, tuple)):
        raise InvalidParameterError("tools", "must be a list of tool dicts")
    for i, tool in enumerate(tools):
        where = f"tools[{i}]"
        kind = tool.get("type") if isinstance(tool, Mapping) else None
        if kind not in ("function", "custom"):
            raise InvalidParameterError(
                f"{where}.type", f"got {kind!r}", allowed=("function", "custom")
            )
        assert isinstance(tool, Mapping)
        spec = tool.get(kind)
        if not isinstance(spec, Mapping) and "name" in tool:
            raise _flat_form(f"{where}.{kind}", kind, "{'name': ..., 'parameters': {...}}")
        if not isinstance(spec, Mapping):
            raise InvalidParameterError(f"{where}.{kind}", "must be a dict with a name")
        name = spec.get("name")
        if not isinstance(name, str) or not _FUNCTION_NAME.match(name):
            raise InvalidParameterError(
                f"{where}.{kind}.name", f"got {name!r}", allowed="1-64 of a-z, A-Z, 0-9, _ and -"
            )
        parameters = spec.get("parameters")
        if kind == "function" and parameters is not None and not isinstance(parameters, Mapping):
            raise InvalidParameterError(
                f"{where}.function.parameters", "must be a JSON schema dict"
            )
        check_field(f"{where}.{kind}", spec, "description", str)
        check_field(f"{where}.{kind}", spec, "strict", bool, nullable=True)
        if kind == "custom" and spec.get("format") is not None:
            _check_custom_format(f"{where}.custom.format", spec["format"])


def check_tool_choice(choice: object) -> None:
    """Raise ``InvalidParameterError`` unless ``choice`` is None, a mode, a named tool or a set
    of allowed tools."""
    if choice is None or choice in _TOOL_CHOICES:
        return
    kind = choice.get("type") if isinstance(choice, Mapping) else None
    if isinstance(choice, Mapping) and kind in ("function", "custom"):
        named = choice.get(kind)
        if not isinstance(named, Mapping) and "name" in choice:
            raise _flat_form(f"tool_choice.{kind}", kind, "{'name': ...}")
        if not isinstance(named, Mapping) or not isinstance(named.get("name"), str):
            raise InvalidParameterError(
                f"tool_choice.{kind}", f"must name the tool: {{'name': ...}}, got {named!r}"
            )
        return
    if isinstance(choice, Mapping) and kind == "allowed_tools":
        allowed = choice.get("allowed_tools")
        tools = allowed.get("tools") if isinstance(allowed, Mapping) else None
        if (
            not isinstance(allowed, Mapping)
            or allowed.get("mode") not in ("auto", "required")
            or not isinstance(tools, (list, tuple))
            or not all(isinstance(tool, Mapping) for tool in tools)
        ):
            raise InvalidParameterError(
                "tool_choice.allowed_tools",
                f"got {allowed!r}",
                allowed="{'mode': 'auto' or 'required', 'tools': [{...}, ...]}",
            )
        return
    raise InvalidParameterError(
        "tool_choice",
        f"got {choice!r}",
        allowed='"none", "auto", "required", {"type": "function", "function": {"name": ...}}',
    )


def _flat_form(where: str, kind: str, inner: str) -> InvalidParameterError:
    """A tool or tool choice written flat, as the Responses API takes it."""
    return InvalidParameterError(
        where,
        f"is missing: a flat {{'type': {kind!r}, 'name': ...}} is the Responses API's form;"
        " Chat Completions nests it",
        allowed=f"{{'type': {kind!r}, {kind!r}: {inner}}}",
    )


def _check_custom_format(where: str, value: object) -> None:
    if isinstance(value, Mapping):
        grammar = value.get("grammar")
        if value.get("type") == "text" and len(value) == 1:
            return
        if (
            value.get("type") == "grammar"
            and set(value) == {"type", "grammar"}
            and isinstance(grammar, Mapping)
            and isinstance(grammar.get("definition"), str)
            and grammar.get("syntax") in ("lark", "regex")
        ):
            return
    raise InvalidParameterError(
        where,
        f"got {value!r}",
        allowed="{'type': 'text'} or {'type': 'grammar', 'grammar': {'definition', 'syntax'}}",
    )
