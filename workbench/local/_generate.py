"""The local model's answer to a chat completion request: each choice's content (a refusal,
tool calls, JSON or text), its reasoning, audio and logprobs, and the usage they add up to."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ._answer import Answer, Choice
from ._attachments import AUDIO_TOKENS_PER_SECOND, acknowledge, media_tokens, read_parts
from ._phrasing import (
    count_prompt_tokens,
    message_text,
    reply_text,
    stable_hash,
    token_logprobs,
    tokenize,
)
from ._predict import prediction_tokens, prediction_usage
from ._speech import seconds, speak
from ._think import REASONING_MODEL, think
from ._tool_calls import choose_tools
from ._values import extract_hints, generate

__all__ = ["answer"]

_REASONING = {"minimal": 0, "low": 64, "medium": 192, "high": 640}
_REASONING_MODEL = re.compile(r"^(o\d|gpt-5)")
_AUDIO_LIFETIME = 3600  # seconds an audio reply's id may be referred to (the local model's rule)


def answer(
    body: Mapping[str, Any],
    *,
    id: str,
    created: int,
    refusal_trigger: str | None,
    reasoning_field: str = "reasoning_content",
    variant: object = 0,
) -> Answer:
    """Generate the answer to a validated chat completion request body.

    ``reasoning_field``: the field the reasoning model (``_think``) sends its reasoning in.
    ``variant``: which sample of an unseeded reply (``_variants``; 0: the first).
    """
    request = _Request.read(body, variant)
    usage = _Usage()
    choices: list[Choice] = []
    for i in range(request.n):
        seed = request.base_seed + i * 7919
        choice = _content(request, i, seed, refusal_trigger)
        _complete(request, choice, seed, usage, id=id, created=created)
        choices.append(choice)
    tier = body.get("service_tier")
    return Answer(
        id=id,
        created=created,
        model=request.model,
        choices=choices,
        usage=usage.as_dict(request),
        service_tier="default" if tier in (None, "auto") else str(tier),
        logprobs=request.logprobs,
        reasoning_field=reasoning_field,
    )


@dataclasses.dataclass(frozen=True)
class _Request:
    """What the answer depends on, read once from the request body."""

    body: Mapping[str, Any]
    messages: Sequence[Mapping[str, Any]]
    model: str
    n: int
    limit: int | None
    stops: list[str]
    logprobs: bool
    top_logprobs: int
    effort: str | None
    shows_reasoning: bool  # the reasoning model shows it; the others only count it
    user_text: str
    last_role: object
    tools: list[Mapping[str, Any]]
    forced: bool  # "required" or a named tool: a call even after tool results
    spoken_as: str | None  # the audio format of a spoken reply
    predicted: Any
    attachments: Any  # what the last user message attached, acknowledged in the reply
    prompt_tokens: int
    audio_in: int
    hidden_reasoning: int  # hidden reasoning tokens, the same for every choice
    salt: object  # what picks the variation: the seed, the sample's variant, or 0 (greedy)
    base_seed: int

    @classmethod
    def read(cls, body: Mapping[str, Any], variant: object = 0) -> _Request:
        messages: Sequence[Mapping[str, Any]] = body["messages"]
        model = str(body["model"])
        tools = [t for t in body.get("tools") or () if isinstance(t, Mapping)]
        tool_choice = body.get("tool_choice")
        limit = body.get("max_completion_tokens") or body.get("max_tokens")
        stop = body.get("stop")
        effort = body.get("reasoning_effort")
        if effort is None and _REASONING_MODEL.match(model):
            effort = "medium"
        # The reasoning model shows its reasoning (spoken replies aside); the others only count it.
        modalities = body.get("modalities") or ()
        shows = model == REASONING_MODEL and "audio" not in modalities
        if shows and effort is None:
            effort = "medium"
        users = [m for m in messages if m.get("role") == "user"]
        user_text = message_text(users[-1]) if users else ""
        last_role = messages[-1].get("role") if messages else None
        image_and_audio, audio_in = media_tokens(messages)
        prompt_tokens = count_prompt_tokens(messages, tools) + image_and_audio
        reasoning = 0
        if effort in _REASONING and not shows:
            reasoning = _REASONING[effort] + (prompt_tokens * 2 if effort != "minimal" else 0)
        if limit is not None:  # the token limit bounds reasoning and visible tokens together
            reasoning = min(reasoning, int(limit))
        # At temperature 0 the seed changes nothing (greedy): not the text, arguments or logprobs;
        # above it the seed picks the variation, or without one the sample's variant.
        seed, temperature = body.get("seed"), body.get("temperature")
        greedy = temperature is not None and float(temperature) == 0
        salt = 0 if greedy else (seed if seed is not None else variant)
        return cls(
            body=body,
            messages=messages,
            model=model,
            n=int(body.get("n") or 1),
            limit=None if limit is None else int(limit),
            stops=[stop] if isinstance(stop, str) else list(stop or ()),
            logprobs=body.get("logprobs") is True,
            top_logprobs=int(body.get("top_logprobs") or 0),
            effort=effort,
            shows_reasoning=shows,
            user_text=user_text,
            last_role=last_role,
            tools=tools,
            forced=tool_choice == "required" or _names_a_tool(tool_choice),
            spoken_as=(body.get("audio") or {}).get("format") if "audio" in modalities else None,
            predicted=prediction_tokens(body.get("prediction")),
            attachments=acknowledge(read_parts(users[-1]))
            if users and last_role == "user"
            else None,
            prompt_tokens=prompt_tokens,
            audio_in=audio_in,
            hidden_reasoning=reasoning,
            salt=salt,
            base_seed=stable_hash(model, user_text, len(messages), salt),
        )


def _names_a_tool(tool_choice: object) -> bool:
    """Whether ``tool_choice`` names one tool (which forces a call, as ``"required"`` does)."""
    return isinstance(tool_choice, Mapping) and tool_choice.get("type") in ("function", "custom")


@dataclasses.dataclass
class _Usage:
    """The completion's token counts, added up over the choices."""

    completion_tokens: int = 0
    audio_out: int = 0
    accepted: int = 0
    rejected: int = 0
    shown_reasoning: int = 0

    def as_dict(self, request: _Request) -> dict[str, Any]:
        """The ``usage`` object of the answer."""
        return {
            "prompt_tokens": request.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": request.prompt_tokens + self.completion_tokens,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": request.audio_in},
            "completion_tokens_details": {
                "reasoning_tokens": request.hidden_reasoning * request.n + self.shown_reasoning,
                "audio_tokens": self.audio_out,
                "accepted_prediction_tokens": self.accepted,
                "rejected_prediction_tokens": self.rejected,
            },
        }


