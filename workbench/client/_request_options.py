"""One request as the resources describe it (``RequestOptions``), and the pieces of its wire
form: the merged headers, the query items, the strict JSON body or the multipart form."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from .._exceptions import InvalidParameterError
from .._sentinels import NOT_GIVEN, NotGiven

__all__ = [
    "FileTuple",
    "MergedHeaders",
    "RequestOptions",
    "flatten_query",
    "json_body",
    "merged_headers",
    "multipart_boundary",
]

FileTuple = tuple[str, bytes, str]
"""A file part of a multipart body: its filename, its whole content, its content type."""

MergedHeaders = tuple[httpx.Headers, set[str]]
"""Headers to send, and the lower-case names of those removed (by ``NOT_GIVEN``)."""


@dataclass
class RequestOptions:
    """One request as the resources describe it, before it becomes an ``httpx.Request``."""

    method: str
    path: str
    json_data: Mapping[str, Any] | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, Any] | None = None
    extra_query: Mapping[str, Any] | None = None
    extra_body: Mapping[str, Any] | None = None
    timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN
    max_retries: int | None = None
    files: list[tuple[str, FileTuple]] | None = None
    """Set: the body is ``multipart/form-data``: these file parts, and ``json_data`` (with
    ``extra_body``) as form fields. The contents are bytes, so a retry sends them whole."""


def merged_headers(
    pairs: Iterable[tuple[str, Any]], below: MergedHeaders | None = None
) -> MergedHeaders:
    """The headers ``pairs`` set over ``below`` (a copy of it), later ones winning, and the
    lower-case names a ``NOT_GIVEN`` value removed (the caller removes those from the httpx
    client's own headers too).

    ``httpx.Headers`` matches names case-insensitively, so a later header replaces (or, as
    ``NOT_GIVEN``, removes) an earlier one however either is spelt, instead of adding a twin.
    """
    headers = below[0].copy() if below is not None else httpx.Headers()
    removed = set(below[1]) if below is not None else set()
    for name, value in pairs:
        if isinstance(value, NotGiven):
            headers.pop(name, None)
            removed.add(name.lower())
        else:
            headers[name] = str(value)
            removed.discard(name.lower())
    return headers, removed


def json_body(json_data: Mapping[str, Any] | None, extra_body: Mapping[str, Any] | None) -> bytes:
    """The request body: ``json_data`` with ``extra_body`` over it, as strict JSON.

    Raises:
        InvalidParameterError: a value JSON cannot carry (NaN, a set, bytes, an object, a
            cycle), named by its path in the body; it must not reach the server.
    """
    body = dict(json_data or {})
    if extra_body:
        body.update(extra_body)
    try:
        text = json.dumps(body, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        raise _not_json(body, exc) from None
    return text.encode()


def multipart_boundary(fields: list[tuple[str, str]], files: list[tuple[str, FileTuple]]) -> str:
    """A boundary made from the form's content: the same upload is the same bytes on every
    retry and every run (a cassette matches it), and content cannot contain its own hash."""
    digest = hashlib.sha256()
    for name, value in fields:
        digest.update(f"{name}={value}\n".encode())
    for name, (filename, content, kind) in files:
        digest.update(f"{name}:{filename}:{kind}:{len(content)}\n".encode())
        digest.update(content)
    return f"workbench-{digest.hexdigest()[:32]}"


def flatten_query(
    params: Mapping[str, object],
) -> list[tuple[str, str | int | float | bool | None]]:
    """Query items as the API reads them: booleans as true/false, dicts as ``name[key]=value``."""
    items: list[tuple[str, str | int | float | bool | None]] = []
    for name, value in params.items():
        if isinstance(value, NotGiven) or value is None:
            continue
        if isinstance(value, Mapping):
            items.extend((f"{name}[{key}]", _query_scalar(v)) for key, v in value.items())
        elif isinstance(value, (list, tuple)):
            items.extend((name, _query_scalar(v)) for v in value)
        else:
            items.append((name, _query_scalar(value)))
    return items


def _query_scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _not_json(body: Mapping[str, Any], exc: BaseException) -> InvalidParameterError:
    """The error for a request body JSON cannot carry, naming the first value at fault."""
    try:
        where = _json_fault(body, "", set()) or "body"
    except RecursionError:
        where = "body"
    return InvalidParameterError(where, f"cannot be sent as JSON ({exc})")


def _json_fault(value: object, path: str, seen: set[int]) -> str | None:
    """The path of the first value in ``value`` that is not JSON (None if there is none)."""
    if isinstance(value, float):
        return None if math.isfinite(value) else path
    if value is None or isinstance(value, (str, int)):
        return None
    if not isinstance(value, (Mapping, list, tuple)) or id(value) in seen:
        return path or "body"
    seen = seen | {id(value)}
    if isinstance(value, Mapping):
        for key, item in value.items():
            at = f"{path}.{key}" if path else str(key)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                return at
            found = _json_fault(item, at, seen)
            if found:
                return found
        return None
    for i, item in enumerate(value):
        found = _json_fault(item, f"{path}[{i}]", seen)
        if found:
            return found
    return None
