"""The non-I/O half of the clients: configuration, building a request, deciding on a retry,
parsing a result.

``Client`` and ``AsyncClient`` (in ``_client.py``) add only the sending, sleeping and reading. The
rules this base applies live beside it: the wire form of a request in ``_request_options.py``,
when and how long to retry in ``_retries.py``, the typed errors in ``_errors.py``.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
import warnings
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import httpx
from typing_extensions import Self

from .._exceptions import APIError, APIStatusError, WorkbenchError
from .._sentinels import NotGiven
from .._version import __version__
from ..cassette import BASE_URL_EXTENSION
from ._errors import connection_error, credentials, parse_body, scrubbed, status_error, without
from ._profiles import (
    GENERIC,
    Profile,
    ProfileWarning,
    detect_from_response,
    detect_from_url,
    get_profile,
)
from ._request_options import (
    MergedHeaders,
    RequestOptions,
    flatten_query,
    json_body,
    merged_headers,
    multipart_boundary,
)
from ._retries import DEFAULT_MAX_RETRIES, retry_delay, should_retry

if TYPE_CHECKING:
    from ..cassette._cassette import Cassette
    from ..local import LocalModel

__all__ = ["DEFAULT_MAX_RETRIES", "DEFAULT_TIMEOUT", "BaseClient"]

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_TIMEOUT = httpx.Timeout(timeout=600.0, connect=5.0)
DEFAULT_CONNECTION_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)
log = logging.getLogger("workbench")
_MAX_CACHED_URLS = 64


class BaseClient:
    """Configuration shared by the sync and async clients, and everything that does no I/O."""

    _client: httpx.Client | httpx.AsyncClient
    _owns_client: bool

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str | httpx.URL | None,
        organization: str | None,
        project: str | None,
        timeout: float | httpx.Timeout | NotGiven | None,
        max_retries: int,
        default_headers: Mapping[str, str] | None,
        default_query: Mapping[str, object] | None,
        local_model: LocalModel | None = None,
        cassette: Cassette | None = None,
        profile: str | Profile | None = None,
        retry_rate_limits: bool = True,
    ) -> None:
        if api_key is None:
            api_key = os.environ.get("OPENAI_API_KEY") or None
        if base_url is None:
            base_url = os.environ.get("OPENAI_BASE_URL") or None
        if organization is None:
            organization = os.environ.get("OPENAI_ORG_ID") or None
        if project is None:
            project = os.environ.get("OPENAI_PROJECT_ID") or None
        if api_key is not None and not isinstance(api_key, str):
            raise WorkbenchError("api_key must be a string")
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise WorkbenchError(f"max_retries must be an integer >= 0, got {max_retries!r}")
        if not isinstance(retry_rate_limits, bool):
            raise WorkbenchError(
                f"retry_rate_limits must be True or False, got {retry_rate_limits!r}"
            )
        self.local_model = local_model
        self.cassette = cassette
        """The ``Cassette`` this client records to or replays from, if any."""
        if base_url is None:
            base_url = DEFAULT_BASE_URL
        self._api_key = api_key
        self.organization = organization
        self.project = project
        self.base_url = base_url
        self.timeout: float | httpx.Timeout | None = (
            DEFAULT_TIMEOUT if isinstance(timeout, NotGiven) else timeout
        )
        self.max_retries = max_retries
        self.retry_rate_limits = retry_rate_limits
        """False: a 429 is raised at once (``RateLimitError``), never retried by the client."""
        self._custom_headers = dict(default_headers or {})
        self._custom_query = dict(default_query or {})
        self._profile_chosen = profile is not None
        self.profile: Profile = (
            get_profile(profile)
            if profile is not None
            else detect_from_url(self.base_url, local=local_model is not None)
        )
        """What the server takes (``workbench.PROFILES``): from ``profile=``, else detected."""
        self._noted: set[str] = set()
        self._own_headers_key: tuple[str | None, str | None] | None = None
        self._own_headers_merged: MergedHeaders = (httpx.Headers(), set())

    # -- configuration ---------------------------------------------------------------------

    @property
    def api_key(self) -> str | None:
        """The API key in use (never shown by ``repr``)."""
        return self._api_key

    @property
    def base_url(self) -> httpx.URL:
        """The URL every request's path is below (it ends in ``/``)."""
        return self._base_url

    @base_url.setter
    def base_url(self, value: str | httpx.URL) -> None:
        self._base_url = httpx.URL(str(value).rstrip("/") + "/")
        self._base_url_text = str(self._base_url)
        # Joining parses the URL again (tens of microseconds): each path is joined once.
        self._urls: dict[str, httpx.URL] = {}

    def _url(self, path: str) -> httpx.URL:
        """The URL of ``path`` below the base URL."""
        url = self._urls.get(path)
        if url is None:
            if len(self._urls) >= _MAX_CACHED_URLS:  # paths with ids in them are many
                self._urls.clear()
            url = self._urls[path] = self._base_url.join(path.lstrip("/"))
        return url

    def __repr__(self) -> str:
        key = "set" if self._api_key else "none"
        where = "local model" if self.local_model is not None else repr(str(self.base_url))
        return f"{type(self).__name__}(base_url={where}, api_key=<{key}>)"

    @property
    def default_headers(self) -> dict[str, str]:
        """Headers sent with every request."""
        headers = {
            "Accept": "application/json",
            "User-Agent": f"workbench/{__version__}",
        }
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        if self.organization:
            headers["OpenAI-Organization"] = self.organization
        if self.project:
            headers["OpenAI-Project"] = self.project
        headers.update(self._custom_headers)
        return headers

    def _own_headers(self) -> MergedHeaders:
        """``default_headers`` merged, built again only when the organization or project
        (the settings a caller may change on the client) changed since the last request."""
        key = (self.organization, self.project)
        if self._own_headers_key != key:
            self._own_headers_merged = merged_headers(self.default_headers.items())
            self._own_headers_key = key
        return self._own_headers_merged

    def with_options(self, **overrides: Any) -> Self:
        """A copy of this client with some settings changed: any constructor argument, such as
        ``timeout=``, ``max_retries=`` or ``retry_rate_limits=`` (sharing the connection pool,
        and so the cassette)."""
        if overrides.keys() & {"record", "replay", "record_missing", "cassette"}:
            raise WorkbenchError(
                "a copy shares the connection pool, and so the cassette: make a new client to"
                " record or replay elsewhere"
            )
        kwargs = {**self._copy_kwargs(), "http_client": self._client, **overrides}
        client = type(self)(**kwargs)
        client._owns_client = False
        return client

    copy = with_options

    def _copy_kwargs(self) -> dict[str, Any]:
        return {
            "api_key": self._api_key,
            "base_url": self.base_url,
            "organization": self.organization,
            "project": self.project,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "retry_rate_limits": self.retry_rate_limits,
            "default_headers": self._custom_headers,
            "default_query": self._custom_query,
            "local": self.local_model or False,
            "cassette": False if self.cassette is None else self.cassette,
            "profile": self.profile if self._profile_chosen else None,
        }

    # -- requests --------------------------------------------------------------------------

    def _adapted(self, options: RequestOptions) -> RequestOptions:
        """``options`` with a chat request's body in the form the server takes (its profile);
        every change or known problem is noted once per client (a ``ProfileWarning``)."""
        if options.path != "/chat/completions" or options.method.lower() != "post":
            return options
        if not options.json_data:
            return options
        body = self.profile.adapt(options.json_data, self._note)
        if body == options.json_data:  # nothing to change: keep the options (copying is slow)
            return options
        return dataclasses.replace(options, json_data=body)

    def _note(self, key: str, message: str) -> None:
        if key in self._noted:
            return
        self._noted.add(key)
        log.info("%s", message)
        warnings.warn(message, ProfileWarning, stacklevel=5)

    def _learn(self, response: httpx.Response) -> None:
        """A server that shows what it is in its answers sets the profile (unless one was
        chosen): a LiteLLM proxy, say, behind a generic base URL."""
        if self._profile_chosen or self.profile is not GENERIC:
            return
        found = detect_from_response(response.headers)
        if found is not None:
            self.profile = found

    def _build_request(self, options: RequestOptions, *, retries_taken: int = 0) -> httpx.Request:
        headers, removed = merged_headers((options.headers or {}).items(), self._own_headers())
        if retries_taken:
            headers["x-stainless-retry-count"] = str(retries_taken)
        params = {**self._custom_query, **options.params, **(options.extra_query or {})}
        content: bytes | None = None
        form: dict[str, Any] = {}
        if options.files is not None:
            form = self._multipart(options, headers)
        elif options.json_data is not None or options.extra_body:
            content = json_body(options.json_data, options.extra_body)
            headers["Content-Type"] = "application/json"
        timeout = self.timeout if isinstance(options.timeout, NotGiven) else options.timeout
        # Built by the httpx client, as openai does: a caller's http_client adds its own headers
        # (below ours), query parameters and cookies, and httpx's Accept-Encoding.
        request: httpx.Request = self._client.build_request(
            options.method,
            self._url(options.path),
            # None, not []: an empty list still makes httpx parse the URL again.
            params=flatten_query(params) or None,
            headers=headers,
            content=content,
            **form,
            extensions={
                "timeout": httpx.Timeout(timeout).as_dict(),
                BASE_URL_EXTENSION: self._base_url_text,  # what a cassette's paths are below
            },
        )
        for name in removed:  # NOT_GIVEN removes the http_client's own header too
            request.headers.pop(name, None)
        return request

    @staticmethod
    def _multipart(options: RequestOptions, headers: httpx.Headers) -> dict[str, Any]:
        """The ``data=`` and ``files=`` of a multipart request, and its Content-Type (with a
        boundary made from the content) set in ``headers``."""
        fields = [
            (name, str(value))
            for name, value in flatten_query(
                {**(options.json_data or {}), **(options.extra_body or {})}
            )
        ]
        files = options.files or []
        boundary = multipart_boundary(fields, files)
        headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        data: dict[str, list[str]] = {}
        for name, value in fields:
            data.setdefault(name, []).append(value)
        return {"data": data, "files": files}

    def _max_retries_for(self, options: RequestOptions) -> int:
        return self.max_retries if options.max_retries is None else options.max_retries

    # -- retry policy (the rules are in _retries.py) -----------------------------------------

    def _retry_after_error(
        self, exc: httpx.HTTPError, request: httpx.Request, retries_taken: int, max_retries: int
    ) -> float:
        """The delay before retrying a request that got no response; raises when none is left."""
        if retries_taken >= max_retries:
            raise connection_error(exc, request) from exc
        return self._retry_delay_logged(request, retries_taken, type(exc).__name__, None)

    def _retry_after_status(
        self, response: httpx.Response, retries_taken: int, max_retries: int
    ) -> float | None:
        """The delay before retrying an error status, or None when it is final."""
        if retries_taken >= max_retries or not should_retry(
            response, rate_limits=self.retry_rate_limits
        ):
            return None
        reason = f"status {response.status_code}"
        return self._retry_delay_logged(response.request, retries_taken, reason, response.headers)

    def _retry_delay_logged(
        self, request: httpx.Request, retries_taken: int, reason: str, headers: httpx.Headers | None
    ) -> float:
        """The delay before the next retry, logged (with the key scrubbed from the URL)."""
        delay = retry_delay(retries_taken, headers)
        log.info(
            "retrying %s %s in %.2f s (retry %d, after %s)",
            request.method,
            self._redact(str(request.url)),
            delay,
            retries_taken + 1,
            reason,
        )
        return delay

    # -- results and errors (the translations are in _errors.py) ----------------------------

    def _result(
        self,
        response: httpx.Response,
        cast_to: type[Any],
        stream_cls: type[Any] | None,
        raw: bool,
        post_parser: Callable[[Any], Any] | None,
        retries_taken: int,
    ) -> Any:
        """What a call returns for a successful response: the parsed object, a stream over it,
        or (``raw``) an ``APIResponse`` that parses on demand."""

        def parse() -> Any:
            if stream_cls is not None:
                return stream_cls(cast_to=cast_to, response=response, client=self)
            scrub = functools.partial(self._scrub, request=response.request)
            result = parse_body(response, cast_to, scrub)
            return post_parser(result) if post_parser is not None else result

        if raw:
            from ._response import APIResponse

            return APIResponse(response, parse, retries_taken=retries_taken)
        return parse()

    def _credentials(self, request: httpx.Request | None = None) -> list[str]:
        """What this client sends as credentials: its API key, and the values of credential
        headers (``Authorization``, ``api-key``, ...) of its own and of ``request`` (which has
        the per-request ``extra_headers``); ``Bearer X`` gives both forms. Longest first."""
        return credentials(self._api_key, self._custom_headers.items(), request)

    def _redact(self, text: str, request: httpx.Request | None = None) -> str:
        """Remove the credentials (see ``_credentials``) from text that came back from the
        server: an echoing server may quote them in an error."""
        return without(text, self._credentials(request))

    def _make_status_error(self, response: httpx.Response) -> APIStatusError:
        """The typed error for a response whose status is >= 400 (its body already read)."""
        return status_error(response, self._redact(response.text, response.request))

    def _make_stream_error(self, request: httpx.Request, data: object) -> APIError:
        """The error for an ``event: error`` (or an ``error`` object) inside a stream."""
        error = self._scrub(data.get("error", data) if isinstance(data, dict) else data, request)
        if isinstance(error, dict):
            message = str(error.get("message") or "An error occurred during streaming")
        else:
            message = str(error) or "An error occurred during streaming"
        return APIError(message, request, body=error)

    def _scrub(self, data: Any, request: httpx.Request | None = None) -> Any:
        """``data`` (decoded JSON, or text) with the credentials removed from every string in
        it, keys included (the credentials are gathered once, not once per string)."""
        return scrubbed(data, self._credentials(request))
