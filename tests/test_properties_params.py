"""Parameter validation against the API's own schema (the OpenAPI spec in ``tests/fixtures``).

For every parameter of ``CreateChatCompletionRequest``, values are generated from the spec's
schema for it: valid ones, near misses (one value inside replaced, a key dropped or added) and
junk (other JSON, NaN, infinities, sets, bytes, huge integers). Whatever the client's validator
or ``ChatParams`` accepts must be a valid request on the wire; whatever they refuse must raise
``InvalidParameterError`` before any request is made. ``None`` at the top level is left out: it
is sent as JSON null by design (an omitted parameter is not sent, ``None`` is).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

import workbench
from tests._mock import completion_json, schema_validator, spec, sse_body, text_chunks
from tests._mutations import json_paths
from workbench import InvalidParameterError
from workbench.conversation._params import ChatParams

MESSAGES = [{"role": "user", "content": "x"}]
# What a parameter needs from another to be judged on its own (else it is refused for that).
PREREQUISITES: dict[str, dict[str, Any]] = {
    "top_logprobs": {"logprobs": True},
    "modalities": {"audio": {"voice": "alloy", "format": "wav"}},
    "stream_options": {"stream": True},
}
# Parameters of the spec the client does not take (refused by name) or takes separately.
NOT_PARAMETERS = {"model", "messages", "stream"}
# Fields inside messages newer than the client's surface (openai 1.106): the validator does not
# know them and passes them on as given, like extra_body.
NEWER_FIELDS = {"prompt_cache_breakpoint"}


def _schemas() -> dict[str, Any]:
    return spec()["components"]["schemas"]  # type: ignore[no-any-return]


def resolve(node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        node = _schemas()[node["$ref"].split("/")[-1]]
    return node


def request_properties() -> dict[str, Any]:
    found: dict[str, Any] = {}

    def collect(node: Any) -> None:
        node = resolve(node)
        for part in node.get("allOf", []):
            collect(part)
        found.update(node.get("properties", {}))

    collect(_schemas()["CreateChatCompletionRequest"])
    return found


# -- values from a schema ------------------------------------------------------------------------

WORDS = ["", "auto", "none", "text", "function", "user", "json_object", "content", "alloy", "wav"]
KEYS = ["type", "name", "function", "content", "text", "voice", "format", "include_usage", "mode"]
KEYS += ["tools", "json_schema", "schema", "parameters", "custom", "id", "arguments"]
_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 300),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=6),
    st.sampled_from(WORDS),
)
any_json = st.recursive(
    _leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.one_of(st.text(max_size=5), st.sampled_from(KEYS)), inner, max_size=3),
    ),
    max_leaves=8,
)
# Python values JSON cannot carry, or that no schema allows.
junk = st.sampled_from(
    [math.nan, math.inf, -math.inf, {1, 2}, b"bytes", object(), 10**30, -(10**30), 2**63]
)


def valid(node: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values that follow ``node`` (a JSON schema of the spec), within a few levels."""
    node = resolve(node)
    options: list[st.SearchStrategy[Any]] = []
    if depth > 8:
        return st.nothing()
    if "anyOf" in node or "oneOf" in node:
        options += [valid(sub, depth + 1) for sub in node.get("anyOf", node.get("oneOf"))]
    elif "enum" in node:
        options.append(st.sampled_from(node["enum"]))
    elif node.get("type") == "string":
        options.append(st.text(max_size=min(node.get("maxLength", 10), 10)))
    elif node.get("type") == "integer":
        low, high = node.get("minimum"), node.get("maximum")
        low = None if low is None else max(math.ceil(low), -(2**63))
        high = None if high is None else min(math.floor(high), 2**63 - 1)
        options.append(st.integers(low, high))
    elif node.get("type") == "number":
        low, high = node.get("minimum"), node.get("maximum")
        options.append(st.floats(low, high, allow_nan=False, allow_infinity=False))
        options += [st.just(bound) for bound in (low, high) if bound is not None]
    elif node.get("type") == "boolean":
        options.append(st.booleans())
    elif node.get("type") == "null":
        options.append(st.none())
    elif node.get("type") == "array":
        items = valid(node.get("items", {}), depth + 1)
        least = node.get("minItems", 0)
        options.append(
            st.lists(items, min_size=least, max_size=max(least, min(node.get("maxItems", 3), 3)))
        )
    elif node.get("type") == "object" or "properties" in node:
        options.append(_object(node, depth))
    else:  # no constraint
        options.append(any_json)
    if node.get("nullable"):
        options.append(st.none())
    return st.one_of(*options)


