"""The local model's ``/v1/batches`` over raw httpx, in-process, on a fake clock: every status
path, request counts, the output and error files, validation with line numbers, cancel, expiry,
listing, and replies equal to live ones."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests._batches import (
    FakeClock,
    assert_spec,
    batch,
    chat_line,
    create_batch,
    jsonl,
    lines_of,
    local,
    upload,
)
from workbench.local import BatchLimits, BatchTiming, LocalModel, LocalTransport
from workbench.local._batch_input import check_input

TIMING = {
    "validating_seconds": 10.0,
    "seconds_per_request": 2.0,
    "finalizing_seconds": 5.0,
    "cancelling_seconds": 3.0,
}


def _started(clock: FakeClock, lines: list[Any], **timing: Any) -> tuple[httpx.Client, str]:
    _, client = local(clock, **{**TIMING, **timing})
    made = upload(client, jsonl(lines))
    return client, create_batch(client, made["id"])["id"]


def _reply(line: dict[str, Any]) -> str:
    return str(line["response"]["body"]["choices"][0]["message"]["content"])


def test_a_batch_goes_through_each_status_at_its_simulated_time() -> None:
    clock = FakeClock()
    start = int(clock.now)
    client, batch_id = _started(clock, [chat_line(f"c{i}", f"Question {i}?") for i in range(3)])
    first = batch(client, batch_id)
    assert first["status"] == "validating" and first["model"] == "workbench-local"
    assert first["created_at"] == start and first["expires_at"] == start + 24 * 3600
    assert first["request_counts"] == {"total": 0, "completed": 0, "failed": 0}
    assert first["completion_window"] == "24h" and first["endpoint"] == "/v1/chat/completions"
    clock.advance(9.9)
    assert batch(client, batch_id)["status"] == "validating"
    clock.advance(0.1)
    seen = batch(client, batch_id)
    assert seen["status"] == "in_progress" and seen["in_progress_at"] == start + 10
    assert seen["request_counts"] == {"total": 3, "completed": 0, "failed": 0}
    clock.advance(4.5)  # two requests' turns
    assert batch(client, batch_id)["request_counts"] == {"total": 3, "completed": 2, "failed": 0}
    clock.advance(1.5)
    seen = batch(client, batch_id)
    assert seen["status"] == "finalizing" and seen["finalizing_at"] == start + 16
    assert seen["output_file_id"] is None
    clock.advance(5)
    done = batch(client, batch_id)
    assert done["status"] == "completed" and done["completed_at"] == start + 21
    assert done["request_counts"] == {"total": 3, "completed": 3, "failed": 0}
    assert done["error_file_id"] is None and done["errors"] is None
    output = lines_of(client, done["output_file_id"])
    assert [line["custom_id"] for line in output] == ["c0", "c1", "c2"]
    for line in output:
        assert set(line) == {"id", "custom_id", "response", "error"} and line["error"] is None
        assert line["id"].startswith("batch_req_")
        assert line["response"]["status_code"] == 200
        assert line["response"]["request_id"].startswith("req_")
        assert line["response"]["body"]["object"] == "chat.completion"
    usages = [line["response"]["body"]["usage"] for line in output]
    assert done["usage"]["input_tokens"] == sum(u["prompt_tokens"] for u in usages)
    assert done["usage"]["output_tokens"] == sum(u["completion_tokens"] for u in usages)
    assert done["usage"]["total_tokens"] == sum(u["total_tokens"] for u in usages)
    output_file = client.get(f"/files/{done['output_file_id']}").json()
    assert output_file["purpose"] == "batch_output"
    assert output_file["filename"] == f"{batch_id}_output.jsonl"


def test_a_batch_reply_is_the_live_reply_to_the_same_request() -> None:
    clock = FakeClock()
    bodies = [chat_line("a", "Tell me about otters."), chat_line("b", "Hi", temperature=0)]
    client, batch_id = _started(clock, bodies, seconds_per_request=0.0)
    clock.advance(100)
    output = lines_of(client, batch(client, batch_id)["output_file_id"])
    fresh = httpx.Client(transport=LocalTransport(LocalModel()), base_url="http://x/v1")
    for line, sent in zip(output, bodies, strict=True):
        live = fresh.post("/chat/completions", json=sent["body"]).json()
        assert _reply(line) == live["choices"][0]["message"]["content"]


def test_identical_lines_answer_as_a_live_grids_repeats() -> None:
    """Two identical lines get what a fresh live grid's repeats 0 and 1 get (with the
    ``x-workbench-repeat`` header); a batch leaves the model's own counts alone."""
    clock = FakeClock()
    _, client = local(clock, seconds_per_request=0.0, validating_seconds=0.0)
    same = chat_line("first", "Write a haiku.")
    made = upload(client, jsonl([same, {**same, "custom_id": "second"}]))
    batch_id = create_batch(client, made["id"])["id"]
    clock.advance(1)
    replies = [_reply(x) for x in lines_of(client, batch(client, batch_id)["output_file_id"])]
    fresh = httpx.Client(transport=LocalTransport(LocalModel()), base_url="http://x/v1")
    live = [
        fresh.post(
            "/chat/completions", json=same["body"], headers={"x-workbench-repeat": str(k)}
        ).json()["choices"][0]["message"]["content"]
        for k in (0, 1)
    ]
    assert replies == live and replies[0] != replies[1]
    after = client.post("/chat/completions", json=same["body"]).json()
    assert after["choices"][0]["message"]["content"] == live[0]  # still the first of its kind


