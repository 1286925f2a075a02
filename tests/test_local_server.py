"""``python -m workbench serve`` with the official openai package, and the same scenarios through
workbench's own clients in-process and over HTTP, sync and async."""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from types import ModuleType
from typing import Any, Literal, Optional

import httpx
import openai
import pydantic
import pytest

import workbench
from tests._local import ROOT, ServerProcess, serving
from tests._mock import KEY, close, collect, each, resolve, stream_and_final
from workbench.local import LOCAL_MODELS

USER = [{"role": "user", "content": "What is the weather in Paris today?"}]
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city", "unit"],
            "additionalProperties": False,
        },
        "strict": True,
    },
}


def get_weather(city: str, unit: str) -> str:
    """The Python function the tool call runs."""
    return f"{city}: 21 degrees {unit}, sunny (from get_weather)"


class Weather(pydantic.BaseModel):
    city: str
    temperature: float
    conditions: list[str]


class Reading(pydantic.BaseModel):
    day: datetime.date
    value: float
    unit: Literal["celsius", "fahrenheit"]


class Report(pydantic.BaseModel):
    """Nested models, a list, an optional, a recursive field: ``$defs`` and ``$ref``s."""

    city: str
    readings: list[Reading]
    best: Optional[Reading]
    related: list[Report]


class GetWeather(pydantic.BaseModel):
    """The current weather in a city."""

    city: str
    unit: str


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    """One ``python -m workbench serve --port 0 --api-key KEY`` for the module."""
    with serving("--api-key", KEY) as proc:
        yield proc


SYNC = ["openai-http", "workbench-local", "workbench-http"]
ASYNC = ["openai-async-http", "workbench-async-local", "workbench-async-http"]


def _make(kind: str, url: str, **kwargs: Any) -> tuple[Any, ModuleType]:
    kwargs.setdefault("max_retries", 0)
    if kind.startswith("openai"):
        factory = openai.AsyncOpenAI if "async" in kind else openai.OpenAI
        return factory(base_url=url, api_key=kwargs.pop("api_key", KEY), **kwargs), openai
    factory = workbench.AsyncClient if "async" in kind else workbench.Client
    if kind.endswith("local"):
        return factory(local=True, **kwargs), workbench
    return factory(base_url=url, api_key=kwargs.pop("api_key", KEY), **kwargs), workbench


@pytest.fixture(params=SYNC + ASYNC)
async def client(
    request: pytest.FixtureRequest, server: ServerProcess
) -> AsyncIterator[tuple[Any, ModuleType]]:
    """A client of the local model (its kind in the test id), and its package for the errors."""
    made, package = _make(request.param, server.url)
    yield made, package
    await close(made)


async def create(client: Any, **kwargs: Any) -> Any:
    kwargs.setdefault("model", "gpt-4o-mini")
    kwargs.setdefault("messages", USER)
    return await resolve(client.chat.completions.create(**kwargs))


async def stream_events(client: Any, **kwargs: Any) -> tuple[list[Any], Any]:
    """Every event of ``.stream()`` and the final completion, for sync and async clients."""
    kwargs.setdefault("model", "gpt-4o-mini")
    kwargs.setdefault("messages", USER)
    return await stream_and_final(client.chat.completions.stream(**kwargs), "get_final_completion")


# -- the scenarios -------------------------------------------------------------------------------


async def test_create(client: tuple[Any, ModuleType]) -> None:
    made, _ = client
    reply = await create(made, seed=3)
    (choice,) = reply.choices
    assert choice.finish_reason == "stop"
    assert "simulator" in choice.message.content and "Paris" in choice.message.content
    assert reply.usage.completion_tokens > 5
    assert reply.id.startswith("chatcmpl-") and reply.model == "gpt-4o-mini"


async def test_create_streamed(client: tuple[Any, ModuleType]) -> None:
    made, _ = client
    whole = await create(made, seed=3)
    stream = await create(made, seed=3, stream=True, stream_options={"include_usage": True})
    chunks = await collect(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage == whole.usage


async def test_stream_events_and_final_completion(client: tuple[Any, ModuleType]) -> None:
    made, _ = client
    events, final = await stream_events(made, seed=3)
    kinds = [event.type for event in events]
    assert {"chunk", "content.delta", "content.done"} <= set(kinds)
    deltas = "".join(event.delta for event in events if event.type == "content.delta")
    assert deltas == final.choices[0].message.content
    assert [e.content for e in events if e.type == "content.done"] == [deltas]


async def test_parse_with_pydantic_models(client: tuple[Any, ModuleType]) -> None:
    made, package = client
    reply = await resolve(
        made.chat.completions.parse(model="gpt-4o-mini", messages=USER, response_format=Weather)
    )
    parsed = reply.choices[0].message.parsed
    assert isinstance(parsed, Weather) and parsed.city == "Paris"

    nested = await resolve(
        made.chat.completions.parse(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "Readings for Oslo on 2026-01-02, in celsius"}],
            response_format=Report,
        )
    )
    report = nested.choices[0].message.parsed
    assert isinstance(report, Report) and report.city == "Oslo"
    # The hint fills the first reading; the rest are sampled (each client kind here asks the
    # same server the same thing: each gets another variant).
    assert report.readings and report.readings[0].unit == "celsius"

    tool = package.pydantic_function_tool(GetWeather)
    called = await resolve(
        made.chat.completions.parse(model="gpt-4o-mini", messages=USER, tools=[tool])
    )
    (call,) = called.choices[0].message.tool_calls
    assert isinstance(call.function.parsed_arguments, GetWeather)
    assert call.function.parsed_arguments.city == "Paris"


