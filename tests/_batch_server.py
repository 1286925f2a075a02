"""A small fake of the Batch API's ``files`` and ``batches`` for grid tests: in memory, each
batch advancing one step per ``retrieve`` (validating, in_progress, finalizing, completed), its
lines answered by the local model (or by ``respond``), with hooks for the bad cases (failed,
expired, a mangled or deleted output file).

``FakeBatchClient(server, inner)`` is the grid's client: ``files`` and ``batches`` from the
fake server, everything else (chat, ``base_url``, ``local_model``) from ``inner``. Or over
HTTP: ``BatchHandler(server, fallback)`` for an ``httpx.MockTransport`` under a real client.
"""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import itertools
import json
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, TypeVar

import httpx
from openai.types import Batch, FileObject

from workbench import (
    APIStatusError,
    AsyncClient,
    AuthenticationError,
    ConflictError,
    InternalServerError,
    NotFoundError,
)
from workbench.local import LocalModel

T = TypeVar("T")
Responder = Callable[[str, dict[str, Any]], tuple[int, dict[str, Any]]]


def local_responder(model: LocalModel | None = None) -> Responder:
    """Answer a request line with the local model (no streaming)."""
    local = model or LocalModel()

    def respond(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        path = url.removeprefix("/v1")
        answer = local.handle("POST", path, {}, {}, json.dumps(body).encode())
        return answer.status, json.loads(answer.body)

    return respond


def _not_found(what: str) -> NotFoundError:
    request = httpx.Request("GET", f"https://fake.test/v1/{what}")
    response = httpx.Response(404, request=request)
    return NotFoundError(f"No such object: {what}", response=response, body=None)


def _server_error(status: int = 500) -> APIStatusError:
    request = httpx.Request("POST", "https://fake.test/v1/batches")
    response = httpx.Response(status, request=request)
    kinds = {401: AuthenticationError, 409: ConflictError}
    kind = InternalServerError if status >= 500 else kinds.get(status, APIStatusError)
    return kind(f"The server answered {status}", response=response, body=None)


@dataclass
class FakeBatchServer:
    """The state of the fake: files, batches, and what the tests make go wrong.

    Attributes:
        respond: answers one request line (the local model by default).
        lines_per_poll: how many lines an ``in_progress`` batch answers per retrieve (None: all).
        fail_with: validation errors (dicts of ``code``, ``line``, ``message``): a new batch
            fails with them.
        expire_after: answer this many lines, then expire.
        mangle: rewrites a finished batch's output lines (to add unknown or duplicate ones).
        delete_output: the output file is gone by the time it is downloaded.
        fail_creates: how many ``batches.create`` calls fail (a 500) before one goes through.
        fail_retrieves: the statuses the next ``batches.retrieve`` calls fail with, in order.
        fail_cancels: the statuses the next ``batches.cancel`` calls fail with, in order (a
            batch that has finished already refuses a cancel with a 409 anyway).
        fail_contents: the statuses the next ``files.content`` calls fail with, in order.
        lose_creates: how many ``batches.create`` calls create their batch and then fail (a
            500), as when the answer is lost on the way.
        stuck_cancelling: a cancelled batch stays ``cancelling`` (for as long as this is set).
        pause_uploads: ``files.create`` lets the event loop run other tasks before it answers
            (as a real upload does; not over HTTP, whose handler never waits).
    """

    respond: Responder = field(default_factory=local_responder)
    lines_per_poll: int | None = None
    fail_with: list[dict[str, Any]] | None = None
    expire_after: int | None = None
    mangle: Callable[[list[str]], list[str]] | None = None
    delete_output: bool = False
    fail_creates: int = 0
    fail_retrieves: list[int] = field(default_factory=list)
    fail_cancels: list[int] = field(default_factory=list)
    fail_contents: list[int] = field(default_factory=list)
    lose_creates: int = 0
    stuck_cancelling: bool = False
    pause_uploads: bool = False
    files: dict[str, bytes] = field(default_factory=dict)
    batches: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    _ids: Any = field(default_factory=itertools.count)

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}-{next(self._ids)}"

    def batch(self, batch_id: str) -> Batch:
        state = self.batches[batch_id]
        data = {k: v for k, v in state.items() if not k.startswith("_")}
        return Batch.model_validate(data)

    def advance(self, batch_id: str) -> None:
        """One step of a batch's life (what a retrieve observes having happened)."""
        state = self.batches[batch_id]
        status = state["status"]
        if status == "validating":
            if self.fail_with is not None:
                state["status"] = "failed"
                state["errors"] = {"object": "list", "data": self.fail_with}
            else:
                state["status"] = "in_progress"
        elif status == "in_progress":
            lines: list[dict[str, Any]] = state["_lines"]
            done: list[str] = state["_out"]
            count = len(lines) - len(done) if self.lines_per_poll is None else self.lines_per_poll
            if self.expire_after is not None:
                count = min(count, self.expire_after - len(done))
            for line in lines[len(done) : len(done) + count]:
                done.append(self._answer(line))
            state["request_counts"]["completed"] = len(done)
            if self.expire_after is not None and len(done) >= self.expire_after:
                self._end(batch_id, "expired")
            elif len(done) == len(lines):
                state["status"] = "finalizing"
        elif status == "finalizing":
            self._end(batch_id, "completed")
        elif status == "cancelling" and not self.stuck_cancelling:
            self._end(batch_id, "cancelled")

    def _answer(self, line: dict[str, Any]) -> str:
        status, body = self.respond(line["url"], line["body"])
        record = {
            "id": self._new_id("batch_req"),
            "custom_id": line["custom_id"],
            "response": {"status_code": status, "request_id": self._new_id("req"), "body": body},
            "error": None,
        }
        return json.dumps(record)

    def _end(self, batch_id: str, status: str) -> None:
        state = self.batches[batch_id]
        out = state["_out"]
        if self.mangle is not None:
            out = self.mangle(list(out))
        state["status"] = status
        if out:
            file_id = self._new_id("file-out")
            self.files[file_id] = "".join(line + "\n" for line in out).encode()
            if not self.delete_output:
                state["output_file_id"] = file_id
            else:
                state["output_file_id"] = file_id
                del self.files[file_id]


