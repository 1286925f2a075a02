"""``client.files``: the multipart upload as the API takes it (every form of ``file``),
validation before sending, retries that send the whole file again, lists that walk their
pages, downloads, raw responses, both clients, and openai 1.106.1's surface."""

from __future__ import annotations

import inspect
import io
from pathlib import Path
from typing import Any

import httpx
import pytest
from openai.resources.files import AsyncFiles as OpenAIAsyncFiles
from openai.resources.files import Files as OpenAIFiles

import workbench
from tests._files_batches import FILE_JSON, file_json, form_parts, page_json, violations
from tests._mock import KEY, KINDS, Recorder, both, close, make_client, patch_sleep, resolve
from workbench.types import FileDeleted, FileObject

JSONL = b'{"custom_id": "c1", "method": "POST", "url": "/v1/chat/completions", "body": {}}\n'


def answer(**changes: Any) -> httpx.Response:
    return httpx.Response(200, json=file_json(**changes))


async def upload(client: Any, **kwargs: Any) -> FileObject:
    kwargs.setdefault("purpose", "batch")
    return await resolve(client.files.create(**kwargs))  # type: ignore[no-any-return]


@both
async def test_an_upload_is_multipart_with_the_file_and_the_purpose(kind: str) -> None:
    recorder = Recorder(answer())
    client = make_client(kind, recorder)
    result = await upload(client, file=("batch_input.jsonl", JSONL))
    await close(client)
    request = recorder.last
    assert (request.method, request.url.path) == ("POST", "/v1/files")
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert form_parts(request) == {
        "purpose": (None, b"batch", None),
        "file": ("batch_input.jsonl", JSONL, "application/octet-stream"),
    }
    assert isinstance(result, FileObject) and result.model_dump() == {
        **FILE_JSON,
        "status_details": None,
    }


def _as_bytes(tmp_path: Path) -> tuple[object, str]:
    return JSONL, "upload"


def _as_path(tmp_path: Path) -> tuple[object, str]:
    path = tmp_path / "in.jsonl"
    path.write_bytes(JSONL)
    return path, "in.jsonl"


def _as_file_object(tmp_path: Path) -> tuple[object, str]:
    path = tmp_path / "opened.jsonl"
    path.write_bytes(JSONL)
    return path.open("rb"), "opened.jsonl"


def _as_bytes_io(tmp_path: Path) -> tuple[object, str]:
    return io.BytesIO(JSONL), "upload"


def _as_triple(tmp_path: Path) -> tuple[object, str]:
    return ("named.jsonl", io.BytesIO(JSONL), "application/jsonl"), "named.jsonl"


@pytest.mark.parametrize(
    "make",
    [_as_bytes, _as_path, _as_file_object, _as_bytes_io, _as_triple],
    ids=lambda f: f.__name__,
)
@pytest.mark.parametrize("kind", KINDS)
async def test_every_form_of_file_uploads_its_whole_content(
    kind: str, make: Any, tmp_path: Path
) -> None:
    file, filename = make(tmp_path)
    recorder = Recorder(answer())
    client = make_client(kind, recorder)
    await upload(client, file=file)
    await close(client)
    if hasattr(file, "close"):
        file.close()
    name, content, content_type = form_parts(recorder.last)["file"]
    assert (name, content) == (filename, JSONL)
    assert content_type == (
        "application/jsonl" if make is _as_triple else "application/octet-stream"
    )


@both
async def test_expires_after_and_extra_body_are_form_fields(kind: str) -> None:
    recorder = Recorder(answer())
    client = make_client(kind, recorder)
    await upload(
        client,
        file=("a.jsonl", JSONL),
        expires_after={"anchor": "created_at", "seconds": 3600},
        extra_body={"note": "x"},
        extra_query={"q": "1"},
        extra_headers={"X-Test": "yes"},
    )
    await close(client)
    parts = form_parts(recorder.last)
    assert {name: value[1] for name, value in parts.items() if name != "file"} == {
        "purpose": b"batch",
        "expires_after[anchor]": b"created_at",
        "expires_after[seconds]": b"3600",
        "note": b"x",
    }
    assert recorder.last.url.params["q"] == "1" and recorder.last.headers["x-test"] == "yes"


