"""The cassette's lines: a header, then one recorded exchange a line; and what keeps secrets out.

A cassette is JSON Lines. The first line is ``{"workbench_cassette": 1, "base_url": ...}``; each
later line is one exchange::

    {"request": {"method": "POST", "path": "chat/completions", "query": [], "body": {...}},
     "response": {"status": 200, "headers": {"content-type": "..."}, "body": "...",
                  "complete": true}}

``path`` is relative to the client's base URL; ``body`` is the request's JSON (text when it is
not JSON). A response body is the text as received (for a stream, the raw server-sent events);
``body_base64`` replaces it when the bytes are not UTF-8. ``complete`` is false when the reader
stopped before the end. ``error`` records a transport error: instead of a response (a refused
connection), or after a response's body (a stream cut short).

No request header is recorded, and the values of credential headers (``Authorization``,
``api-key``, ...), with anything shaped like an OpenAI key, are redacted from everything that is.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable
from typing import Any

import httpx
import pydantic

from .._credentials import CREDENTIAL_NAME, MIN_SECRET, OPENAI_KEY
from .._exceptions import CassetteError
from ._choose import BASE_URL_EXTENSION

__all__ = [
    "BASE_URL_EXTENSION",
    "FORMAT_VERSION",
    "Exchange",
    "RecordedError",
    "RecordedRequest",
    "RecordedResponse",
    "Secrets",
    "describe",
    "dump_line",
    "header_line",
    "parse_line",
    "recorded_error",
    "recorded_response",
]

FORMAT_VERSION = 1
_HEADER = "workbench_cassette"

REDACTED = "[redacted]"
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an HTTP token
_BREAKS = re.compile(r"[\r\n\0]")
# An OpenAI-shaped key standing on its own: inside a run of URL-safe base64 (encrypted
# reasoning, a Fernet token) "sk-" is ciphertext, and redacting it would corrupt what a replayed
# turn sends back. The key the client holds is redacted wherever it appears.
_KEY_SHAPED = re.compile(r"(?<![A-Za-z0-9_-])" + OPENAI_KEY.pattern)

# Response headers worth replaying: what the client reads (retries, request ids, rate limits).
_KEPT_HEADERS = frozenset(
    {
        "content-type",
        "x-request-id",
        "retry-after",
        "retry-after-ms",
        "x-should-retry",
        "openai-processing-ms",
        "openai-version",
    }
)
_KEPT_PREFIXES = ("x-ratelimit-",)


class _Row(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)


class RecordedRequest(_Row):
    """A request as the cassette keeps it: no headers, secrets redacted."""

    method: str
    path: str
    query: list[tuple[str, str]] = []
    body: Any = None


class RecordedResponse(_Row):
    """A response: status, the headers that matter, and the whole body as received."""

    status: int = pydantic.Field(ge=100, le=599)
    headers: dict[str, str] = {}
    body: str | None = None
    body_base64: str | None = None
    complete: bool = True

    @pydantic.field_validator("headers")
    @classmethod
    def _headers(cls, headers: dict[str, str]) -> dict[str, str]:
        for name, value in headers.items():
            if not _HEADER_NAME.fullmatch(name) or _BREAKS.search(value):
                raise ValueError(f"{name!r}: {value!r} is not an HTTP header")
        return headers

    @pydantic.field_validator("body_base64")
    @classmethod
    def _base64(cls, text: str | None) -> str | None:
        if text is not None:
            try:
                base64.b64decode(text, validate=True)
            except ValueError:
                raise ValueError("not base64") from None
        return text

    @pydantic.model_validator(mode="after")
    def _one_body(self) -> RecordedResponse:
        if self.body is not None and self.body_base64 is not None:
            raise ValueError("body and body_base64 both given: keep one")
        return self

    def content(self) -> bytes:
        """The body's bytes."""
        if self.body_base64 is not None:
            return base64.b64decode(self.body_base64)
        return (self.body or "").encode()


class RecordedError(_Row):
    """A transport error (the name of an httpx exception, and its message)."""

    type: str
    message: str

    def to_httpx(self, request: httpx.Request) -> httpx.RequestError:
        """The httpx exception to raise again; ``TransportError`` for a name httpx lacks."""
        cls = getattr(httpx, self.type, None)
        if not (isinstance(cls, type) and issubclass(cls, httpx.RequestError)):
            cls = httpx.TransportError
        return cls(self.message, request=request)


class Exchange(_Row):
    """One line of a cassette: a request, and its response or its error (or both)."""

    request: RecordedRequest
    response: RecordedResponse | None = None
    error: RecordedError | None = None

    @pydantic.model_validator(mode="after")
    def _answered(self) -> Exchange:
        if self.response is None and self.error is None:
            raise ValueError("neither a response nor an error")
        return self


