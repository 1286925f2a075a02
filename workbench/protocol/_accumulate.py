"""Pure stream accumulator: chat completion chunks in, a snapshot and typed events out."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol, TypeAlias

import pydantic

from .._exceptions import WorkbenchError
from .._sentinels import NotGiven
from ..types import (
    ChatCompletion,
    ChatCompletionAudio,
    ChatCompletionChunk,
    ChatCompletionMessage,
    ChatCompletionMessageFunctionToolCall,
    ChatCompletionToolUnionParam,
    Choice,
    ChoiceDelta,
    ChoiceLogprobs,
    Function,
    FunctionCall,
    ParsedChatCompletion,
)
from ..types.chat_completion import REASONING_FIELDS
from ..types.chat_completion_chunk import ChoiceLogprobs as ChunkLogprobs
from . import _parsing
from ._stream_events import (
    ChatCompletionStreamEvent,
    ChunkEvent,
    ContentDeltaEvent,
    ContentDoneEvent,
    FunctionToolCallArgumentsDeltaEvent,
    FunctionToolCallArgumentsDoneEvent,
    LogprobsContentDeltaEvent,
    LogprobsContentDoneEvent,
    LogprobsRefusalDeltaEvent,
    LogprobsRefusalDoneEvent,
    ReasoningDeltaEvent,
    ReasoningDoneEvent,
    RefusalDeltaEvent,
    RefusalDoneEvent,
    _Text,
    _Tokens,
)

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
    "ReasoningDeltaEvent",
    "ReasoningDoneEvent",
    "RefusalDeltaEvent",
    "RefusalDoneEvent",
    "accumulate",
]

_NO_PARSE = ("length", "content_filter")  # cut-off or withheld output is never parsed


class ParseHooks(Protocol):
    """The parsing functions the accumulator calls; ``workbench.protocol._parsing`` is one."""

    def parse_chat_completion(
        self, *, completion: ChatCompletion, response_format: Any, input_tools: Any
    ) -> ParsedChatCompletion[Any]: ...

    def parse_partial_content(self, text: str, response_format: Any) -> object | None: ...

    def parse_tool_arguments(
        self, *, name: str, arguments: str, input_tools: Any, partial: bool
    ) -> object | None: ...


_Events: TypeAlias = "list[ChatCompletionStreamEvent] | None"  # None: merge without events


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


class _Choice:
    """What is known of one choice; text stays in parts until a snapshot is asked for."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.content = _Text()
        self.refusal = _Text()
        self.tools: dict[int, _Call] = {}
        self.current_call: int | None = None
        self.function_call: _Call | None = None
        self.audio: dict[str, Any] | None = None
        self.extra: dict[str, Any] = {}  # fields a server added to deltas
        self.reasoning_field: str | None = None  # which of them carries the reasoning text
        self.logprobs: dict[str, _Tokens | None] | None = None
        self.finish_reason: str | None = None
        self.done: set[str] = set()  # which of content, refusal, ... had their done event


