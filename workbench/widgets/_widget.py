"""``ConversationWidget``: a conversation as a chat app in the notebook (an anywidget).

Design:

* The transcript is ``TranscriptView``'s (``_transcript_view``): a window of the current
  branch in synced traits, sent as patches, with media on request. This adds the input, the
  parameter controls (``_controls``), tool approvals and the turns.
* Live streaming travels as custom messages that carry only what changed, coalesced by time
  (``_coalesce``: at most one message per ``FLUSH_SECONDS``, and whatever is left at the end
  of the turn).
* Every user action is a Python method (``send``, ``stop``, ``regenerate``, ``switch``,
  ``set_param``, ``refresh``); the front end calls them with custom messages
  ``{"action": "send", "text": ...}`` (``_front_end``), tests call them directly.
* A turn started from the widget runs in the background on the kernel's event loop, so the
  kernel keeps reading messages while the reply streams and a Stop click is handled at once
  (``_turn_runner``); without a running loop (a plain script, a test) ``send`` runs the turn to
  its end.
* The widget observes the conversation, so a turn started from code (``chat.send``) streams
  into every displayed widget of that conversation, and every other change from code (a
  branch switched, a turn undone, a message edited or kept, the history cleared: the
  ``history.changed`` event; a parameter, the system prompt, the tools: ``settings.changed``)
  redraws them from the conversation. The conversation never imports this.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import traitlets

from .._exceptions import WorkbenchError
from ..conversation import ToolRoundLimitError, TurnStopped
from ..conversation._history import Message
from ..conversation._text_diff import DIFF_CSS
from ..conversation._turn_events import (
    ContentDelta,
    HistoryChanged,
    ModelCallFinished,
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
from ._coalesce import Coalescer
from ._code import next_request_api, next_request_code
from ._controls import (
    API_INFO,
    CONTROLS,
    control_info,
    control_value,
    is_json_format,
    model_choices,
    response_format_menu,
    response_model_names,
)
from ._esm import STATIC, WIDGET_PIECES, join_esm
from ._front_end import dispatch
from ._render import CSS
from ._shown_errors import shown_error
from ._tool_view import LiveState
from ._transcript_view import TranscriptView
from ._transcript_window import WINDOW
from ._turn_runner import driven_by_widget, start_in_background

if TYPE_CHECKING:
    from ..conversation import Conversation

__all__ = ["ConversationWidget", "widget"]


class ConversationWidget(TranscriptView):
    """A live view of a ``Conversation``: transcript, input, Send/Stop, parameter controls.

    Args:
        chat: the conversation to show and drive.
        start: show the current branch from this message on (``%%chat`` shows one turn).
        compact: only the transcript and its footer: no controls, no input (``%%chat``).
        clock: the clock that paces streamed updates (tests pass a fake one).
        window: how many of the branch's last messages the synced transcript holds (older
            ones are shown on demand, "Show earlier messages").
        one_turn: show only the turn that begins at ``start`` (``%%chat``: its cell's turn).
    """

    _esm = join_esm(WIDGET_PIECES)
    _css = CSS + (STATIC / "widget.css").read_text(encoding="utf-8") + DIFF_CSS

    streaming = traitlets.Bool(False).tag(sync=True)
    params = traitlets.Dict().tag(sync=True)
    api = traitlets.Unicode("chat").tag(sync=True)
    api_next = traitlets.Unicode("chat").tag(sync=True)
    api_info = traitlets.Dict().tag(sync=True)
    param_info = traitlets.Dict().tag(sync=True)
    system = traitlets.Unicode("").tag(sync=True)
    tools = traitlets.List(traitlets.Dict()).tag(sync=True)
    models = traitlets.List(traitlets.Unicode()).tag(sync=True)
    response_models = traitlets.List(traitlets.Unicode()).tag(sync=True)
    pending = traitlets.List(traitlets.Dict()).tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)
    error_field = traitlets.Unicode("").tag(sync=True)
    response_format_menu = traitlets.Dict().tag(sync=True)
    usage_text = traitlets.Unicode("").tag(sync=True)
    local_badge = traitlets.Bool(False).tag(sync=True)
    input_text = traitlets.Unicode("").tag(sync=True)

    def __init__(
        self,
        chat: Conversation,
        *,
        start: int = 0,
        compact: bool = False,
        clock: Callable[[], float] = time.monotonic,
        window: int = WINDOW,
        one_turn: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            chat, start=start, compact=compact, window=window, one_turn=one_turn, **kwargs
        )
        self._coalescer = Coalescer(self._send_custom, clock)
        self._task: asyncio.Future[Any] | None = None
        self._json_reply = False
        self._failure_shown: BaseException | None = None
        self._turn_live = False  # between the turn's start and end events
        self._unsent: str | None = None
        self._transcript.live = self._live_calls
        self.param_info = control_info()
        self.api_info = API_INFO
        self._unsubscribe = chat.subscribe(self._on_event)
        self.on_msg(self._on_front_end)
        self._rebuild()
        self.refresh()

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
        self._unsent = text  # back in the box if the turn is refused before it starts
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
            self.show_error("an edited message cannot be empty: write the new text", "edit")
            return None
        chat = self._chat
        return self._start(lambda: chat.edit(index, text))

    def switch(self, index: int, branch: int) -> None:
        """Show version ``branch`` (0-based) of message ``index`` of the current branch."""
        try:
            self._chat.switch(index, branch)
        except (IndexError, WorkbenchError) as exc:
            self.show_error(*shown_error(exc))
            return
        self.clear_error()  # the conversation's history.changed event redrew every view

    def set_param(self, name: str, value: Any) -> bool:
        """Set ``chat.params.<name>``; an invalid value is refused with the validator's message
        in ``error`` and ``name`` in ``error_field`` (the parameters stay as they were).
        Returns whether it was set.

        For ``response_format``, ``{"pydantic": "Name"}`` picks the pydantic model ``Name``
        from the notebook's namespace, and ``""`` means "not set", as for every parameter.
        """
        try:
            setattr(self._chat.params, name, control_value(name, value))
        except (ValueError, TypeError, KeyError) as exc:  # InvalidParameterError: a ValueError
            self.show_error(*shown_error(exc, CONTROLS, field=name))
            self.refresh()  # the control shows the value that stayed
            return False
        self.clear_error()
        self.refresh()
        return True

    def set_api(self, value: str) -> bool:
        """Set ``chat.api`` (``chat``, ``responses`` or ``auto``); another value is refused
        beside the switch. Returns whether it was set."""
        try:
            self._chat.api = value  # type: ignore[assignment]  # checked by the setter
        except ValueError as exc:
            self.show_error(*shown_error(exc, field="api"))
            self.refresh()
            return False
        self.clear_error()
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
            self.show_error(*shown_error(exc, field="tools"))
        self.refresh()

    def decide(self, call_id: str, decision: str, value: str | None = None) -> None:
        """Decide a tool call waiting for approval: ``approve`` (``value``: the arguments as
        JSON, edited or not), ``deny``, or ``answer`` (``value``: the result the model gets)."""
        pending = {p.call_id: p for p in self._chat.pending_approvals}.get(call_id)
        if pending is None:
            self.show_error("that tool call is no longer waiting", "approval")
            self._refresh_pending()
            return
        if decision == "approve":
            arguments = pending.arguments
            if value is not None and value.strip():
                try:
                    arguments = json.loads(value)
                except ValueError as exc:
                    self.show_error(f"the arguments are not valid JSON: {exc}", "approval")
                    return
                if not isinstance(arguments, dict):
                    self.show_error("the arguments must be a JSON object", "approval")
                    return
            pending.approve(arguments)
        elif decision == "answer":
            pending.answer(value or "")
        else:
            pending.deny()
        self.clear_error()
        self.pending = [p for p in self.pending if p["call_id"] != call_id]
        self._rebuild()  # the call's status: running, denied or answered

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
        try:
            snippets = {
                flavor: next_request_code(self._chat, flavor=flavor, content=content)
                for flavor in ("workbench", "openai", "curl")
            }
        except ValueError as exc:  # a parameter the next turn's protocol refuses
            self.show_error(*shown_error(exc, CONTROLS))
            return {}
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
        self.api = chat.api
        self.api_next = next_request_api(chat)
        self.response_format_menu = response_format_menu(chat.params.response_format)
        self.system = chat.system or ""
        self.tools = [
            {"name": t.name, "description": t.description or "", "enabled": t.enabled}
            for t in chat.tools.values()
        ]
        self.local_badge = getattr(chat.client, "local_model", None) is not None
        self.usage_text = self._transcript.footer(self._base_url())

    def show_error(self, text: str, field: str = "") -> None:
        """Show ``text`` (one line) beside ``field``: a parameter's control, ``tools``,
        ``approval``, ``edit``, or ``""`` for the line above the input."""
        with self.hold_sync():
            self.error_field = field
            self.error = text

    def clear_error(self) -> None:
        """Take the error away (the next action does)."""
        self.show_error("")

    def close(self) -> None:
        """Stop observing the conversation and close the comm."""
        self._unsubscribe()
        super().close()

    # -- running turns -----------------------------------------------------------------------

    def _busy(self) -> bool:
        if self.streaming:
            self.show_error("a reply is still streaming: stop it or wait")
            return True
        self.clear_error()
        return False

    def _start(
        self,
        run: Callable[[], Message],
        arun: Callable[[], Awaitable[Message]] | None = None,
    ) -> Message | None:
        """Run a turn: to its end without an event loop; else in the background (a task on the
        kernel's loop, or a worker thread for what has no async twin) so the kernel stays free
        for Stop, the controls and other cells."""
        task = start_in_background(self._chat, run, arun, stop=self.stop, done=self._task_done)
        if task is None:
            return self._guarded(run)
        self.streaming = True  # at once: a second click does not start a second turn
        self._task = task
        return None

    def _guarded(self, run: Callable[[], Message]) -> Message | None:
        try:
            return run()
        except Exception as exc:  # shown in the widget; the turn.failed event already rebuilt
            self._turn_error(exc)
            return None

    def _task_done(self, task: asyncio.Future[Any]) -> None:
        self.streaming = False
        if task.cancelled():
            self._turn_live = False
            self._rebuild()
            return
        exc = task.exception()
        if exc is not None:
            self._turn_error(exc)

    def _turn_error(self, exc: BaseException, message: Message | None = None) -> None:
        """A turn's failure: on the message it failed when that message shows it (its ending
        mark), so never twice; else on the error line, or beside the parameter it names."""
        if self._unsent is not None:  # refused before it started: the text is not lost
            self.input_text, self._unsent = self._unsent, None
        if exc is self._failure_shown:
            return
        if message is not None and message.error:
            self._failure_shown = exc
            self.clear_error()
            return
        self.show_error(*shown_error(exc, CONTROLS))

    def _live_calls(self) -> dict[str, LiveState]:
        """While a turn runs, its last reply's tool calls: waiting for approval or running."""
        if not self._turn_live:
            return {}
        path = self._chat.history.path_view()
        k = len(path) - 1
        while k >= 0 and path[k].role == "tool":
            k -= 1
        calls = path[k].tool_calls or () if k >= 0 else ()
        waiting = {p["call_id"] for p in self.pending}  # claimed: the widget asks
        return {
            str(c.get("id")): "waiting" if str(c.get("id")) in waiting else "running" for c in calls
        }

    def _load_models(self) -> None:
        self.models = model_choices(self._chat.client)
        self.response_models = response_model_names()

    # -- the front end -----------------------------------------------------------------------

    def _on_front_end(self, _widget: Any, content: Any, _buffers: Any) -> None:
        """Dispatch a front-end action to its method."""
        dispatch(self, content)

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
            self._json_reply = is_json_format(self._chat.params.response_format)
            self._unsent = None
            self._turn_live = True
            self.streaming = True
            self.clear_error()
            self._rebuild()
        elif isinstance(event, ModelCallFinished):
            if event.message.tool_calls and event.status == "complete":
                self._coalescer.flush()  # its calls start: the transcript says what they do
                self._rebuild()
        elif isinstance(event, ToolCallStarted):
            self._coalescer.flush()
            started = {"type": "tool_call", "id": event.message_id, "index": event.index}
            self._send_custom({**started, "name": event.name})
        elif isinstance(event, ToolApprovalRequested):
            self._coalescer.flush()
            if driven_by_widget(self._chat):
                event.claim()
            self._refresh_pending()  # first: the call's status reads it
            self._rebuild()
        elif isinstance(event, ToolCallFinished):
            self._coalescer.flush()
            self._rebuild()
            self._refresh_pending()
        elif isinstance(event, SettingsChanged):
            self.refresh()
        elif isinstance(event, HistoryChanged):  # switch, undo, edit, keep, clear from code
            self._coalescer.flush()  # (mid-turn: an approved call's edited arguments)
            self._rebuild()
            self.refresh()
            self._refresh_pending()
        elif isinstance(event, (TurnFinished, TurnFailed)):
            self._coalescer.flush()
            self._coalescer.forget()
            self._turn_live = False
            self._rebuild()
            self.refresh()
            self._refresh_pending()
            self.streaming = False
            # A stop, and the tool-round limit, are marked on the message itself.
            quiet = (TurnStopped, ToolRoundLimitError)
            if isinstance(event, TurnFailed) and not isinstance(event.error, quiet):
                self._turn_error(event.error, event.message)

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


def widget(chat: Conversation, **kwargs: Any) -> ConversationWidget:
    """A ``ConversationWidget`` for ``chat`` (display it, or leave it last in a cell)."""
    return ConversationWidget(chat, **kwargs)
