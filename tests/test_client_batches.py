"""``client.batches``: the requests as the API takes them (checked against the spec's
``CreateBatchRequest``), validation before sending, typed batches, lists that walk their pages,
raw responses, retries, both clients; openai 1.106.1 against the same server gives the same
objects and requests; uploads and downloads through a cassette."""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from openai.resources.batches import AsyncBatches as OpenAIAsyncBatches
from openai.resources.batches import Batches as OpenAIBatches

import workbench
from tests._files_batches import (
    BATCH_JSON,
    FILE_JSON,
    batch_json,
    form_parts,
    page_json,
    violations,
)
from tests._mock import (
    KEY,
    KINDS,
    Recorder,
    both,
    close,
    collect,
    make_client,
    patch_sleep,
    resolve,
)
from workbench.types import Batch, BatchRequestCounts, BatchUsage

CREATE = {
    "completion_window": "24h",
    "endpoint": "/v1/chat/completions",
    "input_file_id": "file-abc123",
}


def answer(**changes: Any) -> httpx.Response:
    return httpx.Response(200, json=batch_json(**changes))


async def submit(client: Any, **kwargs: Any) -> Batch:
    return await resolve(client.batches.create(**{**CREATE, **kwargs}))  # type: ignore[no-any-return]


@both
async def test_create_sends_a_valid_create_batch_request(kind: str) -> None:
    recorder = Recorder(answer(status="validating"))
    client = make_client(kind, recorder)
    batch = await submit(
        client,
        metadata={"grid": "g-1"},
        output_expires_after={"anchor": "created_at", "seconds": 7200},
    )
    await close(client)
    assert (recorder.last.method, recorder.last.url.path) == ("POST", "/v1/batches")
    assert recorder.last.headers["content-type"] == "application/json"
    assert recorder.body == {
        **CREATE,
        "metadata": {"grid": "g-1"},
        "output_expires_after": {"anchor": "created_at", "seconds": 7200},
    }
    assert violations("CreateBatchRequest", recorder.body) == []
    assert isinstance(batch, Batch) and batch.status == "validating"
    assert batch.request_counts == BatchRequestCounts(total=100, completed=95, failed=5)


@both
async def test_the_least_request_has_the_three_required_fields(kind: str) -> None:
    recorder = Recorder(answer())
    client = make_client(kind, recorder)
    await submit(client, endpoint="/v1/responses")
    await close(client)
    assert recorder.body == {**CREATE, "endpoint": "/v1/responses"}
    assert violations("CreateBatchRequest", recorder.body) == []


@pytest.mark.parametrize(
    ("kwargs", "param", "says"),
    [
        ({"completion_window": "48h"}, "completion_window", "'24h'"),
        ({"endpoint": "/v1/moderations"}, "endpoint", "'/v1/chat/completions'"),
        ({"endpoint": "/chat/completions"}, "endpoint", "'/v1/embeddings'"),
        ({"input_file_id": ""}, "input_file_id", "non-empty"),
        ({"input_file_id": None}, "input_file_id", "non-empty"),
        ({"metadata": {f"k{i}": "v" for i in range(17)}}, "metadata", "at most 16"),
        ({"metadata": {"k" * 65: "v"}}, "metadata", "64"),
        ({"metadata": {"k": "v" * 513}}, "metadata['k']", "512"),
        ({"metadata": {"k": 1}}, "metadata['k']", "512"),
        ({"metadata": ["k"]}, "metadata", "dict"),
        (
            {"output_expires_after": {"anchor": "created_at", "seconds": 10}},
            "output_expires_after.seconds",
            "3600",
        ),
        ({"output_expires_after": 3600}, "output_expires_after", "anchor"),
    ],
)
@pytest.mark.parametrize("kind", KINDS)
async def test_invalid_parameters_are_refused_before_sending(
    kind: str, kwargs: dict[str, Any], param: str, says: str
) -> None:
    recorder = Recorder(answer())
    client = make_client(kind, recorder)
    with pytest.raises(workbench.InvalidParameterError) as info:
        await submit(client, **kwargs)
    await close(client)
    assert info.value.param == param and recorder.calls == 0
    assert says in str(info.value)


@both
async def test_retrieve_and_cancel(kind: str) -> None:
    recorder = Recorder(answer(status="in_progress"), answer(status="cancelling", cancelling_at=5))
    client = make_client(kind, recorder)
    found = await resolve(client.batches.retrieve("batch_abc123"))
    cancelled = await resolve(client.batches.cancel("batch_abc123"))
    with pytest.raises(workbench.InvalidParameterError) as info:
        await resolve(client.batches.cancel(""))
    await close(client)
    assert [(r.method, r.url.path, r.content) for r in recorder.requests] == [
        ("GET", "/v1/batches/batch_abc123", b""),
        ("POST", "/v1/batches/batch_abc123/cancel", b""),
    ]
    assert found.status == "in_progress" and found.output_file_id == "file-cvaTdG"
    assert cancelled.status == "cancelling" and cancelled.cancelling_at == 5
    assert info.value.param == "batch_id"


