"""What the local reasoning model thinks before it answers: deterministic reasoning text.

``workbench-local-reasoning`` sends this text as reasoning servers do, beside the content: in
``reasoning_content`` by default (DeepSeek's API, llama.cpp's ``llama-server --reasoning-format
deepseek``, LiteLLM, vLLM before 0.19), or in ``reasoning`` (newer vLLM, Ollama, OpenRouter,
Groq) for a ``LocalModel(reasoning_field="reasoning")``. Streamed, it comes first, as deltas with
``content: null``; whole, it is a field of the message. Like every reply of the local model it
depends only on the request (the words, the model, the seed), so the same request thinks the
same thoughts. Every other model keeps its reasoning hidden, as OpenAI's do: only
``reasoning_tokens`` in the usage says it thought.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

__all__ = ["REASONING_FIELDS", "REASONING_MODEL", "think"]

REASONING_MODEL = "workbench-local-reasoning"
"""The one local model that shows its reasoning."""

REASONING_FIELDS = ("reasoning_content", "reasoning")
"""The names servers send reasoning text under; a ``LocalModel`` uses one of them."""

# How many thoughts beyond the first two each effort adds ("minimal": no reasoning at all).
_MORE = {"low": 0, "medium": 2, "high": 5}
_THOUGHTS = (
    "Let me take the words one at a time.",
    "I know nothing of the world, only these words.",
    "Nothing here needs a calculation.",
    "A short answer will do; they can ask for more.",
    "The seed and the temperature decide which variation I give.",
    "I should keep their words in the order they came.",
    "Wait, did I read that right? Yes.",
    "A list or a table would not help here.",
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*|[0-9]+")
_QUOTED = 60  # characters of the user's message quoted in the first thought


def think(
    *,
    user_text: str,
    effort: str,
    seed: int,
    refused: bool = False,
    tools: Sequence[str] = (),
    tool_results: Sequence[str] = (),
    schema: str | None = None,
) -> str | None:
    """The reasoning before one reply; None for ``effort="minimal"`` (thinking switched off).

    Args:
        user_text: the user's last message.
        effort: ``reasoning_effort``: ``low``, ``medium`` or ``high`` thinks more each time.
        seed: the choice's seed; it picks which thoughts come.
        refused: the reply is a refusal.
        tools: the names of the tools the reply calls.
        tool_results: the names of the tools whose results the reply reads.
        schema: the JSON schema's name (``json_object`` for a JSON object) the reply fills.
    """
    if effort not in _MORE:
        return None
    quote = " ".join(user_text.split())
    if len(quote) > _QUOTED:
        quote = quote[: _QUOTED - 1].rstrip() + "…"
    first = f'The user says: "{quote}".' if quote else "The user said nothing I can read."
    if refused:
        plan = "It holds the words that make me refuse, so I will decline."
    elif tools:
        plan = f"A tool fits: I will call {', '.join(tools)} and wait for the result."
    elif tool_results:
        plan = f"{', '.join(tool_results)} answered; I will put the result into words."
    elif schema == "json_object":
        plan = "They want a JSON object; I will describe their message in one."
    elif schema is not None:
        plan = f"They want JSON that fits {schema}; I will fill in every field."
    elif quote.endswith("?"):
        plan = "It is a question, so I will answer it with their own words."
    else:
        plan = "I will give their words back, reshaped."
    thoughts = [first, plan]
    rng = random.Random(seed)
    words = _WORD.findall(user_text)
    more = list(_THOUGHTS)
    if words:
        longest = max(words, key=len)
        more.append(f'The longest word is "{longest}"; that may be the topic.')
    thoughts += rng.sample(more, min(_MORE[effort], len(more)))
    if _MORE[effort] > 2:  # a long think comes in two paragraphs, as real ones do
        return " ".join(thoughts[:3]) + "\n\n" + " ".join(thoughts[3:])
    return " ".join(thoughts)
