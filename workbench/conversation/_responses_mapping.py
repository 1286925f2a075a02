"""A conversation's turn as a Responses API request: the history as input items, the chat
parameters mapped to their Responses names; no I/O.

The conversation keeps one set of parameters (``ChatParams``, named as Chat Completions names
them) whichever protocol carries a turn. Here they become a ``responses.create`` request:
``reasoning_effort`` -> ``reasoning.effort``, ``response_format`` -> ``text.format``,
``max_completion_tokens`` (or ``max_tokens``) -> ``max_output_tokens``, ``verbosity`` ->
``text.verbosity``; a parameter the Responses API has no equivalent for (``seed``, ``stop``,
``n``, the penalties, ...) is refused before sending (``check_responses_params``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .._exceptions import InvalidParameterError
from ..protocol._schema import type_to_response_format
from ._history import Message

__all__ = [
    "UNMAPPED",
    "check_responses_params",
    "responses_content",
    "responses_input",
    "responses_request",
]

UNMAPPED: dict[str, str] = {
    "seed": "no seed: sampling is not reproducible by seed",
    "stop": "no stop sequences",
    "n": "one output per response: send again for another (regenerate)",
    "presence_penalty": "no presence penalty",
    "frequency_penalty": "no frequency penalty",
    "logit_bias": "no logit bias",
    "logprobs": "log probabilities come through include=['message.output_text.logprobs']",
    "top_logprobs": "log probabilities come through include=['message.output_text.logprobs']",
    "modalities": "no audio output",
    "audio": "no audio output",
    "prediction": "no predicted outputs",
}
"""The chat parameters with no Responses equivalent, and what to say of each."""

_SAME: tuple[str, ...] = ("model", "temperature", "top_p", "parallel_tool_calls", "metadata")
_SAME += ("store", "service_tier")
# Deep-merged from extra_body into the Responses request (a summary, encrypted reasoning, ...):
# the rest of extra_body is sent as it is.
_MERGED = ("reasoning", "text", "include")


def check_responses_params(request: Mapping[str, Any]) -> None:
    """Refuse, before sending, a parameter the Responses API cannot carry.

    Raises:
        InvalidParameterError: naming the parameter and the protocol.
    """
    for name in request:
        if name in UNMAPPED:
            raise InvalidParameterError(
                name,
                f"has no equivalent in the Responses API ({UNMAPPED[name]}); unset it, or send"
                " this turn with api='chat' (Chat Completions)",
            )


def responses_request(
    request: Mapping[str, Any], system: str | None, path: Iterable[Message]
) -> dict[str, Any]:
    """The keyword arguments of ``client.responses.create`` for a turn.

    Args:
        request: the turn's chat request keywords (``ChatParams.to_request`` and the tools).
        system: the system prompt, sent as ``instructions``.
        path: the branch's messages; the sendable ones become the input items.
    """
    check_responses_params(request)
    body: dict[str, Any] = {name: request[name] for name in _SAME if name in request}
    if system:
        body["instructions"] = system
    body["input"] = responses_input(path)
    tokens = request.get("max_completion_tokens", request.get("max_tokens"))
    if tokens is not None:
        body["max_output_tokens"] = tokens
    if "reasoning_effort" in request:
        body["reasoning"] = {"effort": request["reasoning_effort"]}
    text: dict[str, Any] = {}
    if "response_format" in request:
        text["format"] = text_format(request["response_format"])
    if "verbosity" in request:
        text["verbosity"] = request["verbosity"]
    if text:
        body["text"] = text
    if request.get("tools"):
        body["tools"] = [_tool(tool) for tool in request["tools"]]
    if "tool_choice" in request:
        body["tool_choice"] = _tool_choice(request["tool_choice"])
    extra = dict(request.get("extra_body") or {})
    for name in _MERGED:
        if name in extra:
            body[name] = _merge(body.get(name), extra.pop(name))
    if extra:
        body["extra_body"] = extra
    return body


def text_format(response_format: Any) -> dict[str, Any]:
    """A chat ``response_format`` (a type, a schema, an API dict, a string) as ``text.format``."""
    converted: dict[str, Any] = dict(type_to_response_format(response_format))
    schema = converted.pop("json_schema", None)
    if schema is not None:  # the chat form nests name/schema/strict; Responses flattens them
        converted.update(schema)
    return converted


def responses_input(path: Iterable[Message]) -> list[dict[str, Any]]:
    """The sendable messages of a branch as Responses input items: messages, the function calls
    of a reply and their outputs, and the encrypted reasoning a reply brought back."""
    items: list[dict[str, Any]] = []
    for message in path:
        if not message.sendable:
            continue
        if message.role == "tool":
            items.append(_call_output(message))
        elif message.role == "assistant":
            items.extend(message.reasoning_items or ())
            text = message.content if isinstance(message.content, str) else message.text
            if message.refusal:
                text = message.refusal
            if text:
                items.append({"role": "assistant", "content": text})
            for call in message.tool_calls or ():
                function = call.get("function") or {}
                items.append(
                    {
                        "type": "function_call",
                        "call_id": call.get("id"),
                        "name": function.get("name"),
                        "arguments": function.get("arguments") or "{}",
                    }
                )
        else:
            items.append({"role": message.role, "content": responses_content(message.content)})
    return items


def _call_output(message: Message) -> dict[str, Any]:
    content = message.content
    output = content if isinstance(content, str) else message.text
    return {"type": "function_call_output", "call_id": message.tool_call_id, "output": output}


def responses_content(content: Any) -> Any:
    """A user message's content: text as it is, chat content parts as Responses input parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return [_part(part) for part in content]


def _part(part: Mapping[str, Any]) -> dict[str, Any]:
    kind = part.get("type")
    if kind == "text":
        return {"type": "input_text", "text": part.get("text", "")}
    if kind == "image_url":
        image = part.get("image_url") or {}
        out = {"type": "input_image", "image_url": image.get("url"), "detail": "auto"}
        if image.get("detail"):
            out["detail"] = image["detail"]
        return out
    if kind == "file":
        return {"type": "input_file", **dict(part.get("file") or {})}
    raise InvalidParameterError(
        "content",
        f"a {kind!r} part has no equivalent in the Responses API's input; send this turn with"
        " api='chat'",
    )


def _tool(tool: Mapping[str, Any]) -> dict[str, Any]:
    """A chat tool (``{"type": "function", "function": {...}}``) as a Responses function tool
    (flat); other tool types are passed on as they are."""
    function = tool.get("function")
    if tool.get("type") != "function" or not isinstance(function, Mapping):
        return dict(tool)
    out: dict[str, Any] = {"type": "function", "name": function["name"]}
    for key in ("description", "parameters", "strict"):
        if key in function:
            out[key] = function[key]
    out.setdefault("parameters", {"type": "object", "properties": {}})
    out.setdefault("strict", False)  # the chat default; Responses defaults to strict
    return out


def _tool_choice(choice: Any) -> Any:
    if isinstance(choice, Mapping) and isinstance(choice.get("function"), Mapping):
        return {"type": "function", "name": choice["function"]["name"]}
    return choice


def _merge(base: Any, extra: Any) -> Any:
    if isinstance(base, Mapping) and isinstance(extra, Mapping):
        return {**base, **extra}
    if isinstance(base, list) and isinstance(extra, list):
        return [*base, *(x for x in extra if x not in base)]
    return extra
