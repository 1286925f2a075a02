"""A JSON schema made strict, as OpenAI's strict mode takes it: every property required, no
extra keys, ``$ref`` siblings inlined, ``oneOf`` as ``anyOf``; or the reason it cannot be."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .._exceptions import InvalidParameterError

__all__ = ["is_strict_schema", "strict_schema"]

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


def strict_schema(schema: Mapping[str, Any], *, param: str) -> dict[str, Any]:
    """Return a strict copy of a JSON schema; ``param`` prefixes the path in error messages."""
    return _StrictSchema(schema, param).build()


def is_strict_schema(schema: Mapping[str, Any]) -> bool:
    """Whether a JSON schema already follows every strict-mode rule as it stands."""
    try:
        return strict_schema(schema, param="schema") == schema
    except InvalidParameterError:
        return False


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
