"""How a reply ended, in words: the mark a view shows on every reply that is not whole.

Each ending has its own words and its own class (``wb-ending-<kind>``), so it reads without
colour: cut at the token limit (and, for an empty reply whose tokens all went to reasoning,
the fix), withheld by the content filter, stopped, interrupted, ended without a
``finish_reason``, failed.
"""

from __future__ import annotations

import html

from ..conversation._history import Message
from ._shown_errors import message_error

__all__ = ["ENDING_CLASSES", "ending_html", "ending_kind", "ending_text"]

_KINDS = ("length", "content_filter", "stopped", "interrupted", "incomplete", "error")
ENDING_CLASSES = frozenset({"wb-ending", *(f"wb-ending-{k.replace('_', '-')}" for k in _KINDS)})
"""The classes of the marks (the sanitizer's allow-list takes them)."""

_STOPPED = "stopped by the user"  # the error a stopped reply carries (conversation._reply)
_INTERRUPTED = "interrupted"


def ending_kind(message: Message) -> str:
    """``complete``, ``length``, ``content_filter``, ``stopped``, ``interrupted``,
    ``incomplete`` (cut short otherwise, e.g. no ``finish_reason``) or ``error``."""
    kind = message.ending
    if kind == "incomplete" and message.error in (_STOPPED, _INTERRUPTED):
        return "stopped" if message.error == _STOPPED else "interrupted"
    return kind


def _limit(message: Message) -> str:
    params = message.params
    limit = params.get("max_completion_tokens") or params.get("max_tokens")
    return f" of {limit} tokens" if limit else ""


def _length_text(message: Message) -> str:
    limit = _limit(message)
    if message.text.strip() or message.tool_calls:
        return (
            f"cut short: the reply reached the token limit{limit} (finish_reason length);"
            " raise max_completion_tokens for the rest"
        )
    details = message.usage.completion_tokens_details if message.usage else None
    reasoned = bool(message.reasoning) or bool(details and details.reasoning_tokens)
    spent = " on reasoning" if reasoned else ""
    fix = " (or lower reasoning_effort)" if reasoned else ""
    return (
        f"no answer: the token limit{limit} was spent{spent} before any reply"
        f" (finish_reason length); raise max_completion_tokens{fix}"
    )


def ending_text(message: Message) -> str:
    """The mark's words ("" for a whole reply)."""
    kind = ending_kind(message)
    if kind == "complete":
        return ""
    if kind == "length":
        return _length_text(message)
    if kind == "content_filter":
        return "withheld: the content filter ended the reply (finish_reason content_filter)"
    label = "error" if kind == "error" else "incomplete"
    kept = " (kept: sent to the model again)" if message.kept else ""
    return label + (f": {message_error(message.error)}" if message.error else "") + kept


def ending_html(message: Message) -> str:
    """The mark as HTML: ``wb-status`` and ``wb-incomplete`` or ``wb-error`` (as before), and
    ``wb-ending wb-ending-<kind>`` naming the ending ("" for a whole reply)."""
    text = ending_text(message)
    if not text:
        return ""
    kind = ending_kind(message)
    old = "wb-error" if kind == "error" else "wb-incomplete"
    classes = f"wb-status {old} wb-ending wb-ending-{kind.replace('_', '-')}"
    return f'<div class="{classes}">{html.escape(text)}</div>'
