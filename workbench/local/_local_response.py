"""What the local model answers (``LocalResponse``), and the JSON and error bodies it sends."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._faults import Stalled

__all__ = ["JSON_HEADERS", "LocalResponse", "error", "ok"]

JSON_HEADERS = (("content-type", "application/json"),)


@dataclass
class LocalResponse:
    """What the core answers; the transport or server turns it into HTTP.

    ``events`` (when streaming) yields encoded SSE events one by one (and may raise
    ``ConnectionResetError`` or ``Stalled`` part-way). ``drop`` asks the adapter to close the
    connection without a response, ``stall`` to hold it silent; ``delay`` to wait before answering.
    ``chunk_delay`` is the time between two events' due times (see ``_pacing``; 0: unpaced).
    """

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    events: Iterator[bytes] | None = None
    delay: float = 0.0
    chunk_delay: float = 0.0
    drop: bool = False
    stall: Stalled | None = None


def ok(data: Mapping[str, Any]) -> LocalResponse:
    """A 200 with ``data`` as its JSON body."""
    return LocalResponse(200, list(JSON_HEADERS), json.dumps(data).encode())


def error(
    status: int, message: str, kind: str, *, param: str | None = None, code: str | None = None
) -> LocalResponse:
    """An error in OpenAI's shape: ``{"error": {"message", "type", "param", "code"}}``."""
    body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return LocalResponse(status, list(JSON_HEADERS), json.dumps(body).encode())
