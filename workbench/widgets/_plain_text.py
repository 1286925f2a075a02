"""A conversation as plain text: the display where no widget front end renders (nbval, terminals).

Deterministic by design: no ids, timestamps or latencies, so a seeded conversation on the local
model prints the same transcript on every run. Control characters (terminal escape sequences
included) are shown escaped, so a reply cannot drive the terminal that prints it.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..conversation._history import Message
from ._media_view import describe_part, describe_reply_audio

if TYPE_CHECKING:
    from ..conversation import Conversation

__all__ = ["inert", "message_text_block", "transcript_text", "turn_text"]

_INDENT = "  "
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_FENCE = re.compile(r"^\s*(```|~~~)")


def inert(text: str) -> str:
    """``text`` with its control characters (ANSI sequences, bidi overrides) escaped, so that
    printed to a terminal they show instead of acting."""
    text = text.replace("\r\n", "\n")
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def _wrap(text: str, width: int, indent: str = _INDENT) -> list[str]:
    """Wrap prose to ``width``; keep code blocks and indented lines exactly as they are."""
    lines: list[str] = []
    in_code = False
    room = max(width - len(indent), 20)
    for line in inert(text).split("\n"):
        if _FENCE.match(line):
            in_code = not in_code
            lines.append(indent + line)
        elif in_code or not line.strip() or line.startswith(("    ", "\t")):
            lines.append((indent + line).rstrip())
        else:
            lead = line[: len(line) - len(line.lstrip())]
            marker = re.match(r"\s*([-*+]|\d+[.)])\s+", line)
            hang = " " * len(marker.group()) if marker else lead
            lines.extend(
                indent + piece
                for piece in textwrap.wrap(
                    line,
                    room,
                    initial_indent="",
                    subsequent_indent=hang,
                    break_long_words=False,
                    break_on_hyphens=False,
                    drop_whitespace=True,
                )
            )
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def _compact_json(text: str) -> str:
    try:
        return json.dumps(json.loads(text), ensure_ascii=False, sort_keys=False)
    except (ValueError, RecursionError):  # not JSON, or nested too deeply: as it came
        return text


def _part_text(part: Mapping[str, Any]) -> str:
    """A content part as text; media as one bracketed line (``[image: PNG 64x48, 12.3 KB]``,
    ``[audio: wav, 1.2 s, 37.5 KB]``, ``[file: report.pdf, 3 pages, 80.1 KB]``), never their
    data."""
    kind = part.get("type")
    if kind == "text":
        return str(part.get("text", ""))
    if kind == "refusal":
        return f"[refused] {part.get('refusal', '')}"
    media = describe_part(part)
    if media is not None:
        return f"[{media.kind}: {media.label}]"
    if kind == "file":
        file = part.get("file")
        name = None
        if isinstance(file, Mapping):
            name = file.get("filename") or file.get("file_id")
        return f"[file: {name}]" if name else "[file]"
    if kind == "input_audio":
        audio = part.get("input_audio")
        fmt = audio.get("format") if isinstance(audio, Mapping) else None
        return f"[audio ({fmt})]" if fmt else "[audio]"
    if kind == "image_url":
        image = part.get("image_url")
        url = image.get("url") if isinstance(image, Mapping) else image
        if isinstance(url, str) and url.startswith(("https://", "http://")) and len(url) < 300:
            return f"[image: {url}]"
        return "[image]"
    return f"[{kind}]"


def _spoken_text(message: Message) -> str:
    """A spoken reply: ``[audio: wav, 1.2 s, 37.5 KB] transcript``."""
    assert message.audio is not None
    media = describe_reply_audio(message.audio, message.params)
    head = f"[audio: {media.label}]" if media is not None else "[audio]"
    transcript = str(message.audio.get("transcript") or "")
    return f"{head} {transcript}" if transcript else head


def _body(message: Message) -> str:
    if isinstance(message.content, list):
        return "\n".join(_part_text(p) for p in message.content if isinstance(p, Mapping))
    return message.content or ""


def message_text_block(
    message: Message,
    *,
    tool_results: Mapping[str, Message] | None = None,
    branch: tuple[int, int] | None = None,
    width: int = 100,
) -> str:
    """One message as text: its role (and ``[2/3]`` for a message with versions), a reply's
    reasoning under ``[thinking]`` (indented once more), its wrapped text, its marks (refused,
    incomplete, error), and its tool calls as ``→ name(args)`` with their results as
    ``← result`` when ``tool_results`` (by call id) has them."""
    head: str = message.role
    if message.role == "tool" and message.name:
        head += f" ({inert(message.name)})"
    if branch is not None and branch[1] > 1:
        head += f" [{branch[0]}/{branch[1]}]"
    if message.ending != "complete":  # incomplete, error, or cut short: length, content_filter
        head += f" [{message.ending}" + (f": {inert(message.error)}" if message.error else "")
        head += "]"
    lines = [head + ":"]
    if message.reasoning:
        lines.append(_INDENT + "[thinking]")
        lines.extend(_wrap(message.reasoning, width, indent=_INDENT * 2))
    if message.refusal:
        lines.extend(_wrap(f"[refused] {message.refusal}", width))
    body = _body(message)
    if message.role == "tool" and message.error:
        body = f"error: {message.error}"
    if body:
        lines.extend(_wrap(body, width))
    if message.audio and (message.audio.get("transcript") or message.audio.get("data")):
        lines.extend(_wrap(_spoken_text(message), width))
    for call in message.tool_calls or ():
        function = call.get("function")
        function = function if isinstance(function, Mapping) else {}
        name = str(function.get("name") or "?")
        args = _compact_json(str(function.get("arguments") or ""))
        lines.extend(_wrap(f"→ {name}({args})", width))
        result = (tool_results or {}).get(str(call.get("id")))
        if result is not None:
            shown = f"error: {result.error}" if result.error else _compact_json(result.text)
            lines.extend(_wrap(f"← {shown}", width, indent=_INDENT * 2))
    return "\n".join(lines)


def _usage_line(messages: list[Message]) -> str | None:
    used = [m.usage for m in messages if m.usage is not None]
    if not used:
        return None
    prompt = sum(u.prompt_tokens for u in used)
    completion = sum(u.completion_tokens for u in used)
    total = sum(u.total_tokens for u in used)
    reasoning = sum(
        (u.completion_tokens_details.reasoning_tokens or 0)
        for u in used
        if u.completion_tokens_details is not None
    )
    extra = f", reasoning {reasoning}" if reasoning else ""
    guessed = any(m.usage_source == "estimate" for m in messages if m.usage is not None)
    mark, note = ("~", ", estimated: the server sent no count") if guessed else ("", "")
    return f"tokens: {mark}{total} total (prompt {prompt}, completion {completion}{extra}{note})"


def _params_line(conversation: Conversation) -> str | None:
    shown = []
    for name, value in conversation.params.snapshot().items():
        if name == "model":
            continue
        if name == "response_format" and isinstance(value, Mapping):
            schema = value.get("json_schema")
            value = schema.get("name") if isinstance(schema, Mapping) else value.get("type")
        shown.append(f"{name}={json.dumps(value, ensure_ascii=False, sort_keys=True)}")
    return "params: " + ", ".join(shown) if shown else None


def transcript_text(conversation: Conversation, *, width: int = 100) -> str:
    """The current branch of ``conversation`` as a clean, deterministic text transcript."""
    rule = "─" * min(width, 60)
    header = f"Conversation with {inert(str(conversation.params.model))}"
    if getattr(conversation.client, "local_model", None) is not None:
        header += " · local model"
    lines = [header]
    params = _params_line(conversation)
    if params:
        lines.append(inert(params))
    if conversation.tools:
        names = [name + ("" if t.enabled else " (off)") for name, t in conversation.tools.items()]
        lines.append("tools: " + inert(", ".join(names)))
    if conversation.system:
        lines.append("system:")
        lines.extend(_wrap(conversation.system, width))
    lines.append(rule)
    path = conversation.messages
    blocks = _blocks(conversation, path, width)
    lines.append("\n\n".join(blocks) if blocks else "(no messages yet)")
    lines.append(rule)
    usage = _usage_line(path)
    lines.append(usage or "tokens: none reported")
    return "\n".join(lines) + "\n"


def turn_text(
    conversation: Conversation, start: int, *, width: int = 100, end: int | None = None
) -> str:
    """The messages of the current branch from index ``start`` on, up to ``end`` (one turn, as
    ``%%chat`` shows it), then their tokens: as deterministic as ``transcript_text``."""
    path = conversation.messages[:end]
    blocks = _blocks(conversation, path, width, start)
    usage = _usage_line(path[start:])
    return "\n\n".join(blocks or ["(no messages yet)"]) + (f"\n{usage}" if usage else "") + "\n"


def _blocks(
    conversation: Conversation, path: list[Message], width: int, start: int = 0
) -> list[str]:
    """Each message from ``start`` on as a text block, tool results under their calls."""
    results = {m.tool_call_id: m for m in path if m.role == "tool" and m.tool_call_id}
    shown_calls = {
        str(call.get("id")) for m in path if m.role == "assistant" for call in m.tool_calls or ()
    }
    blocks = []
    for message in path[start:]:
        if message.role == "tool" and message.tool_call_id in shown_calls:
            continue  # shown under the call it answers
        siblings = conversation.history.siblings(message)
        ids = [s.id for s in siblings]
        branch = (ids.index(message.id) + 1, len(ids)) if message.id in ids else None
        blocks.append(message_text_block(message, tool_results=results, branch=branch, width=width))
    return blocks
