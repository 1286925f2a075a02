"""Streams: SSE framing, errors inside a stream, closing, the recorded streams through
``create(stream=True)`` + ``accumulate`` and through ``.stream()``, random split points, and
``with_raw_response``."""

from __future__ import annotations

import functools
import importlib.util
import itertools
import json
import socket
import threading
import time
from typing import Any, Literal

import httpx
import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import workbench
from tests._mock import (
    MESSAGES,
    Pieces,
    Recorder,
    TinyServer,
    both,
    chunk_json,
    close,
    collect,
    completion_json,
    create,
    each,
    http_chunk,
    http_head,
    make_client,
    real_client,
    resolve,
    sse_body,
    sse_response,
    text_chunks,
)
from tests.conftest import FIXTURES

STREAMS = FIXTURES / "recorded-streams"


async def open_stream(client: Any, **kwargs: Any) -> Any:
    return await create(client, stream=True, **kwargs)


async def stream_of(kind: str, body: bytes | Pieces) -> Any:
    return await open_stream(make_client(kind, Recorder(sse_response(body))))


def contents(chunks: list[Any]) -> list[str | None]:
    return [c.choices[0].delta.content if c.choices else None for c in chunks]


# -- SSE framing -----------------------------------------------------------------------------------


@both
async def test_chunks_arrive_typed_and_done_completes_the_stream(kind: str) -> None:
    stream = await stream_of(kind, sse_body(*text_chunks("Hel", "lo")))
    assert not stream.completed
    chunks = await collect(stream)
    assert all(isinstance(c, workbench.types.ChatCompletionChunk) for c in chunks)
    assert contents(chunks) == ["", "Hel", "lo", None]
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert stream.completed
    assert stream.response.is_closed


@both
async def test_a_body_without_done_ends_but_is_not_completed(kind: str) -> None:
    stream = await stream_of(kind, sse_body(*text_chunks("Hel", "lo"), done=False))
    chunks = await collect(stream)
    assert contents(chunks) == ["", "Hel", "lo", None]
    assert not stream.completed


@both
async def test_a_last_event_without_its_blank_line_is_still_delivered(kind: str) -> None:
    body = sse_body(chunk_json({"content": "a"}, finish_reason="stop"), done=False)
    body += b'data: {"id": "chatcmpl-1", '
    body += b'"object": "chat.completion.chunk", "created": 1, "model": "m", "choices": []}'
    chunks = await collect(await stream_of(kind, body))
    assert len(chunks) == 2
    assert chunks[1].choices == []


@both
async def test_nothing_after_done_is_read_as_a_chunk(kind: str) -> None:
    body = sse_body(chunk_json({"content": "a"})) + b"data: not json at all\n\n"
    stream = await stream_of(kind, body)
    assert contents(await collect(stream)) == ["a"]
    assert stream.completed


@both
async def test_multi_line_data_is_joined_with_newlines(kind: str) -> None:
    text = json.dumps(chunk_json({"content": "multi"}), indent=1)  # JSON over many lines
    event = "".join(f"data: {line}\n" for line in text.splitlines()) + "\n"
    chunks = await collect(await stream_of(kind, sse_body(event, chunk_json({"content": "!"}))))
    assert contents(chunks) == ["multi", "!"]


A_CHUNK = chunk_json({"content": "a"})


@both
async def test_comments_keep_alives_and_other_fields_are_skipped(kind: str) -> None:
    body = sse_body(
        ": OPENROUTER PROCESSING\n\n",
        ":keep-alive\n\n",
        f"id: 1\nretry: 3000\n: a comment inside an event\ndata: {json.dumps(A_CHUNK)}\n\n",
        "\n\n\n",  # blank lines with no data dispatch nothing
        chunk_json({"content": "b"}),
        ": bye\n\n",
    )
    chunks = await collect(await stream_of(kind, body))
    assert contents(chunks) == ["a", "b"]


@both
@pytest.mark.parametrize("eol", ["\r\n", "\r"], ids=["crlf", "cr"])
async def test_crlf_and_cr_line_ends(kind: str, eol: str) -> None:
    body = sse_body(*text_chunks("x", "y")).replace(b"\n", eol.encode())
    stream = await stream_of(kind, body)
    assert contents(await collect(stream)) == ["", "x", "y", None]
    assert stream.completed


