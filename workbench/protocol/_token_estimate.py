"""Token counts estimated from text, where no tokenizer or server count is at hand.

About four characters a token, plus a few tokens a message and a request: OpenAI's rule of
thumb for English. It is an estimate, never presented as a count: grids use it for their cost
estimate before a run, and conversations for the usage of a reply from a server that sends
none (llama-cpp-python's server when streaming), marked ``usage_source="estimate"``. Counting
exactly would need each model's own tokenizer, which cannot be fetched offline.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["CHARS_PER_TOKEN", "content_chars", "estimate_usage", "prompt_estimate", "text_tokens"]

CHARS_PER_TOKEN = 4
TOKENS_PER_MESSAGE = 4
TOKENS_PER_REQUEST = 3


def text_tokens(chars: int) -> int:
    """About how many tokens ``chars`` characters of text are."""
    return math.ceil(chars / CHARS_PER_TOKEN)


def content_chars(content: Any) -> int:
    """The characters of a message's text: a string, or the text of its content parts."""
    if isinstance(content, str):
        return len(content)
    if isinstance(content, list):
        return sum(len(str(p.get("text", ""))) for p in content if isinstance(p, Mapping))
    return 0


def prompt_estimate(messages: Iterable[Mapping[str, Any]], extra: Iterable[Any] = ()) -> int:
    """About how many prompt tokens ``messages`` cost, with ``extra`` (tool declarations, a
    response format's schema) counted as their JSON."""
    count = 0
    chars = 0
    for message in messages:
        count += 1
        chars += content_chars(message.get("content"))
        for call in message.get("tool_calls") or ():
            chars += len(json.dumps(call, default=str))
    chars += sum(len(json.dumps(item, default=str)) for item in extra)
    return text_tokens(chars) + TOKENS_PER_MESSAGE * count + TOKENS_PER_REQUEST


def estimate_usage(
    messages: Iterable[Mapping[str, Any]],
    reply: str,
    *,
    tool_calls: Iterable[Any] = (),
    extra: Iterable[Any] = (),
) -> dict[str, int]:
    """An estimated usage for a reply ``reply`` (and its ``tool_calls``) to ``messages``: the
    fields of a ``CompletionUsage``."""
    prompt = prompt_estimate(messages, extra)
    chars = len(reply) + sum(len(json.dumps(call, default=str)) for call in tool_calls)
    completion = text_tokens(chars)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }
