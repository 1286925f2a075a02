"""Conversation(api="responses" | "auto"): the same history, tools, branches, approvals,
parameters and events over the Responses API, on a scripted server (tests/_responses_fake.py)
and on the recorded streams of tests/fixtures/recorded-responses-streams."""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai
import pandas as pd
import pydantic
import pytest

import workbench
from tests._media import picture, wav
from tests._responses import violations
from tests._responses_fake import FakeResponses, Reply
from workbench import InvalidParameterError
from workbench.conversation._protocol_choice import choose_api
from workbench.export._settings import read_settings
from workbench.local import LocalModel
from workbench.widgets._widget import widget


def conversation(fake: FakeResponses, **kw: Any) -> workbench.Conversation:
    kw.setdefault("api", "responses")
    return workbench.Conversation(model="gpt-5", client=fake.client(), log=False, **kw)


def test_plain_turn_maps_history_and_parameters() -> None:
    fake = FakeResponses([Reply(text=["Hello there"])])
    chat = conversation(
        fake,
        system="Be brief.",
        temperature=0.5,
        max_completion_tokens=64,
        reasoning_effort="low",
        verbosity="low",
        metadata={"k": "v"},
        store=False,
    )
    reply = chat.send("Hi", stream=False)
    (body,) = fake.bodies()
    assert body == {
        "model": "gpt-5",
        "instructions": "Be brief.",
        "input": [{"role": "user", "content": "Hi"}],
        "temperature": 0.5,
        "metadata": {"k": "v"},
        "store": False,
        "max_output_tokens": 64,
        "reasoning": {"effort": "low"},
        "text": {"verbosity": "low"},
    }
    assert violations("CreateResponse", body) == []
    assert reply.content == "Hello there"
    assert (reply.api, reply.status, reply.finish_reason) == ("responses", "complete", "stop")
    assert reply.request_id == "resp_0001"
    assert reply.usage is not None
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (11, 7)
    assert reply.usage.completion_tokens_details.reasoning_tokens == 3  # type: ignore[union-attr]
    assert chat[0].api == "chat"  # the user's message: the field's default, never dumped
    assert "api" not in chat[0].model_dump() and reply.model_dump()["api"] == "responses"


def test_streamed_turn_emits_the_chat_events() -> None:
    fake = FakeResponses([Reply(text=["Hel", "lo", "!"])])
    chat = conversation(fake)
    seen: list[Any] = []
    chat.subscribe(seen.append)
    reply = chat.send("Hi")
    assert fake.bodies()[0]["stream"] is True
    kinds = [event.type for event in seen]
    assert kinds == [
        "turn.started",
        "content.delta",
        "content.delta",
        "content.delta",
        "model_call.finished",
        "usage",
        "turn.finished",
    ]
    assert [e.delta for e in seen if e.type == "content.delta"] == ["Hel", "lo", "!"]
    finished = next(e for e in seen if e.type == "model_call.finished")
    assert finished.response["object"] == "response"  # the log records what the server sent
    assert reply.text == "Hello!" and reply.latency.first_token is not None  # type: ignore[union-attr]


def test_tool_round_with_approval_goes_back_as_function_call_items() -> None:
    fake = FakeResponses([Reply(calls=[("add", '{"a": 2, "b": 3}')]), Reply(text=["5"])])
    asked: list[tuple[str, dict[str, Any]]] = []

    def approve(name: str, arguments: dict[str, Any]) -> bool:
        asked.append((name, arguments))
        return True

    chat = conversation(fake, confirm_tools=approve, tool_choice="required")
    seen: list[str] = []
    chat.subscribe(lambda event: seen.append(event.type))

    @chat.tool
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    reply = chat.send("2+3?")
    assert asked == [("add", {"a": 2, "b": 3})]
    assert reply.text == "5"
    assert [m.role for m in chat.messages] == ["user", "assistant", "tool", "assistant"]
    call = chat[1]
    assert call.finish_reason == "tool_calls" and call.api == "responses"
    arguments = '{"a": 2, "b": 3}'
    function = {"name": "add", "arguments": arguments}
    assert call.tool_calls == [{"id": "call_0", "type": "function", "function": function}]
    assert chat[2].decision == "approve"
    assert {"tool_call.started", "tool_call.arguments.delta", "tool_call.finished"} <= set(seen)
    first, second = fake.bodies()
    assert first["tools"] == [
        {
            "type": "function",
            "name": "add",
            "description": "Add two numbers.",
            "parameters": first["tools"][0]["parameters"],
            "strict": first["tools"][0]["strict"],
        }
    ]
    assert first["tool_choice"] == "required" and "tool_choice" not in second  # first round only
    assert second["input"][1:] == [
        {"type": "function_call", "call_id": "call_0", "name": "add", "arguments": arguments},
        {"type": "function_call_output", "call_id": "call_0", "output": "5"},
    ]
    for body in (first, second):
        assert violations("CreateResponse", body) == []


