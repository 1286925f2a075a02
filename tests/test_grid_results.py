"""Grid results: scorers (sync, async, judges, failing), the DataFrame and its dtypes, pivot,
plot; estimates and the budget, priced through a mock OpenAI server."""

from __future__ import annotations

import math

import pandas
import pytest
from pydantic import BaseModel

import workbench
from tests._grid import USAGE, local_client, priced_client
from tests._mock import Recorder
from workbench import Grid, ScoreError


class City(BaseModel):
    name: str
    population: int


# -- scorers ---------------------------------------------------------------------------------


def test_scorers_sync_async_with_the_cell_and_failing() -> None:
    async def shouts(output: str) -> bool:
        return output.isupper()

    def fails(output: str) -> float:
        raise ZeroDivisionError("no score today")

    g = Grid(
        ["Say hi", "Say bye"],
        models=["m1", "m2"],
        client=local_client()[0],
        scorers={
            "chars": len,
            "shouts": shouts,
            "model_named": lambda output, cell: cell.model in output,
            "asked": lambda output, *, cell: cell.prompt,
            "broken": fails,
        },
    )
    cells = g.run(display=False).cells
    for cell in cells:
        assert cell.status == "done"
        assert cell.scores["chars"] == len(cell.output)
        assert cell.scores["shouts"] is False
        assert cell.scores["model_named"] is True
        assert cell.scores["asked"] == cell.prompt
        assert cell.scores["broken"] == ScoreError("ZeroDivisionError: no score today")
    frame = g.result().to_dataframe()
    assert str(frame["chars"].dtype) == "Int64"
    assert str(frame["shouts"].dtype) == "boolean"
    assert str(frame["asked"].dtype) == "str"
    assert frame["broken"].isna().all() and str(frame["broken"].dtype) == "float64"
    assert list(frame["broken_error"]) == ["ZeroDivisionError: no score today"] * 4
    assert frame["chars_error"].isna().all()


def test_a_judge_scorer_calls_a_model() -> None:
    judge = workbench.AsyncClient(local=True)

    async def verdict(output: str) -> str:
        reply = await judge.chat.completions.create(
            model="judge", messages=[{"role": "user", "content": f"Grade this: {output}"}]
        )
        return reply.choices[0].message.content or ""

    g = Grid(["Say hi"], client=local_client()[0], scorers={"verdict": verdict})
    cell = g.run(display=False).cells[0]
    assert cell.scores["verdict"].startswith("[local model 'judge'")
    assert "Grade this" in cell.scores["verdict"] or "grade" in cell.scores["verdict"].lower()


def test_structured_output_is_parsed_and_scored() -> None:
    g = Grid(
        ["Describe Paris"],
        response_format=City,
        client=local_client()[0],
        scorers={"kind": lambda parsed: type(parsed).__name__},
    )
    cell = g.run(display=False).cells[0]
    assert isinstance(cell.parsed, City)
    assert cell.scores["kind"] == "City"
    assert g.result().to_dataframe()["parsed"][0] == cell.parsed


def test_scorers_do_not_run_on_failed_cells() -> None:
    calls: list[str] = []
    client, _ = local_client({"BROKEN": "400"})
    g = Grid(["BROKEN"], client=client, scorers={"n": lambda out: calls.append(out) or 1})
    cell = g.run(display=False).cells[0]
    assert cell.status == "error" and "BadRequestError" in (cell.error or "")
    assert calls == [] and cell.scores == {}


# -- the DataFrame ---------------------------------------------------------------------------