@both
async def test_the_data_field_without_a_space_and_unknown_fields_in_chunks(kind: str) -> None:
    chunk = {**chunk_json({"content": "a", "reasoning_content": "hmm"}), "provider": "local"}
    body = f"data:{json.dumps(chunk)}\n\n".encode() + sse_body()
    chunks = await collect(await stream_of(kind, body))
    assert chunks[0].provider == "local"  # kept, not an error
    assert chunks[0].choices[0].delta.model_extra == {"reasoning_content": "hmm"}


@both
async def test_a_usage_only_last_chunk(kind: str) -> None:
    usage = {
        **chunk_json(),
        "choices": [],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
    }
    body = sse_body(*text_chunks("a"), usage)
    stream = await open_stream(
        make_client(kind, Recorder(sse_response(body))), stream_options={"include_usage": True}
    )
    chunks = await collect(stream)
    assert chunks[-1].usage.total_tokens == 4
    completion = workbench.accumulate(chunks)
    assert completion.usage is not None and completion.usage.total_tokens == 4
    assert completion.choices[0].message.content == "a"


def test_the_sse_decoder_follows_the_event_stream_rules() -> None:
    from workbench.protocol._sse import iter_sse

    def events(*pieces: bytes) -> list[tuple[str, bytes, str | None, int | None]]:
        return [(e.event, e.raw, e.id, e.retry) for e in iter_sse(pieces)]

    # One space after the colon is dropped, no more; lines of one event join with "\n".
    assert events(b"data: a\ndata:  b \n\n") == [("message", b"a\n b ", None, None)]
    # The event type lasts for one event; id and retry are kept.
    assert events(b"event: error\nid: 7\nretry: 50\ndata: x\n\ndata: y\n\n") == [
        ("error", b"x", "7", 50),
        ("message", b"y", "7", 50),
    ]
    # A CRLF split across two pieces is one line end, not a line end and a blank line.
    assert events(b"data: a\r", b"\ndata: b\r\n\r\n") == [("message", b"a\nb", None, None)]
    assert events(b"event: error\r", b"\ndata: x\r", b"\n\r", b"\n") == [
        ("error", b"x", None, None)
    ]
    # Lone CRs end lines too; comments and blank lines without data dispatch nothing.
    assert events(b": hi\r\r\rdata: z\r\r") == [("message", b"z", None, None)]


# -- errors inside a stream ------------------------------------------------------------------------


@both
async def test_an_error_event_raises_api_error_with_the_message(kind: str) -> None:
    error = {"error": {"message": "The model is overloaded", "type": "server_error", "code": "x"}}
    body = sse_body(chunk_json({"content": "a"}), f"event: error\ndata: {json.dumps(error)}\n\n")
    stream = await stream_of(kind, body)
    got: list[Any] = []
    with pytest.raises(workbench.APIError) as info:
        async for chunk in each(stream):
            got.append(chunk)
    assert contents(got) == ["a"]
    assert type(info.value) is workbench.APIError
    assert str(info.value) == "The model is overloaded"
    assert info.value.body == error["error"]
    assert info.value.code == "x"
    assert info.value.type == "server_error"
    assert not isinstance(info.value, workbench.APIStatusError)
    assert stream.response.is_closed


@both
async def test_an_error_event_with_plain_text_data(kind: str) -> None:
    body = sse_body("event: error\ndata: upstream went away\ndata: try again later\n\n")
    with pytest.raises(workbench.APIError) as info:
        await collect(await stream_of(kind, body))
    assert type(info.value) is workbench.APIError
    assert str(info.value) == "upstream went away\ntry again later"


@both
async def test_an_error_event_with_a_bare_error_object(kind: str) -> None:
    # Some servers send the error object itself, not wrapped in {"error": ...}.
    bare = {"message": "context length exceeded", "type": "invalid_request_error"}
    body = sse_body(f"event: error\ndata: {json.dumps(bare)}\n\n")
    with pytest.raises(workbench.APIError) as info:
        await collect(await stream_of(kind, body))
    assert type(info.value) is workbench.APIError
    assert str(info.value) == "context length exceeded"
    assert info.value.body == bare


