"""Retries: which failures are retried, how often, how long the client waits, and that a stream
already handed to the caller is never sent again."""

from __future__ import annotations

import email.utils
import json
import random
import socket
import time
from typing import Any

import httpx
import pytest

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
    patch_sleep,
    real_client,
    reset,
    resolve,
    sse_body,
    sse_response,
    text_chunks,
)

OK = httpx.Response(200, json=completion_json("finally"))


@pytest.fixture(autouse=True)
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    return patch_sleep(monkeypatch)


def fail(status: int, **headers: str) -> httpx.Response:
    return httpx.Response(status, json={"error": {"message": f"status {status}"}}, headers=headers)


# -- what is retried -------------------------------------------------------------------------------


@both
@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504])
async def test_retryable_statuses_are_retried_until_success(
    kind: str, status: int, sleeps: list[float]
) -> None:
    handler = Recorder(fail(status), fail(status), OK)
    completion = await create(make_client(kind, handler))
    assert completion.choices[0].message.content == "finally"
    assert handler.calls == 3
    assert len(sleeps) == 2
    assert handler.requests[0].content == handler.requests[2].content  # the same body again


@both
@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
async def test_client_errors_are_never_retried(kind: str, status: int, sleeps: list[float]) -> None:
    handler = Recorder(fail(status), OK)
    with pytest.raises(workbench.APIStatusError) as info:
        await create(make_client(kind, handler, max_retries=5))
    assert info.value.status_code == status
    assert handler.calls == 1
    assert sleeps == []


@both
async def test_x_should_retry_true_retries_a_400(kind: str) -> None:
    handler = Recorder(fail(400, **{"x-should-retry": "true"}), OK)
    completion = await create(make_client(kind, handler))
    assert completion.choices[0].message.content == "finally"
    assert handler.calls == 2


@both
async def test_x_should_retry_false_stops_retrying_a_500(kind: str, sleeps: list[float]) -> None:
    handler = Recorder(fail(500, **{"x-should-retry": "false"}), OK)
    with pytest.raises(workbench.InternalServerError):
        await create(make_client(kind, handler))
    assert handler.calls == 1
    assert sleeps == []


@both
@pytest.mark.parametrize(
    "exc",
    [
        httpx.ConnectError("refused"),
        httpx.ReadError("reset by peer"),
        httpx.RemoteProtocolError("server disconnected"),
        httpx.ConnectTimeout("connect timed out"),
        httpx.ReadTimeout("read timed out"),
    ],
    ids=lambda e: type(e).__name__,
)
async def test_connection_errors_and_timeouts_are_retried(kind: str, exc: Exception) -> None:
    handler = Recorder(exc, exc, OK)
    completion = await create(make_client(kind, handler))
    assert completion.choices[0].message.content == "finally"
    assert handler.calls == 3


@both
async def test_connection_errors_give_up_after_max_retries(kind: str, sleeps: list[float]) -> None:
    handler = Recorder(httpx.ConnectError("refused"))
    with pytest.raises(workbench.APIConnectionError):
        await create(make_client(kind, handler, max_retries=3))
    assert handler.calls == 4
    assert len(sleeps) == 3


@both
async def test_timeouts_give_up_as_a_timeout_error(kind: str) -> None:
    handler = Recorder(httpx.ReadTimeout("read timed out"))
    with pytest.raises(workbench.APITimeoutError):
        await create(make_client(kind, handler))
    assert handler.calls == 3


# -- how many times --------------------------------------------------------------------------------


@both
@pytest.mark.parametrize("max_retries", [0, 1, 2, 5])
async def test_attempts_are_one_plus_max_retries(kind: str, max_retries: int) -> None:
    handler = Recorder(fail(503))
    client = make_client(kind, handler, max_retries=max_retries)
    with pytest.raises(workbench.InternalServerError):
        await create(client)
    assert handler.calls == 1 + max_retries


