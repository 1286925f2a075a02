"""An eval in OpenAI's exported form (the eval's JSON, its JSONL data, a run's data source) run
as a grid on the local model, offline; its given samples graded; every bad input refused before
anything is sent, naming its place."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

import workbench
from tests.conftest import FIXTURES as ALL_FIXTURES
from workbench import InvalidParameterError
from workbench.local import LocalModel, LocalTransport

FIXTURES = ALL_FIXTURES / "openai-eval"
EVAL = FIXTURES / "tickets.eval.json"
DATA = FIXTURES / "tickets.jsonl"
RUN = FIXTURES / "tickets.run.json"
RESPONSES_RUN = FIXTURES / "tickets.responses-run.json"
SAMPLES = FIXTURES / "tickets.samples.jsonl"
EXACT = "Match output to human label"
JUDGE = "Label quality"


class Recording(httpx.AsyncBaseTransport):
    """The local model in-process, keeping each request's path and body."""

    def __init__(self) -> None:
        self.model = LocalModel()
        self.inner = LocalTransport(self.model)
        self.requests: list[tuple[str, dict[str, Any]]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append((request.url.path, json.loads(await request.aread())))
        return await self.inner.handle_async_request(request)

    def bodies(self, path: str) -> list[dict[str, Any]]:
        return [body for where, body in self.requests if where.endswith(path)]


def recording_client() -> tuple[workbench.AsyncClient, Recording]:
    transport = Recording()
    client = workbench.AsyncClient(
        local=transport.model, http_client=httpx.AsyncClient(transport=transport)
    )
    return client, transport


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def items() -> list[dict[str, Any]]:
    return [json.loads(line)["item"] for line in DATA.read_text().splitlines()]


def refused(match: str, eval: Any = EVAL, data: Any = DATA, run: Any = RUN, **options: Any) -> None:
    """``Grid.from_openai_eval`` raises before sending anything, its message matching."""
    client, transport = recording_client()
    with pytest.raises(InvalidParameterError, match=match):
        workbench.Grid.from_openai_eval(eval, data, run, client=client, **options)
    assert transport.requests == []


# -- end to end, offline -----------------------------------------------------------------------


def test_the_guides_eval_runs_on_the_local_model_with_its_string_check_and_a_judge() -> None:
    grid = workbench.Grid.from_openai_eval(EVAL, DATA, RUN, client=workbench.AsyncClient())
    assert grid.models == ["gpt-4.1"] and grid.apis == ["chat"]
    assert [g.name for g in grid.graders] == [EXACT, JUDGE]
    result = grid.run(display=False)
    assert [c.status for c in result.cells] == ["done"] * 3
    for cell, item in zip(result.cells, items(), strict=True):
        assert cell.vars == item
        exact = cell.grades[EXACT]
        assert exact.error is None and exact.passed is (cell.output == item["correct_label"])
        assert exact.score == (1.0 if exact.passed else 0.0)
        judged = cell.grades[JUDGE]
        assert judged.error is None and judged.score is not None and 0 <= judged.score <= 1
        assert judged.reasoning and judged.passed is (judged.score >= 0.5)
    frame = result.to_dataframe()
    assert list(frame["correct_label"]) == ["Hardware", "Software", "Other"]
    assert {EXACT, f"{EXACT}_pass", JUDGE, f"{JUDGE}_reasoning"} <= set(frame.columns)
    assert result.summary()[f"{EXACT}_n"].tolist() == [3]


def test_the_prompt_sent_is_the_template_filled_from_each_item() -> None:
    client, transport = recording_client()
    grid = workbench.Grid.from_openai_eval(EVAL, DATA, RUN, client=client)
    grid.run(display=False)
    bodies = transport.bodies("/chat/completions")
    sent = [body for body in bodies if "response_format" not in body]  # the judges' have one
    assert sorted(body["messages"][1]["content"] for body in sent) == sorted(
        item["ticket_text"] for item in items()
    )
    template = load(RUN)["input_messages"]["template"]
    assert all(body["messages"][0] == template[0] for body in sent)  # developer, as written
    assert len(sent) == 3 and len(bodies) == 6 and all(b["model"] == "gpt-4.1" for b in bodies)


def test_a_responses_run_maps_its_sampling_params_and_keeps_literal_braces() -> None:
    client, transport = recording_client()
    grid = workbench.Grid.from_openai_eval(
        EVAL, DATA, RESPONSES_RUN, models="workbench-local", client=client
    )
    assert grid.apis == ["responses"] and grid.models == ["workbench-local"]
    assert grid.params == [{"temperature": 0, "top_p": 1, "max_completion_tokens": 20}]
    result = grid.run(display=False)
    assert all(c.status in ("done", "cut") and c.grades[JUDGE].error is None for c in result)
    sent = transport.bodies("/responses")
    assert len(sent) == 3
    for body in sent:
        assert body["max_output_tokens"] == 20 and body["temperature"] == 0
        assert "{Hardware, Software, Other}" in json.dumps(body["input"])


def test_nested_paths_numbers_and_braces_fill_from_each_row() -> None:
    text = "Say {{item.meta.tags[0]}} {json} x{{ item.n }}"
    eval = {
        "testing_criteria": [
            {
                "type": "string_check",
                "name": "tagged",
                "input": "{{ sample.output_text }}",
                "reference": "{{ item.meta.tags[0] }}",
                "operation": "like",
            }
        ]
    }
    data = [
        {"item": {"meta": {"tags": ["alpha"]}, "n": 3}},
        {"item": {"meta": {"tags": ["beta", "x"]}, "n": 4.5}},
    ]
    run = {
        "type": "completions",
        "input_messages": {
            "type": "template",
            "template": [
                {
                    "role": "user",
                    "content": [{"type": "input_text", "text": text}],
                }
            ],
        },
    }
    client, transport = recording_client()
    result = workbench.Grid.from_openai_eval(eval, data, run, client=client).run(display=False)
    texts = [body["messages"][0]["content"][0]["text"] for body in transport.bodies("/completions")]
    assert sorted(texts) == ["Say alpha {json} x3", "Say beta {json} x4.5"]
    assert all(cell.grades["tagged"].error is None for cell in result)


def test_data_can_come_from_the_runs_file_content_and_an_eval_as_the_api_returns_it() -> None:
    eval = load(EVAL)
    schema = eval["data_source_config"].pop("item_schema")
    eval["data_source_config"]["schema"] = {
        "type": "object",
        "properties": {"item": schema, "sample": {"type": "object"}},
        "required": ["item"],
    }
    run = {**load(RUN), "source": {"type": "file_content", "content": [{"item": items()[0]}]}}
    grid = workbench.Grid.from_openai_eval(eval, None, run)
    assert len(grid.cells) == 1 and grid.cells[0].vars == items()[0]
    run["source"]["content"] = [{"item": {"ticket_text": "No label"}}]
    refused(r"data\[0\]\.correct_label: is required by the eval's item_schema", eval, None, run)


def test_an_item_reference_to_a_text_field_is_the_user_message() -> None:
    run = {
        "type": "completions",
        "model": "workbench-local",
        "input_messages": {"type": "item_reference", "item_reference": "item.ticket_text"},
    }
    grid = workbench.Grid.from_openai_eval(EVAL, DATA, run)
    assert [cell.prompt for cell in grid.cells] == [item["ticket_text"] for item in items()]


# -- given samples -----------------------------------------------------------------------------


def test_given_samples_are_graded_without_sending_them() -> None:
    client, transport = recording_client()
    result = workbench.GridResult.from_openai_samples(EVAL, SAMPLES, RUN, client=client)
    assert [c.output for c in result] == ["Hardware", "Other", "Other"]
    assert [c.grades[EXACT].passed for c in result] == [True, False, True]
    assert all(c.grades[JUDGE].error is None for c in result)
    assert [c.prompt for c in result] == [item["ticket_text"] for item in items()]
    sent = transport.bodies("/chat/completions")
    assert len(sent) == 3 and all("response_format" in body for body in sent)  # judges only
    frame = result.to_dataframe()
    assert frame[f"{EXACT}_pass"].tolist() == [True, False, True]


def test_samples_without_text_or_data_without_samples_are_refused() -> None:
    lines = [json.loads(line) for line in SAMPLES.read_text().splitlines()]
    lines[1]["sample"] = {"output_tools": []}
    with pytest.raises(InvalidParameterError, match=r"data\[1\]\.sample\.output_text: is needed"):
        workbench.GridResult.from_openai_samples(EVAL, lines)
    with pytest.raises(InvalidParameterError, match="has no line with a 'sample'"):
        workbench.GridResult.from_openai_samples(EVAL, DATA)


# -- bad input, refused before anything is sent ------------------------------------------------


def test_an_unknown_grader_type_names_the_criterion() -> None:
    eval = load(EVAL)
    eval["testing_criteria"].append({"type": "regex_check", "name": "r"})
    refused(r"eval\.testing_criteria\[2\]: .*unknown 'type' 'regex_check'", eval)


def test_a_template_naming_a_missing_item_field_names_the_message_and_row() -> None:
    run = load(RUN)
    run["input_messages"]["template"][1]["content"] = "{{ item.ticket }}"
    refused(
        r"run\.input_messages\.template\[1\]\.content: reads \{\{ item\.ticket \}\}, which"
        r" data\[0\] does not have \(its fields: correct_label, ticket_text\)",
        run=run,
    )
    run["input_messages"]["template"][1]["content"] = "{{ sample.output_text }}"
    refused(r"template\[1\]\.content: \{\{ sample\.output_text \}\} names the sample", run=run)
    eval = load(EVAL)
    eval["testing_criteria"][0]["reference"] = "{{ item.label }}"
    refused(r"eval\.testing_criteria\[0\]: 'Match output to human label' reads", eval)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda rows: rows[1].pop("correct_label"), r"data\[1\]\.correct_label: is required"),
        (
            lambda rows: rows[2].update(ticket_text=7),
            r"data\[2\]\.ticket_text: is an integer 7; the eval's item_schema asks for string",
        ),
        (lambda rows: rows.__setitem__(0, "text"), r"data\[0\]: must be a dict"),
    ],
)
def test_a_row_that_does_not_fit_the_item_schema_names_the_row_and_field(
    change: Any, match: str
) -> None:
    rows = items()
    change(rows)
    refused(match, data=rows)


