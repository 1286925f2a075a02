"""Conversation against scripted servers: what the local model does not do on its own.

Bad tool calls, interrupts and cancellation mid-stream, cut-off and refused structured output,
several choices, API errors, and a canary key that must never show.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any, Literal

import httpx
import pytest
from pydantic import BaseModel

import workbench
from tests._mock import (
    KEY,
    Pieces,
    Recorder,
    chunk_json,
    completion_json,
    make_client,
    sse_body,
    sse_response,
    text_chunks,
)
from workbench.conversation import Conversation
from workbench.conversation._turn_events import TurnEvent

USAGE = {"prompt_tokens": 9, "completion_tokens": 4, "total_tokens": 13}


class Location(BaseModel):
    city: str
    temperature: float
    units: Literal["c", "f"]


def get_weather(city: str, units: Literal["c", "f"] = "c") -> str:
    """Get the current weather for a city.

    Args:
        city: the city's name.
        units: c or f.
    """
    return f"sunny in {city}, 21 {units}"


def tool_calls(*calls: tuple[str, str]) -> httpx.Response:
    """A non-streamed completion that calls ``(name, arguments)`` tools."""
    data = completion_json(None)
    choice = data["choices"][0]
    choice["finish_reason"] = "tool_calls"
    choice["message"]["tool_calls"] = [
        {"id": f"call_{i}", "type": "function", "function": {"name": name, "arguments": args}}
        for i, (name, args) in enumerate(calls)
    ]
    return httpx.Response(200, json=data)


def text(content: str) -> httpx.Response:
    return httpx.Response(200, json=completion_json(content))


def streamed_tool_calls(*calls: tuple[str, str]) -> httpx.Response:
    """The streamed twin of ``tool_calls``: a header chunk, then the arguments, per call."""
    chunks = [chunk_json({"role": "assistant", "content": None})]
    for i, (name, args) in enumerate(calls):
        header = {"index": i, "id": f"call_{i}", "type": "function"}
        header["function"] = {"name": name, "arguments": ""}
        chunks.append(chunk_json({"tool_calls": [header]}))
        chunks.append(chunk_json({"tool_calls": [{"index": i, "function": {"arguments": args}}]}))
    chunks += [chunk_json({}, finish_reason="tool_calls"), usage_chunk()]
    return sse_response(sse_body(*chunks))


def usage_chunk() -> dict[str, Any]:
    return {**chunk_json(), "choices": [], "usage": USAGE}


def streamed(*pieces: str) -> httpx.Response:
    """A streamed text reply of ``pieces`` with a usage chunk, delivered event by event."""
    events = [*text_chunks(*pieces), usage_chunk()]
    return sse_response([sse_body(e, done=False) for e in events] + [b"data: [DONE]\n\n"])


def chat(recorder: Recorder, kind: str = "sync", **kwargs: Any) -> Conversation:
    kwargs.setdefault("model", "gpt-4o-mini")
    return Conversation(client=make_client(kind, recorder, max_retries=0), **kwargs)


def sent_messages(recorder: Recorder, call: int) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = json.loads(recorder.requests[call].content)["messages"]
    return messages


# -- tool calls the model gets wrong ------------------------------------------------------------


def test_an_unknown_tool_becomes_an_error_listing_the_tools_and_the_turn_goes_on() -> None:
    recorder = Recorder(tool_calls(("get_wether", '{"city": "Oslo"}')), text("Sorry, retrying."))
    c = chat(recorder, tools=[get_weather])
    events: list[TurnEvent] = []
    c.subscribe(events.append)
    reply = c.send("weather in Oslo?", stream=False)
    assert [m.role for m in c.messages] == ["user", "assistant", "tool", "assistant"]
    tool = c.messages[2]
    assert tool.error and tool.tool_call_id == "call_0" and tool.name == "get_wether"
    error = json.loads(tool.text)["error"]
    assert "get_wether" in error and "available: get_weather" in error
    assert reply.status == "complete" and reply.text == "Sorry, retrying."
    assert sent_messages(recorder, 1)[-1] == {
        "role": "tool",
        "tool_call_id": "call_0",
        "content": tool.content,
    }, "the model hears the error"
    finished = [e for e in events if e.type == "tool_call.finished"]
    assert len(finished) == 1 and finished[0].error == tool.content


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ('{"city": "Oslo"', "JSON"),
        ('{"town": "Oslo"}', "city"),
        ('{"city": "Oslo", "units": "kelvin"}', "units"),
        ("[1, 2]", "object"),
    ],
    ids=["broken-json", "missing-field", "bad-literal", "not-an-object"],
)
def test_bad_arguments_become_an_error_and_the_model_answers_next_round(
    arguments: str, expected: str, stream: bool
) -> None:
    ran: list[str] = []

    def get_weather(city: str, units: Literal["c", "f"] = "c") -> str:
        """Get the current weather for a city."""
        ran.append(city)
        return "sunny"

    call = ("get_weather", arguments)
    answer = streamed_tool_calls(call) if stream else tool_calls(call)
    recorder = Recorder(
        answer, streamed("Let me fix that.") if stream else text("Let me fix that.")
    )
    c = chat(recorder, tools=[get_weather])
    reply = c.send("weather in Oslo?", stream=stream)
    assert ran == [], "the tool never ran on bad arguments"
    tool = c.messages[2]
    assert tool.role == "tool" and tool.error and expected.lower() in tool.text.lower(), tool.text
    assert reply.text == "Let me fix that." and reply.status == "complete"
    assert sent_messages(recorder, 1)[-1]["content"] == tool.content
    assert recorder.calls == 2


async def test_a_bad_call_next_to_a_good_one_on_the_async_path() -> None:
    async def get_time(city: str) -> str:
        """Get the local time in a city."""
        return "noon"

    recorder = Recorder(
        streamed_tool_calls(("get_time", '{"city": "Oslo"}'), ("get_time", "{oops")),
        streamed("Noon."),
    )
    c = chat(recorder, "async", tools=[get_time])
    reply = await c.asend("time in Oslo?")
    tools = [m for m in c.messages if m.role == "tool"]
    assert tools[0].content == "noon" and tools[0].error is None
    assert tools[1].error and "get_time" in tools[1].text
    assert [t.tool_call_id for t in tools] == ["call_0", "call_1"], "results in call order"
    assert reply.text == "Noon."


# -- interrupted and cancelled turns ------------------------------------------------------------


def test_a_keyboard_interrupt_from_an_observer_keeps_the_partial_and_is_re_raised() -> None:
    recorder = Recorder(streamed("one ", "two ", "three ", "four ", "five"), streamed("Fine."))
    c = chat(recorder)
    seen: list[str] = []
    failed: list[TurnEvent] = []

    def observer(event: TurnEvent) -> None:
        if event.type == "content.delta":
            seen.append(event.delta)
            if len(seen) == 3:
                raise KeyboardInterrupt
        elif event.type == "turn.failed":
            failed.append(event)

    unsubscribe = c.subscribe(observer)
    with pytest.raises(KeyboardInterrupt):
        c.send("count to five")
    partial = c.messages[-1]
    assert partial.role == "assistant" and partial.status == "incomplete"
    assert partial.text == "one two three " and partial.usage is None
    assert partial.error == "interrupted"
    assert len(failed) == 1 and isinstance(failed[0].error, KeyboardInterrupt)  # type: ignore[union-attr]
    unsubscribe()
    reply = c.send("again")
    assert reply.status == "complete" and reply.text == "Fine."
    assert [m["role"] for m in sent_messages(recorder, 1)] == ["user", "user"], (
        "the partial reply is left out of the next request"
    )


class SlowStream(httpx.AsyncByteStream):
    """SSE events that trickle in, so that a task can be cancelled in the middle."""

    def __init__(self, body: list[bytes]) -> None:
        self.body = body
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for event in self.body:
            await asyncio.sleep(0.002)
            yield event

    async def aclose(self) -> None:
        self.closed = True


async def cancel_when(c: Conversation, content: str, ready: asyncio.Event) -> None:
    """Send ``content`` as a task and cancel it once ``ready`` is set; the task ends cancelled."""
    task = asyncio.create_task(c.asend(content))
    await asyncio.wait_for(ready.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_cancelling_asend_mid_stream_keeps_the_partial_and_the_chat_goes_on() -> None:
    pieces = [f"w{i} " for i in range(500)]
    slow = SlowStream([sse_body(e, done=False) for e in text_chunks(*pieces)])
    answers = iter(
        [httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=slow)]
    )

    def handler(request: httpx.Request) -> httpx.Response:
        return next(answers, None) or streamed("Back.")

    recorder = Recorder(handler)
    c = chat(recorder, "async")
    three = asyncio.Event()
    count = 0

    def observer(event: TurnEvent) -> None:
        nonlocal count
        if event.type == "content.delta":
            count += 1
            if count == 3:
                three.set()

    c.subscribe(observer)
    await cancel_when(c, "a long story", three)
    partial = c.messages[-1]
    assert partial.status == "incomplete" and partial.text.startswith("w0 w1 w2 ")
    assert len(partial.text.split()) < len(pieces), "cut short"
    assert slow.closed, "the response was closed"
    reply = await c.asend("go on")
    assert reply.status == "complete" and reply.text == "Back."
    assert [m.role for m in c.messages] == ["user", "assistant", "user", "assistant"]


# -- structured output, refusals and several choices ---------------------------------------------


@pytest.mark.parametrize("stream", [False, True])
def test_a_cut_off_structured_reply_raises_length_and_keeps_the_text(stream: bool) -> None:
    data = completion_json('{"city": "Par')
    data["choices"][0]["finish_reason"] = "length"
    pieces = ['{"city"', ': "Par']
    chunks = [*text_chunks(*pieces)[:-1], chunk_json({}, finish_reason="length"), usage_chunk()]
    answer = sse_response(sse_body(*chunks)) if stream else httpx.Response(200, json=data)
    recorder = Recorder(answer, streamed('{"city": "Paris", "temperature": 20, "units": "c"}'))
    c = chat(recorder, response_format=Location, max_completion_tokens=5)
    with pytest.raises(workbench.LengthFinishReasonError, match="token limit"):
        c.send("weather in Paris?", stream=stream)
    partial = c.messages[-1]
    assert partial.role == "assistant" and partial.status == "incomplete"
    assert partial.error and "token limit" in partial.error and partial.parsed is None
    assert partial.text == '{"city": "Par', "the cut-off text is kept, streamed or not"
    assert partial.usage is not None, "a billed reply keeps its usage"
    assert c.to_messages()[-1]["role"] == "user", "and is not sent again"
    reply = c.send("again", max_completion_tokens=100)
    assert isinstance(reply.parsed, Location) and reply.parsed.city == "Paris"


@pytest.mark.parametrize("stream", [True, False])
def test_a_refusal_with_a_response_format_is_a_complete_refusal(stream: bool) -> None:
    refusal = "I'm sorry, I can't help with that."
    data = completion_json(None)
    data["choices"][0]["message"]["refusal"] = refusal
    chunks = [
        chunk_json({"role": "assistant", "content": None, "refusal": ""}),
        chunk_json({"refusal": "I'm sorry, "}),
        chunk_json({"refusal": "I can't help with that."}),
        chunk_json({}, finish_reason="stop"),
        usage_chunk(),
    ]
    answer = sse_response(sse_body(*chunks)) if stream else httpx.Response(200, json=data)
    c = chat(Recorder(answer), response_format=Location)
    events: list[TurnEvent] = []
    c.subscribe(events.append)
    reply = c.send("do something bad", stream=stream)
    assert reply.status == "complete" and reply.error is None
    assert reply.refusal == refusal and reply.parsed is None and reply.content is None
    assert reply.text == f"[refusal] {refusal}"
    if stream:
        deltas = [e.delta for e in events if e.type == "refusal.delta"]
        assert "".join(deltas) == refusal
    assert events[-1].type == "turn.finished"
    assert c.to_messages()[-1] == {"role": "assistant", "content": None, "refusal": refusal}


@pytest.mark.parametrize("stream", [False, True])
def test_a_second_choice_is_kept_as_a_sibling_branch(stream: bool) -> None:
    data = completion_json("First.")
    data["choices"].append(
        {
            "index": 1,
            "message": {"role": "assistant", "content": "Second.", "refusal": None},
            "logprobs": None,
            "finish_reason": "stop",
        }
    )
    chunks = [
        chunk_json({"role": "assistant", "content": ""}, index=0),
        chunk_json({"role": "assistant", "content": ""}, index=1),
        chunk_json({"content": "First."}, index=0),
        chunk_json({"content": "Second."}, index=1),
        chunk_json({}, finish_reason="stop", index=0),
        chunk_json({}, finish_reason="stop", index=1),
        usage_chunk(),
    ]
    answer = sse_response(sse_body(*chunks)) if stream else httpx.Response(200, json=data)
    c = chat(Recorder(answer), temperature=1.0)
    deltas: list[str] = []
    c.subscribe(lambda e: deltas.append(e.delta) if e.type == "content.delta" else None)
    reply = c.send("two answers please", stream=stream, n=2)
    assert reply.text == "First." and c.messages[-1].id == reply.id
    if stream:
        assert deltas == ["First."], "observers follow the first choice"
    first, second = c.branches(1)
    assert first.id == reply.id and second.text == "Second."
    assert second.status == "complete" and second.parent_id == reply.parent_id
    assert second.params["n"] == 2 and second.finish_reason == "stop"
    c.switch(1, 1)
    assert c.messages[-1].text == "Second."
    assert c.to_messages()[-1]["content"] == "Second."


# -- API errors and the canary key --------------------------------------------------------------

ERROR = {
    "error": {
        "message": "Invalid 'messages[0].content': string too long. Expected at most 10485760.",
        "type": "invalid_request_error",
        "param": "messages[0].content",
        "code": "string_above_max_length",
    }
}


@pytest.mark.parametrize("stream", [True, False])
def test_an_api_error_message_reaches_the_exception_and_the_message(stream: bool) -> None:
    recorder = Recorder(httpx.Response(400, json=ERROR), streamed("OK."))
    c = chat(recorder)
    with pytest.raises(workbench.BadRequestError) as info:
        c.send("x" * 100, stream=stream)
    assert "string too long" in str(info.value)
    failed = c.messages[-1]
    assert failed.status == "error" and failed.content is None
    assert failed.error is not None and "string too long" in failed.error
    assert [m.role for m in c.messages] == ["user", "assistant"]
    assert c.send("short").text == "OK."


def test_an_error_event_mid_stream_keeps_the_partial_and_names_the_server_message() -> None:
    error = {"error": {"message": "The server had an error while processing your request."}}
    body = sse_body(*text_chunks("Half ", "a ")[:-1], error, done=False)
    c = chat(Recorder(sse_response(body)))
    with pytest.raises(workbench.APIError, match="server had an error") as info:
        c.send("hello")
    partial = c.messages[-1]
    assert partial.status == "incomplete" and partial.text == "Half a "
    assert partial.error == str(info.value)


def _reprs(c: Conversation, *more: object) -> Iterator[str]:
    yield repr(c)
    yield str(c.params)
    yield repr(c.client)
    for message in c.history:
        yield repr(message)
        yield message.model_dump_json()
    for obj in more:
        yield repr(obj)
        yield str(obj)


def test_the_canary_key_shows_nowhere() -> None:
    assert KEY.startswith("sk-canary-")
    auth = {"error": {"message": "Incorrect API key provided.", "type": "invalid_request_error"}}
    recorder = Recorder(
        streamed("Hi."),
        httpx.Response(401, json=auth),
        httpx.Response(500, json={"error": {"message": "boom"}}),
        sse_response(Pieces([sse_body(*text_chunks("cut"), done=False), httpx.ReadError("x")])),
    )
    c = chat(recorder, tools=[get_weather])
    c.send("hello")
    raised: list[BaseException] = []
    for _ in range(3):
        try:
            c.send("again", stream=True)
        except workbench.WorkbenchError as exc:
            raised.append(exc)
    assert [type(e).__name__ for e in raised] == [
        "AuthenticationError",
        "InternalServerError",
        "APIConnectionError",
    ]
    assert recorder.last.headers["authorization"] == f"Bearer {KEY}", "the key was sent"
    for error in raised:
        chain = [error, error.__cause__, error.__context__]
        for text_ in _reprs(c, *[e for e in chain if e is not None]):
            assert KEY not in text_ and KEY[:12] not in text_, text_
    fork = c.fork()
    assert all(KEY not in s for s in _reprs(fork))


def test_stream_false_and_stream_true_send_the_same_request() -> None:
    recorder = Recorder(text("a"), streamed("b"))
    c = chat(recorder, temperature=0.5, seed=1)
    c.send("one", stream=False)
    c.send("two")
    plain, streamed_body = (json.loads(r.content) for r in recorder.requests)
    assert streamed_body.pop("stream") is True
    assert streamed_body.pop("stream_options") == {"include_usage": True}
    assert {k: v for k, v in plain.items() if k != "messages"} == {
        k: v for k, v in streamed_body.items() if k != "messages"
    }
    assert streamed_body["messages"][:2] == plain["messages"] + [
        {"role": "assistant", "content": "a"}
    ]


@pytest.mark.parametrize("stream", [False, True])
def test_structured_output_that_does_not_fit_keeps_the_text(stream: bool) -> None:
    wrong = '{"city": "Paris", "temperature": "warm", "units": "c"}'
    answer = streamed(wrong) if stream else text(wrong)
    c = chat(Recorder(answer), response_format=Location)
    with pytest.raises(workbench.OutputValidationError, match="temperature"):
        c.send("weather in Paris?", stream=stream)
    partial = c.messages[-1]
    assert partial.status == "incomplete" and partial.text == wrong and partial.parsed is None
    assert partial.usage is not None and partial.error and "temperature" in partial.error