def test_a_grid_cell_key_names_the_repeat_whichever_batch_file_holds_it() -> None:
    """A grid split into two batch files, repeat 1 of a cell in the second: it still gets
    repeat 1's reply, not repeat 0's (the ``-r1-`` of its ``custom_id``)."""
    clock = FakeClock()
    _, client = local(clock, seconds_per_request=0.0, validating_seconds=0.0)
    body = chat_line("x", "Name a river.")["body"]
    ids = []
    for key in ("p0-v0-s0-r0-workbench-local", "p0-v0-s0-r1-workbench-local"):
        line = {"custom_id": key, "method": "POST", "url": "/v1/chat/completions", "body": body}
        ids.append(create_batch(client, upload(client, jsonl([line]))["id"])["id"])
    clock.advance(1)
    replies = [_reply(lines_of(client, batch(client, i)["output_file_id"])[0]) for i in ids]
    fresh = httpx.Client(transport=LocalTransport(LocalModel()), base_url="http://x/v1")
    live = [
        fresh.post("/chat/completions", json=body, headers={"x-workbench-repeat": str(k)}).json()
        for k in (1, 0)  # the other order: a repeat's reply does not depend on it
    ]
    assert replies == [x["choices"][0]["message"]["content"] for x in reversed(live)]
    assert replies[0] != replies[1]


def test_a_line_the_model_refuses_goes_to_the_error_file_with_its_status() -> None:
    clock = FakeClock()
    lines = [
        chat_line("good"),
        chat_line("bad", temperature=5),
        chat_line("streamed", stream=True),
    ]
    client, batch_id = _started(clock, lines)
    clock.advance(100)
    done = batch(client, batch_id)
    assert done["status"] == "completed"
    assert done["request_counts"] == {"total": 3, "completed": 1, "failed": 2}
    assert [x["custom_id"] for x in lines_of(client, done["output_file_id"])] == ["good"]
    errors = lines_of(client, done["error_file_id"])
    assert [x["custom_id"] for x in errors] == ["bad", "streamed"]
    for line, param in zip(errors, ("temperature", "stream"), strict=True):
        assert line["error"] is None and line["response"]["status_code"] == 400
        assert line["response"]["body"]["error"]["param"] == param
        assert line["response"]["body"]["error"]["type"] == "invalid_request_error"