def test_enum_and_closed_schemas_are_checked() -> None:
    eval = load(EVAL)
    schema = eval["data_source_config"]["item_schema"]
    schema["properties"]["correct_label"]["enum"] = ["Hardware", "Software"]
    refused(r"data\[2\]\.correct_label: is 'Other', not one of", eval)
    schema["properties"]["correct_label"].pop("enum")
    schema["additionalProperties"] = False
    rows = [{**items()[0], "extra": 1}]
    refused(r"data\[0\]\.extra: is not in the eval's item_schema", eval, rows)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"type": "jsonl"}, r"run\.type: 'jsonl' runs grade the samples .*from_openai_samples"),
        ({"type": "stored_completions"}, r"run\.type: 'stored_completions' is not a run type"),
        ({"sampling_params": {"tools": []}}, r"run\.sampling_params\.tools: an eval's tools"),
        ({"sampling_params": {"logprobs": True}}, r"run\.sampling_params\.logprobs: is not a"),
        ({"input_messages": None}, r"run\.input_messages: is needed"),
        ({"model": ""}, r"run\.model: must be a model name"),
        (
            {"input_messages": {"type": "template", "template": [{"role": "bot", "content": "x"}]}},
            r"template\[0\]\.role: got 'bot'",
        ),
        (
            {"input_messages": {"type": "item_reference", "item_reference": "item.missing"}},
            r"item_reference: reads \{\{ item\.missing \}\}, which data\[0\] does not have",
        ),
    ],
)
def test_a_run_this_cannot_send_is_refused(change: dict[str, Any], match: str) -> None:
    refused(match, run={**load(RUN), **change})


