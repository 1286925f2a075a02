"""Hostile bytes and chunks: the SSE decoder, the streams and the accumulator raise nothing but
workbench's own errors, and give the same result however the body is split, sync and async.

Bodies are drawn from the pieces real and broken streams are made of (``data:`` lines, comments,
``event: error``, CR/LF/CRLF, chunk JSON, ``[DONE]``, NUL and invalid UTF-8), or are arbitrary
bytes; split points may repeat, so empty pieces are delivered too.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from typing import Any

import httpx
import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests._mock import MESSAGES, Pieces, make_client
from tests._mutations import json_paths
from workbench import WorkbenchError
from workbench.protocol._accumulate import ChatCompletionAccumulator
from workbench.protocol._sse import ServerSentEvent, SSEDecoder, aiter_sse, iter_sse
from workbench.types import ChatCompletionChunk

CHUNK = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m"}
TOOL = {
    "type": "function",
    "function": {
        "name": "f",
        "parameters": {
            "type": "object",
            "properties": {"a": {"type": "integer"}},
            "required": ["a"],
            "additionalProperties": False,
        },
        "strict": True,
    },
}


def _chunk(*choices: dict[str, Any], **extra: Any) -> bytes:
    return json.dumps({**CHUNK, "choices": list(choices), **extra}).encode()


# Pieces of real and broken streams.
TOKENS = [
    b"data:", b"data: ", b"data", b"event: error\n", b"event:", b"event: message\n", b"id: 1\n",
    b"id: \x00\n", b"retry: 5\n", b"retry: x\n", b": keep-alive\n", b":", b"\r", b"\n", b"\r\n",
    b"\n\n", b"\r\n\r\n", b"\r\r", b" ", b"x", b"{}", b"[DONE]", b"data: [DONE]\n\n", b"\x00",
    b"\xff\xfe", b"\xc3", b"\xef\xbb\xbf", b"null", b'"s"', b"[1]", b'{"choices": 5}',
    b'{"error": {"message": "overloaded", "code": 503}}', b'{"error": "plain"}',
    _chunk({"index": 0, "delta": {"role": "assistant", "content": ""}}),
    _chunk({"index": 0, "delta": {"content": "h\u00e9"}}),
    _chunk({"index": 0, "delta": {"refusal": "no"}}),
    _chunk({"index": 1, "delta": {"content": "other choice"}}),
    _chunk({"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "t", "function": {
        "name": "f", "arguments": '{"a"'}}]}}),
    _chunk({"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {
        "arguments": ": 1}"}}]}}),
    _chunk({"index": 0, "delta": {}, "finish_reason": "stop"}),
    _chunk({"index": 0, "delta": {}, "finish_reason": "tool_calls"}),
    _chunk({"index": 0, "delta": {}, "finish_reason": "length"}),
    _chunk(usage={"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}),
    _chunk({"index": 0, "delta": {"content": "x"}}, error={"message": "in a chunk"}),
]  # fmt: skip

# Well-formed lines, each ended by LF, CR or CRLF.
LINES = [
    b"", b"", b"data: a", b"data:b", b"data", b": comment", b"event: error", b"id: 7",
    b"retry: 3", b"data: [DONE]", b"data: " + _chunk({"index": 0, "delta": {"content": "c"}}),
]  # fmt: skip
_lines = st.lists(
    st.tuples(st.sampled_from(LINES), st.sampled_from([b"\n", b"\r", b"\r\n"])).map(b"".join),
    max_size=20,
).map(b"".join)

sse_bodies = st.one_of(
    st.binary(max_size=300),
    st.lists(st.sampled_from(TOKENS), max_size=30).map(b"".join),
    _lines,
)


@st.composite
def split(draw: st.DrawFn, body: bytes) -> list[bytes]:
    """``body`` in pieces, cut often just after a CR (its LF may come in the next piece); a
    repeated cut point delivers an empty piece."""
    after_cr = [i + 1 for i, byte in enumerate(body) if byte == 13]
    point = st.integers(0, len(body))
    if after_cr:
        point = st.one_of(point, st.sampled_from(after_cr))
    cuts = []
    for cut in draw(st.lists(point, max_size=12)):
        cuts += [cut] * draw(st.integers(1, 3))
    cuts.sort()
    edges = [0, *cuts, len(body)]
    return [body[a:b] for a, b in itertools.pairwise(edges)]


bodies_and_pieces = sse_bodies.flatmap(lambda body: st.tuples(st.just(body), split(body)))


# -- the SSE decoder -----------------------------------------------------------------------------


def decoded(pieces: list[bytes]) -> tuple[list[ServerSentEvent], str | None]:
    events: list[ServerSentEvent] = []
    try:
        for event in iter_sse(pieces):
            events.append(event)
    except WorkbenchError as exc:
        return events, str(exc)
    return events, None


async def adecoded(pieces: list[bytes]) -> tuple[list[ServerSentEvent], str | None]:
    async def source() -> Any:
        for piece in pieces:
            yield piece

    events: list[ServerSentEvent] = []
    try:
        async for event in aiter_sse(source()):
            events.append(event)
    except WorkbenchError as exc:
        return events, str(exc)
    return events, None


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bodies_and_pieces)
def test_the_decoder_gives_the_same_events_however_the_bytes_are_split(
    case: tuple[bytes, list[bytes]],
) -> None:
    body, pieces = case
    whole = decoded([body])
    assert decoded(pieces) == whole
    assert asyncio.run(adecoded(pieces)) == whole
    one_by_one = decoded([body[i : i + 1] for i in range(len(body))])
    assert one_by_one == whole


def test_an_empty_piece_between_cr_and_lf_is_not_a_second_line_end() -> None:
    # Found by the property above: the empty piece used to forget the CR waiting for its LF.
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"") == []
    assert decoder.feed(b"\ndata: b\n\n") == [ServerSentEvent(b"a\nb")]


# -- the streams on top of it --------------------------------------------------------------------


def _answer(pieces: list[bytes]) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": "text/event-stream"}
        return httpx.Response(200, headers=headers, stream=Pieces(pieces))

    return handler


Outcome = tuple[list[str], tuple[str, str] | None]


def _kwargs(api: str) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"model": "m", "messages": MESSAGES}
    if api == "stream+parse":
        kwargs.update(tools=[TOOL], response_format={"type": "json_object"})
    return kwargs


def _seen(event: Any) -> str:
    """An event as text, with what a consumer reads of it (parsed values included)."""
    shown = {"type": event.type}
    for name in ("delta", "snapshot", "content", "arguments", "parsed", "parsed_arguments"):
        try:
            value = getattr(event, name, None)
        except WorkbenchError as exc:
            value = f"{type(exc).__name__}: {exc}"
        if value is not None:
            shown[name] = value.model_dump_json() if hasattr(value, "model_dump_json") else value
    return json.dumps(shown, default=repr, sort_keys=True)


def stream_sync(pieces: list[bytes], api: str) -> Outcome:
    client = make_client("sync", _answer(pieces))
    seen: list[str] = []
    try:
        if api == "create":
            for chunk in client.chat.completions.create(stream=True, **_kwargs(api)):
                seen.append(chunk.model_dump_json())
        else:
            with client.chat.completions.stream(**_kwargs(api)) as stream:
                for event in stream:
                    seen.append(_seen(event))
                seen.append(stream.get_final_completion().model_dump_json())
    except WorkbenchError as exc:
        return seen, (type(exc).__name__, str(exc))
    finally:
        client.close()
    return seen, None


async def stream_async(pieces: list[bytes], api: str) -> Outcome:
    client = make_client("async", _answer(pieces))
    seen: list[str] = []
    try:
        if api == "create":
            async for chunk in await client.chat.completions.create(stream=True, **_kwargs(api)):
                seen.append(chunk.model_dump_json())
        else:
            async with client.chat.completions.stream(**_kwargs(api)) as stream:
                async for event in stream:
                    seen.append(_seen(event))
                seen.append((await stream.get_final_completion()).model_dump_json())
    except WorkbenchError as exc:
        return seen, (type(exc).__name__, str(exc))
    finally:
        await client.close()
    return seen, None


APIS = st.sampled_from(["create", "stream", "stream+parse"])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bodies_and_pieces, APIS)
def test_streams_give_the_same_result_however_the_body_is_split_sync_and_async(
    case: tuple[bytes, list[bytes]], api: str
) -> None:
    body, pieces = case
    whole = stream_sync([body], api)
    assert stream_sync(pieces, api) == whole
    assert asyncio.run(stream_async(pieces, api)) == whole


# -- arbitrary chunk JSON ----------------------------------------------------------------------

_leaf = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.text(max_size=5))
any_json = st.recursive(
    _leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)
DEEP = "[" * 5000 + "]" * 5000  # deeper than Python's recursion limit lets json.loads go
_text = st.one_of(
    st.text(max_size=6),
    st.sampled_from(['{"a": 1', "}", '{"', "[", '"x"', "null", "{}", " ", DEEP, '{"a": ' + DEEP]),
)


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(strategy, st.none())


_token = st.fixed_dictionaries(
    {"token": _text, "logprob": st.floats(-5, 0), "top_logprobs": st.just([])},
    optional={"bytes": _maybe(st.lists(st.integers(0, 255), max_size=3))},
)
_function = st.fixed_dictionaries(
    {}, optional={"name": _maybe(st.one_of(st.just("f"), _text)), "arguments": _maybe(_text)}
)  # "f" is the tool the parsing streams are given
_tool_call = st.fixed_dictionaries(
    {},
    optional={
        "index": st.integers(-2, 3),
        "id": _maybe(_text),
        "type": _maybe(st.sampled_from(["function", "custom"])),
        "function": _maybe(_function),
    },
)
_audio = st.fixed_dictionaries(
    {},
    optional={
        "id": _maybe(_text),
        "data": _maybe(_text),
        "transcript": _maybe(_text),
        "expires_at": _maybe(st.integers(0, 10)),
        "added": any_json,
    },
)
_delta = st.fixed_dictionaries(
    {},
    optional={
        "content": _maybe(_text),
        "refusal": _maybe(_text),
        "role": _maybe(st.sampled_from(["assistant", "tool", "robot"])),
        "tool_calls": _maybe(st.lists(_tool_call, max_size=3)),
        "function_call": _maybe(_function),
        "audio": _maybe(_audio),
        "reasoning_content": any_json,
        "annotations": any_json,
        "parsed": any_json,
    },
)
_logprobs = st.fixed_dictionaries(
    {},
    optional={
        "content": _maybe(st.lists(_token, max_size=2)),
        "refusal": _maybe(st.lists(_token, max_size=2)),
    },
)
_choice = st.fixed_dictionaries(
    {"delta": _delta},
    optional={
        "index": st.integers(-1, 2),
        "finish_reason": _maybe(
            st.sampled_from(["stop", "length", "tool_calls", "content_filter", "other"])
        ),
        "logprobs": _maybe(_logprobs),
    },
)
_usage = st.fixed_dictionaries(
    {
        "prompt_tokens": st.integers(0, 9),
        "completion_tokens": st.integers(0, 9),
        "total_tokens": st.integers(0, 20),
    },
    optional={
        "completion_tokens_details": st.fixed_dictionaries(
            {}, optional={"reasoning_tokens": st.integers(0, 3), "added": any_json}
        ),
        "prompt_tokens_details": st.fixed_dictionaries(
            {}, optional={"cached_tokens": st.integers(0, 3)}
        ),
    },
)
_chunk_json = st.fixed_dictionaries(
    {
        "id": _text,
        "object": st.just("chat.completion.chunk"),
        "created": st.integers(0, 5),
        "model": _text,
        "choices": st.lists(_choice, max_size=2),
    },
    optional={
        "usage": _maybe(_usage),
        "service_tier": _maybe(_text),
        "system_fingerprint": _maybe(_text),
        "added": any_json,
    },
)


@st.composite
def chunk_json(draw: st.DrawFn) -> Any:
    """A chunk-shaped JSON value; half the time one value in it is replaced by any JSON."""
    value = draw(_chunk_json)
    if draw(st.booleans()):
        path = draw(st.sampled_from(list(json_paths(value))[1:]))
        parent = value
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = draw(any_json)
    return value


def sse_of(chunks: list[Any], done: bool) -> bytes:
    body = b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks)
    return body + (b"data: [DONE]\n\n" if done else b"")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(chunk_json(), max_size=6), st.booleans(), st.booleans(), st.booleans())
def test_the_accumulator_raises_only_workbench_errors_on_any_chunks(
    chunks: list[Any], tools: bool, response_format: bool, done: bool
) -> None:
    accumulator = ChatCompletionAccumulator(
        input_tools=[TOOL] if tools else None,
        response_format={"type": "json_object"} if response_format else None,
    )
    for data in chunks:
        try:
            chunk = ChatCompletionChunk.model_validate_json(json.dumps(data))
        except pydantic.ValidationError:
            continue  # the stream refuses it before the accumulator sees it (tested below)
        for event in accumulator.add(chunk):
            _seen(event)
        assert accumulator.snapshot == accumulator.completion()
    with contextlib.suppress(WorkbenchError):
        accumulator.parsed_completion()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(chunk_json(), max_size=5), st.booleans(), APIS, st.data())
def test_streams_of_any_chunks_raise_only_workbench_errors_and_do_not_depend_on_splitting(
    chunks: list[Any], done: bool, api: str, data: st.DataObject
) -> None:
    body = sse_of(chunks, done)
    pieces = data.draw(split(body))
    whole = stream_sync([body], api)
    assert stream_sync(pieces, api) == whole
    assert asyncio.run(stream_async(pieces, api)) == whole


def test_arguments_nested_too_deeply_are_a_workbench_error_not_a_recursion_error() -> None:
    # Found while testing tool arguments: json.loads raises RecursionError past ~1,000 levels.
    accumulator = ChatCompletionAccumulator(input_tools=[TOOL])
    call = {"index": 0, "id": "t", "function": {"name": "f", "arguments": DEEP}}
    for data in (
        _chunk({"index": 0, "delta": {"tool_calls": [call]}}),
        _chunk({"index": 0, "delta": {}, "finish_reason": "tool_calls"}),
    ):
        events = accumulator.add(ChatCompletionChunk.model_validate_json(data))
    assert events[-1].type == "tool_calls.function.arguments.done"
    with pytest.raises(WorkbenchError, match="recursion"):
        accumulator.parsed_completion()
