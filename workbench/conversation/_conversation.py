"""``Conversation``: a history of messages, a turn engine with tools, branches, and events.

Nothing here imports a UI: widgets, magics and grids observe the events and call the methods.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic_core import to_jsonable_python

from .. import _views
from .._exceptions import WorkbenchError
from ._history import History, Latency, Message, PathWatch
from ._turn_events import (
    ContentDelta,
    ReasoningDelta,
    RefusalDelta,
    SettingsChanged,
    ToolApprovalRequested,
    ToolCallArgumentsDelta,
    ToolCallFinished,
    ToolCallStarted,
    ToolDecision,
    TurnEvent,
    TurnFailed,
    TurnFinished,
    TurnStarted,
    UsageReported,
)

if TYPE_CHECKING:
    import pandas as pd  # type: ignore[import-untyped]

    from ..export import Transcript
    from ._params import ChatParams

__all__ = ["Conversation", "ToolRoundLimitError", "TurnStopped", "conversations"]

log = logging.getLogger("workbench")
CHECKPOINT_SECONDS = 1.0
"""While a reply streams, its text so far is written to the log at most this often, so that a
kernel that dies mid-reply leaves the partial reply in the log (marked) rather than nothing."""

Observer = Callable[[TurnEvent], None]
Content = str | Sequence[str | Mapping[str, Any]] | Mapping[str, Any]
"""A user turn: text, or text and content parts (``workbench.image``, ``audio``, ``file``)."""
Approval = Callable[[str, dict[str, Any]], bool]
View = Callable[..., Any]


def set_view_factory(factory: View | None) -> None:
    """Register what ``Conversation.widget()`` builds (the package root registers the widgets'
    view; the conversation itself knows no UI)."""
    _views.register("conversation", factory)


_NO_FINISH_REASON = (
    "the server ended the reply without a finish_reason, so it may be cut short (a server can"
    " stop a reply when another request interrupts it)"
)


def _estimated_usage(prompt: tuple[list[dict[str, Any]], list[Any]], reply: Message) -> Any:
    """The usage of ``reply`` to ``prompt`` (messages, tools), estimated from the text."""
    from ..protocol._token_estimate import estimate_usage
    from ..types import CompletionUsage

    messages, tools = prompt
    fields = estimate_usage(messages, reply.text, tool_calls=reply.tool_calls or (), extra=tools)
    return CompletionUsage.model_validate(fields)


def _reported_cost(headers: Any) -> float | None:
    """The price a LiteLLM proxy reports for a request (``x-litellm-response-cost``, dollars);
    None without one. It sends 0.0 when it knows no price, so 0 is read as unknown too."""
    try:
        cost = float(headers.get("x-litellm-response-cost") or 0)
    except ValueError:
        return None
    return cost if 0 < cost < float("inf") else None


def _after_tool_round(request: dict[str, Any]) -> dict[str, Any]:
    """The request for the round after the tools ran: a ``tool_choice`` that forces a call
    (``"required"`` or a named function) applies to the first round only, else the model
    would have to call a tool forever; later rounds leave the choice to the model (``auto``)."""
    choice = request.get("tool_choice")
    if choice == "required" or isinstance(choice, dict):
        return {key: value for key, value in request.items() if key != "tool_choice"}
    return request


class ToolRoundLimitError(WorkbenchError):
    """The model kept calling tools past ``max_tool_rounds``; the history is intact."""


class TurnStopped(WorkbenchError):
    """The turn was stopped by ``stop()``; the partial reply is kept, marked incomplete."""


class _Reply:
    """What one model call has streamed so far."""

    __slots__ = (
        "audio",
        "calls",
        "checkpointed",
        "cost",
        "first_token",
        "message",
        "parts",
        "prompt",
        "reasoning",
        "refusal",
        "started",
    )

    def __init__(self, message: Message, *, audio: bool = False) -> None:
        self.message = message
        self.audio = audio  # a spoken reply: its transcript streams as the text
        self.parts: list[str] = []
        self.reasoning: list[str] = []
        self.refusal: list[str] = []
        self.calls: dict[int, list[str]] = {}
        self.started = time.perf_counter()
        self.checkpointed = self.started  # when the text so far was last written to the log
        self.first_token: float | None = None
        self.prompt: tuple[list[dict[str, Any]], list[Any]] = ([], [])  # messages, tools
        self.cost: float | None = None  # the price the server reported in its headers


class Conversation:
    """A chat kept across notebook cells: history, parameters, tools, branches, and events.

    Args:
        model: the model to talk to (default: the local model's, or ``gpt-4o-mini``).
        system: a system prompt, sent first in every request.
        client: a ``workbench.Client`` (default: ``Client()``, the local model when offline).
        tools: Python functions (or ``pydantic_function_tool`` / tool dicts) the model may call.
        max_tool_rounds: how many rounds of tool calls one turn may take (default 8).
        log: where every message and exchange is written as it completes (a SQLite file):
            by default ``WORKBENCH_LOG`` or the user's data directory; ``False`` turns it off.
        confirm_tools: ``True`` to ask before running a tool, or a callable
            ``(name, arguments) -> bool``; a refused call is never run.
        **params: request parameters (temperature, response_format, ...), validated at once.
    """

    def __init__(
        self,
        model: str | None = None,
        system: str | None = None,
        client: Any = None,
        tools: Iterable[Any] = (),
        *,
        max_tool_rounds: int = 8,
        confirm_tools: bool | Approval = False,
        log: str | Path | bool | None = None,
        **params: Any,
    ) -> None:
        from ._params import ChatParams
        from ._tools import as_tool

        if client is None:
            from ..client._client import Client

            client = Client()
        self.client = client
        if model is None:
            model = "workbench-local" if getattr(client, "local_model", None) else "gpt-4o-mini"
        self._observers: list[Observer] = []
        self._unwatch: Callable[[], None] | None = None
        self.params = ChatParams(model=model, **params)
        self._system = system
        self.tools = {tool.name: tool for tool in map(as_tool, tools)}
        self.max_tool_rounds = max_tool_rounds
        self.confirm_tools = confirm_tools
        self.history = History()
        self._pending: dict[str, ToolApprovalRequested] = {}
        self._stop = False
        self._async_client: Any = None
        self._async_for: Any = None
        self._snapshot: dict[str, Any] = {}
        self.id = f"conv_{uuid.uuid4().hex[:16]}"
        # The branch's sendable messages as the API takes them, kept up to date as it grows.
        self._watch: PathWatch | None = None
        self._sent: list[dict[str, Any]] = []
        self._sent_upto: list[int] = []  # per position of the path: how many are sendable
        self._log = _open_log(log, client)
        self._log_conversation()

    # -- settings ----------------------------------------------------------------------------

    @property
    def params(self) -> ChatParams:
        """The request parameters, validated on assignment; observers hear of every change."""
        return self._params

    @params.setter
    def params(self, value: ChatParams) -> None:
        from ._params import ChatParams

        if not isinstance(value, ChatParams):
            raise TypeError(f"params must be a ChatParams, not {type(value).__name__}")
        if self._unwatch is not None:
            self._unwatch()
        self._params = value
        self._unwatch = value.watch(lambda name: self._emit(SettingsChanged(name)))
        self._emit(SettingsChanged("params"))

    @property
    def system(self) -> str | None:
        """The system prompt, sent first in every request (``None``: none)."""
        return self._system

    @system.setter
    def system(self, value: str | None) -> None:
        if value is not None and not isinstance(value, str):
            raise TypeError(f"system must be a string or None, not {type(value).__name__}")
        self._system = value or None
        self._emit(SettingsChanged("system"))

    def enable_tool(self, name: str, enabled: bool = True) -> None:
        """Offer tool ``name`` to the model (or, with ``enabled=False``, stop offering it)."""
        if name not in self.tools:
            known = ", ".join(self.tools) or "none"
            raise KeyError(f"no tool {name!r}; registered: {known}")
        self.tools[name].enabled = bool(enabled)
        self._emit(SettingsChanged("tools"))

    # -- display -----------------------------------------------------------------------------

    def widget(self, **kwargs: Any) -> Any:
        """A live view of this conversation (``workbench.widgets.ConversationWidget``)."""
        factory = _views.lookup("conversation")
        if factory is None:
            raise WorkbenchError("no view is registered: import workbench.widgets")
        return factory(self, **kwargs)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """In Jupyter, ``chat`` as a cell's last line shows its widget (with a text transcript
        for front ends that cannot draw widgets)."""
        if _views.lookup("conversation") is None:
            return None
        return self.widget()._repr_mimebundle_(**kwargs)

    # -- reading ---------------------------------------------------------------------------

    @property
    def messages(self) -> list[Message]:
        """The current branch of the conversation."""
        return self.history.path()

    def __len__(self) -> int:
        return len(self.history.path_view())

    def __getitem__(self, index: int) -> Message:
        return self.history.path_view()[index]

    def __repr__(self) -> str:
        return f"Conversation(model={self.params.model!r}, messages={len(self)})"

    def to_messages(self) -> list[dict[str, Any]]:
        """What the model sees next: the system prompt and the sendable messages of the branch."""
        out: list[dict[str, Any]] = []
        if self.system:
            out.append({"role": "system", "content": self.system})
        out.extend(dict(m) for m in self._sendable())
        return out

    def _request_messages(self) -> list[dict[str, Any]]:
        """``to_messages()`` for a request: the dicts are shared with the cache, not copied."""
        sendable = self._sendable()
        if self.system:
            return [{"role": "system", "content": self.system}, *sendable]
        return list(sendable)

    def _sendable(self) -> list[dict[str, Any]]:
        """The sendable messages of the branch as the API takes them (read, do not change).

        Kept between turns: only the messages added or changed since the last call (the history
        says from which position, ``History.watch``) are converted again, so a turn's cost does
        not grow with the conversation.
        """
        history = self.history
        watch = self._watch
        if watch is None or watch.history is not history:
            watch = self._watch = history.watch()
            self._sent, self._sent_upto = [], []
        start = watch.take()
        upto, sent = self._sent_upto, self._sent
        del upto[start:]
        del sent[upto[-1] if upto else 0 :]
        for message in history.path_view()[start:]:
            if message.sendable:
                sent.append(message.to_param())
            upto.append(len(sent))
        return sent

    # -- observers and tools -----------------------------------------------------------------

    def subscribe(self, observer: Observer) -> Callable[[], None]:
        """Call ``observer(event)`` for every event; returns a function that unsubscribes."""
        self._observers.append(observer)
        return lambda: self._observers.remove(observer) if observer in self._observers else None

    def _emit(self, event: TurnEvent) -> None:
        for observer in self._observers:
            try:
                observer(event)
            except Exception:  # a broken view must not break the turn (Ctrl-C still does)
                log.exception("workbench: an observer of the conversation failed on %s", event.type)

    def tool(self, function: Any = None, **options: Any) -> Any:
        """Register a function as a tool; use bare (``@chat.tool``) or with options."""
        from ._tools import tool_from_function

        def register(fn: Any) -> Any:
            tool = tool_from_function(fn, **options)
            self.tools[tool.name] = tool
            return fn

        return register(function) if function is not None else register

    def stop(self) -> None:
        """Stop the running turn; its partial reply is kept, marked ``incomplete``. A tool call
        waiting for approval is denied."""
        self._stop = True
        for pending in list(self._pending.values()):
            pending.deny("the turn was stopped")

    @property
    def pending_approvals(self) -> list[ToolApprovalRequested]:
        """Tool calls waiting for the user's decision (with ``confirm_tools=True``)."""
        return list(self._pending.values())

    # -- sending ---------------------------------------------------------------------------

    def send(self, content: Content, *, stream: bool = True, **overrides: Any) -> Message:
        """Send a user turn and return the reply (after any tool rounds).

        ``content`` is a string, or a list of strings and content parts
        (``["What is in this picture?", workbench.image("cat.png")]``); the parts are checked
        (formats, the API's size limits) before anything is sent or added to the history.

        With an ``AsyncClient`` this runs ``asend`` to completion (in a worker thread when an
        event loop is already running, as in a notebook).

        ``overrides`` change parameters for this turn only; they are validated before sending.
        A ``tool_choice`` that forces a call (``"required"``, a named function) applies to the
        turn's first model call; after the tools ran, the model chooses (``auto``), or it could
        only ever call tools.

        A reply the server ends without a ``finish_reason`` is kept, marked ``incomplete`` with
        the reason in ``error`` (its tool calls, possibly cut, are not run).
        """
        from ..client._client import AsyncClient

        if isinstance(self.client, AsyncClient):
            from ._tools import run_sync

            return run_sync(lambda: self.asend(content, stream=stream, **overrides))
        content = _user_content(content)
        request = self._request(overrides)
        user = self.history.append(Message(role="user", content=content))
        self._log_sync()
        self._emit(TurnStarted(user))
        return self._turn(request, stream)

    async def asend(self, content: Content, *, stream: bool = True, **overrides: Any) -> Message:
        """The async twin of ``send`` (tool calls of one round run concurrently)."""
        if self._aclient() is None:  # a sync client with its own transport: send in a thread
            return await asyncio.to_thread(self.send, content, stream=stream, **overrides)
        content = _user_content(content)
        request = self._request(overrides)
        user = self.history.append(Message(role="user", content=content))
        self._log_sync()
        self._emit(TurnStarted(user))
        return await self._aturn(request, stream)

    def _request(self, overrides: dict[str, Any]) -> dict[str, Any]:
        """The request keywords for a turn: validated parameters, overrides and the tools."""
        request = self.params.to_request(**overrides)
        self._snapshot = self.params.merged(**overrides).snapshot()
        tools = [tool.to_param() for tool in self.tools.values() if tool.enabled]
        if tools and "tools" not in request:
            request["tools"] = tools
        return request

    def _turn(self, request: dict[str, Any], stream: bool) -> Message:
        self._stop = False
        for _ in range(self.max_tool_rounds + 1):
            reply = self._call_model(request, stream and self._can_stream(request))
            if not reply.tool_calls or reply.status != "complete":
                return reply
            for call in reply.tool_calls:
                self._add_tool_result(call, self._run_tool(reply.id, call))
            request = _after_tool_round(request)
        raise self._round_limit()

    async def _aturn(self, request: dict[str, Any], stream: bool) -> Message:
        self._stop = False
        for _ in range(self.max_tool_rounds + 1):
            reply = await self._acall_model(request, stream and self._can_stream(request))
            if not reply.tool_calls or reply.status != "complete":
                return reply
            results = await asyncio.gather(
                *(self._arun_tool(reply.id, c) for c in reply.tool_calls)
            )
            for call, result in zip(reply.tool_calls, results, strict=True):
                self._add_tool_result(call, result)
            request = _after_tool_round(request)
        raise self._round_limit()

    @staticmethod
    def _read_headers(reply: _Reply, headers: Any) -> None:
        """What a reply's response headers say: its request id, and a price the server
        reported (a LiteLLM proxy's)."""
        reply.message.request_id = headers.get("x-request-id")
        reply.cost = _reported_cost(headers)

    def _can_stream(self, request: dict[str, Any]) -> bool:
        """Whether the server can stream this call's reply (its profile: llama-cpp-python's
        server sends an empty body for a streamed reply that may call a tool); when it cannot,
        the reply is asked for whole, said once per client."""
        profile = getattr(self.client, "profile", None)
        if profile is None or profile.streams(request):
            return True
        self.client._note(
            "stream:tool_choice",
            f"{profile.server} cannot stream a reply that may call a tool: such replies are"
            " asked for whole (the text appears when it is complete).",
        )
        return False

    def _round_limit(self) -> ToolRoundLimitError:
        error = ToolRoundLimitError(
            f"the model was still calling tools after {self.max_tool_rounds} rounds; the history"
            " is intact: send again to continue, or raise max_tool_rounds"
        )
        self._emit(TurnFailed(self.history.leaf(), error))
        return error

    # -- one model call ----------------------------------------------------------------------

    def _new_reply(self, request: dict[str, Any]) -> _Reply:
        leaf = self.history.leaf()
        message = Message(
            role="assistant",
            parent_id=leaf.id if leaf else None,
            model=request.get("model"),
            params=self._snapshot,
            status="incomplete",
        )
        self.history.add(message)
        return _Reply(message, audio="audio" in (request.get("modalities") or ()))

    def _call_model(self, request: dict[str, Any], stream: bool) -> Message:
        reply = self._new_reply(request)
        completions = self.client.chat.completions
        try:
            messages = self._request_messages()
            reply.prompt = (messages, list(request.get("tools") or ()))
            if stream:
                with completions.stream(messages=messages, **_usage(request)) as s:
                    self._read_headers(reply, s.response.headers)
                    for event in s:
                        self._on_event(reply, event)
                        if self._stop:
                            raise TurnStopped("stopped")
                    s.until_done()
                    completion = _parsed(s.current_completion_snapshot, request)
            else:
                raw = getattr(completions, "with_raw_response", None)
                if raw is None:  # a client of one's own with create() only: no headers
                    completion = _parsed(completions.create(messages=messages, **request), request)
                else:
                    answer = raw.create(messages=messages, **request)
                    self._read_headers(reply, answer.headers)
                    completion = _parsed(answer.parse(), request)
        except BaseException as exc:
            return self._failed(reply, exc)
        return self._finished(reply, completion)

    async def _acall_model(self, request: dict[str, Any], stream: bool) -> Message:
        reply = self._new_reply(request)
        completions = self._aclient().chat.completions
        try:
            messages = self._request_messages()
            reply.prompt = (messages, list(request.get("tools") or ()))
            if stream:
                async with completions.stream(messages=messages, **_usage(request)) as s:
                    self._read_headers(reply, s.response.headers)
                    async for event in s:
                        self._on_event(reply, event)
                        if self._stop:
                            raise TurnStopped("stopped")
                    await s.until_done()
                    completion = _parsed(s.current_completion_snapshot, request)
            else:
                raw = getattr(completions, "with_raw_response", None)
                if raw is None:  # a client of one's own with create() only: no headers
                    created = await completions.create(messages=messages, **request)
                    completion = _parsed(created, request)
                else:
                    answer = await raw.create(messages=messages, **request)
                    self._read_headers(reply, answer.headers)
                    completion = _parsed(answer.parse(), request)
        except BaseException as exc:
            return self._failed(reply, exc)
        return self._finished(reply, completion)

    def _on_event(self, reply: _Reply, event: Any) -> None:
        kind = event.type
        if kind == "content.delta":
            # Skip the empty delta of the role chunk: it is not a token (nor worth an event).
            if event.choice_index == 0 and event.delta:
                if reply.first_token is None:
                    reply.first_token = time.perf_counter()
                reply.parts.append(event.delta)
                self._checkpoint(reply)
                if self._observers:
                    self._emit(ContentDelta(reply.message.id, event.delta))
        elif kind == "reasoning.delta":
            if event.choice_index == 0 and event.delta:
                if reply.first_token is None:  # reasoning tokens are tokens
                    reply.first_token = time.perf_counter()
                reply.reasoning.append(event.delta)
                self._checkpoint(reply)
                if self._observers:
                    self._emit(ReasoningDelta(reply.message.id, event.delta))
        elif reply.audio and kind == "chunk" and event.choice_index == 0:
            self._on_audio(reply, event.chunk.choices[0].delta.audio)
        elif kind == "refusal.delta":
            if event.choice_index == 0 and event.delta:
                reply.refusal.append(event.delta)
                self._checkpoint(reply)
                self._emit(RefusalDelta(reply.message.id, event.delta))
        elif kind == "tool_calls.function.arguments.delta" and event.choice_index == 0:
            if reply.first_token is None:
                reply.first_token = time.perf_counter()
            parts = reply.calls.get(event.index)
            if parts is None:
                parts = reply.calls[event.index] = []
                self._emit(ToolCallStarted(reply.message.id, event.index, "", event.name))
            parts.append(event.arguments_delta)
            self._emit(
                ToolCallArgumentsDelta(
                    reply.message.id, event.index, event.arguments_delta, "".join(parts)
                )
            )

    def _on_audio(self, reply: _Reply, audio: Any) -> None:
        """A spoken reply's transcript streams as its text (the audio data comes whole)."""
        if audio is not None and audio.transcript:
            if reply.first_token is None:
                reply.first_token = time.perf_counter()
            reply.parts.append(audio.transcript)
            self._checkpoint(reply)
            self._emit(ContentDelta(reply.message.id, audio.transcript))

    def _checkpoint(self, reply: _Reply) -> None:
        """Write the reply's text so far to the log, at most every ``CHECKPOINT_SECONDS``.

        A copy is written, marked incomplete with a note: the message itself changes only when
        the reply ends (and is written again then), so views and caches see no extra change.
        """
        if self._log is None:
            return
        now = time.perf_counter()
        if now - reply.checkpointed < CHECKPOINT_SECONDS:
            return
        reply.checkpointed = now
        partial = reply.message.model_copy(
            update={
                "content": "".join(reply.parts) or None,
                "refusal": "".join(reply.refusal) or None,
                "reasoning": "".join(reply.reasoning) or None,
                "status": "incomplete",
                "error": "still streaming when last written to the log",
            }
        )
        # With the branch choice, so that the log reads back with the reply on its branch.
        choice = {partial.parent_id: partial.id}
        self._log_call(lambda db: db.save_changes(self.id, [partial], choice))

    def _finished(self, reply: _Reply, completion: Any) -> Message:
        message = reply.message
        now = time.perf_counter()
        first = completion.choices[0] if completion.choices else None
        if first is not None:
            self._fill(message, first)
            for other in completion.choices[1:]:  # n > 1: the other choices become siblings
                sibling = Message(
                    role="assistant",
                    parent_id=message.parent_id,
                    model=message.model,
                    params=message.params,
                )
                self._fill(sibling, other)
                if other.finish_reason is None:
                    sibling.status, sibling.error = "incomplete", _NO_FINISH_REASON
                self.history.add(sibling, select=False)
        if completion.usage is not None:
            message.usage, message.usage_source = completion.usage, "server"
            if reply.cost is not None and "cost" not in (completion.usage.model_extra or {}):
                # kept as OpenRouter reports it, where the price table reads a reported cost
                message.usage = completion.usage.model_copy(update={"cost": reply.cost})
        else:  # the server sent none (llama-cpp-python's, when streaming): estimate, marked
            message.usage, message.usage_source = (
                _estimated_usage(reply.prompt, message),
                "estimate",
            )
        message.model = completion.model or message.model
        message.latency = Latency(
            first_token=(reply.first_token - reply.started) if reply.first_token else None,
            total=now - reply.started,
        )
        if first is not None and first.finish_reason is None:
            # The server ended the reply without saying why (llama-cpp-python's server does when
            # another request interrupts one in flight): keep it, marked, never as complete.
            message.status = "incomplete"
            message.error = _NO_FINISH_REASON
        else:
            message.status = "complete"
        self._log_exchange(message, completion.model_dump(mode="json"), message.status)
        if completion.usage is not None:
            self._emit(UsageReported(message.id, completion.usage))
        if not message.tool_calls:
            self._emit(TurnFinished(message))
        return message

    @staticmethod
    def _fill(message: Message, choice: Any) -> None:
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

    def _failed(self, reply: _Reply, exc: BaseException) -> Message:
        """Keep what arrived; mark it; tell observers; re-raise unless it was ``stop()``."""
        message = reply.message
        # A reply that arrived whole but failed to parse (cut off by the token limit, invalid
        # structured output) comes with the exception: keep its text and usage, streamed or not.
        received: Any = getattr(exc, "completion", None)
        if received is not None:
            message.usage = received.usage
            message.usage_source = "server" if received.usage is not None else None
            if received.choices and not reply.parts:
                reply.parts.append(received.choices[0].message.content or "")
            if received.choices and not reply.reasoning:
                reply.reasoning.append(received.choices[0].message.reasoning or "")
        message.content = "".join(reply.parts) or None
        message.refusal = "".join(reply.refusal) or None
        message.reasoning = "".join(reply.reasoning) or None
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
        message.latency = Latency(total=time.perf_counter() - reply.started)
        self._log_exchange(
            message, {"error": message.error, "partial": message.text}, message.status
        )
        self._emit(TurnFailed(message, exc))
        if isinstance(exc, TurnStopped):
            self._stop = False
            return message
        raise exc

    # -- tools -------------------------------------------------------------------------------

    def _check_tool(self, call: dict[str, Any]) -> tuple[Any, dict[str, Any] | None, str | None]:
        """The tool and its parsed arguments, or the error the model should hear instead."""
        from ._tool_results import tool_error_to_content

        function = call.get("function") or {}
        name = str(function.get("name"))
        tool = self.tools.get(name)
        if tool is None or not tool.enabled:
            known = ", ".join(n for n, t in self.tools.items() if t.enabled) or "none"
            return None, None, json.dumps({"error": f"unknown tool {name!r}; available: {known}"})
        if tool.function is None:
            return (
                tool,
                None,
                json.dumps({"error": f"tool {name!r} is declared but cannot run here"}),
            )
        try:
            arguments = tool.parse_arguments(str(function.get("arguments") or "{}"))
        except Exception as exc:
            return tool, None, tool_error_to_content(exc)
        return tool, arguments, None

    def _ask(
        self, message_id: str, call: dict[str, Any], tool: Any, arguments: dict[str, Any]
    ) -> ToolDecision | ToolApprovalRequested:
        """The decision at once (no confirmation asked, or a callable's answer), or the request
        an observer claimed, to wait on."""
        if self.confirm_tools is False:
            return ToolDecision("approve", arguments)
        if callable(self.confirm_tools):
            approved = bool(self.confirm_tools(tool.name, arguments))
            return ToolDecision("approve", arguments) if approved else ToolDecision("deny")
        # What the user sees and may edit is the arguments as JSON data (a parameter typed with a
        # pydantic model holds an instance, which neither a widget nor the console can show).
        shown = to_jsonable_python(arguments, fallback=repr)
        request = ToolApprovalRequested(message_id, str(call.get("id")), tool.name, shown)
        self._pending[request.call_id] = request
        self._emit(request)
        if not request.claimed:
            del self._pending[request.call_id]
        return request

    def _console_decision(self, tool: Any, arguments: dict[str, Any]) -> ToolDecision:
        shown = json.dumps(to_jsonable_python(arguments, fallback=repr))
        answer = input(f"Run tool {tool.name}({shown})? [y/N] ")
        approved = answer.strip().lower() in ("y", "yes")
        return ToolDecision("approve", arguments) if approved else ToolDecision("deny")

    def _decided(
        self,
        message_id: str,
        call: dict[str, Any],
        decision: ToolDecision,
        tool: Any,
        parsed: dict[str, Any],
    ) -> tuple[dict[str, Any] | None, str | None, str | None]:
        """The arguments to run with; or the user's answer for the tool; or the refusal.

        Arguments approved from a widget or the console (edited or not) are JSON data: they are
        checked and converted by the tool as the model's are, and refused if they do not fit.
        Arguments the user edited replace the model's in the reply's tool call, so the history
        says what actually ran.
        """
        from ._tool_results import tool_error_to_content

        self._pending.pop(str(call.get("id")), None)
        if decision.kind == "approve":
            if decision.arguments is None or decision.arguments is parsed:
                return parsed, None, None
            try:
                edited = json.dumps(to_jsonable_python(decision.arguments, fallback=repr))
                arguments = tool.parse_arguments(edited)
            except Exception as exc:  # the user's arguments do not fit the tool: it does not run
                return None, None, tool_error_to_content(exc)
            if arguments != parsed:
                self._record_edit(message_id, str(call.get("id")), edited)
            return arguments, None, None
        if decision.kind == "answer":
            return None, decision.content or "", None
        reason = f": {decision.reason}" if decision.reason else ""
        return None, None, json.dumps({"error": f"the user declined to run {tool.name}{reason}"})

    def _run_tool(self, message_id: str, call: dict[str, Any]) -> tuple[Any, str | None, float]:
        from ._tool_results import tool_error_to_content, tool_result_to_content

        started = time.perf_counter()
        tool, arguments, error = self._check_tool(call)
        if error is not None or arguments is None:
            return None, error, time.perf_counter() - started
        asked = self._ask(message_id, call, tool, arguments)
        if isinstance(asked, ToolDecision):
            decision = asked
        elif asked.claimed:
            decision = asked.decision.result()
        else:
            decision = self._console_decision(tool, arguments)
        run_with, answer, refused = self._decided(message_id, call, decision, tool, arguments)
        if run_with is None:
            return answer, refused, time.perf_counter() - started
        try:
            result = tool.call(run_with)
        except Exception as exc:
            return None, tool_error_to_content(exc), time.perf_counter() - started
        return tool_result_to_content(result), None, time.perf_counter() - started

    def _record_edit(self, message_id: str, call_id: str, arguments: str) -> None:
        message = self.history.messages.get(message_id)
        for held in (message.tool_calls or ()) if message is not None else ():
            if held.get("id") == call_id:
                held["function"] = {**(held.get("function") or {}), "arguments": arguments}
        self.history.touch(message_id)  # changed in place: the log and the caches follow
        self._log_sync()

    async def _arun_tool(
        self, message_id: str, call: dict[str, Any]
    ) -> tuple[Any, str | None, float]:
        from ._tool_results import tool_error_to_content, tool_result_to_content

        started = time.perf_counter()
        tool, arguments, error = self._check_tool(call)
        if error is not None or arguments is None:
            return None, error, time.perf_counter() - started
        asked = self._ask(message_id, call, tool, arguments)
        if isinstance(asked, ToolDecision):
            decision = asked
        elif asked.claimed:
            decision = await asyncio.wrap_future(asked.decision)
        else:
            decision = await asyncio.to_thread(self._console_decision, tool, arguments)
        run_with, answer, refused = self._decided(message_id, call, decision, tool, arguments)
        if run_with is None:
            return answer, refused, time.perf_counter() - started
        try:
            result = await tool.acall(run_with)
        except Exception as exc:
            return None, tool_error_to_content(exc), time.perf_counter() - started
        return tool_result_to_content(result), None, time.perf_counter() - started

    def _add_tool_result(
        self, call: dict[str, Any], outcome: tuple[Any, str | None, float]
    ) -> None:
        content, error, seconds = outcome
        function = call.get("function") or {}
        message = Message(
            role="tool",
            tool_call_id=call["id"],
            name=function.get("name"),
            content=error if error is not None else content,
            error=error,
            latency=Latency(total=seconds),
        )
        self.history.append(message)
        self._log_sync()
        self._emit(
            ToolCallFinished(
                call["id"],
                str(function.get("name")),
                str(function.get("arguments")),
                content,
                error,
                seconds,
            )
        )

    def _aclient(self) -> Any:
        """The async client for ``asend``: the client itself when it is async; for a sync
        ``Client``, an ``AsyncClient`` with the same settings (made once per client); None when
        the sync client sends through an ``http_client`` of its own, which has no async twin."""
        from ..client._client import AsyncClient, Client

        client = self.client
        if not isinstance(client, Client):
            return client
        if self._async_client is None or self._async_for is not client:
            if not client._owns_client and client.local_model is None:
                return None
            self._async_client = AsyncClient(**client._copy_kwargs())
            self._async_for = client
        return self._async_client

    def close(self) -> None:
        """Close the log and the async twin of the client (the client itself stays open)."""
        twin, self._async_client = self._async_client, None
        if twin is not None:
            from ._tools import run_sync

            run_sync(twin.close)
        if self._log is not None:
            self._log.close()

    async def aclose(self) -> None:
        """Close the log and the async twin of the client, from async code."""
        twin, self._async_client = self._async_client, None
        if twin is not None:
            await twin.close()
        if self._log is not None:
            self._log.close()

    # -- branches ----------------------------------------------------------------------------

    def _at(self, index: int) -> Message:
        path = self.history.path_view()
        try:
            return path[index]
        except IndexError:
            raise IndexError(f"no message {index}: the conversation has {len(path)}") from None

    def edit(
        self,
        index: int,
        content: Content,
        *,
        send: bool = True,
        **overrides: Any,
    ) -> Message:
        """Replace user message ``index`` with ``content`` (the old one stays as a branch) and,
        by default, ask for a new reply."""
        content = _user_content(content)
        old = self._at(index)
        if old.role != "user":
            raise WorkbenchError(
                f"message {index} is a {old.role} message; only user messages can be edited"
            )
        request = self._request(overrides)
        new = self.history.add(Message(role="user", content=content, parent_id=old.parent_id))
        if not send:
            self._log_sync()
            return new
        self._emit(TurnStarted(new))
        return self._turn(request, stream=True)

    def regenerate(self, *, stream: bool = True, **overrides: Any) -> Message:
        """Ask again from the last user message; the previous reply stays as a branch."""
        request = self._request(overrides)
        path = self.history.path_view()
        last = _last_user(path)
        if last is None:
            raise WorkbenchError("there is no user message to regenerate from")
        user = path[last]
        self.history.cut_after(user.id)
        self._emit(TurnStarted(user))
        return self._turn(request, stream)

    def branches(self, index: int) -> list[Message]:
        """The versions of message ``index`` (siblings, oldest first), the current one included."""
        return self.history.siblings(self._at(index))

    def switch(self, index: int, branch: int) -> None:
        """Make version ``branch`` of message ``index`` current (as in "< 2/3 >")."""
        versions = self.branches(index)
        if not -len(versions) <= branch < len(versions):
            raise IndexError(f"message {index} has {len(versions)} versions, not {branch + 1}")
        self.history.select(versions[branch].id)
        self._log_sync()

    def undo(self) -> list[Message]:
        """Drop the last turn (the last user message and its replies) from the branch; it is
        kept as a branch and returned."""
        path = self.history.path()
        start = _last_user(path)
        if start is None:
            return []
        self.history.cut_after(path[start].parent_id)
        self._log_sync()
        return path[start:]

    def fork(self, at: int | None = None) -> Conversation:
        """A new conversation sharing this one's branch up to message ``at`` (default: all)."""
        twin = Conversation.__new__(Conversation)
        twin.__dict__.update(self.__dict__)
        twin._observers = []
        twin._unwatch = None
        twin._pending = {}
        twin.params = self.params.merged()
        twin.tools = dict(self.tools)
        twin.history = self.history.copy_path(len(self) if at is None else at + 1)
        twin._stop = False
        twin.id = f"conv_{uuid.uuid4().hex[:16]}"
        twin._watch = None
        twin._log_conversation()
        twin._log_sync()
        return twin

    def keep(self, index: int) -> None:
        """Send an incomplete message to the model again from now on."""
        self._at(index).kept = True
        self._log_sync()

    # -- the log -----------------------------------------------------------------------------

    def _log_call(self, action: Callable[[Any], None]) -> None:
        """Write to the log; a failing log is reported once and never breaks the conversation."""
        if self._log is None:
            return
        try:
            action(self._log)
        except Exception as exc:
            log.warning("workbench: the conversation log failed and is now off: %s", exc)
            self._log = None

    def _log_conversation(self) -> None:
        meta = {
            "params": self.params.snapshot(),
            "tools": sorted(self.tools),
            "max_tool_rounds": self.max_tool_rounds,
            "base_url": _public_url(self.client),  # to price the replies read from the log
        }
        self._log_call(
            lambda db: db.save_conversation(
                self.id, model=self.params.model, system=self.system, meta=meta
            )
        )

    def _log_sync(self) -> None:
        """Write the messages added or changed since the last write, and the branch choices
        made (the history keeps track: ``History.take_changes``), in one transaction."""
        if self._log is None:
            return
        messages, choices = self.history.take_changes()
        if messages or choices:
            self._log_call(lambda db: db.save_changes(self.id, messages, choices))

    def _log_exchange(self, message: Message, response: dict[str, Any], status: str) -> None:
        """Record one request and its response.

        The request's messages are the branch before ``message``, already in the messages
        table: the row keeps the new ones (from the turn's user message on; all of them, the
        system prompt first, while the conversation is one turn long) and the number left
        out, ``earlier_messages``. So a long conversation does not write its history again
        with every request.
        """
        if self._log is None:
            return
        sendable = self._sendable()
        at = self.history.position(message.id)
        count = len(sendable) if at is None else (self._sent_upto[at - 1] if at else 0)
        start = count
        while start > 0:
            start -= 1
            if sendable[start].get("role") == "user":
                break
        messages = sendable[start:count]
        earlier = start
        if self.system:
            if start == 0:
                messages = [{"role": "system", "content": self.system}, *messages]
            else:
                earlier += 1
        request = {"messages": messages, "earlier_messages": earlier, "params": message.params}
        self._log_call(
            lambda db: db.record_exchange(self.id, message.id, request, response, status)
        )
        self._log_sync()

    @classmethod
    def load(
        cls, conversation_id: str, *, client: Any = None, log: str | Path | None = None
    ) -> Conversation:
        """Bring a conversation back from the log, branches included (e.g. after a restart).

        Tools are not stored: register them again with ``tools=`` or ``@chat.tool``.
        """
        from ._log import ConversationLog, default_log_path

        with ConversationLog(log or default_log_path()) as db:
            saved = db.load(conversation_id)
        params = dict(saved.meta.get("params") or {})
        params.pop("model", None)
        chat = cls(
            model=saved.model,
            system=saved.system,
            client=client,
            log=False,
            max_tool_rounds=int(saved.meta.get("max_tool_rounds", 8)),
            **params,
        )
        chat._log = _open_log(log if log is not None else True, chat.client)
        chat.id = conversation_id
        chat.history = saved.history()
        chat.history.take_changes()  # all of it is in the log already
        return chat

    # -- export ------------------------------------------------------------------------------

    def to_dataframe(self, *, branches: bool = False) -> pd.DataFrame:
        """The messages as a DataFrame, one row each: the current branch, or every branch with
        ``branches=True`` (the columns are described at ``workbench.to_dataframe``)."""
        from ..export import to_dataframe

        return to_dataframe(self, branches=branches)

    def usage_dataframe(self, *, branches: bool = True) -> pd.DataFrame:
        """One row per request (each reply, regenerated ones included unless ``branches=False``):
        model, tokens, cost, latency, request id and status (``workbench.usage_dataframe``)."""
        from ..export import usage_dataframe

        return usage_dataframe(self, branches=branches)

    def to_jsonl(
        self,
        path: str | Path,
        *,
        append: bool = False,
        media: Literal["embed", "reference", "drop"] = "reference",
    ) -> None:
        """Write the conversation as one line of OpenAI's chat fine-tuning JSONL.

        The line holds ``messages`` (the system prompt and the current branch as the model
        would see it: tool calls and tool results in the API's shape, incomplete replies left
        out), ``tools`` (the enabled tools' declarations) and ``parallel_tool_calls`` when it
        is set. No API key is written.

        Args:
            path: the file, replaced whole (written to a temporary file, then moved) by one
                only its owner may read (0600), as the log is.
            append: add the line to the end of the file instead (it keeps its mode), to
                gather several conversations into one training file.
            media: what becomes of inline images, recordings and PDFs: ``"reference"`` writes
                each once to ``<stem>.media/<sha256>.<ext>`` beside the file and refers to it
                (``from_jsonl`` puts the very data back; keep the folder with the file);
                ``"embed"`` keeps them inline, base64, as sent (a file the API takes as it
                is); ``"drop"`` puts a text part describing each in its place.
        """
        from ..export import write_jsonl

        write_jsonl(path, [self], append=append, media=media)

    def to_parquet(
        self, path: str | Path, *, media: Literal["embed", "reference", "drop"] = "embed"
    ) -> None:
        """Write every message (all branches) and the conversation's settings to a Parquet
        file, replaced whole by one only its owner may read (0600); ``Conversation.from_parquet``
        reads it back. Needs pyarrow.

        Args:
            media: ``"embed"`` keeps the bytes of each image, recording or PDF once in the
                file (however many messages carry it); ``"reference"`` and ``"drop"`` as for
                ``to_jsonl``.
        """
        from ..export import write_parquet

        write_parquet(path, self, media=media)

    @classmethod
    def from_dataframe(
        cls,
        df: pd.DataFrame,
        *,
        conversation_id: str | None = None,
        client: Any = None,
        tools: Iterable[Any] = (),
        log: str | Path | bool | None = None,
    ) -> Conversation:
        """A live conversation from a table written by ``to_dataframe`` (or by hand).

        A table of ``to_dataframe(branches=True)`` comes back whole: ids, the tree of branches
        and the current one, each message's parameters, usage, latency and status. Only
        ``role`` and ``content`` are required; without ``parent_id`` the rows are one branch
        in order. The conversation's parameters are those of its last reply. Inline images
        and audio, which tables never hold, stay references.

        Args:
            df: the table; one conversation, or pick one with ``conversation_id``.
            client: the client to continue with (default: ``Client()``).
            tools: tools to register (their functions run; declarations alone are not kept
                in a table).
            log: as for ``Conversation()``; the conversation keeps its id in the log.

        Raises:
            TranscriptError: a ``ValueError`` naming the row and column at fault; nothing is
                imported.
        """
        from ..export import read_frame

        transcript = read_frame(df, conversation_id=conversation_id)
        return cls._from_transcript(transcript, client=client, tools=tools, log=log)

    @classmethod
    def from_jsonl(
        cls,
        path: str | Path,
        *,
        model: str | None = None,
        client: Any = None,
        tools: Iterable[Any] = (),
        log: str | Path | bool | None = None,
    ) -> list[Conversation]:
        """One conversation per line of a chat fine-tuning JSONL file (``to_jsonl``'s format).

        A leading system message becomes the system prompt; declared ``tools`` are kept as
        declarations (pass ``tools=`` to give them functions); ``weight`` is read and dropped.
        Media references (``to_jsonl(media="reference")``) are read from ``<stem>.media/``.

        Raises:
            TranscriptError: a ``ValueError`` naming the line and field at fault (for media,
                the hash and the missing or altered file); nothing is imported.
        """
        from ..export import read_jsonl

        transcripts = read_jsonl(path)
        if client is None and transcripts:
            from ..client._client import Client

            client = Client()
        tools = list(tools)
        return [
            cls._from_transcript(t, client=client, tools=tools, log=log, model=model)
            for t in transcripts
        ]

    @classmethod
    def from_parquet(
        cls,
        path: str | Path,
        *,
        conversation_id: str | None = None,
        client: Any = None,
        tools: Iterable[Any] = (),
        log: str | Path | bool | None = None,
    ) -> Conversation:
        """The conversation ``to_parquet`` wrote, settings and tool declarations included (any
        Parquet file of a ``to_dataframe`` table is read as by ``from_dataframe``)."""
        from ..export import read_parquet

        transcript = read_parquet(path, conversation_id=conversation_id)
        return cls._from_transcript(transcript, client=client, tools=tools, log=log)

    @classmethod
    def from_stored(
        cls,
        client: Any,
        completion_id: str,
        *,
        tools: Iterable[Any] = (),
        log: str | Path | bool | None = None,
    ) -> Conversation:
        """Reopen a stored completion (one made with ``store=True``) as a live conversation:
        its request messages (``messages.list``) and its reply, with the model, usage and the
        parameters the server reports; ``client`` continues it."""
        from ..export import read_stored

        transcript = read_stored(client, completion_id)
        return cls._from_transcript(transcript, client=client, tools=tools, log=log)

    @classmethod
    def _from_transcript(
        cls,
        transcript: Transcript,
        *,
        client: Any,
        tools: Iterable[Any],
        log: str | Path | bool | None,
        model: str | None = None,
    ) -> Conversation:
        """A conversation holding an imported transcript, logged whole once it is built."""
        from ._tools import as_tool

        given = {tool.name: tool for tool in map(as_tool, tools)}
        declared = [t for t in transcript.tools if t["function"]["name"] not in given]
        params = dict(transcript.params)
        saved_model = params.pop("model", None)
        chat = cls(
            model=model or saved_model,
            system=transcript.system,
            client=client,
            tools=[*declared, *given.values()],
            log=False,
            max_tool_rounds=transcript.max_tool_rounds or 8,
            **params,
        )
        for name in transcript.disabled_tools:
            if name in chat.tools:
                chat.tools[name].enabled = False
        chat.history = transcript.history
        if transcript.id:
            chat.id = transcript.id
        chat._log = _open_log(log, chat.client)
        chat._log_conversation()
        chat._log_sync()
        if chat._log is not None:
            chat._log.close()  # reopened on the next write: many imports hold no connections
        return chat


