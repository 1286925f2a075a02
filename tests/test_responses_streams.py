"""Recorded Responses streams: workbench's events and final response against openai 1.106.1's
on the same bytes, random split points, delta accumulation, and the spec's event schemas."""

from __future__ import annotations

import itertools
import json
import re
import warnings
from typing import Any

import httpx
import openai
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import workbench
from tests._responses import (
    async_client,
    schema_of_type,
    sequenced,
    sse,
    stream_names,
    stream_response,
    sync_client,
    validator,
    violations,
)
from workbench.protocol._responses_accumulate import ResponseAccumulator
from workbench.types.response_stream_event import TERMINAL_EVENT_TYPES, UnknownResponseEvent


def _openai_final(body: bytes) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The events and the final response of openai 1.106.1's ``responses.stream()``."""
    transport = httpx.MockTransport(lambda request: stream_response(body))
    client = openai.OpenAI(api_key="sk-x", http_client=httpx.Client(transport=transport))
    # openai's own parsing warns while serializing newer tool items (web search sources).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with client.responses.stream(model="gpt-4o", input="hi") as stream:
            events = [_dump(event) for event in stream]
            final = stream.get_final_response()
        return events, _dump(final)


def _dump(value: Any) -> dict[str, Any]:
    return value.model_dump(mode="json", exclude_unset=True, warnings=False)  # type: ignore[no-any-return]


def _ours(body: bytes) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    client = sync_client(lambda request: stream_response(body))
    with client.responses.stream(model="gpt-4o", input="hi") as stream:
        events = [event.to_dict() for event in stream]
        final = stream.get_final_response()
    return events, final.to_dict()


def _as_openai_rebuilds(ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any]:
    """``ours`` as openai 1.106.1 gives the events it builds again (text and argument deltas,
    text done): without the fields it drops (``obfuscation``), and with the ones it sets to
    None where the recording had none (``sequence_number``, ``logprobs`` of early 2025)."""
    kept = {k: v for k, v in ours.items() if k in theirs or k != "obfuscation"}
    return {**kept, **{k: None for k, v in theirs.items() if v is None and k not in ours}}


def test_there_are_recorded_streams() -> None:
    names = stream_names()
    assert len(names) >= 7
    kinds = {json.loads(line[6:])["type"] for n in names for line in _data_lines(n)}
    for needed in (
        "response.output_text.delta",
        "response.function_call_arguments.delta",
        "response.reasoning_summary_text.delta",
        "response.reasoning_summary_part.added",
        "response.content_part.added",
        "response.completed",
    ):
        assert needed in kinds


def _data_lines(name: str) -> list[str]:
    return [line for line in sse(name).decode().splitlines() if line.startswith("data: ")]


@pytest.mark.parametrize("name", stream_names())
def test_events_and_final_response_match_openai(name: str) -> None:
    """Event by event and in the end, what openai 1.106.1's ``responses.stream()`` gives on the
    same bytes: the deltas with their ``snapshot``, the text done with ``parsed``, the last
    event and the final response parsed."""
    body = sse(name)
    their_events, their_final = _openai_final(body)
    events, final = _ours(body)
    assert [event["type"] for event in events] == [event["type"] for event in their_events]
    for ours, theirs in zip(events, their_events, strict=True):
        assert _as_openai_rebuilds(ours, theirs) == theirs
    assert final == their_final
    assert final["status"] == "completed"
    assert events[-1]["response"] == final


@pytest.mark.parametrize("name", stream_names())
def test_deltas_accumulate_to_the_final_output(name: str) -> None:
    """Fed only the deltas (no ``output_item.done``, no last event), the snapshot already holds
    the final text, arguments and reasoning summaries."""
    events = list(sync_client(lambda r: stream_response(sse(name))).responses.create(stream=True))
    accumulator = ResponseAccumulator()
    for event in events:
        if event.type not in TERMINAL_EVENT_TYPES and event.type != "response.output_item.done":
            accumulator.add(event)
    final = events[-1].response  # type: ignore[union-attr]
    assert _essence(accumulator.snapshot) == _essence(final)
    assert accumulator.snapshot.output_text == final.output_text


def _essence(response: workbench.types.BaseModel) -> list[Any]:
    out: list[Any] = []
    for item in response.output:  # type: ignore[attr-defined]
        data = item.to_dict()
        out.append(
            (
                data["type"],
                data.get("arguments"),
                [part.get("text", part.get("refusal")) for part in data.get("content") or []],
                [part["text"] for part in data.get("summary") or []],
            )
        )
    return out


def test_text_deltas_carry_the_text_so_far() -> None:
    client = sync_client(lambda request: stream_response(sse("text.sse")))
    with client.responses.stream(model="gpt-4o", input="hi") as stream:
        snapshots = [e.snapshot for e in stream if e.type == "response.output_text.delta"]  # type: ignore[union-attr]
        final = stream.get_final_response()
    assert snapshots[-1] == final.output_text
    assert all(b.startswith(a) for a, b in itertools.pairwise(snapshots))


