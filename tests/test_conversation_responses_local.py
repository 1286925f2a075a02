"""Conversation(api="responses") end to end on the local model's /v1/responses: the same turns
as over Chat Completions (text, a tool round, structured output, a cut reply, a reasoning
summary with encrypted reasoning carried back), and auto's choice of chat for it."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

import workbench
from workbench.local import LocalModel


def local(**kw: Any) -> workbench.Conversation:
    kw.setdefault("api", "responses")
    return workbench.Conversation(client=workbench.Client(local=LocalModel()), log=False, **kw)


def test_a_turn_and_a_tool_round() -> None:
    chat = local()
    seen: list[str] = []
    chat.subscribe(lambda event: seen.append(event.type))

    @chat.tool
    def get_weather(city: str) -> dict[str, Any]:
        """Get the weather for a city."""
        return {"city": city, "temperature": 21}

    reply = chat.send("What's the weather in Paris?")
    assert [m.role for m in chat.messages] == ["user", "assistant", "tool", "assistant"]
    assert all(m.api == "responses" for m in chat.messages if m.role == "assistant")
    assert chat[1].finish_reason == "tool_calls" and chat[2].content
    assert reply.status == "complete" and reply.finish_reason == "stop" and reply.text
    assert reply.usage is not None and reply.usage_source == "server"
    assert {"content.delta", "tool_call.started", "tool_call.finished"} <= set(seen)


def test_structured_output_and_a_cut_reply() -> None:
    class Person(pydantic.BaseModel):
        name: str
        age: int

    parsed = local(response_format=Person).send("Someone").parsed
    assert isinstance(parsed, Person)
    cut = local(max_completion_tokens=3).send("Tell me a long story")
    assert (cut.finish_reason, cut.ending, cut.api) == ("length", "length", "responses")


def test_reasoning_summary_and_encrypted_reasoning_carried_back() -> None:
    extra = {"reasoning": {"summary": "auto"}, "include": ["reasoning.encrypted_content"]}
    chat = local(model="workbench-local-reasoning", store=False, extra_body=extra)
    first = chat.send("Think")
    assert first.reasoning and first.reasoning_items
    assert first.reasoning_items[0]["encrypted_content"]
    again = chat.send("Again")
    assert again.status == "complete" and again.text


def test_auto_takes_chat_on_the_local_model() -> None:
    reply = local(api="auto").send("Hello")
    assert reply.api == "chat" and reply.status == "complete"


def test_a_local_model_without_responses_falls_back_under_auto_only() -> None:
    client = workbench.Client(local=LocalModel(responses=False))
    strict = workbench.Conversation(client=client, api="responses", log=False)
    with pytest.raises(workbench.ResponsesUnavailableError, match="api='auto'"):
        strict.send("Hello")
    # o3-pro answers only through Responses, so auto tries it first, then chat after the 404
    chat = workbench.Conversation(model="o3-pro", client=client, api="auto", log=False)
    with pytest.warns(workbench.ProfileWarning, match="no /v1/responses"):
        reply = chat.send("Hello")
    assert (reply.api, reply.status) == ("chat", "complete")
