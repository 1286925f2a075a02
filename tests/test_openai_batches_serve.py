"""The official ``openai`` 1.106.1 package's ``files`` and ``batches`` against
``python -m workbench serve``, every body the server sends checked against the spec's schemas."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import openai
import pytest

from tests._batches import assert_spec, chat_line, jsonl
from tests._local import ServerProcess, serving

_TIMING = (
    "--batch-validating-seconds",
    "0.2",
    "--batch-seconds-per-request",
    "0.01",
    "--batch-finalizing-seconds",
    "0.2",
    "--batch-cancelling-seconds",
    "0.2",
)


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with serving(*_TIMING) as proc:
        yield proc


def _schema_of(request: httpx.Request) -> str | None:
    """The spec's schema for the answer to ``request`` (None: not a files or batches path)."""
    path = request.url.path.removeprefix("/v1")
    parts = path.split("/")
    if parts[1] not in ("files", "batches"):
        return None
    if parts[1] == "files":
        if request.method == "DELETE":
            return "DeleteFileResponse"
        return "ListFilesResponse" if len(parts) == 2 and request.method == "GET" else "OpenAIFile"
    return "ListBatchesResponse" if len(parts) == 2 and request.method == "GET" else "Batch"


class _Checked:
    """An httpx client for ``openai.OpenAI`` that checks every JSON body the server sends."""

    def __init__(self) -> None:
        self.checked: list[str] = []
        self.http = httpx.Client(event_hooks={"response": [self._check]})

    def _check(self, response: httpx.Response) -> None:
        response.read()
        if response.is_success and response.headers["content-type"] == "application/json":
            name = _schema_of(response.request)
            if name is not None:
                assert_spec(name, response.json())
                self.checked.append(name)


@contextmanager
def _client(server: ServerProcess) -> Iterator[tuple[openai.OpenAI, _Checked]]:
    checked = _Checked()
    with openai.OpenAI(
        base_url=server.url, api_key="sk-local", http_client=checked.http, max_retries=0
    ) as client:
        yield client, checked


def _wait(client: openai.OpenAI, batch_id: str, until: set[str]) -> openai.types.Batch:
    """Poll until the batch reaches one of ``until`` (a deadline only against hanging)."""
    deadline = time.monotonic() + 60
    while True:
        found = client.batches.retrieve(batch_id)
        if found.status in until or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_files_create_retrieve_list_content_delete(server: ServerProcess, tmp_path: Path) -> None:
    with _client(server) as (client, checked):
        path = tmp_path / "requests.jsonl"
        content = jsonl([chat_line("a"), chat_line("b")])
        path.write_bytes(content)
        with path.open("rb") as handle:
            made = client.files.create(file=handle, purpose="batch")
        assert made.object == "file" and made.purpose == "batch" and made.status == "processed"
        assert made.filename == "requests.jsonl" and made.bytes == len(content)
        assert client.files.retrieve(made.id) == made
        assert made.id in [f.id for f in client.files.list(purpose="batch")]
        assert client.files.content(made.id).content == content
        deleted = client.files.delete(made.id)
        assert deleted.deleted is True and deleted.id == made.id
        with pytest.raises(openai.NotFoundError, match="No such File object"):
            client.files.retrieve(made.id)
        with pytest.raises(openai.BadRequestError) as caught:
            client.files.create(file=("x.jsonl", b"{}\n"), purpose="nonsense")  # type: ignore[arg-type]
        assert caught.value.param == "purpose"
        assert set(checked.checked) == {"OpenAIFile", "ListFilesResponse", "DeleteFileResponse"}


def test_a_batch_runs_to_completed_and_its_output_reads_back(server: ServerProcess) -> None:
    with _client(server) as (client, checked):
        lines = [chat_line(f"q{i}", f"Question {i}?") for i in range(3)]
        made = client.files.create(file=("in.jsonl", jsonl(lines)), purpose="batch")
        created = client.batches.create(
            input_file_id=made.id,
            endpoint="/v1/chat/completions",
            completion_window="24h",
            metadata={"grid": "demo"},
        )
        assert created.status == "validating" and created.metadata == {"grid": "demo"}
        done = _wait(client, created.id, {"completed", "failed", "expired"})
        assert done.status == "completed", done
        assert done.request_counts is not None
        assert (done.request_counts.total, done.request_counts.completed) == (3, 3)
        assert done.output_file_id is not None and done.error_file_id is None
        output = [
            json.loads(x) for x in client.files.content(done.output_file_id).text.splitlines()
        ]
        assert [x["custom_id"] for x in output] == ["q0", "q1", "q2"]
        live = client.chat.completions.create(**lines[0]["body"])
        assert output[0]["response"]["body"]["choices"][0]["message"]["content"] == (
            live.choices[0].message.content
        )
        assert created.id in [b.id for b in client.batches.list(limit=100)]
        assert {"Batch", "ListBatchesResponse", "OpenAIFile"} <= set(checked.checked)