@both
async def test_the_default_is_two_retries(kind: str) -> None:
    handler = Recorder(fail(429))
    client = make_client(kind, handler)
    assert client.max_retries == 2
    with pytest.raises(workbench.RateLimitError):
        await create(client)
    assert handler.calls == 3


@both
@pytest.mark.parametrize("max_retries", [0, 1, 4])
async def test_with_options_sets_max_retries_for_the_copy_only(kind: str, max_retries: int) -> None:
    handler = Recorder(fail(500))
    client = make_client(kind, handler, max_retries=2)
    with pytest.raises(workbench.InternalServerError):
        await create(client.with_options(max_retries=max_retries))
    assert handler.calls == 1 + max_retries
    assert client.max_retries == 2
    with pytest.raises(workbench.InternalServerError):
        await create(client)
    assert handler.calls == 1 + max_retries + 3


@both
async def test_other_endpoints_retry_too(kind: str) -> None:
    model = httpx.Response(200, json={"id": "gpt-4o", "object": "model", "owned_by": "openai"})
    handler = Recorder(fail(502), model)
    result = await resolve(make_client(kind, handler).models.retrieve("gpt-4o"))
    assert result.id == "gpt-4o"
    assert handler.calls == 2


@pytest.mark.parametrize("cls", [workbench.Client, workbench.AsyncClient])
@pytest.mark.parametrize("bad", [-1, 1.5, True, "2"])
def test_max_retries_must_be_a_non_negative_integer(cls: type[Any], bad: Any) -> None:
    with pytest.raises(workbench.WorkbenchError, match="max_retries"):
        cls(api_key="k", max_retries=bad)


@both
async def test_retry_count_header_increments(kind: str) -> None:
    handler = Recorder(fail(500), fail(500), OK)
    await create(make_client(kind, handler))
    counts = [r.headers.get("x-stainless-retry-count") for r in handler.requests]
    assert counts[0] in (None, "0")
    assert counts[1:] == ["1", "2"]


@both
async def test_raw_response_reports_the_retries_taken(kind: str) -> None:
    handler = Recorder(fail(429), fail(429), OK)
    client = make_client(kind, handler)
    raw = await resolve(
        client.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=MESSAGES)
    )
    assert raw.retries_taken == 2
    assert raw.parse().choices[0].message.content == "finally"


# -- rate limits left to the caller: retry_rate_limits=False ---------------------------------------


@both
@pytest.mark.parametrize("should_retry", [None, "true"])
async def test_retry_rate_limits_false_raises_a_429_at_once(
    kind: str, should_retry: str | None, sleeps: list[float]
) -> None:
    headers = {"retry-after": "1"} | ({"x-should-retry": should_retry} if should_retry else {})
    handler = Recorder(fail(429, **headers), OK)
    client = make_client(kind, handler, retry_rate_limits=False)
    with pytest.raises(workbench.RateLimitError) as info:
        await create(client)
    assert info.value.response.headers["retry-after"] == "1"  # for the caller's own pause
    assert handler.calls == 1
    assert sleeps == []


@both
async def test_retry_rate_limits_false_raises_a_streamed_429_at_once(kind: str) -> None:
    handler = Recorder(fail(429), sse_response(sse_body(*text_chunks("hi"))))
    client = make_client(kind, handler, retry_rate_limits=False)
    with pytest.raises(workbench.RateLimitError):
        await create(client, stream=True)
    assert handler.calls == 1


@both
async def test_retry_rate_limits_false_still_retries_everything_else(
    kind: str, sleeps: list[float]
) -> None:
    handler = Recorder(fail(500), httpx.ConnectError("refused"), fail(408), OK)
    client = make_client(kind, handler, retry_rate_limits=False, max_retries=3)
    completion = await create(client)
    assert completion.choices[0].message.content == "finally"
    assert handler.calls == 4
    assert len(sleeps) == 3


