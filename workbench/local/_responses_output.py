"""The local model's answer as the Responses API sends it: a ``response`` object with its output
items (reasoning, message, function calls), and the stream of events that builds it."""

from __future__ import annotations

import base64
import copy
import hashlib
from collections.abc import Iterator, Mapping
from typing import Any

from ._answer import Answer
from ._phrasing import stable_hash, tokenize
from ._think import think

__all__ = ["response_events", "response_object"]

# Request fields echoed in the response, with their values when the request leaves them out.
_ECHOED = {
    "instructions": None,
    "max_output_tokens": None,
    "max_tool_calls": None,
    "previous_response_id": None,
    "temperature": 1.0,
    "top_p": 1.0,
    "top_logprobs": 0,
    "tool_choice": "auto",
    "parallel_tool_calls": True,
    "truncation": "disabled",
    "background": False,
    "prompt_cache_key": None,
    "safety_identifier": None,
}


def response_object(
    body: Mapping[str, Any], result: Answer, *, user_text: str, created: int
) -> dict[str, Any]:
    """The finished ``response`` for a request ``body`` and the chat answer to it."""
    reasoning = _object(body, "reasoning")
    cut = result.choices[0].finish_reason == "length"
    usage = result.usage
    response: dict[str, Any] = {
        "id": result.id,
        "object": "response",
        "created_at": created,
        "status": "incomplete" if cut else "completed",
        "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if cut else None,
        "model": result.model,
        "output": _output(result, body, user_text),
        "tools": list(body.get("tools") or ()),
        "metadata": dict(body.get("metadata") or {}),
        "reasoning": {"effort": reasoning.get("effort"), "summary": reasoning.get("summary")},
        "text": _text(body),
        "store": body.get("store") is not False,
        "service_tier": result.service_tier,
        "usage": {
            "input_tokens": usage["prompt_tokens"],
            "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
            "output_tokens": usage["completion_tokens"],
            "output_tokens_details": {
                "reasoning_tokens": usage["completion_tokens_details"]["reasoning_tokens"]
            },
            "total_tokens": usage["total_tokens"],
        },
    }
    for key, default in _ECHOED.items():
        value = body.get(key)
        response[key] = default if value is None else value
    if isinstance(body.get("user"), str):  # a string when set, else absent (not null)
        response["user"] = body["user"]
    return response


def _output(result: Answer, body: Mapping[str, Any], user_text: str) -> list[dict[str, Any]]:
    """The output items: the reasoning (when the model reasons), then the function calls or
    the message."""
    choice = result.choices[0]
    output: list[dict[str, Any]] = []
    reasoning_tokens = result.usage["completion_tokens_details"]["reasoning_tokens"]
    if choice.reasoning is not None or reasoning_tokens:
        output.append(_reasoning_item(result, body, user_text))
    for k, call in enumerate(choice.tool_calls):
        output.append(
            {
                "id": _id("fc", result.id, k),
                "type": "function_call",
                "status": "completed",
                "arguments": call.arguments,
                "call_id": call.id,
                "name": call.name,
            }
        )
    if choice.tool_calls:
        return output
    part: dict[str, Any]
    if choice.refusal is not None:
        part = {"type": "refusal", "refusal": "".join(choice.refusal)}
    else:
        part = {
            "type": "output_text",
            "annotations": [],
            "logprobs": choice.logprobs or [],
            "text": "".join(choice.tokens),
        }
    status = "incomplete" if choice.finish_reason == "length" else "completed"
    message = {"id": _id("msg", result.id, 0), "type": "message", "status": status}
    output.append({**message, "content": [part], "role": "assistant"})
    return output


def _reasoning_item(result: Answer, body: Mapping[str, Any], user_text: str) -> dict[str, Any]:
    """The reasoning item: its summary when ``reasoning.summary`` asks for one, its thoughts
    encoded when ``include`` asks for ``reasoning.encrypted_content`` (to send back later)."""
    choice = result.choices[0]
    reasoning = _object(body, "reasoning")
    text = (
        "".join(choice.reasoning)
        if choice.reasoning
        else think(
            user_text=user_text,
            effort=str(reasoning.get("effort") or "medium"),
            seed=stable_hash(result.model, user_text),
            refused=choice.refusal is not None,
            tools=[call.name for call in choice.tool_calls],
        )
    )
    item: dict[str, Any] = {"id": _id("rs", result.id, 0), "type": "reasoning", "summary": []}
    if text and reasoning.get("summary") is not None:
        item["summary"] = [{"type": "summary_text", "text": part} for part in text.split("\n\n")]
    if "reasoning.encrypted_content" in (body.get("include") or ()):
        sealed = base64.b64encode(f"workbench-local reasoning: {text or ''}".encode()).decode()
        item["encrypted_content"] = sealed
    return item


