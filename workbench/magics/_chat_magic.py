"""``%%chat`` and ``%chat``: one user turn, checked, sent, and shown as it streams."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError

from ._arguments import response_format
from ._output import print_deltas, print_marks, show_turn, usage_error
from ._template import fill

if TYPE_CHECKING:
    from ._workbench_magics import WorkbenchMagics

__all__ = ["chat_turn", "turn_overrides"]


def chat_turn(magics: WorkbenchMagics, args: argparse.Namespace, text: str) -> None:
    """Send ``text`` (its ``{name}`` fields filled) to the conversation ``args.name``, made on
    first use, with the turn's options; the parameters are checked before anything is sent."""
    namespace = magics.namespace
    content = fill(text, namespace).strip()
    if not content:
        raise UsageError("nothing to send: the message is empty")
    options = {"model": args.model} if args.model else {}
    exists = namespace.get(args.name) is not None
    chat = magics.conversation(args.name, **({} if exists else options))
    overrides = turn_overrides(args, namespace)
    try:
        chat.params.to_request(**overrides)
    except Exception as exc:
        raise usage_error(exc) from None
    if args.system is not None:
        chat.system = fill(args.system, namespace)
    _send(chat, content, stream=not args.no_stream, overrides=overrides)


def turn_overrides(args: argparse.Namespace, namespace: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters ``%%chat``'s options set for this turn only."""
    overrides: dict[str, Any] = {}
    if args.model:
        overrides["model"] = args.model
    if args.temperature is not None:
        overrides["temperature"] = args.temperature
    if args.reasoning_effort:
        overrides["reasoning_effort"] = args.reasoning_effort
    if args.format:
        overrides["response_format"] = response_format(args.format, namespace)
    return overrides


def _send(chat: Any, content: str, *, stream: bool, overrides: dict[str, Any]) -> None:
    """Send the turn, shown live in a kernel (its saved text: the finished turn) or printed as
    it streams in a terminal."""
    start = len(chat.messages)
    live = show_turn(chat, start)
    unsubscribe: Callable[[], None] | None = None
    if live is None:
        unsubscribe = chat.subscribe(print_deltas)
    try:
        chat.send(content, stream=stream, **overrides)
    except Exception as exc:
        raise usage_error(exc) from None
    finally:
        if unsubscribe is not None:
            unsubscribe()
            print()
        if live is not None:
            live.finish()  # the saved text/plain: the finished turn
    if live is None:
        print_marks(chat, start)
