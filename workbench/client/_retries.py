"""When a failed request is sent again, and how long the client waits first.

Pure functions of a response's status and headers; the clients (``_base.py``) call them between
attempts and do the sleeping themselves.
"""

from __future__ import annotations

import email.utils
import random
import time

import httpx

__all__ = [
    "DEFAULT_MAX_RETRIES",
    "retry_after",
    "retry_delay",
    "should_retry",
]

DEFAULT_MAX_RETRIES = 2
RATE_LIMITED = 429
RETRY_STATUSES = frozenset({408, 409, RATE_LIMITED})
"""Besides every 5xx: a request timeout, a conflict (a lock), a rate limit."""
MAX_RETRY_AFTER = 60.0
"""A server's ``Retry-After`` longer than this is ignored (backoff is used instead)."""
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0


def should_retry(response: httpx.Response, *, rate_limits: bool = True) -> bool:
    """Whether an error status is worth sending again.

    A server's ``x-should-retry: true|false`` decides; else 408, 409, 429 and every 5xx are
    retried. With ``rate_limits=False`` a 429 never is, whatever its headers say: the caller
    slows down instead (a grid's limiter does, for every cell at once).
    """
    if not rate_limits and response.status_code == RATE_LIMITED:
        return False
    should = response.headers.get("x-should-retry")
    if should == "true":
        return True
    if should == "false":
        return False
    return response.status_code in RETRY_STATUSES or response.status_code >= 500


def retry_delay(retries_taken: int, headers: httpx.Headers | None) -> float:
    """Seconds to wait before retry number ``retries_taken + 1``.

    A ``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date) header of up to a minute
    is honoured; otherwise exponential backoff from 0.5 s up to 8 s with up to 25% jitter.
    """
    after = retry_after(headers) if headers is not None else None
    if after is not None and 0 < after <= MAX_RETRY_AFTER:
        return after
    delay = min(INITIAL_RETRY_DELAY * 2.0**retries_taken, MAX_RETRY_DELAY)
    return delay * (1 - 0.25 * random.random())


def retry_after(headers: httpx.Headers) -> float | None:
    """The wait a server asks for in ``retry-after-ms`` or ``retry-after`` (seconds or an HTTP
    date), in seconds; None when it asks for none or the value cannot be read."""
    value = headers.get("retry-after-ms")
    if value is not None:
        try:
            return float(value) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    parsed = email.utils.parsedate_tz(value)
    if parsed is None:
        return None
    return float(email.utils.mktime_tz(parsed) - time.time())