@both
async def test_an_error_object_as_data_raises_api_error(kind: str) -> None:
    body = sse_body({"error": {"message": "Rate limit reached mid-stream", "type": "tokens"}})
    with pytest.raises(workbench.APIError, match="Rate limit reached mid-stream") as info:
        await collect(await stream_of(kind, body))
    assert info.value.type == "tokens"


@both
@pytest.mark.parametrize(
    "data",
    ['{"id": "chatcmpl-1", "choices": [', "not json", '{"id": 1, "choices": "none"}'],
    ids=["truncated", "text", "wrong-shape"],
)
async def test_a_malformed_chunk_is_a_validation_error(kind: str, data: str) -> None:
    body = sse_body(chunk_json({"content": "a"}), f"data: {data}\n\n")
    stream = await stream_of(kind, body)
    got: list[Any] = []
    with pytest.raises(workbench.APIResponseValidationError, match="ChatCompletionChunk"):
        async for chunk in each(stream):
            got.append(chunk)
    assert contents(got) == ["a"]
    assert stream.response.is_closed


# -- closing ---------------------------------------------------------------------------------------


@both
async def test_a_with_block_closes_the_response(kind: str) -> None:
    stream = await stream_of(kind, sse_body(*text_chunks("a", "b", "c")))
    if kind == "sync":
        with stream as entered:
            assert entered is stream
            first = next(stream)
    else:
        async with stream as entered:
            assert entered is stream
            first = await stream.__anext__()
    assert first.choices[0].delta.content == ""
    assert stream.response.is_closed
    assert await collect(stream) == []  # nothing more comes out of a closed stream


@both
async def test_close_early_releases_the_response(kind: str) -> None:
    stream = await stream_of(kind, sse_body(*text_chunks("a", "b", "c")))
    got = []
    async for chunk in each(stream):
        got.append(chunk)
        if len(got) == 2:
            break
    await close(stream)
    assert stream.response.is_closed
    assert not stream.completed
    assert await collect(stream) == []


@both
async def test_close_before_reading(kind: str) -> None:
    stream = await stream_of(kind, sse_body(*text_chunks("a")))
    await close(stream)
    assert stream.response.is_closed
    assert await collect(stream) == []


@both
async def test_the_response_is_the_httpx_response(kind: str) -> None:
    response = sse_response(sse_body(*text_chunks("a")), **{"x-request-id": "req_s1"})
    stream = await open_stream(make_client(kind, Recorder(response)))
    assert isinstance(stream.response, httpx.Response)
    assert stream.response.status_code == 200
    assert stream.response.headers["x-request-id"] == "req_s1"
    assert stream.response.request.url.path == "/v1/chat/completions"
    assert json.loads(stream.response.request.content)["stream"] is True
    await close(stream)


@both
async def test_close_early_releases_a_real_connection(kind: str) -> None:
    client_gone = threading.Event()

    def endless(server: TinyServer, conn: socket.socket, n: int) -> None:
        conn.sendall(http_head(200, chunked=True, content_type="text/event-stream"))
        event = sse_body(chunk_json({"content": "tick"}), done=False)
        deadline = time.monotonic() + 5
        while not server.stopping.is_set() and time.monotonic() < deadline:
            try:
                conn.sendall(http_chunk(event))
            except OSError:
                client_gone.set()
                return
            server.stopping.wait(0.005)

    with TinyServer(endless) as server:
        client = real_client(kind, base_url=server.url, timeout=5)
        try:
            stream = await open_stream(client)
            got = []
            async for chunk in each(stream):
                got.append(chunk)
                if len(got) == 3:
                    break
            await close(stream)
            assert stream.response.is_closed
            assert client_gone.wait(3), "the server kept streaming to a closed stream"
        finally:
            await close(client)
    assert contents(got) == ["tick"] * 3


# -- with_raw_response -----------------------------------------------------------------------------