def _content(request: _Request, i: int, seed: int, refusal_trigger: str | None) -> Choice:
    """Choice ``i``'s content: a refusal (the message names the trigger), tool calls (when
    the model may call one), or text cut at the first stop sequence."""
    choice = Choice(i)
    trigger = refusal_trigger.lower() if refusal_trigger else None
    body = request.body
    if trigger and request.last_role == "user" and trigger in request.user_text.lower():
        text = (
            "I'm sorry, but I can't help with that. (The local model refuses any message"
            f" containing {refusal_trigger!r}.)"
        )
        choice.refusal = tokenize(text)
        return choice
    tools = request.tools
    if tools and (request.last_role == "user" or request.forced):
        calls = choose_tools(
            tools=tools,
            tool_choice=body.get("tool_choice"),
            parallel=body.get("parallel_tool_calls", True) is not False,
            user_text=request.user_text,
            seed=seed,
        )
        if calls:
            choice.tool_calls = calls
            choice.finish_reason = "tool_calls"
            return choice
    text, choice.finish_reason = _apply_stop(_text(request, i, seed), request.stops)
    choice.tokens = tokenize(text)
    return choice


def _text(request: _Request, i: int, seed: int) -> str:
    """Choice ``i``'s text: a value of the requested JSON schema, a JSON object, or prose."""
    body = request.body
    response_format = body.get("response_format") or {}
    kind = response_format.get("type") if isinstance(response_format, Mapping) else None
    if kind == "json_schema":
        spec = response_format.get("json_schema") or {}
        hints = extract_hints(request.user_text)
        return json.dumps(
            generate(spec.get("schema") or {}, seed=seed, hints=hints), ensure_ascii=False
        )
    if kind == "json_object":
        said = request.user_text
        value = {
            "model": request.model,
            "you_said": said,
            "words": len(said.split()),
            "simulated": True,
        }
        return json.dumps(value, ensure_ascii=False)
    return reply_text(
        model=request.model,
        messages=request.messages,
        salt=request.salt,
        temperature=body.get("temperature"),
        verbosity=body.get("verbosity"),
        choice_index=i,
        tool_results=_tool_results(request.messages) if request.last_role == "tool" else (),
        attachments=request.attachments,
    )


