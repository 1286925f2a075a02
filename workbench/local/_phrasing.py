"""What the local model says: a tokenizer, deterministic replies, and plausible logprobs."""

from __future__ import annotations

import random
import re
import zlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = [
    "count_prompt_tokens",
    "message_text",
    "reply_text",
    "stable_hash",
    "token_logprobs",
    "tokenize",
]

_TOKEN = re.compile(r" ?[A-Za-z]+| ?[0-9]{1,3}| ?[^\sA-Za-z0-9]| ?\n|\s+")
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*|[0-9]+")

_FILLERS = (
    "A real model would reason about this; I only rearrange your words.",
    "Everything here is computed from your message, the model name and the seed.",
    "Change the temperature or the seed to hear a different variation.",
    "Ask me for code, a list or a table and I will shape the reply that way.",
    "Offer me tools and I will call the one whose name matches your words best.",
    "Give me a JSON schema as response_format and I will fill it in.",
    "Streaming, usage, logprobs and stop sequences behave as the real API's do.",
    "Nothing you type leaves this machine.",
    "Your words are the only input I have, so I echo them back in new shapes.",
    "This reply is deterministic: the same request and seed give the same answer.",
)
_OPENERS = ("Sure.", "Here you go.", "Of course.", "Happy to help.", "Let me see.", "Right.")
_ALTERNATIVES = (" the", " a", ",", ".", " and", " of", " to", " is", " it", " you")
_VERBOSITY = {"low": 1, "medium": 2, "high": 5}


def stable_hash(*parts: object) -> int:
    """A hash that is the same in every process (unlike ``hash()``)."""
    return zlib.crc32(repr(parts).encode("utf-8", "surrogatepass"))


def tokenize(text: str) -> list[str]:
    """Split text into GPT-like tokens: words with their leading space, numbers, punctuation."""
    return _TOKEN.findall(text)


def message_text(message: Mapping[str, Any]) -> str:
    """The text of a message's content; other parts are named in brackets."""
    content = message.get("content")
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    pieces: list[str] = []
    for part in content:
        if not isinstance(part, Mapping):
            continue
        kind = part.get("type")
        if kind == "text":
            pieces.append(str(part.get("text", "")))
        elif kind == "refusal":
            pieces.append(str(part.get("refusal", "")))
        else:
            pieces.append(f"[{kind}]")
    return " ".join(pieces)


def count_prompt_tokens(messages: Sequence[Mapping[str, Any]], tools: Sequence[Any] = ()) -> int:
    """Prompt tokens as a chat model counts them: content plus a few per message."""
    total = 3
    for message in messages:
        total += 4 + len(tokenize(message_text(message)))
        if message.get("name"):
            total += 1
        for call in message.get("tool_calls") or ():
            function = call.get("function", {}) if isinstance(call, Mapping) else {}
            total += 3 + len(tokenize(str(function.get("arguments", ""))))
    for tool in tools:
        total += 8 + len(tokenize(repr(tool))) // 2
    return total


def _style(model: str) -> int:
    return stable_hash("style", model) % 6


def _transform(style: int, text: str, words: list[str]) -> str:
    """The model name picks how the last user message is echoed back."""
    quoted = text if len(text) <= 160 else text[:157] + "..."
    if not words:
        return "You sent no words, so I have nothing to echo."
    if style == 0:
        return f'You said: "{quoted}"'
    if style == 1:
        return f'Your words backwards: "{" ".join(reversed(words))}"'
    if style == 2:
        return f'In capitals: "{quoted.upper()}"'
    if style == 3:
        longest = max(words, key=len)
        return f'Your message has {len(words)} words; the longest is "{longest}".'
    if style == 4:
        keys = sorted({w.lower() for w in words if len(w) > 3})[:5] or words[:3]
        return "The key words I picked out:\n\n" + "\n".join(f"- {k}" for k in keys) + "\n"
    return f'As a title: "{" ".join(w.capitalize() for w in words)}"'