@both
async def test_raw_response_gives_status_headers_and_parse(kind: str) -> None:
    headers = {
        "x-request-id": "req_raw1",
        "x-ratelimit-remaining-requests": "4999",
        "x-ratelimit-remaining-tokens": "159000",
    }
    handler = Recorder(httpx.Response(200, json=completion_json("raw!"), headers=headers))
    client = make_client(kind, handler)
    raw = await resolve(
        client.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=MESSAGES)
    )
    assert isinstance(raw, workbench.APIResponse)
    assert raw.status_code == 200
    assert raw.headers["x-request-id"] == "req_raw1"
    assert raw.request_id == "req_raw1"
    assert raw.headers["x-ratelimit-remaining-requests"] == "4999"
    assert raw.http_request.method == "POST"
    completion = raw.parse()
    assert isinstance(completion, workbench.types.ChatCompletion)
    assert completion.choices[0].message.content == "raw!"
    assert raw.parse() is completion
    assert handler.calls == 1


@both
async def test_raw_response_of_a_stream_parses_to_the_stream(kind: str) -> None:
    response = sse_response(sse_body(*text_chunks("r")), **{"x-request-id": "req_raw2"})
    client = make_client(kind, Recorder(response))
    raw = await resolve(
        client.chat.completions.with_raw_response.create(
            model="gpt-4o-mini", messages=MESSAGES, stream=True
        )
    )
    assert raw.headers["x-request-id"] == "req_raw2"
    stream = raw.parse()
    assert isinstance(stream, workbench.Stream if kind == "sync" else workbench.AsyncStream)
    assert contents(await collect(stream)) == ["", "r", None]


@both
async def test_raw_response_of_other_endpoints(kind: str) -> None:
    model = {"id": "gpt-4o", "object": "model", "created": 1, "owned_by": "openai"}
    handler = Recorder(httpx.Response(200, json=model, headers={"x-request-id": "req_m"}))
    raw = await resolve(make_client(kind, handler).models.with_raw_response.retrieve("gpt-4o"))
    assert raw.request_id == "req_m"
    assert raw.parse().id == "gpt-4o"


# -- the recorded streams --------------------------------------------------------------------------


@functools.cache
def manifest() -> dict[str, Any]:
    return json.loads((STREAMS / "manifest.json").read_text())  # type: ignore[no-any-return]


def stream_names() -> list[str]:
    return sorted(manifest()["streams"])


class Location(pydantic.BaseModel):
    city: str
    temperature: float
    units: Literal["c", "f"]


class GetWeatherArgs(pydantic.BaseModel):
    city: str
    country: str
    units: Literal["c", "f"] = "c"


class GetStockPrice(pydantic.BaseModel):
    ticker: str
    exchange: str


def _function_tool(model: type[pydantic.BaseModel], name: str | None = None) -> Any:
    make = getattr(workbench, "pydantic_function_tool", None)
    if make is None:  # not exported yet: the schema module has it
        from workbench.protocol._schema import pydantic_function_tool as make
    return make(model) if name is None else make(model, name=name)


def _weather_tool(*, strict: bool) -> dict[str, Any]:
    if strict:
        parameters = {
            "type": "object",
            "properties": {"city": {"type": "string"}, "state": {"type": "string"}},
            "required": ["city", "state"],
            "additionalProperties": False,
        }
    else:
        parameters = {"type": "object", "properties": {"city": {"type": "string"}}}
    function = {"name": "get_weather", "parameters": parameters}
    if strict:
        function["strict"] = True
    return {"type": "function", "function": function}


def request_for(name: str) -> dict[str, Any]:
    """The request that produced a recorded stream, with the manifest's prose made concrete."""
    request = dict(manifest()["streams"][name]["request"])
    if isinstance(request.get("response_format"), str):  # "json_schema named Location ..."
        request["response_format"] = Location
    tools = {
        "pydantic-tool.sse": [_function_tool(GetWeatherArgs)],
        "two-pydantic-tools.sse": [
            _function_tool(GetWeatherArgs),
            _function_tool(GetStockPrice, name="get_stock_price"),
        ],
        "strict-tool.sse": [_weather_tool(strict=True)],
        "non-strict-tool.sse": [_weather_tool(strict=False)],
    }
    if "tools" in request:
        request["tools"] = tools[name]
    return {"model": "gpt-4o-2024-08-06", **request}


