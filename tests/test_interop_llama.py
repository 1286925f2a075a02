"""workbench and the official ``openai`` 1.106.1 against llama-cpp-python's server (0.3.36, built
from source into ``.interop/llama``) on a tiny random-weight model the tests make
(``tests/interop/make_model.py``), compared case by case (issue 15).

The model's text is random; its replies run to their length cap (it never ends a turn itself),
the word ``please`` makes it call functions when it may choose, and a tool message makes it
answer. What each server and client does with each case is tabled in tests/interop/README.md.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

import workbench
from tests.interop._battery import (
    NAMED,
    TIME_TOOL,
    TOOLS,
    WEATHER_TOOL,
    Counter,
    Weather,
    ask,
    check_chunks,
    check_completion,
    check_tool_calls,
    each_client,
    make_async_client,
    open_client,
    status_of,
)
from tests.interop._servers import (
    LLAMA_ALIAS,
    MissingEnvironmentError,
    ServerProcess,
    llama_server,
    make_model,
)

pytestmark = [pytest.mark.interop, pytest.mark.timeout(60)]

KEY = "sk-no-key-needed"  # llama-cpp-python's server takes any key unless started with one
PLEASE = "What is the weather in Paris, please?"
USER_HI = {"role": "user", "content": "Hi"}  # the model calls a function when it may


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("interop-llama")


@pytest.fixture(scope="module")
def tiny_model(workdir: Path) -> Path:
    """The tiny GGUF model, written once per run (about half a second)."""
    try:
        return make_model(workdir / "tiny.gguf")
    except MissingEnvironmentError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="module")
def llama(tiny_model: Path, workdir: Path) -> Iterator[ServerProcess]:
    """llama-cpp-python's server for the whole module."""
    server = llama_server(tiny_model, workdir)
    server.start(timeout=60)
    yield server
    server.stop()


@pytest.fixture
def counter() -> Counter:
    return Counter()


@pytest.fixture
def client(kind: str, llama: ServerProcess, counter: Counter) -> Iterator[Any]:
    """The client under test, without retries (each case sends once; retries are the proxy's
    tests' subject)."""
    with open_client(kind, llama.base_url, KEY, counter, max_retries=0) as c:
        yield c


def create(client: Any, **params: Any) -> Any:
    params.setdefault("model", LLAMA_ALIAS)
    params.setdefault("messages", ask("Tell me about tides."))
    return client.chat.completions.create(**params)


# -- replies ---------------------------------------------------------------------------------


@each_client
def test_create(client: Any) -> None:
    completion = create(client, max_tokens=8)
    check_completion(completion)
    assert completion.choices[0].finish_reason == "length"
    assert isinstance(completion.choices[0].message.content, str)
    assert completion.usage.completion_tokens == 8 and completion.usage.prompt_tokens > 0
    assert completion.model == LLAMA_ALIAS


@each_client
def test_stream_sends_no_usage_even_when_asked(client: Any) -> None:
    """llama-cpp-python ignores ``stream_options``: no usage chunk (a profile counts locally)."""
    chunks = list(create(client, max_tokens=8, stream=True, stream_options={"include_usage": True}))
    check_chunks(chunks)
    assert chunks[-1].choices[0].finish_reason == "length"
    assert all(c.usage is None for c in chunks)


@each_client
def test_stream_helper_final_completion(client: Any) -> None:
    with client.chat.completions.stream(
        model=LLAMA_ALIAS, messages=ask("Tell me about tides."), max_tokens=8
    ) as stream:
        deltas = [e.delta for e in stream if e.type == "content.delta"]
        if isinstance(client, openai.OpenAI):
            # openai's helper parses every final reply, and a cut one raises, even without a
            # response_format; workbench raises only where there is something to parse.
            with pytest.raises(openai.LengthFinishReasonError):
                stream.get_final_completion()
            return
        final = stream.get_final_completion()
    check_completion(final)
    assert final.choices[0].finish_reason == "length"
    assert final.choices[0].message.content == "".join(deltas)
    assert final.usage is None  # none was streamed


@each_client
def test_parse_with_json_schema_is_refused(client: Any, counter: Counter) -> None:
    """llama-cpp-python takes ``json_object`` with a ``schema``, not ``json_schema``: a 500 that
    both clients raise as ``InternalServerError`` (a profile could translate it)."""
    with pytest.raises((workbench.InternalServerError, openai.InternalServerError)) as caught:
        client.chat.completions.parse(
            model=LLAMA_ALIAS, messages=ask("Weather?"), response_format=Weather, max_tokens=64
        )
    assert status_of(caught.value) == ("InternalServerError", 500)
    assert "json_schema" in str(caught.value)
    assert len(counter.requests) == 1


