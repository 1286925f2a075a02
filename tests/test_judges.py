"""Model graders (``score_model``, ``label_model``): their definitions checked, the prompt and
schema the judge receives, repeats combined, and every way a judge can fail."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Mapping
from typing import Any

import httpx
import pytest

import workbench
from workbench.evals import (
    JUDGE_MAX_TOKENS,
    Grade,
    GraderError,
    GradingContext,
    JudgeReply,
    LabelModelGrader,
    Sample,
    ScoreModelGrader,
    build_label_model,
    build_score_model,
)

SAMPLE = Sample("Paris is the capital.", {"city": "Paris"})
ITEM = {"question": "Capital of France?", "expected": "Paris"}

SCORE: dict[str, Any] = {
    "type": "score_model",
    "name": "accuracy",
    "model": "gpt-4o-mini",
    "input": [
        {"role": "system", "content": "Score 1 for a right answer, 0 for a wrong one."},
        {
            "role": "user",
            "content": "Q: {{ item.question }}\nReference: {{item.expected}}\n"
            "Answer: {{ sample.output_text }} ({{ sample.output_json.city }})",
        },
    ],
    "range": [0, 1],
    "pass_threshold": 0.5,
    "sampling_params": {"temperature": 0, "seed": 7, "max_completions_tokens": 300},
}
LABEL: dict[str, Any] = {
    "type": "label_model",
    "name": "tone",
    "model": "gpt-4o-mini",
    "input": [
        {"role": "developer", "content": "Classify the tone."},
        {"role": "user", "content": [{"type": "input_text", "text": "{{ sample.output_text }}"}]},
    ],
    "labels": ["good", "ok", "bad"],
    "passing_labels": ["good", "ok"],
}


def score(result: Any, *steps: tuple[str, str]) -> str:
    """A judge's reply as OpenAI's model graders shape it."""
    parts = steps or (("Compared with the reference", "it matches"),)
    steps_json = [{"description": d, "conclusion": c} for d, c in parts]
    return json.dumps({"steps": steps_json, "result": result})


class Judge:
    """A fake ``JudgeCall``: answers its script in order (a text, a ``JudgeReply`` or an
    exception to raise) and records each call."""

    def __init__(self, *script: str | JudgeReply | Exception, cost: float | None = 0.001) -> None:
        self.script = list(script)
        self.cost = cost
        self.calls: list[dict[str, Any]] = []

    async def __call__(
        self, model: str, messages: list[dict[str, Any]], **options: Any
    ) -> JudgeReply:
        step = self.script[len(self.calls)]
        self.calls.append(
            {
                "model": model,
                "messages": messages,
                "format": options["response_format"],
                "params": options["params"],
            }
        )
        await asyncio.sleep(0)
        if isinstance(step, Exception):
            raise step
        return step if isinstance(step, JudgeReply) else JudgeReply(step, cost_usd=self.cost)


async def grade(grader: Any, judge: Any, repeats: int = 1) -> Grade:
    result: Grade = await grader.grade(SAMPLE, ITEM, GradingContext(judge, repeats))
    return result


# -- definitions --------------------------------------------------------------------------------


def broken(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    definition = {**base, **changes}
    return {key: value for key, value in definition.items() if value is not ...}


@pytest.mark.parametrize(
    ("definition", "words"),
    [
        (broken(SCORE, model=...), "model is required"),
        (broken(SCORE, model=""), "model is required"),
        (broken(SCORE, input=[]), "input is required"),
        (broken(SCORE, range=[1, 0]), "range is [1, 0] (allowed: [low, high] with low < high)"),
        (broken(SCORE, range=[0, 0]), "range is [0, 0]"),
        (broken(SCORE, range=[0]), "range is [0]"),
        (broken(SCORE, range="0-1"), "range is '0-1'"),
        (broken(SCORE, range=[0, True]), "range is [0, True]"),
        (broken(SCORE, pass_threshold=1.5), "pass_threshold is 1.5 (allowed: 0 to 1)"),
        (broken(SCORE, range=[1, 10], pass_threshold=0), "pass_threshold is 0 (allowed: 1 to 10)"),
        (
            broken(SCORE, sampling_params={"max_tokens": 5}),
            "sampling_params.max_tokens is not a sampling parameter (allowed: 'temperature',"
            " 'top_p', 'seed', 'max_completions_tokens', 'reasoning_effort')",
        ),
        (broken(SCORE, sampling_params={"temperature": 3}), "sampling_params.temperature is 3"),
        (broken(SCORE, sampling_params={"seed": 1.5}), "sampling_params.seed is 1.5"),
        (
            broken(SCORE, sampling_params={"reasoning_effort": "max"}),
            "sampling_params.reasoning_effort is 'max' (allowed: 'none', 'minimal', 'low',",
        ),
        (
            broken(SCORE, input=[{"role": "user", "content": "{{ item.expected }} {{ itm.x }}"}]),
            "unknown template variable {{ itm.x }}",
        ),
        (
            broken(SCORE, input=[{"role": "user", "content": "{{ sample.output }}"}]),
            "unknown template variable {{ sample.output }} (allowed: {{ item.<column> }}",
        ),
        (broken(SCORE, input=[{"role": "tool", "content": "x"}]), "input[0].role is 'tool'"),
        (broken(SCORE, input=[{"role": "user"}]), "input[0].content is required"),
        (
            broken(SCORE, input=[{"role": "user", "content": [{"type": "file", "file_id": "f"}]}]),
            "input[0].content[0].type is 'file'",
        ),
        (broken(SCORE, pass_treshold=0.5), "unknown key 'pass_treshold' in a score_model grader"),
        (broken(SCORE, labels=["a"]), "unknown key 'labels'"),
        (broken(SCORE, type="label_model"), "type is 'label_model', not 'score_model'"),
        (broken(LABEL, labels=[]), "labels is required: a non-empty list of strings"),
        (broken(LABEL, labels=...), "labels is required"),
        (broken(LABEL, labels=["good", ""]), "labels is required"),
        (broken(LABEL, labels=["good", "good"]), "labels ['good', 'good'] repeat a label"),
        (
            broken(LABEL, passing_labels=["good", "great"]),
            "passing_labels has 'great', which is not one of the labels (allowed: 'good', 'ok',"
            " 'bad')",
        ),
        (broken(LABEL, passing_labels=[]), "passing_labels is required"),
        (broken(LABEL, model=None), "model is required"),
        (broken(LABEL, range=[0, 1]), "unknown key 'range' in a label_model grader"),
    ],
)
def test_a_bad_definition_names_the_grader_and_the_key(
    definition: dict[str, Any], words: str
) -> None:
    name = definition["name"]
    build = {"accuracy": build_score_model, "tone": build_label_model}[name]
    with pytest.raises(GraderError) as raised:
        build(definition)
    assert str(raised.value).startswith(f"graders[{name}]: ")
    assert words in str(raised.value)
    assert raised.value.grader == name


def test_a_grader_without_a_name_is_refused() -> None:
    with pytest.raises(GraderError, match=r"^graders\[score_model\]: name is required"):
        build_score_model(broken(SCORE, name=...))


def test_the_definition_is_read_into_the_grader() -> None:
    grader = build_score_model(SCORE)
    assert isinstance(grader, ScoreModelGrader)
    assert (grader.name, grader.model, grader.range, grader.pass_threshold) == (
        "accuracy",
        "gpt-4o-mini",
        (0.0, 1.0),
        0.5,
    )
    assert grader.uses_model and grader.references() == {"question", "expected"}
    assert grader.definition == SCORE and grader.definition is not SCORE
    assert build_score_model(broken(SCORE, range=..., pass_threshold=...)).range == (0.0, 1.0)
    label = build_label_model(LABEL)
    assert isinstance(label, LabelModelGrader)
    assert label.labels == ("good", "ok", "bad") and label.passing_labels == {"good", "ok"}
    assert label.pass_threshold is None and label.references() == set()


def test_judge_requests_give_one_model_and_token_cap_per_repeat() -> None:
    assert build_score_model(SCORE).judge_requests(3) == [("gpt-4o-mini", 300)] * 3
    assert build_label_model(LABEL).judge_requests() == [("gpt-4o-mini", JUDGE_MAX_TOKENS)]


# -- the prompt ---------------------------------------------------------------------------------


async def test_the_judge_receives_filled_templates_the_schema_and_the_params() -> None:
    judge = Judge(score(1))
    await grade(build_score_model(SCORE), judge)
    (call,) = judge.calls
    assert call["model"] == "gpt-4o-mini"
    assert call["params"] == {"temperature": 0, "seed": 7, "max_completion_tokens": 300}
    system, user, instruction = call["messages"]
    assert system == {"role": "system", "content": SCORE["input"][0]["content"]}
    assert user == {
        "role": "user",
        "content": "Q: Capital of France?\nReference: Paris\nAnswer: Paris is the capital. (Paris)",
    }
    assert instruction["role"] == "system"
    assert instruction["content"] == (
        'Answer with one JSON object only, of this shape: {"steps": [{"description": "<what you'
        ' checked>", "conclusion": "<what you found>"}, ...], "result": <a number from 0 to 1>}.'
        " Write your reasoning steps first, then the result."
    )
    form = call["format"]
    assert form["type"] == "json_schema" and form["json_schema"]["strict"] is True
    schema = form["json_schema"]["schema"]
    assert list(schema["properties"]) == ["steps", "result"]
    assert schema["required"] == ["steps", "result"] and schema["additionalProperties"] is False
    assert {k: schema["properties"]["result"][k] for k in ("type", "minimum", "maximum")} == {
        "type": "number",
        "minimum": 0,
        "maximum": 1,
    }
    step = schema["properties"]["steps"]["items"]
    assert step["required"] == ["description", "conclusion"]


async def test_a_label_judge_is_asked_for_one_of_the_labels() -> None:
    judge = Judge(score("good"))
    await grade(build_label_model(LABEL), judge)
    (call,) = judge.calls
    assert call["messages"][:2] == [
        {"role": "developer", "content": "Classify the tone."},
        {"role": "user", "content": "Paris is the capital."},
    ]
    assert '"result": <one of "good", "ok", "bad">}' in call["messages"][2]["content"]
    result = call["format"]["json_schema"]["schema"]["properties"]["result"]
    assert result["type"] == "string" and result["enum"] == ["good", "ok", "bad"]
    assert call["params"] == {}


async def test_content_parts_become_chat_parts_with_their_templates_filled() -> None:
    definition = broken(
        SCORE,
        input=[
            {
                "type": "message",
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "Does it show {{ item.expected }}?"},
                    {"type": "input_image", "image_url": "{{ item.picture }}", "detail": "low"},
                    {
                        "type": "input_audio",
                        "input_audio": {"data": "{{ item.clip }}", "format": "wav"},
                    },
                ],
            }
        ],
    )
    grader = build_score_model(definition)
    assert grader.references() == {"expected", "picture", "clip"}
    judge = Judge(score(0.5))
    item = {**ITEM, "picture": "https://x.test/p.png", "clip": "UklGRg=="}
    await grader.grade(SAMPLE, item, GradingContext(judge))
    assert judge.calls[0]["messages"][0]["content"] == [
        {"type": "text", "text": "Does it show Paris?"},
        {"type": "image_url", "image_url": {"url": "https://x.test/p.png", "detail": "low"}},
        {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
    ]


# -- one judge answer ----------------------------------------------------------------------------


async def test_one_good_answer_is_the_grade_with_its_reasoning() -> None:
    reply = score(0.8, ("Checked the city", "Paris, as expected"), ("Checked the form", "fine"))
    result = await grade(build_score_model(SCORE), Judge(reply, cost=0.0025))
    assert result == Grade(
        score=0.8,
        passed=True,
        reasoning="Checked the city → Paris, as expected\nChecked the form → fine",
        runs=(0.8,),
        spread=0.0,
        agreement=1.0,
        cost_usd=0.0025,
    )


async def test_a_score_below_the_threshold_fails_and_no_threshold_means_no_verdict() -> None:
    assert (await grade(build_score_model(SCORE), Judge(score(0.4)))).passed is False
    assert (await grade(build_score_model(SCORE), Judge(score(0.5)))).passed is True
    plain = await grade(build_score_model(broken(SCORE, pass_threshold=...)), Judge(score(0.4)))
    assert (plain.score, plain.passed, plain.agreement) == (0.4, None, None)


@pytest.mark.parametrize(
    ("reply", "cause"),
    [
        ("Sure! It scores 1.", "reply is not JSON (Expecting value: line 1 column 1 (char 0)):"),
        ("[1]", "reply is not a JSON object: '[1]'"),
        ('{"steps": []}', "reply has no 'result'"),
        ('{"result": 1}', "reply has no 'steps'"),
        (score("high"), "result 'high' is not a number"),
        (score(True), "result True is not a number"),
        (score(1.5), "score 1.5 is outside the range [0, 1]"),
        (score(-1), "score -1 is outside the range [0, 1]"),
        ('{"steps": "none", "result": 1}', "steps is str, not a list"),
        ('{"steps": [{"description": "x"}], "result": 1}', "steps[0] is not {description,"),
    ],
)
async def test_a_score_reply_that_does_not_fit_fails_the_grade_naming_why(
    reply: str, cause: str
) -> None:
    result = await grade(build_score_model(SCORE), Judge(reply, cost=0.004))
    assert result.score is None and result.passed is None
    assert result.error is not None and result.error.startswith(f"judge gpt-4o-mini: {cause}")
    assert result.cost_usd == 0.004, "a reply that does not parse was still paid for"


async def test_a_label_outside_the_labels_fails_the_grade() -> None:
    result = await grade(build_label_model(LABEL), Judge(score("great")))
    assert result.error == (
        "judge gpt-4o-mini: label 'great' is not one of the labels ['good', 'ok', 'bad']"
    )


async def test_a_judge_that_raises_fails_the_grade_and_costs_nothing_known() -> None:
    request = httpx.Request("POST", "http://judge.test/v1/chat/completions")
    failure = workbench.APIConnectionError(message="connection refused", request=request)
    result = await grade(build_score_model(SCORE), Judge(failure))
    assert result.error == (
        "judge gpt-4o-mini: the judge raised APIConnectionError: connection refused"
    )
    assert result.cost_usd is None


async def test_a_fenced_json_reply_is_read() -> None:
    result = await grade(build_score_model(SCORE), Judge(f"```json\n{score(1)}\n```"))
    assert result.score == 1.0


async def test_a_missing_template_path_fails_the_grade_before_calling_the_judge() -> None:
    judge = Judge(score(1))
    result = await build_score_model(SCORE).grade(SAMPLE, {"question": "?"}, GradingContext(judge))
    assert result.error == "template {{ item.expected }}: no 'expected' in dict"
    assert judge.calls == []


async def test_no_judge_fails_the_grade() -> None:
    result = await build_score_model(SCORE).grade(SAMPLE, ITEM, GradingContext())
    assert result.error == "no judge: the grid gave accuracy no way to call gpt-4o-mini"


# -- repeats -------------------------------------------------------------------------------------


async def test_score_repeats_give_mean_spread_and_agreement() -> None:
    judge = Judge(score(0.2, ("first", "weak")), score(0.9), score(0.7), cost=0.001)
    result = await grade(build_score_model(SCORE), judge, repeats=3)
    assert len(judge.calls) == 3
    assert result.runs == (0.2, 0.9, 0.7)
    assert result.score == pytest.approx(0.6)  # (0.2 + 0.9 + 0.7) / 3
    # deviations -0.4, 0.3, 0.1: sqrt((0.16 + 0.09 + 0.01) / 3)
    assert result.spread == pytest.approx(math.sqrt(0.26 / 3))
    assert result.passed is True  # 0.6 >= 0.5
    assert result.agreement == pytest.approx(2 / 3)  # fail, pass, pass
    assert result.reasoning == "first → weak", "the first repeat's reasoning"
    assert result.cost_usd == pytest.approx(0.003)
    assert result.error is None and result.failed_runs == ()


async def test_label_repeats_give_the_majority_label_and_its_share() -> None:
    judge = Judge(score("good"), score("bad"), score("ok"), score("bad"))
    result = await grade(build_label_model(LABEL), judge, repeats=4)
    assert (result.label, result.passed) == ("bad", False)
    assert result.runs == (1.0, 0.0, 1.0, 0.0)  # good and ok pass
    assert (result.score, result.spread, result.agreement) == (0.5, 0.5, 0.5)


async def test_a_label_tie_goes_to_the_first_label_in_order() -> None:
    result = await grade(build_label_model(LABEL), Judge(score("bad"), score("good")), repeats=2)
    assert (result.label, result.passed, result.agreement) == ("good", True, 0.5)
    later = await grade(build_label_model(LABEL), Judge(score("bad"), score("ok")), repeats=2)
    assert later.label == "ok"


async def test_a_flaky_judge_grades_on_the_repeats_that_answered() -> None:
    judge = Judge(RuntimeError("timed out"), "not json", score(0.3), score(0.9), cost=0.002)
    result = await grade(build_score_model(SCORE), judge, repeats=4)
    assert result.error is None
    assert result.runs == (0.3, 0.9) and result.score == pytest.approx(0.6)
    assert result.spread == pytest.approx(0.3) and result.agreement == 0.5
    assert result.failed_runs == (
        "run 1: the judge raised RuntimeError: timed out",
        "run 2: reply is not JSON (Expecting value: line 1 column 1 (char 0)): 'not json'",
    )
    assert result.cost_usd == pytest.approx(0.006), "three replies; the raise was not billed"


async def test_one_reply_of_unknown_price_makes_the_cost_unknown() -> None:
    judge = Judge(JudgeReply(score(1), cost_usd=None), JudgeReply(score(1), cost_usd=0.1))
    assert (await grade(build_score_model(SCORE), judge, repeats=2)).cost_usd is None


async def test_when_every_repeat_fails_the_grade_fails_with_each_cause() -> None:
    judge = Judge(score(7), RuntimeError("boom"), score("x"), cost=0.001)
    result = await grade(build_score_model(SCORE), judge, repeats=3)
    assert result.score is None and result.runs == ()
    assert result.error == (
        "judge gpt-4o-mini failed on all 3 runs: run 1: score 7 is outside the range [0, 1];"
        " run 2: the judge raised RuntimeError: boom; run 3: result 'x' is not a number"
    )
    assert result.cost_usd == pytest.approx(0.002)


async def test_repeats_call_the_judge_at_the_same_time() -> None:
    repeats = 4
    started = 0
    in_flight = 0
    most = 0
    everyone_in = asyncio.Event()

    async def judge(model: str, messages: list[dict[str, Any]], **_: Any) -> JudgeReply:
        nonlocal started, in_flight, most
        started += 1
        in_flight += 1
        most = max(most, in_flight)
        if started == repeats:
            everyone_in.set()
        await asyncio.wait_for(everyone_in.wait(), timeout=5)  # a sequential caller times out
        in_flight -= 1
        return JudgeReply(score(1))

    result = await grade(build_score_model(SCORE), judge, repeats=repeats)
    assert result.error is None and result.runs == (1.0,) * repeats
    assert most == repeats


# -- end to end, offline --------------------------------------------------------------------------


async def test_the_real_path_on_the_local_model() -> None:
    """A small JudgeCall over ``workbench.AsyncClient()`` (no key: the local model), whose
    json_schema response format gives schema-valid JSON."""
    client = workbench.AsyncClient()
    requests: list[dict[str, Any]] = []

    async def local_judge(
        model: str,
        messages: list[dict[str, Any]],
        *,
        response_format: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> JudgeReply:
        request = {"model": model, "messages": messages, "response_format": response_format}
        requests.append(request)
        completion = await client.chat.completions.create(**request, **(params or {}))
        usage = completion.usage
        return JudgeReply(
            completion.choices[0].message.content or "",
            prompt_tokens=usage.prompt_tokens if usage else None,
            completion_tokens=usage.completion_tokens if usage else None,
        )

    scorer = build_score_model(broken(SCORE, range=[0, 10], pass_threshold=5))
    scored = await grade(scorer, local_judge, repeats=2)
    assert scored.error is None and scored.failed_runs == ()
    assert scored.score is not None and 0 <= scored.score <= 10 and len(scored.runs) == 2
    assert scored.reasoning and scored.passed is (scored.score >= 5)
    assert scored.cost_usd is None  # the local model has no price
    labelled = await grade(build_label_model(LABEL), local_judge, repeats=3)
    assert labelled.error is None and labelled.label in LABEL["labels"]
    assert labelled.reasoning and len(labelled.runs) == 3
    assert len(requests) == 5
    await client.close()
