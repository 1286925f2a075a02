"""The front end's requests: each custom message ``{"action": ..., ...}`` to its widget method.

Every user action is a Python method of ``ConversationWidget`` (``send``, ``stop``,
``regenerate``, ``switch``, ``set_param``, ``diff``, ...); the front end calls them with these
messages, tests call the methods directly. A message that is not a dict, or names no known
action, is ignored. A user's action takes the last error away first (``PASSIVE`` lists the
requests a view makes by itself, which do not).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ._transcript_window import WINDOW

if TYPE_CHECKING:
    from ._widget import ConversationWidget

__all__ = ["ACTIONS", "PASSIVE", "dispatch"]


def _earlier(widget: ConversationWidget, content: Mapping[str, Any]) -> None:
    count = int(content.get("count") or WINDOW)
    request = content.get("request")
    widget.earlier_messages(
        int(content["before"]), count, None if request is None else str(request)
    )


def _refresh(widget: ConversationWidget, content: Mapping[str, Any]) -> None:
    widget._rebuild()
    widget.refresh()


def _request(content: Mapping[str, Any]) -> str | None:
    request = content.get("request")
    return None if request is None else str(request)


def _decide(widget: ConversationWidget, content: Mapping[str, Any]) -> None:
    widget.decide(str(content["call_id"]), str(content["decision"]), content.get("value"))


ACTIONS: dict[str, Callable[[ConversationWidget, Mapping[str, Any]], object]] = {
    "send": lambda w, c: w.send(c.get("text")),
    "stop": lambda w, c: w.stop(),
    "regenerate": lambda w, c: w.regenerate(),
    "edit": lambda w, c: w.edit(int(c["index"]), str(c.get("text") or "")),
    "switch": lambda w, c: w.switch(int(c["index"]), int(c["branch"])),
    "set_param": lambda w, c: w.set_param(str(c["name"]), c.get("value")),
    "set_api": lambda w, c: w.set_api(str(c.get("value"))),
    "set_system": lambda w, c: w.set_system(str(c.get("text") or "")),
    "set_tool": lambda w, c: w.set_tool(str(c["name"]), bool(c.get("enabled"))),
    "decide": _decide,
    "models": lambda w, c: w.load_models(),
    "code": lambda w, c: w.code(c.get("text")),
    "copy": lambda w, c: w.copy_text(str(c.get("id"))),
    "diff": lambda w, c: w.diff(str(c.get("id")), _request(c)),
    "refresh": _refresh,
    "earlier": _earlier,
    "resync": lambda w, c: w.resync(),
    "media": lambda w, c: w.send_media(str(c.get("hash") or "")),
}
"""The front end's actions, each with the widget method it calls and how its fields convert."""

PASSIVE = frozenset({"models", "media", "resync", "refresh"})
"""What a view asks for by itself (on focus, on drawing): not the user's next action."""


def dispatch(widget: ConversationWidget, content: object) -> None:
    """Call the widget method of the front end's message ``content``."""
    if not isinstance(content, dict):
        return
    name = content.get("action")
    action = ACTIONS.get(name) if isinstance(name, str) else None
    if action is not None:
        if name not in PASSIVE:
            widget.clear_error()
        action(widget, content)
