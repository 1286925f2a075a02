"""The typed events of a streamed chat completion, each cheap to make and lazy in what it shows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Literal, TypeAlias, Union

from ..types import ChatCompletion, ChatCompletionChunk, ChatCompletionTokenLogprob

__all__ = [
    "ChatCompletionStreamEvent",
    "ChunkEvent",
    "ContentDeltaEvent",
    "ContentDoneEvent",
    "FunctionToolCallArgumentsDeltaEvent",
    "FunctionToolCallArgumentsDoneEvent",
    "LogprobsContentDeltaEvent",
    "LogprobsContentDoneEvent",
    "LogprobsRefusalDeltaEvent",
    "LogprobsRefusalDoneEvent",
    "ReasoningDeltaEvent",
    "ReasoningDoneEvent",
    "RefusalDeltaEvent",
    "RefusalDoneEvent",
]

_Tokens: TypeAlias = "list[ChatCompletionTokenLogprob]"
_UNREAD: Any = object()  # a lazy value not computed yet (``None`` is a valid parse result)


class _Text:
    """Text arriving in parts: appends are O(1), joins lazy, the longest join cached."""

    __slots__ = ("_joined", "_n", "parts")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self._joined = ""
        self._n = 0

    def upto(self, n: int) -> str:
        """The text of the first ``n`` parts."""
        if n < self._n:
            return "".join(self.parts[:n])
        if n > self._n:
            self._joined += "".join(self.parts[self._n : n])
            self._n = n
        return self._joined

    def value(self) -> str | None:
        """The whole text, or ``None`` if no part (not even an empty one) ever arrived."""
        return self.upto(len(self.parts)) if self.parts else None


# -- events ------------------------------------------------------------------------------------


class _Event:
    __slots__ = ()
    _lazy: ClassVar[tuple[str, ...]] = ()  # properties computed on read, shown by repr

    def __repr__(self) -> str:
        names = [f.name for f in fields(self) if not f.name.startswith("_")]  # type: ignore[arg-type]
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in [*names, *self._lazy])
        return f"{type(self).__name__}({shown})"


@dataclass(slots=True, repr=False)
class ChunkEvent(_Event):
    """A chunk arrived; always the first event ``add()`` returns.

    ``snapshot`` (the completion so far) is built on first read: read it before the next chunk is
    added, as a stream consumer does. ``choice_index`` is set when the chunk has one choice.
    """

    chunk: ChatCompletionChunk
    choice_index: int | None
    _get: Callable[[], ChatCompletion]
    _snapshot: ChatCompletion | None = None
    type: ClassVar[Literal["chunk"]] = "chunk"

    @property
    def snapshot(self) -> ChatCompletion:
        """The accumulated completion."""
        if self._snapshot is None:
            self._snapshot = self._get()
        return self._snapshot


@dataclass(slots=True, repr=False)
class _TextDelta(_Event):
    choice_index: int
    delta: str
    _text: _Text
    _n: int
    _lazy: ClassVar[tuple[str, ...]] = ("snapshot",)

    @property
    def snapshot(self) -> str:
        """The whole text as it was at this event."""
        return self._text.upto(self._n)


@dataclass(slots=True, repr=False)
class ContentDeltaEvent(_TextDelta):
    """A piece of a choice's content; ``snapshot`` and ``parsed`` are computed on read."""

    _parse: Callable[[str], object | None] | None
    _parsed: object | None = _UNREAD
    type: ClassVar[Literal["content.delta"]] = "content.delta"
    _lazy = ("snapshot", "parsed")

    @property
    def parsed(self) -> object | None:
        """The content so far as partial JSON; ``None`` without a ``response_format``."""
        if self._parsed is _UNREAD:
            self._parsed = None if self._parse is None else self._parse(self.snapshot)
        return self._parsed


@dataclass(slots=True)
class ContentDoneEvent(_Event):
    """A choice's content is complete (at its finish, or when its first tool call starts).

    ``parsed`` is ``None`` when the content does not parse; ``parsed_completion()`` says why.
    """

    choice_index: int
    content: str
    parsed: object | None = None
    type: ClassVar[Literal["content.done"]] = "content.done"


@dataclass(slots=True, repr=False)
class ReasoningDeltaEvent(_TextDelta):
    """A piece of a choice's reasoning text (a workbench event: the openai package has none).

    Servers of reasoning models send it beside the content, as ``reasoning_content`` or
    ``reasoning``; ``field`` says which. ``snapshot`` (all of it so far) is computed on read.
    """

    field: str = "reasoning_content"
    type: ClassVar[Literal["reasoning.delta"]] = "reasoning.delta"


