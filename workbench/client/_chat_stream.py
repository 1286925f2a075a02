"""``chat.completions.stream()``: typed events and a final completion over a chunk stream."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from typing import Any

from ..protocol._accumulate import ChatCompletionAccumulator, ChatCompletionStreamEvent
from ..types import ChatCompletion, ChatCompletionChunk, ParsedChatCompletion
from ._event_stream import AsyncEventStream, AsyncStreamManager, EventStream, StreamManager
from ._streaming import AsyncStream, Stream

__all__ = [
    "AsyncChatCompletionStream",
    "AsyncChatCompletionStreamManager",
    "ChatCompletionStream",
    "ChatCompletionStreamManager",
]


class ChatCompletionStream(EventStream[ChatCompletionStreamEvent]):
    """Iterate it for typed events; ``get_final_completion()`` reads to the end and parses."""

    _accumulator: ChatCompletionAccumulator

    @property
    def current_completion_snapshot(self) -> ChatCompletion:
        """The completion as accumulated so far."""
        return self._accumulator.snapshot

    def _events(self) -> Generator[ChatCompletionStreamEvent, None, None]:
        add = self._accumulator.add
        for chunk in self._stream:
            yield from add(chunk)

    def until_done(self) -> ChatCompletionStream:
        """Read the rest of the stream (its events are dropped)."""
        feed = self._accumulator.feed
        for chunk in self._stream:
            feed(chunk)
        return self

    def get_final_completion(self) -> ParsedChatCompletion[Any]:
        """Read to the end and return the completion, parsed with the request's format and tools.

        Raises:
            LengthFinishReasonError, ContentFilterFinishReasonError: as ``parse()`` does.
        """
        self.until_done()
        return self._accumulator.parsed_completion()


class ChatCompletionStreamManager(StreamManager[ChatCompletionStream]):
    """The context manager ``stream()`` returns; the request is sent on ``__enter__``."""

    def __init__(
        self,
        open_stream: Callable[[], Stream[ChatCompletionChunk]],
        *,
        response_format: object,
        input_tools: object,
    ) -> None:
        self._open = open_stream
        self._response_format = response_format
        self._input_tools = input_tools

    def __enter__(self) -> ChatCompletionStream:
        accumulator = ChatCompletionAccumulator(
            response_format=self._response_format,
            input_tools=self._input_tools,  # type: ignore[arg-type]
        )
        self._stream = ChatCompletionStream(self._open(), accumulator)
        return self._stream


class AsyncChatCompletionStream(AsyncEventStream[ChatCompletionStreamEvent]):
    """The async twin of ``ChatCompletionStream``: ``async for`` events."""

    _accumulator: ChatCompletionAccumulator

    @property
    def current_completion_snapshot(self) -> ChatCompletion:
        """The completion as accumulated so far."""
        return self._accumulator.snapshot

    async def _events(self) -> AsyncGenerator[ChatCompletionStreamEvent, None]:
        add = self._accumulator.add
        async for chunk in self._stream:
            for event in add(chunk):
                yield event

    async def until_done(self) -> AsyncChatCompletionStream:
        """Read the rest of the stream (its events are dropped)."""
        feed = self._accumulator.feed
        async for chunk in self._stream:
            feed(chunk)
        return self

    async def get_final_completion(self) -> ParsedChatCompletion[Any]:
        """Read to the end and return the parsed completion (see the sync twin)."""
        await self.until_done()
        return self._accumulator.parsed_completion()


class AsyncChatCompletionStreamManager(AsyncStreamManager[AsyncChatCompletionStream]):
    """The async context manager ``stream()`` returns; the request is sent on ``__aenter__``."""

    def __init__(
        self,
        open_stream: Callable[[], Awaitable[AsyncStream[ChatCompletionChunk]]],
        *,
        response_format: object,
        input_tools: object,
    ) -> None:
        self._open = open_stream
        self._response_format = response_format
        self._input_tools = input_tools

    async def __aenter__(self) -> AsyncChatCompletionStream:
        accumulator = ChatCompletionAccumulator(
            response_format=self._response_format,
            input_tools=self._input_tools,  # type: ignore[arg-type]
        )
        self._stream = AsyncChatCompletionStream(await self._open(), accumulator)
        return self._stream