class Secrets:
    """The credentials of one request, and how to redact them (with OpenAI-shaped keys)."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        found = {v for v in values if len(v) >= MIN_SECRET}
        self.values = tuple(sorted(found, key=len, reverse=True))  # longest first

    @classmethod
    def of(cls, headers: httpx.Headers) -> Secrets:
        """The values of a request's credential headers (``Bearer KEY`` gives both forms)."""
        values: list[str] = []
        for name, value in headers.items():
            if CREDENTIAL_NAME.fullmatch(name):
                values.append(value)
                values.append(value.partition(" ")[2].strip())
        return cls(values)

    def text(self, text: str) -> str:
        """``text`` with every secret, and anything shaped like an OpenAI key, redacted."""
        for secret in self.values:
            if secret in text:
                text = text.replace(secret, REDACTED)
        # One marker for both, so that a request matches its recording whether or not the
        # replaying client holds the key that was redacted.
        return _KEY_SHAPED.sub(REDACTED, text) if "sk-" in text else text

    def value(self, value: Any) -> Any:
        """A copy of JSON-like ``value`` with every string (keys too) redacted; no key is
        dropped, since a tool's schema may well name a parameter ``api_key``."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(k): self.value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        return value

    def query(self, items: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """Query parameters without credential ones (``?api-key=``), the rest redacted."""
        return [(k, self.text(v)) for k, v in items if not CREDENTIAL_NAME.fullmatch(k)]


def describe(request: httpx.Request, content: bytes, secrets: Secrets) -> RecordedRequest:
    """What the cassette keeps of ``request`` (whose body is ``content``)."""
    url = str(request.url.copy_with(query=None, fragment=None))
    base = request.extensions.get(BASE_URL_EXTENSION)
    path = url[len(base) :] if isinstance(base, str) and url.startswith(base) else url
    body: Any = None
    if content:
        text = content.decode("utf-8", errors="replace")
        try:
            body = json.loads(text)
        except ValueError:
            body = text
    return RecordedRequest(
        method=request.method.upper(),
        path=secrets.text(path),
        query=secrets.query(request.url.params.multi_items()),
        body=secrets.value(body),
    )


def recorded_response(
    response: httpx.Response, content: bytes, secrets: Secrets, *, complete: bool
) -> RecordedResponse:
    """What the cassette keeps of ``response``, whose (decoded) body is ``content``."""
    headers = {
        name: secrets.text(value)
        for name, value in response.headers.items()
        if name in _KEPT_HEADERS or name.startswith(_KEPT_PREFIXES)
    }
    try:
        text: str | None = secrets.text(content.decode("utf-8"))
        encoded = None
    except UnicodeDecodeError:
        text, encoded = None, base64.b64encode(content).decode("ascii")
    return RecordedResponse(
        status=response.status_code,
        headers=headers,
        body=text,
        body_base64=encoded,
        complete=complete,
    )


def recorded_error(exc: Exception, secrets: Secrets) -> RecordedError:
    """What the cassette keeps of a transport error."""
    return RecordedError(type=type(exc).__name__, message=secrets.text(str(exc)))


def header_line(base_url: str | None) -> str:
    """The first line of a new cassette."""
    return dump_line({_HEADER: FORMAT_VERSION, "base_url": base_url})


def dump_line(row: dict[str, Any] | Exchange) -> str:
    """One line of the file (with its newline)."""
    if isinstance(row, Exchange):
        row = row.model_dump(mode="json", exclude_none=True, exclude_defaults=False)
    return json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n"


def parse_line(text: str, where: str, line: int) -> dict[str, Any] | Exchange:
    """A header (a dict) or an exchange; raises ``CassetteError`` naming ``where`` and ``line``."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise CassetteError(f"not valid JSON ({exc})", path=where, line=line) from None
    if not isinstance(data, dict):
        raise CassetteError("not a JSON object", path=where, line=line)
    if _HEADER in data:
        version = data[_HEADER]
        if version != FORMAT_VERSION:
            raise CassetteError(
                f"cassette format {version!r} is not one this workbench reads ({FORMAT_VERSION})",
                path=where,
                line=line,
            )
        return data
    try:
        return Exchange.model_validate(data)
    except pydantic.ValidationError as exc:
        faults = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'line'}: {e['msg']}" for e in exc.errors()[:3]
        )
        raise CassetteError(f"not a recorded exchange ({faults})", path=where, line=line) from None