def _object(node: Any, depth: int) -> st.SearchStrategy[Any]:
    required = node.get("required", [])
    properties = {k: v for k, v in node.get("properties", {}).items() if k not in NEWER_FIELDS}
    base = st.fixed_dictionaries(
        {key: valid(properties.get(key, {}), depth + 1) for key in required},
        optional={
            key: valid(value, depth + 1) for key, value in properties.items() if key not in required
        },
    )
    more = node.get("additionalProperties")
    if isinstance(more, dict):
        extra = st.dictionaries(st.text(max_size=6), valid(more, depth + 1), max_size=3)
    elif more is True or (more is None and not properties):
        extra = st.dictionaries(st.text(max_size=6), any_json, max_size=2)
    else:
        return base
    return st.builds(lambda known, added: {**added, **known}, base, extra)


@st.composite
def near_miss(draw: st.DrawFn, values: st.SearchStrategy[Any]) -> Any:
    """A valid value with one thing changed inside it: a value replaced by other JSON or junk,
    a key dropped, or a key added."""
    value = draw(values)
    path = draw(st.sampled_from(list(json_paths(value))))
    if not path:
        return draw(st.one_of(any_json, junk))
    parent = value
    for key in path[:-1]:
        parent = parent[key]
    how = draw(st.sampled_from(["replace", "junk", "drop", "add"]))
    if how == "drop":
        del parent[path[-1]]
    elif how == "add" and isinstance(parent, dict):
        parent[draw(st.one_of(st.text(max_size=4), st.sampled_from(KEYS)))] = draw(any_json)
    else:
        parent[path[-1]] = draw(any_json if how == "replace" else junk)
    return value


def values_for(schema: Any) -> st.SearchStrategy[Any]:
    good = valid(schema)
    return st.one_of(good, near_miss(good), any_json, junk).filter(lambda v: v is not None)


# -- the wire ------------------------------------------------------------------------------------


def _strict_json(text: str) -> Any:
    def refuse(constant: str) -> Any:
        raise AssertionError(f"{constant} is not JSON, yet it was sent")

    return json.loads(text, parse_constant=refuse)


class Wire:
    """A transport that records each request's body (read as strict JSON) and answers as the
    API would; ``sent`` is what reached it."""

    def __init__(self) -> None:
        self.sent: list[Any] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = _strict_json(request.content.decode())
        self.sent.append(body)
        if body.get("stream"):
            headers = {"content-type": "text/event-stream"}
            return httpx.Response(200, headers=headers, content=sse_body(*text_chunks("hi")))
        return httpx.Response(200, json=completion_json())


def client_on(wire: Callable[[httpx.Request], httpx.Response]) -> workbench.Client:
    transport = httpx.MockTransport(wire)
    return workbench.Client(api_key="sk-test", http_client=httpx.Client(transport=transport))


def assert_valid_on_the_wire(body: Any) -> None:
    errors = sorted(
        schema_validator("CreateChatCompletionRequest").iter_errors(body), key=lambda e: e.path
    )
    assert not errors, [f"{list(e.absolute_path)}: {e.message[:200]}" for e in errors[:3]]


def send(params: dict[str, Any]) -> Any:
    """``create`` with ``params``: the body that reached the wire, or None when refused (and
    then nothing was sent). Any other exception fails the test."""
    wire = Wire()
    client = client_on(wire)
    try:
        result = client.chat.completions.create(model="m", messages=MESSAGES, **params)
    except InvalidParameterError:
        assert wire.sent == [], "refused, yet sent"
        return None
    if params.get("stream"):
        result.close()
    assert len(wire.sent) == 1
    return wire.sent[0]


PROPERTIES = request_properties()
PARAMETERS = sorted(set(PROPERTIES) - NOT_PARAMETERS)
# extra_body is no property of the API's request: its fields are sent unchecked, as openai does.
CHAT_PARAMS = sorted(set(ChatParams.model_fields) - {"model", "extra_body"})


@st.composite
def parameter_and_value(draw: st.DrawFn, names: list[str]) -> tuple[str, Any]:
    name = draw(st.sampled_from(names))
    return name, draw(values_for(PROPERTIES[name]))


@settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
@given(parameter_and_value(PARAMETERS))
def test_a_value_is_refused_before_sending_or_valid_on_the_wire(case: tuple[str, Any]) -> None:
    name, value = case
    body = send({**PREREQUISITES.get(name, {}), name: value})
    if body is not None:
        assert_valid_on_the_wire(body)


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(parameter_and_value(CHAT_PARAMS))
def test_what_chat_params_accepts_is_sent_and_valid_on_the_wire(case: tuple[str, Any]) -> None:
    name, value = case
    try:
        request = ChatParams(**PREREQUISITES.get(name, {}), **{name: value}).to_request()
    except InvalidParameterError:
        return
    body = send(request)
    assert body is not None, f"ChatParams accepted {name}={value!r}, the client refused it"
    assert_valid_on_the_wire(body)


