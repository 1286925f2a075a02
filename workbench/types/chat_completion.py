"""A whole (non-streamed) chat completion and the objects inside it."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import Field

from ._wire_model import BaseModel
from .completion_usage import CompletionUsage

__all__ = [
    "REASONING_FIELDS",
    "Annotation",
    "AnnotationURLCitation",
    "ChatCompletion",
    "ChatCompletionAudio",
    "ChatCompletionMessage",
    "ChatCompletionMessageCustomToolCall",
    "ChatCompletionMessageFunctionToolCall",
    "ChatCompletionMessageToolCall",
    "ChatCompletionMessageToolCallUnion",
    "ChatCompletionTokenLogprob",
    "Choice",
    "ChoiceLogprobs",
    "Custom",
    "FinishReason",
    "Function",
    "FunctionCall",
    "ServiceTier",
    "TopLogprob",
]

FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "function_call"]
"""Why the model stopped. Servers other than OpenAI may send other strings; they are kept."""

ServiceTier = Literal["auto", "default", "flex", "scale", "priority"]

REASONING_FIELDS = ("reasoning_content", "reasoning")
"""The fields OpenAI-compatible servers send a reasoning model's thinking in, beside
``content``, in the order ``reasoning`` reads them: ``reasoning_content`` (DeepSeek, llama.cpp's
``llama-server``, LiteLLM, vLLM before 0.19) and ``reasoning`` (vLLM since, Ollama, OpenRouter,
Groq). OpenAI's own API sends no reasoning text, only ``reasoning_tokens`` in the usage."""


def reasoning_text(extra: dict[str, Any] | None) -> str | None:
    """The reasoning text among a message's (or delta's) added fields: the first of
    ``REASONING_FIELDS`` that holds a string; None when none does."""
    if extra:
        for name in REASONING_FIELDS:
            value = extra.get(name)
            if isinstance(value, str):
                return value
    return None


class TopLogprob(BaseModel):
    """One of the most likely tokens at a position."""

    token: str
    bytes: list[int] | None = None
    logprob: float


class ChatCompletionTokenLogprob(BaseModel):
    """The log probability of one output token, with the most likely alternatives."""

    token: str
    bytes: list[int] | None = None
    logprob: float
    top_logprobs: list[TopLogprob] = Field(default_factory=list)


class ChoiceLogprobs(BaseModel):
    """Log probabilities of a choice's content and refusal tokens."""

    content: list[ChatCompletionTokenLogprob] | None = None
    refusal: list[ChatCompletionTokenLogprob] | None = None


class Function(BaseModel):
    """The function a tool call invokes; ``arguments`` is JSON text written by the model."""

    name: str
    arguments: str


class ChatCompletionMessageFunctionToolCall(BaseModel):
    """A call of a function tool."""

    id: str
    function: Function
    type: Literal["function"] = "function"


class Custom(BaseModel):
    """The input of a custom (free-form) tool call."""

    name: str
    input: str


class ChatCompletionMessageCustomToolCall(BaseModel):
    """A call of a custom tool."""

    id: str
    custom: Custom
    type: Literal["custom"] = "custom"


ChatCompletionMessageToolCall = ChatCompletionMessageFunctionToolCall
"""The function tool call; an alias kept as the openai package keeps it."""

ChatCompletionMessageToolCallUnion = Annotated[
    Union[ChatCompletionMessageFunctionToolCall, ChatCompletionMessageCustomToolCall],
    Field(union_mode="left_to_right"),
]


class FunctionCall(BaseModel):
    """A deprecated ``function_call`` of the model."""

    name: str
    arguments: str


class AnnotationURLCitation(BaseModel):
    """A web citation in a message."""

    end_index: int
    start_index: int
    title: str
    url: str


class Annotation(BaseModel):
    """An annotation of a message, such as a URL citation."""

    type: Literal["url_citation"] | str = "url_citation"
    url_citation: AnnotationURLCitation | None = None


class ChatCompletionAudio(BaseModel):
    """Audio the model spoke, when the audio modality was asked for."""

    id: str
    data: str = ""
    expires_at: int = 0
    transcript: str = ""


class ChatCompletionMessage(BaseModel):
    """A message written by the model."""

    content: str | None = None
    refusal: str | None = None
    role: Literal["assistant"] = "assistant"
    annotations: list[Annotation] | None = None
    audio: ChatCompletionAudio | None = None
    function_call: FunctionCall | None = None
    tool_calls: list[ChatCompletionMessageToolCallUnion] | None = None

    @property
    def reasoning(self) -> str | None:
        """The model's reasoning text, under whichever name the server sent it
        (``REASONING_FIELDS``); None when it sent none (OpenAI's API never does).

        The field itself stays as the server sent it: ``message.reasoning_content`` (or
        ``message.reasoning``) in ``model_extra`` and in ``model_dump()``. Not a pydantic field,
        so dumps and equality are those of the openai package's message.
        """
        return reasoning_text(self.__pydantic_extra__)


class Choice(BaseModel):
    """One of the ``n`` completions the model wrote."""

    finish_reason: FinishReason | str | None = None
    index: int = 0
    logprobs: ChoiceLogprobs | None = None
    message: ChatCompletionMessage


class ChatCompletion(BaseModel):
    """A chat completion returned by the model."""

    id: str
    choices: list[Choice]
    created: int = 0
    model: str = ""
    object: Literal["chat.completion"] | str = "chat.completion"
    service_tier: ServiceTier | str | None = None
    system_fingerprint: str | None = None
    usage: CompletionUsage | None = None
