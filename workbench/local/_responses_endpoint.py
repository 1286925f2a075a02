"""The local model's ``/v1/responses``: create (whole or streamed), and the stored responses
(retrieve, replay, delete, cancel, input items), answered by the same generator as chat."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .._exceptions import InvalidParameterError
from ..protocol._validate_responses import validate_response_params
from ._generate import answer
from ._phrasing import message_text
from ._responses_input import chat_body, input_items, responses_param
from ._responses_output import response_events, response_object
from ._store import page
from ._variants import Variants, sampled

__all__ = ["Reply", "ResponsesEndpoint"]

_ONE = re.compile(r"^/responses/([^/]+)$")
_CANCEL = re.compile(r"^/responses/([^/]+)/cancel$")
_INPUT_ITEMS = re.compile(r"^/responses/([^/]+)/input_items$")


@dataclass
class Reply:
    """What the endpoint answers: a status and a JSON body, or (streaming) the SSE events."""

    status: int
    body: Mapping[str, Any] | None = None
    events: Iterator[bytes] | None = None


class ResponsesEndpoint:
    """Answers ``/responses`` requests and keeps the stored responses (thread-safe).

    Args:
        check_chat: the chat request checks (the same 400s for the same mistakes).
        next_number: the model's next request number (for ids).
        variants: the model's sampling counts (``_variants``).
    """

    def __init__(
        self,
        *,
        check_chat: Callable[[dict[str, Any]], None],
        next_number: Callable[[], int],
        variants: Variants,
    ) -> None:
        self._check_chat = check_chat
        self._next_number = next_number
        self._variants = variants
        self._lock = threading.Lock()
        self._responses: dict[str, dict[str, Any]] = {}
        self._inputs: dict[str, list[dict[str, Any]]] = {}

    def route(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        body: dict[str, Any],
        *,
        repeat: str | None,
        refusal_trigger: str | None,
        list_query: Callable[[Mapping[str, str]], dict[str, Any]],
        variants: Variants | None = None,
    ) -> Reply | None:
        """Answer a request below ``/responses``; None for a path or method it does not serve.
        ``variants``: the sampling counts to use (a batch's own; by default the model's)."""
        if path == "/responses" and method == "POST":
            return self._create(body, repeat, refusal_trigger, variants or self._variants)
        if (match := _ONE.match(path)) and method in ("GET", "DELETE"):
            found = self._get(match[1])
            if found is None:
                return _missing(match[1])
            if method == "DELETE":
                with self._lock:
                    self._responses.pop(match[1], None)
                    self._inputs.pop(match[1], None)
                return Reply(200, {"id": match[1], "object": "response.deleted", "deleted": True})
            if query.get("stream") == "true":
                return Reply(200, events=_sse(found, int(query.get("starting_after", -1))))
            return Reply(200, found)
        if (match := _CANCEL.match(path)) and method == "POST":
            if self._get(match[1]) is None:
                return _missing(match[1])
            message = "Only responses created with background=true can be cancelled."
            return _error(400, message, "invalid_request_error")
        if (match := _INPUT_ITEMS.match(path)) and method == "GET":
            with self._lock:
                items = self._inputs.get(match[1])
            if items is None:
                return _missing(match[1])
            args = list_query({"order": "desc", **query})  # the API lists newest first
            ordered = list(items) if args["order"] == "asc" else list(reversed(items))
            return Reply(200, page(ordered, args["after"], args["limit"]))
        return None

    def _get(self, response_id: str) -> dict[str, Any] | None:
        with self._lock:
            return self._responses.get(response_id)

    def _create(
        self,
        body: dict[str, Any],
        repeat: str | None,
        refusal_trigger: str | None,
        variants: Variants,
    ) -> Reply:
        _validate(body)
        history = self._history(body.get("previous_response_id"))
        own = self._resolve(input_items(body.get("input")), history)
        chat = chat_body(body, [*history, *own])
        try:
            self._check_chat(chat)
        except InvalidParameterError as exc:
            reason = str(exc).removeprefix(f"{exc.param}: ")
            raise InvalidParameterError(responses_param(exc.param) or "input", reason) from None
        number = self._next_number()
        response_id = f"resp_local{number:08d}"
        created = int(time.time())
        result = answer(
            chat,
            id=response_id,
            created=created,
            refusal_trigger=refusal_trigger,
            variant=variants.next({**chat, "api": "responses"}, repeat) if sampled(chat) else 0,
        )
        users = [m for m in chat["messages"] if m.get("role") == "user"]
        response = response_object(
            body, result, user_text=message_text(users[-1]) if users else "", created=created
        )
        if response["store"]:
            stored = [_stored_item(item, response_id, i) for i, item in enumerate(own)]
            with self._lock:
                self._responses[response_id] = response
                self._inputs[response_id] = stored
        if body.get("stream") is True:
            return Reply(200, events=_sse(response))
        return Reply(200, response)

    def _resolve(
        self, items: list[dict[str, Any]], history: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """The input items with each ``item_reference`` replaced by the stored item it names;
        an item already in the history is a duplicate, as the API says."""
        before = {item.get("id") for item in history} - {None}
        resolved = []
        for i, item in enumerate(items):
            if item["type"] == "item_reference":
                found = self._item(str(item.get("id")))
                if found is None:
                    raise InvalidParameterError(
                        f"input[{i}].id", f"Item with id '{item.get('id')}' not found."
                    )
                item = found
            if item.get("id") in before:
                raise InvalidParameterError(
                    "input",
                    f"Duplicate item found with id {item['id']}. Remove duplicate items from"
                    " your input and try again.",
                )
            resolved.append(item)
        return resolved

    def _item(self, item_id: str) -> dict[str, Any] | None:
        """A stored input or output item, by its id."""
        with self._lock:
            outputs = [item for r in self._responses.values() for item in r["output"]]
            inputs = [item for items in self._inputs.values() for item in items]
        return next((item for item in [*outputs, *inputs] if item.get("id") == item_id), None)

    def _history(self, previous_id: object) -> list[dict[str, Any]]:
        """The input and output of the response a request continues (and of its own
        predecessors, which its input already carries)."""
        if previous_id is None:
            return []
        found = self._get(str(previous_id))
        if found is None:
            raise InvalidParameterError(
                "previous_response_id", f"Previous response with id '{previous_id}' not found."
            )
        with self._lock:
            inputs = self._inputs.get(str(previous_id), [])
        earlier = self._history(found.get("previous_response_id"))
        return [*earlier, *inputs, *found["output"]]


def _stored_item(item: Mapping[str, Any], response_id: str, i: int) -> dict[str, Any]:
    """An input item as ``input_items`` lists it: with an id, a status, and content parts."""
    stored = {**dict(item), "id": item.get("id") or f"msg_{response_id[5:]}_{i:04d}"}
    if stored["type"] == "message":
        content = stored.get("content")
        if isinstance(content, str):
            kind = "output_text" if stored.get("role") == "assistant" else "input_text"
            stored["content"] = [{"type": kind, "text": content}]
        stored.setdefault("status", "completed")
    elif stored["type"] in ("function_call", "function_call_output"):
        stored.setdefault("status", "completed")
    return stored


def _validate(body: Mapping[str, Any]) -> None:
    """The checks the real API makes before it answers (400s naming the parameter)."""
    if "model" not in body:
        raise InvalidParameterError("model", "Missing required parameter: 'model'.")
    if "input" not in body and body.get("previous_response_id") is None:
        raise InvalidParameterError("input", "Missing required parameter: 'input'.")
    validate_response_params(body)
    if body.get("background") is True:
        raise InvalidParameterError(
            "background", "the local model answers at once; it runs no background responses"
        )


def _sse(response: Mapping[str, Any], starting_after: int = -1) -> Iterator[bytes]:
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    for event in response_events(response):
        if event["sequence_number"] > starting_after:
            yield f"event: {event['type']}\ndata: ".encode() + dumps(event).encode() + b"\n\n"


def _missing(response_id: str) -> Reply:
    return _error(404, f"Response with id '{response_id}' not found.", "invalid_request_error")


def _error(status: int, message: str, kind: str) -> Reply:
    return Reply(status, {"error": {"message": message, "type": kind, "param": None, "code": None}})
