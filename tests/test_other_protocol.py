"""A parameter of the other protocol: Responses-only names through Chat Completions and the
reverse raise before sending, naming the protocol that takes them and what takes their place;
through ``extra_body`` they are sent, with a ``WrongProtocolWarning``."""

from __future__ import annotations

import inspect
import json
import warnings
from typing import Any

import httpx
import pytest

import workbench
from tests._mock import KINDS, MESSAGES, completion_json
from tests._responses import BODIES, async_client, json_response, sync_client
from workbench.protocol._other_protocol import CHAT_ONLY, RESPONSES_ONLY
from workbench.types.completion_create_params import CompletionCreateParams
from workbench.types.response_create_params import ResponseCreateParams

METHODS = ("create", "parse", "stream")

# name, value, words the error must hold (the name this protocol takes instead)
THROUGH_CHAT = [
    ("reasoning", {"effort": "low"}, "Chat Completions takes reasoning_effort="),
    ("input", "Say hi", "Chat Completions takes messages="),
    ("instructions", "Be brief", "a system or developer message first in messages"),
    ("max_output_tokens", 5, "Chat Completions takes max_completion_tokens"),
    ("text", {"verbosity": "low"}, "response_format= for text.format and verbosity="),
    ("previous_response_id", "resp_1", "Chat Completions has no equivalent (it keeps no state"),
    ("truncation", "auto", "Chat Completions has no equivalent"),
]
THROUGH_RESPONSES = [
    ("messages", MESSAGES, "the Responses API takes input="),
    ("max_completion_tokens", 5, "the Responses API takes max_output_tokens"),
    ("max_tokens", 5, "the Responses API takes max_output_tokens"),
    ("response_format", {"type": "json_object"}, "the Responses API takes text={'format'"),
    ("reasoning_effort", "low", "the Responses API takes reasoning={'effort': ...}"),
    ("verbosity", "low", "the Responses API takes text={'verbosity': ...}"),
    ("seed", 7, "the Responses API has no equivalent"),
]


