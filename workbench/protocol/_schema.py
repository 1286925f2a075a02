"""Pydantic models and JSON schemas -> strict JSON schemas, response formats and function tools."""

from __future__ import annotations

import copy
import functools
import inspect
import re
import typing
from collections.abc import Mapping
from typing import Any, TypeAlias, TypeGuard, Union, cast

import pydantic

from .._exceptions import InvalidParameterError
from ..types import ChatCompletionFunctionToolParam, ResponseFormat
from ._strict_schema import is_strict_schema, strict_schema

__all__ = [
    "PydanticFunctionTool",
    "ResponseFormatInput",
    "pydantic_function_tool",
    "to_strict_json_schema",
    "type_to_response_format",
]

ResponseFormatInput: TypeAlias = Union[type[Any], ResponseFormat, Mapping[str, Any], str]
"""What ``response_format`` accepts: a type, a response_format or JSON-schema dict, or a string."""

ALLOWED_RESPONSE_FORMATS = (
    "a pydantic model class, a dataclass or other type pydantic can validate, a JSON schema dict,"
    " {'type': 'text'}, {'type': 'json_object'},"
    " {'type': 'json_schema', 'json_schema': {'name': ..., 'schema': ...}}, 'text' or 'json_object'"
)

_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_NAME_RULE = "1 to 64 characters of a-z, A-Z, 0-9, '_' and '-'"
_JSON_TYPES = frozenset({"object", "array", "string", "number", "integer", "boolean", "null"})


def to_strict_json_schema(
    model: type[pydantic.BaseModel] | pydantic.TypeAdapter[Any],
) -> dict[str, Any]:
    """Return the JSON schema of ``model`` in the form OpenAI's strict mode accepts.

    Every object lists all its properties in ``required`` and sets ``additionalProperties: false``;
    a field that may be omitted stays nullable only if its type admits ``None``; ``default`` keys
    are dropped; a ``$ref`` with sibling keys is inlined; ``oneOf`` becomes ``anyOf``.

    Args:
        model: a pydantic model class, or a ``pydantic.TypeAdapter`` of another type.

    Raises:
        TypeError: ``model`` is neither a model class nor a TypeAdapter.
        InvalidParameterError: the type has a shape strict mode cannot express, such as a
            ``dict[str, X]`` with free-form keys or an ``Any``.
    """
    if is_model_class(model):
        name = model.__name__
    elif isinstance(model, pydantic.TypeAdapter):
        name = "schema"
    else:
        raise TypeError(
            f"to_strict_json_schema() takes a pydantic model class or a pydantic.TypeAdapter,"
            f" not {model!r}; wrap other types in pydantic.TypeAdapter(...)"
        )
    return strict_schema(_json_schema_of(model, param=name), param=name)


def type_to_response_format(response_format: ResponseFormatInput) -> ResponseFormat:
    """Return the ``response_format`` request parameter for what the caller passed.

    Args:
        response_format: a pydantic model class (a strict ``json_schema`` named after the class);
            a dataclass, TypedDict or other type pydantic can validate (likewise); a raw JSON
            schema dict (wrapped as ``json_schema``, strict only if it already follows the strict
            rules); an API response_format dict (checked, then passed on); or the strings
            ``"text"`` / ``"json_object"``.

    Raises:
        InvalidParameterError: for anything else, or a type strict mode cannot express.
    """
    if isinstance(response_format, str):
        if response_format in ("text", "json_object"):
            return cast("ResponseFormat", {"type": response_format})
        raise response_format_error(response_format)
    if isinstance(response_format, Mapping):
        return _mapping_to_response_format(response_format)
    if not is_model_class(response_format) and not is_type_like(response_format):
        raise response_format_error(response_format)
    param = "response_format.json_schema.schema"
    target = response_format if is_model_class(response_format) else type_adapter(response_format)
    schema = strict_schema(_json_schema_of(target, param=param), param=param)
    name = schema_name(getattr(response_format, "__name__", None) or schema.get("title"))
    return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": True}}


def response_format_error(value: object) -> InvalidParameterError:
    """The error for a ``response_format`` that is none of the accepted kinds."""
    return InvalidParameterError(
        "response_format",
        f"cannot use {value!r} as a response format",
        allowed=ALLOWED_RESPONSE_FORMATS,
    )


class PydanticFunctionTool(dict[str, Any]):
    """A tool dict that remembers the pydantic model its arguments parse into.

    It is a plain ``dict`` to JSON and to the API; ``model`` is only an attribute.
    """

    model: type[pydantic.BaseModel]

    def __init__(self, value: Mapping[str, Any], model: type[pydantic.BaseModel]) -> None:
        super().__init__(value)
        self.model = model


def pydantic_function_tool(
    model: type[pydantic.BaseModel], *, name: str | None = None, description: str | None = None
) -> ChatCompletionFunctionToolParam:
    """Return a strict function tool whose parameters are the fields of ``model``.

    Args:
        model: the pydantic model the arguments parse into.
        name: the tool's name; by default the class name.
        description: what the tool does; by default the class docstring.

    Raises:
        InvalidParameterError: ``name`` is not a valid tool name, or the model has a shape
            strict mode cannot express.
    """
    if not is_model_class(model):
        raise TypeError(f"pydantic_function_tool() takes a pydantic model class, not {model!r}")
    if name is None:
        name = schema_name(model.__name__)
    elif not _NAME.match(name):
        raise InvalidParameterError(
            "name", f"{name!r} is not a valid tool name", allowed=_NAME_RULE
        )
    param = f"tools[{name}].function.parameters"
    definition: dict[str, Any] = {
        "name": name,
        "strict": True,
        "parameters": strict_schema(_json_schema_of(model, param=param), param=param),
    }
    if description is None and model.__doc__:
        description = inspect.cleandoc(model.__doc__)
    if description is not None:
        definition["description"] = description
    # Both dicts carry the model, so it survives callers that copy only the outer one.
    tool = PydanticFunctionTool(
        {"type": "function", "function": PydanticFunctionTool(definition, model)}, model
    )
    return cast("ChatCompletionFunctionToolParam", tool)


