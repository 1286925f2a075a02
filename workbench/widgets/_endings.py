"""How a reply ended, in words: the mark a view shows on every reply that is not whole.

Each ending has its own words and its own class (``wb-ending-<kind>``), so it reads without
colour: cut at the token limit (and, for an empty reply whose tokens all went to reasoning,
the fix), withheld by the content filter, stopped, interrupted, ended without a
``finish_reason``, failed, and a turn stopped at the tool-round limit (on its last reply).

A note of the same look says why a regenerated reply is the one it replaced, word for word: the
request fixed the seed (``same seed: same reply``), so Regenerate did not seem to do nothing.
"""

from __future__ import annotations

import html

from ..conversation._history import Message
from ._shown_errors import message_error

__all__ = ["ENDING_CLASSES", "ending_html", "ending_kind", "ending_text", "same_seed_html"]

_KINDS = (
    "length", "content_filter", "tool_round_limit", "stopped", "interrupted", "incomplete", "error"
)  # fmt: skip
ENDING_CLASSES = frozenset(
    {"wb-ending", *(f"wb-ending-{k.replace('_', '-')}" for k in _KINDS), "wb-note", "wb-same-seed"}
)
"""The classes of the marks and notes (the sanitizer's allow-list takes them)."""

_STOPPED = "stopped by the user"  # the error a stopped reply carries (conversation._reply)
_INTERRUPTED = "interrupted"


def ending_kind(message: Message) -> str:
    """``complete``, ``length``, ``content_filter``, ``tool_round_limit``, ``stopped``,
    ``interrupted``, ``incomplete`` (cut short otherwise, e.g. no ``finish_reason``) or
    ``error``."""
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
    if kind == "tool_round_limit":
        return "turn stopped at the tool-round limit" + (
            f": {message.error}" if message.error else ""
        )
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


def same_seed(message: Message, replaced: Message | None) -> bool:
    """Whether ``message``, a reply regenerated in place of ``replaced`` (its previous
    version), is the same reply because both requests fixed the same ``seed``."""
    if replaced is None or message.role != "assistant" or replaced.role != "assistant":
        return False
    seed = message.params.get("seed")
    return (
        seed is not None
        and replaced.params.get("seed") == seed
        and message.ending == replaced.ending == "complete"
        and message.content == replaced.content
        and message.refusal == replaced.refusal
        and _calls(message) == _calls(replaced)
    )


def _calls(message: Message) -> list[tuple[object, object]]:
    """The tool calls' names and arguments (their ids differ from request to request)."""
    return [(c.get("type"), c.get("function")) for c in message.tool_calls or ()]


def same_seed_html(message: Message, replaced: Message | None) -> str:
    """The note on a regenerated reply that repeats the one it replaced because the seed is
    fixed ("" otherwise): ``wb-note wb-same-seed``."""
    if not same_seed(message, replaced):
        return ""
    seed = message.params.get("seed")
    text = f"same seed: same reply (seed {seed}; clear or change it for another reply)"
    return f'<div class="wb-note wb-same-seed">{html.escape(text)}</div>'
