"""Conversation(api="responses") fed the recorded Responses streams of
tests/fixtures/recorded-responses-streams (real OpenAI streams, see the fixtures' README): each
makes the reply its final Response says, as the client accumulates it from the same bytes."""

from __future__ import annotations

import httpx
import pytest

import workbench
from tests._responses import sse, stream_names, stream_response
from tests._responses_fake import KEY


def recorded(*names: str) -> workbench.Client:
    """A client whose server answers each request with the next recorded stream."""
    recordings = iter(names)

    def handler(request: httpx.Request) -> httpx.Response:
        return stream_response(sse(next(recordings)))

    http = httpx.Client(transport=httpx.MockTransport(handler))
    return workbench.Client(api_key=KEY, http_client=http)


def test_a_recorded_stream_feeds_the_same_message() -> None:
    client = recorded("reasoning-summary.sse", "reasoning-summary.sse")
    chat = workbench.Conversation(model="o3-mini", client=client, api="responses", log=False)
    deltas: list[str] = []
    chat.subscribe(lambda e: deltas.append(e.delta) if e.type == "content.delta" else None)
    reply = chat.send("Where?")
    final = client.responses.stream(model="o3-mini", input="Where?")
    with final as stream:
        response = stream.get_final_response()
    assert reply.text == response.output_text == "".join(deltas)
    summary = [p.text for item in response.output if item.type == "reasoning"
               for p in item.summary]  # fmt: skip
    assert summary and reply.reasoning == "\n\n".join(summary)
    assert reply.reasoning_items and reply.reasoning_items[0]["encrypted_content"]
    assert reply.usage.total_tokens == response.usage.total_tokens  # type: ignore[union-attr]


def test_a_recorded_function_call_stream_makes_tool_calls() -> None:
    client = recorded("function-call.sse", "text.sse")
    chat = workbench.Conversation(model="gpt-4o", client=client, api="responses", log=False)
    chat.tools.clear()
    reply = chat.send("Weather?")  # no tool registered: the model hears an unknown tool
    call = chat[1]
    assert call.finish_reason == "tool_calls" and call.tool_calls
    assert call.tool_calls[0]["id"].startswith("call_")
    assert chat[2].role == "tool" and "unknown tool" in str(chat[2].content)
    assert reply is chat[-1]


@pytest.mark.parametrize("name", stream_names())
def test_every_recorded_stream_makes_the_reply_its_final_response_says(name: str) -> None:
    client = recorded(name, *(["text.sse"] * 3))  # after a tool round: a text reply
    chat = workbench.Conversation(model="gpt-5", client=client, api="responses", log=False)
    texts: list[str] = []
    chat.subscribe(lambda e: texts.append(e.delta) if e.type == "content.delta" else None)
    chat.send("Hi")
    reply = chat[1]
    with recorded(name).responses.stream(model="gpt-5", input="Hi") as stream:
        final = stream.get_final_response()
    calls = [item for item in final.output if item.type == "function_call"]
    summary = [p.text for item in final.output if item.type == "reasoning" for p in item.summary]
    assert reply.api == "responses"
    assert (reply.content or "") == final.output_text == "".join(texts)[: len(final.output_text)]
    assert [c["id"] for c in reply.tool_calls or ()] == [c.call_id for c in calls]
    assert reply.reasoning == ("\n\n".join(summary) or None)
    if final.status == "completed":
        assert reply.finish_reason == ("tool_calls" if calls else "stop")
        assert reply.status == "complete"
    else:  # a background response recorded while queued: ended without saying why
        assert reply.finish_reason is None and reply.status == "incomplete"
    if final.usage is not None:
        assert reply.usage is not None and reply.usage.total_tokens == final.usage.total_tokens
