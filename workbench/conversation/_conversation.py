"""``Conversation``: a history of messages, a turn engine with tools, branches, and events.

Nothing here imports a UI: widgets, magics and grids observe the events and call the methods.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .. import _views
from .._exceptions import WorkbenchError
from ._drive import adrive, drive
from ._history import History, Message, PathWatch
from ._reply import TurnStopped
from ._turn import ToolRoundLimitError, Turn
from ._turn_events import (
    HistoryChanged,
    SettingsChanged,
    ToolApprovalRequested,
    TurnEvent,
    TurnStarted,
)

if TYPE_CHECKING:
    import pandas as pd  # type: ignore[import-untyped]

    from ..export import Transcript
    from ._log import ConversationLog
    from ._log_writer import LogWriter
    from ._params import ChatParams

__all__ = ["Conversation", "ToolRoundLimitError", "TurnStopped", "conversations"]

log = logging.getLogger("workbench")

Observer = Callable[[TurnEvent], None]
Content = str | Sequence[str | Mapping[str, Any]] | Mapping[str, Any]
"""A user turn: text, or text and content parts (``workbench.image``, ``audio``, ``file``)."""
Approval = Callable[[str, dict[str, Any]], bool]
View = Callable[..., Any]


def set_view_factory(factory: View | None) -> None:
    """Register what ``Conversation.widget()`` builds (the package root registers the widgets'
    view; the conversation itself knows no UI)."""
    _views.register("conversation", factory)


class Conversation:
    """A chat kept across notebook cells: history, parameters, tools, branches, and events.

    Args:
        model: the model to talk to (default: the local model's, or ``gpt-4o-mini``).
        system: a system prompt, sent first in every request.
        client: a ``workbench.Client`` (default: ``Client()``, the local model when offline).
        tools: Python functions (or ``pydantic_function_tool`` / tool dicts) the model may call.
        max_tool_rounds: how many rounds of tool calls one turn may take (default 8).
        log: where every message and exchange is written as it completes (a SQLite file):
            by default ``WORKBENCH_LOG`` or the user's data directory; ``False`` turns it off.
        confirm_tools: ``True`` to ask before running a tool, or a callable
            ``(name, arguments) -> bool``; a refused call is never run.
        **params: request parameters (temperature, response_format, ...), validated at once.
    """

    def __init__(
        self,
        model: str | None = None,
        system: str | None = None,
        client: Any = None,
        tools: Iterable[Any] = (),
        *,
        max_tool_rounds: int = 8,
        confirm_tools: bool | Approval = False,
        log: str | Path | bool | None = None,
        **params: Any,
    ) -> None:
        from ._params import ChatParams
        from ._tools import as_tool

        if client is None:
            from ..client._client import Client

            client = Client()
        self.client = client
        if model is None:
            model = "workbench-local" if getattr(client, "local_model", None) else "gpt-4o-mini"
        self._observers: list[Observer] = []
        self._unwatch: Callable[[], None] | None = None
        self.params = ChatParams(model=model, **params)
        self._system = system
        self.tools = {tool.name: tool for tool in map(as_tool, tools)}
        self.max_tool_rounds = max_tool_rounds
        self.confirm_tools = confirm_tools
        self.history = History()
        self._pending: dict[str, ToolApprovalRequested] = {}
        self._running: Turn | None = None
        self._async_client: Any = None
        self._async_for: Any = None
        self._snapshot: dict[str, Any] = {}
        self.id = f"conv_{uuid.uuid4().hex[:16]}"
        # The branch's sendable messages as the API takes them, kept up to date as it grows.
        self._watch: PathWatch | None = None
        self._sent: list[dict[str, Any]] = []
        self._sent_upto: list[int] = []  # per position of the path: how many are sendable
        self._log_writer: LogWriter | None = None
        self._attach_log(_open_log(log, client))
        if self._log_writer is not None:
            self._log_writer.save_conversation()

    # -- settings ----------------------------------------------------------------------------

    @property
    def params(self) -> ChatParams:
        """The request parameters, validated on assignment; observers hear of every change."""
        return self._params

    @params.setter
    def params(self, value: ChatParams) -> None:
        from ._params import ChatParams

        if not isinstance(value, ChatParams):
            raise TypeError(f"params must be a ChatParams, not {type(value).__name__}")
        if self._unwatch is not None:
            self._unwatch()
        self._params = value
        self._unwatch = value.watch(lambda name: self._emit(SettingsChanged(name)))
        self._emit(SettingsChanged("params"))

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
        from ._tools import tool_from_function

        def register(fn: Any) -> Any:
            tool = tool_from_function(fn, **options)
            self.tools[tool.name] = tool
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

        With an ``AsyncClient`` this runs ``asend`` to completion (in a worker thread when an
        event loop is already running, as in a notebook).

        ``overrides`` change parameters for this turn only; they are validated before sending.
        A ``tool_choice`` that forces a call (``"required"``, a named function) applies to the
        turn's first model call; after the tools ran, the model chooses (``auto``), or it could
        only ever call tools.

        A reply the server ends without a ``finish_reason`` is kept, marked ``incomplete`` with
        the reason in ``error`` (its tool calls, possibly cut, are not run).
        """
        from ..client._client import AsyncClient

        if isinstance(self.client, AsyncClient):
            from ._tools import run_sync

            return run_sync(lambda: self.asend(content, stream=stream, **overrides))
        content = _user_content(content)
        request = self._request(overrides)
        user = self.history.append(Message(role="user", content=content))
        self._emit(TurnStarted(user))
        return self._turn(request, stream)

    async def asend(self, content: Content, *, stream: bool = True, **overrides: Any) -> Message:
        """The async twin of ``send`` (tool calls of one round run concurrently)."""
        if self._aclient() is None:  # a sync client with its own transport: send in a thread
            return await asyncio.to_thread(self.send, content, stream=stream, **overrides)
        content = _user_content(content)
        request = self._request(overrides)
        user = self.history.append(Message(role="user", content=content))
        self._emit(TurnStarted(user))
        return await self._aturn(request, stream)

    def _request(self, overrides: dict[str, Any]) -> dict[str, Any]:
        """The request keywords for a turn: validated parameters, overrides and the tools."""
        request = self.params.to_request(**overrides)
        self._snapshot = self.params.merged(**overrides).snapshot()
        tools = [tool.to_param() for tool in self.tools.values() if tool.enabled]
        if tools and "tools" not in request:
            request["tools"] = tools
        return request

    def _turn(self, request: dict[str, Any], stream: bool) -> Message:
        """Run a turn with the sync client (``workbench.conversation._turn``, driven by
        ``_drive.drive``)."""
        turn = self._running = Turn(self, request, stream)
        try:
            return drive(turn, self.client)
        finally:
            self._running = None

    async def _aturn(self, request: dict[str, Any], stream: bool) -> Message:
        turn = self._running = Turn(self, request, stream)
        try:
            return await adrive(turn, self._aclient())
        finally:
            self._running = None

    def _can_stream(self, request: dict[str, Any]) -> bool:
        """Whether the server can stream this call's reply (its profile: llama-cpp-python's
        server sends an empty body for a streamed reply that may call a tool); when it cannot,
        the reply is asked for whole, said once per client."""
        profile = getattr(self.client, "profile", None)
        if profile is None or profile.streams(request):
            return True
        self.client._note(
            "stream:tool_choice",
            f"{profile.server} cannot stream a reply that may call a tool: such replies are"
            " asked for whole (the text appears when it is complete).",
        )
        return False

    def _aclient(self) -> Any:
        """The async client for ``asend``: the client itself when it is async; for a sync
        ``Client``, an ``AsyncClient`` with the same settings (made once per client); None when
        the sync client sends through an ``http_client`` of its own, which has no async twin."""
        from ..client._client import AsyncClient, Client

        client = self.client
        if not isinstance(client, Client):
            return client
        if self._async_client is None or self._async_for is not client:
            if not client._owns_client and client.local_model is None:
                return None
            self._async_client = AsyncClient(**client._copy_kwargs())
            self._async_for = client
        return self._async_client

    def close(self) -> None:
        """Close the log and the async twin of the client (the client itself stays open)."""
        twin, self._async_client = self._async_client, None
        if twin is not None:
            from ._tools import run_sync

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

    # -- branches ----------------------------------------------------------------------------

    def _at(self, index: int) -> Message:
        path = self.history.path_view()
        try:
            return path[index]
        except IndexError:
            raise IndexError(f"no message {index}: the conversation has {len(path)}") from None

    def edit(
        self,
        index: int,
        content: Content,
        *,
        send: bool = True,
        **overrides: Any,
    ) -> Message:
        """Replace user message ``index`` with ``content`` (the old one stays as a branch) and,
        by default, ask for a new reply."""
        content = _user_content(content)
        old = self._at(index)
        if old.role != "user":
            raise WorkbenchError(
                f"message {index} is a {old.role} message; only user messages can be edited"
            )
        request = self._request(overrides)
        new = self.history.add(Message(role="user", content=content, parent_id=old.parent_id))
        if not send:
            self._emit(HistoryChanged())
            return new
        self._emit(TurnStarted(new))
        return self._turn(request, stream=True)

    def regenerate(self, *, stream: bool = True, **overrides: Any) -> Message:
        """Ask again from the last user message; the previous reply stays as a branch."""
        request = self._request(overrides)
        path = self.history.path_view()
        last = _last_user(path)
        if last is None:
            raise WorkbenchError("there is no user message to regenerate from")
        user = path[last]
        self.history.cut_after(user.id)
        self._emit(TurnStarted(user))
        return self._turn(request, stream)

    def branches(self, index: int) -> list[Message]:
        """The versions of message ``index`` (siblings, oldest first), the current one included."""
        return self.history.siblings(self._at(index))

    def switch(self, index: int, branch: int) -> None:
        """Make version ``branch`` of message ``index`` current (as in "< 2/3 >")."""
        versions = self.branches(index)
        if not -len(versions) <= branch < len(versions):
            raise IndexError(f"message {index} has {len(versions)} versions, not {branch + 1}")
        self.history.select(versions[branch].id)
        self._emit(HistoryChanged())

    def undo(self) -> list[Message]:
        """Drop the last turn (the last user message and its replies) from the branch; it is
        kept as a branch and returned."""
        path = self.history.path()
        start = _last_user(path)
        if start is None:
            return []
        self.history.cut_after(path[start].parent_id)
        self._emit(HistoryChanged())
        return path[start:]

    def fork(self, at: int | None = None) -> Conversation:
        """A new conversation sharing this one's branch up to message ``at`` (default: all)."""
        twin = Conversation.__new__(Conversation)
        twin.__dict__.update(self.__dict__)
        twin._observers = []
        twin._unwatch = None
        twin._pending = {}
        twin._running = None
        twin.params = self.params.merged()
        twin.tools = dict(self.tools)
        twin.history = self.history.copy_path(len(self) if at is None else at + 1)
        twin.id = f"conv_{uuid.uuid4().hex[:16]}"
        twin._watch = None
        twin._log_writer = None
        twin._attach_log(self._log)  # the same log, under the twin's id
        if twin._log_writer is not None:
            twin._log_writer.save_conversation()
            twin._log_writer.sync()
        return twin

    def keep(self, index: int) -> None:
        """Send an incomplete message to the model again from now on."""
        self._at(index).kept = True
        self._emit(HistoryChanged())

    # -- the log -----------------------------------------------------------------------------

    def _attach_log(self, db: ConversationLog | None) -> None:
        """Write this conversation to ``db`` from now on (None: no log), through a ``LogWriter``
        that observes its events."""
        from ._log_writer import LogWriter

        if self._log_writer is not None:
            self._log_writer.detach()
        self._log_writer = LogWriter(self, db) if db is not None else None

    @property
    def _log(self) -> ConversationLog | None:
        """The log being written to (None when it is off or failed)."""
        writer = self._log_writer
        return writer.db if writer is not None else None

    @classmethod
    def load(
        cls, conversation_id: str, *, client: Any = None, log: str | Path | None = None
    ) -> Conversation:
        """Bring a conversation back from the log, branches included (e.g. after a restart).

        Tools are not stored: register them again with ``tools=`` or ``@chat.tool``.
        """
        from ._log import ConversationLog, default_log_path

        with ConversationLog(log or default_log_path()) as db:
            saved = db.load(conversation_id)
        params = dict(saved.meta.get("params") or {})
        params.pop("model", None)
        chat = cls(
            model=saved.model,
            system=saved.system,
            client=client,
            log=False,
            max_tool_rounds=int(saved.meta.get("max_tool_rounds", 8)),
            **params,
        )
        chat.id = conversation_id
        chat.history = saved.history()
        chat.history.take_changes()  # all of it is in the log already
        chat._attach_log(_open_log(log if log is not None else True, chat.client))
        return chat

    # -- export ------------------------------------------------------------------------------

    def to_dataframe(self, *, branches: bool = False) -> pd.DataFrame:
        """The messages as a DataFrame, one row each: the current branch, or every branch with
        ``branches=True`` (the columns are described at ``workbench.to_dataframe``)."""
        from ..export import to_dataframe

        return to_dataframe(self, branches=branches)

    def usage_dataframe(self, *, branches: bool = True) -> pd.DataFrame:
        """One row per request (each reply, regenerated ones included unless ``branches=False``):
        model, tokens, cost, latency, request id and status (``workbench.usage_dataframe``)."""
        from ..export import usage_dataframe

        return usage_dataframe(self, branches=branches)

    def to_jsonl(
        self,
        path: str | Path,
        *,
        append: bool = False,
        media: Literal["embed", "reference", "drop"] = "reference",
    ) -> None:
        """Write the conversation as one line of OpenAI's chat fine-tuning JSONL.

        The line holds ``messages`` (the system prompt and the current branch as the model
        would see it: tool calls and tool results in the API's shape, incomplete replies left
        out), ``tools`` (the enabled tools' declarations) and ``parallel_tool_calls`` when it
        is set. No API key is written.

        Args:
            path: the file, replaced whole (written to a temporary file, then moved) by one
                only its owner may read (0600), as the log is.
            append: add the line to the end of the file instead (it keeps its mode), to
                gather several conversations into one training file.
            media: what becomes of inline images, recordings and PDFs: ``"reference"`` writes
                each once to ``<stem>.media/<sha256>.<ext>`` beside the file and refers to it
                (``from_jsonl`` puts the very data back; keep the folder with the file);
                ``"embed"`` keeps them inline, base64, as sent (a file the API takes as it
                is); ``"drop"`` puts a text part describing each in its place.
        """
        from ..export import write_jsonl

        write_jsonl(path, [self], append=append, media=media)

    def to_parquet(
        self, path: str | Path, *, media: Literal["embed", "reference", "drop"] = "embed"
    ) -> None:
        """Write every message (all branches) and the conversation's settings to a Parquet
        file, replaced whole by one only its owner may read (0600); ``Conversation.from_parquet``
        reads it back. Needs pyarrow.

        Args:
            media: ``"embed"`` keeps the bytes of each image, recording or PDF once in the
                file (however many messages carry it); ``"reference"`` and ``"drop"`` as for
                ``to_jsonl``.
        """
        from ..export import write_parquet

        write_parquet(path, self, media=media)

    @classmethod
    def from_dataframe(
        cls,
        df: pd.DataFrame,
        *,
        conversation_id: str | None = None,
        client: Any = None,
        tools: Iterable[Any] = (),
        log: str | Path | bool | None = None,
    ) -> Conversation:
        """A live conversation from a table written by ``to_dataframe`` (or by hand).

        A table of ``to_dataframe(branches=True)`` comes back whole: ids, the tree of branches
        and the current one, each message's parameters, usage, latency and status. Only
        ``role`` and ``content`` are required; without ``parent_id`` the rows are one branch
        in order. The conversation's parameters are those of its last reply. Inline images
        and audio, which tables never hold, stay references.

        Args:
            df: the table; one conversation, or pick one with ``conversation_id``.
            client: the client to continue with (default: ``Client()``).
            tools: tools to register (their functions run; declarations alone are not kept
                in a table).
            log: as for ``Conversation()``; the conversation keeps its id in the log.

        Raises:
            TranscriptError: a ``ValueError`` naming the row and column at fault; nothing is
                imported.
        """
        from ..export import read_frame

        transcript = read_frame(df, conversation_id=conversation_id)
        return cls._from_transcript(transcript, client=client, tools=tools, log=log)

    @classmethod
    def from_jsonl(
        cls,
        path: str | Path,
        *,
        model: str | None = None,
        client: Any = None,
        tools: Iterable[Any] = (),
        log: str | Path | bool | None = None,
    ) -> list[Conversation]:
        """One conversation per line of a chat fine-tuning JSONL file (``to_jsonl``'s format).

        A leading system message becomes the system prompt; declared ``tools`` are kept as
        declarations (pass ``tools=`` to give them functions); ``weight`` is read and dropped.
        Media references (``to_jsonl(media="reference")``) are read from ``<stem>.media/``.

        Raises:
            TranscriptError: a ``ValueError`` naming the line and field at fault (for media,
                the hash and the missing or altered file); nothing is imported.
        """
        from ..export import read_jsonl

        transcripts = read_jsonl(path)
        if client is None and transcripts:
            from ..client._client import Client

            client = Client()
        tools = list(tools)
        return [
            cls._from_transcript(t, client=client, tools=tools, log=log, model=model)
            for t in transcripts
        ]

    @classmethod
    def from_parquet(
        cls,
        path: str | Path,
        *,
        conversation_id: str | None = None,
        client: Any = None,
        tools: Iterable[Any] = (),
        log: str | Path | bool | None = None,
    ) -> Conversation:
        """The conversation ``to_parquet`` wrote, settings and tool declarations included (any
        Parquet file of a ``to_dataframe`` table is read as by ``from_dataframe``)."""
        from ..export import read_parquet

        transcript = read_parquet(path, conversation_id=conversation_id)
        return cls._from_transcript(transcript, client=client, tools=tools, log=log)

    @classmethod
    def from_stored(
        cls,
        client: Any,
        completion_id: str,
        *,
        tools: Iterable[Any] = (),
        log: str | Path | bool | None = None,
    ) -> Conversation:
        """Reopen a stored completion (one made with ``store=True``) as a live conversation:
        its request messages (``messages.list``) and its reply, with the model, usage and the
        parameters the server reports; ``client`` continues it."""
        from ..export import read_stored

        transcript = read_stored(client, completion_id)
        return cls._from_transcript(transcript, client=client, tools=tools, log=log)

    @classmethod
    def _from_transcript(
        cls,
        transcript: Transcript,
        *,
        client: Any,
        tools: Iterable[Any],
        log: str | Path | bool | None,
        model: str | None = None,
    ) -> Conversation:
        """A conversation holding an imported transcript, logged whole once it is built."""
        from ._tools import as_tool

        given = {tool.name: tool for tool in map(as_tool, tools)}
        declared = [t for t in transcript.tools if t["function"]["name"] not in given]
        params = dict(transcript.params)
        saved_model = params.pop("model", None)
        chat = cls(
            model=model or saved_model,
            system=transcript.system,
            client=client,
            tools=[*declared, *given.values()],
            log=False,
            max_tool_rounds=transcript.max_tool_rounds or 8,
            **params,
        )
        for name in transcript.disabled_tools:
            if name in chat.tools:
                chat.tools[name].enabled = False
        chat.history = transcript.history
        if transcript.id:
            chat.id = transcript.id
        chat._attach_log(_open_log(log, chat.client))
        writer = chat._log_writer
        if writer is not None:
            writer.save_conversation()
            writer.sync()
            writer.close()  # reopened on the next write: many imports hold no connections
        return chat


def _last_user(path: Any) -> int | None:
    """The position of the last user message of ``path`` (None: there is none)."""
    for i in range(len(path) - 1, -1, -1):
        if path[i].role == "user":
            return i
    return None


def _user_content(content: Content) -> str | list[dict[str, Any]]:
    """A user turn's content as the API takes it, checked before it is sent or kept."""
    from ..media import user_content
    from ..protocol._validate import check_content

    normalized = user_content(content)
    check_content("user", normalized)
    return normalized


def _open_log(log: str | Path | bool | None, client: Any) -> Any:
    """The conversation log to write to, or None when it is off."""
    if log is False:
        return None
    from ._log import ConversationLog, default_log_path

    db = ConversationLog(default_log_path() if log in (None, True) else Path(str(log)))
    db.add_secret(getattr(client, "api_key", None))
    return db


def conversations(log: str | Path | None = None) -> list[Any]:
    """The conversations in the log, most recently updated first (``Conversation.load(id)``)."""
    from ._log import ConversationLog, default_log_path

    with ConversationLog(log or default_log_path()) as db:
        return db.conversations()
