"""Record and replay of ``client.responses``: streams, ``.stream()``, ``parse``, stored responses
and their input items, recorded from the in-process local model and replayed offline."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import httpx
import pydantic
import pytest

import workbench
from tests._mock import KINDS, run_script
from tests._responses import BODIES
from workbench.local import FAULT_HEADER

MODEL = "gpt-4o-mini"
ASK = "Tell me about Edinburgh"
THINK = {"effort": "low", "summary": "auto"}


@pytest.fixture
def cassette(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A path for the test's cassette; none is chosen by the environment."""
    for name in ("WORKBENCH_RECORD", "WORKBENCH_REPLAY", "WORKBENCH_RECORD_MISSING"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "responses.jsonl"


class Location(pydantic.BaseModel):
    city: str
    temperature: float


def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"Sunny in {city}"


TOOLS = [
    {
        "type": "function",
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    }
]


def plain(value: Any) -> Any:
    """``value`` with every model and event as its type and fields, to compare runs exactly."""
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, pydantic.BaseModel):
        return [type(value).__name__, value.model_dump(mode="json")]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [type(value).__name__, plain(dataclasses.asdict(value))]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def run_sync(client: workbench.Client) -> list[Any]:
    """Every kind of Responses call, the results kept for comparison."""
    responses = client.responses
    stored = responses.create(model=MODEL, input=ASK, store=True, metadata={"run": "1"})
    out: list[Any] = [stored]
    out.append(list(responses.create(model=MODEL, input=ASK, reasoning=THINK, stream=True)))
    with responses.stream(model=MODEL, input="Weather in Oslo?", tools=TOOLS) as stream:
        out.append(list(stream))
        out.append(stream.get_final_response())
    parsed = responses.parse(model=MODEL, input="Oslo, as JSON", text_format=Location)
    out.append((parsed, parsed.output_parsed))
    out.append(responses.retrieve(stored.id))
    out.append(list(responses.retrieve(stored.id, stream=True, starting_after=2)))
    out.append(responses.input_items.list(stored.id).data)
    out.append(responses.create(model=MODEL, input="And more?", previous_response_id=stored.id))
    raw = responses.with_raw_response.create(model=MODEL, input=ASK)
    out.append((raw.status_code, raw.headers["content-type"], raw.parse()))
    cut = responses.create(
        model=MODEL, input=ASK, stream=True, extra_headers={FAULT_HEADER: "cut;after=3"}
    )
    events: list[Any] = []
    with pytest.raises(workbench.APIConnectionError) as caught:
        events.extend(cut)
    out.append((events, str(caught.value)))
    responses.delete(stored.id)
    with pytest.raises(workbench.NotFoundError) as missing:
        responses.retrieve(stored.id)
    out.append(str(missing.value))
    return plain(out)


async def run_async(client: workbench.AsyncClient) -> list[Any]:
    """``run_sync`` with an ``AsyncClient``."""
    responses = client.responses
    stored = await responses.create(model=MODEL, input=ASK, store=True, metadata={"run": "1"})
    out: list[Any] = [stored]
    streamed = await responses.create(model=MODEL, input=ASK, reasoning=THINK, stream=True)
    out.append([event async for event in streamed])
    async with responses.stream(model=MODEL, input="Weather in Oslo?", tools=TOOLS) as stream:
        out.append([event async for event in stream])
        out.append(await stream.get_final_response())
    parsed = await responses.parse(model=MODEL, input="Oslo, as JSON", text_format=Location)
    out.append((parsed, parsed.output_parsed))
    out.append(await responses.retrieve(stored.id))
    replay = await responses.retrieve(stored.id, stream=True, starting_after=2)
    out.append([event async for event in replay])
    out.append((await responses.input_items.list(stored.id)).data)
    out.append(
        await responses.create(model=MODEL, input="And more?", previous_response_id=stored.id)
    )
    raw = await responses.with_raw_response.create(model=MODEL, input=ASK)
    out.append((raw.status_code, raw.headers["content-type"], raw.parse()))
    cut = await responses.create(
        model=MODEL, input=ASK, stream=True, extra_headers={FAULT_HEADER: "cut;after=3"}
    )
    events: list[Any] = []
    with pytest.raises(workbench.APIConnectionError) as caught:
        async for event in cut:
            events.append(event)
    out.append((events, str(caught.value)))
    await responses.delete(stored.id)
    with pytest.raises(workbench.NotFoundError) as missing:
        await responses.retrieve(stored.id)
    out.append(str(missing.value))
    return plain(out)


async def run(kind: str, **options: Any) -> list[Any]:
    return await run_script(kind, run_sync, run_async, **options)


@pytest.mark.parametrize("kind", KINDS)
async def test_responses_replay_offline_as_recorded(kind: str, cassette: Path) -> None:
    recorded = await run(kind, local=True, record=cassette)
    header, *exchanges = lines(cassette)
    assert header["workbench_cassette"] == 1
    assert len(exchanges) == 12
    paths = [(e["request"]["method"], e["request"]["path"]) for e in exchanges]
    stored = f"responses/{recorded[0][1]['id']}"
    assert paths[4:7] == [("GET", stored), ("GET", stored), ("GET", f"{stored}/input_items")]
    assert paths[-2:] == [("DELETE", stored), ("GET", stored)]
    streamed = exchanges[1]
    assert streamed["request"]["body"]["stream"] is True
    assert streamed["response"]["headers"]["content-type"].startswith("text/event-stream")
    assert streamed["response"]["body"].startswith("event: response.created\ndata: {")
    assert sorted(exchanges[5]["request"]["query"]) == [["starting_after", "2"], ["stream", "true"]]
    assert any(e[0] == "ResponseReasoningSummaryTextDeltaEvent" for e in recorded[1])
    assert recorded[3][1]["output"][0]["type"] == "function_call"
    assert recorded[4][1][0] == "Location"
    assert recorded[10][0] and "cut off" in recorded[10][1]

    # No key, nothing listening, the local model not asked for: all of it from the cassette.
    replaying = workbench.Cassette(cassette, mode="replay")
    assert await run(kind, cassette=replaying) == recorded
    assert replaying.unused() == []
    assert len(lines(cassette)) == 13  # replaying wrote nothing


