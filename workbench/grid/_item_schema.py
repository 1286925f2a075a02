"""An OpenAI eval's ``item_schema`` checked against its data rows, before anything is sent.

Not a whole JSON Schema validator (``jsonschema`` is not a runtime dependency): the keywords an
item schema is written with are checked, at any depth: ``type`` (one or a list), ``enum``,
``const``, ``required``, ``properties``, ``additionalProperties: false`` and an array's
``items``. Other keywords (``minLength``, ``pattern``, ``$ref``, ``anyOf`` ...) are not checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._exceptions import InvalidParameterError

__all__ = ["check_item"]

_TYPES = ("string", "number", "integer", "boolean", "object", "array", "null")


def check_item(value: Any, schema: Any, where: str) -> None:
    """Raise when ``value`` does not fit ``schema``; ``where`` names the value (``data[2]``).

    Raises:
        InvalidParameterError: naming the row and the field at fault (``data[2].label``), what
            the schema asks for and what the row has.
    """
    if not isinstance(schema, Mapping):
        return  # true, or a schema this checker does not read
    _check_type(value, schema.get("type"), where)
    if "enum" in schema and isinstance(schema["enum"], list) and value not in schema["enum"]:
        raise InvalidParameterError(
            where,
            f"is {_shown(value)}, not one of the item schema's values",
            allowed=schema["enum"],
        )
    if "const" in schema and value != schema["const"]:
        raise InvalidParameterError(
            where, f"is {_shown(value)}; the item schema asks for {_shown(schema['const'])}"
        )
    if isinstance(value, Mapping):
        _check_object(value, schema, where)
    elif isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        for i, element in enumerate(value):
            check_item(element, schema["items"], f"{where}[{i}]")


def _check_object(value: Mapping[str, Any], schema: Mapping[str, Any], where: str) -> None:
    properties = schema.get("properties")
    properties = properties if isinstance(properties, Mapping) else {}
    required = schema.get("required")
    for name in required if isinstance(required, list) else []:
        if name not in value:
            have = ", ".join(sorted(value)) or "no fields"
            raise InvalidParameterError(
                f"{where}.{name}", f"is required by the eval's item_schema; the row has: {have}"
            )
    for name, field in value.items():
        if name in properties:
            check_item(field, properties[name], f"{where}.{name}")
        elif schema.get("additionalProperties") is False:
            raise InvalidParameterError(
                f"{where}.{name}",
                "is not in the eval's item_schema, which allows no other fields",
                allowed=list(properties),
            )


def _check_type(value: Any, expected: Any, where: str) -> None:
    if expected is None:
        return
    names = expected if isinstance(expected, list) else [expected]
    known = [name for name in names if name in _TYPES]
    if not known or any(_is(value, name) for name in known):
        return
    wanted = " or ".join(known)
    raise InvalidParameterError(
        where, f"is {_kind(value)} {_shown(value)}; the eval's item_schema asks for {wanted}"
    )


def _is(value: Any, name: str) -> bool:
    if name == "string":
        return isinstance(value, str)
    if name == "boolean":
        return isinstance(value, bool)
    if name == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()
        )
    if name == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if name == "object":
        return isinstance(value, Mapping)
    if name == "array":
        return isinstance(value, list)
    return value is None


def _kind(value: Any) -> str:
    """The JSON name of a value's type."""
    for name in ("null", "boolean", "string", "integer", "number", "object", "array"):
        if _is(value, name):
            return {"null": "null", "integer": "an integer", "object": "an object"}.get(
                name, f"a {name}"
            )
    return f"a {type(value).__name__}"


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"
