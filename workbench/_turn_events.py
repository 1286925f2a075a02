"""What a conversation tells its observers while a turn runs: small typed events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Union

if TYPE_CHECKING:
    from ._messages import Message
    from .types import CompletionUsage

__all__ = [
    "ContentDelta",
    "RefusalDelta",
    "ToolCallArgumentsDelta",
    "ToolCallFinished",
    "ToolCallStarted",
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


@dataclass(slots=True)
class UsageReported:
    """The server reported the tokens of a reply."""

    message_id: str
    usage: CompletionUsage
    type: ClassVar[Literal["usage"]] = "usage"


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
    ContentDelta,
    RefusalDelta,
    ToolCallStarted,
    ToolCallArgumentsDelta,
    ToolCallFinished,
    UsageReported,
    TurnFinished,
    TurnFailed,
]
