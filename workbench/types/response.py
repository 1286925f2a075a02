"""The Responses API's ``Response``: its output items (messages, function calls, reasoning,
built-in tool calls), their content parts, and its usage."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import Discriminator, Tag

from ._wire_model import BaseModel, type_tag

__all__ = [
    "FunctionToolCallItem",
    "OutputItem",
    "OutputMessageContent",
    "OutputMessageItem",
    "OutputRefusal",
    "OutputText",
    "ReasoningItem",
    "ReasoningSummaryPart",
    "Response",
    "ResponseError",
    "ResponseIncompleteDetails",
    "ResponseInputTokensDetails",
    "ResponseItem",
    "ResponseOutputTokensDetails",
    "ResponseUsage",
    "ToolCallItem",
    "output_item_tag",
]

ResponseStatus = Literal["completed", "failed", "in_progress", "cancelled", "queued", "incomplete"]


class OutputText(BaseModel):
    """Text the model wrote, with its annotations (citations) and logprobs when asked for."""

    type: Literal["output_text"] = "output_text"
    text: str = ""
    annotations: list[dict[str, Any]] = []
    logprobs: list[dict[str, Any]] | None = None


class OutputRefusal(BaseModel):
    """The model's refusal, in place of text."""

    type: Literal["refusal"] = "refusal"
    refusal: str = ""


class OtherContent(BaseModel):
    """A content part of a type this version does not know, kept as sent."""

    type: str


OutputMessageContent = Annotated[
    Union[
        Annotated[OutputText, Tag("output_text")],
        Annotated[OutputRefusal, Tag("refusal")],
        Annotated[OtherContent, Tag("other")],
    ],
    Discriminator(type_tag(("output_text", "refusal"), "other")),
]
"""A part of an output message: ``output_text`` or ``refusal`` (others kept loosely)."""


class OutputMessageItem(BaseModel):
    """An assistant message of the output."""

    type: Literal["message"] = "message"
    id: str = ""
    role: Literal["assistant"] = "assistant"
    status: Literal["in_progress", "completed", "incomplete"] | None = None
    content: list[OutputMessageContent] = []


class FunctionToolCallItem(BaseModel):
    """A call of one of the request's function tools; answer it with a
    ``function_call_output`` input item carrying the same ``call_id``."""

    type: Literal["function_call"] = "function_call"
    id: str | None = None
    call_id: str = ""
    name: str = ""
    arguments: str = ""
    status: Literal["in_progress", "completed", "incomplete"] | None = None


class ReasoningSummaryPart(BaseModel):
    """One part of a reasoning summary."""

    type: Literal["summary_text"] = "summary_text"
    text: str = ""


class ReasoningItem(BaseModel):
    """The model's reasoning: its summary (when ``reasoning.summary`` asked for one), and with
    ``include=["reasoning.encrypted_content"]`` the encrypted reasoning to pass back next turn."""

    type: Literal["reasoning"] = "reasoning"
    id: str = ""
    summary: list[ReasoningSummaryPart] = []
    content: list[dict[str, Any]] | None = None
    encrypted_content: str | None = None
    status: Literal["in_progress", "completed", "incomplete"] | None = None


class ToolCallItem(BaseModel):
    """A built-in tool's item (``web_search_call``, ``file_search_call``, ``mcp_call``,
    ``image_generation_call`` ...), or any item type this version does not know: its fields are
    kept as sent (``item.model_extra``)."""

    type: str
    id: str | None = None
    status: str | None = None


output_item_tag = type_tag(("message", "function_call", "reasoning"), "other")
"""The tag of an output item: its type when typed here, else ``other``."""


OutputItem = Annotated[
    Union[
        Annotated[OutputMessageItem, Tag("message")],
        Annotated[FunctionToolCallItem, Tag("function_call")],
        Annotated[ReasoningItem, Tag("reasoning")],
        Annotated[ToolCallItem, Tag("other")],
    ],
    Discriminator(output_item_tag),
]
"""An item of ``Response.output``."""


class ResponseInputTokensDetails(BaseModel):
    """A breakdown of the input tokens."""

    cached_tokens: int = 0


class ResponseOutputTokensDetails(BaseModel):
    """A breakdown of the output tokens."""

    reasoning_tokens: int = 0


class ResponseUsage(BaseModel):
    """Token counts of one response."""

    input_tokens: int = 0
    input_tokens_details: ResponseInputTokensDetails | None = None
    output_tokens: int = 0
    output_tokens_details: ResponseOutputTokensDetails | None = None
    total_tokens: int = 0


class ResponseError(BaseModel):
    """Why a response failed."""

    code: str | None = None
    message: str = ""


class ResponseIncompleteDetails(BaseModel):
    """Why a response is incomplete (``max_output_tokens``, ``content_filter``)."""

    reason: str | None = None


class Response(BaseModel):
    """A response of the Responses API; ``output_text`` joins its text."""

    id: str
    object: Literal["response"] = "response"
    created_at: float = 0
    status: ResponseStatus | None = None
    model: str = ""
    output: list[OutputItem] = []
    error: ResponseError | None = None
    incomplete_details: ResponseIncompleteDetails | None = None
    instructions: str | list[Any] | None = None
    max_output_tokens: int | None = None
    max_tool_calls: int | None = None
    metadata: dict[str, str] | None = None
    parallel_tool_calls: bool = True
    previous_response_id: str | None = None
    reasoning: dict[str, Any] | None = None
    service_tier: str | None = None
    store: bool | None = None
    temperature: float | None = None
    text: dict[str, Any] | None = None
    tool_choice: Any = None
    tools: list[dict[str, Any]] = []
    top_logprobs: int | None = None
    top_p: float | None = None
    truncation: str | None = None
    usage: ResponseUsage | None = None
    user: str | None = None
    background: bool | None = None
    conversation: dict[str, Any] | None = None
    prompt: dict[str, Any] | None = None
    prompt_cache_key: str | None = None
    safety_identifier: str | None = None

    @property
    def output_text(self) -> str:
        """The text of every ``output_text`` part of the output's messages, joined."""
        texts: list[str] = []
        for item in self.output:
            if isinstance(item, OutputMessageItem):
                texts.extend(part.text for part in item.content if isinstance(part, OutputText))
        return "".join(texts)


class ResponseItem(BaseModel):
    """An input item of a stored response (``responses.input_items.list``): a message, a
    function call or its output, ... with its fields kept as sent."""

    type: str | None = None
    id: str | None = None
