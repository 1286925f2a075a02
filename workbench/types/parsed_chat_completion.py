"""Completions whose content and tool arguments were parsed into Python objects."""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar, Union

from pydantic import Field

from .chat_completion import (
    ChatCompletion,
    ChatCompletionMessage,
    ChatCompletionMessageCustomToolCall,
    ChatCompletionMessageFunctionToolCall,
    Choice,
    Function,
)

__all__ = [
    "ParsedChatCompletion",
    "ParsedChatCompletionMessage",
    "ParsedChoice",
    "ParsedFunction",
    "ParsedFunctionToolCall",
]

ContentT = TypeVar("ContentT")


class ParsedFunction(Function):
    """A function call whose arguments were parsed (for strict tools)."""

    parsed_arguments: Any = None


class ParsedFunctionToolCall(ChatCompletionMessageFunctionToolCall):
    """A function tool call with ``function.parsed_arguments``."""

    function: ParsedFunction


ParsedToolCall = Annotated[
    Union[ParsedFunctionToolCall, ChatCompletionMessageCustomToolCall],
    Field(union_mode="left_to_right"),
]
"""A tool call of a parsed message: a function call with parsed arguments, or a custom call."""


class ParsedChatCompletionMessage(ChatCompletionMessage, Generic[ContentT]):
    """A message with ``parsed``: the content as the requested type, ``None`` on a refusal."""

    parsed: ContentT | None = None
    tool_calls: list[ParsedToolCall] | None = None  # type: ignore[assignment]


class ParsedChoice(Choice, Generic[ContentT]):
    """A choice holding a parsed message."""

    message: ParsedChatCompletionMessage[ContentT]


class ParsedChatCompletion(ChatCompletion, Generic[ContentT]):
    """A chat completion with each choice's content parsed."""

    choices: list[ParsedChoice[ContentT]]  # type: ignore[assignment]
