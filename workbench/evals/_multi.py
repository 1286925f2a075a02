"""OpenAI's ``multi`` grader: ``graders`` (name -> definition) and ``calculate_output``, a
formula over their scores.

The formula language is the one OpenAI's graders guide lists
(https://developers.openai.com/api/docs/guides/graders, "Multigraders"): numbers, the
sub-graders' names, ``+ - * /``, ``^`` for power, parentheses, and the functions ``min``,
``max``, ``abs``, ``floor``, ``ceil``, ``exp``, ``sqrt`` and ``log`` (natural). It is parsed
with ``ast`` (``^`` read as power, with power's precedence) and evaluated by walking the tree:
never ``eval``. At build time every name must be one of the grader's sub-graders and every
function one of those, with its number of arguments.

Sub-graders are built through ``grader_from`` (so model graders can be sub-graders) and run
together on each cell; a sub-grader whose grade fails fails the multi grade, naming it. As in
OpenAI's, a multi grader cannot hold another. ``pass_threshold`` is optional (an addition:
OpenAI's multi grader has none); without it a multi grade has no pass/fail. The grade's cost
is the sum of its sub-graders' known costs.
"""

from __future__ import annotations

import ast
import asyncio
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ._grading import Grade, Grader, GraderError, GradingContext, Sample
from ._registry import (
    build_labelled,
    check_keys,
    grader_label,
    number_value,
    register_grader_type,
    text_value,
)

__all__ = ["FUNCTIONS", "MultiGrader", "evaluate_formula"]

FUNCTIONS: dict[str, tuple[Callable[..., float], int | None]] = {
    "min": (lambda *values: min(values), None),
    "max": (lambda *values: max(values), None),
    "abs": (abs, 1),
    "floor": (math.floor, 1),
    "ceil": (math.ceil, 1),
    "exp": (math.exp, 1),
    "sqrt": (math.sqrt, 1),
    "log": (math.log, 1),
}
"""The functions a formula may call, with their number of arguments (None: one or more)."""

_BINARY: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[float], float]] = {
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}
_ALLOWED = "numbers, grader names, + - * / ^, ( ), " + ", ".join(FUNCTIONS)


def parse_formula(formula: str, names: set[str], label: str) -> ast.expr:
    """The formula's tree, checked: only numbers, ``names``, the operators and ``FUNCTIONS``.

    Raises:
        GraderError: a formula that does not parse, or uses anything else.
    """
    if "**" in formula:
        raise GraderError(label, "'calculate_output' writes power as ^, not **")
    try:
        tree = ast.parse(formula.replace("^", "**").strip(), mode="eval").body
    except SyntaxError as exc:
        message = f"'calculate_output' {formula!r} does not parse: {exc.msg}"
        raise GraderError(label, message, allowed=_ALLOWED) from None
    _check(tree, formula, names, label)
    return tree


def _check(node: ast.expr, formula: str, names: set[str], label: str) -> None:
    def fail(message: str, allowed: str | list[str] = _ALLOWED) -> GraderError:
        return GraderError(label, f"'calculate_output' {formula!r}: {message}", allowed=allowed)

    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        _check(node.left, formula, names, label)
        _check(node.right, formula, names, label)
    elif isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        _check(node.operand, formula, names, label)
    elif isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise fail(f"{node.value!r} is not a number")
    elif isinstance(node, ast.Name):
        if node.id not in names:
            raise fail(f"{node.id!r} is not one of its graders", sorted(names))
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        if node.func.id not in FUNCTIONS:
            raise fail(f"{node.func.id!r} is not a function", list(FUNCTIONS))
        arity = FUNCTIONS[node.func.id][1]
        if node.keywords or not node.args or (arity is not None and len(node.args) != arity):
            count = "one or more arguments" if arity is None else f"{arity} argument"
            raise fail(f"{node.func.id}() takes {count}")
        for argument in node.args:
            _check(argument, formula, names, label)
    else:
        raise fail(f"{ast.unparse(node)!r} is not allowed")