@both
async def test_a_retry_sends_the_whole_file_again(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    delays = patch_sleep(monkeypatch)
    limited = httpx.Response(429, json={"error": {"message": "slow down"}})
    failed = httpx.Response(500, json={"error": {"message": "boom"}})
    recorder = Recorder(limited, failed, answer())
    client = make_client(kind, recorder)
    result = await upload(client, file=io.BytesIO(JSONL))  # a file object reads once
    await close(client)
    assert recorder.calls == 3 and len(delays) == 2 and result.id == "file-abc123"
    bodies = [request.content for request in recorder.requests]
    assert bodies[0] == bodies[1] == bodies[2]  # the same boundary: the same bytes
    assert all(form_parts(request)["file"][1] == JSONL for request in recorder.requests)
    assert recorder.requests[2].headers["x-stainless-retry-count"] == "2"


@both
async def test_a_final_error_status_is_the_typed_error(kind: str) -> None:
    refused = httpx.Response(400, json={"error": {"message": "Invalid file format"}})
    client = make_client(kind, Recorder(refused))
    with pytest.raises(workbench.BadRequestError, match="Invalid file format"):
        await upload(client, file=("a.jsonl", JSONL))
    await close(client)


class _TextReader:
    """A file-like object whose read() gives text, not bytes."""

    def read(self) -> str:
        return "text"


@pytest.mark.parametrize(
    ("kwargs", "param", "says"),
    [
        ({"purpose": "batch_output"}, "purpose", "'batch', 'fine-tune'"),
        ({"purpose": None}, "purpose", "allowed"),
        ({"file": b""}, "file", "empty"),
        ({"file": ("a.jsonl", b"")}, "file", "empty"),
        ({"file": "input.jsonl"}, "file", "pathlib.Path"),
        ({"file": io.StringIO("text")}, "file", "'rb'"),
        ({"file": _TextReader()}, "file", "'rb'"),
        ({"file": Path("/nonexistent/wb/in.jsonl")}, "file", "cannot be read"),
        ({"file": ("a",)}, "file", "tuple of 1"),
        ({"file": (3, JSONL)}, "file[0]", "filename"),
        ({"file": 42}, "file", "got int"),
        (
            {"expires_after": {"anchor": "created_at", "seconds": 60}},
            "expires_after.seconds",
            "3600",
        ),
        (
            {"expires_after": {"anchor": "now", "seconds": 3600}},
            "expires_after.anchor",
            "created_at",
        ),
        ({"expires_after": {"seconds": 3600}}, "expires_after", "anchor"),
    ],
)
@pytest.mark.parametrize("kind", KINDS)
async def test_invalid_parameters_are_refused_before_sending(
    kind: str, kwargs: dict[str, Any], param: str, says: str
) -> None:
    kwargs.setdefault("file", JSONL)
    recorder = Recorder(answer())
    client = make_client(kind, recorder)
    with pytest.raises(workbench.InvalidParameterError) as info:
        await upload(client, **kwargs)
    await close(client)
    assert info.value.param == param and recorder.calls == 0
    assert says in str(info.value)


@both
async def test_retrieve_delete_and_ids_before_sending(kind: str) -> None:
    deleted = httpx.Response(200, json={"id": "file-abc123", "object": "file", "deleted": True})
    recorder = Recorder(answer(), deleted)
    client = make_client(kind, recorder)
    found = await resolve(client.files.retrieve("file-abc123"))
    gone = await resolve(client.files.delete("file-abc123"))
    with pytest.raises(workbench.InvalidParameterError) as info:
        await resolve(client.files.retrieve(""))
    await close(client)
    assert [(r.method, r.url.path) for r in recorder.requests] == [
        ("GET", "/v1/files/file-abc123"),
        ("DELETE", "/v1/files/file-abc123"),
    ]
    assert isinstance(found, FileObject) and found.purpose == "batch"
    assert isinstance(gone, FileDeleted) and gone.deleted and info.value.param == "file_id"


def _paged(request: httpx.Request) -> httpx.Response:
    """Two pages of files: the first without ``after``, the second after ``file-2``."""
    after = request.url.params.get("after")
    if after is None:
        items = [file_json(id="file-1"), file_json(id="file-2")]
        return httpx.Response(200, json=page_json(items, has_more=True))
    assert after == "file-2"
    return httpx.Response(200, json=page_json([file_json(id="file-3")], has_more=False))


@both
async def test_list_sends_its_query_and_walks_the_pages(kind: str) -> None:
    recorder = Recorder(_paged)
    client = make_client(kind, recorder)
    listed = client.files.list(purpose="batch", limit=2, order="asc")
    ids = [f.id async for f in listed] if kind == "async" else [f.id for f in listed]
    await close(client)
    assert ids == ["file-1", "file-2", "file-3"]
    queries = [dict(r.url.params) for r in recorder.requests]
    assert queries == [
        {"purpose": "batch", "limit": "2", "order": "asc"},
        {"purpose": "batch", "limit": "2", "order": "asc", "after": "file-2"},
    ]
    assert all(r.url.path == "/v1/files" for r in recorder.requests)


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 10_001}, "limit"),
        ({"order": "up"}, "order"),
        ({"after": ""}, "after"),
    ],
)
def test_list_parameters_are_checked_before_sending(kwargs: dict[str, Any], param: str) -> None:
    recorder = Recorder()
    client = make_client("sync", recorder)
    with pytest.raises(workbench.InvalidParameterError) as info:
        client.files.list(**kwargs)
    assert info.value.param == param and recorder.calls == 0


