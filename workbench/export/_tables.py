"""``to_dataframe`` and ``usage_dataframe``: conversations or the log as pandas tables."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._frames import MESSAGE_COLUMNS, PARAM_COLUMNS, USAGE_COLUMNS, build_frame
from ._from_log import log_sources
from ._records import Records
from ._sources import Since, Source, conversation_sources, since_timestamp

if TYPE_CHECKING:
    import pandas as pd  # type: ignore[import-untyped]

    from ..conversation import Conversation

__all__ = ["conversation_frame", "to_dataframe", "usage_dataframe"]


def to_dataframe(
    *conversations: Conversation | list[Conversation] | tuple[Conversation, ...],
    branches: bool = False,
    log: bool | str | Path = False,
    since: Since = None,
) -> pd.DataFrame:
    """One row per message of the given conversations, or of every conversation in the log.

    Columns (dtypes are the same for 0, 1 or many rows):

    - ``conversation_id``, ``message_id``, ``parent_id``, ``position`` (index on its branch:
      ``chat[position]``), ``turn`` (which user turn, from 0; ``<NA>`` before the first), ``role``,
      ``name``;
    - ``content`` (text; a non-text part as a short reference such as ``[image: image/png,
      5120 bytes, sha256 ...]``, never base64), ``content_parts`` (the parts, inline data
      replaced by such references; None for plain text), ``refusal``, ``reasoning`` (a
      reasoning model's thinking, as its server sent it; missing where there is none);
    - ``tool_calls`` (a list of dicts: ``id``, ``type``, ``name``, ``arguments`` as JSON text,
      ``result``: the text of the tool message that answered it), ``tool_names`` (the called
      tools' names, comma-separated), ``tool_call_id`` (on tool messages);
    - ``model`` (the model that answered), ``params`` (the parameters of the request, a dict;
      None on messages that are not replies)
      and a ``param_<name>`` column for each scalar parameter set in some row (``temperature``,
      ``top_p``, ``max_completion_tokens``, ``seed``, ``reasoning_effort``, ...);
    - ``prompt_tokens``, ``completion_tokens``, ``total_tokens``, ``cached_tokens``,
      ``reasoning_tokens`` (``Int64``, ``<NA>`` when not reported), ``usage`` (the reported
      usage as a dict), ``cost_usd`` (NaN when the price is unknown, never 0 for unknown),
      ``usage_source`` (``server``: the server's count; ``estimate``: workbench's estimate from
      the text, for a server that sent none), ``latency_s``, ``ttft_s`` (time to first token);
    - ``finish_reason``, ``api`` (the protocol that carried a reply: ``chat`` or
      ``responses``; None for other roles), ``request_id``, ``status`` (``complete``; ``length`` or
      ``content_filter`` for a reply the token limit cut or the content filter withheld;
      ``tool_round_limit`` for the last reply of a turn stopped at ``max_tool_rounds``;
      ``incomplete``; ``error``), ``error``,
      ``kept``, ``created`` (``datetime64[us, UTC]``);
    - ``on_path`` (on the current branch), ``selected`` (the current version among its
      siblings), ``system`` (the conversation's system prompt), ``audio`` (a spoken reply:
      id, transcript, expiry, its data as a reference), ``media`` (the message's inline media
      as a list of dicts: ``where`` such as ``content[1]`` or ``audio``, ``kind``, ``format``,
      ``mime``, ``size`` in bytes and ``sha256`` of the decoded bytes; None without media).

    Args:
        *conversations: ``Conversation`` objects (or lists of them).
        branches: every message of every branch instead of the current path only.
        log: read the conversations from the SQLite log instead: ``True`` for the default log,
            or a path. Cost needs the server's address, which logs written before workbench
            recorded it do not have (NaN then).
        since: only messages created at or after this: a datetime (naive: local time), a date,
            an ISO 8601 string, a timedelta back from now, or seconds since the epoch.

    No API key appears in the table: the clients' keys and anything shaped like an OpenAI key
    are redacted from every value.
    """
    bound = since_timestamp(since)
    records = Records()
    for source in _sources(conversations, log, bound):
        records.add(source, branches=branches, since=bound)
    return _frame(records, tuple(MESSAGE_COLUMNS))


def usage_dataframe(
    *conversations: Conversation | list[Conversation] | tuple[Conversation, ...],
    branches: bool = True,
    log: bool | str | Path = False,
    since: Since = None,
) -> pd.DataFrame:
    """One row per request (each assistant reply, failed ones included): model, tokens, cost,
    latency, request id and status; the columns are those of ``to_dataframe`` of the same name.

    Unlike ``to_dataframe``, every branch counts by default (a regenerated reply was paid for
    too); ``branches=False`` keeps the current path only. ``log`` and ``since`` as in
    ``to_dataframe``.
    """
    bound = since_timestamp(since)
    records = Records(replies_only=True)
    for source in _sources(conversations, log, bound):
        records.add(source, branches=branches, since=bound)
    return _frame(records, USAGE_COLUMNS)


def conversation_frame(chat: Conversation, *, raw_media: bool) -> pd.DataFrame:
    """``to_dataframe(chat, branches=True)``, with ``content_parts`` and ``audio`` holding their
    inline data when ``raw_media`` (for a file to store the media itself)."""
    records = Records(raw_media=raw_media)
    for source in conversation_sources([chat]):
        records.add(source, branches=True, since=None)
    return _frame(records, tuple(MESSAGE_COLUMNS))


def _sources(
    conversations: tuple[Any, ...], log: bool | str | Path, bound: float | None
) -> list[Source]:
    if log is not False:
        if conversations:
            raise TypeError("pass conversations or log=, not both")
        return log_sources(log, bound)
    return conversation_sources(conversations)


def _frame(records: Records, names: tuple[str, ...]) -> pd.DataFrame:
    columns = {name: records.columns[name] for name in names}
    kinds = dict(MESSAGE_COLUMNS)
    if "params" in columns:
        columns, kinds = _with_params(columns, kinds)
    return build_frame(columns, kinds)


def _with_params(
    columns: dict[str, list[Any]], kinds: dict[str, str]
) -> tuple[dict[str, list[Any]], dict[str, str]]:
    """The columns with ``param_<name>`` after ``params`` for each scalar parameter in use."""
    params = columns["params"]
    seen: set[str] = set()
    for snapshot in {id(p): p for p in params if p}.values():
        seen.update(snapshot)
    out: dict[str, list[Any]] = {}
    for name, values in columns.items():
        out[name] = values
        if name == "params":
            for param, kind in PARAM_COLUMNS.items():
                if param in seen:
                    out[f"param_{param}"] = [p.get(param) if p else None for p in params]
                    kinds[f"param_{param}"] = kind
    return out, kinds
