"""Record and replay: cassettes recorded from ``python -m workbench serve`` and replayed with the
server stopped; misses, secrets, the environment variables, malformed files, record_missing."""

from __future__ import annotations

import dataclasses
import gzip
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

import workbench
from tests._local import ServerProcess
from tests._mock import KINDS, Pieces, completion_json, run_script, sse_body, text_chunks
from workbench.cassette._transport import CassetteTransport
from workbench.local import FAULT_HEADER, LocalModel

MODEL = "gpt-4o-mini"
USER = [{"role": "user", "content": "Tell me about Edinburgh"}]
CANARY = "sk-canary-7Rq2Zt9Lx4Wm8Nc3Vb6Hd1Pf"  # shaped like an OpenAI key
PLAIN_CANARY = "wb-canary-secret-5f3c9a1e"  # not shaped like one: only known as a header value
QUOTING = "workbench-local"  # the local model that quotes the user's words as they are


@pytest.fixture(autouse=True)
def _no_cassette_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("WORKBENCH_RECORD", "WORKBENCH_REPLAY", "WORKBENCH_RECORD_MISSING"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def cassette(tmp_path: Path) -> Path:
    return tmp_path / "run.jsonl"


class Location(BaseModel):
    city: str
    temperature: float


def get_weather(city: str) -> dict[str, Any]:
    """Get the current weather for a city.

    Args:
        city: the city's name.
    """
    return {"city": city, "temperature": 21}


def _event(event: Any) -> dict[str, Any]:
    fields = {f.name: getattr(event, f.name) for f in dataclasses.fields(event)}
    public = {k: v for k, v in fields.items() if not k.startswith("_")}
    return {"type": event.type, **public, "snapshot": getattr(event, "snapshot", None)}


def _turns(chat: workbench.Conversation) -> list[dict[str, Any]]:
    kept = {"role", "content", "tool_calls", "tool_call_id", "usage", "finish_reason", "status"}
    return [m.model_dump(include=kept) for m in chat.messages]


def run_sync(client: workbench.Client) -> list[Any]:
    """Every kind of call, the results kept for comparison."""
    completions = client.chat.completions
    out: list[Any] = [completions.create(model=MODEL, messages=USER, temperature=0.2)]
    out.append(
        list(
            completions.create(
                model=MODEL, messages=USER, stream=True, stream_options={"include_usage": True}
            )
        )
    )
    with completions.stream(model=MODEL, messages=USER) as stream:
        out.append([_event(e) for e in stream])
        out.append(stream.get_final_completion())
    weather = [{"role": "user", "content": "The weather in Oslo, as JSON"}]
    out.append(completions.parse(model=MODEL, messages=weather, response_format=Location))
    out.append(client.models.list().data)
    stored = completions.create(model=MODEL, messages=USER, store=True, metadata={"run": "1"})
    out.append(completions.retrieve(stored.id))
    out.append(completions.update(stored.id, metadata={"run": "2"}))
    out.append(completions.list(limit=5).data)
    out.append(completions.messages.list(stored.id).data)
    out.append(completions.delete(stored.id))
    raw = completions.with_raw_response.create(model=MODEL, messages=USER)
    out.append((raw.status_code, raw.headers["content-type"], raw.parse()))
    chat = workbench.Conversation(client=client, model=MODEL, tools=[get_weather])
    chat.send("What is the weather in Paris?")
    out.append(_turns(chat))
    return out


async def run_async(client: workbench.AsyncClient) -> list[Any]:
    """``run_sync`` with an ``AsyncClient``."""
    completions = client.chat.completions
    out: list[Any] = [await completions.create(model=MODEL, messages=USER, temperature=0.2)]
    stream = await completions.create(
        model=MODEL, messages=USER, stream=True, stream_options={"include_usage": True}
    )
    out.append([chunk async for chunk in stream])
    async with completions.stream(model=MODEL, messages=USER) as events:
        out.append([_event(e) async for e in events])
        out.append(await events.get_final_completion())
    weather = [{"role": "user", "content": "The weather in Oslo, as JSON"}]
    out.append(await completions.parse(model=MODEL, messages=weather, response_format=Location))
    out.append((await client.models.list()).data)
    stored = await completions.create(model=MODEL, messages=USER, store=True, metadata={"run": "1"})
    out.append(await completions.retrieve(stored.id))
    out.append(await completions.update(stored.id, metadata={"run": "2"}))
    out.append((await completions.list(limit=5)).data)
    out.append((await completions.messages.list(stored.id)).data)
    out.append(await completions.delete(stored.id))
    raw = await completions.with_raw_response.create(model=MODEL, messages=USER)
    out.append((raw.status_code, raw.headers["content-type"], raw.parse()))
    chat = workbench.Conversation(client=client, model=MODEL, tools=[get_weather])
    await chat.asend("What is the weather in Paris?")
    out.append(_turns(chat))
    return out


async def run(kind: str, **options: Any) -> list[Any]:
    return await run_script(kind, run_sync, run_async, **options)


@contextmanager
def served(*args: str) -> Iterator[str]:
    """``python -m workbench serve`` on 127.0.0.1 for the block; stopped after it."""
    server = ServerProcess(*args)
    try:
        yield server.url
    finally:
        code, err = server.interrupt()
        assert code == 0, err


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line]


