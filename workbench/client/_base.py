"""The non-I/O half of the clients: configuration, request building, retry policy, error mapping.

``Client`` and ``AsyncClient`` (in ``_client.py``) add only the sending, sleeping and reading.
"""

from __future__ import annotations

import dataclasses
import email.utils
import functools
import json
import logging
import math
import os
import random
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
import pydantic
from typing_extensions import Self

from .._credentials import CREDENTIAL_NAME
from .._exceptions import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    InvalidParameterError,
    WorkbenchError,
    status_error_class,
)
from .._sentinels import NOT_GIVEN, NotGiven
from .._version import __version__
from ..cassette import BASE_URL_EXTENSION
from ._profiles import (
    GENERIC,
    Profile,
    ProfileWarning,
    detect_from_response,
    detect_from_url,
    get_profile,
)

if TYPE_CHECKING:
    from ..cassette._cassette import Cassette
    from ..local import LocalModel

__all__ = ["DEFAULT_MAX_RETRIES", "DEFAULT_TIMEOUT", "BaseClient", "RequestOptions"]

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_TIMEOUT = httpx.Timeout(timeout=600.0, connect=5.0)
DEFAULT_MAX_RETRIES = 2
DEFAULT_CONNECTION_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)
_RETRY_STATUSES = frozenset({408, 409, 429})
log = logging.getLogger("workbench")
_MAX_RETRY_AFTER = 60.0
_M = TypeVar("_M", bound=pydantic.BaseModel)


@dataclass
class RequestOptions:
    """One request as the resources describe it, before it becomes an ``httpx.Request``."""

    method: str
    path: str
    json_data: Mapping[str, Any] | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, Any] | None = None
    extra_query: Mapping[str, Any] | None = None
    extra_body: Mapping[str, Any] | None = None
    timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN
    max_retries: int | None = None


