"""Conversation over HTTP against ``python -m workbench serve``, and the conversation benchmark."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any, Literal

import pytest
from pydantic import BaseModel

import workbench
from tests._local import ROOT, ServerProcess
from workbench.conversation import Conversation
from workbench.conversation._turn_events import TurnEvent
from workbench.local import FAULT_HEADER

KEY = "sk-canary-server-4711"


class Location(BaseModel):
    city: str
    temperature: float
    units: Literal["c", "f"]


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    """One ``python -m workbench serve`` for the module, requiring ``KEY``."""
    server = ServerProcess("--api-key", KEY)
    try:
        yield server.url
    finally:
        code, err = server.interrupt()
        assert code == 0, err


@pytest.fixture
def client(server_url: str) -> Iterator[workbench.Client]:
    with workbench.Client(base_url=server_url, api_key=KEY, max_retries=0) as client:
        yield client


@pytest.fixture
async def aclient(server_url: str) -> Any:
    """An ``AsyncClient`` for ``asend`` (closed after the test: no socket left behind)."""
    async with workbench.AsyncClient(base_url=server_url, api_key=KEY, max_retries=0) as client:
        yield client


def chat(client: Any, **kwargs: Any) -> Conversation:
    return Conversation(client=client, model="gpt-4o-mini", **kwargs)


def get_weather(city: str, units: Literal["c", "f"] = "c") -> dict[str, Any]:
    """Get the current weather for a city.

    Args:
        city: the city's name.
        units: c or f.
    """
    return {"city": city, "temperature": 21, "units": units}


def assert_usage_on_every_reply(c: Conversation) -> None:
    replies = [m for m in c.messages if m.role == "assistant"]
    assert replies
    for reply in replies:
        assert reply.usage is not None and reply.usage.total_tokens > 0, reply


@pytest.mark.parametrize("stream", [True, False])
def test_multi_turn_over_http(client: workbench.Client, stream: bool) -> None:
    c = chat(client, system="Be brief.")
    first = c.send("Hello there", stream=stream)
    second = c.send("And again", stream=stream)
    assert [m.role for m in c.messages] == ["user", "assistant"] * 2
    assert first.status == second.status == "complete"
    assert "message number 2" in second.text, "the server saw the first turn"
    assert second.usage is not None and first.usage is not None
    assert second.usage.prompt_tokens > first.usage.prompt_tokens
    assert second.latency is not None and second.latency.total is not None
    if stream:
        assert second.latency.first_token is not None
    assert_usage_on_every_reply(c)


def test_a_sync_tool_loop_over_http(client: workbench.Client) -> None:
    events: list[TurnEvent] = []
    c = chat(client, tools=[get_weather])
    c.subscribe(events.append)
    reply = c.send("What is the weather in Edinburgh?")
    assert [m.role for m in c.messages] == ["user", "assistant", "tool", "assistant"]
    assert json.loads(c.messages[2].content)["city"] == "Edinburgh"  # type: ignore[arg-type]
    assert "get_weather tool returned" in reply.text
    kinds = [e.type for e in events]
    assert kinds[0] == "turn.started" and kinds[-1] == "turn.finished"
    assert {"tool_call.started", "tool_call.arguments.delta", "tool_call.finished"} <= set(kinds)
    assert kinds.count("usage") == 2, "one usage event per model call"
    assert_usage_on_every_reply(c)


async def test_sync_and_async_tools_over_http(aclient: workbench.AsyncClient) -> None:
    running = peak = 0

    async def track() -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.05)
        running -= 1

    async def get_weather(city: str) -> str:
        """Get the weather for a city."""
        await track()
        return f"sunny in {city}"

    def get_time(city: str) -> str:
        """Get the local time in a city."""
        return "noon"

    c = chat(aclient, tools=[get_weather, get_time])
    reply = await c.asend("What is the weather and the time in Lisbon?")
    assert [m.role for m in c.messages] == ["user", "assistant", "tool", "tool", "assistant"]
    results = {m.name: m.content for m in c.messages if m.role == "tool"}
    assert results == {"get_weather": "sunny in Lisbon", "get_time": "noon"}
    assert peak == 1 and reply.status == "complete"
    assert_usage_on_every_reply(c)


async def test_parallel_async_calls_run_concurrently_over_http(
    aclient: workbench.AsyncClient,
) -> None:
    running = peak = 0

    async def slow(city: str) -> str:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.05)
        running -= 1
        return city

    async def get_weather(city: str) -> str:
        """Get the weather for a city."""
        return "rain in " + await slow(city)

    async def get_time(city: str) -> str:
        """Get the local time in a city."""
        return "dusk in " + await slow(city)

    c = chat(aclient, tools=[get_weather, get_time])
    reply = await c.asend("What is the weather and the time in Lisbon?", stream=False)
    assert peak == 2, "the two calls of one round ran at the same time"
    assert reply.status == "complete" and reply.usage is not None


def test_structured_output_and_refusal_over_http(client: workbench.Client) -> None:
    c = chat(client, response_format=Location)
    reply = c.send("What's the weather in Paris in celsius?")
    assert isinstance(reply.parsed, Location) and reply.parsed.city == "Paris"
    assert reply.params["response_format"]["type"] == "json_schema"
    refused = c.send("please refuse this")
    assert refused.refusal and refused.parsed is None and refused.status == "complete"
    assert refused.text.startswith("[refusal]")
    assert_usage_on_every_reply(c)


def test_regenerate_edit_and_switch_over_http(client: workbench.Client) -> None:
    c = chat(client, temperature=1.0)
    c.send("first question")
    c.send("second question")
    old = c.messages[3]
    new = c.regenerate(seed=7)
    assert [m.id for m in c.branches(3)] == [old.id, new.id]
    assert new.params["seed"] == 7 and "seed" not in old.params
    c.switch(3, 0)
    assert c.messages[3].id == old.id
    edited = c.edit(2, "a different second question")
    assert "different" in c.messages[2].text and edited.status == "complete"
    assert [m.text for m in c.branches(2)] == ["second question", "a different second question"]
    c.switch(2, 0)
    assert c.messages[3].id == old.id, "switching back restores the branch below it"
    assert_usage_on_every_reply(c)


def test_a_stream_cut_by_a_fault_header_keeps_the_partial_reply(
    client: workbench.Client,
) -> None:
    c = chat(client)
    c.send("hello")
    c.client = client.with_options(default_headers={FAULT_HEADER: "cut;after=5"})
    seen: list[str] = []
    c.subscribe(lambda e: seen.append(e.delta) if e.type == "content.delta" else None)
    with pytest.raises(workbench.APIConnectionError):
        c.send("tell me a long story about the sea", verbosity="high")
    partial = c.messages[-1]
    assert partial.role == "assistant" and partial.status == "incomplete" and partial.error
    assert partial.text and partial.text == "".join(seen)
    assert partial.usage is None
    sent = c.to_messages()
    assert [m["role"] for m in sent] == ["user", "assistant", "user"], "the partial is not sent"
    c.client = client
    reply = c.send("try again")
    assert reply.status == "complete" and reply.usage is not None
    assert [m.status for m in c.messages] == ["complete"] * 3 + ["incomplete"] + ["complete"] * 2


def test_a_server_error_reaches_the_exception_and_the_turn_can_be_retried(
    client: workbench.Client,
) -> None:
    c = chat(client)
    c.client = client.with_options(default_headers={FAULT_HEADER: "503"})
    with pytest.raises(workbench.APIStatusError) as info:
        c.send("hello")
    assert info.value.status_code == 503
    assert c.messages[-1].status == "error" and c.messages[-1].error == str(info.value)
    assert KEY not in repr(info.value) and KEY not in str(info.value) and KEY not in repr(c)
    c.client = client
    assert c.regenerate().status == "complete"
    assert [m.role for m in c.messages] == ["user", "assistant"]


def test_a_wrong_key_is_an_authentication_error(server_url: str) -> None:
    with workbench.Client(base_url=server_url, api_key="sk-wrong", max_retries=0) as other:
        c = chat(other)
        with pytest.raises(workbench.AuthenticationError):
            c.send("hello")
        assert c.messages[-1].status == "error"


# -- the benchmark -------------------------------------------------------------------------------

ROW = re.compile(r"^(?P<label>.+?)\s+(?P<cpu>\d+\.\d)\s+(?P<wall>\d+\.\d)\s+\d+%\s+\d+\.\d\dx$")


def test_the_conversation_benchmark_quick_mode_prints_its_table() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_conversation.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = [m for m in map(ROW.match, proc.stdout.splitlines()) if m]
    assert [m["label"] for m in rows] == [
        "client .stream() + get_final_completion()",
        "Conversation.send() + 1 observer",
    ], proc.stdout
    assert all(float(m["cpu"]) > 0 for m in rows)
    assert re.search(r"^verdict: .* (PASS|FAIL) \(\d+\.\d\dx, limit 1\.3x\)$", proc.stdout, re.M)
