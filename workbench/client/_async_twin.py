"""A client's async twin: an ``AsyncClient`` with the same settings, for callers that send
concurrently (a grid's cells) whichever client they were given."""

from __future__ import annotations

from typing import Any

import httpx

from ._client import AsyncClient, Client

__all__ = ["async_twin", "has_own_pool"]


def has_own_pool(client: Client | AsyncClient) -> bool:
    """Whether ``client`` sends through a connection pool it made (the default one, or the local
    model's in-process one) rather than an ``http_client`` of its caller's, which a twin must
    share: only the first kind can have a twin with a pool of its own."""
    return client._owns_client


def async_twin(
    client: Client | AsyncClient, *, http_client: httpx.AsyncClient | None = None, **overrides: Any
) -> AsyncClient:
    """An ``AsyncClient`` with ``client``'s settings (key, base URL, headers, timeout, retries,
    profile, cassette, local model) and ``overrides``, sending through ``http_client`` (a new
    pool of its own when None)."""
    return AsyncClient(**{**client._copy_kwargs(), "http_client": http_client, **overrides})
