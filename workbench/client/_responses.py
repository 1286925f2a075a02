"""The ``responses`` resource (create, parse, stream, stored responses), sync and async."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, overload

from typing_extensions import Unpack

from .._exceptions import InvalidParameterError
from .._sentinels import NOT_GIVEN, NotGiven, strip_not_given
from ..protocol._responses_accumulate import parse_response
from ..types.completion_create_params import RequestOptions as OptionsParams
from ..types.parsed_response import ParsedResponse
from ..types.response import Response, ResponseItem
from ..types.response_create_params import ResponseCreateParams, ResponseIncludable
from ._pagination import AsyncPaginator, SyncCursorPage
from ._resource import AsyncResource, Resource, options, path_id
from ._responses_request import ResponseRequest, build_response_request, with_response_signature
from ._responses_stream import (
    AsyncResponseEventStream,
    AsyncResponseStreamManager,
    ResponseEventStream,
    ResponseStreamManager,
)

if TYPE_CHECKING:
    from ._client import AsyncClient, Client

__all__ = ["AsyncInputItems", "AsyncResponses", "InputItems", "Responses"]


def _parse_request(params: ResponseCreateParams, text_format: object) -> ResponseRequest:
    if "stream" in params:
        raise InvalidParameterError("stream", "parse() does not stream; use .stream() instead")
    return build_response_request(params, stream=NOT_GIVEN, text_format=text_format)


def _stream_request(params: ResponseCreateParams, text_format: object) -> ResponseRequest:
    if "stream" in params:
        raise InvalidParameterError("stream", "stream() always streams; do not pass it")
    return build_response_request(params, stream=True, text_format=text_format)


def _parser(request: ResponseRequest) -> Any:
    def parse(response: Response) -> ParsedResponse[Any]:
        return parse_response(response, request.text_format, request.tools)

    return parse


def _path(response_id: str, tail: str = "") -> str:
    return f"/responses/{path_id('response_id', response_id)}{tail}"


def _retrieve_query(
    include: object, include_obfuscation: object, starting_after: object, stream: object
) -> dict[str, Any]:
    return strip_not_given(
        {
            "include": include,
            "include_obfuscation": include_obfuscation,
            "starting_after": starting_after,
            "stream": stream,
        }
    )


def _stored_stream_options(
    response_id: str, starting_after: int | NotGiven, params: ResponseCreateParams
) -> Any:
    """``stream(response_id=...)``: the events of a (background) response, from the start or
    after ``starting_after``; no other create parameter goes with it."""
    others = sorted(set(params) - {"extra_headers", "extra_query", "extra_body", "timeout"})
    if others:
        raise InvalidParameterError(others[0], "cannot be used with response_id")
    query = strip_not_given({"stream": True, "starting_after": starting_after})
    return options("get", _path(response_id), params, params=query)


class Responses(Resource):
    """``client.responses``."""

    _client: Client

    @property
    def with_raw_response(self) -> Responses:
        """The same methods, returning an ``APIResponse`` (headers, status, ``.parse()``)."""
        return Responses(self._client, raw=True)

    @property
    def input_items(self) -> InputItems:
        """The input items of stored responses."""
        return InputItems(self._client, raw=self._raw)

    @overload
    def create(
        self,
        *,
        stream: Literal[False] | NotGiven | None = ...,
        **params: Unpack[ResponseCreateParams],
    ) -> Response: ...
    @overload
    def create(
        self, *, stream: Literal[True], **params: Unpack[ResponseCreateParams]
    ) -> ResponseEventStream: ...
    @overload
    def create(
        self, *, stream: bool, **params: Unpack[ResponseCreateParams]
    ) -> Response | ResponseEventStream: ...
    @with_response_signature
    def create(
        self,
        *,
        stream: bool | NotGiven | None = NOT_GIVEN,
        **params: Unpack[ResponseCreateParams],
    ) -> Response | ResponseEventStream:
        """Create a response; with ``stream=True`` a stream of typed events.

        Every parameter of the API is a keyword argument; omitted ones are not sent, and ``None``
        is sent as null. Invalid values raise ``InvalidParameterError`` before sending.
        """
        request = build_response_request(params, stream=stream)
        result: Any = self._client._request(
            request.options,
            cast_to=Response,
            stream=request.stream,
            raw=self._raw,
            stream_cls=ResponseEventStream,
        )
        return result  # type: ignore[no-any-return]

    @with_response_signature
    def parse(
        self, *, text_format: object = NOT_GIVEN, **params: Unpack[ResponseCreateParams]
    ) -> ParsedResponse[Any]:
        """Create a response and parse its text into ``text_format`` (a pydantic model, a
        dataclass, a TypedDict ...): ``response.output_parsed``.

        Raises:
            OutputValidationError: the text does not match the format.
        """
        request = _parse_request(params, text_format)
        result: Any = self._client._request(
            request.options, cast_to=Response, raw=self._raw, post_parser=_parser(request)
        )
        return result  # type: ignore[no-any-return]

    @with_response_signature
    def stream(
        self,
        *,
        response_id: str | NotGiven = NOT_GIVEN,
        starting_after: int | NotGiven = NOT_GIVEN,
        text_format: object = NOT_GIVEN,
        **params: Unpack[ResponseCreateParams],
    ) -> ResponseStreamManager:
        """Stream a response as typed events; use as ``with ... as stream:``, then
        ``stream.get_final_response()``. With ``response_id``: the events of a stored
        (background) response, after ``starting_after``."""
        if isinstance(response_id, NotGiven):
            request = _stream_request(params, text_format)
            request_options, tools = request.options, request.tools
        else:
            request_options = _stored_stream_options(response_id, starting_after, params)
            tools = None

        def open_stream() -> ResponseEventStream:
            result: Any = self._client._request(
                request_options, cast_to=Response, stream=True, stream_cls=ResponseEventStream
            )
            return result  # type: ignore[no-any-return]

        text_format = None if isinstance(text_format, NotGiven) else text_format
        return ResponseStreamManager(open_stream, text_format=text_format, tools=tools)

    def retrieve(
        self,
        response_id: str,
        *,
        include: list[ResponseIncludable] | NotGiven = NOT_GIVEN,
        include_obfuscation: bool | NotGiven = NOT_GIVEN,
        starting_after: int | NotGiven = NOT_GIVEN,
        stream: bool | NotGiven = NOT_GIVEN,
        **extra: Unpack[OptionsParams],
    ) -> Response | ResponseEventStream:
        """A stored response (``store=True``, the default); ``stream=True`` replays its events."""
        query = _retrieve_query(include, include_obfuscation, starting_after, stream)
        result: Any = self._client._request(
            options("get", _path(response_id), extra, params=query),
            cast_to=Response,
            stream=stream is True,
            raw=self._raw,
            stream_cls=ResponseEventStream,
        )
        return result  # type: ignore[no-any-return]

    def delete(self, response_id: str, **extra: Unpack[OptionsParams]) -> None:
        """Delete a stored response."""
        request_options = options("delete", _path(response_id), extra)
        raw: Any = self._client._request(request_options, cast_to=Response, raw=True)
        return raw if self._raw else None  # type: ignore[return-value]

    def cancel(self, response_id: str, **extra: Unpack[OptionsParams]) -> Response:
        """Cancel a background response (``background=True``)."""
        request_options = options("post", _path(response_id, "/cancel"), extra)
        result: Any = self._client._request(request_options, cast_to=Response, raw=self._raw)
        return result  # type: ignore[no-any-return]


class InputItems(Resource):
    """``client.responses.input_items``: the input items of a stored response."""

    _client: Client

    def list(
        self,
        response_id: str,
        *,
        after: str | NotGiven = NOT_GIVEN,
        include: list[ResponseIncludable] | NotGiven = NOT_GIVEN,
        limit: int | NotGiven = NOT_GIVEN,
        order: Literal["asc", "desc"] | NotGiven = NOT_GIVEN,
        **extra: Unpack[OptionsParams],
    ) -> SyncCursorPage[ResponseItem]:
        """The input items of a stored response; iterating walks every page."""
        query = strip_not_given(
            {"after": after, "include": include, "limit": limit, "order": order}
        )
        result: Any = self._page(_path(response_id, "/input_items"), query, extra, ResponseItem)
        return result  # type: ignore[no-any-return]


class AsyncResponses(AsyncResource):
    """``client.responses`` of the ``AsyncClient``."""

    _client: AsyncClient

    @property
    def with_raw_response(self) -> AsyncResponses:
        """The same methods, returning an ``APIResponse`` (headers, status, ``.parse()``)."""
        return AsyncResponses(self._client, raw=True)

    @property
    def input_items(self) -> AsyncInputItems:
        """The input items of stored responses."""
        return AsyncInputItems(self._client, raw=self._raw)

    @overload
    async def create(
        self,
        *,
        stream: Literal[False] | NotGiven | None = ...,
        **params: Unpack[ResponseCreateParams],
    ) -> Response: ...
    @overload
    async def create(
        self, *, stream: Literal[True], **params: Unpack[ResponseCreateParams]
    ) -> AsyncResponseEventStream: ...
    @overload
    async def create(
        self, *, stream: bool, **params: Unpack[ResponseCreateParams]
    ) -> Response | AsyncResponseEventStream: ...
    @with_response_signature
    async def create(
        self,
        *,
        stream: bool | NotGiven | None = NOT_GIVEN,
        **params: Unpack[ResponseCreateParams],
    ) -> Response | AsyncResponseEventStream:
        """Create a response; with ``stream=True`` an async stream of typed events."""
        request = build_response_request(params, stream=stream)
        result: Any = await self._client._request(
            request.options,
            cast_to=Response,
            stream=request.stream,
            raw=self._raw,
            stream_cls=AsyncResponseEventStream,
        )
        return result  # type: ignore[no-any-return]

    @with_response_signature
    async def parse(
        self, *, text_format: object = NOT_GIVEN, **params: Unpack[ResponseCreateParams]
    ) -> ParsedResponse[Any]:
        """Create a response and parse its text (see ``Responses.parse``)."""
        request = _parse_request(params, text_format)
        result: Any = await self._client._request(
            request.options, cast_to=Response, raw=self._raw, post_parser=_parser(request)
        )
        return result  # type: ignore[no-any-return]

    @with_response_signature
    def stream(
        self,
        *,
        response_id: str | NotGiven = NOT_GIVEN,
        starting_after: int | NotGiven = NOT_GIVEN,
        text_format: object = NOT_GIVEN,
        **params: Unpack[ResponseCreateParams],
    ) -> AsyncResponseStreamManager:
        """Stream a response as typed events; use as ``async with ... as stream:``."""
        if isinstance(response_id, NotGiven):
            request = _stream_request(params, text_format)
            request_options, tools = request.options, request.tools
        else:
            request_options = _stored_stream_options(response_id, starting_after, params)
            tools = None

        async def open_stream() -> AsyncResponseEventStream:
            result: Any = await self._client._request(
                request_options, cast_to=Response, stream=True, stream_cls=AsyncResponseEventStream
            )
            return result  # type: ignore[no-any-return]

        text_format = None if isinstance(text_format, NotGiven) else text_format
        return AsyncResponseStreamManager(open_stream, text_format=text_format, tools=tools)

    async def retrieve(
        self,
        response_id: str,
        *,
        include: list[ResponseIncludable] | NotGiven = NOT_GIVEN,
        include_obfuscation: bool | NotGiven = NOT_GIVEN,
        starting_after: int | NotGiven = NOT_GIVEN,
        stream: bool | NotGiven = NOT_GIVEN,
        **extra: Unpack[OptionsParams],
    ) -> Response | AsyncResponseEventStream:
        """A stored response; ``stream=True`` replays its events."""
        query = _retrieve_query(include, include_obfuscation, starting_after, stream)
        result: Any = await self._client._request(
            options("get", _path(response_id), extra, params=query),
            cast_to=Response,
            stream=stream is True,
            raw=self._raw,
            stream_cls=AsyncResponseEventStream,
        )
        return result  # type: ignore[no-any-return]

    async def delete(self, response_id: str, **extra: Unpack[OptionsParams]) -> None:
        """Delete a stored response."""
        request_options = options("delete", _path(response_id), extra)
        raw: Any = await self._client._request(request_options, cast_to=Response, raw=True)
        return raw if self._raw else None  # type: ignore[return-value]

    async def cancel(self, response_id: str, **extra: Unpack[OptionsParams]) -> Response:
        """Cancel a background response."""
        request_options = options("post", _path(response_id, "/cancel"), extra)
        result: Any = await self._client._request(request_options, cast_to=Response, raw=self._raw)
        return result  # type: ignore[no-any-return]


class AsyncInputItems(AsyncResource):
    """``client.responses.input_items`` of the ``AsyncClient``."""

    _client: AsyncClient

    def list(
        self,
        response_id: str,
        *,
        after: str | NotGiven = NOT_GIVEN,
        include: list[ResponseIncludable] | NotGiven = NOT_GIVEN,
        limit: int | NotGiven = NOT_GIVEN,
        order: Literal["asc", "desc"] | NotGiven = NOT_GIVEN,
        **extra: Unpack[OptionsParams],
    ) -> AsyncPaginator[ResponseItem]:
        """The input items of a stored response: ``await`` or ``async for``."""
        query = strip_not_given(
            {"after": after, "include": include, "limit": limit, "order": order}
        )
        result: Any = self._page(_path(response_id, "/input_items"), query, extra, ResponseItem)
        return result  # type: ignore[no-any-return]
