"""Pure stream accumulator: chat completion chunks in, a completion snapshot and typed events out."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, Literal, Protocol, Union, cast

import pydantic
from typing_extensions import TypeAlias

from ._sentinels import NotGiven
from .types import (
    ChatCompletion,
    ChatCompletionAudio,
    ChatCompletionChunk,
    ChatCompletionMessage,
    ChatCompletionMessageFunctionToolCall,
    ChatCompletionTokenLogprob,
    ChatCompletionToolUnionParam,
    Choice,
    ChoiceDeltaAudio,
    ChoiceDeltaToolCall,
    ChoiceLogprobs,
    Function,
    FunctionCall,
    ParsedChatCompletion,
)
from .types.chat_completion_chunk import ChoiceLogprobs as ChunkLogprobs

__all__ = [
    "ChatCompletionAccumulator",
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
    "ParseHooks",
    "RefusalDeltaEvent",
    "RefusalDoneEvent",
    "accumulate",
]

Logprobs: TypeAlias = "list[ChatCompletionTokenLogprob]"
_UNREAD: Any = object()  # a lazy field not computed yet (None is a valid parse result)
_NO_PARSE = ("length", "content_filter")  # cut-off or withheld output is never parsed


class ParseHooks(Protocol):
    """The parsing functions the accumulator calls; the ``workbench._parsing`` module is one."""

    def parse_chat_completion(
        self, *, completion: ChatCompletion, response_format: Any, input_tools: Any
    ) -> ParsedChatCompletion[Any]: ...

    def parse_partial_content(self, text: str, response_format: Any) -> object | None: ...

    def parse_tool_arguments(
        self, *, name: str, arguments: str, input_tools: Any, partial: bool
    ) -> object | None: ...


class _Text:
    """Text that arrives in parts: appending is O(1); joins are lazy and the latest is cached."""

    __slots__ = ("_joined", "_n", "parts")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self._joined = ""
        self._n = 0

    def upto(self, n: int) -> str:
        """The text made of the first ``n`` parts."""
        if n == self._n:
            return self._joined
        if n > self._n:
            self._joined += "".join(self.parts[self._n : n])
            self._n = n
            return self._joined
        return "".join(self.parts[:n])

    def value(self) -> str:
        return self.upto(len(self.parts))


# -- events ------------------------------------------------------------------------------------


class _Event:
    __slots__ = ("choice_index",)
    _fields: ClassVar[tuple[str, ...]] = ()

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({shown})"


class ChunkEvent(_Event):
    """A chunk arrived; always the first event of ``add()``.

    ``snapshot`` is the completion so far, built on first read: read it before the next chunk is
    added (as a stream consumer does) to see the completion as of this chunk. ``choice_index`` is
    the index of the chunk's choice when it carries exactly one, else ``None``.
    """

    __slots__ = ("_get", "_snapshot", "chunk")
    type: ClassVar[Literal["chunk"]] = "chunk"
    _fields = ("choice_index", "chunk")
    choice_index: int | None

    def __init__(self, chunk: ChatCompletionChunk, get: Callable[[], ChatCompletion]) -> None:
        choices = chunk.choices
        self.choice_index = choices[0].index if len(choices) == 1 else None
        self.chunk = chunk
        self._get = get
        self._snapshot: ChatCompletion | None = None

    @property
    def snapshot(self) -> ChatCompletion:
        """The accumulated completion (built once, on first read)."""
        if self._snapshot is None:
            self._snapshot = self._get()
        return self._snapshot


class _TextDelta(_Event):
    __slots__ = ("_n", "_snapshot", "_text", "delta")
    choice_index: int

    def __init__(self, choice_index: int, delta: str, text: _Text, n: int) -> None:
        self.choice_index = choice_index
        self.delta = delta
        self._text = text
        self._n = n
        self._snapshot: str | None = None

    @property
    def snapshot(self) -> str:
        """The whole text as it was when this event was made."""
        if self._snapshot is None:
            self._snapshot = self._text.upto(self._n)
        return self._snapshot


class ContentDeltaEvent(_TextDelta):
    """A piece of a choice's content arrived; ``parsed`` is partial JSON, parsed on first read."""

    __slots__ = ("_parse", "_parsed")
    type: ClassVar[Literal["content.delta"]] = "content.delta"
    _fields = ("choice_index", "delta", "snapshot", "parsed")

    def __init__(
        self,
        choice_index: int,
        delta: str,
        text: _Text,
        n: int,
        parse: Callable[[str], object | None] | None,
    ) -> None:
        super().__init__(choice_index, delta, text, n)
        self._parse = parse
        self._parsed: object | None = _UNREAD

    @property
    def parsed(self) -> object | None:
        """The content so far parsed as partial JSON; ``None`` without a ``response_format``."""
        if self._parsed is _UNREAD:
            self._parsed = None if self._parse is None else self._parse(self.snapshot)
        return self._parsed