class BaseClient:
    """Configuration shared by the sync and async clients, and everything that does no I/O."""

    _client: Any
    _owns_client: bool

    _initial_retry_delay = 0.5
    _max_retry_delay = 8.0

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
        self.local_model = local_model
        self.cassette = cassette
        """The ``Cassette`` this client records to or replays from, if any."""
        if base_url is None:
            base_url = DEFAULT_BASE_URL
        self._api_key = api_key
        self.organization = organization
        self.project = project
        self.base_url = httpx.URL(str(base_url).rstrip("/") + "/")
        self.timeout: float | httpx.Timeout | None = (
            DEFAULT_TIMEOUT if isinstance(timeout, NotGiven) else timeout
        )
        self.max_retries = max_retries
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

    # -- configuration ---------------------------------------------------------------------

    @property
    def api_key(self) -> str | None:
        """The API key in use (never shown by ``repr``)."""
        return self._api_key

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

    def with_options(self, **overrides: Any) -> Self:
        """A copy of this client with some settings changed (sharing the connection pool, and
        so the cassette)."""
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
        # httpx.Headers matches names case-insensitively, so an extra header replaces (or, as
        # NOT_GIVEN, removes) a default one however either is spelt, instead of adding a twin.
        headers = httpx.Headers()
        removed: set[str] = set()
        for name, value in (*self.default_headers.items(), *(options.headers or {}).items()):
            if isinstance(value, NotGiven):
                headers.pop(name, None)
                removed.add(name.lower())
            else:
                headers[name] = str(value)
                removed.discard(name.lower())
        if retries_taken:
            headers["x-stainless-retry-count"] = str(retries_taken)
        params = {**self._custom_query, **options.params, **(options.extra_query or {})}
        content: bytes | None = None
        if options.json_data is not None or options.extra_body:
            body = dict(options.json_data or {})
            if options.extra_body:
                body.update(options.extra_body)
            try:  # strict JSON: NaN, sets, bytes or objects must not reach the server
                text = json.dumps(body, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
            except (TypeError, ValueError, RecursionError) as exc:
                raise _not_json(body, exc) from None
            content = text.encode()
            headers["Content-Type"] = "application/json"
        url = self.base_url.join(options.path.lstrip("/"))
        timeout = self.timeout if isinstance(options.timeout, NotGiven) else options.timeout
        # Built by the httpx client, as openai does: a caller's http_client adds its own headers
        # (below ours), query parameters and cookies, and httpx's Accept-Encoding.
        request: httpx.Request = self._client.build_request(
            options.method,
            url,
            params=_flatten_query(params),
            headers=headers,
            content=content,
            extensions={
                "timeout": httpx.Timeout(timeout).as_dict(),
                BASE_URL_EXTENSION: str(self.base_url),  # what a cassette's paths are below
            },
        )
        for name in removed:  # NOT_GIVEN removes the http_client's own header too
            request.headers.pop(name, None)
        return request

    def _max_retries_for(self, options: RequestOptions) -> int:
        return self.max_retries if options.max_retries is None else options.max_retries

    # -- retry policy ----------------------------------------------------------------------

    @staticmethod
    def _should_retry(response: httpx.Response) -> bool:
        should = response.headers.get("x-should-retry")
        if should == "true":
            return True
        if should == "false":
            return False
        return response.status_code in _RETRY_STATUSES or response.status_code >= 500

    def _retry_after_error(
        self, exc: httpx.HTTPError, request: httpx.Request, retries_taken: int, max_retries: int
    ) -> float:
        """The delay before retrying a request that got no response; raises when none is left."""
        if retries_taken >= max_retries:
            raise _connection_error(exc, request) from exc
        return self._retry_delay_logged(request, retries_taken, type(exc).__name__, None)

    def _retry_after_status(
        self, response: httpx.Response, retries_taken: int, max_retries: int
    ) -> float | None:
        """The delay before retrying an error status, or None when it is final."""
        if retries_taken >= max_retries or not self._should_retry(response):
            return None
        reason = f"status {response.status_code}"
        return self._retry_delay_logged(response.request, retries_taken, reason, response.headers)

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
            result = _parse_body(response, cast_to, scrub)
            return post_parser(result) if post_parser is not None else result

        if raw:
            from ._response import APIResponse

            return APIResponse(response, parse, retries_taken=retries_taken)
        return parse()

    def _retry_delay_logged(
        self, request: httpx.Request, retries_taken: int, reason: str, headers: httpx.Headers | None
    ) -> float:
        """The delay before the next retry, logged (with the key scrubbed from the URL)."""
        delay = self._retry_delay(retries_taken, headers)
        log.info(
            "retrying %s %s in %.2f s (retry %d, after %s)",
            request.method,
            self._redact(str(request.url)),
            delay,
            retries_taken + 1,
            reason,
        )
        return delay

    def _retry_delay(self, retries_taken: int, headers: httpx.Headers | None) -> float:
        """Seconds to wait before retry number ``retries_taken + 1``.

        A ``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date) header of up to a minute
        is honoured; otherwise exponential backoff from 0.5 s up to 8 s with up to 25% jitter.
        """
        after = _retry_after(headers) if headers is not None else None
        if after is not None and 0 < after <= _MAX_RETRY_AFTER:
            return after
        delay = min(self._initial_retry_delay * 2.0**retries_taken, self._max_retry_delay)
        return delay * (1 - 0.25 * random.random())

    # -- errors ----------------------------------------------------------------------------

    def _credentials(self, request: httpx.Request | None = None) -> list[str]:
        """What this client sends as credentials: its API key, and the values of credential
        headers (``Authorization``, ``api-key``, ...) of its own and of ``request`` (which has
        the per-request ``extra_headers``); ``Bearer X`` gives both forms. Longest first."""
        found = [self._api_key] if self._api_key else []
        headers = list(self._custom_headers.items())
        if request is not None:
            headers += request.headers.items()
        for name, value in headers:
            if isinstance(value, str) and CREDENTIAL_NAME.fullmatch(name):
                found += [value, value.partition(" ")[2].strip()]
        return sorted({v for v in found if len(v) >= 4}, key=len, reverse=True)

    def _redact(self, text: str, request: httpx.Request | None = None) -> str:
        """Remove the credentials (see ``_credentials``) from text that came back from the
        server: an echoing server may quote them in an error."""
        return _without(text, self._credentials(request))

    def _make_status_error(self, response: httpx.Response) -> APIStatusError:
        """The typed error for a response whose status is >= 400 (its body already read)."""
        text = self._redact(response.text, response.request)
        body: object = text
        message = ""
        try:
            data = json.loads(text) if text else None
        except ValueError:
            data = None
        if isinstance(data, dict):
            error = data.get("error", data)
            body = error
            if isinstance(error, dict):
                message = _message_of(error)
            elif isinstance(error, str):
                message = error
        if not message:  # no message anywhere: the body itself is the server's message
            message = text[:500]
        summary = f"Error code: {response.status_code}"
        if message:
            summary += f" - {message}"
        request_id = response.headers.get("x-request-id")
        if request_id:
            summary += f" (request id: {request_id})"
        return status_error_class(response.status_code)(summary, response=response, body=body)

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
        return _scrubbed(data, self._credentials(request))


def _without(text: str, secrets: list[str]) -> str:
    """``text`` with each of ``secrets`` (longest first) replaced by ``[redacted]``."""
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, "[redacted]")
    return text