def test_unknown_event_types_are_kept_not_refused() -> None:
    events = list(
        sync_client(lambda r: stream_response(sse("web-search.sse"))).responses.create(stream=True)
    )
    unknown = [e for e in events if isinstance(e, UnknownResponseEvent)]
    assert {e.type for e in unknown} == {
        "response.web_search_call.in_progress",
        "response.web_search_call.searching",
        "response.web_search_call.completed",
    }
    assert all(e.model_extra and "item_id" in e.model_extra for e in unknown)
    calls = [item for item in events[-1].response.output if item.type == "web_search_call"]  # type: ignore[union-attr]
    assert calls and calls[0].model_extra and "action" in calls[0].model_extra


def _split(body: bytes, cuts: list[int]) -> list[bytes]:
    edges = [0, *sorted(set(cuts)), len(body)]
    return [body[a:b] for a, b in itertools.pairwise(edges) if b > a]


def _events_of(pieces: list[bytes]) -> list[dict[str, Any]]:
    client = sync_client(lambda request: stream_response(pieces))
    return [event.to_dict() for event in client.responses.create(model="m", input="x", stream=True)]


@pytest.mark.parametrize("name", [n for n in stream_names() if n != "reasoning-summary.sse"])
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_random_split_points_give_the_same_events(name: str, data: st.DataObject) -> None:
    body = sse(name)
    if data.draw(st.booleans(), label="crlf"):
        body = body.replace(b"\n", b"\r\n")
    cuts = data.draw(st.lists(st.integers(1, len(body) - 1), max_size=60), label="cuts")
    assert _events_of(_split(body, cuts)) == _events_of([sse(name)])


@settings(max_examples=5, deadline=None)
@given(cuts=st.lists(st.integers(1, len(sse("reasoning-summary.sse")) - 1), max_size=200))
def test_random_split_points_of_the_long_reasoning_stream(cuts: list[int]) -> None:
    body = sse("reasoning-summary.sse")
    assert _events_of(_split(body, cuts)) == _events_of([body])


# Where the recorded live API departs from the published description (by path, digits as N):
# the bytes themselves break these, so a decoded event may too, and nothing else.
KNOWN_DEPARTURES = {
    ("ResponseCreatedEvent", "response/usage"): "usage is null until the response completes",
    ("ResponseInProgressEvent", "response/usage"): "usage is null until the response completes",
    ("ResponseQueuedEvent", "response/usage"): "usage is null until the response completes",
    ("ResponseCreatedEvent", "response/user"): "user is null when not set",
    ("ResponseInProgressEvent", "response/user"): "user is null when not set",
    ("ResponseQueuedEvent", "response/user"): "user is null when not set",
    ("ResponseCompletedEvent", "response/user"): "user is null when not set",
    ("ResponseCompletedEvent", "response/usage/input_tokens_details"): "no cache_write_tokens yet",
    ("ResponseFunctionCallArgumentsDoneEvent", ""): "name came later than these recordings",
    ("ResponseOutputItemAddedEvent", "item"): "web_search_call items predate the spec's shape",
    ("ResponseOutputItemDoneEvent", "item"): "web_search_call items predate the spec's shape",
    ("ResponseCompletedEvent", "response/output/N"): "web_search_call items, likewise",
}


def _departures(value: dict[str, Any]) -> set[tuple[str, str]]:
    schema = schema_of_type()[value["type"]]
    return {
        (schema, re.sub(r"\d+", "N", "/".join(map(str, error.absolute_path))))
        for error in validator(schema).iter_errors(value)
    }


@pytest.mark.parametrize("name", [n for n in stream_names() if sequenced(n)])
def test_every_event_validates_against_the_spec(name: str) -> None:
    """Each event as decoded and written back (``to_dict``) matches the spec's schema for its
    type wherever the recorded bytes do; where they do not is a short list, each with a reason."""
    raw = [json.loads(line[6:]) for line in _data_lines(name)]
    events = sync_client(lambda r: stream_response(sse(name))).responses.create(stream=True)
    for recorded, event in zip(raw, events, strict=True):
        assert event.type in schema_of_type(), event.type
        ours, theirs = _departures(event.to_dict()), _departures(recorded)
        assert ours <= theirs, (event.type, ours - theirs)
        assert theirs <= KNOWN_DEPARTURES.keys(), (event.type, theirs - KNOWN_DEPARTURES.keys())


def test_the_spec_check_can_fail() -> None:
    event = {"type": "response.output_text.delta", "item_id": "x", "output_index": 0}
    assert violations("ResponseStreamEvent", event) != []
    assert _departures(event) == {("ResponseTextDeltaEvent", "")}


async def test_async_stream_gives_the_same_final_response() -> None:
    body = sse("text-then-function-call.sse")
    client = async_client(lambda request: stream_response(body))
    async with client.responses.stream(model="gpt-4o", input="hi") as stream:
        kinds = [event.type async for event in stream]
        final = await stream.get_final_response()
    events, ours = _ours(body)
    assert kinds == [event["type"] for event in events]
    assert final.to_dict() == ours


