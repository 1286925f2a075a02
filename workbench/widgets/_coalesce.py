"""Streamed changes, coalesced by time: at most one front-end message per ``FLUSH_SECONDS``.

Live streaming travels as custom messages that carry only what changed: ``{"type": "delta",
"id", "text"}`` for reply text (``"reasoning"`` for a reasoning model's thinking, ``"refusal"``
for a refusal), ``{"type": "json", ...}`` for a structured reply and ``{"type": "tool_args",
...}`` for a tool call's arguments. Buffering them for ``FLUSH_SECONDS`` keeps a fast model from
sending a message per token (~30 a second at most), and whatever is left goes at the end of the
turn. The conversation widget and the grid's table both stream through a ``Coalescer``.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any

from ._render import partial_json_preview

__all__ = ["FLUSH_SECONDS", "Coalescer"]

FLUSH_SECONDS = 1 / 30
"""The least time between two streamed updates to the front end (about 30 a second)."""


class Coalescer:
    """Buffers streamed changes and flushes them at most once per ``interval``.

    Reply text is kept per message and sent as ``{"type": "delta", "id", "text"}`` (refusal
    text as ``"refusal"``, reasoning text as ``"reasoning"``). A reply that is JSON (a
    structured output) is sent instead as a pretty-printed partial parse of all of it so far,
    ``{"type": "json", "id", "text"}``; a tool call's arguments likewise as ``{"type":
    "tool_args", "id", "index", "text"}``.
    ``clock`` is any monotonic clock (tests pass a fake one).
    """

    def __init__(
        self,
        send: Callable[[dict[str, Any]], None],
        clock: Callable[[], float] = time.monotonic,
        interval: float = FLUSH_SECONDS,
    ) -> None:
        self._send = send
        self._clock = clock
        self._interval = interval
        self._text: dict[tuple[str, str], list[str]] = {}
        self._json: dict[str, list[str]] = {}
        self._json_dirty: set[str] = set()
        self._args: dict[tuple[str, int], str] = {}
        self._last = -math.inf  # the first change goes out at once: time to first token
        self._lock = threading.Lock()

    def add(self, message_id: str, text: str, kind: str = "delta") -> None:
        with self._lock:
            self._text.setdefault((kind, message_id), []).append(text)
        self._maybe_flush()

    def add_json(self, message_id: str, text: str) -> None:
        with self._lock:
            self._json.setdefault(message_id, []).append(text)
            self._json_dirty.add(message_id)
        self._maybe_flush()

    def set_arguments(self, message_id: str, index: int, arguments: str) -> None:
        with self._lock:
            self._args[(message_id, index)] = arguments
        self._maybe_flush()

    def _maybe_flush(self) -> None:
        if self._clock() - self._last >= self._interval:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            text, self._text = self._text, {}
            args, self._args = self._args, {}
            dirty, self._json_dirty = self._json_dirty, set()
            json_text = {m: "".join(self._json[m]) for m in dirty}
            if text or args or dirty:
                self._last = self._clock()
        for (kind, message_id), parts in text.items():
            self._send({"type": kind, "id": message_id, "text": "".join(parts)})
        for message_id, whole in json_text.items():
            self._send({"type": "json", "id": message_id, "text": partial_json_preview(whole)})
        for (message_id, index), arguments in args.items():
            preview = partial_json_preview(arguments)
            self._send({"type": "tool_args", "id": message_id, "index": index, "text": preview})

    def forget(self) -> None:
        """Drop the whole-reply buffers of finished JSON replies."""
        with self._lock:
            self._json.clear()
