"""A conversation's own settings (parameters, tools, limits): saved with a Parquet file, or
taken from its last reply when a table does not carry them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._exceptions import InvalidParameterError
from ..conversation._history import History
from ..conversation._params import ChatParams
from ..conversation._protocol_choice import API_CHOICES
from ._checks import check_tools
from ._transcript import TranscriptError

if TYPE_CHECKING:
    from ..conversation import Conversation

__all__ = ["Settings", "chat_settings", "checked_params", "conversation_params", "read_settings"]


@dataclass
class Settings:
    """What a conversation is set to, beyond its messages."""

    params: dict[str, Any] = field(default_factory=dict)
    tools: list[dict[str, Any]] = field(default_factory=list)
    disabled_tools: list[str] = field(default_factory=list)
    max_tool_rounds: int | None = None
    api: str | None = None


def chat_settings(chat: Conversation) -> dict[str, Any]:
    """A live conversation's settings as JSON-safe data (``read_settings`` reads it back)."""
    return {
        "params": chat.params.snapshot(),
        "tools": [tool.to_param() for tool in chat.tools.values()],
        "disabled_tools": [name for name, tool in chat.tools.items() if not tool.enabled],
        "max_tool_rounds": chat.max_tool_rounds,
        "api": chat.api,
    }


def read_settings(data: object, where: str) -> Settings:
    """``Settings`` from ``chat_settings`` data, checked."""
    if not isinstance(data, Mapping):
        raise TranscriptError(where, "settings", "must be an object")
    params = data.get("params") or {}
    if not isinstance(params, Mapping):
        raise TranscriptError(where, "settings.params", "must be an object")
    disabled = data.get("disabled_tools") or []
    if not isinstance(disabled, list) or not all(isinstance(n, str) for n in disabled):
        raise TranscriptError(where, "settings.disabled_tools", "must be a list of tool names")
    rounds = data.get("max_tool_rounds")
    if rounds is not None and (not isinstance(rounds, int) or isinstance(rounds, bool)):
        raise TranscriptError(where, "settings.max_tool_rounds", "must be a whole number")
    api = data.get("api")  # files written before it: None (chat)
    if api is not None and api not in API_CHOICES:
        allowed = ", ".join(API_CHOICES)
        raise TranscriptError(where, "settings.api", f"{api!r} is not allowed (allowed: {allowed})")
    return Settings(
        checked_params(dict(params), where, "settings.params"),
        check_tools(data.get("tools"), where, "settings.tools"),
        list(disabled),
        rounds,
        api,
    )


def conversation_params(
    history: History, settings: Settings | None, where: Mapping[str, str]
) -> tuple[dict[str, Any], list[dict[str, Any]], list[str], int | None]:
    """(params, tools, disabled tools, max_tool_rounds) for a conversation rebuilt from a table:
    the saved settings, else the parameters of the last reply on the current branch."""
    if settings is not None:
        return settings.params, settings.tools, settings.disabled_tools, settings.max_tool_rounds
    for message in reversed(history.path()):
        if message.role == "assistant" and message.params:
            params = checked_params(dict(message.params), where[message.id], "params")
            if "model" not in params and message.model:
                params["model"] = message.model
            return params, [], [], None
    return {}, [], [], None


def checked_params(params: dict[str, Any], where: str, field: str) -> dict[str, Any]:
    """``params`` if ``ChatParams`` takes them (so the conversation can be built)."""

    try:
        ChatParams(**params)
    except InvalidParameterError as exc:
        problem = str(exc).removeprefix(f"{exc.param}: ")
        raise TranscriptError(where, f"{field}.{exc.param}", problem) from None
    return params
