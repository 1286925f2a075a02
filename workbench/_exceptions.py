"""The whole error tree of workbench; foreign (httpx, pydantic) errors are translated into it.

::

    WorkbenchError                       (alias: OpenAIError)
    ├── InvalidParameterError            bad input, raised before anything is sent (also ValueError)
    ├── LengthFinishReasonError          parse: the output was cut off by the token limit
    ├── ContentFilterFinishReasonError   parse: the output was withheld by the content filter
    ├── OutputValidationError            parse: structured output that is not valid JSON or
    │                                    does not fit the requested type (also
    │                                    pydantic.ValidationError, as openai raises)
    ├── ToolArgumentsError               a tool call's arguments do not fit the tool (sent back
    │                                    to the model as the tool's result; also ValueError)
    ├── CassetteError                    a record/replay cassette that cannot be used (names
    │   │                                the file and the line)
    │   └── CassetteMissError            replay: a request with no recording (names what
    │                                    differs from the closest one)
    └── APIError                         something went wrong talking to the server
        ├── APIConnectionError           no response: refused, reset, DNS, ...
        │   └── APITimeoutError          no response in time
        ├── APIResponseValidationError   a response that is not what the protocol promises
        └── APIStatusError               the server answered with a status >= 400
            ├── BadRequestError          400
            ├── AuthenticationError      401
            ├── PermissionDeniedError    403
            ├── NotFoundError            404
            ├── ConflictError            409
            ├── UnprocessableEntityError 422
            ├── RateLimitError           429
            └── InternalServerError      >= 500

Who is at fault: ``InvalidParameterError`` is the caller's; ``APIStatusError`` 4xx the request's;
``APIConnectionError`` and 5xx the network's or the server's (and retried). No message carries an
API key: the client scrubs the key it holds from every message and body it wraps.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import httpx
import pydantic_core  # its ValidationError is pydantic's; pydantic itself is heavier

if TYPE_CHECKING:
    from .types import ChatCompletion

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "CassetteError",
    "CassetteMissError",
    "ConflictError",
    "ContentFilterFinishReasonError",
    "InternalServerError",
    "InvalidParameterError",
    "LengthFinishReasonError",
    "NotFoundError",
    "OpenAIError",
    "OutputValidationError",
    "PermissionDeniedError",
    "RateLimitError",
    "ToolArgumentsError",
    "UnprocessableEntityError",
    "WorkbenchError",
]


class WorkbenchError(Exception):
    """The base of every error workbench raises."""


OpenAIError = WorkbenchError
"""The openai package's name for the base error, so ``except OpenAIError`` keeps working."""


class InvalidParameterError(WorkbenchError, ValueError):
    """A parameter was invalid; raised before any request is sent.

    Attributes:
        param: the parameter's name (a dotted path such as ``messages[2].role``).
        allowed: a short description of the values that would be accepted.
    """

    def __init__(self, param: str, message: str, *, allowed: str | Sequence[Any] | None = None):
        if allowed is not None and not isinstance(allowed, str):
            allowed = ", ".join(repr(v) for v in allowed)
        text = f"{param}: {message}"
        if allowed:
            text += f" (allowed: {allowed})"
        super().__init__(text)
        self.param = param
        self.allowed = allowed


class APIError(WorkbenchError):
    """An error while talking to the server.

    Attributes:
        message: the server's own message where it gave one.
        request: the ``httpx.Request`` that failed (its headers mask credentials).
        body: the decoded error body (the ``error`` object of OpenAI's format), or the raw text.
        code, param, type: the fields of OpenAI's error object, when present.
    """

    message: str
    request: httpx.Request
    body: object | None
    code: str | None
    param: str | None
    type: str | None

    def __init__(self, message: str, request: httpx.Request, *, body: object | None) -> None:
        super().__init__(message)
        self.message = message
        self.request = request
        self.body = body
        fields = body if isinstance(body, dict) else {}
        self.code = _opt_str(fields.get("code"))
        self.param = _opt_str(fields.get("param"))
        self.type = _opt_str(fields.get("type"))


class APIResponseValidationError(APIError):
    """The server answered, but not with data of the shape the protocol promises."""

    def __init__(
        self, response: httpx.Response, body: object | None, *, message: str | None = None
    ) -> None:
        super().__init__(
            message or "The server's response does not match the expected schema.",
            response.request,
            body=body,
        )
        self.response = response
        self.status_code = response.status_code


class APIStatusError(APIError):
    """The server answered with a 4xx or 5xx status.

    Attributes:
        status_code: the HTTP status.
        request_id: the ``x-request-id`` header, to quote when reporting the error.
        response: the ``httpx.Response``.
    """

    status_code: int

    def __init__(self, message: str, *, response: httpx.Response, body: object | None) -> None:
        super().__init__(message, response.request, body=body)
        self.response = response
        self.status_code = response.status_code
        self.request_id: str | None = response.headers.get("x-request-id")

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status_code={self.status_code}, "
            f"request_id={self.request_id!r}, message={self.message!r})"
        )


class APIConnectionError(APIError):
    """No response came back: the connection was refused, reset or never made."""

    def __init__(self, *, message: str = "Connection error.", request: httpx.Request) -> None:
        super().__init__(message, request, body=None)


class APITimeoutError(APIConnectionError):
    """No response came back in time."""

    def __init__(self, request: httpx.Request, *, message: str = "Request timed out.") -> None:
        super().__init__(message=message, request=request)


class BadRequestError(APIStatusError):
    """400: the server refused the request as malformed."""


class AuthenticationError(APIStatusError):
    """401: the API key is missing or wrong."""