HANDLED = {
    "choices", "finish_reason", "content", "content_startswith", "refusal", "refusal_startswith",
    "tool_calls", "logprobs_content_tokens", "logprobs_refusal_tokens", "parsed", "parse",
    "note",
}  # fmt: skip


def check_against_manifest(name: str, completion: Any) -> None:
    """What the manifest says a correct client concludes from the stream ``name``."""
    expect = manifest()["streams"][name]["expect"]
    assert set(expect) <= HANDLED, f"the manifest expects more than this test checks: {expect}"
    assert len(completion.choices) == expect["choices"]
    assert [c.index for c in completion.choices] == list(range(expect["choices"]))
    for choice in completion.choices:
        if "finish_reason" in expect:
            assert choice.finish_reason == expect["finish_reason"]
    message = completion.choices[0].message
    if name == "json-object.sse":  # the manifest describes this content instead of quoting it
        assert {"location", "weather", "forecast"} <= set(json.loads(message.content))
    elif "content" in expect:
        assert message.content == expect["content"]
    if "content_startswith" in expect:
        assert message.content.startswith(expect["content_startswith"])
    if "refusal" in expect:
        assert message.refusal == expect["refusal"]
    if "refusal_startswith" in expect:
        assert message.refusal.startswith(expect["refusal_startswith"])
    if "tool_calls" in expect:
        if expect["tool_calls"] is None:
            assert not message.tool_calls
        else:
            assert len(message.tool_calls) == len(expect["tool_calls"])
            for i, (call, want) in enumerate(
                zip(message.tool_calls, expect["tool_calls"], strict=True)
            ):
                assert want.get("index", i) == i
                assert call.type == "function"
                assert call.function.name == want["name"]
                assert call.id.startswith("call_")
                if "id" in want:
                    assert call.id == want["id"]
                if "arguments" in want:
                    assert call.function.arguments == want["arguments"]
                arguments = json.loads(call.function.arguments)  # complete JSON, never a prefix
                if "parsed_arguments" in want:
                    assert arguments == want["parsed_arguments"]
            assert len({c.id for c in message.tool_calls}) == len(message.tool_calls)
    if "logprobs_content_tokens" in expect:
        tokens = [t.token for t in completion.choices[0].logprobs.content]
        assert tokens == expect["logprobs_content_tokens"]
        assert "".join(tokens) == message.content
    if "logprobs_refusal_tokens" in expect:
        tokens = completion.choices[0].logprobs.refusal
        assert len(tokens) == expect["logprobs_refusal_tokens"]
        assert "".join(t.token for t in tokens) == message.refusal
    if name.startswith("structured-pydantic"):  # "parsed": one Location per choice
        for choice in completion.choices:
            Location.model_validate_json(choice.message.content)


@functools.cache
def recorded_chunks(name: str) -> list[dict[str, Any]]:
    """The chunks of a recorded stream, read by the plain ``json`` module (the reference)."""
    chunks = []
    for line in (STREAMS / name).read_text().splitlines():
        if line.startswith("data: ") and line != "data: [DONE]":
            chunks.append(json.loads(line[6:]))
    return chunks


@both
@pytest.mark.parametrize("name", stream_names())
async def test_recorded_stream_through_create_and_accumulate(kind: str, name: str) -> None:
    handler = Recorder(sse_response((STREAMS / name).read_bytes()))
    stream = await open_stream(make_client(kind, handler), **request_for(name))
    chunks = await collect(stream)
    assert stream.completed
    assert [c.model_dump(mode="json", exclude_unset=True) for c in chunks] == recorded_chunks(name)
    completion = workbench.accumulate(chunks)
    check_against_manifest(name, completion)
    assert completion.id == chunks[0].id
    assert completion.model == "gpt-4o-2024-08-06"


needs_parsing = pytest.mark.skipif(
    importlib.util.find_spec("workbench.protocol._parsing") is None,
    reason="workbench.protocol._parsing (used by .stream() to parse) is not written yet",
)