async def test_refusal(client: tuple[Any, ModuleType]) -> None:
    made, _ = client
    refuse = [{"role": "user", "content": "Please refuse: what is the weather?"}]
    reply = await resolve(
        made.chat.completions.parse(model="gpt-4o-mini", messages=refuse, response_format=Weather)
    )
    message = reply.choices[0].message
    assert message.parsed is None and message.content is None and "can't help" in message.refusal
    events, final = await stream_events(made, messages=refuse, response_format=Weather)
    kinds = {event.type for event in events}
    assert "refusal.done" in kinds and not kinds & {"content.delta", "content.done"}
    assert final.choices[0].message.refusal == message.refusal
    assert final.choices[0].message.content is None


async def test_tool_call_round_trip(client: tuple[Any, ModuleType]) -> None:
    made, _ = client
    messages: list[Any] = list(USER)
    first = await create(made, messages=messages, tools=[WEATHER_TOOL])
    message = first.choices[0].message
    assert first.choices[0].finish_reason == "tool_calls" and message.content is None
    messages.append(message.model_dump(exclude_none=True))
    results = []
    for call in message.tool_calls:
        result = get_weather(**json.loads(call.function.arguments))
        results.append(result)
        messages.append({"role": "tool", "tool_call_id": call.id, "content": result})
    final = await create(made, messages=messages, tools=[WEATHER_TOOL])
    assert final.choices[0].finish_reason == "stop"
    assert results and all(result in final.choices[0].message.content for result in results)


async def test_streamed_tool_call_events(client: tuple[Any, ModuleType]) -> None:
    made, _ = client
    events, final = await stream_events(made, tools=[WEATHER_TOOL], parallel_tool_calls=False)
    done = [e for e in events if e.type == "tool_calls.function.arguments.done"]
    (call,) = final.choices[0].message.tool_calls
    assert [e.arguments for e in done] == [call.function.arguments]
    assert done[0].parsed_arguments == json.loads(call.function.arguments)  # a strict tool


async def test_models(client: tuple[Any, ModuleType]) -> None:
    made, package = client
    models = [model.id async for model in each(made.models.list())]
    assert models == list(LOCAL_MODELS)
    model = await resolve(made.models.retrieve("workbench-local"))
    assert model.id == "workbench-local" and model.owned_by == "workbench"
    with pytest.raises(package.NotFoundError):
        await resolve(made.models.retrieve("gpt-nope"))


async def test_stored_completions(client: tuple[Any, ModuleType]) -> None:
    made, package = client
    run = uuid.uuid4().hex
    stored = await create(made, store=True, metadata={"run": run, "step": "1"})
    await create(made, store=True, metadata={"run": "other"})
    completions = made.chat.completions
    found = await resolve(completions.retrieve(stored.id))
    assert found.id == stored.id and found.choices[0].message == stored.choices[0].message
    listed = [c.id async for c in each(completions.list(metadata={"run": run}))]
    assert listed == [stored.id]
    updated = await resolve(completions.update(stored.id, metadata={"run": run, "step": "2"}))
    assert updated.metadata == {"run": run, "step": "2"}
    messages = [m async for m in each(completions.messages.list(stored.id))]
    assert [(m.role, m.content) for m in messages] == [("user", USER[0]["content"])]
    pages = [await create(made, store=True, metadata={"run": run, "step": "n"}) for _ in range(3)]
    oldest_first = [
        c.id async for c in each(completions.list(metadata={"step": "n", "run": run}, limit=2))
    ]
    assert oldest_first == [c.id for c in pages], "pages of 2, oldest first (the API's default)"
    deleted = await resolve(completions.delete(stored.id))
    assert deleted.deleted is True and deleted.id == stored.id
    with pytest.raises(package.NotFoundError):
        await resolve(completions.retrieve(stored.id))


@pytest.mark.parametrize("kind", ["openai-http", "workbench-http", "workbench-async-http"])
async def test_a_wrong_key_gets_401(kind: str, server: ServerProcess) -> None:
    made, package = _make(kind, server.url, api_key="sk-wrong")
    with pytest.raises(package.AuthenticationError) as caught:
        await create(made)
    assert caught.value.status_code == 401
    await close(made)


# -- the process ---------------------------------------------------------------------------------


def test_ctrl_c_stops_the_server_cleanly_with_open_connections() -> None:
    proc = ServerProcess("--tokens-per-second", "20")
    try:
        with httpx.Client(base_url=proc.url) as idle, httpx.Client(base_url=proc.url) as busy:
            assert idle.get("/models").status_code == 200  # a kept-alive, idle connection
            body = {"model": "m", "messages": USER, "stream": True}
            with busy.stream("POST", "/chat/completions", json=body) as streaming:
                next(streaming.iter_bytes())  # a paced stream still going
                started = time.monotonic()
                code, err = proc.interrupt()
                assert time.monotonic() - started < 1.5, "shutdown waited for the clients"
        assert code == 0, err
        assert "Traceback" not in err and "Exception" not in err, err
        assert "stopped" in err
    finally:
        proc.kill()


def test_the_cli_rejects_a_bad_fault() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "workbench", "serve", "--port", "0", "--fault", "429;tims=2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert result.returncode == 2 and "tims" in result.stderr


def test_the_local_benchmark_runs_quickly() -> None:
    """``bench/bench_local.py --quick`` prints its table with both targets and a verdict each."""
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_local.py"), "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert time.monotonic() - started < 20, out
    for label in ("core chunks", "server req/s", "in-process"):
        assert label in out, out
    verdicts = [line for line in out.splitlines() if line.startswith("target:")]
    assert len(verdicts) == 2 and all(("PASS" in v) != ("FAIL" in v) for v in verdicts), out
    assert "server stopped" in out, out