def test_dataframe_columns_dtypes_and_unrun_cells() -> None:
    g = Grid(
        ["Count to {n} in {lang}"],
        models=["m1", "m2"],
        params=[{"temperature": 0, "seed": 3}, {"reasoning_effort": "low"}],
        vars=[{"n": 3, "lang": "French"}, {"n": 4.5, "lang": None}],
        client=local_client()[0],
    )
    g.run(display=False)
    g.cells[-1] = g.cells[-1].fresh()  # one cell never ran
    g.cells[-1].status = "skipped"
    frame = g.result().to_dataframe()
    assert list(frame.columns[:8]) == ["prompt", "n", "lang", "model", "api", "temperature",
                                       "seed", "reasoning_effort"]  # fmt: skip
    assert list(frame.columns[8:]) == [
        "repeat", "output", "parsed", "refusal", "finish_reason", "tool_calls",
        "prompt_tokens", "completion_tokens", "reasoning_tokens", "cached_tokens", "usage_source",
        "cost_usd", "latency_s", "ttft_s", "error", "request_id", "status", "version",
    ]  # fmt: skip
    dtypes = {name: str(dtype) for name, dtype in frame.dtypes.items()}
    assert dtypes["n"] == "float64" and dtypes["lang"] == "str"
    assert dtypes["temperature"] == "float64" and dtypes["seed"] == "Int64"
    assert dtypes["reasoning_effort"] == "str" and dtypes["usage_source"] == "str"
    assert dtypes["api"] == "str" and set(frame["api"]) == {"chat"}
    assert dtypes["tool_calls"] == "object" and dtypes["parsed"] == "object"
    assert len(frame) == 8
    assert frame["temperature"].isna().sum() == 4 and frame["seed"].iloc[0] == 3
    assert frame["lang"].isna().sum() == 4
    last = frame.iloc[-1]
    assert last["status"] == "skipped"
    assert pandas.isna(last["output"]) and pandas.isna(last["completion_tokens"])
    assert math.isnan(last["latency_s"]) and last["tool_calls"] is None
    done = frame.iloc[0]
    assert done["output"].startswith("[local model 'm1'") and done["tool_calls"] == []
    assert done["prompt_tokens"] > 0 and done["finish_reason"] == "stop"


def test_pivot_side_by_side() -> None:
    g = Grid(
        ["Say hi", "Say bye"],
        models=["m1", "m2"],
        repeats=2,
        client=local_client()[0],
        scorers={"chars": len},
    )
    result = g.run(display=False)
    table = result.pivot()  # with repeats: one row per repeat
    assert list(table.columns) == g.column_labels
    assert list(table.index) == [("Say hi", 0), ("Say hi", 1), ("Say bye", 0), ("Say bye", 1)]
    assert table.loc[("Say bye", 1), "m2"] == g.cells[-1].output
    means = result.pivot("chars", aggfunc="mean")
    assert list(means.index) == g.row_labels and means.index.name == "prompt"
    expected = sum(len(c.output) for c in g.cells if c.row == 0 and c.column == 1) / 2
    assert means.loc["Say hi", "m2"] == expected
    with pytest.raises(KeyError, match="no column 'nope' to pivot"):
        result.pivot("nope")
    single = Grid(["Say hi"], models=["a", "b"], client=local_client()[0]).run(display=False)
    assert single.pivot().shape == (1, 2)


def test_plot_draws_the_metric_by_column() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    g = Grid(["Say hi", "Say bye"], models=["m1", "m2"], params={"temperature": [0, 1]},
             client=local_client()[0])  # fmt: skip
    result = g.run(display=False)
    ax = result.plot("completion_tokens")
    assert len(ax.patches) == 4  # one bar per model x parameter set
    heights = [bar.get_height() for bar in ax.patches]
    frame = result.to_dataframe()
    for label, height in zip(g.column_labels, heights, strict=True):
        column = [c for c in g.cells if g.column_labels[c.column] == label]
        assert height == pytest.approx(sum(c.usage.completion_tokens for c in column) / 2)
    assert [t.get_text() for t in ax.get_xticklabels()] == g.column_labels
    assert ax.get_ylabel() == "completion_tokens" and len(frame) == 8
    with pytest.raises(TypeError, match="not numeric"):
        result.plot("output")
    plt.close("all")


