"""The ``files`` resource: upload, list, read and delete files (a batch's input and output),
sync and async."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import httpx
from typing_extensions import Unpack

from .._exceptions import WorkbenchError
from .._sentinels import NOT_GIVEN, NotGiven
from ..types.completion_create_params import Body, Headers, Query
from ..types.completion_create_params import RequestOptions as OptionsParams
from ..types.file_object import FileDeleted, FileObject, FilePurpose
from ._binary_response import BinaryResponseContent
from ._file_upload import FileTypes, file_part
from ._files_batches_params import check_expires_after, check_purpose, list_query
from ._pagination import AsyncPaginator, SyncCursorPage
from ._request_options import RequestOptions
from ._resource import AsyncResource, Resource, extra_options, options, path_id
from ._response import APIResponse

if TYPE_CHECKING:
    from ._client import AsyncClient, Client

__all__ = ["AsyncFiles", "Files"]

MAX_LIST_LIMIT = 10_000
_DONE = frozenset({"processed", "error", "deleted"})


def _create_options(
    file: object, purpose: object, expires_after: object, extra: OptionsParams
) -> RequestOptions:
    """A multipart upload, checked (and the file read whole) before anything is sent."""
    form = {"purpose": check_purpose(purpose)}
    expiry = check_expires_after("expires_after", expires_after)
    if not isinstance(expiry, NotGiven):
        form["expires_after"] = expiry
    return options("post", "/files", extra, json_data=form, files=[("file", file_part(file))])


def _content_options(file_id: str, extra: OptionsParams) -> RequestOptions:
    headers = {"Accept": "application/binary", **(extra.get("extra_headers") or {})}
    extra = {**extra, "extra_headers": headers}
    return options("get", f"/files/{path_id('file_id', file_id)}/content", extra)


def _binary(result: Any) -> Any:
    """What ``content`` returns for ``result`` (an ``APIResponse``): the body, or, in raw mode,
    an ``APIResponse`` whose ``parse()`` gives the body."""
    response: APIResponse[Any] = result
    binary = BinaryResponseContent(response.http_response)
    return APIResponse(response.http_response, lambda: binary, retries_taken=response.retries_taken)


def _give_up(file_id: str, max_wait_seconds: float) -> WorkbenchError:
    return WorkbenchError(
        f"file {file_id} was still being processed after {max_wait_seconds} seconds"
    )


class Files(Resource):
    """``client.files``."""

    _client: Client

    @property
    def with_raw_response(self) -> Files:
        """The same methods, returning an ``APIResponse`` (headers, status, ``.parse()``)."""
        return Files(self._client, raw=True)

    def create(
        self,
        *,
        file: FileTypes,
        purpose: FilePurpose,
        expires_after: dict[str, Any] | NotGiven = NOT_GIVEN,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN,
    ) -> FileObject:
        """Upload a file (``purpose="batch"`` for a batch's input JSONL).

        Args:
            file: bytes, a ``pathlib.Path``, a binary file object, or a tuple
                ``(filename, content[, content_type])``; read whole before sending.
            purpose: ``assistants``, ``batch``, ``fine-tune``, ``vision``, ``user_data`` or
                ``evals``.
            expires_after: ``{"anchor": "created_at", "seconds": 3600 to 2592000}``.

        Raises:
            InvalidParameterError: before sending: a bad purpose or expiry, an empty or
                text-mode file, a path that cannot be read.
        """
        extra = extra_options(extra_headers, extra_query, extra_body, timeout)
        request = _create_options(file, purpose, expires_after, extra)
        result: Any = self._client._request(request, cast_to=FileObject, raw=self._raw)
        return result  # type: ignore[no-any-return]

    def retrieve(self, file_id: str, **extra: Unpack[OptionsParams]) -> FileObject:
        """One file's record by id."""
        request = options("get", f"/files/{path_id('file_id', file_id)}", extra)
        result: Any = self._client._request(request, cast_to=FileObject, raw=self._raw)
        return result  # type: ignore[no-any-return]

    def list(
        self,
        *,
        after: str | NotGiven = NOT_GIVEN,
        limit: int | NotGiven = NOT_GIVEN,
        order: str | NotGiven = NOT_GIVEN,
        purpose: str | NotGiven = NOT_GIVEN,
        **extra: Unpack[OptionsParams],
    ) -> SyncCursorPage[FileObject]:
        """The files (of one ``purpose``): a page; iterating it walks the following pages."""
        query = list_query(
            after=after, limit=limit, most=MAX_LIST_LIMIT, order=order, purpose=purpose
        )
        result: Any = self._page("/files", query, extra, FileObject)
        return result  # type: ignore[no-any-return]

    def delete(self, file_id: str, **extra: Unpack[OptionsParams]) -> FileDeleted:
        """Delete a file."""
        request = options("delete", f"/files/{path_id('file_id', file_id)}", extra)
        result: Any = self._client._request(request, cast_to=FileDeleted, raw=self._raw)
        return result  # type: ignore[no-any-return]

    def content(self, file_id: str, **extra: Unpack[OptionsParams]) -> BinaryResponseContent:
        """A file's bytes (``.content``, ``.text``, ``.write_to_file(path)``)."""
        request = _content_options(file_id, extra)
        result = _binary(self._client._request(request, cast_to=FileObject, raw=True))
        return result if self._raw else result.parse()  # type: ignore[no-any-return]

    def wait_for_processing(
        self, id: str, *, poll_interval: float = 5.0, max_wait_seconds: float = 30 * 60
    ) -> FileObject:
        """The file once it is processed (or failed), polling every ``poll_interval`` seconds.

        Raises:
            WorkbenchError: still processing after ``max_wait_seconds``.
        """
        files = Files(self._client)  # parsed records, in raw mode too
        start = time.monotonic()
        file = files.retrieve(id)
        while file.status not in _DONE:
            if time.monotonic() - start > max_wait_seconds:
                raise _give_up(id, max_wait_seconds)
            self._client._sleep(poll_interval)
            file = files.retrieve(id)
        return file


class AsyncFiles(AsyncResource):
    """``client.files`` of the ``AsyncClient``."""

    _client: AsyncClient

    @property
    def with_raw_response(self) -> AsyncFiles:
        """The same methods, returning an ``APIResponse`` (headers, status, ``.parse()``)."""
        return AsyncFiles(self._client, raw=True)

    async def create(
        self,
        *,
        file: FileTypes,
        purpose: FilePurpose,
        expires_after: dict[str, Any] | NotGiven = NOT_GIVEN,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN,
    ) -> FileObject:
        """Upload a file; see ``Files.create``."""
        extra = extra_options(extra_headers, extra_query, extra_body, timeout)
        request = _create_options(file, purpose, expires_after, extra)
        result: Any = await self._client._request(request, cast_to=FileObject, raw=self._raw)
        return result  # type: ignore[no-any-return]

    async def retrieve(self, file_id: str, **extra: Unpack[OptionsParams]) -> FileObject:
        """One file's record by id."""
        request = options("get", f"/files/{path_id('file_id', file_id)}", extra)
        result: Any = await self._client._request(request, cast_to=FileObject, raw=self._raw)
        return result  # type: ignore[no-any-return]

    def list(
        self,
        *,
        after: str | NotGiven = NOT_GIVEN,
        limit: int | NotGiven = NOT_GIVEN,
        order: str | NotGiven = NOT_GIVEN,
        purpose: str | NotGiven = NOT_GIVEN,
        **extra: Unpack[OptionsParams],
    ) -> AsyncPaginator[FileObject]:
        """The files: ``await`` for the first page, or ``async for`` every file."""
        query = list_query(
            after=after, limit=limit, most=MAX_LIST_LIMIT, order=order, purpose=purpose
        )
        result: Any = self._page("/files", query, extra, FileObject)
        return result  # type: ignore[no-any-return]

    async def delete(self, file_id: str, **extra: Unpack[OptionsParams]) -> FileDeleted:
        """Delete a file."""
        request = options("delete", f"/files/{path_id('file_id', file_id)}", extra)
        result: Any = await self._client._request(request, cast_to=FileDeleted, raw=self._raw)
        return result  # type: ignore[no-any-return]

    async def content(self, file_id: str, **extra: Unpack[OptionsParams]) -> BinaryResponseContent:
        """A file's bytes (``.content``, ``.text``, ``await .awrite_to_file(path)``)."""
        request = _content_options(file_id, extra)
        result = _binary(await self._client._request(request, cast_to=FileObject, raw=True))
        return result if self._raw else result.parse()  # type: ignore[no-any-return]

    async def wait_for_processing(
        self, id: str, *, poll_interval: float = 5.0, max_wait_seconds: float = 30 * 60
    ) -> FileObject:
        """The file once it is processed (or failed); see ``Files.wait_for_processing``."""
        files = AsyncFiles(self._client)  # parsed records, in raw mode too
        start = time.monotonic()
        file = await files.retrieve(id)
        while file.status not in _DONE:
            if time.monotonic() - start > max_wait_seconds:
                raise _give_up(id, max_wait_seconds)
            await self._client._sleep(poll_interval)
            file = await files.retrieve(id)
        return file
