"""Deterministic JSON values that validate against a JSON schema, filled from the user's words."""

from __future__ import annotations

import copy
import math
import random
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ._conforms import conforms
from ._hints import (
    enum_match,
    extract_hints,
    format_value,
    hint_candidates,
    kind_of,
    name_tokens,
    number_range,
    pattern_value,
    readable,
)
from ._json_schema import (
    COST,
    bounds,
    is_number,
    is_ref,
    json_key,
    leafy,
    list_of,
    merge,
    resolve,
    size,
    types_of,
)

__all__ = ["extract_hints", "generate"]

# Recursion is bounded by how often one $ref repeats on the path from the root: from the
# third time on, take the shortest way out (null or the cheapest branch, no optional keys, the
# fewest items); past the tenth, or 64 levels deep, give up on a schema that never ends.
_SOFT_REPEATS, _HARD_REPEATS, _HARD_DEPTH = 3, 10, 64
_MISSING: Any = object()
_NUMBER = r"-?\d+(?:\.\d+)?"
_FILLER = ("alpha", "bravo", "charlie", "delta", "echo")


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
        refs = [x["$ref"] for x in [schema, *list_of(schema, "allOf")] if is_ref(x)]
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
        for i, found in self.fitting(s, name) if self.hints and leafy(s) else ():
            self.used.add(i)
            return found
        if "default" in s and self.valid(s["default"], s):
            return copy.deepcopy(s["default"])
        if list_of(s, "enum"):
            rest = {k: v for k, v in s.items() if k != "enum"}
            fits = [m for m in s["enum"] if self.valid(m, rest)] or s["enum"]
            return copy.deepcopy(fits[0] if deep else self.rng.choice(fits))
        for key in ("oneOf", "anyOf"):
            if list_of(s, key) and not hard:
                return self.branch(s, key, name, depth)
        types = types_of(s) or ["string"]
        if deep:
            kind = min(types, key=COST.__getitem__)
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
        while budget > 0 and ("$ref" in s or list_of(s, "allOf")):
            budget -= 1
            if "$ref" in s:
                target = resolve(self.root, s["$ref"]) if is_ref(s) else None
                rest = {k: v for k, v in s.items() if k != "$ref"}
                s = merge(target if isinstance(target, Mapping) else {}, rest)
            else:
                merged = {k: v for k, v in s.items() if k != "allOf"}
                for part in s["allOf"]:
                    merged = merge(merged, self.flat(part, budget // 2))
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
        return len({i for i, _ in self.fitting(s, name)}) if leafy(s) else 0

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
        return min((COST[t] for t in types_of(s)), default=3) + 2 * len(list_of(s, "required"))

    def number(self, s: dict[str, Any], name: str, integer: bool) -> int | float:
        lo, lo_ex, hi, hi_ex = bounds(s)
        d_lo, d_hi = number_range(name_tokens(name))
        low: Any = (
            lo if lo is not None else (d_lo if hi is None or d_lo < hi else hi - (d_hi - d_lo))
        )
        high: Any = hi if hi is not None else (d_hi if d_hi > low else low + d_hi - d_lo)
        step: Any = (
            s["multipleOf"] if is_number(s.get("multipleOf")) and s["multipleOf"] > 0 else None
        )
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
        lo, hi = size(s, "minLength") or 0, size(s, "maxLength")
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
        prefix, items = list_of(s, "prefixItems"), s.get("items", True)
        lo, hi = size(s, "minItems") or 0, size(s, "maxItems")
        if items is False:
            hi = len(prefix) if hi is None else min(hi, len(prefix))
        n = lo if self.deep() else self.rng.randint(max(lo, 1), max(lo, 1) + 2)
        n = max(lo, n if hi is None else min(n, hi))
        out: list[Any] = []
        seen: set[Any] = set()
        for i in range(n):
            for _ in range(8 if s.get("uniqueItems") is True else 1):
                value = self.value(prefix[i] if i < len(prefix) else items, name, depth + 1)
                if json_key(value) not in seen:
                    break
            seen.add(json_key(value))
            out.append(value)
        return out

    def record(self, s: dict[str, Any], depth: int) -> dict[str, Any]:
        props = s["properties"] if isinstance(s.get("properties"), Mapping) else {}
        required = [r for r in list_of(s, "required") if isinstance(r, str)]
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

    # -- validation (``_conforms``: the keywords above, as the jsonschema package reads them) --

    def valid(self, v: Any, s: object, depth: int = 0) -> bool:
        return conforms(v, s, self.root, depth)


def _tidy(v: float) -> int | float:
    r = round(float(v), 10)
    return int(r) if r.is_integer() and abs(r) < 2**53 else r