def _paged(request: httpx.Request) -> httpx.Response:
    after = request.url.params.get("after")
    if after is None:
        items = [batch_json(id="batch_1"), batch_json(id="batch_2")]
        return httpx.Response(200, json=page_json(items, has_more=True))
    assert after == "batch_2"
    return httpx.Response(200, json=page_json([batch_json(id="batch_3")], has_more=False))


@both
async def test_list_walks_the_pages(kind: str) -> None:
    recorder = Recorder(_paged)
    client = make_client(kind, recorder)
    listed = client.batches.list(limit=2)
    ids = [b.id async for b in listed] if kind == "async" else [b.id for b in listed]
    first = await resolve(client.batches.list(limit=2))
    await close(client)
    assert ids == ["batch_1", "batch_2", "batch_3"]
    assert [dict(r.url.params) for r in recorder.requests[:2]] == [
        {"limit": "2"},
        {"limit": "2", "after": "batch_2"},
    ]
    assert [b.id for b in first.data] == ["batch_1", "batch_2"] and first.has_more


@pytest.mark.parametrize("kwargs", [{"limit": 0}, {"limit": 101}, {"limit": True}, {"after": 5}])
def test_list_parameters_are_checked_before_sending(kwargs: dict[str, Any]) -> None:
    recorder = Recorder()
    client = make_client("sync", recorder)
    with pytest.raises(workbench.InvalidParameterError):
        client.batches.list(**kwargs)
    assert recorder.calls == 0


