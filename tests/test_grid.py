"""Grid: inputs checked before sending, cells and labels, runs (sync, async, inside a running
loop), events, cancel and Ctrl-C, rerun and resume, and how a run shows itself."""

from __future__ import annotations

import asyncio
import io
import re
import signal
import threading
from pathlib import Path
from typing import Any

import pytest

import workbench
from tests._grid import local_client
from tests._mock import Recorder, make_client, sse_body, sse_response, text_chunks
from workbench import Cell, CellKey, Grid, InvalidParameterError, _views
from workbench.grid._display import ProgressLine
from workbench.local import LocalModel, Pacing


def grid(prompts: Any = ("Say hi", "Say bye"), **kwargs: Any) -> Grid:
    kwargs.setdefault("client", local_client()[0])
    return Grid(prompts, **kwargs)


# -- inputs ------------------------------------------------------------------------------------


def test_cells_keys_and_labels() -> None:
    g = grid(
        ["Weather in {city}?", "Capital of {country}?"],
        models=["m1", "m2"],
        params={"temperature": [0.2, 1.0], "seed": [7]},
        vars=[{"city": "Paris", "country": "France"}, {"city": "Rome", "country": "Italy"}],
        repeats=2,
    )
    assert len(g.cells) == 2 * 2 * 2 * 2 * 2
    assert g.row_labels == [
        "Weather in Paris? · city=Paris, country=France",
        "Weather in Rome? · city=Rome, country=Italy",
        "Capital of France? · city=Paris, country=France",
        "Capital of Italy? · city=Rome, country=Italy",
    ]
    assert g.column_labels == [
        "m1 · temperature=0.2, seed=7",
        "m1 · temperature=1.0, seed=7",
        "m2 · temperature=0.2, seed=7",
        "m2 · temperature=1.0, seed=7",
    ]
    assert g.params == [{"temperature": 0.2, "seed": 7}, {"temperature": 1.0, "seed": 7}]
    cell = g.cells[-1]
    assert cell.key == CellKey(prompt=1, vars=1, model="m2", params=1, repeat=1)
    assert (cell.row, cell.column, cell.repeat, cell.status) == (3, 3, 1, "pending")
    assert cell.prompt == "Capital of Italy?"
    assert cell.vars == {"city": "Rome", "country": "Italy"}
    assert str(cell.key) == "p1-v1-s1-r1-m2"
    assert CellKey.parse(str(cell.key)) == cell.key
    assert CellKey.parse("p0-v0-s0-r0-meta-llama/Llama-3-8b").model == "meta-llama/Llama-3-8b"
    assert len({c.key for c in g.cells}) == len(g.cells)
    assert g.cell("p1-v1-s1-r1-m2") is cell
    assert "32 cells: 2 prompts x 2 vars rows x 2 models x 2 parameter sets x 2 repeats" in repr(g)


def test_prompt_forms() -> None:
    messages = [
        {"role": "system", "content": "Be terse about {topic}."},
        {"role": "user", "content": "Tell me of {topic}"},
    ]
    g = grid([messages, "Plain {topic}"], vars=[{"topic": "tides"}])
    assert g._spec.rows[0].messages[0]["content"] == "Be terse about tides."
    assert [c.prompt for c in g.cells] == ["Tell me of tides", "Plain tides"]
    # One message list alone is one prompt; without vars, braces are literal text.
    assert len(grid(messages).cells) == 1
    assert grid('Reply as JSON: {"a": 1}').cells[0].prompt == 'Reply as JSON: {"a": 1}'
    assert grid("Say hi", models="only-one").column_labels == ["only-one"]


