"""The keyword parameters of ``responses.create`` (and ``parse`` / ``stream``), as openai 1.106.1
names them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal, Optional, Union

from typing_extensions import TypedDict

from .._sentinels import NotGiven
from .completion_create_params import RequestOptions
from .params import Metadata

__all__ = [
    "ReasoningParam",
    "ResponseCreateParams",
    "ResponseIncludable",
    "ResponseInputItemParam",
    "ResponseTextConfigParam",
]

ResponseIncludable = Literal[
    "code_interpreter_call.outputs",
    "computer_call_output.output.image_url",
    "file_search_call.results",
    "message.input_image.image_url",
    "message.output_text.logprobs",
    "reasoning.encrypted_content",
    "web_search_call.action.sources",
    "web_search_call.results",
]
ResponseInputItemParam = Mapping[str, Any]
"""An input item: a message (``{"role": "user", "content": ...}``), a ``function_call_output``,
an output item of an earlier response passed back, ..."""


class ReasoningParam(TypedDict, total=False):
    """``reasoning``: how hard a reasoning model thinks, and whether it summarizes."""

    effort: Optional[Literal["minimal", "low", "medium", "high"]]
    summary: Optional[Literal["auto", "concise", "detailed"]]
    generate_summary: Optional[Literal["auto", "concise", "detailed"]]


class ResponseTextConfigParam(TypedDict, total=False):
    """``text``: the output's format (text, JSON object, JSON schema) and verbosity."""

    format: Mapping[str, Any]
    verbosity: Optional[Literal["low", "medium", "high"]]


class ResponseCreateParams(RequestOptions, total=False):
    """Every parameter of a create request. Omitted ones are not sent; ``None`` is null."""

    background: Union[Optional[bool], NotGiven]
    conversation: Union[Optional[Union[str, Mapping[str, Any]]], NotGiven]
    include: Union[Optional[list[ResponseIncludable]], NotGiven]
    input: Union[str, Iterable[ResponseInputItemParam], NotGiven]
    instructions: Union[Optional[str], NotGiven]
    max_output_tokens: Union[Optional[int], NotGiven]
    max_tool_calls: Union[Optional[int], NotGiven]
    metadata: Union[Optional[Metadata], NotGiven]
    model: Union[str, NotGiven]
    parallel_tool_calls: Union[Optional[bool], NotGiven]
    previous_response_id: Union[Optional[str], NotGiven]
    prompt: Union[Optional[Mapping[str, Any]], NotGiven]
    prompt_cache_key: Union[str, NotGiven]
    reasoning: Union[Optional[ReasoningParam], NotGiven]
    safety_identifier: Union[str, NotGiven]
    service_tier: Union[Optional[Literal["auto", "default", "flex", "scale", "priority"]], NotGiven]
    store: Union[Optional[bool], NotGiven]
    stream_options: Union[Optional[Mapping[str, Any]], NotGiven]
    temperature: Union[Optional[float], NotGiven]
    text: Union[ResponseTextConfigParam, NotGiven]
    tool_choice: Union[str, Mapping[str, Any], NotGiven]
    tools: Union[Iterable[Mapping[str, Any]], NotGiven]
    top_logprobs: Union[Optional[int], NotGiven]
    top_p: Union[Optional[float], NotGiven]
    truncation: Union[Optional[Literal["auto", "disabled"]], NotGiven]
    user: Union[str, NotGiven]
