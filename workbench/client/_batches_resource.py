"""The ``batches`` resource: submit a file of requests to run within 24 hours, follow it,
cancel it, sync and async."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import httpx
from typing_extensions import Unpack

from .._sentinels import NOT_GIVEN, NotGiven
from ..types.batch import Batch
from ..types.completion_create_params import Body, Headers, Query
from ..types.completion_create_params import RequestOptions as OptionsParams
from ._files_batches_params import batch_body, list_query
from ._pagination import AsyncPaginator, SyncCursorPage
from ._request_options import RequestOptions
from ._resource import AsyncResource, Resource, extra_options, options, path_id

if TYPE_CHECKING:
    from ._client import AsyncClient, Client

__all__ = ["AsyncBatches", "BatchEndpoint", "Batches"]

BatchEndpoint = Literal[
    "/v1/responses", "/v1/chat/completions", "/v1/embeddings", "/v1/completions"
]
MAX_LIST_LIMIT = 100


def _cancel_options(batch_id: str, extra: OptionsParams) -> RequestOptions:
    return options("post", f"/batches/{path_id('batch_id', batch_id)}/cancel", extra)


def _retrieve_options(batch_id: str, extra: OptionsParams) -> RequestOptions:
    return options("get", f"/batches/{path_id('batch_id', batch_id)}", extra)


class Batches(Resource):
    """``client.batches``."""

    _client: Client

    @property
    def with_raw_response(self) -> Batches:
        """The same methods, returning an ``APIResponse`` (headers, status, ``.parse()``)."""
        return Batches(self._client, raw=True)

    def create(
        self,
        *,
        completion_window: Literal["24h"],
        endpoint: BatchEndpoint,
        input_file_id: str,
        metadata: dict[str, str] | NotGiven | None = NOT_GIVEN,
        output_expires_after: dict[str, Any] | NotGiven = NOT_GIVEN,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN,
    ) -> Batch:
        """Submit the requests of an uploaded file (``purpose="batch"``) as a batch.

        Args:
            completion_window: ``"24h"``, the only window the API offers.
            endpoint: what every line calls: ``/v1/responses``, ``/v1/chat/completions``,
                ``/v1/embeddings`` or ``/v1/completions``.
            input_file_id: the uploaded JSONL file of requests.
            metadata: at most 16 string pairs (keys <= 64 characters, values <= 512).
            output_expires_after: ``{"anchor": "created_at", "seconds": 3600 to 2592000}``.

        Raises:
            InvalidParameterError: before sending, naming the parameter and what it allows.
        """
        body = batch_body(
            completion_window, endpoint, input_file_id, metadata, output_expires_after
        )
        extra = extra_options(extra_headers, extra_query, extra_body, timeout)
        request = options("post", "/batches", extra, json_data=body)
        result: Any = self._client._request(request, cast_to=Batch, raw=self._raw)
        return result  # type: ignore[no-any-return]

    def retrieve(self, batch_id: str, **extra: Unpack[OptionsParams]) -> Batch:
        """A batch as it is now: its status, request counts and files."""
        request = _retrieve_options(batch_id, extra)
        result: Any = self._client._request(request, cast_to=Batch, raw=self._raw)
        return result  # type: ignore[no-any-return]

    def list(
        self,
        *,
        after: str | NotGiven = NOT_GIVEN,
        limit: int | NotGiven = NOT_GIVEN,
        **extra: Unpack[OptionsParams],
    ) -> SyncCursorPage[Batch]:
        """Your batches, newest first: a page; iterating it walks the following pages."""
        query = list_query(after=after, limit=limit, most=MAX_LIST_LIMIT)
        result: Any = self._page("/batches", query, extra, Batch)
        return result  # type: ignore[no-any-return]

    def cancel(self, batch_id: str, **extra: Unpack[OptionsParams]) -> Batch:
        """Cancel a batch: it is ``cancelling``, then ``cancelled`` with what was done."""
        request = _cancel_options(batch_id, extra)
        result: Any = self._client._request(request, cast_to=Batch, raw=self._raw)
        return result  # type: ignore[no-any-return]


class AsyncBatches(AsyncResource):
    """``client.batches`` of the ``AsyncClient``."""

    _client: AsyncClient

    @property
    def with_raw_response(self) -> AsyncBatches:
        """The same methods, returning an ``APIResponse`` (headers, status, ``.parse()``)."""
        return AsyncBatches(self._client, raw=True)

    async def create(
        self,
        *,
        completion_window: Literal["24h"],
        endpoint: BatchEndpoint,
        input_file_id: str,
        metadata: dict[str, str] | NotGiven | None = NOT_GIVEN,
        output_expires_after: dict[str, Any] | NotGiven = NOT_GIVEN,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN,
    ) -> Batch:
        """Submit the requests of an uploaded file as a batch; see ``Batches.create``."""
        body = batch_body(
            completion_window, endpoint, input_file_id, metadata, output_expires_after
        )
        extra = extra_options(extra_headers, extra_query, extra_body, timeout)
        request = options("post", "/batches", extra, json_data=body)
        result: Any = await self._client._request(request, cast_to=Batch, raw=self._raw)
        return result  # type: ignore[no-any-return]

    async def retrieve(self, batch_id: str, **extra: Unpack[OptionsParams]) -> Batch:
        """A batch as it is now: its status, request counts and files."""
        request = _retrieve_options(batch_id, extra)
        result: Any = await self._client._request(request, cast_to=Batch, raw=self._raw)
        return result  # type: ignore[no-any-return]

    def list(
        self,
        *,
        after: str | NotGiven = NOT_GIVEN,
        limit: int | NotGiven = NOT_GIVEN,
        **extra: Unpack[OptionsParams],
    ) -> AsyncPaginator[Batch]:
        """Your batches: ``await`` for the first page, or ``async for`` every batch."""
        query = list_query(after=after, limit=limit, most=MAX_LIST_LIMIT)
        result: Any = self._page("/batches", query, extra, Batch)
        return result  # type: ignore[no-any-return]

    async def cancel(self, batch_id: str, **extra: Unpack[OptionsParams]) -> Batch:
        """Cancel a batch: it is ``cancelling``, then ``cancelled`` with what was done."""
        request = _cancel_options(batch_id, extra)
        result: Any = await self._client._request(request, cast_to=Batch, raw=self._raw)
        return result  # type: ignore[no-any-return]
