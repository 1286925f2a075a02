"""Copy as code: valid snippets, no key inside, and exactly the request the conversation sends."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import types
from collections.abc import Mapping
from typing import Any, Literal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

import workbench
import workbench.local
from workbench.conversation import Conversation
from workbench.conversation._history import Message
from workbench.widgets._code import (
    LOCAL_SERVER_URL,
    Flavor,
    next_request_body,
    next_request_code,
)

CANARY = "sk-canary-7f3a9e1d-do-not-leak"
Client = workbench.Client  # the real one: run_python replaces workbench.Client with a recorder
FLAVORS: list[Flavor] = ["workbench", "openai", "curl"]
PYTHON_FLAVORS: list[Flavor] = ["workbench", "openai"]


class Location(BaseModel):
    city: str
    temperature: float


def get_weather(city: str, units: Literal["c", "f"] = "c") -> dict[str, object]:
    """Get the current weather for a city.

    Args:
        city: the city's name.
        units: c or f.
    """
    return {"city": city, "temperature": 21, "units": units}


class Recording(workbench.local.LocalModel):
    """The local model, keeping the body of every chat request it answers."""

    def __init__(self) -> None:
        super().__init__()
        self.bodies: list[dict[str, Any]] = []

    def handle(self, method: str, path: str, query: Any, headers: Any, body: bytes) -> Any:
        if path.endswith("/chat/completions"):
            self.bodies.append(json.loads(body))
        return super().handle(method, path, query, headers, body)


def conversation(**params: Any) -> tuple[Conversation, Recording]:
    model = Recording()
    chat = workbench.Conversation(
        client=Client(local=model), model="m", seed=1, log=False, system="Be brief.",
        tools=[get_weather], **params,
    )  # fmt: skip
    return chat, model


# -- running the snippets against fakes ------------------------------------------------------------


class _FakeClient:
    calls: list[dict[str, Any]] = []

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        completions = types.SimpleNamespace(create=self._create)
        self.chat = types.SimpleNamespace(completions=completions)
        self.responses = types.SimpleNamespace(create=self._create_response)

    def _create(self, **kwargs: Any) -> Any:
        type(self).calls.append({"client": self.kwargs, "body": kwargs})
        if kwargs.get("stream"):
            return []
        message = types.SimpleNamespace(content="ok")
        return types.SimpleNamespace(choices=[types.SimpleNamespace(message=message)])

    def _create_response(self, **kwargs: Any) -> Any:
        """``responses.create``: what goes on the wire (``extra_body`` merged, as both clients
        merge it), and a reply whose text is ``ok``."""
        kwargs.update(kwargs.pop("extra_body", None) or {})
        type(self).calls.append({"client": self.kwargs, "body": kwargs})
        if kwargs.get("stream"):
            delta = types.SimpleNamespace(type="response.output_text.delta", delta="ok")
            return [types.SimpleNamespace(type="response.created"), delta]
        return types.SimpleNamespace(output_text="ok")


def run_python(code: str, flavor: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Execute a Python snippet with the client replaced by a recorder; what it would send."""
    compile(code, "<snippet>", "exec")
    _FakeClient.calls = []
    if flavor == "workbench":
        monkeypatch.setattr(workbench, "Client", _FakeClient)
    else:
        monkeypatch.setitem(sys.modules, "openai", types.SimpleNamespace(OpenAI=_FakeClient))
    exec(code, {"__name__": "snippet"})
    (call,) = _FakeClient.calls
    return call


def run_curl(code: str, key: str = "sk-from-env") -> list[str]:
    """Run the curl command in bash with ``curl`` replaced by a function that prints its args."""
    bash = shutil.which("bash")
    if bash is None:  # part of every supported platform: its absence is a broken set-up
        pytest.fail("bash is not on PATH; it is needed to check the curl command")
    script = "curl() { printf '%s\\0' \"$@\"; }\n" + code
    env = {"PATH": os.environ.get("PATH", ""), "OPENAI_API_KEY": key}
    out = subprocess.run([bash, "-c", script], capture_output=True, env=env, check=True)
    return out.stdout.decode().split("\0")[:-1]


