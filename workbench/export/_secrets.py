"""Secrets out of exported values: the client's key and anything shaped like an OpenAI key."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .._credentials import MIN_SECRET
from ..conversation._log import scrub

__all__ = ["Scrubber"]


class Scrubber:
    """Redacts ``secrets`` and OpenAI-shaped keys from text and JSON-like values.

    Unlike the log's ``redact``, no key is dropped (a tool parameter may well be called
    ``api_key``): only the text is scrubbed. Text without a secret is returned as it is, at the
    cost of a substring test or two, so exporting large transcripts stays fast.
    """

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        found = {s for s in secrets if isinstance(s, str) and len(s) >= MIN_SECRET}
        self.secrets = tuple(sorted(found, key=len, reverse=True))

    def text(self, text: str) -> str:
        """``text`` with every secret redacted."""
        if "sk-" not in text and not any(secret in text for secret in self.secrets):
            return text
        return scrub(text, self.secrets)

    def value(self, value: Any) -> Any:
        """A copy of JSON-like ``value`` with every string scrubbed (keys included)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {self.value(k): self.value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.value(v) for v in value]
        return value
