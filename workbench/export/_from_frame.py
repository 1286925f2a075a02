"""A DataFrame written by ``to_dataframe`` (or built by hand) back into a ``Transcript``.

Only ``role`` and ``content`` are required; ``message_id``/``parent_id`` rebuild the tree
(without them the rows form one branch, in order), ``selected`` the branch choices (without it
the last child of each message is current), and every other column of ``to_dataframe`` is read
when present. Nested values may be objects or JSON text (as in Parquet files). A ``param_<name>``
column is read beside the ``params`` dict: a value the dict lacks is added, one that disagrees
with it is refused (so neither edit is dropped). Nothing is imported unless every row is valid.
"""

from __future__ import annotations

import json
import math
import time
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pydantic

from ..conversation._history import CUT_SHORT, TOOL_ROUND_LIMIT, History, Latency, Message
from ..types import CompletionUsage
from ._checks import check_content, check_role, check_str, check_tool_answers, check_tool_calls
from ._frames import JSON_COLUMNS, MESSAGE_COLUMNS, PARAM_COLUMNS
from ._settings import Settings, checked_params, conversation_params
from ._transcript import Transcript, TranscriptError

if TYPE_CHECKING:
    import pandas as pd  # type: ignore[import-untyped]

__all__ = ["read_frame"]

# ``length`` and ``content_filter``: a complete reply cut short by the server (its finish_reason).
_STATUSES = ("complete", *CUT_SHORT, TOOL_ROUND_LIMIT, "incomplete", "error")
_TOKENS: tuple[str, ...] = ("prompt_tokens", "completion_tokens", "total_tokens")
_TOKENS += ("cached_tokens", "reasoning_tokens")
# Every column but those derived from the others.
_DERIVED = ("position", "turn", "tool_names", "cost_usd", "on_path", "media")
_READ = tuple(name for name in MESSAGE_COLUMNS if name not in _DERIVED)
_EPOCHS = (-62135596800, 253402300799)  # 0001-01-01 and 9999-12-31T23:59:59, UTC


def read_frame(
    df: pd.DataFrame, *, conversation_id: str | None = None, settings: Settings | None = None
) -> Transcript:
    """The conversation in ``df`` (or the one with ``conversation_id``), checked whole.

    Args:
        settings: the conversation's own settings, when the file kept them (Parquet); else the
            parameters of the last reply on the current branch are the conversation's.

    Raises:
        TranscriptError: naming the row (its index label) and column at fault.
        TranscriptError: also when the table holds several conversations and none was chosen.
    """
    if not hasattr(df, "columns") or not hasattr(df, "index"):
        raise TypeError(f"expected a pandas DataFrame, got {type(df).__name__}")
    missing = [name for name in ("role", "content") if name not in df.columns]
    if missing:
        raise TranscriptError("the table", missing[0], "is a required column and is missing")
    df = _one_conversation(df, conversation_id)
    columns = {name: df[name].tolist() for name in _READ if name in df.columns}
    # The param_<name> columns, which people edit, beside the params dict.
    flat = {name[6:]: df[name].tolist() for name in df.columns if _is_param_column(name)}
    labels = list(df.index)
    checked: dict[str, None] = {}
    rows = [_Row(columns, i, f"row {label}", flat, checked) for i, label in enumerate(labels)]
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
        api=settings.api if settings is not None else _api(history),
    )


def _api(history: History) -> str | None:
    """A table without saved settings: the protocol of the last reply on the current branch
    (as its parameters are taken from it), None without replies."""
    replies = [m for m in history.path_view() if m.role == "assistant"]
    return replies[-1].api if replies else None


