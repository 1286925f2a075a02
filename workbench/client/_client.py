"""``Client`` and ``AsyncClient``: sending with retries over an injectable httpx client."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Mapping
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import httpx
import pydantic

from .._exceptions import (
    WorkbenchError,
)
from .._sentinels import NOT_GIVEN, NotGiven
from ..cassette import open_cassette
from ._base import DEFAULT_CONNECTION_LIMITS, BaseClient
from ._errors import connection_error
from ._request_options import RequestOptions
from ._streaming import AsyncStream, Stream

if TYPE_CHECKING:
    from ..cassette._cassette import Cassette
    from ..local import LocalModel
    from ._batches_resource import AsyncBatches, Batches
    from ._chat import AsyncChat, Chat
    from ._embeddings_resource import AsyncEmbeddings, Embeddings
    from ._files_resource import AsyncFiles, Files
    from ._models_resource import AsyncModels, Models
    from ._profiles import Profile
    from ._responses import AsyncResponses, Responses

    _PathArg = str | os.PathLike[str]

__all__ = ["AsyncClient", "Client"]

_T = TypeVar("_T", bound=pydantic.BaseModel)


_HttpT = TypeVar("_HttpT", httpx.Client, httpx.AsyncClient)


def _http_client(
    cls: type[_HttpT], given: object, model: LocalModel | None, cassette: Cassette | None
) -> _HttpT:
    """The httpx client to send with: the caller's (checked), or a new pool (in-process for the
    local model); through the cassette, when there is one."""
    if given is None:
        client = cls(limits=DEFAULT_CONNECTION_LIMITS, transport=_local_transport(model))
    elif not isinstance(given, cls):
        raise TypeError(
            f"http_client must be an {cls.__module__}.{cls.__name__}, got {type(given).__name__}"
        )
    else:
        client = given
    if cassette is not None:
        from ..cassette._transport import install

        install(client, cassette)
    return client


_LOCAL_BASE_URL = "http://workbench-local/v1"  # shown while the in-process model answers


def _choose_local(
    local: bool | LocalModel | None,
    api_key: str | None,
    base_url: str | httpx.URL | None,
    replaying: bool = False,
) -> LocalModel | None:
    """The local model to talk to, or None for a server.

    Chosen by ``local=True`` / ``local=LocalModel(...)``, by ``base_url="local"``, or, with a
    one-line notice, when neither an API key nor a base URL is set anywhere (unless replaying,
    which needs neither).
    """
    api_key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY") or None
    base_url = base_url if base_url is not None else os.environ.get("OPENAI_BASE_URL") or None
    if local is False:
        if api_key is None and base_url is None and not replaying:
            raise WorkbenchError(
                "local=False, but there is no API key and no base URL: pass api_key= (or set"
                " OPENAI_API_KEY) for OpenAI, or base_url= (or OPENAI_BASE_URL) for a"
                " compatible server such as Ollama (http://localhost:11434/v1)."
            )
        return None
    by_url = isinstance(base_url, str) and base_url.strip().lower() == "local"
    fallback = local is None and api_key is None and base_url is None and not replaying
    if not (local or by_url or fallback):
        return None
    from ..local import LocalModel, default_local_model, notice

    model = local if isinstance(local, LocalModel) else default_local_model()
    if fallback:
        notice()
    return model


def _setup(
    record: _PathArg | None,
    replay: _PathArg | None,
    record_missing: bool | None,
    cassette: Cassette | Literal[False] | None,
    local: bool | LocalModel | None,
    api_key: str | None,
    base_url: str | httpx.URL | None,
) -> tuple[Cassette | None, LocalModel | None, str | httpx.URL | None]:
    """The cassette, the local model and the base URL that a client's arguments ask for.

    Replaying, the base URL defaults to the one recorded (the local model's too), and no key
    or base URL is needed.
    """
    chosen = open_cassette(record, replay, record_missing, cassette)
    replaying = chosen is not None and chosen.replays
    if chosen is not None and replaying and base_url is None:
        recorded = os.environ.get("OPENAI_BASE_URL") or chosen.base_url
        base_url = "local" if recorded and recorded.rstrip("/") == _LOCAL_BASE_URL else recorded
    model = _choose_local(local, api_key, base_url, replaying)
    return chosen, model, _LOCAL_BASE_URL if model is not None else base_url


def _local_transport(model: LocalModel | None) -> Any:
    """The in-process transport of the local model, when the client talks to it."""
    if model is None:
        return None
    from ..local import LocalTransport

    return LocalTransport(model)


class Client(BaseClient):
    """A Chat Completions client with the surface of ``openai.OpenAI``.

    Args:
        api_key: defaults to ``OPENAI_API_KEY``.
        base_url: defaults to ``OPENAI_BASE_URL``, then OpenAI's API. Any OpenAI-compatible
            server works (Ollama, vLLM, llama.cpp, LM Studio); a key is then optional.
        organization, project: default to ``OPENAI_ORG_ID`` and ``OPENAI_PROJECT_ID``.
        timeout: seconds (float) or an ``httpx.Timeout``; default 600 s, 5 s to connect.
        max_retries: retries on connection errors, timeouts, 408, 409, 429 and 5xx (default 2).
        retry_rate_limits: ``False`` raises a 429 at once as a ``RateLimitError`` (whatever its
            ``x-should-retry`` says) instead of retrying it, for callers that slow down every
            request on a rate limit themselves (a ``Grid`` does); other failures are still
            retried up to ``max_retries``. Default ``True``.
        default_headers, default_query: sent with every request.
        http_client: an ``httpx.Client`` to send with (e.g. one with a ``MockTransport``).
        local: ``True`` (or a configured ``LocalModel``) to talk to the embedded local model;
            with no key and no base URL anywhere, the local model is used anyway (with a
            notice). ``False`` never falls back to it.
        record: a path: send as usual and append every exchange to this JSONL cassette
            (without keys or request headers).
        replay: a path: answer every request from this cassette and send nothing (no key
            needed; the base URL defaults to the recorded one). A request it has no recording
            of raises ``CassetteMissError``, naming what differs from the closest recording.
        record_missing: with ``replay``: send what the cassette lacks, and append it.
        cassette: a ``Cassette`` to share with another client (``other.cassette``), or
            ``False`` for none. When none of ``record``, ``replay`` and ``cassette`` is given,
            ``WORKBENCH_RECORD`` or ``WORKBENCH_REPLAY`` (with ``WORKBENCH_RECORD_MISSING=1``)
            name the cassette.
        profile: what the server takes, a name from ``workbench.PROFILES`` (``openai``,
            ``llama-cpp``, ``litellm``, ``ollama``, ``generic``, ...) or a ``Profile``: chat
            requests are sent in the form it takes, with a ``ProfileWarning`` once per
            parameter it ignores or refuses. By default it is detected from the base URL (or
            the server's answers where they say what it is), else ``generic`` (no change).
    """

    _client: httpx.Client

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | httpx.URL | None = None,
        organization: str | None = None,
        project: str | None = None,
        timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN,
        max_retries: int = 2,
        retry_rate_limits: bool = True,
        default_headers: Mapping[str, str] | None = None,
        default_query: Mapping[str, object] | None = None,
        http_client: httpx.Client | None = None,
        local: bool | LocalModel | None = None,
        record: _PathArg | None = None,
        replay: _PathArg | None = None,
        record_missing: bool | None = None,
        cassette: Cassette | Literal[False] | None = None,
        profile: str | Profile | None = None,
    ) -> None:
        chosen, model, base_url = _setup(
            record, replay, record_missing, cassette, local, api_key, base_url
        )
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            organization=organization,
            project=project,
            timeout=timeout,
            max_retries=max_retries,
            retry_rate_limits=retry_rate_limits,
            default_headers=default_headers,
            default_query=default_query,
            local_model=model,
            cassette=chosen,
            profile=profile,
        )
        self._client = _http_client(httpx.Client, http_client, model, chosen)
        self._owns_client = http_client is None

    @cached_property
    def chat(self) -> Chat:
        """``chat.completions``: create, parse, stream, and stored completions."""
        from ._chat import Chat

        return Chat(self)

    @cached_property
    def responses(self) -> Responses:
        """The Responses API: create, parse, stream, and stored responses."""
        from ._responses import Responses

        return Responses(self)

    @cached_property
    def embeddings(self) -> Embeddings:
        """``embeddings.create(input=..., model=...)``: vectors for texts."""
        from ._embeddings_resource import Embeddings

        return Embeddings(self)

    @cached_property
    def models(self) -> Models:
        """``models.list()`` and ``models.retrieve(id)``."""
        from ._models_resource import Models

        return Models(self)

    @cached_property
    def files(self) -> Files:
        """``files``: upload (``create``), ``retrieve``, ``list``, ``delete``, ``content``."""
        from ._files_resource import Files

        return Files(self)

    @cached_property
    def batches(self) -> Batches:
        """``batches``: ``create``, ``retrieve``, ``list``, ``cancel`` (the Batch API)."""
        from ._batches_resource import Batches

        return Batches(self)

    def _sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def _request(
        self,
        options: RequestOptions,
        *,
        cast_to: type[_T],
        stream: bool = False,
        raw: bool = False,
        post_parser: Callable[[Any], Any] | None = None,
        stream_cls: type[Any] | None = None,
    ) -> Any:
        """Send with retries; return the parsed object, a ``Stream`` (or ``stream_cls``), or an
        ``APIResponse``."""
        max_retries = self._max_retries_for(options)
        options = self._adapted(options)
        retries_taken = 0
        while True:
            request = self._build_request(options, retries_taken=retries_taken)
            try:
                response = self._client.send(request, stream=stream)
            except httpx.HTTPError as exc:
                wait = self._retry_after_error(exc, request, retries_taken, max_retries)
                self._sleep(wait)
                retries_taken += 1
                continue
            if response.status_code < 400:
                break
            delay = self._retry_after_status(response, retries_taken, max_retries)
            try:
                response.read()
            except httpx.HTTPError as exc:
                raise connection_error(exc, request) from exc
            finally:
                response.close()
            if delay is None:
                raise self._make_status_error(response)
            self._sleep(delay)
            retries_taken += 1
        self._learn(response)
        return self._result(
            response,
            cast_to,
            (stream_cls or Stream) if stream else None,
            raw,
            post_parser,
            retries_taken,
        )

    def close(self) -> None:
        """Close the connection pool (only if this client created it)."""
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncClient(BaseClient):
    """The async twin of ``Client`` (the surface of ``openai.AsyncOpenAI``); same arguments,
    with ``http_client`` an ``httpx.AsyncClient``."""

    _client: httpx.AsyncClient

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | httpx.URL | None = None,
        organization: str | None = None,
        project: str | None = None,
        timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN,
        max_retries: int = 2,
        retry_rate_limits: bool = True,
        default_headers: Mapping[str, str] | None = None,
        default_query: Mapping[str, object] | None = None,
        http_client: httpx.AsyncClient | None = None,
        local: bool | LocalModel | None = None,
        record: _PathArg | None = None,
        replay: _PathArg | None = None,
        record_missing: bool | None = None,
        cassette: Cassette | Literal[False] | None = None,
        profile: str | Profile | None = None,
    ) -> None:
        chosen, model, base_url = _setup(
            record, replay, record_missing, cassette, local, api_key, base_url
        )
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            organization=organization,
            project=project,
            timeout=timeout,
            max_retries=max_retries,
            retry_rate_limits=retry_rate_limits,
            default_headers=default_headers,
            default_query=default_query,
            local_model=model,
            cassette=chosen,
            profile=profile,
        )
        self._client = _http_client(httpx.AsyncClient, http_client, model, chosen)
        self._owns_client = http_client is None

    @cached_property
    def chat(self) -> AsyncChat:
        """``chat.completions``: create, parse, stream, and stored completions."""
        from ._chat import AsyncChat

        return AsyncChat(self)

    @cached_property
    def responses(self) -> AsyncResponses:
        """The Responses API: create, parse, stream, and stored responses."""
        from ._responses import AsyncResponses

        return AsyncResponses(self)

    @cached_property
    def embeddings(self) -> AsyncEmbeddings:
        """``embeddings.create(input=..., model=...)``: vectors for texts."""
        from ._embeddings_resource import AsyncEmbeddings

        return AsyncEmbeddings(self)

    @cached_property
    def models(self) -> AsyncModels:
        """``models.list()`` and ``models.retrieve(id)``."""
        from ._models_resource import AsyncModels

        return AsyncModels(self)

    @cached_property
    def files(self) -> AsyncFiles:
        """``files``: upload (``create``), ``retrieve``, ``list``, ``delete``, ``content``."""
        from ._files_resource import AsyncFiles

        return AsyncFiles(self)

    @cached_property
    def batches(self) -> AsyncBatches:
        """``batches``: ``create``, ``retrieve``, ``list``, ``cancel`` (the Batch API)."""
        from ._batches_resource import AsyncBatches

        return AsyncBatches(self)

    async def _sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    async def _request(
        self,
        options: RequestOptions,
        *,
        cast_to: type[_T],
        stream: bool = False,
        raw: bool = False,
        post_parser: Callable[[Any], Any] | None = None,
        stream_cls: type[Any] | None = None,
    ) -> Any:
        """Send with retries; return the parsed object, an ``AsyncStream`` (or ``stream_cls``) or
        an ``APIResponse``."""
        max_retries = self._max_retries_for(options)
        options = self._adapted(options)
        retries_taken = 0
        while True:
            request = self._build_request(options, retries_taken=retries_taken)
            try:
                response = await self._client.send(request, stream=stream)
            except httpx.HTTPError as exc:
                wait = self._retry_after_error(exc, request, retries_taken, max_retries)
                await self._sleep(wait)
                retries_taken += 1
                continue
            if response.status_code < 400:
                break
            delay = self._retry_after_status(response, retries_taken, max_retries)
            try:
                await response.aread()
            except httpx.HTTPError as exc:
                raise connection_error(exc, request) from exc
            finally:
                await response.aclose()
            if delay is None:
                raise self._make_status_error(response)
            await self._sleep(delay)
            retries_taken += 1
        self._learn(response)
        return self._result(
            response,
            cast_to,
            (stream_cls or AsyncStream) if stream else None,
            raw,
            post_parser,
            retries_taken,
        )

    async def close(self) -> None:
        """Close the connection pool (only if this client created it)."""
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
