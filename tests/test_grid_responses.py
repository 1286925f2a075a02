"""The protocol as a grid dimension: ``Grid(apis=["chat", "responses"])`` on the local model's
``/v1/chat/completions`` and ``/v1/responses``: cells, keys and labels, the DataFrame's ``api``
column, a sync run and a concurrent one, cost from Responses usage, parameters refused before
the run, the log, Parquet, and Batch files with /v1/responses bodies, out and back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pandas
import pydantic
import pytest

import workbench
from workbench import Grid, InvalidParameterError
from workbench.grid import CellKey
from workbench.local import LocalModel, LocalTransport
from workbench.protocol._pricing import cost_usd

from ._responses import violations


class PathsSeen(httpx.AsyncBaseTransport):
    """The local model in-process, noting each request's path and body."""

    def __init__(self) -> None:
        self.inner = LocalTransport(LocalModel())
        self.sent: list[tuple[str, dict[str, Any]]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((request.url.path, json.loads(await request.aread())))
        return await self.inner.handle_async_request(request)


def client(base_url: str | None = None) -> tuple[workbench.AsyncClient, PathsSeen]:
    transport = PathsSeen()
    options: dict[str, Any] = {"base_url": base_url, "api_key": "sk-test"} if base_url else {}
    if not base_url:
        options["local"] = transport.inner.model
    made = workbench.AsyncClient(http_client=httpx.AsyncClient(transport=transport), **options)
    return made, transport


def test_each_cell_goes_through_its_api_and_the_frame_says_which() -> None:
    made, transport = client()
    g = Grid(["Say hi", "Name a colour"], apis=["chat", "responses"], client=made)
    assert g.column_labels == ["workbench-local · chat", "workbench-local · responses"]
    assert [c.api for c in g.cells] == ["chat", "responses"] * 2
    assert str(g.cells[1].key) == "p0-v0-s0-r0-responses:workbench-local"
    assert CellKey.parse(str(g.cells[1].key)) == g.cells[1].key
    assert CellKey.parse(str(g.cells[0].key)).api == "chat"
    assert "2 APIs" in repr(g) or "2 APIs" in g._spec.shape

    result = g.run(display=False)
    assert result.counts == {"done": 4}
    paths = sorted(path for path, _ in transport.sent)
    assert paths == ["/v1/chat/completions"] * 2 + ["/v1/responses"] * 2
    for cell in g.cells:
        replies = [m for m in cell.conversation.messages if m.role == "assistant"]
        assert [m.api for m in replies] == [cell.api]
        assert cell.output and cell.usage is not None and cell.usage_source == "server"

    assert g.apis == ["chat", "responses"]
    table = result.pivot("completion_tokens")
    assert table.columns.name == "model · api · params"
    assert list(table.columns) == g.column_labels and table.shape == (2, 2)
    df = result.to_dataframe()
    assert list(df.columns[:3]) == ["prompt", "model", "api"] and str(df["api"].dtype) == "str"
    assert list(df["api"]) == ["chat", "responses", "chat", "responses"]
    assert df["completion_tokens"].notna().all()
    # The same local model under both protocols: the same reply, the same counts.
    assert list(df["output"][0::2]) == list(df["output"][1::2])
    assert list(df["completion_tokens"][0::2]) == list(df["completion_tokens"][1::2])


def test_without_apis_nothing_changes() -> None:
    g = Grid(["Say hi"], models=["m1", "m2"], client=client()[0])
    assert g.column_labels == ["m1", "m2"] and [c.api for c in g.cells] == ["chat", "chat"]
    assert str(g.cells[0].key) == "p0-v0-s0-r0-m1"
    one = Grid(["Say hi"], apis="responses", client=client()[0])
    assert one.column_labels == ["workbench-local"], "one api: not in the labels"
    assert str(one.cells[0].key) == "p0-v0-s0-r0-responses:workbench-local", "but in the key"


def test_without_apis_each_column_takes_what_auto_would_for_the_client() -> None:
    made, transport = client("https://api.openai.com/v1")
    g = Grid(["Say hi"], models=["gpt-4o-mini"], params=[{}, {"seed": 1}], client=made)
    assert g.apis == ["auto"] and g.column_labels == ["gpt-4o-mini", "gpt-4o-mini · seed=1"]
    assert [c.api for c in g.cells] == ["responses", "chat"]
    assert str(g.cells[1].key) == "p0-v0-s1-r0-gpt-4o-mini"  # seed: Chat Completions
    local_model = Grid(["Say hi"], models=["m", "o3-pro"], client=client()[0])
    assert [c.api for c in local_model.cells] == ["chat", "responses"]
    with pytest.raises(InvalidParameterError, match="seed"):  # o3-pro answers only there
        Grid(["Say hi"], models=["o3-pro"], params=[{"seed": 1}], client=made)
    g = Grid(["Say hi"], models=["gpt-4o-mini"], client=made)
    g.run(display=False)
    assert [path for path, _ in transport.sent] == ["/v1/responses"]


async def test_a_concurrent_run_with_tools_structured_output_and_repeats() -> None:
    class Colour(pydantic.BaseModel):
        name: str

    made, transport = client()
    g = Grid(
        ["Name a colour", "Another colour"],
        models=["m1", "m2"],
        apis=["responses", "chat"],
        params=[{"temperature": 0}, {"temperature": 1}],
        response_format=Colour,
        repeats=2,
        concurrency=5,
        client=made,
    )
    assert len(g.cells) == 2 * 2 * 2 * 2 * 2
    assert g.column_labels[:3] == [
        "m1 · responses · temperature=0",
        "m1 · responses · temperature=1",
        "m1 · chat · temperature=0",
    ]
    result = await g.arun(display=False)
    assert result.counts == {"done": 32}
    assert all(isinstance(c.parsed, Colour) for c in g.cells)
    df = result.to_dataframe()
    assert df.groupby("api").size().to_dict() == {"chat": 16, "responses": 16}
    bodies = [body for path, body in transport.sent if path == "/v1/responses"]
    assert len(bodies) == 16
    assert all(body["text"]["format"]["type"] == "json_schema" for body in bodies)


def test_a_tool_round_through_responses() -> None:
    def get_weather(city: str) -> dict[str, Any]:
        """Get the weather for a city."""
        return {"city": city, "temperature": 21}

    g = Grid(
        ["What's the weather in Paris?"],
        apis=["chat", "responses"],
        tools=[get_weather],
        client=client()[0],
    )
    result = g.run(display=False)
    assert result.counts == {"done": 2}
    calls = [c.tool_calls for c in g.cells]
    assert calls[0] and calls[0] == calls[1] and calls[0][0]["name"] == "get_weather"


def test_cost_from_responses_usage() -> None:
    made, transport = client("https://api.openai.com/v1")
    g = Grid(["Say hi"], models=["gpt-4o-mini"], apis=["chat", "responses"], client=made)
    g.run(display=False)
    assert sorted(path for path, _ in transport.sent) == ["/v1/chat/completions", "/v1/responses"]
    for cell in g.cells:
        assert cell.usage is not None and cell.usage.prompt_tokens > 0
        expected = cost_usd("gpt-4o-mini", cell.usage, "https://api.openai.com/v1")
        assert expected is not None and expected > 0
        assert cell.cost_usd == pytest.approx(expected)
    chat, responses = g.cells
    assert chat.cost_usd == pytest.approx(responses.cost_usd)


@pytest.mark.parametrize("param", [{"seed": 1}, {"n": 2}, {"stop": ["x"]}])
def test_a_parameter_responses_cannot_send_is_refused_before_the_run(
    param: dict[str, Any],
) -> None:
    made, transport = client()
    name = next(iter(param))
    with pytest.raises(InvalidParameterError) as caught:
        Grid(
            ["a", "b"],
            apis=["chat", "responses"],
            params=[{"temperature": 0}, param],
            repeats=2,
            client=made,
        )
    message = str(caught.value)
    assert caught.value.param == "params[1]"
    assert f"'{name}' has no equivalent in the Responses API" in message
    assert "4 cell(s) of column " in message and "workbench-local · responses · " in message
    assert transport.sent == []
    # Through Chat Completions alone, the same parameter set is fine.
    Grid(["a"], apis="chat", params=[param], client=made)


@pytest.mark.parametrize(
    ("apis", "where"),
    [("soap", "apis[0]"), (["chat", "chat"], "apis"), ([], "apis"), (3, "apis")],
)
def test_bad_apis(apis: Any, where: str) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        Grid(["a"], apis=apis, client=client()[0])
    assert caught.value.param == where


def test_rerun_one_responses_cell_by_its_key() -> None:
    g = Grid(["Say hi"], apis=["chat", "responses"], client=client()[0])
    g.run(display=False)
    again = g.rerun("p0-v0-s0-r0-responses:workbench-local")
    assert again.api == "responses" and again.status == "done"


def test_the_log_and_parquet_keep_the_api(tmp_path: Path) -> None:
    db = tmp_path / "log.sqlite"
    g = Grid(["Say hi"], apis=["chat", "responses"], client=client()[0], log=db)
    df = g.run(display=False).to_dataframe()
    for cell in g.cells:
        loaded = workbench.Conversation.load(cell.conversation.id, log=db)
        assert loaded.api == cell.api
        assert [m.api for m in loaded.messages if m.role == "assistant"] == [cell.api]
    df.to_parquet(tmp_path / "grid.parquet")
    back = pandas.read_parquet(tmp_path / "grid.parquet")
    assert list(back["api"]) == ["chat", "responses"]


def answer(requests: Path, out: Path) -> None:
    """What the Batch API would write: each line's body sent to its url on the local model."""
    http = httpx.Client(transport=LocalTransport(LocalModel()), base_url="http://local")
    lines = []
    for n, line in enumerate(requests.read_text().splitlines()):
        request = json.loads(line)
        reply = http.post(request["url"], json=request["body"])
        response = {"status_code": 200, "request_id": f"req_{n}", "body": reply.json()}
        lines.append({"custom_id": request["custom_id"], "response": response, "error": None})
    out.write_text("".join(json.dumps(line) + "\n" for line in lines))


def test_batch_files_per_protocol_and_back(tmp_path: Path) -> None:
    class Colour(pydantic.BaseModel):
        name: str

    def make() -> Grid:
        return Grid(
            ["Name a colour", "Another colour"],
            apis=["chat", "responses"],
            system="Be brief.",
            response_format=Colour,
            params=[{"temperature": 0.5, "max_completion_tokens": 50}],
            client=client()[0],
        )

    batch = make()
    with pytest.raises(InvalidParameterError, match=r"one endpoint: put \{api\} in the path"):
        batch.to_batch_jsonl(tmp_path / "batch.jsonl")
    assert not (tmp_path / "batch.jsonl").exists()
    paths = batch.to_batch_jsonl(tmp_path / "batch-{model}-{api}.jsonl")
    assert [p.name for p in paths] == [
        "batch-workbench-local-chat.jsonl",
        "batch-workbench-local-responses.jsonl",
    ]
    chat_lines, responses_lines = (
        [json.loads(line) for line in p.read_text().splitlines()] for p in paths
    )
    assert {line["url"] for line in chat_lines} == {"/v1/chat/completions"}
    assert {line["url"] for line in responses_lines} == {"/v1/responses"}
    assert [line["custom_id"] for line in responses_lines] == [
        "p0-v0-s0-r0-responses:workbench-local",
        "p1-v0-s0-r0-responses:workbench-local",
    ]
    body = responses_lines[0]["body"]
    assert violations("CreateResponse", body) == []
    assert body["instructions"] == "Be brief." and body["max_output_tokens"] == 50
    assert body["text"]["format"]["type"] == "json_schema" and "stream" not in body
    assert body["input"][-1]["content"] == "Name a colour"

    out = [tmp_path / "out-chat.jsonl", tmp_path / "out-responses.jsonl"]
    for requests, output in zip(paths, out, strict=True):
        answer(requests, output)
    result = workbench.GridResult.from_batch_output(batch, out)
    assert result.counts == {"done": 4}
    live = make()
    live.run(display=False)
    for mine, theirs in zip(batch.cells, live.cells, strict=True):
        assert mine.key == theirs.key and mine.output == theirs.output
        assert isinstance(mine.parsed, Colour) and mine.parsed == theirs.parsed
        assert mine.usage.completion_tokens == theirs.usage.completion_tokens
        assert mine.conversation.messages[-1].api == mine.api
    assert list(result.to_dataframe()["api"]) == ["chat", "responses"] * 2
    # A grid through one protocol needs no {api} in the path.
    [one] = Grid(["Hi"], apis="responses", client=client()[0]).to_batch_jsonl(tmp_path / "r.jsonl")
    assert json.loads(one.read_text())["url"] == "/v1/responses"