# -- estimates and the budget ----------------------------------------------------------------


def test_estimate_before_anything_is_sent() -> None:
    client, recorder = priced_client()
    g = Grid(
        ["Say hi", "Say a lot more words here"],
        models=["gpt-4o-mini", "gpt-4o"],
        params=[{"max_completion_tokens": 100}, {}, {"max_tokens": 30}],
        client=client,
    )
    estimate = g.estimate()
    assert recorder.calls == 0
    assert estimate.cells == 12
    assert estimate.completion_tokens == 2 * 2 * (100 + 256 + 30)
    assert 12 * 5 < estimate.prompt_tokens < 12 * 20
    assert estimate.cost_usd is not None and estimate.cost_usd > 0
    assert estimate.cost_by_model["gpt-4o"] > estimate.cost_by_model["gpt-4o-mini"]  # type: ignore[operator]
    assert "12 cells (2 prompts x 2 models x 3 parameter sets)" in repr(estimate)
    assert "cost: ~$" in repr(estimate)

    local = Grid(["Say hi"], client=local_client()[0]).estimate()
    assert local.cost_usd is None and local.unpriced == ["workbench-local"]
    assert "cost: unknown (no price for workbench-local)" in repr(local)


def test_cost_is_priced_for_known_models() -> None:
    client, recorder = priced_client()
    g = Grid(["Say hi"], models=["gpt-4o-mini"], client=client, apis="chat")
    result = g.run(display=False)
    cell = result.cells[0]
    assert recorder.calls == 1 and cell.output == "Hello there"
    assert cell.request_id == "req_1"
    # gpt-4o-mini: $0.15 / M input ($0.075 cached), $0.60 / M output (reasoning included).
    assert cell.cost_usd == pytest.approx((800 * 0.15 + 200 * 0.075 + 500 * 0.60) / 1e6)
    data = result.to_dataframe().iloc[0]
    assert data["reasoning_tokens"] == USAGE["completion_tokens_details"]["reasoning_tokens"]  # type: ignore[index]
    assert data["cached_tokens"] == 200 and data["cost_usd"] == pytest.approx(cell.cost_usd)


def test_budget_stops_before_it_would_be_exceeded() -> None:
    client, recorder = priced_client()
    per_cell = (800 * 0.15 + 200 * 0.075 + 500 * 0.60) / 1e6  # what each reply really costs
    g = Grid(
        [f"Question {i}" for i in range(10)],
        models=["gpt-4o-mini"],
        params=[{"max_completion_tokens": 500}],
        client=client,
        apis="chat",
        concurrency=1,
        max_cost_usd=per_cell * 4.5,
    )
    result = g.run(display=False)
    done = [c for c in result.cells if c.status == "done"]
    skipped = [c for c in result.cells if c.status == "skipped"]
    assert len(done) + len(skipped) == 10 and len(skipped) >= 5
    assert recorder.calls == len(done)  # skipped cells were never sent
    assert sum(c.cost_usd or 0 for c in done) <= g.max_cost_usd  # type: ignore[operator]
    assert all("max_cost_usd=" in (c.error or "") for c in skipped)
    assert all(c.conversation is None for c in skipped)
    frame = result.to_dataframe()
    assert (frame["status"] == "skipped").sum() == len(skipped)


def test_budget_with_an_unknown_price_fails_before_sending() -> None:
    client, transport = local_client()
    with pytest.raises(workbench.WorkbenchError, match=r"'workbench-local'.*unknown"):
        Grid(["Say hi"], client=client, max_cost_usd=1.0)
    priced, recorder = priced_client(Recorder())
    with pytest.raises(workbench.WorkbenchError, match="price of 'my-own-model'"):
        Grid(["Say hi"], models=["gpt-4o-mini", "my-own-model"], client=priced, max_cost_usd=1)
    assert transport.bodies == [] and recorder.calls == 0
