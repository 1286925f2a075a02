"""``client.responses``: requests as the spec describes them, validation before sending, parsing,
stored responses and their pages, errors and retries, and the surface of openai 1.106.1's."""

from __future__ import annotations

import inspect
import json
from typing import Any

import httpx
import openai
import pydantic
import pytest
from openai.resources.responses import InputItems as OpenAIInputItems
from openai.resources.responses import Responses as OpenAIResponses

import workbench
from tests._mock import patch_sleep
from tests._responses import (
    BODIES,
    async_client,
    body_names,
    json_response,
    sync_client,
    violations,
)
from workbench.types.parsed_response import ParsedFunctionToolCallItem, ParsedResponse
from workbench.types.response import FunctionToolCallItem, ReasoningItem, Response


def _body(name: str) -> dict[str, Any]:
    return json.loads((BODIES / name).read_text())  # type: ignore[no-any-return]


class Recorder:
    """A handler that answers each request with the next response and keeps the requests."""

    def __init__(self, *answers: httpx.Response) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]

    def body(self, index: int = -1) -> Any:
        return json.loads(self.requests[index].content)


# -- recorded bodies and the spec -----------------------------------------------------------


@pytest.mark.parametrize("name", body_names())
def test_recorded_bodies_parse_and_round_trip(name: str) -> None:
    recorder = Recorder(json_response(_body(name)))
    response = sync_client(recorder).responses.create(model="gpt-4o", input="hi")
    assert isinstance(response, Response)
    assert response.to_dict() == _body(name)
    assert response.output_text
    assert response.usage is not None and response.usage.total_tokens > 0


def test_output_text_and_usage_of_a_recorded_response() -> None:
    response = Response.model_validate(_body("output-text.json"))
    assert response.output_text.startswith("I can't provide real-time updates")
    assert response.usage is not None
    assert (response.usage.input_tokens, response.usage.output_tokens) == (14, 50)
    assert response.usage.output_tokens_details is not None
    reasoning = Response.model_validate(_body("reasoning-summary.json"))
    item = reasoning.output[0]
    assert isinstance(item, ReasoningItem) and item.encrypted_content
    assert item.summary[0].text.startswith("**Considering street crossing safety**")
    assert reasoning.usage and reasoning.usage.output_tokens_details
    assert reasoning.usage.output_tokens_details.reasoning_tokens == 1920


@pytest.mark.parametrize("name", body_names())
def test_recorded_bodies_match_the_spec_but_for_known_departures(name: str) -> None:
    found = violations("Response", _body(name))
    # The live API sends "user": null and older bodies lack usage's cache_write_tokens.
    assert all("user" in v or "cache_write_tokens" in v for v in found), found


FULL_REQUEST: dict[str, Any] = {
    "model": "gpt-5",
    "input": [
        {"role": "developer", "content": "Be brief."},
        # (A list of content parts is valid too, but the spec's oneOf finds it ambiguous: it
        # matches both EasyInputMessage and InputMessage.)
        {"role": "user", "content": "Weather in Paris?"},
        {"type": "function_call_output", "call_id": "call_1", "output": "18 C"},
    ],
    "instructions": "Answer in French.",
    "reasoning": {"effort": "low", "summary": "auto"},
    "text": {"format": {"type": "text"}, "verbosity": "low"},
    "tools": [
        {
            "type": "function",
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {}},
            "strict": False,
        },
        {"type": "web_search_preview"},
    ],
    "tool_choice": "auto",
    "parallel_tool_calls": True,
    "max_output_tokens": 500,
    "max_tool_calls": 3,
    "previous_response_id": "resp_1",
    "store": True,
    "include": ["reasoning.encrypted_content"],
    "metadata": {"run": "1"},
    "temperature": 0.5,
    "top_p": 0.9,
    "top_logprobs": 2,
    "truncation": "auto",
    "prompt_cache_key": "k",
    "safety_identifier": "user-1",
    "service_tier": "auto",
    "background": False,
    "user": "u",
}


def test_a_request_with_every_common_parameter_matches_the_spec() -> None:
    recorder = Recorder(json_response(_body("output-text.json")))
    sync_client(recorder).responses.create(**FULL_REQUEST)
    sent = recorder.body()
    assert sent == FULL_REQUEST
    assert violations("CreateResponse", sent) == []
    assert recorder.requests[0].url.path == "/v1/responses"
    assert recorder.requests[0].headers["authorization"] == "Bearer sk-responses-test"


def test_extra_body_headers_and_query_go_along() -> None:
    recorder = Recorder(json_response(_body("output-text.json")))
    sync_client(recorder).responses.create(
        model="m",
        input="x",
        extra_body={"custom": 1},
        extra_headers={"X-A": "b"},
        extra_query={"q": "1"},
    )
    assert recorder.body()["custom"] == 1
    assert recorder.requests[0].headers["x-a"] == "b"
    assert recorder.requests[0].url.params["q"] == "1"


