"""The local model's ``/v1/embeddings``: deterministic vectors in which texts that share words
are close.

Not a semantic model. A text's vector counts its lower-cased words (weight 1) and the character
trigrams of each word (weight 0.5, so "colour" is near "color"), each feature hashed (CRC-32,
the same in every process) into one of ``dimensions`` buckets, then scaled to length 1. The
cosine of two vectors is their overlap in words and spellings: identical texts score 1, texts
with no word or trigram in common about 0 (bucket collisions aside); synonyms score no higher
than unrelated words. Token-id input counts each id as a word.

Requests are checked as the API checks them (400, naming the parameter); any model name is
accepted, as the chat endpoint accepts any.
"""

from __future__ import annotations

import array
import base64
import functools
import math
import re
import sys
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

from .._exceptions import InvalidParameterError
from ._phrasing import tokenize

__all__ = ["DEFAULT_DIMENSIONS", "LOCAL_EMBEDDING_MODEL", "MAX_DIMENSIONS", "embed", "embeddings"]

LOCAL_EMBEDDING_MODEL = "workbench-local-embedding"
"""The name the local model's embeddings go by (any name is accepted)."""
DEFAULT_DIMENSIONS = 256
MAX_DIMENSIONS = 4096
_MAX_INPUTS = 2048
_WORD = re.compile(r"\w+")
_TRIGRAM_WEIGHT = 0.5


@functools.lru_cache(maxsize=65536)
def _bucket(feature: str, dimensions: int) -> int:
    return zlib.crc32(feature.encode("utf-8", "surrogatepass")) % dimensions


def _features(text: str | Sequence[int]) -> list[tuple[str, float]]:
    if not isinstance(text, str):
        return [(f"t:{token}", 1.0) for token in text]
    found: list[tuple[str, float]] = []
    for word in _WORD.findall(text.lower()):
        found.append((f"w:{word}", 1.0))
        padded = f" {word} "
        found += [(f"c:{padded[i : i + 3]}", _TRIGRAM_WEIGHT) for i in range(len(padded) - 2)]
    return found


def embed(text: str | Sequence[int], dimensions: int = DEFAULT_DIMENSIONS) -> list[float]:
    """The local model's vector of ``text`` (or of token ids): ``dimensions`` floats of length
    1, or all zeros for a text without a word."""
    vector = [0.0] * dimensions
    for feature, weight in _features(text):
        vector[_bucket(feature, dimensions)] += weight
    norm = math.sqrt(sum(v * v for v in vector))
    return [v / norm for v in vector] if norm else vector


def _inputs(value: object) -> list[str | list[int]]:
    """The request's inputs, one per vector, or the API's 400."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise InvalidParameterError(
            "input", "must be a string, or a non-empty array of strings or token ids"
        )
    if len(value) > _MAX_INPUTS:
        raise InvalidParameterError("input", f"'$.input' is too long ({len(value)} > 2048)")
    if all(_is_token(v) for v in value):
        return [list(value)]
    inputs: list[str | list[int]] = []
    for i, item in enumerate(value):
        if isinstance(item, str) and item:
            inputs.append(item)
        elif isinstance(item, list) and item and all(_is_token(t) for t in item):
            inputs.append(list(item))
        else:
            raise InvalidParameterError(
                f"input[{i}]", "must be a non-empty string or a non-empty array of token ids"
            )
    return inputs


def _is_token(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _dimensions(value: object) -> int:
    if value is None:
        return DEFAULT_DIMENSIONS
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_DIMENSIONS:
        raise InvalidParameterError(
            "dimensions", f"got {value!r}", allowed=f"an integer from 1 to {MAX_DIMENSIONS}"
        )
    return value


def _encoded(vector: list[float], encoding_format: str) -> list[float] | str:
    if encoding_format == "float":
        return vector
    values = array.array("f", vector)
    if sys.byteorder == "big":
        values.byteswap()
    return base64.b64encode(values.tobytes()).decode("ascii")


def embeddings(body: Mapping[str, Any]) -> dict[str, Any]:
    """The answer to a ``POST /v1/embeddings`` body.

    Raises:
        InvalidParameterError: a missing or invalid parameter (the server's 400).
    """
    if "input" not in body:
        raise InvalidParameterError("input", "Missing required parameter: 'input'.")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidParameterError("model", "Missing required parameter: 'model'.")
    encoding_format = body.get("encoding_format") or "float"
    if encoding_format not in ("float", "base64"):
        raise InvalidParameterError(
            "encoding_format", f"got {encoding_format!r}", allowed=("float", "base64")
        )
    dimensions = _dimensions(body.get("dimensions"))
    inputs = _inputs(body["input"])
    tokens = sum(len(tokenize(i)) if isinstance(i, str) else len(i) for i in inputs)
    data = [
        {
            "object": "embedding",
            "index": i,
            "embedding": _encoded(embed(text, dimensions), encoding_format),
        }
        for i, text in enumerate(inputs)
    ]
    return {
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
