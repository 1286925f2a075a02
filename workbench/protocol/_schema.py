"""Pydantic models and JSON schemas -> strict JSON schemas, response formats and function tools."""

from __future__ import annotations

import copy
import functools
import inspect
import json
import re
import typing
from collections.abc import Mapping
from typing import Any, TypeAlias, TypeGuard, Union, cast

import pydantic

from .._exceptions import InvalidParameterError
from ..types import ChatCompletionFunctionToolParam, ResponseFormat

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
_TYPED_KEYS = ("type", "$ref", "anyOf", "enum", "const")
_DEFS_KEYS = ("$defs", "definitions")
# Strict mode accepts only these string formats; others are kept as a hint in the description.
_STRICT_FORMATS = frozenset(
    {"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"}
)
# Constraints strict mode does not enforce (and some servers reject): kept as a description hint;
# pydantic still enforces them when the output is parsed.
_HINT_KEYWORDS = ("minLength", "maxLength", "minProperties", "maxProperties", "uniqueItems")
# Keywords whose meaning strict mode cannot express at all.
_INEXPRESSIBLE = {
    "not": "a negated schema ('not')",
    "if": "a conditional schema ('if'/'then'/'else')",
    "then": "a conditional schema ('if'/'then'/'else')",
    "else": "a conditional schema ('if'/'then'/'else')",
    "dependentRequired": "'dependentRequired'",
    "dependentSchemas": "'dependentSchemas'",
    "patternProperties": "keys matching a pattern ('patternProperties')",
    "propertyNames": "constrained keys ('propertyNames')",
    "unevaluatedProperties": "'unevaluatedProperties'",
    "unevaluatedItems": "'unevaluatedItems'",
    "contains": "'contains'",
}
_STRICT_SHAPES = (
    "objects with fixed properties (pydantic models, dataclasses, TypedDicts), lists of a concrete"
    " type, str, int, float, bool, None, Literal, Enum and unions of these"
)


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


def strict_schema(schema: Mapping[str, Any], *, param: str) -> dict[str, Any]:
    """Return a strict copy of a JSON schema; ``param`` prefixes the path in error messages."""
    return _StrictSchema(schema, param).build()


def is_strict_schema(schema: Mapping[str, Any]) -> bool:
    """Whether a JSON schema already follows every strict-mode rule as it stands."""
    try:
        return strict_schema(schema, param="schema") == schema
    except InvalidParameterError:
        return False


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


