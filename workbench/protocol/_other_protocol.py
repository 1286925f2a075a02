"""Parameters of the other protocol: a clear error (or, in ``extra_body``, a warning) naming the
protocol that takes the parameter and what takes its place here.

Chat Completions and the Responses API share most parameters (``temperature``, ``tools``,
``metadata`` ...) but each has names the other does not take. Passed as keywords, such a name
raises ``InvalidParameterError`` before anything is sent. Passed through ``extra_body`` it is
sent as given (``extra_body`` stays the way to send what a server takes beyond the API, and
some servers do take such names), with a ``WrongProtocolWarning`` when this protocol has a
counterpart (the likely slip), and without one otherwise (``seed`` for a server that takes it).
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Mapping
from typing import Literal

from .._exceptions import InvalidParameterError

__all__ = [
    "CHAT_ONLY",
    "RESPONSES_ONLY",
    "WrongProtocolWarning",
    "check_extra_body",
    "wrong_protocol_error",
]

Api = Literal["chat", "responses"]

_NONE = "has no equivalent"
_STATELESS = "has no equivalent (it keeps no state: send the whole history in messages)"

RESPONSES_ONLY: dict[str, str] = {
    "input": "takes messages=[{'role': 'user', 'content': ...}]",
    "instructions": "takes a system or developer message first in messages",
    "max_output_tokens": "takes max_completion_tokens",
    "reasoning": "takes reasoning_effort= (reasoning.summary has no equivalent)",
    "text": "takes response_format= for text.format and verbosity= for text.verbosity",
    "text_format": "takes response_format= (chat.completions.parse)",
    "previous_response_id": _STATELESS,
    "conversation": _STATELESS,
    "include": "takes logprobs=True for 'message.output_text.logprobs'; the rest " + _NONE,
    "background": _NONE,
    "max_tool_calls": _NONE,
    "prompt": _NONE,
    "truncation": _NONE,
}
"""Responses API parameters Chat Completions does not take: what it takes instead."""

CHAT_ONLY: dict[str, str] = {
    "messages": "takes input=[...] (the same messages; a system message can be instructions=)",
    "max_completion_tokens": "takes max_output_tokens",
    "max_tokens": "takes max_output_tokens",
    "response_format": (
        "takes text={'format': {...}} (a flat json_schema: 'name' and 'schema' beside 'type'),"
        " or text_format= in responses.parse"
    ),
    "reasoning_effort": "takes reasoning={'effort': ...}",
    "verbosity": "takes text={'verbosity': ...}",
    "logprobs": "takes include=['message.output_text.logprobs'] (with top_logprobs)",
    "web_search_options": "takes tools=[{'type': 'web_search'}]",
    "functions": "takes tools=[{'type': 'function', 'name': ..., 'parameters': {...}}]",
    "function_call": "takes tool_choice",
    "n": _NONE + ": make one request per answer",
    "stop": _NONE,
    "seed": _NONE,
    "presence_penalty": _NONE,
    "frequency_penalty": _NONE,
    "logit_bias": _NONE,
    "modalities": _NONE,
    "audio": _NONE,
    "prediction": _NONE,
}
"""Chat Completions parameters the Responses API does not take: what it takes instead."""

_PROTOCOLS: dict[Api, tuple[str, str, dict[str, str]]] = {
    # here: (its name, the other protocol's name, the other's parameters this one lacks)
    "chat": ("Chat Completions", "Responses API", RESPONSES_ONLY),
    "responses": ("the Responses API", "Chat Completions", CHAT_ONLY),
}


class WrongProtocolWarning(UserWarning):
    """A key of ``extra_body`` that is the other protocol's parameter with a counterpart here
    (``max_output_tokens`` sent to Chat Completions ...): sent as given, since some servers take
    it, but most likely a slip; the message names what this protocol takes instead."""


def _message(name: str, api: Api) -> str | None:
    here, other, names = _PROTOCOLS[api]
    instead = names.get(name)
    if instead is None:
        return None
    return f"is a {other} parameter; {here} {instead}"


def wrong_protocol_error(name: str, api: Api) -> InvalidParameterError | None:
    """The error for keyword ``name`` passed to ``api``'s create when it belongs to the other
    protocol, naming that protocol and what takes its place; None for any other name."""
    message = _message(name, api)
    return None if message is None else InvalidParameterError(name, message)


def check_extra_body(extra_body: object, api: Api) -> None:
    """Warn (``WrongProtocolWarning``) for each key of ``extra_body`` that is the other
    protocol's parameter and has a counterpart here; it is still sent."""
    if not isinstance(extra_body, Mapping):
        return
    names = _PROTOCOLS[api][2]
    for name in extra_body:
        # Only a name with a counterpart here is a likely slip; the others (``seed`` to the
        # Responses API ...) are what servers add beyond the API, and go without a word.
        if isinstance(name, str) and names.get(name, "").startswith("takes "):
            message = _message(name, api)
            text = f"extra_body[{name!r}] {message}; it is sent as given"
            warnings.warn(text, WrongProtocolWarning, stacklevel=_outside_workbench())


def _outside_workbench() -> int:
    """The ``stacklevel`` that points a warning at the first caller outside workbench."""
    frame = sys._getframe(2)  # the caller of check_extra_body
    level = 2
    while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith("workbench."):
        frame = frame.f_back
        level += 1
    return level