def test_an_invalid_input_file_fails_validation_with_each_line_named() -> None:
    clock = FakeClock()
    start = int(clock.now)
    other = chat_line("other-model")
    other["body"]["model"] = "workbench-local-mini"
    lines: list[Any] = [
        chat_line("ok"),
        "{not json",
        {"method": "POST", "url": "/v1/chat/completions", "body": {"model": "m"}},
        chat_line("ok"),
        {**chat_line("get"), "method": "GET"},
        {**chat_line("elsewhere"), "url": "/v1/responses"},
        other,
        {"custom_id": "no-body", "method": "POST", "url": "/v1/chat/completions"},
    ]
    client, batch_id = _started(clock, lines)
    clock.advance(10)
    failed = batch(client, batch_id)
    assert failed["status"] == "failed" and failed["failed_at"] == start + 10
    assert failed["output_file_id"] is None and failed["error_file_id"] is None
    assert failed["request_counts"] == {"total": 0, "completed": 0, "failed": 0}
    assert failed["errors"]["object"] == "list"
    found = [(e["line"], e["code"], e["param"]) for e in failed["errors"]["data"]]
    assert found == [
        (2, "invalid_json_line", None),
        (3, "missing_required_parameter", "custom_id"),
        (4, "duplicate_custom_id", "custom_id"),
        (5, "invalid_method", "method"),
        (6, "invalid_url", "url"),
        (7, "mismatched_model", "body.model"),
        (8, "missing_required_parameter", "body"),
    ]
    assert all(e["message"] for e in failed["errors"]["data"])
    clock.advance(1000)
    assert batch(client, batch_id)["status"] == "failed"


def test_too_many_requests_or_an_empty_file_fail_validation() -> None:
    clock = FakeClock()
    _, client = local(clock, limits=BatchLimits(max_requests=2), validating_seconds=0.0)
    three = upload(client, jsonl([chat_line(f"c{i}") for i in range(3)]))
    empty = upload(client, b"\n")
    failed = [create_batch(client, f["id"]) for f in (three, empty)]
    assert [b["status"] for b in failed] == ["failed", "failed"]
    assert [e["code"] for e in failed[0]["errors"]["data"]] == ["too_many_requests"]
    assert [e["code"] for e in failed[1]["errors"]["data"]] == ["empty_file"]
    assert failed[0]["errors"]["data"][0]["line"] is None


def test_an_input_file_over_the_byte_limit_is_refused() -> None:
    content = jsonl([chat_line("a")])
    checked = check_input(content, "/v1/chat/completions", BatchLimits(max_bytes=len(content) - 1))
    assert [e["code"] for e in checked.errors] == ["file_too_large"] and not checked.requests
    fits = check_input(content, "/v1/chat/completions", BatchLimits(max_bytes=len(content)))
    assert fits.errors == [] and [r.custom_id for r in fits.requests] == ["a"]
    assert fits.requests[0].path == "/chat/completions"


def test_a_cancelled_batch_keeps_the_lines_done_and_lists_the_rest_as_cancelled() -> None:
    clock = FakeClock()
    start = int(clock.now)
    client, batch_id = _started(clock, [chat_line(f"c{i}", f"Q{i}") for i in range(5)])
    clock.advance(10 + 2 * 2)  # two lines done
    response = client.post(f"/batches/{batch_id}/cancel")
    assert response.status_code == 200
    cancelling = response.json()
    assert_spec("Batch", cancelling)
    assert cancelling["status"] == "cancelling" and cancelling["cancelling_at"] == start + 14
    clock.advance(2.9)
    still = batch(client, batch_id)
    assert still["status"] == "cancelling" and still["request_counts"]["completed"] == 2
    clock.advance(0.1)
    done = batch(client, batch_id)
    assert done["status"] == "cancelled" and done["cancelled_at"] == start + 17
    assert done["request_counts"] == {"total": 5, "completed": 2, "failed": 0}
    assert [x["custom_id"] for x in lines_of(client, done["output_file_id"])] == ["c0", "c1"]
    errors = lines_of(client, done["error_file_id"])
    assert [x["custom_id"] for x in errors] == ["c2", "c3", "c4"]
    assert all(x["response"] is None and x["error"]["code"] == "batch_cancelled" for x in errors)
    again = client.post(f"/batches/{batch_id}/cancel")
    assert again.status_code == 200 and again.json()["status"] == "cancelled"


def test_an_ended_or_unknown_batch_cannot_be_cancelled() -> None:
    clock = FakeClock()
    client, batch_id = _started(clock, [chat_line("a")])
    clock.advance(100)
    ended = client.post(f"/batches/{batch_id}/cancel")
    assert ended.status_code == 409
    assert ended.json()["error"]["message"] == "Cannot cancel a batch with status 'completed'."
    unknown = client.post("/batches/batch_nope/cancel")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["message"] == "No batch found with id 'batch_nope'."
    assert client.get("/batches/batch_nope").status_code == 404