class ChatCompletionAccumulator:
    """Merges the chunks of a streamed chat completion; pure, no I/O.

    Args:
        response_format: the request's ``response_format``; when set, content is parsed through
            the hooks (partial JSON on delta events, on read; validated at the done event).
        input_tools: the request's ``tools``; when set, tool call arguments are parsed.
        parse: the parsing hooks (by default ``workbench.protocol._parsing``); called only when
            ``response_format`` or ``input_tools`` is set, and by ``parsed_completion()``.
    """

    def __init__(
        self,
        *,
        response_format: object = None,
        input_tools: Iterable[ChatCompletionToolUnionParam] | NotGiven | None = None,
        parse: ParseHooks | None = None,
    ) -> None:
        self._choices: dict[int, _Choice] = {}
        self._meta: dict[str, Any] = {"id": "", "created": 0, "model": ""}
        self._latest: dict[str, Any] = {}  # service_tier, system_fingerprint, usage: last wins
        self._snapshot: ChatCompletion | None = None
        self._hooks: ParseHooks = _parsing if parse is None else parse
        self._response_format = None if isinstance(response_format, NotGiven) else response_format
        if input_tools is None or isinstance(input_tools, NotGiven):
            input_tools = ()
        self._input_tools = list(input_tools)
        self._parse_content = self._partial_content if self._response_format is not None else None
        self._parse_args = self._partial_arguments if self._input_tools else None

    @property
    def snapshot(self) -> ChatCompletion:
        """The completion so far; built when asked, then reused until the next chunk."""
        if self._snapshot is None:
            self._snapshot = self.completion()
        return self._snapshot

    def completion(self) -> ChatCompletion:
        """The completion the chunks make (a new object on each call)."""
        states = sorted(self._choices.values(), key=_by_index)
        return self._completion_of([_build_choice(state) for state in states])

    def parsed_completion(self) -> ParsedChatCompletion[Any]:
        """The completion parsed with the ``response_format`` and ``input_tools`` by the hooks.

        Raises:
            LengthFinishReasonError: (from the parser) a parseable reply was cut off.
        """
        return self._hooks.parse_chat_completion(
            completion=self.completion(),
            response_format=self._response_format,
            input_tools=self._input_tools,
        )

    def add(self, chunk: ChatCompletionChunk) -> list[ChatCompletionStreamEvent]:
        """Merge one chunk and return its events, the first always a ``ChunkEvent``."""
        index = chunk.choices[0].index if len(chunk.choices) == 1 else None
        events: list[ChatCompletionStreamEvent] = [ChunkEvent(chunk, index, self._get_snapshot)]
        self._merge(chunk, events)
        return events

    def feed(self, chunk: ChatCompletionChunk) -> None:
        """Merge one chunk without making events (the fast path)."""
        self._merge(chunk, None)

    def _get_snapshot(self) -> ChatCompletion:
        return self.snapshot

    def _merge(self, chunk: ChatCompletionChunk, events: _Events) -> None:
        self._snapshot = None
        meta = self._meta
        if not (meta["id"] and meta["created"] and meta["model"]):
            for key in meta:  # the first non-empty value wins (Azure opens with an empty chunk)
                meta[key] = meta[key] or getattr(chunk, key)
        if chunk.system_fingerprint is not None:
            self._latest["system_fingerprint"] = chunk.system_fingerprint
        if chunk.service_tier is not None:
            self._latest["service_tier"] = chunk.service_tier
        if chunk.usage is not None:
            self._latest["usage"] = chunk.usage
        for choice in chunk.choices:
            i = choice.index
            state = self._choices.get(i)
            if state is None:
                state = self._choices[i] = _Choice(i)
            delta = choice.delta
            extra = delta.__pydantic_extra__
            if extra:  # first: a reasoning model's thinking comes before its answer
                _merge_extra(state, extra, events)
            text = delta.content
            if text is not None:
                parts = state.content.parts
                parts.append(text)
                if events is not None:
                    if text and state.reasoning_field is not None:
                        self._reasoning_done(state, events)
                    n = len(parts)
                    events.append(ContentDeltaEvent(i, text, state.content, n, self._parse_content))
            text = delta.refusal
            if text is not None:
                parts = state.refusal.parts
                parts.append(text)
                if events is not None:
                    if text and state.reasoning_field is not None:
                        self._reasoning_done(state, events)
                    events.append(RefusalDeltaEvent(i, text, state.refusal, len(parts)))
            if delta.tool_calls:
                self._merge_tool_calls(state, delta, events)
            if delta.function_call is not None or delta.audio is not None:
                _merge_rare(state, delta)
            if choice.logprobs is not None:
                _merge_logprobs(state, choice.logprobs, events)
            if choice.finish_reason:
                state.finish_reason = choice.finish_reason
                if events is not None:
                    self._text_done(state, events)
                    for call in sorted(state.tools.values(), key=_by_index):
                        self._tool_done(state, call, events)

    def _merge_tool_calls(self, state: _Choice, delta: ChoiceDelta, events: _Events) -> None:
        for piece in delta.tool_calls or ():
            index = piece.index
            call = state.tools.get(index)
            if call is None:
                call = state.tools[index] = _Call(index)
            call.id = piece.id or call.id
            arguments = ""
            if piece.function is not None:
                call.name = piece.function.name or call.name
                arguments = piece.function.arguments or ""
                if arguments:
                    call.args.parts.append(arguments)
            if events is not None:
                current = state.current_call
                if current != index:
                    self._text_done(state, events)  # the text before tool calls is over
                    if current is not None:
                        self._tool_done(state, state.tools[current], events)
                n = len(call.args.parts)
                events.append(
                    FunctionToolCallArgumentsDeltaEvent(
                        state.index, call.name, index, arguments, call.args, n, self._parse_args
                    )
                )
            state.current_call = index

    def _reasoning_done(self, state: _Choice, events: list[ChatCompletionStreamEvent]) -> None:
        """Report the reasoning done, once, when some came (the answer began, or the finish)."""
        field = state.reasoning_field
        if field is None or "reasoning" in state.done:
            return
        text = state.extra.get(field)
        reasoning = text.value() if isinstance(text, _Text) else None
        if reasoning:
            state.done.add("reasoning")
            events.append(ReasoningDoneEvent(state.index, reasoning, field))

    def _text_done(self, state: _Choice, events: list[ChatCompletionStreamEvent]) -> None:
        """Report reasoning, content, refusal and their logprobs done: each once, and once it
        has come."""
        self._reasoning_done(state, events)
        i, done = state.index, state.done
        content, refusal = state.content.value(), state.refusal.value()
        logprobs = state.logprobs or {}
        if content and "content" not in done:
            done.add("content")
            parsed = None
            if self._response_format is not None and refusal is None:
                parsed = self._parse_whole_content(state.finish_reason, i, content)
            events.append(ContentDoneEvent(i, content, parsed))
        if refusal is not None and "refusal" not in done:
            done.add("refusal")
            events.append(RefusalDoneEvent(i, refusal))
        tokens = logprobs.get("content")
        if tokens is not None and "logprobs.content" not in done:
            done.add("logprobs.content")
            events.append(LogprobsContentDoneEvent(i, list(tokens)))
        tokens = logprobs.get("refusal")
        if tokens is not None and "logprobs.refusal" not in done:
            done.add("logprobs.refusal")
            events.append(LogprobsRefusalDoneEvent(i, list(tokens)))

    def _tool_done(
        self, state: _Choice, call: _Call, events: list[ChatCompletionStreamEvent]
    ) -> None:
        if call.done:
            return
        call.done = True
        arguments = call.args.value() or ""
        parsed = None
        if self._input_tools and state.finish_reason not in _NO_PARSE:
            try:
                parsed = self._hooks.parse_tool_arguments(
                    name=call.name,
                    arguments=arguments,
                    input_tools=self._input_tools,
                    partial=False,
                )
            except WorkbenchError:  # the stream goes on; parsed_completion() raises it
                parsed = None
        events.append(
            FunctionToolCallArgumentsDoneEvent(
                state.index, call.name, call.index, arguments, parsed
            )
        )

    # -- parsing hooks -----------------------------------------------------------------------

    def _parse_whole_content(self, finish_reason: str | None, index: int, text: str) -> object:
        if finish_reason in _NO_PARSE:
            return None
        message = ChatCompletionMessage(content=text)
        one = self._completion_of(
            [Choice(index=index, finish_reason=finish_reason, message=message)]
        )
        try:
            parsed = self._hooks.parse_chat_completion(
                completion=one, response_format=self._response_format, input_tools=[]
            )
        except WorkbenchError:  # the stream goes on; parsed_completion() raises it
            return None
        return parsed.choices[0].message.parsed

    def _partial_content(self, text: str) -> object | None:
        if text.isspace() or not text:
            return None
        return self._hooks.parse_partial_content(text, self._response_format)

    def _partial_arguments(self, name: str, arguments: str) -> object | None:
        if not arguments:
            return None
        return self._hooks.parse_tool_arguments(
            name=name, arguments=arguments, input_tools=self._input_tools, partial=True
        )

    def _completion_of(self, choices: list[Choice]) -> ChatCompletion:
        return ChatCompletion(
            choices=choices, object="chat.completion", **self._meta, **self._latest
        )


