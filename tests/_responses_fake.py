"""A scripted Responses API server on an ``httpx.MockTransport``: each request to
``/v1/responses`` takes the next scripted reply and answers it as the API does, as an SSE stream
of events in the documented order or as one JSON Response; the requests are kept to look at."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx

import workbench

KEY = "sk-convresp-test"


@dataclass
class Reply:
    """One scripted reply: text (in these deltas), a refusal, function calls (name, arguments),
    a reasoning summary (its parts), encrypted reasoning, and how it ends."""

    text: list[str] = field(default_factory=list)
    refusal: str | None = None
    calls: list[tuple[str, str]] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
    encrypted: str | None = None
    status: str = "completed"
    incomplete: str | None = None
    error: tuple[str, str] | None = None
    usage: tuple[int, int, int] = (11, 7, 3)  # input, output, reasoning tokens


@dataclass
class FakeResponses:
    """The server: ``replies`` in order; ``requests`` the JSON bodies it was sent, by path
    (``/v1/responses``, ``/v1/chat/completions``); ``no_responses`` answers 404 there."""

    replies: list[Reply]
    no_responses: bool = False
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    count: int = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content or b"{}")
        self.requests.append((request.url.path, body))
        if request.url.path.endswith("/chat/completions"):
            completion = _chat_completion(body)
            if not body.get("stream"):
                return httpx.Response(200, json=completion)
            choice = {
                "index": 0,
                "delta": completion["choices"][0]["message"],
                "finish_reason": "stop",
            }
            chunk = {**completion, "object": "chat.completion.chunk", "choices": [choice]}
            data = f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n".encode()
            return httpx.Response(200, content=data, headers={"content-type": "text/event-stream"})
        if self.no_responses:
            return httpx.Response(404, json={"error": {"message": "Not Found", "type": "none"}})
        reply = self.replies[self.count]
        self.count += 1
        rid = f"resp_{self.count:04d}"
        if body.get("stream"):
            data = "".join(
                f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events(reply, rid, body)
            )
            return httpx.Response(
                200, content=data.encode(), headers={"content-type": "text/event-stream"}
            )
        return httpx.Response(200, json=response(reply, rid, body), headers={"x-request-id": rid})

    def bodies(self, path: str = "/v1/responses") -> list[dict[str, Any]]:
        return [body for at, body in self.requests if at == path]

    def client(self, **kw: Any) -> workbench.Client:
        http = httpx.Client(transport=httpx.MockTransport(self))
        return workbench.Client(api_key=KEY, http_client=http, **kw)

    def async_client(self, **kw: Any) -> workbench.AsyncClient:
        http = httpx.AsyncClient(transport=httpx.MockTransport(self))
        return workbench.AsyncClient(api_key=KEY, http_client=http, **kw)


def _chat_completion(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": body.get("model", "m"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "from chat"},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
    }


def _items(reply: Reply) -> list[dict[str, Any]]:
    """The output items of the finished reply."""
    items: list[dict[str, Any]] = []
    if reply.summary or reply.encrypted:
        item: dict[str, Any] = {
            "type": "reasoning",
            "id": "rs_1",
            "summary": [{"type": "summary_text", "text": t} for t in reply.summary],
        }
        if reply.encrypted:
            item["encrypted_content"] = reply.encrypted
        items.append(item)
    if reply.text or reply.refusal:
        content: list[dict[str, Any]] = []
        if reply.text:
            text = "".join(reply.text)
            content.append({"type": "output_text", "text": text, "annotations": []})
        if reply.refusal:
            content.append({"type": "refusal", "refusal": reply.refusal})
        items.append(
            {"type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
             "content": content}
        )  # fmt: skip
    for n, (name, arguments) in enumerate(reply.calls):
        items.append(
            {"type": "function_call", "id": f"fc_{n}", "call_id": f"call_{n}", "name": name,
             "arguments": arguments, "status": "completed"}
        )  # fmt: skip
    return items


def response(reply: Reply, rid: str, body: dict[str, Any], final: bool = True) -> dict[str, Any]:
    """The Response object (``final``: with its output, usage and ending)."""
    data: dict[str, Any] = {
        "id": rid,
        "object": "response",
        "created_at": 1757687055,
        "status": reply.status if final else "in_progress",
        "model": body.get("model", "m"),
        "output": _items(reply) if final else [],
        "parallel_tool_calls": True,
        "tools": [],
        "error": None,
        "incomplete_details": None,
    }
    if final:
        if reply.incomplete:
            data["incomplete_details"] = {"reason": reply.incomplete}
        if reply.error:
            data["error"] = {"code": reply.error[0], "message": reply.error[1]}
        i, o, r = reply.usage
        data["usage"] = {
            "input_tokens": i,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": o,
            "output_tokens_details": {"reasoning_tokens": r},
            "total_tokens": i + o,
        }
    return data


def events(reply: Reply, rid: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    """The stream's events, in the documented order, numbered."""
    out: list[dict[str, Any]] = [
        {"type": "response.created", "response": response(reply, rid, body, final=False)},
        {"type": "response.in_progress", "response": response(reply, rid, body, final=False)},
    ]
    for index, item in enumerate(_items(reply)):
        out.extend(_item_events(reply, index, item))
    ending = {"completed": "response.completed", "failed": "response.failed"}
    out.append({"type": ending.get(reply.status, "response.incomplete"),
                "response": response(reply, rid, body)})  # fmt: skip
    for n, event in enumerate(out):
        event["sequence_number"] = n
    return out


