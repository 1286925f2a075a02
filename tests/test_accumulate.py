"""The stream accumulator: recorded streams, scripted ugly streams, events and split points."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any, Literal, get_args

import pydantic
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import FIXTURES
from workbench._exceptions import LengthFinishReasonError
from workbench.protocol._accumulate import (
    ChatCompletionAccumulator,
    ChatCompletionStreamEvent,
    ChunkEvent,
    ContentDeltaEvent,
    ContentDoneEvent,
    FunctionToolCallArgumentsDeltaEvent,
    FunctionToolCallArgumentsDoneEvent,
    LogprobsContentDeltaEvent,
    LogprobsContentDoneEvent,
    LogprobsRefusalDeltaEvent,
    LogprobsRefusalDoneEvent,
    RefusalDeltaEvent,
    RefusalDoneEvent,
    accumulate,
)
from workbench.protocol._parsing import OutputValidationError
from workbench.types import (
    ChatCompletion,
    ChatCompletionAudio,
    ChatCompletionChunk,
    FunctionCall,
    ParsedChatCompletion,
)

STREAMS = FIXTURES / "recorded-streams"
MANIFEST: dict[str, Any] = json.loads((STREAMS / "manifest.json").read_text())
STREAM_NAMES = sorted(MANIFEST["streams"])
EVENT_CLASSES: tuple[type[Any], ...] = get_args(ChatCompletionStreamEvent)


def read_sse(path: Path) -> list[ChatCompletionChunk]:
    """The chunks of a raw recorded body: 'data: {json}' events up to 'data: [DONE]'."""
    chunks = []
    for line in path.read_text().splitlines():
        if not line.startswith("data:"):
            continue
        data = line[len("data:") :].strip()
        if data == "[DONE]":
            break
        chunks.append(ChatCompletionChunk.model_validate(json.loads(data)))
    return chunks


def chunk(*choices: dict[str, Any], **fields: Any) -> ChatCompletionChunk:
    body = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 7, "model": "m"}
    return ChatCompletionChunk.model_validate({**body, "choices": list(choices), **fields})


def choice(
    index: int = 0, finish_reason: str | None = None, logprobs: Any = None, **delta: Any
) -> dict[str, Any]:
    return {"index": index, "delta": delta, "finish_reason": finish_reason, "logprobs": logprobs}


def token(text: str) -> dict[str, Any]:
    return {"token": text, "logprob": -0.5, "bytes": list(text.encode()), "top_logprobs": []}


def run(
    chunks: list[ChatCompletionChunk], **options: Any
) -> tuple[ChatCompletionAccumulator, list[list[ChatCompletionStreamEvent]]]:
    accumulator = ChatCompletionAccumulator(**options)
    return accumulator, [accumulator.add(c) for c in chunks]


def types(events: list[list[ChatCompletionStreamEvent]]) -> list[list[str]]:
    return [[e.type for e in per_chunk] for per_chunk in events]


def flat(events: list[list[ChatCompletionStreamEvent]]) -> list[ChatCompletionStreamEvent]:
    return [e for per_chunk in events for e in per_chunk]


USAGE = {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}


# -- the recorded streams ----------------------------------------------------------------------


def test_every_recorded_stream_is_in_the_manifest() -> None:
    assert sorted(p.name for p in STREAMS.glob("*.sse")) == STREAM_NAMES


@pytest.mark.parametrize("name", STREAM_NAMES)
def test_recorded_stream_concludes_what_the_manifest_says(name: str) -> None:
    entry = MANIFEST["streams"][name]
    expect, request = entry["expect"], entry["request"]
    chunks = read_sse(STREAMS / name)
    accumulator, events = run(chunks)
    completion = accumulator.completion()
    choices = completion.choices
    message = choices[0].message
    checked = set()

    assert len(choices) == expect["choices"]
    assert [c.index for c in choices] == list(range(expect["choices"]))
    assert (completion.id, completion.model) == (chunks[0].id, chunks[0].model)
    assert chunks[-1].choices == []  # the usage-only last chunk
    assert completion.usage is not None
    assert completion.usage == chunks[-1].usage
    if "finish_reason" in expect:
        assert {c.finish_reason for c in choices} == {expect["finish_reason"]}
        checked.add("finish_reason")
    if "content" in expect:
        if request.get("response_format") == {"type": "json_object"}:
            # the manifest describes this content rather than quoting it
            assert {"location", "weather", "forecast"} <= set(json.loads(message.content or ""))
        else:
            assert message.content == expect["content"]
        checked.add("content")
    if "content_startswith" in expect:
        assert (message.content or "").startswith(expect["content_startswith"])
        checked.add("content_startswith")
    if "refusal" in expect:
        assert message.refusal == expect["refusal"]
        checked.add("refusal")
    if "refusal_startswith" in expect:
        assert (message.refusal or "").startswith(expect["refusal_startswith"])
        checked.add("refusal_startswith")
    if "tool_calls" in expect:
        checked.add("tool_calls")
        if expect["tool_calls"] is None:
            assert message.tool_calls is None
        else:
            calls = message.tool_calls or []
            assert len(calls) == len(expect["tool_calls"])
            for position, (call, want) in enumerate(zip(calls, expect["tool_calls"], strict=True)):
                assert position == want.get("index", position)
                assert call.type == "function"
                assert call.id.startswith("call_")
                assert call.function.name == want["name"]
                assert call.id == want.get("id", call.id)
                assert call.function.arguments == want.get("arguments", call.function.arguments)
                parsed = json.loads(call.function.arguments)  # complete JSON
                assert parsed == want.get("parsed_arguments", parsed)
    if "logprobs_content_tokens" in expect:
        assert choices[0].logprobs is not None
        tokens = [t.token for t in choices[0].logprobs.content or []]
        assert tokens == expect["logprobs_content_tokens"]
        checked.add("logprobs_content_tokens")
    if "logprobs_refusal_tokens" in expect:
        assert choices[0].logprobs is not None
        assert len(choices[0].logprobs.refusal or []) == expect["logprobs_refusal_tokens"]
        assert "".join(t.token for t in choices[0].logprobs.refusal or []) == message.refusal
        checked.add("logprobs_refusal_tokens")
    if "parsed" in expect:
        checked.add("parsed")
        if expect["parsed"] is None:
            assert message.content is None
            assert message.refusal
        else:
            required = set(MANIFEST["location_schema"]["required"])
            for c in choices:
                assert set(json.loads(c.message.content or "")) == required
    if "parse" in expect:
        assert choices[0].finish_reason == "length"
        with pytest.raises(ValueError):
            json.loads(message.content or "")
        checked.add("parse")
    assert set(expect) - checked <= {"note", "choices"}, "a manifest key no test checks"

    # the done events agree with the final completion, choice by choice
    done = flat(events)
    for c in choices:
        contents = [
            e.content for e in done if isinstance(e, ContentDoneEvent) and e.choice_index == c.index
        ]
        assert contents == ([c.message.content] if c.message.content else [])
        refusals = [
            e.refusal for e in done if isinstance(e, RefusalDoneEvent) and e.choice_index == c.index
        ]
        assert refusals == ([c.message.refusal] if c.message.refusal is not None else [])
        tools = [
            (e.index, e.name, e.arguments)
            for e in done
            if isinstance(e, FunctionToolCallArgumentsDoneEvent) and e.choice_index == c.index
        ]
        want = [
            (i, t.function.name, t.function.arguments)
            for i, t in enumerate(c.message.tool_calls or [])
        ]
        assert tools == want


@pytest.mark.parametrize("name", STREAM_NAMES)
def test_recorded_stream_matches_openai_stream_state(name: str) -> None:
    """Same completion and, chunk by chunk, the same kinds of events as openai 1.106."""
    from openai.lib.streaming.chat import ChatCompletionStreamState
    from openai.types.chat import ChatCompletionChunk as OpenAIChunk

    state = ChatCompletionStreamState()
    chunks = read_sse(STREAMS / name)
    accumulator, events = run(chunks)
    theirs = [
        sorted(e.type for e in state.handle_chunk(OpenAIChunk.model_validate(c.to_dict())))
        for c in chunks
    ]
    assert [sorted(kinds) for kinds in types(events)] == theirs

    expected = state.current_completion_snapshot.model_dump(mode="json", exclude_none=True)
    for c in expected["choices"]:
        c["message"].pop("parsed", None)
        for call in c["message"].get("tool_calls") or []:
            call.pop("index")
            call["function"].pop("parsed_arguments", None)
    assert accumulator.completion().model_dump(mode="json", exclude_none=True) == expected


def test_event_type_literals_mirror_openai() -> None:
    from openai.lib.streaming.chat import _events as events

    theirs = {
        name: cls.model_fields["type"].annotation.__args__[0]
        for name, cls in vars(events).items()
        if name.endswith("Event") and isinstance(cls, type)
    }
    # The reasoning events are workbench's own: openai 1.106 keeps no reasoning text.
    ours = {"ReasoningDeltaEvent": "reasoning.delta", "ReasoningDoneEvent": "reasoning.done"}
    assert not ours.keys() & theirs.keys()
    assert {cls.__name__: cls.type for cls in EVENT_CLASSES} == theirs | ours


# -- scripted streams --------------------------------------------------------------------------


def test_content_events_in_order_with_snapshots_as_of_each_delta() -> None:
    chunks = [
        chunk(choice(role="assistant", content="")),
        chunk(choice(content="Hel")),
        chunk(choice(content="lo")),
        chunk(choice(content=" world")),
        chunk(choice(finish_reason="stop")),
        chunk(usage=USAGE),
    ]
    accumulator = ChatCompletionAccumulator()
    events, seen = [], []
    for c in chunks:
        events.append(accumulator.add(c))
        first = events[-1][0]
        assert isinstance(first, ChunkEvent)
        assert first.chunk is c
        seen.append(first.snapshot.choices[0].message.content if first.snapshot.choices else None)
    assert types(events) == [
        ["chunk", "content.delta"],
        ["chunk", "content.delta"],
        ["chunk", "content.delta"],
        ["chunk", "content.delta"],
        ["chunk", "content.done"],
        ["chunk"],
    ]
    assert seen == ["", "Hel", "Hello", "Hello world", "Hello world", "Hello world"]
    deltas = [e for e in flat(events) if isinstance(e, ContentDeltaEvent)]
    # read after the whole stream, newest first: each still shows the text as at its own event
    assert [e.snapshot for e in reversed(deltas)] == ["Hello world", "Hello", "Hel", ""]
    assert [e.delta for e in deltas] == ["", "Hel", "lo", " world"]
    assert all(e.parsed is None and e.choice_index == 0 for e in deltas)
    assert events[4][1] == ContentDoneEvent(0, "Hello world", None)
    assert isinstance(events[5][0], ChunkEvent)
    assert events[5][0].choice_index is None
    assert repr(deltas[2]) == (
        "ContentDeltaEvent(choice_index=0, delta='lo', snapshot='Hello', parsed=None)"
    )


def test_empty_deltas_and_null_arguments_are_tolerated() -> None:
    call = {"index": 0, "id": "call_1", "type": "function"}
    chunks = [
        chunk(choice(role="assistant", content=None)),
        chunk(choice()),
        chunk(choice(tool_calls=[])),
        chunk(choice(tool_calls=[{**call, "function": {"name": "f", "arguments": None}}])),
        chunk(choice(tool_calls=[{"index": 0}])),
        chunk(choice(tool_calls=[{"index": 0, "function": {}}])),
        chunk(choice(tool_calls=[{"index": 0, "function": {"arguments": '{"a"'}}])),
        chunk(choice(tool_calls=[{"index": 0, "function": {"arguments": None}}])),
        chunk(choice(tool_calls=[{"index": 0, "function": {"arguments": ": 1}"}}])),
        chunk(choice(finish_reason="tool_calls")),
    ]
    accumulator, events = run(chunks)
    message = accumulator.completion().choices[0].message
    assert message.content is None
    assert message.refusal is None
    assert message.tool_calls is not None
    (tool_call,) = message.tool_calls
    assert (tool_call.id, tool_call.function.name) == ("call_1", "f")
    assert tool_call.function.arguments == '{"a": 1}'
    deltas = [e for e in flat(events) if isinstance(e, FunctionToolCallArgumentsDeltaEvent)]
    assert [e.arguments_delta for e in deltas] == ["", "", "", '{"a"', "", ": 1}"]
    assert [e.arguments for e in deltas] == ["", "", "", '{"a"', '{"a"', '{"a": 1}']
    assert flat(events)[-1] == FunctionToolCallArgumentsDoneEvent(0, "f", 0, '{"a": 1}', None)


def test_usage_only_last_chunk() -> None:
    chunks = [chunk(choice(content="Hi", finish_reason="stop")), chunk(usage=USAGE)]
    accumulator = ChatCompletionAccumulator()
    accumulator.add(chunks[0])
    assert accumulator.snapshot.usage is None
    events = accumulator.add(chunks[1])
    assert [e.type for e in events] == ["chunk"]
    completion = accumulator.completion()
    assert completion.usage is not None
    assert completion.usage.total_tokens == 8
    assert completion.choices[0].message.content == "Hi"
    assert completion.choices[0].finish_reason == "stop"
    assert accumulate(chunks) == completion


def test_interleaved_choices_are_kept_apart() -> None:
    chunks = [
        chunk(choice(2, role="assistant", content="")),
        chunk(choice(0, role="assistant", content="")),
        chunk(choice(1, role="assistant", content="")),
        chunk(choice(2, content="c1")),
        chunk(choice(0, content="a1")),
        chunk(choice(1, content="b1")),
        chunk(choice(1, finish_reason="length")),
        chunk(choice(0, content="a2")),
        chunk(choice(2, content="c2")),
        chunk(choice(0, finish_reason="stop")),
        chunk(choice(2, finish_reason="stop")),
        chunk(usage=USAGE),
    ]
    accumulator, events = run(chunks)
    completion = accumulator.completion()
    assert [(c.index, c.message.content, c.finish_reason) for c in completion.choices] == [
        (0, "a1a2", "stop"),
        (1, "b1", "length"),
        (2, "c1c2", "stop"),
    ]
    assert [e.choice_index for e in events[3]] == [2, 2]
    assert [e for e in flat(events) if isinstance(e, ContentDoneEvent)] == [
        ContentDoneEvent(1, "b1"),
        ContentDoneEvent(0, "a1a2"),
        ContentDoneEvent(2, "c1c2"),
    ]
    assert types(events)[6] == ["chunk", "content.done"]
    deltas = [e for e in flat(events) if isinstance(e, ContentDeltaEvent) and e.choice_index == 2]
    assert [e.snapshot for e in deltas] == ["", "c1", "c1c2"]


def test_two_parallel_tool_calls() -> None:
    def call(index: int, **function: Any) -> dict[str, Any]:
        return {"index": index, "function": function}

    chunks = [
        chunk(choice(role="assistant", content="Checking.")),
        chunk(choice(tool_calls=[{**call(0, name="weather", arguments=""), "id": "call_a"}])),
        chunk(choice(tool_calls=[call(0, arguments='{"city":')])),
        chunk(choice(tool_calls=[call(0, arguments=' "Paris"}')])),
        chunk(choice(tool_calls=[{**call(1, name="stock", arguments=""), "id": "call_b"}])),
        chunk(choice(tool_calls=[call(1, arguments='{"ticker": "AAPL"}')])),
        chunk(choice(finish_reason="tool_calls")),
    ]
    accumulator, events = run(chunks)
    summary = [
        (e.type, getattr(e, "index", None), getattr(e, "name", None), getattr(e, "arguments", None))
        for e in flat(events)
        if not isinstance(e, ChunkEvent)
    ]
    args_delta = "tool_calls.function.arguments.delta"
    args_done = "tool_calls.function.arguments.done"
    assert summary == [
        ("content.delta", None, None, None),
        ("content.done", None, None, None),  # the text is over once a tool call starts
        (args_delta, 0, "weather", ""),
        (args_delta, 0, "weather", '{"city":'),
        (args_delta, 0, "weather", '{"city": "Paris"}'),
        (args_done, 0, "weather", '{"city": "Paris"}'),  # before the next call's first delta
        (args_delta, 1, "stock", ""),
        (args_delta, 1, "stock", '{"ticker": "AAPL"}'),
        (args_done, 1, "stock", '{"ticker": "AAPL"}'),
    ]
    message = accumulator.completion().choices[0].message
    assert message.content == "Checking."
    assert [(t.id, t.function.name, t.function.arguments) for t in message.tool_calls or []] == [
        ("call_a", "weather", '{"city": "Paris"}'),
        ("call_b", "stock", '{"ticker": "AAPL"}'),
    ]


def test_content_after_a_tool_call_is_reported_done_at_the_finish() -> None:
    chunks = [
        chunk(choice(tool_calls=[{"index": 0, "id": "c", "function": {"name": "f"}}])),
        chunk(choice(content="Done.")),
        chunk(choice(finish_reason="tool_calls")),
    ]
    _, events = run(chunks)
    assert types(events)[2] == ["chunk", "content.done", "tool_calls.function.arguments.done"]


def test_tool_call_that_never_gets_a_name_or_id_is_tolerated() -> None:
    chunks = [
        chunk(choice(tool_calls=[{"index": 3, "function": {"arguments": "{}"}}])),
        chunk(choice(tool_calls=[{"index": 1, "id": "call_x", "function": {"name": "g"}}])),
        chunk(choice(tool_calls=[{"index": 3, "function": {"arguments": " "}}])),
        chunk(choice(finish_reason="tool_calls")),
    ]
    accumulator, events = run(chunks)
    calls = accumulator.completion().choices[0].message.tool_calls or []
    assert [(t.id, t.function.name, t.function.arguments) for t in calls] == [
        ("call_x", "g", ""),
        ("", "", "{} "),
    ]
    done = [e for e in flat(events) if isinstance(e, FunctionToolCallArgumentsDoneEvent)]
    assert [(e.index, e.arguments) for e in done] == [(3, "{}"), (1, "")]  # each done once


def test_audio_deltas() -> None:
    chunks = [
        chunk(choice(role="assistant", audio={"id": "audio_1", "transcript": "Hel"})),
        chunk(choice(audio={"data": "UklG"})),
        chunk(choice(audio={"data": "RiQ=", "transcript": "lo"})),
        chunk(choice(audio={"expires_at": 1700000000}, finish_reason="stop")),
    ]
    message = accumulate(chunks).choices[0].message
    assert message.audio == ChatCompletionAudio(
        id="audio_1", data="UklGRiQ=", expires_at=1700000000, transcript="Hello"
    )
    assert message.content is None


def test_deprecated_function_call() -> None:
    chunks = [
        chunk(choice(role="assistant", function_call={"name": "lookup", "arguments": ""})),
        chunk(choice(function_call={"arguments": '{"q":'})),
        chunk(choice(function_call={"arguments": None})),
        chunk(choice(function_call={"arguments": ' "x"}'}, finish_reason="function_call")),
    ]
    completion = accumulate(chunks)
    assert completion.choices[0].message.function_call == FunctionCall(
        name="lookup", arguments='{"q": "x"}'
    )
    assert completion.choices[0].finish_reason == "function_call"


def test_refusal_and_logprobs_events() -> None:
    def logprobs(**lists: Any) -> dict[str, Any]:
        return {"content": None, "refusal": None, **lists}

    chunks = [
        chunk(choice(role="assistant", refusal="", logprobs=logprobs(refusal=[]))),
        chunk(choice(refusal="No", logprobs=logprobs(refusal=[token("No")]))),
        chunk(choice(refusal=" way", logprobs=logprobs(refusal=[token(" way")]))),
        chunk(choice(finish_reason="stop")),
        chunk(choice(finish_reason="stop")),  # a server that says it twice
    ]
    accumulator, events = run(chunks)
    assert types(events) == [
        ["chunk", "refusal.delta"],
        ["chunk", "refusal.delta", "logprobs.refusal.delta"],
        ["chunk", "refusal.delta", "logprobs.refusal.delta"],
        ["chunk", "refusal.done", "logprobs.refusal.done"],
        ["chunk"],  # each done once
    ]
    refusals = [e for e in flat(events) if isinstance(e, RefusalDeltaEvent)]
    assert [e.snapshot for e in refusals] == ["", "No", "No way"]
    lp = [e for e in flat(events) if isinstance(e, LogprobsRefusalDeltaEvent)]
    assert [[t.token for t in e.snapshot] for e in lp] == [["No"], ["No", " way"]]
    assert [[t.token for t in e.refusal] for e in lp] == [["No"], [" way"]]
    assert events[3][1] == RefusalDoneEvent(0, "No way")
    done = events[3][2]
    assert isinstance(done, LogprobsRefusalDoneEvent)
    assert [t.token for t in done.refusal] == ["No", " way"]
    choice_ = accumulator.completion().choices[0]
    assert (choice_.message.content, choice_.message.refusal) == (None, "No way")
    assert choice_.logprobs is not None
    assert choice_.logprobs.content is None
    assert [t.token for t in choice_.logprobs.refusal or []] == ["No", " way"]


def test_content_logprobs_events() -> None:
    chunks = [
        chunk(choice(content="", logprobs={"content": []})),
        chunk(choice(content="A", logprobs={"content": [token("A")]})),
        chunk(choice(content="B", logprobs={"content": [token("B")]}, finish_reason="stop")),
    ]
    _, events = run(chunks)
    assert types(events)[-1] == [
        "chunk",
        "content.delta",
        "logprobs.content.delta",
        "content.done",
        "logprobs.content.done",
    ]
    first = events[1][2]
    assert isinstance(first, LogprobsContentDeltaEvent)
    assert [t.token for t in first.snapshot] == ["A"]  # not the later "B"
    done = events[2][4]
    assert isinstance(done, LogprobsContentDoneEvent)
    assert [t.token for t in done.content] == ["A", "B"]


def test_logprobs_done_even_when_no_token_came() -> None:
    chunks = [
        chunk(choice(content="", logprobs={"content": [], "refusal": None})),
        chunk(choice(finish_reason="stop")),
    ]
    accumulator, events = run(chunks)
    assert events[1][1:] == [LogprobsContentDoneEvent(0, [])]
    logprobs = accumulator.completion().choices[0].logprobs
    assert logprobs is not None
    assert (logprobs.content, logprobs.refusal) == ([], None)


def test_unknown_fields_do_not_break_anything() -> None:
    chunks = [
        chunk(
            {**choice(role="assistant", content="", reasoning_content="Let "), "stop_reason": 1},
            obfuscation="xyz",
            provider={"name": "p"},
        ),
        chunk(choice(reasoning_content="me think.", content="4", annotations=[])),
        chunk(choice(content="2", annotations=[{"type": "url_citation", "url_citation": None}])),
        chunk(choice(tool_calls=[{"index": 0, "id": "c", "function": {"name": "f"}, "new": 1}])),
        chunk(choice(finish_reason="tool_calls", logprobs={"content": None, "extra": [1]})),
    ]
    completion = accumulate(chunks)
    message = completion.choices[0].message
    assert message.content == "42"
    assert message.model_extra == {"reasoning_content": "Let me think."}
    assert message.annotations is not None
    assert [a.type for a in message.annotations] == ["url_citation"]
    assert (message.tool_calls or [])[0].function.name == "f"

    # an added field whose shape clashes with the known field of its name is dropped, not raised
    bad = accumulate([chunk(choice(content="ok", annotations=[{"type": 3}]))])
    assert bad.choices[0].message.content == "ok"
    assert bad.choices[0].message.annotations is None


def test_snapshot_is_cached_until_the_next_chunk_and_never_changes_afterwards() -> None:
    accumulator = ChatCompletionAccumulator()
    accumulator.add(chunk(choice(content="a", logprobs={"content": [token("a")]})))
    first = accumulator.snapshot
    assert accumulator.snapshot is first
    accumulator.feed(chunk(choice(content="b", logprobs={"content": [token("b")]})))
    second = accumulator.snapshot
    assert second is not first
    assert first.choices[0].message.content == "a"
    assert first.choices[0].logprobs is not None
    assert len(first.choices[0].logprobs.content or []) == 1
    assert second.choices[0].message.content == "ab"
    assert accumulator.completion() == second
    assert accumulator.completion() is not accumulator.completion()


def test_no_chunks_make_an_empty_completion() -> None:
    completion = ChatCompletionAccumulator().completion()
    assert completion == ChatCompletion(id="", choices=[], object="chat.completion")


def test_metadata_comes_from_the_chunks() -> None:
    chunks = [
        chunk(id="", model="", created=0),  # Azure opens with an empty, choice-less chunk
        chunk(choice(content="x"), id="c-9", model="", created=5, service_tier="default"),
        chunk(choice(content="y"), id="c-10", model="gpt", created=6),
        chunk(choice(finish_reason="stop"), id="c-11", system_fingerprint="fp_1"),
    ]
    completion = accumulate(chunks)
    assert (completion.id, completion.model, completion.created) == ("c-9", "gpt", 5)
    assert (completion.service_tier, completion.system_fingerprint) == ("default", "fp_1")


# -- parsing hooks -----------------------------------------------------------------------------


class RecordingHooks:
    """Parses JSON content and arguments; records every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def parse_chat_completion(
        self, *, completion: ChatCompletion, response_format: Any, input_tools: Any
    ) -> ParsedChatCompletion[Any]:
        self.calls.append(("completion", response_format))
        data = completion.model_dump()
        for c in data["choices"]:
            c["message"]["parsed"] = json.loads(c["message"]["content"] or "null")
        return ParsedChatCompletion[Any].model_validate(data)

    def parse_partial_content(self, text: str, response_format: Any) -> object | None:
        self.calls.append(("partial", text))
        return {"partial": text}

    def parse_tool_arguments(
        self, *, name: str, arguments: str, input_tools: Any, partial: bool
    ) -> object | None:
        self.calls.append(("tool", (name, arguments, partial)))
        return {"name": name, "arguments": arguments} if partial else json.loads(arguments)


