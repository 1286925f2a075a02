"""The fault battery's findings, checked on their own: how a stream that ends without ``[DONE]``
is judged, bodies that are no event stream at all, huge events, error messages that name their
cause (a reset under asyncio, another server's error format).

The battery itself (``test_fault_battery.py``) drives the same faults through real sockets, the
conversation, the grid and the log.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

import workbench
from tests._mock import (
    KEY,
    MESSAGES,
    Pieces,
    Recorder,
    both,
    chunk_json,
    collect,
    create,
    each,
    make_client,
    sse_body,
    sse_response,
    text_chunks,
)
from workbench.protocol._sse import SSEDecoder


async def stream_of(kind: str, response: httpx.Response) -> Any:
    return await create(make_client(kind, Recorder(response)), stream=True)


def contents(chunks: list[Any]) -> list[str | None]:
    return [c.choices[0].delta.content if c.choices else None for c in chunks]


# -- a body that ends without [DONE] --------------------------------------------------------------


@both
async def test_a_whole_reply_without_done_is_accepted(kind: str) -> None:
    usage = {**chunk_json(), "choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 2}}
    usage["usage"]["total_tokens"] = 3
    body = sse_body(*text_chunks("Hel", "lo"), usage, done=False)
    stream = await stream_of(kind, sse_response(body))
    chunks = await collect(stream)
    assert contents(chunks) == ["", "Hel", "lo", None, None]
    assert not stream.completed, "no [DONE] came, and the stream says so"


@both
async def test_a_reply_cut_cleanly_without_done_raises_and_keeps_the_chunks(kind: str) -> None:
    body = sse_body(*text_chunks("Hel", "lo")[:-1], done=False)  # no finish_reason, no [DONE]
    stream = await stream_of(kind, sse_response(body))
    got: list[Any] = []
    with pytest.raises(workbench.APIConnectionError, match="before the reply was finished"):
        async for chunk in each(stream):
            got.append(chunk)
    assert contents(got) == ["", "Hel", "lo"]
    assert stream.response.is_closed


@both
async def test_one_choice_of_two_unfinished_is_a_cut(kind: str) -> None:
    chunks = [
        chunk_json({"role": "assistant", "content": "a"}, index=0),
        chunk_json({"role": "assistant", "content": "b"}, index=1),
        chunk_json({}, finish_reason="stop", index=0),
    ]
    stream = await stream_of(kind, sse_response(sse_body(*chunks, done=False)))
    with pytest.raises(workbench.APIConnectionError, match="before the reply was finished"):
        await collect(stream)
    finished = [*chunks, chunk_json({}, finish_reason="stop", index=1)]
    stream = await stream_of(kind, sse_response(sse_body(*finished, done=False)))
    assert len(await collect(stream)) == 4


@both
async def test_the_stream_manager_raises_on_a_clean_cut_too(kind: str) -> None:
    body = sse_body(*text_chunks("Half", " a reply")[:-1], done=False)
    client = make_client(kind, Recorder(sse_response(body)))
    manager = client.chat.completions.stream(model="gpt-4o-mini", messages=MESSAGES)
    deltas: list[str] = []
    with pytest.raises(workbench.APIConnectionError):
        if kind == "sync":
            with manager as stream:
                deltas.extend(e.delta for e in stream if e.type == "content.delta")
        else:
            async with manager as stream:
                async for event in stream:
                    if event.type == "content.delta":
                        deltas.append(event.delta)
    assert "".join(deltas) == "Half a reply"


# -- bodies that are no event stream ----------------------------------------------------------


@both
@pytest.mark.parametrize(
    ("response", "words"),
    [
        (sse_response(b""), "empty body"),
        (sse_response(b"\r\n  \n"), "empty body"),
        (sse_response(b": keep-alive\n\n: keep-alive\n\n"), "not an event stream"),
        (
            httpx.Response(
                200, text=f"<html>Sign in {KEY}</html>", headers={"content-type": "text/html"}
            ),
            "not an event stream",
        ),
    ],
    ids=["empty", "blank", "only-comments", "html"],
)
async def test_a_200_that_is_no_event_stream_is_a_validation_error(
    kind: str, response: httpx.Response, words: str
) -> None:
    handler = Recorder(response)
    stream = await create(make_client(kind, handler, max_retries=2), stream=True)
    with pytest.raises(workbench.APIResponseValidationError, match=words) as info:
        await collect(stream)
    assert info.value.status_code == 200
    assert KEY not in str(info.value) and KEY not in json.dumps(info.value.body)
    assert handler.calls == 1, "a bad 200 is not retried"
    if "html" in str(response.headers.get("content-type")):
        assert "<html>Sign in [redacted]" in str(info.value), "the body is quoted, without key"


@both
async def test_an_overlong_line_is_a_validation_error_not_a_bare_workbench_error(
    kind: str,
) -> None:
    piece = b"x" * (1024 * 1024)
    body = Pieces([b'data: {"id": "', *[piece] * 17])  # 17 MB and no line end
    stream = await stream_of(kind, sse_response(body))
    with pytest.raises(workbench.APIResponseValidationError, match="longer than"):
        await collect(stream)
    assert stream.response.is_closed


# -- huge events ------------------------------------------------------------------------------


@pytest.mark.parametrize("piece", [65536, 4096])
def test_a_10_mb_event_in_small_pieces_decodes_in_linear_time(piece: int) -> None:
    """A huge event used to be rebuilt at every piece: 7.5 s for 11 MB in 4 KB pieces."""
    text = "x" * (11 * 1024 * 1024)
    body = b"data: " + json.dumps({"content": text}).encode() + b"\n\n"
    decoder = SSEDecoder()
    started = time.perf_counter()
    events = []
    for i in range(0, len(body), piece):
        events += decoder.feed(body[i : i + piece])
    elapsed = time.perf_counter() - started
    assert len(events) == 1 and json.loads(events[0].raw)["content"] == text
    assert elapsed < 1.0, f"{elapsed:.2f} s to decode one 11 MB event"


def test_a_held_line_is_still_split_correctly_when_it_ends() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a") == [] and decoder.feed(b"b") == []
    assert [e.raw for e in decoder.feed(b"c\n\ndata: d\n")] == [b"abc"]
    assert decoder.feed(b"data:") == []
    assert [e.raw for e in decoder.feed(b" e\n\n")] == [b"d\ne"]
    assert decoder.feed(b"data: tail") == []
    assert [e.raw for e in decoder.flush()] == [b"tail"]
    assert decoder.flush() == []


# -- messages that name the cause -------------------------------------------------------------


@both
@pytest.mark.parametrize(
    ("body", "shown"),
    [
        ({"detail": "Model 'llama9' not found"}, "Error code: 404 - Model 'llama9' not found"),
        (
            {"detail": [{"loc": ["body", "model"], "msg": "field required"}, {"msg": "too long"}]},
            "Error code: 404 - field required; too long",
        ),
        ({"error": {"detail": "nested"}}, "Error code: 404 - nested"),
        ({"error": {"code": "none"}}, 'Error code: 404 - {"error":{"code":"none"}}'),
    ],
    ids=["fastapi", "fastapi-validation", "nested", "none"],
)
async def test_another_servers_error_message_is_the_message(
    kind: str, body: dict[str, Any], shown: str
) -> None:
    client = make_client(kind, Recorder(httpx.Response(404, json=body)))
    with pytest.raises(workbench.NotFoundError) as info:
        await create(client)
    assert str(info.value) == shown
    assert info.value.body == body.get("error", body)


def test_a_transport_error_is_described_by_the_first_message_of_its_chain() -> None:
    from workbench.client._errors import describe

    root = ConnectionResetError(104, "Connection reset by peer")
    middle = RuntimeError()
    middle.__cause__ = root
    error = httpx.ReadError("")
    error.__cause__ = middle
    assert describe(error) == "ReadError: [Errno 104] Connection reset by peer"
    assert describe(httpx.ReadError("timed out")) == "ReadError: timed out"
    assert describe(httpx.ReadError("")) == "ReadError"
    looped = httpx.ReadError("")
    looped.__context__ = looped
    assert describe(looped) == "ReadError"