class _Files:
    def __init__(self, server: FakeBatchServer) -> None:
        self.server = server

    async def create(self, *, file: tuple[str, bytes], purpose: str) -> FileObject:
        self.server.calls.append("files.create")
        if self.server.pause_uploads:
            await asyncio.sleep(0)
        name, data = file
        file_id = self.server._new_id("file")
        self.server.files[file_id] = data
        return FileObject.model_validate(
            {"id": file_id, "bytes": len(data), "created_at": 0, "filename": name}
            | {"object": "file", "purpose": purpose, "status": "processed"}
        )

    async def content(self, file_id: str) -> Any:
        self.server.calls.append("files.content")
        if self.server.fail_contents:
            raise _server_error(self.server.fail_contents.pop(0))
        if file_id not in self.server.files:
            raise _not_found(f"files/{file_id}")
        data = self.server.files[file_id]
        return SimpleNamespace(content=data, text=data.decode())


class _Batches:
    def __init__(self, server: FakeBatchServer) -> None:
        self.server = server

    async def create(
        self,
        *,
        completion_window: str,
        endpoint: str,
        input_file_id: str,
        metadata: dict[str, str] | None = None,
    ) -> Batch:
        server = self.server
        server.calls.append("batches.create")
        if server.fail_creates > 0:
            server.fail_creates -= 1
            raise _server_error()
        if input_file_id not in server.files:
            raise _not_found(f"files/{input_file_id}")
        lines = [json.loads(x) for x in server.files[input_file_id].decode().splitlines() if x]
        batch_id = server._new_id("batch")
        server.batches[batch_id] = {
            "id": batch_id, "object": "batch", "endpoint": endpoint,
            "completion_window": completion_window, "input_file_id": input_file_id,
            "status": "validating", "created_at": 0, "metadata": metadata,
            "request_counts": {"total": len(lines), "completed": 0, "failed": 0},
            "_lines": lines, "_out": [],
        }  # fmt: skip
        if server.lose_creates > 0:
            server.lose_creates -= 1
            raise _server_error()
        return server.batch(batch_id)

    async def list(self, *, limit: int = 20) -> Any:
        self.server.calls.append("batches.list")
        newest = list(self.server.batches)[::-1][:limit]
        return SimpleNamespace(data=[self.server.batch(b) for b in newest], has_more=False)

    async def retrieve(self, batch_id: str) -> Batch:
        self.server.calls.append("batches.retrieve")
        if self.server.fail_retrieves:
            raise _server_error(self.server.fail_retrieves.pop(0))
        if batch_id not in self.server.batches:
            raise _not_found(f"batches/{batch_id}")
        self.server.advance(batch_id)
        return self.server.batch(batch_id)

    async def cancel(self, batch_id: str) -> Batch:
        self.server.calls.append("batches.cancel")
        if self.server.fail_cancels:
            raise _server_error(self.server.fail_cancels.pop(0))
        state = self.server.batches[batch_id]
        if state["status"] in ("completed", "failed", "expired", "cancelled"):
            raise _server_error(409)
        if state["status"] in ("validating", "in_progress", "finalizing"):
            state["status"] = "cancelling"
        return self.server.batch(batch_id)