def _scrubbed(data: Any, secrets: list[str]) -> Any:
    """JSON-like ``data`` with ``_without`` applied to every string in it, keys included."""
    if isinstance(data, str):
        return _without(data, secrets)
    if isinstance(data, dict):
        return {_scrubbed(k, secrets): _scrubbed(v, secrets) for k, v in data.items()}
    if isinstance(data, list):
        return [_scrubbed(value, secrets) for value in data]
    return data


def _parse_body(response: httpx.Response, cast_to: type[_M], scrub: Callable[[Any], Any]) -> _M:
    """Validate a whole JSON body into ``cast_to``; a body of another shape is a typed error.

    ``scrub`` removes the API key from what the error quotes (an echoing server may send it back).
    """
    content = response.content
    if not content.strip():
        raise APIResponseValidationError(response, None, message="The server sent an empty body.")
    try:
        return cast_to.model_validate_json(content)
    except pydantic.ValidationError as exc:
        try:
            body: object = response.json()
        except ValueError:
            body = response.text[:1000]
            message = f"The server's response is not JSON: {body[:200]!r}"
        else:
            message = (
                f"The server's response does not match {cast_to.__name__}: "
                f"{exc.errors(include_url=False)[:3]}"
            )
        raise APIResponseValidationError(response, scrub(body), message=scrub(message)) from None


def _connection_error(exc: httpx.HTTPError, request: httpx.Request) -> APIConnectionError:
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(request)
    return APIConnectionError(message=f"Connection error: {describe(exc)}", request=request)


def describe(exc: BaseException) -> str:
    """``Type: message`` for a transport error, the message taken from the first exception of its
    chain that has one: under asyncio a reset is an ``httpx.ReadError`` with no text, raised from
    anyio's ``BrokenResourceError`` (no text either), raised from the ``ConnectionResetError``."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        text = str(cause)
        if text:
            return f"{type(exc).__name__}: {text}"
        cause = cause.__cause__ or cause.__context__
    return type(exc).__name__


def _message_of(error: Mapping[str, Any]) -> str:
    """The message of an error object: OpenAI's ``message``, or another server's own field
    (FastAPI's ``detail``, a string or a list of ``{"msg": ...}``; a nested ``error``)."""
    for key in ("message", "detail", "error", "msg"):
        value = error.get(key)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, list) and value:
            return "; ".join(
                str(item.get("msg") or item) if isinstance(item, Mapping) else str(item)
                for item in value
            )
        if isinstance(value, Mapping) and (found := _message_of(value)):
            return found
    return ""


def _flatten_query(
    params: Mapping[str, object],
) -> list[tuple[str, str | int | float | bool | None]]:
    """Query items as the API reads them: booleans as true/false, dicts as ``name[key]=value``."""
    items: list[tuple[str, str | int | float | bool | None]] = []
    for name, value in params.items():
        if isinstance(value, NotGiven) or value is None:
            continue
        if isinstance(value, Mapping):
            items.extend((f"{name}[{key}]", _query_scalar(v)) for key, v in value.items())
        elif isinstance(value, (list, tuple)):
            items.extend((name, _query_scalar(v)) for v in value)
        else:
            items.append((name, _query_scalar(value)))
    return items


def _query_scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _retry_after(headers: httpx.Headers) -> float | None:
    value = headers.get("retry-after-ms")
    if value is not None:
        try:
            return float(value) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    parsed = email.utils.parsedate_tz(value)
    if parsed is None:
        return None
    return float(email.utils.mktime_tz(parsed) - time.time())


def _not_json(body: Mapping[str, Any], exc: BaseException) -> InvalidParameterError:
    """The error for a request body JSON cannot carry, naming the first value at fault."""
    try:
        where = _json_fault(body, "", set()) or "body"
    except RecursionError:
        where = "body"
    return InvalidParameterError(where, f"cannot be sent as JSON ({exc})")


def _json_fault(value: object, path: str, seen: set[int]) -> str | None:
    """The path of the first value in ``value`` that is not JSON (None if there is none)."""
    if isinstance(value, float):
        return None if math.isfinite(value) else path
    if value is None or isinstance(value, (str, int)):
        return None
    if not isinstance(value, (Mapping, list, tuple)) or id(value) in seen:
        return path or "body"
    seen = seen | {id(value)}
    if isinstance(value, Mapping):
        for key, item in value.items():
            at = f"{path}.{key}" if path else str(key)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                return at
            found = _json_fault(item, at, seen)
            if found:
                return found
        return None
    for i, item in enumerate(value):
        found = _json_fault(item, f"{path}[{i}]", seen)
        if found:
            return found
    return None