def test_a_stream_cut_before_its_last_event_raises() -> None:
    body = sse("text.sse")
    cut = body[: body.index(b"event: response.completed")]
    stream = sync_client(lambda r: stream_response(cut)).responses.create(stream=True)
    with pytest.raises(workbench.APIConnectionError, match="before the response's last event"):
        list(stream)


def test_an_error_event_is_typed_then_raised_at_the_end() -> None:
    body = (
        b"event: response.created\ndata: "
        + json.dumps({"type": "response.created", "response": {"id": "r", "output": []}}).encode()
        + b"\n\nevent: error\ndata: "
        + json.dumps({"type": "error", "code": "server_error", "message": "boom"}).encode()
        + b"\n\n"
    )
    stream = sync_client(lambda r: stream_response(body)).responses.create(stream=True)
    seen: list[str] = []
    with pytest.raises(workbench.APIError, match="boom"):
        seen.extend(event.type for event in stream)
    assert seen == ["response.created", "error"]


def test_a_stored_response_streams_again_from_a_point() -> None:
    """``retrieve(stream=True)`` and ``stream(response_id=...)`` replay a background response."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return stream_response(sse("background-queued.sse"))

    client = sync_client(handler)
    events = list(client.responses.retrieve("resp_1", stream=True, starting_after=3))
    with client.responses.stream(response_id="resp_1", starting_after=3) as stream:
        final = stream.get_final_response()
    assert events[-1].type == "response.completed"
    assert final.output_text == events[-1].response.output_text  # type: ignore[union-attr]
    assert [(r.method, r.url.path, dict(r.url.params)) for r in seen] == [
        ("GET", "/v1/responses/resp_1", {"starting_after": "3", "stream": "true"}),
        ("GET", "/v1/responses/resp_1", {"stream": "true", "starting_after": "3"}),
    ]
    with pytest.raises(workbench.InvalidParameterError, match="model"):
        client.responses.stream(response_id="resp_1", model="gpt-4o")


def _event(kind: str, **fields: Any) -> bytes:
    return f"event: {kind}\ndata: {json.dumps({'type': kind, **fields})}\n\n".encode()


def test_refusals_and_summaries_accumulate() -> None:
    """The events no recording here carries: a refusal, and a summary part begun empty."""
    item = {"type": "message", "id": "m", "role": "assistant", "content": []}
    done = {**item, "content": [{"type": "refusal", "refusal": "I can't."}]}
    reasoning = {"type": "reasoning", "id": "r", "summary": []}
    ids = {"item_id": "m", "output_index": 1, "content_index": 0}
    body = b"".join(
        [
            _event("response.created", response={"id": "x", "output": []}),
            _event("response.output_item.added", output_index=0, item=reasoning),
            _event(
                "response.reasoning_summary_part.added",
                item_id="r",
                output_index=0,
                summary_index=0,
                part={"type": "summary_text", "text": ""},
            ),
            _event(
                "response.reasoning_summary_text.delta",
                item_id="r",
                output_index=0,
                summary_index=0,
                delta="Thinking.",
            ),
            _event("response.output_item.added", output_index=1, item=item),
            _event("response.content_part.added", part={"type": "refusal", "refusal": ""}, **ids),
            _event("response.refusal.delta", delta="I can", **ids),
            _event("response.refusal.delta", delta="'t.", **ids),
            _event("response.refusal.done", refusal="I can't.", **ids),
            _event("response.banana", item_id="m"),
            _event(
                "response.incomplete",
                response={"id": "x", "status": "incomplete", "output": [reasoning, done]},
            ),
        ]
    )
    client = sync_client(lambda request: stream_response(body))
    with client.responses.stream(model="m", input="x") as stream:
        kinds = [event.type for event in stream]
        snapshot = stream.current_snapshot
        final = stream.get_final_response()
    assert kinds[-2:] == ["response.banana", "response.incomplete"]
    assert final.status == "incomplete" and final.output_text == ""
    assert final.output[1].content[0].refusal == "I can't."  # type: ignore[union-attr]
    assert snapshot.to_dict() == final.to_dict()
    accumulator = ResponseAccumulator()
    for event in sync_client(lambda r: stream_response(body)).responses.create(stream=True):
        if event.type != "response.incomplete":
            accumulator.add(event)
    partial = accumulator.snapshot
    assert partial.output[0].summary[0].text == "Thinking."  # type: ignore[union-attr]
    assert partial.to_dict()["output"][0]["summary"] == [
        {"type": "summary_text", "text": "Thinking."}
    ]
    assert partial.output[1].content[0].refusal == "I can't."  # type: ignore[union-attr]
    assert not accumulator.done
    with pytest.raises(workbench.WorkbenchError, match=r"before response\.completed"):
        accumulator.final_response()