def test_vars_from_a_dataframe() -> None:
    import pandas

    frame = pandas.DataFrame({"city": ["Paris", "Rome"], "n": [1, 2]})
    g = grid("Name {n} sights in {city}", vars=frame)
    assert [c.prompt for c in g.cells] == ["Name 1 sights in Paris", "Name 2 sights in Rome"]
    assert g.cells[0].vars == {"city": "Paris", "n": 1}
    assert type(g.cells[0].vars["n"]) is int  # numpy scalars become Python values
    assert g.row_labels == ["city=Paris, n=1", "city=Rome, n=2"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"prompts": []}, "prompts: is empty"),
        ({"prompts": ["ok", ""]}, "prompts[1]: is an empty string"),
        ({"prompts": [3]}, "prompts[0]: must be a string or a list of messages"),
        ({"prompts": {"a": 1}}, "prompts: must be a string or a list of prompts"),
        (
            {
                "prompts": [
                    [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}]
                ]
            },
            "prompts[0][1].role: a prompt's last message is what the grid sends",
        ),
        ({"prompts": [[{"role": "wizard", "content": "x"}]]}, "prompts[0][0].role"),
        ({"prompts": [[{"role": "user", "text": "x"}]]}, "prompts[0][0]: unknown key 'text'"),
        ({"models": []}, "models: is empty"),
        ({"models": ["a", "a"]}, "models: 'a' is listed twice"),
        ({"models": ["a", ""]}, "models[1]: must be a model name"),
        ({"params": []}, "params: is empty"),
        ({"params": [{"temperature": 3}]}, "params[0]: temperature: "),
        ({"params": [{"model": "x"}]}, "params[0].model: give the models with models="),
        ({"params": [{"temprature": 1}]}, "params[0]: temprature: is not a chat parameter"),
        ({"params": {"temperature": []}}, "params['temperature']: is an empty list"),
        ({"params": [{"seed": 1}, {"seed": 1}]}, "params[1]: repeats params[0]"),
        ({"params": [{"top_logprobs": 2}]}, "params[0]: top_logprobs"),
        ({"repeats": 0}, "repeats: must be an integer >= 1"),
        ({"concurrency": 0}, "concurrency: must be an integer >= 1"),
        ({"max_cost_usd": -1}, "max_cost_usd: must be a number of dollars > 0"),
        ({"vars": []}, "vars: has no rows"),
        ({"vars": {"city": ["Paris"]}}, "vars: is a dict: give a list of dicts"),
        ({"vars": [{"model": "x"}]}, "vars: 'model' would clash with a result column"),
        ({"scorers": {"status": len}}, "scorers: 'status' would clash with a result column"),
        ({"scorers": {"n": 3}}, "scorers['n']: is not callable"),
        ({"response_format": 42}, "response_format"),
        ({"tools": [42]}, "name"),
    ],
)
def test_bad_inputs_fail_before_anything_is_sent(kwargs: dict[str, Any], message: str) -> None:
    client, transport = local_client()
    args = {"prompts": "Say hi", "client": client, **kwargs}
    with pytest.raises(InvalidParameterError) as info:
        Grid(**args)
    assert message in str(info.value)
    assert transport.bodies == []


@pytest.mark.parametrize(
    ("prompt", "vars", "message"),
    [
        ("Hi {city}", [{"town": "Paris"}], "prompts[0]: uses {city}, which vars row 0 does not"),
        ("Hi {city}", [{"city": "A"}, {"x": 1}], "vars row 1 does not have (it has: x)"),
        ("Hi {}", [{"city": "A"}], "prompts[0]: has a positional field {}"),
        ("Hi {city", [{"city": "A"}], "prompts[0]: is not a valid template"),
        ("Hi {n:.2f}", [{"n": "text"}], "cannot be filled from vars row 0: ValueError"),
    ],
)
def test_template_errors_name_the_prompt_and_row(
    prompt: str, vars: list[dict[str, Any]], message: str
) -> None:
    with pytest.raises(InvalidParameterError, match=re.escape(message)):
        grid(prompt, vars=vars)


def test_a_template_system_prompt_is_filled_too() -> None:
    with pytest.raises(InvalidParameterError, match=r"system: uses \{tone\}"):
        grid("Hi {city}", vars=[{"city": "Paris"}], system="Be {tone}.")
    g = grid("Hi {city}", vars=[{"city": "Paris", "tone": "kind"}], system="Be {tone}.")
    assert g._spec.rows[0].system == "Be kind."


# -- running ---------------------------------------------------------------------------------