def _complete(
    request: _Request, choice: Choice, seed: int, usage: _Usage, *, id: str, created: int
) -> None:
    """Add to ``choice`` what follows its content: the reasoning before it, the token limit's
    cut, the spoken audio, the prediction's and the logprobs; and count its tokens."""
    room = None if request.limit is None else max(0, request.limit - request.hidden_reasoning)
    if request.shows_reasoning:  # it thinks first: the limit counts reasoning before the answer
        choice.reasoning = _reasoning(choice, request.body, request.user_text, request.effort, seed)
        if choice.reasoning is not None:
            if room is not None:
                choice.reasoning = choice.reasoning[:room]
                room -= len(choice.reasoning)
            usage.shown_reasoning += len(choice.reasoning)
    if choice.refusal is None and not choice.tool_calls:  # a text reply
        if room is not None and len(choice.tokens) > room:
            choice.tokens = choice.tokens[:room]
            choice.finish_reason = "length"
        if request.spoken_as is not None:
            text = "".join(choice.tokens)
            choice.audio = _spoken(
                text, request.spoken_as, id=id, index=choice.index, created=created
            )
            spoken_tokens = math.ceil(seconds(text) * AUDIO_TOKENS_PER_SECOND)
            usage.audio_out += spoken_tokens
            usage.completion_tokens += spoken_tokens
        if request.predicted:
            took, missed = prediction_usage(request.predicted, choice.tokens)
            usage.accepted += took
            usage.rejected += missed
            usage.completion_tokens += missed  # rejected tokens are billed as completion tokens
    visible = choice.refusal if choice.refusal is not None else choice.tokens
    if request.logprobs and not choice.tool_calls:
        choice.logprobs = token_logprobs(visible, top_logprobs=request.top_logprobs, rng_seed=seed)
    said = len(visible) + sum(len(tokenize(c.arguments)) + 4 for c in choice.tool_calls)
    usage.completion_tokens += said + request.hidden_reasoning + len(choice.reasoning or ())


def _spoken(text: str, audio_format: str, *, id: str, index: int, created: int) -> dict[str, Any]:
    """The ``audio`` object of a spoken reply: its id, the clip base64-encoded, its transcript."""
    digest = hashlib.sha256(f"{id}/{index}".encode()).hexdigest()[:32]
    return {
        "id": f"audio_{digest}",
        "data": base64.b64encode(speak(text, audio_format)).decode("ascii"),
        "expires_at": created + _AUDIO_LIFETIME,
        "transcript": text,
    }


def _tool_results(messages: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """The trailing tool messages, as (tool name, result) pairs."""
    names: dict[str, str] = {}
    for message in messages:
        for call in message.get("tool_calls") or ():
            if isinstance(call, Mapping):
                spec = call.get(call.get("type", "function")) or {}
                names[str(call.get("id"))] = str(spec.get("name", "tool"))
    results = []
    for message in reversed(messages):
        if message.get("role") != "tool":
            break
        name = names.get(str(message.get("tool_call_id")), "tool")
        results.append((name, message_text(message)))
    return list(reversed(results))


def _reasoning(
    choice: Choice, body: Mapping[str, Any], user_text: str, effort: str | None, seed: int
) -> list[str] | None:
    """The reasoning model's thoughts before ``choice``, as tokens (None: it did not think)."""
    messages: Sequence[Mapping[str, Any]] = body["messages"]
    response_format = body.get("response_format")
    schema = None
    if isinstance(response_format, Mapping) and response_format.get("type") == "json_object":
        schema = "json_object"
    elif isinstance(response_format, Mapping) and response_format.get("type") == "json_schema":
        schema = str((response_format.get("json_schema") or {}).get("name") or "the schema")
    after_tools = messages and messages[-1].get("role") == "tool"
    text = think(
        user_text=user_text,
        effort=str(effort),
        seed=seed,
        refused=choice.refusal is not None,
        tools=[call.name for call in choice.tool_calls],
        tool_results=[name for name, _ in _tool_results(messages)] if after_tools else (),
        schema=None if choice.tool_calls or choice.refusal is not None else schema,
    )
    return None if text is None else tokenize(text)


def _apply_stop(text: str, stops: Sequence[str]) -> tuple[str, str]:
    """Cut the text before the first stop sequence (which is not included)."""
    cut = min((i for s in stops if s and (i := text.find(s)) >= 0), default=-1)
    return (text[:cut], "stop") if cut >= 0 else (text, "stop")
