"""``Conversation``: a chat kept across notebook cells, with its branches and its files.

``ConversationBase`` (``_conversation_base``) holds the state and runs the turn; this class
adds what works on the history as a tree (edit, regenerate, switch, undo, fork, keep) and the
doors to ``workbench.export`` (``to_*``, ``from_*``, ``load``): the work is done there, in the
layer above, imported inside each method.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .._exceptions import WorkbenchError
from ..client._chat_client import (
    AsyncChatClient,
    AsyncStoredChatClient,
    ChatClient,
    StoredChatClient,
)
from ..client._client import Client
from ._conversation_base import Content, ConversationBase, checked_user_content, open_log
from ._history import Message
from ._log import ConversationLog, default_log_path
from ._protocol_choice import API_CHOICES
from ._reply import TurnStopped
from ._text_diff import TextDiff, word_diff
from ._tools import as_tool
from ._turn import ToolRoundLimitError
from ._turn_events import HistoryChanged, TurnStarted

if TYPE_CHECKING:
    import pandas as pd  # type: ignore[import-untyped]

    from ..export import Transcript

__all__ = ["Conversation", "ToolRoundLimitError", "TurnStopped"]


class Conversation(ConversationBase):
    """A chat kept across notebook cells: history, parameters, tools, branches, and events.

    Args:
        model: the model to talk to (default: the local model's, or ``gpt-4o-mini``).
        system: a system prompt, sent first in every request.
        client: a ``workbench.Client`` or ``AsyncClient`` (default: ``Client()``, the local model
            when offline), or any ``ChatClient`` or ``AsyncChatClient`` (``openai.OpenAI``
            too); one of one's own with only ``chat.completions.create`` takes
            ``stream=False``.
        tools: Python functions (or ``pydantic_function_tool`` / tool dicts) the model may call.
        max_tool_rounds: how many rounds of tool calls one turn may take (default 8).
        log: where every message and exchange is written as it completes (a SQLite file):
            by default ``WORKBENCH_LOG`` or the user's data directory; ``False`` turns it off.
        confirm_tools: ``True`` to ask before running a tool, or a callable
            ``(name, arguments) -> bool``; a refused call is never run.
        api: the protocol that carries each turn: ``"auto"`` (the default: the Responses API
            for OpenAI's own API and the models that need it, Chat Completions elsewhere, after
            a 404 from a server without ``/v1/responses``, and for a turn that sets a
            parameter only Chat Completions takes, such as ``seed`` or ``stop``), ``"chat"``
            (Chat Completions) or ``"responses"`` (the Responses API). History, tools,
            parameters and events are the same either way; a parameter the chosen protocol
            cannot carry is refused before sending, naming it.
        **params: request parameters (temperature, response_format, ...), validated at once.
    """

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
        new, request = self._edited(index, content, send, overrides)
        return self._turn(request, stream=True) if send else new

    async def aedit(
        self,
        index: int,
        content: Content,
        *,
        send: bool = True,
        **overrides: Any,
    ) -> Message:
        """The async twin of ``edit``."""
        new, request = self._edited(index, content, send, overrides)
        return await self._aturn(request, stream=True) if send else new

    def _edited(
        self, index: int, content: Content, send: bool, overrides: dict[str, Any]
    ) -> tuple[Message, dict[str, Any]]:
        """The new version of user message ``index`` and the request to answer it with."""
        content = checked_user_content(content)
        old = self._at(index)
        if old.role != "user":
            raise WorkbenchError(
                f"message {index} is a {old.role} message; only user messages can be edited"
            )
        request = self._request(overrides, content)
        new = self.history.add(Message(role="user", content=content, parent_id=old.parent_id))
        self._emit(TurnStarted(new) if send else HistoryChanged())
        return new, request

    def regenerate(self, *, stream: bool = True, **overrides: Any) -> Message:
        """Ask again from the last user message; the previous reply stays as a branch."""
        return self._turn(self._regenerating(overrides), stream)

    async def aregenerate(self, *, stream: bool = True, **overrides: Any) -> Message:
        """The async twin of ``regenerate``."""
        return await self._aturn(self._regenerating(overrides), stream)

    def _regenerating(self, overrides: dict[str, Any]) -> dict[str, Any]:
        """Cut the branch after the last user message; the request to answer it again."""
        request = self._request(overrides)
        path = self.history.path_view()
        last = _last_user(path)
        if last is None:
            raise WorkbenchError("there is no user message to regenerate from")
        user = path[last]
        self.history.cut_after(user.id)
        self._emit(TurnStarted(user))
        return request

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

    def clear(self) -> list[Message]:
        """Start the conversation afresh (parameters, system prompt and tools stay). The branch's
        messages are returned and kept, in the history and the log, as a branch: once a new
        message is sent, ``switch(0, 0)`` shows them again."""
        path = self.history.path()
        if not path:
            return []
        self.history.cut_after(None)
        self._emit(HistoryChanged())
        return path

    def fork(self, at: int | None = None) -> Conversation:
        """A new conversation sharing this one's branch up to message ``at`` (default: all)."""
        twin = type(self).__new__(type(self))
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

    def diff(self, a: int | Message, b: int | Message | None = None) -> TextDiff:
        """The word-level diff from message ``a``'s text to ``b``'s (a ``TextDiff``: ``str()``
        is plain text, and it shows highlighted in a notebook).

        Args:
            a: a message, or its index on the current branch.
            b: the other message (or index). Without it, ``a`` is compared with the version
                before it (its previous sibling: what the widget's "diff" shows), e.g.
                ``chat.diff(-1)`` after ``regenerate()``.

        Raises:
            ValueError: ``b`` is left out and ``a`` has no earlier version.
        """
        first = self._at(a) if isinstance(a, int) else a
        if b is not None:
            return word_diff(first.text, (self._at(b) if isinstance(b, int) else b).text)
        versions = self.history.siblings(first)
        at = next((i for i, m in enumerate(versions) if m.id == first.id), 0)
        if at == 0:
            raise ValueError("the message has no earlier version to compare with: pass b=")
        return word_diff(versions[at - 1].text, first.text)

    def keep(self, index: int) -> None:
        """Send an incomplete message to the model again from now on."""
        self._at(index).kept = True
        self._emit(HistoryChanged())

    @classmethod
    def load(
        cls,
        conversation_id: str,
        *,
        client: ChatClient | AsyncChatClient | None = None,
        log: str | Path | None = None,
    ) -> Conversation:
        """Bring a conversation back from the log, branches included (e.g. after a restart).

        Tools are not stored: register them again with ``tools=`` or ``@chat.tool``.
        """

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
            api=next((a for a in API_CHOICES if a == saved.meta.get("api")), "chat"),
            **params,
        )
        chat.id = conversation_id
        chat.history = saved.history()
        chat.history.take_changes()  # all of it is in the log already
        chat._attach_log(open_log(log if log is not None else True, chat.client))
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
        client: ChatClient | AsyncChatClient | None = None,
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
        client: ChatClient | AsyncChatClient | None = None,
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
        client: ChatClient | AsyncChatClient | None = None,
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
        client: StoredChatClient | AsyncStoredChatClient,
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
        client: ChatClient | AsyncChatClient | None,
        tools: Iterable[Any],
        log: str | Path | bool | None,
        model: str | None = None,
    ) -> Conversation:
        """A conversation holding an imported transcript, logged whole once it is built."""

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
            api=next((a for a in API_CHOICES if a == transcript.api), "chat"),
            **params,
        )
        for name in transcript.disabled_tools:
            if name in chat.tools:
                chat.tools[name].enabled = False
        chat.history = transcript.history
        if transcript.id:
            chat.id = transcript.id
        chat._attach_log(open_log(log, chat.client))
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
