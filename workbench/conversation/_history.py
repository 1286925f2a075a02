"""Conversation messages with their metadata, and the tree of branches they form."""

from __future__ import annotations

import itertools
import time
import uuid
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Final, Literal

import pydantic

from ..types import CompletionUsage
from ._history_selection import Selection

__all__ = [
    "TOOL_ROUND_LIMIT",
    "Decision",
    "History",
    "Latency",
    "Message",
    "PathWatch",
    "Role",
    "Status",
]

Role = Literal["system", "developer", "user", "assistant", "tool"]
Status = Literal["complete", "incomplete", "error"]
Decision = Literal["approve", "deny", "answer"]
"""What was decided about a tool call before it ran (``confirm_tools``): run it, refuse it, or
answer in its place."""
CUT_SHORT = ("length", "content_filter")
"""Finish reasons of a reply that came back whole but is not all of the answer: the token limit
cut it, or the server's content filter withheld it."""
TOOL_ROUND_LIMIT: Final = "tool_round_limit"
"""``Message.turn_ended`` of the last reply of a turn stopped at ``max_tool_rounds``."""
UsageSource = Literal["server", "estimate"]
"""Where a reply's usage came from: the server's count, or workbench's estimate from the text
(for a server that sends none; ``workbench.protocol._token_estimate``)."""


class Latency(pydantic.BaseModel):
    """How long a reply took: to its first token, and in all (seconds)."""

    first_token: float | None = None
    total: float | None = None


class _Holders:
    """The histories that hold a message, told when one of its fields is set, and the message's
    revision (``Message.revision``).

    It compares equal to any other, so where a message is held never changes its equality; a
    copy or an unpickled message is held by no history until one adds it.
    """

    __slots__ = ("refs", "rev")

    def __init__(self, refs: Iterable[weakref.ref[History]] = (), rev: int = 0) -> None:
        self.refs = tuple(refs)
        self.rev = rev

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Holders)

    __hash__ = None  # type: ignore[assignment]

    def __deepcopy__(self, memo: dict[int, Any]) -> _Holders:
        return _Holders()

    def __reduce__(self) -> tuple[type[_Holders], tuple[()]]:
        return _Holders, ()


def _is_none(value: object) -> bool:
    return value is None


def _is_chat(value: object) -> bool:
    return value == "chat"


def _holders_of(message: Message) -> _Holders:
    """``message._holders``, read past pydantic's ``__getattr__`` (2 us a read, where a turn sets
    a dozen fields, each read it twice)."""
    return message.__pydantic_private__["_holders"]  # type: ignore[index,no-any-return]


