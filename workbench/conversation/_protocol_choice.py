"""Which wire protocol carries a turn: ``Conversation(api="chat" | "responses" | "auto")``.

``auto`` (the default) takes the Responses API for OpenAI's own API (a client whose base URL
is ``api.openai.com``) and for the models that answer only there (``RESPONSES_ONLY``), Chat
Completions everywhere else (the local model, Ollama, vLLM, llama.cpp, LM Studio, proxies);
after one 404 from a server without ``/v1/responses`` it goes back to Chat Completions for
that client, remembered on the client (the next turn goes straight to chat). A turn that sets a
parameter only Chat Completions takes (``seed``, ``stop``, ``n``, ``logprobs``, ...:
``UNMAPPED``) goes to Chat Completions too, unless its model answers only through Responses
(then the parameter is refused before sending, naming it).
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Mapping
from typing import Any, Literal

import httpx

from .._exceptions import InvalidParameterError, NotFoundError, WorkbenchError
from ..client._client import AsyncClient, Client
from ._responses_mapping import UNMAPPED

__all__ = [
    "API_CHOICES",
    "RESPONSES_ONLY",
    "Api",
    "ResponsesUnavailableError",
    "check_api",
    "choose_api",
    "fall_back",
]

Api = Literal["chat", "responses", "auto"]
API_CHOICES: tuple[Api, ...] = ("chat", "responses", "auto")

RESPONSES_ONLY: tuple[str, ...] = (
    "o1-pro",
    "o3-pro",
    "gpt-5-pro",
    "codex-mini",
    "gpt-5-codex",
    "o3-deep-research",
    "o4-mini-deep-research",
    "computer-use-preview",
)
"""Models (by name, and their dated versions: ``o3-pro-2025-06-10``) that OpenAI serves only
through the Responses API (a 404 or 400 from Chat Completions)."""

_KEY = "responses:404"
# Clients of other packages (openai.OpenAI) have no note book of their own.
_WITHOUT_RESPONSES: weakref.WeakSet[Any] = weakref.WeakSet()


class ResponsesUnavailableError(WorkbenchError):
    """``api="responses"`` and the server has no ``/v1/responses`` (it answered 404)."""


def check_api(api: object) -> Api:
    """``api`` if it is one of ``API_CHOICES``, else ``InvalidParameterError``."""
    if api not in API_CHOICES:
        raise InvalidParameterError("api", f"got {api!r}", allowed=API_CHOICES)
    return api


def needs_responses(model: str | None) -> bool:
    """Whether ``model`` answers only through the Responses API."""
    name = (model or "").rsplit("/", 1)[-1]
    return any(name == known or name.startswith(known + "-") for known in RESPONSES_ONLY)


def choose_api(
    api: Api, client: object, model: str | None, request: Mapping[str, Any] | None = None
) -> Literal["chat", "responses"]:
    """The protocol of the next model call (``request``: the call's chat keywords, whose
    chat-only parameters keep ``auto`` on Chat Completions)."""
    if api != "auto":
        return api
    if getattr(client, "responses", None) is None or _known_without(client):
        return "chat"
    if needs_responses(model):
        return "responses"
    if request and any(name in UNMAPPED for name in request):
        return "chat"
    return "responses" if _is_openai(client) else "chat"


def fall_back(api: Api, client: object, exc: BaseException) -> bool:
    """Whether a turn should go to Chat Completions after ``exc`` (a 404 for the Responses
    endpoint under ``auto``; remembered for ``client``).

    Raises:
        ResponsesUnavailableError: for the same 404 under ``api="responses"``.
    """
    # by status, not class: another package's client (openai's) raises its own NotFoundError
    status = exc.status_code if isinstance(exc, NotFoundError) else getattr(exc, "status_code", 0)
    if status != 404 or getattr(exc, "code", None) == "model_not_found":
        return False
    if api != "auto":
        raise ResponsesUnavailableError(
            f"the server at {_where(client)} has no /v1/responses (404): use api='auto' to fall"
            " back to Chat Completions, or api='chat'"
        ) from exc
    message = (
        f"the server at {_where(client)} has no /v1/responses (404): this client's turns go"
        " to Chat Completions from now on"
    )
    if isinstance(client, (Client, AsyncClient)):
        client._note(_KEY, message)
    else:
        with contextlib.suppress(TypeError):  # not weakly referable: asked again next turn
            _WITHOUT_RESPONSES.add(client)
    return True


def _known_without(client: object) -> bool:
    if isinstance(client, (Client, AsyncClient)):
        return _KEY in client._noted
    try:
        return client in _WITHOUT_RESPONSES
    except TypeError:  # not weakly referable: never remembered
        return False


def _is_openai(client: object) -> bool:
    if getattr(client, "local_model", None) is not None:
        return False
    base_url = getattr(client, "base_url", None)
    if base_url is None:
        return False
    try:
        return httpx.URL(str(base_url)).host == "api.openai.com"
    except (httpx.InvalidURL, TypeError):
        return False


def _where(client: object) -> str:
    if getattr(client, "local_model", None) is not None:
        return "the local model"
    return repr(str(getattr(client, "base_url", "?")))
