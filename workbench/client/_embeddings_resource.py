"""The ``embeddings`` resource: text (or tokens) in, vectors out, sync and async.

As openai's client does, a request that does not choose an ``encoding_format`` asks for
``base64`` (a quarter of the bytes of JSON numbers) and the response decodes it to floats; here
an ``Embedding``'s vector is a list of floats whatever was asked for (openai returns the base64
text when ``encoding_format="base64"`` is passed explicitly).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal

import httpx

from .._exceptions import InvalidParameterError
from .._sentinels import NOT_GIVEN, NotGiven, strip_not_given
from ..types.completion_create_params import Body, Headers, Query
from ..types.embedding import CreateEmbeddingResponse
from ._resource import AsyncResource, Resource, extra_options, options

if TYPE_CHECKING:
    from ._client import AsyncClient, Client

__all__ = ["AsyncEmbeddings", "Embeddings", "embedding_body"]

ENCODING_FORMATS = ("float", "base64")
MAX_INPUTS = 2048
"""The most inputs one request may carry (the API's limit)."""

EmbeddingInput = str | list[str] | Iterable[int] | Iterable[Iterable[int]]
"""Text, texts, one token array, or token arrays (openai's ``input`` type)."""


def _check_input(value: object) -> Any:
    """``input`` as sent (lists made of iterables), or ``InvalidParameterError``."""
    if isinstance(value, str):
        if not value:
            raise InvalidParameterError("input", "must not be an empty string")
        return value
    if isinstance(value, (bytes, dict)) or not isinstance(value, Iterable):
        raise InvalidParameterError(
            "input",
            f"got {type(value).__name__}",
            allowed="a string, a list of strings, a list of token ids, or a list of those lists",
        )
    items = list(value)
    if not items:
        raise InvalidParameterError("input", "must not be an empty list")
    if len(items) > MAX_INPUTS:
        allowed = f"1 to {MAX_INPUTS}"
        raise InvalidParameterError("input", f"has {len(items)} items", allowed=allowed)
    if all(isinstance(item, str) for item in items):
        for i, item in enumerate(items):
            if not item:
                raise InvalidParameterError(f"input[{i}]", "must not be an empty string")
        return items
    if all(_is_token(item) for item in items):
        return items
    arrays = []
    for i, item in enumerate(items):
        tokens = list(item) if isinstance(item, Iterable) and not isinstance(item, str) else None
        if not tokens or not all(_is_token(t) for t in tokens):
            raise InvalidParameterError(
                f"input[{i}]",
                f"got {item!r:.60}",
                allowed="all strings, all token ids, or all non-empty lists of token ids",
            )
        arrays.append(tokens)
    return arrays


def _is_token(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def embedding_body(
    input: object, model: object, dimensions: object, encoding_format: object, user: object
) -> dict[str, Any]:
    """The JSON body of an embeddings request, checked as the API checks it; an
    ``encoding_format`` not given is ``base64`` (the response decodes it).

    Raises:
        InvalidParameterError: naming the parameter at fault and what it allows.
    """
    if not isinstance(model, str) or not model:
        raise InvalidParameterError("model", f"must be a non-empty string, got {model!r}")
    if not isinstance(dimensions, NotGiven) and (
        not isinstance(dimensions, int) or isinstance(dimensions, bool) or dimensions < 1
    ):
        raise InvalidParameterError("dimensions", f"got {dimensions!r}", allowed="an integer >= 1")
    if isinstance(encoding_format, NotGiven):
        encoding_format = "base64"
    elif encoding_format not in ENCODING_FORMATS:
        raise InvalidParameterError(
            "encoding_format", f"got {encoding_format!r}", allowed=ENCODING_FORMATS
        )
    if not isinstance(user, (str, NotGiven)):
        raise InvalidParameterError("user", f"must be a string, got {type(user).__name__}")
    body = {
        "input": _check_input(input),
        "model": model,
        "dimensions": dimensions,
        "encoding_format": encoding_format,
        "user": user,
    }
    return strip_not_given(body)


def _options(
    body: dict[str, Any],
    extra_headers: Headers | None,
    extra_query: Query | None,
    extra_body: Body | None,
    timeout: object,
) -> Any:
    extra = extra_options(extra_headers, extra_query, extra_body, timeout)
    return options("post", "/embeddings", extra, json_data=body)


class Embeddings(Resource):
    """``client.embeddings``."""

    _client: Client

    @property
    def with_raw_response(self) -> Embeddings:
        """The same methods, returning an ``APIResponse`` (headers, status, ``.parse()``)."""
        return Embeddings(self._client, raw=True)

    def create(
        self,
        *,
        input: EmbeddingInput,
        model: str,
        dimensions: int | NotGiven = NOT_GIVEN,
        encoding_format: Literal["float", "base64"] | NotGiven = NOT_GIVEN,
        user: str | NotGiven = NOT_GIVEN,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN,
    ) -> CreateEmbeddingResponse:
        """Embed ``input``: one vector per text (or token array), in ``.data`` in input order.

        Args:
            input: a string, a list of strings (at most 2,048), a list of token ids, or a list
                of token-id lists; no empty string.
            model: the embedding model (``text-embedding-3-small`` on OpenAI's API,
                ``workbench-local-embedding`` on the local model).
            dimensions: how many numbers each vector has (``text-embedding-3`` models and the
                local model shorten theirs).
            encoding_format: ``float`` or ``base64`` on the wire (default ``base64``); the
                vectors come back as lists of floats either way.
            user: an end-user id, for the provider's abuse monitoring.

        Raises:
            InvalidParameterError: before sending, naming the parameter and what it allows.
            APIStatusError: the server refused (``NotFoundError`` where it has no embeddings).
        """
        body = embedding_body(input, model, dimensions, encoding_format, user)
        request = _options(body, extra_headers, extra_query, extra_body, timeout)
        result: Any = self._client._request(request, cast_to=CreateEmbeddingResponse, raw=self._raw)
        return result  # type: ignore[no-any-return]


class AsyncEmbeddings(AsyncResource):
    """``client.embeddings`` of the ``AsyncClient``."""

    _client: AsyncClient

    @property
    def with_raw_response(self) -> AsyncEmbeddings:
        """The same methods, returning an ``APIResponse`` (headers, status, ``.parse()``)."""
        return AsyncEmbeddings(self._client, raw=True)

    async def create(
        self,
        *,
        input: EmbeddingInput,
        model: str,
        dimensions: int | NotGiven = NOT_GIVEN,
        encoding_format: Literal["float", "base64"] | NotGiven = NOT_GIVEN,
        user: str | NotGiven = NOT_GIVEN,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN,
    ) -> CreateEmbeddingResponse:
        """Embed ``input``: one vector per text (or token array); see ``Embeddings.create``."""
        body = embedding_body(input, model, dimensions, encoding_format, user)
        request = _options(body, extra_headers, extra_query, extra_body, timeout)
        result: Any = await self._client._request(
            request, cast_to=CreateEmbeddingResponse, raw=self._raw
        )
        return result  # type: ignore[no-any-return]
