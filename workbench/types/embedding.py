"""What ``POST /v1/embeddings`` returns: vectors, one per input, and the tokens counted."""

from __future__ import annotations

import array
import base64
import binascii
import sys
from typing import Any, Literal

from pydantic import field_validator

from ._wire_model import BaseModel

__all__ = ["CreateEmbeddingResponse", "Embedding", "EmbeddingUsage"]


def decode_base64_floats(data: str) -> list[float]:
    """The float32 vector a base64 ``embedding`` carries (little-endian, as the API sends it).

    Raises:
        ValueError: ``data`` is not base64, or not a whole number of float32 values.
    """
    try:
        raw = base64.b64decode(data, validate=True)
    except binascii.Error as exc:
        raise ValueError(f"the embedding is neither a list of numbers nor base64: {exc}") from None
    if len(raw) % 4:
        raise ValueError(f"a base64 embedding of {len(raw)} bytes is not float32 values")
    values = array.array("f", raw)
    if sys.byteorder == "big":
        values.byteswap()
    return values.tolist()


class Embedding(BaseModel):
    """One input's vector.

    ``embedding`` is always a list of floats: a base64 string from the server (what the client
    asks for unless ``encoding_format="float"``) is decoded when the response is read.
    """

    embedding: list[float]
    index: int
    object: Literal["embedding"] | str = "embedding"

    @field_validator("embedding", mode="before")
    @classmethod
    def _decode(cls, value: Any) -> Any:
        return decode_base64_floats(value) if isinstance(value, str) else value


class EmbeddingUsage(BaseModel):
    """The tokens the inputs counted (openai's ``create_embedding_response.Usage``)."""

    prompt_tokens: int = 0
    total_tokens: int = 0


class CreateEmbeddingResponse(BaseModel):
    """The answer to ``embeddings.create``: ``data[i]`` is the vector of input ``i``."""

    data: list[Embedding]
    model: str
    object: Literal["list"] | str = "list"
    usage: EmbeddingUsage | None = None