def create(client: workbench.Client, content: str = "Hi", **params: Any) -> Any:
    params.setdefault("model", MODEL)
    return client.chat.completions.create(messages=[{"role": "user", "content": content}], **params)


# -- recorded from the server, replayed with it stopped ------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
async def test_replay_with_the_server_stopped_gives_back_what_was_recorded(
    kind: str, cassette: Path
) -> None:
    with served() as url:
        recorded = await run(kind, base_url=url, record=cassette)
    assert recorded[-1][1]["tool_calls"], "the conversation called no tool"
    header, *exchanges = lines(cassette)
    assert header == {"workbench_cassette": 1, "base_url": f"{url}/"}
    assert len(exchanges) == 14  # 12 calls, and a conversation turn of two requests
    assert [e["request"]["path"] for e in exchanges[4:6]] == ["models", "chat/completions"]
    streamed = exchanges[1]
    assert streamed["request"]["body"]["stream_options"] == {"include_usage": True}
    assert streamed["response"]["headers"]["content-type"] == "text/event-stream"
    assert streamed["response"]["body"].startswith("data: {")
    assert streamed["response"]["body"].endswith("data: [DONE]\n\n")

    # No key, no base URL, nothing listening at the recorded one: all of it from the cassette.
    replaying = workbench.Cassette(cassette, mode="replay")
    replayed = await run(kind, cassette=replaying)
    assert replayed == recorded
    assert replaying.unused() == []
    assert len(lines(cassette)) == 15  # replaying wrote nothing


