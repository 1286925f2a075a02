"""Streams of typed chunks over an HTTP response, sync and async, on the SSE decoder.

The ``.stream()`` event managers, which add the accumulator on top, live in ``_chat_stream.py``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import httpx
import pydantic

from ._exceptions import APIConnectionError, APIResponseValidationError, APITimeoutError
from ._sse import ServerSentEvent, SSEDecoder

if TYPE_CHECKING:
    from ._base_client import BaseClient

__all__ = ["AsyncStream", "Stream"]

_T = TypeVar("_T", bound=pydantic.BaseModel)
_DONE = b"[DONE]"


class _StreamBase(Generic[_T]):
    """What both streams share: decoding one event into a chunk or an error."""

    response: httpx.Response
    completed: bool
    """True once the server sent ``[DONE]``; a stream that ends without it may be cut short."""

    def __init__(self, *, cast_to: type[_T], response: httpx.Response, client: BaseClient) -> None:
        self.response = response
        self.completed = False
        self._cast_to = cast_to
        self._client = client
        self._decoder = SSEDecoder()

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

    def _chunks(self, events: list[ServerSentEvent]) -> Iterator[_T]:
        """The chunks of some events, up to ``[DONE]`` (which sets ``completed``)."""
        for event in events:
            if event.raw.startswith(_DONE):
                self.completed = True
                return
            yield self._decode(event)

    def _decode(self, event: ServerSentEvent) -> _T:
        """The chunk an event carries; raises ``APIError`` for an error event."""
        if event.event == "error":
            raise self._client._make_stream_error(self.response.request, _loads(event.raw))
        try:
            chunk = self._cast_to.model_validate_json(event.raw)
        except pydantic.ValidationError as exc:
            data = _loads(event.raw)
            if isinstance(data, dict) and "error" in data:
                raise self._client._make_stream_error(self.response.request, data) from None
            raise APIResponseValidationError(
                self.response,
                self._client._scrub(data),
                message=self._client._scrub(
                    f"A streamed chunk does not match {self._cast_to.__name__}: "
                    f"{exc.errors(include_url=False)[:3]}"
                ),
            ) from None
        extra = chunk.__pydantic_extra__
        if extra and "error" in extra:
            raise self._client._make_stream_error(self.response.request, extra)
        return chunk

    def _translate(self, exc: httpx.HTTPError) -> APIConnectionError:
        request = self.response.request
        if isinstance(exc, httpx.TimeoutException):
            return APITimeoutError(request, message=f"Stream timed out: {exc}")
        return APIConnectionError(
            message=f"Stream cut off: {type(exc).__name__}: {exc}", request=request
        )


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
                yield from self._chunks(decoder.feed(piece))
                if self.completed:
                    break
            else:
                yield from self._chunks(decoder.flush())
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
                for chunk in self._chunks(decoder.feed(piece)):
                    yield chunk
                if self.completed:
                    break
            else:
                for chunk in self._chunks(decoder.flush()):
                    yield chunk
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
