"""Pages of list results that fetch the following pages on their own when iterated."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator
from typing import Any, Generic, TypeVar

import pydantic

__all__ = ["AsyncCursorPage", "AsyncPaginator", "CursorPage", "SyncCursorPage"]

_T = TypeVar("_T", bound=pydantic.BaseModel)


class CursorPage(pydantic.BaseModel, Generic[_T]):
    """One page of a list: ``data``, and the cursor fields the API sends with it."""

    model_config = pydantic.ConfigDict(extra="allow")

    data: list[_T]
    object: str = "list"
    has_more: bool = False
    first_id: str | None = None
    last_id: str | None = None

    def next_cursor(self) -> str | None:
        """The ``after`` value of the next page, or None on the last page."""
        if not self.has_more or not self.data:
            return None
        last = self.last_id or getattr(self.data[-1], "id", None)
        return str(last) if last else None


class _PageView(Generic[_T]):
    """What both page kinds show of the page they hold."""

    _page: CursorPage[_T]

    @property
    def data(self) -> list[_T]:
        """The items of this page."""
        return self._page.data

    @property
    def has_more(self) -> bool:
        return self._page.has_more

    @property
    def last_id(self) -> str | None:
        return self._page.last_id

    def has_next_page(self) -> bool:
        return self._page.next_cursor() is not None


class SyncCursorPage(_PageView[_T]):
    """A page of results; iterating it walks every item of every following page."""

    def __init__(self, page: CursorPage[_T], fetch: Callable[[str], CursorPage[_T]]) -> None:
        self._page = page
        self._fetch = fetch

    def get_next_page(self) -> SyncCursorPage[_T]:
        """The following page; raises ``StopIteration``-free ``LookupError`` on the last page."""
        cursor = self._page.next_cursor()
        if cursor is None:
            raise LookupError("this is the last page")
        return SyncCursorPage(self._fetch(cursor), self._fetch)

    def iter_pages(self) -> Iterator[SyncCursorPage[_T]]:
        page: SyncCursorPage[_T] = self
        while True:
            yield page
            if not page.has_next_page():
                return
            page = page.get_next_page()

    def __iter__(self) -> Iterator[_T]:
        for page in self.iter_pages():
            yield from page.data

    def __repr__(self) -> str:
        return f"SyncCursorPage(data=[{len(self.data)} items], has_more={self.has_more})"


class AsyncCursorPage(_PageView[_T]):
    """An async page of results; ``async for`` walks every item of every following page."""

    def __init__(
        self, page: CursorPage[_T], fetch: Callable[[str], Awaitable[CursorPage[_T]]]
    ) -> None:
        self._page = page
        self._fetch = fetch

    async def get_next_page(self) -> AsyncCursorPage[_T]:
        cursor = self._page.next_cursor()
        if cursor is None:
            raise LookupError("this is the last page")
        return AsyncCursorPage(await self._fetch(cursor), self._fetch)

    async def iter_pages(self) -> AsyncIterator[AsyncCursorPage[_T]]:
        page: AsyncCursorPage[_T] = self
        while True:
            yield page
            if not page.has_next_page():
                return
            page = await page.get_next_page()

    async def __aiter__(self) -> AsyncIterator[_T]:
        async for page in self.iter_pages():
            for item in page.data:
                yield item

    def __repr__(self) -> str:
        return f"AsyncCursorPage(data=[{len(self.data)} items], has_more={self.has_more})"


class AsyncPaginator(Generic[_T]):
    """What an async ``list()`` returns: ``await`` it for the first page, or ``async for`` items."""

    def __init__(self, first: Callable[[], Awaitable[AsyncCursorPage[_T]]]) -> None:
        self._first = first

    def __await__(self) -> Generator[Any, None, AsyncCursorPage[_T]]:
        return self._first().__await__()

    async def __aiter__(self) -> AsyncIterator[_T]:
        page = await self._first()
        async for item in page:
            yield item
