"""The client a grid's cells share for one run: one pool sized to the concurrency, and 429s handed
to the grid at once (so it can slow every cell down) instead of retried cell by cell."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from ..client._base import BaseClient
from ..client._chat_client import AsyncStreamingChatClient, StreamingChatClient
from ..client._client import AsyncClient, Client

__all__ = ["Sender", "open_sender"]


class _LeavesRateLimits(BaseClient):
    """A client that does not retry a 429 itself: the grid's limiter does, for every cell at
    once. Other errors (5xx, timeouts, connection errors) are retried as usual."""

    def _retry_after_status(
        self, response: httpx.Response, retries_taken: int, max_retries: int
    ) -> float | None:
        if response.status_code == 429 and response.headers.get("x-should-retry") != "false":
            return None
        return super()._retry_after_status(response, retries_taken, max_retries)


class _GridAsyncClient(_LeavesRateLimits, AsyncClient):
    """The ``AsyncClient`` of a grid's cells."""


class _GridClient(_LeavesRateLimits, Client):
    """The sync ``Client`` of a grid's cells (over an ``httpx.Client`` of the caller's)."""


@dataclass
class Sender:
    """What the cells of one run send with.

    Attributes:
        client: the client each cell's conversation uses.
        base_url: the server's base URL, for prices (None when unknown).
        pool: the connection pool opened for the run (closed by ``aclose``), or None.
    """

    client: StreamingChatClient | AsyncStreamingChatClient
    base_url: str | None
    pool: httpx.AsyncClient | None = None

    async def aclose(self) -> None:
        """Close the pool the run opened (a pool the caller gave stays open)."""
        if self.pool is not None:
            await self.pool.aclose()


def open_sender(client: StreamingChatClient | AsyncStreamingChatClient, concurrency: int) -> Sender:
    """The sender for one run of a grid whose client is ``client``.

    * A client with its own pool (the default, or the local model's): an async twin with a new
      pool of ``concurrency`` connections (a larger kept-alive pool only slows httpx down).
    * An ``AsyncClient`` over an ``http_client`` of the caller's: a twin sharing that pool.
    * A sync ``Client`` over an ``httpx.Client`` of the caller's, which has no async twin: a
      sync twin sharing that pool (each cell's conversation then sends in a worker thread).

    Every twin leaves 429s to the grid's limiter: retried by the client too, a rate-limited
    cell would be sent ``max_retries`` times more on its own, unseen by the limiter.
    * Anything else (an ``openai.AsyncOpenAI``, say): used as it is.
    """
    if not isinstance(client, (Client, AsyncClient)):
        return Sender(client, _base_url(client))
    base_url = str(client.base_url)
    kwargs = client._copy_kwargs()
    if client._owns_client:
        pool = httpx.AsyncClient(
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
            transport=_local_transport(client),
        )
        return Sender(_GridAsyncClient(**kwargs, http_client=pool), base_url, pool)
    if isinstance(client, AsyncClient):
        return Sender(_GridAsyncClient(**kwargs, http_client=client._client), base_url)
    return Sender(_GridClient(**kwargs, http_client=client._client), base_url)


def _local_transport(client: Client | AsyncClient) -> Any:
    if client.local_model is None:
        return None
    from ..local import LocalTransport

    return LocalTransport(client.local_model)


def _base_url(client: object) -> str | None:
    url = getattr(client, "base_url", None)
    return str(url) if url is not None else None
