"""Shared by the files and batches tests: answers in the API's shape, the Files and Batches
spec's validators, and a reader of multipart bodies."""

from __future__ import annotations

import email.parser
import email.policy
import functools
import json
from typing import Any

import httpx
import jsonschema

from tests._mock import spec_validator
from tests.conftest import FILES_BATCHES_SPEC_PATH

_URI = "urn:openai-files-batches"

FILE_JSON: dict[str, Any] = {
    "id": "file-abc123",
    "object": "file",
    "bytes": 120000,
    "created_at": 1677610602,
    "expires_at": 1680202602,
    "filename": "batch_input.jsonl",
    "purpose": "batch",
    "status": "processed",
}
"""An uploaded batch input, as the API reference shows one."""

BATCH_JSON: dict[str, Any] = {
    "id": "batch_abc123",
    "object": "batch",
    "endpoint": "/v1/chat/completions",
    "model": "gpt-4o-mini-2024-07-18",
    "input_file_id": "file-abc123",
    "completion_window": "24h",
    "status": "completed",
    "output_file_id": "file-cvaTdG",
    "error_file_id": "file-HOWS94",
    "created_at": 1711471533,
    "in_progress_at": 1711471538,
    "expires_at": 1711557933,
    "finalizing_at": 1711493133,
    "completed_at": 1711493163,
    "request_counts": {"total": 100, "completed": 95, "failed": 5},
    "usage": {
        "input_tokens": 1500,
        "input_tokens_details": {"cached_tokens": 1024},
        "output_tokens": 500,
        "output_tokens_details": {"reasoning_tokens": 300},
        "total_tokens": 2000,
    },
    "metadata": {"customer_id": "user_123456789", "batch_description": "Nightly eval job"},
}
"""A finished batch, as the API reference shows one (without its null fields, which the
spec does not allow)."""


def batch_json(**changes: Any) -> dict[str, Any]:
    return {**BATCH_JSON, **changes}


def file_json(**changes: Any) -> dict[str, Any]:
    return {**FILE_JSON, **changes}


def page_json(items: list[dict[str, Any]], *, has_more: bool) -> dict[str, Any]:
    return {
        "object": "list",
        "data": items,
        "first_id": items[0]["id"] if items else None,
        "last_id": items[-1]["id"] if items else None,
        "has_more": has_more,
    }


@functools.cache
def spec() -> dict[str, Any]:
    return json.loads(FILES_BATCHES_SPEC_PATH.read_text())  # type: ignore[no-any-return]


@functools.cache
def validator(name: str) -> jsonschema.Draft202012Validator:
    """A validator for ``components.schemas[name]`` of the Files and Batches spec."""
    return spec_validator(spec(), _URI, name)


def violations(name: str, value: Any) -> list[str]:
    """Where ``value`` breaks the spec's ``name`` schema (empty when it is valid)."""
    errors = sorted(validator(name).iter_errors(value), key=lambda e: list(e.path))
    return [f"at {list(e.absolute_path)}: {e.message[:200]}" for e in errors[:5]]


def form_parts(request: httpx.Request) -> dict[str, tuple[str | None, bytes, str | None]]:
    """Each part of a multipart request: its name, and its filename, bytes and content type."""
    kind = request.headers["content-type"]
    assert kind.startswith("multipart/form-data; boundary="), kind
    head = f"Content-Type: {kind}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + request.content)
    parts: dict[str, tuple[str | None, bytes, str | None]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        assert isinstance(name, str) and name not in parts
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        filename = part.get_filename()
        kind_of_part = part.get("content-type")
        parts[name] = (filename, payload, str(kind_of_part) if kind_of_part else None)
    return parts
