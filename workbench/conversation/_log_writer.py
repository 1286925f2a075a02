"""The conversation log as an observer: what a conversation's events ask to be written.

A ``LogWriter`` subscribes to a conversation and writes to its ``ConversationLog`` (``_log``):
the messages added or changed since the last write and the branch choices made
(``History.take_changes``) at every event that changes the history, each request and its
response as a model call ends, and while a reply streams, a marked copy of its text so far at
most every ``CHECKPOINT_SECONDS``. A failing log is reported once and turned off; it never
breaks the conversation.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from ._turn_events import (
    ContentDelta,
    HistoryChanged,
    ModelCallFinished,
    ReasoningDelta,
    RefusalDelta,
    SettingsChanged,
    ToolCallFinished,
    TurnEvent,
    TurnFailed,
    TurnStarted,
)

if TYPE_CHECKING:
    from ._conversation_base import ConversationBase
    from ._log import ConversationLog

__all__ = ["CHECKPOINT_SECONDS", "LogWriter"]

log = logging.getLogger("workbench")
CHECKPOINT_SECONDS = 1.0
"""While a reply streams, its text so far is written to the log at most this often, so that a
kernel that dies mid-reply leaves the partial reply in the log (marked) rather than nothing."""

_BUFFERS = {ContentDelta: "content", ReasoningDelta: "reasoning", RefusalDelta: "refusal"}


class LogWriter:
    """Writes ``chat`` to ``db`` as its events say; ``close()`` unsubscribes and closes it."""

    def __init__(self, chat: ConversationBase, db: ConversationLog) -> None:
        self.chat = chat
        self.db: ConversationLog | None = db
        self._streaming: dict[str, dict[str, list[str]]] = {}  # reply id -> text so far
        self._written: dict[str, float] = {}  # reply id -> when its text was last written
        self._unsubscribe: Callable[[], None] | None = chat.subscribe(self)

    def __call__(self, event: TurnEvent) -> None:
        if self.db is None:
            return
        kind = type(event)
        if kind in _BUFFERS:
            self._grow(event, _BUFFERS[kind])  # type: ignore[arg-type]
        elif kind is ModelCallFinished:
            self._exchange(event)  # type: ignore[arg-type]
        elif kind in (TurnStarted, ToolCallFinished, HistoryChanged, TurnFailed):
            self.sync()  # (a failed turn may have marked its last reply: the tool-round limit)
        elif kind is SettingsChanged:
            self.save_conversation()  # api, params, system, tools: load() gives them back

    def sync(self) -> None:
        """Write the messages added or changed since the last write, and the branch choices
        made, in one transaction."""
        if self.db is None:
            return
        messages, choices = self.chat.history.take_changes()
        if messages or choices:
            chat_id = self.chat.id
            self._call(lambda db: db.save_changes(chat_id, messages, choices))

    def save_conversation(self) -> None:
        """Write the conversation's settings (model, system prompt, parameters, tools)."""
        chat = self.chat
        meta = {
            "params": chat.params.snapshot(),
            "tools": sorted(chat.tools),
            "max_tool_rounds": chat.max_tool_rounds,
            "api": chat.api,
            "base_url": _public_url(chat.client),  # to price the replies read from the log
            **chat._log_meta,
        }
        model, system = chat.params.model, chat.system
        self._call(lambda db: db.save_conversation(chat.id, model=model, system=system, meta=meta))

    def close(self) -> None:
        """Stop writing and close the log (it reopens on the next write, if any)."""
        if self.db is not None:
            self.db.close()

    def detach(self) -> None:
        """Stop hearing the conversation's events (a replaced or forked log)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    # -- what the events ask for ---------------------------------------------------------------

    def _grow(self, event: ContentDelta | ReasoningDelta | RefusalDelta, field: str) -> None:
        """A reply streams: keep its text, and write a marked copy now and then.

        A copy is written, marked incomplete with a note: the message itself changes only when
        the reply ends (and is written again then), so views and caches see no extra change.
        """
        # Runs for every delta (60 a grid cell): lookups first, no setdefault's spare objects.
        buffers = self._streaming.get(event.message_id)
        if buffers is None:
            buffers = self._streaming[event.message_id] = {}
        parts = buffers.get(field)
        if parts is None:
            parts = buffers[field] = []
        parts.append(event.delta)
        now = time.perf_counter()
        written = self._written.get(event.message_id)
        if written is None:
            written = self._written[event.message_id] = now
        if now - written < CHECKPOINT_SECONDS:
            return
        self._written[event.message_id] = now
        message = self.chat.history.messages.get(event.message_id)
        if message is None:
            return
        partial = message.model_copy(
            update={
                "content": "".join(buffers.get("content", ())) or None,
                "refusal": "".join(buffers.get("refusal", ())) or None,
                "reasoning": "".join(buffers.get("reasoning", ())) or None,
                "status": "incomplete",
                "error": "still streaming when last written to the log",
            }
        )
        # With the branch choice, so that the log reads back with the reply on its branch.
        choice = {partial.parent_id: partial.id}
        chat_id = self.chat.id
        self._call(lambda db: db.save_changes(chat_id, [partial], choice))

    def _exchange(self, event: ModelCallFinished) -> None:
        """Record one request and its response.

        The request's messages are those the call sent: the row keeps the turn's (from its
        user message on; all of them, the system prompt first, while the conversation is one
        turn long) and the number left out, ``earlier_messages``, which the messages table
        already holds. So a long conversation does not write its history again with every
        request.
        """
        message = event.message
        self._streaming.pop(message.id, None)
        self._written.pop(message.id, None)
        sent = event.prompt
        first = 1 if sent and sent[0].get("role") == "system" else 0
        last_user = next(
            (i for i in range(len(sent) - 1, -1, -1) if sent[i].get("role") == "user"), 0
        )
        earlier = 0 if last_user <= first else last_user
        request = {
            "messages": sent[earlier:],
            "earlier_messages": earlier,
            "params": message.params,
        }
        chat_id, response, status = self.chat.id, event.response, event.status
        self._call(lambda db: db.record_exchange(chat_id, message.id, request, response, status))
        self.sync()

    def _call(self, action: Callable[[Any], None]) -> None:
        """Write to the log; a failing log is reported once and never breaks the conversation."""
        if self.db is None:
            return
        try:
            action(self.db)
        except Exception as exc:
            log.warning("workbench: the conversation log failed and is now off: %s", exc)
            self.db = None


def _public_url(client: object) -> str | None:
    """The client's base URL without credentials or query (what the log may keep)."""
    url = getattr(client, "base_url", None)
    return None if url is None else _public(str(url))


@functools.lru_cache(maxsize=64)
def _public(url: str) -> str:
    """``url`` without credentials or query (cached: every grid cell's conversation asks)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host  # an IPv6 address
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
