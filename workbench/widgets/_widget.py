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
from .._messages import Message
from .._params import ChatParams
from .._pricing import cost_usd
from .._turn_events import (
    ContentDelta,
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
from ..conversation import TurnStopped
from ._code import next_request_code
from ._render import CSS, message_to_html, partial_json_preview
from ._text import transcript_text, turn_text

if TYPE_CHECKING:
    from ..conversation import Conversation

__all__ = ["FLUSH_SECONDS", "ConversationWidget", "widget"]

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
    text as ``"refusal"``). A reply that is JSON (a structured output) is sent instead as a
    pretty-printed partial parse of all of it so far, ``{"type": "json", "id", "text"}``; a
    tool call's arguments likewise as ``{"type": "tool_args", "id", "index", "text"}``.
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
    """

    _esm = _STATIC / "widget.js"
    _css = CSS + (_STATIC / "widget.css").read_text(encoding="utf-8")

    messages_html = traitlets.List(traitlets.Dict()).tag(sync=True)
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

    def __init__(
        self,
        chat: Conversation,
        *,
        start: int = 0,
        compact: bool = False,
        clock: Callable[[], float] = time.monotonic,
        **kwargs: Any,
    ) -> None:
        super().__init__(start=start, compact=compact, **kwargs)
        self._chat = chat
        self._coalescer = _Coalescer(self._send_custom, clock)
        self._html_cache: dict[str, tuple[Any, str]] = {}
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
        self.usage_text = _usage_text(chat.messages[self.start :], self._base_url())

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
            ids = sorted(m.id for m in self._chat.client.models.list())
        except Exception:  # a server without /models: the model box stays free text
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
            if index < self.start:
                continue
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
            if message.role == "assistant":  # its text is fetched when copied: never sent twice
                entry["meta"] = _meta(message, self._base_url())
            else:
                entry["text"] = message.text
            entries.append(entry)
        self.messages_html = entries

    def _html(self, message: Message, results: dict[str, Message]) -> str:
        """``message_to_html``, cached while the message and its tool results are unchanged."""
        answers = tuple(
            (r.id, r.text, r.error, r.latency)
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
        text = turn_text(self._chat, self.start) if self.compact else transcript_text(self._chat)
        data = {**data, "text/plain": text}
        provenance = [{"id": e["id"], **e["meta"]} for e in self.messages_html if "meta" in e]
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


def _meta(message: Message, base_url: str | None) -> dict[str, Any]:
    """Provenance of a reply: model, parameters, request id, usage, cost, latency."""
    return {
        "cost_usd": cost_usd(message.model, message.usage, base_url),
        "model": message.model,
        "params": message.params,
        "request_id": message.request_id,
        "usage": message.usage.model_dump(mode="json", exclude_none=True)
        if message.usage is not None
        else None,
        "latency": message.latency.model_dump() if message.latency is not None else None,
    }


def _usage_text(path: list[Message], base_url: str | None = None) -> str:
    """The footer: tokens (and cost, where known) of the last reply and of the branch, and the
    last reply's timing."""
    replies = [m for m in path if m.role == "assistant"]
    if not replies:
        return ""
    used = [m for m in replies if m.usage is not None]
    costs = [cost_usd(m.model, m.usage, base_url) for m in used]
    parts = []
    last = replies[-1]
    if last.usage is not None:
        u = last.usage
        details = [f"prompt {u.prompt_tokens}", f"completion {u.completion_tokens}"]
        reasoning = getattr(u.completion_tokens_details, "reasoning_tokens", None)
        if reasoning:
            details.append(f"reasoning {reasoning}")
        cached = getattr(u.prompt_tokens_details, "cached_tokens", None)
        if cached:
            details.append(f"cached {cached}")
        text = f"last reply: {u.total_tokens} tokens ({', '.join(details)})"
        if costs[-1] is not None:
            text += f", {_dollars(costs[-1])}"
        parts.append(text)
    if used:
        total = sum(m.usage.total_tokens for m in used if m.usage is not None)
        text = f"conversation: {total} tokens"
        known = [c for c in costs if c is not None]
        if known:
            some_unknown = len(known) < len(costs)
            text += f", {_dollars(sum(known))}{'+ (some prices unknown)' if some_unknown else ''}"
        parts.append(text)
    if last.latency is not None and last.latency.total is not None:
        timing = f"{last.latency.total:.2f} s"
        if last.latency.first_token is not None:
            timing += f", first token {last.latency.first_token:.2f} s"
        parts.append(timing)
    return " · ".join(parts)


def _dollars(amount: float) -> str:
    """``$0.000435``: four significant digits, however small."""
    return f"${amount:.4g}" if amount < 1 else f"${amount:,.2f}"