@each_client
def test_json_object_with_a_schema_is_grammar_constrained(client: Any) -> None:
    """What the server takes instead: its grammar keeps the random model's reply to the schema."""
    response_format = {"type": "json_object", "schema": Weather.model_json_schema()}
    completion = create(client, response_format=response_format, max_tokens=128, seed=1)
    check_completion(completion)
    assert completion.choices[0].finish_reason == "stop"
    Weather.model_validate_json(completion.choices[0].message.content)


@each_client
def test_n_is_ignored(client: Any) -> None:
    completion = create(client, max_tokens=4, n=2)
    check_completion(completion, choices=1)


@each_client
def test_logprobs(client: Any) -> None:
    completion = create(client, max_tokens=4, logprobs=True, top_logprobs=2)
    content = completion.choices[0].logprobs.content
    assert len(content) == 4
    assert all(isinstance(t.logprob, float) and t.logprob <= 0 for t in content)
    # Not OpenAI's "top 2": the sampled token is added when it is not among them.
    assert all(1 <= len(t.top_logprobs) <= 3 for t in content)


@each_client
def test_stop(client: Any) -> None:
    completion = create(client, max_tokens=200, stop=["e"])
    assert completion.choices[0].finish_reason == "stop"
    assert "e" not in completion.choices[0].message.content


