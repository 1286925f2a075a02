"""A response whose body is a file, not JSON (``files.content``): bytes, text, or a file."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx

__all__ = ["BinaryResponseContent"]


class BinaryResponseContent:
    """The body of a file download, read whole (openai's ``HttpxBinaryResponseContent``).

    The sync and async clients return the same class; the ``a``-prefixed methods serve
    ``async`` code.
    """

    def __init__(self, response: httpx.Response) -> None:
        self.response = response

    @property
    def content(self) -> bytes:
        return self.response.content

    @property
    def text(self) -> str:
        return self.response.text

    @property
    def encoding(self) -> str | None:
        return self.response.encoding

    @property
    def charset_encoding(self) -> str | None:
        return self.response.charset_encoding

    def json(self, **kwargs: Any) -> Any:
        """The body parsed as one JSON value (a JSONL file is not one: read ``.text``)."""
        return self.response.json(**kwargs)

    def read(self) -> bytes:
        return self.response.read()

    def iter_bytes(self, chunk_size: int | None = None) -> Iterator[bytes]:
        return self.response.iter_bytes(chunk_size)

    def iter_text(self, chunk_size: int | None = None) -> Iterator[str]:
        return self.response.iter_text(chunk_size)

    def iter_lines(self) -> Iterator[str]:
        return self.response.iter_lines()

    def write_to_file(self, file: str | os.PathLike[str]) -> None:
        """Write the body to ``file`` (replacing it)."""
        Path(file).write_bytes(self.content)

    def close(self) -> None:
        self.response.close()

    async def aread(self) -> bytes:
        return await self.response.aread()

    async def aiter_bytes(self, chunk_size: int | None = None) -> AsyncIterator[bytes]:
        """The body in pieces: ``async for piece in await content.aiter_bytes()`` (as openai)."""
        return self.response.aiter_bytes(chunk_size)

    async def aiter_text(self, chunk_size: int | None = None) -> AsyncIterator[str]:
        return self.response.aiter_text(chunk_size)

    async def aiter_lines(self) -> AsyncIterator[str]:
        return self.response.aiter_lines()

    async def awrite_to_file(self, file: str | os.PathLike[str]) -> None:
        """Write the body to ``file`` (replacing it)."""
        self.write_to_file(file)

    async def aclose(self) -> None:
        await self.response.aclose()

    def __repr__(self) -> str:
        return f"<BinaryResponseContent [{self.response.status_code}] {len(self.content)} bytes>"
