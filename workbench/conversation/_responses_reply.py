"""A Responses API reply into the turn's ``ReplyState``, with no I/O: stream events in as the
chat events the reply state knows, the final Response out as the completion a chat turn makes.

A reply is the same ``Message`` whichever protocol carried it: the output text, a refusal,
the function calls (``call_id`` as the tool call's id), the reasoning summary (in
``Message.reasoning``), the usage (input/output tokens as prompt/completion tokens) and a
``finish_reason`` as Chat Completions names it: ``completed`` is ``stop`` (``tool_calls`` when
the reply calls a function), ``incomplete`` for ``max_output_tokens`` is ``length`` and for
``content_filter`` is ``content_filter``; a ``failed`` response raises ``ResponseFailedError``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from .._exceptions import WorkbenchError
from ..types import ChatCompletion
from ..types.response import (
    FunctionToolCallItem,
    OutputMessageItem,
    OutputRefusal,
    OutputText,
    ReasoningItem,
    Response,
)
from ._reply import ReplyState

__all__ = ["ResponseEvents", "ResponseFailedError", "reasoning_items", "to_completion"]

_INCOMPLETE = {"max_output_tokens": "length", "content_filter": "content_filter"}
"""Why a response is ``incomplete``, as a chat ``finish_reason``."""


class ResponseFailedError(WorkbenchError):
    """The server ended a Responses reply as ``failed``; ``code`` and ``message`` are its
    error's. The partial reply is kept, marked."""

    def __init__(self, code: str | None, message: str) -> None:
        super().__init__(f"the response failed ({code or 'no code'}): {message}")
        self.code = code
        self.message = message


@dataclass(slots=True)
class _TextDelta:
    type: str
    delta: str


@dataclass(slots=True)
class _ArgumentsDelta:
    index: int
    name: str | None
    arguments_delta: str
    type: ClassVar[Literal["tool_calls.function.arguments.delta"]] = (
        "tool_calls.function.arguments.delta"
    )


_TEXT = {
    "response.output_text.delta": "content.delta",
    "response.refusal.delta": "refusal.delta",
    "response.reasoning_summary_text.delta": "reasoning.delta",
}


class ResponseEvents:
    """Feeds ``reply`` the events of a Responses stream, as the chat events it takes: text,
    refusal and reasoning summary deltas, and function call arguments by call."""

    __slots__ = ("calls", "reply")

    def __init__(self, reply: ReplyState) -> None:
        self.reply = reply
        self.calls: dict[int, tuple[int, str | None]] = {}  # output index -> call index, name

    def on_event(self, event: Any) -> None:
        """One event of the stream (events the reply does not show are passed over)."""
        kind = event.type
        if kind in _TEXT:
            self.reply.on_event(_TextDelta(_TEXT[kind], event.delta))
        elif kind == "response.reasoning_summary_part.added" and event.summary_index > 0:
            self.reply.on_event(_TextDelta("reasoning.delta", "\n\n"))  # parts as paragraphs
        elif kind == "response.output_item.added" and event.item.type == "function_call":
            self.calls[event.output_index] = (len(self.calls), event.item.name)
        elif kind == "response.function_call_arguments.delta" and event.delta:
            at = self.calls.get(event.output_index)
            if at is None:  # no item.added before (a server that skips it)
                at = self.calls[event.output_index] = (len(self.calls), None)
            self.reply.on_event(_ArgumentsDelta(at[0], at[1], event.delta))


def to_completion(response: Response) -> ChatCompletion:
    """The chat completion a Responses reply amounts to (one choice), for the reply state, the
    structured-output parser and the tables.

    Raises:
        ResponseFailedError: the response's status is ``failed``.
    """
    if response.status == "failed":
        error = response.error
        raise ResponseFailedError(error.code if error else None, error.message if error else "")
    texts: list[str] = []
    refusals: list[str] = []
    summaries: list[str] = []
    calls: list[dict[str, Any]] = []
    for item in response.output:
        if isinstance(item, OutputMessageItem):
            for part in item.content:
                if isinstance(part, OutputText):
                    texts.append(part.text)
                elif isinstance(part, OutputRefusal):
                    refusals.append(part.refusal)
        elif isinstance(item, FunctionToolCallItem):
            function = {"name": item.name, "arguments": item.arguments}
            calls.append({"id": item.call_id, "type": "function", "function": function})
        elif isinstance(item, ReasoningItem):
            summaries.extend(part.text for part in item.summary)
    message: dict[str, Any] = {
        "role": "assistant",
        "content": "".join(texts) if texts or not (refusals or calls) else None,
        "refusal": "".join(refusals) or None,
        "tool_calls": calls or None,
    }
    if summaries:
        message["reasoning_content"] = "\n\n".join(summaries)
    return ChatCompletion.model_validate(
        {
            "id": response.id,
            "object": "chat.completion",
            "created": int(response.created_at),
            "model": response.model,
            "choices": [{"index": 0, "message": message, "finish_reason": _finish(response)}],
            "usage": _usage(response),
            "service_tier": response.service_tier,
        }
    )


def _finish(response: Response) -> str | None:
    if response.status == "incomplete":
        reason = response.incomplete_details.reason if response.incomplete_details else None
        return _INCOMPLETE.get(reason or "", "length")
    if response.status not in (None, "completed"):
        return None  # in progress, queued, cancelled: ended without saying why
    calls = any(isinstance(item, FunctionToolCallItem) for item in response.output)
    return "tool_calls" if calls else "stop"


def _usage(response: Response) -> dict[str, Any] | None:
    usage = response.usage
    if usage is None:
        return None
    out: dict[str, Any] = {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
    }
    if usage.input_tokens_details is not None:
        out["prompt_tokens_details"] = {"cached_tokens": usage.input_tokens_details.cached_tokens}
    if usage.output_tokens_details is not None:
        reasoning = usage.output_tokens_details.reasoning_tokens
        out["completion_tokens_details"] = {"reasoning_tokens": reasoning}
    return out


def reasoning_items(response: Response) -> list[dict[str, Any]] | None:
    """The reasoning items to carry back in the next request: those that came with their
    ``encrypted_content`` (asked for with ``include=["reasoning.encrypted_content"]``); None
    when there are none (without it, a stateless request cannot use them)."""
    kept = [
        item.model_dump(mode="json", exclude_none=True, exclude={"status"})
        for item in response.output
        if isinstance(item, ReasoningItem) and item.encrypted_content
    ]
    return kept or None
