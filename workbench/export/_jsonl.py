"""OpenAI's chat fine-tuning JSONL: one conversation per line, ``{"messages": [...], "tools":
[...], "parallel_tool_calls": ...}``, messages in the Chat Completions API's shape.

A line is what the model would be sent next, so workbench's own fields (status, usage, latency,
a reply's reasoning) are not in it: the format has no place for them, and reasoning is never
sent back (``Message.to_param``). DataFrames and Parquet keep them all."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._private import replace_privately
from ..conversation._history import History
from ._checks import api_message, check_tool_answers, check_tools
from ._media_files import MediaMode, MediaReader, check_mode, store_media
from ._secrets import Scrubber
from ._transcript import Transcript, TranscriptError

if TYPE_CHECKING:
    from ..conversation import Conversation

__all__ = ["jsonl_record", "read_jsonl", "write_jsonl"]

_TOP_FIELDS = ("messages", "tools", "parallel_tool_calls")


def jsonl_record(chat: Conversation) -> dict[str, Any]:
    """One line of the file: what the model would see next (the system prompt and the sendable
    messages of the current branch), the tools it is offered, and ``parallel_tool_calls`` when
    set; every secret of the client redacted."""
    transcripts = {
        m.audio["id"]: m.audio["transcript"]
        for m in chat.messages
        if m.audio and isinstance(m.audio.get("transcript"), str) and "id" in m.audio
    }
    messages = [_api_message(m, transcripts) for m in chat.to_messages()]
    record: dict[str, Any] = {"messages": messages}
    tools = [tool.to_param() for tool in chat.tools.values() if tool.enabled]
    if tools:
        record["tools"] = tools
    if chat.params.parallel_tool_calls is not None:
        record["parallel_tool_calls"] = chat.params.parallel_tool_calls
    key = getattr(chat.client, "api_key", None)
    return Scrubber((key,)).value(record)  # type: ignore[no-any-return]


def write_jsonl(
    path: str | os.PathLike[str],
    conversations: Iterable[Conversation],
    *,
    append: bool = False,
    media: MediaMode = "reference",
) -> int:
    """Write one line per conversation to ``path`` (replacing the file whole, or appending);
    returns the number of lines written.

    Args:
        media: ``"reference"`` writes each inline image, recording or PDF once, as
            ``<stem>.media/<sha256>.<ext>`` beside the file, and a reference to it in the line
            (``read_jsonl`` puts the very data back); ``"embed"`` keeps it inline, base64, as
            sent; ``"drop"`` puts a text part describing it in its place.
    """
    mode = check_mode(media)
    lines = []
    for chat in conversations:
        record = jsonl_record(chat)
        key = getattr(chat.client, "api_key", None)
        record["messages"] = store_media(record["messages"], mode, path, (key,))
        lines.append(json.dumps(record, ensure_ascii=False) + "\n")
    text = "".join(lines)
    target = Path(path)
    if append and target.exists():
        with target.open("rb") as existing:
            existing.seek(0, os.SEEK_END)
            if existing.tell():
                existing.seek(-1, os.SEEK_END)
                if existing.read(1) != b"\n":
                    text = "\n" + text
        with target.open("a", encoding="utf-8") as out:
            out.write(text)
        return len(lines)
    with replace_privately(target) as out:  # whole or not at all, its owner's only
        out.write(text.encode("utf-8"))
    return len(lines)


def read_jsonl(path: str | os.PathLike[str]) -> list[Transcript]:
    """One ``Transcript`` per non-blank line of ``path``, all checked before any is returned;
    media references are resolved from the ``<stem>.media`` folder beside it.

    Raises:
        TranscriptError: naming the line and field at fault.
    """
    data = Path(path).read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad = data[: exc.start].count(b"\n") + 1
        raise TranscriptError(f"line {bad}", "", "is not UTF-8 text") from None
    out = []
    media = MediaReader(path)
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        where = f"line {number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TranscriptError(
                where, "", f"invalid JSON: {exc.msg} (column {exc.colno})"
            ) from None
        if '"$media"' in line and isinstance(record, dict) and "messages" in record:
            record["messages"] = media.restore(record["messages"], where, "messages")
        out.append(read_record(record, where))
    return out


def read_record(record: object, where: str) -> Transcript:
    """A ``Transcript`` from one decoded line."""
    if not isinstance(record, Mapping):
        raise TranscriptError(where, "", "must be a JSON object with 'messages'")
    if "functions" in record:
        raise TranscriptError(where, "functions", "is deprecated and not supported: use tools")
    for key in record:
        if key not in _TOP_FIELDS:
            raise TranscriptError(
                where,
                str(key),
                "is not a field of the chat fine-tuning format"
                f" (allowed: {', '.join(_TOP_FIELDS)})",
            )
    if "messages" not in record:
        raise TranscriptError(where, "messages", "is required")
    messages = record["messages"]
    if not isinstance(messages, list) or not messages:
        raise TranscriptError(where, "messages", "must be a non-empty list of messages")
    tools = check_tools(record.get("tools"), where, "tools")
    params: dict[str, Any] = {}
    if "parallel_tool_calls" in record:
        parallel = record["parallel_tool_calls"]
        if not isinstance(parallel, bool):
            raise TranscriptError(where, "parallel_tool_calls", "must be true or false")
        params["parallel_tool_calls"] = parallel
    system: str | None = None
    history = History()
    fields: dict[str, str] = {}
    first = messages[0]
    if (
        isinstance(first, Mapping)
        and first.get("role") == "system"
        and isinstance(first.get("content"), str)
        and first["content"]  # an empty one stays a message: the prompt "" is no prompt
        and set(first) <= {"role", "content"}
    ):
        system = first["content"]  # the conversation's system prompt, not a message of it
    for i, raw in enumerate(messages):
        if i == 0 and system is not None:
            continue
        found = api_message(raw, where, f"messages[{i}]")
        if found.audio is not None and isinstance(found.content, str):
            # A spoken reply: its content is the transcript (see ``_api_message``).
            found.audio = {**found.audio, "transcript": found.content}
            found.content = None
        message = history.append(found)
        fields[message.id] = f"messages[{i}]."
    check_tool_answers(history, lambda message_id: (where, fields[message_id]))
    return Transcript(history, system=system, params=params, tools=tools)


def _api_message(message: Mapping[str, Any], transcripts: Mapping[str, str]) -> dict[str, Any]:
    """A message as the fine-tuning format shows it: a spoken reply's transcript is its
    ``content`` beside the audio's id (the API takes back only the id; the file keeps the
    words); another reply without text leaves out its ``content`` (as the API's examples of
    tool calls do)."""
    out = dict(message)
    audio = out.get("audio")
    if out.get("role") == "assistant" and out.get("content") is None and audio:
        transcript = transcripts.get(audio.get("id"))
        if transcript is not None:
            out["content"] = transcript
    if out.get("role") == "assistant" and out.get("content") is None:
        if out.get("tool_calls") or out.get("refusal") is not None or out.get("audio"):
            del out["content"]
        else:
            out["content"] = ""
    return out