def _text(body: Mapping[str, Any]) -> dict[str, Any]:
    text = _object(body, "text")
    return {"format": text.get("format") or {"type": "text"}, "verbosity": text.get("verbosity")}


def _object(body: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """An object parameter of the request (``reasoning``, ``text``); empty when left out."""
    value = body.get(key)
    return value if isinstance(value, Mapping) else {}


def _id(prefix: str, response_id: str, k: int) -> str:
    digest = hashlib.sha256(f"{response_id}/{prefix}/{k}".encode()).hexdigest()[:40]
    return f"{prefix}_{digest}"


def response_events(response: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """The events that stream ``response``, in the documented order, numbered."""
    events = _events(response)
    for number, event in enumerate(events):
        yield {**event, "sequence_number": number}


def _events(response: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    start = {**copy.deepcopy(dict(response)), "status": "in_progress", "output": []}
    start["incomplete_details"] = None
    del start["usage"]  # none yet (the spec has no null for it)
    yield {"type": "response.created", "response": start}
    yield {"type": "response.in_progress", "response": start}
    for index, item in enumerate(response["output"]):
        yield from _item_events(index, item)
    kind = "response.incomplete" if response["status"] == "incomplete" else "response.completed"
    yield {"type": kind, "response": dict(response)}


def _item_events(index: int, item: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    at = {"item_id": item["id"], "output_index": index}
    if item["type"] == "message":
        added = {**item, "status": "in_progress", "content": []}
    elif item["type"] == "reasoning":
        added = {**item, "summary": []}
    else:
        added = {**item, "status": "in_progress", "arguments": ""}
    yield {"type": "response.output_item.added", "output_index": index, "item": added}
    if item["type"] == "function_call":
        for piece in tokenize(item["arguments"]):
            yield {"type": "response.function_call_arguments.delta", **at, "delta": piece}
        yield {
            "type": "response.function_call_arguments.done",
            **at,
            "arguments": item["arguments"],
            "name": item["name"],
        }
    elif item["type"] == "reasoning":
        for k, part in enumerate(item["summary"]):
            yield from _summary_events(at, k, part["text"])
    else:
        for k, part in enumerate(item["content"]):
            yield from _part_events(at, k, part)
    yield {"type": "response.output_item.done", "output_index": index, "item": dict(item)}


def _summary_events(at: Mapping[str, Any], k: int, text: str) -> Iterator[dict[str, Any]]:
    at = {**at, "summary_index": k}
    empty = {"type": "summary_text", "text": ""}
    yield {"type": "response.reasoning_summary_part.added", **at, "part": empty}
    for piece in tokenize(text):
        yield {"type": "response.reasoning_summary_text.delta", **at, "delta": piece}
    yield {"type": "response.reasoning_summary_text.done", **at, "text": text}
    yield {"type": "response.reasoning_summary_part.done", **at, "part": {**empty, "text": text}}


def _part_events(
    at: Mapping[str, Any], k: int, part: Mapping[str, Any]
) -> Iterator[dict[str, Any]]:
    at = {**at, "content_index": k}
    field = "refusal" if part["type"] == "refusal" else "text"
    yield {"type": "response.content_part.added", **at, "part": {**part, field: ""}}
    if field == "refusal":
        for piece in tokenize(part["refusal"]):
            yield {"type": "response.refusal.delta", **at, "delta": piece}
        yield {"type": "response.refusal.done", **at, "refusal": part["refusal"]}
    else:
        pieces = tokenize(part["text"])
        logprobs = part["logprobs"] if len(part["logprobs"]) == len(pieces) else []
        for i, piece in enumerate(pieces):
            said = [_event_logprob(lp) for lp in logprobs[i : i + 1]]
            yield {"type": "response.output_text.delta", **at, "delta": piece, "logprobs": said}
        said = [_event_logprob(lp) for lp in logprobs]
        yield {"type": "response.output_text.done", **at, "text": part["text"], "logprobs": said}
    yield {"type": "response.content_part.done", **at, "part": dict(part)}


def _event_logprob(logprob: Mapping[str, Any]) -> dict[str, Any]:
    """A token's logprob as an event carries it: without the bytes."""
    top = [{"token": t["token"], "logprob": t["logprob"]} for t in logprob["top_logprobs"]]
    return {"token": logprob["token"], "logprob": logprob["logprob"], "top_logprobs": top}