def _by_index(item: _Choice | _Call) -> int:
    return item.index


def _merge_extra(state: _Choice, extra: dict[str, Any], events: _Events) -> None:
    """Merge the fields a server added to a delta, each under its own name (the snapshot's
    message has them as sent): text is joined, lists extended, other values replaced.

    The reasoning text (``reasoning_content`` or ``reasoning``) makes ``reasoning.delta`` events;
    the first of those fields to carry a string in a choice is its reasoning from then on, so a
    server that sends both (the same text twice) is not reported twice.
    """
    for key, value in extra.items():
        old = state.extra.get(key)
        if isinstance(value, str):
            if not isinstance(old, _Text):
                old = state.extra[key] = _Text()
            old.parts.append(value)
        elif isinstance(value, list):
            state.extra[key] = [*old, *value] if isinstance(old, list) else value
        elif value is not None:
            state.extra[key] = value
    field = state.reasoning_field
    if field is None:
        field = next((k for k in REASONING_FIELDS if isinstance(extra.get(k), str)), None)
        if field is None:
            return
        state.reasoning_field = field
    piece = extra.get(field)
    if events is not None and isinstance(piece, str):
        text = state.extra[field]
        events.append(ReasoningDeltaEvent(state.index, piece, text, len(text.parts), field))