def test_a_run_that_ends_with_an_assistant_message_or_a_responses_seed_is_refused() -> None:
    run = load(RUN)
    run["input_messages"]["template"].append({"role": "assistant", "content": "Hardware"})
    refused(r"template\[2\]\.role: the last message is what the grid sends", run=run)
    responses = {**load(RESPONSES_RUN), "sampling_params": {"seed": 1}}
    refused(r"run\.sampling_params\.seed: the Responses API takes no seed", run=responses)
    refused(r"run: is needed", run=None)


def test_a_logs_eval_and_a_clash_with_grid_options_are_refused() -> None:
    eval = {**load(EVAL), "data_source_config": {"type": "logs", "metadata": {}}}
    refused(r"eval\.data_source_config\.type: 'logs' evals read logs", eval)
    refused(r"vars: comes from the eval", vars=[{"x": 1}])
    refused(r"eval: cannot read", FIXTURES / "nope.json")


def test_a_whole_run_and_the_older_max_completions_tokens_are_read() -> None:
    params = {"max_completions_tokens": 30, "seed": 3, "temperature": 0.5, "top_p": 0.9}
    source = {**load(RUN), "sampling_params": params}
    grid = workbench.Grid.from_openai_eval(EVAL, DATA, {"name": "run 1", "data_source": source})
    assert grid.params == [
        {"temperature": 0.5, "top_p": 0.9, "seed": 3, "max_completion_tokens": 30}
    ]
    both = {**params, "max_completion_tokens": 30}
    refused(r"gives both max_completion_tokens and", run={**source, "sampling_params": both})


def test_a_responses_text_format_becomes_the_grids_response_format() -> None:
    schema = {"type": "object", "properties": {"label": {"type": "string"}}}
    text = {"format": {"type": "json_schema", "name": "label", "schema": schema, "strict": False}}
    run = {**load(RESPONSES_RUN), "sampling_params": {"text": text}}
    grid = workbench.Grid.from_openai_eval(EVAL, DATA, run)
    assert grid._spec.response_format == {
        "type": "json_schema",
        "json_schema": {"name": "label", "schema": schema, "strict": False},
    }
    bad = {**run, "sampling_params": {"text": {"format": {"type": "yaml"}}}}
    refused(r"run\.sampling_params\.text\.format: must be", run=bad)
    completions = {**load(RUN), "sampling_params": {"text": text}}
    refused(r"run\.sampling_params\.text: is not a completions sampling parameter", run=completions)
