"""Deterministic JSON values that validate against a JSON schema, filled from the user's words."""

from __future__ import annotations

import copy
import math
import random
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ._hints import (
    enum_match,
    extract_hints,
    format_ok,
    format_value,
    hint_candidates,
    kind_of,
    name_tokens,
    number_range,
    pattern_value,
    readable,
)

__all__ = ["extract_hints", "generate", "validate_schema"]

# Recursion is bounded by how often one $ref repeats on the path from the root: from the
# third time on, take the shortest way out (null or the cheapest branch, no optional keys, the
# fewest items); past the tenth, or 64 levels deep, give up on a schema that never ends.
_SOFT_REPEATS, _HARD_REPEATS, _HARD_DEPTH = 3, 10, 64
_TYPES = ("null", "boolean", "integer", "number", "string", "array", "object")
_COST = {t: i for i, t in enumerate(_TYPES)}
_MISSING: Any = object()
_NUMBER = r"-?\d+(?:\.\d+)?"
_FILLER = ("alpha", "bravo", "charlie", "delta", "echo")
_INFER = (  # the type a schema without "type" describes, judged by its keywords
    ("object", ("properties", "required", "additionalProperties")),
    ("array", ("items", "prefixItems", "minItems", "maxItems")),
    ("number", ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")),
    ("string", ("minLength", "maxLength", "pattern", "format")),
)


def generate(
    schema: Mapping[str, Any] | bool,
    *,
    seed: int,
    hints: Sequence[str] = (),
    root: Mapping[str, Any] | None = None,
) -> Any:
    """A JSON value that validates against ``schema``, the same for the same arguments.

    Args:
        schema: A JSON schema (2020-12, as OpenAI uses it).
        seed: Chooses among plausible values; another seed typically gives other values.
        hints: Words from the user's message (see ``extract_hints``) to fill values from,
            where a hint fits a property's name and schema.
        root: The document that ``$ref`` pointers resolve in (default: ``schema``).

    Returns:
        The value. For a schema that no value satisfies (``validate_schema`` names the
        problem) or a pattern beyond the simple ones, a best effort that may not validate.
    """
    top = root if root is not None else schema
    first = _MISSING
    for attempt in range(4):  # a rare miss (allOf, oneOf, a pattern) gets another draw
        gen = _Generator(top, seed + attempt * 1_000_003, hints)
        value = gen.value(schema, "", 0)
        if gen.valid(value, schema):
            return value
        first = value if first is _MISSING else first
    return first


def validate_schema(schema: object) -> list[str]:
    """Problems that make a schema unusable, each as ``"path.to.keyword: what is wrong"``.

    Covers what would break generation: a non-schema where a schema belongs, a ``$ref``
    that points nowhere, an unknown type, an empty ``enum``, bounds that exclude every value
    (``minItems > maxItems``, ``minimum > maximum``...), an invalid ``pattern``, and a
    required property that ``additionalProperties: false`` forbids.
    """
    out: list[str] = []
    _check(schema, "", _Generator(schema if isinstance(schema, Mapping) else {}, 0, ()), out)
    return out


class _Generator:
    """One generation: the root for ``$ref``, a seeded random source and the unused hints."""

    def __init__(self, root: object, seed: int, hints: Sequence[str]) -> None:
        self.root = root
        self.rng = random.Random(seed)
        self.hints = list(hints)
        self.lower = {h.lower() for h in self.hints}
        self.used: set[int] = set()
        self._candidates: dict[str, list[tuple[int, bool]]] = {}
        self._trail: dict[str, int] = {}  # how often each $ref occurs on the current path

    def deep(self) -> bool:
        return max(self._trail.values(), default=0) >= _SOFT_REPEATS

    # -- generation ------------------------------------------------------------------------

    def value(self, schema: object, name: str, depth: int) -> Any:
        if not isinstance(schema, Mapping):
            return None if schema is False else self.string({}, name)
        refs = [x["$ref"] for x in [schema, *_list(schema, "allOf")] if _ref(x)]
        for ref in refs:
            self._trail[ref] = self._trail.get(ref, 0) + 1
        try:
            hard = depth > _HARD_DEPTH or max(self._trail.values(), default=0) > _HARD_REPEATS
            return self.node(self.flat(schema), name, depth, hard)
        finally:
            for ref in refs:
                self._trail[ref] -= 1

    def node(self, s: dict[str, Any], name: str, depth: int, hard: bool) -> Any:
        deep = hard or self.deep()
        if "const" in s:
            return copy.deepcopy(s["const"])
        for i, found in self.fitting(s, name) if self.hints and _leafy(s) else ():
            self.used.add(i)
            return found
        if "default" in s and self.valid(s["default"], s):
            return copy.deepcopy(s["default"])
        if _list(s, "enum"):
            rest = {k: v for k, v in s.items() if k != "enum"}
            fits = [m for m in s["enum"] if self.valid(m, rest)] or s["enum"]
            return copy.deepcopy(fits[0] if deep else self.rng.choice(fits))
        for key in ("oneOf", "anyOf"):
            if _list(s, key) and not hard:
                return self.branch(s, key, name, depth)
        types = _types(s) or ["string"]
        if deep:
            kind = min(types, key=_COST.__getitem__)
        elif "null" in types and len(types) > 1 and self.rng.random() >= 0.15:
            kind = self.rng.choice([t for t in types if t != "null"])
        else:
            kind = self.rng.choice(types)
        if kind == "boolean":  # true when the user names it ("include the forecast")
            words = [t for t in name_tokens(name) if len(t) > 3 and t not in ("include", "show")]
            return any(w in self.lower for w in words) or self.rng.random() < 0.5
        if kind in ("integer", "number"):
            return self.number(s, name, kind == "integer")
        if kind == "string":
            return self.string(s, name)
        if kind == "null" or hard:
            return {"array": [], "object": {}}.get(kind)
        return self.array(s, name, depth) if kind == "array" else self.record(s, depth)

    def flat(self, schema: object, budget: int = 64) -> dict[str, Any]:
        """The schema with ``$ref`` followed and ``allOf`` merged into one dict."""
        s: Any = schema if isinstance(schema, Mapping) else {}
        while budget > 0 and ("$ref" in s or _list(s, "allOf")):
            budget -= 1
            if "$ref" in s:
                target = _resolve(self.root, s["$ref"]) if _ref(s) else None
                rest = {k: v for k, v in s.items() if k != "$ref"}
                s = _merge(target if isinstance(target, Mapping) else {}, rest)
            else:
                merged = {k: v for k, v in s.items() if k != "allOf"}
                for part in s["allOf"]:
                    merged = _merge(merged, self.flat(part, budget // 2))
                s = merged
        return dict(s) if budget > 0 else {}

    def fitting(self, s: Mapping[str, Any], name: str) -> Iterator[tuple[int, Any]]:
        """(hint index, value) for each unused hint that fits this property and its schema."""
        if isinstance(s.get("enum"), list):
            match = enum_match(s["enum"], self.hints, self.used)
            if match is not None and self.valid(s["enum"][match[0]], s):
                yield match[1], copy.deepcopy(s["enum"][match[0]])
            return
        for i, as_text in self.candidates(name):
            if i not in self.used:
                hint = self.hints[i]
                forms: tuple[Any, ...] = (hint,)
                if re.fullmatch(_NUMBER, hint):  # a number, or text only right after its name
                    number = float(hint) if "." in hint else int(hint)
                    forms = (number, hint) if as_text else (number,)
                yield from ((i, v) for v in forms if self.valid(v, s))

    def fits(self, schema: object, name: str) -> int:
        """How many unused hints could fill this property (0 for objects and arrays)."""
        s = self.flat(schema)
        return len({i for i, _ in self.fitting(s, name)}) if _leafy(s) else 0

    def candidates(self, name: str) -> list[tuple[int, bool]]:
        if name not in self._candidates:
            self._candidates[name] = hint_candidates(name_tokens(name), self.hints)
        return self._candidates[name]

    def branch(self, s: dict[str, Any], key: str, name: str, depth: int) -> Any:
        branches = s[key]
        rest = {k: v for k, v in s.items() if k not in (key, "default")}  # default was unfit
        order = sorted(range(len(branches)), key=lambda i: self.cost(branches[i]))
        if not self.deep():
            start = self.rng.randrange(len(order))
            order = order[start:] + order[:start]
            if self.rng.random() >= 0.15:  # null is a dull answer: usually try it last
                order.sort(key=lambda i: self.cost(branches[i]) == 0)
        first = _MISSING
        for i in order[:4]:
            branch = {**rest, "allOf": [branches[i]]} if rest else branches[i]
            value = self.value(branch, name, depth + 1)
            if self.valid(value, s):
                return value
            first = value if first is _MISSING else first
        return first

    def cost(self, schema: object) -> int:
        """A rough size of the shortest value: 0 for null, more for containers and refs."""
        s: Any = schema if isinstance(schema, Mapping) else {}
        if "$ref" in s:
            return 20
        if "const" in s or "enum" in s:
            return 1
        return min((_COST[t] for t in _types(s)), default=3) + 2 * len(_list(s, "required"))

    def number(self, s: dict[str, Any], name: str, integer: bool) -> int | float:
        lo, lo_ex, hi, hi_ex = _bounds(s)
        d_lo, d_hi = number_range(name_tokens(name))
        low: Any = (
            lo if lo is not None else (d_lo if hi is None or d_lo < hi else hi - (d_hi - d_lo))
        )
        high: Any = hi if hi is not None else (d_hi if d_hi > low else low + d_hi - d_lo)
        step: Any = s["multipleOf"] if _num(s.get("multipleOf")) and s["multipleOf"] > 0 else None
        picks: list[float]
        if integer:
            low = math.floor(low) + 1 if lo_ex and low == math.floor(low) else math.ceil(low)
            high = math.ceil(high) - 1 if hi_ex and high == math.ceil(high) else math.floor(high)
            if step is None or float(step).is_integer():
                k = int(step or 1)
                k_lo, k_hi = -(-low // k), high // k
                return self.rng.randint(k_lo, k_hi) * k if k_lo <= k_hi else low
            start = self.rng.randint(low, high) if low <= high else low
            picks = [low + (start - low + j) % (high - low + 1) for j in range(200)]
        elif step is not None:  # try multiples near a random one; jsonschema checks in floats
            try:
                k_lo, k_hi = math.ceil(low / step), math.floor(high / step)
            except (OverflowError, ValueError):
                k_lo = k_hi = 0
            k0 = self.rng.randint(k_lo, k_hi) if k_lo <= k_hi else k_lo
            ks = [k0 + j for j in range(-20, 21)] + [k_lo, k_hi, 0, 1]
            picks = [_tidy(k * step) for k in ks] + [k * step for k in ks]
        else:
            v = round(self.rng.uniform(low, high), 1 if high - low > 10 else 2)
            picks = [v, _tidy((low + high) / 2), low, high]
        return next((v for v in picks if self.valid(v, {**s, "type": "number"})), picks[0])

    def string(self, s: Mapping[str, Any], name: str) -> str:
        lo, hi = _size(s, "minLength") or 0, _size(s, "maxLength")
        tokens = name_tokens(name)
        free = [h for i, h in enumerate(self.hints) if i not in self.used]
        text = format_value(s.get("format"), self.rng)
        if text is None and kind_of(tokens) == "query" and free:
            text = " ".join(free[:6])  # a search query takes what is left of the message
        text = text or readable(tokens, self.rng)
        while len(text) < lo:
            text += " " + self.rng.choice(_FILLER)
        text = text if hi is None else text[:hi]
        if isinstance(s.get("pattern"), str) and not self.valid(text, s):
            for spread in (2, 3, 4, 6, 10, 20, 40, 80):
                sample = pattern_value(s["pattern"], self.rng, spread)
                if sample is None:
                    break
                for candidate in (sample, sample + "x" * (lo - len(sample))):
                    if self.valid(candidate, s):
                        return candidate
        return text

    def array(self, s: dict[str, Any], name: str, depth: int) -> list[Any]:
        prefix, items = _list(s, "prefixItems"), s.get("items", True)
        lo, hi = _size(s, "minItems") or 0, _size(s, "maxItems")
        if items is False:
            hi = len(prefix) if hi is None else min(hi, len(prefix))
        n = lo if self.deep() else self.rng.randint(max(lo, 1), max(lo, 1) + 2)
        n = max(lo, n if hi is None else min(n, hi))
        out: list[Any] = []
        seen: set[Any] = set()
        for i in range(n):
            for _ in range(8 if s.get("uniqueItems") is True else 1):
                value = self.value(prefix[i] if i < len(prefix) else items, name, depth + 1)
                if _key(value) not in seen:
                    break
            seen.add(_key(value))
            out.append(value)
        return out

    def record(self, s: dict[str, Any], depth: int) -> dict[str, Any]:
        props = s["properties"] if isinstance(s.get("properties"), Mapping) else {}
        required = [r for r in _list(s, "required") if isinstance(r, str)]
        keys = [k for k in required if k not in props]
        deep = self.deep()
        for key, sub in props.items():  # optional keys: with a default, a hint, or by chance
            wanted = (isinstance(sub, Mapping) and "default" in sub) or self.rng.random() < 0.5
            if key in required or (
                not deep and sub is not False and (wanted or self.fits(sub, key))
            ):
                keys.append(key)
        schemas = {k: props.get(k, s.get("additionalProperties", True)) for k in keys}
        order = keys
        if self.hints:  # the property with the fewest fitting hints picks first
            rank = {k: self.fits(schemas[k], k) for k in keys}
            query = {k: kind_of(name_tokens(k)) == "query" for k in keys}
            order = sorted(keys, key=lambda k: (query[k], rank[k] == 0, rank[k]))
        values = {k: self.value(schemas[k], k, depth + 1) for k in order}
        return {k: values[k] for k in [*props, *keys] if k in values}

    # -- validation: the keywords above, as the jsonschema package reads them ----------------

    def valid(self, v: Any, s: object, depth: int = 0) -> bool:
        if not isinstance(s, Mapping) or depth > 200:  # 200: a $ref cycle that never ends
            return s is not False
        if _ref(s):
            target = _resolve(self.root, s["$ref"])
            if target is not None and not self.valid(v, target, depth + 1):
                return False
        t = s.get("type")
        types = [t] if isinstance(t, str) else t if isinstance(t, list) else None
        if types is not None and not any(_is(v, x) for x in types):
            return False
        if "const" in s and not _same(v, s["const"]):
            return False
        if isinstance(s.get("enum"), list) and not any(_same(v, e) for e in s["enum"]):
            return False
        if any(not self.valid(v, b, depth + 1) for b in _list(s, "allOf")):
            return False
        if _list(s, "anyOf") and not any(self.valid(v, b, depth + 1) for b in s["anyOf"]):
            return False
        if _list(s, "oneOf") and sum(self.valid(v, b, depth + 1) for b in s["oneOf"]) != 1:
            return False
        if isinstance(v, str):
            return _valid_string(v, s)
        if _is(v, "number"):
            step: Any = s.get("multipleOf")
            return _in_bounds(v, s) and (not _num(step) or _multiple(v, step))
        if isinstance(v, list):
            hi, prefix = _size(s, "maxItems"), _list(s, "prefixItems")
            return (
                (_size(s, "minItems") or 0) <= len(v) <= (len(v) if hi is None else hi)
                and all(self.valid(x, p, depth + 1) for x, p in zip(v, prefix, strict=False))
                and all(self.valid(x, s.get("items", True), depth + 1) for x in v[len(prefix) :])
                and (s.get("uniqueItems") is not True or len({_key(x) for x in v}) == len(v))
            )
        if isinstance(v, dict):
            props = s["properties"] if isinstance(s.get("properties"), Mapping) else {}
            extra = s.get("additionalProperties", True)
            return all(r in v for r in _list(s, "required") if isinstance(r, str)) and all(
                self.valid(x, props.get(k, extra), depth + 1) for k, x in v.items()
            )
        return True


def _check(s: object, path: str, g: _Generator, out: list[str]) -> None:
    """Append the problems of schema ``s`` at ``path`` (and below) to ``out``."""

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
    for name in [x for x in types or () if x not in _TYPES]:
        out.append(f"{at('type')}: unknown type {name!r}; expected one of {', '.join(_TYPES)}")
    if "$ref" in s and (not _ref(s) or _resolve(g.root, s["$ref"]) is None):
        out.append(f"{at('$ref')}: {s['$ref']!r} does not point to a definition in this schema")
    for key in ("properties", "$defs", "definitions"):
        if key in s and not isinstance(s[key], Mapping):
            out.append(f"{at(key)}: must be an object mapping names to schemas")
        for name, child in s[key].items() if isinstance(s.get(key), Mapping) else ():
            _check(child, at(f"{key}.{name}"), g, out)
    for key in ("items", "additionalProperties"):
        if key in s:
            _check(s[key], at(key), g, out)
    for key in ("prefixItems", "anyOf", "oneOf", "allOf"):
        if key in s and not _list(s, key):
            out.append(f"{at(key)}: must be a non-empty array of schemas")
        for i, child in enumerate(_list(s, key)):
            _check(child, f"{at(key)}[{i}]", g, out)
    if "enum" in s and not _list(s, "enum"):
        out.append(f"{at('enum')}: must be a non-empty array")
    elif "enum" in s and types and not any(g.valid(m, {"type": types}) for m in s["enum"]):
        out.append(f"{at('enum')}: no member is of type {' or '.join(map(str, types))}")
    required = s.get("required", [])
    if not (isinstance(required, list) and all(isinstance(r, str) for r in required)):
        out.append(f"{at('required')}: must be an array of property names")
    elif s.get("additionalProperties") is False:
        props = s["properties"] if isinstance(s.get("properties"), Mapping) else {}
        for name in [r for r in required if r not in props]:
            out.append(f"{at('required')}: {name!r} is required but additionalProperties is false")
    for low, high in (("minItems", "maxItems"), ("minLength", "maxLength")):
        for key in (low, high):
            if key in s and _size(s, key) is None:
                out.append(f"{at(key)}: must be a non-negative integer")
        low_n, high_n = _size(s, low), _size(s, high)
        if low_n is not None and high_n is not None and low_n > high_n:
            out.append(f"{at(low)}: {s[low]} is greater than {high} {s[high]}")
    for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"):
        if key in s and not _num(s[key]):
            out.append(f"{at(key)}: must be a number")
    if _num(s.get("multipleOf")) and s["multipleOf"] <= 0:
        out.append(f"{at('multipleOf')}: must be greater than 0")
    lo, lo_ex, hi, hi_ex = _bounds(s)
    if lo is not None and hi is not None and (lo > hi or (lo == hi and (lo_ex or hi_ex))):
        key = "exclusiveMinimum" if lo_ex else "minimum"
        out.append(f"{at(key)}: no number lies between {lo} and {hi}")
    elif types == ["integer"] and lo is not None and hi is not None and math.ceil(lo) > hi:
        out.append(f"{at('minimum')}: no integer lies between {lo} and {hi}")
    try:
        re.compile(s.get("pattern", ""))
    except (re.error, TypeError) as error:
        out.append(f"{at('pattern')}: not a valid regular expression ({error})")


# -- small helpers ---------------------------------------------------------------------------


def _resolve(root: object, ref: str) -> Any:
    """The schema a local ``$ref`` ("#", "#/$defs/Name") points to, or None."""
    if not ref.startswith("#"):
        return None
    node: Any = root
    for part in ref[1:].split("/")[1:] if ref != "#" else ():
        part = part.replace("~1", "/").replace("~0", "~")
        if "%" in part:
            from urllib.parse import unquote

            part = unquote(part)
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def _merge(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
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
        elif key in ("minimum", "exclusiveMinimum", "minLength", "minItems") and _num(value):
            out[key] = max(mine, value) if _num(mine) else value
        elif key in ("maximum", "exclusiveMaximum", "maxLength", "maxItems") and _num(value):
            out[key] = min(mine, value) if _num(mine) else value
        elif key == "type":
            left, right = set(_types({key: mine})), set(_types({key: value}))
            if {"integer", "number"} <= left | right and "integer" in left ^ right:
                left.add("integer")
                right.add("integer")
            out[key] = [t for t in _TYPES if t in left & right]
        elif key == "enum" and isinstance(mine, list) and isinstance(value, list):
            out[key] = [m for m in mine if any(_same(m, x) for x in value)]
        elif key == "additionalProperties":
            out[key] = False if value is False else mine
        elif key in ("anyOf", "oneOf") and isinstance(mine, list) and isinstance(value, list):
            out[key] = [{"allOf": [x, y]} for x in mine for y in value][:16]
    return out


def _types(s: Mapping[str, Any]) -> list[str]:
    t = s.get("type")
    if isinstance(t, (str, list)):
        return [x for x in dict.fromkeys([t] if isinstance(t, str) else t) if x in _COST]
    return next(([kind] for kind, keys in _INFER if any(k in s for k in keys)), [])


def _leafy(s: Mapping[str, Any]) -> bool:
    return any(t not in ("object", "array") for t in _types(s) or ["?"])


def _bounds(s: Mapping[str, Any]) -> tuple[Any, bool, Any, bool]:
    """The effective (low, low is exclusive, high, high is exclusive) of a number schema."""
    return (
        *_bound(s, "minimum", "exclusiveMinimum", 1),
        *_bound(s, "maximum", "exclusiveMaximum", -1),
    )


def _bound(s: Mapping[str, Any], key: str, exclusive: str, sign: int) -> tuple[Any, bool]:
    plain: Any = s.get(key) if _num(s.get(key)) else None
    ex: Any = s.get(exclusive)
    if _num(ex) and (plain is None or ex * sign >= plain * sign):
        return ex, True
    return plain, False


def _in_bounds(v: float, s: Mapping[str, Any]) -> bool:
    lo, lo_ex, hi, hi_ex = _bounds(s)
    return (lo is None or v > lo or (v == lo and not lo_ex)) and (
        hi is None or v < hi or (v == hi and not hi_ex)
    )


def _multiple(v: float, step: float) -> bool:
    """``v`` is a multiple of ``step`` exactly as the jsonschema package decides it."""
    if isinstance(step, float):
        quotient = v / step
        return math.isfinite(quotient) and int(quotient) == quotient
    return not v % step


def _tidy(v: float) -> int | float:
    r = round(float(v), 10)
    return int(r) if r.is_integer() and abs(r) < 2**53 else r


def _valid_string(v: str, s: Mapping[str, Any]) -> bool:
    hi = _size(s, "maxLength")
    if len(v) < (_size(s, "minLength") or 0) or (hi is not None and len(v) > hi):
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


def _same(a: object, b: object) -> bool:
    """JSON equality: 1 == 1.0, but true != 1."""
    return bool(_key(a) == _key(b))


def _key(v: object) -> Any:
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return (type(v).__name__, v)
    if isinstance(v, (int, float)):
        return ("n", v)
    if isinstance(v, list):
        return ("l", tuple(_key(x) for x in v))
    if isinstance(v, Mapping):
        return ("d", frozenset((k, _key(x)) for k, x in v.items()))
    return ("?", repr(v))


def _ref(s: object) -> bool:
    return isinstance(s, Mapping) and isinstance(s.get("$ref"), str)


def _num(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _size(s: Mapping[str, Any], key: str) -> int | None:
    value = s.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _list(s: Mapping[str, Any], key: str) -> list[Any]:
    value = s.get(key)
    return value if isinstance(value, list) else []
