"""The local model's ``/v1/responses`` through real clients: the official openai 1.106.1 against
``python -m workbench serve`` unchanged, and workbench's own ``client.responses`` in-process and
over HTTP, sync and async: create, stream, parse, a tool round, previous_response_id,
retrieve, input items and delete."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from types import ModuleType
from typing import Any

import openai
import pydantic
import pytest

import workbench
from tests._local import ServerProcess, serving
from tests._mock import KEY, close, collect, resolve, stream_and_final
from tests._responses import WEATHER_FUNCTION
from workbench.protocol._responses_accumulate import ResponseAccumulator
from workbench.types.response_stream_event import TERMINAL_EVENT_TYPES

QUESTION = "What is the weather in Paris today?"
WEATHER = WEATHER_FUNCTION


class Trip(pydantic.BaseModel):
    city: str
    days: int
    sights: list[str]


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    """One ``python -m workbench serve --port 0 --api-key KEY`` for the module."""
    with serving("--api-key", KEY) as proc:
        yield proc


KINDS = [
    "openai-http",
    "openai-async-http",
    "workbench-local",
    "workbench-async-local",
    "workbench-http",
    "workbench-async-http",
]


@pytest.fixture(params=KINDS)
async def client(
    request: pytest.FixtureRequest, server: ServerProcess
) -> AsyncIterator[tuple[Any, ModuleType]]:
    """A client of the local model (its kind in the test id), and its package for the errors."""
    kind: str = request.param
    made: Any
    if kind.startswith("openai"):
        factory: Any = openai.AsyncOpenAI if "async" in kind else openai.OpenAI
        made, package = factory(base_url=server.url, api_key=KEY, max_retries=0), openai
    else:
        factory = workbench.AsyncClient if "async" in kind else workbench.Client
        if kind.endswith("local"):
            made = factory(local=True, max_retries=0)
        else:
            made = factory(base_url=server.url, api_key=KEY, max_retries=0)
        package = workbench
    yield made, package
    await close(made)


async def create(client: Any, **kwargs: Any) -> Any:
    kwargs.setdefault("model", "gpt-4o-mini")
    return await resolve(client.responses.create(**kwargs))


async def stream(client: Any, **kwargs: Any) -> tuple[list[Any], Any]:
    """Every event of ``responses.stream()`` and the final response, for both kinds."""
    kwargs.setdefault("model", "gpt-4o-mini")
    return await stream_and_final(client.responses.stream(**kwargs), "get_final_response")


async def test_create(client: tuple[Any, ModuleType]) -> None:
    made, _ = client
    response = await create(made, input=QUESTION, instructions="Be brief.", metadata={"k": "v"})
    assert response.status == "completed" and response.object == "response"
    assert "Paris" in response.output_text or response.output_text
    assert response.metadata == {"k": "v"} and response.instructions == "Be brief."
    usage = response.usage
    assert usage.total_tokens == usage.input_tokens + usage.output_tokens > 0
    assert usage.output_tokens_details.reasoning_tokens == 0


async def test_create_stream(client: tuple[Any, ModuleType]) -> None:
    made, _ = client
    events = await collect(await create(made, input=QUESTION, stream=True))
    types = [event.type for event in events]
    assert types[:2] == ["response.created", "response.in_progress"]
    assert types[-1] == "response.completed"
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == events[-1].response.output_text
    assert [e.sequence_number for e in events] == list(range(len(events)))


async def test_stream_with_reasoning_summary(client: tuple[Any, ModuleType]) -> None:
    made, _ = client
    events, final = await stream(
        made, model="o4-mini", input=QUESTION, reasoning={"effort": "low", "summary": "auto"}
    )
    summary = "".join(e.delta for e in events if e.type == "response.reasoning_summary_text.delta")
    assert summary.startswith('The user says: "What is the weather')
    reasoning, message = final.output
    assert reasoning.type == "reasoning" and reasoning.summary[0].text == summary
    assert message.type == "message" and final.output_text


async def test_parse(client: tuple[Any, ModuleType]) -> None:
    made, _ = client
    parsed = await resolve(
        made.responses.parse(model="gpt-4o-mini", input="Plan a trip to Rome", text_format=Trip)
    )
    assert isinstance(parsed.output_parsed, Trip)
    assert parsed.output_parsed == Trip.model_validate_json(parsed.output_text)


async def test_tool_round(client: tuple[Any, ModuleType]) -> None:
    made, _ = client
    first = await create(made, input=QUESTION, tools=[WEATHER])
    (call,) = first.output
    assert call.type == "function_call" and call.name == "get_weather"
    city = json.loads(call.arguments)["city"]
    result = {"type": "function_call_output", "call_id": call.call_id, "output": f"{city}: 21 C"}
    final = await create(
        made, input=[{"role": "user", "content": QUESTION}, *first.output, result], tools=[WEATHER]
    )
    assert final.output[0].type == "message"
    assert "get_weather" in final.output_text


async def test_previous_response_and_stored(client: tuple[Any, ModuleType]) -> None:
    made, package = client
    first = await create(made, input="My name is Ada.")
    second = await create(made, input="What is my name?", previous_response_id=first.id)
    assert second.previous_response_id == first.id
    assert second.usage.input_tokens > first.usage.input_tokens + first.usage.output_tokens
    got = await resolve(made.responses.retrieve(second.id))
    assert got.id == second.id and got.output_text == second.output_text
    items = await collect(await resolve(made.responses.input_items.list(second.id)))
    assert [_text(item.content[0]) for item in items] == ["What is my name?"]
    await resolve(made.responses.delete(first.id))
    with pytest.raises(package.NotFoundError):
        await resolve(made.responses.retrieve(first.id))
    with pytest.raises(package.BadRequestError) as caught:
        await create(made, input="And now?", previous_response_id=first.id)
    assert caught.value.param == "previous_response_id"  # type: ignore[attr-defined]


def _text(part: Any) -> str:
    """A content part's text (workbench keeps an input item's parts as dicts)."""
    return str(part["text"] if isinstance(part, dict) else part.text)


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_faults_reach_workbench_clients_as_errors(kind: str) -> None:
    """An injected 429 is retried; an error event mid-stream raises the server's error."""
    factory: Any = workbench.AsyncClient if kind == "async" else workbench.Client
    made = factory(local=True, max_retries=2)
    try:
        limited = {"x-workbench-fault": "429;times=1;retry-after=0"}
        response = await create(made, input=QUESTION, extra_headers=limited)
        assert response.status == "completed"
        broken = {"x-workbench-fault": "error-event;after=3"}
        events = await create(made, input=QUESTION, stream=True, extra_headers=broken)
        with pytest.raises(workbench.APIError, match="Injected fault"):
            await collect(events)
        cut = {"x-workbench-fault": "no-done"}
        events = await create(made, input=QUESTION, stream=True, extra_headers=cut)
        with pytest.raises(workbench.APIConnectionError):
            await collect(events)
    finally:
        await close(made)


SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}},
    "required": ["city"],
    "additionalProperties": False,
}
KINDS_OF_REPLY = {
    "text": {"input": QUESTION},
    "tool call": {"input": QUESTION, "tools": [WEATHER]},
    "summary": {"model": "o4-mini", "input": QUESTION, "reasoning": {"summary": "auto"}},
    "refusal": {"input": "please refuse"},
    "json schema": {
        "input": QUESTION,
        "text": {"format": {"type": "json_schema", "name": "City", "schema": SCHEMA}},
    },
    "cut": {"input": QUESTION, "max_output_tokens": 4},
}


@pytest.mark.parametrize("name", KINDS_OF_REPLY)
def test_deltas_accumulate_to_the_whole_response(name: str) -> None:
    """Fed only the deltas, workbench's accumulator builds what the whole response holds; so
    the stream and the non-streamed reply agree (the same seed: the same reply)."""
    body: dict[str, Any] = {"model": "gpt-4o-mini", "seed": 5, **KINDS_OF_REPLY[name]}
    client = workbench.Client(local=True, max_retries=0)
    seed = body.pop("seed")
    whole = client.responses.create(**body, extra_body={"seed": seed})
    events = list(client.responses.create(**body, extra_body={"seed": seed}, stream=True))
    accumulator = ResponseAccumulator()
    for event in events:
        if event.type not in TERMINAL_EVENT_TYPES and event.type != "response.output_item.done":
            accumulator.add(event)
    final = events[-1].response  # type: ignore[union-attr]
    assert _essence(accumulator.snapshot) == _essence(final) == _essence(whole)
    assert final.usage == whole.usage and final.status == whole.status


def _essence(response: Any) -> list[Any]:
    """What an output says, without the ids (another response, other ids)."""
    out = []
    for item in response.to_dict()["output"]:
        parts = item.get("content") or []
        out.append(
            (
                item["type"],
                item.get("name"),
                item.get("arguments"),
                [part.get("text", part.get("refusal")) for part in parts],
                [part["text"] for part in item.get("summary") or []],
            )
        )
    return out


async def test_retrieve_stream_replays_the_events(client: tuple[Any, ModuleType]) -> None:
    made, _ = client
    response = await create(made, input=QUESTION)
    events = await collect(await resolve(made.responses.retrieve(response.id, stream=True)))
    assert events[0].type == "response.created" and events[-1].type == "response.completed"
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == response.output_text == events[-1].response.output_text