@both
async def test_with_options_leaves_rate_limits_to_the_copy_only(kind: str) -> None:
    handler = Recorder(fail(429))
    client = make_client(kind, handler)
    assert client.retry_rate_limits is True
    copy = client.with_options(retry_rate_limits=False)
    assert copy.retry_rate_limits is False and client.retry_rate_limits is True
    with pytest.raises(workbench.RateLimitError):
        await create(copy)
    assert handler.calls == 1
    with pytest.raises(workbench.RateLimitError):
        await create(client)
    assert handler.calls == 1 + 3
    again = copy.with_options(max_retries=5)  # a copy of the copy keeps the setting
    with pytest.raises(workbench.RateLimitError):
        await create(again)
    assert again.retry_rate_limits is False and handler.calls == 1 + 3 + 1


@pytest.mark.parametrize("cls", [workbench.Client, workbench.AsyncClient])
@pytest.mark.parametrize("bad", [0, 1, "no", None])
def test_retry_rate_limits_must_be_a_bool(cls: type[Any], bad: Any) -> None:
    with pytest.raises(workbench.WorkbenchError, match="retry_rate_limits"):
        cls(api_key="k", retry_rate_limits=bad)


# -- how long it waits -----------------------------------------------------------------------------


@both
@pytest.mark.parametrize(
    ("headers", "delay"),
    [
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": "0.8"}, 0.8),
        ({"retry-after-ms": "1200", "retry-after": "30"}, 1.2),  # the finer one wins
        ({"retry-after-ms": "soon", "retry-after": "2"}, 2.0),  # a bad one is skipped
    ],
)
async def test_retry_after_headers_are_honoured(
    kind: str, headers: dict[str, str], delay: float, sleeps: list[float]
) -> None:
    handler = Recorder(fail(429, **headers), fail(503, **headers), OK)
    await create(make_client(kind, handler))
    assert sleeps == [delay, delay]


@both
async def test_retry_after_as_an_http_date(kind: str, sleeps: list[float]) -> None:
    when = email.utils.formatdate(time.time() + 10, usegmt=True)
    handler = Recorder(fail(503, **{"retry-after": when}), OK)
    await create(make_client(kind, handler))
    assert len(sleeps) == 1
    assert 8.5 <= sleeps[0] <= 10.0  # the date has whole seconds


@both
@pytest.mark.parametrize(
    "headers",
    [
        {"retry-after": "120"},
        {"retry-after": "-5"},
        {"retry-after": "0"},
        {"retry-after-ms": "0"},
        {"retry-after": "tomorrow"},
        {},
    ],
    ids=["too-long", "negative", "zero", "zero-ms", "garbage", "none"],
)
async def test_without_a_usable_header_the_backoff_is_used(
    kind: str, headers: dict[str, str], sleeps: list[float]
) -> None:
    handler = Recorder(fail(429, **headers), OK)
    await create(make_client(kind, handler))
    assert len(sleeps) == 1
    assert 0.375 <= sleeps[0] <= 0.5


@both
async def test_exponential_backoff_with_jitter_bounds(kind: str, sleeps: list[float]) -> None:
    handler = Recorder(fail(500))
    client = make_client(kind, handler, max_retries=6)
    for _ in range(5):
        with pytest.raises(workbench.InternalServerError):
            await create(client)
    bases = [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]  # doubling from 0.5 s, capped at 8 s
    assert len(sleeps) == 5 * len(bases)
    for run in range(5):
        for base, delay in zip(bases, sleeps[run * 6 : run * 6 + 6], strict=True):
            assert 0.75 * base <= delay <= base
    assert len(set(sleeps)) > len(bases)  # jitter: the runs did not all wait alike


