"""Request parameter types: TypedDicts for messages, tools, response formats and options."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal, TypeAlias, Union

from typing_extensions import Required, TypedDict

__all__ = [
    "ChatCompletionAllowedToolChoiceParam",
    "ChatCompletionAssistantMessageParam",
    "ChatCompletionAudioParam",
    "ChatCompletionContentPartImageParam",
    "ChatCompletionContentPartInputAudioParam",
    "ChatCompletionContentPartParam",
    "ChatCompletionContentPartRefusalParam",
    "ChatCompletionContentPartTextParam",
    "ChatCompletionCustomToolParam",
    "ChatCompletionDeveloperMessageParam",
    "ChatCompletionFileParam",
    "ChatCompletionFunctionCallOptionParam",
    "ChatCompletionFunctionMessageParam",
    "ChatCompletionFunctionToolParam",
    "ChatCompletionMessageParam",
    "ChatCompletionMessageToolCallParam",
    "ChatCompletionModality",
    "ChatCompletionNamedToolChoiceParam",
    "ChatCompletionPredictionContentParam",
    "ChatCompletionReasoningEffort",
    "ChatCompletionRole",
    "ChatCompletionStreamOptionsParam",
    "ChatCompletionSystemMessageParam",
    "ChatCompletionToolChoiceOptionParam",
    "ChatCompletionToolMessageParam",
    "ChatCompletionToolParam",
    "ChatCompletionToolUnionParam",
    "ChatCompletionUserMessageParam",
    "ChatModel",
    "FunctionDefinition",
    "FunctionParameters",
    "Metadata",
    "ResponseFormat",
    "ResponseFormatJSONObject",
    "ResponseFormatJSONSchema",
    "ResponseFormatText",
    "WebSearchOptions",
]

ChatModel: TypeAlias = str
Metadata: TypeAlias = dict[str, str]
FunctionParameters: TypeAlias = dict[str, object]
ChatCompletionRole = Literal["developer", "system", "user", "assistant", "tool", "function"]
ChatCompletionModality = Literal["text", "audio"]
ChatCompletionReasoningEffort = Literal["minimal", "low", "medium", "high"] | None


# -- content parts ---------------------------------------------------------------------------


class ChatCompletionContentPartTextParam(TypedDict, total=False):
    text: Required[str]
    type: Required[Literal["text"]]


class ImageURL(TypedDict, total=False):
    url: Required[str]
    detail: Literal["auto", "low", "high"]


class ChatCompletionContentPartImageParam(TypedDict, total=False):
    image_url: Required[ImageURL]
    type: Required[Literal["image_url"]]


class InputAudio(TypedDict, total=False):
    data: Required[str]
    format: Required[Literal["wav", "mp3"]]


class ChatCompletionContentPartInputAudioParam(TypedDict, total=False):
    input_audio: Required[InputAudio]
    type: Required[Literal["input_audio"]]


class FileFile(TypedDict, total=False):
    file_data: str
    file_id: str
    filename: str


class ChatCompletionFileParam(TypedDict, total=False):
    file: Required[FileFile]
    type: Required[Literal["file"]]


class ChatCompletionContentPartRefusalParam(TypedDict, total=False):
    refusal: Required[str]
    type: Required[Literal["refusal"]]


ChatCompletionContentPartParam: TypeAlias = Union[
    ChatCompletionContentPartTextParam,
    ChatCompletionContentPartImageParam,
    ChatCompletionContentPartInputAudioParam,
    ChatCompletionFileParam,
]


# -- messages --------------------------------------------------------------------------------


class ChatCompletionDeveloperMessageParam(TypedDict, total=False):
    content: Required[str | Iterable[ChatCompletionContentPartTextParam]]
    role: Required[Literal["developer"]]
    name: str


class ChatCompletionSystemMessageParam(TypedDict, total=False):
    content: Required[str | Iterable[ChatCompletionContentPartTextParam]]
    role: Required[Literal["system"]]
    name: str


class ChatCompletionUserMessageParam(TypedDict, total=False):
    content: Required[str | Iterable[ChatCompletionContentPartParam]]
    role: Required[Literal["user"]]
    name: str


class FunctionCallParam(TypedDict, total=False):
    arguments: Required[str]
    name: Required[str]


class FunctionCallArgumentsParam(TypedDict, total=False):
    arguments: Required[str]
    name: Required[str]


class ChatCompletionMessageToolCallParam(TypedDict, total=False):
    id: Required[str]
    function: Required[FunctionCallParam]
    type: Required[Literal["function"]]


class CustomCallParam(TypedDict, total=False):
    input: Required[str]
    name: Required[str]


class ChatCompletionMessageCustomToolCallParam(TypedDict, total=False):
    id: Required[str]
    custom: Required[CustomCallParam]
    type: Required[Literal["custom"]]


class AssistantAudioParam(TypedDict, total=False):
    id: Required[str]


class ChatCompletionAssistantMessageParam(TypedDict, total=False):
    role: Required[Literal["assistant"]]
    audio: AssistantAudioParam | None
    content: (
        str
        | Iterable[ChatCompletionContentPartTextParam | ChatCompletionContentPartRefusalParam]
        | None
    )
    function_call: FunctionCallParam | None
    name: str
    refusal: str | None
    tool_calls: Iterable[
        ChatCompletionMessageToolCallParam | ChatCompletionMessageCustomToolCallParam
    ]


class ChatCompletionToolMessageParam(TypedDict, total=False):
    content: Required[str | Iterable[ChatCompletionContentPartTextParam]]
    role: Required[Literal["tool"]]
    tool_call_id: Required[str]


class ChatCompletionFunctionMessageParam(TypedDict, total=False):
    content: Required[str | None]
    name: Required[str]
    role: Required[Literal["function"]]


ChatCompletionMessageParam: TypeAlias = Union[
    ChatCompletionDeveloperMessageParam,
    ChatCompletionSystemMessageParam,
    ChatCompletionUserMessageParam,
    ChatCompletionAssistantMessageParam,
    ChatCompletionToolMessageParam,
    ChatCompletionFunctionMessageParam,
]


# -- tools -----------------------------------------------------------------------------------


class FunctionDefinition(TypedDict, total=False):
    name: Required[str]
    description: str
    parameters: FunctionParameters
    strict: bool | None


class ChatCompletionFunctionToolParam(TypedDict, total=False):
    function: Required[FunctionDefinition]
    type: Required[Literal["function"]]


ChatCompletionToolParam: TypeAlias = ChatCompletionFunctionToolParam


class CustomToolDefinition(TypedDict, total=False):
    name: Required[str]
    description: str
    format: dict[str, Any]


class ChatCompletionCustomToolParam(TypedDict, total=False):
    custom: Required[CustomToolDefinition]
    type: Required[Literal["custom"]]


ChatCompletionToolUnionParam: TypeAlias = Union[
    ChatCompletionFunctionToolParam, ChatCompletionCustomToolParam
]


class NamedFunction(TypedDict, total=False):
    name: Required[str]


class ChatCompletionNamedToolChoiceParam(TypedDict, total=False):
    function: Required[NamedFunction]
    type: Required[Literal["function"]]


class AllowedTools(TypedDict, total=False):
    mode: Required[Literal["auto", "required"]]
    tools: Required[Iterable[dict[str, object]]]


class ChatCompletionAllowedToolChoiceParam(TypedDict, total=False):
    allowed_tools: Required[AllowedTools]
    type: Required[Literal["allowed_tools"]]


ChatCompletionToolChoiceOptionParam: TypeAlias = Union[
    Literal["none", "auto", "required"],
    ChatCompletionAllowedToolChoiceParam,
    ChatCompletionNamedToolChoiceParam,
]


class ChatCompletionFunctionCallOptionParam(TypedDict, total=False):
    name: Required[str]


class Function(TypedDict, total=False):
    """A deprecated ``functions`` entry."""

    name: Required[str]
    description: str
    parameters: FunctionParameters


# -- response formats and options ------------------------------------------------------------


class ResponseFormatText(TypedDict, total=False):
    type: Required[Literal["text"]]


class ResponseFormatJSONObject(TypedDict, total=False):
    type: Required[Literal["json_object"]]


class JSONSchema(TypedDict, total=False):
    name: Required[str]
    description: str
    schema: dict[str, object]
    strict: bool | None


class ResponseFormatJSONSchema(TypedDict, total=False):
    json_schema: Required[JSONSchema]
    type: Required[Literal["json_schema"]]


ResponseFormat: TypeAlias = Union[
    ResponseFormatText, ResponseFormatJSONSchema, ResponseFormatJSONObject
]


class ChatCompletionAudioParam(TypedDict, total=False):
    format: Required[Literal["wav", "aac", "mp3", "flac", "opus", "pcm16"]]
    voice: Required[str]


class ChatCompletionPredictionContentParam(TypedDict, total=False):
    content: Required[str | Iterable[ChatCompletionContentPartTextParam]]
    type: Required[Literal["content"]]


class ChatCompletionStreamOptionsParam(TypedDict, total=False):
    include_obfuscation: bool
    include_usage: bool


class UserLocationApproximate(TypedDict, total=False):
    city: str
    country: str
    region: str
    timezone: str


class UserLocation(TypedDict, total=False):
    approximate: Required[UserLocationApproximate]
    type: Required[Literal["approximate"]]


class WebSearchOptions(TypedDict, total=False):
    search_context_size: Literal["low", "medium", "high"]
    user_location: UserLocation | None
