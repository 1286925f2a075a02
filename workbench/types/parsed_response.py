"""Responses whose output text was parsed into the ``text_format`` type."""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar, Union

from pydantic import Discriminator, Tag

from .response import (
    FunctionToolCallItem,
    OutputMessageItem,
    OutputRefusal,
    OutputText,
    ReasoningItem,
    Response,
    ToolCallItem,
    output_item_tag,
)

__all__ = [
    "ParsedFunctionToolCallItem",
    "ParsedOutputMessage",
    "ParsedOutputText",
    "ParsedResponse",
]

ContentT = TypeVar("ContentT")


class ParsedOutputText(OutputText, Generic[ContentT]):
    """Output text with ``parsed``: the text as the requested type."""

    parsed: ContentT | None = None


class ParsedOutputMessage(OutputMessageItem, Generic[ContentT]):
    """An output message whose text parts were parsed."""

    content: list[Union[ParsedOutputText[ContentT], OutputRefusal]]  # type: ignore[assignment]


class ParsedFunctionToolCallItem(FunctionToolCallItem):
    """A function call with ``parsed_arguments``: the arguments as the tool's pydantic model
    (a tool that carries one), as JSON data (a strict tool), else None."""

    parsed_arguments: Any = None


class ParsedResponse(Response, Generic[ContentT]):
    """A response whose messages' text was parsed; ``output_parsed`` is the first parsed value."""

    output: list[  # type: ignore[assignment]
        Annotated[
            Union[
                Annotated[ParsedOutputMessage[ContentT], Tag("message")],
                Annotated[ParsedFunctionToolCallItem, Tag("function_call")],
                Annotated[ReasoningItem, Tag("reasoning")],
                Annotated[ToolCallItem, Tag("other")],
            ],
            Discriminator(output_item_tag),
        ]
    ]

    @property
    def output_parsed(self) -> Any:
        """The first parsed output text, or None (no text, or only a refusal)."""
        for item in self.output:
            if isinstance(item, ParsedOutputMessage):
                for part in item.content:
                    if isinstance(part, ParsedOutputText) and part.parsed is not None:
                        return part.parsed
        return None
