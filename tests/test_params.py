"""ChatParams: per-field checks on assignment, cross-field checks at to_request, snapshots."""

from __future__ import annotations

import json
import math
from typing import Any

import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import workbench
from workbench import InvalidParameterError
from workbench.conversation._params import ChatParams
from workbench.protocol._validate import validate_create_params

MESSAGES = [{"role": "user", "content": "x"}]
AUDIO = {"voice": "alloy", "format": "wav"}


class Person(pydantic.BaseModel):
    name: str
    age: int


PERSON_SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}},
    "required": ["name"],
    "additionalProperties": False,
}


@pytest.fixture(scope="module")
def client() -> workbench.Client:
    return workbench.Client(local=True)


# (parameter, invalid value, the param the error names, a fragment of its message)
INVALID: list[tuple[str, Any, str, str]] = [
    ("model", "", "model", "must be a non-empty string"),
    ("model", 5, "model", "must be a non-empty string"),
    ("temperature", 3, "temperature", "(allowed: 0 to 2)"),
    ("temperature", -0.1, "temperature", "(allowed: 0 to 2)"),
    ("temperature", math.nan, "temperature", "(allowed: 0 to 2)"),
    ("temperature", "0.5", "temperature", "must be a number"),
    ("temperature", True, "temperature", "must be a number"),
    ("top_p", 1.5, "top_p", "(allowed: 0 to 1)"),
    ("max_completion_tokens", 0, "max_completion_tokens", "(allowed: >= 1)"),
    ("max_completion_tokens", 1.5, "max_completion_tokens", "must be an integer"),
    ("n", 0, "n", "(allowed: 1 to 128)"),
    ("n", 129, "n", "(allowed: 1 to 128)"),
    ("presence_penalty", 2.5, "presence_penalty", "(allowed: -2 to 2)"),
    ("frequency_penalty", -3, "frequency_penalty", "(allowed: -2 to 2)"),
    ("top_logprobs", 21, "top_logprobs", "(allowed: 0 to 20)"),
    ("seed", 1.5, "seed", "must be an integer"),
    ("reasoning_effort", "max", "reasoning_effort", "'minimal', 'low', 'medium', 'high'"),
    ("verbosity", "loud", "verbosity", "'low', 'medium', 'high'"),
    ("service_tier", "turbo", "service_tier", "'auto', 'default', 'flex', 'scale', 'priority'"),
    ("logprobs", "yes", "logprobs", "must be a bool"),
    ("parallel_tool_calls", 1, "parallel_tool_calls", "must be a bool"),
    ("store", "true", "store", "must be a bool"),
    ("stop", ["a", "b", "c", "d", "e"], "stop", "(allowed: at most 4)"),
    ("stop", 5, "stop", "must be a string or a list of strings"),
    ("logit_bias", {"abc": 1}, "logit_bias", "is not a token id"),
    ("logit_bias", {"50256": 101}, "logit_bias[50256]", "(allowed: -100 to 100)"),
    ("metadata", {"k": 1}, "metadata['k']", "must be a string"),
    ("metadata", {str(i): "v" for i in range(17)}, "metadata", "(allowed: at most 16)"),
    ("modalities", ["video"], "modalities", "(allowed: 'text', 'audio')"),
    ("audio", {"voice": "alloy", "format": "ogg"}, "audio.format", "'wav', 'aac', 'mp3'"),
    ("tool_choice", "always", "tool_choice", '"none", "auto", "required"'),
    ("response_format", "yaml", "response_format", "a pydantic model class"),
    ("response_format", 42, "response_format", "a pydantic model class"),
    ("response_format", {"foo": 1}, "response_format", "a pydantic model class"),
    (
        "response_format",
        {"type": "json_schema", "json_schema": {"name": "bad name!", "schema": {}}},
        "response_format.json_schema.name",
        "1 to 64 characters",
    ),
]
# Checked here although the client's validator leaves them to the server.
BEYOND_CLIENT: list[tuple[str, Any, str, str]] = [
    ("audio", "alloy", "audio", "{'voice': ..., 'format': ...}"),
    ("prediction", {"type": "content"}, "prediction", "{'type': 'content'"),
    ("prediction", "text", "prediction", "{'type': 'content'"),
]


