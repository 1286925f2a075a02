"""A DataFrame written by ``to_dataframe`` (or built by hand) back into a ``Transcript``.

Only ``role`` and ``content`` are required; ``message_id``/``parent_id`` rebuild the tree
(without them the rows form one branch, in order), ``selected`` the branch choices (without it
the last child of each message is current), and every other column of ``to_dataframe`` is read
when present. Nested values may be objects or JSON text (as in Parquet files).
"""

from __future__ import annotations

import json
import math
import time
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pydantic

from .._messages import History, Latency, Message
from ..types import CompletionUsage
from ._checks import check_content, check_role, check_str, check_tool_answers, check_tool_calls
from ._frames import JSON_COLUMNS, MESSAGE_COLUMNS
from ._settings import Settings, conversation_params
from ._transcript import Transcript, TranscriptError

if TYPE_CHECKING:
    import pandas as pd  # type: ignore[import-untyped]

__all__ = ["read_frame"]

_STATUSES = ("complete", "incomplete", "error")
_TOKENS: tuple[str, ...] = ("prompt_tokens", "completion_tokens", "total_tokens")
_TOKENS += ("cached_tokens", "reasoning_tokens")
# Every column but those derived from the others.
_DERIVED = ("position", "turn", "tool_names", "cost_usd", "on_path")
_READ = tuple(name for name in MESSAGE_COLUMNS if name not in _DERIVED)


def read_frame(
    df: pd.DataFrame, *, conversation_id: str | None = None, settings: Settings | None = None
) -> Transcript:
    """The conversation in ``df`` (or the one with ``conversation_id``), checked whole.

    Args:
        settings: the conversation's own settings, when the file kept them (Parquet); else the
            parameters of the last reply on the current branch are the conversation's.

    Raises:
        TranscriptError: naming the row (its index label) and column at fault.
        ValueError: the table holds several conversations and none was chosen.
    """
    if not hasattr(df, "columns") or not hasattr(df, "index"):
        raise TypeError(f"expected a pandas DataFrame, got {type(df).__name__}")
    missing = [name for name in ("role", "content") if name not in df.columns]
    if missing:
        raise TranscriptError("the table", missing[0], "is a required column and is missing")
    df = _one_conversation(df, conversation_id)
    columns = {name: df[name].tolist() for name in _READ if name in df.columns}
    labels = list(df.index)
    rows = [_Row(columns, i, f"row {label}") for i, label in enumerate(labels)]
    messages = [row.message() for row in rows]
    where = {m.id: row.where for m, row in zip(messages, rows, strict=True)}
    _check_ids(messages, rows)
    if "parent_id" not in columns:
        messages = [
            m.model_copy(update={"parent_id": messages[i - 1].id if i else None})
            for i, m in enumerate(messages)
        ]
    history = _tree(messages, where)
    _select(history, messages, columns.get("selected"), where)
    check_tool_answers(history, lambda message_id: (where[message_id], ""))
    system = _system(columns.get("system"), rows)
    params, tools, disabled, rounds = conversation_params(history, settings, where)
    ident = _first(columns.get("conversation_id"))
    return Transcript(
        history,
        id=str(ident) if ident is not None else None,
        system=system,
        params=params,
        tools=tools,
        disabled_tools=disabled,
        max_tool_rounds=rounds,
    )