def _shaped(text: str, words: list[str]) -> str:
    """Extra shape the user asked for: a code block or a table."""
    lowered = text.lower()
    if any(key in lowered for key in ("code", "python", "function", "script")):
        name = "_".join(w.lower() for w in words[:3] if w.isalpha()) or "answer"
        return (
            f"\n\n```python\ndef {name}():\n"
            f'    """A simulated answer to: {text[:60]!r}"""\n'
            f"    return {len(words)}\n```\n"
        )
    if "table" in lowered:
        rows = "\n".join(f"| {i + 1} | {w} | {len(w)} |" for i, w in enumerate(words[:5]))
        return f"\n\n| # | word | letters |\n|---|---|---|\n{rows}\n"
    return ""


def reply_text(
    *,
    model: str,
    messages: Sequence[Mapping[str, Any]],
    salt: object,
    temperature: float | None,
    verbosity: str | None,
    choice_index: int,
    tool_results: Sequence[tuple[str, str]] = (),
    attachments: str | None = None,
) -> str:
    """The reply to a conversation.

    It quotes and transforms the last user message (how depends on the model name), notes the
    turn, answers from tool results when there are some, and adds a few sentences whose choice
    depends on ``salt`` (the seed, or which sample of an unseeded request this is) and grows more
    varied with the temperature. ``attachments`` (a sentence
    naming the message's images, recordings and files) comes first.
    """
    users = [m for m in messages if m.get("role") == "user"]
    last = message_text(users[-1]) if users else ""
    words = _WORD.findall(last)
    temp = 1.0 if temperature is None else float(temperature)
    # At temperature 0 the salt does not matter (greedy); above it, it picks a variation.
    salt = 0 if temp == 0 else salt
    rng = random.Random(stable_hash(model, last, len(messages), choice_index, salt, round(temp, 2)))
    parts = [f"[local model {model!r}, a simulator]"]
    if temp > 0 and rng.random() < min(1.0, temp / 2):
        parts.append(rng.choice(_OPENERS))
    if attachments:
        parts.append(attachments)
    if tool_results:
        for name, result in tool_results:
            shown = result if len(result) <= 200 else result[:197] + "..."
            parts.append(f"The {name} tool returned: {shown}.")
        parts.append(f'That answers "{last[:80]}".' if last else "That is what the tools said.")
    else:
        parts.append(_transform(_style(model), last, words))
        if len(users) > 1:
            parts.append(f"This is your message number {len(users)} in this conversation.")
    count = _VERBOSITY.get(verbosity or "medium", 2)
    pool = list(_FILLERS)
    if temp == 0:
        chosen = [pool[(stable_hash(model, last) + i) % len(pool)] for i in range(count)]
    else:
        chosen = rng.sample(pool, k=min(count, len(pool)))
    text = " ".join(parts) + " " + " ".join(chosen)
    return text + _shaped(last, words)


def token_logprobs(
    tokens: Iterable[str], *, top_logprobs: int, rng_seed: int
) -> list[dict[str, Any]]:
    """A plausible log probability for each token, with ``top_logprobs`` alternatives each."""
    rng = random.Random(rng_seed)
    out: list[dict[str, Any]] = []
    for token in tokens:
        logprob = -round(rng.random() ** 3 * 4.0, 6)
        top: list[dict[str, Any]] = []
        if top_logprobs:
            top.append({"token": token, "logprob": logprob, "bytes": list(token.encode())})
            others = [alt for alt in _ALTERNATIVES if alt != token]
            below = logprob
            for alt in rng.sample(others, k=min(top_logprobs - 1, len(others))):
                below = round(below - 0.5 - rng.random() * 2.0, 6)
                top.append({"token": alt, "logprob": below, "bytes": list(alt.encode())})
        entry = {
            "token": token,
            "logprob": logprob,
            "bytes": list(token.encode()),
            "top_logprobs": top,
        }
        out.append(entry)
    return out
