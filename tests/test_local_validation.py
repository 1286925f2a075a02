"""The local model refuses what the real API refuses: 400s naming the parameter, 404s, 401.

The requests go through raw httpx, against the in-process transport and the HTTP server, so no
client validates them first.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

import workbench
from tests._local import USER, assert_spec, events, post, server_thread
from tests._mock import KEY
from workbench.local import FAULT_HEADER, LOCAL_MODELS, LocalModel, LocalTransport

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


def body(**extra: Any) -> dict[str, Any]:
    return {"model": "gpt-4o-mini", "messages": USER, "seed": 7, **extra}


def parameters(tool: dict[str, Any]) -> dict[str, Any]:
    return tool["function"]["parameters"]  # type: ignore[no-any-return]


# -- validation like the real API ----------------------------------------------------------------

OK_BODY = {"model": "gpt-4o-mini", "messages": USER}
BAD_SCHEMA = {
    "type": "object",
    "properties": {"a": {"type": "string", "minLength": 5, "maxLength": 2}},
}
INVALID: dict[str, tuple[dict[str, Any] | bytes, str]] = {
    "no messages": ({"model": "gpt-4o-mini"}, "messages"),
    "empty messages": ({"model": "gpt-4o-mini", "messages": []}, "messages"),
    "no model": ({"messages": USER}, "model"),
    "bad role": (
        {**OK_BODY, "messages": [{"role": "wizard", "content": "hi"}]},
        "messages[0].role",
    ),
    "unmatched tool_call_id": (
        {
            **OK_BODY,
            "messages": [*USER, {"role": "tool", "tool_call_id": "call_x", "content": "1"}],
        },
        "messages[1].tool_call_id",
    ),
    "invalid response schema": (
        {
            **OK_BODY,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "x", "schema": BAD_SCHEMA},
            },
        },
        "response_format.json_schema.schema",
    ),
    "invalid tool schema": (
        {
            **OK_BODY,
            "tools": [{"type": "function", "function": {"name": "f", "parameters": BAD_SCHEMA}}],
        },
        "tools[0].function.parameters",
    ),
    "temperature out of range": ({**OK_BODY, "temperature": 2.5}, "temperature"),
    "n out of range": ({**OK_BODY, "n": 0}, "n"),
    "top_logprobs out of range": (
        {**OK_BODY, "logprobs": True, "top_logprobs": 21},
        "top_logprobs",
    ),
    "unknown reasoning_effort": ({**OK_BODY, "reasoning_effort": "max"}, "reasoning_effort"),
    "tool_choice without tools": ({**OK_BODY, "tool_choice": "required"}, "tool_choice"),
    "tool_choice names no tool": (
        {
            **OK_BODY,
            "tools": [WEATHER],
            "tool_choice": {"type": "function", "function": {"name": "nope"}},
        },
        "tool_choice",
    ),
    "body not JSON": (b'{"model": "gpt-4o-mini", "messages": [', "body"),
    "body not an object": (b"[1, 2]", "body"),
}


@pytest.fixture(params=["transport", "server"])
def raw(request: pytest.FixtureRequest) -> Iterator[Callable[..., httpx.Client]]:
    """A factory of raw httpx clients on a local model: in-process, or over HTTP."""
    made: list[httpx.Client] = []

    def factory(model: LocalModel | None = None) -> httpx.Client:
        model = model or LocalModel()
        if request.param == "transport":
            client = httpx.Client(transport=LocalTransport(model), base_url="http://local/v1")
        else:
            url = stack.enter(server_thread(model))
            client = httpx.Client(base_url=url)
        made.append(client)
        return client

    stack = _Stack()
    yield factory
    for client in made:
        client.close()
    stack.close()


class _Stack:
    def __init__(self) -> None:
        self._exits: list[Any] = []

    def enter(self, manager: Any) -> Any:
        value = manager.__enter__()
        self._exits.append(manager)
        return value

    def close(self) -> None:
        for manager in reversed(self._exits):
            manager.__exit__(None, None, None)


def assert_error(response: httpx.Response, status: int, param: str | None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    error: dict[str, Any] = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error" and error["message"]
    assert error["param"] == param, error
    return error


@pytest.mark.parametrize("case", list(INVALID))
def test_malformed_requests_get_400_naming_the_parameter(
    case: str, raw: Callable[..., httpx.Client]
) -> None:
    payload, param = INVALID[case]
    client = raw()
    content = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    response = client.post(
        "/chat/completions", content=content, headers={"content-type": "application/json"}
    )
    assert_error(response, 400, param)


def test_a_bad_fault_header_gets_400(raw: Callable[..., httpx.Client]) -> None:
    response = raw().post("/chat/completions", json=OK_BODY, headers={FAULT_HEADER: "429;tims=2"})
    assert "tims" in assert_error(response, 400, FAULT_HEADER)["message"]


def test_unknown_things_get_404(raw: Callable[..., httpx.Client]) -> None:
    client = raw()
    for method, path in [
        ("GET", "/chat/completions/chatcmpl-nope"),
        ("POST", "/chat/completions/chatcmpl-nope"),
        ("DELETE", "/chat/completions/chatcmpl-nope"),
        ("GET", "/chat/completions/chatcmpl-nope/messages"),
        ("GET", "/nothing/here"),
        ("POST", "/images/generations"),  # not served (embeddings are)
    ]:
        response = client.request(method, path, json={"metadata": {}} if method == "POST" else None)
        assert_error(response, 404, None)
    error = assert_error(client.get("/models/gpt-nope"), 404, "model")
    assert error["code"] == "model_not_found"
    models = client.get("/models").json()
    assert [m["id"] for m in models["data"]] == list(LOCAL_MODELS)


def test_an_api_key_is_required_when_set(raw: Callable[..., httpx.Client]) -> None:
    client = raw(LocalModel(api_key=KEY))
    for headers in ({}, {"authorization": "Bearer sk-wrong"}, {"authorization": KEY}):
        for method, path in [("POST", "/chat/completions"), ("GET", "/models")]:
            response = client.request(method, path, json=OK_BODY, headers=headers)
            error = assert_error(response, 401, None)
            assert error["code"] == "invalid_api_key"
            assert KEY not in response.text
    ok = client.post("/chat/completions", json=OK_BODY, headers={"authorization": f"Bearer {KEY}"})
    assert ok.status_code == 200


def test_the_client_reports_the_local_models_400_with_its_parameter() -> None:
    client = workbench.Client(local=LocalModel())
    messages: Any = [*USER, {"role": "tool", "tool_call_id": "call_x", "content": "1"}]
    with pytest.raises(workbench.BadRequestError) as caught:
        client.chat.completions.create(model="gpt-4o-mini", messages=messages)
    assert caught.value.status_code == 400
    assert "messages[1].tool_call_id" in str(caught.value)


def test_a_client_without_key_or_base_url_uses_the_local_model_and_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import workbench.local

    monkeypatch.setattr(workbench.local, "_noticed", False)
    client = workbench.Client()
    messages: Any = USER
    reply = client.chat.completions.create(model="gpt-4o-mini", messages=messages)
    assert "simulator" in (reply.choices[0].message.content or "")
    workbench.Client()
    err = capsys.readouterr().err
    assert err.count("local model") == 1, "the notice is said once"


def test_the_events_of_a_stream_are_encoded_once_each() -> None:
    data = events(post(LocalModel(), body(stream=True)))
    assert data[-1] == b"[DONE]"
    assert_spec("CreateChatCompletionStreamResponse", json.loads(data[0]))