class Counter:
    """A handler that counts the requests and answers each with ``answer``."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return json_response(self.answer)


def _response_body() -> Any:
    name = sorted(p.name for p in BODIES.iterdir())[0]
    return json.loads((BODIES / name).read_text())


async def _call(kind: str, api: str, method: str, counter: Counter, **params: Any) -> Any:
    """``method`` of the chat completions or responses resource, sync or async."""
    make = sync_client if kind == "sync" else async_client
    client: Any = make(counter, max_retries=0)
    if api == "chat":
        resource, base = client.chat.completions, {"model": "gpt-4o", "messages": MESSAGES}
    else:
        resource, base = client.responses, {"model": "gpt-4o", "input": "Say hi"}
    result = getattr(resource, method)(**{**base, **params})
    if inspect.isawaitable(result):
        result = await result
    return result


CASES = [("chat", "Responses API", *case) for case in THROUGH_CHAT] + [
    ("responses", "Chat Completions", *case) for case in THROUGH_RESPONSES
]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("api", "other", "name", "value", "instead"), CASES)
async def test_a_parameter_of_the_other_protocol_is_refused_before_sending(
    kind: str, method: str, api: str, other: str, name: str, value: Any, instead: str
) -> None:
    counter = Counter(completion_json() if api == "chat" else _response_body())
    with pytest.raises(workbench.InvalidParameterError) as caught:
        await _call(kind, api, method, counter, **{name: value})
    assert caught.value.param == name
    assert str(caught.value).startswith(f"{name}: is a {other} parameter; ")
    assert instead in str(caught.value)
    assert counter.requests == []


@pytest.mark.parametrize("kind", KINDS)
async def test_parse_names_the_format_parameter_of_the_other_protocol(kind: str) -> None:
    counter = Counter(completion_json())
    with pytest.raises(workbench.InvalidParameterError, match="takes response_format="):
        await _call(kind, "chat", "parse", counter, text_format=dict)
    with pytest.raises(workbench.InvalidParameterError, match=r"text_format= in responses\.parse"):
        await _call(kind, "responses", "parse", counter, response_format=dict)
    assert counter.requests == []


def test_chat_completions_without_messages_is_a_type_error_as_in_openai() -> None:
    """``messages`` is a required keyword of the signature (kept as openai's for parity), so
    ``input=`` alone fails in Python before workbench sees it."""
    counter = Counter(completion_json())
    create: Any = sync_client(counter).chat.completions.create
    with pytest.raises(TypeError, match="messages"):
        create(model="gpt-4o", input="Say hi")
    assert counter.requests == []


def test_the_tables_name_exactly_what_one_protocol_takes_and_the_other_does_not() -> None:
    chat = set(CompletionCreateParams.__annotations__) | {"messages", "model"}
    responses = set(ResponseCreateParams.__annotations__) | {"text_format"}
    assert set(RESPONSES_ONLY) == responses - chat
    assert set(CHAT_ONLY) == chat - responses


# -- through extra_body: sent, with a warning --------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
async def test_an_extra_body_key_of_the_other_protocol_is_sent_with_a_warning(kind: str) -> None:
    chat, responses = Counter(completion_json()), Counter(_response_body())
    with pytest.warns(workbench.WrongProtocolWarning) as caught:
        await _call(kind, "chat", "create", chat, extra_body={"max_output_tokens": 5, "top_k": 3})
        await _call(kind, "responses", "create", responses, extra_body={"reasoning_effort": "low"})
    assert [str(w.message) for w in caught] == [
        "extra_body['max_output_tokens'] is a Responses API parameter; Chat Completions takes"
        " max_completion_tokens; it is sent as given",
        "extra_body['reasoning_effort'] is a Chat Completions parameter; the Responses API takes"
        " reasoning={'effort': ...}; it is sent as given",
    ]
    assert {w.filename for w in caught} == {__file__}  # points at the caller, not workbench
    assert json.loads(chat.requests[0].content)["max_output_tokens"] == 5
    assert json.loads(responses.requests[0].content)["reasoning_effort"] == "low"


@pytest.mark.parametrize("kind", KINDS)
async def test_extra_body_keys_with_no_counterpart_here_warn_nothing(kind: str) -> None:
    """A server's own keys, keys both protocols take, and the other protocol's keys that have
    no counterpart here (the local model takes ``seed`` on /v1/responses) go without a word."""
    chat, responses = Counter(completion_json()), Counter(_response_body())
    to_chat = {"top_k": 3, "temperature": 0.1, "truncation": "auto"}
    to_responses = {"top_k": 3, "user": "u", "seed": 7}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        await _call(kind, "chat", "create", chat, extra_body=to_chat)
        await _call(kind, "responses", "create", responses, extra_body=to_responses)
    assert len(chat.requests) == len(responses.requests) == 1


# -- the other protocol's shapes of a shared parameter ----------------------------------------

FLAT_TOOL = {"type": "function", "name": "f", "parameters": {"type": "object", "properties": {}}}
NESTED_TOOL = {"type": "function", "function": {"name": "f", "parameters": FLAT_TOOL["parameters"]}}
SCHEMA = {"name": "x", "schema": {"type": "object"}}

SHAPES = [  # api, params, the parameter named, words the error must hold
    ("chat", {"tools": [FLAT_TOOL]}, "tools[0].function", "is the Responses API's form"),
    (
        "chat",
        {"tools": [NESTED_TOOL], "tool_choice": {"type": "function", "name": "f"}},
        "tool_choice.function",
        "is the Responses API's form; Chat Completions nests it",
    ),
    (
        "chat",
        {"response_format": {"type": "json_schema", **SCHEMA}},
        "response_format.json_schema",
        "is the Responses API's text.format; Chat Completions nests them",
    ),
    (
        "chat",
        {"messages": [{"role": "user", "content": [{"type": "input_text", "text": "Hi"}]}]},
        "messages[0].content[0].type",
        "'input_text' is a Responses API content part; Chat Completions takes 'text'",
    ),
    (
        "responses",
        {"tools": [FLAT_TOOL], "tool_choice": {"type": "function", "function": {"name": "f"}}},
        "tool_choice.name",
        "is Chat Completions' form; the Responses API takes it flat",
    ),
    (
        "responses",
        {"text": {"format": {"type": "json_schema", "json_schema": SCHEMA}}},
        "text.format.json_schema",
        "Chat Completions' nested form (response_format)",
    ),
    (
        "responses",
        {"input": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}]},
        "input[0].content[0].type",
        "'text' is a Chat Completions content part; the Responses API takes 'input_text'",
    ),
    (
        "responses",
        {"input": [{"role": "tool", "tool_call_id": "call_1", "content": "21"}]},
        "input[0].role",
        "a 'tool' message is Chat Completions' form",
    ),
    (
        "responses",
        {"input": [{"role": "assistant", "content": None, "tool_calls": []}]},
        "input[0].tool_calls",
        "tool_calls is Chat Completions' form",
    ),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("api", "params", "param", "words"), SHAPES)
async def test_the_other_protocols_shape_of_a_shared_parameter_is_named(
    kind: str, api: str, params: dict[str, Any], param: str, words: str
) -> None:
    counter = Counter(completion_json() if api == "chat" else _response_body())
    with pytest.raises(workbench.InvalidParameterError) as caught:
        await _call(kind, api, "create", counter, **params)
    assert caught.value.param == param
    assert words in str(caught.value)
    assert counter.requests == []


def test_the_responses_forms_of_messages_still_go() -> None:
    counter = Counter(_response_body())
    sync_client(counter).responses.create(
        model="gpt-4o",
        input=[
            {"role": "user", "content": [{"type": "input_text", "text": "Hi"}]},
            {"role": "assistant", "content": [{"type": "output_text", "text": "Hello"}]},
            {"type": "function_call_output", "call_id": "call_1", "output": "21"},
        ],
    )
    assert len(counter.requests) == 1
