"""The client a grid's cells share for one run: one pool sized to the concurrency, and 429s handed
to the grid at once (``retry_rate_limits=False``, so it can slow every cell down) instead of
retried cell by cell."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from ..client._async_twin import async_twin, has_own_pool
from ..client._chat_client import AsyncStreamingChatClient, StreamingChatClient
from ..client._client import AsyncClient, Client

__all__ = ["Sender", "open_sender"]


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
    _numbered: dict[int, Any] = field(default_factory=dict, repr=False)

    def for_repeat(self, repeat: int) -> StreamingChatClient | AsyncStreamingChatClient:
        """The client repeat number ``repeat`` of a cell sends with: one that numbers its
        requests with the ``x-workbench-repeat`` header (sharing the pool), so that the local
        model samples each repeat on its own and a repeat's reply does not depend on which of
        the concurrent identical requests came first (``workbench.local._variants``). Servers
        ignore a header they do not know; another package's client is used as it is."""
        client = self.client
        if not isinstance(client, (Client, AsyncClient)):
            return client
        numbered = self._numbered.get(repeat)
        if numbered is None:
            from ..local._variants import REPEAT_HEADER

            headers = {**client._custom_headers, REPEAT_HEADER: str(repeat)}
            numbered = self._numbered[repeat] = client.with_options(default_headers=headers)
            numbered._noted = client._noted  # say each of the profile's notes once per run
        return numbered

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
    * Anything else (an ``openai.AsyncOpenAI``, say): used as it is.

    Every twin has ``retry_rate_limits=False``: a 429 goes to the grid's limiter at once.
    Retried by the client too, a rate-limited cell would be sent ``max_retries`` times more on
    its own, unseen by the limiter.
    """
    if not isinstance(client, (Client, AsyncClient)):
        return Sender(client, _base_url(client))
    base_url = str(client.base_url)
    if has_own_pool(client):
        pool = httpx.AsyncClient(
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
            transport=_local_transport(client),
        )
        twin = async_twin(client, http_client=pool, retry_rate_limits=False)
        return Sender(twin, base_url, pool)
    return Sender(client.with_options(retry_rate_limits=False), base_url)


def _local_transport(client: Client | AsyncClient) -> Any:
    if client.local_model is None:
        return None
    from ..local import LocalTransport

    return LocalTransport(client.local_model)


def _base_url(client: object) -> str | None:
    url = getattr(client, "base_url", None)
    return str(url) if url is not None else None