def test_a_denied_tool_call_is_answered_with_the_refusal() -> None:
    fake = FakeResponses([Reply(calls=[("add", '{"a": 1, "b": 1}')]), Reply(text=["ok"])])
    chat = conversation(fake, confirm_tools=lambda name, arguments: False)

    @chat.tool
    def add(a: int, b: int) -> int:
        """Add."""
        raise AssertionError("must not run")

    chat.send("1+1?")
    output = fake.bodies()[1]["input"][-1]
    assert output["type"] == "function_call_output"
    assert "declined" in json.loads(output["output"])["error"]


def test_reasoning_summary_streams_into_message_reasoning() -> None:
    fake = FakeResponses([Reply(summary=["First I look.", "Then I answer."], text=["42"]), Reply()])
    chat = conversation(fake, extra_body={"reasoning": {"summary": "auto"}})
    deltas: list[str] = []
    chat.subscribe(lambda e: deltas.append(e.delta) if e.type == "reasoning.delta" else None)
    reply = chat.send("?")
    assert reply.reasoning == "First I look.\n\nThen I answer."
    assert "".join(deltas) == reply.reasoning
    assert fake.bodies()[0]["reasoning"] == {"summary": "auto"}
    assert reply.reasoning_items is None  # nothing encrypted: nothing to carry back
    chat.send("again")
    assert [item.get("type") for item in fake.bodies()[1]["input"]] == [None, None, None]


def test_encrypted_reasoning_is_carried_back_when_asked_for() -> None:
    fake = FakeResponses([Reply(summary=["hm"], encrypted="gAAA-secret", text=["a"]), Reply()])
    include = {"include": ["reasoning.encrypted_content"]}
    chat = conversation(fake, reasoning_effort="high", store=False, extra_body=include)
    chat.send("one")
    chat.send("two")
    first, second = fake.bodies()
    assert first["include"] == ["reasoning.encrypted_content"]
    assert first["reasoning"] == {"effort": "high"}
    carried = second["input"][1]
    assert carried["type"] == "reasoning" and carried["encrypted_content"] == "gAAA-secret"
    assert second["input"][2] == {"role": "assistant", "content": "a"}
    assert violations("CreateResponse", second) == []


@pytest.mark.parametrize(
    ("reason", "finish"), [("max_output_tokens", "length"), ("content_filter", "content_filter")]
)
def test_an_incomplete_response_is_a_cut_reply(reason: str, finish: str) -> None:
    fake = FakeResponses([Reply(text=["The ans"], status="incomplete", incomplete=reason)])
    reply = conversation(fake).send("?")
    assert (reply.finish_reason, reply.status, reply.ending) == (finish, "complete", finish)
    assert reply.text == "The ans"


def test_a_failed_response_keeps_the_partial_reply_marked() -> None:
    fake = FakeResponses([Reply(text=["part"], status="failed", error=("server_error", "boom"))])
    chat = conversation(fake)
    with pytest.raises(workbench.ResponseFailedError, match=r"server_error.*boom"):
        chat.send("?")
    assert chat[-1].status == "incomplete" and chat[-1].content == "part"


def test_refusal_goes_into_message_refusal() -> None:
    fake = FakeResponses([Reply(refusal="I can't help with that.")])
    reply = conversation(fake).send("?")
    assert reply.refusal == "I can't help with that." and reply.content is None


class Person(pydantic.BaseModel):
    name: str
    age: int


