"""Helpers for the local model's files and batches: a fake clock, uploads, the spec's schemas."""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Iterable
from typing import Any

import httpx
import jsonschema
import referencing
from referencing.jsonschema import DRAFT202012

from tests.conftest import FILES_BATCHES_SPEC_PATH
from workbench.local import BatchLimits, BatchTiming, LocalModel, LocalTransport

_URI = "urn:openai-files-batches"

SENT_AS_NULL = {
    "Batch": (
        "model",
        "errors",
        "output_file_id",
        "error_file_id",
        "in_progress_at",
        "finalizing_at",
        "completed_at",
        "failed_at",
        "expired_at",
        "cancelling_at",
        "cancelled_at",
    ),
    "OpenAIFile": ("expires_at", "status_details"),
    "ListFilesResponse": ("first_id", "last_id"),
    "ListBatchesResponse": ("first_id", "last_id"),
}
"""Known departures of the published description from the API: fields it does not mark
nullable that the API sends as ``null`` while they are unset (its reference documents each as
"or null"; an empty list's cursors are null too). The local model sends them as the API does,
and the validator lets exactly these be null."""


class FakeClock:
    """Wall time for ``BatchTiming(clock=...)`` that moves only when a test moves it."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def local(
    clock: FakeClock, limits: BatchLimits | None = None, **timing: Any
) -> tuple[LocalModel, httpx.Client]:
    """A local model whose batches run on ``clock``, and a raw httpx client to it in-process."""
    model = LocalModel(batch_timing=BatchTiming(clock=clock, **timing), batch_limits=limits)
    client = httpx.Client(transport=LocalTransport(model), base_url="http://local.test/v1")
    return model, client


def chat_line(custom_id: str, text: str = "Name a colour.", **body: Any) -> dict[str, Any]:
    """A Batch input line for ``/v1/chat/completions``."""
    return {
        "custom_id": custom_id,
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {
            "model": "workbench-local",
            "messages": [{"role": "user", "content": text}],
            **body,
        },
    }


def jsonl(lines: Iterable[dict[str, Any] | str]) -> bytes:
    """Lines as a JSONL file (a string line is written as it is)."""
    return "".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines).encode()


def upload(
    client: httpx.Client, content: bytes, purpose: str = "batch", filename: str = "input.jsonl"
) -> dict[str, Any]:
    """``POST /files`` and the file object (checked against the spec)."""
    response = client.post("/files", files={"file": (filename, content)}, data={"purpose": purpose})
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    assert_spec("OpenAIFile", data)
    return data


def create_batch(client: httpx.Client, file_id: str, **extra: Any) -> dict[str, Any]:
    """``POST /batches`` for chat completions and the batch object (checked)."""
    body = {
        "input_file_id": file_id,
        "endpoint": "/v1/chat/completions",
        "completion_window": "24h",
        **extra,
    }
    response = client.post("/batches", json=body)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    assert_spec("Batch", data)
    return data


def batch(client: httpx.Client, batch_id: str) -> dict[str, Any]:
    """``GET /batches/{id}`` (checked)."""
    response = client.get(f"/batches/{batch_id}")
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    assert_spec("Batch", data)
    return data


def lines_of(client: httpx.Client, file_id: str) -> list[dict[str, Any]]:
    """A file's JSONL content, read back."""
    response = client.get(f"/files/{file_id}/content")
    assert response.status_code == 200, response.text
    return [json.loads(line) for line in response.text.splitlines()]


@functools.cache
def _validator(name: str) -> jsonschema.Draft202012Validator:
    spec = json.loads(FILES_BATCHES_SPEC_PATH.read_text(encoding="utf-8"))
    schemas = spec["components"]["schemas"]
    for schema_name, fields in SENT_AS_NULL.items():
        properties = schemas[schema_name]["properties"]
        for field in fields:
            properties[field] = {"anyOf": [copy.deepcopy(properties[field]), {"type": "null"}]}
    resource = DRAFT202012.create_resource(spec)
    registry: referencing.Registry[Any] = referencing.Registry().with_resource(_URI, resource)
    return jsonschema.Draft202012Validator(
        {"$ref": f"{_URI}#/components/schemas/{name}"}, registry=registry
    )


def assert_spec(name: str, value: Any) -> None:
    """Fail with the violations if ``value`` is not a valid ``components.schemas[name]`` of the
    Files and Batches spec (with the ``SENT_AS_NULL`` departures)."""
    errors = sorted(_validator(name).iter_errors(value), key=lambda e: list(e.path))
    if errors:
        lines = [f"  at {list(e.absolute_path)}: {e.message[:300]}" for e in errors[:5]]
        raise AssertionError(f"not a valid {name}:\n" + "\n".join(lines))
