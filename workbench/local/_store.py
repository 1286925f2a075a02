"""Stored completions of the local model: kept in memory, listed with cursors like the API's."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["CompletionStore", "page"]


class CompletionStore:
    """Completions made with ``store=True`` and their input messages; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._completions: dict[str, dict[str, Any]] = {}
        self._messages: dict[str, list[dict[str, Any]]] = {}

    def put(self, completion: dict[str, Any], messages: Sequence[Mapping[str, Any]]) -> None:
        """Store a completion with the messages that produced it."""
        with self._lock:
            self._completions[completion["id"]] = completion
            self._messages[completion["id"]] = [
                {**dict(m), "id": f"{completion['id']}-{i}"} for i, m in enumerate(messages)
            ]

    def get(self, completion_id: str) -> dict[str, Any] | None:
        with self._lock:
            return self._completions.get(completion_id)

    def update(
        self, completion_id: str, metadata: Mapping[str, str] | None
    ) -> dict[str, Any] | None:
        with self._lock:
            completion = self._completions.get(completion_id)
            if completion is not None:
                completion["metadata"] = dict(metadata or {})
            return completion

    def delete(self, completion_id: str) -> bool:
        with self._lock:
            self._messages.pop(completion_id, None)
            return self._completions.pop(completion_id, None) is not None

    def list(
        self,
        *,
        after: str | None,
        limit: int,
        order: str,
        model: str | None,
        metadata: Mapping[str, str],
    ) -> dict[str, Any]:
        """A page of completions, oldest first for ``order="asc"``, newest first otherwise."""
        with self._lock:
            items = [
                c
                for c in self._completions.values()
                if (model is None or c["model"] == model)
                and all((c.get("metadata") or {}).get(k) == v for k, v in metadata.items())
            ]
        if order != "asc":
            items.reverse()
        return page(items, after, limit)

    def messages(
        self, completion_id: str, *, after: str | None, limit: int, order: str
    ) -> dict[str, Any] | None:
        """A page of a stored completion's input messages; None when there is no such completion."""
        with self._lock:
            messages = self._messages.get(completion_id)
            if messages is None:
                return None
            items = list(messages)
        if order == "desc":
            items.reverse()
        return page(items, after, limit)


def page(items: list[dict[str, Any]], after: str | None, limit: int) -> dict[str, Any]:
    start = 0
    if after is not None:
        ids = [item["id"] for item in items]
        start = ids.index(after) + 1 if after in ids else len(items)
    data = items[start : start + limit]
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": start + limit < len(items),
    }
