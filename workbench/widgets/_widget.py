"""``ConversationWidget``: a conversation as a chat app in the notebook (an anywidget).

Design:

* Durable state is in synced traits. ``messages_html`` holds the current branch, one dict per
  shown message, rebuilt from the conversation when a turn starts, when a tool finishes and
  when a turn ends. A view created later (a re-render, a page reload) draws from it, because
  custom messages are not replayed to new views.
* Live streaming travels as custom messages that carry only what changed: ``{"type": "delta",
  "id", "text"}`` for reply text, ``{"type": "tool_call", ...}`` and ``{"type": "tool_args",
  ...}`` for tool calls. Text deltas are coalesced by time (``_Coalescer``): at most one
  message per ``FLUSH_SECONDS`` (~30 a second), and whatever is left at the end of the turn.
* Every user action is a Python method (``send``, ``stop``, ``regenerate``, ``switch``,
  ``set_param``, ``refresh``); the front end calls them with custom messages
  ``{"action": "send", "text": ...}``, tests call them directly.
* A turn started from the widget runs as a task on the kernel's event loop
  (``chat.asend``), so the kernel keeps reading messages while the reply streams and a Stop
  click is handled at once; everything, comm sends included, stays on the kernel's thread.
  Without a running loop (a plain script, a test) ``send`` runs the turn to its end.
  ``regenerate`` has no async twin in ``Conversation``: with a running loop it runs in a
  worker thread (``loop.run_in_executor``), which keeps Stop responsive too.
* The widget observes the conversation, so a turn started from code (``chat.send``) streams
  into every displayed widget of that conversation. The conversation never imports this.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anywidget
import traitlets

from .._exceptions import WorkbenchError
from .._messages import Message
from .._turn_events import (
    ContentDelta,
    ToolCallArgumentsDelta,
    ToolCallFinished,
    ToolCallStarted,
    TurnEvent,
    TurnFailed,
    TurnFinished,
    TurnStarted,
)
from ..conversation import TurnStopped
from ._render import CSS, message_to_html, partial_json_preview
from ._text import transcript_text

if TYPE_CHECKING:
    from ..conversation import Conversation

__all__ = ["FLUSH_SECONDS", "ConversationWidget", "widget"]

FLUSH_SECONDS = 1 / 30
"""The least time between two streamed updates to the front end (about 30 a second)."""

_STATIC = Path(__file__).parent / "_static"


class _Coalescer:
    """Buffers streamed changes and flushes them at most once per ``interval``.

    Text deltas are kept per message and sent as ``{"type": "delta", "id", "text"}``; a tool
    call's arguments (all of them so far) are kept per call and sent, pretty-printed while
    partial, as ``{"type": "tool_args", "id", "index", "text"}``. ``clock`` is any monotonic
    clock (tests pass a fake one).
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
        self._text: dict[str, list[str]] = {}
        self._args: dict[tuple[str, int], str] = {}
        self._last = -math.inf  # the first change goes out at once: time to first token
        self._lock = threading.Lock()

    def add(self, message_id: str, text: str) -> None:
        with self._lock:
            self._text.setdefault(message_id, []).append(text)
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
            if text or args:
                self._last = self._clock()
        for message_id, parts in text.items():
            self._send({"type": "delta", "id": message_id, "text": "".join(parts)})
        for (message_id, index), arguments in args.items():
            preview = partial_json_preview(arguments)
            self._send({"type": "tool_args", "id": message_id, "index": index, "text": preview})


