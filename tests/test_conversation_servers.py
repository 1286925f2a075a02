"""Conversations and grids against servers that behave unlike OpenAI (issue 15): a reply that
ends without a ``finish_reason``, and a ``tool_choice`` that forces a call."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx
import pytest

import workbench
import workbench.widgets
from tests._mock import (
    KEY,
    Recorder,
    chunk_json,
    completion_json,
    make_client,
    sse_body,
    sse_response,
)
from workbench.conversation import Conversation
from workbench.local import LocalModel, LocalResponse


def interrupted_stream(*pieces: str) -> bytes:
    """What llama-cpp-python's server sends when another request interrupts a reply: the text
    so far, then ``[DONE]``, and no chunk with a ``finish_reason``."""
    chunks = [chunk_json({"role": "assistant", "content": ""})]
    chunks += [chunk_json({"content": piece}) for piece in pieces]
    return sse_body(*chunks)


def over(handler: Recorder, **kwargs: Any) -> Conversation:
    """A conversation with a Chat Completions server that is not OpenAI's own API."""
    client = make_client("sync", handler)
    return Conversation(client=client, model="gpt-4o-mini", log=False, **kwargs)


@pytest.mark.parametrize("stream", [True, False])
def test_a_reply_without_a_finish_reason_is_kept_and_marked_incomplete(stream: bool) -> None:
    cut = completion_json("Half a")
    cut["choices"][0]["finish_reason"] = None
    if stream:
        whole = sse_body(chunk_json({"content": "Whole."}, finish_reason="stop"))
        handler = Recorder(sse_response(interrupted_stream("Half", " a")), sse_response(whole))
    else:
        handler = Recorder(
            httpx.Response(200, json=cut), httpx.Response(200, json=completion_json("Whole."))
        )
    chat = over(handler)
    reply = chat.send("Tell me a story", stream=stream)
    assert reply.status == "incomplete" and reply.text == "Half a"
    assert reply.finish_reason is None and "finish_reason" in (reply.error or "")
    assert chat.to_dataframe()["status"].tolist() == ["complete", "incomplete"]
    again = chat.send("Go on", stream=stream)  # the conversation goes on
    assert again.status == "complete" and again.text == "Whole."


def test_tool_calls_of_a_reply_without_a_finish_reason_are_not_run() -> None:
    call = {"index": 0, "id": "call_1", "type": "function"}
    call["function"] = {"name": "add", "arguments": '{"a": 1'}
    body = sse_body(chunk_json({"role": "assistant", "tool_calls": [call]}))
    ran: list[Any] = []

    def add(a: int, b: int) -> int:
        """Add two numbers."""
        ran.append((a, b))
        return a + b

    chat = over(Recorder(sse_response(body)), tools=[add])
    reply = chat.send("1 + 2?")
    assert reply.status == "incomplete" and ran == [] and len(chat.messages) == 2


def test_a_grid_marks_a_cell_without_a_finish_reason_incomplete_with_the_reason() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        prompt = json.loads(request.content)["messages"][-1]["content"]
        if prompt == "cut":
            return sse_response(interrupted_stream("Par", "tial"))
        return sse_response(sse_body(chunk_json({"content": "Fine."}, finish_reason="stop")))

    client = workbench.Client(
        api_key=KEY, http_client=httpx.Client(transport=httpx.MockTransport(Recorder(answer)))
    )
    grid = workbench.Grid(["cut", "whole"], models=["m"], client=client, concurrency=2, apis="chat")
    result = grid.run(display=False)
    cut, whole = grid.cells
    assert (cut.status, cut.output) == ("incomplete", "Partial")
    assert "finish_reason" in (cut.error or "")
    assert (whole.status, whole.output) == ("done", "Fine.")
    assert result.counts == {"done": 1, "incomplete": 1}
    frame = result.to_dataframe()
    assert frame["status"].tolist() == ["incomplete", "done"]
    assert "finish_reason" in str(frame.loc[0, "error"])
    assert workbench.widgets.grid_text(grid).endswith("2 cells: 1 done, 1 incomplete")
    grid.run(display=False)  # a run sends again what is not done
    assert grid.cells[0].status == "incomplete" and grid.cells[1] is whole


class RecordingModel(LocalModel):
    """The local model, keeping the body of every chat request it answers."""

    def __init__(self) -> None:
        super().__init__()
        self.bodies: list[dict[str, Any]] = []

    def handle(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        body: bytes,
    ) -> LocalResponse:
        if path == "/chat/completions":
            self.bodies.append(json.loads(body))
        return super().handle(method, path, query, headers, body)


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize(
    "choice", ["required", {"type": "function", "function": {"name": "get_time"}}]
)
async def test_a_forced_tool_choice_applies_to_the_first_round_only(kind: str, choice: Any) -> None:
    calls: list[str] = []

    def get_time(city: str) -> str:
        """The time in a city.

        Args:
            city: the city.
        """
        calls.append(city)
        return "12:00"

    model = RecordingModel()
    client = (workbench.Client if kind == "sync" else workbench.AsyncClient)(local=model)
    chat = Conversation(client=client, tools=[get_time], log=False)
    question = "What time is it in Oslo?"
    if kind == "sync":
        reply = chat.send(question, tool_choice=choice)
    else:
        reply = await chat.asend(question, tool_choice=choice)
    assert calls == ["Oslo"], "the tool ran once, not until the round limit"
    assert reply.status == "complete" and not reply.tool_calls
    first, second = model.bodies
    assert first["tool_choice"] == choice and "tool_choice" not in second
    assert second["tools"] == first["tools"], "the tools stay offered"
    again = chat.send("And in Rome?") if kind == "sync" else await chat.asend("And in Rome?")
    assert again.status == "complete" and "tool_choice" not in model.bodies[2]