class _Row:
    """One row's values, read and checked field by field."""

    def __init__(self, columns: Mapping[str, list[Any]], index: int, where: str) -> None:
        self.values = {name: _plain(values[index]) for name, values in columns.items()}
        self.where = where

    def get(self, name: str) -> Any:
        value = self.values.get(name)
        if name in JSON_COLUMNS and isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                raise TranscriptError(self.where, name, f"is not valid JSON: {exc.msg}") from None
        return value

    def text(self, name: str) -> str | None:
        return check_str(self.get(name), self.where, name)

    def message(self) -> Message:
        where = self.where
        role = check_role(self.get("role"), where, "role")
        parts = self.get("content_parts")
        if parts is not None:
            content = check_content(role, parts, where, "content_parts", required=True)
        else:
            content = check_content(
                role, self.text("content"), where, "content", required=role != "assistant"
            )
        status = self.get("status") or "complete"
        if status not in _STATUSES:
            raise TranscriptError(
                where, "status", f"{status!r} is not a status (allowed: {', '.join(_STATUSES)})"
            )
        kept = self.get("kept")
        if kept is not None and not isinstance(kept, bool):
            raise TranscriptError(where, "kept", f"must be true or false, got {kept!r}")
        fields: dict[str, Any] = {
            "id": self.text("message_id") or f"msg_{uuid.uuid4().hex[:16]}",
            "parent_id": self.text("parent_id"),
            "role": role,
            "content": content,
            "refusal": self.text("refusal"),
            "name": self.text("name"),
            "tool_calls": check_tool_calls(self.get("tool_calls"), where, "tool_calls", flat=True),
            "tool_call_id": self.text("tool_call_id"),
            "audio": self._object("audio"),
            "created": self._created(),
            "model": self.text("model"),
            "params": {k: v for k, v in (self._object("params") or {}).items() if v is not None},
            "usage": self._usage(),
            "latency": self._latency(),
            "finish_reason": self.text("finish_reason"),
            "request_id": self.text("request_id"),
            "status": status,
            "error": self.text("error"),
            "kept": bool(kept),
        }
        try:
            return Message(**fields)
        except pydantic.ValidationError as exc:  # defensive: the checks above cover the fields
            error = exc.errors()[0]
            field = ".".join(str(part) for part in error["loc"])
            raise TranscriptError(where, field, error["msg"]) from None

    def _object(self, name: str) -> dict[str, Any] | None:
        value = self.get(name)
        if value is not None and not isinstance(value, Mapping):
            raise TranscriptError(self.where, name, f"must be an object, got {value!r}")
        return dict(value) if value is not None else None

    def _usage(self) -> CompletionUsage | None:
        """The ``usage`` dict, with the token columns (which people edit) taking precedence;
        from the token columns alone when there is no dict."""
        counts = {name: self._count(name) for name in _TOKENS}
        raw = self._object("usage")
        if raw is None and all(v is None for v in counts.values()):
            return None
        usage = dict(raw or {})
        for name in ("prompt_tokens", "completion_tokens", "total_tokens"):
            if counts[name] is not None:
                usage[name] = counts[name]
        for group, name in (
            ("prompt_tokens_details", "cached_tokens"),
            ("completion_tokens_details", "reasoning_tokens"),
        ):
            if counts[name] is not None:
                details = usage.get(group)
                usage[group] = {
                    **(details if isinstance(details, Mapping) else {}),
                    name: counts[name],
                }
        try:
            return CompletionUsage.model_validate(usage)
        except pydantic.ValidationError as exc:
            error = exc.errors()[0]
            field = ".".join(["usage", *(str(part) for part in error["loc"])])
            raise TranscriptError(self.where, field, error["msg"]) from None

    def _count(self, name: str) -> int | None:
        value = self.get(name)
        if value is None:
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise TranscriptError(self.where, name, f"must be a count of tokens, got {value!r}")
        return value

    def _seconds(self, name: str) -> float | None:
        value = self.get(name)
        if value is None:
            return None
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise TranscriptError(self.where, name, f"must be a number of seconds, got {value!r}")
        return float(value)

    def _latency(self) -> Latency | None:
        total, first = self._seconds("latency_s"), self._seconds("ttft_s")
        if total is None and first is None:
            return None
        return Latency(first_token=first, total=total)

    def _created(self) -> float:
        value = self.get("created")
        if value is None:
            return time.time()
        if hasattr(value, "timestamp"):  # a pandas Timestamp or a datetime
            if getattr(value, "tzinfo", None) is None and hasattr(value, "tz_localize"):
                value = value.tz_localize("UTC")  # a naive table time is UTC, as written
            return float(value.timestamp())
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise TranscriptError(self.where, "created", f"must be a time, got {value!r}")


