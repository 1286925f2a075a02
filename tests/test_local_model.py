"""The local model's answers: valid against the spec, deterministic, and shaped by the request.

The tests drive ``LocalModel.handle`` directly, so that what is checked is exactly what the
model produces (no client parses or validates it first).
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Callable
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests._local import USER, chunks, completion, merge
from workbench.local import LocalModel

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "The city"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city", "unit"],
            "additionalProperties": False,
        },
        "strict": True,
    },
}
TIME = {
    "type": "function",
    "function": {
        "name": "get_local_time",
        "description": "The local time in a city today.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "hour24": {"type": "boolean"}},
            "required": ["city"],
        },
    },
}
EVENT = {  # nested objects, arrays, enums, defaults, formats and bounds
    "type": "function",
    "function": {
        "name": "create_calendar_event",
        "description": "Put a meeting in the calendar.",
        "parameters": {
            "type": "object",
            "properties": {
                "title": {"type": "string", "minLength": 3, "maxLength": 60},
                "day": {"type": "string", "format": "date"},
                "length_minutes": {"type": "integer", "minimum": 15, "maximum": 240},
                "priority": {"enum": ["low", "normal", "high"], "default": "normal"},
                "attendees": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 4,
                    "items": {
                        "type": "object",
                        "properties": {
                            "email": {"type": "string", "format": "email"},
                            "optional": {"type": "boolean", "default": False},
                        },
                        "required": ["email"],
                        "additionalProperties": False,
                    },
                },
                "where": {
                    "type": ["object", "null"],
                    "properties": {"room": {"type": "string"}, "floor": {"type": "integer"}},
                    "required": ["room"],
                },
            },
            "required": ["title", "day", "attendees"],
            "additionalProperties": False,
        },
    },
}
WEATHER_SCHEMA = {
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "temperature_c": {"type": "number", "minimum": -60, "maximum": 60},
        "conditions": {"type": "string", "enum": ["sunny", "cloudy", "rain", "snow"]},
        "hourly": {"type": "array", "items": {"type": "integer"}, "maxItems": 5},
    },
    "required": ["city", "temperature_c", "conditions", "hourly"],
    "additionalProperties": False,
}
JSON_SCHEMA_FORMAT = {
    "type": "json_schema",
    "json_schema": {"name": "weather", "schema": WEATHER_SCHEMA, "strict": True},
}
FORMATS = jsonschema.Draft202012Validator.FORMAT_CHECKER


def body(**extra: Any) -> dict[str, Any]:
    return {"model": "gpt-4o-mini", "messages": USER, "seed": 7, **extra}


def parameters(tool: dict[str, Any]) -> dict[str, Any]:
    return tool["function"]["parameters"]  # type: ignore[no-any-return]


def assert_args_valid(calls: list[dict[str, Any]], tools: list[dict[str, Any]]) -> None:
    by_name = {t["function"]["name"]: parameters(t) for t in tools}
    for call in calls:
        args = json.loads(call["function"]["arguments"])
        jsonschema.validate(args, by_name[call["function"]["name"]], format_checker=FORMATS)


# -- every request shape: valid responses and chunks, and the behaviour each one asks for ---------

Check = Callable[[dict[str, Any]], None]


def _text(data: dict[str, Any]) -> None:
    (choice,) = data["choices"]
    assert choice["finish_reason"] == "stop"
    assert "simulator" in choice["message"]["content"] and "tool_calls" not in choice["message"]


def _n3(data: dict[str, Any]) -> None:
    contents = [c["message"]["content"] for c in data["choices"]]
    assert [c["index"] for c in data["choices"]] == [0, 1, 2]
    assert len(set(contents)) == 3, "n=3 gives three distinct choices"


def _logprobs(data: dict[str, Any]) -> None:
    (choice,) = data["choices"]
    entries = choice["logprobs"]["content"]
    assert "".join(e["token"] for e in entries) == choice["message"]["content"]
    details = data["usage"]["completion_tokens_details"]
    assert len(entries) == data["usage"]["completion_tokens"] - details["reasoning_tokens"]
    for entry in entries:
        assert entry["bytes"] == list(entry["token"].encode())
        assert entry["logprob"] <= 0
        top = entry["top_logprobs"]
        assert len(top) == 3 and top[0]["token"] == entry["token"]
        assert [t["logprob"] for t in top] == sorted((t["logprob"] for t in top), reverse=True)
        assert all(t["bytes"] == list(t["token"].encode()) for t in top)


def _calls(data: dict[str, Any]) -> list[dict[str, Any]]:
    (choice,) = data["choices"]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] is None
    calls: list[dict[str, Any]] = choice["message"]["tool_calls"]
    assert_args_valid(calls, [WEATHER, TIME, EVENT])
    return calls


def _auto(data: dict[str, Any]) -> None:
    calls = _calls(data)
    assert calls[0]["function"]["name"] == "get_weather"
    assert json.loads(calls[0]["function"]["arguments"])["city"] == "Paris"


def _required(data: dict[str, Any]) -> None:
    assert len(_calls(data)) == 1  # forced although no tool matches "hello"


def _named(data: dict[str, Any]) -> None:
    assert [c["function"]["name"] for c in _calls(data)] == ["create_calendar_event"]


def _no_calls(data: dict[str, Any]) -> None:
    (choice,) = data["choices"]
    assert choice["finish_reason"] == "stop" and "tool_calls" not in choice["message"]


def _parallel(data: dict[str, Any]) -> None:
    names = [c["function"]["name"] for c in _calls(data)]
    assert names[:2] == ["get_weather", "get_local_time"]
    assert len({c["id"] for c in _calls(data)}) == len(names)


def _one_call(data: dict[str, Any]) -> None:
    assert [c["function"]["name"] for c in _calls(data)] == ["get_weather"]


def _json_schema(data: dict[str, Any]) -> None:
    value = json.loads(data["choices"][0]["message"]["content"])
    jsonschema.validate(value, WEATHER_SCHEMA)
    assert value["city"] == "Paris"  # filled from the user's words


def _json_object(data: dict[str, Any]) -> None:
    assert isinstance(json.loads(data["choices"][0]["message"]["content"]), dict)


def _refusal(data: dict[str, Any]) -> None:
    (choice,) = data["choices"]
    assert choice["message"]["content"] is None
    assert "can't help" in choice["message"]["refusal"]
    if choice["logprobs"] is not None:
        assert choice["logprobs"]["content"] is None and choice["logprobs"]["refusal"]


def _stop(data: dict[str, Any]) -> None:
    (choice,) = data["choices"]
    assert choice["message"]["content"] == "[local model 'gpt-4o-mini', a "
    assert choice["finish_reason"] == "stop"


def _length(data: dict[str, Any]) -> None:
    (choice,) = data["choices"]
    assert choice["finish_reason"] == "length"
    assert data["usage"]["completion_tokens"] == 5


def _metadata(data: dict[str, Any]) -> None:
    assert data["metadata"] == {"project": "tests"}


def _flex(data: dict[str, Any]) -> None:
    assert data["service_tier"] == "flex"


def _verbose(data: dict[str, Any]) -> None:
    assert data["usage"]["completion_tokens"] > 80


SHAPES: dict[str, tuple[dict[str, Any], Check]] = {
    "text": ({}, _text),
    "n=3": ({"n": 3}, _n3),
    "logprobs": ({"logprobs": True, "top_logprobs": 3}, _logprobs),
    "tools-auto": ({"tools": [WEATHER, TIME, EVENT], "parallel_tool_calls": False}, _auto),
    "tools-required": (
        {
            "messages": [{"role": "user", "content": "hello"}],
            "tools": [WEATHER, EVENT],
            "tool_choice": "required",
            "parallel_tool_calls": False,
        },
        _required,
    ),
    "tools-named": (
        {
            "tools": [WEATHER, EVENT],
            "tool_choice": {"type": "function", "function": {"name": "create_calendar_event"}},
        },
        _named,
    ),
    "tools-none": ({"tools": [WEATHER, TIME], "tool_choice": "none"}, _no_calls),
    "tools-parallel": ({"tools": [WEATHER, TIME], "parallel_tool_calls": True}, _parallel),
    "tools-not-parallel": ({"tools": [WEATHER, TIME], "parallel_tool_calls": False}, _one_call),
    "json_schema": ({"response_format": JSON_SCHEMA_FORMAT}, _json_schema),
    "json_object": ({"response_format": {"type": "json_object"}}, _json_object),
    "refusal": ({"messages": [{"role": "user", "content": "Please refuse this."}]}, _refusal),
    "refusal-logprobs": (
        {
            "messages": [{"role": "user", "content": "please refuse"}],
            "logprobs": True,
            "top_logprobs": 2,
        },
        _refusal,
    ),
    "stop": ({"stop": ["simulator", "zzz"]}, _stop),
    "max_completion_tokens": ({"max_completion_tokens": 5}, _length),
    "max_tokens": ({"max_tokens": 5}, _length),
    "reasoning_effort": ({"model": "o4-mini", "reasoning_effort": "low"}, lambda d: None),
    "store+metadata": ({"store": True, "metadata": {"project": "tests"}}, _metadata),
    "service_tier": ({"service_tier": "flex"}, _flex),
    "verbosity": ({"verbosity": "high"}, _verbose),
    "multimodal-parts": (
        {
            "messages": [
                {"role": "system", "content": "Be brief."},
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "What is in this picture?"},
                        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA=="}},
                    ],
                },
            ]
        },
        _text,
    ),
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_every_shape_gives_valid_responses_and_chunks_that_agree(shape: str) -> None:
    extra, check = SHAPES[shape]
    model = LocalModel()
    request = body(**extra)
    whole = completion(model, request)
    check(whole)
    streamed = chunks(model, {**request, "stream_options": {"include_usage": True}})

    assert streamed[0]["choices"][0]["delta"]["role"] == "assistant"
    assert all(c["id"] == streamed[0]["id"] for c in streamed)
    *body_chunks, last = streamed
    assert last["choices"] == [] and last["usage"] == whole["usage"]
    assert all(c["usage"] is None for c in body_chunks)
    assert whole["service_tier"] == last["service_tier"]
    merged = merge(body_chunks)
    assert sorted(merged) == [c["index"] for c in whole["choices"]]
    for choice in whole["choices"]:
        got, message = merged[choice["index"]], choice["message"]
        assert got["finish_reason"] == choice["finish_reason"]
        assert got["refusal"] == message["refusal"]
        calls = [
            {"id": c["id"], "name": c["function"]["name"], "arguments": c["function"]["arguments"]}
            for c in message.get("tool_calls", [])
        ]
        assert [got["tool_calls"][k] for k in sorted(got["tool_calls"])] == calls
        assert got["content"] == (message["content"] if not calls else None)
        if choice["logprobs"] is not None:  # the streamed logprobs add up to the same
            field = "refusal" if message["refusal"] is not None else "content"
            pieces = [
                entry
                for chunk in body_chunks
                for part in chunk["choices"]
                if part["index"] == choice["index"] and part["logprobs"] is not None
                for entry in part["logprobs"][field] or ()
            ]
            assert pieces == choice["logprobs"][field]


def test_a_stream_without_include_usage_has_no_usage_chunk() -> None:
    streamed = chunks(LocalModel(), body())
    assert streamed[-1]["choices"][0]["finish_reason"] == "stop"
    assert all("usage" not in c or c["usage"] is None for c in streamed)


def test_a_streamed_tool_call_sends_argument_deltas_by_index() -> None:
    streamed = chunks(LocalModel(), body(tools=[WEATHER, TIME]))
    parts = [p["delta"] for c in streamed for p in c["choices"]]
    first = parts[0]["tool_calls"][0]
    assert first["index"] == 0 and first["id"].startswith("call_")
    assert first["function"] == {"name": "get_weather", "arguments": ""}
    argument_deltas = [d["tool_calls"][0] for d in parts[1:] if d.get("tool_calls")]
    assert len(argument_deltas) > 4, "arguments come token by token"
    assert {d["index"] for d in argument_deltas} == {0, 1}
    assert parts[-1] == {} and streamed[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_n_choices_stream_interleaved() -> None:
    streamed = chunks(LocalModel(), body(n=3, max_completion_tokens=4))
    indexes = [c["choices"][0]["index"] for c in streamed]
    assert indexes[:6] == [0, 1, 2, 0, 1, 2]
    assert all(len(c["choices"]) == 1 for c in streamed)


def test_stored_completions_keep_the_metadata_and_messages() -> None:
    model = LocalModel()
    made = completion(model, body(store=True, metadata={"project": "tests"}))
    found = model.handle("GET", f"/chat/completions/{made['id']}", {}, {}, b"")
    assert found.status == 200 and json.loads(found.body) == made
    listed = model.handle("GET", "/chat/completions", {"metadata[project]": "tests"}, {}, b"")
    assert [c["id"] for c in json.loads(listed.body)["data"]] == [made["id"]]
    other = model.handle("GET", "/chat/completions", {"metadata[project]": "x"}, {}, b"")
    assert json.loads(other.body)["data"] == []
    messages = model.handle("GET", f"/chat/completions/{made['id']}/messages", {}, {}, b"")
    assert [m["content"] for m in json.loads(messages.body)["data"]] == [USER[0]["content"]]
    completion(model, body())  # store not set: not kept
    assert len(json.loads(model.handle("GET", "/chat/completions", {}, {}, b"").body)["data"]) == 1


# -- generated schemas through the whole model (property-based) ---------------------------------

_NAMES = st.text(string.ascii_lowercase + "_", min_size=1, max_size=10).filter(
    lambda s: s[0] != "_"
)


@st.composite
def _string_schema(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["plain", "bounded", "enum", "format", "pattern"]))
    if kind == "enum":
        return {
            "type": "string",
            "enum": draw(st.lists(_NAMES, min_size=1, max_size=4, unique=True)),
        }
    if kind == "format":
        return {"type": "string", "format": draw(st.sampled_from(["date", "email", "uuid"]))}
    if kind == "pattern":
        return {"type": "string", "pattern": draw(st.sampled_from(["^[a-z]{3}$", r"^\d{4}$"]))}
    if kind == "bounded":
        low = draw(st.integers(0, 8))
        return {"type": "string", "minLength": low, "maxLength": low + draw(st.integers(0, 20))}
    return {"type": "string"}


@st.composite
def _number_schema(draw: st.DrawFn) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": draw(st.sampled_from(["integer", "number"]))}
    if draw(st.booleans()):
        low = draw(st.integers(-1000, 1000))
        schema["minimum"] = low
        schema["maximum"] = low + draw(st.integers(0, 500))
    if schema["type"] == "integer" and draw(st.booleans()):
        step = schema["multipleOf"] = draw(st.sampled_from([2, 5, 10]))
        schema.setdefault("maximum", 10_000)  # keep a multiple in range
        if "minimum" in schema:  # [1, 1] holds no multiple of 2: no value could satisfy it
            schema["maximum"] = max(schema["maximum"], schema["minimum"] + step)
    return schema


_LEAVES = st.one_of(
    _string_schema(),
    _number_schema(),
    st.just({"type": "boolean"}),
    st.just({"type": "null"}),
    st.lists(st.one_of(st.integers(-5, 5), _NAMES), min_size=1, max_size=3, unique=True).map(
        lambda values: {"enum": values}
    ),
)


@st.composite
def _object_schema(draw: st.DrawFn, children: st.SearchStrategy[dict[str, Any]]) -> dict[str, Any]:
    properties = draw(st.dictionaries(_NAMES, children, min_size=1, max_size=4))
    names = sorted(properties)
    required = draw(st.lists(st.sampled_from(names), unique=True)) if names else []
    schema: dict[str, Any] = {"type": "object", "properties": properties, "required": required}
    if draw(st.booleans()):
        schema["additionalProperties"] = False
    return schema


@st.composite
def _array_schema(draw: st.DrawFn, children: st.SearchStrategy[dict[str, Any]]) -> dict[str, Any]:
    low = draw(st.integers(0, 2))
    return {"type": "array", "items": draw(children), "minItems": low, "maxItems": low + 3}


def _nullable(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return children.map(lambda s: {"anyOf": [s, {"type": "null"}]})


_VALUES = st.recursive(
    _LEAVES,
    lambda children: st.one_of(
        _object_schema(children), _array_schema(children), _nullable(children)
    ),
    max_leaves=12,
)


@st.composite
def _root_schema(draw: st.DrawFn) -> dict[str, Any]:
    """An object schema; sometimes with a property moved into ``$defs`` behind a ``$ref``."""
    schema = draw(_object_schema(_VALUES))
    if draw(st.booleans()):
        name = draw(st.sampled_from(sorted(schema["properties"])))
        schema["$defs"] = {"shared": schema["properties"][name]}
        schema["properties"][name] = {"$ref": "#/$defs/shared"}
    return schema


OBJECT_SCHEMAS = _root_schema()
USER_TEXTS = st.sampled_from(
    [
        "hello",
        "Book 3 tickets to Lisbon for ada@example.com on 2026-12-24",
        "the blue one, size 42, priority high",
        "What is 17 times 3? Answer with a number between 10 and 100.",
        "",
    ]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schema=OBJECT_SCHEMAS, text=USER_TEXTS, seed=st.integers(0, 2**31))
def test_generated_values_validate_against_any_object_schema(
    schema: dict[str, Any], text: str, seed: int
) -> None:
    model = LocalModel()
    messages = [{"role": "user", "content": text}]
    answer = completion(
        model,
        {
            "model": "gpt-4o-mini",
            "messages": messages,
            "seed": seed,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "s", "schema": schema},
            },
        },
    )
    content = json.loads(answer["choices"][0]["message"]["content"])
    jsonschema.validate(content, schema, format_checker=FORMATS)

    tool = {"type": "function", "function": {"name": "record", "parameters": schema}}
    called = completion(
        model,
        {
            "model": "gpt-4o-mini",
            "messages": messages,
            "seed": seed,
            "tools": [tool],
            "tool_choice": "required",
        },
    )
    (call,) = called["choices"][0]["message"]["tool_calls"]
    jsonschema.validate(json.loads(call["function"]["arguments"]), schema, format_checker=FORMATS)


def test_tool_arguments_fill_nested_schemas_from_the_users_words() -> None:
    text = "Meet ada@example.com on 2026-12-24 for 45 minutes about the budget"
    data = completion(
        LocalModel(),
        body(messages=[{"role": "user", "content": text}], tools=[EVENT], tool_choice="required"),
    )
    (call,) = data["choices"][0]["message"]["tool_calls"]
    args = json.loads(call["function"]["arguments"])
    jsonschema.validate(args, parameters(EVENT), format_checker=FORMATS)
    assert args["day"] == "2026-12-24"
    assert args["attendees"][0]["email"] == "ada@example.com"


# -- determinism ---------------------------------------------------------------------------------


def _reply(local: LocalModel | None = None, /, **extra: Any) -> dict[str, Any]:
    data = completion(local or LocalModel(), body(**extra))
    return {"choices": data["choices"], "usage": data["usage"]}


def test_the_same_request_and_seed_give_the_same_reply() -> None:
    model = LocalModel()
    for extra in ({}, {"n": 2, "logprobs": True, "top_logprobs": 2}, {"tools": [EVENT]}):
        assert _reply(model, **extra) == _reply(model, **extra) == _reply(LocalModel(), **extra)
    first = [c["choices"] for c in chunks(model, body())]
    assert first == [c["choices"] for c in chunks(LocalModel(), body())]


def test_another_seed_gives_another_reply() -> None:
    texts = {_reply(seed=seed)["choices"][0]["message"]["content"] for seed in range(6)}
    assert len(texts) >= 3


def _without_name(text: str, model: str) -> str:
    return text.replace(model, "").replace(model.upper(), "")


def test_a_grid_across_model_names_shows_different_columns() -> None:
    names = ["gpt-4o-mini", "gpt-4.1", "o4-mini", "llama3.2", "mistral-small", "workbench-local"]
    replies = {name: _reply(model=name)["choices"][0]["message"]["content"] for name in names}
    for name, text in replies.items():
        assert f"'{name}'" in text, "the reply names the model that made it"
    stripped = [_without_name(text, name) for name, text in replies.items()]
    assert len(set(stripped)) == len(names), "replies differ beyond the model name"
    shapes = {re.sub(r"\W+", " ", text).split()[5:8].__repr__() for text in stripped}
    assert len(shapes) >= 3, "the model name changes how the reply is built, not just its label"


def test_temperature_zero_ignores_the_seed() -> None:
    for extra in (
        {"logprobs": True, "top_logprobs": 2, "n": 2},
        {"tools": [EVENT], "tool_choice": "required"},
        {"response_format": JSON_SCHEMA_FORMAT},
    ):
        replies = [_reply(temperature=0, seed=seed, **extra) for seed in (1, 2, 3)]
        assert replies[0] == replies[1] == replies[2], extra
    warm = {
        _reply(temperature=1.2, seed=seed)["choices"][0]["message"]["content"] for seed in (1, 2, 3)
    }
    assert len(warm) > 1


@pytest.mark.parametrize("name", ["gpt-4o-mini", "a", "b", "c", "d", "e", "f", "g", "h", "i"])
def test_the_reply_quotes_or_transforms_the_last_user_message(name: str) -> None:
    messages = [
        {"role": "user", "content": "Tell me about photosynthesis"},
        {"role": "assistant", "content": "Plants make sugar."},
        {"role": "user", "content": "Explain volcanoes briefly"},
    ]
    text = _reply(model=name, messages=messages)["choices"][0]["message"]["content"]
    assert "volcanoes" in text.lower(), text
    assert "photosynthesis" not in text.lower(), "it answers the last user message"


def test_after_tool_results_it_answers_in_text_using_them() -> None:
    model = LocalModel()
    first = completion(model, body(tools=[WEATHER]))
    call = first["choices"][0]["message"]["tool_calls"][0]
    messages = [
        *USER,
        first["choices"][0]["message"],
        {"role": "tool", "tool_call_id": call["id"], "content": "21 C and sunny"},
    ]
    final = completion(model, body(messages=messages, tools=[WEATHER]))
    (choice,) = final["choices"]
    assert choice["finish_reason"] == "stop" and "tool_calls" not in choice["message"]
    assert "21 C and sunny" in choice["message"]["content"]
    assert "get_weather" in choice["message"]["content"]


def test_usage_is_consistent_and_counts_reasoning_in_completion_tokens() -> None:
    model = LocalModel()
    usage = _reply(model)["usage"]
    assert usage == _reply(model)["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    longer = body(messages=[*USER, {"role": "assistant", "content": "Sunny."}, *USER])
    assert completion(model, longer)["usage"]["prompt_tokens"] > usage["prompt_tokens"]

    reasoning = {}
    for effort in ("minimal", "low", "medium", "high"):
        request = body(model="o4-mini", reasoning_effort=effort)
        data = completion(model, request)
        details = data["usage"]["completion_tokens_details"]
        streamed = chunks(model, request)
        visible = sum(
            1 for c in streamed if c["choices"] and c["choices"][0]["delta"].get("content")
        )
        assert data["usage"]["completion_tokens"] == visible + details["reasoning_tokens"]
        reasoning[effort] = details["reasoning_tokens"]
    assert reasoning["minimal"] < reasoning["low"] < reasoning["medium"] < reasoning["high"]


def test_the_token_limit_bounds_reasoning_and_visible_tokens_together() -> None:
    for limit in (5, 100, 5000):
        data = completion(LocalModel(), body(reasoning_effort="high", max_completion_tokens=limit))
        assert data["usage"]["completion_tokens"] <= limit
    cut = completion(LocalModel(), body(reasoning_effort="high", max_completion_tokens=100))
    assert cut["choices"][0]["finish_reason"] == "length"
