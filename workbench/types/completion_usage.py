"""Token usage reported with a completion."""

from __future__ import annotations

from ._wire_model import BaseModel

__all__ = ["CompletionTokensDetails", "CompletionUsage", "PromptTokensDetails"]


class CompletionTokensDetails(BaseModel):
    """A breakdown of the tokens in the completion."""

    accepted_prediction_tokens: int | None = None
    audio_tokens: int | None = None
    reasoning_tokens: int | None = None
    rejected_prediction_tokens: int | None = None


class PromptTokensDetails(BaseModel):
    """A breakdown of the tokens in the prompt."""

    audio_tokens: int | None = None
    cached_tokens: int | None = None


class CompletionUsage(BaseModel):
    """Token counts for one request."""

    completion_tokens: int = 0
    prompt_tokens: int = 0
    total_tokens: int = 0
    completion_tokens_details: CompletionTokensDetails | None = None
    prompt_tokens_details: PromptTokensDetails | None = None
