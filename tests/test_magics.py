"""The IPython magics through a real ``InteractiveShell``: every magic, interpolation, errors,
the widget path, and what ``%load_ext workbench`` imports."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pydantic
import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

import workbench
from workbench.conversation import Conversation


@pytest.fixture
def shell(monkeypatch: pytest.MonkeyPatch) -> Iterator[InteractiveShell]:
    """A shell with the extension loaded, a clean namespace, and no log."""
    monkeypatch.setenv("WORKBENCH_LOG", "")
    ip = InteractiveShell.instance()
    ip.reset(new_session=True)
    ip.run_line_magic("load_ext", "workbench")
    yield ip
    ip.run_line_magic("unload_ext", "workbench")
    ip.reset(new_session=True)


def run(ip: InteractiveShell, source: str) -> Any:
    result = ip.run_cell(source)
    return result


def error_of(result: Any) -> BaseException | None:
    return result.error_in_exec or result.error_before_exec


def test_chat_cell_creates_the_conversation_and_streams_the_reply(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run(shell, "%%chat\nHello there")
    assert error_of(result) is None
    chat = shell.user_ns["chat"]
    assert isinstance(chat, Conversation) and [m.role for m in chat.messages] == [
        "user",
        "assistant",
    ]
    out = capsys.readouterr().out
    assert chat.messages[-1].text in out, "streamed to stdout outside a widget front end"
    run(shell, "%chat And again")
    assert chat.messages[-2].text == "And again" and len(chat.messages) == 4


def test_names_are_filled_from_the_namespace_and_double_braces_escape(
    shell: InteractiveShell,
) -> None:
    shell.user_ns.update(city="Paris", data={"n": 3})
    run(shell, "%%chat\nWeather in {city}? {{literal}} n={data[n]}")
    assert shell.user_ns["chat"].messages[0].text == "Weather in Paris? {literal} n=3"
    run(shell, "%chat one-liner about {city}")
    assert shell.user_ns["chat"].messages[2].text == "one-liner about Paris"


def test_a_missing_name_is_one_clear_error_and_nothing_is_sent(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    run(shell, "%chat first")
    before = list(shell.user_ns["chat"].messages)
    result = run(shell, "%%chat\nWeather in {nowhere}?")
    error = error_of(result)
    assert isinstance(error, UsageError) and "nowhere" in str(error) and "{{" in str(error)
    assert shell.user_ns["chat"].messages == before
    err = capsys.readouterr().err
    assert "UsageError" in err and "Traceback" not in err and "workbench/" not in err
    assert len([line for line in err.splitlines() if line.strip()]) == 1


def test_options_name_model_system_temperature_and_format(shell: InteractiveShell) -> None:
    run(shell, "%%chat helper -m model-one --system 'Be brief.' --temperature 0.3\nHi")
    helper = shell.user_ns["helper"]
    assert helper.params.model == "model-one" and helper.system == "Be brief."
    reply = helper.messages[-1]
    assert reply.params["temperature"] == 0.3 and reply.model == "model-one"
    assert helper.params.temperature is None, "a turn's options are for that turn"
    run(shell, "%%chat helper --format json\nGive me JSON")
    assert isinstance(json.loads(helper.messages[-1].text), dict)

    class City(pydantic.BaseModel):
        name: str

    shell.user_ns["City"] = City
    run(shell, "%%chat helper --format City\nWhich city?")
    assert isinstance(helper.messages[-1].parsed, City)
    run(shell, "%%chat helper --no-stream\nNo stream")
    assert helper.messages[-1].status == "complete"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("%%chat --temperature 5\nHi", "temperature"),
        ("%%chat --reasoning-effort extreme\nHi", "reasoning_effort"),
        ("%%chat --format nothing_here\nHi", "--format"),
        ("%%chat\n   ", "empty"),
        ("%%chat 1abc\nHi", "variable name"),
    ],
)
def test_invalid_options_fail_before_sending(
    shell: InteractiveShell, source: str, expected: str
) -> None:
    result = run(shell, source)
    error = error_of(result)
    assert isinstance(error, UsageError) and expected in str(error)
    chat = shell.user_ns.get("chat")
    assert chat is None or chat.messages == []


def test_a_name_that_holds_something_else_is_refused(shell: InteractiveShell) -> None:
    shell.user_ns["chat"] = 42
    error = error_of(run(shell, "%chat Hi"))
    assert isinstance(error, UsageError) and "int, not a Conversation" in str(error)
    assert shell.user_ns["chat"] == 42


def test_wb_params_shows_sets_and_refuses_all_or_nothing(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    run(shell, "%chat Hi")
    capsys.readouterr()
    run(shell, "%wb params temperature=0.2 seed=7")
    chat = shell.user_ns["chat"]
    assert chat.params.temperature == 0.2 and chat.params.seed == 7
    assert "temperature=0.2" in capsys.readouterr().out
    error = error_of(run(shell, "%wb params chat top_p=0.5 temperature=9"))
    assert isinstance(error, UsageError) and "temperature" in str(error)
    assert chat.params.top_p is None and chat.params.temperature == 0.2, "nothing half-set"
    run(shell, "%wb params temperature=None model=other-model")
    assert chat.params.temperature is None and chat.params.model == "other-model"
    run(shell, "%wb params")
    assert "other-model" in capsys.readouterr().out


def test_wb_tools_new_history_and_models(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    shell.run_cell(
        "def get_weather(city: str) -> dict:\n"
        '    """Get the current weather for a city."""\n'
        '    return {"city": city, "temperature": 21}\n'
    )
    run(shell, "%wb new weather -m model-w --system 'Use tools.'")
    run(shell, "%wb tools weather get_weather")
    assert "get_weather" in capsys.readouterr().out
    run(shell, "%%chat weather\nWhat's the weather in Paris?")
    weather = shell.user_ns["weather"]
    assert [m.role for m in weather.messages] == ["user", "assistant", "tool", "assistant"]
    capsys.readouterr()
    run(shell, "%wb history weather")
    out = capsys.readouterr().out
    assert "get_weather" in out and "system:" in out and "Paris" in out
    run(shell, "%wb models")
    assert capsys.readouterr().out.strip(), "the local model lists its models"
    error = error_of(run(shell, "%wb tools weather not_a_function"))
    assert isinstance(error, UsageError) and "not_a_function" in str(error)
    error = error_of(run(shell, "%wb history nobody"))
    assert isinstance(error, UsageError) and "nobody" in str(error)
    shell.user_ns["taken"] = 1
    error = error_of(run(shell, "%wb new taken"))
    assert isinstance(error, UsageError) and shell.user_ns["taken"] == 1


def test_wb_models_of_an_async_client_and_of_a_client_that_lists_none(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    from workbench.local import LocalModel

    client = workbench.AsyncClient(local=LocalModel())
    shell.user_ns["quick"] = Conversation(client=client, log=False)
    run(shell, "%wb models quick")
    assert "workbench-local" in capsys.readouterr().out.split()

    class CreateOnly:
        """A client of one's own: ``chat.completions.create`` and no ``models``."""

        def __init__(self) -> None:
            self.chat = self.completions = self

        def create(self, **request: Any) -> Any:
            raise AssertionError("not sent")

    shell.user_ns["own"] = Conversation(model="m", client=CreateOnly(), log=False)
    error = error_of(run(shell, "%wb models own"))
    assert isinstance(error, UsageError) and "CreateOnly" in str(error)
    assert "models.list()" in str(error)