def test_a_pydantic_format_is_sent_as_text_format_and_parsed() -> None:
    fake = FakeResponses([Reply(text=['{"name": "Ada", ', '"age": 36}'])])
    chat = conversation(fake, response_format=Person)
    reply = chat.send("Who?")
    assert reply.parsed == Person(name="Ada", age=36)
    text_format = fake.bodies()[0]["text"]["format"]
    assert text_format["type"] == "json_schema" and text_format["name"] == "Person"
    assert text_format["strict"] is True and text_format["schema"]["required"] == ["name", "age"]
    assert violations("CreateResponse", fake.bodies()[0]) == []


def test_a_cut_structured_reply_fails_to_parse_as_under_chat() -> None:
    fake = FakeResponses([Reply(text=['{"name": "A'], status="incomplete",
                                incomplete="max_output_tokens")])  # fmt: skip
    chat = conversation(fake, response_format=Person)
    with pytest.raises(workbench.LengthFinishReasonError):
        chat.send("Who?")
    assert chat[-1].content == '{"name": "A'


def test_regenerate_and_branches() -> None:
    fake = FakeResponses([Reply(text=["one"]), Reply(text=["two"])])
    chat = conversation(fake)
    chat.send("Hi")
    again = chat.regenerate()
    assert again.text == "two" and again.api == "responses"
    assert [m.text for m in chat.branches(1)] == ["one", "two"]
    first, second = fake.bodies()
    assert first["input"] == second["input"] == [{"role": "user", "content": "Hi"}]


@pytest.mark.parametrize(
    ("param", "value"),
    [("seed", 1), ("stop", ["x"]), ("n", 2), ("presence_penalty", 0.5), ("logprobs", True)],
)
def test_a_parameter_without_equivalent_is_refused_before_sending(param: str, value: Any) -> None:
    fake = FakeResponses([])
    chat = conversation(fake)
    with pytest.raises(InvalidParameterError, match=f"{param}.*Responses API") as caught:
        chat.send("Hi", **{param: value})
    assert caught.value.param == param
    assert fake.requests == [] and len(chat) == 0  # nothing sent, nothing added
    chat.params = workbench.ChatParams(model="gpt-5", **{param: value})
    with pytest.raises(InvalidParameterError, match=param):
        chat.send("Hi")
    chat.api = "chat"  # the same parameter goes through Chat Completions
    assert chat.send("Hi", stream=False).text == "from chat"


def test_the_api_choice_is_checked() -> None:
    with pytest.raises(InvalidParameterError, match="api"):
        conversation(FakeResponses([]), api="soap")


def test_auto_falls_back_to_chat_after_a_404_and_remembers() -> None:
    fake = FakeResponses([], no_responses=True)
    chat = conversation(fake, api="auto")  # OpenAI's base URL: auto tries Responses
    with pytest.warns(workbench.ProfileWarning, match="no /v1/responses"):
        reply = chat.send("Hi")
    assert reply.text == "from chat" and reply.api == "chat"
    assert [path for path, _ in fake.requests] == ["/v1/responses", "/v1/chat/completions"]
    chat.send("again")  # straight to chat: remembered for the client
    assert [path for path, _ in fake.requests][2:] == ["/v1/chat/completions"]
    other = workbench.Conversation(client=chat.client, api="auto", log=False)
    other.send("new")
    assert [path for path, _ in fake.requests][3:] == ["/v1/chat/completions"]


def test_responses_without_the_endpoint_says_so_and_names_auto() -> None:
    fake = FakeResponses([], no_responses=True)
    chat = conversation(fake)
    with pytest.raises(workbench.ResponsesUnavailableError, match="api='auto'"):
        chat.send("Hi")
    assert chat[-1].status == "error"


def test_auto_chooses_by_server_and_model() -> None:
    fake = FakeResponses([])
    openai_client = fake.client()
    elsewhere = fake.client(base_url="http://localhost:8000/v1")
    local = workbench.Client(local=LocalModel())
    assert choose_api("auto", openai_client, "gpt-4o-mini") == "responses"
    assert choose_api("auto", elsewhere, "gpt-4o-mini") == "chat"
    assert choose_api("auto", elsewhere, "o3-pro-2025-06-10") == "responses"
    assert choose_api("auto", elsewhere, "openai/gpt-5-codex") == "responses"
    assert choose_api("auto", local, "workbench-local") == "chat"
    assert choose_api("chat", openai_client, "o3-pro") == "chat"
    assert workbench.Conversation(client=local, log=False).api == "auto"  # the default


