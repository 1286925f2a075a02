"""Turn the arguments of ``responses.create`` / ``parse`` / ``stream`` into a request.

Pure functions shared by the sync and async resources: no I/O, no client state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pydantic

from .._exceptions import InvalidParameterError
from .._sentinels import NOT_GIVEN, NotGiven
from ..protocol._other_protocol import check_extra_body, wrong_protocol_error
from ..protocol._responses_accumulate import text_format_param
from ..protocol._schema import PydanticFunctionTool, tool_model
from ..protocol._validate_responses import validate_response_params
from ..types.response_create_params import ResponseCreateParams
from ._chat_request import with_signature_of
from ._request_options import RequestOptions

__all__ = ["ResponseRequest", "build_response_request", "with_response_signature"]

_REQUEST_OPTION_KEYS = ("extra_headers", "extra_query", "extra_body", "timeout")
_KNOWN_KEYS = frozenset(ResponseCreateParams.__annotations__)


class ResponseRequest:
    """A validated request: the HTTP options, and the ``text_format`` to parse the reply into."""

    __slots__ = ("options", "stream", "text_format", "tools")

    def __init__(
        self, options: RequestOptions, text_format: object, stream: bool, tools: list[Any] | None
    ) -> None:
        self.options = options
        self.text_format = text_format
        self.stream = stream
        self.tools = tools
        """The tools as passed (one that carries a pydantic model still has it), for parsing."""


def build_response_request(
    params: Mapping[str, Any],
    *,
    stream: bool | NotGiven | None,
    text_format: object = NOT_GIVEN,
) -> ResponseRequest:
    """Validate the parameters and build the ``POST /responses`` request.

    Raises:
        InvalidParameterError: naming the parameter and the allowed values, before any I/O.
    """
    unknown = set(params) - _KNOWN_KEYS
    if unknown:
        name = sorted(unknown)[0]
        raise wrong_protocol_error(name, "responses") or InvalidParameterError(
            name,
            "is not a parameter of responses.create",
            allowed="the documented parameters; send others through extra_body={...}",
        )
    check_extra_body(params.get("extra_body"), "responses")
    body: dict[str, Any] = {
        key: value
        for key, value in params.items()
        if key not in _REQUEST_OPTION_KEYS and not isinstance(value, NotGiven)
    }
    if not isinstance(stream, NotGiven):
        body["stream"] = stream
    if "input" in body and not isinstance(body["input"], (str, list)) and body["input"] is not None:
        body["input"] = _as_items(body["input"])
    elif isinstance(body.get("input"), list):
        body["input"] = [_item_to_dict(item) for item in body["input"]]
    for key in ("tools", "include"):
        value = body.get(key)
        if value is not None and not isinstance(value, (list, str, Mapping)):
            body[key] = list(value)
    tools = body.get("tools") if isinstance(body.get("tools"), list) else None
    if tools is not None:
        tools = [_flat_tool(tool) for tool in tools]
        body["tools"] = [dict(tool) if isinstance(tool, Mapping) else tool for tool in tools]
    if not isinstance(text_format, NotGiven) and text_format is not None:
        text = dict(body.get("text") or {})
        if "format" in text:
            raise InvalidParameterError(
                "text_format", "cannot be used with text.format", allowed="one of the two"
            )
        body["text"] = {**text, "format": text_format_param(text_format)}
    validate_response_params(body)
    options = RequestOptions(
        method="post",
        path="/responses",
        json_data=body,
        headers=params.get("extra_headers"),
        extra_query=params.get("extra_query"),
        extra_body=params.get("extra_body"),
        timeout=params.get("timeout", NOT_GIVEN),
    )
    parse_as = None if isinstance(text_format, NotGiven) else text_format
    return ResponseRequest(options, parse_as, bool(stream), tools)


def _flat_tool(tool: object) -> object:
    """A tool of ``pydantic_function_tool`` (workbench's or openai's, made for Chat
    Completions) in the flat form the Responses API takes, still carrying its model; any other
    tool as it is."""
    if not isinstance(tool, Mapping) or not isinstance(tool.get("function"), Mapping):
        return tool
    model = tool_model(tool)
    if model is None:
        return tool  # a chat-shaped dict: the validator says how to write it
    function = tool["function"]
    flat = {"type": "function", "name": function.get("name"), **_optional(function)}
    return PydanticFunctionTool(flat, model)


def _optional(function: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("description", "parameters", "strict")
    return {key: function[key] for key in keys if key in function}


def _as_items(value: object) -> list[Any]:
    if isinstance(value, (bytes, Mapping)) or not isinstance(value, Iterable):
        raise InvalidParameterError(
            "input", f"must be a string or a list of items, got {type(value).__name__}"
        )
    return [_item_to_dict(item) for item in value]


def _item_to_dict(item: object) -> object:
    """Accept items as dicts or as response objects (``response.output`` passed back)."""
    if isinstance(item, pydantic.BaseModel):
        data = item.model_dump(mode="json", exclude_unset=True, exclude_none=True)
        kind = getattr(item, "type", None)
        if isinstance(kind, str):  # a default the object was built with, never "unset" here
            data = {"type": kind, **data}
        if isinstance(data.get("content"), list):  # parsed text is ours, not the API's
            for part in data["content"]:
                if isinstance(part, dict):
                    part.pop("parsed", None)
        return data
    return item


with_response_signature = with_signature_of(ResponseCreateParams)
"""Every parameter of ``responses.create`` in the signature, for notebook help."""
