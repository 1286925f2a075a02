"""Redaction of what the log writes: secrets and credential-named keys out of JSON-like values.

No secret is written: keys named like ``authorization`` or ``api_key`` are dropped at any depth;
OpenAI-shaped keys and the values registered as secrets are redacted everywhere. ``plain_json``
is the shortcut for the common row that holds none of these (nor media): its JSON text as is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from .._credentials import CREDENTIAL_NAME, MIN_SECRET, OPENAI_KEY

__all__ = ["REDACTED", "plain_json", "redact", "scrub"]

REDACTED = "[redacted]"


def scrub(text: str, secrets: str | Iterable[str] = ()) -> str:
    """``text`` with each of ``secrets`` and anything shaped like an OpenAI key redacted."""
    for secret in sorted({secrets} if isinstance(secrets, str) else set(secrets), key=len)[::-1]:
        if len(secret) >= MIN_SECRET:
            text = text.replace(secret, REDACTED)
    return OPENAI_KEY.sub("sk-...redacted", text)


def redact(value: Any, secrets: Iterable[str] = ()) -> Any:
    """A copy of JSON-like ``value`` without secret-named keys and with every string scrubbed."""
    secrets = tuple(secrets)
    if isinstance(value, str):
        return scrub(value, secrets)
    if isinstance(value, Mapping):
        return {
            scrub(str(k), secrets): redact(v, secrets)
            for k, v in value.items()
            if not CREDENTIAL_NAME.fullmatch(str(k))
        }
    if isinstance(value, list | tuple):
        return [redact(v, secrets) for v in value]
    return value


# What ``plain_json`` looks for in a value's JSON text before taking it as it is: plain substring
# searches (a regex over every row cost as much as dumping it), each a superset of what it stands
# for. Credential-named keys (``CREDENTIAL_NAME``), in the lower-cased text:
_CREDENTIAL_KEYS = ('key": ', 'authorization": ')
# The keys ``redact`` spells otherwise than JSON (``str(True)``), media slots, OpenAI-shaped keys,
# and the two letters that ``re`` matches to ``i`` ignoring case but ``str.lower`` turns into
# something else (U+0130, U+0131: a credential's name may hide one from the search below):
_MARKERS: tuple[str, ...] = ('"true": ', '"false": ', '"null": ', '"NaN": ', 'Infinity": ', "sk-")
_MARKERS += ("\u0130", "\u0131")
_MARKERS += ('"image_url"', '"input_audio"', '"file"', '"audio": {')
_ESCAPED = re.compile(r'["\\\x00-\x1f]')  # what JSON text writes otherwise than as itself


def plain_json(value: Any, secrets: Iterable[str] = ()) -> str | None:
    """``value``'s JSON text when redacting it and extracting its media would change nothing,
    else None (the full treatment is needed).

    The full treatment walks the value twice in Python; most rows (a grid's) need neither
    walk, and a few searches of the text prove it: no key named like a credential, no key that
    ``redact`` would spell otherwise (``True``, ``None``), no OpenAI-shaped key, none of
    ``secrets`` (whose JSON text is themselves), no media slot, nothing JSON cannot encode.
    """
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return None
    if any(marker in text for marker in _MARKERS):
        return None
    lower = text.lower()
    if any(marker in lower for marker in _CREDENTIAL_KEYS):
        return None
    for secret in secrets:
        if len(secret) >= MIN_SECRET and (secret in text or _ESCAPED.search(secret)):
            return None
    return text
