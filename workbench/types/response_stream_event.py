"""The events of a streamed Response, typed as openai 1.106 names them; an event of a type this
version does not know is an ``UnknownResponseEvent``, never an error."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import Discriminator, Field, SerializeAsAny, Tag, TypeAdapter, ValidationError

from ._wire_model import BaseModel, type_tag
from .response import OutputItem, OutputMessageContent, ReasoningSummaryPart, Response

__all__ = [
    "RESPONSE_EVENT_ADAPTER",
    "TERMINAL_EVENT_TYPES",
    "ResponseCompletedEvent",
    "ResponseContentPartAddedEvent",
    "ResponseContentPartDoneEvent",
    "ResponseCreatedEvent",
    "ResponseErrorEvent",
    "ResponseFailedEvent",
    "ResponseFunctionCallArgumentsDeltaEvent",
    "ResponseFunctionCallArgumentsDoneEvent",
    "ResponseInProgressEvent",
    "ResponseIncompleteEvent",
    "ResponseOutputItemAddedEvent",
    "ResponseOutputItemDoneEvent",
    "ResponseReasoningSummaryPartAddedEvent",
    "ResponseReasoningSummaryPartDoneEvent",
    "ResponseReasoningSummaryTextDeltaEvent",
    "ResponseReasoningSummaryTextDoneEvent",
    "ResponseRefusalDeltaEvent",
    "ResponseRefusalDoneEvent",
    "ResponseStreamEvent",
    "ResponseTextDeltaEvent",
    "ResponseTextDoneEvent",
    "UnknownResponseEvent",
    "decode_event",
]


class _Event(BaseModel):
    # Recordings from before mid-2025 carry no sequence number.
    sequence_number: int | None = None


class _ResponseEvent(_Event):
    # Any: the stream managers put the parsed response (a subclass) in the last event.
    response: SerializeAsAny[Response]


class ResponseCreatedEvent(_ResponseEvent):
    """The response was created (its output empty)."""

    type: Literal["response.created"] = "response.created"


class ResponseInProgressEvent(_ResponseEvent):
    """The response is being generated."""

    type: Literal["response.in_progress"] = "response.in_progress"


class ResponseCompletedEvent(_ResponseEvent):
    """The last event of a finished response: the whole response."""

    type: Literal["response.completed"] = "response.completed"


class ResponseFailedEvent(_ResponseEvent):
    """The last event of a failed response (``response.error`` says why)."""

    type: Literal["response.failed"] = "response.failed"


class ResponseIncompleteEvent(_ResponseEvent):
    """The last event of a response cut short (``response.incomplete_details`` says why)."""

    type: Literal["response.incomplete"] = "response.incomplete"


class _ItemEvent(_Event):
    output_index: int
    item: OutputItem


class ResponseOutputItemAddedEvent(_ItemEvent):
    """A new output item begins."""

    type: Literal["response.output_item.added"] = "response.output_item.added"


class ResponseOutputItemDoneEvent(_ItemEvent):
    """An output item is finished, whole."""

    type: Literal["response.output_item.done"] = "response.output_item.done"


class _PartEvent(_Event):
    item_id: str
    output_index: int
    content_index: int
    part: OutputMessageContent


class ResponseContentPartAddedEvent(_PartEvent):
    """A content part of a message begins."""

    type: Literal["response.content_part.added"] = "response.content_part.added"


class ResponseContentPartDoneEvent(_PartEvent):
    """A content part of a message is finished."""

    type: Literal["response.content_part.done"] = "response.content_part.done"


class _ContentEvent(_Event):
    item_id: str
    output_index: int
    content_index: int


class ResponseTextDeltaEvent(_ContentEvent):
    """More text of an ``output_text`` part."""

    type: Literal["response.output_text.delta"] = "response.output_text.delta"
    delta: str
    logprobs: list[dict[str, Any]] | None = None


class ResponseTextDoneEvent(_ContentEvent):
    """The whole text of an ``output_text`` part."""

    type: Literal["response.output_text.done"] = "response.output_text.done"
    text: str
    logprobs: list[dict[str, Any]] | None = None


class ResponseRefusalDeltaEvent(_ContentEvent):
    """More of a refusal."""

    type: Literal["response.refusal.delta"] = "response.refusal.delta"
    delta: str


class ResponseRefusalDoneEvent(_ContentEvent):
    """The whole refusal."""

    type: Literal["response.refusal.done"] = "response.refusal.done"
    refusal: str


class ResponseFunctionCallArgumentsDeltaEvent(_Event):
    """More of a function call's arguments (JSON text)."""

    type: Literal["response.function_call_arguments.delta"] = (
        "response.function_call_arguments.delta"
    )
    item_id: str
    output_index: int
    delta: str


class ResponseFunctionCallArgumentsDoneEvent(_Event):
    """A function call's whole arguments."""

    type: Literal["response.function_call_arguments.done"] = "response.function_call_arguments.done"
    item_id: str
    output_index: int
    arguments: str
    name: str | None = None


class _SummaryPartEvent(_Event):
    item_id: str
    output_index: int
    summary_index: int
    part: ReasoningSummaryPart


class ResponseReasoningSummaryPartAddedEvent(_SummaryPartEvent):
    """A part of a reasoning summary begins."""

    type: Literal["response.reasoning_summary_part.added"] = "response.reasoning_summary_part.added"


class ResponseReasoningSummaryPartDoneEvent(_SummaryPartEvent):
    """A part of a reasoning summary is finished."""

    type: Literal["response.reasoning_summary_part.done"] = "response.reasoning_summary_part.done"