def test_a_batch_not_done_within_its_window_expires_with_the_rest_in_the_error_file() -> None:
    clock = FakeClock()
    start = int(clock.now)
    lines = [chat_line(f"c{i}", f"Q{i}") for i in range(6)]
    client, batch_id = _started(clock, lines, completion_window_seconds=17.0)
    assert batch(client, batch_id)["expires_at"] == start + 17
    clock.advance(1000)
    expired = batch(client, batch_id)
    assert expired["status"] == "expired" and expired["expired_at"] == start + 17
    assert expired["request_counts"] == {"total": 6, "completed": 3, "failed": 0}
    assert [x["custom_id"] for x in lines_of(client, expired["output_file_id"])] == [
        "c0",
        "c1",
        "c2",
    ]
    errors = lines_of(client, expired["error_file_id"])
    assert [x["custom_id"] for x in errors] == ["c3", "c4", "c5"]
    assert {x["error"]["code"] for x in errors} == {"batch_expired"}
    assert all(x["response"] is None and x["error"]["message"] for x in errors)


def test_a_batch_can_expire_while_validating() -> None:
    clock = FakeClock()
    client, batch_id = _started(clock, [chat_line("a")], completion_window_seconds=5.0)
    clock.advance(6)
    expired = batch(client, batch_id)
    assert expired["status"] == "expired" and expired["output_file_id"] is None
    assert [x["error"]["code"] for x in lines_of(client, expired["error_file_id"])] == [
        "batch_expired"
    ]


def test_a_deleted_output_file_is_gone_and_the_batch_still_names_it() -> None:
    clock = FakeClock()
    client, batch_id = _started(clock, [chat_line("a")])
    clock.advance(100)
    output_id = batch(client, batch_id)["output_file_id"]
    assert client.delete(f"/files/{output_id}").status_code == 200
    assert client.get(f"/files/{output_id}/content").status_code == 404
    assert batch(client, batch_id)["output_file_id"] == output_id


def test_batches_are_listed_newest_first_in_pages() -> None:
    clock = FakeClock()
    _, client = local(clock)
    file_id = upload(client, jsonl([chat_line("a")]))["id"]
    made = []
    for _ in range(5):
        made.append(create_batch(client, file_id, metadata={"run": "x"})["id"])
        clock.advance(1)
    listed = client.get("/batches").json()
    assert_spec("ListBatchesResponse", listed)
    assert [b["id"] for b in listed["data"]] == made[::-1] and listed["has_more"] is False
    assert listed["data"][0]["metadata"] == {"run": "x"}
    page = client.get("/batches", params={"limit": 2, "after": made[3]}).json()
    assert [b["id"] for b in page["data"]] == [made[2], made[1]] and page["has_more"] is True
    assert page["first_id"] == made[2] and page["last_id"] == made[1]
    assert client.get("/batches", params={"limit": 101}).status_code == 400