def test_run_fills_every_cell_from_its_conversation() -> None:
    client, transport = local_client()
    g = Grid(["Say hi", "Say bye"], models=["m1", "m2"], system="Be brief.", client=client)
    result = g.run(display=False)
    assert result.counts == {"done": 4}
    assert len(transport.bodies) == 4
    for cell in g.cells:
        chat = cell.conversation
        assert isinstance(chat, workbench.Conversation)
        assert chat.params.model == cell.model and chat.system == "Be brief."
        assert [m.role for m in chat.messages] == ["user", "assistant"]
        assert cell.output == chat.messages[-1].content and f"'{cell.model}'" in cell.output
        assert cell.usage.completion_tokens > 0 and cell.latency_s > 0 and cell.ttft_s > 0
        assert cell.cost_usd is None  # the local model has no price
        assert cell.finish_reason == "stop" and cell.error is None and cell.attempts == 1
    # One streamed request per cell, with the system prompt and the cell's model.
    assert sorted(b["model"] for b in transport.bodies) == ["m1", "m1", "m2", "m2"]
    assert all(b["stream"] and b["messages"][0]["role"] == "system" for b in transport.bodies)
    assert result.cells == g.cells and "4 cells (4 done)" in repr(result)


def test_tools_run_and_are_recorded() -> None:
    def get_weather(city: str) -> str:
        """Get the weather in a city.

        Args:
            city: the city.
        """
        return f"sunny in {city}"

    g = grid("What is the weather in Paris?", tools=[get_weather])
    cell = g.run(display=False).cells[0]
    assert cell.status == "done"
    assert cell.tool_calls is not None and len(cell.tool_calls) == 1
    call = cell.tool_calls[0]
    assert call["name"] == "get_weather" and "Paris" in call["arguments"]
    assert "sunny in Paris" in str(call["result"])
    roles = [m.role for m in cell.conversation.messages]
    assert roles == ["user", "assistant", "tool", "assistant"]
    # The usage of both replies is summed.
    replies = [m for m in cell.conversation.messages if m.role == "assistant"]
    assert cell.usage.completion_tokens == sum(m.usage.completion_tokens for m in replies)


def test_message_list_prompts_send_their_history() -> None:
    client, transport = local_client()
    history = [
        {"role": "user", "content": "My name is Ada."},
        {"role": "assistant", "content": "Hello Ada."},
        {"role": "user", "content": "What is my name?"},
    ]
    Grid([history], client=client).run(display=False)
    assert transport.bodies[0]["messages"] == history


def test_every_kind_of_client(tmp_path: Path) -> None:
    # A sync Client with its own pool: the grid sends through its async twin.
    sync = workbench.Client(local=LocalModel())
    assert Grid(["Say hi"], client=sync).run(display=False).counts == {"done": 1}
    # A sync Client over an httpx.Client of the caller's has no async twin: cells send in
    # worker threads, through that very client.
    recorder = Recorder(sse_response(sse_body(*text_chunks("Hi", " there"))))
    mocked = make_client("sync", recorder, base_url="https://api.openai.com/v1")
    cells = Grid(["Say hi", "Say bye"], client=mocked, apis="chat").run(display=False).cells
    assert [c.output for c in cells] == ["Hi there", "Hi there"] and recorder.calls == 2
    # Recorded once, replayed offline: the cassette answers every cell.
    path = tmp_path / "grid.jsonl"
    recording = workbench.AsyncClient(local=LocalModel(), record=path)
    live = Grid(["Say hi", "Say bye"], models=["m1", "m2"], client=recording)
    live.run(display=False)
    replaying = workbench.AsyncClient(replay=path)
    again = Grid(["Say hi", "Say bye"], models=["m1", "m2"], client=replaying)
    again.run(display=False)
    assert [c.output for c in again.cells] == [c.output for c in live.cells]
    assert replaying.cassette is not None and replaying.cassette.unused() == []


async def test_arun_and_events_in_order() -> None:
    g = grid(["Say hi"], models=["m1", "m2"])
    events: list[Any] = []
    g.subscribe(events.append)
    result = await g.arun(display=False)
    kinds = [e.type for e in events]
    assert kinds[0] == "grid.started" and kinds[-1] == "grid.finished"
    assert events[-1].result is not None and events[-1].result.counts == {"done": 2}
    for cell in g.cells:
        mine = [e for e in events if getattr(e, "cell", None) is cell]
        assert mine[0].type == "cell.started" and mine[-1].type == "cell.finished"
        deltas = [e.delta for e in mine if e.type == "cell.delta"]
        assert len(deltas) > 3 and "".join(deltas) == cell.output
    assert result.cells == g.cells