@both
@pytest.mark.parametrize(("draw", "factor"), [(0.0, 1.0), (0.5, 0.875), (0.999999, 0.75)])
async def test_the_jitter_takes_up_to_a_quarter_off(
    kind: str, draw: float, factor: float, sleeps: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(random, "random", lambda: draw)
    handler = Recorder(fail(500), fail(500), fail(500), OK)
    await create(make_client(kind, handler, max_retries=3))
    assert sleeps == pytest.approx([0.5 * factor, 1.0 * factor, 2.0 * factor], abs=1e-5)


# -- streams ---------------------------------------------------------------------------------------


@both
async def test_a_stream_is_retried_while_nothing_was_handed_over(kind: str) -> None:
    handler = Recorder(
        httpx.ConnectError("refused"), fail(503), sse_response(sse_body(*text_chunks("ok")))
    )
    stream = await create(make_client(kind, handler), stream=True)
    chunks = await collect(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "ok"
    assert handler.calls == 3


@both
async def test_a_stream_is_never_retried_once_a_chunk_was_handed_over(
    kind: str, sleeps: list[float]
) -> None:
    first = sse_body(chunk_json({"role": "assistant", "content": "Hel"}), done=False)
    second = sse_body(chunk_json({"content": "lo"}), done=False)
    body = Pieces([first, second, httpx.ReadError("connection reset by peer")])
    handler = Recorder(sse_response(body), sse_response(sse_body(*text_chunks("again"))))
    stream = await create(make_client(kind, handler, max_retries=3), stream=True)
    got: list[Any] = []
    with pytest.raises(workbench.APIConnectionError, match="reset"):
        async for chunk in each(stream):
            got.append(chunk)
    assert [c.choices[0].delta.content for c in got] == ["Hel", "lo"]
    assert handler.calls == 1
    assert sleeps == []
    assert not stream.completed
    assert stream.response.is_closed


@both
async def test_a_real_connection_reset_mid_stream(kind: str, sleeps: list[float]) -> None:
    events = sse_body(chunk_json({"role": "assistant", "content": "Hi"}), done=False)

    def answer(server: TinyServer, conn: socket.socket, n: int) -> None:
        conn.sendall(http_head(200, chunked=True, content_type="text/event-stream"))
        conn.sendall(http_chunk(events))
        # Wait until the client read the chunk, then abort the connection.
        server.stopping.wait(0.1)
        reset(conn)

    with TinyServer(answer) as server:
        client = real_client(kind, base_url=server.url, max_retries=2, timeout=5)
        try:
            stream = await create(client, stream=True)
            got: list[Any] = []
            with pytest.raises(workbench.APIConnectionError):
                async for chunk in each(stream):
                    got.append(chunk)
        finally:
            await close(client)
    assert [c.choices[0].delta.content for c in got] == ["Hi"]
    assert server.connections == 1
    assert sleeps == []


@both
async def test_a_real_reset_before_any_byte_is_retried(kind: str) -> None:
    def answer(server: TinyServer, conn: socket.socket, n: int) -> None:
        if n == 0:
            reset(conn)
            return
        conn.sendall(http_head(200, chunked=True, content_type="text/event-stream"))
        conn.sendall(http_chunk(sse_body(*text_chunks("second"))) + http_chunk(b""))

    with TinyServer(answer) as server:
        client = real_client(kind, base_url=server.url, timeout=5)
        try:
            stream = await create(client, stream=True)
            chunks = await collect(stream)
        finally:
            await close(client)
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "second"
    assert stream.completed
    assert server.connections == 2


@both
async def test_a_real_server_503_then_200(kind: str, sleeps: list[float]) -> None:
    data = json.dumps(completion_json("over a socket")).encode()

    def answer(server: TinyServer, conn: socket.socket, n: int) -> None:
        if n == 0:
            error = b'{"error": {"message": "busy"}}'
            head = http_head(503, retry_after_ms="20", content_length=str(len(error)))
            conn.sendall(head + error)
            return
        conn.sendall(http_head(200, content_type="application/json",
                               content_length=str(len(data))) + data)  # fmt: skip

    with TinyServer(answer) as server:
        client = real_client(kind, base_url=server.url, timeout=5)
        try:
            completion = await create(client)
        finally:
            await close(client)
    assert completion.choices[0].message.content == "over a socket"
    assert server.connections == 2
    assert sleeps == [0.02]
