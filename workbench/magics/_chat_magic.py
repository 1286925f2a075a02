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

__all__ = ["chat_turn", "turn_api", "turn_overrides"]


def chat_turn(magics: WorkbenchMagics, args: argparse.Namespace, text: str) -> None:
    """Send ``text`` (its ``{name}`` fields filled) to the conversation ``args.name``, made on
    first use, with the turn's options; the parameters are checked before anything is sent."""
    namespace = magics.namespace
    content = fill(text, namespace).strip()
    if not content:
        raise UsageError("nothing to send: the message is empty")
    api = turn_api(args.api)
    options = {k: v for k, v in (("model", args.model), ("api", api)) if v}
    exists = namespace.get(args.name) is not None
    chat = magics.conversation(args.name, **({} if exists else options))
    overrides = turn_overrides(args, namespace)
    try:
        _check(chat, api or chat.api, chat.params.to_request(**overrides))
    except Exception as exc:
        raise usage_error(exc) from None
    if args.system is not None:
        chat.system = fill(args.system, namespace)
    kept = chat.api
    chat.api = api or kept  # for this turn
    try:
        _send(chat, content, stream=not args.no_stream, overrides=overrides)
    finally:
        if chat.api != kept:
            chat.api = kept


def turn_api(value: str | None) -> Any:
    """``--api``: ``chat``, ``responses`` or ``auto`` (None: the conversation's own); another
    value is a one-line ``UsageError`` naming the allowed ones."""
    if value is None:
        return None
    from ..conversation._protocol_choice import check_api

    try:
        return check_api(value)
    except ValueError as exc:
        raise UsageError(f"--api {value}: use chat, responses or auto") from exc


def _check(chat: Any, api: Any, request: dict[str, Any]) -> None:
    """Under the Responses API, refuse a parameter it has no equivalent for (before the turn
    shows anything or sends)."""
    from ..conversation._protocol_choice import choose_api
    from ..conversation._responses_mapping import check_responses_params

    if choose_api(api, chat.client, request.get("model"), request) == "responses":
        check_responses_params(request)


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