@needs_parsing
@both
@pytest.mark.parametrize("name", stream_names())
async def test_recorded_stream_through_the_stream_helper(kind: str, name: str) -> None:
    handler = Recorder(sse_response((STREAMS / name).read_bytes()))
    client = make_client(kind, handler)
    request = request_for(name)
    manager = client.chat.completions.stream(**request)
    final: Any = None
    failure: BaseException | None = None
    if kind == "sync":
        with manager as stream:
            events = list(stream)
            try:
                final = stream.get_final_completion()
            except workbench.LengthFinishReasonError as exc:
                failure = exc
            snapshot = stream.current_completion_snapshot
            response = stream.response
    else:
        async with manager as stream:
            events = [event async for event in stream]
            try:
                final = await stream.get_final_completion()
            except workbench.LengthFinishReasonError as exc:
                failure = exc
            snapshot = stream.current_completion_snapshot
            response = stream.response
    assert response.is_closed
    assert handler.body["stream"] is True
    if request.get("response_format") is Location:
        # The request sent is the one that produced the recording (titles aside).
        sent = handler.body["response_format"]
        assert sent["type"] == "json_schema"
        assert sent["json_schema"]["name"] == "Location"
        assert sent["json_schema"]["strict"] is True
        assert _without_titles(sent["json_schema"]["schema"]) == manifest()["location_schema"]
    expect = manifest()["streams"][name]["expect"]

    # The events tell the same story as the final completion.
    chunk_events = [e for e in events if e.type == "chunk"]
    assert len(chunk_events) == len(recorded_chunks(name))
    check_against_manifest(name, snapshot)
    by_type: dict[str, list[Any]] = {}
    for event in events:
        by_type.setdefault(event.type, []).append(event)
    for choice in snapshot.choices:
        message = choice.message
        if message.content is not None:
            done = [e for e in by_type["content.done"] if e.choice_index == choice.index]
            assert [e.content for e in done] == [message.content]
            deltas = [e for e in by_type["content.delta"] if e.choice_index == choice.index]
            assert "".join(e.delta for e in deltas) == message.content
        if message.refusal is not None:
            assert [e.refusal for e in by_type["refusal.done"]] == [message.refusal]
        if message.tool_calls:
            done = by_type["tool_calls.function.arguments.done"]
            assert [(e.index, e.name, e.arguments) for e in done] == [
                (i, c.function.name, c.function.arguments) for i, c in enumerate(message.tool_calls)
            ]
        if choice.logprobs is not None and choice.logprobs.content:
            (done,) = by_type["logprobs.content.done"]
            assert done.content == choice.logprobs.content
        if choice.logprobs is not None and choice.logprobs.refusal:
            (done,) = by_type["logprobs.refusal.done"]
            assert done.refusal == choice.logprobs.refusal

    if "parse" in expect:  # structured-max-tokens-1: cut off, so it cannot be parsed
        assert isinstance(failure, workbench.LengthFinishReasonError)
        assert failure.completion.choices[0].finish_reason == "length"
        return
    assert failure is None
    check_against_manifest(name, final)
    message = final.choices[0].message
    if name.startswith("structured-pydantic"):
        for choice in final.choices:
            assert isinstance(choice.message.parsed, Location)
            assert choice.message.parsed == Location.model_validate_json(choice.message.content)
    elif "parsed" in expect:  # the refusal: nothing to parse
        assert expect["parsed"] is None
        assert message.parsed is None
    elif name == "json-object.sse":
        assert message.parsed is None
    if name == "pydantic-tool.sse":
        (call,) = message.tool_calls
        assert call.function.parsed_arguments == GetWeatherArgs(
            **expect["tool_calls"][0]["parsed_arguments"]
        )
    if name == "two-pydantic-tools.sse":
        first, second = (c.function.parsed_arguments for c in message.tool_calls)
        assert isinstance(first, GetWeatherArgs)
        assert isinstance(second, GetStockPrice)
        assert second == GetStockPrice(ticker="AAPL", exchange="NASDAQ")
    if name == "strict-tool.sse":
        (call,) = message.tool_calls
        assert call.function.parsed_arguments == {"city": "San Francisco", "state": "CA"}
    if name == "non-strict-tool.sse":  # a non-strict tool is not parsed: arguments stay text
        (call,) = message.tool_calls
        assert call.function.parsed_arguments is None
        assert json.loads(call.function.arguments) == {"city": "New York City"}


