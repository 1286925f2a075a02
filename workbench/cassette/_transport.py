"""``CassetteTransport``: an httpx transport (sync and async) that records to or replays from a
``Cassette`` around the transport that really sends."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx

from .._exceptions import CassetteError, WorkbenchError
from ._cassette import Cassette
from ._format import (
    BASE_URL_EXTENSION,
    Exchange,
    RecordedRequest,
    Secrets,
    describe,
    recorded_error,
    recorded_response,
)

__all__ = ["CassetteTransport", "install"]

# Replayed streams come one event at a time, as a server sends them (after each blank line).
_EVENT_END = re.compile(rb"(?<=\r\n\r\n)|(?<=\n\n)|(?<=\r\r)")
# The body is recorded decoded, so these no longer describe what the client gets.
_DROPPED = frozenset({"content-encoding", "content-length"})


class CassetteTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Answers from ``cassette`` when it has the request (``replay``, ``record_missing``);
    otherwise sends through ``inner`` and records the exchange (``record``,
    ``record_missing``) as the body is read, passing each piece on as it arrives."""

    def __init__(self, cassette: Cassette, inner: Any) -> None:
        self.cassette = cassette
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        recorded, secrets = self._describe(request, request.read())
        replayed = self._replay(request, recorded)
        if replayed is not None:
            return replayed
        try:
            response = self.inner.handle_request(request)
        except httpx.RequestError as exc:
            self._record(request, Exchange(request=recorded, error=recorded_error(exc, secrets)))
            raise
        assert isinstance(response, httpx.Response)
        return self._recording(request, recorded, secrets, response)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        recorded, secrets = self._describe(request, await request.aread())
        replayed = self._replay(request, recorded)
        if replayed is not None:
            return replayed
        try:
            response = await self.inner.handle_async_request(request)
        except httpx.RequestError as exc:
            self._record(request, Exchange(request=recorded, error=recorded_error(exc, secrets)))
            raise
        assert isinstance(response, httpx.Response)
        return self._recording(request, recorded, secrets, response)

    def close(self) -> None:
        self.inner.close()

    async def aclose(self) -> None:
        await self.inner.aclose()

    # -- both ------------------------------------------------------------------------------

    @staticmethod
    def _describe(request: httpx.Request, content: bytes) -> tuple[RecordedRequest, Secrets]:
        secrets = Secrets.of(request.headers)
        return describe(request, content, secrets), secrets

    def _replay(self, request: httpx.Request, recorded: RecordedRequest) -> httpx.Response | None:
        """The recorded answer to ``request``; None to send it; raises on a miss in ``replay``."""
        if not self.cassette.replays:
            return None
        exchange = self.cassette.take(recorded)
        if exchange is None:
            if self.cassette.mode == "replay":
                raise self.cassette.miss(recorded)
            return None
        if exchange.response is None:
            assert exchange.error is not None
            raise exchange.error.to_httpx(request)
        response = exchange.response
        content = response.content()
        kind = response.headers.get("content-type", "")
        pieces = _EVENT_END.split(content) if "event-stream" in kind else [content]
        return httpx.Response(
            response.status,
            headers=[(k.encode(), v.encode()) for k, v in response.headers.items()],
            stream=_Replayed([p for p in pieces if p], exchange, request),
            request=request,
        )

    def _record(self, request: httpx.Request, exchange: Exchange) -> None:
        base_url = request.extensions.get(BASE_URL_EXTENSION)
        self.cassette.append(exchange, base_url if isinstance(base_url, str) else None)

    def _recording(
        self,
        request: httpx.Request,
        recorded: RecordedRequest,
        secrets: Secrets,
        response: httpx.Response,
    ) -> httpx.Response:
        """``response`` with a body that records the exchange once it is read (or closed)."""

        def finish(content: bytes, complete: bool, error: Exception | None) -> None:
            self._record(
                request,
                Exchange(
                    request=recorded,
                    response=recorded_response(response, content, secrets, complete=complete),
                    error=None if error is None else recorded_error(error, secrets),
                ),
            )

        response.request = request
        headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _DROPPED]
        return httpx.Response(
            response.status_code,
            headers=headers,
            stream=_Recorder(response, finish),
            extensions=response.extensions,
            request=request,
        )


class _Recorder(httpx.SyncByteStream, httpx.AsyncByteStream):
    """Passes the (decoded) body on piece by piece, and records it once: at its end, at an
    error (then raised), or, when the reader stops early, at close."""

    def __init__(
        self, response: httpx.Response, finish: Callable[[bytes, bool, Exception | None], None]
    ) -> None:
        self._response = response
        self._finish = finish
        self._pieces: list[bytes] = []
        self._done = False

    def _end(self, complete: bool, error: Exception | None = None) -> None:
        if not self._done:
            self._done = True
            self._finish(b"".join(self._pieces), complete, error)

    def __iter__(self) -> Iterator[bytes]:
        try:
            for piece in self._response.iter_bytes():
                self._pieces.append(piece)
                yield piece
        except httpx.RequestError as exc:
            self._end(False, exc)
            raise
        self._end(True)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for piece in self._response.aiter_bytes():
                self._pieces.append(piece)
                yield piece
        except httpx.RequestError as exc:
            self._end(False, exc)
            raise
        self._end(True)

    def close(self) -> None:
        self._end(False)
        self._response.close()

    async def aclose(self) -> None:
        self._end(False)
        await self._response.aclose()


class _Replayed(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A recorded body, piece by piece; then the recorded error, if the body ended in one."""

    def __init__(self, pieces: list[bytes], exchange: Exchange, request: httpx.Request) -> None:
        self._pieces = pieces
        self._exchange = exchange
        self._request = request

    def _ending(self) -> Exception | None:
        exchange = self._exchange
        if exchange.error is not None:
            return exchange.error.to_httpx(self._request)
        assert exchange.response is not None
        if not exchange.response.complete:
            size = sum(map(len, self._pieces))
            return CassetteError(
                f"this response was recorded only up to byte {size} (its reader stopped"
                " there), and this reader wants more: record it again"
            )
        return None

    def __iter__(self) -> Iterator[bytes]:
        yield from self._pieces
        error = self._ending()
        if error is not None:
            raise error

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self._pieces:
            yield piece
        error = self._ending()
        if error is not None:
            raise error


def install(http_client: httpx.Client | httpx.AsyncClient, cassette: Cassette) -> None:
    """Route every request of ``http_client`` through ``cassette``, in place.

    httpx has no public way to wrap the transports of a built client, so this wraps its
    ``_transport`` and mounted (proxy) transports; done again with the same cassette (as
    ``with_options`` does when it shares the pool) it changes nothing.
    """
    if not hasattr(http_client, "_transport") or not hasattr(http_client, "_mounts"):
        raise WorkbenchError(
            "cannot record or replay through this httpx version's client: its transports moved"
        )
    current = http_client._transport
    if isinstance(current, CassetteTransport):
        if current.cassette is cassette:
            return
        raise WorkbenchError(
            f"this http_client already goes through the cassette {current.cassette.path}"
        )
    http_client._transport = CassetteTransport(cassette, current)
    for pattern, mounted in http_client._mounts.items():
        if mounted is not None:
            http_client._mounts[pattern] = CassetteTransport(cassette, mounted)