def _ids(case: tuple[str, Any, str, str]) -> str:
    return f"{case[0]}={case[1]!r}"[:40]


@pytest.mark.parametrize("case", INVALID + BEYOND_CLIENT, ids=_ids)
def test_invalid_assignment_raises_and_keeps_the_old_value(case: tuple[str, Any, str, str]) -> None:
    name, bad, param, fragment = case
    params = ChatParams()
    setattr(params, name, None)
    with pytest.raises(InvalidParameterError) as info:
        setattr(params, name, bad)
    assert info.value.param == param
    assert fragment in str(info.value)
    assert name in str(info.value)
    assert not isinstance(info.value, pydantic.ValidationError)
    assert getattr(params, name) is None
    assert params.to_request() == {}


@pytest.mark.parametrize("case", INVALID + BEYOND_CLIENT, ids=_ids)
def test_invalid_construction_raises_the_same_error(case: tuple[str, Any, str, str]) -> None:
    name, bad, param, fragment = case
    with pytest.raises(InvalidParameterError) as info:
        ChatParams(**{name: bad})
    assert info.value.param == param
    assert fragment in str(info.value)


@pytest.mark.parametrize("case", INVALID, ids=_ids)
def test_errors_are_worded_as_the_client_words_them(
    case: tuple[str, Any, str, str], client: workbench.Client
) -> None:
    name, bad, _, _ = case
    with pytest.raises(InvalidParameterError) as ours:
        ChatParams(**{name: bad})
    body = {"model": "m", "messages": MESSAGES, name: bad}
    if name != "response_format":  # converted before the validator sees it
        with pytest.raises(InvalidParameterError) as validator:
            validate_create_params(body)
        assert str(ours.value) == str(validator.value)
    if name == "model" or (name == "stop" and not isinstance(bad, list)):
        return  # the client takes model apart, and first turns a non-list stop into a list
    with pytest.raises(InvalidParameterError) as theirs:
        client.chat.completions.create(**body)
    assert str(ours.value) == str(theirs.value)


def test_a_failed_assignment_keeps_the_previous_value() -> None:
    params = ChatParams(temperature=0.7, stop=["END"])
    with pytest.raises(InvalidParameterError, match=r"temperature: 3 is out of range"):
        params.temperature = 3
    with pytest.raises(InvalidParameterError):
        params.stop = 5  # type: ignore[assignment]
    assert params.temperature == 0.7
    assert params.stop == ["END"]
    assert params.to_request() == {"temperature": 0.7, "stop": ["END"]}


def test_it_is_a_value_error_too() -> None:
    with pytest.raises(ValueError, match=r"temperature.*allowed: 0 to 2"):
        ChatParams().temperature = 3


def test_unknown_parameters_are_refused() -> None:
    with pytest.raises(InvalidParameterError) as info:
        ChatParams(temprature=0.5)
    assert info.value.param == "temprature"
    assert "'temperature'" in str(info.value)
    params = ChatParams()
    with pytest.raises(InvalidParameterError, match="temprature"):
        params.temprature = 0.5
    with pytest.raises(InvalidParameterError, match="temprature"):
        params.to_request(temprature=0.5)


VALID: list[tuple[str, Any]] = [
    ("model", "gpt-4o-mini"),
    ("temperature", 0),
    ("temperature", 2),
    ("temperature", 0.2),
    ("top_p", 1),
    ("max_completion_tokens", 256),
    ("reasoning_effort", "minimal"),
    ("verbosity", "high"),
    ("response_format", "json_object"),
    ("seed", -7),
    ("stop", "END"),
    ("stop", ["a", "b", "c", "d"]),
    ("n", 128),
    ("presence_penalty", -2),
    ("frequency_penalty", 1.5),
    ("logit_bias", {"50256": -100}),
    ("logit_bias", {50256: 100}),
    ("logprobs", False),
    ("top_logprobs", 0),
    ("tool_choice", "none"),
    ("tool_choice", {"type": "function", "function": {"name": "f"}}),
    ("parallel_tool_calls", True),
    ("service_tier", "flex"),
    ("modalities", ["text"]),
    ("audio", AUDIO),
    ("prediction", {"type": "content", "content": "draft"}),
    ("prediction", {"type": "content", "content": [{"type": "text", "text": "draft"}]}),
    ("store", True),
    ("metadata", {"run": "a"}),
]


