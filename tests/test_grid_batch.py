"""Grids beyond one machine: Batch API input files out, Batch output files (answered here by the
local model) back into the same result; malformed files rejected whole."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

import workbench
from tests._grid import USAGE, local_client, priced_client
from tests._mock import assert_valid_request, completion_json
from workbench import Grid, GridResult, InvalidParameterError
from workbench.grid import BatchFileError
from workbench.local import LocalModel
from workbench.protocol._pricing import cost_usd


class Verdict(BaseModel):
    city: str
    sunny: bool


def grid(**kwargs: Any) -> Grid:
    kwargs.setdefault("models", ["model-a", "model-b"])
    return Grid(
        ["Weather in {city}?", "Capital near {city}?"],
        vars=[{"city": "Paris"}, {"city": "Oslo"}],
        params={"temperature": [0.2, 1.0]},
        system="Be brief about {city}.",
        client=local_client()[0],
        scorers={"chars": len},
        **kwargs,
    )


def answer_batch(path: Path, out: Path, *, fail: str | None = None) -> list[dict[str, Any]]:
    """What OpenAI's Batch API would write: each request's body sent to the local model
    (``fail``: the custom_id answered with an error instead)."""
    client = workbench.Client(local=LocalModel())
    lines = []
    for n, line in enumerate(path.read_text().splitlines()):
        request = json.loads(line)
        if request["custom_id"] == fail:
            error = {"code": "batch_expired", "message": "This request could not be executed."}
            lines.append(
                {"id": f"batch_req_{n}", "custom_id": fail, "response": None, "error": error}
            )
            continue
        completion = client.chat.completions.create(**request["body"])
        response = {
            "status_code": 200,
            "request_id": f"req_{n}",
            "body": completion.model_dump(mode="json"),
        }
        lines.append(
            {"id": f"batch_req_{n}", "custom_id": request["custom_id"], "response": response}
        )
        lines[-1]["error"] = None
    out.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return lines


def test_batch_input_lines(tmp_path: Path) -> None:
    g = grid(tools=[], response_format=Verdict)
    [path] = g.to_batch_jsonl(tmp_path / "batch.jsonl")
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(lines) == len(g.cells) == 16
    assert [line["custom_id"] for line in lines] == [str(c.key) for c in g.cells]
    for line, cell in zip(lines, g.cells, strict=True):
        assert set(line) == {"custom_id", "method", "url", "body"}
        assert (line["method"], line["url"]) == ("POST", "/v1/chat/completions")
        body = line["body"]
        assert_valid_request(body)
        assert body["model"] == cell.model and "stream" not in body
        assert body["temperature"] == cell.params["temperature"]
        assert body["messages"] == [
            {"role": "system", "content": f"Be brief about {cell.vars['city']}."},
            {"role": "user", "content": cell.prompt},
        ]
        assert body["response_format"]["type"] == "json_schema"
        assert body["response_format"]["json_schema"]["name"] == "Verdict"


def test_batch_files_per_model(tmp_path: Path) -> None:
    g = grid()
    paths = g.to_batch_jsonl(tmp_path / "out" / "batch-{model}.jsonl")
    assert [p.name for p in paths] == ["batch-model-a.jsonl", "batch-model-b.jsonl"]
    for path, model in zip(paths, g.models, strict=True):
        bodies = [json.loads(line)["body"] for line in path.read_text().splitlines()]
        assert len(bodies) == 8 and {b["model"] for b in bodies} == {model}
    [one] = g.to_batch_jsonl(tmp_path / "b.jsonl", model="model-b")
    assert len(one.read_text().splitlines()) == 8
    with pytest.raises(KeyError, match="no model 'gpt'"):
        g.to_batch_jsonl(tmp_path / "c.jsonl", model="gpt")


def test_round_trip_reads_back_the_same_result_as_a_live_run(tmp_path: Path) -> None:
    live = grid()
    live.run(display=False)
    batch = grid()
    [requests] = batch.to_batch_jsonl(tmp_path / "requests.jsonl")
    failed = str(batch.cells[5].key)
    answer_batch(requests, tmp_path / "output.jsonl", fail=failed)
    result = GridResult.from_batch_output(batch, tmp_path / "output.jsonl")
    assert result.cells == batch.cells and result.grid is batch
    assert result.counts == {"done": 15, "error": 1}
    for mine, theirs in zip(batch.cells, live.cells, strict=True):
        assert mine.key == theirs.key
        if str(mine.key) == failed:
            assert mine.error == "batch_expired: This request could not be executed."
            assert mine.conversation is None and mine.scores == {}
            continue
        assert mine.output == theirs.output  # the local model answers a request the same way
        assert mine.usage.completion_tokens == theirs.usage.completion_tokens
        assert mine.finish_reason == theirs.finish_reason == "stop"
        assert mine.scores == theirs.scores == {"chars": len(mine.output)}
        assert mine.request_id is not None and mine.request_id.startswith("req_")
        chat = mine.conversation
        assert [m.role for m in chat.messages] == ["user", "assistant"]
        assert chat.system == theirs.conversation.system
        assert chat.messages[-1].content == mine.output
    frame = result.to_dataframe()
    live_frame = live.result().to_dataframe()
    answered = frame["status"] == "done"
    assert set(frame["batch_id"][answered]) == {"unknown"}, "through a batch, not named"
    frame = frame.drop(columns="batch_id")
    assert list(frame.columns) == list(live_frame.columns)
    assert dict(frame.dtypes) == dict(live_frame.dtypes)
    same = frame["status"] == "done"
    assert list(frame["output"][same]) == list(live_frame["output"][same])
    assert frame["latency_s"].isna().all()  # a batch has no per-request timing


def test_structured_output_and_tool_calls_come_back(tmp_path: Path) -> None:
    def get_weather(city: str) -> str:
        """Get the weather in a city.

        Args:
            city: the city.
        """
        return "sunny"

    structured = Grid(["Is it sunny in Paris?"], response_format=Verdict, client=local_client()[0])
    [path] = structured.to_batch_jsonl(tmp_path / "s.jsonl")
    answer_batch(path, tmp_path / "s-out.jsonl")
    cell = GridResult.from_batch_output(structured, [tmp_path / "s-out.jsonl"]).cells[0]
    assert cell.status == "done" and isinstance(cell.parsed, Verdict)

    tools = Grid(["What is the weather in Paris?"], tools=[get_weather], client=local_client()[0])
    [path] = tools.to_batch_jsonl(tmp_path / "t.jsonl")
    assert json.loads(path.read_text())["body"]["tools"][0]["function"]["name"] == "get_weather"
    answer_batch(path, tmp_path / "t-out.jsonl")
    cell = GridResult.from_batch_output(tools, tmp_path / "t-out.jsonl").cells[0]
    assert cell.finish_reason == "tool_calls"  # a batch runs one call: the tool is not run
    assert cell.tool_calls is not None and cell.tool_calls[0]["name"] == "get_weather"
    assert cell.tool_calls[0]["result"] is None


def test_missing_lines_and_error_statuses(tmp_path: Path) -> None:
    g = grid(models=["model-a"])
    [path] = g.to_batch_jsonl(tmp_path / "in.jsonl")
    lines = answer_batch(path, tmp_path / "out.jsonl")
    lines[1]["response"] = {
        "status_code": 429,
        "request_id": "req_x",
        "body": {"error": {"message": "Rate limit reached", "type": "requests"}},
    }
    kept = lines[:2]  # the rest never came back
    (tmp_path / "out.jsonl").write_text("".join(json.dumps(x) + "\n" for x in kept))
    result = GridResult.from_batch_output(g, tmp_path / "out.jsonl")
    assert [c.status for c in result.cells[:2]] == ["done", "error"]
    assert result.cells[1].error == "status 429: Rate limit reached"
    assert result.cells[1].request_id == "req_x"
    assert {c.status for c in result.cells[2:]} == {"skipped"}
    assert "no line of the batch output" in (result.cells[2].error or "")


@pytest.mark.parametrize(
    ("corrupt", "message"),
    [
        (lambda lines: ["{not json", *lines[1:]], "line 1: not JSON"),
        (lambda lines: [*lines[:2], "[1, 2]"], "line 3: a line must be a JSON object"),
        (lambda lines: [lines[0], _set(lines[1], custom_id=None)], "line 2: custom_id is missing"),
        (lambda lines: [_set(lines[0], custom_id="row-7")], "line 1: custom_id: 'row-7' is not"),
        (
            lambda lines: [_set(lines[0], custom_id="p9-v0-s0-r0-model-a")],
            "line 1: custom_id 'p9-v0-s0-r0-model-a' names no cell of this grid",
        ),
        (lambda lines: [lines[0], lines[0]], "line 2: custom_id 'p0-v0-s0-r0-model-a' was"),
        (lambda lines: [_set(lines[0], response=None)], "line 1: response: missing"),
        (
            lambda lines: [lines[0], _body(lines[1], choices="many")],
            "line 2: response.body.choices: Input should be a valid list",
        ),
        (lambda lines: [_body(lines[0], choices=[])], "line 1: response.body.choices: empty"),
    ],
)
def test_malformed_output_is_rejected_whole(tmp_path: Path, corrupt: Any, message: str) -> None:
    g = grid(models=["model-a"])
    [path] = g.to_batch_jsonl(tmp_path / "in.jsonl")
    answer_batch(path, tmp_path / "out.jsonl")
    lines = (tmp_path / "out.jsonl").read_text().splitlines()
    (tmp_path / "bad.jsonl").write_text("\n".join(corrupt(lines)) + "\n")
    before = list(g.cells)
    with pytest.raises(BatchFileError) as info:
        GridResult.from_batch_output(g, tmp_path / "bad.jsonl")
    assert message in str(info.value) and "bad.jsonl" in str(info.value)
    assert g.cells == before and {c.status for c in g.cells} == {"pending"}  # nothing imported


def _set(line: str, **fields: Any) -> str:
    return json.dumps({**json.loads(line), **fields})


def _body(line: str, **fields: Any) -> str:
    record = json.loads(line)
    record["response"]["body"].update(fields)
    return json.dumps(record)


def test_batch_output_is_priced_at_the_batch_price(tmp_path: Path) -> None:
    client, _ = priced_client()
    priced = Grid(["Hi"], models="gpt-4o-mini", apis="chat", client=client)
    [requests] = priced.to_batch_jsonl(tmp_path / "requests.jsonl")
    custom_id = json.loads(requests.read_text())["custom_id"]
    body = completion_json("Hello") | {"model": "gpt-4o-mini", "usage": USAGE}
    line = {"custom_id": custom_id, "response": {"status_code": 200, "body": body}}
    out = tmp_path / "out.jsonl"
    out.write_text(json.dumps(line) + "\n")
    usage = workbench.types.CompletionUsage.model_validate(USAGE)
    half = cost_usd("gpt-4o-mini", usage, "https://api.openai.com/v1", batch=True)
    assert half is not None and half > 0

    cell = GridResult.from_batch_output(priced, out).cells[0]
    assert cell.cost_usd == pytest.approx(half) and cell.batch_id == "unknown"
    named = GridResult.from_batch_output(priced, out, batch_id="batch_abc")
    assert named.cells[0].batch_id == "batch_abc"
    assert named.cells[0].conversation.messages[-1].batch_id == "batch_abc"
    assert named.to_dataframe()["cost_usd"][0] == pytest.approx(half)
    with pytest.raises(InvalidParameterError, match="batch_id"):
        GridResult.from_batch_output(priced, out, batch_id="")
