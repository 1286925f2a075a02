"""What a conversation tells its observers while a turn runs: small typed events."""

from __future__ import annotations

import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Union

if TYPE_CHECKING:
    from ..types import CompletionUsage
    from ._history import Message

__all__ = [
    "ContentDelta",
    "HistoryChanged",
    "ModelCallFinished",
    "ReasoningDelta",
    "RefusalDelta",
    "SettingsChanged",
    "ToolApprovalRequested",
    "ToolCallArgumentsDelta",
    "ToolCallFinished",
    "ToolCallStarted",
    "ToolDecision",
    "TurnEvent",
    "TurnFailed",
    "TurnFinished",
    "TurnStarted",
    "UsageReported",
]


@dataclass(slots=True)
class TurnStarted:
    """A turn began with this user message (or, for a regeneration, from it)."""

    message: Message
    type: ClassVar[Literal["turn.started"]] = "turn.started"


@dataclass(slots=True)
class ContentDelta:
    """Text arrived for the reply ``message_id``."""

    message_id: str
    delta: str
    type: ClassVar[Literal["content.delta"]] = "content.delta"


@dataclass(slots=True)
class ReasoningDelta:
    """Reasoning text arrived for the reply ``message_id`` (a reasoning model thinking before it
    answers; see ``Message.reasoning``)."""

    message_id: str
    delta: str
    type: ClassVar[Literal["reasoning.delta"]] = "reasoning.delta"


@dataclass(slots=True)
class RefusalDelta:
    """Refusal text arrived for the reply ``message_id``."""

    message_id: str
    delta: str
    type: ClassVar[Literal["refusal.delta"]] = "refusal.delta"


@dataclass(slots=True)
class ToolCallStarted:
    """The model began a tool call."""

    message_id: str
    index: int
    call_id: str
    name: str
    type: ClassVar[Literal["tool_call.started"]] = "tool_call.started"


@dataclass(slots=True)
class ToolCallArgumentsDelta:
    """More of a tool call's arguments arrived; ``arguments`` is all of them so far."""

    message_id: str
    index: int
    delta: str
    arguments: str
    type: ClassVar[Literal["tool_call.arguments.delta"]] = "tool_call.arguments.delta"


@dataclass(slots=True)
class ToolCallFinished:
    """A tool ran (or was refused or failed): its result or error, and how long it took."""

    call_id: str
    name: str
    arguments: str
    result: Any
    error: str | None
    seconds: float
    type: ClassVar[Literal["tool_call.finished"]] = "tool_call.finished"


@dataclass(frozen=True, slots=True)
class ToolDecision:
    """What the user decided about a tool call.

    ``kind`` is ``"approve"`` (run it with ``arguments``), ``"deny"`` (the model hears that the
    user declined, with ``reason``) or ``"answer"`` (the model hears ``content`` as the tool's
    result; the tool does not run).
    """

    kind: Literal["approve", "deny", "answer"]
    arguments: dict[str, Any] | None = None
    reason: str | None = None
    content: str | None = None


@dataclass(slots=True)
class ToolApprovalRequested:
    """A tool call waits for the user (``confirm_tools=True``); nothing runs until decided.

    An observer that will decide (a widget with Approve and Deny buttons) calls ``claim()``
    while handling the event, then, from any thread, ``approve()``, ``deny()`` or
    ``answer()``. When no observer claims it, the conversation asks on the console.
    """

    message_id: str
    call_id: str
    name: str
    arguments: dict[str, Any]
    type: ClassVar[Literal["tool_call.approval"]] = "tool_call.approval"
    decision: Future[ToolDecision] = field(default_factory=Future, repr=False)
    _claimed: threading.Event = field(default_factory=threading.Event, repr=False)

    def claim(self) -> None:
        """Promise a decision (the conversation then waits for it instead of asking)."""
        self._claimed.set()

    @property
    def claimed(self) -> bool:
        return self._claimed.is_set()

    def approve(self, arguments: dict[str, Any] | None = None) -> None:
        """Run the tool, with ``arguments`` instead of the model's when given."""
        self._decide(ToolDecision("approve", self.arguments if arguments is None else arguments))

    def deny(self, reason: str | None = None) -> None:
        """Do not run the tool; the model is told the user declined."""
        self._decide(ToolDecision("deny", reason=reason))

    def answer(self, content: str) -> None:
        """Do not run the tool; the model gets ``content`` as its result."""
        self._decide(ToolDecision("answer", content=content))

    def _decide(self, decision: ToolDecision) -> None:
        if not self.decision.done():
            self.decision.set_result(decision)


@dataclass(slots=True)
class SettingsChanged:
    """A parameter, the system prompt or the tool set of the conversation changed."""

    name: str
    type: ClassVar[Literal["settings.changed"]] = "settings.changed"


@dataclass(slots=True)
class UsageReported:
    """The server reported the tokens of a reply."""

    message_id: str
    usage: CompletionUsage
    type: ClassVar[Literal["usage"]] = "usage"


@dataclass(slots=True)
class ModelCallFinished:
    """One call to the model ended (whole, cut short or failed): ``message`` is the reply as
    kept, ``prompt`` the messages sent, ``response`` the completion as JSON (or the error and
    the partial text), ``status`` the reply's. What the log records as an exchange."""

    message: Message
    prompt: list[dict[str, Any]]
    response: dict[str, Any]
    status: str
    type: ClassVar[Literal["model_call.finished"]] = "model_call.finished"


@dataclass(slots=True)
class HistoryChanged:
    """The history changed outside a turn (a branch switched, a turn undone, a message kept or
    edited, a tool call's arguments edited by the user): views and the log catch up."""

    type: ClassVar[Literal["history.changed"]] = "history.changed"


@dataclass(slots=True)
class TurnFinished:
    """The turn ended with this reply."""

    message: Message
    type: ClassVar[Literal["turn.finished"]] = "turn.finished"


@dataclass(slots=True)
class TurnFailed:
    """The turn failed or was stopped; ``message`` is the partial reply kept (if any)."""

    message: Message | None
    error: BaseException
    type: ClassVar[Literal["turn.failed"]] = "turn.failed"


TurnEvent = Union[
    TurnStarted,
    ModelCallFinished,
    HistoryChanged,
    ReasoningDelta,
    ContentDelta,
    RefusalDelta,
    ToolCallStarted,
    ToolCallArgumentsDelta,
    ToolCallFinished,
    ToolApprovalRequested,
    UsageReported,
    TurnFinished,
    TurnFailed,
    SettingsChanged,
]