def _one_conversation(df: pd.DataFrame, conversation_id: str | None) -> pd.DataFrame:
    if "conversation_id" not in df.columns:
        if conversation_id is not None:
            raise ValueError("the table has no conversation_id column to choose from")
        return df
    ids = list(dict.fromkeys(v for v in map(_plain, df["conversation_id"].tolist()) if v))
    if conversation_id is None:
        if len(ids) > 1:
            shown = ", ".join(map(str, ids[:5])) + (", ..." if len(ids) > 5 else "")
            raise ValueError(
                f"the table holds {len(ids)} conversations ({shown}): pass conversation_id=, or"
                " import each: [Conversation.from_dataframe(g) for _, g in"
                " df.groupby('conversation_id')]"
            )
        return df
    if conversation_id not in ids:
        raise ValueError(f"no conversation {conversation_id!r} in the table")
    return df[df["conversation_id"] == conversation_id]


def _check_ids(messages: list[Message], rows: list[_Row]) -> None:
    seen: dict[str, str] = {}
    for message, row in zip(messages, rows, strict=True):
        if message.id in seen:
            raise TranscriptError(
                row.where, "message_id", f"{message.id!r} is used twice (also {seen[message.id]})"
            )
        seen[message.id] = row.where


def _tree(messages: list[Message], where: Mapping[str, str]) -> History:
    """The messages as a History, parents first whatever the row order."""
    known = {m.id for m in messages}
    for m in messages:
        if m.parent_id is not None and m.parent_id not in known:
            raise TranscriptError(
                where[m.id], "parent_id", f"{m.parent_id!r} is not a message of this conversation"
            )
    history = History()
    pending = messages
    while pending:
        ready = [m for m in pending if m.parent_id is None or m.parent_id in history.messages]
        if not ready:
            raise TranscriptError(
                where[pending[0].id], "parent_id", "forms a cycle: no root leads to this message"
            )
        for m in ready:
            history.add(m, select=False)
        pending = [m for m in pending if m.id not in history.messages]
    return history


def _select(
    history: History,
    messages: list[Message],
    selected: list[Any] | None,
    where: Mapping[str, str],
) -> None:
    """The branch choices: the rows marked ``selected``, else the last child of each message."""
    if selected is None:
        for m in messages:
            history.selected[m.parent_id] = m.id
        return
    chosen: dict[str | None, str] = {}
    for m, flag in zip(messages, map(_plain, selected), strict=True):
        if flag is None:
            continue
        if not isinstance(flag, bool):
            raise TranscriptError(where[m.id], "selected", f"must be true or false, got {flag!r}")
        if flag:
            if m.parent_id in chosen:
                other = where[chosen[m.parent_id]]
                raise TranscriptError(
                    where[m.id],
                    "selected",
                    f"another version of this message is selected too ({other})",
                )
            chosen[m.parent_id] = m.id
    history.selected.update(chosen)


def _system(values: list[Any] | None, rows: list[_Row]) -> str | None:
    if values is None:
        return None
    for row in rows:
        system = row.text("system")
        if system is not None:
            return system
    return None


def _first(values: list[Any] | None) -> Any:
    for value in map(_plain, values or ()):
        if value is not None:
            return value
    return None


def _plain(value: Any) -> Any:
    """``value`` with pandas' and numpy's missing markers as None, and numpy scalars and arrays
    (Parquet gives lists back as arrays) as Python values, at any depth."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if type(value).__name__ in ("NAType", "NaTType"):
        return None
    if type(value).__module__.startswith("numpy") and hasattr(value, "tolist"):
        return _plain(value.tolist())
    return value