class ExplodingHooks(RecordingHooks):
    def __getattribute__(self, name: str) -> Any:
        if name.startswith("parse"):
            raise AssertionError(f"{name} called without a response_format or tools")
        return super().__getattribute__(name)


def test_parsed_content_is_lazy_on_deltas_and_eager_at_done() -> None:
    hooks = RecordingHooks()
    fmt = {"type": "json_schema"}
    chunks = [
        chunk(choice(content="")),
        chunk(choice(content='{"a":')),
        chunk(choice(content=" 1}")),
        chunk(choice(finish_reason="stop")),
    ]
    accumulator, events = run(chunks, response_format=fmt, parse=hooks)
    assert hooks.calls == [("completion", fmt)]  # only the done event parsed, eagerly
    assert events[3][1] == ContentDoneEvent(0, '{"a": 1}', {"a": 1})
    deltas = [e for e in flat(events) if isinstance(e, ContentDeltaEvent)]
    assert deltas[1].parsed == {"partial": '{"a":'}
    assert deltas[1].parsed == {"partial": '{"a":'}  # computed once
    assert deltas[0].parsed is None  # nothing to parse yet
    assert hooks.calls[1:] == [("partial", '{"a":')]
    assert accumulator.parsed_completion().choices[0].message.parsed == {"a": 1}