def evaluate_formula(tree: ast.expr, scores: Mapping[str, float]) -> float:
    """The value of a tree ``parse_formula`` checked, with each name's score.

    Raises:
        ArithmeticError, ValueError: a division by zero, the log or root of a negative number,
            an overflow.
    """
    if isinstance(tree, ast.BinOp):
        left = evaluate_formula(tree.left, scores)
        right = evaluate_formula(tree.right, scores)
        value = _BINARY[type(tree.op)](left, right)
        if isinstance(value, complex):
            raise ValueError("a negative number to a fractional power")
        return float(value)
    if isinstance(tree, ast.UnaryOp):
        return _UNARY[type(tree.op)](evaluate_formula(tree.operand, scores))
    if isinstance(tree, ast.Constant):
        assert isinstance(tree.value, (int, float))
        return float(tree.value)
    if isinstance(tree, ast.Name):
        return scores[tree.id]
    assert isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name)
    function = FUNCTIONS[tree.func.id][0]
    return float(function(*(evaluate_formula(a, scores) for a in tree.args)))


@dataclass(eq=False)
class MultiGrader(Grader):
    """OpenAI's ``multi`` grader: sub-graders' scores combined by a formula.

    Attributes:
        name: the grader's name.
        graders: the sub-graders by the names the formula uses.
        calculate_output: the formula, as written.
        formula: its checked tree.
        pass_threshold: the score a cell passes at; None for no pass/fail.
    """

    name: str
    graders: dict[str, Grader]
    calculate_output: str
    formula: ast.expr
    pass_threshold: float | None = None

    def __post_init__(self) -> None:
        self.uses_model = any(g.uses_model for g in self.graders.values())

    def references(self) -> set[str]:
        return set().union(*(g.references() for g in self.graders.values()))

    def judge_requests(self, repeats: int = 1) -> list[tuple[str, int]]:
        return [request for g in self.graders.values() for request in g.judge_requests(repeats)]

    def judge_prompt_tokens(self, item: Mapping[str, Any], reply_tokens: int) -> list[int | None]:
        graders = self.graders.values()
        return [n for g in graders for n in g.judge_prompt_tokens(item, reply_tokens)]

    async def grade(
        self, sample: Sample, item: Mapping[str, Any], context: GradingContext
    ) -> Grade:
        keys = list(self.graders)
        grades = await asyncio.gather(
            *(self.graders[key].grade(sample, item, context) for key in keys)
        )
        costs = [g.cost_usd for g in grades if g.cost_usd is not None]
        cost = sum(costs) if costs else None
        scores: dict[str, float] = {}
        for key, grade in zip(keys, grades, strict=True):
            if grade.score is None:
                return Grade.failed(f"{key}: {grade.error}", cost_usd=cost)
            scores[key] = grade.score
        try:
            score = evaluate_formula(self.formula, scores)
        except (ArithmeticError, ValueError) as exc:
            message = f"{self.calculate_output!r}: {type(exc).__name__}: {exc}"
            return Grade.failed(message, cost_usd=cost)
        passed = None if self.pass_threshold is None else score >= self.pass_threshold
        return Grade(score=score, passed=passed, cost_usd=cost)


def build_multi(definition: Mapping[str, Any]) -> MultiGrader:
    """A ``multi`` grader from its definition, its sub-graders built by ``grader_from``."""
    check_keys(definition, ("graders", "calculate_output"), ("pass_threshold",))
    label = grader_label(definition)
    subs = definition["graders"]
    if not isinstance(subs, Mapping) or not subs:
        message = "'graders' must be a dict of name -> grader definition, not"
        raise GraderError(label, f"{message} {type(subs).__name__}")
    graders: dict[str, Grader] = {}
    for key, sub in subs.items():
        if not isinstance(key, str) or not key.isidentifier():
            raise GraderError(label, f"'graders' key {key!r} is not a name a formula can use")
        if isinstance(sub, Mapping) and sub.get("type") == "multi":
            raise GraderError(f"{label}.{key}", "a multi grader cannot hold another multi grader")
        labelled = dict(sub) if isinstance(sub, Mapping) else sub
        if isinstance(labelled, dict):
            labelled.setdefault("name", key)
        graders[key] = build_labelled(labelled, f"{label}.{key}", by_name=False)
    formula_text = text_value(definition, "calculate_output")
    return MultiGrader(
        name=definition.get("name", "multi"),
        graders=graders,
        calculate_output=formula_text,
        formula=parse_formula(formula_text, set(graders), label),
        pass_threshold=number_value(definition, "pass_threshold"),
    )


register_grader_type("multi", build_multi)
