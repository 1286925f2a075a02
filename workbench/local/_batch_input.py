"""A Batch input file checked as the API checks it while a batch is ``validating``.

Each line must be a JSON object with a unique ``custom_id``, ``method`` ``POST``, the batch's
``url`` and a ``body`` naming a ``model``, the same model on every line; the file must hold at
most ``max_requests`` lines and ``max_bytes`` bytes. Every problem is reported with its line
number (from 1) and the parameter at fault, as the API's ``errors.data`` lists them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["BatchLimits", "BatchRequest", "CheckedInput", "check_input"]


@dataclass(frozen=True)
class BatchLimits:
    """How large a batch's input may be: the API's 50,000 requests and 200 MB by default
    (lower them to test a client that splits a grid into several batches)."""

    max_requests: int = 50_000
    max_bytes: int = 200 * 1024 * 1024

    def __post_init__(self) -> None:
        if self.max_requests < 1 or self.max_bytes < 1:
            raise ValueError(f"batch limits must be at least 1, not {self}")


@dataclass(frozen=True)
class BatchRequest:
    """One request line: its ``custom_id``, the path below ``/v1`` and the JSON body."""

    custom_id: str
    path: str
    body: dict[str, Any]


@dataclass
class CheckedInput:
    """The requests of a valid file, or the errors of an invalid one; the model they name."""

    requests: list[BatchRequest] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    model: str | None = None


def _problem(code: str, message: str, line: int | None, param: str | None = None) -> dict[str, Any]:
    return {"code": code, "line": line, "message": message, "param": param}


def check_input(content: bytes, endpoint: str, limits: BatchLimits) -> CheckedInput:
    """Read and check a Batch input file for a batch to ``endpoint`` (``/v1/...``)."""
    out = CheckedInput()
    if len(content) > limits.max_bytes:
        message = (
            f"The input file has {len(content)} bytes; a batch takes at most {limits.max_bytes}."
        )
        out.errors.append(_problem("file_too_large", message, None))
        return out
    seen: set[str] = set()
    lines = content.decode("utf-8", "replace").split("\n")
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        problem = _check_line(text, number, endpoint, seen, out)
        if problem is not None:
            out.errors.append(problem)
    count = len(out.requests) + len(out.errors)
    if count == 0:
        out.errors.append(_problem("empty_file", "The batch input file is empty.", None))
    elif count > limits.max_requests:
        message = (
            f"The input file has {count} requests; a batch takes at most {limits.max_requests}."
        )
        out.errors.append(_problem("too_many_requests", message, None))
    if out.errors:
        out.requests.clear()
    return out


def _check_line(
    text: str, number: int, endpoint: str, seen: set[str], out: CheckedInput
) -> dict[str, Any] | None:
    try:
        line = json.loads(text)
    except ValueError:
        line = None
    if not isinstance(line, dict):
        return _problem("invalid_json_line", "This line is not parseable as a JSON object.", number)
    custom_id = line.get("custom_id")
    if not isinstance(custom_id, str) or not custom_id:
        return _problem(
            "missing_required_parameter",
            "Missing required parameter: 'custom_id'.",
            number,
            "custom_id",
        )
    if custom_id in seen:
        message = (
            f"The custom_id {custom_id!r} is a duplicate of an earlier line's: each request of a"
            " batch needs a custom_id of its own."
        )
        return _problem("duplicate_custom_id", message, number, "custom_id")
    seen.add(custom_id)
    if line.get("method") != "POST":
        message = f"The method {line.get('method')!r} is not supported: only POST is."
        return _problem("invalid_method", message, number, "method")
    if line.get("url") != endpoint:
        message = f"The url {line.get('url')!r} does not match the batch's endpoint {endpoint!r}."
        return _problem("invalid_url", message, number, "url")
    body = line.get("body")
    if not isinstance(body, dict):
        return _problem(
            "missing_required_parameter", "Missing required parameter: 'body'.", number, "body"
        )
    model = body.get("model")
    if not isinstance(model, str) or not model:
        message = "Missing required parameter: 'body.model'."
        return _problem("missing_required_parameter", message, number, "body.model")
    if out.model is None:
        out.model = model
    elif model != out.model:
        message = (
            f"The model {model!r} differs from {out.model!r}, the model of the earlier lines:"
            " a batch runs one model."
        )
        return _problem("mismatched_model", message, number, "body.model")
    out.requests.append(BatchRequest(custom_id, endpoint.removeprefix("/v1"), body))
    return None