def test_tool_arguments_are_parsed_lazily_on_deltas_and_eagerly_at_done() -> None:
    hooks = RecordingHooks()
    tools: list[Any] = [{"type": "function", "function": {"name": "f", "strict": True}}]
    chunks = [
        chunk(choice(tool_calls=[{"index": 0, "id": "c", "function": {"name": "f"}}])),
        chunk(choice(tool_calls=[{"index": 0, "function": {"arguments": '{"x": 2}'}}])),
        chunk(choice(finish_reason="tool_calls")),
    ]
    _, events = run(chunks, input_tools=iter(tools), parse=hooks)
    assert hooks.calls == [("tool", ("f", '{"x": 2}', False))]
    assert events[2][1] == FunctionToolCallArgumentsDoneEvent(0, "f", 0, '{"x": 2}', {"x": 2})
    delta = events[1][1]
    assert isinstance(delta, FunctionToolCallArgumentsDeltaEvent)
    assert delta.parsed_arguments == {"name": "f", "arguments": '{"x": 2}'}
    assert hooks.calls[1:] == [("tool", ("f", '{"x": 2}', True))]


def test_cut_off_output_is_not_parsed_at_done() -> None:
    hooks = RecordingHooks()
    chunks = [chunk(choice(content='{"a":', finish_reason="length"))]
    _, events = run(chunks, response_format={"type": "json_schema"}, parse=hooks)
    assert events[0][2] == ContentDoneEvent(0, '{"a":', None)
    assert hooks.calls == []