@both
async def test_content_is_the_files_bytes(kind: str, tmp_path: Path) -> None:
    body = b'{"id": "batch_req_1", "custom_id": "c1"}\n{"id": "batch_req_2", "custom_id": "c2"}\n'
    recorder = Recorder(httpx.Response(200, content=body))
    client = make_client(kind, recorder)
    content = await resolve(client.files.content("file-out"))
    await close(client)
    request = recorder.last
    assert (request.method, request.url.path) == ("GET", "/v1/files/file-out/content")
    assert request.headers["accept"] == "application/binary"
    assert isinstance(content, workbench.BinaryResponseContent)
    assert content.content == body and content.read() == body
    assert content.text.splitlines()[1] == '{"id": "batch_req_2", "custom_id": "c2"}'
    assert b"".join(content.iter_bytes()) == body
    assert [line async for line in await content.aiter_lines()] == body.decode().splitlines()
    content.write_to_file(tmp_path / "out.jsonl")
    assert (tmp_path / "out.jsonl").read_bytes() == body
    await content.awrite_to_file(tmp_path / "again.jsonl")
    assert (tmp_path / "again.jsonl").read_bytes() == body


@both
async def test_content_of_a_json_file_parses_and_a_404_is_not_found(kind: str) -> None:
    missing = httpx.Response(404, json={"error": {"message": "No such File object: file-x"}})
    client = make_client(kind, Recorder(httpx.Response(200, json={"a": [1, 2]}), missing))
    content = await resolve(client.files.content("file-json"))
    with pytest.raises(workbench.NotFoundError, match="No such File"):
        await resolve(client.files.content("file-x"))
    await close(client)
    assert content.json() == {"a": [1, 2]}


