"""Whether a JSON value validates against a schema, as the jsonschema package decides it.

Generation checks each value it makes with this (a value that misses gets another draw); the
tests check the same values with the jsonschema package itself.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from ._hints import format_ok
from ._json_schema import bounds, is_number, is_ref, json_key, list_of, resolve, same, size

__all__ = ["conforms"]


def conforms(v: Any, s: object, root: object, depth: int = 0) -> bool:
    """Whether value ``v`` validates against schema ``s`` (``$ref`` resolved in ``root``), as
    the jsonschema package decides it for the keywords generation uses."""
    if not isinstance(s, Mapping) or depth > 200:  # 200: a $ref cycle that never ends
        return s is not False
    if is_ref(s):
        target = resolve(root, s["$ref"])
        if target is not None and not conforms(v, target, root, depth + 1):
            return False
    t = s.get("type")
    types = [t] if isinstance(t, str) else t if isinstance(t, list) else None
    if types is not None and not any(_is(v, x) for x in types):
        return False
    if "const" in s and not same(v, s["const"]):
        return False
    if isinstance(s.get("enum"), list) and not any(same(v, e) for e in s["enum"]):
        return False
    if any(not conforms(v, b, root, depth + 1) for b in list_of(s, "allOf")):
        return False
    if list_of(s, "anyOf") and not any(conforms(v, b, root, depth + 1) for b in s["anyOf"]):
        return False
    if list_of(s, "oneOf") and sum(conforms(v, b, root, depth + 1) for b in s["oneOf"]) != 1:
        return False
    if isinstance(v, str):
        return _valid_string(v, s)
    if _is(v, "number"):
        step: Any = s.get("multipleOf")
        return _in_bounds(v, s) and (not is_number(step) or _multiple(v, step))
    if isinstance(v, list):
        hi, prefix = size(s, "maxItems"), list_of(s, "prefixItems")
        return (
            (size(s, "minItems") or 0) <= len(v) <= (len(v) if hi is None else hi)
            and all(conforms(x, p, root, depth + 1) for x, p in zip(v, prefix, strict=False))
            and all(conforms(x, s.get("items", True), root, depth + 1) for x in v[len(prefix) :])
            and (s.get("uniqueItems") is not True or len({json_key(x) for x in v}) == len(v))
        )
    if isinstance(v, dict):
        props = s["properties"] if isinstance(s.get("properties"), Mapping) else {}
        extra = s.get("additionalProperties", True)
        return all(r in v for r in list_of(s, "required") if isinstance(r, str)) and all(
            conforms(x, props.get(k, extra), root, depth + 1) for k, x in v.items()
        )
    return True


def _in_bounds(v: float, s: Mapping[str, Any]) -> bool:
    lo, lo_ex, hi, hi_ex = bounds(s)
    return (lo is None or v > lo or (v == lo and not lo_ex)) and (
        hi is None or v < hi or (v == hi and not hi_ex)
    )


def _multiple(v: float, step: float) -> bool:
    """``v`` is a multiple of ``step`` exactly as the jsonschema package decides it."""
    if isinstance(step, float):
        quotient = v / step
        return math.isfinite(quotient) and int(quotient) == quotient
    return not v % step


def _valid_string(v: str, s: Mapping[str, Any]) -> bool:
    hi = size(s, "maxLength")
    if len(v) < (size(s, "minLength") or 0) or (hi is not None and len(v) > hi):
        return False
    try:
        if isinstance(s.get("pattern"), str) and not re.search(s["pattern"], v):
            return False
    except re.error:
        pass
    return format_ok(s.get("format"), v)


def _is(v: object, t: object) -> bool:
    if t in ("number", "integer"):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return False
        return t == "number" or isinstance(v, int) or v.is_integer()
    kinds = {"null": type(None), "boolean": bool, "string": str, "array": list, "object": dict}
    return isinstance(v, kinds.get(str(t), ()))
