"""workbench: a Jupyter workbench for chat models, on a typed Chat Completions client.

Every public name loads on first use (PEP 562 ``__getattr__``): ``import workbench`` and
``%load_ext workbench`` import neither the client nor pydantic, pandas or the widgets until a
name that needs them is used.
"""

from __future__ import annotations

import importlib as _importlib
from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

from . import _views
from ._version import __version__

if _TYPE_CHECKING:
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
        ReasoningDeltaEvent,
        ReasoningDoneEvent,
        RefusalDeltaEvent,
        RefusalDoneEvent,
        accumulate,
    )
    from ._cassette._cassette import Cassette
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
    from ._export import TranscriptError, stored_dataframe, to_dataframe, usage_dataframe
    from ._grid import (
        BatchFileError,
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
    from ._media import audio, file, image
    from ._messages import Message
    from ._pagination import AsyncCursorPage, AsyncPaginator, SyncCursorPage
    from ._params import ChatParams
    from ._profiles import PROFILES, Profile, ProfileRule, ProfileWarning
    from ._response import APIResponse
    from ._schema import pydantic_function_tool, to_strict_json_schema
    from ._sentinels import NOT_GIVEN, NotGiven
    from ._streaming import AsyncStream, Stream
    from ._tools import Tool, tool_from_function
    from ._turn_events import SettingsChanged, ToolApprovalRequested, ToolDecision
    from .conversation import Conversation, ToolRoundLimitError, conversations

# Each public name and the module it comes from, imported when the name is first used.
_LAZY: dict[str, str] = {
    "ChatCompletionAccumulator": "._accumulate",
    "ChatCompletionStreamEvent": "._accumulate",
    "ChunkEvent": "._accumulate",
    "ContentDeltaEvent": "._accumulate",
    "ContentDoneEvent": "._accumulate",
    "FunctionToolCallArgumentsDeltaEvent": "._accumulate",
    "FunctionToolCallArgumentsDoneEvent": "._accumulate",
    "LogprobsContentDeltaEvent": "._accumulate",
    "LogprobsContentDoneEvent": "._accumulate",
    "LogprobsRefusalDeltaEvent": "._accumulate",
    "LogprobsRefusalDoneEvent": "._accumulate",
    "ReasoningDeltaEvent": "._accumulate",
    "ReasoningDoneEvent": "._accumulate",
    "RefusalDeltaEvent": "._accumulate",
    "RefusalDoneEvent": "._accumulate",
    "accumulate": "._accumulate",
    "Cassette": "._cassette._cassette",
    "AsyncChatCompletionStream": "._chat_stream",
    "AsyncChatCompletionStreamManager": "._chat_stream",
    "ChatCompletionStream": "._chat_stream",
    "ChatCompletionStreamManager": "._chat_stream",
    "AsyncClient": "._client",
    "Client": "._client",
    "APIConnectionError": "._exceptions",
    "APIError": "._exceptions",
    "APIResponseValidationError": "._exceptions",
    "APIStatusError": "._exceptions",
    "APITimeoutError": "._exceptions",
    "AuthenticationError": "._exceptions",
    "BadRequestError": "._exceptions",
    "CassetteError": "._exceptions",
    "CassetteMissError": "._exceptions",
    "ConflictError": "._exceptions",
    "ContentFilterFinishReasonError": "._exceptions",
    "InternalServerError": "._exceptions",
    "InvalidParameterError": "._exceptions",
    "LengthFinishReasonError": "._exceptions",
    "NotFoundError": "._exceptions",
    "OpenAIError": "._exceptions",
    "OutputValidationError": "._exceptions",
    "PermissionDeniedError": "._exceptions",
    "RateLimitError": "._exceptions",
    "ToolArgumentsError": "._exceptions",
    "UnprocessableEntityError": "._exceptions",
    "WorkbenchError": "._exceptions",
    "PROFILES": "._profiles",
    "Profile": "._profiles",
    "ProfileRule": "._profiles",
    "ProfileWarning": "._profiles",
    "TranscriptError": "._export",
    "stored_dataframe": "._export",
    "to_dataframe": "._export",
    "usage_dataframe": "._export",
    "BatchFileError": "._grid",
    "Cell": "._grid",
    "CellDelta": "._grid",
    "CellFinished": "._grid",
    "CellKey": "._grid",
    "CellStarted": "._grid",
    "Grid": "._grid",
    "GridEstimate": "._grid",
    "GridFinished": "._grid",
    "GridResult": "._grid",
    "GridStarted": "._grid",
    "ScoreError": "._grid",
    "audio": "._media",
    "file": "._media",
    "image": "._media",
    "Message": "._messages",
    "AsyncCursorPage": "._pagination",
    "AsyncPaginator": "._pagination",
    "SyncCursorPage": "._pagination",
    "ChatParams": "._params",
    "APIResponse": "._response",
    "pydantic_function_tool": "._schema",
    "to_strict_json_schema": "._schema",
    "NOT_GIVEN": "._sentinels",
    "NotGiven": "._sentinels",
    "AsyncStream": "._streaming",
    "Stream": "._streaming",
    "Tool": "._tools",
    "tool_from_function": "._tools",
    "SettingsChanged": "._turn_events",
    "ToolApprovalRequested": "._turn_events",
    "ToolDecision": "._turn_events",
    "Conversation": ".conversation",
    "ToolRoundLimitError": ".conversation",
    "conversations": ".conversation",
}


def __getattr__(name: str) -> _Any:
    if name == "types":
        value: _Any = _importlib.import_module(".types", __name__)
    elif name in _LAZY:
        value = getattr(_importlib.import_module(_LAZY[name], __name__), name)
    else:
        raise AttributeError(f"module 'workbench' has no attribute {name!r}")
    globals()[name] = value  # later uses skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def _conversation_widget(chat: _Any, **kwargs: _Any) -> _Any:
    """``Conversation.widget()`` and ``display(chat)``: the widgets package, imported on first
    use (it is slow to import, and the conversation must not know it)."""
    from .widgets import widget

    return widget(chat, **kwargs)


def _grid_view(grid: _Any) -> _Any:
    """A running grid's live view: the widgets package, imported when a grid first runs (it
    returns None where no notebook front end is running)."""
    from .widgets import grid_view

    return grid_view(grid)


_views.register("conversation", _conversation_widget)
_views.register("grid", _grid_view)


def load_ipython_extension(shell: _Any) -> None:
    """``%load_ext workbench``: the ``%%chat``, ``%chat``, ``%wb`` and ``%%grid`` magics."""
    from ._magics import load

    load(shell)


def unload_ipython_extension(shell: _Any) -> None:
    """``%unload_ext workbench``."""
    from ._magics import unload

    unload(shell)


__all__ = [
    "NOT_GIVEN",
    "PROFILES",
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
    "BatchFileError",
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
    "Profile",
    "ProfileRule",
    "ProfileWarning",
    "RateLimitError",
    "ReasoningDeltaEvent",
    "ReasoningDoneEvent",
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
    "TranscriptError",
    "UnprocessableEntityError",
    "WorkbenchError",
    "__version__",
    "accumulate",
    "audio",
    "conversations",
    "file",
    "image",
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