def test_cut_off_tool_arguments_are_not_parsed_at_done() -> None:
    hooks = RecordingHooks()
    chunks = [
        chunk(choice(tool_calls=[{"index": 0, "id": "c", "function": {"name": "f"}}])),
        chunk(choice(tool_calls=[{"index": 0, "function": {"arguments": '{"x'}}])),
        chunk(choice(finish_reason="length")),
    ]
    _, events = run(chunks, input_tools=[{"type": "function"}], parse=hooks)
    assert events[2][1] == FunctionToolCallArgumentsDoneEvent(0, "f", 0, '{"x', None)
    assert hooks.calls == []


def test_whitespace_content_is_not_parsed() -> None:
    hooks = RecordingHooks()
    _, events = run([chunk(choice(content="\n "))], response_format={}, parse=hooks)
    assert isinstance(events[0][1], ContentDeltaEvent)
    assert events[0][1].parsed is None
    assert hooks.calls == []


def test_output_that_does_not_parse_leaves_parsed_empty_and_the_stream_going() -> None:
    function = {"name": "f", "parameters": {"type": "object"}, "strict": True}
    chunks = [
        chunk(choice(content="{not json")),
        chunk(choice(tool_calls=[{"index": 0, "id": "a", "function": {"name": "f"}}])),
        chunk(choice(tool_calls=[{"index": 0, "function": {"arguments": "{oops"}}])),
        chunk(choice(tool_calls=[{"index": 1, "id": "b", "function": {"name": "f"}}])),
        chunk(choice(tool_calls=[{"index": 1, "function": {"arguments": "{}"}}])),
        chunk(choice(finish_reason="tool_calls")),
    ]
    accumulator, events = run(
        chunks,
        response_format={"type": "json_schema"},
        input_tools=[{"type": "function", "function": function}],
    )
    done = [
        e
        for e in flat(events)
        if isinstance(e, (ContentDoneEvent, FunctionToolCallArgumentsDoneEvent))
    ]
    assert done == [
        ContentDoneEvent(0, "{not json", None),
        FunctionToolCallArgumentsDoneEvent(0, "f", 0, "{oops", None),
        FunctionToolCallArgumentsDoneEvent(0, "f", 1, "{}", {}),
    ]
    with pytest.raises(OutputValidationError):
        accumulator.parsed_completion()