def test_a_failing_observer_is_logged_and_the_run_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    g = grid()
    seen: list[str] = []

    def broken(event: Any) -> None:
        raise RuntimeError("view broke")

    g.subscribe(broken)
    unsubscribe = g.subscribe(lambda event: seen.append(event.type))
    assert g.run(display=False).counts == {"done": 2}
    assert "an observer of the grid failed" in caplog.text
    assert seen.count("cell.finished") == 2
    unsubscribe()
    g.rerun(g.cells[0].key)
    assert seen.count("cell.finished") == 2  # unsubscribed: no more events


async def test_run_works_inside_a_running_event_loop() -> None:
    """As in a notebook cell: ``grid.run()`` while the loop of this thread is busy."""
    g = grid()
    threads: set[str] = set()
    g.subscribe(lambda event: threads.add(threading.current_thread().name))
    assert g.run(display=False).counts == {"done": 2}
    assert threads and all(name.startswith("workbench-grid") for name in threads)


def test_cancel_keeps_finished_cells_and_the_partial_reply() -> None:
    client, _ = local_client(pacing=Pacing(tokens_per_second=400))
    prompts = ["Say hi", "Say bye", "Say hello", "Say goodbye"]
    g = Grid(prompts, models=["m1", "m2"], client=client, concurrency=2)
    deltas: dict[Cell, int] = {}

    def on_event(event: Any) -> None:
        if event.type == "cell.delta":
            deltas[event.cell] = deltas.get(event.cell, 0) + 1
        finished = sum(c.status == "done" for c in g.cells)
        if event.type == "cell.delta" and finished >= 2 and deltas[event.cell] == 5:
            g.cancel()

    unsubscribe = g.subscribe(on_event)
    result = g.run(display=False)
    unsubscribe()
    counts = result.counts
    assert counts["done"] >= 2 and counts["cancelled"] >= 4
    assert set(counts) == {"done", "cancelled"}
    for cell in g.cells:
        if cell.status == "done":
            assert cell.output and cell.usage is not None
        elif cell.conversation is not None:  # stopped mid-stream: its text so far is kept
            last = cell.conversation.messages[-1]
            # (A cell sent a moment before the stop may have had no token yet: nothing to keep.)
            assert cell.output == (last.content or "") and cell.error == "cancelled"
            assert last.status == "incomplete" or last.role == "user"
        else:
            assert cell.error == "cancelled before it was sent" and cell.output == ""
    assert any(c.status == "cancelled" and c.output for c in g.cells)

    # run() again picks up where it stopped: only the cells not done are sent.
    done_before = {c.key: c for c in g.cells if c.status == "done"}
    client.local_model.pacing = Pacing()  # type: ignore[union-attr]
    again = g.run(display=False)
    assert again.counts == {"done": len(g.cells)}
    assert all(g.cell(key) is cell for key, cell in done_before.items())


def test_ctrl_c_in_run_cancels_like_cancel() -> None:
    client, _ = local_client(pacing=Pacing(tokens_per_second=400))
    g = Grid(["Say hi", "Say bye", "Say hello"], models=["m1", "m2"], client=client, concurrency=2)
    fired = threading.Event()

    def interrupt(event: Any) -> None:
        if event.type == "cell.delta" and not fired.is_set():
            fired.set()
            # Ctrl-C: SIGINT to the main thread, which waits in run()
            signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)

    g.subscribe(interrupt)
    result = g.run(display=False)
    assert fired.is_set()
    assert result.counts.get("cancelled", 0) >= 4
    assert not g.running


async def test_cancel_from_another_thread_during_arun() -> None:
    client, _ = local_client(pacing=Pacing(tokens_per_second=400))
    g = Grid(["Say hi", "Say bye"], models=["m1", "m2"], client=client, concurrency=1)
    g.subscribe(
        lambda e: threading.Thread(target=g.cancel).start() if e.type == "cell.delta" else None
    )
    result = await g.arun(display=False)
    assert result.counts["cancelled"] == 4


