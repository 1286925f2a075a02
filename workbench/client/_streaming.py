"""Streams of typed chunks over an HTTP response, sync and async, on the SSE decoder.

The ``.stream()`` event managers, which add the accumulator on top, live in ``_chat_stream.py``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import httpx
import pydantic

from .._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    WorkbenchError,
)
from ..protocol._sse import ServerSentEvent, SSEDecoder
from ._errors import describe

if TYPE_CHECKING:
    from ._base import BaseClient

__all__ = ["AsyncStream", "Stream"]

_T = TypeVar("_T", bound=pydantic.BaseModel)
_V = TypeVar("_V")
_DONE = b"[DONE]"


class _StreamBase(Generic[_T]):
    """What both streams share: decoding one event into a chunk or an error."""

    response: httpx.Response
    completed: bool
    """True once the server sent ``[DONE]``. A body that ends without it is accepted only when
    every choice got its ``finish_reason``; otherwise the stream raises, as cut short."""

    def __init__(self, *, cast_to: type[_T], response: httpx.Response, client: BaseClient) -> None:
        self.response = response
        self.completed = False
        self._cast_to = cast_to
        self._client = client
        self._decoder = SSEDecoder()
        self._head = b""  # the body's first bytes, quoted when it is no event stream at all
        self._finished: dict[int, bool] = {}  # per choice index: whether it got a finish_reason

    def _is_json(self) -> bool:
        """Whether the server answered a streamed request with JSON (it ignored ``stream``)."""
        kind: str = self.response.headers.get("content-type", "")
        return kind.split(";")[0].strip().lower() == "application/json"

    def _not_a_stream(self) -> Exception:
        """The error for a JSON answer to a streamed request (its body already read)."""
        data = _loads(self.response.content)
        if isinstance(data, dict) and "error" in data:
            return self._client._make_stream_error(self.response.request, data)
        return APIResponseValidationError(
            self.response,
            data,
            message="The request asked for a stream, but the server answered with one JSON body"
            " (does it support stream=True?).",
        )

    def _feed(self, piece: bytes) -> list[ServerSentEvent]:
        """The events a piece of the body completes."""
        if len(self._head) < 200:  # the same head however the body was split
            self._head += piece[: 200 - len(self._head)]
        try:
            return self._decoder.feed(piece)
        except WorkbenchError as exc:  # a line too long to be an event
            raise APIResponseValidationError(self.response, None, message=str(exc)) from None

    def _chunks(self, events: list[ServerSentEvent]) -> Iterator[_T]:
        """The chunks of some events, up to ``[DONE]`` (which sets ``completed``)."""
        finished = self._finished
        for event in events:
            if event.raw.startswith(_DONE):
                self.completed = True
                return
            chunk = self._decode(event)
            for choice in getattr(chunk, "choices", ()):
                if choice.finish_reason is not None:
                    finished[choice.index] = True
                elif choice.index not in finished:
                    finished[choice.index] = False
            yield chunk

    def _ended(self) -> Exception | None:
        """Why a body that ended without ``[DONE]`` is broken; None when its reply is whole
        (some servers leave ``[DONE]`` out after the last ``finish_reason``)."""
        if self._finished and all(self._finished.values()):
            return None
        if not self._finished and not self._head.strip():
            message = "The server sent an empty body instead of an event stream."
            return APIResponseValidationError(self.response, None, message=message)
        if not self._finished:
            text = self._head.decode("utf-8", errors="replace")
            head = self._client._redact(text, self.response.request)
            return APIResponseValidationError(
                self.response,
                head,
                message=f"The server's response is not an event stream of chunks: {head!r}",
            )
        return APIConnectionError(
            message="Stream cut off: the server ended the stream before the reply was finished"
            " (no finish_reason, no [DONE]).",
            request=self.response.request,
        )

    def _decode(self, event: ServerSentEvent) -> _T:
        """The chunk an event carries; raises ``APIError`` for an error event."""
        if event.event == "error":
            raise self._client._make_stream_error(self.response.request, _loads(event.raw))
        chunk = self._validated(event.raw, self._cast_to.model_validate_json)
        extra = chunk.__pydantic_extra__
        if extra and "error" in extra:
            raise self._client._make_stream_error(self.response.request, extra)
        return chunk

    def _validated(self, raw: bytes, validate: Callable[[bytes], _V]) -> _V:
        """``validate(raw)``; an ``error`` object raises ``APIError``, any other mismatch
        ``APIResponseValidationError`` (quoting the event without credentials)."""
        try:
            return validate(raw)
        except pydantic.ValidationError as exc:
            data = _loads(raw)
            if isinstance(data, dict) and "error" in data:
                raise self._client._make_stream_error(self.response.request, data) from None
            raise APIResponseValidationError(
                self.response,
                self._client._scrub(data, self.response.request),
                message=self._client._scrub(
                    f"A streamed event does not match {self._cast_to.__name__}: "
                    f"{exc.errors(include_url=False)[:3]}",
                    self.response.request,
                ),
            ) from None

    def _translate(self, exc: httpx.HTTPError) -> APIConnectionError:
        request = self.response.request
        if isinstance(exc, httpx.TimeoutException):
            return APITimeoutError(request, message=f"Stream timed out: {describe(exc)}")
        return APIConnectionError(message=f"Stream cut off: {describe(exc)}", request=request)


class Stream(_StreamBase[_T]):
    """An iterator of typed chunks as they arrive; close it (or use ``with``) to stop early."""

    def __init__(self, *, cast_to: type[_T], response: httpx.Response, client: BaseClient) -> None:
        super().__init__(cast_to=cast_to, response=response, client=client)
        self._iterator: Generator[_T, None, None] = self._iter_chunks()

    def __iter__(self) -> Iterator[_T]:
        return self._iterator

    def __next__(self) -> _T:
        return next(self._iterator)

    def _iter_chunks(self) -> Generator[_T, None, None]:
        decoder = self._decoder
        try:
            if self._is_json():
                self.response.read()
                raise self._not_a_stream()
            pieces = self.response.iter_bytes()
            for piece in pieces:
                yield from self._chunks(self._feed(piece))
                if self.completed:
                    break
            else:
                yield from self._chunks(decoder.flush())
                if not self.completed and (broken := self._ended()) is not None:
                    raise broken
            if self.completed:
                for _ in pieces:  # drain, so the connection can be reused
                    pass
        except httpx.HTTPError as exc:
            raise self._translate(exc) from exc
        finally:
            self.response.close()

    def close(self) -> None:
        """Stop reading and release the connection."""
        self._iterator.close()
        self.response.close()

    def __enter__(self) -> Stream[_T]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncStream(_StreamBase[_T]):
    """An async iterator of typed chunks. Close it (or use ``async with``) to stop early."""

    def __init__(self, *, cast_to: type[_T], response: httpx.Response, client: BaseClient) -> None:
        super().__init__(cast_to=cast_to, response=response, client=client)
        self._iterator: AsyncGenerator[_T, None] = self._iter_chunks()

    def __aiter__(self) -> AsyncIterator[_T]:
        return self._iterator

    async def __anext__(self) -> _T:
        return await self._iterator.__anext__()

    async def _iter_chunks(self) -> AsyncGenerator[_T, None]:
        decoder = self._decoder
        try:
            if self._is_json():
                await self.response.aread()
                raise self._not_a_stream()
            pieces = self.response.aiter_bytes()
            async for piece in pieces:
                for chunk in self._chunks(self._feed(piece)):
                    yield chunk
                if self.completed:
                    break
            else:
                for chunk in self._chunks(decoder.flush()):
                    yield chunk
                if not self.completed and (broken := self._ended()) is not None:
                    raise broken
            if self.completed:
                async for _ in pieces:
                    pass
        except httpx.HTTPError as exc:
            raise self._translate(exc) from exc
        finally:
            await self.response.aclose()

    async def close(self) -> None:
        """Stop reading and release the connection."""
        await self._iterator.aclose()
        await self.response.aclose()

    async def __aenter__(self) -> AsyncStream[_T]:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


def _loads(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", errors="replace")
