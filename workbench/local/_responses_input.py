"""A Responses API request read as the chat request the local model already answers: its input
items as chat messages, its flat tools, ``text.format``, ``reasoning`` and token limit."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

from .._exceptions import InvalidParameterError

__all__ = ["chat_body", "input_items", "responses_param"]

# Request fields that mean the same in both APIs.
_SAME = ("model", "temperature", "top_p", "seed", "parallel_tool_calls")
_ITEM_TYPES = ("message", "function_call", "function_call_output", "reasoning", "item_reference")
# A chat parameter named in an error, as the Responses request names it (longest first).
_PARAMS = (
    ("response_format.json_schema.", "text.format."),
    ("response_format", "text.format"),
    ("max_completion_tokens", "max_output_tokens"),
    ("reasoning_effort", "reasoning.effort"),
    ("verbosity", "text.verbosity"),
    ("messages", "input"),
)


def responses_param(chat_param: str | None) -> str | None:
    """The Responses name of a parameter a chat check named (``tools[0].function.parameters``
    is ``tools[0].parameters``)."""
    if chat_param is None:
        return None
    param = chat_param.replace(".function.", ".")
    for chat, responses in _PARAMS:
        if param.startswith(chat):
            return responses + param[len(chat) :]
    return param


def input_items(value: object) -> list[dict[str, Any]]:
    """The request's ``input`` as a list of items (a string is one user message)."""
    if isinstance(value, str):
        return [{"type": "message", "role": "user", "content": value}]
    if not isinstance(value, list) or not value:
        raise InvalidParameterError("input", "must be a string or a non-empty list of items")
    items = []
    for i, item in enumerate(value):
        if not isinstance(item, Mapping):
            raise InvalidParameterError(f"input[{i}]", "must be an object")
        kind = item.get("type", "message")
        if kind not in _ITEM_TYPES:
            raise InvalidParameterError(
                f"input[{i}].type",
                f"the local model does not take {kind!r} items",
                allowed=_ITEM_TYPES,
            )
        items.append({**dict(item), "type": kind})
    return items


def chat_body(body: Mapping[str, Any], items: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The chat completion request that asks what ``body`` asks, of the conversation ``items``
    (a previous response's input and output, then the request's own input, references
    resolved)."""
    messages: list[dict[str, Any]] = []
    instructions = body.get("instructions")
    if isinstance(instructions, str) and instructions:
        messages.append({"role": "system", "content": instructions})
    messages += _messages(items)
    chat: dict[str, Any] = {k: body[k] for k in _SAME if body.get(k) is not None}
    chat["messages"] = messages
    top = body.get("top_logprobs")
    if "message.output_text.logprobs" in (body.get("include") or ()) or top:
        chat["logprobs"] = True
        if top is not None:
            chat["top_logprobs"] = top
    if body.get("max_output_tokens") is not None:
        chat["max_completion_tokens"] = body["max_output_tokens"]
    reasoning = body.get("reasoning")
    if isinstance(reasoning, Mapping) and reasoning.get("effort") is not None:
        chat["reasoning_effort"] = reasoning["effort"]
    text = body.get("text")
    if isinstance(text, Mapping):
        if text.get("verbosity") is not None:
            chat["verbosity"] = text["verbosity"]
        response_format = _response_format(text.get("format"))
        if response_format is not None:
            chat["response_format"] = response_format
    tools = body.get("tools")
    if tools:
        chat["tools"] = [_tool(i, tool) for i, tool in enumerate(tools)]
    if body.get("tool_choice") is not None:
        chat["tool_choice"] = _tool_choice(body["tool_choice"])
    return chat


def _messages(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Chat messages for input items; consecutive function calls share one assistant message."""
    messages: list[dict[str, Any]] = []
    for kind, group in itertools.groupby(items, key=lambda item: item.get("type", "message")):
        if kind == "function_call":
            calls = [
                {
                    "id": str(item.get("call_id")),
                    "type": "function",
                    "function": {"name": item.get("name"), "arguments": item.get("arguments")},
                }
                for item in group
            ]
            messages.append({"role": "assistant", "content": None, "tool_calls": calls})
        elif kind == "function_call_output":
            for item in group:
                output = item.get("output")
                content = output if isinstance(output, str) else _text_of(output)
                messages.append(
                    {"role": "tool", "tool_call_id": str(item.get("call_id")), "content": content}
                )
        elif kind == "message":
            messages += [_message(item) for item in group]
    return messages


def _message(item: Mapping[str, Any]) -> dict[str, Any]:
    role = item.get("role", "user")
    content = item.get("content")
    if isinstance(content, str) or role not in ("user",):
        text = content if isinstance(content, str) else _text_of(content)
        return {"role": role, "content": text}
    return {"role": role, "content": [_part(part) for part in content or ()]}


def _part(part: Any) -> dict[str, Any]:
    """A chat content part for an input part (text and images; others as their text)."""
    if isinstance(part, Mapping) and part.get("type") == "input_image":
        image = {"url": part.get("image_url") or part.get("file_id") or ""}
        if part.get("detail") is not None:
            image["detail"] = part["detail"]
        return {"type": "image_url", "image_url": image}
    return {"type": "text", "text": _text_of([part])}


def _text_of(parts: object) -> str:
    """The text of a list of content parts (input_text, output_text, refusal)."""
    if not isinstance(parts, list):
        return "" if parts is None else str(parts)
    texts = []
    for part in parts:
        if isinstance(part, Mapping):
            value = part.get("text", part.get("refusal"))
            texts.append(value if isinstance(value, str) else "")
    return "".join(texts)


def _response_format(spec: object) -> dict[str, Any] | None:
    if not isinstance(spec, Mapping) or spec.get("type") in (None, "text"):
        return None
    if spec.get("type") != "json_schema":
        return {"type": spec.get("type")}
    inner = {k: spec[k] for k in ("name", "schema", "strict", "description") if k in spec}
    return {"type": "json_schema", "json_schema": inner}


def _tool(i: int, tool: object) -> dict[str, Any]:
    if not isinstance(tool, Mapping) or tool.get("type") != "function":
        kind = tool.get("type") if isinstance(tool, Mapping) else type(tool).__name__
        raise InvalidParameterError(
            f"tools[{i}].type",
            f"the local model runs no built-in {kind!r} tool; give function tools",
            allowed=("function",),
        )
    if not isinstance(tool.get("name"), str) or not tool["name"]:
        raise InvalidParameterError(f"tools[{i}].name", "Missing required parameter.")
    function = {k: tool[k] for k in ("name", "description", "parameters", "strict") if k in tool}
    return {"type": "function", "function": function}


def _tool_choice(choice: object) -> object:
    if isinstance(choice, Mapping) and choice.get("type") == "function":
        return {"type": "function", "function": {"name": choice.get("name")}}
    if isinstance(choice, Mapping):  # allowed_tools and built-in choices: the model chooses
        return "auto"
    return choice
