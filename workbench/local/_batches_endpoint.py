"""``/v1/batches``: create, list, retrieve and cancel, over a ``BatchStore``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._exceptions import InvalidParameterError
from ._batch_input import check_input
from ._batch_store import BatchStore
from ._files_endpoint import EXPIRY_RANGE, is_count, missing_file
from ._local_response import LocalResponse, error, ok

__all__ = [
    "BATCH_ENDPOINTS",
    "LOCAL_BATCH_ENDPOINTS",
    "batch_endpoints",
    "batches_route",
    "may_block",
]

BATCH_ENDPOINTS = (
    "/v1/responses",
    "/v1/chat/completions",
    "/v1/embeddings",
    "/v1/completions",
    "/v1/moderations",
    "/v1/images/generations",
    "/v1/images/edits",
    "/v1/videos",
)
"""The endpoints the API runs batches for."""
LOCAL_BATCH_ENDPOINTS = ("/v1/responses", "/v1/chat/completions", "/v1/embeddings")
"""Those the local model answers."""


def batch_endpoints(*, responses: bool, embeddings: bool) -> tuple[str, ...]:
    """The endpoints a local model runs batches for: those it answers."""
    off = {"/v1/responses": not responses, "/v1/embeddings": not embeddings}
    return tuple(e for e in LOCAL_BATCH_ENDPOINTS if not off.get(e))


def may_block(path: str) -> bool:
    """Whether answering ``path`` (below ``/v1``) may take long: a ``/files`` or ``/batches``
    request first answers every batch line due by now. The server and the async transport
    answer those in a worker thread, so that a poll after a long wait does not hold up every
    other request (the model's stores take their own locks)."""
    return path.startswith(("/files", "/batches"))


def batches_route(
    store: BatchStore,
    method: str,
    path: str,
    query: Mapping[str, str],
    body: dict[str, Any],
    endpoints: tuple[str, ...] = LOCAL_BATCH_ENDPOINTS,
) -> LocalResponse | None:
    """Answer a request below ``/batches``; None for a path or method it does not serve.
    ``endpoints``: those this model answers (``LocalModel(responses=False)`` has no
    ``/v1/responses``, so it runs no batch for it)."""
    parts = path.split("/")  # "", "batches"[, id[, "cancel"]]
    if path == "/batches":
        if method == "POST":
            return _create(store, body, endpoints)
        if method == "GET":
            return ok(store.list(**_list_query(query)))
        return None
    if len(parts) == 3 and method == "GET":
        found = store.get(parts[2])
        return ok(found) if found is not None else _missing(parts[2])
    if len(parts) == 4 and parts[3] == "cancel" and method == "POST":
        found = store.cancel(parts[2])
        if found is None:
            return _missing(parts[2])
        if found["status"] not in ("cancelling", "cancelled"):
            message = f"Cannot cancel a batch with status '{found['status']}'."
            return error(409, message, "invalid_request_error")
        return ok(found)
    return None


def _create(store: BatchStore, body: dict[str, Any], endpoints: tuple[str, ...]) -> LocalResponse:
    for name in ("input_file_id", "endpoint", "completion_window"):
        if name not in body:
            raise InvalidParameterError(name, f"Missing required parameter: '{name}'.")
    endpoint = body["endpoint"]
    if endpoint not in BATCH_ENDPOINTS:
        raise InvalidParameterError("endpoint", f"got {endpoint!r}", allowed=BATCH_ENDPOINTS)
    if endpoint not in endpoints:
        raise InvalidParameterError(
            "endpoint",
            f"the local model does not answer {endpoint}, so it runs no batch for it",
            allowed=endpoints,
        )
    if body["completion_window"] != "24h":
        raise InvalidParameterError(
            "completion_window", f"got {body['completion_window']!r}", allowed=("24h",)
        )
    metadata = _metadata(body.get("metadata"))
    expires_after = _output_expires_after(body.get("output_expires_after"))
    file_id = body["input_file_id"]
    found = store.files.get(file_id) if isinstance(file_id, str) else None
    if found is None:
        return missing_file(str(file_id))
    if found.purpose != "batch":
        raise InvalidParameterError(
            "input_file_id",
            f"The file {file_id} has purpose {found.purpose!r}; a batch's input needs 'batch'.",
        )
    checked = check_input(found.content, endpoint, store.limits)
    batch = store.create(
        endpoint=endpoint,
        input_file_id=file_id,
        checked=checked,
        metadata=metadata,
        output_expires_after=expires_after,
    )
    return ok(batch)


def _metadata(value: object) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or len(value) > 16:
        raise InvalidParameterError("metadata", "must be an object of at most 16 pairs or null")
    for key, text in value.items():
        if not isinstance(text, str) or len(key) > 64 or len(text) > 512:
            raise InvalidParameterError(
                f"metadata.{key}", "keys are strings of up to 64 characters, values up to 512"
            )
    return dict(value)


def _output_expires_after(value: object) -> int | None:
    if value is None:
        return None
    low, high = EXPIRY_RANGE
    if not isinstance(value, dict) or value.get("anchor") != "created_at":
        raise InvalidParameterError(
            "output_expires_after.anchor", f"got {value!r}", allowed=("created_at",)
        )
    seconds = value.get("seconds")
    if not isinstance(seconds, int) or isinstance(seconds, bool) or not low <= seconds <= high:
        raise InvalidParameterError(
            "output_expires_after.seconds",
            f"got {seconds!r}",
            allowed=f"an integer from {low} to {high}",
        )
    return seconds


def _missing(batch_id: str) -> LocalResponse:
    return error(404, f"No batch found with id '{batch_id}'.", "invalid_request_error")


def _list_query(query: Mapping[str, str]) -> dict[str, Any]:
    limit_text = query.get("limit", "20")
    if not is_count(limit_text) or not 1 <= int(limit_text) <= 100:
        raise InvalidParameterError("limit", f"got {limit_text!r}", allowed="1 to 100")
    return {"after": query.get("after"), "limit": int(limit_text)}