class _SummaryTextEvent(_Event):
    item_id: str
    output_index: int
    summary_index: int


class ResponseReasoningSummaryTextDeltaEvent(_SummaryTextEvent):
    """More text of a reasoning summary part."""

    type: Literal["response.reasoning_summary_text.delta"] = "response.reasoning_summary_text.delta"
    delta: str


class ResponseReasoningSummaryTextDoneEvent(_SummaryTextEvent):
    """The whole text of a reasoning summary part."""

    type: Literal["response.reasoning_summary_text.done"] = "response.reasoning_summary_text.done"
    text: str


class ResponseErrorEvent(_Event):
    """An error the server reports inside the stream."""

    type: Literal["error"] = "error"
    code: str | None = None
    message: str = ""
    param: str | None = None


class UnknownResponseEvent(_Event):
    """An event of a type this version does not type (``response.web_search_call.searching``,
    ``response.output_text.annotation.added``, ...): its fields are kept as sent."""

    type: str


_TYPED: tuple[type[_Event], ...] = (
    ResponseCreatedEvent,
    ResponseInProgressEvent,
    ResponseCompletedEvent,
    ResponseFailedEvent,
    ResponseIncompleteEvent,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseContentPartAddedEvent,
    ResponseContentPartDoneEvent,
    ResponseTextDeltaEvent,
    ResponseTextDoneEvent,
    ResponseRefusalDeltaEvent,
    ResponseRefusalDoneEvent,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseFunctionCallArgumentsDoneEvent,
    ResponseReasoningSummaryPartAddedEvent,
    ResponseReasoningSummaryPartDoneEvent,
    ResponseReasoningSummaryTextDeltaEvent,
    ResponseReasoningSummaryTextDoneEvent,
    ResponseErrorEvent,
)
_TYPES = frozenset(cls.model_fields["type"].default for cls in _TYPED)
TERMINAL_EVENT_TYPES = frozenset({"response.completed", "response.failed", "response.incomplete"})
"""The types of the events that end a response's stream."""


ResponseStreamEvent = Annotated[
    Union[
        Annotated[ResponseCreatedEvent, Tag("response.created")],
        Annotated[ResponseInProgressEvent, Tag("response.in_progress")],
        Annotated[ResponseCompletedEvent, Tag("response.completed")],
        Annotated[ResponseFailedEvent, Tag("response.failed")],
        Annotated[ResponseIncompleteEvent, Tag("response.incomplete")],
        Annotated[ResponseOutputItemAddedEvent, Tag("response.output_item.added")],
        Annotated[ResponseOutputItemDoneEvent, Tag("response.output_item.done")],
        Annotated[ResponseContentPartAddedEvent, Tag("response.content_part.added")],
        Annotated[ResponseContentPartDoneEvent, Tag("response.content_part.done")],
        Annotated[ResponseTextDeltaEvent, Tag("response.output_text.delta")],
        Annotated[ResponseTextDoneEvent, Tag("response.output_text.done")],
        Annotated[ResponseRefusalDeltaEvent, Tag("response.refusal.delta")],
        Annotated[ResponseRefusalDoneEvent, Tag("response.refusal.done")],
        Annotated[
            ResponseFunctionCallArgumentsDeltaEvent, Tag("response.function_call_arguments.delta")
        ],
        Annotated[
            ResponseFunctionCallArgumentsDoneEvent, Tag("response.function_call_arguments.done")
        ],
        Annotated[
            ResponseReasoningSummaryPartAddedEvent, Tag("response.reasoning_summary_part.added")
        ],
        Annotated[
            ResponseReasoningSummaryPartDoneEvent, Tag("response.reasoning_summary_part.done")
        ],
        Annotated[
            ResponseReasoningSummaryTextDeltaEvent, Tag("response.reasoning_summary_text.delta")
        ],
        Annotated[
            ResponseReasoningSummaryTextDoneEvent, Tag("response.reasoning_summary_text.done")
        ],
        Annotated[ResponseErrorEvent, Tag("error")],
        Annotated[UnknownResponseEvent, Tag("unknown")],
    ],
    Discriminator(type_tag(_TYPES, "unknown")),
]
"""Any event of a streamed Response, told apart by its ``type``."""

RESPONSE_EVENT_ADAPTER: TypeAdapter[ResponseStreamEvent] = TypeAdapter(ResponseStreamEvent)
"""Validates one event's JSON (``RESPONSE_EVENT_ADAPTER.validate_json(data)``)."""

# The typed events alone, told apart by pydantic itself: a third faster than the function above
# (which runs in Python for every event); an unknown type is the rare case, decoded after.
_known: Any = Annotated[Union[_TYPED], Field(discriminator="type")]
_KNOWN_EVENTS: TypeAdapter[Any] = TypeAdapter(_known)
# Its core validator itself: ``TypeAdapter.validate_json`` adds a Python call that sorts its
# keyword options on every event.
_validate_known = _KNOWN_EVENTS.validator.validate_json


def decode_event(data: bytes | str) -> ResponseStreamEvent:
    """The typed event of one event's JSON; an unknown type is an ``UnknownResponseEvent``.

    Raises:
        pydantic.ValidationError: a known type with the wrong fields, or no type at all.
    """
    try:
        return _validate_known(data)  # type: ignore[no-any-return]
    except ValidationError as exc:
        if exc.errors(include_url=False)[0]["type"] != "union_tag_invalid":
            raise
    return UnknownResponseEvent.model_validate_json(data)
