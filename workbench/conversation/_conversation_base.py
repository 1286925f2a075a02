"""``ConversationBase``: a conversation's state and its turn, under ``Conversation``.

It holds the history, the parameters, the tools, the observers and the log writer, and runs
turns (``send``/``asend``): a ``Turn`` (``_turn``, no I/O) driven by ``_drive``. The public
class, ``Conversation`` (``_conversation``), adds branches and the tables and files a
conversation is written to and read from. Nothing here imports a UI: widgets, magics and
grids observe the events and call the methods.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from .. import _views
from .._exceptions import WorkbenchError
from ..client._async_twin import async_twin, has_own_pool
from ..client._chat_client import AsyncChatClient, ChatClient, is_async_client
from ..client._client import AsyncClient, Client
from ..media import user_content
from ..protocol._validate import check_content
from ._drive import adrive, drive
from ._history import History, Message, PathWatch
from ._log import ConversationLog, default_log_path
from ._log_writer import LogWriter
from ._params import ChatParams
from ._protocol_choice import Api, check_api, choose_api
from ._responses_mapping import check_responses_params, responses_content
from ._tools import as_tool, run_sync, tool_from_function
from ._turn import Turn
from ._turn_events import (
    HistoryChanged,
    SettingsChanged,
    ToolApprovalRequested,
    TurnEvent,
    TurnStarted,
)

__all__ = ["Content", "ConversationBase", "checked_user_content", "open_log"]

log = logging.getLogger("workbench")

Observer = Callable[[TurnEvent], None]
Content = str | Sequence[str | Mapping[str, Any]] | Mapping[str, Any]
"""A user turn: text, or text and content parts (``workbench.image``, ``audio``, ``file``)."""
Approval = Callable[[str, dict[str, Any]], bool]


class ConversationBase:
    """A conversation's history, parameters, tools and observers, and its turn (the arguments
    are described at ``Conversation``)."""

    _log_meta: Mapping[str, Any] = MappingProxyType({})
    """What the log keeps beside the settings in the conversation's ``meta`` (a grid cell's
    conversation names its grid's version and its cell)."""

    def __init__(
        self,
        model: str | None = None,
        system: str | None = None,
        client: ChatClient | AsyncChatClient | None = None,
        tools: Iterable[Any] = (),
        *,
        max_tool_rounds: int = 8,
        confirm_tools: bool | Approval = False,
        log: str | Path | bool | None = None,
        api: Api = "auto",
        **params: Any,
    ) -> None:

        if client is None:
            client = Client()
        self.client: ChatClient | AsyncChatClient = client
        self._api: Api = check_api(api)
        if model is None:
            model = "workbench-local" if getattr(client, "local_model", None) else "gpt-4o-mini"
        self._observers: list[Observer] = []
        self._unwatch: Callable[[], None] | None = None
        self.params = ChatParams(model=model, **params)
        self._system = system
        self.tools = {tool.name: tool for tool in map(as_tool, tools)}
        self.max_tool_rounds = max_tool_rounds
        self.confirm_tools = confirm_tools
        self._announcing = False
        self.history = History()
        self._pending: dict[str, ToolApprovalRequested] = {}
        self._running: Turn | None = None
        self._async_client: AsyncClient | None = None
        self._async_for: Client | None = None
        self._snapshot: dict[str, Any] = {}
        self.id = f"conv_{uuid.uuid4().hex[:16]}"
        # The branch's sendable messages as the API takes them, kept up to date as it grows.
        self._watch: PathWatch | None = None
        self._sent: list[dict[str, Any]] = []
        self._sent_upto: list[int] = []  # per position of the path: how many are sendable
        self._log_writer: LogWriter | None = None
        self._attach_log(open_log(log, client))
        if self._log_writer is not None:
            self._log_writer.save_conversation()

    # -- settings ----------------------------------------------------------------------------

    @property
    def params(self) -> ChatParams:
        """The request parameters, validated on assignment; observers hear of every change."""
        return self._params

    @params.setter
    def params(self, value: ChatParams) -> None:

        if not isinstance(value, ChatParams):
            raise TypeError(f"params must be a ChatParams, not {type(value).__name__}")
        if self._unwatch is not None:
            self._unwatch()
        self._params = value
        self._unwatch = value.watch(lambda name: self._emit(SettingsChanged(name)))
        self._emit(SettingsChanged("params"))

    @property
    def api(self) -> Api:
        """The protocol that carries each turn: ``chat``, ``responses`` or ``auto``."""
        return self._api

    @api.setter
    def api(self, value: Api) -> None:
        self._api = check_api(value)
        self._emit(SettingsChanged("api"))

    @property
    def system(self) -> str | None:
        """The system prompt, sent first in every request (``None``: none)."""
        return self._system

    @system.setter
    def system(self, value: str | None) -> None:
        if value is not None and not isinstance(value, str):
            raise TypeError(f"system must be a string or None, not {type(value).__name__}")
        self._system = value or None
        self._emit(SettingsChanged("system"))

    def enable_tool(self, name: str, enabled: bool = True) -> None:
        """Offer tool ``name`` to the model (or, with ``enabled=False``, stop offering it)."""
        if name not in self.tools:
            known = ", ".join(self.tools) or "none"
            raise KeyError(f"no tool {name!r}; registered: {known}")
        self.tools[name].enabled = bool(enabled)
        self._emit(SettingsChanged("tools"))

    # -- the history -------------------------------------------------------------------------

    @property
    def history(self) -> History:
        """Every message as a tree of versions (``History``); the current branch is ``messages``.

        A message of it may be changed in place from code, by assignment
        (``chat[-1].content = "..."``; after changing nested data, ``chat.history.touch(id)``):
        the change is kept as it is (no new version, unlike ``edit``, which keeps the old
        message as a branch and asks again), written to the log, and every open view shows it
        at once (a ``HistoryChanged`` event). Correcting a reply by hand is an ordinary thing
        to do in a notebook, so it is allowed rather than refused; a view that went on showing
        the old text would be showing a state the conversation no longer has. During a turn the
        turn's own events redraw the views.
        """
        return self._history

    @history.setter
    def history(self, value: History) -> None:
        self._history = value
        value.on_edit = self._edited_in_place

    def _edited_in_place(self) -> None:
        """A message of the history changed in place: tell the views, unless a turn is running
        (its events redraw them) or they are being told already (a view that sets a field)."""
        if self._running is not None or self._announcing:
            return
        self._announcing = True
        try:
            self._emit(HistoryChanged())
        finally:
            self._announcing = False

    # -- display -----------------------------------------------------------------------------

    def widget(self, **kwargs: Any) -> Any:
        """A live view of this conversation (``workbench.widgets.ConversationWidget``)."""
        factory = _views.lookup("conversation")
        if factory is None:
            raise WorkbenchError("no view is registered: import workbench.widgets")
        return factory(self, **kwargs)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """In Jupyter, ``chat`` as a cell's last line shows its widget (with a text transcript
        for front ends that cannot draw widgets)."""
        if _views.lookup("conversation") is None:
            return None
        return self.widget()._repr_mimebundle_(**kwargs)

    # -- reading ---------------------------------------------------------------------------

    @property
    def messages(self) -> list[Message]:
        """The current branch of the conversation."""
        return self.history.path()

    def __len__(self) -> int:
        return len(self.history.path_view())

    def __getitem__(self, index: int) -> Message:
        return self.history.path_view()[index]

    def __repr__(self) -> str:
        return f"Conversation(model={self.params.model!r}, messages={len(self)})"

    def to_messages(self) -> list[dict[str, Any]]:
        """What the model sees next: the system prompt and the sendable messages of the branch."""
        out: list[dict[str, Any]] = []
        if self.system:
            out.append({"role": "system", "content": self.system})
        out.extend(dict(m) for m in self._sendable())
        return out

    def _request_messages(self) -> list[dict[str, Any]]:
        """``to_messages()`` for a request: the dicts are shared with the cache, not copied."""
        sendable = self._sendable()
        if self.system:
            return [{"role": "system", "content": self.system}, *sendable]
        return list(sendable)

    def _sendable(self) -> list[dict[str, Any]]:
        """The sendable messages of the branch as the API takes them (read, do not change).

        Kept between turns: only the messages added or changed since the last call (the history
        says from which position, ``History.watch``) are converted again, so a turn's cost does
        not grow with the conversation.
        """
        history = self.history
        watch = self._watch
        if watch is None or watch.history is not history:
            watch = self._watch = history.watch()
            self._sent, self._sent_upto = [], []
        start = watch.take()
        upto, sent = self._sent_upto, self._sent
        del upto[start:]
        del sent[upto[-1] if upto else 0 :]
        for message in history.path_view()[start:]:
            if message.sendable:
                sent.append(message.to_param())
            upto.append(len(sent))
        return sent

    # -- observers and tools -----------------------------------------------------------------

    def subscribe(self, observer: Observer) -> Callable[[], None]:
        """Call ``observer(event)`` for every event; returns a function that unsubscribes."""
        self._observers.append(observer)
        return lambda: self._observers.remove(observer) if observer in self._observers else None

    def _emit(self, event: TurnEvent) -> None:
        for observer in self._observers:
            try:
                observer(event)
            except Exception:  # a broken view must not break the turn (Ctrl-C still does)
                log.exception("workbench: an observer of the conversation failed on %s", event.type)

    def tool(self, function: Any = None, **options: Any) -> Any:
        """Register a function as a tool; use bare (``@chat.tool``) or with options."""

        def register(fn: Any) -> Any:
            tool = tool_from_function(fn, **options)
            self.tools[tool.name] = tool
            self._emit(SettingsChanged("tools"))
            return fn

        return register(function) if function is not None else register

    def stop(self) -> None:
        """Stop the running turn; its partial reply is kept, marked ``incomplete``. A tool call
        waiting for approval is denied."""
        running = self._running
        if running is not None:
            running.stop()
        for pending in list(self._pending.values()):
            pending.deny("the turn was stopped")

    @property
    def pending_approvals(self) -> list[ToolApprovalRequested]:
        """Tool calls waiting for the user's decision (with ``confirm_tools=True``)."""
        return list(self._pending.values())

    # -- sending ---------------------------------------------------------------------------

    def send(self, content: Content, *, stream: bool = True, **overrides: Any) -> Message:
        """Send a user turn and return the reply (after any tool rounds).

        ``content`` is a string, or a list of strings and content parts
        (``["What is in this picture?", workbench.image("cat.png")]``); the parts are checked
        (formats, the API's size limits) before anything is sent or added to the history.

        With an ``AsyncClient`` the turn runs on it to completion (in a worker thread when an
        event loop is already running, as in a notebook).

        ``overrides`` change parameters for this turn only; they are validated before sending.
        A ``tool_choice`` that forces a call (``"required"``, a named function) applies to the
        turn's first model call; after the tools ran, the model chooses (``auto``), or it could
        only ever call tools.

        A reply the server ends without a ``finish_reason`` is kept, marked ``incomplete`` with
        the reason in ``error`` (its tool calls, possibly cut, are not run).
        """
        return self._turn(self._started(content, overrides), stream)

    async def asend(self, content: Content, *, stream: bool = True, **overrides: Any) -> Message:
        """The async twin of ``send`` (tool calls of one round run concurrently)."""
        return await self._aturn(self._started(content, overrides), stream)

    def _started(self, content: Content, overrides: dict[str, Any]) -> dict[str, Any]:
        """Check a user turn, add it to the branch and announce it; the request to answer it
        with (nothing is added when the content or a parameter is refused)."""
        content = checked_user_content(content)
        request = self._request(overrides, content)
        user = self.history.append(Message(role="user", content=content))
        self._emit(TurnStarted(user))
        return request

    def _request(self, overrides: dict[str, Any], content: Any = None) -> dict[str, Any]:
        """The request keywords for a turn: validated parameters, overrides and the tools; under
        the Responses API, also the new user ``content``'s parts are checked to have an
        equivalent there (refused before anything is added or sent)."""
        request = self.params.to_request(**overrides)
        self._snapshot = self.params.merged(**overrides).snapshot()
        tools = [tool.to_param() for tool in self.tools.values() if tool.enabled]
        if tools and "tools" not in request:
            request["tools"] = tools
        if self._api_for(request) == "responses":
            check_responses_params(request)  # refused before anything is added or sent
            responses_content(content)
        return request

    def _api_for(self, request: dict[str, Any]) -> Literal["chat", "responses"]:
        """The protocol of the next model call (``api``; ``auto`` decides per client and
        model, ``_protocol_choice``)."""
        return choose_api(self._api, self.client, request.get("model"), request)

    def _turn(self, request: dict[str, Any], stream: bool) -> Message:
        """Run a turn with the sync client (``workbench.conversation._turn``, driven by
        ``_drive.drive``)."""
        client = self.client
        if is_async_client(client):  # the turn on the async client, to completion
            return run_sync(lambda: self._aturn(request, stream))
        turn = self._running = Turn(self, request, stream)
        try:
            return drive(turn, client)
        finally:
            self._running = None

    async def _aturn(self, request: dict[str, Any], stream: bool) -> Message:
        client = self._aclient()
        if client is None:  # a sync client with no async twin: its turn in a thread
            return await asyncio.to_thread(self._turn, request, stream)
        turn = self._running = Turn(self, request, stream)
        try:
            return await adrive(turn, client)
        finally:
            self._running = None

    def _can_stream(self, request: dict[str, Any]) -> bool:
        """Whether the server can stream this call's reply (its profile: llama-cpp-python's
        server sends an empty body for a streamed reply that may call a tool); when it cannot,
        the reply is asked for whole, said once per client."""
        client = self.client
        if not isinstance(client, (Client, AsyncClient)) or client.profile.streams(request):
            return True
        profile = client.profile
        client._note(
            "stream:tool_choice",
            f"{profile.server} cannot stream a reply that may call a tool: such replies are"
            " asked for whole (the text appears when it is complete).",
        )
        return False

    def _aclient(self) -> AsyncChatClient | None:
        """The async client for ``asend``: the client itself when it is async; for a sync
        ``Client``, an ``AsyncClient`` with the same settings (made once per client); None when
        the sync client has no async twin (an ``http_client`` of its own, another package's)."""

        client = self.client
        if is_async_client(client):
            return client
        if not isinstance(client, Client):
            return None
        if self._async_client is None or self._async_for is not client:
            if not has_own_pool(client) and client.local_model is None:
                return None
            self._async_client = async_twin(client)
            self._async_for = client
        return self._async_client

    def close(self) -> None:
        """Close the log and the async twin of the client (the client itself stays open)."""
        twin, self._async_client = self._async_client, None
        if twin is not None:
            run_sync(twin.close)
        if self._log_writer is not None:
            self._log_writer.close()

    async def aclose(self) -> None:
        """Close the log and the async twin of the client, from async code."""
        twin, self._async_client = self._async_client, None
        if twin is not None:
            await twin.close()
        if self._log_writer is not None:
            self._log_writer.close()

    # -- the log -----------------------------------------------------------------------------

    def _attach_log(self, db: ConversationLog | None) -> None:
        """Write this conversation to ``db`` from now on (None: no log), through a ``LogWriter``
        that observes its events."""

        if self._log_writer is not None:
            self._log_writer.detach()
        self._log_writer = LogWriter(self, db) if db is not None else None

    @property
    def _log(self) -> ConversationLog | None:
        """The log being written to (None when it is off or failed)."""
        writer = self._log_writer
        return writer.db if writer is not None else None


def checked_user_content(content: Content) -> str | list[dict[str, Any]]:
    """A user turn's content as the API takes it, checked before it is sent or kept."""

    normalized = user_content(content)
    check_content("user", normalized)
    return normalized


def open_log(log: str | Path | bool | None, client: object) -> ConversationLog | None:
    """The conversation log to write to, or None when it is off."""
    if log is False:
        return None

    db = ConversationLog(default_log_path() if log in (None, True) else Path(str(log)))
    db.add_secret(getattr(client, "api_key", None))
    return db