def _item_events(reply: Reply, index: int, item: dict[str, Any]) -> list[dict[str, Any]]:
    at = {"item_id": item["id"], "output_index": index}
    kind = item["type"]
    started = {**item}
    if kind == "reasoning":
        started["summary"] = []
    elif kind == "message":
        started["content"], started["status"] = [], "in_progress"
    elif kind == "function_call":
        started["arguments"], started["status"] = "", "in_progress"
    out: list[dict[str, Any]] = [
        {"type": "response.output_item.added", "output_index": index, "item": started}
    ]
    if kind == "reasoning":
        for n, text in enumerate(reply.summary):
            part = {**at, "summary_index": n}
            empty = {"type": "summary_text", "text": ""}
            out.append({"type": "response.reasoning_summary_part.added", **part, "part": empty})
            out.append({"type": "response.reasoning_summary_text.delta", **part, "delta": text})
            out.append({"type": "response.reasoning_summary_text.done", **part, "text": text})
            done = {"type": "summary_text", "text": text}
            out.append({"type": "response.reasoning_summary_part.done", **part, "part": done})
    elif kind == "message":
        for n, part in enumerate(item["content"]):
            c = {**at, "content_index": n}
            field = "text" if part["type"] == "output_text" else "refusal"
            empty = {**part, field: ""}
            out.append({"type": "response.content_part.added", **c, "part": empty})
            if part["type"] == "output_text":
                for delta in reply.text:
                    out.append({"type": "response.output_text.delta", **c, "delta": delta})
                out.append({"type": "response.output_text.done", **c, "text": part["text"]})
            else:
                out.append({"type": "response.refusal.delta", **c, "delta": part["refusal"]})
                out.append({"type": "response.refusal.done", **c, "refusal": part["refusal"]})
            out.append({"type": "response.content_part.done", **c, "part": part})
    elif kind == "function_call":
        arguments = item["arguments"]
        for piece in (arguments[: len(arguments) // 2], arguments[len(arguments) // 2 :]):
            if piece:
                out.append({"type": "response.function_call_arguments.delta", **at, "delta": piece})
        out.append({"type": "response.function_call_arguments.done", **at,
                    "arguments": arguments})  # fmt: skip
    out.append({"type": "response.output_item.done", "output_index": index, "item": item})
    return out
