"""Provider profiles: detection, the request in the form a server takes, warnings once."""

from __future__ import annotations

import json
import warnings
from typing import Any

import httpx
import pydantic
import pytest

import workbench
from tests._mock import KEY, Recorder, completion_json
from workbench import PROFILES, Profile, ProfileWarning

MESSAGES = [{"role": "user", "content": "hi"}]


class Trip(pydantic.BaseModel):
    city: str
    days: int


def client_for(
    handler: Recorder, *, base_url: str = "http://127.0.0.1:8000/v1", **kwargs: Any
) -> workbench.Client:
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return workbench.Client(api_key=KEY, base_url=base_url, http_client=http, **kwargs)


def sent(handler: Recorder) -> dict[str, Any]:
    return json.loads(handler.last.content)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("base_url", "name"),
    [
        ("https://api.openai.com/v1", "openai"),
        ("https://openrouter.ai/api/v1", "openrouter"),
        ("https://api.groq.com/openai/v1", "groq"),
        ("https://api.anthropic.com/v1/", "anthropic"),
        ("https://generativelanguage.googleapis.com/v1beta/openai/", "gemini"),
        ("http://localhost:11434/v1", "ollama"),
        ("http://127.0.0.1:8000/v1", "generic"),
        ("https://my-proxy.example.com/v1", "generic"),
    ],
)
def test_the_profile_is_detected_from_the_base_url(base_url: str, name: str) -> None:
    assert workbench.Client(api_key=KEY, base_url=base_url).profile.name == name


def test_the_local_model_has_its_own_profile_and_a_choice_wins() -> None:
    assert workbench.Client(local=True).profile.name == "local"
    chosen = workbench.Client(api_key=KEY, base_url="https://api.openai.com/v1", profile="generic")
    assert chosen.profile is PROFILES["generic"]
    assert chosen.with_options(timeout=5).profile is PROFILES["generic"]
    with pytest.raises(workbench.InvalidParameterError, match=r"profile.*llama-cpp"):
        workbench.Client(api_key=KEY, profile="llama.cpp")


def test_a_litellm_proxy_is_known_by_its_answers() -> None:
    answer = httpx.Response(200, json=completion_json(), headers={"x-litellm-version": "1.108.7"})
    client = client_for(Recorder(answer))
    assert client.profile.name == "generic"
    client.chat.completions.create(model="m", messages=MESSAGES)
    assert client.profile.name == "litellm"
    chosen = client_for(Recorder(answer), profile="generic")
    chosen.chat.completions.create(model="m", messages=MESSAGES)
    assert chosen.profile.name == "generic", "a chosen profile is kept"


@pytest.mark.parametrize("name", ["x-litellm-model-id", "X-LiteLLM-Version"])
def test_a_litellm_header_is_known_whatever_its_case(name: str) -> None:
    answer = httpx.Response(200, json=completion_json(), headers={"Server": "x", name: "1"})
    client = client_for(Recorder(answer))
    client.chat.completions.create(model="m", messages=MESSAGES)
    assert client.profile.name == "litellm"


def test_llama_cpp_python_is_known_by_its_headers() -> None:
    # What llama-cpp-python 0.3.36's server sends (seen in the interop tests).
    headers = {"server": "uvicorn", "openai-processing-ms": "146", "x-request-id": "9f80"}
    client = client_for(Recorder(httpx.Response(200, json=completion_json(), headers=headers)))
    client.chat.completions.create(model="m", messages=MESSAGES)
    assert client.profile.name == "llama-cpp"
    vllm = client_for(
        Recorder(httpx.Response(200, json=completion_json(), headers={"server": "uvicorn"}))
    )
    vllm.chat.completions.create(model="m", messages=MESSAGES)
    assert vllm.profile.name == "generic", "uvicorn alone says nothing"


def test_generic_sends_every_request_as_given() -> None:
    handler = Recorder(validate=False)
    client = client_for(handler)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client.chat.completions.create(
            model="m", messages=MESSAGES, max_completion_tokens=5, seed=1,
            response_format={"type": "json_schema", "json_schema": {"name": "t", "schema": {}}},
        )  # fmt: skip
    body = sent(handler)
    assert body["max_completion_tokens"] == 5 and body["seed"] == 1
    assert body["response_format"]["type"] == "json_schema"


def test_llama_cpp_gets_max_tokens_and_its_schema_form_with_one_warning_each() -> None:
    handler = Recorder(httpx.Response(200, json=completion_json('{"city": "Porto", "days": 2}')))
    client = client_for(handler, profile="llama-cpp")
    with pytest.warns(ProfileWarning) as caught:
        parsed = client.chat.completions.parse(
            model="m", messages=MESSAGES, response_format=Trip, max_completion_tokens=7
        )
    assert parsed.choices[0].message.parsed == Trip(city="Porto", days=2)
    body = sent(handler)
    assert body["max_tokens"] == 7 and "max_completion_tokens" not in body
    assert body["response_format"]["type"] == "json_object"
    assert body["response_format"]["schema"]["properties"]["city"]["type"] == "string"
    messages = sorted(str(w.message) for w in caught)
    assert len(messages) == 2 and all("llama-cpp-python's server" in m for m in messages)
    assert any("max_tokens" in m for m in messages)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the same changes again: no second warning
        client.chat.completions.parse(
            model="m", messages=MESSAGES, response_format=Trip, max_completion_tokens=7
        )


