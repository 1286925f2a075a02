"""Reasoning text in the client: ``message.reasoning``, the accumulator and ``reasoning.*`` events.

Servers of reasoning models send the thinking beside the content, under one of two names:
``reasoning_content`` (DeepSeek, llama.cpp's ``llama-server``, LiteLLM, vLLM before 0.19) or
``reasoning`` (vLLM since, Ollama, OpenRouter, Groq). The shapes here are theirs.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import httpx
import pydantic
import pytest
from hypothesis import given
from hypothesis import strategies as st

import workbench
from tests._mock import (
    Recorder,
    both,
    chunk_json,
    collect,
    completion_json,
    create,
    make_client,
    sse_body,
    sse_response,
)
from tests.test_accumulate import choice, chunk, flat, run, split_text, types
from workbench.protocol._accumulate import (
    ContentDeltaEvent,
    ReasoningDeltaEvent,
    ReasoningDoneEvent,
    accumulate,
)
from workbench.types import ChatCompletion, ChatCompletionChunk

FIELDS = pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])


def deepseek_stream(field: str, thinking: list[str], answer: list[str]) -> list[dict[str, Any]]:
    """Chunks shaped as DeepSeek's (``field="reasoning_content"``) or vLLM's and Ollama's
    (``"reasoning"``): the thinking with ``content: null``, then the answer with the reasoning
    field ``null``, then the finish."""
    opening = chunk_json({"role": "assistant", "content": None, field: ""})
    thoughts = [chunk_json({"content": None, field: piece}) for piece in thinking]
    words = [chunk_json({"content": piece, field: None}) for piece in answer]
    return [opening, *thoughts, *words, chunk_json({}, finish_reason="stop")]


def chunks_of(data: list[dict[str, Any]]) -> list[ChatCompletionChunk]:
    return [ChatCompletionChunk.model_validate(c) for c in data]


# -- the message -------------------------------------------------------------------------------


@FIELDS
def test_a_message_reads_the_reasoning_under_either_name_and_keeps_the_field(field: str) -> None:
    data = completion_json("42.")
    data["choices"][0]["message"][field] = "Six times seven."
    completion = ChatCompletion.model_validate(data)
    message = completion.choices[0].message
    assert message.reasoning == "Six times seven."
    assert message.model_extra == {field: "Six times seven."}
    assert getattr(message, field) == "Six times seven."
    assert completion.to_dict() == data  # as the server sent it


def test_the_message_dumps_as_the_openai_packages_does() -> None:
    from openai.types.chat import ChatCompletion as OpenAICompletion

    data = completion_json("42.")
    data["choices"][0]["message"]["reasoning_content"] = "Six times seven."
    ours = ChatCompletion.model_validate(data)
    theirs = OpenAICompletion.model_validate(data)
    assert ours.model_dump() == theirs.model_dump()
    assert ours.choices[0].message.reasoning == theirs.choices[0].message.reasoning_content  # type: ignore[attr-defined]


def test_without_reasoning_text_the_reasoning_is_none() -> None:
    message = ChatCompletion.model_validate(completion_json("Hi")).choices[0].message
    assert message.reasoning is None
    # OpenRouter may send ``reasoning: null`` with structured ``reasoning_details``: no text.
    data = completion_json("Hi")
    details = [{"type": "reasoning.encrypted", "data": "gAAAA"}]
    data["choices"][0]["message"].update(reasoning=None, reasoning_details=details)
    message = ChatCompletion.model_validate(data).choices[0].message
    assert message.reasoning is None
    assert message.model_extra == {"reasoning": None, "reasoning_details": details}


def test_reasoning_content_is_read_first_when_a_server_sends_both() -> None:
    data = completion_json("Hi")
    data["choices"][0]["message"].update(reasoning="second", reasoning_content="first")
    assert ChatCompletion.model_validate(data).choices[0].message.reasoning == "first"


def test_the_reasoning_attribute_is_read_only() -> None:
    message = ChatCompletion.model_validate(completion_json("Hi")).choices[0].message
    with pytest.raises(AttributeError):
        message.reasoning = "x"  # type: ignore[misc]


# -- the accumulator ---------------------------------------------------------------------------


@FIELDS
def test_reasoning_deltas_are_joined_into_the_snapshot_under_the_servers_name(
    field: str,
) -> None:
    chunks = chunks_of(deepseek_stream(field, ["Six", " times", " seven."], ["4", "2."]))
    accumulator, events = run(chunks)
    message = accumulator.completion().choices[0].message
    assert message.reasoning == "Six times seven."
    assert message.content == "42."
    assert message.model_extra == {field: "Six times seven."}
    assert accumulate(chunks) == accumulator.completion()
    assert types(events) == [
        ["chunk", "reasoning.delta"],  # content null: no content event
        ["chunk", "reasoning.delta"],
        ["chunk", "reasoning.delta"],
        ["chunk", "reasoning.delta"],
        ["chunk", "reasoning.done", "content.delta"],  # the answer began: thinking is over
        ["chunk", "content.delta"],
        ["chunk", "content.done"],
    ]
    deltas = [e for e in flat(events) if isinstance(e, ReasoningDeltaEvent)]
    assert [e.delta for e in deltas] == ["", "Six", " times", " seven."]
    assert [e.snapshot for e in deltas] == ["", "Six", "Six times", "Six times seven."]
    assert {e.field for e in deltas} == {field}
    (done,) = [e for e in flat(events) if isinstance(e, ReasoningDoneEvent)]
    assert (done.choice_index, done.reasoning, done.field) == (0, "Six times seven.", field)
    assert "snapshot='Six times'" in repr(deltas[2])


def test_ollamas_empty_content_beside_each_reasoning_delta_does_not_end_the_reasoning() -> None:
    # Ollama's OpenAI-compatible API sends ``content: ""`` with every reasoning delta.
    chunks = [
        chunk(choice(role="assistant", content="", reasoning="We")),
        chunk(choice(content="", reasoning=" need")),
        chunk(choice(content="Yes")),
        chunk(choice(finish_reason="stop")),
    ]
    accumulator, events = run(chunks)
    assert types(events) == [
        ["chunk", "reasoning.delta", "content.delta"],
        ["chunk", "reasoning.delta", "content.delta"],
        ["chunk", "reasoning.done", "content.delta"],
        ["chunk", "content.done"],
    ]
    message = accumulator.completion().choices[0].message
    assert (message.reasoning, message.content) == ("We need", "Yes")


def test_reasoning_is_done_when_a_tool_call_begins() -> None:
    call = {"index": 0, "id": "call_1", "type": "function", "function": {"name": "f"}}
    chunks = [
        chunk(choice(role="assistant", content=None, reasoning_content="Use f.")),
        chunk(choice(tool_calls=[call])),
        chunk(choice(tool_calls=[{"index": 0, "function": {"arguments": "{}"}}])),
        chunk(choice(finish_reason="tool_calls")),
    ]
    accumulator, events = run(chunks)
    assert types(events)[1] == ["chunk", "reasoning.done", "tool_calls.function.arguments.delta"]
    message = accumulator.completion().choices[0].message
    assert message.reasoning == "Use f." and message.tool_calls


def test_reasoning_cut_off_before_any_answer_is_done_at_the_finish() -> None:
    chunks = [
        chunk(choice(role="assistant", reasoning="Let me think about")),
        chunk(choice(finish_reason="length")),
    ]
    accumulator, events = run(chunks)
    assert types(events)[-1] == ["chunk", "reasoning.done"]
    completion = accumulator.completion()
    assert completion.choices[0].message.reasoning == "Let me think about"
    assert completion.choices[0].message.content is None


def test_a_server_that_sends_both_names_is_reported_once_and_kept_twice() -> None:
    chunks = [
        chunk(choice(role="assistant", reasoning="Hm", reasoning_content="Hm")),
        chunk(choice(reasoning=" ok", reasoning_content=" ok")),
        chunk(choice(content="Yes", finish_reason="stop")),
    ]
    accumulator, events = run(chunks)
    deltas = [e for e in flat(events) if isinstance(e, ReasoningDeltaEvent)]
    field = "reasoning_content"  # read first, as ``message.reasoning`` reads it
    assert [(e.delta, e.field) for e in deltas] == [("Hm", field), (" ok", field)]
    message = accumulator.completion().choices[0].message
    assert message.model_extra == {"reasoning": "Hm ok", "reasoning_content": "Hm ok"}
    assert message.reasoning == "Hm ok"


def test_empty_and_null_reasoning_make_no_done_event() -> None:
    chunks = [
        chunk(choice(role="assistant", content="", reasoning_content="")),
        chunk(choice(content="Hi", reasoning_content=None)),
        chunk(choice(finish_reason="stop")),
    ]
    accumulator, events = run(chunks)
    assert "reasoning.done" not in itertools.chain(*types(events))
    assert accumulator.completion().choices[0].message.reasoning == ""


def test_a_reasoning_field_that_is_not_text_is_kept_and_makes_no_events() -> None:
    chunks = [
        chunk(choice(role="assistant", content="Hi", reasoning={"effort": "low"})),
        chunk(choice(finish_reason="stop")),
    ]
    accumulator, events = run(chunks)
    assert not [e for e in flat(events) if e.type.startswith("reasoning")]
    message = accumulator.completion().choices[0].message
    assert message.reasoning is None and message.model_extra == {"reasoning": {"effort": "low"}}


def test_each_choice_has_its_own_reasoning() -> None:
    chunks = [
        chunk(choice(0, reasoning_content="A1"), choice(1, reasoning_content="B1")),
        chunk(choice(1, reasoning_content=" B2")),
        chunk(choice(0, content="a"), choice(1, content="b")),
        chunk(choice(0, finish_reason="stop"), choice(1, finish_reason="stop")),
    ]
    accumulator, events = run(chunks)
    messages = [c.message for c in accumulator.completion().choices]
    assert [m.reasoning for m in messages] == ["A1", "B1 B2"]
    done = [e for e in flat(events) if isinstance(e, ReasoningDoneEvent)]
    assert [(e.choice_index, e.reasoning) for e in done] == [(0, "A1"), (1, "B1 B2")]


def test_the_fast_path_merges_the_same_completion() -> None:
    chunks = chunks_of(deepseek_stream("reasoning", ["a", "b"], ["c"]))
    accumulator, _ = run(chunks)
    assert accumulate(chunks) == accumulator.completion()
    assert accumulate(chunks).choices[0].message.reasoning == "ab"


@given(split_text(), split_text(), st.sampled_from(["reasoning_content", "reasoning"]))
def test_the_reasoning_does_not_depend_on_where_the_stream_was_split(
    thinking: tuple[str, list[str]], answer: tuple[str, list[str]], field: str
) -> None:
    text, pieces = thinking
    words, word_pieces = answer
    whole = chunks_of(deepseek_stream(field, [text], [words]))
    split = chunks_of(deepseek_stream(field, pieces, word_pieces))
    accumulator, events = run(split)
    assert accumulator.completion() == accumulate(whole)
    message = accumulator.completion().choices[0].message
    assert message.reasoning == text and (message.content or "") == words
    deltas = [e for e in flat(events) if isinstance(e, ReasoningDeltaEvent)]
    assert deltas[-1].snapshot == text
    done = [e.reasoning for e in flat(events) if isinstance(e, ReasoningDoneEvent)]
    assert done == ([text] if text else [])
    kinds = [e.type for e in flat(events) if e.type != "chunk"]
    if text:  # every reasoning event comes before the first piece of the answer
        first_answer = next(
            (i for i, e in enumerate(flat(events)) if isinstance(e, ContentDeltaEvent) and e.delta),
            len(flat(events)),
        )
        last_reasoning = max(
            i for i, e in enumerate(flat(events)) if e.type.startswith("reasoning")
        )
        assert last_reasoning < first_answer
        assert kinds.count("reasoning.done") == 1


# -- through the clients -----------------------------------------------------------------------


@both
async def test_create_returns_the_reasoning_of_a_whole_reply(kind: str) -> None:
    data = completion_json("42.")
    data["choices"][0]["message"]["reasoning_content"] = "Six times seven."
    client = make_client(kind, Recorder(httpx.Response(200, json=data)))
    completion = await create(client)
    assert completion.choices[0].message.reasoning == "Six times seven."
    assert completion.choices[0].message.to_dict()["reasoning_content"] == "Six times seven."


@both
@FIELDS
async def test_a_streamed_reply_accumulates_its_reasoning(kind: str, field: str) -> None:
    body = sse_body(*deepseek_stream(field, ["Six", " times seven."], ["42."]))
    client = make_client(kind, Recorder(sse_response(body)))
    chunks = await collect(await create(client, stream=True))
    assert [c.choices[0].delta.reasoning for c in chunks] == [
        "",
        "Six",
        " times seven.",
        None,
        None,
    ]
    completion = workbench.accumulate(chunks)
    assert completion.choices[0].message.reasoning == "Six times seven."


@both
@FIELDS
async def test_the_stream_helper_emits_reasoning_events(kind: str, field: str) -> None:
    body = sse_body(*deepseek_stream(field, ["Six", " times seven."], ["4", "2."]))
    client = make_client(kind, Recorder(sse_response(body)))
    manager = client.chat.completions.stream(model="m", messages=[{"role": "user", "content": "?"}])
    if kind == "sync":
        with manager as stream:
            events = list(stream)
            final = stream.get_final_completion()
    else:
        async with manager as stream:
            events = [event async for event in stream]
            final = await stream.get_final_completion()
    kinds = [e.type for e in events if e.type != "chunk"]
    assert kinds == [
        "reasoning.delta",  # DeepSeek opens with an empty reasoning and a null content
        "reasoning.delta",
        "reasoning.delta",
        "reasoning.done",
        "content.delta",
        "content.delta",
        "content.done",
    ]
    reasoning = [e for e in events if e.type == "reasoning.delta"]
    assert "".join(e.delta for e in reasoning) == "Six times seven."
    (done,) = [e for e in events if e.type == "reasoning.done"]
    assert done.reasoning == "Six times seven." and done.field == field
    assert final.choices[0].message.reasoning == "Six times seven."
    assert final.choices[0].message.content == "42."


class Answer(pydantic.BaseModel):
    value: int


@both
async def test_a_parsed_reply_keeps_its_reasoning(kind: str) -> None:
    data = completion_json(json.dumps({"value": 42}))
    data["choices"][0]["message"]["reasoning"] = "Six times seven."
    client = make_client(kind, Recorder(httpx.Response(200, json=data)))
    parsed = client.chat.completions.parse(
        model="m", messages=[{"role": "user", "content": "?"}], response_format=Answer
    )
    if kind == "async":
        parsed = await parsed
    message = parsed.choices[0].message
    assert message.parsed == Answer(value=42)
    assert message.reasoning == "Six times seven."