def tool_model(tool: Mapping[str, object]) -> type[pydantic.BaseModel] | None:
    """The model a tool made by ``pydantic_function_tool`` (ours or openai's) parses into."""
    for holder in (tool, tool.get("function")):
        model = getattr(holder, "model", None)
        if is_model_class(model):
            return model
    return None


def is_model_class(obj: object) -> TypeGuard[type[pydantic.BaseModel]]:
    """Whether ``obj`` is a pydantic model class."""
    return isinstance(obj, type) and issubclass(obj, pydantic.BaseModel)


def is_type_like(obj: object) -> bool:
    """Whether ``obj`` is a class or a typing construct such as ``list[int]`` or ``Annotated``."""
    return isinstance(obj, type) or typing.get_origin(obj) is not None


def is_json_schema_mapping(obj: Mapping[str, object]) -> bool:
    """Whether a dict is a raw JSON schema rather than an API response_format dict."""
    kind = obj.get("type")
    is_type = (isinstance(kind, str) and kind in _JSON_TYPES) or (
        isinstance(kind, list) and all(isinstance(k, str) and k in _JSON_TYPES for k in kind)
    )
    return is_type or "properties" in obj or "$schema" in obj


def schema_name(text: object) -> str:
    """A name the API accepts, made from a class name or schema title."""
    cleaned = re.sub(r"[^a-zA-Z0-9_-]", "_", text)[:64] if isinstance(text, str) else ""
    return cleaned or "response"


def type_adapter(tp: Any) -> pydantic.TypeAdapter[Any]:
    """A (cached where possible) TypeAdapter for ``tp``; schema errors become our own."""
    try:
        return _cached_adapter(tp)
    except TypeError:  # an unhashable typing construct
        return _adapter(tp)


@functools.lru_cache(maxsize=256)
def _cached_adapter(tp: Any) -> pydantic.TypeAdapter[Any]:
    return _adapter(tp)


def _adapter(tp: Any) -> pydantic.TypeAdapter[Any]:
    try:
        return pydantic.TypeAdapter(tp)
    except pydantic.PydanticUserError as exc:
        raise InvalidParameterError(
            "response_format",
            f"pydantic cannot validate {tp!r}: {exc}",
            allowed=ALLOWED_RESPONSE_FORMATS,
        ) from exc


def _json_schema_of(
    model: type[pydantic.BaseModel] | pydantic.TypeAdapter[Any], *, param: str
) -> dict[str, Any]:
    try:
        if isinstance(model, pydantic.TypeAdapter):
            return model.json_schema()
        return model.model_json_schema()
    except pydantic.PydanticUserError as exc:
        raise InvalidParameterError(param, f"pydantic cannot describe this type: {exc}") from exc


def _mapping_to_response_format(value: Mapping[str, Any]) -> ResponseFormat:
    kind = value.get("type")
    if kind in ("text", "json_object"):
        return cast("ResponseFormat", dict(value))
    if kind == "json_schema":
        spec = value.get("json_schema")
        if not isinstance(spec, Mapping) and "schema" in value:
            raise InvalidParameterError(
                "response_format.json_schema",
                "is missing: 'name' and 'schema' beside 'type' is the Responses API's"
                " text.format; Chat Completions nests them",
                allowed="{'type': 'json_schema', 'json_schema': {'name': ..., 'schema': {...}}}",
            )
        if not isinstance(spec, Mapping):
            raise InvalidParameterError(
                "response_format.json_schema",
                f"expected a dict, got {spec!r}",
                allowed="{'name': ..., 'schema': {...}}",
            )
        name = spec.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise InvalidParameterError(
                "response_format.json_schema.name",
                f"{name!r} is not a valid name",
                allowed=_NAME_RULE,
            )
        if not isinstance(spec.get("schema"), Mapping):
            raise InvalidParameterError(
                "response_format.json_schema.schema",
                f"expected a JSON schema dict, got {spec.get('schema')!r}",
                allowed="a JSON schema dict",
            )
        strict, description = spec.get("strict"), spec.get("description", "")
        if strict is not None and not isinstance(strict, bool):
            raise InvalidParameterError(
                "response_format.json_schema.strict", f"got {strict!r}", allowed="true or false"
            )
        if not isinstance(description, str):
            raise InvalidParameterError(
                "response_format.json_schema.description", f"got {description!r}", allowed="text"
            )
        return cast("ResponseFormat", {**value, "json_schema": dict(spec)})
    if is_json_schema_mapping(value):
        schema = copy.deepcopy(dict(value))
        spec = {
            "name": schema_name(schema.get("title")),
            "schema": schema,
            "strict": is_strict_schema(schema),
        }
        return cast("ResponseFormat", {"type": "json_schema", "json_schema": spec})
    raise response_format_error(dict(value))