def test_max_tokens_and_extra_body_are_conversation_and_grid_parameters() -> None:
    handler = Recorder(validate=False)  # top_k is not in the API's schema: that is the point
    chat = over(handler, max_tokens=3, extra_body={"top_k": 5, "repeat_penalty": 1.1})
    chat.send("Count to ten", stream=False)
    body = json.loads(handler.last.content)
    assert body["max_tokens"] == 3 and body["top_k"] == 5 and body["repeat_penalty"] == 1.1
    assert "extra_body" not in body
    chat.send("Again", stream=False, max_tokens=None, extra_body={"top_k": 1})
    body = json.loads(handler.last.content)
    assert "max_tokens" not in body and body["top_k"] == 1 and "repeat_penalty" not in body
    assert chat.params.max_tokens == 3, "a turn's override is not kept"
    with pytest.raises(workbench.InvalidParameterError, match="extra_body"):
        chat.params.extra_body = ["top_k", 5]  # type: ignore[assignment]
    with pytest.raises(workbench.InvalidParameterError, match=r"max_tokens.*>= 1"):
        chat.params.max_tokens = 0
    grid = workbench.Grid(
        ["Count to ten"],
        models=["workbench-local"],
        params={"max_tokens": [2, 40], "extra_body": [{"top_k": 3}]},
        client=workbench.Client(local=LocalModel()),
    )
    result = grid.run(display=False)
    short, long = (cell.usage.completion_tokens for cell in grid.cells)
    assert short == 2 and long > 2, "the local model honours max_tokens as servers do"
    assert list(result.to_dataframe()["max_tokens"]) == [2, 40]


def test_a_reply_without_usage_gets_an_estimate_marked_as_such() -> None:
    """llama-cpp-python's server sends no usage when streaming, even when asked."""
    text = "Tide pools hold anemones, crabs and snails."
    chunks = [chunk_json({"role": "assistant", "content": ""}), chunk_json({"content": text})]
    body = sse_body(*chunks, chunk_json({}, finish_reason="stop"))
    chat = over(Recorder(sse_response(body), sse_response(body)), system="Be brief.")
    reply = chat.send("Tell me about tide pools")
    assert reply.usage_source == "estimate" and reply.usage is not None
    assert reply.usage.completion_tokens == -(-len(text) // 4)  # about four characters a token
    assert 10 <= reply.usage.prompt_tokens <= 30
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens
    frame = chat.to_dataframe()
    assert frame["usage_source"].tolist()[-1] == "estimate"
    assert frame["completion_tokens"].tolist()[-1] == reply.usage.completion_tokens
    footer = chat.widget().usage_text
    assert "last reply: ~" in footer and "the server sent no count" in footer
    assert "estimated: the server sent no count" in workbench.widgets.transcript_text(chat)
    back = Conversation.from_dataframe(frame, log=False)
    assert back.messages[-1].usage_source == "estimate", "the column reads back"


def test_a_reply_with_usage_says_it_came_from_the_server() -> None:
    chat = over(Recorder(httpx.Response(200, json=completion_json())))
    reply = chat.send("hi", stream=False)
    assert reply.usage_source == "server" and reply.usage.total_tokens == 7  # type: ignore[union-attr]
    assert "~" not in chat.widget().usage_text
    assert chat.usage_dataframe()["usage_source"].tolist() == ["server"]


@pytest.mark.parametrize("stream", [True, False])
def test_a_cost_a_litellm_proxy_reports_in_its_headers_is_kept(stream: bool) -> None:
    def answer(cost: str) -> httpx.Response:
        headers = {"x-litellm-response-cost": cost, "x-request-id": "req-1"}
        if not stream:
            return httpx.Response(200, json=completion_json(), headers=headers)
        usage = {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}
        chunks = [
            chunk_json({"content": "Hi"}, finish_reason="stop"),
            {**chunk_json(), "usage": usage},
        ]
        chunks[1]["choices"] = []
        return sse_response(sse_body(*chunks), **headers)

    transport = httpx.MockTransport(Recorder(answer("0.00012"), answer("0.0")))
    client = workbench.Client(
        api_key=KEY,
        base_url="http://127.0.0.1:4000/v1",
        http_client=httpx.Client(transport=transport),
    )  # a proxy on this machine: the price table has nothing to say
    chat = Conversation(client=client, model="gpt-4o-mini", log=False)
    priced = chat.send("hi", stream=stream)
    unknown = chat.send("again", stream=stream)  # LiteLLM's 0.0: it knows no price
    assert priced.request_id == "req-1"
    frame = chat.usage_dataframe()
    assert frame["cost_usd"].tolist()[0] == pytest.approx(0.00012)
    assert frame["cost_usd"].isna().tolist() == [False, True]
    assert priced.usage is not None and priced.usage.model_extra == {"cost": 0.00012}
    assert unknown.usage is not None and not unknown.usage.model_extra
