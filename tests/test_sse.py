"""The SSE decoder: the event-stream rules, and the same events however the bytes are split."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import FIXTURES
from workbench.protocol._sse import ServerSentEvent, SSEDecoder, iter_sse


def events(body: bytes) -> list[tuple[str, bytes, str | None, int | None]]:
    return [(e.event, e.raw, e.id, e.retry) for e in iter_sse([body])]


def test_single_and_multi_line_data() -> None:
    body = b'data: {"a":1}\n\ndata: first\ndata: second\n\n'
    assert events(body) == [
        ("message", b'{"a":1}', None, None),
        ("message", b"first\nsecond", None, None),
    ]


def test_comments_and_keepalives_are_ignored() -> None:
    body = b": keep-alive\n\n:\n\ndata: x\n: inside an event\n\n"
    assert events(body) == [("message", b"x", None, None)]


def test_event_names_ids_and_retry() -> None:
    body = b"event: error\nid: 7\nretry: 1500\ndata: boom\n\ndata: next\n\n"
    assert events(body) == [("error", b"boom", "7", 1500), ("message", b"next", "7", 1500)]


def test_event_type_resets_after_dispatch_and_without_data() -> None:
    body = b"event: ping\n\ndata: a\n\n"
    assert events(body) == [("message", b"a", None, None)]


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
def test_every_line_ending(newline: bytes) -> None:
    body = newline.join([b"data: a", b"data: b", b"", b"data: c", b"", b""])
    assert events(body) == [("message", b"a\nb", None, None), ("message", b"c", None, None)]


def test_field_without_colon_and_without_space() -> None:
    body = b"data\ndata:x\n\n"
    assert events(body) == [("message", b"\nx", None, None)]


def test_last_event_without_blank_line_is_flushed() -> None:
    assert events(b"data: tail") == [("message", b"tail", None, None)]


def test_data_text_and_repr() -> None:
    event = ServerSentEvent("héllo".encode(), "message")
    assert event.data == "héllo"
    assert "héllo" in repr(event)
    assert event == ServerSentEvent("héllo".encode())


def test_overlong_line_is_a_workbench_error() -> None:
    from workbench import WorkbenchError

    decoder = SSEDecoder()
    with pytest.raises(WorkbenchError, match="longer than"):
        for _ in range(20):
            decoder.feed(b"x" * (1024 * 1024))


SAMPLE = (
    b': hello\r\n\r\ndata: {"a": 1}\r\n\r\nevent: error\ndata: line one\ndata: line two\n\n'
    b"id: 3\rdata: cr only\r\rdata: [DONE]\n\n"
)


def split(body: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(body) + 1) for c in cuts})
    edges = [0, *points, len(body)]
    return [body[a:b] for a, b in itertools.pairwise(edges)]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10_000), max_size=30))
def test_same_events_however_split(cuts: list[int]) -> None:
    whole = list(iter_sse([SAMPLE]))
    assert list(iter_sse(split(SAMPLE, cuts))) == whole
    assert [e.event for e in whole] == ["message", "error", "message", "message"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=50_000), max_size=40))
def test_recorded_streams_same_events_however_split(cuts: list[int]) -> None:
    for path in sorted((FIXTURES / "recorded-streams").glob("*.sse")):
        body = path.read_bytes()
        assert list(iter_sse(split(body, cuts))) == list(iter_sse([body])), path.name
