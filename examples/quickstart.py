"""Quickstart: a chat completion, a streamed reply, and a structured output with workbench.Client.

With OPENAI_API_KEY (or OPENAI_BASE_URL, e.g. Ollama's http://localhost:11434/v1) set, this talks
to that server. Without either, it replays real OpenAI responses recorded in ../shared/fixtures
through the same client code (the embedded offline model replaces this replay when it lands).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Literal

import httpx
from pydantic import BaseModel

import workbench

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
MODEL = os.environ.get("WORKBENCH_MODEL", "gpt-4o-2024-08-06")


class Location(BaseModel):
    city: str
    temperature: float
    units: Literal["c", "f"]


def replay_client() -> workbench.Client:
    """A client whose transport answers with recorded OpenAI responses."""
    if not FIXTURES.is_dir():
        sys.exit("Set OPENAI_API_KEY or OPENAI_BASE_URL (no recorded fixtures to replay here).")

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        wants_schema = body.get("response_format", {}).get("type") == "json_schema"
        if body.get("stream"):
            name = "structured-pydantic.sse" if wants_schema else "plain-text.sse"
            data = (FIXTURES / "recorded-streams" / name).read_bytes()
            return httpx.Response(200, content=data, headers={"content-type": "text/event-stream"})
        name = "structured-pydantic.json" if wants_schema else "plain-text.json"
        return httpx.Response(200, content=(FIXTURES / "recorded-responses" / name).read_bytes())

    print("(no key or base URL set: replaying recorded OpenAI responses)\n")
    return workbench.Client(
        base_url="https://replay.invalid/v1",
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )


def main() -> None:
    live = os.environ.get("OPENAI_API_KEY") or os.environ.get("OPENAI_BASE_URL")
    client = workbench.Client() if live else replay_client()
    question = [{"role": "user", "content": "What's the weather like in SF?"}]

    completion = client.chat.completions.create(model=MODEL, messages=question)
    print("reply:", completion.choices[0].message.content)
    print("usage:", completion.usage)

    print("\nstreamed: ", end="")
    with client.chat.completions.stream(model=MODEL, messages=question) as stream:
        for event in stream:
            if event.type == "content.delta":
                print(event.delta, end="", flush=True)
        final = stream.get_final_completion()
    print(f"\nfinish_reason: {final.choices[0].finish_reason}")

    parsed = client.chat.completions.parse(model=MODEL, messages=question, response_format=Location)
    print("\nparsed:", repr(parsed.choices[0].message.parsed))

    try:
        client.chat.completions.create(model=MODEL, messages=question, temperature=3)
    except workbench.InvalidParameterError as exc:
        print("\nrefused before sending:", exc)


if __name__ == "__main__":
    main()
