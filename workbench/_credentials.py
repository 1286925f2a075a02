"""What counts as a credential, for everything that keeps secrets out of what it writes: the
names that carry one, the shape of an OpenAI key, and how short a value is too short to be one."""

from __future__ import annotations

import re

__all__ = ["CREDENTIAL_NAME", "MIN_SECRET", "OPENAI_KEY", "OPENAI_KEY_BYTES"]

CREDENTIAL_NAME = re.compile(r"(.*[_-])?(authorization|api[_-]?key)", re.IGNORECASE)
"""Header, query and field names that carry credentials (to ``fullmatch``): Authorization,
Proxy-Authorization, api-key, X-Api-Key, x-goog-api-key, api_key, apiKey, openai_api_key..."""
OPENAI_KEY = re.compile(r"sk-[A-Za-z0-9_-]{20,}")
"""Text shaped like an OpenAI key, redacted wherever it appears."""
OPENAI_KEY_BYTES = re.compile(OPENAI_KEY.pattern.encode())
"""The same, in bytes (media payloads)."""
MIN_SECRET = 8
"""Shorter values are not keys, and replacing them would mangle ordinary text."""
