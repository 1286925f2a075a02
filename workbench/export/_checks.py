"""Checks for imported messages, shared by every format: each failure names where and what."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..conversation._history import History, Message
from ..conversation._tools import as_tool
from ._transcript import TranscriptError

__all__ = [
    "ROLES",
    "api_message",
    "check_content",
    "check_role",
    "check_str",
    "check_tool_answers",
    "check_tool_calls",
    "check_tools",
]

ROLES = ("system", "developer", "user", "assistant", "tool")
_PART_TYPES: dict[str, tuple[str, ...]] = {
    "system": ("text",),
    "developer": ("text",),
    "tool": ("text",),
    "user": ("text", "image_url", "input_audio", "file"),
    "assistant": ("text", "refusal"),
}
_MESSAGE_FIELDS: dict[str, tuple[str, ...]] = {
    "system": ("role", "content", "name"),
    "developer": ("role", "content", "name"),
    "user": ("role", "content", "name"),
    "assistant": ("role", "content", "refusal", "name", "tool_calls", "audio", "weight"),
    "tool": ("role", "content", "tool_call_id"),
}
_CALL_FIELDS = ("id", "type", "function")
_FLAT_CALL_FIELDS = ("id", "type", "name", "arguments", "result")
_FUNCTION_FIELDS = ("name", "arguments")
_TOOL_FIELDS = ("type", "function")
_DECLARATION_FIELDS = ("name", "description", "parameters", "strict")
# For each part type, the object it carries and that object's required string fields.
_PART_FIELDS: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "text": (None, ("text",)),
    "refusal": (None, ("refusal",)),
    "image_url": ("image_url", ("url",)),
    "input_audio": ("input_audio", ("data", "format")),
    "file": ("file", ()),
}


def check_str(value: object, where: str, field: str, *, required: bool = False) -> str | None:
    """``value`` if it is a string (or None when not ``required``)."""
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise TranscriptError(where, field, f"must be a string, got {_shown(value)}")
    return value


def check_role(value: object, where: str, field: str) -> str:
    """``value`` if it is one of the message roles."""
    if value not in ROLES:
        raise TranscriptError(
            where, field, f"{_shown(value)} is not a role (allowed: {', '.join(ROLES)})"
        )
    return str(value)


def check_content(
    role: str, value: object, where: str, field: str, *, required: bool
) -> str | list[dict[str, Any]] | None:
    """Content fit for ``role``: a string, or a list of the part types that role may send.

    Args:
        required: whether None is refused (the API requires content but for replies).
    """
    if value is None:
        if required:
            raise TranscriptError(where, field, f"is required in a {role} message")
        return None
    if isinstance(value, str):
        return value
    if not isinstance(value, list):
        raise TranscriptError(
            where, field, f"must be a string or a list of content parts, got {_shown(value)}"
        )
    allowed = _PART_TYPES[role]
    parts: list[dict[str, Any]] = []
    for i, part in enumerate(value):
        at = f"{field}[{i}]"
        if not isinstance(part, Mapping):
            raise TranscriptError(where, at, f"must be a content part object, got {_shown(part)}")
        kind = part.get("type")
        if kind not in allowed:
            raise TranscriptError(
                where,
                f"{at}.type",
                f"{_shown(kind)} is not a content part a {role} message may have"
                f" (allowed: {', '.join(allowed)})",
            )
        holder, required_fields = _PART_FIELDS[str(kind)]
        body = part.get(holder) if holder else part
        if not isinstance(body, Mapping):
            raise TranscriptError(where, f"{at}.{holder}", f"must be an object, got {_shown(body)}")
        for name in required_fields:
            inner = f"{at}.{holder}.{name}" if holder else f"{at}.{name}"
            check_str(body.get(name), where, inner, required=True)
        parts.append(dict(part))
    return parts


def check_tool_calls(
    value: object, where: str, field: str, *, flat: bool = False
) -> list[dict[str, Any]] | None:
    """Tool calls in the API's shape (``{"id", "type": "function", "function": {"name",
    "arguments"}}``, arguments as JSON text), or None for none.

    Args:
        flat: also take the table's flat shape (``{"id", "name", "arguments", ...}``).
    """
    items = _items(value, where, field, "tool calls")
    if items is None:
        return None
    calls: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, call in enumerate(items):
        at = f"{field}[{i}]"
        if not isinstance(call, Mapping):
            raise TranscriptError(where, at, f"must be a tool call object, got {_shown(call)}")
        ident = check_str(call.get("id"), where, f"{at}.id", required=True)
        if not ident:
            raise TranscriptError(where, f"{at}.id", "must not be empty")
        if ident in seen:
            raise TranscriptError(where, f"{at}.id", f"{ident!r} is used by two calls")
        seen.add(ident)
        kind = call.get("type", "function")
        if kind != "function":
            raise TranscriptError(
                where, f"{at}.type", f"{_shown(kind)} is not supported (allowed: function)"
            )
        if flat and "function" not in call:
            function: Mapping[str, Any] = call
            prefix = at
            _known(call, _FLAT_CALL_FIELDS, where, at)
        else:
            function = call.get("function")  # type: ignore[assignment]
            prefix = f"{at}.function"
            _known(call, _CALL_FIELDS, where, at)
            if not isinstance(function, Mapping):
                raise TranscriptError(where, prefix, f"must be an object, got {_shown(function)}")
            _known(function, _FUNCTION_FIELDS, where, prefix)
        name = check_str(function.get("name"), where, f"{prefix}.name", required=True)
        arguments = function.get("arguments")
        if not isinstance(arguments, str):
            raise TranscriptError(
                where,
                f"{prefix}.arguments",
                f"must be the arguments as JSON text (a string), got {_shown(arguments)}",
            )
        calls.append(
            {"id": ident, "type": "function", "function": {"name": name, "arguments": arguments}}
        )
    return calls


def check_tools(value: object, where: str, field: str) -> list[dict[str, Any]]:
    """Tool declarations as the API takes them, each checked by building a ``Tool``."""

    tools: list[dict[str, Any]] = []
    names: set[str] = set()
    for i, tool in enumerate(_items(value, where, field, "tools") or ()):
        at = f"{field}[{i}]"
        if not isinstance(tool, Mapping) or tool.get("type") != "function":
            raise TranscriptError(
                where,
                at,
                f"must be a {{'type': 'function', 'function': ...}} object, got {_shown(tool)}",
            )
        _known(tool, _TOOL_FIELDS, where, at)
        declared = tool.get("function")
        if isinstance(declared, Mapping):  # else as_tool below says what is wrong
            _known(declared, _DECLARATION_FIELDS, where, f"{at}.function")
            for key, kind, what in (
                ("strict", bool, "true or false"),
                ("description", str, "a string"),
            ):
                if key in declared and not isinstance(declared[key], kind):
                    raise TranscriptError(
                        where,
                        f"{at}.function.{key}",
                        f"must be {what}, got {_shown(declared[key])}",
                    )
        try:
            name = as_tool(dict(tool)).name
        except Exception as exc:  # the tool module's own message says what is wrong
            raise TranscriptError(where, at, str(exc)) from None
        if name in names:
            raise TranscriptError(where, f"{at}.function.name", f"{name!r} is declared twice")
        names.add(name)
        tools.append(dict(tool))
    return tools


def check_tool_answers(history: History, locate: Callable[[str], tuple[str, str]]) -> None:
    """Every tool message answers a call of the assistant message it follows (tool messages
    in between), and no call is answered twice.

    Args:
        locate: message id -> (where, field prefix) for the error.
    """
    messages = history.messages
    for m in messages.values():
        if m.role != "tool":
            continue
        where, prefix = locate(m.id)
        field = f"{prefix}tool_call_id"
        if not m.tool_call_id:
            raise TranscriptError(where, field, "is required in a tool message")
        earlier: set[str | None] = set()  # the calls answered between the assistant and here
        node = messages.get(m.parent_id) if m.parent_id is not None else None
        while node is not None and node.role == "tool":
            earlier.add(node.tool_call_id)
            node = messages.get(node.parent_id) if node.parent_id is not None else None
        calls = {str(c.get("id")) for c in (node.tool_calls or ())} if node is not None else set()
        if node is None or node.role != "assistant" or m.tool_call_id not in calls:
            raise TranscriptError(
                where,
                field,
                f"{m.tool_call_id!r} answers no tool call of the assistant message before it",
            )
        if m.tool_call_id in earlier:
            raise TranscriptError(where, field, f"{m.tool_call_id!r} is answered twice")


def api_message(raw: object, where: str, at: str, *, strict: bool = True) -> Message:
    """A ``Message`` from one message in the API's shape (``{"role": ..., "content": ...}``).

    Args:
        strict: refuse fields the role does not have (a file to import); without it, unknown
            fields are ignored and content may be missing (what a server lists).
    """
    if not isinstance(raw, Mapping):
        raise TranscriptError(where, at, "must be a message object")
    role = check_role(raw.get("role"), where, f"{at}.role")
    if strict and role == "assistant" and "function_call" in raw:
        raise TranscriptError(
            where, f"{at}.function_call", "is deprecated and not supported: use tool_calls"
        )
    allowed = _MESSAGE_FIELDS[role]
    for key in raw if strict else ():
        if key not in allowed:
            raise TranscriptError(
                where,
                f"{at}.{key}",
                f"is not a field of a {role} message (allowed: {', '.join(allowed)})",
            )
    calls = check_tool_calls(raw.get("tool_calls"), where, f"{at}.tool_calls")
    replied = bool(calls) or raw.get("refusal") is not None or raw.get("audio") is not None
    content = raw.get("content")
    if content is None and not strict and role != "assistant":
        content = ""  # a server lists an empty content as null
    content = check_content(
        role, content, where, f"{at}.content", required=role != "assistant" or not replied
    )
    if "weight" in raw and raw["weight"] not in (0, 1):
        raise TranscriptError(where, f"{at}.weight", "must be 0 or 1")
    audio = raw.get("audio")
    if audio is not None and not (isinstance(audio, Mapping) and isinstance(audio.get("id"), str)):
        raise TranscriptError(where, f"{at}.audio", "must be an object with the audio's id")
    return Message(
        role=role,
        content=content,
        name=check_str(raw.get("name"), where, f"{at}.name"),
        refusal=check_str(raw.get("refusal"), where, f"{at}.refusal"),
        tool_calls=calls,
        tool_call_id=check_str(raw.get("tool_call_id"), where, f"{at}.tool_call_id"),
        audio=dict(audio) if audio is not None else None,
    )


def _known(value: Mapping[str, Any], fields: tuple[str, ...], where: str, at: str) -> None:
    """Refuse a field the format does not have: importing it would drop it silently."""
    for key in value:
        if key not in fields:
            raise TranscriptError(
                where, f"{at}.{key}", f"is not a field here (allowed: {', '.join(fields)})"
            )


def _items(value: object, where: str, field: str, what: str) -> list[Any] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise TranscriptError(where, field, f"must be a list of {what}, got {_shown(value)}")
    return value


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
