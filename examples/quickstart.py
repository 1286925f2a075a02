"""Quickstart: a chat completion, a streamed reply, a tool call and a structured output.

With OPENAI_API_KEY (or OPENAI_BASE_URL, e.g. Ollama's http://localhost:11434/v1) set, this talks
to that server; without either, to workbench's offline local model (a simulator).
"""

from __future__ import annotations

import json
import os
from typing import Literal

from pydantic import BaseModel

import workbench

MODEL = os.environ.get("WORKBENCH_MODEL", "gpt-4o-mini")


class Location(BaseModel):
    city: str
    temperature: float
    units: Literal["c", "f"]


def get_weather(city: str, units: str = "c") -> dict[str, object]:
    """A stand-in weather service."""
    return {"city": city, "temperature": 21 if units == "c" else 70, "units": units}


WEATHER_TOOL = workbench.pydantic_function_tool(Location, name="get_weather")


def main() -> None:
    client = workbench.Client()
    question = [{"role": "user", "content": "What's the weather like in San Francisco?"}]

    completion = client.chat.completions.create(model=MODEL, messages=question)
    print("reply:", completion.choices[0].message.content)
    print("usage:", completion.usage, "\n")

    print("streamed: ", end="")
    with client.chat.completions.stream(model=MODEL, messages=question) as stream:
        for event in stream:
            if event.type == "content.delta":
                print(event.delta, end="", flush=True)
        final = stream.get_final_completion()
    print(f"\nfinish_reason: {final.choices[0].finish_reason}\n")

    called = client.chat.completions.create(
        model=MODEL, messages=question, tools=[WEATHER_TOOL], tool_choice="required"
    )
    message = called.choices[0].message
    follow_up = [*question, message]
    for call in message.tool_calls or []:
        arguments = json.loads(call.function.arguments)
        print(f"tool call: {call.function.name}({arguments})")
        result = get_weather(arguments["city"], arguments.get("units", "c"))
        follow_up.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)})
    answer = client.chat.completions.create(model=MODEL, messages=follow_up)
    print("after the tool:", answer.choices[0].message.content, "\n")

    parsed = client.chat.completions.parse(model=MODEL, messages=question, response_format=Location)
    print("parsed:", repr(parsed.choices[0].message.parsed))

    try:
        client.chat.completions.create(model=MODEL, messages=question, temperature=3)
    except workbench.InvalidParameterError as exc:
        print("\nrefused before sending:", exc)


if __name__ == "__main__":
    main()
