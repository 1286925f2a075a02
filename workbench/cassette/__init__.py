"""Record and replay: a client's exchanges to and from a JSONL cassette, through an httpx
transport that wraps the one that really sends.

``_choose`` (what a client asks for) loads with the client; ``_cassette`` (the file),
``_format`` (its lines, without secrets), ``_match`` (which recording answers) and
``_transport`` load only when a cassette is used.
"""

from __future__ import annotations

from ._choose import BASE_URL_EXTENSION, open_cassette

__all__ = ["BASE_URL_EXTENSION", "open_cassette"]
