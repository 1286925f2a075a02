"""The local model's ``/v1/responses`` at its core: bodies and every streamed event valid against
the Responses spec, in the documented order; tool rounds, structured output, reasoning
summaries, the token limit, stored responses, errors and faults."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

import workbench
import workbench.__main__ as entry
from tests._responses import WEATHER_FUNCTION, schema_of_type, violations
from workbench.local import LocalModel, LocalResponse, Pacing

WEATHER = WEATHER_FUNCTION
QUESTION = "What is the weather in Paris today?"


def call(
    model: LocalModel,
    method: str,
    path: str,
    body: Mapping[str, Any] | None = None,
    query: Mapping[str, str] | None = None,
    **headers: str,
) -> LocalResponse:
    data = json.dumps(body).encode() if body is not None else b""
    return model.handle(method, path, dict(query or {}), headers, data)


def create(local: LocalModel, **body: Any) -> dict[str, Any]:
    """A whole response from the core, checked against the spec."""
    body.setdefault("model", "gpt-4o-mini")
    response = call(local, "POST", "/responses", body)
    assert response.status == 200, response.body
    data: dict[str, Any] = json.loads(response.body)
    assert violations("Response", data) == []
    return data


def sse_events(response: LocalResponse) -> list[dict[str, Any]]:
    """The events of a streamed response, each framed as ``event: T`` + ``data: {...}``."""
    assert response.events is not None, response.body
    assert dict(response.headers)["content-type"] == "text/event-stream"
    out = []
    for raw in response.events:
        head, _, data = raw.rstrip(b"\n").partition(b"\ndata: ")
        event = json.loads(data)
        assert head == b"event: " + event["type"].encode()
        out.append(event)
    return out


def stream(local: LocalModel, **body: Any) -> list[dict[str, Any]]:
    """Every event of a streamed response, each valid, numbered in order."""
    body.setdefault("model", "gpt-4o-mini")
    events = sse_events(call(local, "POST", "/responses", {**body, "stream": True}))
    for event in events:
        assert violations(schema_of_type()[event["type"]], event) == [], event["type"]
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    return events


def kinds(events: list[dict[str, Any]]) -> list[str]:
    """The event types with runs of deltas folded to one."""
    out: list[str] = []
    for event in events:
        kind = event["type"].removeprefix("response.")
        if not (kind.endswith(".delta") and out and out[-1] == kind):
            out.append(kind)
    return out


@pytest.fixture
def model() -> LocalModel:
    return LocalModel()


def test_text_events_in_documented_order(model: LocalModel) -> None:
    events = stream(model, input="Hello there")
    assert kinds(events) == [
        "created",
        "in_progress",
        "output_item.added",
        "content_part.added",
        "output_text.delta",
        "output_text.done",
        "content_part.done",
        "output_item.done",
        "completed",
    ]
    text = "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")
    final = events[-1]["response"]
    assert final["output"][0]["content"][0]["text"] == text
    assert "Hello there"[::-1] not in text and text  # a reply, not an echo of nothing
    assert events[0]["response"]["status"] == "in_progress"
    assert events[0]["response"]["output"] == []


def test_whole_and_streamed_are_the_same_reply(model: LocalModel) -> None:
    whole = create(model, input="Tell me about tides", seed=3)
    streamed = stream(model, input="Tell me about tides", seed=3)[-1]["response"]
    assert whole["output"][0]["content"] == streamed["output"][0]["content"]
    assert whole["usage"] == streamed["usage"]
    usage = whole["usage"]
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"] > 0


def test_chat_and_responses_give_the_same_first_reply(model: LocalModel) -> None:
    chat = call(
        model,
        "POST",
        "/chat/completions",
        {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": QUESTION}]},
    )
    text = json.loads(chat.body)["choices"][0]["message"]["content"]
    response = create(model, input=QUESTION)
    assert response["output"][0]["content"][0]["text"] == text
    again = create(model, input=QUESTION)  # sampled: the next one is another variant
    assert again["output"][0]["content"][0]["text"] != text


def test_tool_round(model: LocalModel) -> None:
    events = stream(model, input=QUESTION, tools=[WEATHER])
    assert kinds(events) == [
        "created",
        "in_progress",
        "output_item.added",
        "function_call_arguments.delta",
        "function_call_arguments.done",
        "output_item.done",
        "completed",
    ]
    first = events[-1]["response"]
    (item,) = first["output"]
    assert item["type"] == "function_call" and item["name"] == "get_weather"
    assert json.loads(item["arguments"])["city"]
    deltas = "".join(e["delta"] for e in events if e["type"].endswith("arguments.delta"))
    assert deltas == item["arguments"]
    result = {"type": "function_call_output", "call_id": item["call_id"], "output": "21 C, sunny"}
    final = create(model, input=[{"role": "user", "content": QUESTION}, item, result])
    (message,) = final["output"]
    assert message["type"] == "message"
    assert "get_weather" in message["content"][0]["text"]


def test_tool_choice_forces_a_named_function(model: LocalModel) -> None:
    other = {**WEATHER, "name": "lookup_stock"}
    forced = {"type": "function", "name": "lookup_stock"}
    response = create(model, input=QUESTION, tools=[WEATHER, other], tool_choice=forced)
    assert [item["name"] for item in response["output"]] == ["lookup_stock"]
    none = create(model, input=QUESTION, tools=[WEATHER], tool_choice="none")
    assert none["output"][0]["type"] == "message"


def test_structured_output(model: LocalModel) -> None:
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
        "required": ["city", "days"],
        "additionalProperties": False,
    }
    text = {"format": {"type": "json_schema", "name": "Plan", "schema": schema, "strict": True}}
    response = create(model, input="Plan three days in Paris", text=text)
    value = json.loads(response["output"][0]["content"][0]["text"])
    assert set(value) == {"city", "days"} and isinstance(value["days"], int)
    assert response["text"]["format"]["name"] == "Plan"
    loose = create(model, input="Say it in JSON", text={"format": {"type": "json_object"}})
    assert json.loads(loose["output"][0]["content"][0]["text"])["you_said"] == "Say it in JSON"


def test_reasoning_summary(model: LocalModel) -> None:
    events = stream(
        model, model="o4-mini", input=QUESTION, reasoning={"effort": "high", "summary": "auto"}
    )
    assert kinds(events)[:8] == [
        "created",
        "in_progress",
        "output_item.added",
        "reasoning_summary_part.added",
        "reasoning_summary_text.delta",
        "reasoning_summary_text.done",
        "reasoning_summary_part.done",
        "reasoning_summary_part.added",  # a long think comes in two parts
    ]
    final = events[-1]["response"]
    reasoning, message = final["output"]
    assert reasoning["type"] == "reasoning" and message["type"] == "message"
    assert "Paris" in reasoning["summary"][0]["text"]
    assert final["usage"]["output_tokens_details"]["reasoning_tokens"] > 0
    quiet = create(model, model="o4-mini", input=QUESTION)  # no summary asked: an empty one
    assert quiet["output"][0] == {**quiet["output"][0], "type": "reasoning", "summary": []}


def test_reasoning_model_summarises_its_own_thoughts(model: LocalModel) -> None:
    body = {"input": QUESTION, "reasoning": {"summary": "auto"}}
    response = create(model, model="workbench-local-reasoning", **body)
    summary = " ".join(part["text"] for part in response["output"][0]["summary"])
    assert summary.startswith('The user says: "What is the weather in Paris today?"')


def test_max_output_tokens_makes_it_incomplete(model: LocalModel) -> None:
    events = stream(model, input="Write a long story about the sea", max_output_tokens=5)
    last = events[-1]
    assert last["type"] == "response.incomplete"
    response = last["response"]
    assert response["status"] == "incomplete"
    assert response["incomplete_details"] == {"reason": "max_output_tokens"}
    assert response["output"][0]["status"] == "incomplete"
    assert response["usage"]["output_tokens"] == 5


def test_refusal(model: LocalModel) -> None:
    events = stream(model, input="please refuse this")
    assert "refusal.delta" in kinds(events) and "refusal.done" in kinds(events)
    part = events[-1]["response"]["output"][0]["content"][0]
    assert part["type"] == "refusal" and "can't help" in part["refusal"]


def test_instructions_and_image_input(model: LocalModel) -> None:
    image = (
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4"
        "DwABBAEAwS2OUAAAAABJRU5ErkJggg=="
    )
    content = [
        {"type": "input_text", "text": "What is in this picture?"},
        {"type": "input_image", "image_url": image, "detail": "low"},
    ]
    plain = create(model, input=[{"role": "user", "content": content[:1]}])
    response = create(model, instructions="Be brief.", input=[{"role": "user", "content": content}])
    assert response["instructions"] == "Be brief."
    assert response["usage"]["input_tokens"] > plain["usage"]["input_tokens"]


def test_previous_response_id_continues_the_conversation(model: LocalModel) -> None:
    first = create(model, input="My name is Ada.", metadata={"topic": "names"})
    second = create(model, input="What is my name?", previous_response_id=first["id"])
    assert second["previous_response_id"] == first["id"]
    assert second["usage"]["input_tokens"] > first["usage"]["input_tokens"] + 5
    alone = create(model, input="What is my name?", seed=1)
    assert alone["usage"]["input_tokens"] < second["usage"]["input_tokens"]
    missing = call(
        model, "POST", "/responses", {"model": "m", "input": "hi", "previous_response_id": "x"}
    )
    assert missing.status == 400
    assert json.loads(missing.body)["error"]["param"] == "previous_response_id"


def test_stored_responses(model: LocalModel) -> None:
    first = create(model, input="Hello", metadata={"k": "v"})
    got = call(model, "GET", f"/responses/{first['id']}")
    assert got.status == 200 and json.loads(got.body) == first
    replay = sse_events(call(model, "GET", f"/responses/{first['id']}", query={"stream": "true"}))
    assert replay[-1]["response"] == first
    later = sse_events(
        call(
            model,
            "GET",
            f"/responses/{first['id']}",
            query={"stream": "true", "starting_after": "3"},
        )
    )
    assert later[0]["sequence_number"] == 4
    unstored = create(model, input="Hello", store=False)
    assert call(model, "GET", f"/responses/{unstored['id']}").status == 404
    deleted = call(model, "DELETE", f"/responses/{first['id']}")
    assert json.loads(deleted.body)["deleted"] is True
    gone = call(model, "GET", f"/responses/{first['id']}")
    assert gone.status == 404
    assert json.loads(gone.body)["error"]["type"] == "invalid_request_error"


def test_input_items_pages(model: LocalModel) -> None:
    items = [{"role": "user", "content": f"message {i}"} for i in range(5)]
    response = create(model, input=items)
    path = f"/responses/{response['id']}/input_items"
    page = json.loads(call(model, "GET", path, query={"limit": "2"}).body)
    assert violations("ResponseItemList", page) == []
    assert [i["content"][0]["text"] for i in page["data"]] == ["message 4", "message 3"]
    assert page["has_more"] is True
    rest = json.loads(call(model, "GET", path, query={"after": page["last_id"]}).body)
    assert [i["content"][0]["text"] for i in rest["data"]] == [
        "message 2",
        "message 1",
        "message 0",
    ]
    assert rest["has_more"] is False
    oldest = json.loads(call(model, "GET", path, query={"order": "asc", "limit": "1"}).body)
    assert oldest["data"][0]["content"] == [{"type": "input_text", "text": "message 0"}]
    assert call(model, "GET", "/responses/resp_nope/input_items").status == 404


def test_cancel_answers_as_openai_for_a_response_not_in_the_background(model: LocalModel) -> None:
    response = create(model, input="Hello")
    cancel = call(model, "POST", f"/responses/{response['id']}/cancel")
    assert cancel.status == 400
    assert "background=true" in json.loads(cancel.body)["error"]["message"]
    assert call(model, "POST", "/responses/resp_nope/cancel").status == 404
    background = call(
        model, "POST", "/responses", {"model": "m", "input": "hi", "background": True}
    )
    assert json.loads(background.body)["error"]["param"] == "background"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"input": "hi"}, "model"),
        ({"model": "m"}, "input"),
        ({"model": "m", "input": "hi", "temperature": 5}, "temperature"),
        ({"model": "m", "input": "hi", "max_output_tokens": 0}, "max_output_tokens"),
        ({"model": "m", "input": "hi", "tools": [{"type": "web_search"}]}, "tools[0].type"),
        ({"model": "m", "input": "hi", "tool_choice": "required"}, "tool_choice"),
        (
            {
                "model": "m",
                "input": "hi",
                "tools": [{**WEATHER, "strict": False, "parameters": {"type": "nope"}}],
            },
            "tools[0].parameters",
        ),
        ({"model": "m", "input": [{"type": "web_search_call", "id": "x"}]}, "input[0].type"),
        ({"model": "m", "input": [{"type": "item_reference", "id": "x"}]}, "input[0].id"),
        ({"model": "m", "input": "hi", "reasoning": {"effort": "huge"}}, "reasoning.effort"),
        (
            {
                "model": "m",
                "input": "hi",
                "text": {
                    "format": {"type": "json_schema", "name": "X", "schema": {"type": "nope"}}
                },
            },
            "text.format.schema",
        ),
    ],
)
def test_bad_parameters_are_400s_naming_them(
    model: LocalModel, body: dict[str, Any], param: str
) -> None:
    response = call(model, "POST", "/responses", body)
    assert response.status == 400, response.body
    error = json.loads(response.body)["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param, error


def test_faults_apply_as_to_chat(model: LocalModel) -> None:
    limited = call(
        model,
        "POST",
        "/responses",
        {"model": "m", "input": "hi"},
        **{"x-workbench-fault": "429;retry-after=1"},
    )
    assert limited.status == 429 and ("retry-after", "1") in limited.headers
    cut = call(
        model,
        "POST",
        "/responses",
        {"model": "m", "input": "hi", "stream": True},
        **{"x-workbench-fault": "cut;after=4"},
    )
    assert cut.events is not None
    sent = []
    with pytest.raises(ConnectionResetError):
        for event in cut.events:
            sent.append(event)
    assert len(sent) == 4


def test_pacing_applies_to_responses() -> None:
    paced = LocalModel(pacing=Pacing(first_token=0.5, tokens_per_second=20))
    response = call(paced, "POST", "/responses", {"model": "m", "input": "hi", "stream": True})
    assert response.delay == 0.5 and response.chunk_delay == pytest.approx(0.05)


def _faulty(model: LocalModel, fault: str, **body: Any) -> LocalResponse:
    body = {"model": "m", "input": "hi", **body}
    return call(model, "POST", "/responses", body, **{"x-workbench-fault": fault})


def test_stream_faults_in_the_responses_shape(model: LocalModel) -> None:
    errored = sse_events(_faulty(model, "error-event;after=2", stream=True))
    assert [e["type"] for e in errored][-1] == "error"
    assert violations("ResponseErrorEvent", errored[-1]) == []
    assert errored[-1]["sequence_number"] == 2
    unended = sse_events(_faulty(model, "no-done", stream=True, seed=1))
    whole = stream(model, input="hi", model="m", seed=1)
    assert [e["type"] for e in unended] == [e["type"] for e in whole][:-1]
    huge = _faulty(model, "huge;size=5000")
    assert violations("Response", json.loads(huge.body)) == []
    events = sse_events(_faulty(model, "huge;size=5000", stream=True))
    assert [len(e.get("delta", "")) for e in events] == [0, 5000, 0]
    assert events[-1]["response"]["output"][0]["content"][0]["text"] == events[1]["delta"]


def test_tool_round_through_previous_response_id(model: LocalModel) -> None:
    first = create(model, input=QUESTION, tools=[WEATHER])
    (item,) = first["output"]
    result = {"type": "function_call_output", "call_id": item["call_id"], "output": "21 C"}
    final = create(model, input=[result], previous_response_id=first["id"], tools=[WEATHER])
    assert "get_weather" in final["output"][0]["content"][0]["text"]
    orphan = call(model, "POST", "/responses", {"model": "m", "input": [result]})
    assert orphan.status == 400
    assert json.loads(orphan.body)["error"]["param"].startswith("input")


def test_a_model_without_responses_answers_404(monkeypatch: pytest.MonkeyPatch) -> None:
    """``responses=False`` (``serve --no-responses``): a Chat Completions-only server."""
    served: list[LocalModel] = []
    monkeypatch.setattr(entry, "serve", lambda model, **kwargs: served.append(model))
    entry.main(["serve", "--port", "0", "--no-responses"])
    entry.main(["serve", "--port", "0"])
    without, with_ = served
    assert call(with_, "POST", "/responses", {"model": "m", "input": "hi"}).status == 200
    assert call(without, "POST", "/responses", {"model": "m", "input": "hi"}).status == 404
    client = workbench.Client(local=without, max_retries=0)
    with pytest.raises(workbench.NotFoundError):
        client.responses.create(model="m", input="hi")
    chat = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    assert chat.choices[0].message.content


def test_logprobs_when_included(model: LocalModel) -> None:
    include = ["message.output_text.logprobs"]
    events = stream(model, input="Hello there", include=include, top_logprobs=2)
    part = events[-1]["response"]["output"][0]["content"][0]
    deltas = [e for e in events if e["type"] == "response.output_text.delta"]
    assert len(part["logprobs"]) == len(deltas) > 3
    for delta, logprob in zip(deltas, part["logprobs"], strict=True):
        assert delta["logprobs"][0]["token"] == logprob["token"] == delta["delta"]
        assert len(logprob["top_logprobs"]) == 2
    done = next(e for e in events if e["type"] == "response.output_text.done")
    assert [lp["logprob"] for lp in done["logprobs"]] == [lp["logprob"] for lp in part["logprobs"]]
    plain = create(model, input="Hello there", top_logprobs=1)  # top_logprobs alone asks too
    assert len(plain["output"][0]["content"][0]["logprobs"]) > 3
    none = create(model, input="Hello there")
    assert none["output"][0]["content"][0]["logprobs"] == []


def test_encrypted_reasoning_when_included(model: LocalModel) -> None:
    body = {"model": "o4-mini", "input": QUESTION, "store": False}
    sealed = create(model, **body, include=["reasoning.encrypted_content"])
    reasoning = sealed["output"][0]
    assert reasoning["type"] == "reasoning" and reasoning["encrypted_content"]
    assert "encrypted_content" not in create(model, **body)["output"][0]
    again = create(model, input=[{"role": "user", "content": QUESTION}, *sealed["output"]])
    assert again["status"] == "completed"  # reasoning items go back as input, statelessly


def test_item_references_and_duplicates(model: LocalModel) -> None:
    """Stateful clients (Codex) send stored items back by id; an item that
    ``previous_response_id`` already carries is a duplicate, as OpenAI says."""
    first = create(model, input=QUESTION, tools=[WEATHER])
    (call_item,) = first["output"]
    result = {"type": "function_call_output", "call_id": call_item["call_id"], "output": "21 C"}
    question = {"role": "user", "content": QUESTION}
    reference = {"type": "item_reference", "id": call_item["id"]}
    final = create(model, input=[question, reference, result], tools=[WEATHER])
    assert "get_weather" in final["output"][0]["content"][0]["text"]
    body = {"model": "m", "input": [call_item, result], "previous_response_id": first["id"]}
    duplicate = call(model, "POST", "/responses", body)
    assert duplicate.status == 400
    error = json.loads(duplicate.body)["error"]
    assert error["param"] == "input" and call_item["id"] in error["message"]
