"""The drivers of a turn: the I/O each step of ``Turn`` asks for, sync and async.

``drive`` and ``adrive`` are the only places a turn talks to the client and runs tools: a
step asks the model (streamed or whole) or runs the tool calls of a reply (sequentially here,
concurrently in the async driver), and what came of it is fed back to the turn.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from pydantic_core import to_jsonable_python

from .._exceptions import InvalidParameterError
from ..client._chat_client import (
    AsyncChatClient,
    AsyncStreamingChatCompletions,
    ChatClient,
    StreamingChatCompletions,
)
from ..protocol._parsing import parse_chat_completion
from ._drive_responses import acall_responses, call_responses
from ._history import Message
from ._reply import TurnStopped
from ._tool_results import tool_error_to_content, tool_result_to_content
from ._turn import AwaitDecision, CallModel, RunTool, RunTools, ToolOutcome, Turn
from ._turn_events import ToolDecision

__all__ = ["adrive", "drive"]


def drive(turn: Turn, client: ChatClient) -> Message:
    """Run ``turn`` to its end with the sync ``client``; returns the final reply."""
    while True:
        step = turn.next()
        if isinstance(step, Message):
            return step
        if isinstance(step, CallModel):
            _call(turn, step, client)
        else:
            for call in step.calls:
                turn.add_tool_result(call, _run_tool(turn, step, call))
            turn.tools_done()


async def adrive(turn: Turn, client: AsyncChatClient) -> Message:
    """Run ``turn`` to its end with the async ``client``; the tool calls of one round run
    concurrently."""
    while True:
        step = turn.next()
        if isinstance(step, Message):
            return step
        if isinstance(step, CallModel):
            await _acall(turn, step, client)
        else:
            outcomes = await asyncio.gather(*(_arun_tool(turn, step, c) for c in step.calls))
            for call, outcome in zip(step.calls, outcomes, strict=True):
                turn.add_tool_result(call, outcome)
            turn.tools_done()


# -- asking the model --------------------------------------------------------------------------


def _call(turn: Turn, step: CallModel, client: ChatClient) -> None:
    if step.api == "responses" and call_responses(turn, step, client):
        return
    completions = client.chat.completions
    reply, request = step.reply, step.request
    try:
        if step.stream:
            if not isinstance(completions, StreamingChatCompletions):
                raise _cannot_stream(client)
            with completions.stream(messages=step.messages, **_with_usage(request)) as stream:
                _headers(reply, stream)
                for event in stream:
                    reply.on_event(event)
                    if turn.stopped:
                        raise TurnStopped("stopped")
                stream.until_done()
                completion = stream.current_completion_snapshot
        else:
            raw = getattr(completions, "with_raw_response", None)
            if raw is None:  # a client of one's own with create() only: no headers
                completion = completions.create(messages=step.messages, **request)
            else:
                answer = raw.create(messages=step.messages, **request)
                reply.headers(answer.headers)
                completion = answer.parse()
        completion = _parsed(completion, request)
    except BaseException as exc:
        turn.model_failed(step, exc)
        return
    turn.model_done(step, completion)


async def _acall(turn: Turn, step: CallModel, client: AsyncChatClient) -> None:
    if step.api == "responses" and await acall_responses(turn, step, client):
        return
    completions = client.chat.completions
    reply, request = step.reply, step.request
    try:
        if step.stream:
            if not isinstance(completions, AsyncStreamingChatCompletions):
                raise _cannot_stream(client)
            opened = completions.stream(messages=step.messages, **_with_usage(request))
            async with opened as stream:
                _headers(reply, stream)
                async for event in stream:
                    reply.on_event(event)
                    if turn.stopped:
                        raise TurnStopped("stopped")
                await stream.until_done()
                completion = stream.current_completion_snapshot
        else:
            raw = getattr(completions, "with_raw_response", None)
            if raw is None:  # a client of one's own with create() only: no headers
                completion = await completions.create(messages=step.messages, **request)
            else:
                answer = await raw.create(messages=step.messages, **request)
                reply.headers(answer.headers)
                completion = answer.parse()
        completion = _parsed(completion, request)
    except BaseException as exc:
        turn.model_failed(step, exc)
        return
    turn.model_done(step, completion)


def _headers(reply: Any, stream: object) -> None:
    """Read a stream's response headers, when it has them (``openai``'s streams do not)."""
    response = getattr(stream, "response", None)
    if response is not None:
        reply.headers(response.headers)


def _cannot_stream(client: object) -> InvalidParameterError:
    return InvalidParameterError(
        "stream",
        f"this client ({type(client).__name__}) has no chat.completions.stream: "
        "send with stream=False",
    )


def _with_usage(request: dict[str, Any]) -> dict[str, Any]:
    """Ask a stream for its usage too (the log and the grid count every token)."""
    if "stream_options" in request:
        return request
    return {**request, "stream_options": {"include_usage": True}}


def _parsed(completion: Any, request: dict[str, Any]) -> Any:
    """The completion with its content parsed into the ``response_format``.

    Tool arguments are left to the tools (``Tool.parse_arguments``), so that bad arguments
    become an error message for the model instead of failing the turn.
    """

    return parse_chat_completion(
        completion=completion, response_format=request.get("response_format"), input_tools=None
    )


# -- running tools ---------------------------------------------------------------------------


def _run_tool(turn: Turn, step: RunTools, call: dict[str, Any]) -> ToolOutcome:

    action = turn.tool_step(step.message, call)
    if isinstance(action, AwaitDecision):
        if action.request is not None:
            decision = action.request.decision.result()  # a widget decides, from its thread
        else:
            decision = _console_decision(action)
        action = turn.decided(step.message, call, decision, action.tool, action.arguments)
    if isinstance(action, RunTool):
        started = time.perf_counter()  # the tool's own time, not the wait for a decision
        try:
            result = action.tool.call(action.arguments)
        except Exception as exc:
            return action.outcome(None, tool_error_to_content(exc), time.perf_counter() - started)
        return action.outcome(tool_result_to_content(result), None, time.perf_counter() - started)
    return action  # decided without running: no time


async def _arun_tool(turn: Turn, step: RunTools, call: dict[str, Any]) -> ToolOutcome:

    action = turn.tool_step(step.message, call)
    if isinstance(action, AwaitDecision):
        if action.request is not None:
            decision = await asyncio.wrap_future(action.request.decision)
        else:
            decision = await asyncio.to_thread(_console_decision, action)
        action = turn.decided(step.message, call, decision, action.tool, action.arguments)
    if isinstance(action, RunTool):
        started = time.perf_counter()  # the tool's own time, not the wait for a decision
        try:
            result = await action.tool.acall(action.arguments)
        except Exception as exc:
            return action.outcome(None, tool_error_to_content(exc), time.perf_counter() - started)
        return action.outcome(tool_result_to_content(result), None, time.perf_counter() - started)
    return action  # decided without running: no time


def _console_decision(action: AwaitDecision) -> ToolDecision:
    """Ask on the console (no observer claimed the decision): anything but yes denies."""
    shown = json.dumps(to_jsonable_python(action.arguments, fallback=repr))
    answer = input(f"Run tool {action.tool.name}({shown})? [y/N] ")
    approved = answer.strip().lower() in ("y", "yes")
    return ToolDecision("approve", action.arguments) if approved else ToolDecision("deny")