class PermissionDeniedError(APIStatusError):
    """403: the key may not do this."""


class NotFoundError(APIStatusError):
    """404: no such model, completion or route."""


class ConflictError(APIStatusError):
    """409: the resource changed under the request."""


class UnprocessableEntityError(APIStatusError):
    """422: the request was well-formed but could not be processed."""


class RateLimitError(APIStatusError):
    """429: too many requests or tokens; retried with backoff before it reaches you."""


class InternalServerError(APIStatusError):
    """A 5xx status: the server failed."""


STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error_class(status_code: int) -> type[APIStatusError]:
    """The error class for an HTTP status."""
    if status_code >= 500:
        return InternalServerError
    return STATUS_ERRORS.get(status_code, APIStatusError)


class LengthFinishReasonError(WorkbenchError):
    """The reply was cut off by the token limit, so it could not be parsed.

    Attributes:
        completion: the completion as received, with its usage.
    """

    def __init__(self, *, completion: ChatCompletion) -> None:
        usage = completion.usage
        spent = f" after {usage.completion_tokens} tokens" if usage is not None else ""
        super().__init__(
            f"Could not parse the response: the token limit was reached{spent}"
            " (finish_reason length). Raise max_completion_tokens or shorten the request."
        )
        self.completion = completion


class ContentFilterFinishReasonError(WorkbenchError):
    """The reply was withheld by the content filter, so it could not be parsed."""

    def __init__(self) -> None:
        super().__init__(
            "Could not parse the response: it was withheld by the content filter"
            " (finish_reason='content_filter')."
        )


class OutputValidationError(WorkbenchError, pydantic_core.ValidationError):
    """The model's structured output is not valid JSON, or does not fit the requested type.

    The model is at fault, not the request: the completion is kept for inspection. It is also
    a ``pydantic.ValidationError`` (and so a ``ValueError``), what openai's ``.parse()`` raises
    for the same output, so ``except pydantic.ValidationError`` in code written for openai
    catches it; ``errors()`` lists pydantic's errors (``json_invalid`` for text that is not
    JSON), while ``str()`` is workbench's own message, naming where the text was.

    Attributes:
        location: where the text is, such as ``choices[0].message.content``.
        text: the text that failed to parse.
        completion: the completion it came from, when there is one.
    """

    # pydantic-core makes a ValidationError only through ``from_exception_data``, which calls
    # the class itself with (title, line errors, input type, hide input): such a call goes
    # straight to pydantic; workbench's own call (location, text, reason) builds the errors
    # and asks pydantic for the instance, then ``__init__`` adds workbench's message.
    def __new__(cls, *args: Any, **kwargs: Any) -> OutputValidationError:
        if len(args) > 1 and isinstance(args[1], list):  # from_exception_data's own call
            made: OutputValidationError = super().__new__(cls, *args)
            return made
        location, text, reason = _output_error_args(*args, **kwargs)
        cause = kwargs.get("cause")
        if isinstance(cause, pydantic_core.ValidationError):
            errors: list[Any] = list(cause.errors(include_url=False))
        else:
            errors = [{"type": "json_invalid", "loc": (), "input": text, "ctx": {"error": reason}}]
        return cls.from_exception_data(location, errors)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if len(args) > 1 and isinstance(args[1], list):
            return  # from_exception_data's call: workbench's own __init__ call follows
        location, text, reason = _output_error_args(*args, **kwargs)
        shown = text if len(text) <= 200 else text[:200] + "..."
        self._message = f"{location}: the output could not be parsed: {reason}\n  text: {shown!r}"
        self.location = location
        self.text = text
        self.completion: ChatCompletion | None = kwargs.get("completion")

    def __str__(self) -> str:
        return self._message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._message!r})"


def _output_error_args(
    location: str,
    text: str,
    reason: str,
    *,
    completion: ChatCompletion | None = None,
    cause: BaseException | None = None,
) -> tuple[str, str, str]:
    """``OutputValidationError(location, text, reason, *, completion=None, cause=None)``: the
    signature, checked; ``cause`` is the pydantic or JSON error, whose errors it carries."""
    return location, text, reason


class ToolArgumentsError(WorkbenchError, ValueError):
    """The arguments a model sent for a tool are not valid JSON or do not fit its parameters.

    The message is written to be sent back to the model: what was wrong, with which field.

    Attributes:
        tool: the tool's name.
        errors: one ``(field, problem)`` pair per fault; the field is ``""`` for the whole input.
    """

    def __init__(self, tool: str, errors: list[tuple[str, str]]) -> None:
        faults = "; ".join(f"{field}: {problem}" if field else problem for field, problem in errors)
        super().__init__(f"Invalid arguments for tool {tool!r}: {faults}")
        self.tool = tool
        self.errors = errors


class CassetteError(WorkbenchError):
    """A cassette that cannot be read or written: a missing file, a malformed line.

    Attributes:
        path: the cassette's file.
        line: the line at fault (1-based), when one is.
    """

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        where = f"{path}, line {line}: " if path and line else f"{path}: " if path else ""
        super().__init__(f"cassette {where}{message}" if where else message)
        self.path = path
        self.line = line


class CassetteMissError(CassetteError):
    """Replaying, a request came that the cassette has no recording of.

    Attributes:
        differences: how the request differs from the closest recorded one, one line each
            (``body.temperature: recorded 0.2, requested 0.7``); empty when none is recorded.
    """

    def __init__(self, message: str, *, path: str, differences: list[str]) -> None:
        super().__init__(message)
        self.path = path
        self.differences = differences


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)