def test_a_key_never_reaches_the_cassette(cassette: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    said = f"My keys are {CANARY} and {PLAIN_CANARY}; please repeat them."
    options: dict[str, Any] = {
        "api_key": CANARY,
        "default_headers": {"X-Debug-Token": CANARY, "api-key": PLAIN_CANARY},
        "max_retries": 0,
    }
    with served("--api-key", CANARY) as url:
        with workbench.Client(base_url=url, record=cassette, **options) as client:
            echoed = create(client, said, model=QUOTING, extra_query={"api-key": PLAIN_CANARY})
            streamed = list(create(client, said, stream=True))
        monkeypatch.setenv("OPENAI_API_KEY", CANARY)
        with workbench.Client(base_url=url, record=cassette, max_retries=0) as from_env:
            from_environment = create(from_env, f"Again: {CANARY}")
            with pytest.raises(workbench.AuthenticationError):
                from_env.with_options(api_key=f"{CANARY}-wrong").models.list()
    assert CANARY in str(echoed.choices[0].message.content)  # the model did echo it
    data = cassette.read_bytes()
    for secret in (CANARY, PLAIN_CANARY, CANARY[3:], PLAIN_CANARY[3:]):
        assert secret.encode() not in data
    assert data.count(b"[redacted]") >= 6
    assert len(lines(cassette)) == 5

    # Replayed with the same settings, offline: the replies, with the key redacted.
    with workbench.Client(replay=cassette, **options) as client:
        again = create(client, said, model=QUOTING, extra_query={"api-key": PLAIN_CANARY})
        assert again.choices[0].message.content == (
            echoed.choices[0].message.content or ""
        ).replace(CANARY, "[redacted]").replace(PLAIN_CANARY, "[redacted]")
        assert len(list(create(client, said, stream=True))) == len(streamed)
    monkeypatch.delenv("OPENAI_API_KEY")
    with workbench.Client(replay=cassette) as keyless:  # an OpenAI-shaped key matches without it
        assert create(keyless, f"Again: {CANARY}").id == from_environment.id


# -- misses ---------------------------------------------------------------------------------------

CONVERSATION = [
    {"role": "user", "content": "Plan a day in Edinburgh"},
    {"role": "assistant", "content": "Morning: the castle."},
    {"role": "user", "content": "And in the afternoon, somewhere quiet with a view of the sea?"},
]


def test_a_request_with_no_recording_names_what_differs(cassette: Path) -> None:
    with workbench.Client(local=True, record=cassette) as client:
        client.chat.completions.create(model=MODEL, messages=CONVERSATION, temperature=0.2)
        client.models.list()
    before = cassette.read_bytes()

    def miss(**params: Any) -> workbench.CassetteMissError:
        body: dict[str, Any] = {"model": MODEL, "messages": CONVERSATION, "temperature": 0.2}
        client = workbench.Client(replay=cassette)
        with pytest.raises(workbench.CassetteMissError) as caught:
            client.chat.completions.create(**{**body, **params})
        return caught.value

    error = miss(temperature=0.7)
    assert error.differences == ["body.temperature: recorded 0.2, requested 0.7"]
    assert f"{cassette}" in str(error) and "line 2" in str(error)
    assert "body.temperature: recorded 0.2, requested 0.7" in str(error)
    assert isinstance(error, workbench.CassetteError) and isinstance(
        error, workbench.WorkbenchError
    )

    later = [*CONVERSATION[:2], {"role": "user", "content": "And in the evening, a long dinner?"}]
    assert miss(messages=later).differences == ["body.messages[2].content differs"]
    short = [*CONVERSATION[:1], {"role": "assistant", "content": "Noon: tea."}, CONVERSATION[2]]
    assert miss(messages=short).differences == [
        'body.messages[1].content: recorded "Morning: the castle.", requested "Noon: tea."'
    ]
    assert miss(messages=CONVERSATION[:2]).differences == [
        "body.messages: recorded 3 items, requested 2"
    ]
    assert miss(seed=7).differences == ["body.seed: not recorded, requested 7"]
    assert miss(stream=True, stream_options={"include_usage": True}).differences == [
        'body.stream_options: not recorded, requested {"include_usage":true}',
        "body.stream: not recorded, requested true",
    ]
    with (
        workbench.Client(replay=cassette) as client,
        pytest.raises(workbench.CassetteMissError) as other,
    ):
        client.models.retrieve("gpt-4o")
    assert other.value.differences == ['path: recorded "models", requested "models/gpt-4o"']
    assert cassette.read_bytes() == before  # replaying never records

    empty = cassette.with_name("empty.jsonl")
    empty.write_text('{"workbench_cassette": 1, "base_url": null}\n')
    with (
        workbench.Client(replay=empty) as client,
        pytest.raises(workbench.CassetteMissError) as none,
    ):
        client.models.list()
    assert "no recordings" in str(none.value) and none.value.differences == []


def test_identical_requests_replay_in_the_order_recorded(cassette: Path) -> None:
    with workbench.Client(local=LocalModel(), record=cassette) as client:
        recorded = [create(client).id for _ in range(2)]
    assert recorded == ["chatcmpl-local00000001", "chatcmpl-local00000002"]
    with workbench.Client(replay=cassette) as client:
        # Once each recording has answered, the last answers again (a cell run twice).
        assert [create(client).id for _ in range(3)] == [*recorded, recorded[-1]]


def test_record_missing_appends_only_new_exchanges(cassette: Path) -> None:
    model = LocalModel()
    with workbench.Client(local=model, record=cassette) as client:
        first = create(client, "First")
    before = cassette.read_bytes()
    with workbench.Client(local=model, replay=cassette, record_missing=True) as client:
        assert client.cassette is not None and client.cassette.mode == "record_missing"
        assert create(client, "First") == first  # from the cassette: the model is not asked
        second = create(client, "Second")
        assert second.id == "chatcmpl-local00000002"
        again = create(client, "First")  # every recording of it used: a new one is recorded
        assert again.id == "chatcmpl-local00000003"
    after = cassette.read_bytes()
    assert after.startswith(before)
    assert [e["request"]["body"]["messages"][0]["content"] for e in lines(cassette)[1:]] == [
        "First",
        "Second",
        "First",
    ]
    with workbench.Client(replay=cassette) as client:
        assert [create(client, text).id for text in ("Second", "First", "First")] == [
            second.id,
            first.id,
            again.id,
        ]


def test_environment_variables_choose_the_cassette(
    cassette: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKBENCH_RECORD", str(cassette))
    with workbench.Client(local=LocalModel()) as client:
        assert client.cassette is not None and client.cassette.mode == "record"
        recorded = create(client)
    assert workbench.Client(cassette=False).cassette is None  # False: none, whatever is set
    monkeypatch.delenv("WORKBENCH_RECORD")
    monkeypatch.setenv("WORKBENCH_REPLAY", str(cassette))
    aclient = workbench.AsyncClient()  # no key, no base URL: the recorded one (local)
    assert aclient.cassette is not None and aclient.cassette.mode == "replay"
    assert aclient.local_model is not None
    with workbench.Client() as client:
        assert create(client) == recorded
    monkeypatch.setenv("WORKBENCH_RECORD_MISSING", "1")
    assert workbench.Client().cassette.mode == "record_missing"  # type: ignore[union-attr]
    other = cassette.with_name("other.jsonl")
    assert workbench.Client(local=True, record=other).cassette.mode == "record"  # type: ignore[union-attr]
    monkeypatch.setenv("WORKBENCH_RECORD", str(other))
    with pytest.raises(workbench.WorkbenchError, match="both set"):
        workbench.Client()


def test_arguments_that_do_not_go_together(cassette: Path) -> None:
    with pytest.raises(workbench.WorkbenchError, match="not both"):
        workbench.Client(record=cassette, replay=cassette)
    with pytest.raises(workbench.WorkbenchError, match="goes with replay"):
        workbench.Client(local=True, record=cassette, record_missing=True)
    with pytest.raises(workbench.WorkbenchError, match="goes with replay"):
        workbench.Client(local=True, record_missing=True)
    with pytest.raises(workbench.CassetteError, match="no such file"):
        workbench.Client(replay=cassette)
    shared = workbench.Cassette(cassette, mode="record")
    with pytest.raises(workbench.WorkbenchError, match="cassette= alone"):
        workbench.Client(cassette=shared, record=cassette)
    client = workbench.Client(local=True, record=cassette)
    with pytest.raises(workbench.WorkbenchError, match="make a new client"):
        client.with_options(replay=cassette)


# -- malformed files ------------------------------------------------------------------------------

HEADER = '{"workbench_cassette": 1, "base_url": null}\n'
GOOD = '{"request": {"method": "GET", "path": "models"}, "response": {"status": 200}}\n'


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [
        (HEADER + '{"request": {"method": "GET",\n', 2, "not valid JSON"),
        (HEADER + GOOD + "\n[1, 2]\n", 4, "not a JSON object"),
        (GOOD, 1, "before the header line"),
        ('{"workbench_cassette": 9}\n' + GOOD, 1, "format 9"),
        (HEADER + '{"request": {"path": "models"}}\n', 2, "request.method: Field required"),
        (HEADER + GOOD + GOOD.replace("200", '"two hundred"'), 3, "response.status"),
        (HEADER + '{"request": {"method": "GET", "path": "m"}, "answer": 1}\n', 2, "answer"),
        ('{"cells": [], "nbformat": 4}\n', 1, "request: Field required"),
    ],
)
@pytest.mark.parametrize("mode", ["replay", "record"])
def test_a_malformed_cassette_names_its_line(
    cassette: Path, text: str, line: int, says: str, mode: str
) -> None:
    cassette.write_text(text)
    with pytest.raises(workbench.CassetteError) as caught:
        workbench.Client(local=True, **{mode: cassette})
    assert caught.value.line == line and caught.value.path == str(cassette)
    assert f"{cassette}, line {line}: " in str(caught.value)
    assert says in str(caught.value)
    assert cassette.read_text() == text  # left as it was


# -- what a network does: retries, dropped connections, cut streams --------------------------------


def _until_error(stream: Any) -> tuple[list[Any], str]:
    chunks: list[Any] = []
    try:
        for chunk in stream:
            chunks.append(chunk)
    except workbench.APIError as exc:
        return chunks, f"{type(exc).__name__}: {exc}"
    return chunks, "no error"


def test_errors_retries_and_cut_streams_replay_as_recorded(cassette: Path) -> None:
    def script(client: workbench.Client) -> list[Any]:
        retried = client.chat.completions.with_raw_response.create(
            model=MODEL,
            messages=USER,
            extra_headers={FAULT_HEADER: "429;times=1;retry-after=0.01"},
        )
        out: list[Any] = [(retried.retries_taken, retried.parse())]
        cut = create(
            client, "Tell me more", stream=True, extra_headers={FAULT_HEADER: "cut;after=3"}
        )
        out.append(_until_error(cut))
        with pytest.raises(workbench.APIConnectionError) as dropped:
            create(
                client.with_options(max_retries=0), "Anyone?", extra_headers={FAULT_HEADER: "drop"}
            )
        out.append(str(dropped.value))
        return out

    with workbench.Client(local=LocalModel(), record=cassette, max_retries=1) as client:
        recorded = script(client)
    assert recorded[0][0] == 1 and len(recorded[1][0]) == 3 and "cut off" in recorded[1][1]
    kinds = [(e.get("response") or {}).get("status") for e in lines(cassette)[1:]]
    assert kinds == [429, 200, 200, None]
    assert lines(cassette)[1]["response"]["headers"]["retry-after"] == "0.01"
    assert lines(cassette)[3]["error"]["type"] == "ReadError"
    assert lines(cassette)[4]["error"]["type"] == "RemoteProtocolError"
    with workbench.Client(replay=cassette, max_retries=1) as client:
        assert script(client) == recorded


def test_a_stream_closed_early_replays_up_to_where_it_stopped(cassette: Path) -> None:
    client = workbench.Client(local=True, record=cassette)
    with create(client, stream=True) as stream:
        first = [next(stream), next(stream)]
    assert lines(cassette)[1]["response"]["complete"] is False
    with workbench.Client(replay=cassette) as client:
        with create(client, stream=True) as stream:
            assert [next(stream), next(stream)] == first
        with pytest.raises(workbench.CassetteError, match="recorded only up to byte"):
            list(create(client, stream=True))


# -- sharing a cassette ----------------------------------------------------------------------------


def test_copies_and_twins_keep_the_cassette(cassette: Path) -> None:
    client = workbench.Client(local=True, record=cassette)
    copies = [client.with_options(timeout=5.0), client.copy(max_retries=0)]
    twin = workbench.AsyncClient(**client._copy_kwargs())  # as Conversation.asend makes one
    for other in (*copies, twin):
        assert other.cassette is client.cassette
    for copy in copies:
        assert copy._client is client._client
        create(copy)
    assert len(lines(cassette)) == 3
    assert workbench.Client(local=True).cassette is None
    plain = workbench.Client(local=True)._client
    assert not isinstance(plain._transport, CassetteTransport)


async def test_two_clients_recording_to_one_file_write_one_header(cassette: Path) -> None:
    first = workbench.Client(local=True, record=cassette)
    second = workbench.AsyncClient(local=True, record=cassette)  # its own Cassette object
    create(first, "one")
    await second.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "two"}])
    create(first, "three")
    header, *exchanges = lines(cassette)
    assert "workbench_cassette" in header and len(exchanges) == 3
    with workbench.Client(replay=cassette) as client:
        assert [create(client, text).id for text in ("two", "one", "three")]