@pytest.mark.parametrize(("name", "value"), VALID, ids=lambda v: repr(v)[:30])
def test_valid_values_stick(name: str, value: Any) -> None:
    params = ChatParams()
    setattr(params, name, value)
    assert getattr(params, name) == value
    assert ChatParams(**{name: value}) == params
    if name == "top_logprobs":
        params.logprobs = True
    assert params.to_request()[name] == value


def test_to_request_holds_only_the_set_fields() -> None:
    assert ChatParams().to_request() == {}
    params = ChatParams(model="m", temperature=0.5)
    params.seed = 3
    assert params.to_request() == {"model": "m", "temperature": 0.5, "seed": 3}
    params.temperature = None  # back to the server default: not sent at all
    assert params.to_request() == {"model": "m", "seed": 3}
    assert "temperature" not in params.snapshot()


def test_overrides_are_validated_and_not_kept() -> None:
    params = ChatParams(model="m", temperature=0.7)
    with pytest.raises(InvalidParameterError, match=r"temperature: 3 is out of range"):
        params.to_request(temperature=3)
    with pytest.raises(InvalidParameterError, match="reasoning_effort"):
        params.to_request(reasoning_effort="max")
    assert params.to_request(temperature=0, seed=1) == {"model": "m", "temperature": 0, "seed": 1}
    assert params.to_request(temperature=None) == {"model": "m"}
    assert params.temperature == 0.7
    assert params.seed is None
    assert params.to_request() == {"model": "m", "temperature": 0.7}


def test_merged_returns_a_validated_copy() -> None:
    params = ChatParams(model="m", temperature=0.7)
    copy = params.merged(temperature=0, n=2)
    assert copy is not params
    assert copy.to_request() == {"model": "m", "temperature": 0, "n": 2}
    assert params.to_request() == {"model": "m", "temperature": 0.7}
    assert params.merged(temperature=None).temperature is None
    with pytest.raises(InvalidParameterError, match="n: 0 is out of range"):
        params.merged(n=0)
    copy.temperature = 1.0
    assert params.temperature == 0.7


def test_top_logprobs_needs_logprobs_at_to_request_time() -> None:
    params = ChatParams()
    params.top_logprobs = 5  # allowed now, so logprobs can follow
    with pytest.raises(InvalidParameterError) as info:
        params.to_request()
    assert info.value.param == "top_logprobs"
    assert "requires logprobs=True" in str(info.value)
    params.logprobs = True
    assert params.to_request() == {"logprobs": True, "top_logprobs": 5}
    with pytest.raises(InvalidParameterError, match="top_logprobs"):
        params.to_request(logprobs=False)
    assert ChatParams(logprobs=True).to_request(top_logprobs=2)["top_logprobs"] == 2


def test_audio_modality_needs_audio_at_to_request_time() -> None:
    params = ChatParams(modalities=["text", "audio"])
    with pytest.raises(InvalidParameterError) as info:
        params.to_request()
    assert info.value.param == "audio"
    assert "modalities" in str(info.value)
    params.audio = AUDIO  # type: ignore[assignment]
    assert params.to_request() == {"modalities": ["text", "audio"], "audio": AUDIO}
    # The other order works too.
    other = ChatParams(audio=AUDIO)
    other.modalities = ["audio"]
    assert other.to_request()["modalities"] == ["audio"]


def test_values_mutated_in_place_are_caught_at_to_request() -> None:
    params = ChatParams(stop=["a", "b", "c", "d"])
    assert params.stop is not None and isinstance(params.stop, list)
    params.stop.append("e")
    with pytest.raises(InvalidParameterError, match="stop"):
        params.to_request()