def test_help_comes_from_magic_arguments(shell: InteractiveShell) -> None:
    chat_help = shell.find_line_magic("chat").__doc__ or ""
    assert "--temperature" in chat_help and "--format" in chat_help
    wb_help = " ".join((shell.find_line_magic("wb").__doc__ or "").split())
    assert "params [NAME] [key=value ...]" in wb_help and "record PATH" in wb_help


@pytest.mark.parametrize(
    ("cell", "sent"),
    [
        ("%chat What is two plus two?", "What is two plus two?"),
        ("%chat Really??", "Really??"),
        ("%chat What's {topic}?", "What's tides?"),
        ("x = 1\n%chat Is it {x}?\ny = 2", "Is it 1?"),
        ("if True:\n    %chat Indented?", "Indented?"),
        ("%%chat\nWhat is two plus two?", "What is two plus two?"),
        ("%%chat\nAnd now??", "And now??"),
    ],
)
def test_a_question_mark_ends_the_text_not_a_help_request(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str], cell: str, sent: str
) -> None:
    shell.user_ns["topic"] = "tides"
    result = run(shell, cell)  # through IPython's own input transformation
    assert error_of(result) is None
    assert shell.user_ns["chat"].messages[0].text == sent
    assert "not found" not in capsys.readouterr().out


