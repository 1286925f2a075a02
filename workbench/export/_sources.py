"""What an export reads: conversations in memory, as ``Source`` objects, and the ``since`` bound."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..conversation._history import History

if TYPE_CHECKING:
    from ..conversation import Conversation

__all__ = ["Since", "Source", "conversation_sources", "since_timestamp"]

Since = dt.datetime | dt.date | dt.timedelta | str | float | int | None
"""When an export starts: a datetime (naive: local time), a date, an ISO 8601 string, a
timedelta back from now, or seconds since the epoch."""


@dataclass(frozen=True)
class Source:
    """One conversation to export: its id, system prompt and history, and where it ran.

    ``base_url`` prices the replies (``None``: unknown, so no cost); ``secrets`` are redacted
    from every exported value.
    """

    id: str
    system: str | None
    history: History
    base_url: str | None = None
    secrets: tuple[str, ...] = ()


def conversation_sources(conversations: Iterable[Any]) -> list[Source]:
    """A ``Source`` for each conversation; lists and tuples of conversations are flattened."""
    out: list[Source] = []
    for item in conversations:
        if isinstance(item, list | tuple):
            out.extend(conversation_sources(item))
        else:
            out.append(conversation_source(item))
    return out


def conversation_source(chat: Conversation) -> Source:
    """The ``Source`` of a live conversation."""
    history = getattr(chat, "history", None)
    if not isinstance(history, History):
        raise TypeError(f"expected a workbench.Conversation, got {type(chat).__name__}")
    client = chat.client
    url = getattr(client, "base_url", None)
    key = getattr(client, "api_key", None)
    return Source(
        chat.id,
        chat.system,
        history,
        str(url) if url is not None else None,
        (key,) if isinstance(key, str) else (),
    )


def since_timestamp(since: Since) -> float | None:
    """``since`` as seconds since the epoch (None: no bound).

    Raises:
        TypeError: for a value of another type.
        ValueError: for a string that is not ISO 8601.
    """
    if since is None:
        return None
    if isinstance(since, bool):
        raise TypeError("since must be a datetime, date, timedelta, ISO 8601 string or number")
    if isinstance(since, int | float):
        return float(since)
    if isinstance(since, dt.timedelta):
        return time.time() - since.total_seconds()
    if isinstance(since, str):
        text = since.strip()
        if text.endswith(("Z", "z")):  # Python 3.10's fromisoformat does not take "Z"
            text = text[:-1] + "+00:00"
        try:
            since = dt.datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"since={since!r} is not an ISO 8601 date or time") from None
    if isinstance(since, dt.datetime):
        return since.timestamp()  # a naive datetime is local time, as everywhere in Python
    if isinstance(since, dt.date):
        return dt.datetime(since.year, since.month, since.day).timestamp()
    raise TypeError(
        "since must be a datetime, date, timedelta, ISO 8601 string or number,"
        f" not {type(since).__name__}"
    )
