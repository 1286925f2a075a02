"""What a reply cost: the server's own figure where it reports one (OpenRouter's ``usage.cost``),
else from the ``genai-prices`` table (its bundled snapshot; never fetched).

``cost_usd`` answers in US dollars, or ``None`` when the price is not known: the local model, a
server the table does not know (Ollama, vLLM, ...), or a model it does not list. An unknown cost
is never 0. A reply that came through OpenAI's Batch API costs half the table's price
(``BATCH_DISCOUNT``: https://platform.openai.com/docs/guides/batch).

Token kinds follow the API's usage: ``prompt_tokens`` include the cached ones (billed at the
cache-read price) and the audio ones; ``completion_tokens`` include the reasoning tokens (billed
as output) and the audio ones.
"""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import urlsplit

__all__ = ["BATCH_DISCOUNT", "cost_usd"]

BATCH_DISCOUNT = 0.5
"""What a Batch API reply costs, as a share of the same reply's price sent directly (OpenAI's
Batch API: 50% off input and output tokens)."""

_OPENAI_HOSTS = frozenset({"api.openai.com"})


def cost_usd(
    model: str | None, usage: Any, base_url: str | None, *, batch: bool = False
) -> float | None:
    """The price of one reply's ``usage`` (a ``CompletionUsage``) for ``model`` at ``base_url``.

    Args:
        model: the model that answered (the response's ``model``, or the one asked for).
        usage: the reply's usage, or None.
        base_url: the server's base URL; None or the local model's: no price.
        batch: the reply came through the Batch API: the table's price times
            ``BATCH_DISCOUNT`` (a price the server reported is its own, kept as it is).

    Returns:
        Dollars, or None when unknown.
    """
    reported = _reported_cost(usage)
    if reported is not None:
        return reported
    if not model or usage is None or not base_url or base_url.startswith("http://workbench-"):
        return None
    host = urlsplit(base_url).hostname or ""
    provider = "openai" if host in _OPENAI_HOSTS else None
    if provider is None and host in ("127.0.0.1", "localhost", "::1"):
        return None  # a server on this machine: nothing to pay per token
    prompt = _details(usage, "prompt_tokens_details")
    completion = _details(usage, "completion_tokens_details")
    price = _price(
        model,
        provider,
        None if provider else base_url,
        int(getattr(usage, "prompt_tokens", 0) or 0),
        int(getattr(usage, "completion_tokens", 0) or 0),
        int(prompt.get("cached_tokens") or 0),
        int(prompt.get("audio_tokens") or 0),
        int(completion.get("audio_tokens") or 0),
    )
    return price * BATCH_DISCOUNT if price is not None and batch else price


def _reported_cost(usage: Any) -> float | None:
    """The price the server itself reported in the usage (OpenRouter's ``usage.cost``, in US
    dollars), which wins over the table: it knows the provider and discounts that served."""
    extra = getattr(usage, "__pydantic_extra__", None) or {}
    cost = extra.get("cost") if isinstance(extra, dict) else None
    if isinstance(cost, (int, float)) and not isinstance(cost, bool) and cost >= 0:
        return float(cost)
    return None


def _details(usage: Any, name: str) -> dict[str, Any]:
    details = getattr(usage, name, None)
    if details is None:
        return {}
    if isinstance(details, dict):
        return details
    return {k: getattr(details, k, None) for k in ("cached_tokens", "audio_tokens")}


@functools.lru_cache(maxsize=1024)
def _price(
    model: str,
    provider: str | None,
    url: str | None,
    prompt: int,
    completion: int,
    cached: int,
    audio_in: int,
    audio_out: int,
) -> float | None:
    from genai_prices import Usage, calc_price

    usage = Usage(
        input_tokens=prompt,
        output_tokens=completion,
        cache_read_tokens=cached or None,
        input_audio_tokens=audio_in or None,
        output_audio_tokens=audio_out or None,
    )
    try:
        if url is not None:
            price = calc_price(usage, model_ref=model, provider_api_url=url)
        else:
            price = calc_price(usage, model_ref=model, provider_id=provider)
    except LookupError:
        return None
    return float(price.total_price)
