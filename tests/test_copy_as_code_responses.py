"""Copy as code under the Responses API: the snippets call ``responses.create`` (curl: POST
/v1/responses) with exactly the request the conversation sends there."""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai
import pytest

import workbench
import workbench.local
from workbench._exceptions import InvalidParameterError
from workbench.conversation import Conversation
from workbench.widgets._code import (
    LOCAL_SERVER_URL,
    Flavor,
    next_request_api,
    next_request_body,
    next_request_code,
)

from .test_copy_as_code import Location, curl_body, get_weather, run_curl, run_python

Client = workbench.Client  # the real one: run_python replaces workbench.Client with a recorder
PYTHON_FLAVORS: list[Flavor] = ["workbench", "openai"]


class Recording(workbench.local.LocalModel):
    """The local model, keeping the body of every request it answers, by path."""

    def __init__(self) -> None:
        super().__init__()
        self.bodies: list[tuple[str, dict[str, Any]]] = []

    def handle(self, method: str, path: str, query: Any, headers: Any, body: bytes) -> Any:
        if path.endswith(("/chat/completions", "/responses")) and method == "POST":
            self.bodies.append((path.rsplit("/v1", 1)[-1], json.loads(body)))
        return super().handle(method, path, query, headers, body)


def conversation(api: str = "responses", **params: Any) -> tuple[Conversation, Recording]:
    model = Recording()
    chat = workbench.Conversation(
        client=Client(local=model), model="m", log=False, system="Be brief.",
        tools=[get_weather], api=api, **params,  # type: ignore[arg-type]
    )  # fmt: skip
    return chat, model


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("flavor", ["workbench", "openai", "curl"])
def test_the_snippet_sends_exactly_the_next_responses_request(
    flavor: Flavor,
    stream: bool,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    extra = {"reasoning": {"summary": "auto"}, "truncation": "auto"}
    chat, model = conversation(
        temperature=0.5, reasoning_effort="low", max_completion_tokens=4000,
        response_format=Location, extra_body=extra,
    )  # fmt: skip
    chat.send("What is the weather in Paris?", stream=stream)
    follow_up = "And in Oslo? It's \"cold\" there, isn't it? $HOME `id` \\n"
    code = next_request_code(chat, flavor=flavor, content=follow_up, stream=stream)
    model.bodies.clear()
    chat.send(follow_up, stream=stream)
    path, sent = model.bodies[0]
    assert path == "/responses"
    assert sent["reasoning"] == {"effort": "low", "summary": "auto"}
    assert sent["text"]["format"]["type"] == "json_schema"
    if flavor == "curl":
        args = run_curl(code)
        assert args[0] == f"{LOCAL_SERVER_URL}/responses"
        assert curl_body(args) == sent
        assert ("-N" in args) is stream
    else:
        assert "client.responses.create(" in code
        call = run_python(code, flavor, monkeypatch)
        assert call["body"] == sent
        assert capsys.readouterr().out.strip() == "ok"
    assert next_request_body(chat, content="x", stream=stream)["input"][-1] == {
        "role": "user",
        "content": "x",
    }


@pytest.mark.parametrize("flavor", PYTHON_FLAVORS)
def test_the_workbench_snippet_runs_on_the_local_model(
    flavor: Flavor, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The workbench snippet, run as it is (its client is the local model), gets a reply
    through /v1/responses; the openai one is pointed at the same local model in-process."""
    chat, _model = conversation()
    chat.send("Hello there")
    code = next_request_code(chat, flavor=flavor, content="Say something", stream=True)
    if flavor == "openai":
        real = openai.OpenAI
        http = httpx.Client(transport=workbench.local.LocalTransport(workbench.local.LocalModel()))
        monkeypatch.setattr(
            openai, "OpenAI", lambda **kw: real(**kw, http_client=http)
        )  # fmt: skip
    exec(compile(code, "<snippet>", "exec"), {"__name__": "snippet"})
    assert capsys.readouterr().out.strip()


def test_chat_and_auto_on_the_local_model_stay_chat_completions() -> None:
    for api in ("chat", "auto"):
        chat, _model = conversation(api=api)
        assert next_request_api(chat) == "chat"
        code = next_request_code(chat, flavor="curl", content="hi")
        assert "/chat/completions" in code
        assert "/responses" not in code
    chat, _model = conversation(api="chat")
    chat.api = "responses"
    assert "client.responses.create(" in next_request_code(chat, flavor="openai", content="hi")


def test_auto_for_openai_snippets_the_responses_api() -> None:
    chat = workbench.Conversation(
        client=Client(api_key="sk-test-0000"), model="gpt-5", log=False, api="auto"
    )
    code = next_request_code(chat, flavor="curl", content="hi")
    assert "https://api.openai.com/v1/responses" in code
    expected = {"model": "gpt-5", "input": [{"role": "user", "content": "hi"}]}
    assert curl_body(run_curl(code)) == expected


def test_a_parameter_with_no_responses_equivalent_is_refused_as_the_turn_is() -> None:
    chat, model = conversation(seed=1)
    with pytest.raises(InvalidParameterError, match="seed") as info:
        next_request_code(chat, flavor="workbench", content="hi")
    assert info.value.param == "seed"
    assert model.bodies == []
