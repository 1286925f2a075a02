"""One chunk of a streamed chat completion."""

from __future__ import annotations

from typing import Literal

from ._wire_model import BaseModel
from .chat_completion import (
    ChatCompletionTokenLogprob,
    FinishReason,
    ServiceTier,
    reasoning_text,
)
from .completion_usage import CompletionUsage

__all__ = [
    "ChatCompletionChunk",
    "ChoiceDelta",
    "ChoiceDeltaAudio",
    "ChoiceDeltaFunctionCall",
    "ChoiceDeltaToolCall",
    "ChoiceDeltaToolCallFunction",
    "ChoiceLogprobs",
    "ChunkChoice",
]


class ChoiceDeltaFunctionCall(BaseModel):
    """A piece of a deprecated ``function_call``."""

    arguments: str | None = None
    name: str | None = None


class ChoiceDeltaToolCallFunction(BaseModel):
    """A piece of a function tool call: its name once, then its arguments in fragments."""

    arguments: str | None = None
    name: str | None = None


class ChoiceDeltaToolCall(BaseModel):
    """A piece of a tool call; pieces with the same ``index`` belong together."""

    index: int = 0
    id: str | None = None
    function: ChoiceDeltaToolCallFunction | None = None
    type: Literal["function"] | str | None = None


class ChoiceDeltaAudio(BaseModel):
    """A piece of spoken output: base64 data and transcript in fragments."""

    id: str | None = None
    data: str | None = None
    expires_at: int | None = None
    transcript: str | None = None


class ChoiceDelta(BaseModel):
    """What one chunk adds to a choice."""

    content: str | None = None
    audio: ChoiceDeltaAudio | None = None
    function_call: ChoiceDeltaFunctionCall | None = None
    refusal: str | None = None
    role: Literal["developer", "system", "user", "assistant", "tool"] | str | None = None
    tool_calls: list[ChoiceDeltaToolCall] | None = None

    @property
    def reasoning(self) -> str | None:
        """This chunk's piece of the reasoning text, under whichever name the server sent it
        (``REASONING_FIELDS``); the field itself stays in ``model_extra`` as sent."""
        return reasoning_text(self.__pydantic_extra__)


class ChoiceLogprobs(BaseModel):
    """Log probabilities of the tokens in one chunk."""

    content: list[ChatCompletionTokenLogprob] | None = None
    refusal: list[ChatCompletionTokenLogprob] | None = None


class ChunkChoice(BaseModel):
    """A choice inside a chunk."""

    delta: ChoiceDelta
    finish_reason: FinishReason | str | None = None
    index: int = 0
    logprobs: ChoiceLogprobs | None = None


class ChatCompletionChunk(BaseModel):
    """A chunk of a streamed chat completion."""

    id: str = ""
    choices: list[ChunkChoice]
    created: int = 0
    model: str = ""
    object: Literal["chat.completion.chunk"] | str = "chat.completion.chunk"
    service_tier: ServiceTier | str | None = None
    system_fingerprint: str | None = None
    usage: CompletionUsage | None = None


Choice = ChunkChoice
"""The name the openai package gives a chunk's choice inside its chunk module."""