def test_a_batch_is_cancelled_and_a_bad_file_fails(server: ServerProcess) -> None:
    with _client(server) as (client, checked):
        many = client.files.create(
            file=("many.jsonl", jsonl([chat_line(f"c{i}") for i in range(2000)])), purpose="batch"
        )
        created = client.batches.create(
            input_file_id=many.id, endpoint="/v1/chat/completions", completion_window="24h"
        )
        cancelling = client.batches.cancel(created.id)
        assert cancelling.status == "cancelling" and cancelling.cancelling_at is not None
        cancelled = _wait(client, created.id, {"cancelled"})
        assert cancelled.status == "cancelled"
        assert cancelled.error_file_id is not None
        completed = _completed(client)
        with pytest.raises(openai.ConflictError):
            client.batches.cancel(completed)
        bad = client.files.create(file=("bad.jsonl", b"not json\n"), purpose="batch")
        failing = client.batches.create(
            input_file_id=bad.id, endpoint="/v1/chat/completions", completion_window="24h"
        )
        failed = _wait(client, failing.id, {"failed"})
        assert failed.status == "failed" and failed.errors is not None
        assert failed.errors.data is not None
        assert [(e.code, e.line) for e in failed.errors.data] == [("invalid_json_line", 1)]
        with pytest.raises(openai.NotFoundError):
            client.batches.retrieve("batch_unknown")
        assert "Batch" in checked.checked


def _completed(client: openai.OpenAI) -> str:
    made = client.files.create(file=("one.jsonl", jsonl([chat_line("a")])), purpose="batch")
    created = client.batches.create(
        input_file_id=made.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    assert _wait(client, created.id, {"completed"}).status == "completed"
    return created.id


async def test_the_async_client_uploads_and_creates(server: ServerProcess) -> None:
    async with openai.AsyncOpenAI(base_url=server.url, api_key="sk-local") as client:
        made = await client.files.create(file=("a.jsonl", jsonl([chat_line("a")])), purpose="batch")
        created = await client.batches.create(
            input_file_id=made.id, endpoint="/v1/chat/completions", completion_window="24h"
        )
        found = await client.batches.retrieve(created.id)
        assert found.id == created.id and found.input_file_id == made.id
        page = await client.files.list(purpose="batch", order="asc")
        assert made.id in [f.id for f in page.data]


_SUBMIT = """
import sys, time, openai
client = openai.OpenAI(base_url=sys.argv[1], api_key="sk-local", max_retries=0)
with open(sys.argv[2], "rb") as handle:
    made = client.files.create(file=handle, purpose="batch")
batch = client.batches.create(
    input_file_id=made.id, endpoint="/v1/chat/completions", completion_window="24h"
)
print(batch.id, flush=True)
while client.batches.retrieve(batch.id).status == "validating":
    time.sleep(0.02)
print("running", flush=True)
time.sleep(3600)
"""


def test_a_batch_outlives_the_client_that_submitted_it(tmp_path: Path) -> None:
    """A client killed while its 2,000-line batch runs (default timing); a new process finds
    the batch by its id, sees it through to the end with every line, and nothing was submitted
    twice."""
    path = tmp_path / "grid.jsonl"
    path.write_bytes(
        jsonl([chat_line(f"p{i}-v0-s0-r0-workbench-local", f"Q{i}") for i in range(2000)])
    )
    with serving() as proc:
        submitter = subprocess.Popen(
            [sys.executable, "-c", _SUBMIT, proc.url, str(path)],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert submitter.stdout is not None
            batch_id = submitter.stdout.readline().strip()
            assert submitter.stdout.readline().strip() == "running"
        finally:
            submitter.kill()
            submitter.communicate()
        with _client(proc) as (client, _):
            done = _wait(client, batch_id, {"completed", "failed", "expired", "cancelled"})
            assert done.status == "completed" and done.request_counts is not None
            assert done.request_counts.completed == 2000
            assert done.output_file_id is not None
            output = client.files.content(done.output_file_id).text.splitlines()
            assert len(output) == 2000
            assert [b.id for b in client.batches.list()] == [batch_id]
