"""The local model's files (``/v1/files``): kept in memory, listed with cursors like the API's."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ._store import page

__all__ = ["UPLOAD_PURPOSES", "FileStore", "StoredFile", "new_id"]

UPLOAD_PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
"""The purposes a client may upload a file with (the API writes ``batch_output`` itself)."""


def new_id(prefix: str) -> str:
    """An id as the API makes them: a prefix and random letters (never reused by a restart)."""
    return f"{prefix}{secrets.token_hex(12)}"


@dataclass
class StoredFile:
    """A file's bytes and what the API says of it."""

    id: str
    filename: str
    purpose: str
    content: bytes
    created_at: int
    expires_at: int | None = None

    def to_object(self) -> dict[str, Any]:
        """The ``file`` object the API answers with."""
        return {
            "id": self.id,
            "object": "file",
            "bytes": len(self.content),
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": "processed",
            "status_details": None,
        }


class FileStore:
    """Files by id, in the order they were made; thread-safe. A file past its ``expires_at``
    (by ``now``, the local model's batch clock) is gone, as the API deletes it.

    Args:
        now: the current time in Unix seconds (the simulated time of ``BatchTiming``).
    """

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now
        self._lock = threading.Lock()
        self._files: dict[str, StoredFile] = {}

    def add(
        self,
        filename: str,
        purpose: str,
        content: bytes,
        *,
        expires_after: int | None = None,
        created_at: float | None = None,
    ) -> StoredFile:
        """Keep a new file; ``expires_after``: seconds from its creation until it is deleted;
        ``created_at``: when it was made (default: now; a batch's output file: when the batch
        ended, which may be before the request that brought the batch up to date)."""
        created = int(self._now() if created_at is None else created_at)
        stored = StoredFile(
            id=new_id("file-"),
            filename=filename,
            purpose=purpose,
            content=content,
            created_at=created,
            expires_at=None if expires_after is None else created + expires_after,
        )
        with self._lock:
            self._files[stored.id] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        """The file, or None when there is none (or it has expired)."""
        with self._lock:
            self._forget_expired()
            return self._files.get(file_id)

    def delete(self, file_id: str) -> bool:
        with self._lock:
            self._forget_expired()
            return self._files.pop(file_id, None) is not None

    def list(
        self, *, purpose: str | None, after: str | None, limit: int, order: str
    ) -> dict[str, Any]:
        """A page of files, newest first for ``order="desc"`` (the API's default)."""
        with self._lock:
            self._forget_expired()
            items = [f.to_object() for f in self._files.values() if purpose in (None, f.purpose)]
        if order == "desc":
            items.reverse()
        return page(items, after, limit)

    def _forget_expired(self) -> None:
        now = self._now()
        for gone in [f.id for f in self._files.values() if f.expires_at and f.expires_at <= now]:
            del self._files[gone]
