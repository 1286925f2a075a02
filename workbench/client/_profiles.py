"""Provider profiles: what an OpenAI-compatible server takes, and the request adapted to it.

Servers that speak Chat Completions differ in what they honour. A ``Profile`` says, for one
kind of server, which parameters it ignores or refuses and how to say the same thing in the
form it takes. Before a chat request is sent, ``Profile.adapt`` returns the body to send and
notes each change or known problem once per client (a ``ProfileWarning``): a parameter is
translated where the meaning stays the same, and otherwise sent as given with a warning that
names the parameter and the server, never dropped in silence.

A client's profile comes from ``Client(profile=...)`` (a name or a ``Profile``), else from
its base URL where that is reliable (a hosted API's address, Ollama's port, the local model),
else from the server's own answers (a LiteLLM proxy and llama-cpp-python's server show what they
are in their headers: from the first answer on), else ``generic``, which changes nothing. The
facts come from the interop tests against the real servers (``tests/test_interop_*.py``) and
from each provider's documentation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from .._exceptions import InvalidParameterError

__all__ = [
    "PROFILES",
    "Profile",
    "ProfileRule",
    "ProfileWarning",
    "detect_from_response",
    "detect_from_url",
    "get_profile",
]


class ProfileWarning(UserWarning):
    """A request parameter the server is known to ignore or refuse, or one workbench sent in
    another form the server takes; shown once per client and parameter."""


Note = Callable[[str, str], None]
"""How ``adapt`` reports: ``note(key, message)``; the client shows each key once."""


@dataclass(frozen=True)
class ProfileRule:
    """A parameter a server ignores or refuses: ``when`` (given the value) says whether this
    value is concerned (``n`` only above 1, say); ``action`` is ``ignores`` or ``refuses``."""

    name: str
    action: str
    when: Callable[[Any], bool] | None = None
    why: str = ""


@dataclass(frozen=True)
class Profile:
    """What one kind of OpenAI-compatible server takes.

    Attributes:
        name: the profile's name (``Client(profile=name)``).
        server: the server's name in messages.
        rules: parameters it ignores or refuses.
        max_tokens_only: it honours ``max_tokens`` but not ``max_completion_tokens``: the latter
            is sent as the former.
        schema_in_json_object: it takes a JSON schema as ``{"type": "json_object", "schema":
            ...}`` and refuses ``{"type": "json_schema", ...}``: the latter is sent as the
            former.
        named_tool_for_required: it refuses ``tool_choice="required"``; with one tool, the
            same choice is sent as that tool's name.
        empty_content_for_tool_calls: it refuses an assistant message whose ``content`` is
            null beside tool calls; ``""`` is sent instead.
        message_names_refused: it refuses messages with a ``name`` (a warning, sent as given).
        tool_choice_default_none: with tools and no ``tool_choice`` it calls none (OpenAI's
            default is ``auto``): ``"auto"`` is sent.
        streams_automatic_tool_choice: it can stream a reply that may call a tool; when it
            cannot, conversations ask for such a reply whole (``streams(request)``).
    """

    name: str
    server: str
    rules: tuple[ProfileRule, ...] = ()
    max_tokens_only: bool = False
    schema_in_json_object: bool = False
    named_tool_for_required: bool = False
    empty_content_for_tool_calls: bool = False
    message_names_refused: bool = False
    tool_choice_default_none: bool = False
    streams_automatic_tool_choice: bool = True
    doc: str = field(default="", compare=False)

    def adapt(self, body: Mapping[str, Any], note: Note) -> dict[str, Any]:
        """The chat request ``body`` to send to this server; each change or known problem is
        reported through ``note``. ``body`` itself is left as it was."""
        out = dict(body)
        for rule in self.rules:
            if rule.name in out and out[rule.name] is not None:
                value = out[rule.name]
                if rule.when is None or rule.when(value):
                    why = f" ({rule.why})" if rule.why else ""
                    note(
                        f"{rule.action}:{rule.name}",
                        f"{self.server} {rule.action} {rule.name}={value!r}{why}; it is sent as"
                        f" given. {self._override_hint()}",
                    )
        if self.max_tokens_only and out.get("max_completion_tokens") is not None:
            limit = out.pop("max_completion_tokens")
            if out.get("max_tokens") is None:
                out["max_tokens"] = limit
            note(
                "translate:max_completion_tokens",
                f"{self.server} takes the reply's limit as max_tokens: max_completion_tokens is"
                f" sent as max_tokens={out['max_tokens']!r}.",
            )
        if self.schema_in_json_object:
            out = self._schema_format(out, note)
        if self.tool_choice_default_none and out.get("tools") and "tool_choice" not in out:
            out["tool_choice"] = "auto"
            note(
                "translate:tool_choice:default",
                f"{self.server} calls no tool unless asked: tool_choice='auto' (OpenAI's default"
                " with tools) is sent.",
            )
        if self.named_tool_for_required and out.get("tool_choice") == "required":
            out = self._required_choice(out, note)
        if self.empty_content_for_tool_calls:
            out = self._tool_call_content(out)
        if self.message_names_refused and any(
            isinstance(m, Mapping) and m.get("name") for m in out.get("messages") or ()
        ):
            note(
                "refuses:messages[].name",
                f"{self.server} refuses messages with a name; they are sent as given."
                f" {self._override_hint()}",
            )
        return out

    def streams(self, request: Mapping[str, Any]) -> bool:
        """Whether a reply to ``request`` (the keyword arguments of a create call) can be
        streamed by this server: not one that may call a tool, where it cannot stream that."""
        if self.streams_automatic_tool_choice or not request.get("tools"):
            return True
        return request.get("tool_choice", "auto") not in ("auto", None)

    def _override_hint(self) -> str:
        return f"(profile {self.name!r}; Client(profile='generic') sends requests unchanged)"

    def _schema_format(self, out: dict[str, Any], note: Note) -> dict[str, Any]:
        response_format = out.get("response_format")
        if not isinstance(response_format, Mapping) or response_format.get("type") != (
            "json_schema"
        ):
            return out
        schema = (response_format.get("json_schema") or {}).get("schema")
        out["response_format"] = {"type": "json_object", **({"schema": schema} if schema else {})}
        note(
            "translate:response_format",
            f"{self.server} takes a JSON schema as response_format={{'type': 'json_object',"
            " 'schema': ...}, not 'json_schema': sent in that form (the reply is parsed and"
            " checked against the schema as before).",
        )
        return out

    def _required_choice(self, out: dict[str, Any], note: Note) -> dict[str, Any]:
        tools = [t for t in out.get("tools") or () if isinstance(t, Mapping)]
        names = [
            (t.get("function") or {}).get("name") for t in tools if t.get("type") == "function"
        ]
        if len(names) == 1 and isinstance(names[0], str):
            out["tool_choice"] = {"type": "function", "function": {"name": names[0]}}
            note(
                "translate:tool_choice",
                f"{self.server} refuses tool_choice='required': with one tool it is sent as"
                f" that tool's name ({names[0]!r}), which means the same.",
            )
        else:
            note(
                "refuses:tool_choice",
                f"{self.server} refuses tool_choice='required' and, with {len(names)} tools,"
                f" no other form means the same; it is sent as given. {self._override_hint()}",
            )
        return out

    @staticmethod
    def _tool_call_content(out: dict[str, Any]) -> dict[str, Any]:
        messages = out.get("messages")
        if not isinstance(messages, list):
            return out
        fixed = []
        for message in messages:
            if (
                isinstance(message, Mapping)
                and message.get("role") == "assistant"
                and message.get("tool_calls")
                and message.get("content") is None
            ):
                message = {**message, "content": ""}
            fixed.append(message)
        out["messages"] = fixed
        return out


def _above_one(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 1


def _above_one_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 1


GENERIC = Profile("generic", "the server", doc="Sends every request as given.")
OPENAI = Profile("openai", "OpenAI", doc="OpenAI's own API: everything is sent as given.")
LOCAL = Profile("local", "the local model", doc="workbench's local model: as OpenAI.")
LLAMA_CPP = Profile(
    "llama-cpp",
    "llama-cpp-python's server",
    rules=(  # measured by tests/test_interop_llama.py against 0.3.36
        ProfileRule("n", "ignores", _above_one, "it returns one choice"),
        ProfileRule("seed", "ignores", why="another text each time"),
        ProfileRule("parallel_tool_calls", "ignores", lambda v: v is True, "one call at most"),
    ),
    tool_choice_default_none=True,
    streams_automatic_tool_choice=False,
    max_tokens_only=True,
    schema_in_json_object=True,
    named_tool_for_required=True,
    empty_content_for_tool_calls=True,
    doc="llama-cpp-python's OpenAI-compatible server (python -m llama_cpp.server).",
)
LITELLM = Profile(
    "litellm",
    "the LiteLLM proxy",
    doc="A LiteLLM proxy: it passes requests on to the model it routes to.",
)
OLLAMA = Profile(
    "ollama",
    "Ollama",
    rules=(  # its OpenAI compatibility page lists the fields it takes; these are not among them
        ProfileRule("logit_bias", "ignores"),
        ProfileRule("n", "ignores", _above_one, "it returns one choice"),
        ProfileRule("user", "ignores"),
    ),
    max_tokens_only=True,
    doc="Ollama's OpenAI-compatible API (docs.ollama.com/api/openai-compatibility).",
)
VLLM = Profile("vllm", "vLLM", doc="vLLM's OpenAI-compatible server.")
OPENROUTER = Profile(
    "openrouter",
    "OpenRouter",
    doc="OpenRouter: reports each request's cost in usage.cost; reasoning as 'reasoning'.",
)
GROQ = Profile(
    "groq",
    "Groq",
    rules=(  # console.groq.com/docs/openai: these are answered with 400
        ProfileRule("logprobs", "refuses"),
        ProfileRule("top_logprobs", "refuses"),
        ProfileRule("logit_bias", "refuses"),
        ProfileRule("n", "refuses", _above_one, "n must be 1"),
    ),
    message_names_refused=True,
    doc="Groq's OpenAI-compatible API (console.groq.com/docs/openai).",
)
_ANTHROPIC_IGNORES = (
    "logprobs", "top_logprobs", "metadata", "response_format", "prediction", "presence_penalty",
    "frequency_penalty", "seed", "service_tier", "audio", "logit_bias", "store", "user",
    "modalities", "reasoning_effort",
)  # fmt: skip
ANTHROPIC = Profile(
    "anthropic",
    "Anthropic's OpenAI-compatible API",
    rules=(  # docs.claude.com/en/api/openai-sdk: the fields it ignores, and n
        *(ProfileRule(name, "ignores") for name in _ANTHROPIC_IGNORES),
        ProfileRule("temperature", "ignores", _above_one_number, "it caps the temperature at 1"),
        ProfileRule("n", "refuses", _above_one, "n must be 1"),
    ),
    doc="Anthropic's OpenAI SDK compatibility endpoint (docs.claude.com/en/api/openai-sdk).",
)
GEMINI = Profile(
    "gemini",
    "Gemini's OpenAI-compatible API",
    doc="Google's Gemini OpenAI compatibility endpoint: no difference is encoded yet.",
)

PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (GENERIC, OPENAI, LOCAL, LLAMA_CPP, LITELLM, OLLAMA, VLLM, OPENROUTER, GROQ,
              ANTHROPIC, GEMINI)
}  # fmt: skip
"""Every profile, by name."""

_HOSTS = {
    "api.openai.com": "openai",
    "openrouter.ai": "openrouter",
    "api.groq.com": "groq",
    "api.anthropic.com": "anthropic",
    "generativelanguage.googleapis.com": "gemini",
}


def get_profile(profile: str | Profile) -> Profile:
    """The profile named ``profile`` (or ``profile`` itself).

    Raises:
        ValueError: an unknown name (an ``InvalidParameterError`` naming the choices).
    """
    if isinstance(profile, Profile):
        return profile

    if not isinstance(profile, str) or profile not in PROFILES:
        raise InvalidParameterError("profile", f"got {profile!r}", allowed=tuple(PROFILES))
    return PROFILES[profile]


def detect_from_url(base_url: httpx.URL, *, local: bool) -> Profile:
    """The profile a base URL shows reliably: a hosted API's host, Ollama's port (11434), the
    local model; else ``generic``."""
    if local:
        return LOCAL
    host = base_url.host.lower()
    for known, name in _HOSTS.items():
        if host == known or host.endswith("." + known):
            return PROFILES[name]
    if base_url.port == 11434:
        return OLLAMA
    return GENERIC


def detect_from_response(headers: httpx.Headers) -> Profile | None:
    """The profile a server's answer shows reliably, or None: a LiteLLM proxy names itself in
    its headers (``x-litellm-*``); llama-cpp-python's server is a uvicorn app that adds
    OpenAI's ``openai-processing-ms`` header to its answers (vLLM, also on uvicorn, does not)."""
    # The raw names: iterating an httpx.Headers decodes every name into a new dict first.
    if any(name.lower().startswith(b"x-litellm-") for name, _ in headers.raw):
        return LITELLM
    if headers.get("server") == "uvicorn" and "openai-processing-ms" in headers:
        return LLAMA_CPP
    return None