def _last_user(path: Any) -> int | None:
    """The position of the last user message of ``path`` (None: there is none)."""
    for i in range(len(path) - 1, -1, -1):
        if path[i].role == "user":
            return i
    return None


def _public_url(client: Any) -> str | None:
    """The client's base URL without credentials or query (what the log may keep)."""
    url = getattr(client, "base_url", None)
    if url is None:
        return None
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(str(url))
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host  # an IPv6 address
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _user_content(content: Content) -> str | list[dict[str, Any]]:
    """A user turn's content as the API takes it, checked before it is sent or kept."""
    from ..media import user_content
    from ..protocol._validate import check_content

    normalized = user_content(content)
    check_content("user", normalized)
    return normalized


def _parsed(completion: Any, request: dict[str, Any]) -> Any:
    """The completion with its content parsed into the ``response_format``.

    Tool arguments are left to the tools (``Tool.parse_arguments``), so that bad arguments
    become an error message for the model instead of failing the turn.
    """
    from ..protocol._parsing import parse_chat_completion

    return parse_chat_completion(
        completion=completion, response_format=request.get("response_format"), input_tools=None
    )


def _usage(request: dict[str, Any]) -> dict[str, Any]:
    """Ask a stream for its usage too (the log and the grid count every token)."""
    if "stream_options" in request:
        return request
    return {**request, "stream_options": {"include_usage": True}}


def _open_log(log: str | Path | bool | None, client: Any) -> Any:
    """The conversation log to write to, or None when it is off."""
    if log is False:
        return None
    from ._log import ConversationLog, default_log_path

    db = ConversationLog(default_log_path() if log in (None, True) else Path(str(log)))
    db.add_secret(getattr(client, "api_key", None))
    return db


def conversations(log: str | Path | None = None) -> list[Any]:
    """The conversations in the log, most recently updated first (``Conversation.load(id)``)."""
    from ._log import ConversationLog, default_log_path

    with ConversationLog(log or default_log_path()) as db:
        return db.conversations()