class ContentDoneEvent(_Event):
    """A choice's content is complete (at its finish, or when its first tool call starts)."""

    __slots__ = ("content", "parsed")
    type: ClassVar[Literal["content.done"]] = "content.done"
    _fields = ("choice_index", "content", "parsed")
    choice_index: int

    def __init__(self, choice_index: int, content: str, parsed: object | None) -> None:
        self.choice_index = choice_index
        self.content = content
        self.parsed = parsed


class RefusalDeltaEvent(_TextDelta):
    """A piece of a choice's refusal arrived."""

    __slots__ = ()
    type: ClassVar[Literal["refusal.delta"]] = "refusal.delta"
    _fields = ("choice_index", "delta", "snapshot")


class RefusalDoneEvent(_Event):
    """A choice's refusal is complete."""

    __slots__ = ("refusal",)
    type: ClassVar[Literal["refusal.done"]] = "refusal.done"
    _fields = ("choice_index", "refusal")
    choice_index: int

    def __init__(self, choice_index: int, refusal: str) -> None:
        self.choice_index = choice_index
        self.refusal = refusal


class FunctionToolCallArgumentsDeltaEvent(_Event):
    """A piece of a function tool call's arguments arrived (``index`` is the tool call's)."""

    __slots__ = (
        "_args",
        "_arguments",
        "_n",
        "_parse",
        "_parsed",
        "arguments_delta",
        "index",
        "name",
    )
    type: ClassVar[Literal["tool_calls.function.arguments.delta"]] = (
        "tool_calls.function.arguments.delta"
    )
    _fields = ("choice_index", "name", "index", "arguments_delta", "arguments", "parsed_arguments")
    choice_index: int

    def __init__(
        self,
        choice_index: int,
        name: str,
        index: int,
        arguments_delta: str,
        args: _Text,
        n: int,
        parse: Callable[[str, str], object | None] | None,
    ) -> None:
        self.choice_index = choice_index
        self.name = name
        self.index = index
        self.arguments_delta = arguments_delta
        self._args = args
        self._n = n
        self._parse = parse
        self._arguments: str | None = None
        self._parsed: object | None = _UNREAD

    @property
    def arguments(self) -> str:
        """The arguments (JSON text) so far, as they were when this event was made."""
        if self._arguments is None:
            self._arguments = self._args.upto(self._n)
        return self._arguments

    @property
    def parsed_arguments(self) -> object | None:
        """The arguments so far parsed as partial JSON, for strict tools; parsed on first read."""
        if self._parsed is _UNREAD:
            self._parsed = None if self._parse is None else self._parse(self.name, self.arguments)
        return self._parsed


class FunctionToolCallArgumentsDoneEvent(_Event):
    """A function tool call is complete (when the next one starts, or at the choice's finish)."""

    __slots__ = ("arguments", "index", "name", "parsed_arguments")
    type: ClassVar[Literal["tool_calls.function.arguments.done"]] = (
        "tool_calls.function.arguments.done"
    )
    _fields = ("choice_index", "name", "index", "arguments", "parsed_arguments")
    choice_index: int

    def __init__(
        self, choice_index: int, name: str, index: int, arguments: str, parsed: object | None
    ) -> None:
        self.choice_index = choice_index
        self.name = name
        self.index = index
        self.arguments = arguments
        self.parsed_arguments = parsed


