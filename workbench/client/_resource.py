"""What every resource shares: the client it talks through, raw mode, request options, pages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from .._exceptions import InvalidParameterError
from .._sentinels import NOT_GIVEN, strip_not_given
from ..types.completion_create_params import RequestOptions as OptionsParams
from ._pagination import AsyncCursorPage, AsyncPaginator, CursorPage, SyncCursorPage
from ._request_options import RequestOptions

if TYPE_CHECKING:
    from ._client import AsyncClient, Client

__all__ = ["AsyncResource", "Resource", "extra_options", "options", "path_id"]

_R = TypeVar("_R")


def path_id(name: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidParameterError(name, f"must be a non-empty string, got {value!r}")
    return value


def extra_options(
    extra_headers: object, extra_query: object, extra_body: object, timeout: object
) -> OptionsParams:
    """The per-request options a method took as keywords, those given, for ``options``."""
    given: Any = strip_not_given(
        {
            "extra_headers": extra_headers,
            "extra_query": extra_query,
            "extra_body": extra_body,
            "timeout": timeout,
        }
    )
    return given  # type: ignore[no-any-return]


def options(method: str, path: str, extra: OptionsParams, **fields: Any) -> RequestOptions:
    return RequestOptions(
        method=method,
        path=path,
        headers=extra.get("extra_headers"),
        extra_query=extra.get("extra_query"),
        extra_body=extra.get("extra_body"),
        timeout=extra.get("timeout", NOT_GIVEN),
        **fields,
    )


class Resource:
    """A group of endpoints; ``raw=True`` makes its methods return ``APIResponse``."""

    def __init__(self, client: Client | AsyncClient, *, raw: bool = False) -> None:
        self._client = client
        self._raw = raw

    def _page(self, path: str, query: dict[str, Any], extra: OptionsParams, item: type[_R]) -> Any:
        """The first page of a cursor list, with a fetcher for the following ones."""
        cast_to: Any = CursorPage[item]  # type: ignore[valid-type]

        def fetch(after: str | None) -> CursorPage[Any]:
            params = {**query, "after": after} if after else query
            request_options = options("get", path, extra, params=params)
            result: Any = self._client._request(request_options, cast_to=cast_to)
            return result  # type: ignore[no-any-return]

        if self._raw:  # the first page's APIResponse; .parse() gives the walking page
            first = options("get", path, extra, params=query)
            return self._client._request(
                first, cast_to=cast_to, raw=True, post_parser=lambda p: SyncCursorPage(p, fetch)
            )
        return SyncCursorPage(fetch(query.get("after")), fetch)


class AsyncResource(Resource):
    """A group of async endpoints."""

    def _page(self, path: str, query: dict[str, Any], extra: OptionsParams, item: type[_R]) -> Any:
        """An awaitable, async-iterable paginator over a cursor list."""
        cast_to: Any = CursorPage[item]  # type: ignore[valid-type]

        async def fetch(after: str | None) -> CursorPage[Any]:
            params = {**query, "after": after} if after else query
            request_options = options("get", path, extra, params=params)
            result: Any = await self._client._request(request_options, cast_to=cast_to)
            return result  # type: ignore[no-any-return]

        if self._raw:  # awaitable: the first page's APIResponse; .parse() gives the page
            first_options = options("get", path, extra, params=query)
            return self._client._request(
                first_options,
                cast_to=cast_to,
                raw=True,
                post_parser=lambda p: AsyncCursorPage(p, fetch),
            )

        async def first() -> AsyncCursorPage[Any]:
            return AsyncCursorPage(await fetch(query.get("after")), fetch)

        return AsyncPaginator(first)