def test_output_items_pass_back_as_input() -> None:
    """A function call of one response goes back as input with its output (the tool loop)."""
    recorder = Recorder(json_response(_body("output-text.json")))
    client = sync_client(recorder)
    call = FunctionToolCallItem(call_id="call_9", name="f", arguments="{}", id="fc_1")
    output = {"type": "function_call_output", "call_id": "call_9", "output": "ok"}
    client.responses.create(model="m", input=[call, output])
    assert recorder.body()["input"][0] == {
        "type": "function_call",
        "call_id": "call_9",
        "name": "f",
        "arguments": "{}",
        "id": "fc_1",
    }
    assert violations("CreateResponse", recorder.body()) == []


# -- validation before sending ----------------------------------------------------------------

BAD: list[tuple[dict[str, Any], str]] = [
    ({"model": ""}, "model"),
    ({"input": 3}, "input"),
    ({"input": [{"role": "robot", "content": "x"}]}, "input[0].role"),
    ({"input": [{"content": "x"}]}, "input[0].type"),
    ({"temperature": 3}, "temperature"),
    ({"top_p": -0.1}, "top_p"),
    ({"max_output_tokens": 0}, "max_output_tokens"),
    ({"max_output_tokens": 1.5}, "max_output_tokens"),
    ({"top_logprobs": 21}, "top_logprobs"),
    ({"reasoning": {"effort": "max"}}, "reasoning.effort"),
    ({"reasoning": {"summary": "long"}}, "reasoning.summary"),
    ({"reasoning": "high"}, "reasoning"),
    ({"text": {"verbosity": "loud"}}, "text.verbosity"),
    ({"text": {"format": {"type": "xml"}}}, "text.format.type"),
    (
        {"text": {"format": {"type": "json_schema", "name": "a b", "schema": {}}}},
        "text.format.name",
    ),
    ({"service_tier": "gold"}, "service_tier"),
    ({"truncation": "sometimes"}, "truncation"),
    ({"include": ["everything"]}, "include"),
    ({"store": "yes"}, "store"),
    ({"metadata": {"k": 1}}, "metadata['k']"),
    ({"safety_identifier": "x" * 65}, "safety_identifier"),
    ({"tools": [{"name": "f"}]}, "tools[0].type"),
    ({"tools": [{"type": "function", "function": {"name": "f"}}]}, "tools[0].name"),
    ({"tools": [{"type": "function", "name": "bad name"}]}, "tools[0].name"),
    ({"tool_choice": "sometimes"}, "tool_choice"),
    ({"tool_choice": {"type": "function"}}, "tool_choice.name"),
    ({"stream_options": {"include_obfuscation": False}}, "stream_options"),
    ({"conversation": "conv_1", "previous_response_id": "resp_1"}, "previous_response_id"),
    ({"messages": []}, "messages"),
]


@pytest.mark.parametrize(("params", "param"), BAD, ids=[p for _, p in BAD])
def test_invalid_parameters_are_refused_before_sending(params: dict[str, Any], param: str) -> None:
    recorder = Recorder(json_response(_body("output-text.json")))
    with pytest.raises(workbench.InvalidParameterError) as caught:
        sync_client(recorder).responses.create(**{"model": "m", "input": "x", **params})
    assert caught.value.param == param
    assert recorder.requests == []


def test_the_error_names_the_allowed_values() -> None:
    with pytest.raises(workbench.InvalidParameterError, match="'minimal', 'low', 'medium', 'high'"):
        sync_client(Recorder()).responses.create(model="m", reasoning={"effort": "max"})


def test_parse_and_stream_refuse_stream() -> None:
    client = sync_client(Recorder())
    with pytest.raises(workbench.InvalidParameterError, match="stream"):
        client.responses.parse(model="m", input="x", stream=True)  # type: ignore[call-arg]
    with pytest.raises(workbench.InvalidParameterError, match="stream"):
        client.responses.stream(model="m", input="x", stream=True)  # type: ignore[call-arg]


# -- parse ---------------------------------------------------------------------------------------


class Weather(pydantic.BaseModel):
    city: str
    celsius: float


def _with_text(text: str) -> dict[str, Any]:
    body = _body("output-text.json")
    body["output"][0]["content"][0]["text"] = text
    return body


def test_parse_sends_a_strict_schema_and_parses_the_text() -> None:
    recorder = Recorder(json_response(_with_text('{"city": "Paris", "celsius": 18.5}')))
    response = sync_client(recorder).responses.parse(model="m", input="x", text_format=Weather)
    assert isinstance(response, ParsedResponse)
    assert response.output_parsed == Weather(city="Paris", celsius=18.5)
    fmt = recorder.body()["text"]["format"]
    assert fmt["type"] == "json_schema" and fmt["name"] == "Weather" and fmt["strict"] is True
    assert fmt["schema"]["additionalProperties"] is False
    assert violations("CreateResponse", recorder.body()) == []


