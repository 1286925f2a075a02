"""``chat.completions.stream()``: typed events and a final completion over a chunk stream."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Generator, Iterator
from types import TracebackType
from typing import Any

import httpx

from ..protocol._accumulate import ChatCompletionAccumulator, ChatCompletionStreamEvent
from ..types import ChatCompletion, ChatCompletionChunk, ParsedChatCompletion
from ._streaming import AsyncStream, Stream

__all__ = [
    "AsyncChatCompletionStream",
    "AsyncChatCompletionStreamManager",
    "ChatCompletionStream",
    "ChatCompletionStreamManager",
]


class ChatCompletionStream:
    """Iterate it for typed events; ``get_final_completion()`` reads to the end and parses."""

    def __init__(
        self, stream: Stream[ChatCompletionChunk], accumulator: ChatCompletionAccumulator
    ) -> None:
        self._stream = stream
        self._accumulator = accumulator
        self._iterator = self._events()

    @property
    def response(self) -> httpx.Response:
        """The HTTP response being read."""
        return self._stream.response

    @property
    def current_completion_snapshot(self) -> ChatCompletion:
        """The completion as accumulated so far."""
        return self._accumulator.snapshot

    def __iter__(self) -> Iterator[ChatCompletionStreamEvent]:
        return self._iterator

    def __next__(self) -> ChatCompletionStreamEvent:
        return next(self._iterator)

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

    def close(self) -> None:
        """Stop reading and release the connection."""
        self._iterator.close()
        self._stream.close()


class ChatCompletionStreamManager:
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
        self._stream: ChatCompletionStream | None = None

    def __enter__(self) -> ChatCompletionStream:
        accumulator = ChatCompletionAccumulator(
            response_format=self._response_format,
            input_tools=self._input_tools,  # type: ignore[arg-type]
        )
        self._stream = ChatCompletionStream(self._open(), accumulator)
        return self._stream

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._stream is not None:
            self._stream.close()


class AsyncChatCompletionStream:
    """The async twin of ``ChatCompletionStream``: ``async for`` events."""

    def __init__(
        self, stream: AsyncStream[ChatCompletionChunk], accumulator: ChatCompletionAccumulator
    ) -> None:
        self._stream = stream
        self._accumulator = accumulator
        self._iterator = self._events()

    @property
    def response(self) -> httpx.Response:
        """The HTTP response being read."""
        return self._stream.response

    @property
    def current_completion_snapshot(self) -> ChatCompletion:
        """The completion as accumulated so far."""
        return self._accumulator.snapshot

    def __aiter__(self) -> AsyncIterator[ChatCompletionStreamEvent]:
        return self._iterator

    async def __anext__(self) -> ChatCompletionStreamEvent:
        return await self._iterator.__anext__()

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

    async def close(self) -> None:
        """Stop reading and release the connection."""
        await self._iterator.aclose()
        await self._stream.close()


class AsyncChatCompletionStreamManager:
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
        self._stream: AsyncChatCompletionStream | None = None

    async def __aenter__(self) -> AsyncChatCompletionStream:
        accumulator = ChatCompletionAccumulator(
            response_format=self._response_format,
            input_tools=self._input_tools,  # type: ignore[arg-type]
        )
        self._stream = AsyncChatCompletionStream(await self._open(), accumulator)
        return self._stream

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._stream is not None:
            await self._stream.close()