@pytest.mark.parametrize(
    "response_format",
    [
        Person,
        PERSON_SCHEMA,
        {"type": "json_schema", "json_schema": {"name": "person", "schema": PERSON_SCHEMA}},
        {"type": "json_object"},
        "json_object",
        "text",
    ],
    ids=["pydantic", "schema", "api-dict", "api-json-object", "json_object", "text"],
)
def test_response_format_variants(response_format: Any, client: workbench.Client) -> None:
    params = ChatParams(model="m")
    params.response_format = response_format
    request = params.to_request()
    assert request["response_format"] is response_format  # left as given: the client converts
    json.dumps(params.snapshot())
    messages: list[Any] = [{"role": "user", "content": "Give me a person as JSON."}]
    completion = client.chat.completions.create(messages=messages, **request)
    assert completion.choices[0].message.content is not None


def test_a_pydantic_response_format_is_snapshotted_by_name_and_schema() -> None:
    params = ChatParams(response_format=Person)
    stored = params.snapshot()["response_format"]
    assert stored["type"] == "json_schema"
    assert stored["json_schema"]["name"] == "Person"
    assert set(stored["json_schema"]["schema"]["properties"]) == {"name", "age"}
    assert repr(params) == "ChatParams(response_format=Person)"


def test_garbage_response_format_keeps_the_old_one() -> None:
    params = ChatParams(response_format="text")
    garbage_values: list[Any] = ["yaml", 3.5, {"nope": True}, [Person]]
    for garbage in garbage_values:
        with pytest.raises(InvalidParameterError) as info:
            params.response_format = garbage
        assert info.value.param.startswith("response_format")
    assert params.response_format == "text"


def test_snapshot_is_json_safe_and_stable() -> None:
    params = ChatParams(
        model="m",
        temperature=0.2,
        stop=("a", "b"),
        logit_bias={50256: -100},
        metadata={"run": "1"},
        audio=AUDIO,
        modalities=["text", "audio"],
        response_format=Person,
        tool_choice={"type": "function", "function": {"name": "f"}},
    )
    first = params.snapshot()
    text = json.dumps(first, sort_keys=True)
    assert json.loads(text) == first  # nothing that JSON would change (int keys, tuples)
    assert json.dumps(params.snapshot(), sort_keys=True) == text
    assert json.dumps(ChatParams(**params.to_request()).snapshot(), sort_keys=True) == text
    assert first["stop"] == ["a", "b"]
    assert first["logit_bias"] == {"50256": -100}
    first["metadata"]["run"] = "changed"  # a snapshot shares nothing with the params
    assert params.metadata == {"run": "1"}
    assert ChatParams().snapshot() == {}


def test_repr_shows_only_the_set_fields() -> None:
    params = ChatParams(model="gpt-4o-mini", temperature=0.2)
    assert repr(params) == "ChatParams(model='gpt-4o-mini', temperature=0.2)"
    assert repr(ChatParams()) == "ChatParams()"


def test_fields_info_describes_every_field_truthfully() -> None:
    info = ChatParams.fields_info()
    assert list(info) == list(ChatParams.model_fields)
    assert all(entry["description"] for entry in info.values())
    assert info["temperature"]["range"] == [0, 2]
    assert info["temperature"]["type"] == "number"
    assert info["n"]["type"] == "integer"
    assert info["logprobs"]["type"] == "boolean"
    json.dumps(info)
    for name, entry in info.items():
        low, high = entry.get("range", (None, None))
        if entry["type"] in ("number", "integer") and name in ChatParams.model_fields:
            step = 1 if entry["type"] == "integer" else 0.001
            for ok in (low, high):
                if ok is not None:
                    ChatParams(**{name: ok})
            for bad in (low - step if low is not None else None, high + step if high else None):
                if bad is not None:
                    with pytest.raises(InvalidParameterError, match=name):
                        ChatParams(**{name: bad})
        if entry["type"] in ("choice", "multichoice"):
            for choice in entry["choices"]:
                ChatParams(**{name: [choice] if entry["type"] == "multichoice" else choice})
            with pytest.raises(InvalidParameterError):
                ChatParams(**{name: ["nope"] if entry["type"] == "multichoice" else "nope"})