class Message(pydantic.BaseModel):
    """One message of a conversation, with what the model needs and what the user may want.

    ``status`` is ``complete`` for a whole message; ``incomplete`` for a reply cut short (stopped,
    interrupted, or failed mid-stream: the partial text is kept) and ``error`` for a reply that
    failed before any text. Only complete messages are sent to the model again, unless kept.

    ``reasoning`` is a reply's reasoning text, as a reasoning server streamed it (its
    ``reasoning_content`` or ``reasoning`` field); kept, logged and exported, but never sent back
    (see ``to_param``). A reply cut short keeps the reasoning that arrived, and one that failed
    with only reasoning is ``incomplete``, not ``error``.

    A tool message's ``latency.total`` is how long the tool ran (0 when it did not run), and its
    ``decision`` what was decided when ``confirm_tools`` asked (None when nobody was asked):
    ``approve`` (it ran), ``deny`` (the model heard the refusal, in ``error``) or ``answer``
    (the model heard the user's answer as the result; the tool did not run).

    ``turn_ended`` is ``tool_round_limit`` on the reply whose tool calls were the last a turn
    ran: the model was still calling tools after ``max_tool_rounds`` rounds, so the turn stopped
    with no final reply (``error`` says so; the reply itself is complete and sent again).

    ``api``: the protocol that carried a reply (``chat`` or ``responses``); ``reasoning_items``:
    the encrypted reasoning a Responses reply brought, sent back with it (Responses only).
    ``batch_id``: the Batch API batch a reply came back through (priced at the batch discount);
    None for a reply sent directly.
    """

    model_config = pydantic.ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    id: str = pydantic.Field(default_factory=lambda: f"msg_{uuid.uuid4().hex[:16]}")
    parent_id: str | None = None
    role: Role
    content: str | list[dict[str, Any]] | None = None
    refusal: str | None = None
    reasoning: str | None = None
    tool_calls: list[dict[str, Any]] | None = None
    tool_call_id: str | None = None
    name: str | None = None
    audio: dict[str, Any] | None = None
    created: float = pydantic.Field(default_factory=time.time)
    model: str | None = None
    params: dict[str, Any] = pydantic.Field(default_factory=dict)
    usage: CompletionUsage | None = None
    usage_source: UsageSource | None = None
    latency: Latency | None = None
    finish_reason: str | None = None
    request_id: str | None = None
    status: Status = "complete"
    error: str | None = None
    parsed: Any = pydantic.Field(default=None, exclude=True)
    kept: bool = False
    decision: Decision | None = None
    # Left out of dumps when unset: a log or file written without them reads as before.
    turn_ended: Literal["tool_round_limit"] | None = pydantic.Field(None, exclude_if=_is_none)
    api: Literal["chat", "responses"] = pydantic.Field("chat", exclude_if=_is_chat)
    reasoning_items: list[dict[str, Any]] | None = pydantic.Field(None, exclude_if=_is_none)
    batch_id: str | None = pydantic.Field(None, exclude_if=_is_none)
    _holders: _Holders = pydantic.PrivateAttr(default_factory=_Holders)

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if not name.startswith("_"):
            holders = _holders_of(self)
            holders.rev += 1
            # The histories holding this message keep their path caches, the log and the views
            # in step.
            for ref in holders.refs:
                history = ref()
                if history is not None and history.messages.get(self.id) is self:
                    history.touch(self.id)

    @property
    def revision(self) -> int:
        """A number that changes whenever a field of the message is set (or its history is told
        of an in-place change, ``History.touch``): what caches of derived values key on."""
        return _holders_of(self).rev

    @property
    def text(self) -> str:
        """The text of the message (content parts joined; a refusal shown as such; for a spoken
        reply without text content, its transcript)."""
        if self.refusal:
            return f"[refusal] {self.refusal}"
        if isinstance(self.content, str):
            return self.content
        if isinstance(self.content, list):
            return " ".join(
                str(p.get("text", f"[{p.get('type')}]"))
                for p in self.content
                if isinstance(p, dict)
            )
        if self.audio:
            return str(self.audio.get("transcript") or "")
        return ""

    @property
    def ending(self) -> str:
        """How the reply ended, for views and tables: its ``status``, except that a complete
        reply cut at the token limit or withheld by the content filter says its
        ``finish_reason`` (``length``, ``content_filter``), and the last reply of a turn
        stopped at the tool-round limit says ``tool_round_limit``."""
        if self.status == "complete" and self.finish_reason in CUT_SHORT:
            return self.finish_reason
        if self.status == "complete" and self.turn_ended is not None:
            return self.turn_ended
        return self.status

    @property
    def sendable(self) -> bool:
        """Whether the model sees this message in the next request."""
        return self.status == "complete" or self.kept

    def to_param(self) -> dict[str, Any]:
        """The message as the API takes it.

        A reply's ``reasoning`` is left out, under either name. OpenAI's API refuses a message
        field it does not know (400, "Additional properties are not allowed"); DeepSeek's
        reasoner does not put earlier reasoning back into the context, and its first API refused
        a ``reasoning_content`` in the messages with a 400; the chat templates of open reasoning
        models (served by vLLM, llama.cpp, Ollama) mostly drop earlier thinking, or expect it
        under their own name. One exception is known: DeepSeek's thinking mode (V3.2 and later)
        wants the ``reasoning_content`` of a turn that called tools sent back within that turn
        (a 400 otherwise); send such requests with ``reasoning_content`` yourself, or let a
        provider profile add it.
        """
        data: dict[str, Any] = {"role": self.role}
        if self.role == "assistant":
            data["content"] = self.content
            if self.refusal is not None:
                data["refusal"] = self.refusal
            if self.tool_calls:
                data["tool_calls"] = self.tool_calls
            if self.audio and self.audio.get("id"):
                data["audio"] = {"id": self.audio["id"]}
        else:
            data["content"] = self.content if self.content is not None else ""
        if self.role == "tool":
            data["tool_call_id"] = self.tool_call_id
        elif self.name and self.role in ("user", "system", "developer"):
            data["name"] = self.name
        return data

    def __repr__(self) -> str:
        text = self.text
        shown = text if len(text) <= 60 else text[:57] + "..."
        extra = f", tool_calls={len(self.tool_calls)}" if self.tool_calls else ""
        status = "" if self.status == "complete" else f", status={self.status!r}"
        return f"Message({self.role}: {shown!r}{extra}{status})"


