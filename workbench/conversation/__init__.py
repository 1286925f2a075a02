"""Conversations: the history of messages with its branches, the turn (send, stream, tool
rounds, approvals, stop, failures), parameters, tools, turn events, and the SQLite log.

``Conversation`` is the public face (also ``workbench.Conversation``). Imports:
``workbench.client`` and the layers below it; never a widget, IPython or pandas (the views
register themselves in ``workbench._views``; tables come from ``workbench.export``).
"""

from __future__ import annotations

from ._conversation import Conversation, ToolRoundLimitError, TurnStopped
from ._history import Message
from ._log import conversations
from ._protocol_choice import ResponsesUnavailableError
from ._responses_reply import ResponseFailedError
from ._text_diff import TextDiff

__all__ = [
    "Conversation",
    "Message",
    "ResponseFailedError",
    "ResponsesUnavailableError",
    "TextDiff",
    "ToolRoundLimitError",
    "TurnStopped",
    "conversations",
]