@pytest.mark.parametrize(
    ("change", "status", "param"),
    [
        ({"input_file_id": "file-missing"}, 404, "id"),
        ({"endpoint": "/v1/nowhere"}, 400, "endpoint"),
        ({"endpoint": "/v1/moderations"}, 400, "endpoint"),
        ({"completion_window": "1h"}, 400, "completion_window"),
        ({"metadata": {"k": 1}}, 400, "metadata.k"),
        ({"output_expires_after": {"anchor": "created_at", "seconds": 5}}, 400, None),
        ({"input_file_id": None}, 404, "id"),
    ],
)
def test_a_bad_create_is_refused_naming_the_parameter(
    change: dict[str, Any], status: int, param: str | None
) -> None:
    _, client = local(FakeClock())
    file_id = upload(client, jsonl([chat_line("a")]))["id"]
    body = {
        "input_file_id": file_id,
        "endpoint": "/v1/chat/completions",
        "completion_window": "24h",
        **change,
    }
    response = client.post("/batches", json=body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["param"] == (param or "output_expires_after.seconds")
    assert error["type"] == "invalid_request_error"


def test_a_missing_field_or_a_file_of_another_purpose_is_refused() -> None:
    _, client = local(FakeClock())
    notes = upload(client, jsonl([chat_line("a")]), purpose="user_data")
    response = client.post(
        "/batches",
        json={
            "input_file_id": notes["id"],
            "endpoint": "/v1/chat/completions",
            "completion_window": "24h",
        },
    )
    assert response.status_code == 400 and response.json()["error"]["param"] == "input_file_id"
    response = client.post(
        "/batches", json={"input_file_id": notes["id"], "completion_window": "24h"}
    )
    assert response.status_code == 400 and response.json()["error"]["param"] == "endpoint"


def test_responses_and_embeddings_batches_answer_as_those_endpoints() -> None:
    clock = FakeClock()
    _, client = local(clock, seconds_per_request=0.0, validating_seconds=0.0)
    responses_line = {
        "custom_id": "r",
        "method": "POST",
        "url": "/v1/responses",
        "body": {"model": "workbench-local", "input": "Say hello."},
    }
    embeddings_line = {
        "custom_id": "e",
        "method": "POST",
        "url": "/v1/embeddings",
        "body": {"model": "text-embedding-3-small", "input": "hello"},
    }
    ids = []
    for line in (responses_line, embeddings_line):
        made = upload(client, jsonl([line]))
        ids.append(create_batch(client, made["id"], endpoint=line["url"])["id"])
    clock.advance(1)
    response_body = lines_of(client, batch(client, ids[0])["output_file_id"])[0]["response"]["body"]
    live = client.post("/responses", json=responses_line["body"]).json()
    assert response_body["object"] == "response"
    assert (
        response_body["output"][0]["content"][0]["text"] == live["output"][0]["content"][0]["text"]
    )
    embedded = lines_of(client, batch(client, ids[1])["output_file_id"])[0]["response"]["body"]
    assert embedded["object"] == "list" and embedded["data"][0]["object"] == "embedding"


def test_time_scale_runs_simulated_time_faster_and_zero_durations_finish_at_once() -> None:
    clock = FakeClock()
    client, batch_id = _started(clock, [chat_line("a")], time_scale=10.0)
    clock.advance(1.0)  # ten simulated seconds: validated
    assert batch(client, batch_id)["status"] == "in_progress"
    clock.advance(1.0)
    assert batch(client, batch_id)["status"] == "completed"
    instant = BatchTiming(
        validating_seconds=0, seconds_per_request=0, finalizing_seconds=0, clock=clock
    )
    model = LocalModel(batch_timing=instant)
    client = httpx.Client(transport=LocalTransport(model), base_url="http://local.test/v1")
    made = upload(client, jsonl([chat_line("a"), chat_line("b")]))
    done = create_batch(client, made["id"])
    assert done["status"] == "completed" and done["request_counts"]["completed"] == 2


def test_bad_timing_is_refused() -> None:
    with pytest.raises(ValueError, match="seconds_per_request"):
        BatchTiming(seconds_per_request=-1)
    with pytest.raises(ValueError, match="time_scale"):
        BatchTiming(time_scale=0)
    with pytest.raises(ValueError, match="at least 1"):
        BatchLimits(max_requests=0)


async def test_the_async_transport_serves_batches_too() -> None:
    clock = FakeClock()
    model = LocalModel(batch_timing=BatchTiming(clock=clock, validating_seconds=0.0))
    async with httpx.AsyncClient(
        transport=LocalTransport(model), base_url="http://local.test/v1"
    ) as client:
        made = await client.post(
            "/files",
            files={"file": ("in.jsonl", jsonl([chat_line("a")]))},
            data={"purpose": "batch"},
        )
        body = {
            "input_file_id": made.json()["id"],
            "endpoint": "/v1/chat/completions",
            "completion_window": "24h",
        }
        created = (await client.post("/batches", json=body)).json()
        clock.advance(10)
        done = (await client.get(f"/batches/{created['id']}")).json()
        content = await client.get(f"/files/{done['output_file_id']}/content")
    assert done["status"] == "completed"
    assert json.loads(content.text.splitlines()[0])["custom_id"] == "a"