def test_a_question_mark_alone_still_shows_help(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    for cell in ("%chat?", "%chat??"):
        assert error_of(run(shell, cell)) is None
        assert "Send a user turn" in capsys.readouterr().out
    assert "chat" not in shell.user_ns, "nothing was sent"
    run(shell, "text = 'a string with %chat in it?'")
    assert shell.user_ns["text"] == "a string with %chat in it?"


def test_unload_removes_the_magics(shell: InteractiveShell) -> None:
    shell.run_line_magic("unload_ext", "workbench")
    assert shell.find_line_magic("chat") is None and shell.find_cell_magic("chat") is None
    transformers = shell.input_transformer_manager.token_transformers
    assert not any(t.__name__ == "ChatQuestion" for t in transformers)
    shell.run_line_magic("load_ext", "workbench")
    assert shell.find_cell_magic("chat") is not None


@pytest.mark.usefixtures("recording_comm")
def test_in_a_kernel_the_turn_shows_as_a_compact_widget(
    shell: InteractiveShell, monkeypatch: pytest.MonkeyPatch
) -> None:
    import IPython.display

    from workbench.widgets import ConversationWidget

    shown: list[tuple[dict[str, Any], dict[str, Any]]] = []
    views: list[Any] = []
    widget_bundle = ConversationWidget._repr_mimebundle_

    def bundle(self: Any, **kwargs: Any) -> Any:
        views.append(self)
        return widget_bundle(self, **kwargs)

    def display(obj: Any, **kwargs: Any) -> None:
        shown.append((obj, kwargs))

    monkeypatch.setattr(ConversationWidget, "_repr_mimebundle_", bundle)
    monkeypatch.setattr(IPython.display, "display", display)
    monkeypatch.setattr(shell, "kernel", object(), raising=False)
    run(shell, "%chat first")
    run(shell, "%%chat\nsecond")
    view = views[-1]
    assert isinstance(view, ConversationWidget) and view.compact and view.start == 2
    assert [e["role"] for e in view.messages_html] == ["user", "assistant"]
    (live, live_options), (record, record_options) = shown[2:]
    assert live["text/plain"] == "" and live_options["display_id"] is True
    assert record["application/vnd.jupyter.widget-view+json"]["model_id"] == ""
    final_text = record["text/plain"]
    assert final_text.startswith("user:\n  second") and "first" not in final_text
    assert record_options["raw"] is True and "display_id" not in record_options


@pytest.mark.usefixtures("recording_comm")
def test_a_chat_cells_view_keeps_its_own_turn_when_later_cells_send(
    shell: InteractiveShell, monkeypatch: pytest.MonkeyPatch
) -> None:
    import IPython.display

    from workbench.widgets import ConversationWidget

    views: list[Any] = []
    widget_bundle = ConversationWidget._repr_mimebundle_

    def bundle(self: Any, **kwargs: Any) -> Any:
        if self not in views:
            views.append(self)
        return widget_bundle(self, **kwargs)

    monkeypatch.setattr(ConversationWidget, "_repr_mimebundle_", bundle)
    monkeypatch.setattr(IPython.display, "display", lambda obj, **kwargs: None)
    monkeypatch.setattr(shell, "kernel", object(), raising=False)
    run(shell, "%%chat\nfirst question")
    run(shell, "%%chat\nsecond question")
    first, second = views
    chat = first.chat

    def texts(view: Any) -> list[str]:
        return [entry.get("text") or entry["role"] for entry in view.messages_html]

    assert texts(first) == ["first question", "assistant"]
    assert texts(second) == ["second question", "assistant"]
    text = first._repr_mimebundle_()[0]["text/plain"]
    assert "first question" in text and "second question" not in text
    assert first.usage_text.count("conversation:") == 1
    own = chat.messages[1].usage.total_tokens
    assert f"conversation: {own} tokens" in first.usage_text
    # The turn's own messages are still followed: an edit in place, and a new version of the
    # turn's reply (the earlier turn on its branch: the later one is cut off it).
    chat[1].content = "A corrected first reply"
    assert "A corrected first reply" in first.messages_html[-1]["html"]
    chat.undo()
    again = chat.regenerate()
    assert [e["id"] for e in first.messages_html] == [chat[0].id, again.id]
    assert first.messages_html[-1]["branch"] == [1, 2] and second.messages_html == []


def test_load_ext_imports_neither_the_client_nor_pandas_nor_widgets() -> None:
    code = (
        "import sys\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "before = set(sys.modules)\n"
        "InteractiveShell.instance().run_line_magic('load_ext', 'workbench')\n"
        "new = set(sys.modules) - before\n"
        "heavy = sorted(m for m in new if m.split('.')[0] in "
        "('pandas', 'ipywidgets', 'anywidget', 'matplotlib'))\n"
        "print(heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_the_extension_entry_points_exist() -> None:
    assert callable(workbench.load_ipython_extension)
    assert callable(workbench.unload_ipython_extension)


def test_grid_cell_runs_prompts_models_and_parameter_sets(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    shell.user_ns["topic"] = "owls"
    result = run(
        shell,
        "%%grid -m model-a -m model-b -p temperature=0,0.7 --repeats 1\n"
        "Tell me about {topic}\nName a colour\n",
    )
    assert error_of(result) is None
    grid, outcome = shell.user_ns["grid"], shell.user_ns["grid_result"]
    assert isinstance(grid, workbench.Grid) and isinstance(outcome, workbench.GridResult)
    assert len(grid.cells) == 2 * 2 * 2 and outcome.counts == {"done": 8}
    assert grid.row_labels[0] == "Tell me about owls"
    out = capsys.readouterr().out
    assert "[1] Tell me about owls" in out and "8 cells: 8 done" in out, "the text table"
    run(shell, "%wb grid frame")
    frame = shell.user_ns["frame"]
    assert len(frame) == 8 and set(frame["model"]) == {"model-a", "model-b"}
    assert sorted(set(frame["temperature"])) == [0.0, 0.7]


def test_grid_cell_compares_the_protocols(shell: InteractiveShell) -> None:
    run(shell, "%%grid --api chat,responses -o res\nSay hi\nName a colour\n")
    g, res = shell.user_ns["grid"], shell.user_ns["res"]
    assert [c.api for c in g.cells] == ["chat", "responses"] * 2
    assert res.counts == {"done": 4}
    assert list(res.to_dataframe()["api"]) == ["chat", "responses"] * 2


def test_grid_cell_with_vars_and_multi_line_prompts(shell: InteractiveShell) -> None:
    shell.user_ns["rows"] = [{"city": "Oslo"}, {"city": "Lima"}]
    body = "Describe {city}\nin two lines\n---\nWeather in {city}?"
    run(shell, f"%%grid g --vars rows -o res\n{body}")
    g = shell.user_ns["g"]
    assert len(g.cells) == 4 and shell.user_ns["res"].counts == {"done": 4}
    assert g.cells[0].prompt == "Describe Oslo\nin two lines"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("%%grid -p temperature=9\nHi", "temperature"),
        ("%%grid -p temperature\nHi", "KEY=V1,V2"),
        ("%%grid --vars nowhere\nHi {x}", "nowhere"),
        ("%%grid\n\n", "no prompts"),
        ("%%grid\nAbout {missing}", "missing"),
        ("%%grid --api soap\nHi", "apis[0]"),
        ("%%grid --api chat,responses -p seed=1\nHi", "seed"),
    ],
)
def test_grid_errors_are_one_line_before_sending(
    shell: InteractiveShell, source: str, expected: str
) -> None:
    error = error_of(run(shell, source))
    assert isinstance(error, UsageError) and expected in str(error)
    assert "grid_result" not in shell.user_ns


def test_wb_export_puts_the_transcript_in_a_dataframe(shell: InteractiveShell) -> None:
    run(shell, "%chat Hello")
    run(shell, "%wb export chat frame")
    frame = shell.user_ns["frame"]
    assert list(frame["role"]) == ["user", "assistant"] and frame["content"][0] == "Hello"
    error = error_of(run(shell, "%wb grid later"))
    assert isinstance(error, UsageError) and "%%grid" in str(error)


def test_wb_record_then_replay_offline(shell: InteractiveShell, tmp_path: Any) -> None:
    cassette = tmp_path / "run.jsonl"
    run(shell, f"%wb record {cassette}")
    run(shell, "%%chat --temperature 0.2\nRemember this")
    recorded_reply = shell.user_ns["chat"].messages[-1].text
    run(shell, "%wb new chat")
    run(shell, f"%wb replay {cassette}")
    run(shell, "%%chat --temperature 0.2\nRemember this")
    assert shell.user_ns["chat"].messages[-1].text == recorded_reply
    error = error_of(run(shell, "%%chat --temperature 0.9\nRemember this"))
    assert isinstance(error, UsageError) and "temperature" in str(error)


# -- the protocol: --api and %wb params api=... -------------------------------------------------


def test_chat_api_sends_the_cells_turn_through_the_responses_api(shell: InteractiveShell) -> None:
    run(shell, "%%chat\nHello there")
    chat = shell.user_ns["chat"]
    assert chat.api == "auto" and chat.messages[-1].api == "chat"  # auto: the local model
    assert error_of(run(shell, "%%chat --api responses\nAnd now?")) is None
    assert chat.messages[-1].api == "responses" and chat.messages[-1].status == "complete"
    assert chat.api == "auto", "--api is for the cell's turn"
    run(shell, "%%chat --api auto\nAnd under auto?")  # the local model: Chat Completions
    assert chat.messages[-1].api == "chat"
    run(shell, "%%chat fresh --api responses\nHi")
    assert shell.user_ns["fresh"].api == "responses", "a new conversation's protocol"
    assert shell.user_ns["fresh"].messages[-1].api == "responses"
    run(shell, "%%chat fresh --api chat\nHi")
    assert shell.user_ns["fresh"].messages[-1].api == "chat"
    assert shell.user_ns["fresh"].api == "responses"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("%%chat --api soap\nHi", "--api soap: use chat, responses or auto"),
        ("%%chat --api responses --temperature 0.2\nHi", ""),
        ("%wb params api=soap", "'chat', 'responses', 'auto'"),
    ],
)
def test_a_bad_api_is_one_usage_line_and_nothing_is_sent(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str], source: str, expected: str
) -> None:
    run(shell, "%chat Hi")
    chat = shell.user_ns["chat"]
    chat.params.seed = 7  # no equivalent under the Responses API
    before = list(chat.messages)
    capsys.readouterr()
    error = error_of(run(shell, source))
    assert isinstance(error, UsageError)
    assert expected in str(error)
    if not expected:
        assert "seed" in str(error) and "Responses API" in str(error)
    assert chat.messages == before and chat.api == "auto" and chat.params.seed == 7
    err = capsys.readouterr().err
    assert "Traceback" not in err and len([x for x in err.splitlines() if x.strip()]) == 1


def test_wb_params_shows_and_sets_the_api(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    run(shell, "%chat Hi")
    chat = shell.user_ns["chat"]
    capsys.readouterr()
    run(shell, "%wb params")
    assert "api='auto'" in capsys.readouterr().out
    run(shell, "%wb params api=responses temperature=0.3")
    assert chat.api == "responses" and chat.params.temperature == 0.3
    assert "api='responses'" in capsys.readouterr().out
    error = error_of(run(shell, "%wb params api=auto temperature=9"))
    assert isinstance(error, UsageError) and chat.api == "responses", "all or nothing"
    run(shell, "%chat Through Responses")
    assert chat.messages[-1].api == "responses"
