"""The local model as an httpx transport: in-process, same bytes on the wire as a server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from urllib.parse import parse_qsl

import httpx

from ._core import LocalModel, LocalResponse

__all__ = ["LocalTransport"]

_PREFIX = "/v1"


class LocalTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Answers requests with a ``LocalModel``; works for ``httpx.Client`` and ``httpx.AsyncClient``.

    Streams come as one HTTP chunk per event, as a server sends them; pacing and injected faults
    (latency, dropped connections, cut streams) happen here as they would on a network.
    """

    def __init__(self, model: LocalModel) -> None:
        self.model = model

    def _answer(self, request: httpx.Request, body: bytes) -> LocalResponse:
        path = request.url.path
        if path.startswith(_PREFIX):
            path = path[len(_PREFIX) :]
        query = dict(parse_qsl(request.url.query.decode("ascii", "replace")))
        headers = {k.lower(): v for k, v in request.headers.items()}
        return self.model.handle(request.method, path, query, headers, body)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        answer = self._answer(request, request.read())
        if answer.delay:
            time.sleep(answer.delay)
        if answer.drop:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            )
        if answer.events is None:
            return httpx.Response(
                answer.status, headers=answer.headers, content=answer.body, request=request
            )
        stream = _SyncEvents(answer.events, answer.chunk_delay, request)
        return httpx.Response(answer.status, headers=answer.headers, stream=stream, request=request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        answer = self._answer(request, await request.aread())
        if answer.delay:
            await asyncio.sleep(answer.delay)
        if answer.drop:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            )
        if answer.events is None:
            return httpx.Response(
                answer.status, headers=answer.headers, content=answer.body, request=request
            )
        stream = _AsyncEvents(answer.events, answer.chunk_delay, request)
        return httpx.Response(answer.status, headers=answer.headers, stream=stream, request=request)


class _SyncEvents(httpx.SyncByteStream):
    def __init__(self, events: Iterator[bytes], delay: float, request: httpx.Request) -> None:
        self._events = events
        self._delay = delay
        self._request = request

    def __iter__(self) -> Iterator[bytes]:
        try:
            for i, event in enumerate(self._events):
                if self._delay and i:
                    time.sleep(self._delay)
                yield event
        except ConnectionResetError as exc:
            raise httpx.ReadError(f"peer closed connection: {exc}", request=self._request) from None


class _AsyncEvents(httpx.AsyncByteStream):
    def __init__(self, events: Iterator[bytes], delay: float, request: httpx.Request) -> None:
        self._events = events
        self._delay = delay
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            for i, event in enumerate(self._events):
                if self._delay and i:
                    await asyncio.sleep(self._delay)
                yield event
        except ConnectionResetError as exc:
            raise httpx.ReadError(f"peer closed connection: {exc}", request=self._request) from None