class _LogprobsDelta(_Event):
    __slots__ = ("_all", "_n", "_snapshot")
    choice_index: int

    def __init__(self, choice_index: int, every: Logprobs, n: int) -> None:
        self.choice_index = choice_index
        self._all = every
        self._n = n
        self._snapshot: Logprobs | None = None

    @property
    def snapshot(self) -> Logprobs:
        """Every token so far, as it was when this event was made."""
        if self._snapshot is None:
            self._snapshot = self._all[: self._n]
        return self._snapshot


class LogprobsContentDeltaEvent(_LogprobsDelta):
    """Log probabilities of content tokens arrived (``content``: this chunk's tokens)."""

    __slots__ = ("content",)
    type: ClassVar[Literal["logprobs.content.delta"]] = "logprobs.content.delta"
    _fields = ("choice_index", "content")

    def __init__(self, choice_index: int, content: Logprobs, every: Logprobs, n: int) -> None:
        super().__init__(choice_index, every, n)
        self.content = content


class LogprobsContentDoneEvent(_Event):
    """Every content token's log probability, once the choice's text is complete."""

    __slots__ = ("content",)
    type: ClassVar[Literal["logprobs.content.done"]] = "logprobs.content.done"
    _fields = ("choice_index", "content")
    choice_index: int

    def __init__(self, choice_index: int, content: Logprobs) -> None:
        self.choice_index = choice_index
        self.content = content


class LogprobsRefusalDeltaEvent(_LogprobsDelta):
    """Log probabilities of refusal tokens arrived (``refusal``: this chunk's tokens)."""

    __slots__ = ("refusal",)
    type: ClassVar[Literal["logprobs.refusal.delta"]] = "logprobs.refusal.delta"
    _fields = ("choice_index", "refusal")

    def __init__(self, choice_index: int, refusal: Logprobs, every: Logprobs, n: int) -> None:
        super().__init__(choice_index, every, n)
        self.refusal = refusal


class LogprobsRefusalDoneEvent(_Event):
    """Every refusal token's log probability, once the choice's text is complete."""

    __slots__ = ("refusal",)
    type: ClassVar[Literal["logprobs.refusal.done"]] = "logprobs.refusal.done"
    _fields = ("choice_index", "refusal")
    choice_index: int

    def __init__(self, choice_index: int, refusal: Logprobs) -> None:
        self.choice_index = choice_index
        self.refusal = refusal


