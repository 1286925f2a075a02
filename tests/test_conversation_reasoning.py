"""A conversation keeps a reply's reasoning: in the message, in its events, through failures and
in the log; and never sends it back to the model."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

import workbench
import workbench.conversation._log_writer as conversation_module
from tests._mock import Recorder, chunk_json, completion_json, sse_body, sse_response
from tests.test_conversation_failures import SlowStream, cancel_when, chat, usage_chunk
from tests.test_log_checkpoint import NOTE, _logged
from workbench.conversation import Conversation
from workbench.conversation._turn_events import ContentDelta, ReasoningDelta, TurnEvent
from workbench.local import LocalModel

MODEL = "workbench-local-reasoning"


def local(**kwargs: Any) -> Conversation:
    kwargs.setdefault("client", workbench.Client(local=LocalModel()))
    kwargs.setdefault("log", False)
    return Conversation(MODEL, **kwargs)


def thinking(field: str, thoughts: list[str], answer: list[str], **last: Any) -> list[Any]:
    """DeepSeek-shaped chunks (``field`` may be ``reasoning``, as vLLM and Ollama send it)."""
    opening = chunk_json({"role": "assistant", "content": None, field: ""})
    middle = [chunk_json({"content": None, field: t}) for t in thoughts]
    words = [chunk_json({"content": w, field: None}) for w in answer]
    return [opening, *middle, *words, chunk_json({}, finish_reason="stop"), usage_chunk()]


def streamed(field: str, thoughts: list[str], answer: list[str]) -> httpx.Response:
    events = thinking(field, thoughts, answer)
    return sse_response([sse_body(e, done=False) for e in events] + [b"data: [DONE]\n\n"])


def requested_messages(recorder: Recorder, call: int) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = json.loads(recorder.requests[call].content)["messages"]
    return messages


# -- a reply keeps its reasoning ------------------------------------------------------------------


@pytest.mark.parametrize("stream", [True, False])
def test_the_reply_keeps_its_reasoning_and_the_events_stream_it_first(stream: bool) -> None:
    c = local()
    events: list[TurnEvent] = []
    c.subscribe(events.append)
    c.params.seed = 2  # the same request twice: the same reply only with a fixed seed
    reply = c.send("What is the weather in Paris today?", stream=stream)
    whole = c.client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "What is the weather in Paris today?"}],
        seed=2,
    )
    assert reply.reasoning == whole.choices[0].message.reasoning
    assert reply.reasoning and reply.reasoning.startswith("The user says")
    assert reply.text == whole.choices[0].message.content, "the text is the answer alone"
    assert reply.status == "complete" and reply.usage is not None
    thoughts = [e for e in events if isinstance(e, ReasoningDelta)]
    if stream:
        assert "".join(e.delta for e in thoughts) == reply.reasoning
        kinds = [e.type for e in events]
        assert kinds.index("content.delta") > max(
            i for i, k in enumerate(kinds) if k == "reasoning.delta"
        )
        assert reply.latency is not None and reply.latency.first_token is not None
    else:
        assert thoughts == []


def test_every_choice_keeps_its_own_reasoning() -> None:
    c = local(n=2)
    reply = c.send("Tell me about the sea", seed=3)
    first, second = c.branches(1)
    assert first is reply and first.reasoning and second.reasoning


def test_a_tool_round_keeps_the_reasoning_of_both_replies() -> None:
    def get_weather(city: str) -> str:
        """Get the current weather for a city.

        Args:
            city: the city's name.
        """
        return f"sunny in {city}"

    c = local(tools=[get_weather])
    c.send("What is the weather in Paris?")
    calling, tool, answering = c.messages[1:]
    assert calling.tool_calls and calling.reasoning and "get_weather" in calling.reasoning
    assert tool.role == "tool" and tool.reasoning is None
    assert answering.reasoning and "get_weather answered" in answering.reasoning


# -- never sent back ------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
@pytest.mark.parametrize("stream", [True, False])
def test_the_reasoning_is_not_sent_back(field: str, stream: bool) -> None:
    whole = completion_json("Paris.")
    whole["choices"][0]["message"][field] = "The capital of France."
    answer = streamed(field, ["The capital", " of France."], ["Paris."])
    recorder = Recorder(answer if stream else httpx.Response(200, json=whole))
    c = chat(recorder)
    reply = c.send("Capital of France?", stream=stream)
    assert reply.reasoning == "The capital of France." and reply.text == "Paris."
    c.send("And of Italy?", stream=stream)
    history = requested_messages(recorder, 1)
    assert history[1] == {"role": "assistant", "content": "Paris."}
    assert "The capital" not in recorder.requests[1].content.decode()
    assert c.to_messages()[1] == {"role": "assistant", "content": "Paris."}


def test_the_reasoning_of_a_tool_call_is_not_sent_back_within_the_turn() -> None:
    call = {"index": 0, "id": "call_0", "type": "function"}
    call["function"] = {"name": "get_time", "arguments": "{}"}
    first = [
        chunk_json({"role": "assistant", "content": None, "reasoning_content": "Need the time."}),
        chunk_json({"tool_calls": [call], "reasoning_content": None}),
        chunk_json({}, finish_reason="tool_calls"),
    ]
    recorder = Recorder(
        sse_response(sse_body(*first)),
        streamed("reasoning_content", ["It is noon."], ["Noon."]),
    )

    def get_time() -> str:
        """The time now."""
        return "12:00"

    c = chat(recorder, tools=[get_time])
    reply = c.send("What time is it?")
    assert reply.text == "Noon." and reply.reasoning == "It is noon."
    assert c.messages[1].reasoning == "Need the time."
    sent = requested_messages(recorder, 1)[1]
    assert sent.keys() == {"role", "content", "tool_calls"}


# -- failures keep the partial reasoning ----------------------------------------------------------


def test_an_interrupt_while_thinking_keeps_the_partial_reasoning() -> None:
    recorder = Recorder(streamed("reasoning", ["one", " two", " three", " four"], ["Done."]))
    c = chat(recorder)
    seen: list[str] = []

    def observer(event: TurnEvent) -> None:
        if isinstance(event, ReasoningDelta):
            seen.append(event.delta)
            if len(seen) == 2:
                raise KeyboardInterrupt

    c.subscribe(observer)
    with pytest.raises(KeyboardInterrupt):
        c.send("count")
    partial = c.messages[-1]
    assert partial.reasoning == "one two" and partial.content is None
    assert partial.status == "incomplete" and partial.error == "interrupted"


def test_stop_after_the_reasoning_keeps_it_beside_the_partial_answer() -> None:
    recorder = Recorder(streamed("reasoning_content", ["Hm", "m."], ["Half", " of", " it"]))
    c = chat(recorder)

    def observer(event: TurnEvent) -> None:
        if isinstance(event, ContentDelta) and event.delta == " of":
            c.stop()

    c.subscribe(observer)
    reply = c.send("go")
    assert reply.status == "incomplete" and reply.error == "stopped by the user"
    assert (reply.reasoning, reply.content) == ("Hmm.", "Half of")


async def test_cancelling_asend_while_thinking_keeps_the_partial_reasoning() -> None:
    thoughts = [f"t{i} " for i in range(400)]
    events = thinking("reasoning_content", thoughts, ["Never."])
    slow = SlowStream([sse_body(e, done=False) for e in events])
    answers = iter(
        [httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=slow)]
    )
    c = chat(Recorder(lambda request: next(answers)), "async")
    three = asyncio.Event()
    c.subscribe(
        lambda e: three.set() if isinstance(e, ReasoningDelta) and "t2" in e.delta else None
    )
    await cancel_when(c, "think long", three)
    partial = c.messages[-1]
    assert partial.status == "incomplete" and partial.error == "interrupted"
    assert partial.reasoning and partial.reasoning.startswith("t0 t1 t2 ")
    assert partial.content is None and len(partial.reasoning.split()) < len(thoughts)


def test_an_error_mid_stream_keeps_the_reasoning_so_far() -> None:
    error = {"error": {"message": "The server had an error while processing your request."}}
    events = thinking("reasoning", ["Let me", " see"], [])[:3]
    c = chat(Recorder(sse_response(sse_body(*events, error, done=False))))
    with pytest.raises(workbench.APIError, match="server had an error"):
        c.send("hello")
    partial = c.messages[-1]
    assert partial.status == "incomplete", "reasoning arrived: not an error without text"
    assert partial.reasoning == "Let me see" and partial.content is None


@pytest.mark.parametrize("stream", [False, True])
def test_a_cut_off_structured_reply_keeps_its_reasoning(stream: bool) -> None:
    from tests.test_conversation_failures import Location

    data = completion_json('{"city": "Par')
    data["choices"][0]["finish_reason"] = "length"
    data["choices"][0]["message"]["reasoning_content"] = "JSON, then."
    if stream:
        chunks = [
            chunk_json({"role": "assistant", "content": None, "reasoning_content": "JSON, then."}),
            chunk_json({"content": '{"city": "Par'}),
            chunk_json({}, finish_reason="length"),
        ]
        answer = sse_response(sse_body(*chunks))
    else:
        answer = httpx.Response(200, json=data)
    c = chat(Recorder(answer), response_format=Location)
    with pytest.raises(workbench.LengthFinishReasonError):
        c.send("Where?", stream=stream)
    partial = c.messages[-1]
    assert partial.status == "incomplete" and partial.reasoning == "JSON, then."


# -- the log --------------------------------------------------------------------------------------


def test_the_log_stores_and_loads_the_reasoning(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    c = local(log=path)
    reply = c.send("Hello there")
    again = Conversation.load(c.id, log=path, client=workbench.Client(local=LocalModel()))
    loaded = again.messages[-1]
    assert loaded.id == reply.id and loaded.reasoning == reply.reasoning
    assert loaded == reply
    assert again.to_messages()[-1] == {"role": "assistant", "content": reply.content}


def test_the_reasoning_so_far_is_checkpointed_while_it_streams(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(conversation_module, "CHECKPOINT_SECONDS", 0.0)
    path = tmp_path / "log.sqlite3"
    c = local(log=path)
    so_far: list[str] = []
    logged: list[Any] = []

    def look(event: TurnEvent) -> None:
        if isinstance(event, ReasoningDelta):
            so_far.append(event.delta)
            if len(so_far) == 5:
                logged.append(("".join(so_far), _logged(path, c.id).get(event.message_id)))

    c.subscribe(look)
    reply = c.send("Hello there, tell me something")
    ((text, partial),) = logged
    assert partial is not None and partial.reasoning == text and partial.content is None
    assert partial.status == "incomplete" and partial.error == NOTE
    assert _logged(path, c.id)[reply.id].reasoning == reply.reasoning
