"""What a review of the local batches found: output files dated when their batch ended, a
batch's files written before it says it ended, endpoints the model does not answer refused,
non-ASCII digits refused as bad input, and a batch's work kept off the caller's event loop."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx
import pytest

from tests._batches import FakeClock, batch, chat_line, create_batch, jsonl, local, upload
from workbench.local import BatchTiming, LocalModel, LocalTransport
from workbench.local._batch_store import LocalBatch
from workbench.local._file_store import FileStore


def test_an_output_file_is_dated_when_its_batch_ended_and_expires_from_then() -> None:
    clock = FakeClock()
    _, client = local(clock, validating_seconds=0.0, seconds_per_request=0.0)
    made = upload(client, jsonl([chat_line("a")]))
    created = create_batch(
        client, made["id"], output_expires_after={"anchor": "created_at", "seconds": 3600}
    )
    clock.advance(5 * 24 * 3600)  # nobody looks for five days
    done = batch(client, created["id"])
    assert done["status"] == "completed"
    ended = done["completed_at"]
    assert ended < clock.now - 4 * 24 * 3600
    found = client.get(f"/files/{done['output_file_id']}")
    # dated from the batch's end, its hour of life long over: gone, as the API would have it
    assert found.status_code == 404, found.json()


def test_an_output_file_dated_at_the_batch_end_while_it_lives() -> None:
    clock = FakeClock()
    _, client = local(clock, validating_seconds=0.0, seconds_per_request=0.0)
    made = upload(client, jsonl([chat_line("a")]))
    created = create_batch(client, made["id"])
    clock.advance(3600)
    done = batch(client, created["id"])
    output = client.get(f"/files/{done['output_file_id']}").json()
    assert output["created_at"] == done["completed_at"]


def test_a_batch_writes_its_files_before_it_says_it_has_ended(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[str] = []
    original = FileStore.add
    batches: list[LocalBatch] = []

    def spying(self: FileStore, filename: str, *args: Any, **kwargs: Any) -> Any:
        if filename.endswith("_output.jsonl"):
            seen.extend(b.status for b in batches)
        return original(self, filename, *args, **kwargs)

    monkeypatch.setattr(FileStore, "add", spying)
    clock = FakeClock()
    model, client = local(clock, validating_seconds=0.0, seconds_per_request=1.0)
    made = upload(client, jsonl([chat_line("a")]))
    created = create_batch(client, made["id"])
    batches.extend(model.batches._batches.values())
    clock.advance(100)
    assert batch(client, created["id"])["status"] == "completed"
    assert seen == ["finalizing"]


@pytest.mark.parametrize(
    ("flags", "endpoint"),
    [({"embeddings": False}, "/v1/embeddings"), ({"responses": False}, "/v1/responses")],
)
def test_a_model_without_an_endpoint_runs_no_batch_for_it(
    flags: dict[str, bool], endpoint: str
) -> None:
    model = LocalModel(batch_timing=BatchTiming(clock=FakeClock()), **flags)
    client = httpx.Client(transport=LocalTransport(model), base_url="http://local.test/v1")
    made = upload(client, jsonl([chat_line("a")]))
    body = {"input_file_id": made["id"], "endpoint": endpoint, "completion_window": "24h"}
    refused = client.post("/batches", json=body)
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["param"] == "endpoint" and endpoint in error["message"]
    assert client.get("/batches").json()["data"] == []


@pytest.mark.parametrize("path", ["/files?limit=\u00b2", "/batches?limit=\u00b9"])
def test_a_non_ascii_digit_is_bad_input_not_a_server_error(path: str) -> None:
    _, client = local(FakeClock())
    answered = client.get(path)
    assert answered.status_code == 400
    assert answered.json()["error"]["param"] == "limit"


def test_a_non_ascii_digit_in_expires_after_is_bad_input() -> None:
    _, client = local(FakeClock())
    answered = client.post(
        "/files",
        files={"file": ("in.jsonl", jsonl([chat_line("a")]))},
        data={
            "purpose": "batch",
            "expires_after[anchor]": "created_at",
            "expires_after[seconds]": "3600\u00b2",
        },
    )
    assert answered.status_code == 400
    assert answered.json()["error"]["param"] == "expires_after.seconds"


async def test_a_batch_brought_up_to_date_does_not_hold_the_callers_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """While a poll answers a batch's due lines (here: waits for a sign), another request on
    the same event loop is answered: the batch work runs in a worker thread."""
    model = LocalModel(batch_timing=BatchTiming(clock=FakeClock()))
    other_answered = threading.Event()
    waited: list[bool] = []

    def slow_advance() -> None:
        waited.append(other_answered.wait(timeout=30))

    monkeypatch.setattr(model.batches, "advance", slow_advance)
    async with httpx.AsyncClient(
        transport=LocalTransport(model), base_url="http://local.test/v1"
    ) as client:

        async def models() -> None:
            await client.get("/models")
            other_answered.set()

        listed, _ = await asyncio.gather(client.get("/batches"), models())
    assert listed.status_code == 200
    assert waited == [True]