class _Blocking:
    """A resource's async methods as blocking ones (a sync client's, as ``Client`` has)."""

    def __init__(self, resource: Any) -> None:
        self._resource = resource

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._resource, name)
        return lambda *args, **kwargs: _now(method(*args, **kwargs))


class FakeBatchClient:
    """A grid client whose ``files`` and ``batches`` are the fake server's (``blocking``: sync
    methods, as a sync ``Client``'s); the rest is ``inner``'s (a workbench ``AsyncClient``, the
    local model by default)."""

    def __init__(
        self, server: FakeBatchServer, inner: AsyncClient | None = None, *, blocking: bool = False
    ) -> None:
        self.server = server
        files, batches = _Files(server), _Batches(server)
        self.files: Any = _Blocking(files) if blocking else files
        self.batches: Any = _Blocking(batches) if blocking else batches
        self._inner = inner or AsyncClient(local=True)
        model = getattr(self._inner, "local_model", None)
        # Its batches are the fake server's, which outlive the local model that answers chat.
        self.local_model = None if model is None else _ChatOnlyModel(model)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _ChatOnlyModel:
    """The inner local model, without the ``instance`` that ties a grid's logged batches to
    it (the fake server's batches are not the model's)."""

    instance = None

    def __init__(self, model: Any) -> None:
        self._model = model

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)


class BatchHandler:
    """The fake server over HTTP, for an ``httpx.MockTransport``: ``/v1/files`` (a multipart
    upload, ``/content``) and ``/v1/batches`` (create, list, retrieve, cancel), as the workbench
    client sends them; anything else goes to ``fallback``."""

    def __init__(
        self,
        server: FakeBatchServer,
        fallback: Callable[[httpx.Request], httpx.Response] | None = None,
    ) -> None:
        self.server = server
        self.fallback = fallback
        self.files = _Files(server)
        self.batches = _Batches(server)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        parts = request.url.path.removeprefix("/v1/").split("/")
        try:
            if parts[0] == "files":
                return self._files(request, parts)
            if parts[0] == "batches":
                return self._batches(request, parts)
        except APIStatusError as exc:
            return httpx.Response(exc.status_code, json={"error": {"message": str(exc)}})
        if self.fallback is None:
            return httpx.Response(404, json={"error": {"message": "not here"}})
        return self.fallback(request)

    def _files(self, request: httpx.Request, parts: list[str]) -> httpx.Response:
        if request.method == "POST":
            form = _multipart(request)
            name, data = form["file"]
            purpose = form["purpose"][1].decode()
            made = _now(self.files.create(file=(name, data), purpose=purpose))
            return httpx.Response(200, json=made.model_dump(mode="json"))
        content = _now(self.files.content(parts[1]))
        return httpx.Response(200, content=content.content)

    def _batches(self, request: httpx.Request, parts: list[str]) -> httpx.Response:
        if len(parts) == 1 and request.method == "GET":
            page = _now(self.batches.list(limit=int(request.url.params.get("limit", 20))))
            data = [b.model_dump(mode="json") for b in page.data]
            return httpx.Response(200, json={"object": "list", "data": data, "has_more": False})
        if len(parts) == 1:
            made = _now(self.batches.create(**json.loads(request.content)))
        elif len(parts) == 3 and parts[2] == "cancel":
            made = _now(self.batches.cancel(parts[1]))
        else:
            made = _now(self.batches.retrieve(parts[1]))
        return httpx.Response(200, json=made.model_dump(mode="json"))


def _now(step: Coroutine[Any, Any, T]) -> T:
    """The result of a coroutine that never waits (the fake's), run here and now: a handler
    may be called inside a running event loop."""
    try:
        step.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    raise AssertionError("the fake's methods never wait")


def _multipart(request: httpx.Request) -> dict[str, tuple[str, bytes]]:
    """A multipart form's fields: name -> (filename, bytes)."""
    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + request.content)
    fields: dict[str, tuple[str, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        fields[str(name)] = (str(part.get_filename() or ""), bytes(payload or b""))
    return fields