def test_no_parsing_without_a_response_format_or_tools() -> None:
    chunks = [
        chunk(choice(content='{"a": 1}')),
        chunk(choice(tool_calls=[{"index": 0, "id": "c", "function": {"name": "f"}}])),
        chunk(choice(tool_calls=[{"index": 0, "function": {"arguments": "{}"}}])),
        chunk(choice(finish_reason="tool_calls")),
    ]
    _, events = run(chunks, parse=ExplodingHooks())
    for event in flat(events):
        assert getattr(event, "parsed", None) is None
        assert getattr(event, "parsed_arguments", None) is None


class Location(pydantic.BaseModel):
    city: str
    temperature: float
    units: Literal["c", "f"]


@pytest.mark.parametrize("name", ["structured-pydantic.sse", "structured-pydantic-n3.sse"])
def test_recorded_structured_stream_with_the_real_parser(name: str) -> None:
    accumulator, events = run(read_sse(STREAMS / name), response_format=Location)
    done = [e for e in flat(events) if isinstance(e, ContentDoneEvent)]
    assert len(done) == MANIFEST["streams"][name]["expect"]["choices"]
    parsed = accumulator.parsed_completion()
    for event in done:
        assert isinstance(event.parsed, Location)
        assert parsed.choices[event.choice_index].message.parsed == event.parsed
        partial = [
            e.parsed
            for e in flat(events)
            if isinstance(e, ContentDeltaEvent) and e.choice_index == event.choice_index
        ]
        assert partial[-1] == event.parsed.model_dump()  # the last partial value is all of it
        assert any(p and p != partial[-1] for p in partial)  # and earlier ones are partial