def test_a_responses_request_with_no_recording_names_what_differs(cassette: Path) -> None:
    body: dict[str, Any] = {"model": MODEL, "input": ASK, "reasoning": THINK}
    with workbench.Client(local=True, record=cassette) as client:
        client.responses.create(**body)

    def miss(**params: Any) -> list[str]:
        client = workbench.Client(replay=cassette)
        with pytest.raises(workbench.CassetteMissError) as caught:
            client.responses.create(**{**body, **params})
        return caught.value.differences

    with workbench.Client(replay=cassette) as client:  # key order does not matter
        client.responses.create(
            reasoning={"summary": "auto", "effort": "low"}, input=ASK, model=MODEL
        )
    assert miss(input="Tell me about Leith") == [
        'body.input: recorded "Tell me about Edinburgh", requested "Tell me about Leith"'
    ]
    assert miss(reasoning={**THINK, "effort": "high"}) == [
        'body.reasoning.effort: recorded "low", requested "high"'
    ]
    assert miss(stream=True) == ["body.stream: not recorded, requested true"]
    assert miss(input=[{"role": "user", "content": ASK}]) == ["body.input differs"]


def test_a_replayed_responses_stream_comes_one_event_at_a_time(cassette: Path) -> None:
    with workbench.Client(local=True, record=cassette) as client:
        recorded = list(client.responses.create(model=MODEL, input=ASK, stream=True))
    with workbench.Client(replay=cassette) as client:
        raw = client.responses.with_raw_response.create(model=MODEL, input=ASK, stream=True)
        pieces = list(raw.http_response.iter_bytes())
    assert len(pieces) == len(recorded)
    for piece, event in zip(pieces, recorded, strict=True):
        assert piece.startswith(f"event: {event.type}\ndata: ".encode()) and piece.endswith(b"\n\n")


def test_a_responses_stream_closed_early_replays_up_to_where_it_stopped(cassette: Path) -> None:
    client = workbench.Client(local=True, record=cassette)
    with client.responses.stream(model=MODEL, input=ASK) as stream:
        first = [next(iter(stream)), next(iter(stream))]
    assert lines(cassette)[1]["response"]["complete"] is False
    with workbench.Client(replay=cassette) as client:
        with client.responses.stream(model=MODEL, input=ASK) as stream:
            assert plain([next(iter(stream)), next(iter(stream))]) == plain(first)
        stopped = pytest.raises(workbench.CassetteError, match="recorded only up to byte")
        with stopped, client.responses.stream(model=MODEL, input=ASK) as stream:
            stream.get_final_response()


def test_encrypted_reasoning_carried_between_turns_replays(cassette: Path) -> None:
    """Stateless turns (``store=False``) that send the previous output, encrypted reasoning
    included, back as input: the second request matches its recording only if the first
    reply replayed byte for byte."""

    def turns(client: workbench.Client) -> list[Any]:
        think = {"reasoning": THINK, "include": ["reasoning.encrypted_content"], "store": False}
        first = client.responses.create(model=MODEL, input="Plan a day", **think)
        later = [*first.output, {"role": "user", "content": "And the evening?"}]
        second = client.responses.create(model=MODEL, input=later, **think)
        return plain([first, second])

    with workbench.Client(local=True, record=cassette) as client:
        recorded = turns(client)
    reasoning = recorded[0][1]["output"][0]
    assert reasoning["type"] == "reasoning" and reasoning["encrypted_content"]
    sent = lines(cassette)[2]["request"]["body"]["input"][0]
    assert sent["encrypted_content"] == reasoning["encrypted_content"]
    with workbench.Client(replay=cassette) as client:
        assert turns(client) == recorded


def test_ciphertext_that_happens_to_hold_sk_is_kept(cassette: Path) -> None:
    """Encrypted reasoning is URL-safe base64 (a Fernet token), whose alphabet is that of an
    OpenAI key: 'sk-' inside it is no key, and redacting it would corrupt the reasoning a
    replayed turn sends back. A key standing on its own is still redacted."""
    cipher = "gAAAAABo" + "Qx7_w-sk-" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4" + "_zZ" * 20
    key = "sk-proj-" + "Zq9Rt7Lw3Xc5Vb1Nm8Kj2Hg4Fd6Sa0Pe"
    body = json.loads(min(BODIES.iterdir()).read_text())
    body["output"] = [
        {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": cipher},
        {
            "type": "message",
            "id": "msg_1",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": f"Your key {key}", "annotations": []}],
        },
    ]

    def server(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=body)

    http_client = httpx.Client(transport=httpx.MockTransport(server))
    recorder = workbench.Client(
        base_url="https://example.test/v1", http_client=http_client, record=cassette
    )
    recorder.responses.create(model=MODEL, input=ASK, include=["reasoning.encrypted_content"])
    text = cassette.read_text()
    assert cipher in text and key not in text
    with workbench.Client(replay=cassette) as client:
        again = client.responses.create(
            model=MODEL, input=ASK, include=["reasoning.encrypted_content"]
        )
    assert again.output[0].encrypted_content == cipher  # type: ignore[union-attr]
    assert again.output_text == "Your key [redacted]"