@dataclass(slots=True)
class ReasoningDoneEvent(_Event):
    """A choice's reasoning is complete: the answer (content, refusal or a tool call) began, or
    the choice finished. Sent once, and only when some reasoning text came."""

    choice_index: int
    reasoning: str
    field: str = "reasoning_content"
    type: ClassVar[Literal["reasoning.done"]] = "reasoning.done"


@dataclass(slots=True, repr=False)
class RefusalDeltaEvent(_TextDelta):
    """A piece of a choice's refusal; ``snapshot`` is computed on read."""

    type: ClassVar[Literal["refusal.delta"]] = "refusal.delta"


@dataclass(slots=True)
class RefusalDoneEvent(_Event):
    """A choice's refusal is complete."""

    choice_index: int
    refusal: str
    type: ClassVar[Literal["refusal.done"]] = "refusal.done"


@dataclass(slots=True, repr=False)
class FunctionToolCallArgumentsDeltaEvent(_Event):
    """A piece of a function tool call's arguments (``index`` is the tool call's index)."""

    choice_index: int
    name: str
    index: int
    arguments_delta: str
    _text: _Text
    _n: int
    _parse: Callable[[str, str], object | None] | None
    _parsed: object | None = _UNREAD
    type: ClassVar[Literal["tool_calls.function.arguments.delta"]] = (
        "tool_calls.function.arguments.delta"
    )
    _lazy = ("arguments", "parsed_arguments")

    @property
    def arguments(self) -> str:
        """The arguments (JSON text) as they were at this event."""
        return self._text.upto(self._n)

    @property
    def parsed_arguments(self) -> object | None:
        """The arguments so far as partial JSON, for strict tools; computed on read."""
        if self._parsed is _UNREAD:
            self._parsed = None if self._parse is None else self._parse(self.name, self.arguments)
        return self._parsed


@dataclass(slots=True)
class FunctionToolCallArgumentsDoneEvent(_Event):
    """A function tool call is complete (when the next one starts, or at the choice's finish).

    ``parsed_arguments`` is ``None`` when they do not parse; ``parsed_completion()`` says why.
    """

    choice_index: int
    name: str
    index: int
    arguments: str
    parsed_arguments: object | None = None
    type: ClassVar[Literal["tool_calls.function.arguments.done"]] = (
        "tool_calls.function.arguments.done"
    )


@dataclass(slots=True, repr=False)
class _TokensDelta(_Event):
    choice_index: int
    _all: _Tokens = field(compare=False)
    _n: int

    @property
    def snapshot(self) -> _Tokens:
        """Every token so far, as at this event."""
        return self._all[: self._n]


@dataclass(slots=True, repr=False)
class LogprobsContentDeltaEvent(_TokensDelta):
    """Content token log probabilities: ``content`` this chunk's, ``snapshot`` all so far."""

    content: _Tokens
    type: ClassVar[Literal["logprobs.content.delta"]] = "logprobs.content.delta"


@dataclass(slots=True)
class LogprobsContentDoneEvent(_Event):
    """Every content token's log probability, once the choice's text is complete."""

    choice_index: int
    content: _Tokens
    type: ClassVar[Literal["logprobs.content.done"]] = "logprobs.content.done"


@dataclass(slots=True, repr=False)
class LogprobsRefusalDeltaEvent(_TokensDelta):
    """Refusal token log probabilities: ``refusal`` this chunk's, ``snapshot`` all so far."""

    refusal: _Tokens
    type: ClassVar[Literal["logprobs.refusal.delta"]] = "logprobs.refusal.delta"


@dataclass(slots=True)
class LogprobsRefusalDoneEvent(_Event):
    """Every refusal token's log probability, once the choice's text is complete."""

    choice_index: int
    refusal: _Tokens
    type: ClassVar[Literal["logprobs.refusal.done"]] = "logprobs.refusal.done"


ChatCompletionStreamEvent: TypeAlias = Union[
    ChunkEvent,
    ReasoningDeltaEvent,
    ReasoningDoneEvent,
    ContentDeltaEvent,
    ContentDoneEvent,
    RefusalDeltaEvent,
    RefusalDoneEvent,
    FunctionToolCallArgumentsDeltaEvent,
    FunctionToolCallArgumentsDoneEvent,
    LogprobsContentDeltaEvent,
    LogprobsContentDoneEvent,
    LogprobsRefusalDeltaEvent,
    LogprobsRefusalDoneEvent,
]