def test_parse_of_text_that_does_not_match_raises() -> None:
    recorder = Recorder(json_response(_with_text('{"city": "Paris"}')))
    with pytest.raises(workbench.OutputValidationError):
        sync_client(recorder).responses.parse(model="m", input="x", text_format=Weather)


def test_text_format_and_text_format_param_are_exclusive() -> None:
    with pytest.raises(workbench.InvalidParameterError, match="text_format"):
        sync_client(Recorder()).responses.parse(
            model="m", text_format=Weather, text={"format": {"type": "text"}}
        )


@pytest.mark.parametrize(
    ("text_format", "param"),
    [(42, "text_format"), ("json_object", "text_format"), (dict, "text_format.schema")],
)
def test_a_text_format_without_a_strict_schema_is_refused(text_format: object, param: str) -> None:
    recorder = Recorder(json_response(_body("output-text.json")))
    with pytest.raises(workbench.InvalidParameterError) as caught:
        sync_client(recorder).responses.parse(model="m", text_format=text_format)
    assert caught.value.param == param
    assert recorder.requests == []


def _with_call(arguments: str, name: str = "Weather") -> dict[str, Any]:
    body = _body("output-text.json")
    call = {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": name}
    body["output"] = [{**call, "arguments": arguments, "status": "completed"}]
    return body


def test_parse_gives_the_arguments_of_a_pydantic_tool_as_its_model() -> None:
    """``pydantic_function_tool`` makes a chat-shaped tool; it goes flat, keeping its model."""
    recorder = Recorder(json_response(_with_call('{"city": "Rome", "celsius": 25}')))
    client = sync_client(recorder)
    tool = workbench.pydantic_function_tool(Weather)
    response = client.responses.parse(model="m", input="x", tools=[tool])
    call = response.output[0]
    assert isinstance(call, ParsedFunctionToolCallItem)
    assert call.parsed_arguments == Weather(city="Rome", celsius=25)
    sent = recorder.body()["tools"][0]
    assert sent["name"] == "Weather" and sent["strict"] is True and "function" not in sent
    assert violations("CreateResponse", recorder.body()) == []


def test_parsed_arguments_match_openai() -> None:
    """A strict dict tool's arguments are JSON data, a loose one's are not parsed: as openai
    1.106.1's parse() does with the same body and tools."""
    schema = {"type": "object", "properties": {"city": {"type": "string"}}}
    tools = [
        {"type": "function", "name": "Weather", "parameters": schema, "strict": True},
        {"type": "function", "name": "Loose", "parameters": schema, "strict": False},
    ]
    for name, expected in (("Weather", {"city": "Rome"}), ("Loose", None)):
        body = _with_call('{"city": "Rome"}', name)
        ours = sync_client(Recorder(json_response(body))).responses.parse(
            model="m", input="x", tools=tools
        )
        transport = httpx.MockTransport(lambda request, body=body: json_response(body))
        theirs = openai.OpenAI(
            api_key="sk-x", http_client=httpx.Client(transport=transport)
        ).responses.parse(model="m", input="x", tools=tools)  # type: ignore[arg-type]
        assert ours.output[0].parsed_arguments == expected  # type: ignore[union-attr]
        assert theirs.output[0].parsed_arguments == expected  # type: ignore[union-attr]
        assert ours.to_dict() == theirs.to_dict()


def test_arguments_that_do_not_match_the_tool_raise() -> None:
    recorder = Recorder(json_response(_with_call('{"city": 3}')))
    tool = workbench.pydantic_function_tool(Weather)
    with pytest.raises(workbench.OutputValidationError, match="arguments"):
        sync_client(recorder).responses.parse(model="m", input="x", tools=[tool])


async def test_async_parse() -> None:
    recorder = Recorder(json_response(_with_text('{"city": "Oslo", "celsius": -2}')))
    response = await async_client(recorder).responses.parse(model="m", text_format=Weather)
    assert response.output_parsed == Weather(city="Oslo", celsius=-2)


# -- stored responses ------------------------------------------------------------------------------


def test_retrieve_delete_cancel() -> None:
    recorder = Recorder(json_response(_body("output-text.json")))
    client = sync_client(recorder)
    got = client.responses.retrieve("resp_1", include=["reasoning.encrypted_content"])
    assert isinstance(got, Response)
    assert client.responses.delete("resp_1") is None
    assert isinstance(client.responses.cancel("resp_1"), Response)
    seen = [(r.method, r.url.path, dict(r.url.params)) for r in recorder.requests]
    assert seen == [
        ("GET", "/v1/responses/resp_1", {"include": "reasoning.encrypted_content"}),
        ("DELETE", "/v1/responses/resp_1", {}),
        ("POST", "/v1/responses/resp_1/cancel", {}),
    ]


def test_an_empty_id_is_refused() -> None:
    with pytest.raises(workbench.InvalidParameterError, match="response_id"):
        sync_client(Recorder()).responses.retrieve("")


def _page(ids: list[str], has_more: bool) -> httpx.Response:
    data = [{"type": "message", "id": i, "role": "user", "content": []} for i in ids]
    return json_response({"object": "list", "data": data, "has_more": has_more, "last_id": ids[-1]})


def test_input_items_walk_every_page() -> None:
    recorder = Recorder(_page(["a", "b"], True), _page(["c"], False))
    items = list(sync_client(recorder).responses.input_items.list("resp_1", limit=2))
    assert [item.id for item in items] == ["a", "b", "c"]
    assert [dict(r.url.params) for r in recorder.requests] == [
        {"limit": "2"},
        {"limit": "2", "after": "b"},
    ]
    assert recorder.requests[0].url.path == "/v1/responses/resp_1/input_items"


async def test_async_input_items_and_stored_calls() -> None:
    recorder = Recorder(_page(["a"], True), _page(["b"], False))
    client = async_client(recorder)
    assert [item.id async for item in client.responses.input_items.list("resp_1")] == ["a", "b"]
    recorder.answers = [json_response(_body("output-text.json"))]
    assert isinstance(await client.responses.retrieve("resp_1"), Response)
    assert await client.responses.delete("resp_1") is None
    assert isinstance(await client.responses.cancel("resp_1"), Response)


def test_raw_response() -> None:
    recorder = Recorder(json_response(_body("output-text.json"), **{"x-request-id": "req_1"}))
    raw = sync_client(recorder).responses.with_raw_response.create(model="m", input="x")
    assert raw.headers["x-request-id"] == "req_1"
    assert isinstance(raw.parse(), Response)


# -- errors and retries ------------------------------------------------------------------------


def test_errors_are_typed() -> None:
    error = {"error": {"message": "No such response", "type": "invalid_request_error"}}
    client = sync_client(Recorder(json_response(error, 404)))
    with pytest.raises(workbench.NotFoundError, match="No such response"):
        client.responses.retrieve("resp_x")


def test_server_errors_are_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    delays = patch_sleep(monkeypatch)
    recorder = Recorder(
        json_response({"error": {"message": "busy"}}, 500),
        json_response({"error": {"message": "busy"}}, 503),
        json_response(_body("output-text.json")),
    )
    response = sync_client(recorder).responses.create(model="m", input="x")
    assert response.output_text
    assert len(recorder.requests) == 3 and len(delays) == 2
    assert recorder.requests[2].headers["x-stainless-retry-count"] == "2"


async def test_async_errors_after_the_last_retry(monkeypatch: pytest.MonkeyPatch) -> None:
    patch_sleep(monkeypatch)
    recorder = Recorder(json_response({"error": {"message": "down"}}, 500))
    with pytest.raises(workbench.InternalServerError):
        await async_client(recorder, max_retries=1).responses.create(model="m", input="x")
    assert len(recorder.requests) == 2


# -- the surface of openai 1.106.1 ------------------------------------------------------------

SURFACE = ["create", "parse", "stream", "retrieve", "delete", "cancel"]


_OPTIONS = {"extra_headers", "extra_query", "extra_body", "timeout"}  # our **extra takes them
NOT_TAKEN = {
    ("parse", "stream"): "parse() never streams (openai's ignores it); .stream() does",
    ("parse", "verbosity"): "not an API parameter: text={'verbosity': ...} is (openai 1.106.1's"
    " parse alone lists it)",
}


@pytest.mark.parametrize("name", SURFACE)
def test_every_openai_parameter_is_taken(name: str) -> None:
    theirs = inspect.signature(getattr(OpenAIResponses, name)).parameters
    for ours_class in (workbench.Client, workbench.AsyncClient):
        resource = ours_class(api_key="sk-x").responses
        ours = inspect.signature(getattr(resource, name)).parameters
        if any(p.kind is p.VAR_KEYWORD for p in ours.values()):
            ours = {**ours, **dict.fromkeys(_OPTIONS)}  # type: ignore[dict-item]
        missing = set(theirs) - set(ours) - {"self"} - {p for n, p in NOT_TAKEN if n == name}
        assert missing == set(), (ours_class.__name__, name, missing)


def test_input_items_list_takes_openai_parameters() -> None:
    theirs = inspect.signature(OpenAIInputItems.list).parameters
    ours = inspect.signature(workbench.Client(api_key="sk-x").responses.input_items.list).parameters
    assert set(theirs) - {"self"} - _OPTIONS <= set(ours)