# The documented ranges, written out here as the specification (not read from the code).
NUMERIC: dict[str, tuple[float | None, float | None, bool]] = {
    "temperature": (0, 2, False),
    "top_p": (0, 1, False),
    "presence_penalty": (-2, 2, False),
    "frequency_penalty": (-2, 2, False),
    "max_completion_tokens": (1, None, True),
    "n": (1, 128, True),
    "top_logprobs": (0, 20, True),
    "seed": (-(2**63), 2**63 - 1, True),  # int64, as the API's schema says
}
numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.integers(min_value=-5, max_value=200),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-3, max_value=3),
    st.booleans(),
)


def _valid(name: str, value: object) -> bool:
    low, high, integer = NUMERIC[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if integer and not isinstance(value, int):
        return False
    if math.isnan(value):
        return False
    return (low is None or value >= low) and (high is None or value <= high)


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(sorted(NUMERIC)), value=numbers)
def test_no_invalid_number_reaches_to_request(name: str, value: Any) -> None:
    base = ChatParams(logprobs=True) if name == "top_logprobs" else ChatParams()
    if not _valid(name, value):
        with pytest.raises(InvalidParameterError) as info:
            setattr(base, name, value)
        assert info.value.param == name
        with pytest.raises(InvalidParameterError):
            ChatParams(**{name: value})
        with pytest.raises(InvalidParameterError):
            base.to_request(**{name: value})
        assert getattr(base, name) is None
        return
    setattr(base, name, value)
    request = base.to_request()
    assert request[name] == value
    assert type(request[name]) is type(value)
    assert base.to_request(**{name: value})[name] == value
    validate_create_params({**request, "model": "m", "messages": MESSAGES})


def _full() -> ChatParams:
    return ChatParams(
        model="local-model",
        temperature=0.3,
        top_p=0.9,
        max_completion_tokens=64,
        max_tokens=64,
        reasoning_effort="low",
        verbosity="low",
        seed=42,
        stop=["\n\n\n"],
        n=2,
        presence_penalty=0.1,
        frequency_penalty=0.1,
        logit_bias={"50256": -100},
        logprobs=True,
        top_logprobs=2,
        tool_choice="none",
        parallel_tool_calls=True,
        service_tier="auto",
        modalities=["text"],
        prediction={"type": "content", "content": "hello"},
        store=False,
        metadata={"experiment": "params"},
        extra_body={"top_k": 40},
    )


def test_a_full_request_passes_the_client_validator_and_the_local_model(
    client: workbench.Client,
) -> None:
    request = _full().to_request()
    assert set(request) == set(ChatParams.model_fields) - {"response_format", "audio"}
    validate_create_params({**request, "messages": MESSAGES})
    completion = client.chat.completions.create(messages=MESSAGES, **request)  # type: ignore[arg-type]
    assert len(completion.choices) == 2
    assert completion.model.startswith("local-model")


@pytest.mark.parametrize("stream", [False, True])
def test_one_turn_overrides_reach_the_local_model(stream: bool, client: workbench.Client) -> None:
    params = ChatParams(model="local-model", n=1)
    request = params.to_request(n=3, max_completion_tokens=8)
    completion: Any
    if stream:
        with client.chat.completions.stream(messages=MESSAGES, **request) as s:  # type: ignore[arg-type]
            completion = s.get_final_completion()
    else:
        completion = client.chat.completions.create(messages=MESSAGES, **request)  # type: ignore[arg-type]
    assert len(completion.choices) == 3
    assert params.n == 1


def test_a_scalar_found_valid_is_not_checked_again_and_an_invalid_one_always_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from workbench.conversation import _params

    calls: list[dict[str, Any]] = []
    real = _params.validate_create_params
    monkeypatch.setattr(_params, "_VALID", set())
    monkeypatch.setattr(
        _params, "validate_create_params", lambda body: calls.append(body) or real(body)
    )
    for _ in range(3):
        workbench.ChatParams(model="m", temperature=0.25)
    assert len(calls) == 2, "model and temperature, each checked once"
    for _ in range(2):
        with pytest.raises(InvalidParameterError):
            workbench.ChatParams(temperature=7.5)
    with pytest.raises(InvalidParameterError):
        workbench.ChatParams(temperature=float("nan"))
    workbench.ChatParams(temperature=1)
    with pytest.raises(InvalidParameterError):  # True == 1, but it is not a number here
        workbench.ChatParams(temperature=True)