class _Row:
    """One row's values, read and checked field by field."""

    def __init__(
        self,
        columns: Mapping[str, list[Any]],
        index: int,
        where: str,
        flat: Mapping[str, list[Any]],
        checked: dict[str, None],
    ) -> None:
        self.values = {name: _plain(values[index]) for name, values in columns.items()}
        self.flat = {name: _plain(values[index]) for name, values in flat.items()}
        self.where = where
        self._checked = checked  # the parameter sets already checked (tables repeat them)

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
        status = self.get("status")
        status = "complete" if status is None else status
        if status not in _STATUSES:
            raise TranscriptError(
                where, "status", f"{status!r} is not a status (allowed: {', '.join(_STATUSES)})"
            )
        kept = self.get("kept")
        if kept is not None and not isinstance(kept, bool):
            raise TranscriptError(where, "kept", f"must be true or false, got {kept!r}")
        audio = self._audio()
        if audio is not None and isinstance(content, str) and content == audio.get("transcript"):
            content = None  # the table shows a spoken reply's transcript as its content
        fields: dict[str, Any] = {
            "id": self.text("message_id") or f"msg_{uuid.uuid4().hex[:16]}",
            "parent_id": self.text("parent_id"),
            "role": role,
            "content": content,
            "refusal": self.text("refusal"),
            "reasoning": self.text("reasoning"),
            "name": self.text("name"),
            "tool_calls": check_tool_calls(self.get("tool_calls"), where, "tool_calls", flat=True),
            "tool_call_id": self.text("tool_call_id"),
            "audio": audio,
            "created": self._created(),
            "model": self.text("model"),
            "params": self._params(),
            "usage": self._usage(),
            "usage_source": self._choice("usage_source", ("server", "estimate")),
            "latency": self._latency(),
            "finish_reason": self.text("finish_reason"),
            "api": self._choice("api", ("chat", "responses")) or "chat",  # older tables: chat
            "request_id": self.text("request_id"),
            "batch_id": self.text("batch_id"),
            "status": "complete" if status in (*CUT_SHORT, TOOL_ROUND_LIMIT) else status,
            "turn_ended": TOOL_ROUND_LIMIT if status == TOOL_ROUND_LIMIT else None,
            "error": self.text("error"),
            "kept": bool(kept),
        }
        try:
            return Message(**fields)
        except pydantic.ValidationError as exc:  # defensive: the checks above cover the fields
            error = exc.errors()[0]
            field = ".".join(str(part) for part in error["loc"])
            raise TranscriptError(where, field, error["msg"]) from None

    def _choice(self, column: str, allowed: tuple[str, ...]) -> str | None:
        """The row's ``column``: one of ``allowed``, or None when empty."""
        value = self.text(column)
        if value is not None and value not in allowed:
            raise TranscriptError(
                self.where, column, f"{value!r} is not allowed (allowed: {', '.join(allowed)})"
            )
        return value

    def _params(self) -> dict[str, Any]:
        """The row's parameters: the ``params`` dict, and the ``param_<name>`` columns (which
        people edit) where the dict lacks them; a column that disagrees with the dict is refused
        rather than one of the two edits dropped. Each set is checked as ``ChatParams`` would."""
        params = {k: _whole(k, v) for k, v in (self._object("params") or {}).items()}
        params = {k: v for k, v in params.items() if v is not None}
        self._check(params)
        flat = {k: _whole(k, v) for k, v in self.flat.items() if v is not None}
        for name, value in flat.items():
            if name in params and params[name] != value:
                raise TranscriptError(
                    self.where,
                    f"param_{name}",
                    f"{value!r} disagrees with params.{name} ({params[name]!r}): change both,"
                    " or empty one",
                )
        if flat.keys() - params.keys():
            params.update(flat)
            self._check(params)
        return params

    def _check(self, params: dict[str, Any]) -> None:
        if not params:
            return
        try:
            key = json.dumps(params, sort_keys=True)
        except (TypeError, ValueError):
            key = None
        if key is None or key not in self._checked:
            checked_params(dict(params), self.where, "params")
            if key is not None:
                self._checked[key] = None

    def _object(self, name: str) -> dict[str, Any] | None:
        value = self.get(name)
        if value is not None and not isinstance(value, Mapping):
            raise TranscriptError(self.where, name, f"must be an object, got {value!r}")
        return dict(value) if value is not None else None

    def _audio(self) -> dict[str, Any] | None:
        audio = self._object("audio")
        if audio is not None and not isinstance(audio.get("id"), str):
            raise TranscriptError(self.where, "audio", "must be an object with the audio's id")
        return audio

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
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**63:
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
        if (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and _EPOCHS[0] <= value <= _EPOCHS[1]
        ):
            return float(value)  # seconds since the epoch, in the years 1 to 9999 (not NaN)
        raise TranscriptError(self.where, "created", f"must be a time, got {value!r}")


def _one_conversation(df: pd.DataFrame, conversation_id: str | None) -> pd.DataFrame:
    if "conversation_id" not in df.columns:
        if conversation_id is not None:
            raise TranscriptError(
                "the table", "conversation_id", "is not a column: there is none to choose from"
            )
        return df
    values = [_plain(v) for v in df["conversation_id"].tolist()]
    for label, value in zip(df.index, values, strict=True):
        if value is not None and not isinstance(value, str):
            raise TranscriptError(f"row {label}", "conversation_id", f"must be text, got {value!r}")
    ids = list(dict.fromkeys(v for v in values if v))
    if conversation_id is None:
        if len(ids) > 1:
            shown = ", ".join(map(str, ids[:5])) + (", ..." if len(ids) > 5 else "")
            raise TranscriptError(
                "the table",
                "conversation_id",
                f"holds {len(ids)} conversations ({shown}): pass conversation_id=, or import"
                " each: [Conversation.from_dataframe(g) for _, g in"
                " df.groupby('conversation_id')]",
            )
        return df
    if conversation_id not in ids:
        raise TranscriptError(
            "the table", "conversation_id", f"holds no conversation {conversation_id!r}"
        )
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
    """The conversation's system prompt: the same in every row that has one."""
    if values is None:
        return None
    found: tuple[str, str] | None = None
    for row in rows:
        system = row.text("system")
        if system is None:
            continue
        if found is None:
            found = (system, row.where)
        elif system != found[0]:
            raise TranscriptError(
                row.where,
                "system",
                f"differs from {found[1]}'s: it is the conversation's, one text",
            )
    return found[0] if found is not None else None


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


def _is_param_column(name: object) -> bool:
    return isinstance(name, str) and name.startswith("param_") and name[6:] in PARAM_COLUMNS


def _whole(name: str, value: Any) -> Any:
    """An integer parameter that pandas or a Parquet struct stored as a float (4.0), as the
    integer it was."""
    if PARAM_COLUMNS.get(name) == "Int64" and isinstance(value, float) and value.is_integer():
        return int(value)
    return value
