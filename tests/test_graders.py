"""Graders that need no model, from OpenAI's grader JSON shape: ``grader_from``, ``string_check``
and ``text_similarity``.

Where OpenAI publishes an example with its result (the graders guide,
https://developers.openai.com/api/docs/guides/graders) the test uses it; the metrics' expected
values are computed by hand from each metric's definition, the working in a comment.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import workbench
from workbench.evals import (
    Grade,
    Grader,
    GraderError,
    GradingContext,
    Sample,
    StringCheckGrader,
    TextSimilarityGrader,
    grader_from,
)


def grade(definition: Mapping[str, Any], text: str, item: Mapping[str, Any] | None = None) -> Grade:
    grader = grader_from(definition)
    return asyncio.run(grader.grade(Sample(text), item or {}, GradingContext()))


def check(operation: str, text: str, reference: str, **extra: Any) -> Grade:
    definition = {
        "type": "string_check",
        "name": "check",
        "operation": operation,
        "input": "{{ sample.output_text }}",
        "reference": "{{ item.expected }}",
        **extra,
    }
    return grade(definition, text, {"expected": reference})


SIMILAR = {
    "type": "text_similarity",
    "name": "close",
    "evaluation_metric": "bleu",
    "input": "{{sample.output_text}}",
    "reference": "{{item.expected}}",
    "pass_threshold": 0.5,
}


def similarity(metric: str, text: str, reference: str, threshold: float = 0.5) -> Grade:
    definition = {**SIMILAR, "evaluation_metric": metric, "pass_threshold": threshold}
    return grade(definition, text, {"expected": reference})


# string_check: the guide's "String check grader" section defines each operation.


@pytest.mark.parametrize(
    ("operation", "text", "reference", "score"),
    [
        ("eq", "Paris", "Paris", 1.0),
        ("eq", "Paris", "paris", 0.0),  # case-sensitive
        ("eq", "Paris ", "Paris", 0.0),
        ("ne", "Paris", "paris", 1.0),
        ("ne", "Paris", "Paris", 0.0),
        ("like", "The capital is Paris.", "Paris", 1.0),  # input contains reference
        ("like", "The capital is paris.", "Paris", 0.0),  # case-sensitive
        ("like", "Paris", "The capital is Paris.", 0.0),  # not the other way round
        ("ilike", "THE CAPITAL IS PARIS.", "Paris", 1.0),
        ("ilike", "Straße", "STRASSE", 1.0),  # Unicode case folding
        ("ilike", "The capital is Lyon.", "paris", 0.0),
    ],
)
def test_string_check_operations(operation: str, text: str, reference: str, score: float) -> None:
    result = check(operation, text, reference)
    assert result == Grade(score=score, passed=score == 1.0)


def test_string_check_passes_at_its_threshold_when_given() -> None:
    assert check("eq", "a", "b", pass_threshold=0).passed is True
    assert (
        grader_from(
            {"type": "string_check", "operation": "eq", "input": "a", "reference": "b"}
        ).pass_threshold
        == 1.0
    )


# A small alphabet makes matches and case differences common; any text covers the rest.
TEXTS = st.text("aAbBsSß ", max_size=8) | st.text()


@settings(deadline=None)  # a loaded machine (2 cores shared) can take 200 ms for one example
@given(TEXTS, TEXTS)
@example("Paris", "paris")
def test_like_is_pythons_in_and_ilike_is_in_after_casefold(text: str, reference: str) -> None:
    assert check("like", text, reference).score == float(reference in text)
    assert check("ilike", text, reference).score == float(reference.casefold() in text.casefold())


def test_string_check_on_tool_calls_as_in_the_guide() -> None:
    # The guide's "Details on grading tool calls": the called function's name, checked with eq
    # against {{sample.output_tools[0].function.name}}.
    definition = {
        "type": "string_check",
        "name": "function_name",
        "input": "get_acceptors",
        "reference": "{{sample.output_tools[0].function.name}}",
        "operation": "eq",
    }
    call = {
        "id": "c1",
        "type": "function",
        "function": {"name": "get_acceptors", "arguments": "{}"},
    }
    grader = grader_from(definition)
    sample = Sample("", None, (call,))
    assert asyncio.run(grader.grade(sample, {}, GradingContext())).score == 1.0
    assert asyncio.run(grader.grade(Sample("no call"), {}, GradingContext())).score is None


def test_a_missing_item_column_fails_the_grade_not_the_grid() -> None:
    result = grade(
        {"type": "string_check", "operation": "eq", "input": "x", "reference": "{{item.gold}}"},
        "x",
        {"expected": "x"},
    )
    assert result.score is None
    assert result.error is not None and "item.gold" in result.error


def test_references_are_the_item_columns_both_templates_read() -> None:
    grader = grader_from(
        {
            "type": "string_check",
            "operation": "eq",
            "input": "{{item.a}}",
            "reference": "{{item.b.c}}",
        }
    )
    assert grader.references() == {"a", "b"}
    assert isinstance(grader, StringCheckGrader) and isinstance(grader, Grader)
    assert grader.name == "string_check" and not grader.uses_model


# text_similarity: one pair worked by hand for every metric.
# input     "the cat sat on the mat today"   7 tokens
# reference "the cat sat on the mat"         6 tokens; every reference n-gram is in the input.
INPUT = "the cat sat on the mat today"
REFERENCE = "the cat sat on the mat"


@pytest.mark.parametrize(
    ("metric", "expected"),
    [
        # BLEU: n-gram precisions 6/7, 5/6, 4/5, 3/4, no brevity penalty (input is longer):
        # (6/7 * 5/6 * 4/5 * 3/4) ** (1/4) = (3/7) ** 0.25.
        ("bleu", (3 / 7) ** 0.25),
        # GLEU: 1- to 4-grams, 18 matches of 22 in the input and of 18 in the reference:
        # min(18/22, 18/18).
        ("gleu", 18 / 22),
        # METEOR: 6 matches, P = 6/7, R = 1, Fmean = P R / (0.9 P + 0.1 R); one chunk of 6, so
        # penalty 0.5 (1/6)^3.
        ("meteor", (6 / 7) / (0.9 * 6 / 7 + 0.1) * (1 - 0.5 * (1 / 6) ** 3)),
        # ROUGE-n F = 2PR / (P + R) with R = 1: P = 6/7, 5/6, 4/5, 3/4, 2/3 for n = 1..5.
        ("rouge_1", 12 / 13),
        ("rouge_2", 10 / 11),
        ("rouge_3", 8 / 9),
        ("rouge_4", 6 / 7),
        ("rouge_5", 4 / 5),
        # ROUGE-L: the longest common subsequence is the whole reference, P = 6/7, R = 1.
        ("rouge_l", 12 / 13),
    ],
)
def test_text_similarity_metrics_match_their_definitions(metric: str, expected: float) -> None:
    result = similarity(metric, INPUT, REFERENCE, threshold=expected - 1e-9)
    assert result.score == pytest.approx(expected, abs=1e-9)
    assert result.passed is True
    assert similarity(metric, INPUT, REFERENCE, threshold=expected + 1e-6).passed is False


@pytest.mark.parametrize("metric", ["bleu", "gleu", "meteor", "rouge_1", "rouge_l", "fuzzy_match"])
def test_every_metric_scores_from_0_to_1(metric: str) -> None:
    assert similarity(metric, "a b c d e f", "a b c d e f").score == pytest.approx(1.0, abs=0.01)
    # sacrebleu gives 1.0000000000000004 here: scores are clamped to 0..1.
    japanese = similarity(metric, "日本語 です", "日本語 です").score
    assert japanese is not None and 0 <= japanese <= 1
    # No word in common, nor (for fuzzy_match, which compares characters) a character.
    unlike = ("abcd", "wxyz") if metric == "fuzzy_match" else ("aaa bbb ccc", "xxx yyy zzz")
    assert similarity(metric, *unlike).score == 0.0


def test_fuzzy_match_is_rapidfuzz_wratio_over_100() -> None:
    # kitten/sitting: longest common subsequence "ittn" (4), Indel distance 6 + 7 - 2*4 = 5,
    # ratio 1 - 5/13; WRatio keeps it (same length class, one token each).
    assert similarity("fuzzy_match", "kitten", "sitting").score == pytest.approx(1 - 5 / 13)
    # default_process: lowercase, punctuation gone.
    assert similarity("fuzzy_match", "PARIS!", "paris").score == 1.0


def test_meteor_matches_stems_but_not_synonyms() -> None:
    # "cats" ~ "cat" by the Porter stemmer: 3 matches of 3, one chunk, penalty 0.5 (1/3)^3.
    assert similarity("meteor", "the cats sat", "the cat sat").score == pytest.approx(1 - 0.5 / 27)
    # "feline" is a WordNet synonym of "cat", which OpenAI's METEOR matches and this one does
    # not: 2 matches of 3, P = R = 2/3, two chunks of 2 matches, penalty 0.5 (2/2)^3.
    assert similarity("meteor", "the feline sat", "the cat sat").score == pytest.approx(1 / 3)


def test_cosine_without_an_embed_call_fails_each_grade_saying_so() -> None:
    result = similarity("cosine", INPUT, REFERENCE)
    assert result.score is None
    assert result.error is not None and "embeddings" in result.error


def test_building_a_grader_loads_only_its_metrics_library() -> None:
    libraries = "{'nltk', 'sacrebleu', 'rouge_score', 'rapidfuzz'}"
    fuzzy = {**SIMILAR, "evaluation_metric": "fuzzy_match"}
    code = (
        f"import sys, workbench.evals as e; loaded = lambda: sorted({libraries} & set(sys.modules))"
        f"; print(loaded()); e.grader_from({fuzzy!r}); print(loaded())"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.split() == ["[]", "['rapidfuzz']"]


def test_text_similarity_grader_keeps_its_definition() -> None:
    grader = grader_from({**SIMILAR, "reference": "{{item.answer}}", "pass_threshold": 0.8})
    assert isinstance(grader, TextSimilarityGrader) and grader.evaluation_metric == "bleu"
    assert (grader.name, grader.pass_threshold, grader.references()) == ("close", 0.8, {"answer"})


def test_grader_from_is_public_at_the_top() -> None:
    assert workbench.grader_from is grader_from


# Bad definitions: each names the grader (its name, else its index) and the key, with the
# allowed values.

STRING_CHECK = {
    "type": "string_check",
    "name": "exact",
    "operation": "eq",
    "input": "a",
    "reference": "b",
}


def without(definition: Mapping[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in definition.items() if k != key}


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        (["string_check"], "graders[3]: a grader definition is a dict, not list"),
        (
            {**STRING_CHECK, "type": "regex"},
            "graders[exact]: the grader has an unknown 'type' 'regex' (allowed: 'label_model',"
            " 'multi', 'python', 'score_model', 'string_check', 'text_similarity')",
        ),
        (without(STRING_CHECK, "type"), "graders[exact]: the grader has no 'type' (allowed: "),
        ({**STRING_CHECK, "type": [1]}, "graders[exact]: the grader has an unknown 'type' [1]"),
        (
            without(STRING_CHECK, "reference"),
            "graders[exact]: string_check needs the key 'reference' (allowed: 'input', 'name',"
            " 'operation', 'pass_threshold', 'reference', 'type')",
        ),
        (
            {**STRING_CHECK, "referense": "b"},
            "graders[exact]: string_check has no key 'referense' (allowed: 'input', ",
        ),
        (
            {**STRING_CHECK, "operation": "contains"},
            "graders[exact]: 'operation' is 'contains' (allowed: 'eq', 'ne', 'like', 'ilike')",
        ),
        (
            {**STRING_CHECK, "operation": 1},
            "graders[exact]: 'operation' must be a string, not int (allowed: 'eq', 'ne',",
        ),
        ({**STRING_CHECK, "input": None}, "graders[exact]: 'input' must be a string, not NoneType"),
        (
            {**STRING_CHECK, "pass_threshold": "1"},
            "graders[exact]: 'pass_threshold' must be a number, not str",
        ),
        (
            {**STRING_CHECK, "pass_threshold": True},
            "graders[exact]: 'pass_threshold' must be a number, not bool",
        ),
        (
            {**STRING_CHECK, "pass_threshold": float("nan")},
            "graders[exact]: 'pass_threshold' must be finite, not nan",
        ),
        ({**STRING_CHECK, "name": ""}, "graders[3]: 'name' must be a non-empty string, not ''"),
        (
            without(STRING_CHECK, "name") | {"operation": "is"},
            "graders[3]: 'operation' is 'is' (allowed: ",
        ),
        (
            {**STRING_CHECK, "reference": "{{ item.gold }} {{ sample.text }}"},
            "graders[exact]: 'reference': unknown template variable {{ sample.text }} (allowed: "
            "{{ item.<column> }}, {{ sample.output_text }}",
        ),
        (
            {**SIMILAR, "evaluation_metric": "rouge_6"},
            "graders[close]: 'evaluation_metric' is 'rouge_6' (allowed: 'fuzzy_match', 'bleu', "
            "'gleu', 'meteor', 'rouge_1', 'rouge_2', 'rouge_3', 'rouge_4', 'rouge_5', 'rouge_l',"
            " 'cosine')",
        ),
        (
            without(SIMILAR, "pass_threshold"),
            "graders[close]: text_similarity needs the key 'pass_threshold'",
        ),
        (
            {**SIMILAR, "input": "{{ input }}"},
            "graders[close]: 'input': unknown template variable {{ input }}",
        ),
    ],
)
def test_a_bad_definition_is_a_grader_error_naming_grader_and_key(
    definition: Any, message: str
) -> None:
    with pytest.raises(GraderError) as raised:
        grader_from(definition, index=3)
    assert str(raised.value).startswith(message), str(raised.value)
    assert isinstance(raised.value, ValueError)


def test_an_unnamed_grader_without_an_index_is_named_by_its_type() -> None:
    with pytest.raises(GraderError, match=r"^graders\[string_check\]: string_check needs the key"):
        grader_from(without(without(STRING_CHECK, "name"), "input"))