def test_recorded_cut_off_stream_accumulates_and_fails_only_to_parse() -> None:
    chunks = read_sse(STREAMS / "structured-max-tokens-1.sse")
    accumulator, events = run(chunks, response_format=Location)  # add() does not raise
    assert accumulator.completion().choices[0].finish_reason == "length"
    assert [e.parsed for e in flat(events) if isinstance(e, ContentDoneEvent)] == [None]
    with pytest.raises(LengthFinishReasonError):
        accumulator.parsed_completion()


def test_recorded_strict_tool_stream_with_the_real_parser() -> None:
    parameters = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "state": {"type": "string"}},
        "required": ["city", "state"],
        "additionalProperties": False,
    }
    function = {"name": "get_weather", "parameters": parameters, "strict": True}
    tools: list[Any] = [{"type": "function", "function": function}]
    chunks = read_sse(STREAMS / "strict-tool.sse")
    accumulator, events = run(chunks, input_tools=tools)
    (done,) = [e for e in flat(events) if isinstance(e, FunctionToolCallArgumentsDoneEvent)]
    assert done.parsed_arguments == {"city": "San Francisco", "state": "CA"}
    deltas = [e for e in flat(events) if isinstance(e, FunctionToolCallArgumentsDeltaEvent)]
    assert deltas[-1].parsed_arguments == done.parsed_arguments
    assert deltas[0].parsed_arguments is None  # no arguments yet
    for event in deltas[1:]:  # partial JSON from the first fragment on
        assert isinstance(event.parsed_arguments, dict)
        assert set(event.parsed_arguments) <= {"city", "state"}
    calls = accumulator.parsed_completion().choices[0].message.tool_calls or []
    assert calls[0].function.parsed_arguments == done.parsed_arguments


