"""The ``chat.completions`` resource (create, parse, stream, stored completions), sync and async."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal, overload

from typing_extensions import Unpack

from .._exceptions import InvalidParameterError
from .._sentinels import NOT_GIVEN, NotGiven, strip_not_given
from ..types import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionDeleted,
    ChatCompletionMessageParam,
    ChatCompletionStoreMessage,
    ParsedChatCompletion,
)
from ..types.completion_create_params import CompletionCreateParams
from ..types.completion_create_params import RequestOptions as OptionsParams
from ._chat_request import CreateRequest, build_create_request, with_create_signature
from ._pagination import AsyncPaginator, SyncCursorPage
from ._resource import AsyncResource, Resource, options, path_id
from ._streaming import AsyncStream, Stream

if TYPE_CHECKING:
    from ._chat_stream import AsyncChatCompletionStreamManager, ChatCompletionStreamManager
    from ._client import AsyncClient, Client

__all__ = ["AsyncChat", "AsyncCompletions", "AsyncMessages", "Chat", "Completions", "Messages"]


def _parse_request(
    messages: Iterable[ChatCompletionMessageParam], model: str, params: CompletionCreateParams
) -> CreateRequest:
    if "stream" in params:
        raise InvalidParameterError("stream", "parse() does not stream; use .stream() instead")
    from ..protocol._parsing import validate_input_tools

    request = build_create_request(messages, model, params, stream=NOT_GIVEN)
    validate_input_tools(request.input_tools)
    return request


def _parser(request: CreateRequest) -> Any:
    from ..protocol._parsing import parse_chat_completion

    def parse(completion: ChatCompletion) -> ParsedChatCompletion[Any]:
        return parse_chat_completion(
            completion=completion,
            response_format=request.response_format,
            input_tools=request.input_tools,
        )

    return parse


class Completions(Resource):
    """``client.chat.completions``."""

    _client: Client

    @property
    def with_raw_response(self) -> Completions:
        """The same methods, returning an ``APIResponse`` (headers, status, ``.parse()``)."""
        return Completions(self._client, raw=True)

    @property
    def messages(self) -> Messages:
        """The messages of stored completions."""
        return Messages(self._client, raw=self._raw)

    @overload
    def create(
        self,
        *,
        messages: Iterable[ChatCompletionMessageParam],
        model: str,
        stream: Literal[False] | NotGiven | None = ...,
        **params: Unpack[CompletionCreateParams],
    ) -> ChatCompletion: ...
    @overload
    def create(
        self,
        *,
        messages: Iterable[ChatCompletionMessageParam],
        model: str,
        stream: Literal[True],
        **params: Unpack[CompletionCreateParams],
    ) -> Stream[ChatCompletionChunk]: ...
    @overload
    def create(
        self,
        *,
        messages: Iterable[ChatCompletionMessageParam],
        model: str,
        stream: bool,
        **params: Unpack[CompletionCreateParams],
    ) -> ChatCompletion | Stream[ChatCompletionChunk]: ...
    @with_create_signature
    def create(
        self,
        *,
        messages: Iterable[ChatCompletionMessageParam],
        model: str,
        stream: bool | NotGiven | None = NOT_GIVEN,
        **params: Unpack[CompletionCreateParams],
    ) -> ChatCompletion | Stream[ChatCompletionChunk]:
        """Create a chat completion; with ``stream=True`` a ``Stream`` of chunks.

        Every parameter of the API is a keyword argument; omitted ones are not sent, and
        ``None`` is sent as null. Invalid values raise ``InvalidParameterError`` before sending.
        """
        request = build_create_request(messages, model, params, stream=stream)
        result: Any = self._client._request(
            request.options,
            cast_to=ChatCompletionChunk if request.stream else ChatCompletion,
            stream=request.stream,
            raw=self._raw,
        )
        return result  # type: ignore[no-any-return]

    @with_create_signature
    def parse(
        self,
        *,
        messages: Iterable[ChatCompletionMessageParam],
        model: str,
        **params: Unpack[CompletionCreateParams],
    ) -> ParsedChatCompletion[Any]:
        """Create a completion and parse it: ``message.parsed`` holds the ``response_format`` type
        (a pydantic model, dataclass or JSON schema), ``tool_calls[i].function.parsed_arguments``
        the arguments of strict tools.

        Raises:
            LengthFinishReasonError: the reply was cut off by the token limit.
            ContentFilterFinishReasonError: the reply was withheld by the content filter.
        """
        request = _parse_request(messages, model, params)
        result: Any = self._client._request(
            request.options, cast_to=ChatCompletion, raw=self._raw, post_parser=_parser(request)
        )
        return result  # type: ignore[no-any-return]

    @with_create_signature
    def stream(
        self,
        *,
        messages: Iterable[ChatCompletionMessageParam],
        model: str,
        **params: Unpack[CompletionCreateParams],
    ) -> ChatCompletionStreamManager:
        """Stream a completion as typed events; use as ``with ... as stream:``.

        Iterate the events (``content.delta``, ``tool_calls.function.arguments.done``, ...),
        then call ``stream.get_final_completion()`` for the parsed completion.
        """
        from ._chat_stream import ChatCompletionStreamManager

        if "stream" in params:
            raise InvalidParameterError("stream", "stream() always streams; do not pass it")
        request = build_create_request(messages, model, params, stream=True)

        def open_stream() -> Stream[ChatCompletionChunk]:
            result: Any = self._client._request(
                request.options, cast_to=ChatCompletionChunk, stream=True
            )
            return result  # type: ignore[no-any-return]

        return ChatCompletionStreamManager(
            open_stream, response_format=request.response_format, input_tools=request.input_tools
        )

    def retrieve(self, completion_id: str, **extra: Unpack[OptionsParams]) -> ChatCompletion:
        """A stored completion (one created with ``store=True``)."""
        path = f"/chat/completions/{path_id('completion_id', completion_id)}"
        result: Any = self._client._request(
            options("get", path, extra), cast_to=ChatCompletion, raw=self._raw
        )
        return result  # type: ignore[no-any-return]

    def update(
        self, completion_id: str, *, metadata: dict[str, str] | None, **extra: Unpack[OptionsParams]
    ) -> ChatCompletion:
        """Replace the metadata of a stored completion."""
        path = f"/chat/completions/{path_id('completion_id', completion_id)}"
        request_options = options("post", path, extra, json_data={"metadata": metadata})
        result: Any = self._client._request(request_options, cast_to=ChatCompletion, raw=self._raw)
        return result  # type: ignore[no-any-return]

    def delete(self, completion_id: str, **extra: Unpack[OptionsParams]) -> ChatCompletionDeleted:
        """Delete a stored completion."""
        path = f"/chat/completions/{path_id('completion_id', completion_id)}"
        result: Any = self._client._request(
            options("delete", path, extra), cast_to=ChatCompletionDeleted, raw=self._raw
        )
        return result  # type: ignore[no-any-return]

    def list(
        self,
        *,
        after: str | NotGiven = NOT_GIVEN,
        limit: int | NotGiven = NOT_GIVEN,
        metadata: dict[str, str] | NotGiven | None = NOT_GIVEN,
        model: str | NotGiven = NOT_GIVEN,
        order: Literal["asc", "desc"] | NotGiven = NOT_GIVEN,
        **extra: Unpack[OptionsParams],
    ) -> SyncCursorPage[ChatCompletion]:
        """Stored completions (oldest first unless ``order="desc"``); iterating walks every page."""
        query = strip_not_given(
            {"after": after, "limit": limit, "metadata": metadata, "model": model, "order": order}
        )
        result: Any = self._page("/chat/completions", query, extra, ChatCompletion)
        return result  # type: ignore[no-any-return]


class Messages(Resource):
    """``client.chat.completions.messages``: the messages of a stored completion."""

    _client: Client

    def list(
        self,
        completion_id: str,
        *,
        after: str | NotGiven = NOT_GIVEN,
        limit: int | NotGiven = NOT_GIVEN,
        order: Literal["asc", "desc"] | NotGiven = NOT_GIVEN,
        **extra: Unpack[OptionsParams],
    ) -> SyncCursorPage[ChatCompletionStoreMessage]:
        """The input messages of a stored completion; iterating walks every page."""
        path = f"/chat/completions/{path_id('completion_id', completion_id)}/messages"
        query = strip_not_given({"after": after, "limit": limit, "order": order})
        result: Any = self._page(path, query, extra, ChatCompletionStoreMessage)
        return result  # type: ignore[no-any-return]


class Chat:
    """``client.chat``."""

    def __init__(self, client: Client) -> None:
        self.completions = Completions(client)


class AsyncCompletions(AsyncResource):
    """``client.chat.completions`` of the ``AsyncClient``."""

    _client: AsyncClient

    @property
    def with_raw_response(self) -> AsyncCompletions:
        """The same methods, returning an ``APIResponse`` (headers, status, ``.parse()``)."""
        return AsyncCompletions(self._client, raw=True)

    @property
    def messages(self) -> AsyncMessages:
        """The messages of stored completions."""
        return AsyncMessages(self._client, raw=self._raw)

    @overload
    async def create(
        self,
        *,
        messages: Iterable[ChatCompletionMessageParam],
        model: str,
        stream: Literal[False] | NotGiven | None = ...,
        **params: Unpack[CompletionCreateParams],
    ) -> ChatCompletion: ...
    @overload
    async def create(
        self,
        *,
        messages: Iterable[ChatCompletionMessageParam],
        model: str,
        stream: Literal[True],
        **params: Unpack[CompletionCreateParams],
    ) -> AsyncStream[ChatCompletionChunk]: ...
    @overload
    async def create(
        self,
        *,
        messages: Iterable[ChatCompletionMessageParam],
        model: str,
        stream: bool,
        **params: Unpack[CompletionCreateParams],
    ) -> ChatCompletion | AsyncStream[ChatCompletionChunk]: ...
    @with_create_signature
    async def create(
        self,
        *,
        messages: Iterable[ChatCompletionMessageParam],
        model: str,
        stream: bool | NotGiven | None = NOT_GIVEN,
        **params: Unpack[CompletionCreateParams],
    ) -> ChatCompletion | AsyncStream[ChatCompletionChunk]:
        """Create a chat completion; with ``stream=True`` an ``AsyncStream`` of chunks."""
        request = build_create_request(messages, model, params, stream=stream)
        result: Any = await self._client._request(
            request.options,
            cast_to=ChatCompletionChunk if request.stream else ChatCompletion,
            stream=request.stream,
            raw=self._raw,
        )
        return result  # type: ignore[no-any-return]

    @with_create_signature
    async def parse(
        self,
        *,
        messages: Iterable[ChatCompletionMessageParam],
        model: str,
        **params: Unpack[CompletionCreateParams],
    ) -> ParsedChatCompletion[Any]:
        """Create a completion and parse it (see ``Completions.parse``)."""
        request = _parse_request(messages, model, params)
        result: Any = await self._client._request(
            request.options, cast_to=ChatCompletion, raw=self._raw, post_parser=_parser(request)
        )
        return result  # type: ignore[no-any-return]

    @with_create_signature
    def stream(
        self,
        *,
        messages: Iterable[ChatCompletionMessageParam],
        model: str,
        **params: Unpack[CompletionCreateParams],
    ) -> AsyncChatCompletionStreamManager:
        """Stream a completion as typed events; use as ``async with ... as stream:``."""
        from ._chat_stream import AsyncChatCompletionStreamManager

        if "stream" in params:
            raise InvalidParameterError("stream", "stream() always streams; do not pass it")
        request = build_create_request(messages, model, params, stream=True)

        async def open_stream() -> AsyncStream[ChatCompletionChunk]:
            result: Any = await self._client._request(
                request.options, cast_to=ChatCompletionChunk, stream=True
            )
            return result  # type: ignore[no-any-return]

        return AsyncChatCompletionStreamManager(
            open_stream, response_format=request.response_format, input_tools=request.input_tools
        )

    async def retrieve(self, completion_id: str, **extra: Unpack[OptionsParams]) -> ChatCompletion:
        """A stored completion (one created with ``store=True``)."""
        path = f"/chat/completions/{path_id('completion_id', completion_id)}"
        request_options = options("get", path, extra)
        result: Any = await self._client._request(
            request_options, cast_to=ChatCompletion, raw=self._raw
        )
        return result  # type: ignore[no-any-return]

    async def update(
        self, completion_id: str, *, metadata: dict[str, str] | None, **extra: Unpack[OptionsParams]
    ) -> ChatCompletion:
        """Replace the metadata of a stored completion."""
        path = f"/chat/completions/{path_id('completion_id', completion_id)}"
        request_options = options("post", path, extra, json_data={"metadata": metadata})
        result: Any = await self._client._request(
            request_options, cast_to=ChatCompletion, raw=self._raw
        )
        return result  # type: ignore[no-any-return]

    async def delete(
        self, completion_id: str, **extra: Unpack[OptionsParams]
    ) -> ChatCompletionDeleted:
        """Delete a stored completion."""
        path = f"/chat/completions/{path_id('completion_id', completion_id)}"
        request_options = options("delete", path, extra)
        result: Any = await self._client._request(
            request_options, cast_to=ChatCompletionDeleted, raw=self._raw
        )
        return result  # type: ignore[no-any-return]

    def list(
        self,
        *,
        after: str | NotGiven = NOT_GIVEN,
        limit: int | NotGiven = NOT_GIVEN,
        metadata: dict[str, str] | NotGiven | None = NOT_GIVEN,
        model: str | NotGiven = NOT_GIVEN,
        order: Literal["asc", "desc"] | NotGiven = NOT_GIVEN,
        **extra: Unpack[OptionsParams],
    ) -> AsyncPaginator[ChatCompletion]:
        """Stored completions: ``await`` for the first page, or ``async for`` every item."""
        query = strip_not_given(
            {"after": after, "limit": limit, "metadata": metadata, "model": model, "order": order}
        )
        result: Any = self._page("/chat/completions", query, extra, ChatCompletion)
        return result  # type: ignore[no-any-return]


class AsyncMessages(AsyncResource):
    """``client.chat.completions.messages`` of the ``AsyncClient``."""

    _client: AsyncClient

    def list(
        self,
        completion_id: str,
        *,
        after: str | NotGiven = NOT_GIVEN,
        limit: int | NotGiven = NOT_GIVEN,
        order: Literal["asc", "desc"] | NotGiven = NOT_GIVEN,
        **extra: Unpack[OptionsParams],
    ) -> AsyncPaginator[ChatCompletionStoreMessage]:
        """The input messages of a stored completion: ``await`` or ``async for``."""
        path = f"/chat/completions/{path_id('completion_id', completion_id)}/messages"
        query = strip_not_given({"after": after, "limit": limit, "order": order})
        result: Any = self._page(path, query, extra, ChatCompletionStoreMessage)
        return result  # type: ignore[no-any-return]


class AsyncChat:
    """``client.chat`` of the ``AsyncClient``."""

    def __init__(self, client: AsyncClient) -> None:
        self.completions = AsyncCompletions(client)
