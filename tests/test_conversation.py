"""Conversation against the local model: turns, parameters, tools, branches, failures, events."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any, Literal

import httpx
import pytest
from pydantic import BaseModel

import workbench
import workbench.local
from workbench.conversation import Conversation, ToolRoundLimitError
from workbench.conversation._turn_events import TurnEvent
from workbench.local import Fault, LocalModel


class Location(BaseModel):
    city: str
    temperature: float
    units: Literal["c", "f"]


def chat(**kwargs: Any) -> Conversation:
    kwargs.setdefault("client", workbench.Client(local=LocalModel()))
    kwargs.setdefault("model", "gpt-4o-mini")
    return Conversation(**kwargs)


def get_weather(city: str, units: Literal["c", "f"] = "c") -> dict[str, Any]:
    """Get the current weather for a city.

    Args:
        city: the city's name.
        units: c or f.
    """
    return {"city": city, "temperature": 21, "units": units}


@pytest.mark.parametrize("stream", [True, False])
def test_multi_turn_history_reaches_the_model(stream: bool) -> None:
    c = chat()
    first = c.send("Hello there", stream=stream)
    second = c.send("And again", stream=stream)
    assert [m.role for m in c.messages] == ["user", "assistant", "user", "assistant"]
    assert first.status == second.status == "complete"
    assert "message number 2" in second.text  # the model saw the first turn
    assert second.usage is not None and second.usage.prompt_tokens > first.usage.prompt_tokens  # type: ignore[union-attr]
    assert second.latency is not None and second.latency.total is not None
    assert second.params["model"] == "gpt-4o-mini" and second.finish_reason == "stop"


def test_the_system_prompt_goes_first() -> None:
    c = chat(system="Be brief.")
    c.send("hi")
    assert c.to_messages()[0] == {"role": "system", "content": "Be brief."}


def test_invalid_parameters_fail_before_any_request() -> None:
    with pytest.raises(workbench.InvalidParameterError, match="temperature"):
        chat(temperature=3)
    c = chat()
    with pytest.raises(workbench.InvalidParameterError, match="temperature"):
        c.params.temperature = 3
    with pytest.raises(workbench.InvalidParameterError, match="top_p"):
        c.send("hi", top_p=7)
    assert c.messages == [], "nothing was added or sent"


def test_one_turn_overrides_are_not_kept() -> None:
    c = chat(temperature=1.0)
    reply = c.send("hi", temperature=0, seed=3)
    assert reply.params["temperature"] == 0 and reply.params["seed"] == 3, "the params used"
    assert c.params.temperature == 1.0 and c.params.seed is None
    assert c.send("again").params["temperature"] == 1.0


def test_structured_output_is_parsed_and_a_refusal_is_not_an_error() -> None:
    c = chat(response_format=Location)
    reply = c.send("What's the weather in Paris in celsius?")
    assert isinstance(reply.parsed, Location) and reply.parsed.city == "Paris"
    refused = c.send("please refuse this")
    assert refused.refusal and refused.parsed is None and refused.status == "complete"


def test_the_tool_loop_runs_python_and_answers_with_the_result() -> None:
    events: list[TurnEvent] = []
    c = chat(tools=[get_weather])
    c.subscribe(events.append)
    reply = c.send("What is the weather in Edinburgh?")
    roles = [m.role for m in c.messages]
    assert roles == ["user", "assistant", "tool", "assistant"]
    tool_message = c.messages[2]
    assert json.loads(tool_message.content)["city"] == "Edinburgh"  # type: ignore[arg-type]
    assert "get_weather tool returned" in reply.text
    kinds = [e.type for e in events]
    assert kinds[0] == "turn.started" and kinds[-1] == "turn.finished"
    assert "tool_call.started" in kinds and "tool_call.finished" in kinds


def test_a_raising_tool_sends_its_error_to_the_model() -> None:
    c = chat()

    @c.tool
    def get_weather(city: str) -> str:
        """Get the weather for a city."""
        raise RuntimeError("the weather service is down")

    reply = c.send("What is the weather in Oslo?")
    tool_message = c.messages[2]
    assert tool_message.error and "weather service is down" in tool_message.text
    assert reply.status == "complete" and "down" in reply.text


def test_the_round_limit_stops_with_the_history_intact() -> None:
    from tests._mock import KEY, Recorder, completion_json

    always = completion_json(None)  # a model that calls the tool in every round
    always["choices"][0]["finish_reason"] = "tool_calls"
    always["choices"][0]["message"]["tool_calls"] = [
        {"id": "call_1", "type": "function",
         "function": {"name": "get_weather", "arguments": '{"city": "Rome"}'}}
    ]  # fmt: skip
    transport = httpx.MockTransport(Recorder(httpx.Response(200, json=always)))
    client = workbench.Client(api_key=KEY, http_client=httpx.Client(transport=transport))
    c = chat(client=client, tools=[get_weather], max_tool_rounds=2, api="chat")
    with pytest.raises(ToolRoundLimitError):
        c.send("weather in Rome", stream=False)
    assert [m.role for m in c.messages] == ["user"] + ["assistant", "tool"] * 3


def test_a_refused_tool_is_never_run() -> None:
    ran: list[str] = []

    def get_weather(city: str) -> str:
        """Get the weather for a city."""
        ran.append(city)
        return "sunny"

    c = chat(tools=[get_weather], confirm_tools=lambda name, args: False)
    c.send("weather in Rome")
    assert ran == []
    assert "declined" in c.messages[2].text


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_a_tool_message_records_the_decision_and_the_tools_own_time(kind: str) -> None:
    """``latency.total`` is how long the tool ran, not the wait for its approval; ``decision``
    what was decided when someone was asked (None when nobody was)."""

    def approve_slowly(name: str, arguments: Any) -> bool:
        time.sleep(0.3)
        return True

    async def result(**kwargs: Any) -> Any:
        c = chat(tools=[get_weather], **kwargs)
        if kind == "sync":
            c.send("weather in Rome")
        else:
            await c.asend("weather in Rome")
        return next(m for m in c.messages if m.role == "tool")

    ran = await result(confirm_tools=approve_slowly)
    assert ran.decision == "approve" and ran.latency is not None
    assert ran.latency.total is not None and 0 < ran.latency.total < 0.2
    denied = await result(confirm_tools=lambda name, args: False)
    assert denied.decision == "deny" and "declined" in (denied.error or "")
    assert denied.latency is not None and denied.latency.total == 0, "it did not run"
    assert (await result()).decision is None


async def test_async_tools_run_concurrently_on_the_async_path() -> None:
    running = 0
    peak = 0

    async def get_weather(city: str) -> str:
        """Get the weather for a city."""
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.05)
        running -= 1
        return f"sunny in {city}"

    async def get_time(city: str) -> str:
        """Get the local time in a city."""
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.05)
        running -= 1
        return "noon"

    c = chat(tools=[get_weather, get_time])
    reply = await c.asend("What is the weather and the time in Lisbon?")
    assert [m.role for m in c.messages] == ["user", "assistant", "tool", "tool", "assistant"]
    assert peak == 2, "the two calls of one round ran at the same time"
    assert reply.status == "complete"


def test_edit_regenerate_switch_undo_and_fork() -> None:
    c = chat(temperature=1.0)
    c.send("first question")
    c.send("second question")
    old_reply = c.messages[3]
    new_reply = c.regenerate(seed=99)
    assert new_reply.id != old_reply.id
    assert [m.id for m in c.branches(3)] == [old_reply.id, new_reply.id]
    c.switch(3, 0)
    assert c.messages[3].id == old_reply.id
    edited = c.edit(2, "a different second question")
    assert "different" in c.messages[2].text and edited.role == "assistant"
    assert len(c.branches(2)) == 2
    dropped = c.undo()
    assert [m.role for m in dropped] == ["user", "assistant"] and len(c) == 2
    fork = c.fork(at=0)
    assert len(fork) == 1 and len(c) == 2
    fork.send("in the fork")
    assert len(c) == 2 and len(fork) == 3


def test_a_cut_stream_keeps_the_partial_reply_and_the_conversation_goes_on() -> None:
    model = LocalModel(faults=[Fault("cut", times=1, after=6)])
    c = chat(client=workbench.Client(local=model))
    with pytest.raises(workbench.APIConnectionError):
        c.send("tell me something")
    partial = c.messages[-1]
    assert partial.role == "assistant" and partial.status == "incomplete" and partial.text
    assert partial.error
    assert all(m["role"] != "assistant" for m in c.to_messages()), "the partial reply is not sent"
    reply = c.send("try again")
    assert reply.status == "complete"


def test_a_failed_request_marks_an_error_and_keeps_the_user_message() -> None:
    model = LocalModel(faults=[Fault("status", status=500, times=3)])
    c = chat(client=workbench.Client(local=model, max_retries=0))
    with pytest.raises(workbench.InternalServerError):
        c.send("hello")
    assert [m.role for m in c.messages] == ["user", "assistant"]
    assert c.messages[-1].status == "error" and "500" in (c.messages[-1].error or "")


def test_stop_keeps_the_partial_reply_marked_incomplete() -> None:
    c = chat()
    seen: list[str] = []

    def observer(event: TurnEvent) -> None:
        if event.type == "content.delta":
            seen.append(event.delta)
            if len(seen) == 3:
                c.stop()

    c.subscribe(observer)
    reply = c.send("hello there")
    assert reply.status == "incomplete" and reply.text == "".join(seen)
    assert c.send("next").status == "complete"


def test_the_log_restores_a_conversation_with_branches_in_a_fresh_process(tmp_path: Any) -> None:
    import subprocess
    import sys

    path = tmp_path / "log.sqlite3"
    c = chat(log=path, temperature=0.5)
    c.send("first question")
    c.send("second question")
    c.regenerate(seed=5)
    c.switch(3, 0)
    expected = [m.text for m in c.messages]
    code = (
        "import json, sys, workbench\n"
        f"c = workbench.Conversation.load({c.id!r}, log={str(path)!r}, "
        "client=workbench.Client(local=True))\n"
        "print(json.dumps({'texts': [m.text for m in c.messages], 'branches': len(c.branches(3)),"
        " 'temperature': c.params.temperature, 'ids': [s.id for s in workbench.conversations(log="
        f"{str(path)!r})]}}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    restored = json.loads(out.strip().splitlines()[-1])
    assert restored["texts"] == expected
    assert restored["branches"] == 2 and restored["temperature"] == 0.5
    assert restored["ids"] == [c.id]
    again = Conversation.load(c.id, log=path, client=workbench.Client(local=True))
    assert again.send("third").status == "complete"


def test_a_canary_key_never_reaches_the_log(tmp_path: Any) -> None:
    canary = "sk-canary-" + "Q" * 30
    path = tmp_path / "log.sqlite3"
    model = LocalModel(api_key=canary)
    c = chat(client=workbench.Client(local=model, api_key=canary), log=path)
    c.send(f"a key pasted by mistake: {canary}")
    with pytest.raises(workbench.AuthenticationError):
        Conversation(client=workbench.Client(local=model, api_key="sk-wrong"), log=path).send("x")
    data = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("log.sqlite3"))
    assert canary.encode() not in data
    assert canary not in repr(c) and canary not in repr(c.client)


def test_log_false_writes_nothing(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKBENCH_LOG", str(tmp_path / "never.sqlite3"))
    chat(log=False).send("hi")
    assert not (tmp_path / "never.sqlite3").exists()


def test_content_parts_reach_the_model() -> None:
    c = chat()
    parts = [
        {"type": "text", "text": "What is in this picture?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
    ]
    reply = c.send(parts)
    assert c.messages[0].content == parts
    assert "picture" in reply.text


def test_confirm_tools_true_asks_on_the_prompt(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []

    def answer(prompt: str) -> str:
        asked.append(prompt)
        return "n"

    monkeypatch.setattr("builtins.input", answer)
    c = chat(tools=[get_weather], confirm_tools=True)
    c.send("weather in Rome")
    assert asked and "get_weather" in asked[0]
    assert "declined" in c.messages[2].text


async def test_an_async_client_works_from_send_and_asend() -> None:
    client = workbench.AsyncClient(local=LocalModel())
    c = chat(client=client, tools=[get_weather])
    reply = await c.asend("weather in Oslo")
    assert reply.status == "complete" and "get_weather" in reply.text
    again = c.send("and again")  # a loop is running here: the turn runs in a worker thread
    assert again.status == "complete"
    await client.close()


async def test_asend_with_a_sync_client_of_its_own_transport_runs_in_a_thread() -> None:
    import httpx

    local = workbench.local.LocalTransport(LocalModel())
    client = workbench.Client(base_url="http://mock/v1", http_client=httpx.Client(transport=local))
    c = chat(client=client)
    reply = await c.asend("hello")
    assert reply.status == "complete" and c._async_client is None
    c.close()


async def test_asend_with_a_local_client_uses_one_async_twin() -> None:
    c = chat()
    await c.asend("one")
    twin = c._async_client
    await c.asend("two")
    assert twin is not None and c._async_client is twin
    await c.aclose()
    assert c._async_client is None


def test_a_declared_tool_without_a_function_answers_with_an_error() -> None:
    declared = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Get the weather for a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
    c = chat(tools=[declared])
    reply = c.send("weather in Rome")
    assert "cannot run here" in c.messages[2].text
    assert reply.status == "complete"


def test_a_failing_observer_does_not_break_the_turn(caplog: pytest.LogCaptureFixture) -> None:
    c = chat()

    def broken(event: TurnEvent) -> None:
        raise ValueError("a buggy view")

    c.subscribe(broken)
    seen: list[str] = []
    c.subscribe(lambda event: seen.append(event.type))
    reply = c.send("hello")
    assert reply.status == "complete" and seen[-1] == "turn.finished"
    assert "buggy view" in caplog.text