class _StrictSchema:
    """One conversion of a JSON schema to strict form; never mutates its input."""

    def __init__(self, root: Mapping[str, Any], param: str) -> None:
        self.root = root
        self.param = param

    def build(self) -> dict[str, Any]:
        ref = self.root.get("$ref")
        if isinstance(ref, str):
            # pydantic puts a recursive model in $defs and points the root at it: inline it,
            # because the top level of a strict schema must be an object.
            schema = self._inline(dict(self.root), ref, (), frozenset())
        else:
            schema = self._visit(self.root, (), frozenset())
        if schema.get("type") != "object":
            raise self._error(
                (),
                "the top level of a strict schema must be a JSON object",
                allowed="a pydantic model, dataclass or TypedDict",
            )
        return schema

    def _visit(
        self, node: object, path: tuple[str, ...], inlining: frozenset[str]
    ) -> dict[str, Any]:
        if not isinstance(node, Mapping) or not node:
            raise self._untyped(path)
        schema = dict(node)
        # Strict mode makes every property required, so a default could never apply; some servers
        # (Azure) reject the keyword.
        schema.pop("default", None)
        for key in _DEFS_KEYS:
            defs = schema.get(key)
            if isinstance(defs, Mapping):
                schema[key] = {
                    name: self._visit(
                        sub, (*path, key, name), frozenset({_pointer(*path, key, name)})
                    )
                    for name, sub in defs.items()
                }
        ref = schema.get("$ref")
        if ref is not None and len(schema) > 1:
            if not isinstance(ref, str):
                raise self._error(path, f"$ref must be a string, not {ref!r}")
            return self._inline(schema, ref, path, inlining)
        for key, what in _INEXPRESSIBLE.items():
            if key in schema:
                raise self._error(
                    path, f"strict mode cannot express {what}", allowed=_STRICT_SHAPES
                )
        if "allOf" in schema:
            parts = schema.pop("allOf")
            if not isinstance(parts, list) or len(parts) != 1 or not isinstance(parts[0], Mapping):
                raise self._error(
                    path,
                    "strict mode cannot express an intersection ('allOf')",
                    allowed=_STRICT_SHAPES,
                )
            return self._visit({**parts[0], **schema}, path, inlining)
        if "oneOf" in schema:
            if "anyOf" in schema:
                raise self._error(path, "a schema with both 'oneOf' and 'anyOf' has no strict form")
            # pydantic's discriminated unions: variants exclude each other, so anyOf is the same.
            schema["anyOf"] = schema.pop("oneOf")
            schema.pop("discriminator", None)
        self._move_hints_to_description(schema)
        if "anyOf" in schema:
            variants = schema["anyOf"]
            if not isinstance(variants, list) or not variants:
                raise self._error(path, f"'anyOf' must be a non-empty list, not {variants!r}")
            schema["anyOf"] = [
                self._visit(v, (*path, "anyOf", str(i)), inlining) for i, v in enumerate(variants)
            ]
        types = schema.get("type")
        if (
            types == "object"
            or "properties" in schema
            or (isinstance(types, list) and "object" in types)
        ):
            self._object(schema, path, inlining)
        if types == "array" or (isinstance(types, list) and "array" in types):
            self._array(schema, path, inlining)
        if not any(key in schema for key in _TYPED_KEYS):
            raise self._untyped(path)
        return schema

    def _inline(
        self, schema: dict[str, Any], ref: str, path: tuple[str, ...], inlining: frozenset[str]
    ) -> dict[str, Any]:
        """Replace a ``$ref`` that has sibling keys (strict mode forbids those) by its target."""
        rest = {key: value for key, value in schema.items() if key != "$ref"}
        if ref in inlining:
            # Inlining a ref inside its own target never ends: keep the ref, inside an anyOf,
            # which may have siblings.
            if "anyOf" in rest:
                raise self._error(path, "a recursive $ref beside 'anyOf' has no strict form")
            return self._visit({**rest, "anyOf": [{"$ref": ref}]}, path, inlining)
        target = self._resolve(ref, path)
        return self._visit({**target, **rest}, path, inlining | {ref})

    def _resolve(self, ref: str, path: tuple[str, ...]) -> Mapping[str, Any]:
        if ref != "#" and not ref.startswith("#/"):
            raise self._error(path, f"only local references ('#/...') can be resolved, not {ref!r}")
        node: object = self.root
        for part in ref[2:].split("/") if ref != "#" else ():
            key = part.replace("~1", "/").replace("~0", "~")
            node = node.get(key) if isinstance(node, Mapping) else None
        if not isinstance(node, Mapping):
            raise self._error(path, f"$ref {ref!r} does not point to a schema")
        return node

    def _object(
        self, schema: dict[str, Any], path: tuple[str, ...], inlining: frozenset[str]
    ) -> None:
        properties = schema.get("properties", {})
        if not isinstance(properties, Mapping):
            raise self._error(path, f"'properties' must be a dict, not {properties!r}")
        extra = schema.get("additionalProperties", False)
        # True beside fixed properties is a model with extra="allow": harmless to close, since
        # strict output never carries unknown keys. A dict with free-form keys cannot be closed.
        if extra is not False and not (extra is True and properties):
            raise self._error(
                path,
                "an object with free-form keys (a dict) has no strict form",
                allowed=_STRICT_SHAPES,
            )
        schema["properties"] = {
            name: self._visit(sub, (*path, "properties", name), inlining)
            for name, sub in properties.items()
        }
        required = schema.get("required")
        # Keep the caller's order when it already lists every property (is_strict_schema).
        if not (
            isinstance(required, list)
            and len(required) == len(properties)
            and all(isinstance(key, str) for key in required)
            and set(required) == set(properties)
        ):
            schema["required"] = list(properties)
        schema["additionalProperties"] = False

    def _array(
        self, schema: dict[str, Any], path: tuple[str, ...], inlining: frozenset[str]
    ) -> None:
        items, prefix = schema.get("items"), schema.get("prefixItems")
        if items is None and prefix is None:
            raise self._error(
                path, "a list without an item type has no strict form", allowed=_STRICT_SHAPES
            )
        if isinstance(items, list):  # the draft-4 spelling of a tuple
            schema["items"] = [
                self._visit(v, (*path, "items", str(i)), inlining) for i, v in enumerate(items)
            ]
        elif items is not None:
            schema["items"] = self._visit(items, (*path, "items"), inlining)
        if isinstance(prefix, list):
            schema["prefixItems"] = [
                self._visit(v, (*path, "prefixItems", str(i)), inlining)
                for i, v in enumerate(prefix)
            ]

    @staticmethod
    def _move_hints_to_description(schema: dict[str, Any]) -> None:
        hints = [f"{key}: {json.dumps(schema.pop(key))}" for key in _HINT_KEYWORDS if key in schema]
        if "format" in schema and schema["format"] not in _STRICT_FORMATS:
            hints.append(f"format: {json.dumps(schema.pop('format'))}")
        if hints:
            note = "; ".join(hints)
            description = schema.get("description")
            schema["description"] = f"{description} ({note})" if description else note

    def _untyped(self, path: tuple[str, ...]) -> InvalidParameterError:
        message = "a value of any type (Any, object, a bare list) has no strict form"
        return self._error(path, message, allowed=_STRICT_SHAPES)

    def _error(
        self, path: tuple[str, ...], message: str, *, allowed: str | None = None
    ) -> InvalidParameterError:
        return InvalidParameterError(".".join((self.param, *path)), message, allowed=allowed)


def _pointer(*parts: str) -> str:
    """The JSON pointer reference (``#/a/b``) of a path."""
    return "#/" + "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)