def _message_values() -> st.SearchStrategy[Any]:
    good = valid(PROPERTIES["messages"])
    return st.one_of(good, near_miss(good), near_miss(near_miss(good)))


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(_message_values())
def test_messages_are_refused_before_sending_or_valid_on_the_wire(messages: Any) -> None:
    wire = Wire()
    try:
        client_on(wire).chat.completions.create(model="m", messages=messages)
    except InvalidParameterError:
        assert wire.sent == []
        return
    assert_valid_on_the_wire(wire.sent[0])


# Parameters the client does not take (sent with extra_body instead) and those whose every valid
# value needs more than one other parameter.
NEVER_ACCEPTED = {"moderation", "prompt_cache_options", "prompt_cache_retention"}


@pytest.mark.parametrize("name", sorted(set(PARAMETERS) - NEVER_ACCEPTED))
def test_the_generator_makes_values_the_client_accepts(name: str) -> None:
    """The properties above are not vacuous: for each parameter, a valid value is found that the
    client sends (and the spec allows)."""
    try:
        found = find(
            valid(PROPERTIES[name]).filter(lambda v: v is not None),
            lambda v: send({**PREREQUISITES.get(name, {}), name: v}) is not None,
            settings=settings(max_examples=300, deadline=None, database=None),
        )
    except NoSuchExample:
        pytest.fail(f"no valid value of {name} is accepted")
    body = send({**PREREQUISITES.get(name, {}), name: found})
    assert_valid_on_the_wire(body)


# -- what the properties found, kept as plain cases --------------------------------------------

FOUND: list[tuple[str, Any, str]] = [
    ("seed", 2**70, "seed"),
    ("stop", [], "stop"),
    ("logit_bias", {"50256": 0.5}, "logit_bias[50256]"),
    ("logit_bias", {"\u00b2": 1}, "logit_bias"),
    ("tool_choice", {"type": "function"}, "tool_choice.function"),
    ("tool_choice", {"type": "allowed_tools", "allowed_tools": 0}, "tool_choice.allowed_tools"),
    ("audio", "alloy", "audio"),
    ("user", 42, "user"),
    ("safety_identifier", "x" * 65, "safety_identifier"),
    ("prompt_cache_key", ["k"], "prompt_cache_key"),
    ("web_search_options", [], "web_search_options"),
    (
        "web_search_options",
        {"user_location": {"type": "exact"}},
        "web_search_options.user_location",
    ),
    ("prediction", {"type": "content", "content": []}, "prediction"),
    ("functions", [{"description": "no name"}], "functions[0]"),
    ("function_call", "always", "function_call"),
    ("response_format", {"type": {}}, "response_format"),
    (
        "response_format",
        {"type": "json_schema", "json_schema": {"name": "n", "schema": {}, "description": None}},
        "response_format.json_schema.description",
    ),
    (
        "tools",
        [{"type": "function", "function": {"name": "f", "parameters": {"x": {1, 2}}}}],
        "tools[0].function.parameters.x",
    ),
    (
        "tools",
        [{"type": "function", "function": {"name": "f", "parameters": {"minimum": math.nan}}}],
        "tools[0].function.parameters.minimum",
    ),
    (
        "tools",
        [{"type": "custom", "custom": {"name": "c", "format": {"type": "regex"}}}],
        "tools[0].custom.format",
    ),
    ("messages", [{"role": "user", "content": []}], "messages[0].content"),
    ("messages", [{"role": "user", "content": "x", "name": 5}], "messages[0].name"),
    (
        "messages",
        [{"role": "assistant", "tool_calls": [{"id": "c", "type": "function", "function": {}}]}],
        "messages[0].tool_calls[0].function.name",
    ),
]


def _failing_wire(request: httpx.Request) -> httpx.Response:
    pytest.fail(f"an invalid request reached the wire: {request.content[:200]!r}")


@pytest.mark.parametrize(("name", "value", "where"), FOUND)
def test_values_the_properties_found_are_refused_before_sending(
    name: str, value: Any, where: str
) -> None:
    client = client_on(_failing_wire)
    params: dict[str, Any] = {"model": "m", "messages": MESSAGES, name: value}
    with pytest.raises(InvalidParameterError) as info:
        client.chat.completions.create(**params)
    assert info.value.param == where
    if name in ChatParams.model_fields:
        with pytest.raises(InvalidParameterError):
            ChatParams(**{name: value}).to_request()


def test_none_is_sent_as_null_by_design() -> None:
    body = send({"user": None, "temperature": None})
    assert body["user"] is None and body["temperature"] is None