@each_client
def test_seed_is_ignored(client: Any) -> None:
    """The same seed gives another text each time (random text of 12 tokens from ~220 does not
    repeat by chance): the server takes ``seed`` and does not use it."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", workbench.ProfileWarning)
        texts = {create(client, max_tokens=12, temperature=1.0, seed=7).choices[0].message.content}
        texts.add(create(client, max_tokens=12, temperature=1.0, seed=7).choices[0].message.content)
    assert len(texts) == 2
    if isinstance(client, workbench.Client):  # the profile, learned from the first answer, says so
        assert any("ignores seed=7" in str(w.message) for w in caught), caught


@each_client
def test_max_tokens_caps_the_reply(client: Any) -> None:
    completion = create(client, max_tokens=3)
    assert completion.choices[0].finish_reason == "length"
    assert completion.usage.completion_tokens == 3


@each_client
def test_max_completion_tokens_is_ignored(client: Any) -> None:
    """Asked for 3 tokens, the server goes on to its context's end: read a few, then close. A
    profile can send ``max_tokens`` instead."""
    stream = create(client, max_completion_tokens=3, stream=True)
    pieces = []
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
        if len(pieces) > 10:
            break
    stream.close()
    assert len(pieces) > 10


@each_client
def test_an_unknown_model_is_answered_by_the_one_loaded(client: Any) -> None:
    completion = create(client, model="no-such-model", max_tokens=2)
    check_completion(completion)
    assert completion.model == "no-such-model"  # echoed, though "tiny" answered


# -- tools -----------------------------------------------------------------------------------


@each_client
def test_tools_without_tool_choice_are_not_offered(client: Any) -> None:
    """Without ``tool_choice`` the server treats tools as ``none`` (OpenAI's default is
    ``auto``): a plain reply even where the model would call. A profile should send ``auto``."""
    completion = create(client, messages=ask(PLEASE), tools=TOOLS, max_tokens=8)
    assert completion.choices[0].finish_reason == "length"
    assert not completion.choices[0].message.tool_calls


@each_client
def test_tool_choice_auto_calls_a_tool(client: Any) -> None:
    completion = create(client, messages=ask(PLEASE), tools=TOOLS, tool_choice="auto", seed=1)
    check_completion(completion)
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    assert len(check_tool_calls(choice.message.tool_calls, ["get_weather", "get_time"])) == 1


@each_client
def test_tool_choice_auto_answering_is_bent_by_the_grammar(client: Any) -> None:
    """When the model chooses ``message:`` under ``auto``, llama-cpp-python samples the message
    with its after-a-call grammar: the reply is empty or the text ``functions.NAME:``."""
    completion = create(client, tools=TOOLS, tool_choice="auto", seed=2, max_tokens=32)
    choice = completion.choices[0]
    assert choice.finish_reason == "stop" and not choice.message.tool_calls
    assert choice.message.content in ("", "functions.get_weather:", "functions.get_time:")


@each_client
def test_a_named_tool(client: Any) -> None:
    completion = create(client, messages=ask("Weather?"), tools=TOOLS, tool_choice=NAMED)
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert check_tool_calls(choice.message.tool_calls, ["get_weather"])


@each_client
def test_parallel_tools_give_one_call(client: Any) -> None:
    """Never more than one call: after the first, the server reads the next name with its
    trailing ``:`` (``get_time:``), which matches no tool, and stops."""
    completion = create(
        client,
        messages=ask("The weather in Paris and the time in CET, please?"),
        tools=[WEATHER_TOOL, TIME_TOOL],
        tool_choice="auto",
        parallel_tool_calls=True,
        seed=3,
    )
    assert len(check_tool_calls(completion.choices[0].message.tool_calls, ["get_weather"])) == 1


@each_client
def test_tool_choice_required_is_refused(client: Any) -> None:
    with pytest.raises((workbench.InternalServerError, openai.InternalServerError)) as caught:
        create(client, messages=ask(PLEASE), tools=TOOLS, tool_choice="required")
    assert status_of(caught.value) == ("InternalServerError", 500)


@each_client
def test_a_streamed_named_tool_repeats_the_name_in_every_delta(client: Any) -> None:
    """Each delta repeats the call's id and name. workbench keeps the name; openai's helper
    appends every repeat (``get_weatherget_weather...``), as it does any string delta."""
    with client.chat.completions.stream(
        model=LLAMA_ALIAS, messages=ask("Weather?"), tools=TOOLS, tool_choice=NAMED
    ) as stream:
        final = stream.get_final_completion()
    choice = final.choices[0]
    assert choice.finish_reason == "tool_calls"
    if isinstance(client, openai.OpenAI):
        (call,) = choice.message.tool_calls
        assert call.function.name.startswith("get_weatherget_weather")
        json.loads(call.function.arguments)
    else:
        assert check_tool_calls(choice.message.tool_calls, ["get_weather"])


@each_client
def test_a_streamed_auto_tool_choice_is_an_empty_stream(client: Any) -> None:
    """``Automatic streaming tool choice is not supported`` is raised inside the server's
    stream: a 200 with no event at all, not even ``[DONE]``."""
    stream = create(client, messages=ask(PLEASE), tools=TOOLS, tool_choice="auto", stream=True)
    if isinstance(client, workbench.Client):
        with pytest.raises(workbench.APIResponseValidationError, match="empty body"):
            list(stream)
    else:  # openai ends its iteration quietly: an empty reply is indistinguishable from none
        assert list(stream) == []


# -- a crash mid-stream ----------------------------------------------------------------------


@each_client
def test_the_server_killed_mid_stream(
    kind: str, tiny_model: Path, tmp_path: Path, counter: Counter
) -> None:
    server = llama_server(tiny_model, tmp_path, name="llama-doomed")
    server.start(timeout=60)
    try:
        with open_client(kind, server.base_url, KEY, counter, max_retries=2) as c:
            stream = create(c, max_tokens=3000, stream=True)
            received = []
            with pytest.raises((workbench.APIError, openai.APIError, httpx.HTTPError)) as caught:
                for chunk in stream:
                    received.append(chunk)
                    if len(received) == 5:
                        server.kill()
    finally:
        server.stop()
    assert len(received) >= 5 and len(counter.requests) == 1  # a started stream is not retried
    if kind == "workbench":
        assert isinstance(caught.value, workbench.APIConnectionError)
    else:  # openai lets httpx's own error out of its stream
        assert isinstance(caught.value, httpx.RemoteProtocolError)


# -- conversations and grids -----------------------------------------------------------------


def get_weather(city: str) -> str:
    """The weather in a city.

    Args:
        city: Paris or Rome.
    """
    return json.dumps({"city": city, "temperature": 21})


@pytest.fixture
def chat_client(llama: ServerProcess) -> Iterator[workbench.Client]:
    with workbench.Client(base_url=llama.base_url, api_key=KEY, max_retries=0) as c:
        yield c


def test_a_conversation_completes_a_tool_turn(chat_client: workbench.Client) -> None:
    """The tool runs on the arguments the server's grammar shaped, its result goes back (the
    assistant's tool-call message with "" content: the profile, learned from the first
    answer), and the model answers; the forced choice applies to the first round only."""
    ran: list[str] = []

    def get_weather(city: str) -> str:
        """The weather in a city."""
        ran.append(city)
        return json.dumps({"city": city, "sky": "sunny"})

    chat = workbench.Conversation(LLAMA_ALIAS, client=chat_client, tools=[get_weather], log=False)
    with pytest.warns(workbench.ProfileWarning) as caught:  # the second round: "auto", whole
        reply = chat.send("Weather?", tool_choice=NAMED)
    said = " ".join(str(w.message) for w in caught)
    assert "tool_choice='auto'" in said and "cannot stream" in said
    assert reply.status == "complete", reply.error
    assert [m.role for m in chat.messages] == ["user", "assistant", "tool", "assistant"]
    assert len(ran) == 1 and isinstance(ran[0], str), "the Python tool ran once"
    assert chat.messages[2].text == json.dumps({"city": ran[0], "sky": "sunny"})


def test_an_automatic_tool_choice_round_trips(chat_client: workbench.Client) -> None:
    """Under tool_choice="auto" the random model's arguments are not held to the schema: the
    tool runs on valid ones, and invalid ones go back to the model as the tool's error; either
    way the turn completes. The conversation streams by default, but this server streams an
    automatic tool choice as an empty body: the profile has such replies asked for whole."""
    ran: list[str] = []

    def weather(city: str) -> str:
        """The weather in a city."""
        ran.append(city)
        return get_weather(city)

    chat_client.chat.completions.create(model=LLAMA_ALIAS, messages=[USER_HI], max_tokens=1)
    assert chat_client.profile.name == "llama-cpp", "learned from the first answer"
    chat = workbench.Conversation(LLAMA_ALIAS, client=chat_client, tools=[weather], log=False)
    with pytest.warns(workbench.ProfileWarning) as caught:  # no tool_choice: "auto" is sent
        reply = chat.send(PLEASE, max_tokens=64)
    said = " ".join(str(w.message) for w in caught)
    assert "cannot stream a reply that may call a tool" in said and "'auto'" in said
    assert reply.status == "complete", reply.error
    assert [m.role for m in chat.messages] == ["user", "assistant", "tool", "assistant"]
    answer = chat.messages[2].text
    assert ran or "not valid JSON" in answer or "error" in answer, answer


def test_a_conversation_caps_its_reply_with_max_tokens(chat_client: workbench.Client) -> None:
    chat = workbench.Conversation(LLAMA_ALIAS, client=chat_client, log=False, max_tokens=5)
    reply = chat.send("Tell me about tides.", stream=False)
    assert reply.finish_reason == "length" and reply.usage is not None
    assert reply.usage.completion_tokens == 5 and reply.usage_source == "server"
    streamed = chat.send("And about waves?")  # no usage in a stream here: an estimate, marked
    assert streamed.finish_reason == "length" and streamed.usage_source == "estimate"
    assert streamed.usage is not None and 1 <= streamed.usage.completion_tokens <= 10


def test_the_client_learns_the_llama_cpp_profile_from_the_first_answer(
    llama: ServerProcess,
) -> None:
    with workbench.Client(base_url=llama.base_url, api_key=KEY, max_retries=0) as client:
        assert client.profile.name == "generic"
        client.chat.completions.create(model=LLAMA_ALIAS, messages=[USER_HI], max_tokens=1)
        assert client.profile.name == "llama-cpp"


def test_max_completion_tokens_is_sent_as_max_tokens(llama: ServerProcess) -> None:
    options: dict[str, Any] = {"max_retries": 0, "profile": "llama-cpp"}
    with workbench.Client(base_url=llama.base_url, api_key=KEY, **options) as client:
        chat = workbench.Conversation(LLAMA_ALIAS, client=client, log=False)
        with pytest.warns(workbench.ProfileWarning, match="max_completion_tokens is sent as"):
            reply = chat.send("Tell me about tides.", stream=False, max_completion_tokens=6)
    assert reply.finish_reason == "length" and reply.usage is not None
    assert reply.usage.completion_tokens == 6, "capped, not run to the context's end"


def run_grid(llama: ServerProcess, prompts: list[str], params: list[dict[str, Any]]) -> Any:
    client = make_async_client(llama.base_url, KEY, max_retries=0)
    grid = workbench.Grid(
        prompts, models=[LLAMA_ALIAS], params=params, client=client, concurrency=4
    )
    grid.run()
    return grid


def check_cells(grid: Any) -> None:
    """Each cell complete (a finish reason and text) or marked incomplete with the reason: a
    new request interrupts the one in flight here, whose stream then ends with [DONE] and no
    finish_reason. A reply that reached a token limit is ``cut``. None is done with an empty
    reply."""
    for cell in grid.cells:
        assert cell.status in ("done", "cut", "incomplete"), cell
        if cell.status in ("done", "cut"):
            assert cell.finish_reason is not None and cell.output, cell
            assert (cell.status == "cut") == (cell.finish_reason == "length"), cell
        else:
            assert cell.finish_reason is None and "finish_reason" in (cell.error or ""), cell
    frame = grid.result().to_dataframe()
    assert not ((frame["status"] == "done") & (frame["output"] == "")).any()


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_a_2x2_grid_at_concurrency_4(llama: ServerProcess) -> None:
    # max_completion_tokens is ignored here: each reply would run to the context's end.
    params = [{"temperature": 0.5, "max_completion_tokens": 16}, {"temperature": 1.0}]
    grid = run_grid(llama, ["Tell me about tides.", "Tell me about eclipses."], params)
    assert len(grid.cells) == 4
    check_cells(grid)


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_a_grid_of_8_cells_at_concurrency_4(llama: ServerProcess) -> None:
    prompts = [f"Tell me about tides, take {i}." for i in range(4)]
    grid = run_grid(llama, prompts, [{"temperature": 0.5}, {"temperature": 1.0}])
    assert len(grid.cells) == 8
    check_cells(grid)
