"""What an import produces: a ``Transcript`` (a conversation's parts), or a ``TranscriptError``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .._exceptions import WorkbenchError
from ..conversation._history import History

__all__ = ["Transcript", "TranscriptError"]


class TranscriptError(WorkbenchError, ValueError):
    """A file or table to import is malformed; nothing was imported.

    Attributes:
        where: the line (``line 3``) or row (``row 5``) at fault.
        field: the field at fault, as a path (``messages[2].tool_call_id``, ``role``).
        problem: what is wrong with it.
    """

    def __init__(self, where: str, field: str, problem: str) -> None:
        self.where = where
        self.field = field
        self.problem = problem
        super().__init__(f"{where}, {field}: {problem}" if field else f"{where}: {problem}")


@dataclass
class Transcript:
    """A conversation read from a file or table, ready to become a ``Conversation``.

    Attributes:
        history: the messages, as a tree with its branch choices.
        id: the conversation id to keep (None: a new one).
        system: the system prompt.
        params: the conversation's parameters, ``model`` included (valid for ``ChatParams``).
        tools: tool declarations as the API takes them (``{"type": "function", ...}``).
        disabled_tools: names of declared tools that were switched off.
        max_tool_rounds: the saved limit, if any.
        api: the protocol setting (``chat``, ``responses``, ``auto``), if saved or implied.
    """

    history: History
    id: str | None = None
    system: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    tools: list[dict[str, Any]] = field(default_factory=list)
    disabled_tools: list[str] = field(default_factory=list)
    max_tool_rounds: int | None = None
    api: str | None = None
