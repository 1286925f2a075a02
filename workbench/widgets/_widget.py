"""``ConversationWidget``: a conversation as a chat app in the notebook (an anywidget).

Design:

* Durable state is in synced traits. ``messages_html`` holds a window of the current branch,
  one dict per shown message of its last ``window`` messages (``earlier`` counts those before
  it, fetched on demand with ``earlier_messages``), rebuilt when a turn starts, when a tool
  finishes and when a turn ends. A view created later (a re-render, a page reload) draws from
  it, because custom messages are not replayed to new views.
* A rebuild travels as a patch that carries only the entries that changed, ``{"type":
  "transcript", "base", "rev", "drop", "keep", "entries"}``: the front end splices the model's
  array in place, so every view of the model reads the same window, and the trait itself is not
  sent again. ``transcript_rev`` (synced) is the latest revision and ``transcript_base`` the one
  of the last whole copy sent, so a view whose array is behind (a patch it never saw) asks for
  the whole window (``resync``). A window that shares nothing with the last one goes whole.
  So a turn costs the same bytes at turn 2,000 as at turn 10 (``bench/bench_long.py``).
* Live streaming travels as custom messages that carry only what changed: ``{"type": "delta",
  "id", "text"}`` for reply text (``"reasoning"`` for a reasoning model's thinking, shown as
  text in a collapsed block above it), ``{"type": "tool_call", ...}`` and ``{"type":
  "tool_args", ...}`` for tool calls. Text deltas are coalesced by time (``_Coalescer``): at
  most one message per ``FLUSH_SECONDS`` (~30 a second), and whatever is left at the end of the
  turn.
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
* Media (images, recordings, spoken replies, files) are never in the synced state: the
  transcript's HTML refers to each by the sha256 of its bytes, and the front end asks for the
  hashes it lacks (``{"action": "media", "hash"}``); ``send_media`` answers once with the bytes
  as a binary buffer, and the front end keeps a Blob URL per hash for the page's life.
"""

from __future__ import annotations

import asyncio
import json
import math
import signal
import threading
import time
import weakref
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anywidget
import traitlets

from .._exceptions import WorkbenchError
from ..conversation import TurnStopped
from ..conversation._history import Message
from ..conversation._model_ids import model_ids
from ..conversation._params import ChatParams
from ..conversation._turn_events import (
    ContentDelta,
    ReasoningDelta,
    RefusalDelta,
    SettingsChanged,
    ToolApprovalRequested,
    ToolCallArgumentsDelta,
    ToolCallFinished,
    ToolCallStarted,
    TurnEvent,
    TurnFailed,
    TurnFinished,
    TurnStarted,
)
from ._code import next_request_code
from ._media_view import HASH
from ._plain_text import transcript_text, turn_text
from ._render import CSS, partial_json_preview
from ._transcript import WINDOW, Transcript, patch

if TYPE_CHECKING:
    from ..conversation import Conversation

__all__ = ["FLUSH_SECONDS", "WINDOW", "ConversationWidget", "widget"]

FLUSH_SECONDS = 1 / 30
"""The least time between two streamed updates to the front end (about 30 a second)."""

_STATIC = Path(__file__).parent / "_static"

# The parameters with a control of their own beside the transcript (``fields_info`` describes
# them to the front end); the rest stay settable from code.
CONTROLS = (
    "model",
    "temperature",
    "top_p",
    "max_completion_tokens",
    "reasoning_effort",
    "verbosity",
    "seed",
    "response_format",
    "tool_choice",
)

# Conversations whose running turn was started by a widget: the kernel's main thread is free
# while it runs, so a widget can take the user's decision on a tool call (``confirm_tools``).
_DRIVEN: weakref.WeakSet[Any] = weakref.WeakSet()


class _Coalescer:
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