# -- split points ------------------------------------------------------------------------------


@st.composite
def split_text(draw: st.DrawFn) -> tuple[str, list[str]]:
    text = draw(st.text(max_size=60))
    cuts = sorted(draw(st.lists(st.integers(0, len(text)), max_size=12)))
    bounds = [0, *cuts, len(text)]
    return text, [text[a:b] for a, b in itertools.pairwise(bounds)]


@given(split_text(), split_text())
def test_the_completion_does_not_depend_on_where_the_stream_was_split(
    content: tuple[str, list[str]], arguments: tuple[str, list[str]]
) -> None:
    text, pieces = content
    args, arg_pieces = arguments
    whole = [
        chunk(choice(content=text)),
        chunk(choice(tool_calls=[{"index": 0, "id": "c", "function": {"name": "f"}}])),
        chunk(choice(tool_calls=[{"index": 0, "function": {"arguments": args}}])),
        chunk(choice(finish_reason="tool_calls")),
    ]
    split = [
        *(chunk(choice(content=piece)) for piece in pieces),
        chunk(choice(tool_calls=[{"index": 0, "id": "c", "function": {"name": "f"}}])),
        *(
            chunk(choice(tool_calls=[{"index": 0, "function": {"arguments": a}}]))
            for a in arg_pieces
        ),
        chunk(choice(finish_reason="tool_calls")),
    ]
    expected = accumulate(whole)
    accumulator, events = run(split)
    assert accumulator.completion() == expected
    assert expected.choices[0].message.content == text
    deltas = [e for e in flat(events) if isinstance(e, ContentDeltaEvent)]
    assert [e.snapshot for e in deltas] == ["".join(pieces[: i + 1]) for i in range(len(pieces))]
    contents = [e.content for e in flat(events) if isinstance(e, ContentDoneEvent)]
    assert contents == ([text] if text else [])
    tools = [e for e in flat(events) if isinstance(e, FunctionToolCallArgumentsDoneEvent)]
    assert [(e.name, e.arguments) for e in tools] == [("f", args)]