def _without_titles(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {k: _without_titles(v) for k, v in schema.items() if k != "title"}
    return schema


def test_every_recorded_stream_is_covered() -> None:
    on_disk = sorted(p.name for p in STREAMS.glob("*.sse"))
    assert on_disk == stream_names()
    assert len(on_disk) >= 12


# -- random split points ---------------------------------------------------------------------------


def _chunks_of(pieces: list[bytes]) -> list[dict[str, Any]]:
    client = make_client("sync", Recorder(sse_response(Pieces(pieces))))
    stream = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
    chunks = [c.model_dump(mode="json", exclude_unset=True) for c in stream]
    assert stream.completed
    return chunks


def _split(body: bytes, cuts: list[int]) -> list[bytes]:
    edges = [0, *sorted(set(cuts)), len(body)]
    return [body[a:b] for a, b in itertools.pairwise(edges) if b > a]


@pytest.mark.parametrize("name", stream_names())
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_random_split_points_give_the_same_chunks(name: str, data: st.DataObject) -> None:
    body = (STREAMS / name).read_bytes()
    if data.draw(st.booleans(), label="ugly"):
        body = _uglify(body)
    if data.draw(st.booleans(), label="crlf"):
        body = body.replace(b"\n", b"\r\n")  # and a cut may fall between CR and LF
    cuts = data.draw(st.lists(st.integers(1, len(body) - 1), max_size=60), label="cuts")
    assert _chunks_of(_split(body, cuts)) == recorded_chunks(name)


def _uglify(body: bytes) -> bytes:
    """The same events, as other servers frame them: JSON over many ``data:`` lines, named
    events, ids, and keep-alive comments in between."""
    out = [b": connected\n\n"]
    for i, line in enumerate(body.decode().split("\n\n")):
        if not line.startswith("data: {"):
            out.append(line.encode() + b"\n\n" if line else b"")
            continue
        pretty = json.dumps(json.loads(line[6:]), indent=1, ensure_ascii=False)
        data = "".join(f"data: {part}\n" for part in pretty.split("\n"))
        out.append(f": keep-alive\nevent: message\nid: {i}\n{data}\n:\n\n".encode())
    return b"".join(out)


def test_uglify_keeps_every_chunk() -> None:
    for name in stream_names():
        body = _uglify((STREAMS / name).read_bytes())
        assert body.count(b"\ndata: {\n") + body.startswith(b"data: {\n") == len(
            recorded_chunks(name)
        )
        assert _chunks_of([body]) == recorded_chunks(name)


@both
@pytest.mark.parametrize("size", [1, 2, 7, 64])
async def test_byte_by_byte_pieces_give_the_same_chunks(kind: str, size: int) -> None:
    for name in ("content-logprobs.sse", "two-pydantic-tools.sse", "refusal-logprobs.sse"):
        raw = (STREAMS / name).read_bytes()
        for body in (raw, raw.replace(b"\n", b"\r\n"), _uglify(raw).replace(b"\n", b"\r\n")):
            pieces = [body[i : i + size] for i in range(0, len(body), size)]
            stream = await stream_of(kind, Pieces(pieces))
            chunks = [c.model_dump(mode="json", exclude_unset=True) for c in await collect(stream)]
            assert chunks == recorded_chunks(name)
            assert stream.completed


def test_the_reference_reader_sees_every_chunk() -> None:
    # Guards the split tests against a reference that is empty or misses events.
    for name in stream_names():
        body = (STREAMS / name).read_bytes()
        assert len(recorded_chunks(name)) == body.count(b"data: {")
        assert body.rstrip().endswith(b"data: [DONE]")


@both
async def test_a_json_answer_to_a_stream_request_is_a_clear_error(kind: str) -> None:
    body = completion_json("not streamed")

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=body)

    client = make_client(kind, Recorder(handler))
    stream = await resolve(
        client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    )
    with pytest.raises(workbench.APIResponseValidationError, match="JSON body"):
        await collect(stream)

    def error_handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"error": {"message": "streams are off here"}})

    client = make_client(kind, Recorder(error_handler))
    stream = await resolve(
        client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    )
    with pytest.raises(workbench.APIError, match="streams are off here"):
        await collect(stream)
