"""The Responses accumulator's fast paths (deltas written past pydantic's ``__setattr__``, no copy
of the last event's response) leave the models as pydantic's own assignments would."""

from __future__ import annotations

import json
from typing import Any

from workbench.protocol._responses_accumulate import ResponseAccumulator
from workbench.types.response_stream_event import decode_event


def _response(status: str, output: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": "resp_1", "object": "response", "status": status, "model": "m", "output": output}


def _feed(accumulator: ResponseAccumulator, *events: dict[str, Any]) -> list[Any]:
    return [accumulator.add(decode_event(json.dumps(e))) for e in events]


def _json(event: dict[str, Any]) -> str:
    import json

    return json.dumps(event)


def test_deltas_count_as_set_fields_when_the_part_came_without_them() -> None:
    """A part or item sent without its text (only its type) still dumps the text it grew."""
    accumulator = ResponseAccumulator()
    message = {"type": "message", "id": "m1", "role": "assistant", "content": []}
    call = {"type": "function_call", "id": "f1", "call_id": "c1", "name": "f"}
    reasoning = {"type": "reasoning", "id": "r1", "summary": []}
    where = {"item_id": "m1", "output_index": 0, "content_index": 0}
    events = _feed(
        accumulator,
        {"type": "response.created", "response": _response("in_progress", [])},
        {"type": "response.output_item.added", "output_index": 0, "item": message},
        {"type": "response.content_part.added", **where, "part": {"type": "output_text"}},
        {"type": "response.output_text.delta", **where, "delta": "Hel"},
        {"type": "response.output_text.delta", **where, "delta": "lo"},
        {"type": "response.output_item.added", "output_index": 1, "item": call},
        {"type": "response.function_call_arguments.delta", "item_id": "f1", "output_index": 1,
         "delta": "{}"},
        {"type": "response.output_item.added", "output_index": 2, "item": reasoning},
        {"type": "response.reasoning_summary_part.added", "item_id": "r1", "output_index": 2,
         "summary_index": 0, "part": {"type": "summary_text", "text": ""}},
        {"type": "response.reasoning_summary_text.delta", "item_id": "r1", "output_index": 2,
         "summary_index": 0, "delta": "why"},
    )  # fmt: skip
    assert [e.snapshot for e in events[3:5]] == ["Hel", "Hello"]
    assert events[4].to_dict()["snapshot"] == "Hello"  # an extra field, dumped like one
    assert events[6].to_dict()["snapshot"] == "{}"
    output = accumulator.snapshot.to_dict()["output"]  # exclude_unset: only what was set
    assert output[0]["content"] == [{"type": "output_text", "text": "Hello"}]
    assert output[1]["arguments"] == "{}"
    assert output[2]["summary"] == [{"type": "summary_text", "text": "why"}]


def test_the_last_event_carries_the_parsed_response_and_the_snapshot_its_own() -> None:
    accumulator = ResponseAccumulator()
    text = {"type": "output_text", "text": "Hi", "annotations": []}
    item = {"type": "message", "id": "m1", "role": "assistant", "content": [text]}
    (created, done, completed) = _feed(
        accumulator,
        {"type": "response.created", "response": _response("in_progress", [])},
        {"type": "response.output_text.done", "item_id": "m1", "output_index": 0,
         "content_index": 0, "text": "Hi"},
        {"type": "response.completed", "response": _response("completed", [item])},
    )  # fmt: skip
    assert done.parsed is None and done.to_dict()["parsed"] is None
    final = accumulator.final_response()
    assert completed.response is final
    assert accumulator.snapshot is not final and accumulator.snapshot is not created.response
    assert accumulator.snapshot.to_dict() == _response("completed", [item])
    assert final.output_text == "Hi"