@both
async def test_errors_and_retries_are_the_clients(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    delays = patch_sleep(monkeypatch)
    busy = httpx.Response(500, json={"error": {"message": "busy"}})
    recorder = Recorder(busy, answer())
    client = make_client(kind, recorder)
    batch = await submit(client)
    await close(client)
    assert batch.id == "batch_abc123" and recorder.calls == 2 and len(delays) == 1
    assert recorder.requests[0].content == recorder.requests[1].content
    missing = httpx.Response(404, json={"error": {"message": "No batch found with id 'b'"}})
    client = make_client(kind, Recorder(missing))
    with pytest.raises(workbench.NotFoundError, match="No batch found"):
        await resolve(client.batches.retrieve("b"))
    await close(client)


@both
async def test_with_raw_response(kind: str) -> None:
    response = httpx.Response(200, json=BATCH_JSON, headers={"x-request-id": "req_7"})
    client = make_client(kind, Recorder(response))
    raw = await resolve(client.batches.with_raw_response.retrieve("batch_abc123"))
    page = await resolve(client.batches.with_raw_response.list())
    await close(client)
    assert raw.request_id == "req_7" and raw.parse().status == "completed"
    assert page.status_code == 200


def test_the_specs_batch_objects_parse_and_unknown_fields_are_kept() -> None:
    failed = batch_json(
        status="failed",
        errors={
            "object": "list",
            "data": [{"code": "invalid_json_line", "line": 3, "message": "bad"}],
        },
        failed_at=1711471540,
    )
    listed = page_json([BATCH_JSON, failed], has_more=False)
    for name, value in [("Batch", BATCH_JSON), ("Batch", failed), ("ListBatchesResponse", listed)]:
        assert violations(name, value) == []
    batch = Batch.model_validate(BATCH_JSON)
    assert batch.to_dict() == BATCH_JSON
    assert isinstance(batch.usage, BatchUsage) and batch.usage.total_tokens == 2000
    parsed = Batch.model_validate(failed)
    assert parsed.errors is not None and parsed.errors.data is not None
    assert (parsed.errors.data[0].code, parsed.errors.data[0].line) == ("invalid_json_line", 3)
    newer = Batch.model_validate(batch_json(status="paused", priority="low"))
    assert newer.status == "paused" and newer.model_extra == {"priority": "low"}


@pytest.mark.parametrize(
    ("ours", "theirs"), [("sync", OpenAIBatches), ("async", OpenAIAsyncBatches)]
)
@pytest.mark.parametrize("method", ["create", "list"])
def test_methods_take_what_openai_1_106_takes(ours: str, theirs: type, method: str) -> None:
    resource = make_client(ours).batches
    mine = inspect.signature(getattr(resource, method)).parameters
    openai_params = inspect.signature(getattr(theirs, method)).parameters
    extras = {"extra_headers", "extra_query", "extra_body", "timeout", "extra", "self"}
    assert [p for p in mine if p not in extras] == [p for p in openai_params if p not in extras]


# -- the same server, openai 1.106.1 and workbench --------------------------------------------


class _Server:
    """A MockTransport handler of files and batches that records what it is sent."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        path, method = request.url.path, request.method
        if path == "/v1/files" and method == "POST":
            return httpx.Response(200, json=FILE_JSON)
        if path == "/v1/files":
            return httpx.Response(200, json=page_json([FILE_JSON], has_more=False))
        if path.endswith("/content"):
            return httpx.Response(200, content=b'{"custom_id": "c1"}\n')
        if path.startswith("/v1/files/") and method == "DELETE":
            return httpx.Response(
                200, json={"id": "file-abc123", "object": "file", "deleted": True}
            )
        if path.startswith("/v1/files/"):
            return httpx.Response(200, json=FILE_JSON)
        if path == "/v1/batches" and method == "GET":
            return httpx.Response(200, json=page_json([BATCH_JSON], has_more=False))
        if path.endswith("/cancel"):
            return httpx.Response(200, json=batch_json(status="cancelling", cancelling_at=9))
        return httpx.Response(200, json=BATCH_JSON)


async def _calls(client: Any) -> list[Any]:
    """The same calls for any of the four clients; what each returns, as plain data."""
    upload = await resolve(
        client.files.create(file=("in.jsonl", b'{"custom_id": "c1"}\n'), purpose="batch")
    )
    batch = await resolve(
        client.batches.create(
            completion_window="24h",
            endpoint="/v1/chat/completions",
            input_file_id=upload.id,
            metadata={"grid": "g-1"},
        )
    )
    return [
        upload.model_dump(),
        batch.model_dump(),
        (await resolve(client.batches.retrieve(batch.id))).model_dump(),
        [b.model_dump() for b in await collect(client.batches.list(limit=5))],
        (await resolve(client.batches.cancel(batch.id))).model_dump(),
        (await resolve(client.files.retrieve(upload.id))).model_dump(),
        [f.model_dump() for f in await collect(client.files.list(purpose="batch"))],
        (await resolve(client.files.content(upload.id))).content,
        (await resolve(client.files.delete(upload.id))).model_dump(),
    ]


def _request_summary(request: httpx.Request) -> tuple[Any, ...]:
    if request.headers.get("content-type", "").startswith("multipart/"):
        body: Any = form_parts(request)
    else:
        body = json.loads(request.content) if request.content else None
    return (request.method, request.url.path, dict(request.url.params), body)


@both
async def test_openai_1_106_and_workbench_agree_on_the_same_server(kind: str) -> None:
    theirs_server, ours_server = _Server(), _Server()
    url = "https://api.example.test/v1"
    if kind == "sync":
        theirs: Any = openai.OpenAI(
            api_key=KEY,
            base_url=url,
            http_client=httpx.Client(transport=httpx.MockTransport(theirs_server)),
        )
    else:
        theirs = openai.AsyncOpenAI(
            api_key=KEY,
            base_url=url,
            http_client=httpx.AsyncClient(transport=httpx.MockTransport(theirs_server)),
        )
    ours = make_client(kind, ours_server, base_url=url)
    assert await _calls(ours) == await _calls(theirs)
    await close(ours)
    await close(theirs)
    mine = [_request_summary(r) for r in ours_server.requests]
    assert mine == [_request_summary(r) for r in theirs_server.requests]
    assert mine[0][3]["file"] == ("in.jsonl", b'{"custom_id": "c1"}\n', "application/octet-stream")
    assert len(mine) == 9


# -- cassettes ---------------------------------------------------------------------------------


def test_an_upload_and_a_binary_download_record_and_replay(tmp_path: Path) -> None:
    """The upload's boundary comes from its content, so replaying matches the same upload; the
    key never reaches the cassette (from the file either: the same key redacts it again when
    replaying); a binary file's bytes come back exact."""
    binary = bytes(range(256))
    upload_bytes = binary + KEY.encode()  # redacted where recorded, on replay too
    server = _Server()
    cassette = tmp_path / "files.jsonl"

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/content"):
            server.requests.append(request)
            return httpx.Response(200, content=binary)
        return server(request)

    def run(client: workbench.Client) -> list[Any]:
        upload = client.files.create(file=("in.bin", upload_bytes), purpose="user_data")
        return [upload.id, client.files.content(upload.id).content]

    http = httpx.Client(transport=httpx.MockTransport(handler))
    with workbench.Client(
        api_key=KEY, base_url="https://api.example.test/v1", http_client=http, record=cassette
    ) as client:
        recorded = run(client)
    assert recorded == ["file-abc123", binary] and len(server.requests) == 2
    assert KEY not in cassette.read_text()
    with workbench.Client(api_key=KEY, replay=cassette) as client:
        assert run(client) == recorded
    assert len(server.requests) == 2  # nothing sent
