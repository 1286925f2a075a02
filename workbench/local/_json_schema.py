"""Reading a JSON schema: its ``$ref`` pointers, ``allOf`` merged, the types it allows, its
bounds, and JSON equality of the values it names."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

__all__ = [
    "COST",
    "TYPES",
    "bounds",
    "is_number",
    "is_ref",
    "json_key",
    "leafy",
    "list_of",
    "merge",
    "resolve",
    "same",
    "size",
    "types_of",
]

TYPES = ("null", "boolean", "integer", "number", "string", "array", "object")
"""JSON schema's types, the simplest value first."""
COST = {t: i for i, t in enumerate(TYPES)}
"""Each type's rank in ``TYPES``: how big its simplest value is."""
_INFER = (  # the type a schema without "type" describes, judged by its keywords
    ("object", ("properties", "required", "additionalProperties")),
    ("array", ("items", "prefixItems", "minItems", "maxItems")),
    ("number", ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")),
    ("string", ("minLength", "maxLength", "pattern", "format")),
)


def resolve(root: object, ref: str) -> Any:
    """The schema a local ``$ref`` ("#", "#/$defs/Name") points to, or None."""
    if not ref.startswith("#"):
        return None
    node: Any = root
    for part in ref[1:].split("/")[1:] if ref != "#" else ():
        part = part.replace("~1", "/").replace("~0", "~")
        if "%" in part:
            part = unquote(part)
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def merge(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    """Both schemas' constraints in one (an approximation of ``allOf``; results are checked)."""
    out = dict(a)
    for key, value in b.items():
        mine = out.setdefault(key, value)
        if mine is value:
            continue
        if key == "properties" and isinstance(mine, Mapping) and isinstance(value, Mapping):
            both = {k: {"allOf": [mine[k], v]} if k in mine else v for k, v in value.items()}
            out[key] = {**mine, **both}
        elif key == "required" and isinstance(mine, list) and isinstance(value, list):
            out[key] = list(dict.fromkeys([*mine, *value]))
        elif key in ("minimum", "exclusiveMinimum", "minLength", "minItems") and is_number(value):
            out[key] = max(mine, value) if is_number(mine) else value
        elif key in ("maximum", "exclusiveMaximum", "maxLength", "maxItems") and is_number(value):
            out[key] = min(mine, value) if is_number(mine) else value
        elif key == "type":
            left, right = set(types_of({key: mine})), set(types_of({key: value}))
            if {"integer", "number"} <= left | right and "integer" in left ^ right:
                left.add("integer")
                right.add("integer")
            out[key] = [t for t in TYPES if t in left & right]
        elif key == "enum" and isinstance(mine, list) and isinstance(value, list):
            out[key] = [m for m in mine if any(same(m, x) for x in value)]
        elif key == "additionalProperties":
            out[key] = False if value is False else mine
        elif key in ("anyOf", "oneOf") and isinstance(mine, list) and isinstance(value, list):
            out[key] = [{"allOf": [x, y]} for x in mine for y in value][:16]
    return out


def types_of(s: Mapping[str, Any]) -> list[str]:
    """The types ``s`` allows, known ones only, in its order; inferred from its keywords when
    it names none."""
    t = s.get("type")
    if isinstance(t, (str, list)):
        return [x for x in dict.fromkeys([t] if isinstance(t, str) else t) if x in COST]
    return next(([kind] for kind, keys in _INFER if any(k in s for k in keys)), [])


def leafy(s: Mapping[str, Any]) -> bool:
    """Whether ``s`` allows a value that is neither an object nor an array."""
    return any(t not in ("object", "array") for t in types_of(s) or ["?"])


def bounds(s: Mapping[str, Any]) -> tuple[Any, bool, Any, bool]:
    """The effective (low, low is exclusive, high, high is exclusive) of a number schema."""
    return (
        *_bound(s, "minimum", "exclusiveMinimum", 1),
        *_bound(s, "maximum", "exclusiveMaximum", -1),
    )


def _bound(s: Mapping[str, Any], key: str, exclusive: str, sign: int) -> tuple[Any, bool]:
    plain: Any = s.get(key) if is_number(s.get(key)) else None
    ex: Any = s.get(exclusive)
    if is_number(ex) and (plain is None or ex * sign >= plain * sign):
        return ex, True
    return plain, False


def is_ref(s: object) -> bool:
    """Whether ``s`` is a schema with a ``$ref`` pointer."""
    return isinstance(s, Mapping) and isinstance(s.get("$ref"), str)


def is_number(v: object) -> bool:
    """Whether ``v`` is a finite JSON number (not a boolean)."""
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def size(s: Mapping[str, Any], key: str) -> int | None:
    """Keyword ``key`` of ``s`` when it is a valid size (a non-negative integer), else None."""
    value = s.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def list_of(s: Mapping[str, Any], key: str) -> list[Any]:
    """Keyword ``key`` of ``s`` when it is a list, else an empty one."""
    value = s.get(key)
    return value if isinstance(value, list) else []


def same(a: object, b: object) -> bool:
    """JSON equality: 1 == 1.0, but true != 1."""
    return bool(json_key(a) == json_key(b))


def json_key(v: object) -> Any:
    """A hashable stand-in for ``v`` that is equal exactly where JSON values are equal."""
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return (type(v).__name__, v)
    if isinstance(v, (int, float)):
        return ("n", v)
    if isinstance(v, list):
        return ("l", tuple(json_key(x) for x in v))
    if isinstance(v, Mapping):
        return ("d", frozenset((k, json_key(x)) for k, x in v.items()))
    return ("?", repr(v))
