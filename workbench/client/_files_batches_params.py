"""The checks of the ``files`` and ``batches`` parameters, made before anything is sent, and
the bodies and queries they become."""

from __future__ import annotations

from typing import Any

from .._exceptions import InvalidParameterError
from .._sentinels import NotGiven, strip_not_given
from ..protocol._validate import check_metadata

__all__ = [
    "BATCH_ENDPOINTS",
    "COMPLETION_WINDOWS",
    "FILE_PURPOSES",
    "batch_body",
    "list_query",
]

FILE_PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
BATCH_ENDPOINTS = ("/v1/responses", "/v1/chat/completions", "/v1/embeddings", "/v1/completions")
COMPLETION_WINDOWS = ("24h",)
ORDERS = ("asc", "desc")
_EXPIRY_SECONDS = (3600, 2_592_000)  # one hour to thirty days


def check_purpose(purpose: object) -> str:
    if purpose not in FILE_PURPOSES:
        raise InvalidParameterError("purpose", f"got {purpose!r}", allowed=FILE_PURPOSES)
    return str(purpose)


def check_expires_after(param: str, value: object) -> Any:
    """``{"anchor": "created_at", "seconds": 3600..2592000}`` as given, or NOT_GIVEN."""
    if isinstance(value, NotGiven):
        return value
    low, high = _EXPIRY_SECONDS
    allowed = f'{{"anchor": "created_at", "seconds": {low} to {high}}}'
    if not isinstance(value, dict) or set(value) != {"anchor", "seconds"}:
        raise InvalidParameterError(param, f"got {value!r}", allowed=allowed)
    seconds = value["seconds"]
    if value["anchor"] != "created_at":
        raise InvalidParameterError(f"{param}.anchor", f"got {value['anchor']!r}", allowed=allowed)
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not low <= seconds <= high:
        raise InvalidParameterError(f"{param}.seconds", f"got {seconds!r}", allowed=allowed)
    return value


def list_query(
    *, after: object, limit: object, most: int, order: object = None, purpose: object = None
) -> dict[str, Any]:
    """The query of a list call: ``after`` a non-empty string, ``limit`` 1 to ``most``,
    ``order`` asc or desc, ``purpose`` a string; NOT_GIVEN (or None) leaves one out."""
    if not isinstance(after, (NotGiven, type(None))) and (not isinstance(after, str) or not after):
        raise InvalidParameterError("after", f"must be a non-empty string, got {after!r}")
    if not isinstance(limit, (NotGiven, type(None))) and (
        isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= most
    ):
        raise InvalidParameterError("limit", f"got {limit!r}", allowed=f"an integer 1 to {most}")
    if not isinstance(order, (NotGiven, type(None))) and order not in ORDERS:
        raise InvalidParameterError("order", f"got {order!r}", allowed=ORDERS)
    if not isinstance(purpose, (NotGiven, type(None))) and not isinstance(purpose, str):
        raise InvalidParameterError("purpose", f"must be a string, got {purpose!r}")
    query: dict[str, object] = {"after": after, "limit": limit, "order": order, "purpose": purpose}
    return {key: value for key, value in strip_not_given(query).items() if value is not None}


def batch_body(
    completion_window: object,
    endpoint: object,
    input_file_id: object,
    metadata: object,
    output_expires_after: object,
) -> dict[str, Any]:
    """The JSON body of ``batches.create``, checked as the API checks it.

    Raises:
        InvalidParameterError: naming the parameter at fault and what it allows.
    """
    if completion_window not in COMPLETION_WINDOWS:
        raise InvalidParameterError(
            "completion_window", f"got {completion_window!r}", allowed=COMPLETION_WINDOWS
        )
    if endpoint not in BATCH_ENDPOINTS:
        raise InvalidParameterError("endpoint", f"got {endpoint!r}", allowed=BATCH_ENDPOINTS)
    if not isinstance(input_file_id, str) or not input_file_id:
        raise InvalidParameterError(
            "input_file_id", f"must be a non-empty string, got {input_file_id!r}"
        )
    if not isinstance(metadata, NotGiven):
        check_metadata(metadata)
    body = {
        "completion_window": completion_window,
        "endpoint": endpoint,
        "input_file_id": input_file_id,
        "metadata": metadata,
        "output_expires_after": check_expires_after("output_expires_after", output_expires_after),
    }
    return strip_not_given(body)
