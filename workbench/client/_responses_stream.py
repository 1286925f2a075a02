"""Streams of a Response's typed events, and ``responses.stream()``'s managers over them.

A Responses stream is ``event: <type>`` / ``data: {json}`` pairs with no ``[DONE]``: it is whole
once its last event (``response.completed``, ``.incomplete`` or ``.failed``) came.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Generator, Iterator
from typing import TYPE_CHECKING, Any

import httpx
import pydantic

from .._exceptions import APIConnectionError, APIResponseValidationError
from ..protocol._responses_accumulate import ResponseAccumulator
from ..protocol._sse import ServerSentEvent
from ..types.parsed_response import ParsedResponse
from ..types.response import Response
from ..types.response_stream_event import (
    TERMINAL_EVENT_TYPES,
    ResponseStreamEvent,
    decode_event,
)
from ._event_stream import AsyncEventStream, AsyncStreamManager, EventStream, StreamManager
from ._streaming import AsyncStream, Stream

if TYPE_CHECKING:
    from ._base import BaseClient

__all__ = [
    "AsyncResponseEventStream",
    "AsyncResponseStream",
    "AsyncResponseStreamManager",
    "ResponseEventStream",
    "ResponseStream",
    "ResponseStreamManager",
]

_DONE = b"[DONE]"


class _ResponseEvents:
    """Decoding and ending, as a Responses stream has them (mixed into both streams)."""

    response: httpx.Response
    completed: bool
    _client: BaseClient
    _head: bytes
    _last: bool
    _error: dict[str, Any] | None
    _validated: Callable[..., Any]

    def _chunks(self, events: list[ServerSentEvent]) -> Iterator[Any]:
        """The typed events; an ``error`` object of the chat form raises ``APIError``, and an
        ``error`` event is kept to raise if the stream ends without its last event."""
        for event in events:
            raw = event.raw
            if raw.startswith(_DONE):  # some compatible servers end with it anyway
                self.completed = True
                return
            try:  # straight from bytes; only a broken event takes the way that explains it
                decoded = decode_event(raw)
            except pydantic.ValidationError:
                decoded = self._validated(raw, decode_event)
            kind = decoded.type
            if kind in TERMINAL_EVENT_TYPES:
                self._last = True
            elif kind == "error":
                self._error = decoded.to_dict()
            yield decoded

    def _ended(self) -> Exception | None:
        """Why a body that ended before its last event is broken (None when it is whole)."""
        if self._last:
            return None
        if self._error is not None:  # the server said why in an error event
            return self._client._make_stream_error(self.response.request, self._error)
        if not self._head.strip():
            message = "The server sent an empty body instead of an event stream."
            return APIResponseValidationError(self.response, None, message=message)
        return APIConnectionError(
            message="Stream cut off: the server ended the stream before the response's last"
            " event (response.completed, .incomplete or .failed).",
            request=self.response.request,
        )


class ResponseEventStream(_ResponseEvents, Stream[Any]):
    """An iterator of a Response's typed events as they arrive (``create(stream=True)``)."""

    def __init__(self, *, cast_to: type[Any], response: httpx.Response, client: BaseClient) -> None:
        self._last = False
        self._error = None
        super().__init__(cast_to=cast_to, response=response, client=client)


class AsyncResponseEventStream(_ResponseEvents, AsyncStream[Any]):
    """An async iterator of a Response's typed events."""

    def __init__(self, *, cast_to: type[Any], response: httpx.Response, client: BaseClient) -> None:
        self._last = False
        self._error = None
        super().__init__(cast_to=cast_to, response=response, client=client)


class ResponseStream(EventStream[ResponseStreamEvent]):
    """Iterate it for typed events; ``get_final_response()`` reads to the end and parses."""

    _accumulator: ResponseAccumulator

    @property
    def current_snapshot(self) -> Response:
        """The response as accumulated so far."""
        return self._accumulator.snapshot

    def _events(self) -> Generator[ResponseStreamEvent, None, None]:
        add = self._accumulator.add
        for event in self._stream:
            yield add(event)

    def until_done(self) -> ResponseStream:
        """Read the rest of the stream (its events are dropped)."""
        for _ in self._iterator:
            pass
        return self

    def get_final_response(self) -> ParsedResponse[Any]:
        """Read to the end and return the response, its text parsed into ``text_format``."""
        self.until_done()
        return self._accumulator.final_response()


class ResponseStreamManager(StreamManager[ResponseStream]):
    """The context manager ``responses.stream()`` returns; the request is sent on ``__enter__``."""

    def __init__(
        self,
        open_stream: Callable[[], ResponseEventStream],
        *,
        text_format: object,
        tools: list[Any] | None = None,
    ) -> None:
        self._open = open_stream
        self._text_format = text_format
        self._tools = tools

    def __enter__(self) -> ResponseStream:
        accumulator = ResponseAccumulator(text_format=self._text_format, tools=self._tools)
        self._stream = ResponseStream(self._open(), accumulator)
        return self._stream


class AsyncResponseStream(AsyncEventStream[ResponseStreamEvent]):
    """The async twin of ``ResponseStream``: ``async for`` events."""

    _accumulator: ResponseAccumulator

    @property
    def current_snapshot(self) -> Response:
        """The response as accumulated so far."""
        return self._accumulator.snapshot

    async def _events(self) -> AsyncGenerator[ResponseStreamEvent, None]:
        add = self._accumulator.add
        async for event in self._stream:
            yield add(event)

    async def until_done(self) -> AsyncResponseStream:
        """Read the rest of the stream (its events are dropped)."""
        async for _ in self._iterator:
            pass
        return self

    async def get_final_response(self) -> ParsedResponse[Any]:
        """Read to the end and return the parsed response (see the sync twin)."""
        await self.until_done()
        return self._accumulator.final_response()


class AsyncResponseStreamManager(AsyncStreamManager[AsyncResponseStream]):
    """The async context manager ``responses.stream()`` returns; sent on ``__aenter__``."""

    def __init__(
        self,
        open_stream: Callable[[], Awaitable[AsyncResponseEventStream]],
        *,
        text_format: object,
        tools: list[Any] | None = None,
    ) -> None:
        self._open = open_stream
        self._text_format = text_format
        self._tools = tools

    async def __aenter__(self) -> AsyncResponseStream:
        accumulator = ResponseAccumulator(text_format=self._text_format, tools=self._tools)
        self._stream = AsyncResponseStream(await self._open(), accumulator)
        return self._stream
