"""Values generated from JSON schemas: valid, deterministic, readable and filled from hints."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.local._schema_problems import validate_schema
from workbench.local._values import _Generator, extract_hints, generate

ROOT = Path(__file__).resolve().parents[1]

# -- an independent judge: jsonschema, with a checker for every format we claim ---------------

CHECKER = jsonschema.FormatChecker(["date", "email", "uuid", "ipv4"])
RFC3339_TIME = r"([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)"


@CHECKER.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):  # formats constrain strings only
        return True
    ok = re.fullmatch(r"\d{4}-\d{2}-\d{2}[Tt]" + RFC3339_TIME, value, re.ASCII)
    return bool(ok) and bool(datetime.fromisoformat(value.replace("Z", "+00:00")))


@CHECKER.checks("time")
def _is_time(value: object) -> bool:
    return not isinstance(value, str) or re.fullmatch(RFC3339_TIME, value, re.ASCII) is not None


@CHECKER.checks("uri")
def _is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return bool(urlsplit(value).scheme) and not re.search(r"\s", value)


@CHECKER.checks("hostname")
def _is_hostname(value: object) -> bool:
    if not isinstance(value, str):
        return True
    label = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    return len(value) <= 253 and re.fullmatch(rf"{label}(\.{label})*", value) is not None


FORMATS = ["date", "date-time", "time", "email", "uuid", "uri", "ipv4", "hostname"]


def errors(value: Any, schema: Any) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema, format_checker=CHECKER)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(value)]


def assert_valid(value: Any, schema: Any) -> None:
    assert errors(value, schema) == [], (value, schema)


# -- a strategy for schemas in the supported vocabulary ---------------------------------------

NAMES = [
    "city", "country", "name", "email", "units", "count", "price", "description", "ticker",
    "date", "id", "tags", "x", "first_name", "query", "enabled", "latitude", "title", "items",
]  # fmt: skip
PATTERNS = [
    r"^[A-Z]{3}$", r"^\d+$", r"^[a-z]+(-[a-z]+)*$", r"^\+?[0-9 ]{7,15}$", r"^(red|green|blue)$",
    r"^v\d+\.\d+\.\d+$", r"^\S+$", r"[a-z]", r"^#[0-9a-fA-F]{6}$", r"^\w{3,8}$",
    r"^(?:[01]\d|2[0-3]):[0-5]\d$", r"^[A-Z]{2}-\d{4}$", r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$",
]  # fmt: skip
HINTS = [
    "San Francisco", "Edinburgh", "UK", "AAPL", "NASDAQ", "42", "-3", "0.5", "7", "fahrenheit",
    "c", "ada@example.com", "2024-05-01", "hello there", "weather", "red", "name", "Ada",
]  # fmt: skip
SCALARS = st.none() | st.booleans() | st.integers(-50, 50) | st.text("abcxyz", max_size=6)


@st.composite
def string_schemas(draw: st.DrawFn) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    how = draw(st.sampled_from(["plain", "lengths", "format", "pattern", "enum"]))
    if how == "lengths":
        low = draw(st.integers(0, 30))
        schema["minLength"] = low
        if draw(st.booleans()):
            schema["maxLength"] = low + draw(st.integers(0, 20))
    elif how == "format":
        schema["format"] = draw(st.sampled_from(FORMATS))
    elif how == "pattern":
        schema["pattern"] = draw(st.sampled_from(PATTERNS))
    elif how == "enum":
        words = st.text("abcdefxyz", min_size=1, max_size=8)
        schema["enum"] = draw(st.lists(words, min_size=1, max_size=5, unique=True))
    return schema


@st.composite
def number_schemas(draw: st.DrawFn) -> dict[str, Any]:
    integer = draw(st.booleans())
    schema: dict[str, Any] = {"type": "integer" if integer else "number"}
    steps = [2, 3, 5, 10, 2.0] if integer else [0.5, 0.25, 0.1, 0.01, 2, 2.5]
    step = draw(st.none() | st.sampled_from(steps))
    width = draw(st.integers(2, 400)) + (30 * step if step else 0)
    low = draw(st.integers(-1000, 1000) | st.floats(-1000, 1000).map(lambda x: round(x, 2)))
    if step:
        schema["multipleOf"] = step
    if draw(st.booleans()):
        schema["exclusiveMinimum" if draw(st.booleans()) else "minimum"] = low
    if draw(st.booleans()):
        schema["exclusiveMaximum" if draw(st.booleans()) else "maximum"] = low + width
    return schema


def leaf_schemas() -> st.SearchStrategy[Any]:
    return st.one_of(
        string_schemas(),
        number_schemas(),
        st.just({"type": "boolean"}),
        st.just({"type": "null"}),
        SCALARS.map(lambda v: {"const": v}),
        st.lists(SCALARS, min_size=1, max_size=4, unique_by=json.dumps).map(lambda v: {"enum": v}),
        st.just({}),
        st.just(True),
    )


def nullable(schema: Any) -> Any:
    if (
        isinstance(schema, dict)
        and isinstance(schema.get("type"), str)
        and schema["type"] != "null"
    ):
        return {**schema, "type": [schema["type"], "null"]}
    return schema


@st.composite
def objects(draw: st.DrawFn, children: st.SearchStrategy[Any]) -> dict[str, Any]:
    props = draw(st.dictionaries(st.sampled_from(NAMES), children, max_size=6))
    schema: dict[str, Any] = {"type": "object", "properties": props}
    schema["required"] = draw(st.lists(st.sampled_from(sorted(props) or ["x"]), unique=True))
    schema["required"] = [r for r in schema["required"] if r in props]
    extra = draw(st.sampled_from(["absent", False, True, "schema"]))
    if extra == "schema":
        schema["additionalProperties"] = draw(children)
    elif extra != "absent":
        schema["additionalProperties"] = extra
    return schema


@st.composite
def arrays(draw: st.DrawFn, children: st.SearchStrategy[Any]) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "array", "items": draw(children)}
    if draw(st.booleans()):
        schema["prefixItems"] = draw(st.lists(children, min_size=1, max_size=2))
        if draw(st.booleans()):
            schema["items"] = False
    low = draw(st.integers(0, 3))
    limit = len(schema["prefixItems"]) if schema["items"] is False else 6
    low = min(low, limit)
    schema["minItems"] = low
    if draw(st.booleans()):
        schema["maxItems"] = min(limit, low + draw(st.integers(0, 3)))
    return schema


@st.composite
def one_ofs(draw: st.DrawFn) -> dict[str, Any]:
    """oneOf over branches that no value satisfies twice (each of a different type)."""
    kinds = draw(st.lists(st.sampled_from(["string", "integer", "boolean", "null", "object"]),
                          min_size=1, max_size=3, unique=True))  # fmt: skip
    made = {"string": string_schemas(), "integer": number_schemas().map(
        lambda s: {**s, "type": "integer"}), "object": st.just({"type": "object"})}  # fmt: skip
    return {"oneOf": [draw(made.get(k, st.just({"type": k}))) for k in kinds]}


@st.composite
def all_ofs(draw: st.DrawFn, children: st.SearchStrategy[Any]) -> dict[str, Any]:
    if draw(st.booleans()):
        low = draw(st.integers(-100, 100))
        integer = {"type": "integer", "minimum": low}
        return {"allOf": [integer, {"maximum": low + draw(st.integers(0, 50))}]}
    names = draw(st.lists(st.sampled_from(NAMES), min_size=2, max_size=6, unique=True))
    half = len(names) // 2
    parts = [names[:half], names[half:]]
    return {
        "allOf": [
            {"type": "object", "properties": {n: draw(children) for n in part}, "required": part}
            for part in parts
        ]
    }


def containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        objects(children),
        arrays(children),
        st.lists(children, min_size=1, max_size=3).map(lambda b: {"anyOf": b}),
        one_ofs(),
        all_ofs(children),
        children.map(nullable),
    )


@st.composite
def schemas(draw: st.DrawFn) -> Any:
    """A random schema; some subschemas are moved to $defs/definitions behind a $ref."""
    schema = draw(st.recursive(leaf_schemas(), containers, max_leaves=12))
    defs: dict[str, Any] = {}
    key = draw(st.sampled_from(["$defs", "definitions"]))

    def lift(node: Any) -> Any:
        if isinstance(node, dict):
            node = {k: lift_children(k, v) for k, v in node.items()}
            if draw(st.integers(0, 3)) == 0:
                name = f"D{len(defs)}"
                defs[name] = node
                return {"$ref": f"#/{key}/{name}"}
        return node

    def lift_children(key: str, value: Any) -> Any:
        if key in ("properties", "$defs"):
            return {k: lift(v) for k, v in value.items()}
        if key in ("anyOf", "oneOf", "allOf", "prefixItems"):
            return [lift(v) for v in value]
        if key in ("items", "additionalProperties"):
            return lift(value)
        return value

    root = lift(schema) if isinstance(schema, dict) else schema
    if defs:
        root = {"allOf": [root]} if not isinstance(root, dict) or "$ref" in root else root
        root[key] = defs
    return root


# -- properties over generated schemas --------------------------------------------------------

SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(schemas(), st.integers(0, 2**32), st.lists(st.sampled_from(HINTS), max_size=6))
def test_generated_values_validate(schema: Any, seed: int, hints: list[str]) -> None:
    assert validate_schema(schema) == []
    value = generate(schema, seed=seed, hints=hints)
    json.dumps(value, allow_nan=False)
    assert_valid(value, schema)


@SETTINGS
@given(schemas(), st.integers(0, 2**32), st.lists(st.sampled_from(HINTS), max_size=6))
def test_generation_is_deterministic(schema: Any, seed: int, hints: list[str]) -> None:
    first = generate(schema, seed=seed, hints=hints)
    assert json.dumps(generate(schema, seed=seed, hints=hints)) == json.dumps(first)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(FORMATS), st.integers(0, 2**32))
def test_every_format_is_valid(fmt: str, seed: int) -> None:
    schema = {"type": "string", "format": fmt}
    assert_valid(generate(schema, seed=seed), schema)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(PATTERNS), st.integers(0, 2**32))
def test_simple_patterns_are_matched(pattern: str, seed: int) -> None:
    value = generate({"type": "string", "pattern": pattern}, seed=seed)
    assert re.search(pattern, value), (pattern, value)


@settings(max_examples=300, deadline=None)
@given(number_schemas(), st.integers(0, 2**32))
def test_numbers_respect_bounds_and_multiples(schema: dict[str, Any], seed: int) -> None:
    # One pass, without generate()'s retries with other seeds, must already be right.
    assert_valid(_Generator(schema, seed, ()).value(schema, "", 0), schema)


def test_another_seed_gives_other_values() -> None:
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"],
    }
    values = {json.dumps(generate(schema, seed=seed)) for seed in range(20)}
    assert len(values) >= 10


def test_output_does_not_depend_on_the_hash_seed() -> None:
    code = (
        "import json; from workbench.local._values import generate, extract_hints;"
        "s = {'type': 'object', 'properties': {k: {'type': ['string', 'integer', 'null']}"
        " for k in 'abcdefgh'}, 'required': list('abcdefgh')};"
        "print(json.dumps(generate(s, seed=7, hints=extract_hints('Go to Paris 42 x'))))"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": str(hash_seed), "PATH": ""},
            cwd=ROOT,
        ).stdout
        for hash_seed in (1, 2, 3)
    }
    assert len(outputs) == 1 and outputs != {""}


# -- hints: the user's words where they fit ---------------------------------------------------

WEATHER = {
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "temperature": {"type": "number"},
        "units": {"type": "string", "enum": ["c", "f"]},
    },
    "required": ["city", "temperature", "units"],
    "additionalProperties": False,
}


@pytest.mark.parametrize("seed", range(5))
def test_weather_arguments_come_from_the_message(seed: int) -> None:
    hints = extract_hints("What's the weather like in San Francisco in fahrenheit?")
    value = generate(WEATHER, seed=seed, hints=hints)
    assert value["city"] == "San Francisco"
    assert value["units"] == "f"
    assert_valid(value, WEATHER)


@pytest.mark.parametrize("order", [["ticker", "exchange"], ["exchange", "ticker"]])
def test_stock_ticker_and_exchange_come_from_the_message(order: list[str]) -> None:
    schema = {
        "type": "object",
        "properties": {name: {"type": "string"} for name in order},
        "required": order,
        "additionalProperties": False,
    }
    value = generate(schema, seed=3, hints=extract_hints("What's the price of AAPL on NASDAQ?"))
    assert value == {"ticker": "AAPL", "exchange": "NASDAQ"}


def test_place_country_number_and_enum_hints() -> None:
    schema = {
        "type": "object",
        "properties": {
            "location": {"type": "string"},
            "country": {"type": "string"},
            "days": {"type": "integer", "minimum": 1, "maximum": 60},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        },
        "required": ["location", "country", "days", "unit"],
    }
    hints = ["weather", "Edinburgh", "UK", "celsius", "42"]
    value = generate(schema, seed=1, hints=hints)
    assert value == {"location": "Edinburgh", "country": "UK", "days": 42, "unit": "celsius"}


def test_a_hint_never_breaks_the_schema() -> None:
    schema = {
        "type": "object",
        "properties": {
            "days": {"type": "integer", "minimum": 1, "maximum": 14},
            "city": {"type": "string", "maxLength": 5},
        },
        "required": ["days", "city"],
    }
    for seed in range(10):
        value = generate(schema, seed=seed, hints=["42", "San Francisco"])
        assert value["days"] != 42 and value["city"] != "San Francisco"
        assert_valid(value, schema)


@pytest.mark.parametrize(
    ("members", "hint", "expected"),
    [
        (["c", "f"], "fahrenheit", "f"),
        (["c", "f"], "celsius", "c"),
        (["celsius", "fahrenheit"], "c", "celsius"),
        (["celsius", "fahrenheit"], "Fahrenheit", "fahrenheit"),
        (["small", "medium", "large"], "large", "large"),
        ([1, 2, 3], "2", 2),
    ],
)
def test_enum_member_named_in_the_hints(members: list[Any], hint: str, expected: Any) -> None:
    for seed in range(5):
        assert generate({"enum": members}, seed=seed, hints=["weather", hint]) == expected


def test_a_value_after_the_property_name_is_used() -> None:
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "role": {"type": "string"}},
        "required": ["name", "role"],
    }
    hints = extract_hints("Please set the name to Ada and the role admin")
    assert generate(schema, seed=0, hints=hints) == {"name": "Ada", "role": "admin"}


def test_query_takes_the_users_words() -> None:
    schema = {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}
    hints = extract_hints("Search for the latest news about Mars rovers")
    assert generate(schema, seed=0, hints=hints)["query"] == "latest news Mars rovers"


def test_each_hint_is_used_once() -> None:
    schema = {
        "type": "object",
        "properties": {"origin": {"type": "string"}, "destination": {"type": "string"}},
        "required": ["origin", "destination"],
    }
    hints = extract_hints("Flights from London to Lisbon")
    assert generate(schema, seed=0, hints=hints) == {"origin": "London", "destination": "Lisbon"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("What's the weather like in San Francisco in fahrenheit?",
         ["weather", "San Francisco", "fahrenheit"]),
        ("What's the price of AAPL on NASDAQ?", ["price", "AAPL", "NASDAQ"]),
        ("Weather in Edinburgh, UK: 42 degrees", ["weather", "Edinburgh", "UK", "42", "degrees"]),
        ('Send "see you at 5" to ada@example.com on 2024-05-01',
         ["see you at 5", "send", "ada@example.com", "2024-05-01"]),
        ("Book a table in New York City for -3.5 people.",
         ["book", "table", "New York City", "-3.5", "people"]),
        ("Is it raining? Paris is grey", ["raining", "paris", "grey"]),
    ],
)  # fmt: skip
def test_extract_hints(text: str, expected: list[str]) -> None:
    assert extract_hints(text) == expected


# -- readable values, defaults, recursion, the rest of the vocabulary -------------------------


def test_values_look_like_their_property_names() -> None:
    names = ["name", "email", "date", "description", "url", "created_at", "id", "country_code"]
    schema = {"type": "object", "properties": {n: {"type": "string"} for n in names}}
    value = generate({**schema, "required": names}, seed=4)
    assert re.fullmatch(r"[A-Z][a-z]+ [A-Z][a-z]+", value["name"])
    assert re.fullmatch(r"[a-z]+@example\.com", value["email"])
    assert date.fromisoformat(value["date"])
    assert value["description"].endswith(".") and " " in value["description"]
    assert value["url"].startswith("https://")
    assert datetime.fromisoformat(value["created_at"].replace("Z", "+00:00"))
    assert re.fullmatch(r"[0-9a-f-]{36}", value["id"])
    assert re.fullmatch(r"[A-Z]{2}", value["country_code"])


def test_defaults_are_honoured() -> None:
    schema = {
        "type": "object",
        "properties": {
            "units": {"type": "string", "enum": ["metric", "imperial"], "default": "imperial"},
            "limit": {"type": "integer", "default": 7},
            "verbose": {"type": "boolean", "default": False},
            "bad": {"type": "integer", "minimum": 0, "default": -1},
        },
        "required": ["units", "bad"],
    }
    for seed in range(10):
        value = generate(schema, seed=seed)
        assert value["units"] == "imperial" and value["limit"] == 7 and value["verbose"] is False
        assert value["bad"] >= 0
    assert generate(schema, seed=0, hints=["metric"])["units"] == "metric"


@pytest.mark.parametrize(
    ("schema", "default"),
    [
        ({"type": "string", "format": "date"}, "2024-02-30"),
        ({"type": "string", "format": "date-time"}, "2024-02-30T10:00:00Z"),
        ({"type": "string", "format": "date-time"}, "2024-02-03T25:00:00Z"),
        ({"type": "string", "format": "time"}, "10:61:00Z"),
        ({"type": "string", "format": "email"}, "not-an-email"),
        ({"type": "string", "format": "ipv4"}, "256.1.1.1"),
        ({"type": "string", "format": "hostname"}, "-bad-.example.com"),
        ({"type": "string", "format": "uuid"}, "1234"),
        ({"type": "string", "format": "uri"}, "no scheme"),
        ({"type": "string", "pattern": "^[A-Z]+$"}, "abc"),
        ({"type": "string", "maxLength": 2}, "abc"),
        ({"type": "integer", "exclusiveMinimum": 0}, 0),
        ({"type": "number", "multipleOf": 0.1}, 0.3),
        ({"type": "array", "items": {"type": "integer"}, "uniqueItems": True}, [1, 1]),
        ({"type": "object", "properties": {"a": {}}, "additionalProperties": False}, {"b": 1}),
        ({"type": "object", "required": ["a"]}, {}),
        ({"oneOf": [{"type": "integer"}, {"type": "number"}]}, 1),
        ({"enum": [1, 2]}, True),
    ],
)
def test_invalid_defaults_and_hints_are_not_used(schema: dict[str, Any], default: Any) -> None:
    for seed in range(5):
        value = generate({**schema, "default": default}, seed=seed)
        assert_valid(value, schema)
        if isinstance(default, str):
            assert generate(schema, seed=seed, hints=[default]) != default


@pytest.mark.parametrize(
    ("schema", "allowed"),
    [
        ({"type": "integer", "exclusiveMinimum": 5, "exclusiveMaximum": 7}, {6}),
        ({"type": "integer", "exclusiveMinimum": 5, "maximum": 6}, {6}),
        ({"type": "integer", "minimum": 5.5, "exclusiveMaximum": 7}, {6}),
        ({"type": "integer", "minimum": -7, "maximum": 7, "multipleOf": 7}, {-7, 0, 7}),
        ({"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 14, "multipleOf": 7}, {7}),
        ({"type": "number", "minimum": 2.5, "maximum": 2.5}, {2.5}),
        ({"type": "number", "exclusiveMinimum": 0, "maximum": 1, "multipleOf": 0.5}, {0.5, 1}),
    ],
)
def test_tight_number_bounds_in_one_pass(schema: dict[str, Any], allowed: set[float]) -> None:
    for seed in range(20):
        assert _Generator(schema, seed, ()).value(schema, "", 0) in allowed


@pytest.mark.parametrize(
    "schema",
    [
        {"allOf": [{"type": "integer", "minimum": 0, "maximum": 100}, {"minimum": 90}]},
        {"allOf": [{"type": "number", "maximum": 100}, {"type": "integer", "maximum": 5}]},
        {"allOf": [{"type": "string", "minLength": 2, "maxLength": 30}, {"maxLength": 3}]},
        {"allOf": [{"type": "array", "minItems": 1}, {"minItems": 4, "maxItems": 4}]},
        {"allOf": [{"enum": ["a", "b", "c"]}, {"enum": ["c", "d"]}]},
        {"allOf": [{"required": ["a"]}, {"required": ["b"]}], "additionalProperties": False,
         "properties": {"a": {"type": "string"}, "b": {"type": "string"}}},
    ],
)  # fmt: skip
def test_all_of_is_merged_in_one_pass(schema: dict[str, Any]) -> None:
    for seed in range(20):
        assert_valid(_Generator(schema, seed, ()).value(schema, "", 0), schema)


NODE = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}},
    },
    "required": ["id", "children"],
}
EXPR = {
    "type": "object",
    "properties": {
        "op": {"enum": ["+", "*"]},
        "args": {
            "type": "array",
            "minItems": 2,
            "maxItems": 2,
            "items": {"$ref": "#/definitions/Expr"},
        },
    },
    "required": ["op", "args"],
    "additionalProperties": False,
}
RECURSIVE = [
    {
        "type": "object",
        "properties": {
            "value": {"type": "string"},
            "next": {"anyOf": [{"$ref": "#"}, {"type": "null"}]},
        },
        "required": ["value", "next"],
        "additionalProperties": False,
    },
    {"$defs": {"Node": NODE}, "$ref": "#/$defs/Node"},
    {"definitions": {"Expr": {"oneOf": [{"type": "number"}, EXPR]}}, "$ref": "#/definitions/Expr"},
]


@pytest.mark.parametrize("schema", RECURSIVE)
def test_recursive_schemas_terminate(schema: dict[str, Any]) -> None:
    assert validate_schema(schema) == []
    for seed in range(20):
        assert_valid(generate(schema, seed=seed), schema)


def test_recursion_takes_the_shortest_way_out_when_deep() -> None:
    def length(node: Any) -> int:
        return 0 if node is None else 1 + length(node["next"])

    def height(node: Any) -> int:
        return 1 + max((height(child) for child in node["children"]), default=0)

    assert max(length(generate(RECURSIVE[0], seed=seed)) for seed in range(50)) == 4
    assert max(height(generate(RECURSIVE[1], seed=seed)) for seed in range(50)) == 3


def test_deep_schemas_without_recursion_are_filled_in() -> None:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(8):
        props = {"a": schema, "b": {"type": "integer"}, "c": {"type": "array", "items": {}}}
        schema = {"type": "object", "properties": props, "required": ["a"]}
    innermost = []
    for seed in range(10):
        value = generate(schema, seed=seed)
        for _ in range(7):
            value = value["a"]
        innermost.append(value)
    assert any("b" in value for value in innermost)
    assert any(len(value.get("c", ())) > 1 for value in innermost)


def test_endless_recursion_still_returns() -> None:
    schema = {"type": "object", "properties": {"self": {"$ref": "#"}}, "required": ["self"]}
    generate(schema, seed=0)
    generate({"$defs": {"A": {"$ref": "#/$defs/A"}}, "$ref": "#/$defs/A"}, seed=0)


def test_root_resolves_refs_of_a_subschema() -> None:
    root = {"$defs": {"Color": {"enum": ["red", "green"]}}}
    assert generate({"$ref": "#/$defs/Color"}, seed=1, root=root) in ("red", "green")


@pytest.mark.parametrize(
    "schema",
    [
        True,
        {"const": {"a": [1, 2]}},
        {"type": ["string", "null"], "minLength": 3},
        {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "string"}], "items": False},
        {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 9},
         "minItems": 5, "uniqueItems": True},
        {"oneOf": [{"type": "number"}, {"type": "integer"}]},
        {"oneOf": [{"type": "integer", "multipleOf": 2}, {"type": "integer", "multipleOf": 3}]},
        {"allOf": [{"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
                   {"properties": {"a": {"minimum": 10, "maximum": 12}}}]},
        {"type": "object", "anyOf": [{"required": ["a"]}, {"required": ["b"]}],
         "properties": {"a": {"type": "string"}, "b": {"type": "string"}}},
        {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 0.1},
        {"type": "number", "multipleOf": 0.1, "minimum": 3.05, "maximum": 3.35},
        {"type": "integer", "multipleOf": 0.5, "minimum": 7, "maximum": 7},
        {"type": "string", "minLength": 40, "maxLength": 40},
        {"type": "object", "properties": {"when": {"type": "string", "format": "date-time"}},
         "required": ["when", "extra"], "additionalProperties": {"type": "integer"}},
    ],
)  # fmt: skip
def test_vocabulary(schema: Any) -> None:
    for seed in range(10):
        assert_valid(generate(schema, seed=seed), schema)


def test_oneof_picks_exactly_one_branch() -> None:
    schema = {"oneOf": [{"type": "number"}, {"type": "integer"}]}
    assert all(isinstance(generate(schema, seed=s), float) for s in range(10))


def test_false_schema_gives_none_and_is_reported() -> None:
    assert generate(False, seed=0) is None
    assert validate_schema(False) == ["(root): the schema false accepts no value"]


# -- validate_schema --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        ({"type": "object", "properties": {"city": {"type": "string", "enum": []}}},
         "properties.city.enum: must be a non-empty array"),
        ({"properties": {"city": "string"}},
         "properties.city: expected a schema (an object), got str"),
        ({"properties": {"a": {"$ref": "#/$defs/Missing"}}},
         "properties.a.$ref: '#/$defs/Missing' does not point to a definition in this schema"),
        ({"type": "array", "minItems": 3, "maxItems": 1}, "minItems: 3 is greater than maxItems 1"),
        ({"type": "string", "minLength": 9, "maxLength": 2},
         "minLength: 9 is greater than maxLength 2"),
        ({"properties": {"n": {"type": "number", "minimum": 5, "maximum": 1}}},
         "properties.n.minimum: no number lies between 5 and 1"),
        ({"type": "number", "exclusiveMinimum": 1, "maximum": 1},
         "exclusiveMinimum: no number lies between 1 and 1"),
        ({"type": "integer", "minimum": 1.2, "maximum": 1.8},
         "minimum: no integer lies between 1.2 and 1.8"),
        ({"items": {"type": "strin"}},
         "items.type: unknown type 'strin'; expected one of null, boolean, integer, number, string,"
         " array, object"),
        ({"anyOf": []}, "anyOf: must be a non-empty array of schemas"),
        ({"oneOf": [{"type": "string"}, 3]}, "oneOf[1]: expected a schema (an object), got int"),
        ({"pattern": "("}, "pattern: not a valid regular expression"),
        ({"multipleOf": 0}, "multipleOf: must be greater than 0"),
        ({"maxLength": -1}, "maxLength: must be a non-negative integer"),
        ({"minimum": "3"}, "minimum: must be a number"),
        ({"required": "a"}, "required: must be an array of property names"),
        ({"type": "object", "properties": {}, "required": ["a"], "additionalProperties": False},
         "required: 'a' is required but additionalProperties is false"),
        ({"type": "string", "enum": [1, 2]}, "enum: no member is of type string"),
        ({"$defs": {"A": {"type": "object", "properties": {"b": {"enum": []}}}}},
         "$defs.A.properties.b.enum: must be a non-empty array"),
        ([1], "(root): expected a schema (an object), got list"),
    ],
)  # fmt: skip
def test_validate_schema_names_the_problem(schema: Any, message: str) -> None:
    problems = validate_schema(schema)
    assert len(problems) == 1 and problems[0].startswith(message), problems


@pytest.mark.parametrize("schema", [WEATHER, *RECURSIVE, {}, True, {"type": ["string", "null"]}])
def test_validate_schema_accepts_good_schemas(schema: Any) -> None:
    assert validate_schema(schema) == []