def test_llama_cpp_required_tool_choice_becomes_the_one_tools_name() -> None:
    handler = Recorder()
    client = client_for(handler, profile="llama-cpp")
    tool = {"type": "function", "function": {"name": "add", "parameters": {"type": "object"}}}
    with pytest.warns(ProfileWarning, match="refuses tool_choice='required'.*'add'"):
        client.chat.completions.create(
            model="m", messages=MESSAGES, tools=[tool], tool_choice="required"
        )
    assert sent(handler)["tool_choice"] == {"type": "function", "function": {"name": "add"}}
    two = [tool, {**tool, "function": {**tool["function"], "name": "sub"}}]
    with pytest.warns(ProfileWarning, match="with 2 tools, no other form means the same"):
        client.chat.completions.create(
            model="m", messages=MESSAGES, tools=two, tool_choice="required"
        )
    assert sent(handler)["tool_choice"] == "required", "sent as given, never dropped"


def test_llama_cpp_gets_empty_content_beside_tool_calls() -> None:
    handler = Recorder()
    client = client_for(handler, profile="llama-cpp")
    call = {"id": "c1", "type": "function", "function": {"name": "add", "arguments": "{}"}}
    history = [
        *MESSAGES,
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "c1", "content": "3"},
    ]
    client.chat.completions.create(model="m", messages=history)
    assert sent(handler)["messages"][1]["content"] == ""
    assert history[1]["content"] is None, "the caller's messages are left as they were"
    openai = client_for(handler, base_url="https://api.openai.com/v1")
    openai.chat.completions.create(model="m", messages=history)
    assert sent(handler)["messages"][1]["content"] is None


def test_a_parameter_a_server_refuses_is_warned_about_and_sent() -> None:
    handler = Recorder()
    client = client_for(handler, base_url="https://api.groq.com/openai/v1")
    with pytest.warns(ProfileWarning, match=r"Groq refuses logprobs=True.*sent as given"):
        client.chat.completions.create(model="m", messages=MESSAGES, logprobs=True)
    assert sent(handler)["logprobs"] is True
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client.chat.completions.create(model="m", messages=MESSAGES, n=1)  # n=1 is fine


def test_a_profile_of_ones_own_is_used_as_given() -> None:
    handler = Recorder()
    mine = Profile("mine", "my server", max_tokens_only=True)
    client = client_for(handler, profile=mine)
    with pytest.warns(ProfileWarning, match="my server takes the reply.s limit as max_tokens"):
        client.chat.completions.create(model="m", messages=MESSAGES, max_completion_tokens=3)
    assert client.profile is mine and sent(handler)["max_tokens"] == 3


async def test_the_async_client_adapts_the_same_way() -> None:
    handler = Recorder()
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    client = workbench.AsyncClient(
        api_key=KEY, base_url="http://127.0.0.1:8000/v1", http_client=http, profile="llama-cpp"
    )
    with pytest.warns(ProfileWarning):
        await client.chat.completions.create(model="m", messages=MESSAGES, max_completion_tokens=4)
    assert sent(handler)["max_tokens"] == 4


def test_llama_cpp_asks_for_auto_and_whole_replies_that_may_call_tools() -> None:
    profile = PROFILES["llama-cpp"]
    tool = {"type": "function", "function": {"name": "add", "parameters": {"type": "object"}}}
    notes: list[str] = []
    body = profile.adapt({"messages": MESSAGES, "tools": [tool]}, lambda k, m: notes.append(m))
    assert body["tool_choice"] == "auto" and "calls no tool unless asked" in notes[0]
    assert not profile.streams({"tools": [tool]})
    assert not profile.streams({"tools": [tool], "tool_choice": "auto"})
    assert profile.streams({"tools": [tool], "tool_choice": {"type": "function"}})
    assert profile.streams({"tools": [tool], "tool_choice": "none"})
    assert profile.streams({}) and PROFILES["generic"].streams({"tools": [tool]})


def test_a_conversation_asks_for_whole_replies_where_the_server_cannot_stream_them() -> None:
    from workbench.conversation import Conversation

    handler = Recorder(httpx.Response(200, json=completion_json("Plain answer.")))
    client = client_for(handler, profile="llama-cpp")

    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    chat = Conversation(client=client, model="m", tools=[add], log=False)
    with pytest.warns(ProfileWarning) as caught:
        reply = chat.send("1 + 2?")  # streamed by default
    said = " ".join(str(w.message) for w in caught)
    assert "cannot stream a reply that may call a tool" in said and "'auto'" in said
    assert reply.text == "Plain answer." and reply.status == "complete"
    body = sent(handler)
    assert "stream" not in body and body["tool_choice"] == "auto"
