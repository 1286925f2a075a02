"""``/v1/files``: upload (``multipart/form-data``), list, retrieve, delete, and the content."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._exceptions import InvalidParameterError
from ._file_store import UPLOAD_PURPOSES, FileStore
from ._local_response import LocalResponse, error, ok
from ._multipart import FormError, parse_form

__all__ = ["BATCH_FILE_EXPIRY", "EXPIRY_RANGE", "files_route", "is_count", "missing_file"]

BATCH_FILE_EXPIRY = 30 * 24 * 3600
"""A ``purpose="batch"`` file's lifetime when the upload sets none (the API's 30 days)."""
EXPIRY_RANGE = (3600, 2_592_000)
"""The seconds an ``expires_after`` may give a file: an hour to 30 days."""


def files_route(
    store: FileStore,
    method: str,
    path: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    body: bytes,
    *,
    max_batch_bytes: int,
) -> LocalResponse | None:
    """Answer a request below ``/files``; None for a path or method it does not serve."""
    if path == "/files":
        if method == "POST":
            return _upload(store, headers.get("content-type", ""), body, max_batch_bytes)
        if method == "GET":
            return ok(store.list(**_list_query(query)))
        return None
    parts = path.split("/")  # "", "files", id[, "content"]
    if len(parts) == 3 and method in ("GET", "DELETE"):
        found = store.get(parts[2])
        if found is None:
            return missing_file(parts[2])
        if method == "DELETE":
            store.delete(found.id)
            return ok({"id": found.id, "object": "file", "deleted": True})
        return ok(found.to_object())
    if len(parts) == 4 and parts[3] == "content" and method == "GET":
        found = store.get(parts[2])
        if found is None:
            return missing_file(parts[2])
        return LocalResponse(200, [("content-type", "application/octet-stream")], found.content)
    return None


def missing_file(file_id: str) -> LocalResponse:
    """The API's 404 for a file id it does not know."""
    return error(404, f"No such File object: {file_id}", "invalid_request_error", param="id")


def _upload(
    store: FileStore, content_type: str, body: bytes, max_batch_bytes: int
) -> LocalResponse:
    try:
        form = parse_form(content_type, body)
    except FormError as exc:
        return error(400, f"Invalid file upload: {exc}.", "invalid_request_error")
    upload = form.files.get("file")
    if upload is None:
        raise InvalidParameterError("file", "Missing required parameter: 'file'.")
    purpose = form.fields.get("purpose")
    if purpose is None:
        raise InvalidParameterError("purpose", "Missing required parameter: 'purpose'.")
    if purpose not in UPLOAD_PURPOSES:
        raise InvalidParameterError(
            "purpose",
            f"{purpose!r} is not a purpose a file can be uploaded with",
            allowed=UPLOAD_PURPOSES,
        )
    expires_after = _expires_after(form.fields)
    if purpose == "batch":
        if not upload.filename.lower().endswith(".jsonl"):
            raise InvalidParameterError(
                "file", f"Invalid file format for Batch API: {upload.filename!r}. Must be .jsonl"
            )
        if len(upload.content) > max_batch_bytes:
            raise InvalidParameterError(
                "file",
                f"A Batch API file can be at most {max_batch_bytes} bytes;"
                f" this one has {len(upload.content)}.",
            )
        if expires_after is None:
            expires_after = BATCH_FILE_EXPIRY
    stored = store.add(upload.filename, purpose, upload.content, expires_after=expires_after)
    return ok(stored.to_object())


def is_count(text: str) -> bool:
    """Whether ``text`` is a whole number in ASCII digits (``"\u00b2".isdigit()`` is True, but
    ``int()`` refuses it)."""
    return text.isascii() and text.isdigit()


def _expires_after(fields: Mapping[str, str]) -> int | None:
    anchor = fields.get("expires_after[anchor]")
    seconds = fields.get("expires_after[seconds]")
    if anchor is None and seconds is None:
        return None
    if anchor != "created_at":
        raise InvalidParameterError(
            "expires_after.anchor", f"got {anchor!r}", allowed=("created_at",)
        )
    low, high = EXPIRY_RANGE
    if seconds is None or not is_count(seconds) or not low <= int(seconds) <= high:
        raise InvalidParameterError(
            "expires_after.seconds", f"got {seconds!r}", allowed=f"an integer from {low} to {high}"
        )
    return int(seconds)


def _list_query(query: Mapping[str, str]) -> dict[str, Any]:
    limit_text = query.get("limit", "10000")
    if not is_count(limit_text) or not 1 <= int(limit_text) <= 10_000:
        raise InvalidParameterError("limit", f"got {limit_text!r}", allowed="1 to 10000")
    order = query.get("order", "desc")  # the API lists files newest first
    if order not in ("asc", "desc"):
        raise InvalidParameterError("order", f"got {order!r}", allowed=("asc", "desc"))
    return {
        "purpose": query.get("purpose"),
        "after": query.get("after"),
        "limit": int(limit_text),
        "order": order,
    }
