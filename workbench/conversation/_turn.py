"""The turn engine, with no I/O: a user turn as a state machine that says what to do next.

A turn asks the model, runs the tools it calls (after the user's approval where asked for), and
asks again, until a reply calls no tool, the turn is stopped or fails, or the rounds run out.
``Turn.next()`` returns the next step, ``CallModel`` or ``RunTools``, or the final reply; the
drivers (``_drive``: one sync, one async) do the I/O each step asks for and feed back what came
of it. The turn never reads a socket, sleeps, awaits or runs a tool itself, and it does not know
which wire protocol produced the events it is fed: a second protocol is a second event source
for the drivers, not a second engine.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic_core import to_jsonable_python

from .._exceptions import WorkbenchError
from ._history import TOOL_ROUND_LIMIT, Decision, History, Latency, Message
from ._reply import ReplyState, TurnStopped
from ._tool_results import tool_error_to_content
from ._turn_events import (
    HistoryChanged,
    ToolApprovalRequested,
    ToolCallFinished,
    ToolDecision,
    TurnEvent,
    TurnFailed,
)

if TYPE_CHECKING:
    from ._protocol_choice import Api
    from ._tools import Tool

__all__ = [
    "CallModel",
    "RunTools",
    "ToolOutcome",
    "ToolRoundLimitError",
    "Turn",
    "TurnHost",
    "TurnStopped",
]


class ToolRoundLimitError(WorkbenchError):
    """The model kept calling tools past ``max_tool_rounds``; the history is intact."""


class TurnHost(Protocol):
    """What a turn needs of its conversation."""

    history: History
    tools: dict[str, Tool]
    client: Any
    api: Api
    confirm_tools: bool | Callable[[str, dict[str, Any]], bool]
    max_tool_rounds: int

    def _emit(self, event: TurnEvent) -> None: ...
    def _request_messages(self) -> list[dict[str, Any]]: ...
    def _can_stream(self, request: dict[str, Any]) -> bool: ...
    def _api_for(self, request: dict[str, Any]) -> Literal["chat", "responses"]: ...
    @property
    def system(self) -> str | None: ...
    @property
    def _pending(self) -> dict[str, ToolApprovalRequested]: ...
    @property
    def _snapshot(self) -> dict[str, Any]: ...


@dataclass
class CallModel:
    """Ask the model: send ``messages`` with ``request`` (streamed or not) and feed ``reply``
    the events, then ``Turn.model_done`` or ``Turn.model_failed``. ``api`` is the protocol to
    ask through (``chat``: Chat Completions; ``responses``: the Responses API, its request
    built from the same history and parameters)."""

    reply: ReplyState
    messages: list[dict[str, Any]]
    request: dict[str, Any]
    stream: bool
    api: Literal["chat", "responses"] = "chat"


@dataclass
class RunTools:
    """Run the tool calls of ``message`` (one ``Turn.tool_step`` each), add each outcome with
    ``Turn.add_tool_result``, then ``Turn.tools_done``."""

    message: Message
    calls: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class ToolOutcome:
    """What came of one tool call: its result's content, or the error the model hears; how
    long the tool ran (0 when it did not); what was decided about it, when someone was asked
    (``confirm_tools``)."""

    content: Any
    error: str | None
    seconds: float
    decision: Decision | None = None


@dataclass(frozen=True)
class AwaitDecision:
    """A tool call waits for the user: ``request`` when an observer claimed it (a widget), else
    None (ask on the console)."""

    request: ToolApprovalRequested | None
    tool: Tool
    arguments: dict[str, Any]


@dataclass(frozen=True)
class RunTool:
    """Run ``tool`` with ``arguments`` (already checked and typed); ``decision`` is
    ``"approve"`` when someone was asked (``confirm_tools``)."""

    tool: Tool
    arguments: dict[str, Any]
    decision: Decision | None = None

    def outcome(self, content: Any, error: str | None, seconds: float) -> ToolOutcome:
        """What came of running it."""
        return ToolOutcome(content, error, seconds, self.decision)


class Turn:
    """One user turn of ``host`` (a ``Conversation``): ``request`` is the keyword arguments of a
    create call without the messages; ``stream`` asks for streamed replies where the server can
    stream them."""

    def __init__(self, host: TurnHost, request: dict[str, Any], stream: bool) -> None:
        self.host = host
        self.request = request
        self.stream = stream
        self.stopped = False
        self.rounds = 0
        self._step: CallModel | RunTools | Message | None = None

    def stop(self) -> None:
        """Stop at the next event: the reply so far is kept, marked incomplete."""
        self.stopped = True

    # -- the next step -----------------------------------------------------------------------

    def next(self) -> CallModel | RunTools | Message:
        """What to do now: ask the model, run tools, or (a ``Message``) the turn is over."""
        if self._step is None:
            self._step = self._call_model()
        return self._step

    def _call_model(self) -> CallModel:
        if self.rounds > self.host.max_tool_rounds:
            raise self._round_limit()
        self.rounds += 1
        host, request = self.host, self.request
        leaf = host.history.leaf()
        api = host._api_for(request)
        message = Message(
            role="assistant",
            parent_id=leaf.id if leaf else None,
            model=request.get("model"),
            params=host._snapshot,
            status="incomplete",
            api=api,
        )
        host.history.add(message)
        messages = host._request_messages()
        prompt = (messages, list(request.get("tools") or ()))
        audio = "audio" in (request.get("modalities") or ())
        reply = ReplyState(message, prompt, audio=audio, emit=host._emit)
        stream = self.stream and host._can_stream(request)
        return CallModel(reply, messages, request, stream, api)

    def _round_limit(self) -> ToolRoundLimitError:
        error = ToolRoundLimitError(
            f"the model was still calling tools after {self.host.max_tool_rounds} rounds; the"
            " history is intact: send again to continue, or raise max_tool_rounds"
        )
        # The mark goes on the reply whose calls ran last: views and tables show the ending.
        path = self.host.history.path_view()
        last = next((m for m in reversed(path) if m.role == "assistant"), None)
        if last is not None:
            last.turn_ended = TOOL_ROUND_LIMIT
            last.error = str(error)
        self.host._emit(TurnFailed(self.host.history.leaf(), error))
        return error

    # -- what came of the model call ---------------------------------------------------------

    def model_done(
        self, step: CallModel, completion: Any, response: dict[str, Any] | None = None
    ) -> None:
        """The reply arrived whole (as a chat completion; ``response``: what the server sent,
        when it was another protocol's): on to its tool calls, or the turn is over."""
        message = step.reply.finish(completion, self.host.history, response)
        if message.tool_calls and message.status == "complete":
            self._step = RunTools(message, list(message.tool_calls))
        else:
            self._step = message

    def model_failed(self, step: CallModel, exc: BaseException) -> None:
        """The call failed (or was stopped): the partial reply is kept and marked; a stop ends
        the turn with it, anything else is raised again."""
        message = step.reply.fail(exc)
        if isinstance(exc, TurnStopped):
            self._step = message
            return
        raise exc

    def tools_done(self) -> None:
        """Every tool call of the round has its result: ask the model again."""
        self.request = after_tool_round(self.request)
        self._step = None

    # -- one tool call ------------------------------------------------------------------------

    def tool_step(
        self, message: Message, call: dict[str, Any]
    ) -> ToolOutcome | AwaitDecision | RunTool:
        """The first step of a tool call: an outcome at once (an unknown tool, arguments that do
        not fit, a refusal by ``confirm_tools``), the user's decision to wait for, or the run."""
        tool, arguments, error = self._check(call)
        if error is not None or arguments is None or tool is None:
            return ToolOutcome(None, error, 0.0)
        if self.host.confirm_tools is False:
            return RunTool(tool, arguments)
        asked = self._ask(message.id, call, tool, arguments)
        if isinstance(asked, ToolDecision):
            return self.decided(message, call, asked, tool, arguments)
        return AwaitDecision(asked if asked.claimed else None, tool, arguments)

    def decided(
        self,
        message: Message,
        call: dict[str, Any],
        decision: ToolDecision,
        tool: Tool,
        parsed: dict[str, Any],
    ) -> ToolOutcome | RunTool:
        """The user's decision: run (with the arguments approved, checked and typed by the
        tool as the model's are; edited ones replace the model's in the history, so that it
        says what actually ran), or the answer or refusal the model hears instead."""

        self.host._pending.pop(str(call.get("id")), None)
        if decision.kind == "approve":
            if decision.arguments is None or decision.arguments is parsed:
                return RunTool(tool, parsed, "approve")
            try:
                edited = json.dumps(to_jsonable_python(decision.arguments, fallback=repr))
                arguments = tool.parse_arguments(edited)
            except Exception as exc:  # the user's arguments do not fit the tool: it does not run
                return ToolOutcome(None, tool_error_to_content(exc), 0.0, "approve")
            if arguments != parsed:
                self._record_edit(message, str(call.get("id")), edited)
            return RunTool(tool, arguments, "approve")
        if decision.kind == "answer":
            return ToolOutcome(decision.content or "", None, 0.0, "answer")
        reason = f": {decision.reason}" if decision.reason else ""
        refused = json.dumps({"error": f"the user declined to run {tool.name}{reason}"})
        return ToolOutcome(None, refused, 0.0, "deny")

    def add_tool_result(self, call: dict[str, Any], outcome: ToolOutcome) -> None:
        """Add the tool message answering ``call`` to the history and tell the observers."""
        function = call.get("function") or {}
        content, error, seconds = outcome.content, outcome.error, outcome.seconds
        message = Message(
            role="tool",
            tool_call_id=call["id"],
            name=function.get("name"),
            content=error if error is not None else content,
            error=error,
            latency=Latency(total=seconds),
            decision=outcome.decision,
        )
        self.host.history.append(message)
        name, arguments = str(function.get("name")), str(function.get("arguments"))
        self.host._emit(ToolCallFinished(call["id"], name, arguments, content, error, seconds))

    def _check(self, call: dict[str, Any]) -> tuple[Tool | None, dict[str, Any] | None, str | None]:
        """The tool and its parsed arguments, or the error the model should hear instead."""

        function = call.get("function") or {}
        name = str(function.get("name"))
        tools = self.host.tools
        tool = tools.get(name)
        if tool is None or not tool.enabled:
            known = ", ".join(n for n, t in tools.items() if t.enabled) or "none"
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
        self, message_id: str, call: dict[str, Any], tool: Tool, arguments: dict[str, Any]
    ) -> ToolDecision | ToolApprovalRequested:
        """The decision at once (a ``confirm_tools`` callable's answer), or the request the
        observers were told of (one of them may claim it, to decide)."""
        confirm = self.host.confirm_tools
        if callable(confirm):
            approved = bool(confirm(tool.name, arguments))
            return ToolDecision("approve", arguments) if approved else ToolDecision("deny")
        # What the user sees and may edit is the arguments as JSON data (a parameter typed with a
        # pydantic model holds an instance, which neither a widget nor the console can show).
        shown = to_jsonable_python(arguments, fallback=repr)
        request = ToolApprovalRequested(message_id, str(call.get("id")), tool.name, shown)
        pending = self.host._pending
        pending[request.call_id] = request
        self.host._emit(request)
        if not request.claimed:
            del pending[request.call_id]
        return request

    def _record_edit(self, message: Message, call_id: str, arguments: str) -> None:
        for held in message.tool_calls or ():
            if held.get("id") == call_id:
                held["function"] = {**(held.get("function") or {}), "arguments": arguments}
        self.host.history.touch(message.id)  # changed in place: the log and the caches follow
        self.host._emit(HistoryChanged())


def after_tool_round(request: dict[str, Any]) -> dict[str, Any]:
    """The request for the round after the tools ran: a ``tool_choice`` that forces a call
    (``"required"`` or a named function) applies to the first round only, else the model
    would have to call a tool forever; later rounds leave the choice to the model (``auto``)."""
    choice = request.get("tool_choice")
    if choice == "required" or isinstance(choice, dict):
        return {key: value for key, value in request.items() if key != "tool_choice"}
    return request