def _merge_rare(state: _Choice, delta: ChoiceDelta) -> None:
    """Merge the parts of a delta most streams never send: function_call and audio."""
    if delta.function_call is not None:
        call = state.function_call = state.function_call or _Call(0)
        call.name = delta.function_call.name or call.name
        call.args.parts.append(delta.function_call.arguments or "")
    if delta.audio is not None:
        audio = state.audio = state.audio or {"id": "", "expires_at": 0}
        for key, value in delta.audio.model_dump(exclude_none=True).items():
            if key in ("data", "transcript"):
                audio.setdefault(key, _Text()).parts.append(value)
            else:  # id, expires_at, or a field this version does not know
                audio[key] = value


def _merge_logprobs(state: _Choice, logprobs: ChunkLogprobs, events: _Events) -> None:
    merged = state.logprobs = state.logprobs or {"content": None, "refusal": None}
    i = state.index
    for key, tokens in (("content", logprobs.content), ("refusal", logprobs.refusal)):
        if tokens is None:
            continue
        every = merged[key]
        if every is None:
            every = merged[key] = []
        if tokens:
            every.extend(tokens)
            if events is not None and key == "content":
                events.append(LogprobsContentDeltaEvent(i, every, len(every), tokens))
            elif events is not None:
                events.append(LogprobsRefusalDeltaEvent(i, every, len(every), tokens))


def _build_choice(state: _Choice) -> Choice:
    message: dict[str, Any] = {
        "content": state.content.value(),
        "refusal": state.refusal.value(),
        "role": "assistant",
    }
    if state.tools:
        message["tool_calls"] = [
            ChatCompletionMessageFunctionToolCall(
                id=call.id, function=Function(name=call.name, arguments=call.args.value() or "")
            )
            for call in sorted(state.tools.values(), key=_by_index)
        ]
    if state.function_call is not None:
        call = state.function_call
        message["function_call"] = FunctionCall(name=call.name, arguments=call.args.value() or "")
    if state.audio is not None:
        audio = {k: v.value() if isinstance(v, _Text) else v for k, v in state.audio.items()}
        message["audio"] = ChatCompletionAudio(**audio)
    extra = {k: v.value() if isinstance(v, _Text) else v for k, v in state.extra.items()}
    try:
        built = ChatCompletionMessage(**message, **extra)
    except pydantic.ValidationError:  # an added field shaped unlike the known one of its name
        built = ChatCompletionMessage(**message)
    logprobs = None if state.logprobs is None else ChoiceLogprobs(**state.logprobs)
    return Choice(
        index=state.index, finish_reason=state.finish_reason, logprobs=logprobs, message=built
    )


def accumulate(chunks: Iterable[ChatCompletionChunk]) -> ChatCompletion:
    """Merge the chunks of a streamed chat completion into the completion they make.

    Args:
        chunks: the chunks in the order they arrived, a usage-only last chunk included.

    Returns:
        The ``ChatCompletion`` the non-streamed request would have returned.
    """
    accumulator = ChatCompletionAccumulator()
    for chunk in chunks:
        accumulator.feed(chunk)
    return accumulator.completion()