@both
async def test_with_raw_response_gives_headers_and_parses(kind: str) -> None:
    headers = {"x-request-id": "req_1"}
    recorder = Recorder(
        httpx.Response(200, json=FILE_JSON, headers=headers),
        httpx.Response(200, content=b"abc", headers=headers),
    )
    client = make_client(kind, recorder)
    raw = await resolve(client.files.with_raw_response.create(file=JSONL, purpose="batch"))
    raw_content = await resolve(client.files.with_raw_response.content("file-abc123"))
    await close(client)
    assert raw.request_id == "req_1" and raw.parse().id == "file-abc123"
    assert raw_content.request_id == "req_1" and raw_content.parse().content == b"abc"


@both
async def test_wait_for_processing_polls_until_the_file_is_done(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    delays = patch_sleep(monkeypatch)
    recorder = Recorder(answer(status="uploaded"), answer(status="uploaded"), answer())
    client = make_client(kind, recorder)
    done = await resolve(client.files.wait_for_processing("file-abc123", poll_interval=0.5))
    raw_mode = await resolve(client.files.with_raw_response.wait_for_processing("file-abc123"))
    await close(client)
    assert done.status == "processed" and recorder.calls == 4 and delays == [0.5, 0.5]
    assert isinstance(raw_mode, FileObject)


def test_wait_for_processing_gives_up_after_max_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    patch_sleep(monkeypatch)
    client = make_client("sync", Recorder(answer(status="uploaded")))
    with pytest.raises(workbench.WorkbenchError, match="still being processed"):
        client.files.wait_for_processing("file-abc123", max_wait_seconds=-1)


def test_the_specs_file_objects_parse() -> None:
    listed = page_json([FILE_JSON, file_json(id="file-2", purpose="batch_output")], has_more=False)
    deleted = {"id": "file-abc123", "object": "file", "deleted": True}
    assert violations("OpenAIFile", FILE_JSON) == []
    assert violations("ListFilesResponse", listed) == []
    assert violations("DeleteFileResponse", deleted) == []
    assert FileObject.model_validate(FILE_JSON).to_dict() == FILE_JSON
    assert FileDeleted.model_validate(deleted).to_dict() == deleted
    client = make_client("sync", Recorder(httpx.Response(200, json=listed)))
    assert [f.purpose for f in client.files.list()] == ["batch", "batch_output"]


def test_unknown_fields_are_kept() -> None:
    file = FileObject.model_validate(file_json(status="ready", new_field={"x": 1}))
    assert file.status == "ready" and file.model_extra == {"new_field": {"x": 1}}


@pytest.mark.parametrize(("ours", "theirs"), [("sync", OpenAIFiles), ("async", OpenAIAsyncFiles)])
@pytest.mark.parametrize("method", ["create", "list", "wait_for_processing"])
def test_methods_take_what_openai_1_106_takes(ours: str, theirs: type, method: str) -> None:
    resource = make_client(ours).files
    mine = inspect.signature(getattr(resource, method)).parameters
    openai_params = inspect.signature(getattr(theirs, method)).parameters
    extras = {"extra_headers", "extra_query", "extra_body", "timeout", "extra", "self"}
    assert [p for p in mine if p not in extras] == [p for p in openai_params if p not in extras]
    for name, parameter in mine.items():
        if name not in extras:
            assert parameter.kind == openai_params[name].kind, name


@pytest.mark.parametrize("in_tuple", [False, True])
def test_a_file_read_part_way_is_uploaded_whole(in_tuple: bool) -> None:
    """As httpx (and so openai) does, a seekable file goes back to its start: a first line
    looked at, or the whole file read to check it, is not lost from the upload."""
    recorder = Recorder(answer())
    client = make_client("sync", recorder)
    handle = io.BytesIO(JSONL + JSONL)
    handle.name = "in.jsonl"
    handle.read()
    client.files.create(file=("in.jsonl", handle) if in_tuple else handle, purpose="batch")
    assert form_parts(recorder.last)["file"][:2] == ("in.jsonl", JSONL + JSONL)
