"""A tool call in the transcript: its name, its status and time in words, and its arguments and
result, each labelled; a long one (more than ``LONG_LINES`` lines or ``LONG_CHARS`` characters
as shown) is collapsed in a ``<details>`` whose summary says how long it is.

The status: ``running`` or ``waiting for approval`` while its turn runs (the caller says which,
``live``), then ``done``, ``failed``, ``denied`` or ``answered by the user`` (the tool message's
``error`` and ``decision``), or ``not run`` for a call whose turn ended before it ran. The time
is how long the tool ran (the tool message's ``latency``), shown only for a tool that ran.

The HTML is not sanitized here: it goes into a message's HTML, which ``_render`` sanitizes.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from typing import Any, Literal

from ..conversation._history import Message
from ._code_html import is_json, json_block, pretty_json

__all__ = [
    "LONG_CHARS",
    "LONG_LINES",
    "TOOL_CLASSES",
    "LiveState",
    "duration_text",
    "tool_call_html",
    "tool_status",
]

LONG_LINES = 8
LONG_CHARS = 600

LiveState = Literal["running", "waiting"]
"""What a call without a result is doing while its turn runs."""

# status -> (its words, its class)
_STATUS = {
    "done": ("done", "wb-tool-done"),
    "failed": ("failed", "wb-tool-failed"),
    "denied": ("denied", "wb-tool-denied"),
    "answered": ("answered by the user", "wb-tool-answered"),
    "running": ("running", "wb-tool-active"),
    "waiting": ("waiting for approval", "wb-tool-waiting"),
    "not_run": ("not run", "wb-tool-pending"),
}
TOOL_CLASSES = frozenset(
    {cls for _, cls in _STATUS.values()}
    | {"wb-tool-call", "wb-tool-head", "wb-tool-name", "wb-tool-state", "wb-tool-time"}
    | {"wb-tool-section", "wb-tool-label", "wb-tool-size", "wb-tool-args", "wb-tool-result"}
    | {"wb-tool-error"}
)
"""The classes of a tool call's HTML (the sanitizer's allow-list takes them)."""


def tool_status(result: Message | None, live: LiveState | None = None) -> str:
    """``done``, ``failed``, ``denied``, ``answered``, ``running``, ``waiting`` or ``not_run``."""
    if result is None:
        return live or "not_run"
    if result.decision == "deny":
        return "denied"
    if result.decision == "answer":
        return "answered"
    return "failed" if result.error else "done"


def duration_text(seconds: float) -> str:
    """A duration as people read it: ``< 1 ms``, ``12 ms``, ``1.25 s``, ``95 s``."""
    if seconds < 0.001:
        return "< 1 ms"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.0f} s"


def _ran_for(result: Message | None) -> float | None:
    """How long the tool ran, or None when it did not run (refused, denied, answered)."""
    if result is None or result.decision in ("deny", "answer") or result.latency is None:
        return None
    took = result.latency.total
    return took if took else None


def _shown(text: str) -> tuple[str, str]:
    """The HTML of a text (highlighted JSON, pretty-printed; anything else as plain text) and
    the text as shown (to measure)."""
    if is_json(text):
        pretty = pretty_json(json.loads(text))
        return json_block(pretty), pretty
    return f'<div class="wb-plain">{html.escape(text)}</div>', text


def _section(classes: str, label: str, text: str) -> str:
    """A labelled part of a call; collapsed when long."""
    body, shown = _shown(text)
    lines = shown.count("\n") + 1
    if lines <= LONG_LINES and len(shown) <= LONG_CHARS:
        head = f'<div class="wb-tool-label">{label}</div>'
        return f'<div class="wb-tool-section {classes}">{head}{body}</div>'
    size = f"{lines:,} lines" if lines > LONG_LINES else f"{len(shown):,} characters"
    summary = f'<summary class="wb-tool-label">{label} <span class="wb-tool-size">({size})</span>'
    return f'<details class="wb-tool-section {classes}">{summary}</summary>{body}</details>'


def _error_text(error: str) -> str:
    """The words of a tool's error (the model gets ``{"error": "..."}``; people read the
    words)."""
    try:
        value = json.loads(error)
    except (ValueError, RecursionError):
        return error
    if isinstance(value, dict) and isinstance(value.get("error"), str) and len(value) == 1:
        return str(value["error"])
    return error


def _result_section(result: Message) -> str:
    if result.error:
        return _section("wb-tool-result wb-tool-error", "error", _error_text(result.error))
    return _section("wb-tool-result", "result", result.text)


def tool_call_html(
    call: Mapping[str, Any], result: Message | None = None, live: LiveState | None = None
) -> str:
    """One tool call: a head with its name, status and time, then its arguments (pretty JSON,
    or the text as it came when it is not JSON) and its result or error when known.

    Args:
        call: the call, as in the reply's ``tool_calls``.
        result: the tool message answering it, when there is one.
        live: for a call without a result while its turn runs: ``running`` or ``waiting``.
    """
    function = call.get("function")
    function = function if isinstance(function, Mapping) else {}
    name = html.escape(str(function.get("name") or "?"))
    words, state_class = _STATUS[tool_status(result, live)]
    head = (
        f'<div class="wb-tool-head"><span class="wb-tool-name">{name}</span> '
        f'<span class="wb-tool-state {state_class}">{html.escape(words)}</span>'
    )
    took = _ran_for(result)
    if took is not None:
        head += f' <span class="wb-tool-time">took {html.escape(duration_text(took))}</span>'
    parts = [
        head + "</div>",
        _section("wb-tool-args", "arguments", str(function.get("arguments") or "")),
    ]
    if result is not None:
        parts.append(_result_section(result))
    return f'<div class="wb-tool-call">{"".join(parts)}</div>'
