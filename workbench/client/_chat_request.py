"""Turn the arguments of ``chat.completions.create`` / ``parse`` / ``stream`` into a request.

Pure functions shared by the sync and async resources: no I/O, no client state.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import pydantic

from .._exceptions import InvalidParameterError
from .._sentinels import NOT_GIVEN, NotGiven
from ..protocol._other_protocol import check_extra_body, wrong_protocol_error
from ..protocol._validate import validate_create_params
from ..types.completion_create_params import CompletionCreateParams
from ._request_options import RequestOptions

__all__ = [
    "CreateRequest",
    "build_create_request",
    "with_create_signature",
    "with_signature_of",
]

_REQUEST_OPTION_KEYS = ("extra_headers", "extra_query", "extra_body", "timeout")
_PARSED_KEYS = frozenset({"parsed", "parsed_arguments"})
_F = TypeVar("_F", bound=Callable[..., Any])


class CreateRequest:
    """A validated create request: the HTTP options plus what parsing the reply will need."""

    __slots__ = ("input_tools", "options", "response_format", "stream")

    def __init__(
        self,
        options: RequestOptions,
        response_format: object,
        input_tools: list[Mapping[str, Any]] | None,
        stream: bool,
    ) -> None:
        self.options = options
        self.response_format = response_format
        self.input_tools = input_tools
        self.stream = stream


def build_create_request(
    messages: Iterable[Any],
    model: str,
    params: Mapping[str, Any],
    *,
    stream: bool | NotGiven | None,
) -> CreateRequest:
    """Validate the parameters and build the request body.

    Raises:
        InvalidParameterError: naming the parameter and the allowed values, before any I/O.
    """
    unknown = set(params) - _KNOWN_KEYS
    if unknown:
        name = sorted(unknown)[0]
        raise wrong_protocol_error(name, "chat") or InvalidParameterError(
            name,
            "is not a parameter of chat.completions.create",
            allowed="the documented parameters; send others through extra_body={...}",
        )
    check_extra_body(params.get("extra_body"), "chat")
    body: dict[str, Any] = {
        key: value
        for key, value in params.items()
        if key not in _REQUEST_OPTION_KEYS and not isinstance(value, NotGiven)
    }
    body["messages"] = [_message_to_dict(m) for m in _as_list("messages", messages)]
    body["model"] = model
    if not isinstance(stream, NotGiven):
        body["stream"] = stream
    original_format = body.get("response_format")
    if original_format is not None:
        from ..protocol._schema import type_to_response_format

        body["response_format"] = type_to_response_format(original_format)
    tools: list[Mapping[str, Any]] | None = None
    if body.get("tools") is not None:
        tools = _as_list("tools", body["tools"])
        # The originals travel on for parsing (a pydantic_function_tool remembers its model).
        body["tools"] = [dict(tool) if isinstance(tool, Mapping) else tool for tool in tools]
    for key in ("functions", "modalities", "stop"):
        value = body.get(key)
        if value is not None and not isinstance(value, (str, list, dict)):
            body[key] = _as_list(key, value)
    validate_create_params(body)
    options = RequestOptions(
        method="post",
        path="/chat/completions",
        json_data=body,
        headers=params.get("extra_headers"),
        extra_query=params.get("extra_query"),
        extra_body=params.get("extra_body"),
        timeout=params.get("timeout", NOT_GIVEN),
    )
    return CreateRequest(options, original_format, tools, bool(stream))


def _as_list(name: str, value: object) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise InvalidParameterError(name, f"must be a list, got {type(value).__name__}")
    return list(value)


def _message_to_dict(message: object) -> object:
    """Accept messages as dicts or as response objects (e.g. ``completion.choices[0].message``)."""
    if isinstance(message, pydantic.BaseModel):
        data = message.model_dump(mode="json", exclude_unset=True, exclude_none=True)
        return _drop_parsed(data)
    return message


def _drop_parsed(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_parsed(v) for k, v in value.items() if k not in _PARSED_KEYS}
    if isinstance(value, list):
        return [_drop_parsed(v) for v in value]
    return value


def with_signature_of(params: type) -> Callable[[_F], _F]:
    """A decorator giving ``func`` (which takes ``**params``) every key of the TypedDict
    ``params`` as a keyword parameter, for notebook help.

    Typing comes from ``Unpack[...]``; this makes ``inspect.signature`` (and so Jupyter's
    Shift+Tab and ``help()``) list every parameter by name too.
    """

    def decorate(func: _F) -> _F:
        signature = inspect.signature(func)
        head = [p for p in signature.parameters.values() if p.kind is not p.VAR_KEYWORD]
        extra = [
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=NOT_GIVEN, annotation=a)
            for name, a in params.__annotations__.items()
            if name not in signature.parameters
        ]
        func.__signature__ = signature.replace(parameters=[*head, *extra])  # type: ignore[attr-defined]
        return func

    return decorate


with_create_signature = with_signature_of(CompletionCreateParams)
"""Every parameter of ``chat.completions.create`` in the signature (see ``with_signature_of``)."""

_KNOWN_KEYS = frozenset(CompletionCreateParams.__annotations__)
