"""One model call of a turn, with no I/O: the reply message it fills, fed stream events, then
the whole completion or the error that ended it.

``ReplyState`` holds what has arrived so far (text, reasoning, refusal, tool-call arguments,
timings); ``on_event`` takes a stream event, ``finish`` the completion and ``fail`` an error.
Each tells the conversation's observers what changed through ``emit`` and writes nothing
itself: the drivers (``_drive``) do the I/O, and the log is one of the observers.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import Any

from .._exceptions import WorkbenchError
from ..protocol._token_estimate import estimate_usage
from ..types import CompletionUsage
from ._history import History, Latency, Message
from ._turn_events import (
    ContentDelta,
    ModelCallFinished,
    ReasoningDelta,
    RefusalDelta,
    ToolCallArgumentsDelta,
    ToolCallStarted,
    TurnEvent,
    TurnFailed,
    TurnFinished,
    UsageReported,
)

__all__ = ["NO_FINISH_REASON", "ReplyState", "TurnStopped"]

Emit = Callable[[TurnEvent], None]

NO_FINISH_REASON = (
    "the server ended the reply without a finish_reason, so it may be cut short (a server can"
    " stop a reply when another request interrupts it)"
)


class TurnStopped(WorkbenchError):
    """The turn was stopped by ``stop()``; the partial reply is kept, marked incomplete."""


class ReplyState:
    """What one model call has brought so far, and the reply message it fills.

    Args:
        message: the assistant message, already in the history, marked incomplete.
        prompt: the messages sent and the tools offered (for a usage estimate and the log).
        audio: a spoken reply: its transcript streams as the text.
        emit: how observers hear of each change.
    """

    __slots__ = (
        "audio",
        "calls",
        "cost",
        "emit",
        "first_token",
        "message",
        "parts",
        "prompt",
        "reasoning",
        "refusal",
        "started",
    )

    def __init__(
        self,
        message: Message,
        prompt: tuple[list[dict[str, Any]], list[Any]],
        *,
        audio: bool,
        emit: Emit,
    ) -> None:
        self.message = message
        self.prompt = prompt
        self.audio = audio
        self.emit = emit
        self.parts: list[str] = []
        self.reasoning: list[str] = []
        self.refusal: list[str] = []
        self.calls: dict[int, list[str]] = {}
        self.started = time.perf_counter()
        self.first_token: float | None = None
        self.cost: float | None = None  # the price the server reported in its headers

    # -- what arrives -------------------------------------------------------------------------

    def headers(self, headers: Mapping[str, str]) -> None:
        """What the response's headers say: its request id, and a price the server reported
        (a LiteLLM proxy's)."""
        self.message.request_id = headers.get("x-request-id")
        self.cost = _reported_cost(headers)

    def on_event(self, event: Any) -> None:
        """One event of the stream (``content.delta``, ``tool_calls.function.arguments.delta``,
        ...); only the first choice streams into the message."""
        kind = event.type
        if kind == "chunk" and not self.audio:  # half the events: what they brought follows
            return
        # openai's events do not say their choice: taken as the first's (n=1 is the rule)
        first = getattr(event, "choice_index", 0) == 0
        if kind in _TEXT and first and event.delta:
            buffer, made = _TEXT[kind]
            if kind != "refusal.delta":
                self._first_token()
            getattr(self, buffer).append(event.delta)
            self.emit(made(self.message.id, event.delta))
        elif self.audio and kind == "chunk" and first:
            audio = event.chunk.choices[0].delta.audio
            if audio is not None and audio.transcript:  # the audio data comes whole, later
                self._first_token()
                self.parts.append(audio.transcript)
                self.emit(ContentDelta(self.message.id, audio.transcript))
        elif (
            kind == "tool_calls.function.arguments.delta" and getattr(event, "choice_index", 0) == 0
        ):
            self._first_token()
            parts = self.calls.get(event.index)
            if parts is None:
                parts = self.calls[event.index] = []
                self.emit(ToolCallStarted(self.message.id, event.index, "", event.name))
            parts.append(event.arguments_delta)
            joined = "".join(parts)
            self.emit(
                ToolCallArgumentsDelta(self.message.id, event.index, event.arguments_delta, joined)
            )

    def _first_token(self) -> None:
        if self.first_token is None:
            self.first_token = time.perf_counter()

    # -- how it ends --------------------------------------------------------------------------

    def finish(
        self, completion: Any, history: History, response: dict[str, Any] | None = None
    ) -> Message:
        """The reply whole: fill the message (and a sibling per further choice), its usage
        (estimated where the server sent none), timing and status; tell the observers."""
        message = self.message
        now = time.perf_counter()
        first = completion.choices[0] if completion.choices else None
        if first is not None:
            fill(message, first)
            for other in completion.choices[1:]:  # n > 1: the other choices become siblings
                sibling = Message(
                    role="assistant",
                    parent_id=message.parent_id,
                    model=message.model,
                    params=message.params,
                )
                fill(sibling, other)
                if other.finish_reason is None:
                    sibling.status, sibling.error = "incomplete", NO_FINISH_REASON
                history.add(sibling, select=False)
        self._usage(completion)
        message.model = completion.model or message.model
        message.latency = Latency(
            first_token=(self.first_token - self.started) if self.first_token else None,
            total=now - self.started,
        )
        if first is not None and first.finish_reason is None:
            # The server ended the reply without saying why (llama-cpp-python's server does when
            # another request interrupts one in flight): keep it, marked, never as complete.
            message.status, message.error = "incomplete", NO_FINISH_REASON
        else:
            message.status = "complete"
        if response is None:
            response = completion.model_dump(mode="json")
        self.emit(ModelCallFinished(message, self.prompt[0], response, message.status))
        if completion.usage is not None:
            self.emit(UsageReported(message.id, completion.usage))
        if not message.tool_calls:
            self.emit(TurnFinished(message))
        return message

    def _usage(self, completion: Any) -> None:
        message = self.message
        if completion.usage is not None:
            message.usage, message.usage_source = completion.usage, "server"
            if self.cost is not None and "cost" not in (completion.usage.model_extra or {}):
                # kept as OpenRouter reports it, where the price table reads a reported cost
                message.usage = completion.usage.model_copy(update={"cost": self.cost})
        else:  # the server sent none (llama-cpp-python's, when streaming): estimate, marked
            message.usage, message.usage_source = self._estimated_usage(), "estimate"

    def _estimated_usage(self) -> Any:

        messages, tools = self.prompt
        reply = self.message
        calls = reply.tool_calls or ()
        fields = estimate_usage(messages, reply.text, tool_calls=calls, extra=tools)
        return CompletionUsage.model_validate(fields)

    def fail(self, exc: BaseException) -> Message:
        """Keep what arrived, mark it (``incomplete`` with any text, or after a stop or an
        interrupt; ``error`` otherwise) and tell the observers. The caller re-raises."""
        message = self.message
        # A reply that arrived whole but failed to parse (cut off by the token limit, invalid
        # structured output) comes with the exception: keep its text and usage, streamed or not.
        received: Any = getattr(exc, "completion", None)
        if received is not None:
            message.usage = received.usage
            message.usage_source = "server" if received.usage is not None else None
            if received.choices and not self.parts:
                self.parts.append(received.choices[0].message.content or "")
            if received.choices and not self.reasoning:
                self.reasoning.append(received.choices[0].message.reasoning or "")
        message.content = "".join(self.parts) or None
        message.refusal = "".join(self.refusal) or None
        message.reasoning = "".join(self.reasoning) or None
        has_text = bool(message.content or message.refusal or message.reasoning)
        stopped = isinstance(exc, TurnStopped)
        # A kernel interrupt (KeyboardInterrupt) or a cancelled task ends the turn like stop():
        # the partial reply stays, marked incomplete; the exception still propagates.
        interrupted = isinstance(exc, (KeyboardInterrupt, asyncio.CancelledError))
        message.status = "incomplete" if has_text or stopped or interrupted else "error"
        if stopped:
            message.error = "stopped by the user"
        elif interrupted:
            message.error = "interrupted"
        else:
            message.error = str(exc) or type(exc).__name__
        message.latency = Latency(total=time.perf_counter() - self.started)
        partial = {"error": message.error, "partial": message.text}
        self.emit(ModelCallFinished(message, self.prompt[0], partial, message.status))
        self.emit(TurnFailed(message, exc))
        return message


_TEXT: dict[str, tuple[str, Callable[[str, str], TurnEvent]]] = {
    "content.delta": ("parts", ContentDelta),
    "reasoning.delta": ("reasoning", ReasoningDelta),  # reasoning tokens are tokens
    "refusal.delta": ("refusal", RefusalDelta),
}
"""Stream events whose text the reply keeps: the buffer it grows, the turn event it makes."""


def fill(message: Message, choice: Any) -> None:
    """Put one choice of a completion into ``message``."""
    data = choice.message
    message.content = data.content
    message.refusal = data.refusal
    message.reasoning = data.reasoning or None
    message.finish_reason = choice.finish_reason
    message.parsed = getattr(data, "parsed", None)
    if data.tool_calls:
        message.tool_calls = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.function.name, "arguments": call.function.arguments},
            }
            for call in data.tool_calls
            if getattr(call, "function", None) is not None
        ]
    if data.audio is not None:
        message.audio = data.audio.model_dump()


def _reported_cost(headers: Mapping[str, str]) -> float | None:
    """The price a LiteLLM proxy reports for a request (``x-litellm-response-cost``, dollars);
    None without one. It sends 0.0 when it knows no price, so 0 is read as unknown too."""
    try:
        cost = float(headers.get("x-litellm-response-cost") or 0)
    except ValueError:
        return None
    return cost if 0 < cost < float("inf") else None