def test_a_cancel_before_the_first_cell_is_not_lost() -> None:
    client, transport = local_client()
    g = Grid(["Say hi", "Say bye"], client=client)
    g.subscribe(lambda event: g.cancel() if event.type == "grid.started" else None)
    result = g.run(display=False)
    assert result.counts == {"cancelled": 2} and transport.bodies == []
    assert all(c.error == "cancelled before it was sent" for c in g.cells)


async def test_cancelling_the_callers_task_propagates() -> None:
    client, _ = local_client(pacing=Pacing(tokens_per_second=200))
    g = Grid(["Say hi"], models=["m1", "m2"], client=client)
    task = asyncio.create_task(g.arun(display=False))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert {c.status for c in g.cells} == {"cancelled"} and not g.running


def test_rerun_replaces_one_cell() -> None:
    g = grid(["Say hi"], models=["m1", "m2"])
    g.run(display=False)
    old = g.cells[1]
    events: list[Any] = []
    g.subscribe(events.append)
    new = g.rerun(old.key)
    assert new is g.cells[1] and new is not old and new.key == old.key
    # Sent again, the local model samples again (no seed): another variant of the reply.
    assert new.status == "done" and new.output != old.output
    assert new.conversation is not old.conversation
    assert [e.type for e in events if e.type != "cell.delta"] == [
        "grid.started",
        "cell.started",
        "cell.finished",
        "grid.finished",
    ]
    with pytest.raises(KeyError, match="no cell"):
        g.rerun(CellKey(9, 0, "m1", 0, 0))


async def test_arerun_and_one_run_at_a_time() -> None:
    client, _ = local_client(pacing=Pacing(tokens_per_second=200))
    g = Grid(["Say hi"], client=client)
    task = asyncio.create_task(g.arun(display=False))
    await asyncio.sleep(0.02)
    with pytest.raises(workbench.WorkbenchError, match="already running"):
        await g.arerun(g.cells[0].key)
    await task
    client.local_model.pacing = Pacing()  # type: ignore[union-attr]
    cell = await g.arerun(str(g.cells[0].key))
    assert cell.status == "done"


# -- display -----------------------------------------------------------------------------------


def test_display_uses_the_registered_view_or_a_progress_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shown: list[Grid] = []
    monkeypatch.setitem(_views._factories, "grid", lambda g: shown.append(g) or object())
    g = grid()
    g.run()
    assert shown == [g] and capsys.readouterr().err == ""

    # No notebook front end (the factory returns None): the progress line on stderr.
    monkeypatch.setitem(_views._factories, "grid", lambda g: shown.append(g) and None)
    g.rerun(g.cells[0].key)  # a rerun shows nothing new
    for cell in g.cells:
        cell.status = "error"
    g.run()
    err = capsys.readouterr().err
    assert err.startswith("\rgrid: ") and err.endswith("\n")
    assert "grid: 2/2 cells in " in err.splitlines()[-1]

    # display=False: neither.
    g.cells[0].status = "error"
    g.run(display=False)
    assert capsys.readouterr().err == "" and len(shown) == 2


def test_the_package_registers_the_widgets_view() -> None:
    factory = _views.lookup("grid")
    assert factory is not None and factory.__module__ == "workbench"


def test_progress_line_counts_rate_eta() -> None:
    now = [100.0]
    observers: list[Any] = []

    class FakeGrid:
        def subscribe(self, observer: Any) -> Any:
            observers.append(observer)
            return lambda: observers.remove(observer)

    out = io.StringIO()
    line = ProgressLine(FakeGrid(), 10, out, clock=lambda: now[0], interval=0.5)  # type: ignore[arg-type]

    class Event:
        def __init__(self, kind: str, status: str = "done") -> None:
            self.type = kind
            self.cell = type("C", (), {"status": status})()

    line(Event("grid.started"))
    for i, status in enumerate(["done", "done", "error", "done"]):
        now[0] += 0.5
        line(Event("cell.finished", status))
        assert out.getvalue().count("\r") == i + 1
    assert line.line() == "grid: 4/10 cells · 2.0/s · ETA 3.0 s · 1 error"
    line(Event("cell.finished", "cancelled"))  # within the interval: not written
    assert out.getvalue().count("\r") == 4
    line(Event("grid.finished"))
    assert out.getvalue().endswith("\rgrid: 5/10 cells in 2.0 s · 2.5/s · 1 error · 1 not run\n")
    assert observers == []
