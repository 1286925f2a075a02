"""The battery's shared parts: the two clients made alike, a request counter, the tools and
schemas the cases use, and structural checks (random weights give random text: the tests look at
ids, roles, finish reasons, usage, tool-call shapes, JSON validity and error classes)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
import openai
import pydantic
import pytest

import workbench

KINDS = ("workbench", "openai")
each_client = pytest.mark.parametrize("kind", KINDS)
"""Run a test with ``workbench.Client`` and with ``openai.OpenAI`` (the test gets ``kind``)."""

ERRORS = (workbench.APIError, openai.APIError)


@dataclass
class Counter:
    """The requests a client sent (an httpx event hook): retries show as more than one."""

    requests: list[str] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> None:
        self.requests.append(f"{request.method} {request.url.path}")

    def hooks(self) -> dict[str, list[Callable[..., Any]]]:
        return {"request": [self]}


@contextlib.contextmanager
def open_client(
    kind: str, base_url: str, api_key: str, counter: Counter | None = None, **options: Any
) -> Iterator[Any]:
    """A sync client of that kind on ``base_url``, sending through an httpx client that counts;
    both closed afterwards (workbench leaves a caller's httpx client open)."""
    hooks = counter.hooks() if counter is not None else {}
    with httpx.Client(event_hooks=hooks, trust_env=False, timeout=60) as http:
        if kind == "workbench":
            client: Any = workbench.Client(
                base_url=base_url, api_key=api_key, http_client=http, **options
            )
        else:
            client = openai.OpenAI(base_url=base_url, api_key=api_key, http_client=http, **options)
        with client:
            yield client


def make_async_client(base_url: str, api_key: str, **options: Any) -> workbench.AsyncClient:
    return workbench.AsyncClient(base_url=base_url, api_key=api_key, **options)


def ask(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


# -- what the cases send ---------------------------------------------------------------------


class Weather(pydantic.BaseModel):
    """A structured reply whose JSON a grammar keeps short (enums, a bounded integer)."""

    city: Literal["Paris", "Rome"]
    temperature: int
    sunny: bool


def function_tool(name: str, description: str, parameter: str, values: list[str]) -> Any:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {
                "type": "object",
                "properties": {parameter: {"type": "string", "enum": values}},
                "required": [parameter],
                "additionalProperties": False,
            },
        },
    }


WEATHER_TOOL = function_tool("get_weather", "Weather for a city", "city", ["Paris", "Rome"])
TIME_TOOL = function_tool("get_time", "The time in a zone", "zone", ["UTC", "CET"])
TOOLS = [WEATHER_TOOL, TIME_TOOL]
NAMED = {"type": "function", "function": {"name": "get_weather"}}


# -- structural checks -----------------------------------------------------------------------


def check_completion(completion: Any, *, choices: int = 1) -> None:
    """A whole ``chat.completion``: ids, roles, a finish reason per choice."""
    assert completion.object == "chat.completion"
    assert isinstance(completion.id, str) and completion.id
    assert len(completion.choices) == choices
    for i, choice in enumerate(completion.choices):
        assert choice.index == i
        assert choice.message.role == "assistant"
        assert choice.finish_reason in ("stop", "length", "tool_calls")


def check_chunks(chunks: list[Any]) -> str:
    """A streamed completion: one id throughout, the role first, exactly one finish reason, and
    nothing said after it (a usage chunk may follow). Returns the text."""
    assert chunks, "no chunk"
    assert {c.id for c in chunks} == {chunks[0].id}
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    with_choices = [c for c in chunks if c.choices]
    assert with_choices[0].choices[0].delta.role == "assistant"
    ends = [i for i, c in enumerate(with_choices) if c.choices[0].finish_reason is not None]
    assert len(ends) == 1, ends
    for after in with_choices[ends[0] + 1 :]:
        assert not after.choices[0].delta.content and not after.choices[0].delta.tool_calls
    return "".join(c.choices[0].delta.content or "" for c in with_choices)


def check_tool_calls(calls: Iterable[Any], names: Iterable[str]) -> list[tuple[str, Any]]:
    """Tool calls of the right shape: an id, type function, a known name, JSON arguments that
    fit the tool's enum. Returns (name, arguments) pairs."""
    tools = {t["function"]["name"]: t["function"]["parameters"] for t in TOOLS}
    found = []
    for call in calls:
        assert isinstance(call.id, str) and call.id
        assert call.type == "function"
        assert call.function.name in set(names), call.function.name
        arguments = json.loads(call.function.arguments)
        schema = tools[call.function.name]
        ((parameter, spec),) = schema["properties"].items()
        assert arguments[parameter] in spec["enum"], arguments
        found.append((call.function.name, arguments))
    return found


def status_of(error: BaseException) -> tuple[str, int | None]:
    """An API error as (class name, status code): the two clients' trees share the names."""
    return type(error).__name__, getattr(error, "status_code", None)
