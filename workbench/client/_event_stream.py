"""What every ``.stream()`` shares: a wrapper that reads typed events through an accumulator,
and the context manager that opens it; sync and async. ``_chat_stream`` and
``_responses_stream`` add what their API's events and final result are."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterator
from types import TracebackType
from typing import Any, Generic, TypeVar

import httpx

__all__ = ["AsyncEventStream", "AsyncStreamManager", "EventStream", "StreamManager"]

_E = TypeVar("_E")
_S = TypeVar("_S")


class EventStream(Generic[_E]):
    """Iterate it for typed events; close it to stop reading."""

    def __init__(self, stream: Any, accumulator: Any) -> None:
        self._stream = stream
        self._accumulator = accumulator
        self._iterator = self._events()

    @property
    def response(self) -> httpx.Response:
        """The HTTP response being read."""
        return self._stream.response  # type: ignore[no-any-return]

    def __iter__(self) -> Iterator[_E]:
        return self._iterator

    def __next__(self) -> _E:
        return next(self._iterator)

    def _events(self) -> Generator[_E, None, None]:
        raise NotImplementedError

    def close(self) -> None:
        """Stop reading and release the connection."""
        self._iterator.close()
        self._stream.close()


class AsyncEventStream(Generic[_E]):
    """The async twin of ``EventStream``: ``async for`` events."""

    def __init__(self, stream: Any, accumulator: Any) -> None:
        self._stream = stream
        self._accumulator = accumulator
        self._iterator = self._events()

    @property
    def response(self) -> httpx.Response:
        """The HTTP response being read."""
        return self._stream.response  # type: ignore[no-any-return]

    def __aiter__(self) -> AsyncIterator[_E]:
        return self._iterator

    async def __anext__(self) -> _E:
        return await self._iterator.__anext__()

    def _events(self) -> AsyncGenerator[_E, None]:
        raise NotImplementedError

    async def close(self) -> None:
        """Stop reading and release the connection."""
        await self._iterator.aclose()
        await self._stream.close()


class StreamManager(Generic[_S]):
    """A context manager that sends the request on ``__enter__`` and closes on exit."""

    _stream: _S | None = None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._stream is not None:
            self._stream.close()  # type: ignore[attr-defined]


class AsyncStreamManager(Generic[_S]):
    """The async twin of ``StreamManager``."""

    _stream: _S | None = None

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._stream is not None:
            await self._stream.close()  # type: ignore[attr-defined]
