"""Helpers for the Responses API tests: the recorded streams and bodies, the spec's validators,
and clients over a ``MockTransport``."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable
from typing import Any

import httpx
import jsonschema

import workbench
from tests._mock import spec_validator
from tests.conftest import FIXTURES, RESPONSES_SPEC_PATH

WEATHER_FUNCTION = {
    "type": "function",
    "name": "get_weather",
    "description": "The current weather in a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    },
    "strict": True,
}
"""A function tool in the flat form the Responses API takes."""
STREAMS = FIXTURES / "recorded-responses-streams"
BODIES = FIXTURES / "recorded-responses-bodies"
KEY = "sk-responses-test"
_URI = "urn:openai-responses"


def stream_names() -> list[str]:
    return sorted(p.name for p in STREAMS.glob("*.sse"))


def body_names() -> list[str]:
    return sorted(p.name for p in BODIES.glob("*.json"))


def sse(name: str) -> bytes:
    return (STREAMS / name).read_bytes()


def sequenced(name: str) -> bool:
    """Whether a recording carries ``sequence_number`` (the spec requires it; early-2025
    recordings predate it)."""
    return b'"sequence_number"' in sse(name)


@functools.cache
def spec() -> dict[str, Any]:
    return json.loads(RESPONSES_SPEC_PATH.read_text())  # type: ignore[no-any-return]


@functools.cache
def validator(name: str) -> jsonschema.Draft202012Validator:
    """A validator for ``components.schemas[name]`` of the Responses spec."""
    return spec_validator(spec(), _URI, name)


@functools.cache
def schema_of_type() -> dict[str, str]:
    """Each event type and the spec's schema for it (from ``ResponseStreamEvent``'s anyOf)."""
    schemas = spec()["components"]["schemas"]
    found: dict[str, str] = {}
    for ref in schemas["ResponseStreamEvent"]["anyOf"]:
        name = ref["$ref"].rsplit("/", 1)[1]
        kind = schemas[name].get("properties", {}).get("type", {})
        for value in [*kind.get("enum", []), *([kind["const"]] if "const" in kind else [])]:
            found[value] = name
    return found


def violations(name: str, value: Any) -> list[str]:
    """Where ``value`` breaks the spec's ``name`` schema (empty when it is valid)."""
    errors = sorted(validator(name).iter_errors(value), key=lambda e: list(e.path))
    return [f"at {list(e.absolute_path)}: {e.message[:200]}" for e in errors[:5]]


def stream_response(body: bytes | Iterable[bytes], status: int = 200) -> httpx.Response:
    content = body if isinstance(body, bytes) else iter(body)
    return httpx.Response(status, content=content, headers={"content-type": "text/event-stream"})


def json_response(data: Any, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=data, headers=headers)


def sync_client(handler: Callable[[httpx.Request], httpx.Response], **kw: Any) -> workbench.Client:
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return workbench.Client(api_key=KEY, http_client=http, **kw)


def async_client(
    handler: Callable[[httpx.Request], httpx.Response], **kw: Any
) -> workbench.AsyncClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return workbench.AsyncClient(api_key=KEY, http_client=http, **kw)
