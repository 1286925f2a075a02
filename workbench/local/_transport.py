"""The local model as an httpx transport: in-process, same bytes on the wire as a server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import aclosing
from urllib.parse import parse_qsl

import anyio.to_thread
import httpx

from ._batches_endpoint import may_block
from ._core import LocalModel, LocalResponse
from ._faults import Stalled
from ._pacing import Clock, apaced, paced

__all__ = ["LocalTransport"]

_PREFIX = "/v1"


class LocalTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Answers requests with a ``LocalModel``; works for ``httpx.Client`` and ``httpx.AsyncClient``.

    Streams come as one HTTP chunk per event, as a server sends them; pacing and injected faults
    (latency, dropped connections, cut streams) happen here as they would on a network. A stall
    ends in ``httpx.ReadTimeout`` after the request's read timeout, as a network client's would.

    Args:
        model: the model that answers.
        clock: the time and sleeps for pacing and injected delays (tests pass a fake).
    """

    def __init__(self, model: LocalModel, *, clock: Clock | None = None) -> None:
        self.model = model
        self.clock = clock or Clock()

    def _answer(self, request: httpx.Request, body: bytes) -> LocalResponse:
        path = _below_prefix(request.url.path)
        query = dict(parse_qsl(request.url.query.decode("ascii", "replace")))
        headers = {k.lower(): v for k, v in request.headers.items()}
        return self.model.handle(request.method, path, query, headers, body)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        answer = self._answer(request, request.read())
        if answer.delay:
            self.clock.sleep(answer.delay)
        if answer.stall is not None:
            self.clock.sleep(_stalled_for(answer.stall, request))
            raise _after_stall(answer.stall, request, _NO_RESPONSE)
        if answer.drop:
            raise httpx.RemoteProtocolError(_NO_RESPONSE, request=request)
        if answer.events is None:
            return httpx.Response(
                answer.status, headers=answer.headers, content=answer.body, request=request
            )
        stream = _SyncEvents(answer, self.clock, request)
        return httpx.Response(answer.status, headers=answer.headers, stream=stream, request=request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        if may_block(_below_prefix(request.url.path)):  # off the caller's loop
            answer = await anyio.to_thread.run_sync(self._answer, request, body)
        else:
            answer = self._answer(request, body)
        if answer.delay:
            await self.clock.async_sleep(answer.delay)
        if answer.stall is not None:
            await self.clock.async_sleep(_stalled_for(answer.stall, request))
            raise _after_stall(answer.stall, request, _NO_RESPONSE)
        if answer.drop:
            raise httpx.RemoteProtocolError(_NO_RESPONSE, request=request)
        if answer.events is None:
            return httpx.Response(
                answer.status, headers=answer.headers, content=answer.body, request=request
            )
        stream = _AsyncEvents(answer, self.clock, request)
        return httpx.Response(answer.status, headers=answer.headers, stream=stream, request=request)


class _SyncEvents(httpx.SyncByteStream):
    def __init__(self, answer: LocalResponse, clock: Clock, request: httpx.Request) -> None:
        assert answer.events is not None
        self._events = answer.events
        self._interval = answer.chunk_delay
        self._clock = clock
        self._request = request

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from paced(self._events, self._interval, self._clock)
        except ConnectionResetError as exc:
            raise httpx.ReadError(f"peer closed connection: {exc}", request=self._request) from None
        except Stalled as stall:
            self._clock.sleep(_stalled_for(stall, self._request))
            raise _after_stall(stall, self._request, _CUT) from None


class _AsyncEvents(httpx.AsyncByteStream):
    def __init__(self, answer: LocalResponse, clock: Clock, request: httpx.Request) -> None:
        assert answer.events is not None
        self._events = answer.events
        self._interval = answer.chunk_delay
        self._clock = clock
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async with aclosing(apaced(self._events, self._interval, self._clock)) as events:
                async for event in events:
                    yield event
        except ConnectionResetError as exc:
            raise httpx.ReadError(f"peer closed connection: {exc}", request=self._request) from None
        except Stalled as stall:
            await self._clock.async_sleep(_stalled_for(stall, self._request))
            raise _after_stall(stall, self._request, _CUT) from None


def _below_prefix(path: str) -> str:
    return path[len(_PREFIX) :] if path.startswith(_PREFIX) else path


_NO_RESPONSE = "Server disconnected without sending a response."
_CUT = "peer closed connection without sending complete message body"
_FOREVER = 365 * 24 * 3600.0  # a stall with no end and no read timeout: as good as forever


def _read_timeout(request: httpx.Request) -> float | None:
    timeout = request.extensions.get("timeout") or {}
    read = timeout.get("read")
    return float(read) if read is not None else None


def _stalled_for(stall: Stalled, request: httpx.Request) -> float:
    """How long a stall holds the request: until its read timeout or its own end."""
    ends = [t for t in (_read_timeout(request), stall.seconds) if t is not None]
    return min(ends) if ends else _FOREVER


def _after_stall(stall: Stalled, request: httpx.Request, closed: str) -> httpx.TransportError:
    """What the client sees when a stall ends: its read timeout, or the server closing."""
    read = _read_timeout(request)
    if read is not None and (stall.seconds is None or read < stall.seconds):
        return httpx.ReadTimeout(f"timed out ({stall})", request=request)
    return httpx.RemoteProtocolError(closed, request=request)