ChatCompletionStreamEvent: TypeAlias = Union[
    ChunkEvent,
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


# -- state -------------------------------------------------------------------------------------


class _Call:
    """A tool call (or the deprecated function call) being assembled."""

    __slots__ = ("args", "done", "id", "index", "name")

    def __init__(self, index: int) -> None:
        self.index = index
        self.id = ""
        self.name = ""
        self.args = _Text()
        self.done = False


class _Audio:
    __slots__ = ("data", "expires_at", "id", "transcript")

    def __init__(self) -> None:
        self.id = ""
        self.data: list[str] = []
        self.transcript: list[str] = []
        self.expires_at = 0


class _Choice:
    """Everything known about one choice; text stays in parts until a snapshot is asked for."""

    __slots__ = (
        "audio",
        "content",
        "content_done",
        "current_call",
        "extra",
        "finish_reason",
        "function_call",
        "has_logprobs",
        "index",
        "lp_content",
        "lp_refusal",
        "refusal",
        "tools",
    )

    def __init__(self, index: int) -> None:
        self.index = index
        self.content: _Text | None = None
        self.refusal: _Text | None = None
        self.tools: dict[int, _Call] = {}
        self.current_call: int | None = None
        self.function_call: _Call | None = None
        self.audio: _Audio | None = None
        self.extra: dict[str, Any] | None = None
        self.has_logprobs = False
        self.lp_content: Logprobs | None = None
        self.lp_refusal: Logprobs | None = None
        self.finish_reason: str | None = None
        self.content_done = False  # content, refusal and their logprobs are reported together


class ChatCompletionAccumulator:
    """Merges the chunks of a streamed chat completion; pure, no I/O.

    Args:
        response_format: the ``response_format`` given to the request; when set, content is
            parsed through the hooks (partially on delta events, on first read).
        input_tools: the ``tools`` given to the request; when set, tool arguments are parsed.
        parse: the parsing hooks; by default ``workbench._parsing``, imported on first need.
    """

    __slots__ = (
        "_choices",
        "_created",
        "_fingerprint",
        "_get_snapshot",
        "_hooks",
        "_id",
        "_input_tools",
        "_model",
        "_parse_args",
        "_parse_content",
        "_response_format",
        "_service_tier",
        "_snapshot",
        "_usage",
    )

    def __init__(
        self,
        *,
        response_format: object = None,
        input_tools: Iterable[ChatCompletionToolUnionParam] | NotGiven | None = None,
        parse: ParseHooks | None = None,
    ) -> None:
        self._choices: dict[int, _Choice] = {}
        self._id = ""
        self._model = ""
        self._created = 0
        self._fingerprint: str | None = None
        self._service_tier: str | None = None
        self._usage: Any = None
        self._snapshot: ChatCompletion | None = None
        self._get_snapshot = self._build_snapshot
        self._hooks = parse
        given = not isinstance(response_format, NotGiven)
        self._response_format = response_format if given else None
        tools = [] if input_tools is None or isinstance(input_tools, NotGiven) else input_tools
        self._input_tools = list(tools)
        self._parse_content = self._partial_content if self._response_format is not None else None
        self._parse_args = self._partial_arguments if self._input_tools else None

    # -- reading -----------------------------------------------------------------------------

    @property
    def snapshot(self) -> ChatCompletion:
        """The completion so far; built when asked and reused until the next chunk."""
        if self._snapshot is None:
            self._snapshot = self._build_snapshot()
        return self._snapshot

    def completion(self) -> ChatCompletion:
        """The final completion (a new object each call)."""
        return self._completion(sorted(self._choices.values(), key=_by_index))

    def parsed_completion(self) -> ParsedChatCompletion[Any]:
        """The final completion parsed with the ``response_format`` and ``input_tools``.

        Raises whatever the hook raises for output that cannot be parsed, such as
        ``LengthFinishReasonError`` when a parseable reply was cut off.
        """
        return self._parser().parse_chat_completion(
            completion=self.completion(),
            response_format=self._response_format,
            input_tools=self._input_tools,
        )

    # -- writing -----------------------------------------------------------------------------

    def add(self, chunk: ChatCompletionChunk) -> list[ChatCompletionStreamEvent]:
        """Merge one chunk; return its events, the first always a ``ChunkEvent``."""
        events: list[ChatCompletionStreamEvent] = [ChunkEvent(chunk, self._get_snapshot)]
        self._merge(chunk, events)
        return events

    def feed(self, chunk: ChatCompletionChunk) -> None:
        """Merge one chunk without making events (the fast path)."""
        self._merge(chunk, None)

    def _merge(
        self, chunk: ChatCompletionChunk, events: list[ChatCompletionStreamEvent] | None
    ) -> None:
        self._snapshot = None
        if not self._id:
            self._id = chunk.id
        if not self._model:
            self._model = chunk.model
        if not self._created:
            self._created = chunk.created
        if chunk.system_fingerprint is not None:
            self._fingerprint = chunk.system_fingerprint
        if chunk.service_tier is not None:
            self._service_tier = chunk.service_tier
        if chunk.usage is not None:
            self._usage = chunk.usage
        for choice in chunk.choices:
            i = choice.index
            state = self._choices.get(i)
            if state is None:
                state = self._choices[i] = _Choice(i)
            delta = choice.delta
            text = delta.content
            if text is not None:
                content = state.content
                if content is None:
                    content = state.content = _Text()
                content.parts.append(text)
                if events is not None:
                    n = len(content.parts)
                    events.append(ContentDeltaEvent(i, text, content, n, self._parse_content))
            text = delta.refusal
            if text is not None:
                refusal = state.refusal
                if refusal is None:
                    refusal = state.refusal = _Text()
                refusal.parts.append(text)
                if events is not None:
                    events.append(RefusalDeltaEvent(i, text, refusal, len(refusal.parts)))
            if delta.tool_calls:
                self._merge_tool_calls(state, delta.tool_calls, events)
            if delta.function_call is not None:
                call = state.function_call
                if call is None:
                    call = state.function_call = _Call(0)
                call.name = delta.function_call.name or call.name
                if delta.function_call.arguments:
                    call.args.parts.append(delta.function_call.arguments)
            if delta.audio is not None:
                self._merge_audio(state, delta.audio)
            if delta.__pydantic_extra__:
                _merge_extra(state, delta.__pydantic_extra__)
            if choice.logprobs is not None:
                self._merge_logprobs(state, choice.logprobs, events)
            if choice.finish_reason:
                state.finish_reason = choice.finish_reason
                if events is not None:
                    self._content_done(state, events)
                    for call in sorted(state.tools.values(), key=_by_index):
                        self._tool_done(state, call, events)

    def _merge_tool_calls(
        self,
        state: _Choice,
        deltas: list[ChoiceDeltaToolCall],
        events: list[ChatCompletionStreamEvent] | None,
    ) -> None:
        for delta in deltas:
            index = delta.index
            call = state.tools.get(index)
            if call is None:
                call = state.tools[index] = _Call(index)
            if delta.id:
                call.id = delta.id
            piece = ""
            function = delta.function
            if function is not None:
                if function.name:
                    call.name = function.name
                if function.arguments:
                    piece = function.arguments
                    call.args.parts.append(piece)
            if events is not None:
                current = state.current_call
                if current != index:
                    self._content_done(state, events)  # the text before tool calls is over
                    if current is not None:
                        self._tool_done(state, state.tools[current], events)
                n = len(call.args.parts)
                events.append(
                    FunctionToolCallArgumentsDeltaEvent(
                        state.index, call.name, index, piece, call.args, n, self._parse_args
                    )
                )
            state.current_call = index

    @staticmethod
    def _merge_audio(state: _Choice, delta: ChoiceDeltaAudio) -> None:
        audio = state.audio
        if audio is None:
            audio = state.audio = _Audio()
        if delta.id:
            audio.id = delta.id
        if delta.data:
            audio.data.append(delta.data)
        if delta.transcript:
            audio.transcript.append(delta.transcript)
        if delta.expires_at is not None:
            audio.expires_at = delta.expires_at

    @staticmethod
    def _merge_logprobs(
        state: _Choice, logprobs: ChunkLogprobs, events: list[ChatCompletionStreamEvent] | None
    ) -> None:
        state.has_logprobs = True
        tokens: Logprobs | None = logprobs.content
        if tokens is not None:
            every = state.lp_content
            if every is None:
                every = state.lp_content = []
            if tokens:
                every.extend(tokens)
                if events is not None:
                    n = len(every)
                    events.append(LogprobsContentDeltaEvent(state.index, tokens, every, n))
        tokens = logprobs.refusal
        if tokens is not None:
            every = state.lp_refusal
            if every is None:
                every = state.lp_refusal = []
            if tokens:
                every.extend(tokens)
                if events is not None:
                    n = len(every)
                    events.append(LogprobsRefusalDeltaEvent(state.index, tokens, every, n))

    # -- done events -------------------------------------------------------------------------

    def _content_done(self, state: _Choice, events: list[ChatCompletionStreamEvent]) -> None:
        if state.content_done:
            return
        state.content_done = True
        i = state.index
        content = state.content.value() if state.content is not None else ""
        if content:
            parsed = None
            if (
                self._response_format is not None
                and state.refusal is None
                and state.finish_reason not in _NO_PARSE
            ):
                message = ChatCompletionMessage(content=content)
                choice = Choice(index=i, finish_reason=state.finish_reason, message=message)
                parsed = (
                    self._parser()
                    .parse_chat_completion(
                        completion=self._completion_of([choice]),
                        response_format=self._response_format,
                        input_tools=[],
                    )
                    .choices[0]
                    .message.parsed
                )
            events.append(ContentDoneEvent(i, content, parsed))
        if state.refusal is not None:
            events.append(RefusalDoneEvent(i, state.refusal.value()))
        if state.lp_content is not None:
            events.append(LogprobsContentDoneEvent(i, list(state.lp_content)))
        if state.lp_refusal is not None:
            events.append(LogprobsRefusalDoneEvent(i, list(state.lp_refusal)))

    def _tool_done(
        self, state: _Choice, call: _Call, events: list[ChatCompletionStreamEvent]
    ) -> None:
        if call.done:
            return
        call.done = True
        arguments = call.args.value()
        parsed = None
        if self._input_tools and state.finish_reason not in _NO_PARSE:
            parsed = self._parser().parse_tool_arguments(
                name=call.name, arguments=arguments, input_tools=self._input_tools, partial=False
            )
        events.append(
            FunctionToolCallArgumentsDoneEvent(
                state.index, call.name, call.index, arguments, parsed
            )
        )

    # -- parsing hooks -----------------------------------------------------------------------

    def _parser(self) -> ParseHooks:
        if self._hooks is None:
            # imported on first need: plain streams never pay for (or depend on) the parser
            self._hooks = cast(ParseHooks, importlib.import_module("._parsing", __package__))
        return self._hooks

    def _partial_content(self, text: str) -> object | None:
        if not text or text.isspace():
            return None
        return self._parser().parse_partial_content(text, self._response_format)

    def _partial_arguments(self, name: str, arguments: str) -> object | None:
        if not arguments:
            return None
        return self._parser().parse_tool_arguments(
            name=name, arguments=arguments, input_tools=self._input_tools, partial=True
        )

    # -- building ----------------------------------------------------------------------------

    def _build_snapshot(self) -> ChatCompletion:
        return self._completion(sorted(self._choices.values(), key=_by_index))

    def _completion(self, states: list[_Choice]) -> ChatCompletion:
        return self._completion_of([_build_choice(state) for state in states])

    def _completion_of(self, choices: list[Choice]) -> ChatCompletion:
        return ChatCompletion(
            id=self._id,
            choices=choices,
            created=self._created,
            model=self._model,
            object="chat.completion",
            service_tier=self._service_tier,
            system_fingerprint=self._fingerprint,
            usage=self._usage,
        )


def _by_index(item: _Choice | _Call) -> int:
    return item.index


def _merge_extra(state: _Choice, extra: dict[str, Any]) -> None:
    """Keep fields a server adds to deltas (``reasoning_content``...): text and lists add up."""
    merged = state.extra
    if merged is None:
        merged = state.extra = {}
    for key, value in extra.items():
        old = merged.get(key)
        if isinstance(value, str):
            if not isinstance(old, _Text):
                old = merged[key] = _Text()
            old.parts.append(value)
        elif isinstance(value, list) and isinstance(old, list):
            old.extend(value)
        elif isinstance(value, list):
            merged[key] = list(value)
        elif value is not None:
            merged[key] = value


def _build_choice(state: _Choice) -> Choice:
    message: dict[str, Any] = {
        "content": state.content.value() if state.content is not None else None,
        "refusal": state.refusal.value() if state.refusal is not None else None,
        "role": "assistant",
    }
    if state.tools:
        message["tool_calls"] = [
            ChatCompletionMessageFunctionToolCall(
                id=call.id, function=Function(name=call.name, arguments=call.args.value())
            )
            for call in sorted(state.tools.values(), key=_by_index)
        ]
    if state.function_call is not None:
        call = state.function_call
        message["function_call"] = FunctionCall(name=call.name, arguments=call.args.value())
    if state.audio is not None:
        audio = state.audio
        message["audio"] = ChatCompletionAudio(
            id=audio.id,
            data="".join(audio.data),
            expires_at=audio.expires_at,
            transcript="".join(audio.transcript),
        )
    built = ChatCompletionMessage(**message)
    if state.extra:
        extra = {
            key: "".join(value)
            if isinstance(value, list)
            else value[0]
            if isinstance(value, tuple)
            else value
            for key, value in state.extra.items()
        }
        try:
            built = ChatCompletionMessage(**message, **extra)
        except pydantic.ValidationError:
            pass  # an added field that clashes with a known one in shape is dropped, not raised
    logprobs = None
    if state.has_logprobs:
        logprobs = ChoiceLogprobs(content=state.lp_content, refusal=state.lp_refusal)
    return Choice(
        index=state.index, finish_reason=state.finish_reason, logprobs=logprobs, message=built
    )


def accumulate(chunks: Iterable[ChatCompletionChunk]) -> ChatCompletion:
    """Merge the chunks of a streamed chat completion into the completion they make.

    Args:
        chunks: the chunks in the order they arrived (a stream's usage-only last chunk included).

    Returns:
        The ``ChatCompletion`` a non-streamed request would have returned.
    """
    accumulator = ChatCompletionAccumulator()
    for chunk in chunks:
        accumulator.feed(chunk)
    return accumulator.completion()
