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
    from ._sentinels import NOT_GIVEN, NotGiven
    from .cassette._cassette import Cassette
    from .client._binary_response import BinaryResponseContent
    from .client._chat_client import (
        AsyncChatClient,
        AsyncStoredChatClient,
        AsyncStreamingChatClient,
        ChatClient,
        StoredChatClient,
        StreamingChatClient,
    )
    from .client._chat_stream import (
        AsyncChatCompletionStream,
        AsyncChatCompletionStreamManager,
        ChatCompletionStream,
        ChatCompletionStreamManager,
    )
    from .client._client import AsyncClient, Client
    from .client._pagination import AsyncCursorPage, AsyncPaginator, SyncCursorPage
    from .client._profiles import PROFILES, Profile, ProfileRule, ProfileWarning
    from .client._response import APIResponse
    from .client._responses_stream import (
        AsyncResponseEventStream,
        AsyncResponseStream,
        AsyncResponseStreamManager,
        ResponseEventStream,
        ResponseStream,
        ResponseStreamManager,
    )
    from .client._streaming import AsyncStream, Stream
    from .conversation import (
        Conversation,
        ResponseFailedError,
        ResponsesUnavailableError,
        ToolRoundLimitError,
        conversations,
    )
    from .conversation._history import Message
    from .conversation._params import ChatParams
    from .conversation._tools import Tool, tool_from_function
    from .conversation._turn_events import SettingsChanged, ToolApprovalRequested, ToolDecision
    from .evals import grader_from
    from .export import TranscriptError, stored_dataframe, to_dataframe, usage_dataframe
    from .grid import (
        BatchFileError,
        BatchProgress,
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
    from .local import BatchLimits
    from .media import audio, file, image
    from .protocol._accumulate import (
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
    from .protocol._other_protocol import WrongProtocolWarning
    from .protocol._responses_accumulate import ResponseAccumulator
    from .protocol._schema import pydantic_function_tool, to_strict_json_schema
    from .types.batch import Batch
    from .types.file_object import FileDeleted, FileObject

# Each public name and the module it comes from, imported when the name is first used.
_LAZY: dict[str, str] = {
    "ChatCompletionAccumulator": ".protocol._accumulate",
    "ChatCompletionStreamEvent": ".protocol._accumulate",
    "ChunkEvent": ".protocol._accumulate",
    "ContentDeltaEvent": ".protocol._accumulate",
    "ContentDoneEvent": ".protocol._accumulate",
    "FunctionToolCallArgumentsDeltaEvent": ".protocol._accumulate",
    "FunctionToolCallArgumentsDoneEvent": ".protocol._accumulate",
    "LogprobsContentDeltaEvent": ".protocol._accumulate",
    "LogprobsContentDoneEvent": ".protocol._accumulate",
    "LogprobsRefusalDeltaEvent": ".protocol._accumulate",
    "LogprobsRefusalDoneEvent": ".protocol._accumulate",
    "ReasoningDeltaEvent": ".protocol._accumulate",
    "ReasoningDoneEvent": ".protocol._accumulate",
    "RefusalDeltaEvent": ".protocol._accumulate",
    "RefusalDoneEvent": ".protocol._accumulate",
    "accumulate": ".protocol._accumulate",
    "Cassette": ".cassette._cassette",
    "AsyncChatClient": ".client._chat_client",
    "AsyncStoredChatClient": ".client._chat_client",
    "AsyncStreamingChatClient": ".client._chat_client",
    "ChatClient": ".client._chat_client",
    "StoredChatClient": ".client._chat_client",
    "StreamingChatClient": ".client._chat_client",
    "AsyncChatCompletionStream": ".client._chat_stream",
    "AsyncChatCompletionStreamManager": ".client._chat_stream",
    "ChatCompletionStream": ".client._chat_stream",
    "ChatCompletionStreamManager": ".client._chat_stream",
    "AsyncClient": ".client._client",
    "AsyncResponseEventStream": ".client._responses_stream",
    "AsyncResponseStream": ".client._responses_stream",
    "AsyncResponseStreamManager": ".client._responses_stream",
    "ResponseEventStream": ".client._responses_stream",
    "ResponseStream": ".client._responses_stream",
    "ResponseStreamManager": ".client._responses_stream",
    "ResponseAccumulator": ".protocol._responses_accumulate",
    "WrongProtocolWarning": ".protocol._other_protocol",
    "Client": ".client._client",
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
    "PROFILES": ".client._profiles",
    "Profile": ".client._profiles",
    "ProfileRule": ".client._profiles",
    "ProfileWarning": ".client._profiles",
    "TranscriptError": ".export",
    "stored_dataframe": ".export",
    "to_dataframe": ".export",
    "usage_dataframe": ".export",
    "BatchFileError": ".grid",
    "BatchLimits": ".local",
    "BatchProgress": ".grid",
    "Cell": ".grid",
    "CellDelta": ".grid",
    "CellFinished": ".grid",
    "CellKey": ".grid",
    "CellStarted": ".grid",
    "Grid": ".grid",
    "GridEstimate": ".grid",
    "GridFinished": ".grid",
    "GridResult": ".grid",
    "GridStarted": ".grid",
    "ScoreError": ".grid",
    "audio": ".media",
    "file": ".media",
    "image": ".media",
    "Message": ".conversation._history",
    "TextDiff": ".conversation._text_diff",
    "AsyncCursorPage": ".client._pagination",
    "AsyncPaginator": ".client._pagination",
    "SyncCursorPage": ".client._pagination",
    "BinaryResponseContent": ".client._binary_response",
    "Batch": ".types.batch",
    "FileDeleted": ".types.file_object",
    "FileObject": ".types.file_object",
    "ChatParams": ".conversation._params",
    "APIResponse": ".client._response",
    "pydantic_function_tool": ".protocol._schema",
    "to_strict_json_schema": ".protocol._schema",
    "NOT_GIVEN": "._sentinels",
    "NotGiven": "._sentinels",
    "AsyncStream": ".client._streaming",
    "Stream": ".client._streaming",
    "Tool": ".conversation._tools",
    "tool_from_function": ".conversation._tools",
    "SettingsChanged": ".conversation._turn_events",
    "ToolApprovalRequested": ".conversation._turn_events",
    "ToolDecision": ".conversation._turn_events",
    "Conversation": ".conversation",
    "ToolRoundLimitError": ".conversation",
    "ResponseFailedError": ".conversation",
    "ResponsesUnavailableError": ".conversation",
    "conversations": ".conversation",
    "grader_from": ".evals",
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
    from .magics import load

    load(shell)


def unload_ipython_extension(shell: _Any) -> None:
    """``%unload_ext workbench``."""
    from .magics import unload

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
    "AsyncChatClient",
    "AsyncChatCompletionStream",
    "AsyncChatCompletionStreamManager",
    "AsyncClient",
    "AsyncCursorPage",
    "AsyncPaginator",
    "AsyncResponseEventStream",
    "AsyncResponseStream",
    "AsyncResponseStreamManager",
    "AsyncStoredChatClient",
    "AsyncStream",
    "AsyncStreamingChatClient",
    "AuthenticationError",
    "BadRequestError",
    "Batch",
    "BatchFileError",
    "BatchLimits",
    "BatchProgress",
    "BinaryResponseContent",
    "Cassette",
    "CassetteError",
    "CassetteMissError",
    "Cell",
    "CellDelta",
    "CellFinished",
    "CellKey",
    "CellStarted",
    "ChatClient",
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
    "FileDeleted",
    "FileObject",
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
    "ResponseAccumulator",
    "ResponseEventStream",
    "ResponseFailedError",
    "ResponseStream",
    "ResponseStreamManager",
    "ResponsesUnavailableError",
    "ScoreError",
    "SettingsChanged",
    "StoredChatClient",
    "Stream",
    "StreamingChatClient",
    "SyncCursorPage",
    "TextDiff",
    "Tool",
    "ToolApprovalRequested",
    "ToolArgumentsError",
    "ToolDecision",
    "ToolRoundLimitError",
    "TranscriptError",
    "UnprocessableEntityError",
    "WorkbenchError",
    "WrongProtocolWarning",
    "__version__",
    "accumulate",
    "audio",
    "conversations",
    "file",
    "grader_from",
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