class ConversationWidget(anywidget.AnyWidget):
    """A live view of a ``Conversation``: transcript, input, Send/Stop, parameter controls.

    Args:
        chat: the conversation to show and drive.
        start: show the current branch from this message on (``%%chat`` shows one turn).
        compact: only the transcript and its footer: no controls, no input (``%%chat``).
        clock: the clock that paces streamed updates (tests pass a fake one).
        window: how many of the branch's last messages the synced transcript holds (older
            ones are shown on demand, "Show earlier messages").
    """

    _esm = _STATIC / "widget.js"
    _css = CSS + (_STATIC / "widget.css").read_text(encoding="utf-8")

    messages_html = traitlets.List(traitlets.Dict()).tag(sync=True)
    earlier = traitlets.Int(0).tag(sync=True)
    transcript_rev = traitlets.Int(0).tag(sync=True)
    transcript_base = traitlets.Int(0).tag(sync=True)
    streaming = traitlets.Bool(False).tag(sync=True)
    params = traitlets.Dict().tag(sync=True)
    param_info = traitlets.Dict().tag(sync=True)
    system = traitlets.Unicode("").tag(sync=True)
    tools = traitlets.List(traitlets.Dict()).tag(sync=True)
    models = traitlets.List(traitlets.Unicode()).tag(sync=True)
    response_models = traitlets.List(traitlets.Unicode()).tag(sync=True)
    pending = traitlets.List(traitlets.Dict()).tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)
    usage_text = traitlets.Unicode("").tag(sync=True)
    local_badge = traitlets.Bool(False).tag(sync=True)
    input_text = traitlets.Unicode("").tag(sync=True)
    start = traitlets.Int(0).tag(sync=True)
    compact = traitlets.Bool(False).tag(sync=True)

    _quiet = False  # while a patch stands in for the transcript's update

    def __init__(
        self,
        chat: Conversation,
        *,
        start: int = 0,
        compact: bool = False,
        clock: Callable[[], float] = time.monotonic,
        window: int = WINDOW,
        **kwargs: Any,
    ) -> None:
        super().__init__(start=start, compact=compact, **kwargs)
        self._chat = chat
        self._coalescer = _Coalescer(self._send_custom, clock)
        self._transcript = Transcript(chat, start=start, size=window)
        self._task: asyncio.Future[Any] | None = None
        self._json_reply = False
        info = ChatParams.fields_info()
        self.param_info = {name: info[name] for name in CONTROLS}
        self._unsubscribe = chat.subscribe(self._on_event)
        self.on_msg(self._on_front_end)
        self._rebuild()
        self.refresh()

    @property
    def chat(self) -> Conversation:
        """The conversation this widget shows."""
        return self._chat

    @traitlets.observe("start")
    def _start_changed(self, change: dict[str, Any]) -> None:
        transcript = getattr(self, "_transcript", None)
        if transcript is not None:  # (not yet while the traits are first set)
            transcript.start = int(change["new"])

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
        if not text.strip() or self._busy():
            return None
        self.input_text = ""
        chat = self._chat
        return self._start(lambda: chat.send(text), lambda: chat.asend(text))

    def stop(self) -> None:
        """Stop the running turn (a tool call waiting for approval is denied); its partial
        reply stays, marked incomplete."""
        self._chat.stop()

    def regenerate(self) -> Message | None:
        """Ask again from the last user message (the old reply stays as a branch)."""
        if self._busy():
            return None
        return self._start(self._chat.regenerate)

    def edit(self, index: int, text: str) -> Message | None:
        """Replace user message ``index`` with ``text`` (the old one stays as a branch) and ask
        for a new reply."""
        if self._busy():
            return None
        if not text.strip():
            self.error = "an edited message cannot be empty"
            return None
        chat = self._chat
        return self._start(lambda: chat.edit(index, text))

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
        in ``error`` (the parameters stay as they were). Returns whether it was set.

        For ``response_format``, ``{"pydantic": "Name"}`` picks the pydantic model ``Name``
        from the notebook's namespace, and ``""`` means "not set", as for every parameter.
        """
        if value == "" and name != "model":
            value = None
        try:
            if name == "response_format" and isinstance(value, dict) and "pydantic" in value:
                value = _namespace_model(str(value["pydantic"]))
            setattr(self._chat.params, name, value)
        except (ValueError, TypeError, KeyError) as exc:  # InvalidParameterError: a ValueError
            self.error = str(exc).strip("'\"")
            self.refresh()  # the control shows the value that stayed
            return False
        self.error = ""
        self.refresh()
        return True

    def set_system(self, text: str) -> None:
        """Set the system prompt (empty: none)."""
        self._chat.system = text or None
        self.refresh()

    def set_tool(self, name: str, enabled: bool) -> None:
        """Offer tool ``name`` to the model, or stop offering it."""
        try:
            self._chat.enable_tool(name, enabled)
        except KeyError as exc:
            self.error = str(exc).strip("'\"")
        self.refresh()

    def decide(self, call_id: str, decision: str, value: str | None = None) -> None:
        """Decide a tool call waiting for approval: ``approve`` (``value``: the arguments as
        JSON, edited or not), ``deny``, or ``answer`` (``value``: the result the model gets)."""
        pending = {p.call_id: p for p in self._chat.pending_approvals}.get(call_id)
        if pending is None:
            self.error = "that tool call is no longer waiting"
            self._refresh_pending()
            return
        if decision == "approve":
            arguments = pending.arguments
            if value is not None and value.strip():
                try:
                    arguments = json.loads(value)
                except ValueError as exc:
                    self.error = f"the arguments are not valid JSON: {exc}"
                    return
                if not isinstance(arguments, dict):
                    self.error = "the arguments must be a JSON object"
                    return
            pending.approve(arguments)
        elif decision == "answer":
            pending.answer(value or "")
        else:
            pending.deny()
        self.error = ""
        self.pending = [p for p in self.pending if p["call_id"] != call_id]

    def load_models(self) -> None:
        """Fill the model list from ``client.models.list()``, and the pydantic models of the
        notebook's namespace for ``response_format`` (in a worker thread when a loop runs)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._load_models()
            return
        loop.run_in_executor(None, self._load_models)

    def code(self, text: str | None = None) -> dict[str, str]:
        """The next request (with ``text`` as a new user message) as workbench, openai and
        curl snippets; also sent to the front end as ``{"type": "code", ...}``."""
        content = text if text and text.strip() else None
        snippets = {
            flavor: next_request_code(self._chat, flavor=flavor, content=content)
            for flavor in ("workbench", "openai", "curl")
        }
        self._send_custom({"type": "code", **snippets})
        return snippets

    def copy_text(self, message_id: str) -> str | None:
        """A message's text (Markdown for replies), sent to the front end as
        ``{"type": "copy", "id", "text"}`` for its clipboard."""
        message = self._chat.history.messages.get(message_id)
        if message is None:
            return None
        self._send_custom({"type": "copy", "id": message_id, "text": message.text})
        return message.text

    def refresh(self) -> None:
        """Re-read the conversation's parameters, system prompt, tools, usage and client."""
        chat = self._chat
        self.params = chat.params.snapshot()
        self.system = chat.system or ""
        self.tools = [
            {"name": t.name, "description": t.description or "", "enabled": t.enabled}
            for t in chat.tools.values()
        ]
        self.local_badge = getattr(chat.client, "local_model", None) is not None
        self.usage_text = self._transcript.footer(self._base_url())

    def earlier_messages(
        self, before: int, count: int = WINDOW, request: str | None = None
    ) -> list[dict[str, Any]]:
        """The entries of up to ``count`` messages before message ``before`` of the branch
        ("Show earlier messages"), also sent to the front end as ``{"type": "earlier",
        "request", "entries", "earlier"}`` (``earlier``: how many messages come before them)."""
        entries, earlier = self._transcript.before(before, count, self._base_url())
        self._send_custom(
            {"type": "earlier", "request": request, "entries": entries, "earlier": earlier}
        )
        return entries

    def send_media(self, digest: str) -> bool:
        """Send the bytes of the media item ``digest`` (a sha256 in hex) that the transcript
        shows: ``{"type": "media", "hash", "kind", "mime", "size"}`` with the bytes as one
        binary buffer. A hash the transcript does not show, or whose bytes are not of a type a
        page may get, is answered with ``{"type": "media", "hash", "missing": True}`` and no
        bytes; anything that is not a hash is ignored. Returns whether bytes were sent."""
        if not isinstance(digest, str) or not HASH.match(digest):
            return False
        found = self._transcript.media.payload(digest)
        if found is None:
            self._send_custom({"type": "media", "hash": digest, "missing": True})
            return False
        media, data, mime = found
        content = {"type": "media", "hash": digest, "kind": media.kind, "mime": mime}
        self._send_custom({**content, "size": len(data)}, [data])
        return True

    def resync(self) -> None:
        """Send the whole transcript window again (a view that missed a patch asks for it)."""
        self.send_state(["messages_html", "transcript_base", "transcript_rev", "earlier"])

    def _base_url(self) -> str | None:
        url = getattr(self._chat.client, "base_url", None)
        return str(url) if url is not None else None

    def close(self) -> None:
        """Stop observing the conversation and close the comm."""
        self._unsubscribe()
        super().close()

    # -- running turns -----------------------------------------------------------------------

    def _busy(self) -> bool:
        if self.streaming:
            self.error = "a reply is still streaming: stop it or wait"
            return True
        self.error = ""
        return False

    def _start(
        self,
        run: Callable[[], Message],
        arun: Callable[[], Awaitable[Message]] | None = None,
    ) -> Message | None:
        """Run a turn: to its end without an event loop; else in the background (a task on the
        kernel's loop, or a worker thread for what has no async twin) so the kernel stays free
        for Stop, the controls and other cells."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return self._guarded(run)

        async def turn() -> Message:
            if arun is not None:
                return await arun()
            return await loop.run_in_executor(None, run)

        _DRIVEN.add(self._chat)
        self.streaming = True  # at once: a second click does not start a second turn
        self._task = loop.create_task(turn())
        self._task.add_done_callback(self._task_done)
        self._catch_interrupt()
        return None

    def _catch_interrupt(self) -> None:
        """While a background turn runs, a kernel interrupt (SIGINT) stops it like Stop.

        ipykernel leaves SIGINT alone while it is idle, which it is while a widget's turn runs
        as a task; a cell run meanwhile gets its own handler and gives ours back after.
        """
        if threading.current_thread() is not threading.main_thread():
            return
        previous = signal.getsignal(signal.SIGINT)
        if previous is None:  # installed outside Python: give back Python's default
            previous = signal.default_int_handler

        def on_interrupt(signum: int, frame: Any) -> None:
            self.stop()

        def restore(_task: Any) -> None:
            if signal.getsignal(signal.SIGINT) is on_interrupt:
                signal.signal(signal.SIGINT, previous)

        signal.signal(signal.SIGINT, on_interrupt)
        assert self._task is not None
        self._task.add_done_callback(restore)

    def _guarded(self, run: Callable[[], Message]) -> Message | None:
        try:
            return run()
        except Exception as exc:  # shown in the widget; the turn.failed event already rebuilt
            self.error = str(exc) or type(exc).__name__
            return None

    def _task_done(self, task: asyncio.Future[Any]) -> None:
        _DRIVEN.discard(self._chat)
        self.streaming = False
        if task.cancelled():
            self._rebuild()
            return
        exc = task.exception()
        if exc is not None:
            self.error = str(exc) or type(exc).__name__

    def _load_models(self) -> None:
        try:
            ids = model_ids(self._chat.client)
        except Exception:  # a server or client without models: the model box stays free text
            ids = []
        self.models = ids
        self.response_models = sorted(
            name
            for name, value in _user_namespace().items()
            if not name.startswith("_") and _is_model_class(value)
        )

    # -- the front end -----------------------------------------------------------------------

    def _send_custom(self, content: dict[str, Any], buffers: Any = None) -> None:
        super().send(content, buffers)

    def _should_send_property(self, key: str, value: Any) -> bool:
        if self._quiet and key in ("messages_html", "transcript_base"):
            return False  # a transcript patch has carried the change
        return bool(super()._should_send_property(key, value))

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
        elif action == "edit":
            self.edit(int(content["index"]), str(content.get("text") or ""))
        elif action == "switch":
            self.switch(int(content["index"]), int(content["branch"]))
        elif action == "set_param":
            self.set_param(str(content["name"]), content.get("value"))
        elif action == "set_system":
            self.set_system(str(content.get("text") or ""))
        elif action == "set_tool":
            self.set_tool(str(content["name"]), bool(content.get("enabled")))
        elif action == "decide":
            value = content.get("value")
            self.decide(str(content["call_id"]), str(content["decision"]), value)
        elif action == "models":
            self.load_models()
        elif action == "code":
            self.code(content.get("text"))
        elif action == "copy":
            self.copy_text(str(content.get("id")))
        elif action == "refresh":
            self._rebuild()
            self.refresh()
        elif action == "earlier":
            count = int(content.get("count") or WINDOW)
            request = content.get("request")
            self.earlier_messages(
                int(content["before"]), count, None if request is None else str(request)
            )
        elif action == "resync":
            self.resync()
        elif action == "media":
            self.send_media(str(content.get("hash") or ""))

    # -- the conversation's events -----------------------------------------------------------

    def _on_event(self, event: TurnEvent) -> None:
        if isinstance(event, ContentDelta):
            if self._json_reply:
                self._coalescer.add_json(event.message_id, event.delta)
            else:
                self._coalescer.add(event.message_id, event.delta)
        elif isinstance(event, ToolCallArgumentsDelta):
            self._coalescer.set_arguments(event.message_id, event.index, event.arguments)
        elif isinstance(event, RefusalDelta):
            self._coalescer.add(event.message_id, event.delta, "refusal")
        elif isinstance(event, ReasoningDelta):
            self._coalescer.add(event.message_id, event.delta, "reasoning")
        elif isinstance(event, TurnStarted):
            self._json_reply = _is_json_format(self._chat.params.response_format)
            self.streaming = True
            self.error = ""
            self._rebuild()
        elif isinstance(event, ToolCallStarted):
            self._coalescer.flush()
            started = {"type": "tool_call", "id": event.message_id, "index": event.index}
            self._send_custom({**started, "name": event.name})
        elif isinstance(event, ToolApprovalRequested):
            self._coalescer.flush()
            if self._chat in _DRIVEN:
                event.claim()
            self._rebuild()
            self._refresh_pending()
        elif isinstance(event, ToolCallFinished):
            self._coalescer.flush()
            self._rebuild()
            self._refresh_pending()
        elif isinstance(event, SettingsChanged):
            self.refresh()
        elif isinstance(event, (TurnFinished, TurnFailed)):
            self._coalescer.flush()
            self._coalescer.forget()
            self._rebuild()
            self.refresh()
            self._refresh_pending()
            self.streaming = False
            if isinstance(event, TurnFailed) and not isinstance(event.error, TurnStopped):
                self.error = str(event.error) or type(event.error).__name__

    def _refresh_pending(self) -> None:
        self.pending = [
            {
                "call_id": p.call_id,
                "message_id": p.message_id,
                "name": p.name,
                "arguments": json.dumps(p.arguments, indent=2, ensure_ascii=False),
            }
            for p in self._chat.pending_approvals
            if p.claimed
        ]

    # -- the durable transcript --------------------------------------------------------------

    def _rebuild(self) -> None:
        """The transcript's window from the conversation's current branch, sent as a patch of
        what changed (or whole, when nothing of the last window is kept)."""
        entries, earlier = self._transcript.window(self._base_url())
        old = self.messages_html
        with self.hold_sync():
            self.earlier = earlier
            if entries == old:
                return
            rev = self.transcript_rev + 1
            change = patch(old, entries)
            if change is None:
                self.messages_html = entries
                self.transcript_base = rev
                self.transcript_rev = rev
                return
            drop, keep = change
            self._send_custom(
                {"type": "transcript", "base": rev - 1, "rev": rev, "drop": drop, "keep": keep}
                | {"entries": entries[keep:]}
            )
            self._quiet = True
            try:
                self.messages_html = entries
                self.transcript_base = rev
            finally:
                self._quiet = False
            self.transcript_rev = rev

    # -- display -----------------------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """The widget, with the clean text transcript as ``text/plain`` (what nbconvert, nbval
        and terminals show) and the replies' provenance in the output's metadata."""
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        data, metadata = bundle
        text = turn_text(self._chat, self.start) if self.compact else transcript_text(self._chat)
        data = {**data, "text/plain": text}
        provenance = self._transcript.provenance(self._base_url())
        return data, {**metadata, "workbench": {"replies": provenance}}


def widget(chat: Conversation, **kwargs: Any) -> ConversationWidget:
    """A ``ConversationWidget`` for ``chat`` (display it, or leave it last in a cell)."""
    return ConversationWidget(chat, **kwargs)


def _user_namespace() -> dict[str, Any]:
    """The notebook's namespace (empty outside IPython)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return {}
    shell = get_ipython()
    return dict(shell.user_ns) if shell is not None else {}


def _is_model_class(value: object) -> bool:
    import pydantic

    return (
        isinstance(value, type)
        and issubclass(value, pydantic.BaseModel)
        and value is not pydantic.BaseModel
    )


def _namespace_model(name: str) -> type:
    """The pydantic model class ``name`` from the notebook's namespace."""
    value = _user_namespace().get(name)
    if not _is_model_class(value):
        raise ValueError(f"response_format: no pydantic model named {name!r} in the notebook")
    assert isinstance(value, type)
    return value


def _is_json_format(value: object) -> bool:
    """Whether replies under this ``response_format`` are JSON (shown as partial JSON)."""
    if value is None or value == "text":
        return False
    return not (isinstance(value, dict) and value.get("type") == "text")