class ConversationWidget(anywidget.AnyWidget):
    """A live view of a ``Conversation``: transcript, input, Send/Stop, parameter controls.

    Args:
        chat: the conversation to show and drive.
        clock: the clock that paces streamed updates (tests pass a fake one).
    """

    _esm = _STATIC / "widget.js"
    _css = CSS + (_STATIC / "widget.css").read_text(encoding="utf-8")

    messages_html = traitlets.List(traitlets.Dict()).tag(sync=True)
    streaming = traitlets.Bool(False).tag(sync=True)
    params = traitlets.Dict().tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)
    usage_text = traitlets.Unicode("").tag(sync=True)
    local_badge = traitlets.Bool(False).tag(sync=True)
    input_text = traitlets.Unicode("").tag(sync=True)

    def __init__(
        self, chat: Conversation, *, clock: Callable[[], float] = time.monotonic, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self._chat = chat
        self._coalescer = _Coalescer(self._send_custom, clock)
        self._html_cache: dict[str, tuple[Any, str]] = {}
        self._task: asyncio.Future[Any] | None = None
        self._unsubscribe = chat.subscribe(self._on_event)
        self.on_msg(self._on_front_end)
        self._rebuild()
        self.refresh()

    @property
    def chat(self) -> Conversation:
        """The conversation this widget shows."""
        return self._chat

    # -- user actions ------------------------------------------------------------------------

    def send(self, text: str | dict[str, Any] | None = None, buffers: Any = None) -> Message | None:
        """Send ``text`` (default: the input box) as a user turn.

        With a running event loop the turn runs as a task on it and ``None`` is returned; else
        it runs to its end and the reply is returned. Errors go to the ``error`` trait.

        A dict is ``Widget.send``'s custom message (ipywidgets' ``focus()`` sends one), passed on.
        """
        if isinstance(text, dict):
            self._send_custom(text, buffers)
            return None
        text = self.input_text if text is None else text
        if not text.strip():
            return None
        if self.streaming:
            self.error = "a reply is still streaming: stop it or wait"
            return None
        self.error = ""
        self.input_text = ""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return self._guarded(lambda: self._chat.send(text))
        self._task = loop.create_task(self._chat.asend(text))
        self._task.add_done_callback(self._task_done)
        return None

    def stop(self) -> None:
        """Stop the running turn; its partial reply stays, marked incomplete."""
        self._chat.stop()

    def regenerate(self) -> Message | None:
        """Ask again from the last user message (the old reply stays as a branch)."""
        if self.streaming:
            self.error = "a reply is still streaming: stop it or wait"
            return None
        self.error = ""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return self._guarded(self._chat.regenerate)
        self._task = loop.run_in_executor(None, self._chat.regenerate)
        self._task.add_done_callback(self._task_done)
        return None

    def switch(self, index: int, branch: int) -> None:
        """Show version ``branch`` (0-based) of message ``index`` of the current branch."""
        try:
            self._chat.switch(index, branch)
        except (IndexError, WorkbenchError) as exc:
            self.error = str(exc)
            return
        self.error = ""
        self._rebuild()
        self.refresh()

    def set_param(self, name: str, value: Any) -> bool:
        """Set ``chat.params.<name>``; an invalid value is refused with the validator's message
        in ``error`` (the parameters stay as they were). Returns whether it was set."""
        try:
            setattr(self._chat.params, name, value)
        except (ValueError, TypeError) as exc:  # InvalidParameterError is a ValueError
            self.error = str(exc)
            return False
        self.error = ""
        self.refresh()
        return True

    def refresh(self) -> None:
        """Re-read the conversation's parameters, usage and client into the traits."""
        self.params = self._chat.params.snapshot()
        self.local_badge = getattr(self._chat.client, "local_model", None) is not None
        self.usage_text = _usage_text(self._chat.messages)

    def close(self) -> None:
        """Stop observing the conversation and close the comm."""
        self._unsubscribe()
        super().close()

    # -- the front end -----------------------------------------------------------------------

    def _send_custom(self, content: dict[str, Any], buffers: Any = None) -> None:
        super().send(content, buffers)

    def _on_front_end(self, _widget: Any, content: Any, _buffers: Any) -> None:
        """Dispatch a front-end action to its method."""
        if not isinstance(content, dict):
            return
        action = content.get("action")
        if action == "send":
            self.send(content.get("text"))
        elif action == "stop":
            self.stop()
        elif action == "regenerate":
            self.regenerate()
        elif action == "switch":
            self.switch(int(content["index"]), int(content["branch"]))
        elif action == "set_param":
            self.set_param(str(content["name"]), content.get("value"))
        elif action == "refresh":
            self._rebuild()
            self.refresh()

    def _guarded(self, run: Callable[[], Message]) -> Message | None:
        try:
            return run()
        except Exception as exc:  # shown in the widget; the turn.failed event already rebuilt
            self.error = str(exc) or type(exc).__name__
            return None

    def _task_done(self, task: asyncio.Future[Any]) -> None:
        if task.cancelled():
            self.streaming = False
            self._rebuild()
            return
        exc = task.exception()
        if exc is not None:
            self.error = str(exc) or type(exc).__name__

    # -- the conversation's events -----------------------------------------------------------

    def _on_event(self, event: TurnEvent) -> None:
        if isinstance(event, ContentDelta):
            self._coalescer.add(event.message_id, event.delta)
        elif isinstance(event, ToolCallArgumentsDelta):
            self._coalescer.set_arguments(event.message_id, event.index, event.arguments)
        elif isinstance(event, TurnStarted):
            self.streaming = True
            self.error = ""
            self._rebuild()
        elif isinstance(event, ToolCallStarted):
            self._coalescer.flush()
            started = {"type": "tool_call", "id": event.message_id, "index": event.index}
            self._send_custom({**started, "name": event.name})
        elif isinstance(event, ToolCallFinished):
            self._coalescer.flush()
            self._rebuild()
        elif isinstance(event, (TurnFinished, TurnFailed)):
            self._coalescer.flush()
            self._rebuild()
            self.refresh()
            self.streaming = False
            if isinstance(event, TurnFailed) and not isinstance(event.error, TurnStopped):
                self.error = str(event.error) or type(event.error).__name__

    # -- the durable transcript --------------------------------------------------------------

    def _rebuild(self) -> None:
        """``messages_html`` from the conversation's current branch (tool results shown under
        the calls they answer)."""
        path = self._chat.messages
        results = {m.tool_call_id: m for m in path if m.role == "tool" and m.tool_call_id}
        shown_calls = {
            str(call.get("id"))
            for m in path
            if m.role == "assistant"
            for call in m.tool_calls or ()
        }
        entries: list[dict[str, Any]] = []
        for index, message in enumerate(path):
            if message.role == "tool" and message.tool_call_id in shown_calls:
                continue
            ids = [s.id for s in self._chat.history.siblings(message)]
            branch = [ids.index(message.id), len(ids)] if message.id in ids else [0, 1]
            entry: dict[str, Any] = {
                "id": message.id,
                "index": index,
                "role": message.role,
                "html": self._html(message, results),
                "status": message.status,
                "branch": branch,
            }
            if message.role == "assistant":
                entry["meta"] = _meta(message)
            entries.append(entry)
        self.messages_html = entries

    def _html(self, message: Message, results: dict[str, Message]) -> str:
        """``message_to_html``, cached while the message and its tool results are unchanged."""
        answers = tuple(
            (r.id, r.text, r.error)
            for call in message.tool_calls or ()
            if (r := results.get(str(call.get("id")))) is not None
        )
        key = (message.status, message.error, message.text, message.refusal,
               repr(message.tool_calls), answers)  # fmt: skip
        cached = self._html_cache.get(message.id)
        if cached is not None and cached[0] == key:
            return cached[1]
        rendered = message_to_html(message, tool_results=results)
        self._html_cache[message.id] = (key, rendered)
        return rendered

    # -- display -----------------------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """The widget, with the clean text transcript as ``text/plain`` (what nbconvert, nbval
        and terminals show) and the replies' provenance in the output's metadata."""
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        data, metadata = bundle
        data = {**data, "text/plain": transcript_text(self._chat)}
        provenance = [{"id": e["id"], **e["meta"]} for e in self.messages_html if "meta" in e]
        return data, {**metadata, "workbench": {"replies": provenance}}


def widget(chat: Conversation, **kwargs: Any) -> ConversationWidget:
    """A ``ConversationWidget`` for ``chat`` (display it, or leave it last in a cell)."""
    return ConversationWidget(chat, **kwargs)


def _meta(message: Message) -> dict[str, Any]:
    """Provenance of a reply: model, parameters, request id, usage, latency."""
    return {
        "model": message.model,
        "params": message.params,
        "request_id": message.request_id,
        "usage": message.usage.model_dump(mode="json", exclude_none=True)
        if message.usage is not None
        else None,
        "latency": message.latency.model_dump() if message.latency is not None else None,
    }


def _usage_text(path: list[Message]) -> str:
    """The footer: tokens of the last reply and of the branch, and the last reply's timing."""
    replies = [m for m in path if m.role == "assistant"]
    used = [m.usage for m in replies if m.usage is not None]
    if not replies:
        return ""
    parts = []
    last = replies[-1]
    if last.usage is not None:
        u = last.usage
        parts.append(
            f"last reply: {u.total_tokens} tokens"
            f" (prompt {u.prompt_tokens}, completion {u.completion_tokens})"
        )
    if used:
        parts.append(f"conversation: {sum(u.total_tokens for u in used)} tokens")
    if last.latency is not None and last.latency.total is not None:
        timing = f"{last.latency.total:.2f} s"
        if last.latency.first_token is not None:
            timing += f", first token {last.latency.first_token:.2f} s"
        parts.append(timing)
    return " · ".join(parts)
