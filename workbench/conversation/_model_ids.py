"""The model ids a conversation's client lists (``models.list()``), from a sync or async client.

The magics' ``%wb models`` and the widget's model box read them. A conversation's client need
not list models (``ChatClient`` asks only for ``chat.completions``), so a client without
``models`` is a ``TypeError`` that names it, for the caller to show or to pass over.
"""

from __future__ import annotations

from typing import Any

from ._tools import run_sync

__all__ = ["model_ids"]


def model_ids(client: object) -> list[str]:
    """The ids of the models ``client`` lists, sorted (an async client's are read to the end).

    Raises:
        TypeError: the client has no ``models.list()``.
        APIError: the server's answer, as the client raised it.
    """
    models = getattr(client, "models", None)
    if models is None:
        raise TypeError(f"this client ({type(client).__name__}) has no models.list()")
    listed = models.list()
    if not hasattr(listed, "__aiter__"):
        return sorted(model.id for model in listed)

    async def collect() -> list[Any]:
        return [model async for model in listed]

    return sorted(model.id for model in run_sync(collect))
