"""``validate_schema``: the problems that make a JSON schema unusable for generation."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ._conforms import conforms
from ._json_schema import TYPES, bounds, is_number, is_ref, list_of, resolve, size

__all__ = ["validate_schema"]


def validate_schema(schema: object) -> list[str]:
    """Problems that make a schema unusable, each as ``"path.to.keyword: what is wrong"``.

    Covers what would break generation: a non-schema where a schema belongs, a ``$ref``
    that points nowhere, an unknown type, an empty ``enum``, bounds that exclude every value
    (``minItems > maxItems``, ``minimum > maximum``...), an invalid ``pattern``, and a
    required property that ``additionalProperties: false`` forbids.
    """
    out: list[str] = []
    _check(schema, "", schema if isinstance(schema, Mapping) else {}, out)
    return out


def _check(s: object, path: str, root: object, out: list[str]) -> None:
    """Append the problems of schema ``s`` at ``path`` (and below) to ``out`` (``$ref``
    pointers resolve in ``root``)."""

    def at(key: str) -> str:
        return f"{path}.{key}" if path else key

    if s is False and not path:
        out.append("(root): the schema false accepts no value")
    if isinstance(s, bool):
        return
    if not isinstance(s, Mapping):
        out.append(f"{path or '(root)'}: expected a schema (an object), got {type(s).__name__}")
        return
    t = s.get("type")
    types = [t] if isinstance(t, str) else t if isinstance(t, list) and t else None
    if "type" in s and types is None:
        out.append(f"{at('type')}: must be a type name or a non-empty list of them")
    for name in [x for x in types or () if x not in TYPES]:
        out.append(f"{at('type')}: unknown type {name!r}; expected one of {', '.join(TYPES)}")
    if "$ref" in s and (not is_ref(s) or resolve(root, s["$ref"]) is None):
        out.append(f"{at('$ref')}: {s['$ref']!r} does not point to a definition in this schema")
    for key in ("properties", "$defs", "definitions"):
        if key in s and not isinstance(s[key], Mapping):
            out.append(f"{at(key)}: must be an object mapping names to schemas")
        for name, child in s[key].items() if isinstance(s.get(key), Mapping) else ():
            _check(child, at(f"{key}.{name}"), root, out)
    for key in ("items", "additionalProperties"):
        if key in s:
            _check(s[key], at(key), root, out)
    for key in ("prefixItems", "anyOf", "oneOf", "allOf"):
        if key in s and not list_of(s, key):
            out.append(f"{at(key)}: must be a non-empty array of schemas")
        for i, child in enumerate(list_of(s, key)):
            _check(child, f"{at(key)}[{i}]", root, out)
    if "enum" in s and not list_of(s, "enum"):
        out.append(f"{at('enum')}: must be a non-empty array")
    elif "enum" in s and types and not any(conforms(m, {"type": types}, root) for m in s["enum"]):
        out.append(f"{at('enum')}: no member is of type {' or '.join(map(str, types))}")
    out.extend(_limit_problems(s, types, at))


def _limit_problems(
    s: Mapping[str, Any], types: list[Any] | None, at: Callable[[str], str]
) -> Iterator[str]:
    """The problems of one schema's own keywords: ``required``, the sizes, the numbers' bounds
    and the ``pattern`` (``at`` gives a keyword's path)."""
    required = s.get("required", [])
    if not (isinstance(required, list) and all(isinstance(r, str) for r in required)):
        yield f"{at('required')}: must be an array of property names"
    elif s.get("additionalProperties") is False:
        props = s["properties"] if isinstance(s.get("properties"), Mapping) else {}
        for name in [r for r in required if r not in props]:
            yield f"{at('required')}: {name!r} is required but additionalProperties is false"
    for low, high in (("minItems", "maxItems"), ("minLength", "maxLength")):
        for key in (low, high):
            if key in s and size(s, key) is None:
                yield f"{at(key)}: must be a non-negative integer"
        low_n, high_n = size(s, low), size(s, high)
        if low_n is not None and high_n is not None and low_n > high_n:
            yield f"{at(low)}: {s[low]} is greater than {high} {s[high]}"
    for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"):
        if key in s and not is_number(s[key]):
            yield f"{at(key)}: must be a number"
    if is_number(s.get("multipleOf")) and s["multipleOf"] <= 0:
        yield f"{at('multipleOf')}: must be greater than 0"
    lo, lo_ex, hi, hi_ex = bounds(s)
    if lo is not None and hi is not None and (lo > hi or (lo == hi and (lo_ex or hi_ex))):
        key = "exclusiveMinimum" if lo_ex else "minimum"
        yield f"{at(key)}: no number lies between {lo} and {hi}"
    elif types == ["integer"] and lo is not None and hi is not None and math.ceil(lo) > hi:
        yield f"{at('minimum')}: no integer lies between {lo} and {hi}"
    try:
        re.compile(s.get("pattern", ""))
    except (re.error, TypeError) as error:
        yield f"{at('pattern')}: not a valid regular expression ({error})"