def test_a_callers_http_client_records_and_replays(cassette: Path) -> None:
    """Through a MockTransport: the body is kept decoded (gzip), only the headers that matter
    are, and replay never calls the transport."""
    body = json.dumps(completion_json("Hello from the mock")).encode()

    def server(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/models"):
            return httpx.Response(200, json={"object": "list", "data": []})
        if json.loads(request.content).get("stream"):
            pieces = [sse_body(*text_chunks("Hel", "lo"))[i : i + 7] for i in range(0, 2000, 7)]
            return httpx.Response(
                200, headers={"content-type": "text/event-stream"}, stream=Pieces(pieces)
            )
        headers = {
            "content-type": "application/json",
            "content-encoding": "gzip",
            "x-request-id": "req_42",
            "set-cookie": "s=1",
        }
        return httpx.Response(200, headers=headers, content=gzip.compress(body))

    def make(handler: Any, **options: Any) -> workbench.Client:
        http_client = httpx.Client(transport=httpx.MockTransport(handler))
        return workbench.Client(
            base_url="https://example.test/v1", http_client=http_client, **options
        )

    recorder = make(server, api_key=CANARY, record=cassette)
    raw = recorder.chat.completions.with_raw_response.create(model=MODEL, messages=USER)
    chunks = list(create(recorder, stream=True))
    recorder.models.list()
    exchange = lines(cassette)[1]
    assert exchange["request"]["path"] == "chat/completions"
    assert exchange["response"]["headers"] == {
        "content-type": "application/json",
        "x-request-id": "req_42",
    }
    assert exchange["response"]["body"] == body.decode()
    assert lines(cassette)[2]["response"]["body"] == sse_body(*text_chunks("Hel", "lo")).decode()

    def unreachable(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"replay sent {request.method} {request.url}")

    replayer = make(unreachable, replay=cassette)
    again = replayer.chat.completions.with_raw_response.create(model=MODEL, messages=USER)
    assert (again.request_id, again.parse()) == ("req_42", raw.parse())
    assert list(create(replayer, stream=True)) == chunks
    assert replayer.models.list().data == []


def test_replay_base_url_is_the_recorded_one_unless_set(
    cassette: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with served() as url, workbench.Client(base_url=url, record=cassette) as client:
        recorded = create(client)
    with workbench.Client(replay=cassette) as client:
        assert str(client.base_url) == f"{url}/" and client.local_model is None
        assert create(client) == recorded
    monkeypatch.setenv("OPENAI_BASE_URL", "https://elsewhere.test/v1")
    with workbench.Client(replay=cassette) as client:  # paths are relative: it still matches
        assert str(client.base_url) == "https://elsewhere.test/v1/"
        assert create(client) == recorded


def test_any_text_survives_the_round_trip(cassette: Path) -> None:
    said = "naïve café \u2028 a line separator, 🚀, and\na newline"
    with workbench.Client(local=True, record=cassette) as client:
        recorded = create(client, said, model=QUOTING)
    assert said in str(recorded.choices[0].message.content)
    assert cassette.read_text(encoding="utf-8").count("\n") == 2  # a header and one exchange
    with workbench.Client(replay=cassette) as client:
        assert create(client, said, model=QUOTING) == recorded


def test_a_mounted_transport_records_too(cassette: Path) -> None:
    """Requests an httpx client routes to a mount (as it does for proxies) go through the
    cassette as well."""
    mounted = httpx.MockTransport(lambda request: httpx.Response(200, json=completion_json()))
    http_client = httpx.Client(mounts={"https://": mounted})
    client = workbench.Client(
        base_url="https://example.test/v1", http_client=http_client, record=cassette
    )
    assert create(client).id == "chatcmpl-1"
    assert lines(cassette)[1]["request"]["path"] == "chat/completions"


def test_a_cassette_in_a_missing_folder_is_refused_at_once(tmp_path: Path) -> None:
    with pytest.raises(workbench.CassetteError, match="folder does not exist"):
        workbench.Client(local=True, record=tmp_path / "nowhere" / "run.jsonl")


def test_a_replayed_stream_comes_one_event_at_a_time(cassette: Path) -> None:
    with workbench.Client(local=True, record=cassette) as client:
        recorded = list(create(client, stream=True))
    with workbench.Client(replay=cassette) as client:
        raw = client.chat.completions.with_raw_response.create(
            model=MODEL, messages=[{"role": "user", "content": "Hi"}], stream=True
        )
        pieces = list(raw.http_response.iter_bytes())
    assert len(pieces) == len(recorded) + 1  # and [DONE]
    assert all(p.startswith(b"data: ") and p.endswith(b"\n\n") for p in pieces)
    assert pieces[-1] == b"data: [DONE]\n\n"
