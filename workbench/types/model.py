"""Models served by the API, and the objects for stored completions."""

from __future__ import annotations

from typing import Any, Literal

from ._wire_model import BaseModel

__all__ = [
    "ChatCompletionContentPartImage",
    "ChatCompletionContentPartText",
    "ChatCompletionDeleted",
    "ChatCompletionStoreMessage",
    "Model",
    "ModelDeleted",
]


class Model(BaseModel):
    """A model the server offers."""

    id: str
    created: int = 0
    object: Literal["model"] | str = "model"
    owned_by: str = ""


class ModelDeleted(BaseModel):
    """The answer to deleting a fine-tuned model."""

    id: str
    deleted: bool
    object: str = "model"


class ChatCompletionDeleted(BaseModel):
    """The answer to deleting a stored chat completion."""

    id: str
    deleted: bool
    object: Literal["chat.completion.deleted"] | str = "chat.completion.deleted"


class ChatCompletionContentPartText(BaseModel):
    """A text part of a stored message."""

    text: str
    type: Literal["text"] = "text"


class ChatCompletionContentPartImage(BaseModel):
    """An image part of a stored message."""

    image_url: dict[str, Any]
    type: Literal["image_url"] = "image_url"


class ChatCompletionStoreMessage(BaseModel):
    """A message of a stored chat completion, as listed by ``messages.list``."""

    id: str
    role: str = "user"
    content: str | None = None
    content_parts: list[ChatCompletionContentPartText | ChatCompletionContentPartImage] | None = (
        None
    )
    name: str | None = None
    refusal: str | None = None
    tool_calls: list[dict[str, Any]] | None = None
    tool_call_id: str | None = None
