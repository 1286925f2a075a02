"""Foreign failures as workbench's typed errors: transport errors, error statuses, bodies of the
wrong shape, with the client's credentials scrubbed from whatever the error quotes.

No raw httpx or pydantic exception leaves the client; these functions are where they are
translated (the error tree itself is ``workbench/_exceptions.py``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import httpx
import pydantic

from .._credentials import CREDENTIAL_NAME
from .._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    status_error_class,
)

__all__ = [
    "connection_error",
    "credentials",
    "describe",
    "parse_body",
    "scrubbed",
    "status_error",
    "without",
]

_M = TypeVar("_M", bound=pydantic.BaseModel)


def credentials(
    api_key: str | None, headers: Iterable[tuple[str, Any]], request: httpx.Request | None
) -> list[str]:
    """What a client sends as credentials: its API key, and the values of credential headers
    (``Authorization``, ``api-key``, ...) among ``headers`` and ``request``'s (which has the
    per-request ``extra_headers``); ``Bearer X`` gives both forms. Longest first."""
    found = [api_key] if api_key else []
    pairs = list(headers)
    if request is not None:
        pairs += request.headers.items()
    for name, value in pairs:
        if isinstance(value, str) and CREDENTIAL_NAME.fullmatch(name):
            found += [value, value.partition(" ")[2].strip()]
    return sorted({v for v in found if len(v) >= 4}, key=len, reverse=True)


def without(text: str, secrets: list[str]) -> str:
    """``text`` with each of ``secrets`` (longest first) replaced by ``[redacted]``."""
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, "[redacted]")
    return text


def scrubbed(data: Any, secrets: list[str]) -> Any:
    """JSON-like ``data`` with ``without`` applied to every string in it, keys included."""
    if isinstance(data, str):
        return without(data, secrets)
    if isinstance(data, dict):
        return {scrubbed(k, secrets): scrubbed(v, secrets) for k, v in data.items()}
    if isinstance(data, list):
        return [scrubbed(value, secrets) for value in data]
    return data


def status_error(response: httpx.Response, text: str) -> APIStatusError:
    """The typed error for a response whose status is >= 400, from its body ``text`` (already
    read, and scrubbed of credentials)."""
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


def parse_body(response: httpx.Response, cast_to: type[_M], scrub: Callable[[Any], Any]) -> _M:
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


def connection_error(exc: httpx.HTTPError, request: httpx.Request) -> APIConnectionError:
    """The typed error for a request that got no response: a timeout or a connection error."""
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
