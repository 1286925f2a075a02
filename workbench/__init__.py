"""workbench: a Jupyter workbench for chat models, on a typed Chat Completions client."""

from __future__ import annotations

from typing import TYPE_CHECKING as _TYPE_CHECKING

from . import types
from ._accumulate import (
    ChatCompletionAccumulator,
    ChatCompletionStreamEvent,
    ChunkEvent,
    ContentDeltaEvent,
    ContentDoneEvent,
    FunctionToolCallArgumentsDeltaEvent,
    FunctionToolCallArgumentsDoneEvent,
    LogprobsContentDeltaEvent,
    LogprobsContentDoneEvent,
    LogprobsRefusalDeltaEvent,
    LogprobsRefusalDoneEvent,
    RefusalDeltaEvent,
    RefusalDoneEvent,
    accumulate,
)
from ._chat_stream import (
    AsyncChatCompletionStream,
    AsyncChatCompletionStreamManager,
    ChatCompletionStream,
    ChatCompletionStreamManager,
)
from ._client import AsyncClient, Client
from ._exceptions import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    CassetteError,
    CassetteMissError,
    ConflictError,
    ContentFilterFinishReasonError,
    InternalServerError,
    InvalidParameterError,
    LengthFinishReasonError,
    NotFoundError,
    OpenAIError,
    OutputValidationError,
    PermissionDeniedError,
    RateLimitError,
    ToolArgumentsError,
    UnprocessableEntityError,
    WorkbenchError,
)
from ._export import stored_dataframe, to_dataframe, usage_dataframe
from ._grid import (
    Cell,
    CellDelta,
    CellFinished,
    CellKey,
    CellStarted,
    Grid,
    GridEstimate,
    GridFinished,
    GridResult,
    GridStarted,
    ScoreError,
)
from ._grid import set_view_factory as _set_grid_view_factory
from ._messages import Message
from ._pagination import AsyncCursorPage, AsyncPaginator, SyncCursorPage
from ._params import ChatParams
from ._response import APIResponse
from ._schema import pydantic_function_tool, to_strict_json_schema
from ._sentinels import NOT_GIVEN, NotGiven
from ._streaming import AsyncStream, Stream
from ._tools import Tool, tool_from_function
from ._turn_events import SettingsChanged, ToolApprovalRequested, ToolDecision
from ._version import __version__
from .conversation import Conversation, ToolRoundLimitError, conversations
from .conversation import set_view_factory as _set_view_factory


def _conversation_widget(chat: Conversation, **kwargs: object) -> object:
    """``Conversation.widget()``: the widgets package, imported on first use (it is slow to
    import, and the conversation must not know it)."""
    from .widgets import widget

    return widget(chat, **kwargs)


_set_view_factory(_conversation_widget)


def _grid_view(grid: Grid) -> object:
    """A running grid's live view: the widgets package, imported when a grid first runs (it
    returns None where no notebook front end is running)."""
    from .widgets import grid_view

    return grid_view(grid)


_set_grid_view_factory(_grid_view)


if _TYPE_CHECKING:
    from ._cassette._cassette import Cassette


def __getattr__(name: str) -> object:
    """``Cassette``, loaded on first use: a client that neither records nor replays never
    needs it."""
    if name == "Cassette":
        from ._cassette._cassette import Cassette

        return Cassette
    raise AttributeError(f"module 'workbench' has no attribute {name!r}")


def load_ipython_extension(shell: object) -> None:
    """``%load_ext workbench``: the ``%%chat``, ``%chat`` and ``%wb`` magics."""
    from ._magics import load

    load(shell)


def unload_ipython_extension(shell: object) -> None:
    """``%unload_ext workbench``."""
    from ._magics import unload

    unload(shell)


__all__ = [
    "NOT_GIVEN",
    "APIConnectionError",
    "APIError",
    "APIResponse",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncChatCompletionStream",
    "AsyncChatCompletionStreamManager",
    "AsyncClient",
    "AsyncCursorPage",
    "AsyncPaginator",
    "AsyncStream",
    "AuthenticationError",
    "BadRequestError",
    "Cassette",
    "CassetteError",
    "CassetteMissError",
    "Cell",
    "CellDelta",
    "CellFinished",
    "CellKey",
    "CellStarted",
    "ChatCompletionAccumulator",
    "ChatCompletionStream",
    "ChatCompletionStreamEvent",
    "ChatCompletionStreamManager",
    "ChatParams",
    "ChunkEvent",
    "Client",
    "ConflictError",
    "ContentDeltaEvent",
    "ContentDoneEvent",
    "ContentFilterFinishReasonError",
    "Conversation",
    "FunctionToolCallArgumentsDeltaEvent",
    "FunctionToolCallArgumentsDoneEvent",
    "Grid",
    "GridEstimate",
    "GridFinished",
    "GridResult",
    "GridStarted",
    "InternalServerError",
    "InvalidParameterError",
    "LengthFinishReasonError",
    "LogprobsContentDeltaEvent",
    "LogprobsContentDoneEvent",
    "LogprobsRefusalDeltaEvent",
    "LogprobsRefusalDoneEvent",
    "Message",
    "NotFoundError",
    "NotGiven",
    "OpenAIError",
    "OutputValidationError",
    "PermissionDeniedError",
    "RateLimitError",
    "RefusalDeltaEvent",
    "RefusalDoneEvent",
    "ScoreError",
    "SettingsChanged",
    "Stream",
    "SyncCursorPage",
    "Tool",
    "ToolApprovalRequested",
    "ToolArgumentsError",
    "ToolDecision",
    "ToolRoundLimitError",
    "UnprocessableEntityError",
    "WorkbenchError",
    "__version__",
    "accumulate",
    "conversations",
    "load_ipython_extension",
    "pydantic_function_tool",
    "stored_dataframe",
    "to_dataframe",
    "to_strict_json_schema",
    "tool_from_function",
    "types",
    "unload_ipython_extension",
    "usage_dataframe",
]