@pytest.mark.parametrize("param", [{"seed": 7}, {"stop": ["\n"]}, {"n": 2}, {"logprobs": True}])
def test_auto_keeps_a_turn_with_a_chat_only_parameter_on_chat(param: dict[str, Any]) -> None:
    fake = FakeResponses([])
    openai_client = fake.client()
    assert choose_api("auto", openai_client, "gpt-4o-mini", {"model": "x"}) == "responses"
    assert choose_api("auto", openai_client, "gpt-4o-mini", {"model": "x", **param}) == "chat"
    assert choose_api("responses", openai_client, "gpt-4o-mini", param) == "responses"
    # a model that answers only through Responses still goes there: the parameter is refused
    assert choose_api("auto", openai_client, "o3-pro", param) == "responses"


def test_the_default_sends_openai_turns_through_responses_and_seeded_ones_through_chat() -> None:
    fake = FakeResponses([Reply(text=["plain"])])
    chat = workbench.Conversation(client=fake.client(), model="gpt-4o-mini", log=False)
    assert chat.send("hi", stream=False).api == "responses"
    reply = chat.send("again", stream=False, seed=3)
    assert (reply.text, reply.api) == ("from chat", "chat")
    assert [path for path, _ in fake.requests] == ["/v1/responses", "/v1/chat/completions"]
    with pytest.raises(InvalidParameterError, match="seed"):  # o3-pro answers only there
        chat.send("pro", stream=False, model="o3-pro", seed=3)
    assert len(chat.messages) == 4 and len(fake.requests) == 2  # refused before adding


async def test_asend_on_an_async_client() -> None:
    fake = FakeResponses([Reply(calls=[("add", '{"a": 1, "b": 2}')]), Reply(text=["3"])])
    chat = workbench.Conversation(
        model="gpt-5", client=fake.async_client(), api="responses", log=False
    )

    @chat.tool
    def add(a: int, b: int) -> int:
        """Add."""
        return a + b

    reply = await chat.asend("1+2")
    assert reply.text == "3" and reply.api == "responses"
    assert fake.bodies()[1]["input"][-1]["output"] == "3"


def test_the_table_log_and_files_keep_the_protocol(tmp_path: Any) -> None:
    fake = FakeResponses([Reply(text=["a"]), Reply(text=["b"])])
    log = tmp_path / "log.sqlite"
    chat = workbench.Conversation(model="gpt-5", client=fake.client(), api="responses", log=log)
    chat.send("one")
    chat.api = "chat"
    chat.send("two", stream=False)
    df = chat.to_dataframe()
    assert [None if pd.isna(a) else a for a in df["api"]] == [None, "responses", None, "chat"]
    back = workbench.Conversation.from_dataframe(df, client=fake.client(), log=False)
    assert [m.api for m in back.messages] == ["chat", "responses", "chat", "chat"]
    assert back.api == "chat"  # a table carries no settings: the last reply's protocol
    first_turn = workbench.Conversation.from_dataframe(df.iloc[:2], client=fake.client(), log=False)
    assert first_turn.api == "responses"
    assert list(workbench.usage_dataframe(chat)["api"]) == ["responses", "chat"]
    chat.api = "auto"
    chat.close()
    loaded = workbench.Conversation.load(chat.id, log=log, client=fake.client())
    assert [m.api for m in loaded.messages] == ["chat", "responses", "chat", "chat"]
    assert loaded.api == "auto"  # the conversation's setting, as it was last changed
    path = tmp_path / "chat.parquet"
    chat.to_parquet(path)
    again = workbench.Conversation.from_parquet(path, client=fake.client(), log=False)
    assert [m.api for m in again.messages] == ["chat", "responses", "chat", "chat"]
    assert again.api == "auto"  # the file keeps the conversation's setting


def test_stop_keeps_the_partial_reply() -> None:
    fake = FakeResponses([Reply(text=["first ", "second ", "third"])])
    chat = conversation(fake)
    chat.subscribe(lambda e: chat.stop() if e.type == "content.delta" else None)
    reply = chat.send("Hi")
    assert (reply.status, reply.text) == ("incomplete", "first ")
    assert reply.error == "stopped by the user"
    assert reply.api == "responses"