def curl_body(args: list[str]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(args[args.index("-d") + 1])
    return data


# -- the tests ----------------------------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("flavor", FLAVORS)
def test_the_snippet_sends_exactly_the_next_request(
    flavor: Flavor, stream: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat, model = conversation(temperature=0.5, logit_bias={42: 5})
    chat.send("What is the weather in Paris?", stream=stream)
    follow_up = "And in Oslo? It's \"cold\" there, isn't it? $HOME `id` \\n"
    code = next_request_code(chat, flavor=flavor, content=follow_up, stream=stream)
    model.bodies.clear()
    chat.send(follow_up, stream=stream)
    sent = model.bodies[0]
    if flavor == "curl":
        args = run_curl(code)
        assert curl_body(args) == sent
        assert args[0] == f"{LOCAL_SERVER_URL}/chat/completions"
        assert "Authorization: Bearer sk-from-env" in args, "the key is expanded from the env"
    else:
        call = run_python(code, flavor, monkeypatch)
        assert call["body"] == sent
    assert "python -m workbench serve" in code or flavor == "workbench"


def test_a_pydantic_response_format_becomes_its_json_schema(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    chat, model = conversation(response_format=Location)
    chat.tools.clear()
    code = next_request_code(chat, flavor="openai", content="Weather in Paris?")
    chat.send("Weather in Paris?", stream=False)
    body = run_python(code, "openai", monkeypatch)["body"]
    assert body == model.bodies[0]
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["name"] == "Location"


def test_disabled_tools_are_left_out() -> None:
    chat, _ = conversation()
    chat.tools["get_weather"].enabled = False
    assert "tools" not in next_request_body(chat)


def test_without_content_the_current_branch_is_sent_as_it_is() -> None:
    chat, _ = conversation()
    chat.send("hello")
    body = next_request_body(chat)
    assert body["messages"] == chat.to_messages() and body["messages"][0]["role"] == "system"


@pytest.mark.parametrize("flavor", FLAVORS)
def test_no_key_is_ever_written_into_a_snippet(flavor: Flavor) -> None:
    client = Client(
        api_key=CANARY, base_url=f"https://user:{CANARY}@llm.example.com/v1?api-key={CANARY}"
    )
    chat = workbench.Conversation(client=client, model="gpt-x", log=False, temperature=0.1)
    chat.history.append(Message(role="user", content=f"my key is {CANARY}, keep it"))
    code = next_request_code(chat, flavor=flavor, content=f"again: {CANARY}")
    assert CANARY not in code
    assert "OPENAI_API_KEY" in code and "[redacted]" in code
    assert "https://llm.example.com/v1" in code
    if flavor == "curl":
        args = run_curl(code)
        assert args[0] == "https://llm.example.com/v1/chat/completions"
        assert curl_body(args)["temperature"] == 0.1
    else:
        compile(code, "<snippet>", "exec")


def test_the_default_openai_url_needs_no_base_url() -> None:
    client = Client(api_key=CANARY)
    chat = workbench.Conversation(client=client, model="gpt-x", log=False, api="chat")
    code = next_request_code(chat, flavor="openai", content="hi")
    assert 'OpenAI(api_key=os.environ["OPENAI_API_KEY"])' in code and "base_url" not in code
    assert "workbench.Client()" in next_request_code(chat, flavor="workbench", content="hi")
    assert "https://api.openai.com/v1/chat/completions" in next_request_code(
        chat, flavor="curl", content="hi"
    )


HOSTILE = [
    "'; rm -rf / #",
    '"); import os; os.system("id"); ("',
    "\"\"\"\n'''\n\\",
    "$(id) `id` ${HOME} !! \\\n",
    "\x00\x1b[31m\u2028\u2029\ud800? \U0001f600 \x7f\x85",
    "{}[]\n\t\r",
    "\U000e0001 tag, \U0010fffd private, \u00ad soft hyphen",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_keeps_the_snippets_valid(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    chat, _ = conversation(stop=[text[:10] or "x"])
    chat.history.append(Message(role="user", content=text))
    chat.history.append(
        Message(
            role="assistant",
            content=None,
            tool_calls=[
                {"id": "c", "type": "function", "function": {"name": "t", "arguments": text}}
            ],
        )
    )
    chat.history.append(Message(role="tool", tool_call_id="c", content=text))
    expected = next_request_body(chat, content=text)
    for flavor in PYTHON_FLAVORS:
        code = next_request_code(chat, flavor=flavor, content=text)
        assert run_python(code, flavor, monkeypatch)["body"] == expected
    code = next_request_code(chat, flavor="curl", content=text)
    assert code.isascii() or all(c.isprintable() or c == "\n" for c in code)
    assert curl_body(run_curl(code)) == expected


def test_an_unknown_flavor_is_refused() -> None:
    chat, _ = conversation()
    with pytest.raises(ValueError, match="flavor"):
        next_request_code(chat, flavor="perl")  # type: ignore[arg-type]


def test_bodies_are_json_on_the_wire() -> None:
    chat, _ = conversation(logit_bias={7: -1})
    body = next_request_body(chat, content="x", stream=True)
    assert body["logit_bias"] == {"7": -1}
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert isinstance(json.loads(json.dumps(body)), Mapping)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(text=st.text(max_size=60), name=st.text(max_size=20))
def test_any_text_gives_valid_python_and_json(
    text: str, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat, _ = conversation(metadata={"note": name})
    chat.history.append(Message(role="user", content=text, name=name or None))
    expected = next_request_body(chat, content=text)
    for flavor in PYTHON_FLAVORS:
        code = next_request_code(chat, flavor=flavor, content=text)
        assert run_python(code, flavor, monkeypatch)["body"] == expected
    curl = next_request_code(chat, flavor="curl", content=text)
    data = curl[curl.index("-d '") + 4 : curl.rindex("'")].replace("""'"'"'""", "'")
    assert json.loads(data) == expected