class PathWatch:
    """How much of a history's current path is unchanged since it was last read.

    For caches of values derived from each message of the path (the request's messages, the
    widget's totals), kept up to date without walking the whole path each time. The history
    lowers ``valid`` when a message is added to the path, one on it changes, or the branch
    changes.
    """

    __slots__ = ("__weakref__", "history", "valid")

    def __init__(self, history: History) -> None:
        self.history = history
        self.valid = 0

    def take(self) -> int:
        """The first position of the path that changed since the last call: what a cache holds
        for the positions before it is still good. The path is then taken as read."""
        start = self.valid
        self.valid = len(self.history._path)
        return start


class History:
    """Messages as a tree: every edit, regeneration or undo keeps the old version as a sibling.

    The *path* is the current branch from the first message to the selected leaf; it is what the
    model sees (minus incomplete messages). It is kept as a list, updated as messages are added
    and branches chosen, so reading it costs nothing however long the conversation.

    Change a message's fields by assignment (``message.content = ...``): the history notices.
    After changing nested data in place (a tool call's arguments), call ``touch(message.id)``.
    Either way ``on_edit`` (set by the conversation that holds the history) is called, so that
    open views show the change.
    """

    def __init__(self) -> None:
        self.messages: dict[str, Message] = {}
        self.children: dict[str | None, list[str]] = {None: []}
        self._path: list[Message] = []
        self._where: dict[str, int] = {}  # message id -> its position on the path
        self._watches: weakref.WeakSet[PathWatch] = weakref.WeakSet()
        self._tracking = False  # whether changes are noted (from the first take_changes())
        self._changed: dict[str, None] = {}  # messages added or changed, in order
        self._choices: dict[str | None, None] = {}  # parents whose choice changed
        self._selected = Selection(self, {None: None})
        self.on_edit: Callable[[], None] | None = None  # called after an in-place change

    @property
    def selected(self) -> dict[str | None, str | None]:
        """The chosen child of each message (``None`` for the root): the branch shown."""
        return self._selected

    @selected.setter
    def selected(self, value: Mapping[str | None, str | None]) -> None:
        self._selected = Selection(self, value)
        self._rebuild_path(all_choices=True)

    # -- reading ---------------------------------------------------------------------------

    def path(self) -> list[Message]:
        """The current branch, first message first (a new list)."""
        return list(self._path)

    def path_view(self) -> Sequence[Message]:
        """The current branch without copying it: read it at once and do not change it (it
        follows the history)."""
        return self._path

    def position(self, message_id: str) -> int | None:
        """Where message ``message_id`` is on the current branch (None: not on it)."""
        return self._where.get(message_id)

    def leaf(self) -> Message | None:
        return self._path[-1] if self._path else None

    def siblings(self, message: Message) -> list[Message]:
        return [self.messages[i] for i in self.children.get(message.parent_id, [])]

    def watch(self) -> PathWatch:
        """A ``PathWatch`` on this history (kept as long as the caller holds it)."""
        watch = PathWatch(self)
        self._watches.add(watch)
        return watch

    def __iter__(self) -> Iterator[Message]:
        return iter(self.messages.values())

    def __len__(self) -> int:
        return len(self.messages)

    # -- writing ---------------------------------------------------------------------------

    def add(self, message: Message, *, select: bool = True) -> Message:
        """Attach ``message`` under its parent as the newest sibling; by default select it."""
        if message.parent_id is not None and message.parent_id not in self.messages:
            raise KeyError(f"no message {message.parent_id!r} to attach to")
        self.messages[message.id] = message
        holders = [
            ref
            for ref in _holders_of(message).refs
            if (h := ref()) is not None and h is not self and h.messages.get(message.id) is message
        ]
        message._holders = _Holders([*holders, weakref.ref(self)], _holders_of(message).rev)
        self.children.setdefault(message.parent_id, []).append(message.id)
        self.children.setdefault(message.id, [])
        self._selected.setdefault(message.id, None)
        at = self._where.get(message.id)
        if at is not None:  # the same id again, on the path: the new object stands there now
            self._path[at] = message
            self._lower(at)
        self._touch(message.id)
        if select:
            self._selected[message.parent_id] = message.id
        elif message.parent_id is None or message.parent_id in self._where:
            # A new version of the message there: what shows its versions changed.
            at = 0 if message.parent_id is None else self._where[message.parent_id] + 1
            if at < len(self._path):
                self._lower(at)
        return message

    def append(self, message: Message) -> Message:
        """Add ``message`` after the current leaf."""
        leaf = self.leaf()
        return self.add(message.model_copy(update={"parent_id": leaf.id if leaf else None}))

    def select(self, message_id: str) -> None:
        """Make the branch through ``message_id`` current (down to its selected leaf)."""
        node: str | None = message_id
        while node is not None:
            parent = self.messages[node].parent_id
            self._selected[parent] = node
            node = parent

    def cut_after(self, message_id: str | None) -> None:
        """End the current path at ``message_id`` (None: an empty path); nothing is deleted."""
        self._selected[message_id] = None

    def copy_path(self, upto: int) -> History:
        """A new history holding the first ``upto`` messages of the current path."""
        history = History()
        for message in itertools.islice(self._path, upto):
            history.add(message.model_copy())
        return history

    def touch(self, message_id: str) -> None:
        """Note that a message changed in place: the log writes it again, caches of the path
        (``watch()``) recompute from it, and ``on_edit`` tells the conversation."""
        self._touch(message_id)
        if self.on_edit is not None:
            self.on_edit()

    def _touch(self, message_id: str) -> None:
        message = self.messages.get(message_id)
        if message is not None:
            _holders_of(message).rev += 1
        if self._tracking:
            self._changed[message_id] = None
        at = self._where.get(message_id)
        if at is not None:
            self._lower(at)

    def take_changes(self) -> tuple[list[Message], dict[str | None, str | None]]:
        """The messages added or changed and the branch choices made since the last call (the
        first call returns every message and every choice): what a log has to write."""
        if not self._tracking:
            self._tracking = True
            self._changed, self._choices = {}, {}
            return list(self.messages.values()), dict(self._selected)
        messages = [self.messages[i] for i in self._changed if i in self.messages]
        choices = {parent: self._selected.get(parent) for parent in self._choices}
        self._changed, self._choices = {}, {}
        return messages, choices

    # -- the path --------------------------------------------------------------------------

    def _lower(self, position: int) -> None:
        for watch in self._watches:
            if watch.valid > position:
                watch.valid = position

    def _chosen(self, parent: str | None) -> None:
        """The choice under ``parent`` changed: if ``parent`` is on the path, the path is
        followed again from there."""
        if self._tracking:
            self._choices[parent] = None
        if parent is None:
            start = 0
        elif (at := self._where.get(parent)) is not None:
            start = at + 1
        else:
            return  # a choice off the current branch
        self._truncate(start)
        self._extend()

    def _truncate(self, start: int) -> None:
        if start < len(self._path):
            for message in self._path[start:]:
                self._where.pop(message.id, None)
            del self._path[start:]
        self._lower(start)

    def _extend(self) -> None:
        node = self._selected.get(self._path[-1].id if self._path else None)
        while node is not None and node not in self._where:  # (a loop of choices ends it)
            message = self.messages.get(node)
            if message is None:
                break
            self._where[node] = len(self._path)
            self._path.append(message)
            node = self._selected.get(node)

    def _rebuild_path(self, *, all_choices: bool = False) -> None:
        """Follow the whole path again (after the choices were replaced wholesale)."""
        if all_choices and self._tracking:
            self._choices.update(dict.fromkeys(self._selected))
        old = self._path
        self._path, self._where = [], {}
        self._extend()
        same = 0
        for before, after in zip(old, self._path, strict=False):
            if before is not after:
                break
            same += 1
        self._lower(same)
