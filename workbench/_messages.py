"""Conversation messages with their metadata, and the tree of branches they form."""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Iterator
from typing import Any, Literal

import pydantic

from .types import CompletionUsage

__all__ = ["History", "Latency", "Message", "Role", "Status"]

Role = Literal["system", "developer", "user", "assistant", "tool"]
Status = Literal["complete", "incomplete", "error"]


class Latency(pydantic.BaseModel):
    """How long a reply took: to its first token, and in all (seconds)."""

    first_token: float | None = None
    total: float | None = None


class Message(pydantic.BaseModel):
    """One message of a conversation, with what the model needs and what the user may want.

    ``status`` is ``complete`` for a whole message; ``incomplete`` for a reply cut short (stopped,
    interrupted, or failed mid-stream: the partial text is kept) and ``error`` for a reply that
    failed before any text. Only complete messages are sent to the model again, unless kept.
    """

    model_config = pydantic.ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    id: str = pydantic.Field(default_factory=lambda: f"msg_{uuid.uuid4().hex[:16]}")
    parent_id: str | None = None
    role: Role
    content: str | list[dict[str, Any]] | None = None
    refusal: str | None = None
    tool_calls: list[dict[str, Any]] | None = None
    tool_call_id: str | None = None
    name: str | None = None
    audio: dict[str, Any] | None = None
    created: float = pydantic.Field(default_factory=time.time)
    model: str | None = None
    params: dict[str, Any] = pydantic.Field(default_factory=dict)
    usage: CompletionUsage | None = None
    latency: Latency | None = None
    finish_reason: str | None = None
    request_id: str | None = None
    status: Status = "complete"
    error: str | None = None
    parsed: Any = pydantic.Field(default=None, exclude=True)
    kept: bool = False

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
    def sendable(self) -> bool:
        """Whether the model sees this message in the next request."""
        return self.status == "complete" or self.kept

    def to_param(self) -> dict[str, Any]:
        """The message as the API takes it."""
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


class History:
    """Messages as a tree: every edit, regeneration or undo keeps the old version as a sibling.

    The *path* is the current branch from the first message to the selected leaf; it is what the
    model sees (minus incomplete messages).
    """

    def __init__(self) -> None:
        self.messages: dict[str, Message] = {}
        self.children: dict[str | None, list[str]] = {None: []}
        self.selected: dict[str | None, str | None] = {None: None}

    # -- reading ---------------------------------------------------------------------------

    def path(self) -> list[Message]:
        """The current branch, first message first."""
        out: list[Message] = []
        node = self.selected.get(None)
        while node is not None:
            out.append(self.messages[node])
            node = self.selected.get(node)
        return out

    def leaf(self) -> Message | None:
        path = self.path()
        return path[-1] if path else None

    def siblings(self, message: Message) -> list[Message]:
        return [self.messages[i] for i in self.children.get(message.parent_id, [])]

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
        self.children.setdefault(message.parent_id, []).append(message.id)
        self.children.setdefault(message.id, [])
        self.selected.setdefault(message.id, None)
        if select:
            self.selected[message.parent_id] = message.id
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
            self.selected[parent] = node
            node = parent

    def cut_after(self, message_id: str | None) -> None:
        """End the current path at ``message_id`` (None: an empty path); nothing is deleted."""
        self.selected[message_id] = None

    def copy_path(self, upto: int) -> History:
        """A new history holding the first ``upto`` messages of the current path."""
        history = History()
        for message in itertools.islice(self.path(), upto):
            history.add(message.model_copy())
        return history
