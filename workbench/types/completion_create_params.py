"""The keyword parameters of ``chat.completions.create`` (and ``parse`` / ``stream``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal, Optional, Union

import httpx
from typing_extensions import TypedDict

from .._sentinels import NotGiven
from .params import (
    ChatCompletionAudioParam,
    ChatCompletionFunctionCallOptionParam,
    ChatCompletionModality,
    ChatCompletionPredictionContentParam,
    ChatCompletionStreamOptionsParam,
    ChatCompletionToolChoiceOptionParam,
    ChatCompletionToolUnionParam,
    Function,
    Metadata,
    ResponseFormat,
    WebSearchOptions,
)

__all__ = ["CompletionCreateParams", "CompletionListParams", "RequestOptions"]

Headers = Mapping[str, Union[str, NotGiven]]
Query = Mapping[str, object]
Body = Mapping[str, object]


class RequestOptions(TypedDict, total=False):
    """Per-request transport options, accepted by every method."""

    extra_headers: Optional[Headers]
    extra_query: Optional[Query]
    extra_body: Optional[Body]
    timeout: Union[float, httpx.Timeout, NotGiven, None]


class CompletionCreateParams(RequestOptions, total=False):
    """Every optional parameter of a create request. Omitted ones are not sent; ``None`` is null.

    ``response_format`` also takes a pydantic model class or a bare JSON schema, which are turned
    into a ``json_schema`` response format (``parse`` also parses the reply into that type).
    """

    audio: Union[Optional[ChatCompletionAudioParam], NotGiven]
    frequency_penalty: Union[Optional[float], NotGiven]
    function_call: Union[Literal["none", "auto"], ChatCompletionFunctionCallOptionParam, NotGiven]
    functions: Union[Iterable[Function], NotGiven]
    logit_bias: Union[Optional[dict[str, int]], NotGiven]
    logprobs: Union[Optional[bool], NotGiven]
    max_completion_tokens: Union[Optional[int], NotGiven]
    max_tokens: Union[Optional[int], NotGiven]
    metadata: Union[Optional[Metadata], NotGiven]
    modalities: Union[Optional[list[ChatCompletionModality]], NotGiven]
    n: Union[Optional[int], NotGiven]
    parallel_tool_calls: Union[bool, NotGiven]
    prediction: Union[Optional[ChatCompletionPredictionContentParam], NotGiven]
    presence_penalty: Union[Optional[float], NotGiven]
    prompt_cache_key: Union[str, NotGiven]
    reasoning_effort: Union[Optional[Literal["minimal", "low", "medium", "high"]], NotGiven]
    response_format: Union[ResponseFormat, type[Any], Mapping[str, Any], str, NotGiven]
    safety_identifier: Union[str, NotGiven]
    seed: Union[Optional[int], NotGiven]
    service_tier: Union[Optional[Literal["auto", "default", "flex", "scale", "priority"]], NotGiven]
    stop: Union[Optional[str], list[str], NotGiven, None]
    store: Union[Optional[bool], NotGiven]
    stream_options: Union[Optional[ChatCompletionStreamOptionsParam], NotGiven]
    temperature: Union[Optional[float], NotGiven]
    tool_choice: Union[ChatCompletionToolChoiceOptionParam, NotGiven]
    tools: Union[Iterable[ChatCompletionToolUnionParam], NotGiven]
    top_logprobs: Union[Optional[int], NotGiven]
    top_p: Union[Optional[float], NotGiven]
    user: Union[str, NotGiven]
    verbosity: Union[Optional[Literal["low", "medium", "high"]], NotGiven]
    web_search_options: Union[WebSearchOptions, NotGiven]


class CompletionListParams(RequestOptions, total=False):
    """Filters for listing stored completions."""

    after: Union[str, NotGiven]
    limit: Union[int, NotGiven]
    metadata: Union[Optional[Metadata], NotGiven]
    model: Union[str, NotGiven]
    order: Union[Literal["asc", "desc"], NotGiven]
