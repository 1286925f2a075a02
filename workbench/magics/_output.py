"""What the magics show: one-line errors, and a turn live in a kernel or as text in a terminal.

In a kernel a turn is a compact ``ConversationWidget`` shown live; in a terminal its text is
printed as it streams, with the control characters a model or a server sent shown escaped.
"""

from __future__ import annotations

import sys
from typing import Any

from IPython import get_ipython
from IPython.core.error import UsageError

__all__ = ["in_terminal", "inert", "print_deltas", "print_marks", "show_turn", "usage_error"]


def usage_error(exc: BaseException) -> UsageError:
    """One clear line for an error from workbench or the API (secrets are already scrubbed;
    control characters a server put in its message are shown escaped)."""
    message = str(exc) or type(exc).__name__
    return UsageError(inert(f"{type(exc).__name__}: {message}"))


def inert(text: str) -> str:
    """``text`` safe to print to a terminal: escape sequences shown, not acted on."""
    from ..widgets._plain_text import inert

    return inert(text)


def in_terminal() -> bool:
    """Whether no kernel runs (a terminal): no widget shows, so text is printed instead."""
    shell = get_ipython()
    return shell is None or getattr(shell, "kernel", None) is None


def show_turn(chat: Any, start: int) -> Any:
    """In a kernel: show a compact widget of this turn live and return its ``LiveDisplay``;
    elsewhere (a terminal) None. The widget shows this turn only (``one_turn``): the cell's
    output stays its own when later cells send more turns."""
    if in_terminal():
        return None
    from ..widgets import ConversationWidget, show_live

    return show_live(ConversationWidget(chat, start=start, compact=True, one_turn=True))


def print_deltas(event: Any) -> None:
    """A turn streamed to a terminal: the model's text with its control characters escaped."""
    if event.type == "content.delta":
        sys.stdout.write(inert(event.delta))
        sys.stdout.flush()
    elif event.type == "tool_call.finished":
        shown = event.error or str(event.result)
        sys.stdout.write(inert(f"\n→ {event.name}({event.arguments}) ← {shown[:200]}") + "\n")


def print_marks(chat: Any, start: int) -> None:
    """After a turn printed to a terminal: its reply's status when it did not complete."""
    reply = chat.messages[-1] if len(chat.messages) > start else None
    if reply is not None and reply.status != "complete":
        print(inert(f"[{reply.status}: {reply.error}]") if reply.error else f"[{reply.status}]")
