"""The raw HTTP answer behind a call (``with_raw_response``); ``parse()`` gives the object."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

import httpx

__all__ = ["APIResponse"]

_T = TypeVar("_T")


class APIResponse(Generic[_T]):
    """Status, headers and the request behind a call, with ``parse()`` for the typed result.

    Read ``headers["x-request-id"]`` or the ``x-ratelimit-*`` headers before (or instead of)
    parsing. For a streamed call ``parse()`` returns the ``Stream``.
    """

    def __init__(
        self, response: httpx.Response, parser: Callable[[], _T], *, retries_taken: int = 0
    ) -> None:
        self.http_response = response
        self.retries_taken = retries_taken
        self._parser = parser
        self._parsed: Any = _UNSET

    @property
    def headers(self) -> httpx.Headers:
        return self.http_response.headers

    @property
    def status_code(self) -> int:
        return self.http_response.status_code

    @property
    def http_request(self) -> httpx.Request:
        return self.http_response.request

    @property
    def url(self) -> httpx.URL:
        return self.http_response.url

    @property
    def request_id(self) -> str | None:
        """The server's ``x-request-id``, to quote when reporting a problem."""
        value: str | None = self.http_response.headers.get("x-request-id")
        return value

    @property
    def elapsed(self) -> float:
        """Seconds from sending the request to reading the last byte of the response headers."""
        return self.http_response.elapsed.total_seconds()

    @property
    def content(self) -> bytes:
        return self.http_response.content

    @property
    def text(self) -> str:
        return self.http_response.text

    def json(self) -> Any:
        return self.http_response.json()

    def parse(self) -> _T:
        """The typed result (parsed once, then cached)."""
        if self._parsed is _UNSET:
            self._parsed = self._parser()
        result: _T = self._parsed
        return result

    def __repr__(self) -> str:
        return f"<APIResponse [{self.status_code}] {self.http_request.method} {self.url}>"


_UNSET = object()