def openai_client(fake: FakeResponses) -> openai.OpenAI:
    http = httpx.Client(transport=httpx.MockTransport(fake))
    return openai.OpenAI(api_key="sk-openai-test", http_client=http)


def test_an_openai_client_carries_the_same_turns() -> None:
    replies = [Reply(summary=["s"], text=["Hel", "lo"]), Reply(calls=[("add", '{"a": 1, "b": 2}')])]
    fake = FakeResponses([*replies, Reply(text=["3"]), Reply(text=["whole"])])
    client = openai_client(fake)
    chat = workbench.Conversation(model="gpt-5", client=client, api="responses", log=False)

    @chat.tool
    def add(a: int, b: int) -> int:
        """Add."""
        return a + b

    first = chat.send("Hi")
    assert (first.text, first.reasoning, first.finish_reason) == ("Hello", "s", "stop")
    assert chat.send("1+2").text == "3"
    assert [m.role for m in chat.messages][2:] == ["user", "assistant", "tool", "assistant"]
    whole = chat.send("again", stream=False)
    assert (whole.text, whole.request_id) == ("whole", "resp_0004")


def test_auto_falls_back_on_an_openai_client_too() -> None:
    fake = FakeResponses([], no_responses=True)
    client = openai_client(fake)
    chat = workbench.Conversation(model="gpt-5", client=client, api="auto", log=False)
    assert chat.send("Hi").text == "from chat"
    chat.send("again")
    paths = [path for path, _ in fake.requests]
    assert paths == ["/v1/responses", "/v1/chat/completions", "/v1/chat/completions"]


@pytest.mark.usefixtures("recording_comm")
def test_the_widget_marks_a_cut_responses_reply_and_shows_its_summary() -> None:
    fake = FakeResponses(
        [Reply(summary=["Counting."], text=["1, 2,"], status="incomplete",
               incomplete="max_output_tokens")]
    )  # fmt: skip
    chat = conversation(fake, max_completion_tokens=3)
    view = widget(chat)
    chat.send("Count")
    html = view.messages_html[-1]["html"]
    assert "wb-ending-length" in html
    assert "cut short: the reply reached the token limit of 3 tokens" in html
    assert "Counting." in html


def test_saved_settings_with_an_unknown_api_are_refused() -> None:
    assert read_settings({"api": "responses"}, "here").api == "responses"
    assert read_settings({}, "here").api is None  # written before the setting: chat
    with pytest.raises(workbench.TranscriptError, match=r"settings\.api.*'soap'"):
        read_settings({"api": "soap"}, "here")


async def test_asend_falls_back_under_auto_and_stops_under_responses() -> None:
    fake = FakeResponses([], no_responses=True)
    chat = workbench.Conversation(model="gpt-5", client=fake.async_client(), api="auto", log=False)
    with pytest.warns(workbench.ProfileWarning, match="no /v1/responses"):
        reply = await chat.asend("Hi")
    assert (reply.text, reply.api) == ("from chat", "chat")
    strict = workbench.Conversation(
        model="gpt-5", client=fake.async_client(), api="responses", log=False
    )
    with pytest.raises(workbench.ResponsesUnavailableError, match="api='auto'"):
        await strict.asend("Hi")


def test_content_without_a_responses_equivalent_is_refused_before_sending() -> None:
    fake = FakeResponses([Reply(text=["a picture"])])
    chat = conversation(fake)
    with pytest.raises(InvalidParameterError, match=r"'input_audio' part.*Responses") as caught:
        chat.send(["Listen", workbench.audio(wav(0.1), format="wav")])
    assert caught.value.param == "content"
    assert fake.requests == [] and len(chat) == 0
    chat.send(["Look", workbench.image(picture(), detail="low")])
    (body,) = fake.bodies()
    text, image = body["input"][0]["content"]
    assert text == {"type": "input_text", "text": "Look"}
    assert image["type"] == "input_image" and image["detail"] == "low"
    assert image["image_url"].startswith("data:image/")
    # (the whole body cannot be checked: the spec's oneOf matches a message with a content list
    # twice, as an EasyInputMessage and as an Item, and so refuses it)
    assert violations("EasyInputMessage", body["input"][0]) == []
